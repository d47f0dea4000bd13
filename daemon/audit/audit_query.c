/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the audit log: query plans (time bounds as id ranges, the filter
 * that drives the scan), keyset-paged streaming cursors (one read connection
 * each, a snapshot per chunk, constant memory), one decision by id,
 * per-bucket stats. */
#include "audit_int.h"

#include "store/db.h"
#include "log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_MAX 100000 /* most series entries one stats call returns */

/*
 * Query plan. Time bounds become an id range (time never decreases with id), and
 * so does the cursor; one filter with an index "drives" the scan in id order
 * (each index ends in the rowid, so no sort and constant memory), every other
 * filter is checked on the rows it yields. Parameters, the same in every
 * statement: ?1 lowest id, ?2 id bound (exclusive), ?3 action, ?4/?5 action
 * prefix range, ?6 actor, ?7 subject, ?8 rule, ?9 decision, ?10 policy_version,
 * ?13 user (data.user, through the expression index events_user).
 */
#define COLS                                                                                     \
	"e.id, e.time, e.action, e.actor, e.host, e.component, e.subject, e.decision, e.rules, " \
	"e.data, e.policy_version, e.prev_hash, e.hash"
#define FILTERS                                                    \
	" AND (?3 IS NULL OR e.action = ?3)"                       \
	" AND (?4 IS NULL OR (e.action >= ?4 AND e.action < ?5))"  \
	" AND (?6 IS NULL OR e.actor = ?6)"                        \
	" AND (?7 IS NULL OR e.subject = ?7)"                      \
	" AND (?8 IS NULL OR EXISTS (SELECT 1 FROM event_rules x " \
	"WHERE x.rule = ?8 AND x.event_id = e.id))"                \
	" AND (?9 IS NULL OR e.decision = ?9)"                     \
	" AND (?10 IS NULL OR e.policy_version = ?10)"             \
	" AND (?13 IS NULL OR json_extract(e.data, '$.user') = ?13)"
#define Q(from, drive, key, dir)                                                               \
	"SELECT " COLS " FROM " from " WHERE " drive " " key " >= ?1 AND " key " < ?2" FILTERS \
	" ORDER BY " key " " dir
#define QE(index, drive, dir) Q("events e INDEXED BY " index, drive " AND", "e.id", dir)
#define QR(dir)                                                                         \
	Q("event_rules r CROSS JOIN events e", "r.rule = ?8 AND e.id = r.event_id AND", \
	  "r.event_id", dir)

enum drive {
	DRIVE_ID,
	DRIVE_RULE,
	DRIVE_SUBJECT,
	DRIVE_ACTOR,
	DRIVE_VERSION,
	DRIVE_ACTION,
	DRIVE_DECISION,
	DRIVE_USER,
};

/* [drive][ascending] */
static const char *const sql_query[][2] = {
    [DRIVE_ID] = {Q("events e", "", "e.id", "DESC"), Q("events e", "", "e.id", "ASC")},
    [DRIVE_RULE] = {QR("DESC"), QR("ASC")},
    [DRIVE_SUBJECT] = {QE("events_subject", "e.subject = ?7", "DESC"),
                       QE("events_subject", "e.subject = ?7", "ASC")},
    [DRIVE_ACTOR] = {QE("events_actor", "e.actor = ?6", "DESC"),
                     QE("events_actor", "e.actor = ?6", "ASC")},
    [DRIVE_VERSION] = {QE("events_policy_version", "e.policy_version = ?10", "DESC"),
                       QE("events_policy_version", "e.policy_version = ?10", "ASC")},
    [DRIVE_ACTION] = {QE("events_action", "e.action = ?3", "DESC"),
                      QE("events_action", "e.action = ?3", "ASC")},
    [DRIVE_DECISION] = {QE("events_decision", "e.decision = ?9", "DESC"),
                        QE("events_decision", "e.decision = ?9", "ASC")},
    [DRIVE_USER] = {QE("events_user", "json_extract(e.data, '$.user') = ?13", "DESC"),
                    QE("events_user", "json_extract(e.data, '$.user') = ?13", "ASC")},
};

/* Counts per bucket; ?11 is the length of the time prefix, ?12 the key column. */
static const char sql_stats_column[] =
    "SELECT substr(e.time, 1, ?11) AS t, CASE ?12 WHEN 'actor' THEN e.actor ELSE e.action END "
    "AS k, count(*) FROM events e WHERE e.id >= ?1 AND e.id < ?2" FILTERS
    " GROUP BY t, k ORDER BY t, k";
static const char sql_stats_rule[] =
    "SELECT substr(e.time, 1, ?11) AS t, r.rule AS k, count(*) "
    "FROM events e JOIN event_rules r ON r.event_id = e.id "
    "WHERE e.id >= ?1 AND e.id < ?2 AND (?8 IS NULL OR r.rule = ?8)" FILTERS
    " GROUP BY t, k ORDER BY t, k";

struct plan {
	long long lo, hi; /* lo <= id < hi */
	char *exact;      /* action, exact */
	char *plo, *phi;  /* action prefix range */
};

struct audit_cursor {
	struct audit *a;
	sqlite3 *c;
	sqlite3_stmt *st;
	struct plan plan;
	int limit, returned, ascending, done;
	int in_tx; /* holds a read transaction (a snapshot) now */
	long long last_id;
	char token[AUDIT_TOKEN_MAX];
	int has_token;
};

/* ------------------------------------------------------------------------- */
/* Plans */

/* The first id whose time is >= t, or LLONG_MAX when there is none. */
static int
id_at_time(sqlite3 *c, const char *t, long long *id)
{
	long long us;

	if (audit_time_parse(t, &us) != 0)
		us = 0;
	return audit_id_at_time(c, us, id);
}

static void
plan_free(struct plan *p)
{
	free(p->exact);
	free(p->plo);
	free(p->phi);
}

static int
plan_make(sqlite3 *c, const struct audit_query *q, struct plan *p)
{
	long long id;
	int asc;

	memset(p, 0, sizeof(*p));
	p->lo = 1;
	p->hi = LLONG_MAX;
	if (q->since && id_at_time(c, q->since, &p->lo) != 0)
		return -1;
	if (q->until && id_at_time(c, q->until, &p->hi) != 0)
		return -1;
	if (q->cursor && audit_token_decode(q->cursor, &asc, &id) == 0) {
		if (q->ascending && id + 1 > p->lo)
			p->lo = id + 1;
		if (!q->ascending && id < p->hi)
			p->hi = id;
	}
	if (q->action != NULL) {
		size_t n = strlen(q->action);
		if (q->action[n - 1] != '*') {
			if ((p->exact = strdup(q->action)) == NULL)
				return -1;
		} else if (n > 1) {
			if ((p->plo = strndup(q->action, n - 1)) == NULL ||
			    (p->phi = strndup(q->action, n - 1)) == NULL)
				return -1;
			p->phi[n - 2]++; /* the first string after every one with the prefix */
		}
	}
	return 0;
}

/* One past the last id there is now (1 when there are no rows). */
static int
plan_end(sqlite3 *c, long long *hi)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT ifnull(max(id), 0) + 1 FROM events");
	int rc = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		*hi = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static void
plan_bind(sqlite3_stmt *st, const struct audit_query *q, const struct plan *p)
{
	sqlite3_bind_int64(st, 1, p->lo);
	sqlite3_bind_int64(st, 2, p->hi);
	db_bind_text(st, 3, p->exact);
	db_bind_text(st, 4, p->plo);
	db_bind_text(st, 5, p->phi);
	sqlite3_bind_text(st, 6, q->actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, q->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, q->rule, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, q->decision, -1, SQLITE_TRANSIENT);
	if (q->policy_version >= 0)
		sqlite3_bind_int64(st, 10, q->policy_version);
	sqlite3_bind_text(st, 13, q->user, -1, SQLITE_TRANSIENT);
}

/* How many rows (capped at PROBE_CAP, which the LIMIT below repeats) each
 * candidate index would walk in the id range: used to pick the most selective filter to drive the scan. */
#define PROBE_CAP 20000
#define PROBE(from, key, where)                                                                   \
	"SELECT count(*) FROM (SELECT 1 FROM " from " WHERE " where " AND " key " >= ?1 AND " key \
	" < ?2 LIMIT 20000)"
static const char *const sql_probe[] = {
    [DRIVE_ID] = NULL,
    [DRIVE_RULE] = PROBE("event_rules", "event_id", "rule = ?3"),
    [DRIVE_SUBJECT] = PROBE("events INDEXED BY events_subject", "id", "subject = ?3"),
    [DRIVE_ACTOR] = PROBE("events INDEXED BY events_actor", "id", "actor = ?3"),
    [DRIVE_VERSION] = PROBE("events INDEXED BY events_policy_version", "id", "policy_version = ?3"),
    [DRIVE_ACTION] = PROBE("events INDEXED BY events_action", "id", "action = ?3"),
    [DRIVE_DECISION] = PROBE("events INDEXED BY events_decision", "id", "decision = ?3"),
    [DRIVE_USER] =
        PROBE("events INDEXED BY events_user", "id", "json_extract(data, '$.user') = ?3"),
};

/* Rows the drive d would visit (at most PROBE_CAP), or PROBE_CAP on error. */
static long long
plan_probe(sqlite3 *c, enum drive d, const struct audit_query *q, const struct plan *p)
{
	sqlite3_stmt *st = db_prepare(c, sql_probe[d]);
	long long n = PROBE_CAP;

	if (st == NULL)
		return n;
	sqlite3_bind_int64(st, 1, p->lo);
	sqlite3_bind_int64(st, 2, p->hi);
	switch (d) {
	case DRIVE_RULE:
		db_bind_text(st, 3, q->rule);
		break;
	case DRIVE_SUBJECT:
		db_bind_text(st, 3, q->subject);
		break;
	case DRIVE_ACTOR:
		db_bind_text(st, 3, q->actor);
		break;
	case DRIVE_VERSION:
		sqlite3_bind_int64(st, 3, q->policy_version);
		break;
	case DRIVE_ACTION:
		db_bind_text(st, 3, p->exact);
		break;
	case DRIVE_DECISION:
		db_bind_text(st, 3, q->decision);
		break;
	case DRIVE_USER:
		db_bind_text(st, 3, q->user);
		break;
	default:
		break;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The filter that drives the scan. With one indexed filter, that one; with
 * several, the one matching the fewest rows in the id range (probed with a
 * capped count, so a rare combination of common values such as rule and
 * actor does not walk every row of the commoner one). */
static enum drive
plan_drive(sqlite3 *c, const struct audit_query *q, const struct plan *p)
{
	enum drive cand[7], best = DRIVE_ID;
	long long best_n = PROBE_CAP + 1;
	size_t n = 0;

	/* Ties (every probe capped) go to the filter most often selective. */
	if (q->subject)
		cand[n++] = DRIVE_SUBJECT;
	if (q->actor)
		cand[n++] = DRIVE_ACTOR;
	if (q->user)
		cand[n++] = DRIVE_USER;
	if (q->policy_version >= 0)
		cand[n++] = DRIVE_VERSION;
	if (p->exact)
		cand[n++] = DRIVE_ACTION;
	if (q->rule)
		cand[n++] = DRIVE_RULE;
	if (q->decision)
		cand[n++] = DRIVE_DECISION;
	if (n <= 1)
		return n == 1 ? cand[0] : DRIVE_ID;
	for (size_t i = 0; i < n; i++) {
		long long rows = plan_probe(c, cand[i], q, p);
		if (rows < best_n) {
			best_n = rows;
			best = cand[i];
		}
	}
	return best;
}

/* ------------------------------------------------------------------------- */
/* Cursors */

struct audit_cursor *
audit_query_open(struct audit *a, const struct audit_query *q, struct problems *errs)
{
	struct audit_cursor *cur = NULL;

	if (audit_query_check(q, errs) != 0)
		return NULL;
	if ((cur = calloc(1, sizeof(*cur))) == NULL)
		return NULL;
	cur->a = a;
	cur->limit = q->limit;
	cur->ascending = q->ascending != 0;
	if ((cur->c = db_reader_get_bulk(a->db)) == NULL)
		goto fail;
	/* One snapshot for the plan and the first rows. */
	if (db_exec(cur->c, "BEGIN") != SQLITE_OK || plan_make(cur->c, q, &cur->plan) != 0)
		goto fail;
	cur->in_tx = 1;
	/* The rows are those of this snapshot, whatever is appended while a
	 * later snapshot reads on (audit_cursor_release). */
	if (cur->plan.hi == LLONG_MAX && plan_end(cur->c, &cur->plan.hi) != 0)
		goto fail;
	cur->st = db_prepare(cur->c, sql_query[plan_drive(cur->c, q, &cur->plan)][cur->ascending]);
	if (cur->st == NULL)
		goto fail;
	plan_bind(cur->st, q, &cur->plan);
	return cur;
fail:
	log_warnx("audit: cannot start a query%s%s", cur->c ? ": " : "",
	          cur->c ? sqlite3_errmsg(cur->c) : "");
	audit_cursor_close(cur);
	return NULL;
}

void
audit_row_from_stmt(sqlite3_stmt *st, struct audit_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->time = db_column_text(st, 1);
	r->action = db_column_text(st, 2);
	r->actor = db_column_text(st, 3);
	r->host = db_column_text(st, 4);
	r->component = db_column_text(st, 5);
	r->subject = db_column_text(st, 6);
	r->decision = db_column_text(st, 7);
	r->rules = db_column_text(st, 8);
	r->data = db_column_text(st, 9);
	r->policy_version =
	    sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 10);
	r->prev_hash = db_column_text(st, 11);
	r->hash = db_column_text(st, 12);
}

/* A new snapshot, reading on after the last row returned: ids only grow,
 * so the id range alone says where (bindings survive the reset). */
static int
cursor_resume(struct audit_cursor *c)
{
	if (db_exec(c->c, "BEGIN") != SQLITE_OK) {
		log_warnx("audit: query: %s", sqlite3_errmsg(c->c));
		return -1;
	}
	c->in_tx = 1;
	if (c->returned == 0)
		return 0;
	if (c->ascending)
		c->plan.lo = c->last_id + 1;
	else
		c->plan.hi = c->last_id;
	sqlite3_bind_int64(c->st, 1, c->plan.lo);
	sqlite3_bind_int64(c->st, 2, c->plan.hi);
	return 0;
}

void
audit_cursor_release(struct audit_cursor *c)
{
	if (c == NULL || !c->in_tx)
		return;
	sqlite3_reset(c->st);
	db_exec(c->c, "COMMIT");
	c->in_tx = 0;
}

int
audit_cursor_next(struct audit_cursor *c, struct audit_row *row)
{
	int rc;

	if (c->done)
		return 0;
	if (!c->in_tx && cursor_resume(c) != 0) {
		c->done = 1;
		return -1;
	}
	rc = sqlite3_step(c->st);
	if (rc == SQLITE_DONE) {
		c->done = 1;
		return 0;
	}
	if (rc != SQLITE_ROW) {
		log_warnx("audit: query: %s", sqlite3_errmsg(c->c));
		c->done = 1;
		return -1;
	}
	if (c->limit > 0 && c->returned == c->limit) {
		/* One row past the page: there is a next page. */
		audit_token_encode(c->ascending, c->last_id, c->token);
		c->has_token = 1;
		c->done = 1;
		return 0;
	}
	audit_row_from_stmt(c->st, row);
	c->returned++;
	c->last_id = row->id;
	return 1;
}

const char *
audit_cursor_next_token(struct audit_cursor *c)
{
	return c->has_token ? c->token : NULL;
}

void
audit_cursor_close(struct audit_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->st);
	db_reader_put_bulk(c->a->db, c->c);
	plan_free(&c->plan);
	free(c);
}

/* ------------------------------------------------------------------------- */
/* One decision by id */

int
audit_decision_find(struct audit *a, const char *decision_id, json_t **out)
{
	sqlite3 *c = db_reader_get(a->db);
	sqlite3_stmt *st = NULL;
	struct audit_row r;
	int rc = -1, step;

	*out = NULL;
	if (c == NULL)
		return -1;
	/* Only lockset's own rows: a reported event (always under runtime.*,
	 * audit_event_namespace_check) may carry any data, decisionId included,
	 * and must never stand in for a decision. */
	st = db_prepare(c, "SELECT " COLS " FROM events e INDEXED BY events_decision_id "
	                   "WHERE json_extract(e.data, '$.decisionId') = ?1 "
	                   "AND e.action NOT GLOB '" AUDIT_NAMESPACE_RUNTIME ".*' "
	                   "ORDER BY e.id DESC LIMIT 1");
	if (st == NULL)
		goto out;
	db_bind_text(st, 1, decision_id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		audit_row_from_stmt(st, &r);
		*out = audit_row_json(&r);
		rc = *out != NULL ? 1 : -1;
	} else {
		rc = step == SQLITE_DONE ? 0 : -1;
	}
out:
	sqlite3_finalize(st);
	db_reader_put(a->db, c);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Stats */

struct bucket {
	const char *name;
	int len;            /* of the stored time kept */
	const char *suffix; /* completes it to an RFC 3339 time */
};

static const struct bucket buckets[] = {
    {"minute", 16, ":00Z"},
    {"hour", 13, ":00:00Z"},
    {"day", 10, "T00:00:00Z"},
};

static int
stats_rows(sqlite3_stmt *st, const struct bucket *b, json_t *series, struct problems *errs)
{
	int rc;
	size_t n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char t[48];
		json_t *e;

		if (++n > STATS_MAX) {
			problems_add(errs, "bucket",
			             "more than %d series entries; narrow since/until or use a "
			             "larger bucket",
			             STATS_MAX);
			return -1;
		}
		snprintf(t, sizeof(t), "%s%s", db_column_text(st, 0), b->suffix);
		e = json_pack("{ss ss sI}", "t", t, "key", db_column_text(st, 1), "count",
		              (json_int_t)sqlite3_column_int64(st, 2));
		if (e == NULL || json_array_append_new(series, e) != 0)
			return -1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

json_t *
audit_stats(struct audit *a, const char *bucket, const char *by, const struct audit_query *filter,
            struct problems *errs)
{
	struct audit_query q = AUDIT_QUERY_INIT;
	const struct bucket *b = NULL;
	struct plan plan = {0};
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	json_t *series = NULL, *res = NULL;
	size_t before = errs->n;

	if (filter != NULL)
		q = *filter;
	q.limit = 0;
	q.cursor = NULL;
	for (size_t i = 0; bucket && i < sizeof(buckets) / sizeof(buckets[0]); i++)
		if (strcmp(bucket, buckets[i].name) == 0)
			b = &buckets[i];
	if (b == NULL)
		problems_add(errs, "bucket", "expected one of minute, hour, day");
	if (by == NULL ||
	    (strcmp(by, "rule") != 0 && strcmp(by, "action") != 0 && strcmp(by, "actor") != 0))
		problems_add(errs, "by", "expected one of rule, action, actor");
	audit_query_check(&q, errs);
	if (errs->n != before)
		return NULL;
	if ((c = db_reader_get_bulk(a->db)) == NULL || db_exec(c, "BEGIN") != SQLITE_OK ||
	    plan_make(c, &q, &plan) != 0)
		goto out;
	if ((st = db_prepare(c, strcmp(by, "rule") == 0 ? sql_stats_rule : sql_stats_column)) ==
	    NULL)
		goto out;
	plan_bind(st, &q, &plan);
	sqlite3_bind_int(st, 11, b->len);
	sqlite3_bind_text(st, 12, by, -1, SQLITE_TRANSIENT);
	if ((series = json_array()) == NULL || stats_rows(st, b, series, errs) != 0)
		goto out;
	res = json_pack("{ss ss sO}", "bucket", b->name, "by", by, "series", series);
out:
	json_decref(series);
	sqlite3_finalize(st);
	plan_free(&plan);
	db_reader_put_bulk(a->db, c);
	return res;
}
