/* SPDX-License-Identifier: Apache-2.0 */
/* Signed checkpoints of the audit chain (see audit.h): made on demand and
 * every --audit-checkpoint-interval by a thread that records each one as an
 * audit.checkpoint row (so the syslog forwarder sends it off the host) and
 * keeps the newest for whoever forwards it elsewhere (the status reports to
 * a central lockset); and the check of the log against one given back. */
#include "audit_int.h"

#include "store/db.h"
#include "log.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *
checkpoint_message(const char *host, long long id, const char *hash, const char *time)
{
	char *m = NULL;

	if (asprintf(&m, "lockset-audit-checkpoint-v1:%s:%lld:%s:%s", host, id, hash, time) < 0)
		return NULL;
	return m;
}

json_t *
audit_checkpoint_make(struct audit *a)
{
	long long id, us;
	char hash[65], when[AUDIT_TIME_LEN + 1], *msg;
	unsigned char sig[64];
	char b64[96];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_t *cp = NULL;

	lockorder_lock(&a->lock, LOCK_AUDIT);
	id = a->last_id;
	us = a->last_time_us;
	memcpy(hash, a->last_hash, sizeof(hash));
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	audit_time_format(us, when);
	msg = checkpoint_message(a->host, id, hash, when);
	if (msg == NULL || md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, a->key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, strlen(msg)) != 1)
		goto out;
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	cp = json_pack("{ss sI ss ss ss ss}", "host", a->host, "id", (json_int_t)id, "hash", hash,
	               "time", when, "public_key", a->pubkey_hex, "signature", b64);
out:
	EVP_MD_CTX_free(md);
	free(msg);
	return cp;
}

/* The key of a hex public key (new), or NULL. */
static EVP_PKEY *
key_of(const char *hex)
{
	unsigned char raw[32];

	if (hex == NULL || strlen(hex) != 64)
		return NULL;
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return NULL;
		raw[i] = (unsigned char)v;
	}
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
}

int
audit_checkpoint_signed(const json_t *cp)
{
	const char *host, *hash, *when, *pub, *sig64;
	json_int_t id;
	unsigned char sig[96];
	char *msg = NULL;
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	int ok = 0;

	if (json_unpack((json_t *)cp, "{ss sI ss ss ss ss}", "host", &host, "id", &id, "hash",
	                &hash, "time", &when, "public_key", &pub, "signature", &sig64) != 0 ||
	    strlen(hash) != 64 || strlen(sig64) != 88 ||
	    EVP_DecodeBlock(sig, (const unsigned char *)sig64, 88) != 66)
		return 0;
	if ((k = key_of(pub)) != NULL && (msg = checkpoint_message(host, id, hash, when)) != NULL &&
	    (md = EVP_MD_CTX_new()) != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestVerify(md, sig, 64, (const unsigned char *)msg, strlen(msg)) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	free(msg);
	return ok;
}

/* The hash the log holds for id, or that an anchor kept for it when the
 * row was pruned: 1 found (hash set), 0 not there, -1 on a read error. */
static int
hash_at(sqlite3 *c, long long id, char hash[65])
{
	sqlite3_stmt *st = db_prepare(
	    c, "SELECT hash FROM events WHERE id = ?1 UNION ALL SELECT "
	       "json_extract(data, '$.upto_hash') FROM events WHERE action = 'audit.pruned' AND "
	       "json_extract(data, '$.upto_id') = ?1 LIMIT 1");
	int rc, found = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(hash, 65, "%s", db_column_text(st, 0));
		found = 1;
	} else if (rc == SQLITE_DONE) {
		found = 0;
	}
	sqlite3_finalize(st);
	return found;
}

json_t *
audit_checkpoint_check(struct audit *a, const json_t *cp)
{
	const char *why = NULL, *hash = json_string_value(json_object_get(cp, "hash"));
	const char *pub = json_string_value(json_object_get(cp, "public_key"));
	long long id = json_integer_value(json_object_get(cp, "id")), head;
	char held[65] = "";
	sqlite3 *c = NULL;
	int found;

	lockorder_lock(&a->lock, LOCK_AUDIT);
	head = a->last_id;
	lockorder_unlock(&a->lock, LOCK_AUDIT);

	if (!audit_checkpoint_signed(cp))
		why = "not a checkpoint, or its signature does not verify";
	else if (strcmp(pub, a->pubkey_hex) != 0)
		why = "signed by another key than this log's: the signing key was replaced";
	else if ((c = db_reader_get_bulk(a->db)) == NULL)
		return NULL;
	else if ((found = hash_at(c, id, held)) < 0)
		why = "the log cannot be read";
	else if (found == 0 && head < id)
		why = "the log ends before the checkpoint: rows were removed";
	else if (found == 0)
		why = "the row was pruned and no anchor keeps its hash: it cannot be checked";
	else if (strcmp(held, hash) != 0)
		why = "the log's hash at the checkpoint differs: rows up to it were rewritten";
	db_reader_put_bulk(a->db, c);
	return json_pack("{sb sI ss*}", "ok", why == NULL, "id", (json_int_t)id, "reason", why);
}

/* ------------------------------------------------------------------------ */
/* Periodic checkpoints */

/* Record one checkpoint row, unless nothing was written since the last. */
static void
checkpoint_once(struct audit *a, long long *last_row)
{
	struct audit_event ev = {.policy_version = -1};
	long long head, id;
	json_t *cp;

	lockorder_lock(&a->lock, LOCK_AUDIT);
	head = a->last_id;
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	if (head == *last_row || (cp = audit_checkpoint_make(a)) == NULL)
		return;
	ev.action = AUDIT_ACTION_CHECKPOINT;
	ev.actor = "locksetd";
	ev.component = "audit";
	ev.data = cp;
	if ((id = audit_append_own(a, &ev)) < 0) {
		log_warnx("audit: could not record a checkpoint");
		json_decref(cp);
		return;
	}
	*last_row = id;
	lockorder_lock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
	json_decref(a->cp.latest);
	a->cp.latest = cp;
	a->cp.count++;
	lockorder_unlock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
}

static void *
checkpoint_main(void *arg)
{
	struct audit *a = arg;
	struct audit_cp *cp = &a->cp;
	long long last_row = 0;

	lockorder_lock(&cp->lock, LOCK_AUDIT_CHECKPOINT);
	while (!cp->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += cp->interval;
		if (pthread_cond_timedwait(&cp->cond, &cp->lock, &ts) == 0 || cp->stop)
			continue;
		lockorder_unlock(&cp->lock, LOCK_AUDIT_CHECKPOINT);
		checkpoint_once(a, &last_row);
		lockorder_lock(&cp->lock, LOCK_AUDIT_CHECKPOINT);
	}
	lockorder_unlock(&cp->lock, LOCK_AUDIT_CHECKPOINT);
	return NULL;
}

void
audit_cp_init(struct audit *a)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&a->cp.lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cp.cond, &attr);
	pthread_condattr_destroy(&attr);
}

void
audit_cp_destroy(struct audit *a)
{
	audit_checkpoint_stop(a);
	pthread_mutex_destroy(&a->cp.lock);
	pthread_cond_destroy(&a->cp.cond);
}

int
audit_checkpoint_start(struct audit *a, long interval)
{
	if (interval <= 0 || a->cp.running)
		return 0;
	a->cp.interval = interval;
	a->cp.stop = 0;
	if (pthread_create(&a->cp.thread, NULL, checkpoint_main, a) != 0)
		return -1;
	a->cp.running = 1;
	return 0;
}

void
audit_checkpoint_stop(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->cp.running) {
		lockorder_lock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
		a->cp.stop = 1;
		pthread_cond_signal(&a->cp.cond);
		lockorder_unlock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
		pthread_join(a->cp.thread, NULL);
		a->cp.running = 0;
	}
	lockorder_lock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
	json_decref(a->cp.latest);
	a->cp.latest = NULL;
	lockorder_unlock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
}

json_t *
audit_checkpoint_latest(struct audit *a)
{
	json_t *cp;

	lockorder_lock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
	cp = json_incref(a->cp.latest);
	lockorder_unlock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
	return cp;
}

unsigned long long
audit_checkpoint_count(struct audit *a)
{
	unsigned long long n;

	lockorder_lock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
	n = a->cp.count;
	lockorder_unlock(&a->cp.lock, LOCK_AUDIT_CHECKPOINT);
	return n;
}
