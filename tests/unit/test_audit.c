/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the audit log: canonical encoding, chain, group commit,
 * tamper detection, retention anchors, failure handling, queries, paging,
 * stats, output forms and event validation. LOCKSET_BENCH=1 measures appends/s. */
#include "audit/audit.h"
#include "audit/audit_int.h"
#include "audit/audit_syslog.h"
#include "check.h"
#include "testutil.h"
#include "store/db.h"
#include "engine/decide.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char base[64];
static int ndirs;
static long long fake_now; /* 0: real time */

static long long
test_clock(void)
{
	struct timespec ts;

	if (fake_now != 0)
		return fake_now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------------- */
/* Helpers */

/* A fresh state directory under base; returns a static path. */
static const char *
new_dir(void)
{
	static char d[128];

	snprintf(d, sizeof(d), "%s/s%d", base, ndirs++);
	mkdir(d, 0700);
	return d;
}

/* Remove state directory d and every file in it (the database, its WAL,
 * the signing key, the audit head, whatever the log keeps there). */
static void
rm_dir(const char *d)
{
	DIR *dir = opendir(d);
	struct dirent *e;
	char p[512];

	while (dir != NULL && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		unlink(p);
	}
	if (dir != NULL)
		closedir(dir);
	rmdir(d);
}

static struct audit *
open_with(const char *d, const struct audit_opts *o)
{
	struct audit_opts def = {1, 0, 0, "testhost", 0, test_clock, 0};
	char *err = NULL;
	struct audit *a = audit_open(d, o ? o : &def, &err);

	if (a == NULL)
		fprintf(stderr, "audit_open: %s\n", err ? err : "?");
	free(err);
	return a;
}

static long long
add(struct audit *a, const char *action, const char *actor, const char *subject,
    const char *decision, const char *rule, long long pv)
{
	const char *rules[1] = {rule};
	struct audit_event ev = {action, actor,        "test", subject, decision,
	                         rules,  rule ? 1 : 0, NULL,   pv,      NULL};

	return audit_append(a, &ev);
}

static int
verify_ok(struct audit *a, long long *rows)
{
	json_t *v = audit_verify(a);
	int ok = v && json_is_true(json_object_get(v, "ok"));

	if (rows)
		*rows = v ? json_integer_value(json_object_get(v, "rows")) : -1;
	if (!ok) {
		char *s = v ? json_dumps(v, 0) : NULL;
		fprintf(stderr, "# verify: %s\n", s ? s : "NULL");
		free(s);
	}
	json_decref(v);
	return ok;
}

static void
verify_fails(struct audit *a, long long bad_id, const char *reason)
{
	json_t *v = audit_verify(a);

	CHECK(v != NULL);
	CHECK(json_is_false(json_object_get(v, "ok")));
	CHECK_INT_EQ(json_integer_value(json_object_get(v, "first_bad_id")), bad_id);
	CHECK_STR_EQ(json_string_value(json_object_get(v, "reason")), reason);
	json_decref(v);
}

/* Run q to the end of its page, writing ids into ids (cap n); returns the count. */
static int
run_query(struct audit *a, const struct audit_query *q, long long *ids, int n, char *next,
          size_t nextcap)
{
	struct problems errs = PROBLEMS_INIT;
	struct audit_cursor *c = audit_query_open(a, q, &errs);
	struct audit_row r;
	int k = 0, rc;

	if (c == NULL) {
		problems_clear(&errs);
		return -1;
	}
	while ((rc = audit_cursor_next(c, &r)) == 1) {
		if (k < n && ids)
			ids[k] = r.id;
		k++;
	}
	if (next) {
		const char *t = audit_cursor_next_token(c);
		snprintf(next, nextcap, "%s", t ? t : "");
	}
	audit_cursor_close(c);
	return rc < 0 ? -1 : k;
}

static int
count(struct audit *a, const struct audit_query *q)
{
	struct audit_query qq = *q;

	qq.limit = 0;
	return run_query(a, &qq, NULL, 0, NULL, 0);
}

/* ------------------------------------------------------------------------- */
/* Canonical encoding and chain */

static const struct audit_row sample = {1,
                                        "2026-11-28T12:34:56.123456Z",
                                        "container.create.denied",
                                        "uid:501",
                                        "h1",
                                        "authz",
                                        "alpine",
                                        "deny",
                                        "[\"privileged\"]",
                                        "{\"a\":1}",
                                        3,
                                        AUDIT_ZERO_HASH,
                                        NULL};

static void
test_canonical_encoding_is_stable(void)
{
	size_t len = 0;
	char *enc = audit_row_canonical(&sample, &len);
	char h[65];
	const char *want = "16:lockset-audit-v1,1:1,27:2026-11-28T12:34:56.123456Z,"
	                   "23:container.create.denied,7:uid:501,2:h1,5:authz,6:alpine,4:deny,"
	                   "14:[\"privileged\"],7:{\"a\":1},1:3,";

	CHECK_STR_EQ(enc, want);
	CHECK_INT_EQ(len, strlen(want));
	CHECK_INT_EQ(audit_row_hash(&sample, h), 0);
	/* printf '%s' "$ZEROS$want" | sha256sum */
	CHECK_STR_EQ(h, "77c594ab32bada379d745a385eece649cb4e35755c646ff624ad826049ba6545");
	free(enc);
}

static void
test_canonical_encoding_is_unambiguous(void)
{
	struct audit_row a = sample, b = sample, c = sample, d = sample;
	char ha[65], hb[65], hc[65], hd[65];

	/* Separators inside fields do not let one field bleed into the next. */
	a.actor = "a,b";
	a.host = "";
	b.actor = "a";
	b.host = ",b";
	c.actor = "1:a,";
	c.host = "";
	d.actor = "";
	d.host = "1:a,";
	audit_row_hash(&a, ha);
	audit_row_hash(&b, hb);
	audit_row_hash(&c, hc);
	audit_row_hash(&d, hd);
	CHECK(strcmp(ha, hb) != 0);
	CHECK(strcmp(hc, hd) != 0);
	/* No policy version differs from version 0. */
	a = sample;
	b = sample;
	a.policy_version = -1;
	b.policy_version = 0;
	audit_row_hash(&a, ha);
	audit_row_hash(&b, hb);
	CHECK(strcmp(ha, hb) != 0);
}

static void
test_chain_continues_across_reopen(void)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);
	struct audit_query q = AUDIT_QUERY_INIT;
	struct problems errs = PROBLEMS_INIT;
	struct audit_cursor *c;
	struct audit_row r;
	char h3[65] = "";
	long long rows = 0;

	CHECK_INT_EQ(add(a, "policy.updated", "root", "policy", NULL, NULL, 1), 1);
	CHECK_INT_EQ(add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1), 2);
	CHECK_INT_EQ(add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1), 3);
	audit_close(a);
	a = open_with(d, NULL);
	CHECK_INT_EQ(add(a, "exec.denied", "uid:2", "c2", "deny", "cap-add", 1), 4);
	CHECK_INT_EQ(add(a, "exec.denied", "uid:2", "c2", "deny", "cap-add", 1), 5);
	CHECK(verify_ok(a, &rows));
	CHECK_INT_EQ(rows, 5);
	q.ascending = 1;
	c = audit_query_open(a, &q, &errs);
	CHECK(c != NULL);
	while (c && audit_cursor_next(c, &r) == 1) {
		if (r.id == 1)
			CHECK_STR_EQ(r.prev_hash, AUDIT_ZERO_HASH);
		if (r.id == 3)
			snprintf(h3, sizeof(h3), "%s", r.hash);
		if (r.id == 4)
			CHECK_STR_EQ(r.prev_hash, h3);
	}
	audit_cursor_close(c);
	audit_close(a);
	rm_dir(d);
}

struct worker {
	struct audit *a;
	int n;
	long long *ids;
	volatile int *stop; /* bench: run until set */
	long long done;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	json_t *data = json_pack("{ss si}", "image", "alpine", "pid", 42);
	const char *rules[] = {"privileged", "cap-add"};
	struct audit_event ev = {"container.create.denied",
	                         "uid:501",
	                         "authz",
	                         "alpine",
	                         "deny",
	                         rules,
	                         2,
	                         data,
	                         7,
	                         NULL};

	for (int i = 0; w->stop ? !*w->stop : i < w->n; i++) {
		long long id = audit_append(w->a, &ev);
		if (w->ids && i < w->n)
			w->ids[i] = id;
		if (id > 0)
			w->done++;
	}
	json_decref(data);
	return NULL;
}

static int
cmp_ll(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return a < b ? -1 : a > b;
}

static void
test_group_commit_under_concurrency(void)
{
	enum { THREADS = 16, EACH = 500 };
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);
	pthread_t t[THREADS];
	struct worker w[THREADS];
	long long *ids = calloc(THREADS * EACH, sizeof(*ids)), rows = 0;
	struct audit_counters cnt;
	int distinct = 1;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){a, EACH, ids + i * EACH, NULL, 0};
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	qsort(ids, THREADS * EACH, sizeof(*ids), cmp_ll);
	for (int i = 0; i < THREADS * EACH; i++)
		if (ids[i] != i + 1)
			distinct = 0;
	CHECK(distinct);
	CHECK(verify_ok(a, &rows));
	CHECK_INT_EQ(rows, THREADS * EACH);
	audit_counters_get(a, &cnt);
	CHECK_INT_EQ(cnt.appended, THREADS * EACH);
	CHECK(cnt.batches < THREADS * EACH);
	CHECK(cnt.commits == cnt.batches); /* no retention here: every transaction is a commit */
	CHECK(cnt.commit_us > 0);
	printf("# group commit: %d appends in %llu batches\n", THREADS * EACH, cnt.batches);
	audit_close(a);
	free(ids);
	rm_dir(d);
}

/* ------------------------------------------------------------------------- */
/* Tampering */

static struct audit *
ten_rows(const char **dir_out)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);

	for (int i = 0; i < 10; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	*dir_out = d;
	return a;
}

static void
test_verify_detects_update(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);

	CHECK(verify_ok(a, NULL));
	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET actor='x' WHERE id=5"), SQLITE_OK);
	verify_fails(a, 5, "hash mismatch");
	audit_close(a);
	rm_dir(d);
}

static void
test_verify_detects_delete(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);

	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM events WHERE id=5"), SQLITE_OK);
	verify_fails(a, 5, "missing rows");
	audit_close(a);
	rm_dir(d);
}

static void
test_verify_detects_deleted_first_and_last_rows(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);

	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM events WHERE id=10"), SQLITE_OK);
	verify_fails(a, 10, "missing rows");
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM events WHERE id=1"), SQLITE_OK);
	verify_fails(a, 1, "missing rows");
	audit_close(a);
	rm_dir(d);
}

/* What the hash does not cover but queries read: the rule index, and how
 * each value is stored (a number as text, text as a blob, matches no filter). */
static void
test_verify_checks_rule_index_and_storage_classes(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);

	CHECK(verify_ok(a, NULL));
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM event_rules WHERE event_id = 4"), SQLITE_OK);
	verify_fails(a, 4, "rule index mismatch");
	CHECK_INT_EQ(
	    testdb_exec(d, "INSERT INTO event_rules (rule, event_id) VALUES ('privileged', 4)"),
	    SQLITE_OK);
	CHECK(verify_ok(a, NULL));
	CHECK_INT_EQ(
	    testdb_exec(d, "INSERT INTO event_rules (rule, event_id) VALUES ('cap-add', 6)"),
	    SQLITE_OK);
	verify_fails(a, 6, "rule index mismatch");
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM event_rules WHERE rule = 'cap-add'"), SQLITE_OK);
	CHECK_INT_EQ(
	    testdb_exec(d, "INSERT INTO event_rules (rule, event_id) VALUES ('privileged', 99)"),
	    SQLITE_OK);
	verify_fails(a, 99, "rule index mismatch");
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM event_rules WHERE event_id = 99"), SQLITE_OK);
	CHECK(verify_ok(a, NULL));
	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET policy_version = '1x' WHERE id = 7"),
	             SQLITE_OK);
	verify_fails(a, 7, "stored type changed");
	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET policy_version = 1 WHERE id = 7"),
	             SQLITE_OK);
	CHECK(verify_ok(a, NULL));
	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET action = CAST(action AS BLOB) WHERE id = 8"),
	             SQLITE_OK);
	verify_fails(a, 8, "stored type changed");
	audit_close(a);
	rm_dir(d);
}

/* An attacker with the database rewrites row 5 and recomputes every hash
 * after it, and the head recorded beside the database (head != 0): the
 * chain verifies, but a checkpoint taken before does not. */
static void
rewrite_from(const char *d, long long from, int head)
{
	char p[256], prev[65] = "";
	sqlite3 *c = NULL;
	long long id;
	FILE *f;

	snprintf(p, sizeof(p), "%s/lockset.db", d);
	sqlite3_open(p, &c);
	for (id = from;; id++) {
		sqlite3_stmt *st = NULL, *up = NULL;
		struct audit_row r;
		char h[65];

		sqlite3_prepare_v2(
		    c,
		    "SELECT id, time, action, actor, host, component, subject, decision, "
		    "rules, data, policy_version, prev_hash, hash FROM events WHERE id = ?1",
		    -1, &st, NULL);
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			break;
		}
		audit_row_from_stmt(st, &r);
		if (prev[0] != '\0')
			r.prev_hash = prev; /* the first keeps its link to the row before */
		audit_row_hash(&r, h);
		sqlite3_prepare_v2(c, "UPDATE events SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
		                   -1, &up, NULL);
		sqlite3_bind_int64(up, 1, id);
		sqlite3_bind_text(up, 2, r.prev_hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 3, h, -1, SQLITE_TRANSIENT);
		sqlite3_finalize(st);
		sqlite3_step(up);
		sqlite3_finalize(up);
		memcpy(prev, h, sizeof(prev));
	}
	sqlite3_close(c);
	snprintf(p, sizeof(p), "%s/audit-head", d);
	if (head && (f = fopen(p, "w")) != NULL) {
		fprintf(f, "%020lld %s\n", id - 1, prev);
		fclose(f);
	}
}

static void
test_checkpoint_catches_a_recomputed_chain(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);
	json_t *cp = audit_checkpoint_make(a), *res;

	CHECK(cp != NULL && audit_checkpoint_signed(cp));
	CHECK_INT_EQ(json_integer_value(json_object_get(cp, "id")), 10);
	res = audit_checkpoint_check(a, cp);
	CHECK(json_is_true(json_object_get(res, "ok")));
	json_decref(res);
	/* A forged or altered checkpoint is no checkpoint. */
	json_object_set_new(cp, "id", json_integer(9));
	CHECK(!audit_checkpoint_signed(cp));
	json_object_set_new(cp, "id", json_integer(10));
	CHECK(audit_checkpoint_signed(cp));
	/* Root rewrites row 5 and the tail, then restarts the daemon. */
	audit_close(a);
	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET actor = 'someone else' WHERE id = 5"),
	             SQLITE_OK);
	rewrite_from(d, 5, 1);
	a = open_with(d, NULL);
	CHECK(verify_ok(a, NULL)); /* the chain alone cannot tell */
	res = audit_checkpoint_check(a, cp);
	CHECK(json_is_false(json_object_get(res, "ok")));
	CHECK(strstr(json_string_value(json_object_get(res, "reason")), "rewritten") != NULL);
	json_decref(res);
	/* Rows removed from the end: the checkpoint is past the log. */
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM events WHERE id > 8"), SQLITE_OK);
	audit_close(a);
	a = open_with(d, NULL);
	res = audit_checkpoint_check(a, cp);
	CHECK(json_is_false(json_object_get(res, "ok")));
	CHECK(strstr(json_string_value(json_object_get(res, "reason")), "removed") != NULL);
	json_decref(res);
	audit_close(a);
	rm_dir(d);
	/* Another log's key (the key was replaced): refused. */
	a = ten_rows(&d);
	res = audit_checkpoint_check(a, cp);
	CHECK(json_is_false(json_object_get(res, "ok")));
	CHECK(strstr(json_string_value(json_object_get(res, "reason")), "another key") != NULL);
	json_decref(res);
	json_decref(cp);
	audit_close(a);
	rm_dir(d);
}

/* What changes while lockset is stopped, against the head it recorded
 * beside the database: a rewritten tail (its hashes recomputed), a truncated
 * one. Each start that finds one writes audit.rollback first, and verify
 * points at the first such row from then on. A plain restart is neither. */
static void
test_rollback_while_stopped_is_found(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);

	audit_close(a);
	a = open_with(d, NULL);
	CHECK(verify_ok(a, NULL));
	audit_close(a);
	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET actor = 'someone else' WHERE id = 5"),
	             SQLITE_OK);
	rewrite_from(d, 5, 0);
	a = open_with(d, NULL);
	verify_fails(a, 11, "rolled back");
	audit_close(a);
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM event_rules WHERE event_id > 9; "
	                            "DELETE FROM events WHERE id > 9"),
	             SQLITE_OK);
	a = open_with(d, NULL);
	verify_fails(a, 10, "rolled back"); /* the truncation's own row, now the first */
	audit_close(a);
	rm_dir(d);
}

/* While the audit log is forwarded to syslog, retention keeps the rows the
 * receiver has not confirmed: a receiver out of reach (nothing listens on
 * port 1) while denies flood in loses none of them. Once forwarding stops,
 * retention applies again. */
static void
test_retention_keeps_rows_syslog_has_not_confirmed(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 0, 10, "testhost", 0, test_clock, 0};
	struct audit *a = open_with(d, &o);
	char *err = NULL;

	CHECK_INT_EQ(audit_syslog_start(a, "tcp:127.0.0.1:1", NULL, &err), 0);
	free(err);
	for (int i = 0; i < 30; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	CHECK_INT_EQ(audit_prune(a), 0);
	audit_syslog_stop(a);
	CHECK_INT_EQ(audit_prune(a), 21); /* rows 1-21 go; the anchor and 22-30 stay */
	audit_close(a);
	rm_dir(d);
}

/* A log truncated while stopped, and the head beside it replaced with
 * something unreadable to hide where it ended: found all the same. */
static void
test_rollback_behind_an_unreadable_head_is_found(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);
	char p[256];
	FILE *f;

	audit_close(a);
	CHECK_INT_EQ(testdb_exec(d, "DELETE FROM event_rules WHERE event_id > 5; "
	                            "DELETE FROM events WHERE id > 5"),
	             SQLITE_OK);
	snprintf(p, sizeof(p), "%s/audit-head", d);
	if ((f = fopen(p, "w")) != NULL) {
		fputs("x", f);
		fclose(f);
	}
	a = open_with(d, NULL);
	verify_fails(a, 6, "rolled back");
	audit_close(a);
	rm_dir(d);
}

/* A checkpoint of a row that retention pruned still checks against the
 * anchor that keeps its hash. */
static void
test_checkpoint_of_a_pruned_row_checks_against_its_anchor(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 0, 10, "testhost", 0, test_clock, 0};
	struct audit *a = open_with(d, &o);
	json_t *cp, *res;

	for (int i = 0; i < 16; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	cp = audit_checkpoint_make(a); /* id 16 */
	for (int i = 0; i < 10; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	CHECK_INT_EQ(audit_prune(a), 17); /* rows 1-17 go; the anchor keeps 17's hash */
	res = audit_checkpoint_check(a, cp);
	CHECK(json_is_false(json_object_get(res, "ok")));
	CHECK(strstr(json_string_value(json_object_get(res, "reason")), "pruned") != NULL);
	json_decref(res);
	json_decref(cp);
	audit_close(a);
	rm_dir(d);
}

static void
test_verify_detects_rewritten_prev_hash(void)
{
	const char *d;
	struct audit *a = ten_rows(&d);

	CHECK_INT_EQ(testdb_exec(d, "UPDATE events SET hash='00' WHERE id=7"), SQLITE_OK);
	verify_fails(a, 7, "hash mismatch");
	audit_close(a);
	rm_dir(d);
}

/* ------------------------------------------------------------------------- */
/* Retention */

static int
anchors(struct audit *a, char *data, size_t cap)
{
	struct audit_query q = AUDIT_QUERY_INIT;
	struct problems errs = PROBLEMS_INIT;
	struct audit_cursor *c;
	struct audit_row r;
	int n = 0;

	q.action = AUDIT_ACTION_PRUNED;
	q.limit = 0;
	c = audit_query_open(a, &q, &errs);
	while (c && audit_cursor_next(c, &r) == 1) {
		if (n++ == 0 && data)
			snprintf(data, cap, "%s", r.data);
	}
	audit_cursor_close(c);
	return n;
}

static void
test_retention_by_count_leaves_signed_anchor(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 0, 10, "testhost", 0, test_clock, 0};
	struct audit *a = open_with(d, &o);
	struct audit_query q = AUDIT_QUERY_INIT;
	char data[1024] = "";
	json_t *j;
	long long rows = 0;

	for (int i = 0; i < 25; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	CHECK_INT_EQ(audit_prune(a), 16);
	CHECK_INT_EQ(count(a, &q), 10);
	CHECK_INT_EQ(anchors(a, data, sizeof(data)), 1);
	j = json_loads(data, 0, NULL);
	CHECK_INT_EQ(json_integer_value(json_object_get(j, "rows")), 16);
	CHECK_INT_EQ(json_integer_value(json_object_get(j, "upto_id")), 16);
	CHECK(json_string_length(json_object_get(j, "signature")) == 88);
	json_decref(j);
	CHECK(verify_ok(a, &rows));
	CHECK_INT_EQ(rows, 10);
	/* Still verifiable after more appends, a second prune and a reopen. */
	for (int i = 0; i < 5; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	CHECK_INT_EQ(audit_prune(a), 6);
	CHECK_INT_EQ(audit_prune(a), 0);
	audit_close(a);
	a = open_with(d, &o);
	CHECK(verify_ok(a, &rows));
	CHECK_INT_EQ(rows, 10);
	audit_close(a);
	rm_dir(d);
}

static void
test_retention_by_age_leaves_signed_anchor(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 3, 0, "testhost", 0, test_clock, 0};
	struct audit *a = open_with(d, &o);
	struct audit_query q = AUDIT_QUERY_INIT;
	long long now = test_clock(), rows = 0;

	fake_now = now - 10 * 86400000000LL;
	for (int i = 0; i < 5; i++)
		add(a, "exec.denied", "uid:old", "c1", "deny", "privileged", 1);
	fake_now = now;
	for (int i = 0; i < 5; i++)
		add(a, "exec.denied", "uid:new", "c1", "deny", "privileged", 1);
	CHECK_INT_EQ(audit_prune(a), 5);
	q.actor = "uid:old";
	CHECK_INT_EQ(count(a, &q), 0);
	q.actor = "uid:new";
	CHECK_INT_EQ(count(a, &q), 5);
	CHECK_INT_EQ(anchors(a, NULL, 0), 1);
	CHECK(verify_ok(a, &rows));
	CHECK_INT_EQ(rows, 6);
	fake_now = 0;
	audit_close(a);
	rm_dir(d);
}

/* Time bounds are found by a binary search over the ids (time never
 * decreases with id): exact times, ties, times between rows, before the first
 * and after the last row, and a log whose first rows were pruned. */
static void
test_time_bound_searches_the_id_order(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 0, 6, "testhost", 0, test_clock, 0};
	struct audit *a = open_with(d, &o);
	static const int minute[] = {0, 0, 1, 1, 1, 3, 4, 4, 7, 9}; /* row i + 1 */
	const long long T0 = 1795000000000000LL, M = 60000000LL;
	long long id = 0;
	sqlite3 *c;

	for (size_t i = 0; i < sizeof(minute) / sizeof(minute[0]); i++) {
		fake_now = T0 + minute[i] * M;
		CHECK(add(a, "exec.denied", "uid:1", "c1", "deny", NULL, 1) == (long long)i + 1);
	}
	c = db_reader_get(audit_db(a));
	CHECK(c != NULL);
	CHECK(audit_id_at_time(c, T0 - 1, &id) == 0 && id == 1);
	CHECK(audit_id_at_time(c, T0, &id) == 0 && id == 1);
	CHECK(audit_id_at_time(c, T0 + 1, &id) == 0 && id == 3);
	CHECK(audit_id_at_time(c, T0 + M, &id) == 0 && id == 3);
	CHECK(audit_id_at_time(c, T0 + 2 * M, &id) == 0 && id == 6);
	CHECK(audit_id_at_time(c, T0 + 4 * M, &id) == 0 && id == 7);
	CHECK(audit_id_at_time(c, T0 + 9 * M, &id) == 0 && id == 10);
	CHECK(audit_id_at_time(c, T0 + 9 * M + 1, &id) == 0 && id == LLONG_MAX);
	db_reader_put(audit_db(a), c);
	/* Rows 1..5 go (retention keeps 6 rows: 6..10 and the anchor, 11). */
	fake_now = T0 + 10 * M;
	CHECK_INT_EQ(audit_prune(a), 5);
	c = db_reader_get(audit_db(a));
	CHECK(c != NULL);
	CHECK(audit_id_at_time(c, T0, &id) == 0 && id == 6);
	CHECK(audit_id_at_time(c, T0 + 5 * M, &id) == 0 && id == 9);
	CHECK(audit_id_at_time(c, T0 + 10 * M, &id) == 0 && id == 11);
	db_reader_put(audit_db(a), c);
	fake_now = 0;
	audit_close(a);
	rm_dir(d);
}

/* Asynchronous appends are called back (by the notifier thread) once each,
 * in commit order, every one of them by the time audit_close returns. */
struct async_log {
	pthread_mutex_t lock;
	long long ids[200];
	int n;
};

static void
async_done(void *arg, long long id)
{
	struct async_log *l = arg;

	pthread_mutex_lock(&l->lock);
	if (l->n < 200)
		l->ids[l->n] = id;
	l->n++;
	pthread_mutex_unlock(&l->lock);
}

static void
test_async_callbacks_in_commit_order_before_close(void)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);
	struct async_log l = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
	struct audit_event ev = {"exec.denied", "uid:1", "test", "c1", "deny",
	                         NULL,          0,       NULL,   1,    NULL};
	int queued = 0;

	for (int i = 0; i < 200; i++)
		queued += audit_append_async(a, &ev, async_done, &l) == 0;
	CHECK_INT_EQ(queued, 200);
	audit_close(a);
	CHECK_INT_EQ(l.n, 200);
	for (int i = 0; i < 200; i++)
		CHECK(l.ids[i] == i + 1);
	rm_dir(d);
}

/* Checkpoint state belongs to its audit object: a second log open beside
 * one that records checkpoints has none of them. */
static int
has_checkpoint(void *arg)
{
	return audit_checkpoint_count(arg) >= 1;
}

static void
test_checkpoints_belong_to_their_log(void)
{
	char d1[128], d2[128];
	struct audit *a, *b;
	json_t *cp;

	snprintf(d1, sizeof(d1), "%s", new_dir());
	snprintf(d2, sizeof(d2), "%s", new_dir());
	a = open_with(d1, NULL);
	b = open_with(d2, NULL);
	CHECK(a != NULL && b != NULL);
	CHECK(add(a, "exec.denied", "uid:1", "c1", "deny", NULL, 1) == 1);
	CHECK(add(b, "exec.denied", "uid:1", "c1", "deny", NULL, 1) == 1);
	CHECK_INT_EQ(audit_checkpoint_start(a, 1), 0);
	CHECK(check_wait(has_checkpoint, a));
	cp = audit_checkpoint_latest(a);
	CHECK(cp != NULL && json_integer_value(json_object_get(cp, "id")) == 1);
	json_decref(cp);
	CHECK(audit_checkpoint_count(b) == 0);
	CHECK(audit_checkpoint_latest(b) == NULL);
	audit_checkpoint_stop(a);
	CHECK(audit_checkpoint_latest(a) == NULL);
	audit_close(a);
	audit_close(b);
	rm_dir(d1);
	rm_dir(d2);
}

static void
test_tampered_anchor_signature_fails_verify(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 0, 5, "testhost", 0, test_clock, 0};
	struct audit *a = open_with(d, &o);
	char data[1024] = "", path[256], *sig;
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	long long anchor_id;

	for (int i = 0; i < 12; i++)
		add(a, "exec.denied", "uid:1", "c1", "deny", "privileged", 1);
	CHECK_INT_EQ(audit_prune(a), 8);
	anchor_id = 13;
	CHECK(anchors(a, data, sizeof(data)) == 1);
	sig = strstr(data, "\"signature\":\"");
	CHECK(sig != NULL);
	if (sig != NULL) {
		sig += 13;
		sig[0] = sig[0] == 'A' ? 'B' : 'A';
	}
	snprintf(path, sizeof(path), "%s/lockset.db", d);
	sqlite3_open(path, &c);
	sqlite3_prepare_v2(c, "UPDATE events SET data = ?1 WHERE action = 'audit.pruned'", -1, &st,
	                   NULL);
	sqlite3_bind_text(st, 1, data, -1, SQLITE_STATIC);
	CHECK_INT_EQ(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(c);
	verify_fails(a, anchor_id, "bad anchor signature");
	audit_close(a);
	rm_dir(d);
}

/* ------------------------------------------------------------------------- */
/* Failure handling */

static void
test_failed_write_degrades_and_recovers(void)
{
	const char *d = new_dir();
	struct audit_opts o = {1, 0, 0, "testhost", 100, test_clock, 0};
	struct audit *a = open_with(d, &o);
	const char *reason = NULL;
	char path[256];
	sqlite3 *c = NULL;

	CHECK_INT_EQ(add(a, "exec.denied", "u", "s", "deny", NULL, -1), 1);
	CHECK_INT_EQ(audit_healthy(a, &reason), 1);
	/* Another writer holds the lock past busy_timeout. */
	snprintf(path, sizeof(path), "%s/lockset.db", d);
	sqlite3_open(path, &c);
	CHECK_INT_EQ(sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT_EQ(add(a, "exec.denied", "u", "s", "deny", NULL, -1), -1);
	CHECK_INT_EQ(audit_healthy(a, &reason), 0);
	CHECK(reason != NULL && strstr(reason, "locked") != NULL);
	/* Reads keep working. */
	CHECK(verify_ok(a, NULL));
	sqlite3_exec(c, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(c);
	CHECK_INT_EQ(add(a, "exec.denied", "u", "s", "deny", NULL, -1), 2);
	CHECK_INT_EQ(audit_healthy(a, &reason), 1);
	CHECK(verify_ok(a, NULL));
	audit_close(a);
	rm_dir(d);
}

static void
test_reserved_and_invalid_events_refused(void)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);
	json_t *arr = json_array();
	struct audit_event ev = {"exec.denied", NULL, NULL, NULL, NULL, NULL, 0, arr, -1, NULL};

	CHECK_INT_EQ(add(a, AUDIT_ACTION_PRUNED, "u", "s", NULL, NULL, -1), -1);
	CHECK_INT_EQ(add(a, "", "u", "s", NULL, NULL, -1), -1);
	CHECK_INT_EQ(audit_append(a, &ev), -1); /* data must be an object */
	CHECK_INT_EQ(add(a, "exec.denied", NULL, NULL, NULL, NULL, -1), 1);
	json_decref(arr);
	audit_close(a);
	rm_dir(d);
}

/* A reported event's namespace: runtime.* only (0), anything else -1 with a
 * problem at /action. */
static int
namespace_of(const char *action, const char *msg_part)
{
	struct audit_event ev = {.action = action};
	struct problems errs = PROBLEMS_INIT;
	int rc = audit_event_namespace_check(&ev, &errs);

	if (rc != 0) {
		CHECK_INT_EQ(errs.n, 1);
		CHECK(errs.n == 1 && strcmp(errs.v[0].path, "/action") == 0);
		CHECK(errs.n == 1 && strstr(errs.v[0].message, msg_part) != NULL);
	}
	problems_clear(&errs);
	return rc;
}

static void
test_reported_events_only_under_runtime(void)
{
	static const char *const own[] = {
	    "policy.updated",
	    "policy.user.deleted",
	    "token.created",
	    "container.create.denied",
	    "settings.locked_override",
	    "auth.failed",
	    "audit.pruned",
	    "exec.denied",
	    "image.pull.denied",
	    "build.denied",
	    "plugin.install.denied",
	    "volume.create.denied",
	    "service.create.denied",
	    "swarm.join.denied",
	    "commit.denied",
	    "unknown.denied",
	    "other.denied",
	    "user_policy.updated",
	    "preferences.updated",
	    "upstream.bundle.applied",
	    "host.status",
	};

	CHECK_INT_EQ(namespace_of("runtime.exec.denied", ""), 0);
	CHECK_INT_EQ(namespace_of("runtime.x", ""), 0);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		CHECK(audit_action_is_own(own[i]));
		CHECK_INT_EQ(namespace_of(own[i], "lockset's own"), -1);
	}
	CHECK_INT_EQ(namespace_of("containerd.task.denied", "runtime.containerd.task.denied"), -1);
	CHECK_INT_EQ(namespace_of("runtimex.a", "under runtime.*"), -1);
	CHECK(!audit_action_is_own("containerd.task"));
	CHECK(!audit_action_is_own("runtime.policy"));
}

/* Every action the decision engine writes, on every route it inspects, is in
 * lockset's own namespaces: no caller can forge a decision row. */
static void
test_decision_actions_are_own(void)
{
	static const char *const reqs[][2] = {
	    {"POST", "/containers/create"},
	    {"POST", "/containers/x/exec"},
	    {"POST", "/containers/x/update"},
	    {"POST", "/containers/x/start"},
	    {"POST", "/images/create?fromImage=alpine"},
	    {"POST", "/images/load"},
	    {"POST", "/build"},
	    {"POST", "/plugins/pull?remote=x"},
	    {"POST", "/volumes/create"},
	    {"POST", "/services/create"},
	    {"POST", "/swarm/join"},
	    {"POST", "/commit?container=x"},
	    {"POST", "/no/such/route"},
	    {"DELETE", "/containers/x"},
	};
	json_t *eff = json_loads("{\"containerPolicy\":{\"mode\":\"enforce\",\"deniedFlags\":"
	                         "[\"--privileged\"]}}",
	                         0, NULL);
	struct decide_policy *dp = decide_policy_new(eff);

	CHECK(dp != NULL);
	for (size_t i = 0; dp != NULL && i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct decide_request req = {.method = reqs[i][0],
		                             .uri = reqs[i][1],
		                             .body = "{}",
		                             .body_len = 2,
		                             .has_body = 1};
		struct decision d;

		CHECK_INT_EQ(decide_eval(dp, &req, &d), 0);
		if (d.action != NULL && !audit_action_is_own(d.action))
			fprintf(stderr, "# %s %s: action %s\n", reqs[i][0], reqs[i][1], d.action);
		CHECK(d.action == NULL || audit_action_is_own(d.action));
		decision_clear(&d);
	}
	decide_policy_free(dp);
	json_decref(eff);
}

/* ------------------------------------------------------------------------- */
/* Queries */

#define T0 1795857296000000LL /* 2026-11-28T09:14:56Z */

static struct audit *
fixture(const char **dir_out)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);

	/* 40 rows, one a minute from T0. */
	for (int i = 0; i < 40; i++) {
		fake_now = T0 + i * 60000000LL;
		add(a, i % 2 ? "container.create.denied" : "exec.denied", i % 4 ? "uid:1" : "uid:2",
		    i % 5 ? "alpine" : "busybox", i % 3 ? "deny" : "audit",
		    i % 2 ? "privileged" : "cap-add", i < 20 ? 1 : 2);
	}
	fake_now = T0 + 3 * 3600000000LL;
	add(a, "policy.updated", "root", "policy", NULL, NULL, 2);
	fake_now = 0;
	*dir_out = d;
	return a;
}

static void
test_every_filter(void)
{
	const char *d;
	struct audit *a = fixture(&d);
	struct audit_query q0 = AUDIT_QUERY_INIT, q;

	q = q0;
	CHECK_INT_EQ(count(a, &q), 41);
	q = q0;
	q.action = "exec.denied";
	CHECK_INT_EQ(count(a, &q), 20);
	q.action = "container.*";
	CHECK_INT_EQ(count(a, &q), 20);
	q.action = "policy.*";
	CHECK_INT_EQ(count(a, &q), 1);
	q.action = "*";
	CHECK_INT_EQ(count(a, &q), 41);
	q = q0;
	q.actor = "uid:2";
	CHECK_INT_EQ(count(a, &q), 10);
	q = q0;
	q.subject = "busybox";
	CHECK_INT_EQ(count(a, &q), 8);
	q = q0;
	q.rule = "privileged";
	CHECK_INT_EQ(count(a, &q), 20);
	q.decision = "audit";
	CHECK_INT_EQ(count(a, &q), 7); /* odd i divisible by 3: 3,9,...,39 */
	q = q0;
	q.decision = "audit";
	CHECK_INT_EQ(count(a, &q), 14);
	q = q0;
	q.policy_version = 2;
	CHECK_INT_EQ(count(a, &q), 21);
	q = q0;
	q.since = "2026-11-28T09:24:56Z"; /* i >= 10 */
	CHECK_INT_EQ(count(a, &q), 31);
	q.until = "2026-11-28T10:24:56+01:00"; /* i < 10 + 0 ... the same instant as since */
	CHECK_INT_EQ(count(a, &q), 0);
	q.until = "2026-11-28T09:34:56.000000Z"; /* i < 20 */
	CHECK_INT_EQ(count(a, &q), 10);
	q.actor = "uid:1";
	q.rule = "cap-add";
	CHECK_INT_EQ(count(a, &q), 3); /* even i in 10..19 not divisible by 4: 10, 14, 18 */
	q = q0;
	q.actor = "nobody";
	CHECK_INT_EQ(count(a, &q), 0);
	audit_close(a);
	rm_dir(d);
}

/* Page through everything matching q; checks order, no duplicates or gaps. */
static void
page_all(struct audit *a, struct audit_query q, int want)
{
	long long seen[64], ids[64];
	char next[64] = "";
	int total = 0, pages = 0, n;

	q.limit = 7;
	do {
		q.cursor = next[0] ? next : NULL;
		n = run_query(a, &q, ids, 64, next, sizeof(next));
		CHECK(n >= 0 && n <= 7);
		for (int i = 0; i < n && total < 64; i++)
			seen[total++] = ids[i];
		pages++;
	} while (n > 0 && next[0] && pages < 100);
	CHECK_INT_EQ(total, want);
	CHECK_INT_EQ(pages, (want + 6) / 7);
	for (int i = 1; i < total; i++)
		CHECK(q.ascending ? seen[i] > seen[i - 1] : seen[i] < seen[i - 1]);
}

/* Decision rows name the caller as actor and the request's user in data.user:
 * ?user= finds them through the expression index, alone and combined. */
static void
test_user_filter_reads_data_user(void)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);
	struct audit_query q0 = AUDIT_QUERY_INIT, q;

	for (int i = 0; i < 30; i++) {
		json_t *data = json_pack("{s:s, s:s?}", "decisionId", "x", "user",
		                         i % 3 == 0 ? "alice" : (i % 3 == 1 ? "bob" : NULL));
		const char *rules[1] = {i % 2 ? "privileged" : "cap-add"};
		struct audit_event ev = {"container.create.denied",
		                         "dockerd",
		                         "authz",
		                         "img",
		                         "deny",
		                         rules,
		                         1,
		                         data,
		                         1,
		                         NULL};

		CHECK(audit_append(a, &ev) > 0);
		json_decref(data);
	}
	q = q0;
	q.user = "alice";
	CHECK_INT_EQ(count(a, &q), 10);
	q.rule = "privileged"; /* two filters: the probes pick the drive */
	CHECK_INT_EQ(count(a, &q), 5);
	q.actor = "dockerd";
	CHECK_INT_EQ(count(a, &q), 5);
	q = q0;
	q.user = "carol";
	CHECK_INT_EQ(count(a, &q), 0);
	q = q0;
	q.actor = "alice"; /* the user is not the actor */
	CHECK_INT_EQ(count(a, &q), 0);
	audit_close(a);
	rm_dir(d);
}

static void
test_paging_asc_and_desc(void)
{
	const char *d;
	struct audit *a = fixture(&d);
	struct audit_query q = AUDIT_QUERY_INIT;
	long long ids[4];

	page_all(a, q, 41);
	q.ascending = 1;
	page_all(a, q, 41);
	q.actor = "uid:1";
	page_all(a, q, 30);
	q.ascending = 0;
	page_all(a, q, 30);
	q.actor = NULL;
	q.rule = "cap-add";
	page_all(a, q, 20);
	/* Newest first by default, and every id is there in a full desc listing. */
	q = (struct audit_query)AUDIT_QUERY_INIT;
	q.limit = 2;
	CHECK_INT_EQ(run_query(a, &q, ids, 4, NULL, 0), 2);
	CHECK_INT_EQ(ids[0], 41);
	CHECK_INT_EQ(ids[1], 40);
	audit_close(a);
	rm_dir(d);
}

static void
test_unlimited_export_has_no_next(void)
{
	const char *d;
	struct audit *a = fixture(&d);
	struct audit_query q = AUDIT_QUERY_INIT;
	char next[64] = "x";

	q.limit = 0;
	CHECK_INT_EQ(run_query(a, &q, NULL, 0, next, sizeof(next)), 41);
	CHECK_STR_EQ(next, "");
	q.limit = 41;
	CHECK_INT_EQ(run_query(a, &q, NULL, 0, next, sizeof(next)), 41);
	CHECK_STR_EQ(next, ""); /* exactly one page: no empty page after it */
	audit_close(a);
	rm_dir(d);
}

/* PRAGMA wal_checkpoint(TRUNCATE) from a connection of its own: 1 when it
 * could reset the WAL, 0 when a reader's snapshot kept it busy. */
static int
wal_truncates(const char *d)
{
	char path[256];
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	int done = 0;

	snprintf(path, sizeof(path), "%s/lockset.db", d);
	if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		done = sqlite3_column_int(st, 0) == 0;
	sqlite3_finalize(st);
	sqlite3_close(c);
	return done;
}

/* A cursor that gives back its snapshot between rows holds none (the WAL can
 * be reset under it), and reads on where it stopped: every row there was when
 * it started, in order, each once; rows appended meanwhile are not in it.
 * Both directions, driven by the id and by an index. */
static void
test_released_cursor_reads_on(void)
{
	for (int k = 0; k < 4; k++) {
		const char *d;
		struct audit *a = fixture(&d);
		struct audit_query q = AUDIT_QUERY_INIT;
		struct problems errs = PROBLEMS_INIT;
		struct audit_cursor *c;
		struct audit_row r;
		long long want[64], got[64];
		int nwant, n = 0, rc = -1;

		q.limit = 0;
		q.ascending = k & 1;
		q.rule = k & 2 ? "privileged" : NULL;
		nwant = run_query(a, &q, want, 64, NULL, 0);
		CHECK(nwant > 10);
		c = audit_query_open(a, &q, &errs);
		CHECK(c != NULL);
		while (c != NULL && (rc = audit_cursor_next(c, &r)) == 1 && n < 64) {
			got[n++] = r.id;
			add(a, "container.create.denied", "uid:1", "alpine", "deny", "privileged",
			    2);
			if (n == 1)
				CHECK(!wal_truncates(d)); /* the snapshot is held */
			audit_cursor_release(c);
			if (n == 1)
				CHECK(wal_truncates(d)); /* and given back */
		}
		CHECK_INT_EQ(rc, 0);
		CHECK_INT_EQ(n, nwant);
		CHECK(memcmp(got, want, (size_t)nwant * sizeof(want[0])) == 0);
		audit_cursor_close(c);
		audit_close(a);
		rm_dir(d);
	}
}

static void
test_cursor_rejected(void)
{
	const char *d;
	struct audit *a = fixture(&d);
	struct audit_query q = AUDIT_QUERY_INIT;
	struct problems errs = PROBLEMS_INIT;
	char next[64] = "";
	static const char *const bad[] = {"!!!", "abc", "ZDox=", "eDoxMA", "ZDotMQ", "ZDowMQ", ""};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q.cursor = bad[i];
		CHECK(audit_query_open(a, &q, &errs) == NULL);
		CHECK_INT_EQ(errs.n, 1);
		if (errs.n == 1) {
			CHECK_STR_EQ(errs.v[0].path, "cursor");
			CHECK_STR_EQ(errs.v[0].message, "malformed cursor");
		}
		problems_clear(&errs);
	}
	/* A desc cursor used for an asc query. */
	q.cursor = NULL;
	q.limit = 5;
	CHECK_INT_EQ(run_query(a, &q, NULL, 0, next, sizeof(next)), 5);
	CHECK(next[0] != '\0');
	q.cursor = next;
	q.ascending = 1;
	CHECK(audit_query_open(a, &q, &errs) == NULL);
	CHECK(errs.n == 1 && strcmp(errs.v[0].path, "cursor") == 0);
	problems_clear(&errs);
	audit_close(a);
	rm_dir(d);
}

struct params {
	const char *const *kv; /* name, value, ..., NULL */
};

static const char *
param_get(void *cls, const char *name)
{
	const struct params *p = cls;

	for (size_t i = 0; p->kv[i] != NULL; i += 2)
		if (strcmp(p->kv[i], name) == 0)
			return p->kv[i + 1];
	return NULL;
}

static void
test_query_params_name_each_bad_parameter(void)
{
	static const char *const bad[] = {
	    "since",    "yesterday",   "until",          "2026-13-01T00:00:00Z",
	    "limit",    "0",           "order",          "sideways",
	    "decision", "maybe",       "policy_version", "-1",
	    "action",   "Exec Denied", "cursor",         "%%%",
	    NULL};
	/* Valid RFC 3339, but past the year 9999 (or before 0000) once in UTC:
	 * the stored four-digit years cannot hold them. */
	static const char *const beyond[] = {"since", "9999-12-31T23:59:59-23:59", "until",
	                                     "0000-01-01T00:00:00+00:01", NULL};
	static const char *const good[] = {"since",  "2026-11-28T12:00:00.5Z",
	                                   "limit",  "1000",
	                                   "order",  "asc",
	                                   "action", "container.*",
	                                   "next",   "YToz",
	                                   NULL};
	static const char *const names[] = {"since",    "until",          "limit",  "order",
	                                    "decision", "policy_version", "action", "cursor"};
	struct params p = {bad};
	struct audit_query q;
	struct problems errs = PROBLEMS_INIT;

	CHECK_INT_EQ(audit_query_from_params(&q, param_get, &p, &errs), -1);
	CHECK_INT_EQ(errs.n, 8);
	for (size_t i = 0; i < 8; i++) {
		int found = 0;
		for (size_t k = 0; k < errs.n; k++)
			found |= strcmp(errs.v[k].path, names[i]) == 0;
		CHECK(found);
		if (!found)
			fprintf(stderr, "# no problem for %s\n", names[i]);
	}
	for (size_t k = 0; k < errs.n; k++)
		if (strcmp(errs.v[k].path, "since") == 0)
			CHECK(strstr(errs.v[k].message, "expected RFC 3339 time") != NULL);
	problems_clear(&errs);
	p.kv = good;
	CHECK_INT_EQ(audit_query_from_params(&q, param_get, &p, &errs), 0);
	CHECK_INT_EQ(errs.n, 0);
	CHECK_INT_EQ(q.limit, 1000);
	CHECK_INT_EQ(q.ascending, 1);
	CHECK_STR_EQ(q.cursor, "YToz"); /* "a:3" */
	CHECK_STR_EQ(q.action, "container.*");
	problems_clear(&errs);
	p.kv = beyond;
	CHECK_INT_EQ(audit_query_from_params(&q, param_get, &p, &errs), -1);
	CHECK_INT_EQ(errs.n, 2);
	problems_clear(&errs);
}

/* ------------------------------------------------------------------------- */
/* Stats and output forms */

static void
test_stats_buckets(void)
{
	const char *d;
	struct audit *a = fixture(&d);
	struct problems errs = PROBLEMS_INIT;
	struct audit_query q = AUDIT_QUERY_INIT;
	json_t *s, *series, *e;
	long long total = 0;
	size_t i;

	/* Rows span 09:14:56 to 09:53:56 (and now). */
	q.until = "2026-11-28T10:00:00Z";
	s = audit_stats(a, "hour", "rule", &q, &errs);
	CHECK(s != NULL);
	series = json_object_get(s, "series");
	CHECK_INT_EQ(json_array_size(series), 2);
	e = json_array_get(series, 0);
	CHECK_STR_EQ(json_string_value(json_object_get(e, "t")), "2026-11-28T09:00:00Z");
	CHECK_STR_EQ(json_string_value(json_object_get(e, "key")), "cap-add");
	CHECK_INT_EQ(json_integer_value(json_object_get(e, "count")), 20);
	CHECK_STR_EQ(json_string_value(json_object_get(s, "bucket")), "hour");
	CHECK_STR_EQ(json_string_value(json_object_get(s, "by")), "rule");
	json_decref(s);

	s = audit_stats(a, "minute", "actor", &q, &errs);
	series = json_object_get(s, "series");
	CHECK_INT_EQ(json_array_size(series), 40);
	e = json_array_get(series, 0);
	CHECK_STR_EQ(json_string_value(json_object_get(e, "t")), "2026-11-28T09:14:00Z");
	CHECK_STR_EQ(json_string_value(json_object_get(e, "key")), "uid:2");
	json_array_foreach(series, i, e) total += json_integer_value(json_object_get(e, "count"));
	CHECK_INT_EQ(total, 40);
	json_decref(s);

	s = audit_stats(a, "day", "action", NULL, &errs);
	series = json_object_get(s, "series");
	CHECK(json_array_size(series) >= 2);
	e = json_array_get(series, 0);
	CHECK_STR_EQ(json_string_value(json_object_get(e, "t")), "2026-11-28T00:00:00Z");
	CHECK_STR_EQ(json_string_value(json_object_get(e, "key")), "container.create.denied");
	json_decref(s);

	CHECK(audit_stats(a, "week", "colour", NULL, &errs) == NULL);
	CHECK_INT_EQ(errs.n, 2);
	CHECK_STR_EQ(errs.v[0].path, "bucket");
	CHECK_STR_EQ(errs.v[1].path, "by");
	problems_clear(&errs);
	audit_close(a);
	rm_dir(d);
}

static void
test_row_json_and_csv(void)
{
	struct audit_row r = sample;
	json_t *j;
	char *csv;
	size_t len = 0;

	r.hash = "ff";
	r.subject = "my \"image\", v2";
	r.rules = "[\"privileged\",\"cap-add\"]";
	j = audit_row_json(&r);
	CHECK(json_is_array(json_object_get(j, "rules")));
	CHECK(json_is_object(json_object_get(j, "data")));
	CHECK_INT_EQ(json_integer_value(json_object_get(j, "policy_version")), 3);
	CHECK_STR_EQ(json_string_value(json_object_get(j, "subject")), "my \"image\", v2");
	json_decref(j);
	r.policy_version = -1;
	r.actor = "";
	j = audit_row_json(&r);
	CHECK(json_is_null(json_object_get(j, "policy_version")));
	CHECK(json_is_null(json_object_get(j, "actor")));
	json_decref(j);
	csv = audit_row_csv(&r, &len);
	CHECK_STR_EQ(csv,
	             "1,2026-11-28T12:34:56.123456Z,container.create.denied,,h1,authz,"
	             "\"my \"\"image\"\", v2\",deny,privileged;cap-add,\"{\"\"a\"\":1}\",,"
	             "0000000000000000000000000000000000000000000000000000000000000000,ff\r\n");
	CHECK_INT_EQ(len, csv ? strlen(csv) : 0);
	free(csv);
	CHECK_STR_EQ(audit_csv_header(), "id,time,action,actor,host,component,subject,decision,"
	                                 "rules,data,policy_version,prev_hash,hash\r\n");
}

static void
test_csv_is_text_without_formulas(void)
{
	struct audit_row r = sample;
	char *csv;
	size_t len = 0;

	/* A formula trigger where a ';'-splitting spreadsheet starts a cell, a
	 * full-width one, one after ',' and spaces, one after '|'. */
	r.subject = "x;=cmd|' /C calc'!A0;";
	r.actor = "\xef\xbc\x9d"
	          "1+1";
	r.component = "a, -1|@x";
	/* Controls, C1 and a raw CR inside what was a quoted field. */
	r.host = "h\x1b[2J\r\n\xc2\x9b\x07";
	r.rules = "[\"-r\"]";
	/* JSON stays JSON: \u escapes for the trigger in a string, DEL and C1;
	 * a negative number after ',' is JSON's own; \" stays in the string. */
	r.data = "{\"k\":\"a; =1\",\"n\":[1,-2],\"s\":\"\xc2\x9b\x7f\",\"q\":\"x\\\";@1\"}";
	r.hash = "ff";
	csv = audit_row_csv(&r, &len);
	CHECK_STR_EQ(
	    csv,
	    "1,2026-11-28T12:34:56.123456Z,container.create.denied,"
	    "\"'\xef\xbc\x9d"
	    "1+1\",h\\x1b[2J\\x0d\\x0a\\u009b\\x07,\"a,' -1|'@x\","
	    "\"x;'=cmd|' /C calc'!A0;\",deny,\"'-r\","
	    "\"{\"\"k\"\":\"\"a; \\u003d1\"\",\"\"n\"\":[1,-2],\"\"s\"\":\"\"\\u009b\\u007f\"\","
	    "\"\"q\"\":\"\"x\\\"\";\\u00401\"\"}\",3,"
	    "0000000000000000000000000000000000000000000000000000000000000000,ff\r\n");
	free(csv);
}

/* ------------------------------------------------------------------------- */
/* Event validation */

static void
expect_event_error(const char *body, const char *path, const char *msg_part)
{
	json_t *j = json_loads(body, 0, NULL);
	struct audit_event ev;
	struct problems errs = PROBLEMS_INIT;
	int found = 0;

	CHECK(j != NULL);
	CHECK_INT_EQ(audit_event_from_json(j, &ev, &errs), -1);
	for (size_t i = 0; i < errs.n; i++)
		if (strcmp(errs.v[i].path, path) == 0 && strstr(errs.v[i].message, msg_part))
			found = 1;
	CHECK(found);
	if (!found)
		fprintf(stderr, "# %s: no %s \"%s\"\n", body, path, msg_part);
	problems_clear(&errs);
	json_decref(j);
}

static void
test_event_json_validation(void)
{
	json_t *j =
	    json_loads("{\"action\":\"exec.denied\",\"actor\":\"uid:501\",\"subject\":"
	               "\"c1\",\"decision\":\"deny\",\"rules\":[\"privileged\",\"cap-add\"],"
	               "\"data\":{\"cmd\":\"sh\"},\"policy_version\":4}",
	               0, NULL);
	struct audit_event ev;
	struct problems errs = PROBLEMS_INIT;
	char big[20000];

	CHECK_INT_EQ(audit_event_from_json(j, &ev, &errs), 0);
	CHECK_INT_EQ(errs.n, 0);
	CHECK_STR_EQ(ev.action, "exec.denied");
	CHECK_STR_EQ(ev.actor, "uid:501");
	CHECK_INT_EQ(ev.nrules, 2);
	CHECK_STR_EQ(ev.rules[1], "cap-add");
	CHECK_INT_EQ(ev.policy_version, 4);
	CHECK(ev.component == NULL);
	audit_event_clear(&ev);
	json_decref(j);

	expect_event_error("[]", "", "expected a JSON object");
	expect_event_error("{}", "/action", "required");
	expect_event_error("{\"action\":\"Exec.Denied\"}", "/action", "lowercase dotted");
	expect_event_error("{\"action\":\"exec\"}", "/action", "lowercase dotted");
	expect_event_error("{\"action\":\"a.b.c.d.e\"}", "/action", "lowercase dotted");
	expect_event_error("{\"action\":\"exec.denied\",\"colour\":1}", "/colour", "unknown field");
	expect_event_error("{\"action\":\"exec.denied\",\"a/b\":1}", "/a~1b", "unknown field");
	expect_event_error("{\"action\":\"exec.denied\",\"actor\":5}", "/actor",
	                   "expected a string");
	expect_event_error("{\"action\":\"exec.denied\",\"decision\":\"maybe\"}", "/decision",
	                   "deny, allow, audit");
	expect_event_error("{\"action\":\"exec.denied\",\"rules\":\"privileged\"}", "/rules",
	                   "expected an array");
	expect_event_error("{\"action\":\"exec.denied\",\"rules\":[\"ok\",7]}", "/rules/1",
	                   "expected a string");
	expect_event_error("{\"action\":\"exec.denied\",\"rules\":[\"Bad Rule\"]}", "/rules/0",
	                   "rule id");
	expect_event_error("{\"action\":\"exec.denied\",\"data\":[1]}", "/data",
	                   "expected an object");
	expect_event_error("{\"action\":\"exec.denied\",\"policy_version\":-2}", "/policy_version",
	                   "integer >= 0");
	expect_event_error("{\"action\":\"exec.denied\",\"policy_version\":1.5}", "/policy_version",
	                   "integer >= 0");
	memset(big, 'x', sizeof(big));
	snprintf(big, sizeof(big), "{\"action\":\"exec.denied\",\"subject\":\"");
	memset(big + strlen(big), 'x', 2000);
	snprintf(big + 2050, sizeof(big) - 2050, "\"}");
	expect_event_error(big, "/subject", "too long");
	snprintf(big, sizeof(big), "{\"action\":\"exec.denied\",\"data\":{\"k\":\"");
	memset(big + strlen(big), 'x', 17000);
	snprintf(big + 17100, sizeof(big) - 17100, "\"}}");
	expect_event_error(big, "/data", "too large");
	/* The limit, to the byte: {"k":"x...x"} is 8 bytes and the x's. */
	for (int extra = 0; extra <= 1; extra++) {
		struct audit_event ev2;
		struct problems perr = PROBLEMS_INIT;
		json_t *d = json_object(), *b = json_object();
		char *x = malloc(16384 - 8 + 2);

		memset(x, 'x', 16384 - 8 + extra);
		x[16384 - 8 + extra] = '\0';
		json_object_set_new(d, "k", json_string(x));
		json_object_set_new(b, "action", json_string("exec.denied"));
		json_object_set(b, "data", d);
		CHECK_INT_EQ(audit_event_from_json(b, &ev2, &perr), extra ? -1 : 0);
		CHECK_INT_EQ((int)perr.n, extra);
		if (!extra)
			audit_event_clear(&ev2);
		problems_clear(&perr);
		json_decref(d);
		json_decref(b);
		free(x);
	}
}

/* ------------------------------------------------------------------------- */
/* Benchmark (LOCKSET_BENCH=1) */

static void
bench(int threads, double seconds)
{
	const char *d = new_dir();
	struct audit *a = open_with(d, NULL);
	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	struct worker *w = calloc((size_t)threads, sizeof(*w));
	volatile int stop = 0;
	struct timespec t0, t1;
	struct audit_counters cnt;
	long long total = 0;
	double el;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){a, 0, NULL, &stop, 0};
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	stop = 1;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += w[i].done;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	audit_counters_get(a, &cnt);
	printf("# bench: %2d threads: %8.0f appends/s (%lld in %.2fs, %llu batches, "
	       "synchronous=FULL)\n",
	       threads, (double)total / el, total, el, cnt.batches);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(verify_ok(a, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# bench: verify: %8.0f rows/s\n", (double)total / el);
	audit_close(a);
	free(t);
	free(w);
	rm_dir(d);
}

int
main(void)
{
	const char *b = getenv("LOCKSET_BENCH");

	snprintf(base, sizeof(base), "/tmp/lockset-test-audit-XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	if (b != NULL && strcmp(b, "1") == 0) {
		bench(1, 3);
		bench(8, 3);
		bench(64, 3);
		rmdir(base);
		return CHECK_DONE();
	}
	RUN(test_canonical_encoding_is_stable);
	RUN(test_canonical_encoding_is_unambiguous);
	RUN(test_chain_continues_across_reopen);
	RUN(test_group_commit_under_concurrency);
	RUN(test_verify_detects_update);
	RUN(test_verify_detects_delete);
	RUN(test_verify_detects_deleted_first_and_last_rows);
	RUN(test_verify_detects_rewritten_prev_hash);
	RUN(test_retention_by_count_leaves_signed_anchor);
	RUN(test_retention_by_age_leaves_signed_anchor);
	RUN(test_time_bound_searches_the_id_order);
	RUN(test_async_callbacks_in_commit_order_before_close);
	RUN(test_checkpoints_belong_to_their_log);
	RUN(test_tampered_anchor_signature_fails_verify);
	RUN(test_verify_checks_rule_index_and_storage_classes);
	RUN(test_checkpoint_catches_a_recomputed_chain);
	RUN(test_rollback_while_stopped_is_found);
	RUN(test_checkpoint_of_a_pruned_row_checks_against_its_anchor);
	RUN(test_retention_keeps_rows_syslog_has_not_confirmed);
	RUN(test_rollback_behind_an_unreadable_head_is_found);
	RUN(test_failed_write_degrades_and_recovers);
	RUN(test_reserved_and_invalid_events_refused);
	RUN(test_reported_events_only_under_runtime);
	RUN(test_decision_actions_are_own);
	RUN(test_every_filter);
	RUN(test_user_filter_reads_data_user);
	RUN(test_paging_asc_and_desc);
	RUN(test_unlimited_export_has_no_next);
	RUN(test_released_cursor_reads_on);
	RUN(test_cursor_rejected);
	RUN(test_query_params_name_each_bad_parameter);
	RUN(test_stats_buckets);
	RUN(test_row_json_and_csv);
	RUN(test_csv_is_text_without_formulas);
	RUN(test_event_json_validation);
	rmdir(base);
	return CHECK_DONE();
}
