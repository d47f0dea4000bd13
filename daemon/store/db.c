/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite plumbing shared by every module that keeps state: open with the pragmas
 * we rely on, apply the compiled-in migrations, serialise write transactions on
 * one connection, and pool read-only connections (WAL: readers never block it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* vasprintf, asprintf */
#endif
#include "db.h"

#include "util/embedded.h"
#include "log.h"
#include "util/lockorder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DB_POOL_IDLE      8         /* idle read connections kept open */
#define DB_WAL_KEEP_BYTES "8388608" /* journal_size_limit: 8 MiB */

struct db {
	char *path;
	struct db_opts opts;
	sqlite3 *writer;
	pthread_mutex_t write_lock;
	pthread_mutex_t pool_lock;
	sqlite3 *idle[DB_POOL_IDLE];
	int nidle;
	int readers_out; /* connections handed out and not yet put back */
	int bulk_out;    /* ... of which bulk readers */
};

struct migration {
	int version;
	const char *name;
	const char *sql;
};

static int set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	free(*err);
	*err = NULL;
	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------------- */
/* Small helpers */

sqlite3_stmt *
db_prepare(sqlite3 *c, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: prepare failed: %s", sqlite3_errmsg(c));
		return NULL;
	}
	return st;
}

int
db_exec(sqlite3 *c, const char *sql)
{
	sqlite3_stmt *st = db_prepare(c, sql);
	int rc;

	if (st == NULL)
		return sqlite3_errcode(c) != SQLITE_OK ? sqlite3_errcode(c) : SQLITE_ERROR;
	do {
		rc = sqlite3_step(st);
	} while (rc == SQLITE_ROW);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else
		rc = sqlite3_extended_errcode(c);
	sqlite3_finalize(st);
	return rc;
}

int
db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

const char *
db_column_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? s : "";
}

int
db_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
db_step_insert(sqlite3 *c, sqlite3_stmt *st, long long *rowid)
{
	int rc = db_step_done(st);

	*rowid = sqlite3_last_insert_rowid(c);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Connections */

static int
set_pragmas(sqlite3 *c, const struct db_opts *o, int writer)
{
	if (sqlite3_busy_timeout(c, o->busy_timeout_ms) != SQLITE_OK)
		return -1;
	if (!writer)
		return db_exec(c, "PRAGMA query_only = ON") == SQLITE_OK ? 0 : -1;
	if (db_exec(c, "PRAGMA journal_mode = WAL") != SQLITE_OK)
		return -1;
	/* A WAL grown past this (while a long read held its snapshot) is cut
	 * back to it when it is next reset; else it keeps its high-water size.
	 * Above what the automatic checkpoint (1000 pages) lets it reach. */
	if (db_exec(c, "PRAGMA journal_size_limit = " DB_WAL_KEEP_BYTES) != SQLITE_OK)
		return -1;
	if (db_exec(c, o->synchronous_full ? "PRAGMA synchronous = FULL"
	                                   : "PRAGMA synchronous = NORMAL") != SQLITE_OK)
		return -1;
	if (db_exec(c, "PRAGMA foreign_keys = ON") != SQLITE_OK)
		return -1;
	return 0;
}

static sqlite3 *
open_conn(const char *path, const struct db_opts *o, int writer, char **err)
{
	sqlite3 *c = NULL;
	int flags = writer ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;

	if (sqlite3_open_v2(path, &c, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		set_err(err, "%s: %s", path, c ? sqlite3_errmsg(c) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(c, 1);
	if (set_pragmas(c, o, writer) != 0) {
		set_err(err, "%s: %s", path, sqlite3_errmsg(c));
		goto fail;
	}
	return c;
fail:
	sqlite3_close(c);
	return NULL;
}

/* The file is created by us, not by SQLite, so that it is 0600 from the start;
 * SQLite gives the -wal and -shm files the same mode. */
static int
create_file(const char *path, char **err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return set_err(err, "%s: %s", path, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		set_err(err, "%s: chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Migrations */

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* The compiled-in migrations "sql/NNNN-*.sql", sorted by name. Returns the
 * count, or -1 on a malformed name; *out is malloc'd. */
static int
migrations_list(struct migration **out)
{
	struct migration *v = NULL;
	int n = 0;

	for (const struct embedded_file *f = embedded_files; f->name != NULL; f++) {
		const char *base = f->name + 4;
		char *end;
		long ver;
		struct migration *nv;

		if (strncmp(f->name, "sql/", 4) != 0)
			continue;
		ver = strtol(base, &end, 10);
		if (end == base || *end != '-' || ver <= 0 || ver > 1000000) {
			log_warnx("db: bad migration name %s", f->name);
			free(v);
			return -1;
		}
		nv = realloc(v, (size_t)(n + 1) * sizeof(*v));
		if (nv == NULL) {
			free(v);
			return -1;
		}
		v = nv;
		v[n].version = (int)ver;
		v[n].name = f->name;
		v[n].sql = f->data;
		n++;
	}
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), migration_cmp);
	*out = v;
	return n;
}

int
db_schema_known(void)
{
	struct migration *v = NULL;
	int n = migrations_list(&v), known = 0;

	for (int i = 0; i < n; i++)
		if (v[i].version > known)
			known = v[i].version;
	free(v);
	return known;
}

static int
schema_table_create(sqlite3 *c)
{
	return db_exec(c, "CREATE TABLE IF NOT EXISTS schema_version ("
	                  "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                  "applied_at TEXT NOT NULL)");
}

static int
schema_version_get(sqlite3 *c)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT coalesce(max(version), 0) FROM schema_version");
	int v = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
schema_version_record(sqlite3 *c, const struct migration *m)
{
	sqlite3_stmt *st = db_prepare(c, "INSERT INTO schema_version (version, name, applied_at) "
	                                 "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(c);
	sqlite3_finalize(st);
	return rc;
}

static int
migration_apply(sqlite3 *c, void *arg)
{
	const struct migration *m = arg;
	char *msg = NULL;
	int rc = sqlite3_exec(c, m->sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_warnx("db: migration %s: %s", m->name, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return rc;
	}
	return schema_version_record(c, m);
}

static int
migrate(struct db *d, char **err)
{
	struct migration *v = NULL;
	int n, cur, known = 0, result = -1, rc;

	if ((rc = schema_table_create(d->writer)) != SQLITE_OK) {
		set_err(err, "%s: cannot create schema_version: %s", d->path, sqlite3_errstr(rc));
		goto out;
	}
	if ((cur = schema_version_get(d->writer)) < 0) {
		set_err(err, "%s: cannot read schema_version: %s", d->path,
		        sqlite3_errmsg(d->writer));
		goto out;
	}
	if ((n = migrations_list(&v)) < 0) {
		set_err(err, "bad compiled-in migration list");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (v[i].version > known)
			known = v[i].version;
	if (cur > known) {
		set_err(err,
		        "%s: database schema version %d is newer than this lockset supports "
		        "(%d); refusing to open it: upgrade lockset or restore a matching backup",
		        d->path, cur, known);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (v[i].version <= cur)
			continue;
		if (db_tx_run(d, migration_apply, &v[i], &rc) != 0) {
			set_err(err, "%s: migration %s failed: %s", d->path, v[i].name,
			        sqlite3_errstr(rc));
			goto out;
		}
		log_info("db: applied migration %s", v[i].name);
	}
	result = 0;
out:
	free(v);
	return result;
}

/* ------------------------------------------------------------------------- */
/* Public API */

struct db *
db_open(const char *path, const struct db_opts *o, char **err)
{
	struct db *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->path = strdup(path)) == NULL) {
		set_err(err, "out of memory");
		free(d);
		return NULL;
	}
	d->opts.synchronous_full = o ? o->synchronous_full : 1;
	d->opts.busy_timeout_ms = o && o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
	d->opts.max_readers = o && o->max_readers > 0 ? o->max_readers : 32;
	pthread_mutex_init(&d->write_lock, NULL);
	pthread_mutex_init(&d->pool_lock, NULL);
	if (create_file(path, err) != 0)
		goto fail;
	if ((d->writer = open_conn(path, &d->opts, 1, err)) == NULL)
		goto fail;
	if (migrate(d, err) != 0)
		goto fail;
	return d;
fail:
	db_close(d);
	return NULL;
}

void
db_close(struct db *d)
{
	if (d == NULL)
		return;
	if (d->readers_out != 0)
		log_warnx("db: closing with %d readers still out", d->readers_out);
	for (int i = 0; i < d->nidle; i++)
		sqlite3_close(d->idle[i]);
	if (d->writer != NULL && sqlite3_close(d->writer) != SQLITE_OK)
		log_warnx("db: close: %s", sqlite3_errmsg(d->writer));
	pthread_mutex_destroy(&d->write_lock);
	pthread_mutex_destroy(&d->pool_lock);
	free(d->path);
	free(d);
}

int
db_schema_version(struct db *d)
{
	int v;

	lockorder_lock(&d->write_lock, LOCK_DB_WRITE);
	v = schema_version_get(d->writer);
	lockorder_unlock(&d->write_lock, LOCK_DB_WRITE);
	return v;
}

static int
tx_run(struct db *d, db_tx_fn fn, void *arg, int *rc, int durable)
{
	int r, relax = !durable && d->opts.synchronous_full;

	lockorder_lock(&d->write_lock, LOCK_DB_WRITE);
	/* Outside the transaction, as SQLite requires; the setting is only this
	 * connection's, and the next durable commit syncs these frames too. */
	if (relax)
		db_exec(d->writer, "PRAGMA synchronous = NORMAL");
	r = db_exec(d->writer, "BEGIN IMMEDIATE");
	if (r == SQLITE_OK) {
		r = fn(d->writer, arg);
		if (r == SQLITE_OK)
			r = db_exec(d->writer, "COMMIT");
		if (r != SQLITE_OK && !sqlite3_get_autocommit(d->writer))
			db_exec(d->writer, "ROLLBACK");
	}
	if (relax)
		db_exec(d->writer, "PRAGMA synchronous = FULL");
	lockorder_unlock(&d->write_lock, LOCK_DB_WRITE);
	if (rc != NULL)
		*rc = r;
	return r == SQLITE_OK ? 0 : -1;
}

int
db_tx_run(struct db *d, db_tx_fn fn, void *arg, int *rc)
{
	return tx_run(d, fn, arg, rc, 1);
}

int
db_tx_run_lazy(struct db *d, db_tx_fn fn, void *arg, int *rc)
{
	return tx_run(d, fn, arg, rc, 0);
}

sqlite3 *
db_reader_get(struct db *d)
{
	sqlite3 *c = NULL;
	char *err = NULL;

	lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
	if (d->nidle > 0) {
		c = d->idle[--d->nidle];
	} else if (d->readers_out >= d->opts.max_readers) {
		lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
		log_warnx("db: all %d read connections are in use", d->opts.max_readers);
		return NULL;
	}
	d->readers_out++;
	lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
	if (c != NULL)
		return c;
	if ((c = open_conn(d->path, &d->opts, 0, &err)) == NULL) {
		log_warnx("db: reader: %s", err ? err : "open failed");
		free(err);
		lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
		d->readers_out--;
		lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
	}
	return c;
}

void
db_reader_put(struct db *d, sqlite3 *c)
{
	if (c == NULL)
		return;
	if (!sqlite3_get_autocommit(c))
		db_exec(c, "ROLLBACK");
	lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
	d->readers_out--;
	if (d->nidle < DB_POOL_IDLE) {
		d->idle[d->nidle++] = c;
		c = NULL;
	}
	lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
	sqlite3_close(c);
}

sqlite3 *
db_reader_get_bulk(struct db *d)
{
	int limit = d->opts.max_readers - DB_READERS_RESERVED;
	sqlite3 *c;

	lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
	if (d->bulk_out >= (limit > 1 ? limit : 1)) {
		lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
		log_warnx("db: %d long reads in progress: refusing another", d->bulk_out);
		return NULL;
	}
	d->bulk_out++;
	lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
	if ((c = db_reader_get(d)) == NULL) {
		lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
		d->bulk_out--;
		lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
	}
	return c;
}

void
db_reader_put_bulk(struct db *d, sqlite3 *c)
{
	if (c == NULL)
		return;
	lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
	d->bulk_out--;
	lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
	db_reader_put(d, c);
}

void
db_readers_in_use(struct db *d, int *all, int *bulk)
{
	lockorder_lock(&d->pool_lock, LOCK_DB_POOL);
	*all = d->readers_out;
	*bulk = d->bulk_out;
	lockorder_unlock(&d->pool_lock, LOCK_DB_POOL);
}
