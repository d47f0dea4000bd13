/* SPDX-License-Identifier: Apache-2.0 */
/* The decision-input recorder. The judge hook hides secret-bearing values
 * (redact.h: keyed hashes instead of Env values, build args, secret data),
 * hashes the body (SHA-256) and
 * copies it only when the hash is not among the bodies recently queued; it
 * queues one small record in a bounded queue. One thread drains the queue,
 * folds identical records of the same minute into one counted row, upserts
 * the rows and inserts the new bodies in one transaction, and prunes about
 * once a minute. */
#include "inputs.h"
#include "inputs_int.h"

#include "db.h"
#include "judge.h"
#include "log.h"
#include "redact.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INPUTS_WAKE        2048 /* queued inputs that wake the writer before the linger */
#define INPUTS_LINGER_MS   200  /* a started batch waits at most this long for more */
#define INPUTS_PRUNE_EVERY 60   /* seconds between retention runs */
#define INPUTS_KNOWN       4096 /* slots of the recently queued body set (power of 2) */
#define INPUTS_FOLD        1024 /* buckets of the writer's fold table (power of 2) */

enum body_state { BODY_NONE, BODY_KEPT, BODY_TOO_LARGE };

/* One queued decision: a single allocation with its strings in text[], plus
 * a copy of the body only when the body was not known to be stored. */
struct input {
	struct input *next;
	long long usec; /* time of the decision, microseconds since the epoch */
	const char *method, *uri, *user, *rules;
	int body_state;
	unsigned char hash[32]; /* SHA-256 of the body when BODY_KEPT */
	char *body;             /* NULL unless this input carries the body */
	size_t body_len;
	int allow;
	long long policy_version;
	/* The writer's fold: the first input of a kind stands for all of them. */
	struct input *fold_next, *kind_next;
	long long count, first_usec, last_usec;
	char text[];
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static struct input *q_head, **q_tail = &q_head;
static size_t q_len;
static unsigned long long q_seq, written_seq, dropped, bodies_copied;
static int running, stopping, flush_wanted;
static pthread_t writer;
static struct db *in_db;
static const struct redact *in_redact;
static struct inputs_limits limits;
static unsigned long long dropped_large; /* inputs over the URI cap, not recorded */
static EVP_MD *sha256_md;

/* Hashes of bodies that are stored or queued ahead (under q_lock). A slot
 * counts only while its generation is current: clearing is one increment.
 * Cleared before orphaned bodies are removed and after a failed write, so a
 * hash found here always names a body that will be in input_bodies. */
static struct {
	unsigned char hash[32];
	unsigned gen;
} known[INPUTS_KNOWN];
static unsigned known_gen = 1;

static size_t
known_slot(const unsigned char hash[32])
{
	uint32_t x;

	memcpy(&x, hash, sizeof(x));
	return x & (INPUTS_KNOWN - 1);
}

static int
known_has(const unsigned char hash[32])
{
	size_t i = known_slot(hash);

	return known[i].gen == known_gen && memcmp(known[i].hash, hash, 32) == 0;
}

static void
known_add(const unsigned char hash[32])
{
	size_t i = known_slot(hash);

	memcpy(known[i].hash, hash, 32);
	known[i].gen = known_gen;
}

static void
input_free(struct input *in)
{
	if (in == NULL)
		return;
	free(in->body);
	free(in);
}

static long long
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The stored form of a time: "2026-11-28T12:34:56.000123Z". */
static void
format_time(long long usec, char out[32])
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%06lldZ", usec % 1000000);
}

/* Rule ids of a decision, once each, as a JSON array text (malloc'd). */
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

/* A new input of req and j without the body (hashed when kept: keep_body and
 * within the cap), or NULL. */
static struct input *
input_new(const struct decide_request *req, const struct judgement *j, int keep_body)
{
	const char *s[3] = {req->method ? req->method : "", req->uri ? req->uri : "",
	                    req->user ? req->user : ""};
	char *rules = j->d.nv > 0 ? rules_text(&j->d) : NULL; /* allowed: no rules, no JSON */
	size_t len[4], total = 0;
	struct input *in = NULL;
	char *p;

	if (j->d.nv > 0 && rules == NULL)
		return NULL;
	for (int i = 0; i < 4; i++)
		total += len[i] = strlen(i < 3 ? s[i] : (rules ? rules : "[]")) + 1;
	if ((in = calloc(1, sizeof(*in) + total)) == NULL)
		goto out;
	p = in->text;
	for (int i = 0; i < 4; i++) {
		memcpy(p, i < 3 ? s[i] : (rules ? rules : "[]"), len[i]);
		p += len[i];
	}
	in->method = in->text;
	in->uri = in->method + len[0];
	in->user = in->uri + len[1];
	in->rules = in->user + len[2];
	in->usec = now_usec();
	in->allow = j->d.allow;
	in->policy_version = j->version;
	if (req->has_body && (!keep_body || req->body_len > INPUTS_MAX_BODY)) {
		in->body_state = BODY_TOO_LARGE;
	} else if (req->has_body) {
		in->body_state = BODY_KEPT;
		if (EVP_Digest(req->body, req->body_len, in->hash, NULL, sha256_md, NULL) != 1) {
			input_free(in);
			in = NULL;
		}
	}
out:
	free(rules);
	return in;
}

/* The judge hook: hide the secret-bearing values (redact.h), then queue the
 * input, with a copy of the body only when the body is not known to be stored
 * or queued already. Never blocks on I/O. */
static void
record_input(const struct decide_request *orig, const struct judgement *j)
{
	struct decide_request safe = *orig, *req = &safe;
	char *uri = redact_uri(in_redact, orig->uri ? orig->uri : ""), *body = NULL;
	int keep = 1;
	struct input *in;

	if (uri == NULL)
		return;
	/* A URI past the cap is not kept at all: rows stay small whatever
	 * callers send. */
	if (limits.max_uri > 0 && strlen(uri) > (size_t)limits.max_uri) {
		pthread_mutex_lock(&q_lock);
		dropped_large++;
		pthread_mutex_unlock(&q_lock);
		goto out;
	}
	safe.uri = uri;
	if (orig->has_body && orig->body_len > 0 && orig->body_len <= INPUTS_MAX_BODY) {
		/* A body that is not JSON cannot be searched for secrets: not kept. */
		int rc = redact_body(in_redact, orig->body, orig->body_len, &body, &safe.body_len);

		if (rc < 0)
			goto out;
		keep = rc == 0;
		safe.body = body;
	}
	in = input_new(req, j, keep);
	if (in == NULL)
		goto out;
	pthread_mutex_lock(&q_lock);
	if (in->body_state == BODY_KEPT && !known_has(in->hash)) {
		pthread_mutex_unlock(&q_lock);
		if ((in->body = malloc(req->body_len + 1)) == NULL) {
			input_free(in);
			goto out;
		}
		memcpy(in->body, req->body, req->body_len);
		in->body_len = req->body_len;
		pthread_mutex_lock(&q_lock);
	}
	if (!running || q_len >= INPUTS_MAX_QUEUE) {
		dropped++;
		pthread_mutex_unlock(&q_lock);
		input_free(in);
		goto out;
	}
	if (in->body != NULL) {
		known_add(in->hash);
		bodies_copied++;
	}
	*q_tail = in;
	q_tail = &in->next;
	q_len++;
	q_seq++;
	if (q_len == INPUTS_WAKE)
		pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
out:
	free(uri);
	free(body);
}

/* ------------------------------------------------------------------------ */
/* Folding: identical inputs of one minute become one row with a count. */

static long long
minute_of(long long usec)
{
	long long s = usec / 1000000;

	return s - s % 60;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static size_t
fold_slot(const struct input *in)
{
	uint64_t h = 14695981039346656037ULL;
	long long m = minute_of(in->usec);

	h = fnv(h, &m, sizeof(m));
	h = fnv(h, in->uri, strlen(in->uri));
	h = fnv(h, in->user, strlen(in->user));
	if (in->body_state == BODY_KEPT)
		h = fnv(h, in->hash, 8);
	return (size_t)(h ^ (uint64_t)in->allow ^ (uint64_t)in->policy_version) & (INPUTS_FOLD - 1);
}

static int
same_kind(const struct input *a, const struct input *b)
{
	return minute_of(a->usec) == minute_of(b->usec) && a->body_state == b->body_state &&
	       a->allow == b->allow && a->policy_version == b->policy_version &&
	       (a->body_state != BODY_KEPT || memcmp(a->hash, b->hash, 32) == 0) &&
	       strcmp(a->uri, b->uri) == 0 && strcmp(a->method, b->method) == 0 &&
	       strcmp(a->user, b->user) == 0 && strcmp(a->rules, b->rules) == 0;
}

/* Fold the inputs of list; returns the first of each kind, chained by
 * kind_next, each with count, first_usec and last_usec of its kind. */
static struct input *
fold(struct input *list)
{
	struct input *slots[INPUTS_FOLD] = {NULL}, *kinds = NULL, **tail = &kinds;

	for (struct input *in = list; in != NULL; in = in->next) {
		size_t i = fold_slot(in);
		struct input *k = slots[i];

		while (k != NULL && !same_kind(k, in))
			k = k->fold_next;
		if (k != NULL) {
			k->count++;
			if (in->usec < k->first_usec)
				k->first_usec = in->usec;
			if (in->usec > k->last_usec)
				k->last_usec = in->usec;
			continue;
		}
		in->count = 1;
		in->first_usec = in->last_usec = in->usec;
		in->fold_next = slots[i];
		slots[i] = in;
		*tail = in;
		tail = &in->kind_next;
	}
	*tail = NULL;
	return kinds;
}

/* ------------------------------------------------------------------------ */
/* Writing */

struct batch {
	struct input *all, *kinds;
};

/* The bodies carried by the inputs of list (a body stored already is kept). */
static int
store_bodies(sqlite3 *c, const struct input *list)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK;

	for (const struct input *in = list; in != NULL && rc == SQLITE_OK; in = in->next) {
		if (in->body == NULL)
			continue;
		if (st == NULL &&
		    (st = db_prepare(c, "INSERT OR IGNORE INTO input_bodies (hash, body) "
		                        "VALUES (?1, ?2)")) == NULL)
			return SQLITE_ERROR;
		sqlite3_bind_blob(st, 1, in->hash, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, in->body, (int)in->body_len, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* One row per kind, added to the row of the same minute and kind if any. */
static int
store_rows(sqlite3 *c, const struct input *kinds)
{
	sqlite3_stmt *st = db_prepare(
	    c, "INSERT INTO decision_inputs (bucket, first, last, count, method, uri, user, "
	       "body_hash, body_truncated, allow, rules, policy_version) "
	       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
	       "ON CONFLICT (bucket, method, uri, user, body_hash, body_truncated, allow, rules, "
	       "policy_version) DO UPDATE SET count = count + excluded.count, "
	       "first = min(first, excluded.first), last = max(last, excluded.last)");
	int rc = SQLITE_OK;

	if (st == NULL)
		return SQLITE_ERROR;
	for (const struct input *k = kinds; k != NULL && rc == SQLITE_OK; k = k->kind_next) {
		char bucket[32], first[32], last[32];

		format_time(minute_of(k->usec) * 1000000, bucket);
		format_time(k->first_usec, first);
		format_time(k->last_usec, last);
		db_bind_text(st, 1, bucket);
		db_bind_text(st, 2, first);
		db_bind_text(st, 3, last);
		sqlite3_bind_int64(st, 4, k->count);
		db_bind_text(st, 5, k->method);
		db_bind_text(st, 6, k->uri);
		db_bind_text(st, 7, k->user);
		if (k->body_state == BODY_KEPT)
			sqlite3_bind_blob(st, 8, k->hash, 32, SQLITE_TRANSIENT);
		else
			sqlite3_bind_zeroblob(st, 8, 0);
		sqlite3_bind_int(st, 9, k->body_state == BODY_TOO_LARGE);
		sqlite3_bind_int(st, 10, k->allow);
		db_bind_text(st, 11, k->rules);
		sqlite3_bind_int64(st, 12, k->policy_version);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
batch_tx(sqlite3 *c, void *arg)
{
	struct batch *b = arg;
	int rc = store_bodies(c, b->all);

	return rc == SQLITE_OK ? store_rows(c, b->kinds) : rc;
}

/* Wait (q_lock held) until the queue is worth writing: INPUTS_WAKE inputs,
 * the linger, a flush or the stop. */
static void
writer_wait(void)
{
	struct timespec ts;

	if (stopping || flush_wanted || q_len >= INPUTS_WAKE)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (q_len == 0) {
		ts.tv_sec += 1;
	} else {
		ts.tv_nsec += INPUTS_LINGER_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	pthread_cond_timedwait(&q_cond, &q_lock, &ts);
}

static void
write_batch(struct input *list)
{
	struct batch b = {list, NULL};

	if (list == NULL)
		return;
	b.kinds = fold(list);
	if (db_tx_run(in_db, batch_tx, &b, NULL) != 0) {
		log_warnx("decision inputs: a batch could not be stored");
		/* Its bodies are not stored: forget every hash, so they are sent again. */
		pthread_mutex_lock(&q_lock);
		known_gen++;
		pthread_mutex_unlock(&q_lock);
	}
	while (list != NULL) {
		struct input *next = list->next;
		input_free(list);
		list = next;
	}
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
		int prune_now;

		writer_wait();
		batch = q_head;
		upto = q_seq;
		q_head = NULL;
		q_tail = &q_head;
		q_len = 0;
		flush_wanted = 0;
		/* Bodies queued from now on are copied again: none can be pruned as
		 * an orphan before its row is written. */
		prune_now = time(NULL) - last_prune >= INPUTS_PRUNE_EVERY;
		if (prune_now)
			known_gen++;
		pthread_mutex_unlock(&q_lock);
		write_batch(batch);
		if (prune_now) {
			inputs_prune(in_db, &limits, now_usec());
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
inputs_start(struct db *db, const struct inputs_limits *lim, const struct redact *r)
{
	if (r == NULL || (sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return -1;
	in_db = db;
	in_redact = r;
	limits = *lim;
	stopping = 0;
	running = 1;
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0) {
		running = 0;
		EVP_MD_free(sha256_md);
		sha256_md = NULL;
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
	EVP_MD_free(sha256_md);
	sha256_md = NULL;
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

void
inputs_metrics(FILE *out)
{
	unsigned long long rec, drop, copied, large;

	pthread_mutex_lock(&q_lock);
	rec = q_seq;
	drop = dropped;
	copied = bodies_copied;
	large = dropped_large;
	pthread_mutex_unlock(&q_lock);
	inputs_prune_metrics(out, &limits, large);
	fprintf(out,
	        "# HELP lockset_decision_inputs_total Decision inputs queued for the impact "
	        "preview.\n"
	        "# TYPE lockset_decision_inputs_total counter\n"
	        "lockset_decision_inputs_total %llu\n"
	        "# HELP lockset_decision_inputs_dropped_total Decision inputs dropped because "
	        "the queue was full.\n"
	        "# TYPE lockset_decision_inputs_dropped_total counter\n"
	        "lockset_decision_inputs_dropped_total %llu\n"
	        "# HELP lockset_decision_input_bodies_copied_total Bodies copied for storage "
	        "(not known to be stored already).\n"
	        "# TYPE lockset_decision_input_bodies_copied_total counter\n"
	        "lockset_decision_input_bodies_copied_total %llu\n",
	        rec, drop, copied);
}

/* ------------------------------------------------------------------------ */
/* Reading */

static int
scan_rows(sqlite3 *c, const char *bucket, int (*fn)(const struct inputs_row *r, void *cls),
          void *cls)
{
	sqlite3_stmt *st = db_prepare(
	    c, "SELECT d.first, d.last, d.count, d.method, d.uri, d.user, d.body_hash, b.body, "
	       "d.body_truncated, d.allow, d.rules, d.policy_version FROM decision_inputs d "
	       "LEFT JOIN input_bodies b ON b.hash = d.body_hash WHERE d.bucket >= ?1 "
	       "ORDER BY d.id");
	int step;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, bucket);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct inputs_row r;
		int hashed = sqlite3_column_bytes(st, 6) == 32;

		r.first = db_column_text(st, 0);
		r.last = db_column_text(st, 1);
		r.count = sqlite3_column_int64(st, 2);
		r.method = db_column_text(st, 3);
		r.uri = db_column_text(st, 4);
		r.user = db_column_text(st, 5);
		r.body_hash = hashed ? sqlite3_column_blob(st, 6) : NULL;
		r.has_body = hashed && sqlite3_column_type(st, 7) != SQLITE_NULL;
		r.body = r.has_body ? sqlite3_column_blob(st, 7) : NULL;
		r.body_len = (size_t)sqlite3_column_bytes(st, 7);
		if (r.has_body && r.body == NULL)
			r.body = ""; /* an empty blob */
		/* A hash without its body: the body was lost with a failed write. */
		r.body_truncated = sqlite3_column_int(st, 8) || (hashed && !r.has_body);
		r.allow = sqlite3_column_int(st, 9);
		r.rules = db_column_text(st, 10);
		r.policy_version = sqlite3_column_int64(st, 11);
		if (fn(&r, cls) != 0)
			break;
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

int
inputs_scan(const char *since, int (*fn)(const struct inputs_row *r, void *cls), void *cls)
{
	sqlite3 *c = db_reader_get_bulk(in_db);
	char bucket[32];
	int rc;

	if (c == NULL)
		return -1;
	/* The minute of since: "2026-11-28T12:34:56.789000Z" -> "...12:34:00.000000Z". */
	snprintf(bucket, sizeof(bucket), "%s", since);
	if (strlen(bucket) == 27)
		memcpy(bucket + 17, "00.000000Z", 10);
	rc = scan_rows(c, bucket, fn, cls);
	db_reader_put_bulk(in_db, c);
	return rc;
}
