/* SPDX-License-Identifier: Apache-2.0 */
/* Recorded decision inputs for the impact preview: the judge's input hook
 * queues method, URI, user, body (capped), verdict and rules of every
 * decision on an inspected route; a writer thread stores them in batches
 * (decision_inputs), so no decision waits for an fsync, and prunes them with
 * the audit retention (days) and a row cap. */
#ifndef LOCKSET_INPUTS_H
#define LOCKSET_INPUTS_H

#include <stddef.h>

struct db;

#define INPUTS_MAX_BODY  (64 * 1024) /* bytes of body kept; larger: not kept, flagged */
#define INPUTS_MAX_ROWS  100000      /* rows kept at most (fewer if retention-rows says so) */
#define INPUTS_MAX_QUEUE 10000       /* queued inputs; more are dropped and counted */

/* Start the writer thread and install the judge hook. retention_days and
 * retention_rows as for the audit log (0: no limit; rows are capped at
 * INPUTS_MAX_ROWS anyway). Returns 0 or -1. */
int inputs_start(struct db *db, long retention_days, long retention_rows);
/* Write what is queued, remove the hook, stop the thread. */
void inputs_stop(void);
/* Wait until everything queued so far is stored. */
void inputs_flush(void);

/* One stored input; pointers borrowed for the duration of the callback. */
struct inputs_row {
	const char *time, *method, *uri, *user;
	const char *body; /* NULL when none was sent or it was too large */
	size_t body_len;
	int has_body; /* a body was sent and kept (possibly empty) */
	int body_truncated;
	int allow;
	const char *rules; /* JSON array text */
	long long policy_version;
};

/* Call fn for every stored input with time >= since (RFC 3339 UTC, as
 * stored), oldest first, until fn returns non-zero. Returns 0, or -1 when the
 * table cannot be read. */
int inputs_scan(const char *since, int (*fn)(const struct inputs_row *r, void *cls), void *cls);

#endif
