/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for daemon/store/db.c: migrations run once and are recorded, a newer
 * database is refused, the pragmas hold, the file is 0600, transactions commit
 * or roll back as a whole, and read connections are read-only. */
#include "check.h"
#include "store/db.h"
#include "util/embedded.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void
cleanup(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[160];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static long long
query_int(sqlite3 *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -12345;

	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
raw_exec(const char *sql)
{
	sqlite3 *c = NULL;
	int rc;

	sqlite3_open(path, &c);
	sqlite3_busy_timeout(c, 5000);
	rc = sqlite3_exec(c, sql, NULL, NULL, NULL);
	sqlite3_close(c);
	return rc;
}

/* The migrations compiled in; their numbers need not be contiguous. */
static int
compiled_migrations(void)
{
	int n = 0;

	for (const struct embedded_file *f = embedded_files; f->name != NULL; f++)
		n += strncmp(f->name, "sql/", 4) == 0;
	return n;
}

static void
test_migrations_applied_once_and_recorded(void)
{
	char *err = NULL;
	struct db *d;
	int compiled = 0;

	/* Versions need not be contiguous: each compiled-in migration counts once. */
	for (const struct embedded_file *f = embedded_files; f->name != NULL; f++)
		compiled += strncmp(f->name, "sql/", 4) == 0;

	cleanup();
	d = db_open(path, NULL, &err);
	CHECK(d != NULL);
	CHECK(db_schema_known() >= 1);
	CHECK_INT_EQ(db_schema_version(d), db_schema_known());
	db_close(d);
	/* A second open applies nothing and records nothing twice. */
	d = db_open(path, NULL, &err);
	CHECK(d != NULL);
	CHECK_INT_EQ(db_schema_version(d), db_schema_known());
	db_close(d);
	{
		sqlite3 *c = NULL;
		sqlite3_open(path, &c);
		CHECK_INT_EQ(query_int(c, "SELECT count(*) FROM schema_version"),
		             compiled_migrations());
		CHECK_INT_EQ(query_int(c, "SELECT count(*) FROM schema_version WHERE version = 1 "
		                          "AND name = 'sql/0001-init.sql'"),
		             1);
		CHECK_INT_EQ(
		    query_int(c, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"), 1);
		sqlite3_close(c);
	}
	free(err);
}

static void
test_newer_database_is_refused(void)
{
	char *err = NULL;
	struct db *d;

	cleanup();
	d = db_open(path, NULL, &err);
	CHECK(d != NULL);
	db_close(d);
	CHECK_INT_EQ(raw_exec("INSERT INTO schema_version VALUES (9999, 'sql/9999-future.sql', "
	                      "'2030-01-01T00:00:00Z')"),
	             SQLITE_OK);
	d = db_open(path, NULL, &err);
	CHECK(d == NULL);
	CHECK(err != NULL && strstr(err, "schema version 9999 is newer") != NULL);
	CHECK(err != NULL && strstr(err, "refusing") != NULL);
	free(err);
	db_close(d);
}

static int
read_pragmas(sqlite3 *c, void *arg)
{
	long long *v = arg;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(c, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v[0] = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	v[1] = query_int(c, "PRAGMA synchronous");
	v[2] = query_int(c, "PRAGMA busy_timeout");
	v[3] = query_int(c, "PRAGMA foreign_keys");
	return SQLITE_OK;
}

static void
test_pragmas_in_force(void)
{
	struct db_opts o = {1, 1234, 0};
	long long v[4] = {0};
	char *err = NULL;
	struct db *d;
	struct stat st;

	cleanup();
	d = db_open(path, &o, &err);
	CHECK(d != NULL);
	CHECK_INT_EQ(db_tx_run(d, read_pragmas, v, NULL), 0);
	CHECK_INT_EQ(v[0], 1);
	CHECK_INT_EQ(v[1], 2); /* FULL */
	CHECK_INT_EQ(v[2], 1234);
	CHECK_INT_EQ(v[3], 1);
	db_close(d);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	o.synchronous_full = 0;
	d = db_open(path, &o, &err);
	CHECK(d != NULL);
	CHECK_INT_EQ(db_tx_run(d, read_pragmas, v, NULL), 0);
	CHECK_INT_EQ(v[1], 1); /* NORMAL */
	db_close(d);
	free(err);
}

static int
insert_then_fail(sqlite3 *c, void *arg)
{
	(void)arg;
	if (sqlite3_exec(c, "CREATE TABLE t (x INTEGER)", NULL, NULL, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	return SQLITE_CONSTRAINT;
}

static int
insert_ok(sqlite3 *c, void *arg)
{
	(void)arg;
	return sqlite3_exec(c, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)", NULL, NULL,
	                    NULL);
}

static void
test_tx_rolls_back_or_commits_as_a_whole(void)
{
	char *err = NULL;
	struct db *d;
	sqlite3 *r;
	int rc = 0;

	cleanup();
	d = db_open(path, NULL, &err);
	CHECK(d != NULL);
	CHECK_INT_EQ(db_tx_run(d, insert_then_fail, NULL, &rc), -1);
	CHECK_INT_EQ(rc, SQLITE_CONSTRAINT);
	r = db_reader_get(d);
	CHECK(r != NULL);
	CHECK_INT_EQ(query_int(r, "SELECT count(*) FROM sqlite_master WHERE name = 't'"), 0);
	db_reader_put(d, r);
	CHECK_INT_EQ(db_tx_run(d, insert_ok, NULL, &rc), 0);
	CHECK_INT_EQ(rc, SQLITE_OK);
	r = db_reader_get(d);
	CHECK_INT_EQ(query_int(r, "SELECT x FROM t"), 7);
	/* Readers cannot write. */
	CHECK(sqlite3_exec(r, "INSERT INTO t VALUES (8)", NULL, NULL, NULL) != SQLITE_OK);
	db_reader_put(d, r);
	db_close(d);
	free(err);
}

static void
test_reader_pool_limit(void)
{
	struct db_opts o = {1, 0, 2};
	char *err = NULL;
	struct db *d;
	sqlite3 *r1, *r2, *r3;

	cleanup();
	d = db_open(path, &o, &err);
	CHECK(d != NULL);
	r1 = db_reader_get(d);
	r2 = db_reader_get(d);
	r3 = db_reader_get(d);
	CHECK(r1 != NULL && r2 != NULL);
	CHECK(r3 == NULL);
	db_reader_put(d, r1);
	r3 = db_reader_get(d);
	CHECK(r3 == r1); /* reused from the pool */
	db_reader_put(d, r2);
	db_reader_put(d, r3);
	db_close(d);
	free(err);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lockset-test-db-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/lockset.db", dir);
	RUN(test_migrations_applied_once_and_recorded);
	RUN(test_newer_database_is_refused);
	RUN(test_pragmas_in_force);
	RUN(test_tx_rolls_back_or_commits_as_a_whole);
	RUN(test_reader_pool_limit);
	cleanup();
	rmdir(dir);
	return CHECK_DONE();
}
