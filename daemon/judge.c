/* SPDX-License-Identifier: Apache-2.0 */
/* Decide, record, count. The audit record of a deny is committed before the
 * caller may answer; a record that cannot be written turns the answer into a
 * deny (fail closed). Allowed requests are only counted. */
#include "judge.h"

#include "app.h"
#include "audit.h"
#include "log.h"
#include "metrics.h"
#include "served.h"
#include "userpolicy.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JUDGE_MAX_RULES 32

/* Counters: verdicts, and violations per rule id (rule ids are static strings
 * from decide.c; a small open table keyed by pointer-compared string). */
static unsigned long long n_allowed, n_denied, n_audited, n_uninspected, n_audit_failures;
static struct {
	const char *rule;
	unsigned long long count;
} rule_counts[JUDGE_MAX_RULES];
static judge_input_hook input_hook;
static struct metrics_hist decision_latency;

void
judge_set_input_hook(judge_input_hook hook)
{
	input_hook = hook;
}

static void
count_rule(const char *rule)
{
	for (size_t i = 0; i < JUDGE_MAX_RULES; i++) {
		const char *have = __atomic_load_n(&rule_counts[i].rule, __ATOMIC_ACQUIRE);
		if (have == NULL) {
			const char *expected = NULL;
			if (!__atomic_compare_exchange_n(&rule_counts[i].rule, &expected, rule, 0,
			                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				have = expected;
			else
				have = rule;
		}
		if (strcmp(have, rule) == 0) {
			__atomic_add_fetch(&rule_counts[i].count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/* Decision ids: a random 64-bit prefix drawn once per process, then a
 * counter. Unique per daemon run and across restarts in practice, and
 * cheap: a random draw per decision cost a getpid() and locks in libcrypto. */
static unsigned char id_prefix[8];
static unsigned long long id_counter;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void
id_init(void)
{
	if (RAND_bytes(id_prefix, sizeof(id_prefix)) != 1)
		memset(id_prefix, 0, sizeof(id_prefix));
}

static void
new_id(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long n = __atomic_add_fetch(&id_counter, 1, __ATOMIC_RELAXED);

	pthread_once(&id_once, id_init);
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[id_prefix[i] >> 4];
		out[2 * i + 1] = hex[id_prefix[i] & 15];
	}
	for (int i = 15; i >= 0; i--, n >>= 4)
		out[16 + i] = hex[n & 15];
	out[32] = '\0';
}

/* Called by the audit writer thread once the record is committed or failed. */
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
	size_t nr = 0;
	json_t *data;
	int rc;

	for (size_t i = 0; i < j->d.nv && nr < JUDGE_MAX_RULES; i++) {
		size_t k = 0;
		while (k < nr && strcmp(rules[k], j->d.v[i].rule) != 0)
			k++;
		if (k == nr)
			rules[nr++] = j->d.v[i].rule;
	}
	data = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o}", "decisionId", j->id, "method",
	                 req->method ? req->method : "", "uri", req->uri ? req->uri : "", "mode",
	                 j->d.mode ? j->d.mode : "enforce", "user", req->user, "violations",
	                 decision_violations_json(&j->d));
	ev.action = j->d.action;
	ev.actor = (req->user != NULL && req->user[0] != '\0') ? req->user : actor;
	ev.component = component;
	ev.subject = j->d.subject;
	ev.decision = j->d.allow ? "audit" : "deny";
	ev.rules = rules;
	ev.nrules = nr;
	ev.data = data;
	ev.policy_version = j->version;
	rc = app.audit ? audit_append_async(app.audit, &ev, recorded, j) : -1;
	json_decref(data);
	if (rc != 0)
		j->event_id = -1;
	return rc;
}

/* Final answer, message and counters, once the record (if any) is settled. */
static void
conclude(struct judgement *j)
{
	metrics_observe_since(&decision_latency, j->started_ns);
	if (j->event_id < 0) {
		/* The record is part of the decision: without it, deny. */
		j->audit_failed = 1;
		j->d.allow = 0;
		__atomic_add_fetch(&n_audit_failures, 1, __ATOMIC_RELAXED);
		log_warnx("audit log unavailable: denying the %s request", j->d.route);
	}
	if (!j->d.allow) {
		char *m = NULL;
		__atomic_add_fetch(&n_denied, 1, __ATOMIC_RELAXED);
		j->message = decision_deny_message(&j->d, j->version);
		if (j->audit_failed && j->message != NULL &&
		    asprintf(&m, "%s (the audit log is unavailable, so this request is denied)",
		             j->message) >= 0) {
			free(j->message);
			j->message = m;
		}
	} else if (j->d.nv > 0) {
		__atomic_add_fetch(&n_audited, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&n_allowed, 1, __ATOMIC_RELAXED);
	}
}

int
judge_start(const struct decide_request *req, const char *component, const char *actor,
            struct judgement *j, void (*resume)(void *arg), void *arg)
{
	struct served *s = served_acquire();
	const struct decide_policy *dp;
	void *hold = NULL;

	memset(j, 0, sizeof(*j));
	j->started_ns = metrics_now_ns();
	new_id(j->id);
	j->resume = resume;
	j->resume_arg = arg;
	if (s == NULL) {
		j->d.allow = 0;
		j->d.mode = "enforce";
		j->d.route = "other";
		j->message = strdup("lockset: no policy is loaded; request denied");
		__atomic_add_fetch(&n_denied, 1, __ATOMIC_RELAXED);
		return 0;
	}
	j->version = s->version;
	/* A user with a per-user policy is judged by it (compiled once per version). */
	dp = userpolicy_decide(s, req->user, &hold);
	if (dp == NULL || decide_eval(dp, req, &j->d) != 0) {
		j->d.allow = 0;
		j->message = strdup("lockset: out of memory judging the request; denied");
		__atomic_add_fetch(&n_denied, 1, __ATOMIC_RELAXED);
		userpolicy_release(hold);
		served_release(s);
		return 0;
	}
	userpolicy_release(hold);
	served_release(s);
	if (!j->d.inspected) {
		metrics_observe_since(&decision_latency, j->started_ns);
		__atomic_add_fetch(&n_uninspected, 1, __ATOMIC_RELAXED);
		return 0;
	}
	for (size_t i = 0; i < j->d.nv; i++)
		count_rule(j->d.v[i].rule);
	if (input_hook != NULL)
		input_hook(req, j);
	if (j->d.nv > 0 && record(req, component, actor, j) == 0)
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
}

void
judge_metrics(FILE *out)
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
	        __atomic_load_n(&n_allowed, __ATOMIC_RELAXED),
	        __atomic_load_n(&n_denied, __ATOMIC_RELAXED),
	        __atomic_load_n(&n_audited, __ATOMIC_RELAXED),
	        __atomic_load_n(&n_uninspected, __ATOMIC_RELAXED),
	        __atomic_load_n(&n_audit_failures, __ATOMIC_RELAXED));
	for (size_t i = 0; i < JUDGE_MAX_RULES; i++) {
		const char *rule = __atomic_load_n(&rule_counts[i].rule, __ATOMIC_ACQUIRE);
		if (rule == NULL)
			break;
		fprintf(out, "lockset_violations_total{rule=\"%s\"} %llu\n", rule,
		        __atomic_load_n(&rule_counts[i].count, __ATOMIC_RELAXED));
	}
	metrics_hist_header(out, "lockset_decision_duration_seconds",
	                    "Time to judge an Engine API request, its audit record included.");
	metrics_hist_print(out, "lockset_decision_duration_seconds", "", &decision_latency);
}
