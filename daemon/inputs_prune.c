/* SPDX-License-Identifier: Apache-2.0 */
/* Keeping the recorded decision inputs within their limits (inputs_limits):
 * by age, by row count and by bytes, oldest rows first, then the bodies no
 * row refers to. Runs on the recorder's writer thread about once a minute. */
#include "inputs_int.h"

#include "db.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

struct prune_args {
	const char *cutoff; /* NULL: no age limit */
	long rows;
	long long bytes;
	long long kept_rows, kept_bytes; /* after the prune */
};

/* What the last prune left, for /metrics. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long long stored_rows, stored_bytes;

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

static int
prune_excess(sqlite3 *c, long rows)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE id <= "
	                                 "(SELECT MAX(id) FROM decision_inputs) - ?1");

	if (st != NULL)
		sqlite3_bind_int64(st, 1, rows);
	return step_once(st);
}

/* The newest rows whose URIs and bodies add up to at most bytes stay. */
static int
prune_bytes(sqlite3 *c, long long bytes)
{
	sqlite3_stmt *st = db_prepare(
	    c,
	    "DELETE FROM decision_inputs WHERE id <= (SELECT id FROM (SELECT d.id, "
	    "SUM(length(d.uri) + COALESCE(length(b.body), 0)) OVER (ORDER BY d.id DESC) AS total "
	    "FROM decision_inputs d LEFT JOIN input_bodies b ON b.hash = d.body_hash) "
	    "WHERE total > ?1 ORDER BY id DESC LIMIT 1)");

	if (st != NULL)
		sqlite3_bind_int64(st, 1, bytes);
	return step_once(st);
}

static int
prune_bodies(sqlite3 *c)
{
	return step_once(db_prepare(c, "DELETE FROM input_bodies WHERE hash NOT IN "
	                               "(SELECT body_hash FROM decision_inputs)"));
}

static int
count_kept(sqlite3 *c, struct prune_args *a)
{
	sqlite3_stmt *st = db_prepare(
	    c, "SELECT COUNT(*), COALESCE(SUM(length(d.uri) + COALESCE(length(b.body), 0)), 0) "
	       "FROM decision_inputs d LEFT JOIN input_bodies b ON b.hash = d.body_hash");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->kept_rows = sqlite3_column_int64(st, 0);
		a->kept_bytes = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int
prune_tx(sqlite3 *c, void *arg)
{
	struct prune_args *a = arg;
	int rc = SQLITE_OK;

	if (a->cutoff != NULL)
		rc = prune_old(c, a->cutoff);
	if (rc == SQLITE_OK)
		rc = prune_excess(c, a->rows);
	if (rc == SQLITE_OK && a->bytes > 0)
		rc = prune_bytes(c, a->bytes);
	if (rc == SQLITE_OK)
		rc = prune_bodies(c);
	if (rc == SQLITE_OK)
		rc = count_kept(c, a);
	return rc;
}

void
inputs_prune(struct db *db, const struct inputs_limits *lim, long long now_usec)
{
	char cutoff[32];
	struct prune_args a = {NULL, lim->max_rows, lim->max_bytes, 0, 0};

	if (lim->max_days > 0) {
		long long usec = now_usec - (long long)lim->max_days * 86400 * 1000000;
		time_t t = (time_t)(usec / 1000000);
		struct tm tm;
		size_t n;

		gmtime_r(&t, &tm);
		n = strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(cutoff + n, sizeof(cutoff) - n, ".%06lldZ", usec % 1000000);
		a.cutoff = cutoff;
	}
	if (db_tx_run(db, prune_tx, &a, NULL) != 0) {
		log_warnx("decision inputs: retention failed");
		return;
	}
	pthread_mutex_lock(&stats_lock);
	stored_rows = a.kept_rows;
	stored_bytes = a.kept_bytes;
	pthread_mutex_unlock(&stats_lock);
}

void
inputs_prune_metrics(FILE *out, const struct inputs_limits *lim, unsigned long long too_large)
{
	long long rows, bytes;

	pthread_mutex_lock(&stats_lock);
	rows = stored_rows;
	bytes = stored_bytes;
	pthread_mutex_unlock(&stats_lock);
	fprintf(out,
	        "# HELP lockset_decision_inputs_stored_rows Recorded input rows kept (as of the "
	        "last prune).\n"
	        "# TYPE lockset_decision_inputs_stored_rows gauge\n"
	        "lockset_decision_inputs_stored_rows %lld\n"
	        "# HELP lockset_decision_inputs_stored_bytes Bytes of URI and body they hold.\n"
	        "# TYPE lockset_decision_inputs_stored_bytes gauge\n"
	        "lockset_decision_inputs_stored_bytes %lld\n"
	        "# HELP lockset_decision_inputs_limit The limits on recorded inputs.\n"
	        "# TYPE lockset_decision_inputs_limit gauge\n"
	        "lockset_decision_inputs_limit{what=\"rows\"} %ld\n"
	        "lockset_decision_inputs_limit{what=\"bytes\"} %lld\n"
	        "lockset_decision_inputs_limit{what=\"days\"} %ld\n"
	        "lockset_decision_inputs_limit{what=\"uri_bytes\"} %ld\n"
	        "# HELP lockset_decision_inputs_too_large_total Decisions not recorded: URI "
	        "longer than the limit.\n"
	        "# TYPE lockset_decision_inputs_too_large_total counter\n"
	        "lockset_decision_inputs_too_large_total %llu\n",
	        rows, bytes, lim->max_rows, lim->max_bytes, lim->max_days, lim->max_uri, too_large);
}
