/* SPDX-License-Identifier: Apache-2.0 */
/* Syslog forwarding, the pure half: --syslog targets, and RFC 5424 messages
 * (header fields, structured data escaping, NILVALUEs, the size cap). */
#include "audit/audit_syslog.h"
#include "check.h"

static void
test_targets_parse(void)
{
	struct audit_syslog_target t;
	char *err = NULL;

	CHECK(audit_syslog_parse_target("tcp:siem.example:6514", &t, &err) == 0);
	CHECK_INT_EQ(t.proto, SYSLOG_TCP);
	CHECK_STR_EQ(t.host, "siem.example");
	CHECK_STR_EQ(t.port, "6514");
	CHECK(audit_syslog_parse_target("udp:127.0.0.1:514", &t, &err) == 0);
	CHECK_INT_EQ(t.proto, SYSLOG_UDP);
	CHECK(audit_syslog_parse_target("tls:[::1]:6514", &t, &err) == 0);
	CHECK_INT_EQ(t.proto, SYSLOG_TLS);
	CHECK_STR_EQ(t.host, "::1");
	CHECK(audit_syslog_parse_target("unix:/dev/log", &t, &err) == 0);
	CHECK_INT_EQ(t.proto, SYSLOG_UNIX);
	CHECK_STR_EQ(t.path, "/dev/log");
}

static void
test_bad_targets_are_refused(void)
{
	static const char *const bad[] = {
	    "",         "tcp:",     "tcp:host",      "tcp:host:0", "tcp:host:65536",
	    "tcp::514", "tcp:h:5x", "unix:relative", "relp:h:514", "tls:[::1:6514"};
	struct audit_syslog_target t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		CHECK(audit_syslog_parse_target(bad[i], &t, &err) == -1);
		CHECK(err != NULL);
		free(err);
	}
}

static struct audit_row
row(void)
{
	struct audit_row r = {0};

	r.id = 42;
	r.time = "2026-11-29T12:00:00.123456Z";
	r.action = "container.create.denied";
	r.actor = "alice";
	r.host = "dev-1";
	r.component = "authz";
	r.subject = "alpine";
	r.decision = "deny";
	r.rules = "[\"privileged\",\"host-pid\"]";
	r.data = "{\"a\":1}";
	r.policy_version = 7;
	r.hash = "ab12";
	return r;
}

static void
test_deny_message_layout(void)
{
	struct audit_row r = row();
	size_t len = 0;
	char *m = audit_syslog_format(&r, 123, &len);

	CHECK_STR_EQ(m, "<108>1 2026-11-29T12:00:00.123456Z dev-1 lockset 123 "
	                "container.create.denied [lockset@32473 id=\"42\" hash=\"ab12\" "
	                "action=\"container.create.denied\" actor=\"alice\" subject=\"alpine\" "
	                "component=\"authz\" decision=\"deny\" rules=\"privileged,host-pid\" "
	                "policyVersion=\"7\"] {\"a\":1}");
	CHECK_INT_EQ(len, strlen(m));
	free(m);
}

static void
test_values_are_escaped_and_empty_ones_left_out(void)
{
	struct audit_row r = row();
	size_t len = 0;
	char *m;

	r.actor = "a\"b\\c]d";
	r.subject = "";
	r.host = "";
	r.decision = "allow";
	r.rules = "[]";
	r.policy_version = -1;
	r.action = "policy.updated with spaces";
	m = audit_syslog_format(&r, 1, &len);
	CHECK(strncmp(m, "<109>1 ", 7) == 0);
	CHECK(strstr(m, " - lockset 1 policy.updated_with_spaces [") != NULL);
	CHECK(strstr(m, "actor=\"a\\\"b\\\\c\\]d\"") != NULL);
	CHECK(strstr(m, "subject=") == NULL);
	CHECK(strstr(m, "rules=") == NULL);
	CHECK(strstr(m, "policyVersion=") == NULL);
	free(m);
}

/* A value can never end a line or start another: the controls (C0, DEL,
 * C1) and the Unicode line and paragraph separators go as \uXXXX, a value
 * cut at the cap is cut between characters, and invalid UTF-8 goes as \xHH. */
static void
test_values_cannot_break_lines(void)
{
	struct audit_row r = row();
	size_t len = 0;
	char *m, *cut;

	r.actor = "alice\n<108>1 2026-11-30T08:00:00Z host lockset 1 policy.updated [x]";
	r.subject = "alpine\r\x01\x7f"
	            "\xc2\x85"     /* NEL */
	            "\xe2\x80\xa8" /* LINE SEPARATOR */
	            "\xe2\x80\xa9" /* PARAGRAPH SEPARATOR */
	            "\xff\xc3"     /* not UTF-8 */
	            "\xc3\xa9";    /* e acute, kept */
	m = audit_syslog_format(&r, 1, &len);
	CHECK(strchr(m, '\n') == NULL && strchr(m, '\r') == NULL);
	CHECK(strstr(m, "actor=\"alice\\u000a<108>1 ") != NULL);
	CHECK(strstr(m, "subject=\"alpine\\u000d\\u0001\\u007f\\u0085\\u2028\\u2029"
	                "\\xff\\xc3\xc3\xa9\"") != NULL);
	free(m);

	/* The body is JSON whose strings jansson writes with DEL, C1 controls,
	 * U+2028, U+2029 and bidi controls as they are: they go as \uXXXX. */
	r.data =
	    "{\"actor\":\"a\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xc2\x9f\xc3\xa9\x7f\xe2\x80\xae\"}";
	m = audit_syslog_format(&r, 1, &len);
	CHECK(strstr(m, "{\"actor\":\"a\\u0085\\u2028\\u2029\\u009f\xc3\xa9\\u007f\\u202e\"}") !=
	      NULL);
	free(m);
	r.data = row().data;

	/* 511 x's and a two-byte character across the 512-byte cap. */
	cut = malloc(600);
	memset(cut, 'x', 511);
	memcpy(cut + 511, "\xc3\xa9yy", 5);
	r.subject = cut;
	m = audit_syslog_format(&r, 1, &len);
	CHECK(strstr(m, "xxxx\" ") != NULL || strstr(m, "xxxx\"]") != NULL);
	CHECK(strstr(m, "\xc3\"") == NULL);
	free(m);
	free(cut);
}

static void
test_message_is_capped(void)
{
	struct audit_row r = row();
	size_t len = 0, big = 3 * AUDIT_SYSLOG_MAX;
	char *data = malloc(big + 1), *m;

	memset(data, 'x', big);
	data[big] = '\0';
	r.data = data;
	m = audit_syslog_format(&r, 1, &len);
	CHECK_INT_EQ(len, AUDIT_SYSLOG_MAX);
	CHECK(strstr(m, "[lockset@32473 id=\"42\"") != NULL);
	CHECK(m[len - 1] == 'x');
	free(m);
	free(data);
}

int
main(void)
{
	RUN(test_targets_parse);
	RUN(test_bad_targets_are_refused);
	RUN(test_deny_message_layout);
	RUN(test_values_are_escaped_and_empty_ones_left_out);
	RUN(test_values_cannot_break_lines);
	RUN(test_message_is_capped);
	return CHECK_DONE();
}
