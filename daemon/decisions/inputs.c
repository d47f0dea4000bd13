/* SPDX-License-Identifier: Apache-2.0 */
/* The decision-input recorder: inputs_record (called by the judge) copies the decision (method,
 * URI, user, body, verdict, rules) into one allocation and queues it in a
 * bounded queue, nothing more, so a decision never waits for the
 * recorder's work; one thread drains the queue in batches and has
 * inputs_store.c hide the secrets, hash, fold and store them, and
 * inputs_prune.c keep them within their limits. The request's
 * bytes, secrets included, stay in memory only until their batch is
 * written, and are wiped when freed. A recorder is an object (struct
 * inputs): main.c starts the daemon's one, each test its own. */
#include "inputs_int.h"

#include "judge.h"
#include "log.h"
#include "util/lockorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INPUTS_WAKE        2048               /* queued inputs that wake the writer early */
#define INPUTS_WAKE_BYTES  (4 * 1024 * 1024)  /* queued bytes that wake the writer early */
#define INPUTS_QUEUE_BYTES (32 * 1024 * 1024) /* queued bytes; more inputs are dropped */
#define INPUTS_LINGER_MS   200                /* a started batch waits at most this long */
#define INPUTS_PRUNE_EVERY 60                 /* seconds between retention runs */

/* One recorder: the queue and the counters under q_lock, the writer
 * thread, and what only the writer touches (store). */
struct inputs {
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;    /* the writer waits for work */
	pthread_cond_t done_cond; /* inputs_flush waits for the writer */
	struct input *q_head, **q_tail;
	size_t q_len, q_bytes;
	unsigned long long q_seq, written_seq, bodies_hashed;
	unsigned long long dropped_queue, dropped_uri; /* inputs not recorded */
	unsigned long long body_large, body_notjson;   /* recorded without their body */
	long long stored_rows, stored_bytes;           /* as last counted (-1: not yet) */
	int stopping, flush_wanted;
	pthread_t writer;
	struct inputs_store store;
};

static long long
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Rule ids of a decision, once each, as a JSON array text (malloc'd). */
static char *
rules_text(const struct decision *d)
{
	json_t *arr = decision_rule_ids_json(d);
	char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;

	json_decref(arr);
	return text;
}

/* A new input of req and j: one allocation holding the strings and a copy
 * of the body (unless it is over INPUTS_MAX_BODY), or NULL. */
static struct input *
input_new(const struct decide_request *req, const struct judgement *j)
{
	const char *s[4] = {req->method ? req->method : "", req->uri ? req->uri : "",
	                    req->user ? req->user : "", NULL};
	char *rules = j->d.nv > 0 ? rules_text(&j->d) : NULL; /* allowed: no rules, no JSON */
	size_t len[4], total = 0, raw = 0;
	struct input *in = NULL;
	char *p;

	if (j->d.nv > 0 && rules == NULL)
		return NULL;
	s[3] = rules ? rules : "[]";
	for (int i = 0; i < 4; i++)
		total += len[i] = strlen(s[i]) + 1;
	if (req->has_body && req->body_len <= INPUTS_MAX_BODY)
		raw = req->body_len;
	/* Only the header is cleared: the text and body are written next. */
	if ((in = malloc(sizeof(*in) + total + raw)) == NULL)
		goto out;
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in) + total + raw;
	p = in->text;
	for (int i = 0; i < 4; i++) {
		memcpy(p, s[i], len[i]);
		p += len[i];
	}
	in->method = in->text;
	in->uri = in->method + len[0];
	in->user = in->uri + len[1];
	in->rules = in->user + len[2];
	in->has_body = req->has_body;
	in->too_large = req->has_body && req->body_len > INPUTS_MAX_BODY;
	if (req->has_body && !in->too_large) {
		memcpy(p, req->body != NULL ? req->body : "", raw);
		in->raw = p;
		in->raw_len = raw;
	}
	in->usec = now_usec();
	in->allow = j->d.allow;
	in->policy_version = j->version;
out:
	free(rules);
	return in;
}

void
inputs_record(struct inputs *r, const struct decide_request *req, const struct judgement *j)
{
	struct input *in;

	if (r == NULL)
		return;
	if (req->uri != NULL && strlen(req->uri) > (size_t)r->store.lim.max_uri) {
		lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
		r->dropped_uri++;
		lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
		return;
	}
	if ((in = input_new(req, j)) == NULL)
		return;
	lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
	if (r->stopping || r->q_len >= INPUTS_MAX_QUEUE ||
	    r->q_bytes + in->size > INPUTS_QUEUE_BYTES) {
		r->dropped_queue++;
		lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
		inputs_input_free(in);
		return;
	}
	*r->q_tail = in;
	r->q_tail = &in->next;
	r->q_len++;
	r->q_bytes += in->size;
	r->q_seq++;
	if (r->q_len == INPUTS_WAKE ||
	    (r->q_bytes >= INPUTS_WAKE_BYTES && r->q_bytes - in->size < INPUTS_WAKE_BYTES))
		pthread_cond_signal(&r->q_cond);
	lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
}

/* ------------------------------------------------------------------------ */
/* The writer thread */

/* Wait (q_lock held) until the queue is worth writing: INPUTS_WAKE inputs
 * or INPUTS_WAKE_BYTES, the linger, a flush or the stop. */
static void
writer_wait(struct inputs *r)
{
	struct timespec ts;

	if (r->stopping || r->flush_wanted || r->q_len >= INPUTS_WAKE ||
	    r->q_bytes >= INPUTS_WAKE_BYTES)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (r->q_len == 0) {
		ts.tv_sec += 1;
	} else {
		ts.tv_nsec += INPUTS_LINGER_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	pthread_cond_timedwait(&r->q_cond, &r->q_lock, &ts);
}

static void
write_batch(struct inputs *r, struct input *list)
{
	struct inputs_batch_stats stats;

	inputs_store_batch(&r->store, list, &stats);
	while (list != NULL) {
		struct input *next = list->next;
		inputs_input_free(list);
		list = next;
	}
	lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
	r->bodies_hashed += stats.hashed;
	r->body_large += stats.body_large;
	r->body_notjson += stats.body_notjson;
	lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
}

/* Publish what is stored (q_lock held). */
static void
publish_use(struct inputs *r)
{
	r->stored_rows = r->store.rows;
	r->stored_bytes = r->store.bytes;
}

static void *
writer_main(void *arg)
{
	struct inputs *r = arg;
	time_t last_prune = 0;

	inputs_prune(&r->store); /* the limits may be lower than last time; and the count */
	last_prune = time(NULL);
	lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
	publish_use(r);
	for (;;) {
		struct input *batch;
		unsigned long long upto;

		writer_wait(r);
		batch = r->q_head;
		upto = r->q_seq;
		r->q_head = NULL;
		r->q_tail = &r->q_head;
		r->q_len = r->q_bytes = 0;
		r->flush_wanted = 0;
		lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
		/* Rows and their bodies are written in one transaction, and
		 * retention runs between batches: no body it sees as an orphan
		 * can belong to a row still to come. */
		write_batch(r, batch);
		if (inputs_over(&r->store) || time(NULL) - last_prune >= INPUTS_PRUNE_EVERY) {
			inputs_prune(&r->store);
			last_prune = time(NULL);
		}
		lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
		publish_use(r);
		r->written_seq = upto;
		pthread_cond_broadcast(&r->done_cond);
		if (r->stopping && r->q_head == NULL)
			break;
	}
	lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
	return NULL;
}

/* A recorder with an empty queue, its thread not started. NULL when out of
 * memory. */
static struct inputs *
inputs_new(struct db *db, const struct inputs_limits *lim, const struct redact *redact)
{
	struct inputs *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	pthread_mutex_init(&r->q_lock, NULL);
	pthread_cond_init(&r->q_cond, NULL);
	pthread_cond_init(&r->done_cond, NULL);
	r->q_tail = &r->q_head;
	r->stored_rows = r->stored_bytes = -1;
	r->store.db = db;
	r->store.redact = redact;
	r->store.lim = *lim;
	return r;
}

static void
inputs_free(struct inputs *r)
{
	pthread_mutex_destroy(&r->q_lock);
	pthread_cond_destroy(&r->q_cond);
	pthread_cond_destroy(&r->done_cond);
	free(r);
}

struct inputs *
inputs_start(struct db *db, const struct inputs_limits *lim, const struct redact *redact)
{
	struct inputs *r;

	if (redact == NULL || lim->max_rows < 1 || lim->max_bytes < 1 || lim->max_uri < 1)
		return NULL;
	if ((r = inputs_new(db, lim, redact)) == NULL)
		return NULL;
	if (pthread_create(&r->writer, NULL, writer_main, r) != 0) {
		inputs_free(r);
		return NULL;
	}
	return r;
}

void
inputs_stop(struct inputs *r)
{
	if (r == NULL)
		return;
	lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
	r->stopping = 1;
	pthread_cond_signal(&r->q_cond);
	lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
	pthread_join(r->writer, NULL);
	if (r->dropped_queue > 0)
		log_info("decision inputs: %llu dropped (queue full)", r->dropped_queue);
	inputs_free(r);
}

void
inputs_flush(struct inputs *r)
{
	unsigned long long want;

	if (r == NULL)
		return;
	lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
	want = r->q_seq;
	r->flush_wanted = 1;
	pthread_cond_signal(&r->q_cond);
	while (r->written_seq < want && !r->stopping)
		pthread_cond_wait(&r->done_cond, &r->q_lock);
	lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
}

/* The limits, as gauges. */
static void
limits_metrics(FILE *out, const struct inputs_limits *l)
{
	fprintf(out,
	        "# HELP lockset_decision_inputs_max_rows Recorded input rows kept at most "
	        "(--inputs-max-rows, or the audit retention when stricter).\n"
	        "# TYPE lockset_decision_inputs_max_rows gauge\n"
	        "lockset_decision_inputs_max_rows %ld\n"
	        "# HELP lockset_decision_inputs_max_bytes Bytes of URI and body kept at most "
	        "(--inputs-max-bytes).\n"
	        "# TYPE lockset_decision_inputs_max_bytes gauge\n"
	        "lockset_decision_inputs_max_bytes %lld\n"
	        "# HELP lockset_decision_inputs_max_age_seconds Age a recorded input is kept "
	        "to at most (--inputs-max-days, or the audit retention when stricter; 0: no age "
	        "limit).\n"
	        "# TYPE lockset_decision_inputs_max_age_seconds gauge\n"
	        "lockset_decision_inputs_max_age_seconds %lld\n"
	        "# HELP lockset_decision_inputs_max_uri_bytes Longest URI recorded "
	        "(--inputs-max-uri).\n"
	        "# TYPE lockset_decision_inputs_max_uri_bytes gauge\n"
	        "lockset_decision_inputs_max_uri_bytes %ld\n",
	        l->max_rows, l->max_bytes, (long long)l->max_days * 86400, l->max_uri);
}

void
inputs_metrics(struct inputs *r, FILE *out)
{
	unsigned long long rec = 0, dq = 0, du = 0, bl = 0, bn = 0, hashed = 0;
	long long rows = -1, bytes = -1;
	struct inputs_limits lim = {0, 0, 0, 0};

	if (r != NULL) {
		lockorder_lock(&r->q_lock, LOCK_INPUTS_QUEUE);
		rec = r->q_seq;
		dq = r->dropped_queue;
		du = r->dropped_uri;
		bl = r->body_large;
		bn = r->body_notjson;
		hashed = r->bodies_hashed;
		rows = r->stored_rows;
		bytes = r->stored_bytes;
		lim = r->store.lim;
		lockorder_unlock(&r->q_lock, LOCK_INPUTS_QUEUE);
	}
	fprintf(out,
	        "# HELP lockset_decision_inputs_total Decision inputs queued for the impact "
	        "preview.\n"
	        "# TYPE lockset_decision_inputs_total counter\n"
	        "lockset_decision_inputs_total %llu\n"
	        "# HELP lockset_decision_inputs_dropped_total Decisions judged but whose input "
	        "was not recorded, by reason.\n"
	        "# TYPE lockset_decision_inputs_dropped_total counter\n"
	        "lockset_decision_inputs_dropped_total{reason=\"queue_full\"} %llu\n"
	        "lockset_decision_inputs_dropped_total{reason=\"uri_too_long\"} %llu\n"
	        "# HELP lockset_decision_input_bodies_dropped_total Inputs recorded without the "
	        "body they were sent with (the impact preview skips them), by reason.\n"
	        "# TYPE lockset_decision_input_bodies_dropped_total counter\n"
	        "lockset_decision_input_bodies_dropped_total{reason=\"too_large\"} %llu\n"
	        "lockset_decision_input_bodies_dropped_total{reason=\"not_json\"} %llu\n"
	        "# HELP lockset_decision_input_bodies_hashed_total Distinct bodies made "
	        "secret-free and hashed for storage (once per batch of the recorder).\n"
	        "# TYPE lockset_decision_input_bodies_hashed_total counter\n"
	        "lockset_decision_input_bodies_hashed_total %llu\n",
	        rec, dq, du, bl, bn, hashed);
	if (rows >= 0)
		fprintf(out,
		        "# HELP lockset_decision_inputs_rows Recorded input rows stored.\n"
		        "# TYPE lockset_decision_inputs_rows gauge\n"
		        "lockset_decision_inputs_rows %lld\n"
		        "# HELP lockset_decision_inputs_bytes Bytes of URI and body stored (each "
		        "body once).\n"
		        "# TYPE lockset_decision_inputs_bytes gauge\n"
		        "lockset_decision_inputs_bytes %lld\n",
		        rows, bytes);
	limits_metrics(out, &lim);
}

int
inputs_scan(struct inputs *r, const char *since, int (*fn)(const struct inputs_row *row, void *cls),
            void *cls)
{
	return r != NULL ? inputs_store_scan(r->store.db, since, fn, cls) : -1;
}
