/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the effective settings: the lock merge across the default,
 * org, user-policy and user layers, source reporting, path expansion, the
 * share list, output order, and settings_locked_keys. */
#include "build-config.h"

#include "check.h"
#include "policy/jsonschema.h"
#include "policy/policy.h"
#include "policy/settings.h"

#include <stdlib.h>
#include <string.h>

static const char *const alice_home[] = {"/home/alice"};
static const struct settings_env env = {alice_home, 1, "/tmp", "/var/tmp"};

static json_t *
j(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	if (v == NULL)
		fprintf(stderr, "bad test JSON: %s\n", text);
	return v;
}

/* Effective settings of the three layers given as JSON text (NULL = absent). */
static json_t *
effective(const char *org, const char *up, const char *prefs)
{
	json_t *o = org ? j(org) : NULL, *u = up ? j(up) : NULL, *p = prefs ? j(prefs) : NULL;
	json_t *eff = settings_effective(o, u, p, &env);

	json_decref(o);
	json_decref(u);
	json_decref(p);
	CHECK(eff != NULL);
	return eff;
}

/* Is the value at ptr in eff equal to the JSON text want? */
static int
at_is(const json_t *eff, const char *ptr, const char *want)
{
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
	const json_t *got = jsonschema_pointer_get(eff, ptr);
	int same = w != NULL && got != NULL && json_equal(w, (json_t *)got);

	if (!same) {
		char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		fprintf(stderr, "  %s: want %s, got %s\n", ptr, want, g ? g : "(missing)");
		free(g);
	}
	json_decref(w);
	return same;
}

static void
test_locked_key_rejects_user_override(void)
{
	json_t *eff = effective("{\"analyticsEnabled\": {\"locked\": true, \"value\": false}}",
	                        NULL, "{\"analyticsEnabled\": {\"value\": true}}");

	CHECK(at_is(eff, "/analyticsEnabled",
	            "{\"locked\": true, \"value\": false, \"source\": "
	            "\"org\"}"));
	json_decref(eff);
}

static void
test_unlocked_key_is_a_default_the_user_may_change(void)
{
	json_t *eff = effective("{\"disableUpdate\": {\"locked\": false, \"value\": true}, "
	                        "\"useGrpcfuse\": {\"locked\": false, \"value\": false}}",
	                        NULL, "{\"disableUpdate\": {\"value\": false}}");

	CHECK(at_is(eff, "/disableUpdate",
	            "{\"locked\": false, \"value\": false, \"source\": "
	            "\"user\"}"));
	CHECK(at_is(eff, "/useGrpcfuse",
	            "{\"locked\": false, \"value\": false, \"source\": "
	            "\"org\"}"));
	json_decref(eff);
}

static void
test_group_lock_locks_every_field(void)
{
	json_t *eff = effective("{\"kubernetes\": {\"locked\": true, \"enabled\": false}}", NULL,
	                        "{\"kubernetes\": {\"enabled\": true, \"imagesRepository\": "
	                        "\"mine\", \"showSystemContainers\": true}}");

	CHECK(at_is(eff, "/kubernetes",
	            "{\"locked\": true, \"source\": \"org\", \"enabled\": "
	            "false, \"showSystemContainers\": false, "
	            "\"imagesRepository\": \"\"}"));
	json_decref(eff);
	/* unlocked: field-wise merge, each field from the highest layer that sets it */
	eff = effective("{\"kubernetes\": {\"enabled\": true}}",
	                "{\"kubernetes\": {\"imagesRepository\": \"corp\"}}",
	                "{\"kubernetes\": {\"showSystemContainers\": true}}");
	CHECK(at_is(eff, "/kubernetes",
	            "{\"locked\": false, \"source\": \"user\", \"enabled\": "
	            "true, \"showSystemContainers\": true, "
	            "\"imagesRepository\": \"corp\"}"));
	json_decref(eff);
}

static void
test_eci_group_lock_covers_socket_mount_lists(void)
{
	json_t *eff = effective("{\"enhancedContainerIsolation\": {\"locked\": true, \"value\": "
	                        "true, \"dockerSocketMount\": {\"imageList\": {\"images\": "
	                        "[\"docker:cli\"]}}}}",
	                        NULL,
	                        "{\"enhancedContainerIsolation\": {\"value\": false, "
	                        "\"dockerSocketMount\": {\"imageList\": {\"images\": [\"*\"]}, "
	                        "\"commandList\": {\"type\": \"allow\"}}}}");

	CHECK(at_is(eff, "/enhancedContainerIsolation",
	            "{\"locked\": true, \"value\": true, \"source\": \"org\", "
	            "\"dockerSocketMount\": {\"imageList\": {\"images\": [\"docker:cli\"], "
	            "\"allowDerivedImages\": true}, \"commandList\": {\"type\": \"deny\", "
	            "\"commands\": []}}}"));
	json_decref(eff);
}

static void
test_user_policy_lock_beats_org_lock(void)
{
	json_t *eff = effective("{\"blockDockerLoad\": {\"locked\": true, \"value\": true}, "
	                        "\"proxy\": {\"locked\": true, \"mode\": \"manual\"}}",
	                        "{\"blockDockerLoad\": {\"locked\": true, \"value\": false}, "
	                        "\"proxy\": {\"locked\": true, \"mode\": \"system\"}}",
	                        NULL);

	CHECK(at_is(eff, "/blockDockerLoad",
	            "{\"locked\": true, \"value\": false, \"source\": "
	            "\"user-policy\"}"));
	CHECK(at_is(eff, "/proxy/mode", "\"system\""));
	CHECK(at_is(eff, "/proxy/source", "\"user-policy\""));
	json_decref(eff);
}

static void
test_locked_org_key_beats_unlocked_user_policy_value(void)
{
	json_t *eff = effective("{\"enableCloud\": {\"locked\": true, \"value\": false}, "
	                        "\"scout\": {\"locked\": true, \"sbomIndexing\": false}}",
	                        "{\"enableCloud\": {\"locked\": false, \"value\": true}, "
	                        "\"scout\": {\"sbomIndexing\": true}}",
	                        NULL);

	CHECK(at_is(eff, "/enableCloud",
	            "{\"locked\": true, \"value\": false, \"source\": "
	            "\"org\"}"));
	CHECK(at_is(eff, "/scout/sbomIndexing", "false"));
	json_decref(eff);
}

static void
test_unlocked_user_policy_beats_unlocked_org(void)
{
	json_t *eff = effective("{\"enableDockerAI\": {\"value\": false}}",
	                        "{\"enableDockerAI\": {\"locked\": false, \"value\": true}}", NULL);

	CHECK(at_is(eff, "/enableDockerAI",
	            "{\"locked\": false, \"value\": true, \"source\": "
	            "\"user-policy\"}"));
	json_decref(eff);
}

static void
test_lock_without_value_keeps_lower_layer_value(void)
{
	json_t *eff = effective("{\"allowBetaFeatures\": {\"value\": true}}",
	                        "{\"allowBetaFeatures\": {\"locked\": true}}",
	                        "{\"allowBetaFeatures\": {\"value\": false}}");

	CHECK(at_is(eff, "/allowBetaFeatures",
	            "{\"locked\": true, \"value\": true, \"source\": "
	            "\"user-policy\"}"));
	json_decref(eff);
}

static void
test_prefs_locked_field_is_ignored(void)
{
	json_t *eff =
	    effective(NULL, NULL, "{\"extensionsEnabled\": {\"locked\": true, \"value\": false}}");

	CHECK(at_is(eff, "/extensionsEnabled",
	            "{\"locked\": false, \"value\": false, "
	            "\"source\": \"user\"}"));
	json_decref(eff);
}

static void
test_source_reports_default_when_nothing_set(void)
{
	json_t *eff = effective(NULL, NULL, NULL);

	CHECK(at_is(eff, "/configurationFileVersion", "2"));
	CHECK(at_is(eff, "/enableInferenceTCPPort",
	            "{\"locked\": false, \"value\": 12434, "
	            "\"source\": \"default\"}"));
	CHECK(at_is(eff, "/containerPolicy/source", "\"default\""));
	CHECK(at_is(eff, "/containerPolicy/allowedRegistries", "null"));
	CHECK(at_is(eff, "/linuxVM/dockerDaemonOptions/source", "\"default\""));
	json_decref(eff);
}

static void
test_namespace_children_merge_as_scalars(void)
{
	json_t *eff = effective("{\"linuxVM\": {\"wslEngineEnabled\": {\"locked\": true, "
	                        "\"value\": false}}}",
	                        NULL,
	                        "{\"linuxVM\": {\"wslEngineEnabled\": {\"value\": true}, "
	                        "\"vpnkitCIDR\": {\"value\": \"10.0.0.0/24\"}}}");

	CHECK(at_is(eff, "/linuxVM/wslEngineEnabled",
	            "{\"locked\": true, \"value\": false, "
	            "\"source\": \"org\"}"));
	CHECK(at_is(eff, "/linuxVM/vpnkitCIDR",
	            "{\"locked\": false, \"value\": "
	            "\"10.0.0.0/24\", \"source\": \"user\"}"));
	json_decref(eff);
}

static void
test_share_list_is_null_when_no_layer_sets_it(void)
{
	json_t *eff = effective("{\"analyticsEnabled\": {\"value\": true}}", NULL, NULL);

	CHECK(at_is(eff, "/filesharingAllowedDirectories", "null"));
	json_decref(eff);
	eff = effective(NULL, NULL, "{\"filesharingAllowedDirectories\": [{\"path\": \"/src\"}]}");
	CHECK(at_is(eff, "/filesharingAllowedDirectories",
	            "[{\"path\": \"/src\", \"sharedByDefault\": false, \"expandedPath\": \"/src\", "
	            "\"expandedPaths\": [\"/src\"], \"locked\": true, \"source\": \"user\"}]"));
	json_decref(eff);
}

static void
test_share_list_highest_policy_layer_wins_whole(void)
{
	json_t *eff = effective("{\"filesharingAllowedDirectories\": [{\"path\": \"$HOME\", "
	                        "\"sharedByDefault\": true}, {\"path\": \"$TMP\"}]}",
	                        "{\"filesharingAllowedDirectories\": [{\"path\": \"$TEMP/x\"}]}",
	                        "{\"filesharingAllowedDirectories\": [{\"path\": \"/\"}]}");

	CHECK(at_is(eff, "/filesharingAllowedDirectories",
	            "[{\"path\": \"$TEMP/x\", \"sharedByDefault\": false, \"expandedPath\": "
	            "\"/var/tmp/x\", \"expandedPaths\": [\"/var/tmp/x\"], \"locked\": true, "
	            "\"source\": \"user-policy\"}]"));
	json_decref(eff);
}

static void
test_expand_home_tmp_temp_whole_leading_component(void)
{
	static const struct {
		const char *raw, *want;
	} cases[] = {
	    {"$HOME", "/home/alice"},
	    {"$HOME/x", "/home/alice/x"},
	    {"$HOME/.ssh/", "/home/alice/.ssh"},
	    {"$TMP/a", "/tmp/a"},
	    {"$TEMP/a", "/var/tmp/a"},
	    {"$TEMP", "/var/tmp"},
	    {"/a/$HOME", "/a/$HOME"},
	    {"/a//b/./c/../d", "/a/b/d"},
	    /* The whole host expands to nothing: a share of, or protection for, no one. */
	    {"/../..", NULL},
	    {"/", NULL},
	    {"$HOME/../../../etc", "/etc"},
	    {"$HOMEX", NULL},
	    {"$HOMEX/a", NULL},
	    {"$TMPDIR/a", NULL},
	    {"relative/path", NULL},
	    {"~/x", NULL},
	    {"", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = settings_expand_path(cases[i].raw, &env);

		if (cases[i].want == NULL)
			CHECK(got == NULL);
		else
			CHECK_STR_EQ(got, cases[i].want);
		free(got);
	}
	{
		static const char *const rel_home[] = {"relhome"};
		struct settings_env rel = {rel_home, 1, "/tmp", "/tmp"};
		char *got = settings_expand_path("$HOME/x", &rel);

		CHECK(got == NULL);
		free(got);
	}
}

/* $HOME stands for every home given: one expansion each, in order; with none
 * it expands to nothing at all (not to the daemon's home, not to "/"). */
static void
test_home_expands_once_per_home_or_not_at_all(void)
{
	static const char *const two[] = {"/home/alice", "/srv/home/bob"};
	struct settings_env both = {two, 2, "/tmp", "/tmp"}, none = {NULL, 0, "/tmp", "/tmp"};
	json_t *all = settings_expand_all("$HOME/.ssh", &both), *eff;
	char *text;

	text = all ? json_dumps(all, JSON_COMPACT) : NULL;
	CHECK_STR_EQ(text, "[\"/home/alice/.ssh\",\"/srv/home/bob/.ssh\"]");
	free(text);
	json_decref(all);
	all = settings_expand_all("$HOME", &none);
	CHECK(all != NULL && json_array_size(all) == 0);
	json_decref(all);
	all = settings_expand_all("/srv/x", &none);
	CHECK(all != NULL && json_array_size(all) == 1);
	json_decref(all);
	CHECK(settings_expand_path("$HOME/x", &none) == NULL);

	/* The effective settings: every expansion listed, the first as expandedPath. */
	eff = j("{\"configurationFileVersion\": 2, \"filesharingAllowedDirectories\": "
	        "[{\"path\": \"$HOME\"}, {\"path\": \"/tmp\"}], \"containerPolicy\": "
	        "{\"protectedHostPaths\": [\"$HOME/.ssh\", \"/etc/docker\", \"$HOME/.aws\"]}}");
	{
		json_t *e2 = settings_effective(eff, NULL, NULL, &both);
		json_t *e0 = settings_effective(eff, NULL, NULL, &none);
		json_t *sh2 = json_object_get(e2, "filesharingAllowedDirectories");
		json_t *sh0 = json_object_get(e0, "filesharingAllowedDirectories");
		char *p2 = json_dumps(json_object_get(json_object_get(e2, "containerPolicy"),
		                                      "expandedProtectedHostPaths"),
		                      JSON_COMPACT);
		char *p0 = json_dumps(json_object_get(json_object_get(e0, "containerPolicy"),
		                                      "expandedProtectedHostPaths"),
		                      JSON_COMPACT);
		char *x2 = json_dumps(json_object_get(json_array_get(sh2, 0), "expandedPaths"),
		                      JSON_COMPACT);

		CHECK_STR_EQ(x2, "[\"/home/alice\",\"/srv/home/bob\"]");
		CHECK_STR_EQ(
		    json_string_value(json_object_get(json_array_get(sh2, 0), "expandedPath")),
		    "/home/alice");
		CHECK(json_is_null(json_object_get(json_array_get(sh0, 0), "expandedPath")));
		CHECK_INT_EQ(
		    json_array_size(json_object_get(json_array_get(sh0, 0), "expandedPaths")), 0);
		CHECK_STR_EQ(p2, "[\"/home/alice/.ssh\",\"/srv/home/bob/.ssh\",\"/etc/docker\","
		                 "\"/home/alice/.aws\",\"/srv/home/bob/.aws\"]");
		CHECK_STR_EQ(p0, "[\"/etc/docker\"]");
		CHECK(settings_uses_home(eff));
		CHECK(settings_uses_home(e0));
		free(p2);
		free(p0);
		free(x2);
		json_decref(e2);
		json_decref(e0);
	}
	json_decref(eff);
	eff = j("{\"filesharingAllowedDirectories\": [{\"path\": \"/srv/$HOME\"}], "
	        "\"containerPolicy\": {\"protectedHostPaths\": [\"$HOMEX\", \"/x\"]}}");
	CHECK(!settings_uses_home(eff));
	json_decref(eff);
}

static void
test_env_default_follows_tmp_temp_rules_and_never_home(void)
{
	struct settings_env e;

	setenv("HOME", "/home/bob", 1);
	unsetenv("TMP");
	setenv("TMPDIR", "/scratch", 1);
	unsetenv("TEMP");
	settings_env_default(&e);
	CHECK_INT_EQ(e.nhomes, 0); /* never the daemon's own home */
	CHECK(e.homes == NULL);
	CHECK_STR_EQ(e.tmp, "/scratch");
	CHECK_STR_EQ(e.temp, "/scratch");

	setenv("TMP", "/t1", 1);
	setenv("TEMP", "/t2", 1);
	settings_env_default(&e);
	CHECK_STR_EQ(e.tmp, "/t1");
	CHECK_STR_EQ(e.temp, "/t2");

	unsetenv("TMP");
	unsetenv("TMPDIR");
	unsetenv("TEMP");
	unsetenv("HOME");
	settings_env_default(&e);
	CHECK_STR_EQ(e.tmp, "/tmp");
	CHECK_STR_EQ(e.temp, "/tmp");
	CHECK_INT_EQ(e.nhomes, 0);
}

static void
test_output_keys_in_schema_order_then_unknown_org_keys(void)
{
	json_t *eff = effective("{\"zzNew\": 1, \"analyticsEnabled\": {\"value\": false}, "
	                        "\"aaNew\": {\"x\": true}}",
	                        "{\"userOnlyNew\": 1}", NULL);
	const json_t *props = json_object_get(policy_schema(), "properties");
	void *it = json_object_iter(eff);
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)props, key, v)
	{
		CHECK(it != NULL);
		if (it == NULL)
			break;
		CHECK_STR_EQ(json_object_iter_key(it), key);
		it = json_object_iter_next(eff, it);
	}
	CHECK(it != NULL);
	if (it != NULL) {
		CHECK_STR_EQ(json_object_iter_key(it), "zzNew");
		it = json_object_iter_next(eff, it);
		CHECK(it != NULL && strcmp(json_object_iter_key(it), "aaNew") == 0);
		it = it ? json_object_iter_next(eff, it) : NULL;
	}
	CHECK(it == NULL);
	CHECK(json_object_get(eff, "userOnlyNew") == NULL);
	json_decref(eff);
}

static void
test_output_is_deterministic(void)
{
	const char *org = "{\"proxy\": {\"locked\": true, \"mode\": \"manual\"}, \"new\": [1]}";
	json_t *a = effective(org, NULL, "{\"disableUpdate\": {\"value\": true}}");
	json_t *b = effective(org, NULL, "{\"disableUpdate\": {\"value\": true}}");
	char *da = json_dumps(a, JSON_COMPACT), *db = json_dumps(b, JSON_COMPACT);

	CHECK(da != NULL && db != NULL && strcmp(da, db) == 0);
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);
}

static void
test_locked_keys_lists_pref_keys_a_policy_locks(void)
{
	json_t *org = j("{\"analyticsEnabled\": {\"locked\": true, \"value\": false}, "
	                "\"disableUpdate\": {\"locked\": false, \"value\": true}, "
	                "\"enhancedContainerIsolation\": {\"locked\": true, \"value\": true}, "
	                "\"linuxVM\": {\"vpnkitCIDR\": {\"locked\": true, \"value\": "
	                "\"10.0.0.0/24\"}}}");
	json_t *up = j("{\"proxy\": {\"locked\": true}, \"filesharingAllowedDirectories\": []}");
	json_t *prefs = j("{\"disableUpdate\": {\"value\": false}, \"analyticsEnabled\": "
	                  "{\"value\": true}, \"proxy\": {\"mode\": \"manual\", \"http\": \"x\"}, "
	                  "\"enhancedContainerIsolation\": {\"value\": false, "
	                  "\"dockerSocketMount\": {\"imageList\": {\"images\": []}}}, "
	                  "\"linuxVM\": {\"vpnkitCIDR\": {\"value\": \"1.0.0.0/8\"}, "
	                  "\"wslEngineEnabled\": {\"value\": false}}, "
	                  "\"filesharingAllowedDirectories\": [], \"kubernetes\": {\"enabled\": "
	                  "true}, \"unknownKey\": 1}");
	json_t *got = settings_locked_keys(org, up, prefs);
	json_t *want = j("[\"/analyticsEnabled\", \"/proxy/mode\", \"/proxy/http\", "
	                 "\"/enhancedContainerIsolation/value\", "
	                 "\"/enhancedContainerIsolation/dockerSocketMount/imageList/images\", "
	                 "\"/linuxVM/vpnkitCIDR\", \"/filesharingAllowedDirectories\"]");

	CHECK(got != NULL && json_equal(got, want));
	json_decref(got);
	got = settings_locked_keys(NULL, NULL, prefs);
	CHECK_INT_EQ(json_array_size(got), 0);
	json_decref(got);
	got = settings_locked_keys(org, up, NULL);
	CHECK(json_is_array(got) && json_array_size(got) == 0);
	json_decref(got);
	json_decref(want);
	json_decref(org);
	json_decref(up);
	json_decref(prefs);
}

int
main(void)
{
	RUN(test_locked_key_rejects_user_override);
	RUN(test_unlocked_key_is_a_default_the_user_may_change);
	RUN(test_group_lock_locks_every_field);
	RUN(test_eci_group_lock_covers_socket_mount_lists);
	RUN(test_user_policy_lock_beats_org_lock);
	RUN(test_locked_org_key_beats_unlocked_user_policy_value);
	RUN(test_unlocked_user_policy_beats_unlocked_org);
	RUN(test_lock_without_value_keeps_lower_layer_value);
	RUN(test_prefs_locked_field_is_ignored);
	RUN(test_source_reports_default_when_nothing_set);
	RUN(test_namespace_children_merge_as_scalars);
	RUN(test_share_list_is_null_when_no_layer_sets_it);
	RUN(test_share_list_highest_policy_layer_wins_whole);
	RUN(test_expand_home_tmp_temp_whole_leading_component);
	RUN(test_env_default_follows_tmp_temp_rules_and_never_home);
	RUN(test_home_expands_once_per_home_or_not_at_all);
	RUN(test_output_keys_in_schema_order_then_unknown_org_keys);
	RUN(test_output_is_deterministic);
	RUN(test_locked_keys_lists_pref_keys_a_policy_locks);
	return CHECK_DONE();
}
