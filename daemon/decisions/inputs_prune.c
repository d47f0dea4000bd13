/* SPDX-License-Identifier: Apache-2.0 */
/* Keeping the recorded decision inputs within their limits (inputs_limits):
 * rows by age, then the oldest rows past the row or the byte limit, then the
 * bodies no row refers to; and counting what is stored. Runs on the
 * recorder's writer thread only (nothing else writes these tables): right
 * after a batch that passes a limit, and about once a minute. */
#include "inputs_int.h"

#include "store/db.h"
#include "log.h"

#include <stdio.h>
#include <time.h>

/* A limit that is passed is pruned down to this much of it. */
#define LOW_WATER(limit) ((limit) - (limit) / 8)

static int
step_once(sqlite3_stmt *st)
{
	int rc = st != NULL ? sqlite3_step(st) : SQLITE_ERROR;

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
prune_old(sqlite3 *c, const char *cutoff)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE last < ?1");

	if (st != NULL)
		db_bind_text(st, 1, cutoff);
	return step_once(st);
}

/* The newest keep rows stay. */
static int
prune_rows(sqlite3 *c, long long keep)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE id <= (SELECT id FROM "
	                                 "decision_inputs ORDER BY id DESC LIMIT 1 OFFSET ?1)");

	if (st != NULL)
		sqlite3_bind_int64(st, 1, keep);
	return step_once(st);
}

/* The newest row that must go for the newest rows to take at most keep
 * bytes of URI and body, into *cut (0: none). Going from the newest row
 * back, a row costs its URI, plus its body when it is the newest row with
 * that body: the rows kept are the newest ones, so a body stays exactly when
 * its newest row does. The costly part of a prune (a sort of every row), so
 * it runs on a read connection, not holding the write connection that the
 * audit log shares. */
static int
bytes_cut(struct db *db, long long keep, long long *cut)
{
	sqlite3 *c = db_reader_get(db);
	sqlite3_stmt *st =
	    c == NULL
	        ? NULL
	        : db_prepare(
	              c,
	              "WITH cost AS (SELECT d.id, length(CAST(d.uri AS BLOB)) + CASE WHEN "
	              "row_number() OVER (PARTITION BY d.body_hash ORDER BY d.id DESC) = 1 "
	              "THEN COALESCE(length(b.body), 0) ELSE 0 END AS bytes "
	              "FROM decision_inputs d LEFT JOIN input_bodies b ON b.hash = d.body_hash), "
	              "total AS (SELECT id, SUM(bytes) OVER (ORDER BY id DESC) AS bytes FROM cost) "
	              "SELECT COALESCE(MAX(id), 0) FROM total WHERE bytes > ?1");
	int rc = SQLITE_ERROR;

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, keep);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			*cut = sqlite3_column_int64(st, 0);
		rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	db_reader_put(db, c);
	return rc;
}

static int
prune_upto(sqlite3 *c, long long cut)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE id <= ?1");

	if (st != NULL)
		sqlite3_bind_int64(st, 1, cut);
	return step_once(st);
}

static int
prune_bodies(sqlite3 *c)
{
	return step_once(db_prepare(c, "DELETE FROM input_bodies WHERE hash NOT IN "
	                               "(SELECT body_hash FROM decision_inputs)"));
}

/* Rows, and bytes of URI and body stored (each body once). */
static int
count_use(sqlite3 *c, struct inputs_store *s)
{
	sqlite3_stmt *st = db_prepare(
	    c, "SELECT (SELECT COUNT(*) FROM decision_inputs), "
	       "(SELECT COALESCE(SUM(length(CAST(uri AS BLOB))), 0) FROM decision_inputs) + "
	       "(SELECT COALESCE(SUM(length(body)), 0) FROM input_bodies)");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->rows = sqlite3_column_int64(st, 0);
		s->bytes = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

struct prune_args {
	struct inputs_store *store;
	const char *cutoff; /* NULL: no age limit */
	long long cut;      /* rows up to this id go (the byte limit); 0: none */
};

static int
prune_tx(sqlite3 *c, void *arg)
{
	struct prune_args *a = arg;
	struct inputs_store *s = a->store;
	int rc = a->cutoff != NULL ? prune_old(c, a->cutoff) : SQLITE_OK;

	if (rc == SQLITE_OK && s->rows > s->lim.max_rows)
		rc = prune_rows(c, LOW_WATER(s->lim.max_rows));
	if (rc == SQLITE_OK && a->cut > 0)
		rc = prune_upto(c, a->cut);
	if (rc == SQLITE_OK)
		rc = prune_bodies(c);
	return rc == SQLITE_OK ? count_use(c, s) : rc;
}

/* The stored form of the time max_days ago, to the second, into cutoff;
 * NULL when there is no age limit. */
static const char *
age_cutoff(const struct inputs_store *s, char cutoff[32])
{
	struct timespec ts;
	struct tm tm;

	if (s->lim.max_days <= 0)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= (time_t)s->lim.max_days * 86400;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(cutoff, 32, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
	return cutoff;
}

int
inputs_over(const struct inputs_store *s)
{
	return s->rows > s->lim.max_rows || s->bytes > s->lim.max_bytes;
}

void
inputs_prune(struct inputs_store *s)
{
	char cutoff[32];
	struct prune_args a = {s, age_cutoff(s, cutoff), 0};

	/* Twice at most: what is stored may be known only once counted (at
	 * start-up), and the byte limit needs the count to cut. */
	for (int pass = 0; pass < 2; pass++) {
		struct inputs_store was = *s;

		a.cut = 0;
		if (s->bytes > s->lim.max_bytes &&
		    bytes_cut(s->db, LOW_WATER(s->lim.max_bytes), &a.cut) != SQLITE_OK)
			log_warnx("decision inputs: cannot tell which rows to prune for "
			          "--inputs-max-bytes");
		if (db_tx_run_lazy(s->db, prune_tx, &a, NULL) != 0) {
			log_warnx("decision inputs: retention failed");
			s->rows = was.rows; /* what the rolled-back transaction counted is void */
			s->bytes = was.bytes;
			return;
		}
		if (!inputs_over(s))
			return;
	}
}
