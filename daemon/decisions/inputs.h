/* SPDX-License-Identifier: Apache-2.0 */
/* Recorded decision inputs for the impact preview: inputs_record, called by the judge,
 * queues method, URI, user, body (capped), verdict and rules of every
 * decision on an inspected route; a writer thread hides their secrets,
 * stores them in batches, identical decisions of one minute folded into one
 * counted row (decision_inputs) and each distinct body once, by the SHA-256
 * of its secret-free bytes (input_bodies), so no decision waits for that
 * work or an fsync; the batches are committed without waiting for the disk
 * either (a power failure may lose the last ones). They are held to
 * inputs_limits (rows, bytes, age). A recorder is an object: main.c starts
 * the daemon's one and gives it to the judge (judge_deps) and the impact
 * preview. */
#ifndef LOCKSET_INPUTS_H
#define LOCKSET_INPUTS_H

#include <stddef.h>
#include <stdio.h>

struct db;
struct inputs;
struct decide_request;
struct judgement;
struct redact;

#define INPUTS_MAX_BODY  (64 * 1024) /* bytes of body kept; larger: not kept, flagged */
#define INPUTS_MAX_QUEUE 10000       /* queued inputs (32 MiB at most); more are dropped, counted */

/* What the recorded inputs may take, whatever the traffic. A row is one
 * distinct input of one minute; its bytes are its URI's, and a body's count
 * once however many rows share it. Right after a batch that takes the rows
 * or the bytes past their limit, the oldest rows are pruned down to seven
 * eighths of it (so a steady flow prunes once per eighth, not once per
 * batch); age is pruned about once a minute, and everything at start-up. */
struct inputs_limits {
	long max_rows;       /* rows kept at most (>= 1) */
	long long max_bytes; /* bytes of URI and body kept at most (>= 1) */
	long max_days;       /* rows last seen longer ago are removed; 0: no age limit */
	long max_uri;        /* a decision whose URI is longer is judged, not recorded */
};

/* A recorder storing into db (borrowed, must outlive it), its writer thread
 * started. lim is copied. r (borrowed; must outlive inputs_stop) hides
 * secret-bearing values before anything is stored: no Env value, build
 * argument or secret's data is stored, only its keyed hash; a body that is
 * not JSON is not kept (flagged like one over the cap). Returns the
 * recorder, or NULL (no redactor, a limit below 1, no memory or thread). */
struct inputs *inputs_start(struct db *db, const struct inputs_limits *lim, const struct redact *r);
/* Write what is queued, stop the thread and release in. Call once no
 * decision can be in progress (after http_stop). Accepts NULL. */
void inputs_stop(struct inputs *in);
/* Queue one judged request (judge.c calls it for every decision). Never
 * blocks on I/O; does nothing when in is NULL; a full queue drops it, and a
 * URI over the cap is not recorded (both counted): the decision itself is
 * made all the same. */
void inputs_record(struct inputs *in, const struct decide_request *req, const struct judgement *j);
/* Wait until everything queued so far in in is stored (NULL: nothing). */
void inputs_flush(struct inputs *in);

/* Prometheus text of the recorder's counters (recorded, dropped by reason,
 * bodies hashed and not kept), what is stored and its limits, to out; in
 * NULL (not recording) counts nothing. */
void inputs_metrics(struct inputs *in, FILE *out);

/* One stored row: count identical decisions of one minute. Pointers borrowed
 * for the duration of the callback. */
struct inputs_row {
	const char *first, *last; /* first and last of them (RFC 3339 UTC, as stored) */
	long long count;
	const char *method, *uri, *user;
	const unsigned char *body_hash; /* SHA-256 of the body (32 bytes), NULL if none kept */
	const char *body;               /* NULL when none was sent or it is not kept */
	size_t body_len;
	int has_body;       /* a body was sent and is kept (possibly empty) */
	int body_truncated; /* a body was sent and is not available: over the cap,
	                     * not JSON, or lost with a write that failed */
	int allow;
	const char *rules; /* JSON array text */
	long long policy_version;
};

/* Call fn for every row in's database stores of the minute of since (RFC
 * 3339 UTC, as stored) or later, in the order the rows were first written,
 * until fn returns non-zero: the window is exact to the minute, the minute
 * that holds since counts whole. Returns 0, or -1 when the tables cannot be
 * read (in NULL: nothing is recorded). */
int inputs_scan(struct inputs *in, const char *since,
                int (*fn)(const struct inputs_row *r, void *cls), void *cls);

#endif
