/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the audit files (audit.c: open, close;
 * audit_writer.c: the writer thread, group commit, retention;
 * audit_append.c: the append API; audit_verify.c; audit_query.c: plans,
 * cursors, stats; audit_params.c: query parameters and cursor tokens;
 * audit_output.c: JSON and CSV rows; audit_event.c: validation;
 * audit_chain.c: time, canonical encoding, hash, anchor key).
 * Not for other modules: they use audit.h. */
#ifndef LOCKSET_AUDIT_INT_H
#define LOCKSET_AUDIT_INT_H

#include "audit.h"
#include "util/lockorder.h"
#include "util/metrics.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>

#define AUDIT_TIME_LEN 27 /* "2026-11-28T12:34:56.123456Z" */
/* The times that format with four-digit years, in microseconds since the
 * epoch: 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z. */
#define AUDIT_TIME_MIN_US (-62167219200LL * 1000000)
#define AUDIT_TIME_MAX_US (253402300800LL * 1000000 - 1)
#define AUDIT_TOKEN_MAX   64 /* a cursor token with its NUL */

/* One append on its way to the writer thread (audit_append.c queues it,
 * audit_writer.c writes it). */
struct audit_pending {
	struct audit_pending *next;
	const struct audit_event *ev;
	char *rules_json;
	char *data_json;
	long long time_us;
	long long id; /* result: the new id or -1 */
	int done;
	/* Asynchronous appends own a copy of the event and are freed by the
	 * writer after calling back; synchronous ones live on the caller's stack. */
	audit_done_fn done_fn;
	void *done_arg;
	struct audit_event copy;
	char **copy_rules;
};

struct syslog_fwd; /* audit_syslog.c */

/* Periodic signed checkpoints (audit_checkpoint.c). */
struct audit_cp {
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;  /* to the thread: stop (CLOCK_MONOTONIC) */
	pthread_t thread;
	int running, stop;
	long interval;            /* seconds */
	json_t *latest;           /* the newest recorded checkpoint */
	unsigned long long count; /* checkpoints recorded */
};

struct audit {
	struct db *db;
	struct audit_opts opts;
	char *host;
	EVP_PKEY *key; /* Ed25519 anchor signing key */
	char pubkey_hex[65];
	const char *reset_reason; /* the log was lost and is being reset: why (static) */
	/* <state>/audit-head (audit_head.c): written by the writer, under lock */
	int head_fd, head_warned;
	struct {
		long long recorded_id, found_id; /* recorded_id 0: no rollback found */
		char recorded_hash[65];
	} rollback; /* found at open, recorded once the writer runs */

	pthread_mutex_t lock;  /* everything below */
	pthread_cond_t wake;   /* to the writer: work queued, prune asked, stop */
	pthread_cond_t done;   /* to appenders and prune callers: a batch finished */
	pthread_cond_t notify; /* to the notifier: finished asynchronous appends */
	pthread_t writer, notifier;
	int writer_started, notifier_started;
	int stopping;
	int notifier_stop; /* set once the writer has stopped */
	/* asynchronous appends the writer has finished, for the notifier to call
	 * back in order (so the writer goes on to the next batch meanwhile) */
	struct audit_pending *finished, **finished_tail;
	struct audit_pending *head, *tail;
	size_t nqueued;           /* appends in head..tail */
	size_t want;              /* the writer waits for this many (0: wake it on each) */
	size_t expect;            /* rows of the last group commit */
	long long last_commit_us; /* how long it took */
	struct metrics_hist commit_latency; /* one batch's write transaction */
	int prune_requested;
	int prune_running;
	unsigned long long prune_gen; /* incremented when a requested prune finished */
	long long prune_result;
	int healthy;
	const char *reason;
	struct audit_counters counters;
	/* the chain head as last committed; read by verify */
	long long last_id;
	long long last_time_us;
	char last_hash[65];
	struct audit_cp cp;        /* its own lock, a leaf (LOCK_AUDIT_CHECKPOINT) */
	struct syslog_fwd *syslog; /* while forwarding (audit_syslog_start .. _stop) */
	/* While forwarding, the first row the receiver has not confirmed, which
	 * retention must keep; 0 when not forwarding (atomic). */
	long long syslog_unsent;
	/* writer thread only: cached statements on the write connection */
	sqlite3_stmt *st_event, *st_rule;
};

/* Initialise and destroy a->cp (audit_checkpoint.c; audit_open, audit_close). */
void audit_cp_init(struct audit *a);
void audit_cp_destroy(struct audit *a);

/* Now, from opts.now_us when set (tests), else the real clock. */
long long audit_now_us(const struct audit *a);

/* The writer thread (audit_writer.c): started by audit_open with a as its
 * argument, it runs until a->stopping is set and the queue is empty. */
void *audit_writer_main(void *arg);

/* The notifier thread (audit_append.c): calls back finished asynchronous
 * appends until a->notifier_stop is set and none is left. */
void *audit_notifier_main(void *arg);

/* Queue p for the writer and wake it when it waits for it; a->lock held. */
void audit_enqueue(struct audit *a, struct audit_pending *p);

/* Free an asynchronous pending append and its copy of the event. */
void audit_pending_free(struct audit_pending *p);

/* Finalize the writer's cached statements (after the writer has stopped). */
void audit_statements_finalize(struct audit *a);

/* The chain head beside the database (audit_head.c). open: create or read
 * <state>/audit-head, after the chain is loaded, and compare (a->rollback);
 * write: record a->last_id and a->last_hash (a->lock held, after a commit);
 * record_rollback: the audit.rollback row, when one was found (0, or -1). */
int audit_head_open(struct audit *a, const char *state_dir, char **err);
void audit_head_write(struct audit *a);
int audit_head_record_rollback(struct audit *a);
void audit_head_close(struct audit *a);

/* One of the log's own rows about itself (audit.*, actor locksetd,
 * component audit) with data (stolen; NULL: out of memory). Its id, or -1. */
long long audit_record_own(struct audit *a, const char *action, json_t *data);

/* audit_append for the audit log's own rows (audit.*), which no other
 * module may write. */
long long audit_append_own(struct audit *a, const struct audit_event *ev);

/* Parse an RFC 3339 date-time ("2026-11-28T12:34:56.5+01:00") into microseconds
 * since the epoch. Returns 0, or -1 when s is not one. */
int audit_time_parse(const char *s, long long *us);

/* Format us as the stored form "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out. */
void audit_time_format(long long us, char out[AUDIT_TIME_LEN + 1]);

/* Load the anchor signing key <state_dir>/audit-signing.key, creating it (0600)
 * on first use. Returns it, or NULL with *err set (malloc'd). */
EVP_PKEY *audit_key_load(const char *state_dir, char **err);

/* The data of an anchor row recording that rows up to upto_id (whose hash is
 * upto_hash) were pruned, rows in all, signed with a->key. New reference. */
json_t *audit_anchor_data(struct audit *a, long long rows, long long upto_id,
                          const char *upto_hash);

/* The bytes an anchor's signature covers; malloc'd, NULL on ENOMEM. */
char *audit_anchor_message(long long rows, long long upto_id, const char *upto_hash);

/* Check an anchor row's data (JSON text) against the signing key: 0 when the
 * signature is good, else -1. Whenever the data parses, fills *upto_id and
 * upto_hash (65 bytes) if not NULL, even when the signature is bad. */
int audit_anchor_check(struct audit *a, const char *data, long long *upto_id, char *upto_hash);

/* Fill r from a statement whose columns are id, time, action, actor, host,
 * component, subject, decision, rules, data, policy_version, prev_hash, hash
 * (in that order). The strings are borrowed from st until its next step. */
void audit_row_from_stmt(sqlite3_stmt *st, struct audit_row *r);

/* The first id whose time is at or after us (the id order is the time
 * order), or LLONG_MAX when there is none: 0, or -1 on a read error. */
int audit_id_at_time(sqlite3 *c, long long us, long long *id);

/* Validate q: every bad field is added to errs under its parameter name.
 * Returns 0 or -1. */
int audit_query_check(const struct audit_query *q, struct problems *errs);

/* Cursor tokens (audit_params.c): base64url("a:<id>" or "d:<id>"), no
 * padding. Encode the direction and the last id returned into out. */
void audit_token_encode(int ascending, long long id, char out[AUDIT_TOKEN_MAX]);
/* Returns 0 and sets *ascending and *id, or -1 for a malformed token. */
int audit_token_decode(const char *t, int *ascending, long long *id);

/* Replace *err (freed first) with a formatted message; NULL when out of memory. */
void audit_seterr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
