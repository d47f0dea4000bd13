/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the schema validator: each keyword of the supported subset,
 * that every error is reported with its pointer, and that the shipped schema
 * documents every key. */
#include "build-config.h"

#include "check.h"
#include "policy/jsonschema.h"
#include "policy/policy.h"

#include <string.h>

static json_t *
j(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	if (v == NULL)
		fprintf(stderr, "bad test JSON: %s\n", text);
	return v;
}

/* Validate inst against schema (both JSON text); returns the error count and
 * leaves the problems in errs/warns for inspection. */
static int
run(const char *schema_text, const char *inst_text, struct problems *errs, struct problems *warns)
{
	json_t *schema = j(schema_text), *inst = j(inst_text);
	int rc = jsonschema_validate(schema, schema, inst, "", errs, warns);

	CHECK_INT_EQ(rc, errs->n > 0 ? -1 : 0);
	json_decref(schema);
	json_decref(inst);
	return (int)errs->n;
}

static void
expect_one(const char *schema, const char *inst, const char *path, const char *message)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;

	CHECK_INT_EQ(run(schema, inst, &errs, &warns), 1);
	if (errs.n == 1) {
		CHECK_STR_EQ(errs.v[0].path, path);
		CHECK_STR_EQ(errs.v[0].message, message);
	}
	problems_clear(&errs);
	problems_clear(&warns);
}

static void
expect_ok(const char *schema, const char *inst)
{
	struct problems errs = PROBLEMS_INIT;

	CHECK_INT_EQ(run(schema, inst, &errs, NULL), 0);
	problems_clear(&errs);
}

static void
test_type_integer_is_not_number(void)
{
	expect_ok("{\"type\": \"integer\"}", "3");
	expect_one("{\"type\": \"integer\"}", "1.5", "", "expected integer; found 1.5");
	expect_one("{\"type\": \"integer\"}", "2.0", "", "expected integer; found 2.0");
	expect_ok("{\"type\": \"number\"}", "1.5");
	expect_ok("{\"type\": \"number\"}", "2");
	expect_one("{\"type\": \"boolean\"}", "\"true\"", "", "expected boolean; found \"true\"");
	expect_one("{\"type\": \"object\"}", "[1]", "", "expected object; found an array");
	expect_one("{\"type\": \"string\"}", "null", "", "expected string; found null");
}

static void
test_type_list_accepts_any_listed_type(void)
{
	expect_ok("{\"type\": [\"array\", \"string\"]}", "\"a,b\"");
	expect_ok("{\"type\": [\"array\", \"string\"]}", "[]");
	expect_one("{\"type\": [\"array\", \"string\"]}", "{}", "",
	           "expected array or string; found an object");
}

static void
test_enum_and_const_messages(void)
{
	expect_one("{\"enum\": [\"system\", \"manual\"]}", "\"auto\"", "",
	           "expected one of \"system\", \"manual\"; found \"auto\"");
	expect_ok("{\"enum\": [\"system\", \"manual\"]}", "\"manual\"");
	expect_one("{\"const\": 2}", "3", "", "expected 2; found 3");
	expect_ok("{\"const\": 2}", "2");
}

static void
test_enum_noun_suggests_canonical_spelling(void)
{
	const char *s = "{\"type\": \"string\", \"x-lockset-enum-noun\": \"flag\", "
	                "\"enum\": [\"--privileged\", \"--cap-add=SYS_ADMIN\"]}";

	expect_one(
	    s, "\"--cap-add=cap_sys_admin\"", "",
	    "unknown flag \"--cap-add=cap_sys_admin\"; did you mean \"--cap-add=SYS_ADMIN\"?");
	expect_one(s, "\"--Privileged\"", "",
	           "unknown flag \"--Privileged\"; did you mean \"--privileged\"?");
	expect_one(s, "\"--evil\"", "", "unknown flag \"--evil\"");
	expect_ok(s, "\"--cap-add=SYS_ADMIN\"");
}

static void
test_minimum_maximum_minlength(void)
{
	const char *port = "{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 65535}";

	expect_one(port, "0", "", "expected a number >= 1; found 0");
	expect_one(port, "65536", "", "expected a number <= 65535; found 65536");
	expect_ok(port, "12434");
	expect_one("{\"type\": \"string\", \"minLength\": 1}", "\"\"", "",
	           "expected a non-empty string; found \"\"");
	expect_one("{\"type\": \"string\", \"minLength\": 3}", "\"\xc3\xa9\xc3\xa9\"", "",
	           "expected a string of at least 3 characters; found \"\xc3\xa9\xc3\xa9\"");
}

static void
test_pattern_uses_expected_wording(void)
{
	expect_one("{\"type\": \"string\", \"pattern\": \"^/\"}", "\"rel\"", "",
	           "expected a string matching ^/; found \"rel\"");
	expect_one("{\"type\": \"string\", \"pattern\": \"^/\", \"x-lockset-expected\": \"an "
	           "absolute path\"}",
	           "\"rel\"", "", "expected an absolute path; found \"rel\"");
	expect_ok("{\"type\": \"string\", \"pattern\": \"^/\"}", "\"/etc\"");
}

static void
test_json_object_format(void)
{
	const char *s = "{\"type\": \"string\", \"x-lockset-format\": \"json-object\"}";

	expect_ok(s, "\"{\\\"debug\\\": true}\"");
	expect_one(s, "\"[1]\"", "", "expected a string holding a JSON object; found \"[1]\"");
}

static void
test_properties_required_and_additional(void)
{
	const char *closed = "{\"type\": \"object\", \"required\": [\"a\"], \"properties\": "
	                     "{\"a\": {\"type\": \"integer\"}}, \"additionalProperties\": false}";
	const char *warn = "{\"type\": \"object\", \"properties\": {\"a\": true}, "
	                   "\"additionalProperties\": true, \"x-lockset-unknown\": \"warn\"}";
	const char *typed = "{\"type\": \"object\", \"additionalProperties\": {\"type\": "
	                    "\"string\"}}";
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;

	expect_one(closed, "{}", "/a", "missing required key \"a\"");
	expect_one(closed, "{\"a\": 1, \"b/c\": 2}", "/b~1c", "unknown key \"b/c\"");
	expect_one(typed, "{\"x\": \"ok\", \"y\": 1}", "/y", "expected string; found 1");
	CHECK_INT_EQ(run(warn, "{\"a\": 1, \"new\": 2}", &errs, &warns), 0);
	CHECK_INT_EQ(warns.n, 1);
	if (warns.n == 1) {
		CHECK_STR_EQ(warns.v[0].path, "/new");
		CHECK(strstr(warns.v[0].message, "unknown key \"new\"") != NULL);
	}
	problems_clear(&errs);
	problems_clear(&warns);
	/* without x-lockset-unknown, extra keys are silently allowed */
	CHECK_INT_EQ(run("{\"type\": \"object\"}", "{\"z\": 1}", &errs, &warns), 0);
	CHECK_INT_EQ(warns.n, 0);
	problems_clear(&errs);
	problems_clear(&warns);
}

static void
test_items_and_ref_report_every_error(void)
{
	const char *s = "{\"$defs\": {\"p\": {\"type\": \"string\", \"pattern\": \"^/\"}}, "
	                "\"type\": \"object\", \"properties\": {\"list\": {\"type\": \"array\", "
	                "\"items\": {\"$ref\": \"#/$defs/p\"}}, \"n\": {\"type\": \"integer\"}}}";
	struct problems errs = PROBLEMS_INIT;

	CHECK_INT_EQ(run(s, "{\"list\": [\"/ok\", \"bad\", 3], \"n\": \"x\"}", &errs, NULL), 3);
	if (errs.n == 3) {
		CHECK_STR_EQ(errs.v[0].path, "/list/1");
		CHECK_STR_EQ(errs.v[1].path, "/list/2");
		CHECK_STR_EQ(errs.v[1].message, "expected string; found 3");
		CHECK_STR_EQ(errs.v[2].path, "/n");
	}
	problems_clear(&errs);
	expect_one("{\"$ref\": \"#/$defs/missing\"}", "1", "",
	           "schema error: unresolvable $ref #/$defs/missing");
}

static void
test_pointer_get_and_keyword_follow_refs(void)
{
	json_t *doc = j("{\"a\": {\"b/c\": [10, 20]}, \"t~\": 1, \"$defs\": {\"x\": {\"default\": "
	                "5}}, \"r\": {\"$ref\": \"#/$defs/x\"}}");

	CHECK(jsonschema_pointer_get(doc, "") == doc);
	CHECK_INT_EQ(json_integer_value(jsonschema_pointer_get(doc, "/a/b~1c/1")), 20);
	CHECK_INT_EQ(json_integer_value(jsonschema_pointer_get(doc, "/t~0")), 1);
	CHECK(jsonschema_pointer_get(doc, "/a/b~1c/2") == NULL);
	CHECK(jsonschema_pointer_get(doc, "/a/b~1c/01") == NULL);
	CHECK(jsonschema_pointer_get(doc, "nope") == NULL);
	CHECK_INT_EQ(
	    json_integer_value(jsonschema_keyword(doc, json_object_get(doc, "r"), "default")), 5);
	CHECK(jsonschema_resolve(doc, json_object_get(doc, "r")) ==
	      jsonschema_pointer_get(doc, "/$defs/x"));
	json_decref(doc);
}

static void
test_shipped_schema_documents_every_key(void)
{
	static const char *const keys[] = {"configurationFileVersion",
	                                   "analyticsEnabled",
	                                   "disableUpdate",
	                                   "silentModulesUpdate",
	                                   "extensionsEnabled",
	                                   "blockDockerLoad",
	                                   "displayedOnboarding",
	                                   "desktopTerminalEnabled",
	                                   "exposeDockerAPIOnTCP2375",
	                                   "enhancedContainerIsolation",
	                                   "filesharingAllowedDirectories",
	                                   "useVirtualizationFrameworkVirtioFS",
	                                   "useGrpcfuse",
	                                   "useVirtualizationFrameworkRosetta",
	                                   "scout",
	                                   "proxy",
	                                   "containersProxy",
	                                   "linuxVM",
	                                   "windowsContainers",
	                                   "kubernetes",
	                                   "defaultNetworkingMode",
	                                   "dnsInhibition",
	                                   "allowBetaFeatures",
	                                   "allowExperimentalFeatures",
	                                   "enableDockerAI",
	                                   "enableDockerMCPToolkit",
	                                   "enableInference",
	                                   "enableInferenceTCP",
	                                   "enableInferenceTCPPort",
	                                   "enableInferenceCORS",
	                                   "enableInferenceGPUVariant",
	                                   "enableCloud",
	                                   "containerPolicy"};
	const json_t *schema = policy_schema(), *props, *flags;
	const char *key;
	json_t *v;

	CHECK(schema != NULL);
	if (schema == NULL)
		return;
	CHECK_STR_EQ(json_string_value(json_object_get(schema, "$schema")),
	             "https://json-schema.org/draft/2020-12/schema");
	props = json_object_get(schema, "properties");
	CHECK_INT_EQ(json_object_size(props), sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *p = json_object_get(props, keys[i]);
		const char *shape = json_string_value(json_object_get(p, "x-lockset-shape"));

		CHECK(p != NULL);
		CHECK(json_is_string(json_object_get(p, "description")));
		CHECK(shape != NULL);
		if (shape != NULL && strcmp(shape, "scalar") == 0) {
			const json_t *val =
			    json_object_get(json_object_get(p, "properties"), "value");
			CHECK(jsonschema_keyword(schema, val, "default") != NULL);
		}
	}
	json_object_foreach((json_t *)props, key, v)
	{
		CHECK(json_object_get(v, "description") != NULL);
	}
	flags = jsonschema_pointer_get(schema, "/$defs/deniedFlag/enum");
	/* 8 namespace/privilege flags + 41 capabilities + --device, 4 security-opts, --sysctl
	 * + --runtime, --cgroup-parent, --log-driver, --log-opt, --annotation */
	CHECK_INT_EQ(json_array_size(flags), 8 + 41 + 6 + 5);
	CHECK_STR_EQ(json_string_value(json_array_get(flags, 0)), "--privileged");
}

static void
test_every_capability_is_in_the_vocabulary(void)
{
	static const char *const caps[] = {"AUDIT_CONTROL",   "AUDIT_READ",   "AUDIT_WRITE",
	                                   "BLOCK_SUSPEND",   "BPF",          "CHECKPOINT_RESTORE",
	                                   "CHOWN",           "DAC_OVERRIDE", "DAC_READ_SEARCH",
	                                   "FOWNER",          "FSETID",       "IPC_LOCK",
	                                   "IPC_OWNER",       "KILL",         "LEASE",
	                                   "LINUX_IMMUTABLE", "MAC_ADMIN",    "MAC_OVERRIDE",
	                                   "MKNOD",           "NET_ADMIN",    "NET_BIND_SERVICE",
	                                   "NET_BROADCAST",   "NET_RAW",      "PERFMON",
	                                   "SETFCAP",         "SETGID",       "SETPCAP",
	                                   "SETUID",          "SYS_ADMIN",    "SYS_BOOT",
	                                   "SYS_CHROOT",      "SYS_MODULE",   "SYS_NICE",
	                                   "SYS_PACCT",       "SYS_PTRACE",   "SYS_RAWIO",
	                                   "SYS_RESOURCE",    "SYS_TIME",     "SYS_TTY_CONFIG",
	                                   "SYSLOG",          "WAKE_ALARM"};
	const json_t *schema = policy_schema();
	const json_t *def = jsonschema_pointer_get(schema, "/$defs/deniedFlag");
	struct problems errs = PROBLEMS_INIT;
	char flag[64];

	CHECK_INT_EQ(sizeof(caps) / sizeof(caps[0]), 41);
	for (size_t i = 0; def != NULL && i < sizeof(caps) / sizeof(caps[0]); i++) {
		json_t *v;

		snprintf(flag, sizeof(flag), "--cap-add=%s", caps[i]);
		v = json_string(flag);
		CHECK_INT_EQ(jsonschema_validate(schema, def, v, "", &errs, NULL), 0);
		json_decref(v);
	}
	CHECK_INT_EQ(errs.n, 0);
	problems_clear(&errs);
}

int
main(void)
{
	RUN(test_type_integer_is_not_number);
	RUN(test_type_list_accepts_any_listed_type);
	RUN(test_enum_and_const_messages);
	RUN(test_enum_noun_suggests_canonical_spelling);
	RUN(test_minimum_maximum_minlength);
	RUN(test_pattern_uses_expected_wording);
	RUN(test_json_object_format);
	RUN(test_properties_required_and_additional);
	RUN(test_items_and_ref_report_every_error);
	RUN(test_pointer_get_and_keyword_follow_refs);
	RUN(test_shipped_schema_documents_every_key);
	RUN(test_every_capability_is_in_the_vocabulary);
	return CHECK_DONE();
}
