/* SPDX-License-Identifier: Apache-2.0 */
/* API tokens against a real SQLite database, on a clock the test sets:
 * expiry, revocation, the failure window that never refuses a valid secret,
 * and two token tables (and two sets of role maps) that share nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "audit/audit.h"
#include "store/db.h"
#include "http/auth.h"
#include "http/tokens.h"

static char dir[] = "/tmp/lockset-tokens-XXXXXX";
static char path[4200];
static struct db *db_a, *db_b;
static struct tokens *toks; /* the table most tests use, over db_a */

static enum role
verify_as(struct tokens *t, const char *secret, const struct peer *who, time_t now, int *limited)
{
	char name[80];
	long long expires = 0;

	*limited = 0;
	return tokens_verify_at(t, secret, who, now, name, sizeof(name), &expires, limited);
}

/* A TCP caller known only by its address. */
static enum role
verify_in(struct tokens *t, const char *secret, const char *addr, time_t now, int *limited)
{
	struct peer who = {.uid = (uid_t)-1, .gid = (gid_t)-1};

	snprintf(who.addr, sizeof(who.addr), "%s", addr);
	return verify_as(t, secret, &who, now, limited);
}

static enum role
verify(const char *secret, const char *addr, time_t now, int *limited)
{
	return verify_in(toks, secret, addr, now, limited);
}

static void
test_token_expires_on_the_clock(void)
{
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL;
	time_t now = time(NULL);
	int limited;

	CHECK_INT_EQ(tokens_create(toks, "short", ROLE_AUDITOR, 60, "test", &secret, &errs), 0);
	CHECK(secret != NULL);
	CHECK_INT_EQ(verify(secret, "127.0.0.1", now, &limited), ROLE_AUDITOR);
	CHECK_INT_EQ(verify(secret, "127.0.0.1", now + 59, &limited), ROLE_AUDITOR);
	CHECK_INT_EQ(verify(secret, "127.0.0.1", now + 61, &limited), ROLE_NONE);
	free(secret);
	problems_clear(&errs);
}

static void
test_revoked_token_fails_at_once(void)
{
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL;
	int limited;

	CHECK_INT_EQ(tokens_create(toks, "gone", ROLE_RUNTIME, 0, "test", &secret, &errs), 0);
	CHECK_INT_EQ(verify(secret, "127.0.0.2", time(NULL), &limited), ROLE_RUNTIME);
	CHECK_INT_EQ(tokens_revoke(toks, "gone"), 0);
	CHECK_INT_EQ(verify(secret, "127.0.0.2", time(NULL), &limited), ROLE_NONE);
	CHECK_INT_EQ(tokens_revoke(toks, "gone"), 1);
	free(secret);
	problems_clear(&errs);
}

/* Ten failures from one address within the window limit its further
 * failures, never a correct secret; the window passes on the clock. */
static void
test_failure_window_limits_failures_not_valid_secrets(void)
{
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL;
	time_t now = time(NULL);
	int limited = 0, i;

	CHECK_INT_EQ(tokens_create(toks, "valid", ROLE_ADMIN, 0, "test", &secret, &errs), 0);
	for (i = 0; i < 10; i++)
		CHECK_INT_EQ(verify("lst_wrong", "10.9.9.9", now, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 0);
	CHECK_INT_EQ(verify("lst_wrong", "10.9.9.9", now, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 1);
	CHECK_INT_EQ(verify(secret, "10.9.9.9", now, &limited), ROLE_ADMIN);
	CHECK_INT_EQ(verify("lst_wrong", "10.9.9.9", now + 120, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 0);
	free(secret);
	problems_clear(&errs);
}

/* A loopback caller: its address, and the uid of its socket (-1: not known). */
static struct peer
local_peer(const char *addr, long owner)
{
	struct peer who = {.uid = (uid_t)-1, .gid = (gid_t)-1, .loopback = 1};

	snprintf(who.addr, sizeof(who.addr), "%s", addr);
	who.owner_known = owner >= 0;
	who.owner = owner >= 0 ? (uid_t)owner : (uid_t)-1;
	return who;
}

/* Who a caller is for the limits: a local uid, whatever address of
 * 127.0.0.0/8 it connects from; all loopback callers of unknown owner
 * together; otherwise an address without its port. */
static void
test_peer_keys(void)
{
	const struct {
		struct peer who;
		const char *key;
	} cases[] = {
	    {local_peer("127.0.0.1:4000", 1000), "uid:1000"},
	    {local_peer("127.3.4.5:4001", 1000), "uid:1000"},
	    {local_peer("127.0.0.1:4002", 1001), "uid:1001"},
	    {local_peer("127.9.9.9:4003", -1), "loopback"},
	    {local_peer("[::1]:4004", -1), "loopback"},
	    {{.addr = "10.1.2.3:5555"}, "10.1.2.3"},
	    {{.addr = "[2001:db8::7]:5555"}, "[2001:db8::7]"},
	    {{.is_unix = 1, .uid = 1000}, "uid:1000"},
	};
	char k[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		auth_peer_key(&cases[i].who, k, sizeof(k));
		CHECK_STR_EQ(k, cases[i].key);
	}
}

/* Moving to another address of 127.0.0.0/8 is no way around the failure
 * window: a local caller's failures count against its uid; another uid has
 * its own window. */
static void
test_loopback_failures_count_per_uid(void)
{
	time_t now = time(NULL);
	int limited = 0;
	char addr[64];

	for (int i = 0; i < 10; i++) {
		struct peer who;
		snprintf(addr, sizeof(addr), "127.0.%d.%d:4242", i / 200, 1 + i % 200);
		who = local_peer(addr, 2000);
		CHECK_INT_EQ(verify_as(toks, "lst_wrong", &who, now, &limited), ROLE_NONE);
		CHECK_INT_EQ(limited, 0);
	}
	{
		struct peer again = local_peer("127.77.0.1:4242", 2000);
		struct peer other = local_peer("127.77.0.1:4243", 2001);
		CHECK_INT_EQ(verify_as(toks, "lst_wrong", &again, now, &limited), ROLE_NONE);
		CHECK_INT_EQ(limited, 1);
		CHECK_INT_EQ(verify_as(toks, "lst_wrong", &other, now, &limited), ROLE_NONE);
		CHECK_INT_EQ(limited, 0);
	}
	/* Unknown owners share one window. */
	for (int i = 0; i < 10; i++) {
		struct peer who;
		snprintf(addr, sizeof(addr), "127.1.0.%d:4242", 1 + i);
		who = local_peer(addr, -1);
		verify_as(toks, "lst_wrong", &who, now, &limited);
	}
	{
		struct peer who = local_peer("127.1.0.99:4242", -1);
		CHECK_INT_EQ(verify_as(toks, "lst_wrong", &who, now, &limited), ROLE_NONE);
		CHECK_INT_EQ(limited, 1);
	}
}

/* Rows of the audit log in adir with this action (and actor, when given). */
static int
auth_rows(const char *adir, const char *action, const char *actor)
{
	char p[4300];
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	snprintf(p, sizeof(p), "%s/lockset.db", adir);
	if (sqlite3_open_v2(p, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c,
	                       "SELECT count(*) FROM events WHERE action = ?1 "
	                       "AND (?2 IS NULL OR actor = ?2)",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
		if (actor != NULL)
			sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(c);
	return n;
}

/* Callers that each fail once, from as many addresses as they like (a
 * remote network, IPv6), are each under their own limit: the log still
 * takes at most TOKEN_AUDIT_MAX (100) of their failures in a window, then
 * one row saying the rest are only counted, until the window passes. */
static void
test_failures_are_audited_within_a_budget(void)
{
	char adir[] = "/tmp/lockset-tokens-audit-XXXXXX", addr[64];
	struct audit_opts o = {0, 0, 0, "testhost", 0, NULL, 0};
	struct audit *a;
	struct tokens *t;
	char *err = NULL;
	time_t now = time(NULL);
	int limited = 0;

	if (mkdtemp(adir) == NULL || (a = audit_open(adir, &o, &err)) == NULL) {
		CHECK(!"an audit log to record into");
		free(err);
		return;
	}
	t = tokens_open(db_b, a, &err);
	CHECK(t != NULL);
	for (int i = 0; t != NULL && i < 150; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d:4000", i / 250, 1 + i % 250);
		CHECK_INT_EQ(verify_in(t, "lst_wrong", addr, now, &limited), ROLE_NONE);
		CHECK_INT_EQ(limited, 0); /* none of them is over its own limit */
	}
	CHECK_INT_EQ(auth_rows(adir, "auth.failed", NULL), 100);
	CHECK_INT_EQ(auth_rows(adir, "auth.rate_limited", "*"), 1);
	CHECK_INT_EQ(auth_rows(adir, "auth.rate_limited", NULL), 1);
	CHECK_INT_EQ(auth_rows(adir, "auth.failed", "10.0.0.100:4000"), 1);
	CHECK_INT_EQ(auth_rows(adir, "auth.failed", "10.0.0.101:4000"), 0);
	/* The next window audits again. */
	if (t != NULL)
		verify_in(t, "lst_wrong", "10.0.9.9:4000", now + 61, &limited);
	CHECK_INT_EQ(auth_rows(adir, "auth.failed", "10.0.9.9:4000"), 1);
	tokens_close(t);
	audit_close(a);
	free(err);
	snprintf(path, sizeof(path), "rm -rf '%s'", adir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", adir);
}

/* A token created in one table authenticates in that table only, and its
 * generation moves alone. */
static void
test_two_tables_do_not_share_tokens(void)
{
	struct problems errs = PROBLEMS_INIT;
	struct tokens *other;
	char *secret = NULL, *err = NULL;
	unsigned gen_a, gen_b;
	int limited;
	json_t *list;

	other = tokens_open(db_b, NULL, &err);
	CHECK(other != NULL);
	if (other == NULL)
		return;
	gen_a = tokens_generation(toks);
	gen_b = tokens_generation(other);
	CHECK_INT_EQ(tokens_create(other, "elsewhere", ROLE_ADMIN, 0, "test", &secret, &errs), 0);
	CHECK_INT_EQ(verify_in(other, secret, "127.0.0.3", time(NULL), &limited), ROLE_ADMIN);
	CHECK_INT_EQ(verify(secret, "127.0.0.3", time(NULL), &limited), ROLE_NONE);
	CHECK(tokens_generation(other) != gen_b);
	CHECK_INT_EQ(tokens_generation(toks), gen_a);
	CHECK_INT_EQ(tokens_revoke(toks, "elsewhere"), 1);
	list = tokens_list(other);
	CHECK_INT_EQ(json_array_size(list), 1);
	json_decref(list);
	tokens_close(other);
	free(secret);
	problems_clear(&errs);
}

/* Failures counted by one table do not limit the same address in another. */
static void
test_two_tables_do_not_share_failure_windows(void)
{
	struct tokens *other;
	char *err = NULL;
	time_t now = time(NULL);
	int limited = 0;

	other = tokens_open(db_b, NULL, &err);
	CHECK(other != NULL);
	if (other == NULL)
		return;
	for (int i = 0; i < 11; i++)
		verify_in(other, "lst_wrong", "10.8.8.8", now, &limited);
	CHECK_INT_EQ(limited, 1);
	CHECK_INT_EQ(verify("lst_wrong", "10.8.8.8", now, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 0);
	tokens_close(other);
}

/* Role maps and the token table belong to one struct auth each. */
static void
test_two_auths_do_not_share_role_maps(void)
{
	struct auth *a = auth_new(), *b = auth_new();
	struct peer p = {.is_unix = 0, .addr = "127.0.0.4:5555"};
	struct problems errs = PROBLEMS_INIT;
	char *err = NULL, *secret = NULL, authz[128];

	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		goto out;
	CHECK_INT_EQ(auth_role_map_add(a, "uid:4242=auditor", &err), 0);
	CHECK_INT_EQ(auth_unix_role(a, 4242, 4242), ROLE_AUDITOR);
	CHECK_INT_EQ(auth_unix_role(b, 4242, 4242), ROLE_NONE);
	CHECK_INT_EQ(auth_unix_role(b, 0, 0), ROLE_ADMIN);
	CHECK_INT_EQ(tokens_create(toks, "for-a", ROLE_RUNTIME, 0, "test", &secret, &errs), 0);
	snprintf(authz, sizeof(authz), "Bearer %s", secret);
	auth_set_tokens(a, toks);
	CHECK_INT_EQ(auth_identify(a, &p, authz, NULL), 0);
	CHECK_INT_EQ(p.role, ROLE_RUNTIME);
	CHECK_STR_EQ(p.name, "token:for-a");
	CHECK_INT_EQ(auth_identify(b, &p, authz, NULL), 0);
	CHECK_INT_EQ(p.role, ROLE_NONE);
	CHECK_STR_EQ(p.name, "anonymous@127.0.0.4:5555");
out:
	auth_free(a);
	auth_free(b);
	free(secret);
	free(err);
	problems_clear(&errs);
}

/* The longest names a peer can have are kept whole, since the audit log
 * and the caps count callers by them: a 64-byte token name, verified and
 * then taken from the connection's cache, and the longest IPv6 address. */
static void
test_longest_peer_names_are_kept_whole(void)
{
	struct auth *a = auth_new();
	struct auth_cache *cache = NULL;
	struct peer p = {.is_unix = 0,
	                 .addr = "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535"};
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL, authz[128], name[AUTH_TOKEN_NAME_MAX + 1], want[96];

	CHECK(a != NULL);
	if (a == NULL)
		return;
	memset(name, 'n', AUTH_TOKEN_NAME_MAX);
	name[AUTH_TOKEN_NAME_MAX] = '\0';
	CHECK_INT_EQ(tokens_create(toks, name, ROLE_AUDITOR, 0, "test", &secret, &errs), 0);
	snprintf(authz, sizeof(authz), "Bearer %s", secret ? secret : "");
	auth_set_tokens(a, toks);
	snprintf(want, sizeof(want), "token:%s", name);
	for (int round = 0; round < 2; round++) { /* verified, then from the cache */
		CHECK_INT_EQ(auth_identify(a, &p, authz, &cache), 0);
		CHECK_INT_EQ(p.role, ROLE_AUDITOR);
		CHECK_STR_EQ(p.name, want);
	}
	CHECK_INT_EQ(auth_identify(a, &p, NULL, &cache), 0);
	CHECK_STR_EQ(p.name, "anonymous@[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535");
	free(cache);
	auth_free(a);
	free(secret);
	problems_clear(&errs);
}

static struct db *
open_db(const char *name)
{
	char *err = NULL;
	struct db *d;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	d = db_open(path, NULL, &err);
	if (d == NULL)
		fprintf(stderr, "cannot open the database: %s\n", err ? err : "?");
	free(err);
	return d;
}

int
main(void)
{
	char *err = NULL;

	if (mkdtemp(dir) == NULL)
		return 99;
	if ((db_a = open_db("a.db")) == NULL || (db_b = open_db("b.db")) == NULL)
		return 99;
	if ((toks = tokens_open(db_a, NULL, &err)) == NULL) {
		fprintf(stderr, "cannot read the token table: %s\n", err ? err : "?");
		return 99;
	}
	RUN(test_token_expires_on_the_clock);
	RUN(test_revoked_token_fails_at_once);
	RUN(test_failure_window_limits_failures_not_valid_secrets);
	RUN(test_peer_keys);
	RUN(test_loopback_failures_count_per_uid);
	RUN(test_failures_are_audited_within_a_budget);
	RUN(test_two_tables_do_not_share_tokens);
	RUN(test_two_tables_do_not_share_failure_windows);
	RUN(test_two_auths_do_not_share_role_maps);
	RUN(test_longest_peer_names_are_kept_whole);
	tokens_close(toks);
	db_close(db_a);
	db_close(db_b);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
