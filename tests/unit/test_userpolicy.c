/* SPDX-License-Identifier: Apache-2.0 */
/* Per-user policies against a real audit log and policy history in a
 * temporary directory: set, get, list and delete; the name check; a change
 * the store or the audit log refuses leaves nothing behind; the policies
 * survive a reopen; and decisions use the user's own compiled policy. */
#include "server.h"
#include "audit/audit.h"
#include "check.h"
#include "testsrv.h"
#include "testutil.h"
#include "policy/policystore.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "policy/userpolicy.h"
#include "util/problems.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The state main.c would own. */
static struct server srv;

static char dir[] = "/tmp/lockset-userpolicy-XXXXXX";

#define ORG_DOC "{\"configurationFileVersion\": 2}"
#define USER_DOC                                                                                \
	"{\"configurationFileVersion\": 2, \"blockDockerLoad\": {\"locked\": true, \"value\": " \
	"true}}"

/* Audit rows with this action for this subject. */
static long
audit_rows(const char *action, const char *user)
{
	struct audit_query q = AUDIT_QUERY_INIT;
	struct audit_cursor *cur;
	struct audit_row row;
	struct problems errs = PROBLEMS_INIT;
	long n = 0;

	q.action = action;
	q.subject = user;
	q.limit = 0;
	if ((cur = audit_query_open(srv.audit, &q, &errs)) == NULL) {
		fprintf(stderr, "audit query failed (%zu problems)\n", errs.n);
		problems_clear(&errs);
		return -1;
	}
	while (audit_cursor_next(cur, &row) == 1)
		n++;
	audit_cursor_close(cur);
	return n;
}

static enum userpolicy_status
set(const char *user, const char *text, long long *version)
{
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	enum userpolicy_status st =
	    userpolicy_set(srv.userpolicy, user, doc, "uid:0", "test", version, NULL, NULL);

	json_decref(doc);
	return st;
}

static void
test_name_check_refuses_hidden_and_path_characters(void)
{
	static const char *const good[] = {"alice", "DOMAIN\\bob", "Zo\xc3\xab", "a.b-c_d@x"};
	static const char *const bad[] = {"",
	                                  "a/b",
	                                  "tab\there",
	                                  "del\x7f",
	                                  "rl\xe2\x80\xaeo",  /* U+202E right-to-left override */
	                                  "zw\xe2\x80\x8bsp", /* U+200B zero width space */
	                                  "bom\xef\xbb\xbf",  /* U+FEFF */
	                                  "c1\xc2\x85",       /* U+0085 (C1 control) */
	                                  "cut\xc3",          /* truncated sequence */
	                                  "over\xc0\xaf",     /* overlong '/' */
	                                  "sur\xed\xa0\x80"}; /* a surrogate */
	struct problems errs = PROBLEMS_INIT;
	char longname[258];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_INT_EQ(userpolicy_name_valid(good[i], "user", &errs), 1);
	CHECK_INT_EQ(errs.n, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (userpolicy_name_valid(bad[i], "user", &errs) != 0)
			fprintf(stderr, "# accepted bad name %zu\n", i);
	}
	CHECK_INT_EQ(errs.n, sizeof(bad) / sizeof(bad[0]));
	CHECK(errs.n > 0 && strcmp(errs.v[0].path, "user") == 0);
	memset(longname, 'x', 256);
	longname[256] = '\0';
	CHECK_INT_EQ(userpolicy_name_valid(longname, "user", NULL), 1);
	longname[256] = 'x';
	longname[257] = '\0';
	CHECK_INT_EQ(userpolicy_name_valid(longname, "user", NULL), 0);
	problems_clear(&errs);
}

/* A set is versioned in the history, audited once, and wakes the user's
 * long-polls (here an "any" waiter, woken by every change). */
static int woken;
static void
on_fire(struct served_waiter *w)
{
	(void)w;
	__atomic_add_fetch(&woken, 1, __ATOMIC_RELAXED);
}

static void
test_set_get_list_and_versions(void)
{
	struct served_waiter w = {.fire = on_fire, .fd = -1};
	long long version = 0, got = 0;
	json_t *doc, *list;

	CHECK(userpolicy_get(srv.userpolicy, "alice", &got) == NULL);
	clock_gettime(CLOCK_MONOTONIC, &w.deadline);
	w.deadline.tv_sec += 3600;
	served_wait_add_any(srv.served, &w);
	CHECK_INT_EQ(set("alice", USER_DOC, &version), UP_OK);
	CHECK_INT_EQ(version, 1);
	CHECK_INT_EQ(__atomic_load_n(&woken, __ATOMIC_RELAXED), 1);
	CHECK_INT_EQ(audit_rows("policy.user.updated", "alice"), 1);
	doc = userpolicy_get(srv.userpolicy, "alice", &got);
	CHECK(doc != NULL);
	CHECK_INT_EQ(got, 1);
	CHECK(json_is_true(json_object_get(json_object_get(doc, "blockDockerLoad"), "value")));
	json_decref(doc);

	CHECK_INT_EQ(set("alice", ORG_DOC, &version), UP_OK);
	CHECK_INT_EQ(version, 2);
	CHECK_INT_EQ(set("aaron", USER_DOC, &version), UP_OK);
	CHECK_INT_EQ(version, 1);
	list = userpolicy_list(srv.userpolicy);
	CHECK_INT_EQ(json_array_size(list), 2);
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(list, 0), "user")), "aaron");
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(list, 1), "user")), "alice");
	CHECK_INT_EQ(json_integer_value(json_object_get(json_array_get(list, 1), "version")), 2);
	json_decref(list);
}

static void
test_delete_removes_and_a_second_delete_is_not_found(void)
{
	long long version = 0;
	json_t *list;

	CHECK_INT_EQ(set("aaron", NULL, &version), UP_OK);
	CHECK_INT_EQ(version, 2);
	CHECK(userpolicy_get(srv.userpolicy, "aaron", NULL) == NULL);
	CHECK_INT_EQ(audit_rows("policy.user.deleted", "aaron"), 1);
	CHECK_INT_EQ(set("aaron", NULL, &version), UP_NOT_FOUND);
	CHECK_INT_EQ(set("nobody", NULL, &version), UP_NOT_FOUND);
	CHECK_INT_EQ(audit_rows("policy.user.deleted", "aaron"), 1);
	list = userpolicy_list(srv.userpolicy);
	CHECK_INT_EQ(json_array_size(list), 1);
	json_decref(list);
}

/* The history refuses the write: nothing changes, nothing is audited. */
static void
test_store_refusal_changes_nothing(void)
{
	long long version = 0, got = 0;
	json_t *doc;

	CHECK_INT_EQ(testdb_exec(dir, "CREATE TRIGGER refuse BEFORE INSERT ON user_policies "
	                              "BEGIN SELECT RAISE(ABORT, 'refused'); END"),
	             SQLITE_OK);
	CHECK_INT_EQ(set("alice", USER_DOC, &version), UP_STORE);
	CHECK_INT_EQ(testdb_exec(dir, "DROP TRIGGER refuse"), SQLITE_OK);
	doc = userpolicy_get(srv.userpolicy, "alice", &got);
	CHECK_INT_EQ(got, 2);
	CHECK(doc != NULL && json_object_size(doc) == 1); /* ORG_DOC: the version alone */
	json_decref(doc);
	CHECK_INT_EQ(audit_rows("policy.user.updated", "alice"), 2);
}

/* The audit log refuses the row: the version is withdrawn (fail closed) and
 * the next change takes the number again. */
static void
test_audit_refusal_withdraws_the_version(void)
{
	long long version = 0, got = 0;
	json_t *doc, *hist;

	CHECK_INT_EQ(testdb_exec(dir, "CREATE TRIGGER refuse BEFORE INSERT ON events "
	                              "BEGIN SELECT RAISE(ABORT, 'refused'); END"),
	             SQLITE_OK);
	CHECK_INT_EQ(set("alice", USER_DOC, &version), UP_AUDIT);
	CHECK_INT_EQ(set("carol", USER_DOC, &version), UP_AUDIT);
	CHECK_INT_EQ(testdb_exec(dir, "DROP TRIGGER refuse"), SQLITE_OK);
	doc = userpolicy_get(srv.userpolicy, "alice", &got);
	CHECK_INT_EQ(got, 2);
	CHECK(doc != NULL && json_object_size(doc) == 1); /* ORG_DOC: the version alone */
	json_decref(doc);
	CHECK(userpolicy_get(srv.userpolicy, "carol", NULL) == NULL);
	hist = policystore_user_history(srv.policystore, "alice", 10);
	CHECK_INT_EQ(json_array_size(hist), 2);
	json_decref(hist);
	hist = policystore_user_history(srv.policystore, "carol", 10);
	CHECK_INT_EQ(json_array_size(hist), 0);
	json_decref(hist);
	CHECK_INT_EQ(set("alice", USER_DOC, &version), UP_OK);
	CHECK_INT_EQ(version, 3);
}

static void
test_policies_survive_a_reopen(void)
{
	long long got = 0;
	char *err = NULL;
	json_t *doc, *list;

	userpolicy_close(srv.userpolicy);
	srv.userpolicy = userpolicy_open(srv.served, srv.policystore, srv.audit, &err);
	CHECK(srv.userpolicy != NULL);
	free(err);
	if (srv.userpolicy == NULL)
		return;
	doc = userpolicy_get(srv.userpolicy, "alice", &got);
	CHECK(doc != NULL);
	CHECK_INT_EQ(got, 3);
	json_decref(doc);
	CHECK(userpolicy_get(srv.userpolicy, "aaron", NULL) == NULL);
	list = userpolicy_list(srv.userpolicy);
	CHECK_INT_EQ(json_array_size(list), 1);
	json_decref(list);
}

/* Alice is judged by her own compiled policy and sees its layer in her
 * effective settings; a user without one gets the org's. */
static void
test_decide_and_effective_use_the_users_layer(void)
{
	struct served *s = served_acquire(srv.served);
	void *hold = NULL;
	const struct decide_policy *dp;
	json_t *eff;
	int unavailable = 1;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	dp = userpolicy_decide(srv.userpolicy, s, "alice", &hold);
	CHECK(dp != NULL && dp != s->dp && hold != NULL);
	userpolicy_release(hold);
	CHECK(userpolicy_decide(srv.userpolicy, s, "dave", &hold) == s->dp);
	CHECK(hold == NULL);
	CHECK(userpolicy_decide(srv.userpolicy, s, NULL, &hold) == s->dp);
	eff = userpolicy_effective(srv.userpolicy, s, "alice", &unavailable);
	CHECK_INT_EQ(unavailable, 0);
	CHECK(eff != NULL);
	CHECK_STR_EQ(json_string_value(json_object_get(eff, "user")), "alice");
	CHECK_INT_EQ(json_integer_value(json_object_get(eff, "userPolicyVersion")), 3);
	CHECK(json_is_true(json_object_get(json_object_get(eff, "blockDockerLoad"), "value")));
	json_decref(eff);
	eff = userpolicy_effective(srv.userpolicy, s, "dave", &unavailable);
	CHECK(eff != NULL && json_is_null(json_object_get(eff, "userPolicyVersion")));
	json_decref(eff);
	served_release(s);
}

/* Two tables over one history: a change made through one is in its memory
 * (and the history) only; the other sees it once it is opened again. */
static void
test_two_tables_share_nothing(void)
{
	struct userpolicy *other = userpolicy_open(srv.served, srv.policystore, srv.audit, NULL);
	long long v = 0;
	json_t *doc = json_loads(USER_DOC, 0, NULL), *got;

	CHECK(other != NULL && doc != NULL);
	if (other == NULL || doc == NULL)
		goto out;
	/* Both loaded alice from the history. */
	got = userpolicy_get(other, "alice", NULL);
	CHECK(got != NULL);
	json_decref(got);
	CHECK_INT_EQ(userpolicy_set(other, "erin", doc, "uid:0", "test", &v, NULL, NULL), UP_OK);
	got = userpolicy_get(other, "erin", NULL);
	CHECK(got != NULL);
	json_decref(got);
	CHECK(userpolicy_get(srv.userpolicy, "erin", NULL) == NULL);
	/* Deleting alice in ours leaves the other's copy. */
	CHECK_INT_EQ(set("alice", NULL, &v), UP_OK);
	CHECK(userpolicy_get(srv.userpolicy, "alice", NULL) == NULL);
	got = userpolicy_get(other, "alice", NULL);
	CHECK(got != NULL);
	json_decref(got);
out:
	json_decref(doc);
	userpolicy_close(other);
}

int
main(void)
{
	struct audit_opts aopts = {.synchronous_full = 1};
	char cmd[128];

	if (mkdtemp(dir) == NULL || testsrv_open(&srv, dir, &aopts) != 0 ||
	    served_install(srv.served, json_loads(ORG_DOC, 0, NULL), 1) != 0)
		return 99;
	RUN(test_name_check_refuses_hidden_and_path_characters);
	RUN(test_set_get_list_and_versions);
	RUN(test_delete_removes_and_a_second_delete_is_not_found);
	RUN(test_store_refusal_changes_nothing);
	RUN(test_audit_refusal_withdraws_the_version);
	RUN(test_policies_survive_a_reopen);
	RUN(test_decide_and_effective_use_the_users_layer);
	RUN(test_two_tables_share_nothing);
	testsrv_close(&srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
