/* SPDX-License-Identifier: Apache-2.0 */
/* The decision-input recorder through its interface (inputs.h) on a real
 * database: decisions judged by judge_start are recorded, folded per minute,
 * their bodies kept secret-free or flagged, flushed on demand, and pruned by
 * the row cap and by age; two recorders share neither queue, counters nor
 * rows. */
#include "server.h"
#include "audit/audit.h"
#include "check.h"
#include "testsrv.h"
#include "testutil.h"
#include "decisions/inputs.h"
#include "decisions/judge.h"
#include "decisions/redact.h"
#include "policy/policystore.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "policy/userpolicy.h"
#include "store/db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The state main.c would own. */
static struct server srv;

static char dir[] = "/tmp/lockset-inputs-XXXXXX";

#define ORG_DOC                                                                      \
	"{\"configurationFileVersion\": 2, \"containerPolicy\": {\"locked\": true, " \
	"\"mode\": \"enforce\", \"deniedFlags\": [\"--privileged\"]}}"
#define SINCE "1970-01-01T00:00:00.000000Z"

/* ------------------------------------------------------------------------ */
/* Helpers */

static int resumed;

static void
on_resume(void *arg)
{
	(void)arg;
	__atomic_store_n(&resumed, 1, __ATOMIC_RELEASE);
}

static int
is_resumed(void *arg)
{
	(void)arg;
	return __atomic_load_n(&resumed, __ATOMIC_ACQUIRE);
}

/* Judge one create request (body may be NULL), as the API would. Returns
 * the verdict. */
static int
judge(const char *uri, const char *body, size_t len)
{
	struct decide_request req = {.method = "POST", .uri = uri, .user = "alice"};
	struct judgement j;
	int allow;

	req.body = body;
	req.body_len = body ? len : 0;
	req.has_body = body != NULL;
	req.content_type = "application/json";
	__atomic_store_n(&resumed, 0, __ATOMIC_RELEASE);
	if (judge_start(srv.judge, &req, "api", "uid:0", &j, on_resume, NULL) == 1) {
		CHECK(check_wait(is_resumed, NULL));
		judge_finish(&j);
	}
	allow = j.d.allow;
	judge_clear(&j);
	return allow;
}

static int
judge_json(const char *uri, const char *body)
{
	return judge(uri, body, strlen(body));
}

/* What a scan saw: the rows, copied. */
struct seen {
	size_t n;
	long long counts;
	char uri[16][128];
	long long count[16];
	char body[16][512];
	int has_body[16], truncated[16], allow[16];
	char rules[16][64];
};

static int
collect(const struct inputs_row *r, void *cls)
{
	struct seen *s = cls;
	size_t i = s->n++;

	s->counts += r->count;
	if (i >= 16)
		return 0;
	snprintf(s->uri[i], sizeof(s->uri[i]), "%s", r->uri);
	s->count[i] = r->count;
	snprintf(s->body[i], sizeof(s->body[i]), "%.*s", r->body ? (int)r->body_len : 0,
	         r->body ? r->body : "");
	s->has_body[i] = r->has_body;
	s->truncated[i] = r->body_truncated;
	s->allow[i] = r->allow;
	snprintf(s->rules[i], sizeof(s->rules[i]), "%s", r->rules);
	return 0;
}

static void
scan(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	CHECK_INT_EQ(inputs_scan(srv.inputs, SINCE, collect, s), 0);
}

/* The row whose URI is uri, or -1. */
static long
row_of(const struct seen *s, const char *uri)
{
	for (size_t i = 0; i < s->n && i < 16; i++)
		if (strcmp(s->uri[i], uri) == 0)
			return (long)i;
	return -1;
}

/* Rows stored now equal *want (a size_t). */
static int
rows_are(void *want)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	return inputs_scan(srv.inputs, SINCE, collect, &s) == 0 && s.n == *(size_t *)want;
}

/* No stored row has the URI uri (a string). */
static int
row_gone(void *uri)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	return inputs_scan(srv.inputs, SINCE, collect, &s) == 0 && row_of(&s, uri) < 0;
}

/* The judge that records into srv.inputs. 0, or -1. */
static int
new_judge(void)
{
	struct judge_deps deps = {srv.audit,      srv.redact, NULL, NULL, srv.served,
	                          srv.userpolicy, srv.inputs, NULL, NULL};

	judge_free(srv.judge);
	srv.judge = judge_new(&deps);
	return srv.judge != NULL ? 0 : -1;
}

/* Start the recorder with these row and age limits (0: the default rows, no
 * age limit), and a judge that records into it; bytes and URIs are not what
 * these tests bound. */
static int
start(long days, long rows)
{
	struct inputs_limits lim = {rows > 0 ? rows : 100000, 64LL << 20, days, 1 << 20};

	srv.inputs = inputs_start(audit_db(srv.audit), &lim, srv.redact);
	return srv.inputs != NULL ? new_judge() : -1;
}

static int
restart(long days, long rows)
{
	inputs_stop(srv.inputs);
	srv.inputs = NULL;
	return start(days, rows);
}

/* Prometheus text of in's counters (malloc'd), or NULL. */
static char *
metrics_of(struct inputs *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	inputs_metrics(in, f);
	fclose(f);
	return text;
}

/* ------------------------------------------------------------------------ */

/* Identical decisions of one minute are one counted row; the writer stores
 * them only when asked to flush or when its batch is due. */
static void
test_identical_decisions_fold_into_one_row(void)
{
	static const char body[] = "{\"Image\":\"alpine\"}";
	time_t before = time(NULL), after;
	struct seen s;

	for (int i = 0; i < 3; i++)
		CHECK_INT_EQ(judge_json("/v1.47/containers/create?name=fold", body), 1);
	after = time(NULL);
	inputs_flush(srv.inputs);
	scan(&s);
	CHECK_INT_EQ(s.counts, 3);
	/* Two rows only if the minute turned while the test ran. */
	CHECK_INT_EQ(s.n, before / 60 == after / 60 ? 1 : s.n);
	CHECK(s.n >= 1 && s.n <= 2);
	CHECK_STR_EQ(s.uri[0], "/v1.47/containers/create?name=fold");
	CHECK_INT_EQ(s.has_body[0], 1);
	CHECK_INT_EQ(s.truncated[0], 0);
	CHECK_STR_EQ(s.body[0], body);
	CHECK_INT_EQ(s.allow[0], 1);
	CHECK_STR_EQ(s.rules[0], "[]");
}

/* A deny is recorded with its verdict and rules. */
static void
test_deny_is_recorded_with_its_rules(void)
{
	struct seen s;
	long i;

	CHECK_INT_EQ(judge_json("/v1.47/containers/create?name=priv",
	                        "{\"Image\":\"alpine\",\"HostConfig\":{\"Privileged\":true}}"),
	             0);
	inputs_flush(srv.inputs);
	scan(&s);
	i = row_of(&s, "/v1.47/containers/create?name=priv");
	CHECK(i >= 0);
	if (i < 0)
		return;
	CHECK_INT_EQ(s.allow[i], 0);
	CHECK_STR_EQ(s.rules[i], "[\"privileged\"]");
	CHECK_INT_EQ(s.count[i], 1);
}

/* An Env value never reaches the database; bodies that are not JSON or are
 * over the cap are flagged, not kept. */
static void
test_bodies_are_kept_secret_free_or_flagged(void)
{
	char *big = malloc(INPUTS_MAX_BODY + 64);
	struct seen s;
	long i;

	CHECK_INT_EQ(judge_json("/v1.47/containers/create?name=env",
	                        "{\"Image\":\"alpine\",\"Env\":[\"PASSWORD=hunter2\"]}"),
	             1);
	CHECK_INT_EQ(judge("/v1.47/containers/create?name=junk", "not json", 8), 0);
	if (big != NULL) {
		size_t n = (size_t)snprintf(big, 64, "{\"Image\":\"alpine\",\"Labels\":{\"x\":\"");
		memset(big + n, 'a', INPUTS_MAX_BODY);
		memcpy(big + n + INPUTS_MAX_BODY, "\"}}", 3);
		judge("/v1.47/containers/create?name=big", big, n + INPUTS_MAX_BODY + 3);
	}
	inputs_flush(srv.inputs);
	scan(&s);
	i = row_of(&s, "/v1.47/containers/create?name=env");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_INT_EQ(s.has_body[i], 1);
		CHECK(strstr(s.body[i], "PASSWORD=") != NULL);
		CHECK(strstr(s.body[i], "hunter2") == NULL);
	}
	i = row_of(&s, "/v1.47/containers/create?name=junk");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_INT_EQ(s.has_body[i], 0);
		CHECK_INT_EQ(s.truncated[i], 1);
	}
	i = row_of(&s, "/v1.47/containers/create?name=big");
	CHECK(i >= 0 || big == NULL);
	if (i >= 0) {
		CHECK_INT_EQ(s.has_body[i], 0);
		CHECK_INT_EQ(s.truncated[i], 1);
		CHECK_STR_EQ(s.body[i], "");
	}
	free(big);
}

/* A second recorder, on a database of its own, keeps what its judge
 * decides to itself: the daemon's recorder neither counts nor stores it. */
static void
test_two_recorders_do_not_share_state(void)
{
	struct inputs_limits lim = {100, 1 << 20, 0, 1 << 20};
	struct judge *own_judge = srv.judge;
	struct inputs *other;
	struct db *db;
	char path[128], *err = NULL, *text;
	struct seen s;

	snprintf(path, sizeof(path), "%s/other.db", dir);
	db = db_open(path, NULL, &err);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	other = inputs_start(db, &lim, srv.redact);
	CHECK(other != NULL);
	srv.judge = judge_new(&(struct judge_deps){srv.audit, srv.redact, NULL, NULL, srv.served,
	                                           srv.userpolicy, other, NULL, NULL});
	CHECK_INT_EQ(judge_json("/v1.47/containers/create?name=other", "{\"Image\":\"a\"}"), 1);
	inputs_flush(other);
	memset(&s, 0, sizeof(s));
	CHECK_INT_EQ(inputs_scan(other, SINCE, collect, &s), 0);
	CHECK_INT_EQ(s.n, 1);
	CHECK_STR_EQ(s.uri[0], "/v1.47/containers/create?name=other");
	text = metrics_of(other);
	CHECK(text != NULL && strstr(text, "\nlockset_decision_inputs_total 1\n") != NULL);
	CHECK(text != NULL && strstr(text, "\nlockset_decision_inputs_max_rows 100\n") != NULL);
	free(text);
	inputs_flush(srv.inputs);
	scan(&s);
	CHECK(row_of(&s, "/v1.47/containers/create?name=other") < 0);
	judge_free(srv.judge);
	srv.judge = own_judge;
	inputs_stop(other);
	db_close(db);
}

static void
test_metrics_count_what_was_queued(void)
{
	char *text = metrics_of(srv.inputs);

	if (text == NULL) {
		CHECK(0);
		return;
	}
	CHECK(strstr(text, "\nlockset_decision_inputs_total 7\n") != NULL);
	CHECK(strstr(text, "\nlockset_decision_inputs_dropped_total{reason=\"queue_full\"} 0\n") !=
	      NULL);
	free(text);
}

/* Restarted with a cap of 3 rows, the writer's first retention run keeps the
 * 3 newest; a batch that goes over the cap is pruned right after it, the
 * newest row kept. */
static void
test_row_cap_keeps_the_newest_rows(void)
{
	size_t want = 3;
	struct seen s;

	scan(&s);
	CHECK(s.n >= 5); /* 6 if the minute turned during the first test */
	CHECK_INT_EQ(restart(0, 3), 0);
	CHECK(check_wait(rows_are, &want));
	scan(&s);
	CHECK(row_of(&s, "/v1.47/containers/create?name=fold") < 0);
	CHECK(row_of(&s, "/v1.47/containers/create?name=priv") < 0);
	CHECK(row_of(&s, "/v1.47/containers/create?name=env") >= 0);
	CHECK(row_of(&s, "/v1.47/containers/create?name=junk") >= 0);
	CHECK(row_of(&s, "/v1.47/containers/create?name=big") >= 0);
	CHECK_INT_EQ(judge_json("/v1.47/containers/create?name=after", "{\"Image\":\"a\"}"), 1);
	inputs_flush(srv.inputs);
	scan(&s);
	CHECK(s.n <= 3);
	CHECK(row_of(&s, "/v1.47/containers/create?name=after") >= 0);
}

/* Rows whose last decision is older than the retention days go, and so do
 * the bodies no row names any more. */
static void
test_old_rows_and_their_bodies_are_pruned(void)
{
	static const char orphans[] = "SELECT count(*) FROM input_bodies WHERE hash NOT IN "
	                              "(SELECT body_hash FROM decision_inputs)";
	static const char old[] = "/v1.47/containers/create?name=old";
	long long bodies;
	struct seen s;

	CHECK_INT_EQ(restart(30, 0), 0);
	CHECK_INT_EQ(judge_json(old, "{\"Image\":\"old\"}"), 1);
	CHECK_INT_EQ(judge_json("/v1.47/containers/create?name=kept", "{\"Image\":\"kept\"}"), 1);
	inputs_flush(srv.inputs);
	bodies = testdb_count(dir, "SELECT count(*) FROM input_bodies");
	CHECK(bodies >= 2); /* old's and kept's at least */
	CHECK_INT_EQ(testdb_count(dir, orphans), 0);
	CHECK_INT_EQ(
	    testdb_exec(dir, "UPDATE decision_inputs SET first = '2000-01-01T00:00:00.000000Z', "
	                     "last = '2000-01-01T00:00:00.000000Z' "
	                     "WHERE uri = '/v1.47/containers/create?name=old'"),
	    SQLITE_OK);
	CHECK_INT_EQ(restart(30, 0), 0);
	CHECK(check_wait(row_gone, (void *)old));
	scan(&s);
	CHECK(row_of(&s, "/v1.47/containers/create?name=kept") >= 0);
	CHECK_INT_EQ(testdb_count(dir, orphans), 0);
	CHECK_INT_EQ(testdb_count(dir, "SELECT count(*) FROM input_bodies"), bodies - 1);
}

int
main(void)
{
	struct audit_opts aopts = {.synchronous_full = 1};
	char *err = NULL, cmd[128];

	if (mkdtemp(dir) == NULL || testsrv_open(&srv, dir, &aopts) != 0 ||
	    (srv.redact = redact_open(dir, &err)) == NULL ||
	    served_install(srv.served, json_loads(ORG_DOC, 0, NULL), 1) != 0 || start(0, 0) != 0) {
		fprintf(stderr, "cannot start: %s\n", err ? err : "?");
		return 99;
	}
	RUN(test_identical_decisions_fold_into_one_row);
	RUN(test_deny_is_recorded_with_its_rules);
	RUN(test_bodies_are_kept_secret_free_or_flagged);
	RUN(test_two_recorders_do_not_share_state);
	RUN(test_metrics_count_what_was_queued);
	RUN(test_row_cap_keeps_the_newest_rows);
	RUN(test_old_rows_and_their_bodies_are_pruned);
	inputs_stop(srv.inputs);
	judge_free(srv.judge);
	redact_free(srv.redact);
	testsrv_close(&srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
