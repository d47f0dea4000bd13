/* SPDX-License-Identifier: Apache-2.0 */
/* Audit chain verification: stream every row oldest first in one read snapshot,
 * recompute each hash, check each link, the id sequence, the anchor that
 * explains the first row, every anchor's signature and the writer's head; and
 * what the hash does not cover but queries read: each value's storage class,
 * and the rule index, rebuilt from the rows and compared. */
#include "audit_int.h"

#include "store/db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_COLUMNS                                                                  \
	"id, time, action, actor, host, component, subject, decision, rules, data, " \
	"policy_version, prev_hash, hash"
/* The hash covers each value's text, not how SQLite stores it; queries do
 * care (a number stored as text, or text as a blob, matches no filter), so
 * verify checks the storage classes too. */
#define ROW_TYPED                                                                             \
	"typeof(time) = 'text' AND typeof(action) = 'text' AND typeof(actor) = 'text' AND "   \
	"typeof(host) = 'text' AND typeof(component) = 'text' AND typeof(subject) = 'text' "  \
	"AND typeof(decision) = 'text' AND typeof(rules) = 'text' AND typeof(data) = 'text' " \
	"AND typeof(policy_version) IN ('integer', 'null') AND typeof(prev_hash) = 'text' "   \
	"AND typeof(hash) = 'text'"

/* The rule index (event_rules), read in step with the rows: it is derived
 * from each row's rules, which the hash covers, so it must say exactly that. */
struct rule_index {
	sqlite3_stmt *st;
	int rc;          /* of the last step */
	long long event; /* the current index row */
	const char *rule;
};

struct verdict {
	long long rows;
	long long bad_id;
	const char *reason; /* NULL: ok so far */
};

/* Find the anchor saying rows up to first_id - 1 were pruned, the last of them
 * with hash prev_hash. Returns 1 and sets *anchor_id and *sig_ok when there is
 * one, 0 when there is none, -1 on a read error. */
static int
anchor_find(struct audit *a, sqlite3 *c, long long first_id, const char *prev_hash,
            long long *anchor_id, int *sig_ok)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT id, data FROM events WHERE action = ?1 "
	                                 "AND id >= ?2 ORDER BY id");
	int rc, found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, AUDIT_ACTION_PRUNED, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, first_id);
	while (!found && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long upto = 0;
		char hash[65] = "";
		int ok = audit_anchor_check(a, db_column_text(st, 1), &upto, hash) == 0;

		if (upto == first_id - 1 && strcmp(hash, prev_hash) == 0) {
			found = 1;
			*anchor_id = sqlite3_column_int64(st, 0);
			*sig_ok = ok;
		}
	}
	if (!found && rc != SQLITE_DONE)
		found = -1;
	sqlite3_finalize(st);
	return found;
}

/* The start of the chain: row 1 linked to the zero hash, or a signed anchor. */
static int
check_start(struct audit *a, sqlite3 *c, const struct audit_row *r, struct verdict *v)
{
	long long anchor_id = 0;
	int found, sig_ok = 0;

	if (r->id == 1 && strcmp(r->prev_hash, AUDIT_ZERO_HASH) == 0)
		return 0;
	if ((found = anchor_find(a, c, r->id, r->prev_hash, &anchor_id, &sig_ok)) < 0)
		return -1;
	if (!found) {
		v->bad_id = r->id > 1 ? r->id - 1 : r->id;
		v->reason = "missing rows";
	} else if (!sig_ok) {
		v->bad_id = anchor_id;
		v->reason = "bad anchor signature";
	}
	return 0;
}

/* Check one row against the previous one (prev_id 0: the first row). */
static void
check_row(struct audit *a, const struct audit_row *r, long long prev_id, const char *prev_hash,
          struct verdict *v)
{
	char h[65];

	if (strcmp(r->action, AUDIT_ACTION_PRUNED) == 0 &&
	    audit_anchor_check(a, r->data, NULL, NULL) != 0) {
		v->bad_id = r->id;
		v->reason = "bad anchor signature";
	} else if (prev_id != 0 && r->id != prev_id + 1) {
		v->bad_id = prev_id + 1;
		v->reason = "missing rows";
	} else if (audit_row_hash(r, h) != 0 || strcmp(h, r->hash) != 0) {
		v->bad_id = r->id;
		v->reason = "hash mismatch";
	} else if (prev_id != 0 && strcmp(r->prev_hash, prev_hash) != 0) {
		v->bad_id = r->id;
		v->reason = "prev_hash mismatch";
	}
}

static void
index_next(struct rule_index *ix)
{
	ix->rc = sqlite3_step(ix->st);
	if (ix->rc == SQLITE_ROW) {
		ix->event = sqlite3_column_int64(ix->st, 0);
		ix->rule = db_column_text(ix->st, 1);
	}
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Do the index rows of r (and none before it) name exactly r's rules? */
static int
index_matches(struct rule_index *ix, const struct audit_row *r)
{
	json_t *rules = json_loads(r->rules, 0, NULL), *x;
	size_t n = json_array_size(rules), i, k = 0;
	const char **want = calloc(n + 1, sizeof(*want));
	int ok = json_is_array(rules) && want != NULL;

	json_array_foreach(rules, i, x)
	{
		if (json_is_string(x))
			want[k++] = json_string_value(x);
	}
	qsort(want, k, sizeof(*want), cmp_str);
	for (i = 0, n = k, k = 0; ok && i < n; i++) /* once each, as the index holds them */
		if (i == 0 || strcmp(want[i], want[i - 1]) != 0)
			want[k++] = want[i];
	if (ix->rc == SQLITE_ROW && ix->event < r->id)
		ok = 0; /* an index row of a row that is gone */
	for (i = 0; ok && ix->rc == SQLITE_ROW && ix->event == r->id; i++, index_next(ix))
		ok = i < k && strcmp(ix->rule, want[i]) == 0;
	ok = ok && i == k;
	free(want);
	json_decref(rules);
	return ok;
}

static int
verify_stream(struct audit *a, sqlite3 *c, long long head_id, const char *head_hash,
              struct verdict *v)
{
	sqlite3_stmt *st =
	    db_prepare(c, "SELECT " ROW_COLUMNS ", " ROW_TYPED " FROM events ORDER BY id");
	struct rule_index ix = {db_prepare(c, "SELECT event_id, rule FROM event_rules "
	                                      "ORDER BY event_id, rule"),
	                        SQLITE_ERROR, 0, NULL};
	char prev_hash[65] = "";
	long long prev_id = 0;
	int rc = SQLITE_ERROR;

	if (st == NULL || ix.st == NULL) {
		sqlite3_finalize(st);
		sqlite3_finalize(ix.st);
		return -1;
	}
	index_next(&ix);
	while (v->reason == NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_row r;

		audit_row_from_stmt(st, &r);
		v->rows++;
		if (prev_id == 0 && check_start(a, c, &r, v) != 0)
			break;
		if (v->reason == NULL)
			check_row(a, &r, prev_id, prev_hash, v);
		if (v->reason == NULL && !sqlite3_column_int(st, 13)) {
			v->bad_id = r.id;
			v->reason = "stored type changed";
		}
		if (v->reason == NULL && !index_matches(&ix, &r)) {
			v->bad_id = r.id;
			v->reason = "rule index mismatch";
		}
		if (v->reason == NULL && r.id == head_id && strcmp(r.hash, head_hash) != 0) {
			v->bad_id = r.id;
			v->reason = "hash mismatch";
		}
		prev_id = r.id;
		snprintf(prev_hash, sizeof(prev_hash), "%s", r.hash);
	}
	sqlite3_finalize(st);
	if (v->reason == NULL && rc == SQLITE_DONE && prev_id < head_id) {
		/* Rows the writer committed that are gone from the end. */
		v->bad_id = prev_id + 1;
		v->reason = "missing rows";
	}
	if (v->reason == NULL && rc == SQLITE_DONE && ix.rc == SQLITE_ROW) {
		v->bad_id = ix.event; /* index rows past the last row */
		v->reason = "rule index mismatch";
	}
	sqlite3_finalize(ix.st);
	return v->reason != NULL || rc == SQLITE_DONE ? 0 : -1;
}

/* A chain that verifies may still have lost rows while lockset was stopped:
 * the first audit.rollback row says where (audit_head.c). */
static int
check_rollback(sqlite3 *c, struct verdict *v)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT id FROM events WHERE action = 'audit.rollback' "
	                                 "ORDER BY id LIMIT 1");
	int rc = st != NULL ? sqlite3_step(st) : SQLITE_ERROR;

	if (rc == SQLITE_ROW) {
		v->bad_id = sqlite3_column_int64(st, 0);
		v->reason = "rolled back"; /* rows lost while lockset was stopped */
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

json_t *
audit_verify(struct audit *a)
{
	struct verdict v = {0, 0, NULL};
	long long head_id;
	char head_hash[65];
	sqlite3 *c = NULL;
	json_t *res = NULL;

	/* Read the head before the snapshot starts, so the snapshot holds it. */
	lockorder_lock(&a->lock, LOCK_AUDIT);
	head_id = a->last_id;
	memcpy(head_hash, a->last_hash, sizeof(head_hash));
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	if ((c = db_reader_get_bulk(a->db)) == NULL || db_exec(c, "BEGIN") != SQLITE_OK)
		goto out;
	if (verify_stream(a, c, head_id, head_hash, &v) != 0 ||
	    (v.reason == NULL && check_rollback(c, &v) != 0)) {
		log_warnx("audit: verify: %s", sqlite3_errmsg(c));
		goto out;
	}
	if (v.reason == NULL)
		res = json_pack("{sb sI}", "ok", 1, "rows", (json_int_t)v.rows);
	else
		res = json_pack("{sb sI sI ss}", "ok", 0, "rows", (json_int_t)v.rows,
		                "first_bad_id", (json_int_t)v.bad_id, "reason", v.reason);
	if (v.reason != NULL)
		log_warnx("audit: verify failed at id %lld: %s", v.bad_id, v.reason);
out:
	db_reader_put_bulk(a->db, c);
	return res;
}
