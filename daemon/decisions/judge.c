/* SPDX-License-Identifier: Apache-2.0 */
/* Decide, record, count. The audit record of a deny is committed before the
 * caller may answer; a record that cannot be written turns the answer into a
 * deny (fail closed). Allowed requests are only counted. */
#include "judge.h"

#include "audit/audit.h"
#include "containers/engineinfo.h"
#include "engine/hostpath.h"
#include "inputs.h"
#include "log.h"
#include "redact.h"
#include "lookup.h"
#include "util/metrics.h"
#include "policy/served.h"
#include "util/siphash.h"
#include "policy/userpolicy.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JUDGE_MAX_RULES   64
#define JUDGE_MAX_SOCKETS 4 /* the engine's and the proxy's, each cleaned and resolved */

/* The judge: what it asks (judge_deps), its counters (verdicts, and
 * violations per rule id: rule ids are static strings from decide.c, in a
 * small open table keyed by pointer-compared string) and the key of its
 * decision ids. Counters are updated with atomics, never under a lock. */
struct judge {
	struct judge_deps deps;
	char *sockets[JUDGE_MAX_SOCKETS]; /* deps' sockets as the rule compares them (owned) */
	size_t nsockets;
	unsigned long long n_allowed, n_denied, n_audited, n_uninspected, n_audit_failures;
	struct {
		const char *rule;
		unsigned long long count;
	} rule_counts[JUDGE_MAX_RULES];
	struct metrics_hist decision_latency;
	unsigned char id_key[16];
	unsigned long long id_counter;
};

static void
count_rule(struct judge *jg, const char *rule)
{
	for (size_t i = 0; i < JUDGE_MAX_RULES; i++) {
		const char *have = __atomic_load_n(&jg->rule_counts[i].rule, __ATOMIC_ACQUIRE);
		if (have == NULL) {
			const char *expected = NULL;
			if (!__atomic_compare_exchange_n(&jg->rule_counts[i].rule, &expected, rule,
			                                 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				have = expected;
			else
				have = rule;
		}
		if (strcmp(have, rule) == 0) {
			__atomic_add_fetch(&jg->rule_counts[i].count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/* Decision ids: a counter run through SipHash-2-4-128 under a key drawn by
 * judge_new. Unique (the counter never repeats under one key), unguessable
 * without the key (an id is the capability to read the decision back), and
 * cheap: one PRF call, no libcrypto on the hot path. */
static void
new_id(struct judge *jg, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long n = __atomic_add_fetch(&jg->id_counter, 1, __ATOMIC_RELAXED);
	unsigned char le[8], tag[16];

	for (int i = 0; i < 8; i++, n >>= 8)
		le[i] = (unsigned char)n;
	siphash24_128(jg->id_key, le, sizeof(le), tag);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[tag[i] >> 4];
		out[2 * i + 1] = hex[tag[i] & 15];
	}
	out[32] = '\0';
}

/* Called by the audit notifier thread once the record is committed or failed. */
static void
recorded(void *arg, long long id)
{
	struct judgement *j = arg;

	j->event_id = id;
	j->resume(j->resume_arg);
}

/* Queue the audit record of a decision with violations. 0 when queued
 * (recorded() will follow), -1 when it cannot be (j->event_id set to -1). */
static int
record(const struct decide_request *req, const char *component, const char *actor,
       struct judgement *j)
{
	const char *rules[JUDGE_MAX_RULES];
	struct audit_event ev = {0};
	size_t nr;
	json_t *data;
	int rc;
	/* No build argument reaches the log: buildargs values are hashed. */
	struct redact *redact = j->judge->deps.redact;
	char *uri = req->uri && redact ? redact_uri(redact, req->uri) : NULL;
	const char *shown = redact == NULL ? req->uri : uri;

	/* The deny message is part of the row: GET /v1/decisions/{id} reads it back. */
	if (!j->d.allow)
		j->message = decision_deny_message(&j->d, j->version, j->id);
	nr = decision_rule_ids(&j->d, rules, JUDGE_MAX_RULES);
	data = decision_row_json(&j->d, j->id, req->method, shown,
	                         req->user && req->user[0] ? req->user : NULL, j->message);
	/* The caller, never the user the request names: a caller cannot make a
	 * row look as if someone else had asked. The user is data.user. */
	ev.actor = actor;
	ev.action = j->d.action;
	ev.component = component;
	ev.subject = j->d.subject;
	ev.decision = j->d.allow ? "audit" : "deny";
	ev.rules = rules;
	ev.nrules = nr;
	ev.data = data;
	ev.policy_version = j->version;
	rc = j->judge->deps.audit ? audit_append_async(j->judge->deps.audit, &ev, recorded, j) : -1;
	json_decref(data);
	free(uri);
	if (rc != 0)
		j->event_id = -1;
	return rc;
}

/* Final answer, message and counters, once the record (if any) is settled.
 * Runs once per judgement. */
static void
conclude(struct judgement *j)
{
	struct judge *jg = j->judge;

	if (j->concluded)
		return;
	j->concluded = 1;
	metrics_observe_since(&jg->decision_latency, j->started_ns);
	if (j->event_id < 0) {
		/* The record is part of the decision: without it, deny. */
		j->audit_failed = 1;
		j->d.allow = 0;
		__atomic_add_fetch(&jg->n_audit_failures, 1, __ATOMIC_RELAXED);
		log_warnx("audit log unavailable: denying the %s request", j->d.route);
	}
	if (!j->d.allow) {
		char *m = NULL;
		__atomic_add_fetch(&jg->n_denied, 1, __ATOMIC_RELAXED);
		if (j->message == NULL) /* record() sets it for a deny it records */
			j->message = decision_deny_message(&j->d, j->version, j->id);
		if (j->audit_failed && j->message != NULL &&
		    asprintf(&m, "%s (the audit log is unavailable, so this request is denied)",
		             j->message) >= 0) {
			free(j->message);
			j->message = m;
		}
	} else if (j->d.nv > 0) {
		__atomic_add_fetch(&jg->n_audited, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&jg->n_allowed, 1, __ATOMIC_RELAXED);
	}
}

/* A final deny that judging could not avoid. */
static void
refuse(struct judgement *j, const char *message)
{
	struct judge *jg = j->judge;

	j->d.allow = 0;
	if (j->d.mode == NULL)
		j->d.mode = "enforce";
	if (j->d.route == NULL)
		j->d.route = "other";
	j->message = strdup(message);
	j->concluded = 1;
	__atomic_add_fetch(&jg->n_denied, 1, __ATOMIC_RELAXED);
}

/* The containers a request names (a start, VolumesFrom), for the engine:
 * what the caller gave, the records, the Engine API (lookup.h). */
struct judge_ctx {
	struct judgement *j;
	decide_container_fn given;
	void *given_arg;
};

/* The judgement's lookup set, made on first use; NULL on ENOMEM. */
static struct lookup_set *
ctx_set(struct judge_ctx *c)
{
	if (c->j->containers == NULL)
		c->j->containers = lookup_set_new(c->j->judge->deps.lookup, c->given, c->given_arg);
	return c->j->containers;
}

static int
judge_container(void *arg, const char *ref, struct decide_mounts *out)
{
	struct lookup_set *s = ctx_set(arg);

	return s != NULL ? lookup_set_container(s, ref, out) : -1;
}

/* The volumes a request mounts by name, and the networks a service attaches
 * to, for the engine (lookup.h). */
static int
judge_volume(void *arg, const char *name, struct decide_volume *out)
{
	struct lookup_set *s = ctx_set(arg);

	return s != NULL ? lookup_set_volume(s, name, out) : -1;
}

static int
judge_network(void *arg, const char *ref, char *drv, size_t drvsz)
{
	struct lookup_set *s = ctx_set(arg);

	return s != NULL ? lookup_set_network(s, ref, drv, drvsz) : -1;
}

static int
judge_exec(void *arg, const char *id, char *container, size_t sz)
{
	struct lookup_set *s = ctx_set(arg);

	return s != NULL ? lookup_set_exec(s, id, container, sz) : -1;
}

/* Judge req (whose container lookup is judge_container) with the served
 * policy, or the user's own. 0, or -1 when j is a final deny. */
static int
evaluate(const struct decide_request *req, struct judgement *j)
{
	struct served *s = served_acquire(j->judge->deps.served);
	const struct decide_policy *dp;
	struct decide_request r;
	void *hold = NULL;
	int rc;

	if (s == NULL) {
		refuse(j, "lockset: no policy is loaded; request denied");
		return -1;
	}
	j->version = s->version;
	/* A request for the engine is judged by what the engine said last;
	 * every request knows the engine's sockets. */
	r = *req;
	if (req->engine_userns != DECIDE_USERNS_UNJUDGED) {
		r.engine_userns = engineinfo_userns(j->judge->deps.engineinfo);
		r.engine_cgroupns = engineinfo_cgroupns(j->judge->deps.engineinfo);
	}
	r.sockets = (const char *const *)j->judge->sockets;
	r.nsockets = j->judge->nsockets;
	req = &r;
	/* A user with a per-user policy is judged by it (compiled once per version). */
	dp = userpolicy_decide(j->judge->deps.userpolicy, s, req->user, &hold);
	rc = dp != NULL ? decide_eval(dp, req, &j->d) : -1;
	userpolicy_release(hold);
	served_release(s);
	if (rc != 0)
		refuse(j, "lockset: out of memory judging the request; denied");
	return rc;
}

/* Count the decision, hand it to the input recorder and queue its audit record.
 * 1 when the record is being written (recorded() resumes), else 0 (then
 * conclude() makes it final). */
static int
settle(const struct decide_request *req, const char *component, const char *actor,
       struct judgement *j)
{
	struct judge *jg = j->judge;

	if (!j->d.inspected) {
		metrics_observe_since(&jg->decision_latency, j->started_ns);
		__atomic_add_fetch(&jg->n_uninspected, 1, __ATOMIC_RELAXED);
		j->concluded = 1;
		return 0;
	}
	for (size_t i = 0; i < j->d.nv; i++)
		count_rule(jg, j->d.v[i].rule);
	inputs_record(jg->deps.inputs, req, j);
	return j->d.nv > 0 && record(req, component, actor, j) == 0;
}

/* The request, kept while the engine is asked about its containers. */
struct judge_deferred {
	struct decide_request req;
	const char *component; /* static */
	char *actor;
	char *text[5]; /* method, uri, user, body, content type */
};

static void
deferred_free(struct judge_deferred *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < 5; i++)
		free(d->text[i]);
	free(d->actor);
	free(d);
}

static struct judge_deferred *
deferred_new(const struct decide_request *req, const char *component, const char *actor)
{
	struct judge_deferred *d = calloc(1, sizeof(*d));
	const char *src[5] = {req->method, req->uri, req->user, req->body, req->content_type};
	size_t len[5] = {0, 0, 0, req->body_len, 0};

	if (d == NULL)
		return NULL;
	d->req = *req;
	d->component = component;
	for (size_t i = 0; i < 5; i++) {
		if (src[i] == NULL)
			continue;
		if (i != 3)
			len[i] = strlen(src[i]);
		if ((d->text[i] = malloc(len[i] + 1)) == NULL)
			goto fail;
		memcpy(d->text[i], src[i], len[i]);
		d->text[i][len[i]] = '\0';
	}
	if (actor != NULL && (d->actor = strdup(actor)) == NULL)
		goto fail;
	d->req.method = d->text[0];
	d->req.uri = d->text[1];
	d->req.user = d->text[2];
	d->req.body = d->text[3];
	d->req.content_type = d->text[4];
	return d;
fail:
	deferred_free(d);
	return NULL;
}

static void resumed(void *arg);

/* Queue j for the engine: its containers (lookup.h), or the answer of an
 * engine check in flight (engineinfo.h). 0 when queued (resumed() follows,
 * possibly before this returns), -1 when not. */
static int
queue_lookup(struct judgement *j)
{
	return lookup_set_resolve(j->containers, j->version, resumed, j);
}

static int
queue_engine_check(struct judgement *j)
{
	j->engine_waited = 1; /* once per judgement: then the answer stands */
	lookup_set_seal(j->containers);
	return engineinfo_wait(j->judge->deps.engineinfo, resumed, j);
}

/* The verdict depends on the engine's user namespaces and a check that may
 * change it has not finished: wait for it. */
static int
wants_engine_check(const struct judgement *j)
{
	return j->d.asks_engine && !j->engine_waited && j->judge->deps.engineinfo != NULL;
}

/* Hand j to queue with j->d cleared (the other thread judges into it); on
 * failure j->d is as it was. 0 when queued. */
static int
requeue(struct judgement *j, int (*queue)(struct judgement *j))
{
	struct decision first = j->d;

	memset(&j->d, 0, sizeof(j->d));
	if (queue(j) == 0) {
		decision_clear(&first);
		return 0;
	}
	j->d = first;
	return -1;
}

/* On a lookup or engine-check thread, once the engine answered: judge again,
 * with what it said. judge_finish (after resume) makes the answer final. */
static void
resumed(void *arg)
{
	struct judgement *j = arg;
	struct judge_deferred *d = j->deferred;
	struct judge_ctx ctx = {j, NULL, NULL};

	d->req.container = judge_container;
	d->req.volume = judge_volume;
	d->req.network = judge_network;
	d->req.exec = judge_exec;
	d->req.container_arg = &ctx;
	if (evaluate(&d->req, j) != 0) {
		j->resume(j->resume_arg);
		return;
	}
	/* What the engine said named more to ask it (a container a started one
	 * joins): another round, LOOKUP_ROUNDS at most. */
	if (lookup_set_missing(j->containers) > 0 && requeue(j, queue_lookup) == 0)
		return;
	if (wants_engine_check(j) && requeue(j, queue_engine_check) == 0)
		return;
	if (settle(&d->req, d->component, d->actor, j) == 0)
		j->resume(j->resume_arg);
}

/* Set j aside until the engine answers (queue: queue_lookup or
 * queue_engine_check). 0 when set aside (resumed() follows), -1 when it
 * cannot be: j->d stands. */
static int
defer(const struct decide_request *req, const char *component, const char *actor,
      struct judgement *j, int (*queue)(struct judgement *j))
{
	if ((j->deferred = deferred_new(req, component, actor)) == NULL)
		return -1;
	if (requeue(j, queue) == 0)
		return 0;
	deferred_free(j->deferred);
	j->deferred = NULL;
	return -1;
}

int
judge_start(struct judge *jg, const struct decide_request *req, const char *component,
            const char *actor, struct judgement *j, void (*resume)(void *arg), void *arg)
{
	struct judge_ctx ctx = {j, req->container, req->container_arg};
	struct decide_request r = *req;

	memset(j, 0, sizeof(*j));
	j->judge = jg;
	j->started_ns = metrics_now_ns();
	new_id(jg, j->id);
	j->resume = resume;
	j->resume_arg = arg;
	r.container = judge_container;
	r.volume = judge_volume;
	r.network = judge_network;
	r.exec = judge_exec;
	r.container_arg = &ctx;
	if (evaluate(&r, j) != 0)
		return 0;
	if (lookup_set_missing(j->containers) > 0 &&
	    defer(&r, component, actor, j, queue_lookup) == 0)
		return 1;
	if (wants_engine_check(j) && defer(&r, component, actor, j, queue_engine_check) == 0)
		return 1;
	if (settle(&r, component, actor, j) == 1)
		return 1; /* j->d.allow is settled by judge_finish */
	conclude(j);
	return 0;
}

void
judge_finish(struct judgement *j)
{
	conclude(j);
}

void
judge_clear(struct judgement *j)
{
	if (j == NULL)
		return;
	decision_clear(&j->d);
	free(j->message);
	j->message = NULL;
	lookup_set_free(j->containers);
	j->containers = NULL;
	deferred_free(j->deferred);
	j->deferred = NULL;
}

void
judge_metrics(struct judge *jg, FILE *out)
{
	fprintf(out,
	        "# HELP lockset_decisions_total Engine API requests judged, by outcome.\n"
	        "# TYPE lockset_decisions_total counter\n"
	        "lockset_decisions_total{outcome=\"allowed\"} %llu\n"
	        "lockset_decisions_total{outcome=\"denied\"} %llu\n"
	        "lockset_decisions_total{outcome=\"audited\"} %llu\n"
	        "lockset_decisions_total{outcome=\"not_inspected\"} %llu\n"
	        "# HELP lockset_decision_audit_failures_total Decisions denied because the audit "
	        "record could not be written.\n"
	        "# TYPE lockset_decision_audit_failures_total counter\n"
	        "lockset_decision_audit_failures_total %llu\n"
	        "# HELP lockset_violations_total Rule violations found, by rule id.\n"
	        "# TYPE lockset_violations_total counter\n",
	        __atomic_load_n(&jg->n_allowed, __ATOMIC_RELAXED),
	        __atomic_load_n(&jg->n_denied, __ATOMIC_RELAXED),
	        __atomic_load_n(&jg->n_audited, __ATOMIC_RELAXED),
	        __atomic_load_n(&jg->n_uninspected, __ATOMIC_RELAXED),
	        __atomic_load_n(&jg->n_audit_failures, __ATOMIC_RELAXED));
	for (size_t i = 0; i < JUDGE_MAX_RULES; i++) {
		const char *rule = __atomic_load_n(&jg->rule_counts[i].rule, __ATOMIC_ACQUIRE);
		if (rule == NULL)
			break;
		fprintf(out, "lockset_violations_total{rule=\"%s\"} %llu\n", rule,
		        __atomic_load_n(&jg->rule_counts[i].count, __ATOMIC_RELAXED));
	}
	metrics_hist_header(out, "lockset_decision_duration_seconds",
	                    "Time to judge an Engine API request, its audit record included.");
	metrics_hist_print(out, "lockset_decision_duration_seconds", "", &jg->decision_latency);
}

void
judge_totals(struct judge *jg, unsigned long long *decisions, unsigned long long *denies)
{
	*denies = __atomic_load_n(&jg->n_denied, __ATOMIC_RELAXED);
	*decisions = *denies + __atomic_load_n(&jg->n_allowed, __ATOMIC_RELAXED) +
	             __atomic_load_n(&jg->n_audited, __ATOMIC_RELAXED) +
	             __atomic_load_n(&jg->n_uninspected, __ATOMIC_RELAXED);
}

/* A socket that reaches the engine, cleaned and resolved once here rather
 * than for every bind a request names: both forms the rule compares with. */
static int
add_socket(struct judge *jg, const char *path)
{
	char clean[HOSTPATH_MAX], resolved[HOSTPATH_MAX];

	if (path == NULL || path[0] == '\0' || hostpath_clean(path, clean, sizeof(clean)) != 0)
		return 0;
	/* Unresolvable: its cleaned form stands for it. */
	hostpath_resolve(clean, resolved, sizeof(resolved));
	if ((jg->sockets[jg->nsockets++] = strdup(clean)) == NULL)
		return -1;
	if (strcmp(resolved, clean) != 0 &&
	    (jg->sockets[jg->nsockets++] = strdup(resolved)) == NULL)
		return -1;
	return 0;
}

struct judge *
judge_new(const struct judge_deps *deps)
{
	struct judge *jg = calloc(1, sizeof(*jg));

	if (jg == NULL)
		return NULL;
	jg->deps = *deps;
	if (add_socket(jg, deps->engine_socket) != 0 || add_socket(jg, deps->proxy_socket) != 0) {
		judge_free(jg);
		return NULL;
	}
	jg->deps.engine_socket = jg->deps.proxy_socket = NULL;
	if (RAND_bytes(jg->id_key, sizeof(jg->id_key)) != 1 &&
	    getentropy(jg->id_key, sizeof(jg->id_key)) != 0)
		log_warnx("no randomness for the decision id key: ids can be guessed");
	return jg;
}

void
judge_free(struct judge *jg)
{
	if (jg == NULL)
		return;
	for (size_t i = 0; i < jg->nsockets; i++)
		free(jg->sockets[i]);
	free(jg);
}

enum decide_cgroupns
judge_engine_cgroupns(const struct judge *jg)
{
	return jg != NULL ? engineinfo_cgroupns(jg->deps.engineinfo) : DECIDE_CGROUPNS_UNKNOWN;
}

size_t
judge_sockets(const struct judge *jg, const char *const **out)
{
	*out = (const char *const *)jg->sockets;
	return jg->nsockets;
}
