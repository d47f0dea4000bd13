/* SPDX-License-Identifier: Apache-2.0 */
/* Appending to the audit log: an event checked and serialised, then queued
 * for the writer thread, waited for (audit_append) or called back
 * (audit_append_async, by the notifier thread); health, counters and on-demand retention. */
#include "audit_int.h"
#include "util/lockorder.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

#define DATA_MAX (256 * 1024) /* largest data object, as JSON text */

/* The rules as a compact JSON array; malloc'd, NULL when invalid. */
static char *
rules_json(const struct audit_event *ev)
{
	json_t *arr = json_array();
	char *s = NULL;

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < ev->nrules; i++) {
		if (ev->rules[i] == NULL || json_array_append_new(arr, json_string(ev->rules[i])))
			goto out;
	}
	s = json_dumps(arr, JSON_COMPACT);
out:
	json_decref(arr);
	return s;
}

static int
event_prepare(const struct audit_event *ev, struct audit_pending *p, int own)
{
	json_t *empty = NULL;

	if (ev == NULL || ev->action == NULL || ev->action[0] == '\0' ||
	    (strncmp(ev->action, "audit.", 6) == 0) != own ||
	    (ev->nrules > 0 && ev->rules == NULL) ||
	    (ev->data != NULL && !json_is_object(ev->data)))
		return -1;
	if ((p->rules_json = rules_json(ev)) == NULL)
		return -1;
	if (ev->data == NULL && (empty = json_object()) == NULL)
		return -1;
	p->data_json = json_dumps(ev->data ? ev->data : empty, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(empty);
	if (p->data_json == NULL || strlen(p->data_json) > DATA_MAX)
		return -1;
	p->ev = ev;
	return 0;
}

static long long
append_wait(struct audit *a, const struct audit_event *ev, int own)
{
	struct audit_pending p = {0};
	long long id = -1;

	if (event_prepare(ev, &p, own) != 0) {
		log_warnx("audit: refusing an invalid event (%s)",
		          ev && ev->action ? ev->action : "no action");
		goto out;
	}
	p.time_us = audit_now_us(a);
	lockorder_lock(&a->lock, LOCK_AUDIT);
	if (a->stopping) {
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		goto out;
	}
	audit_enqueue(a, &p);
	while (!p.done)
		pthread_cond_wait(&a->done, &a->lock);
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	id = p.id;
out:
	free(p.rules_json);
	free(p.data_json);
	return id;
}

long long
audit_append(struct audit *a, const struct audit_event *ev)
{
	return append_wait(a, ev, 0);
}

long long
audit_append_own(struct audit *a, const struct audit_event *ev)
{
	return append_wait(a, ev, 1);
}

static char *
dup_or_null(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

int
audit_append_async(struct audit *a, const struct audit_event *ev, audit_done_fn done, void *arg)
{
	struct audit_pending *p = calloc(1, sizeof(*p));
	int fail = 0;

	if (p == NULL)
		return -1;
	if (event_prepare(ev, p, 0) != 0) {
		log_warnx("audit: refusing an invalid event (%s)",
		          ev && ev->action ? ev->action : "no action");
		audit_pending_free(p);
		return -1;
	}
	/* The caller's event may be gone by the time the writer runs: copy it. */
	p->copy.action = dup_or_null(ev->action, &fail);
	p->copy.actor = dup_or_null(ev->actor, &fail);
	p->copy.component = dup_or_null(ev->component, &fail);
	p->copy.subject = dup_or_null(ev->subject, &fail);
	p->copy.decision = dup_or_null(ev->decision, &fail);
	p->copy.policy_version = ev->policy_version;
	if (ev->nrules > 0) {
		p->copy_rules = calloc(ev->nrules, sizeof(char *));
		fail |= p->copy_rules == NULL;
		for (size_t i = 0; !fail && i < ev->nrules; i++)
			p->copy_rules[i] = dup_or_null(ev->rules[i], &fail);
		p->copy.nrules = ev->nrules;
		p->copy.rules = (const char *const *)p->copy_rules;
	}
	p->copy.data = NULL; /* already serialised into data_json */
	if (fail) {
		audit_pending_free(p);
		return -1;
	}
	p->ev = &p->copy;
	p->done_fn = done;
	p->done_arg = arg;
	p->time_us = audit_now_us(a);
	lockorder_lock(&a->lock, LOCK_AUDIT);
	if (a->stopping) {
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		audit_pending_free(p);
		return -1;
	}
	audit_enqueue(a, p);
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return 0;
}

/* The notifier thread: the callbacks of finished asynchronous appends (each
 * resumes a suspended request, which costs a wake-up) run here, in commit
 * order, overlapping the writer's next group commit instead of delaying it. */
void *
audit_notifier_main(void *arg)
{
	struct audit *a = arg;

	pthread_setname_np(pthread_self(), "audit-notify");
	lockorder_lock(&a->lock, LOCK_AUDIT);
	for (;;) {
		struct audit_pending *list = a->finished;

		if (list == NULL) {
			if (a->notifier_stop)
				break;
			pthread_cond_wait(&a->notify, &a->lock);
			continue;
		}
		a->finished = NULL;
		a->finished_tail = &a->finished;
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		for (struct audit_pending *p = list, *next; p != NULL; p = next) {
			next = p->next;
			p->done_fn(p->done_arg, p->id);
			audit_pending_free(p);
		}
		lockorder_lock(&a->lock, LOCK_AUDIT);
	}
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return NULL;
}

int
audit_healthy(struct audit *a, const char **reason)
{
	int h;

	lockorder_lock(&a->lock, LOCK_AUDIT);
	h = a->healthy;
	if (reason != NULL)
		*reason = a->reason;
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return h;
}

long long
audit_prune(struct audit *a)
{
	unsigned long long gen;
	long long r;

	lockorder_lock(&a->lock, LOCK_AUDIT);
	if (a->stopping) {
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		return -1;
	}
	/* Wait for a prune that starts after this call. */
	gen = a->prune_gen + (a->prune_running ? 1 : 0);
	a->prune_requested = 1;
	pthread_cond_signal(&a->wake);
	while (a->prune_gen <= gen)
		pthread_cond_wait(&a->done, &a->lock);
	r = a->prune_result;
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return r;
}

void
audit_counters_get(struct audit *a, struct audit_counters *out)
{
	lockorder_lock(&a->lock, LOCK_AUDIT);
	*out = a->counters;
	lockorder_unlock(&a->lock, LOCK_AUDIT);
}
