/* SPDX-License-Identifier: Apache-2.0 */
/* One decision, end to end, shared by the authz plugin and POST /v1/decisions:
 * judge the request against the served policy, record every deny (and every
 * violation in audit mode) in the audit log BEFORE the reply goes out, count
 * the outcome for /metrics, and fail closed if the record cannot be written. */
#ifndef LOCKSET_JUDGE_H
#define LOCKSET_JUDGE_H

#include "engine/decide.h"

#include <jansson.h>

struct audit;
struct engineinfo;
struct inputs;
struct judge;
struct judge_deferred;
struct lookup;
struct lookup_set;
struct redact;
struct served_hub;
struct userpolicy;

/* What a judge asks and writes to; each may be NULL (no audit log: every
 * required record fails, so the request is denied; no redactor: URIs are
 * recorded as given; no lookup: named containers are unknown; no engine
 * info: the engine's user namespaces are unknown; no recorder: inputs are
 * not recorded). */
struct judge_deps {
	struct audit *audit;
	struct redact *redact;
	struct lookup *lookup;
	struct engineinfo *engineinfo;
	struct served_hub *served;     /* the policy judged by (never NULL) */
	struct userpolicy *userpolicy; /* per-user policies (never NULL) */
	struct inputs *inputs;         /* records every decision's input (inputs.h) */
	/* Sockets that reach the engine besides the usual ones, for ECI's
	 * socket rule: --engine-socket and the docker socket proxy's path
	 * (copied; NULL or "" for none). */
	const char *engine_socket, *proxy_socket;
};

/* A judge with its own counters and decision-id key. NULL when out of memory. */
struct judge *judge_new(const struct judge_deps *deps);
void judge_free(struct judge *jg);
/* The cgroup namespace the engine gives a container that names no mode, as
 * its last answer says (engineinfo.h), for the record of a create: UNKNOWN
 * without one. jg may be NULL. */
enum decide_cgroupns judge_engine_cgroupns(const struct judge *jg);
/* The engine's sockets as ECI's socket rule compares them (each cleaned
 * and, when it differs, resolved): how many, and the list in *out
 * (borrowed, valid while jg is). */
size_t judge_sockets(const struct judge *jg, const char *const **out);

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
	/* While the engine is asked about containers or the audit record is
	 * being written (judge_start returned 1). */
	void (*resume)(void *arg);
	void *resume_arg;
	/* Private. */
	struct judge *judge;             /* the judge that started it */
	struct lookup_set *containers;   /* the containers the request named */
	struct judge_deferred *deferred; /* the request, while the engine is asked */
	int concluded;                   /* counted and final */
	int engine_waited;               /* waited for an engine check once */
};

/* Judge req. component names the entry point ("authz", "api"); actor is the
 * caller's identity ("dockerd" on the plugin socket, the peer's name on the
 * API: "uid:1000", "token:ci"), recorded as the row's actor whatever user
 * the request names (that one is data.user). req->engine_userns: the plugin
 * and the docker socket proxy, whose requests go to the engine lockset
 * checks, set it to DECIDE_USERNS_UNKNOWN and the judgement uses the
 * engine's last answer (engineinfo.h), waiting for a check in flight;
 * DECIDE_USERNS_UNJUDGED (POST /v1/decisions) leaves it out. req->container, when set, is
 * the caller's own list of containers (asked first, and only during
 * judge_start); judge_start sets its own lookup (lookup.h) for the engine:
 * container records, then the Engine API. j must stay at the same address
 * until the judgement is final. Returns 0 when j is final (j->d.allow is the
 * answer), or 1 when the engine is being asked about containers or the
 * audit record is being written: resume(arg) is then called once, from a
 * lookup thread or the audit notifier thread, after which the caller calls
 * judge_finish(j) and answers. The request (req and its buffers) is not
 * needed after judge_start returns. Release j with judge_clear in both
 * cases. */
int judge_start(struct judge *jg, const struct decide_request *req, const char *component,
                const char *actor, struct judgement *j, void (*resume)(void *arg), void *arg);
/* Make a pending judgement final: a record that could not be written turns
 * the answer into a deny (fail closed). */
void judge_finish(struct judgement *j);
void judge_clear(struct judgement *j);

/* Totals since start-up: every decision, and the denied ones among them. */
void judge_totals(struct judge *jg, unsigned long long *decisions, unsigned long long *denies);

/* Prometheus text of the decision counters (new reference to a string). */
void judge_metrics(struct judge *jg, FILE *out);

#endif
