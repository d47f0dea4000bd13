/* SPDX-License-Identifier: Apache-2.0 */
/* The state database (<state-dir>/lockset.db): one SQLite file in WAL mode, the
 * numbered migrations compiled in from schema/sql/, one shared write connection
 * behind a mutex, and a small pool of read-only connections for readers. */
#ifndef LOCKSET_DB_H
#define LOCKSET_DB_H

#include <sqlite3.h>

struct db;

struct db_opts {
	int synchronous_full; /* 1: synchronous=FULL (default), 0: NORMAL */
	int busy_timeout_ms;  /* 0: 5000 */
	int max_readers;      /* read connections open at once; 0: 32 */
};

/* Open (creating it with mode 0600 if needed) the database file at path, set the
 * pragmas (journal_mode=WAL, journal_size_limit, synchronous, busy_timeout,
 * foreign_keys) and apply
 * every migration not yet recorded in schema_version, each in its own
 * transaction. A database whose schema is newer than this binary knows is
 * refused. o may be NULL for the defaults. On failure returns NULL and sets
 * *err to a malloc'd message (caller frees). */
struct db *db_open(const char *path, const struct db_opts *o, char **err);

/* Close every connection. Every reader must have been put back. Accepts NULL. */
void db_close(struct db *d);

/* Highest migration recorded in schema_version. */
int db_schema_version(struct db *d);

/* Highest migration compiled into this binary. */
int db_schema_known(void);

/* The signature of a transaction body: run statements on c (the write
 * connection, inside BEGIN IMMEDIATE) and return SQLITE_OK to commit, or any
 * other SQLite result code to roll back. */
typedef int (*db_tx_fn)(sqlite3 *c, void *arg);

/* Run fn in one write transaction on the shared write connection; callers on
 * other threads wait their turn. Returns 0 when committed, -1 otherwise; when
 * rc is not NULL it receives the SQLite result code that ended the transaction
 * (SQLITE_OK, SQLITE_BUSY past the timeout, SQLITE_FULL, SQLITE_IOERR_*, ...). */
int db_tx_run(struct db *d, db_tx_fn fn, void *arg, int *rc);
/* The same, committed without waiting for the disk (synchronous=NORMAL for
 * this transaction): for data a power failure may lose, never corrupt, and
 * that must not hold the write connection for an fsync. */
int db_tx_run_lazy(struct db *d, db_tx_fn fn, void *arg, int *rc);

/* Take a read-only connection from the pool (opening one if none is idle), for
 * the calling thread's exclusive use until db_reader_put. Returns NULL when
 * max_readers are already in use or the open fails. */
sqlite3 *db_reader_get(struct db *d);

/* Give a connection from db_reader_get back to the pool; a transaction left
 * open on it is rolled back. Accepts NULL. */
void db_reader_put(struct db *d, sqlite3 *c);

/* Read connections held for as long as a client cares to read (audit
 * queries and exports, verify, stats, impact previews) never take the last
 * DB_READERS_RESERVED: whatever they hold, short reads (tokens, policy
 * history, decisions by id) still get one. NULL when that many bulk readers
 * are out, or as db_reader_get. Give it back with db_reader_put_bulk. */
#define DB_READERS_RESERVED 8
sqlite3 *db_reader_get_bulk(struct db *d);
void db_reader_put_bulk(struct db *d, sqlite3 *c);
/* Read connections out now: all, and bulk ones. */
void db_readers_in_use(struct db *d, int *all, int *bulk);

/* Prepare sql on c, logging the error on failure. Returns the statement or NULL. */
sqlite3_stmt *db_prepare(sqlite3 *c, const char *sql);

/* Run one statement that returns no rows (BEGIN, COMMIT, a pragma). Returns the
 * SQLite result code (SQLITE_OK on success). */
int db_exec(sqlite3 *c, const char *sql);

/* Bind s as text, or NULL when s is NULL. Returns the SQLite result code. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Step st, a statement that returns no rows, and finalize it: SQLITE_OK when
 * it ran to its end, else its SQLite result code. */
int db_step_done(sqlite3_stmt *st);

/* db_step_done for an INSERT on connection c; *rowid is the new row's id. */
int db_step_insert(sqlite3 *c, sqlite3_stmt *st, long long *rowid);

/* The text of column col, "" when NULL. Borrowed until the next step/reset. */
const char *db_column_text(sqlite3_stmt *st, int col);

#endif
