/* SPDX-License-Identifier: Apache-2.0 */
/* Recorded decision inputs for the impact preview: the judge's input hook
 * queues method, URI, user, body (capped), verdict and rules of every
 * decision on an inspected route; a writer thread hides their secrets,
 * stores them in batches, identical decisions of one minute folded into one
 * counted row (decision_inputs) and each distinct body once, by the SHA-256
 * of its secret-free bytes (input_bodies), so no decision waits for that
 * work or an fsync; the batches are committed without waiting for the disk
 * either (a power failure may lose the last ones). It prunes them with the
 * audit retention (days) and a row cap. */
#ifndef LOCKSET_INPUTS_H
#define LOCKSET_INPUTS_H

#include <stddef.h>
#include <stdio.h>

struct db;
struct redact;

#define INPUTS_MAX_BODY  (64 * 1024) /* bytes of body kept; larger: not kept, flagged */
#define INPUTS_MAX_ROWS  100000      /* rows kept at most (fewer if retention-rows says so) */
#define INPUTS_MAX_QUEUE 10000       /* queued inputs (32 MiB at most); more are dropped, counted */

/* Start the writer thread and install the judge hook. retention_days and
 * retention_rows as for the audit log (0: no limit; rows are capped at
 * INPUTS_MAX_ROWS anyway; a row is one distinct input of one minute). r
 * (borrowed; must outlive inputs_stop) hides secret-bearing values before
 * anything is stored: no Env value, build argument or secret's data is
 * stored, only its keyed hash; a body that is not JSON is not kept (flagged
 * like one over the cap). Returns 0 or -1. */
int inputs_start(struct db *db, long retention_days, long retention_rows, const struct redact *r);
/* Write what is queued, remove the hook, stop the thread. Call once no
 * decision can be in progress (after http_stop). */
void inputs_stop(void);
/* Wait until everything queued so far is stored. */
void inputs_flush(void);

/* Prometheus text of the recorder's counters (recorded, dropped, bodies
 * hashed) to out. */
void inputs_metrics(FILE *out);

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

/* Call fn for every stored row of the minute of since (RFC 3339 UTC, as
 * stored) or later, in the order the rows were first written, until fn
 * returns non-zero: the window is exact to the minute, the minute that holds
 * since counts whole. Returns 0, or -1 when the tables cannot be read. */
int inputs_scan(const char *since, int (*fn)(const struct inputs_row *r, void *cls), void *cls);

#endif
