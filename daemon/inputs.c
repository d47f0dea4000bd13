/* SPDX-License-Identifier: Apache-2.0 */
/* The decision-input recorder: a bounded in-memory queue filled by the judge
 * hook, drained by one thread in write transactions of up to a few hundred
 * rows, and pruned by the same thread about once a minute. */
#include "inputs.h"

#include "db.h"
#include "judge.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define INPUTS_BATCH       256
#define INPUTS_LINGER_MS   200 /* a batch waits at most this long */
#define INPUTS_PRUNE_EVERY 60  /* seconds between retention runs */

struct input {
	char time[32];
	char *method, *uri, *user, *rules;
	char *body;
	size_t body_len;
	int body_truncated;
	int allow;
	long long policy_version;
	struct input *next;
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static struct input *q_head, **q_tail = &q_head;
static size_t q_len;
static unsigned long long q_seq, written_seq, dropped;
static int running, stopping, flush_wanted;
static pthread_t writer;
static struct db *in_db;
static long keep_days, keep_rows;

static void
input_free(struct input *in)
{
	if (in == NULL)
		return;
	free(in->method);
	free(in->uri);
	free(in->user);
	free(in->rules);
	free(in->body);
	free(in);
}

static void
now_rfc3339(char out[32], time_t offset)
{
	struct timeval tv;
	struct tm tm;
	char base[24];

	gettimeofday(&tv, NULL);
	tv.tv_sec -= offset;
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%06ldZ", base, (long)tv.tv_usec);
}

/* Rule ids of a decision, once each, as a JSON array text. */
static char *
rules_text(const struct decision *d)
{
	json_t *arr = json_array();
	char *text;

	for (size_t i = 0; arr != NULL && i < d->nv; i++) {
		size_t k, n = json_array_size(arr);
		for (k = 0; k < n; k++) {
			if (strcmp(json_string_value(json_array_get(arr, k)), d->v[i].rule) == 0)
				break;
		}
		if (k == n)
			json_array_append_new(arr, json_string(d->v[i].rule));
	}
	text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	return text;
}

/* The judge hook: copy what is needed and queue it. Never blocks on I/O. */
static void
record_input(const struct decide_request *req, const struct judgement *j)
{
	struct input *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return;
	now_rfc3339(in->time, 0);
	in->method = strdup(req->method ? req->method : "");
	in->uri = strdup(req->uri ? req->uri : "");
	in->user = strdup(req->user ? req->user : "");
	in->rules = rules_text(&j->d);
	in->allow = j->d.allow;
	in->policy_version = j->version;
	if (req->has_body && req->body_len > INPUTS_MAX_BODY) {
		in->body_truncated = 1;
	} else if (req->has_body) {
		if ((in->body = malloc(req->body_len + 1)) != NULL) {
			memcpy(in->body, req->body, req->body_len);
			in->body[req->body_len] = '\0';
			in->body_len = req->body_len;
		}
	}
	if (in->method == NULL || in->uri == NULL || in->user == NULL || in->rules == NULL ||
	    (req->has_body && !in->body_truncated && in->body == NULL)) {
		input_free(in);
		return;
	}
	pthread_mutex_lock(&q_lock);
	if (!running || q_len >= INPUTS_MAX_QUEUE) {
		dropped++;
		pthread_mutex_unlock(&q_lock);
		input_free(in);
		return;
	}
	*q_tail = in;
	q_tail = &in->next;
	q_len++;
	q_seq++;
	if (q_len >= INPUTS_BATCH)
		pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
}

/* ------------------------------------------------------------------------ */
/* Writing */

static int
insert_input(sqlite3 *c, const struct input *in)
{
	sqlite3_stmt *st = db_prepare(c, "INSERT INTO decision_inputs (time, method, uri, user, "
	                                 "body, body_truncated, allow, rules, policy_version) "
	                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, in->time);
	db_bind_text(st, 2, in->method);
	db_bind_text(st, 3, in->uri);
	db_bind_text(st, 4, in->user);
	if (in->body != NULL)
		sqlite3_bind_blob(st, 5, in->body, (int)in->body_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int(st, 6, in->body_truncated);
	sqlite3_bind_int(st, 7, in->allow);
	db_bind_text(st, 8, in->rules);
	sqlite3_bind_int64(st, 9, in->policy_version);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
batch_tx(sqlite3 *c, void *arg)
{
	int rc = SQLITE_OK;

	for (struct input *in = arg; in != NULL && rc == SQLITE_OK; in = in->next)
		rc = insert_input(c, in);
	return rc;
}

struct prune_args {
	const char *cutoff;
	long rows;
};

static int
prune_old(sqlite3 *c, const char *cutoff)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE time < ?1");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, cutoff);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
prune_excess(sqlite3 *c, long rows)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE id <= "
	                                 "(SELECT MAX(id) FROM decision_inputs) - ?1");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, rows);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
prune_tx(sqlite3 *c, void *arg)
{
	struct prune_args *a = arg;
	int rc = SQLITE_OK;

	if (a->cutoff != NULL)
		rc = prune_old(c, a->cutoff);
	if (rc == SQLITE_OK)
		rc = prune_excess(c, a->rows);
	return rc;
}

static void
prune(void)
{
	char cutoff[32];
	struct prune_args a = {NULL, INPUTS_MAX_ROWS};

	if (keep_days > 0) {
		now_rfc3339(cutoff, (time_t)keep_days * 86400);
		a.cutoff = cutoff;
	}
	if (keep_rows > 0 && keep_rows < a.rows)
		a.rows = keep_rows;
	if (db_tx_run(in_db, prune_tx, &a, NULL) != 0)
		log_warnx("decision inputs: retention failed");
}

static void *
writer_main(void *arg)
{
	time_t last_prune = 0;

	(void)arg;
	pthread_mutex_lock(&q_lock);
	for (;;) {
		struct input *batch;
		unsigned long long upto;
		struct timespec ts;

		if (q_len == 0 && !stopping && !flush_wanted) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&q_cond, &q_lock, &ts);
		} else if (q_len < INPUTS_BATCH && !stopping && !flush_wanted) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += INPUTS_LINGER_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&q_cond, &q_lock, &ts);
		}
		batch = q_head;
		upto = q_seq;
		q_head = NULL;
		q_tail = &q_head;
		q_len = 0;
		flush_wanted = 0;
		pthread_mutex_unlock(&q_lock);
		if (batch != NULL && db_tx_run(in_db, batch_tx, batch, NULL) != 0)
			log_warnx("decision inputs: a batch could not be stored");
		while (batch != NULL) {
			struct input *next = batch->next;
			input_free(batch);
			batch = next;
		}
		if (time(NULL) - last_prune >= INPUTS_PRUNE_EVERY) {
			prune();
			last_prune = time(NULL);
		}
		pthread_mutex_lock(&q_lock);
		written_seq = upto;
		pthread_cond_broadcast(&done_cond);
		if (stopping && q_head == NULL)
			break;
	}
	pthread_mutex_unlock(&q_lock);
	return NULL;
}

int
inputs_start(struct db *db, long retention_days, long retention_rows)
{
	in_db = db;
	keep_days = retention_days;
	keep_rows = retention_rows;
	stopping = 0;
	running = 1;
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0) {
		running = 0;
		return -1;
	}
	judge_set_input_hook(record_input);
	return 0;
}

void
inputs_stop(void)
{
	if (!running)
		return;
	judge_set_input_hook(NULL);
	pthread_mutex_lock(&q_lock);
	stopping = 1;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	pthread_join(writer, NULL);
	pthread_mutex_lock(&q_lock);
	running = 0;
	if (dropped > 0)
		log_info("decision inputs: %llu dropped (queue full)", dropped);
	pthread_mutex_unlock(&q_lock);
	in_db = NULL;
}

void
inputs_flush(void)
{
	unsigned long long want;

	pthread_mutex_lock(&q_lock);
	want = q_seq;
	if (running) {
		flush_wanted = 1;
		pthread_cond_signal(&q_cond);
		while (written_seq < want && running && !stopping)
			pthread_cond_wait(&done_cond, &q_lock);
	}
	pthread_mutex_unlock(&q_lock);
}

/* ------------------------------------------------------------------------ */
/* Reading */

int
inputs_scan(const char *since, int (*fn)(const struct inputs_row *r, void *cls), void *cls)
{
	sqlite3 *c = db_reader_get(in_db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (c == NULL)
		return -1;
	st = db_prepare(c, "SELECT time, method, uri, user, body, body_truncated, allow, rules, "
	                   "COALESCE(policy_version, -1) FROM decision_inputs WHERE time >= ?1 "
	                   "ORDER BY id");
	if (st == NULL)
		goto out;
	db_bind_text(st, 1, since);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct inputs_row r;

		r.time = db_column_text(st, 0);
		r.method = db_column_text(st, 1);
		r.uri = db_column_text(st, 2);
		r.user = db_column_text(st, 3);
		r.body = sqlite3_column_blob(st, 4);
		r.body_len = (size_t)sqlite3_column_bytes(st, 4);
		r.body_truncated = sqlite3_column_int(st, 5);
		r.allow = sqlite3_column_int(st, 6);
		r.rules = db_column_text(st, 7);
		r.policy_version = sqlite3_column_int64(st, 8);
		r.has_body = sqlite3_column_type(st, 4) != SQLITE_NULL;
		if (r.has_body && r.body == NULL)
			r.body = ""; /* an empty blob */
		if (fn(&r, cls) != 0)
			break;
	}
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	db_reader_put(in_db, c);
	return rc;
}
