/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by inputs.c (inputs_record, the queue and the writer
 * thread) and inputs_store.c (what the writer does with a batch: hide the
 * secrets, hash, fold, store, prune; and reading). Not for other modules:
 * they use inputs.h. */
#ifndef LOCKSET_INPUTS_INT_H
#define LOCKSET_INPUTS_INT_H

#include "inputs.h"

#include <stddef.h>

struct db;
struct redact;

enum inputs_body_state { BODY_NONE, BODY_KEPT, BODY_TOO_LARGE };

/* One queued decision, as the request came (its secrets still in it: it is
 * never stored like this), in a single allocation: the strings and the body
 * live in text[]. The writer fills in the rest. */
struct input {
	struct input *next;
	long long usec; /* time of the decision, microseconds since the epoch */
	const char *method, *uri, *user, *rules;
	const char *raw; /* the body as sent (raw_len bytes), NULL when none or too large */
	size_t raw_len;
	int has_body;  /* a body was sent */
	int too_large; /* it was larger than INPUTS_MAX_BODY: not copied */
	int allow;
	long long policy_version;
	size_t size; /* bytes of this allocation */
	/* Filled by the writer. */
	char *safe_uri;          /* the URI with build arguments hidden (malloc'd) */
	struct input *same_body; /* the first input of the batch with these body bytes */
	int body_state;          /* enum inputs_body_state */
	unsigned char hash[32];  /* SHA-256 of the stored (secret-free) body, BODY_KEPT */
	char *body;              /* that body (malloc'd), on the first input that has it */
	size_t body_len;
	/* The fold: the first input of a kind stands for all of them. */
	struct input *fold_next, *kind_next;
	long long count, first_usec, last_usec;
	char text[];
};

/* What the writer works with; only the writer thread touches it. */
struct inputs_store {
	struct db *db;
	const struct redact *redact;
	struct inputs_limits lim;
	/* What is stored: counted by every prune, kept up to date by every
	 * batch (rows inserted, bodies inserted). */
	long long rows, bytes;
};

/* What one batch did, for the counters of /metrics. */
struct inputs_batch_stats {
	unsigned long long hashed;       /* distinct bodies made secret-free and hashed */
	unsigned long long body_large;   /* inputs recorded without their body: over the cap */
	unsigned long long body_notjson; /* ... not JSON */
};

/* Hide the secrets of every input of list, hash the bodies (once for each
 * distinct body of the batch), fold identical decisions of one minute and
 * store them in one transaction, adding what it stored to st->rows and
 * st->bytes. Frees nothing. */
void inputs_store_batch(struct inputs_store *st, struct input *list,
                        struct inputs_batch_stats *stats);

/* Retention (inputs_prune.c): rows older than lim.max_days, and when
 * st->rows or st->bytes is past its limit, the oldest rows down to seven
 * eighths of it; then the bodies left without a row; st->rows and st->bytes
 * counted anew. */
void inputs_prune(struct inputs_store *st);
/* 1 when st->rows or st->bytes is past its limit. */
int inputs_over(const struct inputs_store *st);
/* inputs_scan over db. */
int inputs_store_scan(struct db *db, const char *since,
                      int (*fn)(const struct inputs_row *r, void *cls), void *cls);
/* Release an input, wiping the request's bytes. Accepts NULL. */
void inputs_input_free(struct input *in);

#endif
