/* SPDX-License-Identifier: Apache-2.0 */
/* Fleet tables: one function per query, bound parameters only. Writes go
 * through db_tx_run on the shared write connection; reads take a pooled read
 * connection. */
#include "fleetstore.h"

#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

struct fleetstore {
	struct db *db; /* borrowed */
};

struct fleetstore *
fleetstore_open(struct db *db)
{
	struct fleetstore *fs = calloc(1, sizeof(*fs));

	if (fs != NULL)
		fs->db = db;
	return fs;
}

void
fleetstore_close(struct fleetstore *fs)
{
	free(fs);
}

void
fleetstore_time(long ago_seconds, char out[FLEET_TIME_LEN + 1])
{
	struct timeval tv;
	struct tm tm;
	char base[24], full[64];
	time_t t;

	gettimeofday(&tv, NULL);
	t = tv.tv_sec - ago_seconds;
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(full, sizeof(full), "%.19s.%06ldZ", base, (long)tv.tv_usec % 1000000);
	memcpy(out, full, FLEET_TIME_LEN);
	out[FLEET_TIME_LEN] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Bundle numbers */

struct number_args {
	const char *hash;
	long long version;
	char issued[FLEET_TIME_LEN + 1];
};

static int
number_tx(sqlite3 *c, void *arg)
{
	struct number_args *a = arg;
	sqlite3_stmt *st;
	int rc;

	st = db_prepare(c, "SELECT version, issued, hash FROM bundle_versions "
	                   "ORDER BY version DESC LIMIT 1");
	if (st == NULL)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && strcmp(db_column_text(st, 2), a->hash) == 0) {
		a->version = sqlite3_column_int64(st, 0);
		snprintf(a->issued, sizeof(a->issued), "%s", db_column_text(st, 1));
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	fleetstore_time(0, a->issued);
	st = db_prepare(c, "INSERT INTO bundle_versions (issued, hash) VALUES (?1, ?2)");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->issued);
	db_bind_text(st, 2, a->hash);
	return db_step_insert(c, st, &a->version);
}

int
fleetstore_bundle_number(struct fleetstore *fs, const char *hash, long long *version,
                         char issued[FLEET_TIME_LEN + 1])
{
	struct number_args a = {hash, 0, ""};

	if (db_tx_run(fs->db, number_tx, &a, NULL) != 0)
		return -1;
	*version = a.version;
	memcpy(issued, a.issued, sizeof(a.issued));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Host reports */

struct report_args {
	const struct fleet_report *r;
	struct fleet_pins *pins;
	enum fleet_report_result result;
	int known; /* the host has a row */
};

/* Whether a new host would pass r->max_hosts: sets a->result when it would. */
static int
check_room(sqlite3 *c, struct report_args *a)
{
	sqlite3_stmt *st;
	int rc;

	if (a->known || a->r->max_hosts <= 0)
		return SQLITE_OK;
	if ((st = db_prepare(c, "SELECT count(*) FROM hosts")) == NULL)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) >= a->r->max_hosts)
		a->result = FLEET_REPORT_FULL;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The host's pins into a->pins, and whether r breaks one (a->result). */
static int
check_pins(sqlite3 *c, struct report_args *a)
{
	const struct fleet_report *r = a->r;
	const char *key = r->checkpoint_key != NULL ? r->checkpoint_key : "";
	sqlite3_stmt *st = db_prepare(c, "SELECT reporter, checkpoint_key, checkpoint_id, "
	                                 "checkpoint_hash FROM hosts WHERE host = ?1");
	int rc;

	a->known = 0;
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, r->host);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->known = 1;
		snprintf(a->pins->reporter, sizeof(a->pins->reporter), "%s", db_column_text(st, 0));
		snprintf(a->pins->checkpoint_key, sizeof(a->pins->checkpoint_key), "%s",
		         db_column_text(st, 1));
		a->pins->checkpoint_id = sqlite3_column_int64(st, 2);
		snprintf(a->pins->checkpoint_hash, sizeof(a->pins->checkpoint_hash), "%s",
		         db_column_text(st, 3));
		if (a->pins->reporter[0] != '\0' &&
		    strcmp(a->pins->reporter, r->reporter != NULL ? r->reporter : "") != 0)
			a->result = FLEET_REPORT_OTHER_REPORTER;
		else if (a->pins->checkpoint_key[0] != '\0' && key[0] != '\0' &&
		         strcmp(a->pins->checkpoint_key, key) != 0)
			a->result = FLEET_REPORT_OTHER_KEY;
		/* A log goes on from its last checkpoint: one behind it, or
		 * another hash at its row, is a log wiped or rewritten. */
		else if (r->checkpoint_id > 0 && a->pins->checkpoint_id > 0 &&
		         (r->checkpoint_id < a->pins->checkpoint_id ||
		          (r->checkpoint_id == a->pins->checkpoint_id &&
		           strcmp(r->checkpoint_hash != NULL ? r->checkpoint_hash : "",
		                  a->pins->checkpoint_hash) != 0)))
			a->result = FLEET_REPORT_CHECKPOINT_BACK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
report_tx(sqlite3 *c, void *arg)
{
	struct report_args *a = arg;
	const struct fleet_report *r = a->r;
	char now[FLEET_TIME_LEN + 1];
	sqlite3_stmt *st;
	int rc = check_pins(c, a);

	if (rc == SQLITE_OK && a->result == FLEET_REPORT_STORED)
		rc = check_room(c, a);
	if (rc != SQLITE_OK || a->result != FLEET_REPORT_STORED)
		return rc;
	st = db_prepare(
	    c, "INSERT INTO hosts (host, lockset_version, bundle_version, last_sync, mode, status, "
	       "last_error, decisions, denies, last_decisions, last_denies, reporter, first_seen, "
	       "last_seen, checkpoint_key, checkpoint_id, checkpoint_hash, bundle_expires) VALUES "
	       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14, ?15) "
	       "ON CONFLICT (host) DO UPDATE SET lockset_version = ?2, bundle_version = ?3, "
	       "bundle_expires = ?15, "
	       "last_sync = ?4, mode = ?5, status = ?6, last_error = ?7, "
	       "decisions = decisions + ?8, denies = denies + ?9, last_decisions = ?8, "
	       "last_denies = ?9, reporter = ?10, last_seen = ?11, "
	       "checkpoint_key = CASE WHEN checkpoint_key = '' THEN ?12 ELSE checkpoint_key END, "
	       "checkpoint_id = CASE WHEN ?13 > 0 THEN ?13 ELSE checkpoint_id END, "
	       "checkpoint_hash = CASE WHEN ?13 > 0 THEN ?14 ELSE checkpoint_hash END");
	if (st == NULL)
		return SQLITE_ERROR;
	fleetstore_time(0, now);
	db_bind_text(st, 1, r->host);
	db_bind_text(st, 2, r->lockset_version ? r->lockset_version : "");
	sqlite3_bind_int64(st, 3, r->bundle_version);
	db_bind_text(st, 4, r->last_sync ? r->last_sync : "");
	db_bind_text(st, 5, r->mode ? r->mode : "");
	db_bind_text(st, 6, r->status ? r->status : "");
	db_bind_text(st, 7, r->last_error ? r->last_error : "");
	sqlite3_bind_int64(st, 8, r->decisions);
	sqlite3_bind_int64(st, 9, r->denies);
	db_bind_text(st, 10, r->reporter ? r->reporter : "");
	db_bind_text(st, 11, now);
	db_bind_text(st, 12, r->checkpoint_key != NULL ? r->checkpoint_key : "");
	sqlite3_bind_int64(st, 13, r->checkpoint_id);
	db_bind_text(st, 14, r->checkpoint_hash != NULL ? r->checkpoint_hash : "");
	db_bind_text(st, 15, r->bundle_expires != NULL ? r->bundle_expires : "");
	return db_step_done(st);
}

enum fleet_report_result
fleetstore_report(struct fleetstore *fs, const struct fleet_report *r, struct fleet_pins *pins)
{
	struct report_args a = {r, pins, FLEET_REPORT_STORED, 0};

	memset(pins, 0, sizeof(*pins));
	if (db_tx_run(fs->db, report_tx, &a, NULL) != 0)
		return FLEET_REPORT_ERROR;
	return a.result;
}

struct forget_args {
	const char *host;
	int forgotten;
};

static int
forget_tx(sqlite3 *c, void *arg)
{
	struct forget_args *a = arg;
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM hosts WHERE host = ?1");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->host);
	rc = db_step_done(st);
	a->forgotten = sqlite3_changes(c) > 0;
	return rc;
}

int
fleetstore_forget(struct fleetstore *fs, const char *host)
{
	struct forget_args a = {host, 0};

	if (db_tx_run(fs->db, forget_tx, &a, NULL) != 0)
		return -1;
	return a.forgotten;
}

/* ------------------------------------------------------------------------ */
/* The compliance view */

/* A host whose bundle expired by ?98 (now), or which reports none that
 * expires while the central serves bundles that do (?99): it holds a v1
 * bundle, a replay, or is of a release that cannot take this central's
 * bundles. The one place the rule is written; bind_expiry binds ?98 and ?99,
 * numbers above any other parameter of the statements that use it. */
#define HOST_EXPIRED                                                               \
	"(CASE WHEN bundle_expires != '' THEN bundle_expires <= ?98 ELSE ?99 AND " \
	"bundle_version > 0 END)"

static void
bind_expiry(sqlite3_stmt *st, const struct fleet_query *q)
{
	db_bind_text(st, 98, q->now);
	sqlite3_bind_int(st, 99, q->signs_expiring);
}

static json_t *
host_row(sqlite3_stmt *st, const struct fleet_query *q)
{
	long long bv = sqlite3_column_int64(st, 2);
	const char *seen = db_column_text(st, 13), *expires = db_column_text(st, 14);
	int expired = sqlite3_column_int(st, 15);

	return json_pack(
	    "{s:s, s:s, s:I, s:s?, s:s?, s:s, s:s, s:s?, s:I, s:I, s:{s:I, s:I}, s:s, s:s, "
	    "s:s, s:b, s:b, s:b}",
	    "host", db_column_text(st, 0), "locksetVersion", db_column_text(st, 1), "bundleVersion",
	    (json_int_t)bv, "bundleExpires", expires[0] ? expires : NULL, "lastSync",
	    db_column_text(st, 3)[0] ? db_column_text(st, 3) : NULL, "mode", db_column_text(st, 4),
	    "status", db_column_text(st, 5), "lastError",
	    db_column_text(st, 6)[0] ? db_column_text(st, 6) : NULL, "decisions",
	    (json_int_t)sqlite3_column_int64(st, 7), "denies",
	    (json_int_t)sqlite3_column_int64(st, 8), "lastReport", "decisions",
	    (json_int_t)sqlite3_column_int64(st, 9), "denies",
	    (json_int_t)sqlite3_column_int64(st, 10), "reporter", db_column_text(st, 11),
	    "firstSeen", db_column_text(st, 12), "lastSeen", seen, "stale",
	    strcmp(seen, q->stale_before) < 0, "behind", q->current > 0 && bv < q->current,
	    "expired", expired);
}

json_t *
fleetstore_hosts(struct fleetstore *fs, const struct fleet_query *q, int *more)
{
	sqlite3 *c = db_reader_get(fs->db);
	sqlite3_stmt *st = NULL;
	json_t *arr = NULL;
	size_t hlen = q->host ? strlen(q->host) : 0;
	int n = 0, prefix = hlen > 0 && q->host[hlen - 1] == '*';

	*more = 0;
	if (c == NULL)
		return NULL;
	st = db_prepare(
	    c, "SELECT host, lockset_version, bundle_version, last_sync, mode, status, last_error, "
	       "decisions, denies, last_decisions, last_denies, reporter, first_seen, last_seen, "
	       "bundle_expires, " HOST_EXPIRED " FROM hosts WHERE (?1 IS NULL OR host > ?1) "
	       "AND (?2 IS NULL OR (?3 = 0 AND host = ?2) OR (?3 = 1 AND substr(host, 1, "
	       "length(?2)) = ?2)) "
	       "AND (?4 < 0 OR bundle_version = ?4) AND (?5 IS NULL OR mode = ?5) "
	       "AND (?6 IS NULL OR status = ?6) "
	       "AND (?7 < 0 OR (last_seen < ?8) = ?7) "
	       "AND (?9 < 0 OR (?10 > 0 AND bundle_version < ?10) = ?9) "
	       "AND (?12 < 0 OR " HOST_EXPIRED " = ?12) ORDER BY host LIMIT ?11");
	if (st == NULL || (arr = json_array()) == NULL)
		goto out;
	db_bind_text(st, 1, q->after);
	if (q->host != NULL)
		sqlite3_bind_text(st, 2, q->host, (int)(prefix ? hlen - 1 : hlen), SQLITE_STATIC);
	sqlite3_bind_int(st, 3, prefix);
	sqlite3_bind_int64(st, 4, q->bundle_version);
	db_bind_text(st, 5, q->mode);
	db_bind_text(st, 6, q->status);
	sqlite3_bind_int(st, 7, q->stale);
	db_bind_text(st, 8, q->stale_before);
	sqlite3_bind_int(st, 9, q->behind);
	sqlite3_bind_int64(st, 10, q->current);
	sqlite3_bind_int(st, 11, q->limit + 1); /* one more: is there a next page? */
	sqlite3_bind_int(st, 12, q->expired);
	bind_expiry(st, q);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (++n > q->limit) {
			*more = 1;
			break;
		}
		json_array_append_new(arr, host_row(st, q));
	}
out:
	sqlite3_finalize(st);
	db_reader_put(fs->db, c);
	return arr;
}

json_t *
fleetstore_summary(struct fleetstore *fs, const struct fleet_query *q)
{
	long long current = q->current;
	sqlite3 *c = db_reader_get(fs->db);
	sqlite3_stmt *st = NULL;
	json_t *sum = NULL, *versions = NULL;
	json_int_t hosts = 0, stale = 0, behind = 0, cur = 0, denies = 0, expired = 0;
	char key[24];

	if (c == NULL)
		return NULL;
	st = db_prepare(c, "SELECT bundle_version, count(*), sum(last_seen < ?1), sum(denies), "
	                   "sum(" HOST_EXPIRED ") FROM hosts GROUP BY bundle_version "
	                   "ORDER BY bundle_version");
	if (st == NULL || (versions = json_object()) == NULL)
		goto out;
	db_bind_text(st, 1, q->stale_before);
	bind_expiry(st, q);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long v = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);

		snprintf(key, sizeof(key), "%lld", v);
		json_object_set_new(versions, key, json_integer(n));
		hosts += n;
		stale += sqlite3_column_int64(st, 2);
		denies += sqlite3_column_int64(st, 3);
		expired += sqlite3_column_int64(st, 4);
		if (current > 0 && v < current)
			behind += n;
		if (v == current)
			cur += n;
	}
	sum = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "hosts", hosts, "current", cur,
	                "behind", behind, "stale", stale, "expired", expired, "denies", denies,
	                "versions", versions);
out:
	json_decref(versions);
	sqlite3_finalize(st);
	db_reader_put(fs->db, c);
	return sum;
}
