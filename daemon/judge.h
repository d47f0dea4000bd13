/* SPDX-License-Identifier: Apache-2.0 */
/* One decision, end to end, shared by the authz plugin and POST /v1/decisions:
 * judge the request against the served policy, record every deny (and every
 * violation in audit mode) in the audit log BEFORE the reply goes out, count
 * the outcome for /metrics, and fail closed if the record cannot be written. */
#ifndef LOCKSET_JUDGE_H
#define LOCKSET_JUDGE_H

#include "decide.h"

#include <jansson.h>

struct judgement {
	struct decision d;
	char id[33];        /* decision id, 32 hex chars */
	long long version;  /* policy version that judged */
	long long event_id; /* audit event id; 0 when nothing was recorded, -1 when
	                       a record was required and could not be written */
	int audit_failed;   /* a record was required and could not be written: denied */
	char *message;      /* deny message for clients (NULL when allowed) */
	/* When judge_start began: the decision latency histogram. */
	unsigned long long started_ns;
	/* While the audit record is being written (judge_start returned 1). */
	void (*resume)(void *arg);
	void *resume_arg;
};

/* Judge req. component names the entry point ("authz", "api"); actor is the
 * caller's identity for the record. j must stay at the same address until the
 * judgement is final. Returns 0 when j is final (j->d.allow is the answer), or
 * 1 when its audit record is being written: resume(arg) is then called from
 * the audit writer thread once the record is committed or has failed, after
 * which the caller calls judge_finish(j) and answers. The request (req and its
 * buffers) is not needed after judge_start returns. Release j with
 * judge_clear in both cases. */
int judge_start(const struct decide_request *req, const char *component, const char *actor,
                struct judgement *j, void (*resume)(void *arg), void *arg);
/* Make a pending judgement final: a record that could not be written turns
 * the answer into a deny (fail closed). */
void judge_finish(struct judgement *j);
void judge_clear(struct judgement *j);

/* Prometheus text of the decision counters (new reference to a string). */
void judge_metrics(FILE *out);

/* Hook for recording decision inputs (impact preview); may be NULL. */
typedef void (*judge_input_hook)(const struct decide_request *req, const struct judgement *j);
void judge_set_input_hook(judge_input_hook hook);

#endif
