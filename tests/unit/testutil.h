/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers the unit tests share: waiting for a condition another thread
 * brings about, and SQL on a separate connection to a test's state database
 * (as the sqlite3 CLI would run it). */
#ifndef LOCKSET_TESTUTIL_H
#define LOCKSET_TESTUTIL_H

#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

/* Poll cond(arg) until it holds, for at most 10 s: 1, or 0 on time-out. A
 * thread under test acts on its own schedule; tests wait for the effect,
 * never for a time. */
static inline int
check_wait(int (*cond)(void *), void *arg)
{
	struct timespec start, now, nap = {0, 1000000};

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (cond(arg))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 10)
			return 0;
		nanosleep(&nap, NULL);
	}
}

/* Run sql on its own connection to dir/lockset.db; the SQLite result code. */
static inline int
testdb_exec(const char *dir, const char *sql)
{
	char p[256];
	sqlite3 *c = NULL;
	int rc;

	snprintf(p, sizeof(p), "%s/lockset.db", dir);
	sqlite3_open(p, &c);
	sqlite3_busy_timeout(c, 5000);
	rc = sqlite3_exec(c, sql, NULL, NULL, NULL);
	sqlite3_close(c);
	return rc;
}

/* The integer the query's first row starts with, on its own connection to
 * dir/lockset.db; -1 on error. */
static inline long long
testdb_count(const char *dir, const char *sql)
{
	char p[256];
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	snprintf(p, sizeof(p), "%s/lockset.db", dir);
	sqlite3_open(p, &c);
	sqlite3_busy_timeout(c, 5000);
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return n;
}

#endif
