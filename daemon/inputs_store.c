/* SPDX-License-Identifier: Apache-2.0 */
/* What the input recorder's writer does with a batch of queued decisions
 * (inputs_int.h): hide the secrets of each (redact.h), hash each distinct
 * body once (SHA-256 of the secret-free bytes, the stored body's name),
 * fold identical decisions of one minute into one counted row, and store
 * the rows and the new bodies in one transaction; retention; reading. */
#include "inputs_int.h"

#include "db.h"
#include "judge.h"
#include "log.h"
#include "redact.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INPUTS_FOLD   1024 /* buckets of the fold table (power of 2) */
#define INPUTS_BODIES 1024 /* buckets of the table of distinct bodies (power of 2) */

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

void
inputs_input_free(struct input *in)
{
	if (in == NULL)
		return;
	free(in->safe_uri);
	free(in->body);
	OPENSSL_cleanse(in, in->size); /* the request's own bytes: secrets included */
	free(in);
}

/* ------------------------------------------------------------------------ */
/* Secrets and hashes: once for each distinct body of the batch.             */

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* A bucket for in's body bytes: its length and a few of its bytes (the
 * comparison that follows is exact). */
static size_t
body_slot(const struct input *in)
{
	uint64_t h = fnv(14695981039346656037ULL, &in->raw_len, sizeof(in->raw_len));
	size_t n = in->raw_len < 16 ? in->raw_len : 16;

	h = fnv(h, in->raw, n);
	h = fnv(h, in->raw + in->raw_len - n, n);
	return (size_t)h & (INPUTS_BODIES - 1);
}

/* The secret-free body of in (its first appearance in the batch), and its
 * hash. 0, or -1 on ENOMEM. */
static int
body_hide(const struct inputs_store *st, EVP_MD *sha256, struct input *in)
{
	char *out = NULL;
	size_t len = 0;
	/* An empty body is kept as it is: there is nothing in it to hide. */
	int rc = in->raw_len > 0 ? redact_body(st->redact, in->raw, in->raw_len, &out, &len) : 0;

	if (rc < 0)
		return -1;
	if (rc == 1) {
		/* A body that is not JSON cannot be searched for secrets: not kept. */
		in->body_state = BODY_TOO_LARGE;
		return 0;
	}
	if (out == NULL && (out = malloc(in->raw_len + 1)) != NULL) {
		memcpy(out, in->raw, in->raw_len); /* nothing to hide */
		len = in->raw_len;
	}
	if (out == NULL || EVP_Digest(out, len, in->hash, NULL, sha256, NULL) != 1) {
		free(out);
		return -1;
	}
	in->body = out;
	in->body_len = len;
	in->body_state = BODY_KEPT;
	return 0;
}

/* Hide the secrets of every input; returns the distinct bodies hashed. An
 * input that runs out of memory is left without safe_uri: not recorded. */
static unsigned long long
hide_secrets(const struct inputs_store *st, EVP_MD *sha256, struct input *list)
{
	struct input *slots[INPUTS_BODIES] = {NULL};
	unsigned long long hashed = 0;

	for (struct input *in = list; in != NULL; in = in->next) {
		struct input *r = NULL;
		size_t i = 0;

		in->body_state = in->too_large ? BODY_TOO_LARGE : BODY_NONE;
		if (in->raw != NULL) {
			i = body_slot(in);
			for (r = slots[i]; r != NULL; r = r->fold_next)
				if (r->raw_len == in->raw_len &&
				    memcmp(r->raw, in->raw, in->raw_len) == 0)
					break;
		}
		if (r != NULL) {
			in->same_body = r;
			in->body_state = r->body_state;
			memcpy(in->hash, r->hash, sizeof(in->hash));
		} else if (in->raw != NULL) {
			if (body_hide(st, sha256, in) != 0)
				continue;
			hashed++;
			in->fold_next = slots[i]; /* the bucket chain, until the fold */
			slots[i] = in;
		}
		in->safe_uri = redact_uri(st->redact, in->uri);
	}
	for (struct input *in = list; in != NULL; in = in->next)
		in->fold_next = NULL;
	return hashed;
}

/* ------------------------------------------------------------------------ */
/* Folding: identical inputs of one minute become one row with a count. */

static long long
minute_of(long long usec)
{
	long long s = usec / 1000000;

	return s - s % 60;
}

static size_t
fold_slot(const struct input *in)
{
	uint64_t h = 14695981039346656037ULL;
	long long m = minute_of(in->usec);

	h = fnv(h, &m, sizeof(m));
	h = fnv(h, in->safe_uri, strlen(in->safe_uri));
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
	       strcmp(a->safe_uri, b->safe_uri) == 0 && strcmp(a->method, b->method) == 0 &&
	       strcmp(a->user, b->user) == 0 && strcmp(a->rules, b->rules) == 0;
}

/* Fold the inputs of list; returns the first of each kind, chained by
 * kind_next, each with count, first_usec and last_usec of its kind. */
static struct input *
fold(struct input *list)
{
	struct input *slots[INPUTS_FOLD] = {NULL}, *kinds = NULL, **tail = &kinds;

	for (struct input *in = list; in != NULL; in = in->next) {
		size_t i;
		struct input *k;

		if (in->safe_uri == NULL)
			continue; /* out of memory hiding its secrets: not recorded */
		i = fold_slot(in);
		k = slots[i];

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

/* The distinct bodies of the batch (a body stored already is kept). */
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
		db_bind_text(st, 6, k->safe_uri);
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

struct batch {
	struct input *all, *kinds;
};

static int
batch_tx(sqlite3 *c, void *arg)
{
	struct batch *b = arg;
	int rc = store_bodies(c, b->all);

	return rc == SQLITE_OK ? store_rows(c, b->kinds) : rc;
}

unsigned long long
inputs_store_batch(const struct inputs_store *st, struct input *list)
{
	struct batch b = {list, NULL};
	unsigned long long hashed;
	EVP_MD *sha256;

	if (list == NULL)
		return 0;
	if ((sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		log_warnx("decision inputs: no SHA-256; a batch is not stored");
		return 0;
	}
	hashed = hide_secrets(st, sha256, list);
	EVP_MD_free(sha256);
	b.kinds = fold(list);
	if (db_tx_run_lazy(st->db, batch_tx, &b, NULL) != 0)
		log_warnx("decision inputs: a batch could not be stored");
	return hashed;
}

struct prune_args {
	const char *cutoff;
	long rows;
};

static int
prune_old(sqlite3 *c, const char *cutoff)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE last < ?1");

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, cutoff);
	return db_step_done(st);
}

static int
prune_excess(sqlite3 *c, long rows)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM decision_inputs WHERE id <= "
	                                 "(SELECT MAX(id) FROM decision_inputs) - ?1");

	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, rows);
	return db_step_done(st);
}

static int
prune_bodies(sqlite3 *c)
{
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM input_bodies WHERE hash NOT IN "
	                                 "(SELECT body_hash FROM decision_inputs)");

	if (st == NULL)
		return SQLITE_ERROR;
	return db_step_done(st);
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
	if (rc == SQLITE_OK)
		rc = prune_bodies(c);
	return rc;
}

void
inputs_store_prune(const struct inputs_store *s)
{
	char cutoff[32];
	struct prune_args a = {NULL, INPUTS_MAX_ROWS};

	if (s->keep_days > 0) {
		format_time(now_usec() - (long long)s->keep_days * 86400 * 1000000, cutoff);
		a.cutoff = cutoff;
	}
	if (s->keep_rows > 0 && s->keep_rows < a.rows)
		a.rows = s->keep_rows;
	if (db_tx_run_lazy(s->db, prune_tx, &a, NULL) != 0)
		log_warnx("decision inputs: retention failed");
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
inputs_store_scan(struct db *db, const char *since,
                  int (*fn)(const struct inputs_row *r, void *cls), void *cls)
{
	sqlite3 *c = db_reader_get(db);
	char bucket[32];
	int rc;

	if (c == NULL)
		return -1;
	/* The minute of since: "2026-11-28T12:34:56.789000Z" -> "...12:34:00.000000Z". */
	snprintf(bucket, sizeof(bucket), "%s", since);
	if (strlen(bucket) == 27)
		memcpy(bucket + 17, "00.000000Z", 10);
	rc = scan_rows(c, bucket, fn, cls);
	db_reader_put(db, c);
	return rc;
}
