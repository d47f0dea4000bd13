/* SPDX-License-Identifier: Apache-2.0 */
/* The tamper-evident audit log: appends from any thread, written by one writer
 * thread with group commit into a SHA-256 hash chain; retention with signed
 * anchors; filtered, paged, streaming queries; stats; chain verification. */
#ifndef LOCKSET_AUDIT_H
#define LOCKSET_AUDIT_H

#include "util/problems.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct audit;
struct db;

/*
 * The hash chain. Each row stores prev_hash (the previous row's hash; 64 "0"s
 * for the first row ever written) and
 *
 *   hash = hex(SHA-256(prev_hash || canonical(row)))
 *
 * where prev_hash is its 64 lowercase hex characters and canonical(row) is the
 * concatenation of netstrings ("<decimal byte length>:<bytes>,") of, in order:
 *
 *   "lockset-audit-v1", id (decimal), time, action, actor, host, component,
 *   subject, decision, rules, data, policy_version (decimal, "" when none)
 *
 * every text exactly as stored in the events table: absent text is "", rules is
 * the compact JSON array of rule ids in the order given, data is the compact
 * JSON object with sorted keys. Length prefixes make the encoding unambiguous
 * whatever bytes a field holds. Anyone can re-check the chain with the sqlite3
 * CLI and a SHA-256 tool.
 *
 * Retention deletes the oldest rows and appends an anchor row, action
 * "audit.pruned", whose data is {"rows": n, "upto_id": id, "upto_hash": hash,
 * "public_key": hex, "signature": base64} with an Ed25519 signature (key in
 * <state-dir>/audit-signing.key) over the bytes
 * "lockset-audit-anchor-v1:<rows>:<upto_id>:<upto_hash>". The first remaining
 * row's prev_hash equals upto_hash, so the chain verifies from the anchor.
 */
/*
 * Checkpoints. A checkpoint is the chain's head, signed with the same key:
 * {"host", "id", "hash", "time" (the row's), "public_key": hex, "signature":
 * base64} with an Ed25519 signature over
 * "lockset-audit-checkpoint-v1:<host>:<id>:<hash>:<time>". One is recorded
 * every --audit-checkpoint-interval seconds (when rows were written since) as
 * an "audit.checkpoint" row whose data is the checkpoint of the row before
 * it, so that it leaves the host with the syslog forwarder and the status
 * reports to a central lockset. Whoever keeps one can later ask this log
 * whether it still holds that hash at that id.
 */
#define AUDIT_ZERO_HASH         "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_ACTION_PRUNED     "audit.pruned"
#define AUDIT_ACTION_CHECKPOINT "audit.checkpoint"

struct audit_opts {
	int synchronous_full;      /* 1: synchronous=FULL, 0: NORMAL */
	long retention_days;       /* 0: keep forever */
	long retention_rows;       /* 0: no row limit */
	const char *host;          /* recorded in every row; NULL: gethostname() */
	int busy_timeout_ms;       /* 0: 5000 */
	long long (*now_us)(void); /* clock, microseconds since the epoch; NULL: real time */
	/* A missing or empty lockset.db next to an existing signing key means
	 * the log was lost or removed: refused, unless this is set (--audit-reset),
	 * when a new log starts with an "audit.reset" row saying why. */
	int allow_reset;
};

/* An event to append. Every pointer is borrowed for the duration of the call. */
struct audit_event {
	const char *action;    /* required, e.g. "container.create.denied" */
	const char *actor;     /* NULL: none */
	const char *component; /* NULL: none */
	const char *subject;   /* NULL: none */
	const char *decision;  /* "deny", "allow", "audit" or NULL */
	const char *const *rules;
	size_t nrules;
	json_t *data;             /* an object or NULL */
	long long policy_version; /* -1: none */
	void *owned;              /* set by audit_event_from_json; see audit_event_clear */
};

/* One stored row. In rows from a cursor every pointer is borrowed until the
 * next audit_cursor_next / audit_cursor_close. */
struct audit_row {
	long long id;
	const char *time; /* "2026-11-28T12:34:56.123456Z" */
	const char *action, *actor, *host, *component, *subject, *decision;
	const char *rules;        /* JSON array text */
	const char *data;         /* JSON object text */
	long long policy_version; /* -1: none */
	const char *prev_hash, *hash;
};

/* Query filters. Strings are borrowed for the life of any cursor opened with it. */
struct audit_query {
	const char *since, *until; /* RFC 3339; since <= time < until; NULL: unbounded */
	const char *action;        /* exact, or a prefix ending in '*' ("container.*") */
	const char *actor, *subject, *rule, *decision;
	long long policy_version; /* -1: any */
	int limit;                /* 1..1000 rows per page; 0: every row (exports) */
	int ascending;            /* 0: newest first (default), 1: oldest first */
	const char *cursor;       /* a next token from a previous page; NULL: first page */
	const char *user;         /* data.user: the user a decision was about */
};

#define AUDIT_QUERY_INIT                                                         \
	{                                                                        \
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 100, 0, NULL, NULL \
	}
#define AUDIT_LIMIT_MAX 1000

struct audit_counters {
	unsigned long long appended; /* events committed */
	unsigned long long failed;   /* appends that returned -1 */
	unsigned long long batches;  /* write transactions committed */
	unsigned long long pruned;   /* rows deleted by retention */
	unsigned long long commits;  /* transactions of appends (group commits), ended either way */
	unsigned long long
	    commit_us; /* microseconds spent in them, waiting for the disk included */
};

/* ---- life cycle ---- */

/* Open (create, migrate) <state_dir>/lockset.db, load or create the anchor
 * signing key <state_dir>/audit-signing.key (0600) and start the writer and
 * notifier threads.
 * The key exists from the first start on, so a database that is missing or
 * empty beside it is refused (see allow_reset). On failure returns NULL and
 * sets *err to a malloc'd message (caller frees). */
struct audit *audit_open(const char *state_dir, const struct audit_opts *o, char **err);

/* Write everything queued, stop the writer and close the database. Accepts NULL. */
void audit_close(struct audit *a);

/* The database, for other modules' tables (db_tx_run, db_reader_get). Borrowed. */
struct db *audit_db(struct audit *a);

/* ---- writing ---- */

/* Append one event; safe from any number of threads. Returns once the
 * transaction holding it has committed: the new row's id, or -1 when it was not
 * recorded (invalid event, write failure, closing). Reserved actions
 * ("audit.*") are refused. */
long long audit_append(struct audit *a, const struct audit_event *ev);

/* The record of an audited change, built the one way every synchronous
 * record is: the fields as in struct audit_event, data borrowed (may be
 * NULL). Returns 0 once the row is committed, -1 when it is not (a NULL a
 * included). The rule: an audited change stands only if its row is written.
 * A caller that makes its change first undoes it on -1 (or, for a change that
 * only takes access away, such as revoking a token, keeps it and says the
 * record is missing); every caller answers 503 audit_unavailable. */
int audit_record(struct audit *a, const char *action, const char *actor, const char *component,
                 const char *subject, const char *decision, long long policy_version, json_t *data);

/* Called by the audit notifier thread once an asynchronous append is committed
 * (id > 0) or has failed (id = -1), in commit order. It must be quick: the
 * notifier calls every caller back one after the other. */
typedef void (*audit_done_fn)(void *arg, long long id);

/* The same append without waiting: ev is copied (data serialised) before the
 * call returns, and done(arg, id) is called from the notifier thread after the
 * batch holding it commits or fails. Lets a server thread suspend the request
 * and serve others meanwhile, so many appends share one commit. Returns 0 when
 * queued, -1 when refused at once (invalid event, closing, out of memory);
 * done is then never called. */
int audit_append_async(struct audit *a, const struct audit_event *ev, audit_done_fn done,
                       void *arg);

/* 1 when the last write succeeded, else 0 with *reason (if not NULL) set to a
 * static description of the failure, e.g. "database or disk is full". */
int audit_healthy(struct audit *a, const char **reason);

/* Apply retention now, to completion, through the writer thread (normally it
 * runs by itself when idle, about once a second). Returns the number of rows
 * deleted, or -1 on failure. */
long long audit_prune(struct audit *a);

/* Prometheus text of the writer (audit_metrics.c): appends waiting for it,
 * its commit latency and the counters below. Accepts NULL (prints nothing). */
void audit_metrics(struct audit *a, FILE *out);

/* Counters since audit_open. */
void audit_counters_get(struct audit *a, struct audit_counters *out);

/* ---- chain ---- */

/* canonical(row) as described above; malloc'd (caller frees), length in *len.
 * Only the fields before hash are read. */
char *audit_row_canonical(const struct audit_row *r, size_t *len);

/* Compute r's hash (from prev_hash and canonical(r)) into out (65 bytes).
 * Returns 0, or -1. */
int audit_row_hash(const struct audit_row *r, char out[65]);

/* Re-check the whole chain, streaming (constant memory). New reference:
 * {"ok": true, "rows": n} or {"ok": false, "rows": n, "first_bad_id": id,
 * "reason": "hash mismatch" | "prev_hash mismatch" | "missing rows" |
 * "stored type changed" | "rule index mismatch" |
 * "bad anchor signature"}; NULL when the database cannot be read. */
json_t *audit_verify(struct audit *a);

/* ---- checkpoints ---- */

/* The checkpoint of the current head (new reference), NULL on ENOMEM. */
json_t *audit_checkpoint_make(struct audit *a);
/* 1 when cp has a checkpoint's shape and its signature verifies under its
 * own public_key (whoever's it is), else 0. */
int audit_checkpoint_signed(const json_t *cp);
/* Check this log against cp: {"ok": true, "id"} when cp is signed with this
 * log's key and the log holds cp's hash at cp's id (in the row, or in the
 * anchor of its pruning); else {"ok": false, "id", "reason"}. New reference;
 * NULL when the log cannot be read now. */
json_t *audit_checkpoint_check(struct audit *a, const json_t *cp);
/* Record a checkpoint every interval seconds (0: never), when rows were
 * written since the last. 0 or -1. */
int audit_checkpoint_start(struct audit *a, long interval);
/* Stop the checkpoint thread and forget the newest checkpoint. Safe when not
 * started; audit_close does it too. */
void audit_checkpoint_stop(struct audit *a);
/* The newest recorded checkpoint (new reference), or NULL: for forwarders. */
json_t *audit_checkpoint_latest(struct audit *a);
/* Checkpoints recorded since a was opened. */
unsigned long long audit_checkpoint_count(struct audit *a);

/* ---- reading ---- */

struct audit_cursor;

/* Read query parameters through get (returns the value of a parameter or NULL)
 * into q: since, until, action, actor, subject, rule, decision, user, policy_version,
 * limit (default 100), order ("asc"|"desc") and cursor (alias: next). Every bad
 * parameter is added to errs with its name as path. String fields of q borrow
 * get's results. Returns 0, or -1 when errs was added to. */
int audit_query_from_params(struct audit_query *q, const char *(*get)(void *cls, const char *name),
                            void *cls, struct problems *errs);

/* Start a query (validating q as audit_query_from_params does). Uses its own
 * read connection until closed; the rows are those there were when it
 * started, in id order, each once, but for rows retention removes before the
 * cursor reaches them (see audit_cursor_release). Returns NULL with
 * errs naming the bad parameter(s), or NULL with errs empty when the database
 * cannot be read (or every read connection is busy). */
struct audit_cursor *audit_query_open(struct audit *a, const struct audit_query *q,
                                      struct problems *errs);

/* Fetch the next row into *row: 1, 0 at the end (of the page or of the rows),
 * -1 on a read error. */
int audit_cursor_next(struct audit_cursor *c, struct audit_row *row);

/* End the cursor's read transaction: a snapshot held open keeps SQLite from
 * reusing the WAL, which then grows with every write for as long as it is
 * held. The next audit_cursor_next takes a new snapshot and reads on after
 * the last row returned. Call it whenever the rows wait for a slow reader
 * (every block a streamed reply hands out). Accepts NULL. */
void audit_cursor_release(struct audit_cursor *c);

/* After audit_cursor_next returned 0: the opaque token that fetches the next
 * page (pass it as cursor), or NULL when there are no more rows. Borrowed. */
const char *audit_cursor_next_token(struct audit_cursor *c);

/* Release the cursor and its connection. Accepts NULL. */
void audit_cursor_close(struct audit_cursor *c);

/* The row as a JSON object (rules an array, data an object, absent text and
 * policy_version null). New reference, NULL on ENOMEM. */
json_t *audit_row_json(const struct audit_row *r);

/* The row lockset wrote for decision decision_id (its data.decisionId; the
 * newest if there were several; reported runtime.* events never count) as
 * audit_row_json gives it: 1 with *out a new reference, 0
 * when there is none, -1 when the log cannot be read. */
int audit_decision_find(struct audit *a, const char *decision_id, json_t **out);

/* The CSV header line, CRLF-terminated, naming the columns audit_row_csv writes. */
const char *audit_csv_header(void);

/* One RFC 4180 record for r, CRLF-terminated; rules are joined with ';', data
 * is its JSON text. A field starting with =, +, -, @, TAB or CR is written
 * quoted with a leading apostrophe so spreadsheets do not run it as a formula.
 * malloc'd (caller frees), length in *len; NULL on ENOMEM. */
char *audit_row_csv(const struct audit_row *r, size_t *len);

/* Counts per time bucket ("minute", "hour", "day") and key ("rule", "action",
 * "actor") over the rows matching filter (its limit, order and cursor are
 * ignored; NULL: all rows). New reference: {"bucket": b, "by": k, "series":
 * [{"t": "2026-11-28T12:00:00Z", "key": "privileged", "count": 3}, ...]}
 * ordered by t then key. NULL with errs naming the bad parameter, or NULL with
 * errs empty on a read error. */
json_t *audit_stats(struct audit *a, const char *bucket, const char *by,
                    const struct audit_query *filter, struct problems *errs);

/* ---- events from runtime components (POST /v1/events) ---- */

/* The namespace runtime components report under: "runtime.<anything>". Every
 * other first segment is refused for reported events. */
#define AUDIT_NAMESPACE_RUNTIME "runtime"

/* 1 when action's first segment is one of lockset's own namespaces (the one
 * list of them: policy, token, container, settings, auth, audit, exec, image,
 * build, plugin, volume, service, swarm, preferences, ...), else 0. */
int audit_action_is_own(const char *action);

/* Reported events may only use runtime.*, and an actor that is not one of
 * lockset's own (dockerd, locksetd, upstream, uid:N, token:NAME,
 * anonymous@ADDR): 0 when ev keeps to both, else -1 with a problem at
 * "/action" or "/actor" saying why. Callers answer 422. */
int audit_event_namespace_check(const struct audit_event *ev, struct problems *errs);

/* Validate a reported event strictly: {"action" (required, lowercase dotted
 * "a.b[.c[.d]]"; its namespace is audit_event_namespace_check's business),
 * "actor", "subject", "decision" ("deny"|"allow"|"audit"), "rules" (array of rule ids), "data" (object),
 * "policy_version" (integer >= 0)}; unknown fields and over-long values are
 * errors, each reported with its JSON pointer. On success fills *out with
 * pointers borrowed from body (component NULL: the caller sets it from the
 * caller's identity) and returns 0; call audit_event_clear(out) afterwards.
 * Returns -1 when errs was added to. */
int audit_event_from_json(const json_t *body, struct audit_event *out, struct problems *errs);

/* Free what audit_event_from_json allocated in ev. Accepts any event. */
void audit_event_clear(struct audit_event *ev);

#endif
