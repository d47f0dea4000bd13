/* SPDX-License-Identifier: Apache-2.0 */
/* Audit log writing: the one writer thread that group-commits every queued
 * append in one transaction extending the hash chain, health, and retention
 * with signed anchors (see audit.h for the formats). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* vasprintf, asprintf */
#endif
#include "audit_int.h"

#include "store/db.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PRUNE_BATCH 1000         /* rows deleted per retention transaction */
#define LINGER_MIN  50           /* microseconds a group commit may wait for more rows, */
#define LINGER_MAX  2000         /* ... at most, whatever the last commit took */
#define PRUNE_EVERY 1000000LL    /* microseconds between retention checks */
#define DATA_MAX    (256 * 1024) /* largest data object, as JSON text */
#define US_PER_DAY  86400000000LL

struct audit_pending {
	struct audit_pending *next;
	const struct audit_event *ev;
	char *rules_json;
	char *data_json;
	long long time_us;
	long long id; /* result: the new id or -1 */
	int done;
	/* Asynchronous appends own a copy of the event and are freed by the
	 * writer after calling back; synchronous ones live on the caller's stack. */
	audit_done_fn done_fn;
	void *done_arg;
	struct audit_event copy;
	char **copy_rules;
};

/* The chain head while a transaction is being built; published on commit. */
struct chain {
	long long id;
	long long time_us;
	char hash[65];
};

static const char sql_insert_event[] =
    "INSERT INTO events (id, time, action, actor, host, component, subject, decision, "
    "rules, data, policy_version, prev_hash, hash) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char sql_insert_rule[] =
    "INSERT OR IGNORE INTO event_rules (rule, event_id) VALUES (?1, ?2)";

/* ------------------------------------------------------------------------- */
/* Time */

static long long
real_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long
now_us(const struct audit *a)
{
	return a->opts.now_us ? a->opts.now_us() : real_now_us();
}

/* ------------------------------------------------------------------------- */
/* Writing rows (writer thread, inside a db_tx_run transaction) */

static void
finalize_statements(struct audit *a)
{
	sqlite3_finalize(a->st_event);
	sqlite3_finalize(a->st_rule);
	a->st_event = a->st_rule = NULL;
}

static int
prepare_statements(struct audit *a, sqlite3 *c)
{
	if (a->st_event == NULL && (a->st_event = db_prepare(c, sql_insert_event)) == NULL)
		return sqlite3_errcode(c);
	if (a->st_rule == NULL && (a->st_rule = db_prepare(c, sql_insert_rule)) == NULL)
		return sqlite3_errcode(c);
	return SQLITE_OK;
}

static int
step_done(sqlite3 *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(c);
}

/* Append one row after ch, advancing ch. Returns a SQLite result code. */
static int
chain_insert(struct audit *a, sqlite3 *c, struct chain *ch, const struct audit_event *ev,
             const char *rules_json, const char *data_json, long long time_us)
{
	char tbuf[AUDIT_TIME_LEN + 1], hash[65];
	struct audit_row r = {0};
	sqlite3_stmt *st = a->st_event;
	int rc;

	if (time_us < ch->time_us)
		time_us = ch->time_us; /* time never decreases along the chain */
	audit_time_format(time_us, tbuf);
	r.id = ch->id + 1;
	r.time = tbuf;
	r.action = ev->action;
	r.actor = ev->actor ? ev->actor : "";
	r.host = a->host;
	r.component = ev->component ? ev->component : "";
	r.subject = ev->subject ? ev->subject : "";
	r.decision = ev->decision ? ev->decision : "";
	r.rules = rules_json;
	r.data = data_json;
	r.policy_version = ev->policy_version >= 0 ? ev->policy_version : -1;
	r.prev_hash = ch->hash;
	if (audit_row_hash(&r, hash) != 0)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, r.id);
	db_bind_text(st, 2, r.time);
	db_bind_text(st, 3, r.action);
	db_bind_text(st, 4, r.actor);
	db_bind_text(st, 5, r.host);
	db_bind_text(st, 6, r.component);
	db_bind_text(st, 7, r.subject);
	db_bind_text(st, 8, r.decision);
	db_bind_text(st, 9, r.rules);
	db_bind_text(st, 10, r.data);
	if (r.policy_version >= 0)
		sqlite3_bind_int64(st, 11, r.policy_version);
	db_bind_text(st, 12, r.prev_hash);
	db_bind_text(st, 13, hash);
	if ((rc = step_done(c, st)) != SQLITE_OK)
		return rc;
	for (size_t i = 0; i < ev->nrules; i++) {
		db_bind_text(a->st_rule, 1, ev->rules[i]);
		sqlite3_bind_int64(a->st_rule, 2, r.id);
		if ((rc = step_done(c, a->st_rule)) != SQLITE_OK)
			return rc;
	}
	ch->id = r.id;
	ch->time_us = time_us;
	memcpy(ch->hash, hash, sizeof(hash));
	return SQLITE_OK;
}

struct batch {
	struct audit *a;
	struct audit_pending *list;
	struct chain ch;
};

static int
batch_tx(sqlite3 *c, void *arg)
{
	struct batch *b = arg;
	int rc = prepare_statements(b->a, c);

	for (struct audit_pending *p = b->list; p != NULL && rc == SQLITE_OK; p = p->next) {
		rc = chain_insert(b->a, c, &b->ch, p->ev, p->rules_json, p->data_json, p->time_us);
		p->id = b->ch.id;
	}
	return rc;
}

static void
chain_get(struct audit *a, struct chain *ch)
{
	ch->id = a->last_id;
	ch->time_us = a->last_time_us;
	memcpy(ch->hash, a->last_hash, sizeof(ch->hash));
}

/* Record the outcome of a write transaction; a->lock held. */
static void
publish(struct audit *a, const struct chain *ch, int ok, int rc)
{
	if (ok) {
		a->last_id = ch->id;
		a->last_time_us = ch->time_us;
		memcpy(a->last_hash, ch->hash, sizeof(a->last_hash));
		if (!a->healthy)
			log_info("audit: writes succeed again");
		a->healthy = 1;
		a->reason = NULL;
		a->counters.batches++;
	} else {
		if (a->healthy)
			log_warnx("audit: write failed, audit degraded: %s", sqlite3_errstr(rc));
		a->healthy = 0;
		a->reason = sqlite3_errstr(rc);
	}
}

/* Free an asynchronous pending append and its copy of the event. */
static void
pending_free(struct audit_pending *p)
{
	free((char *)p->copy.action);
	free((char *)p->copy.actor);
	free((char *)p->copy.component);
	free((char *)p->copy.subject);
	free((char *)p->copy.decision);
	for (size_t i = 0; p->copy_rules != NULL && i < p->copy.nrules; i++)
		free(p->copy_rules[i]);
	free(p->copy_rules);
	free(p->rules_json);
	free(p->data_json);
	free(p);
}

/* Write one batch and release its callers; called and returns with a->lock
 * held. Asynchronous callers are called back without the lock, so appends
 * (and the next batch) go on meanwhile. */
static void
write_batch(struct audit *a, struct audit_pending *list)
{
	struct batch b = {a, list, {0, 0, {0}}};
	struct audit_pending *async = NULL, **tail = &async;
	long long t0;
	unsigned long long t1;
	int rc, ok;

	chain_get(a, &b.ch);
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	t0 = real_now_us();
	t1 = metrics_now_ns();
	ok = db_tx_run(a->db, batch_tx, &b, &rc) == 0;
	metrics_observe_since(&a->commit_latency, t1);
	t0 = real_now_us() - t0;
	lockorder_lock(&a->lock, LOCK_AUDIT);
	a->last_commit_us = t0 > 0 ? t0 : 0;
	a->counters.commits++;
	a->counters.commit_us += (unsigned long long)a->last_commit_us;
	publish(a, &b.ch, ok, rc);
	for (struct audit_pending *p = list, *next; p != NULL; p = next) {
		next = p->next;
		if (!ok)
			p->id = -1;
		if (ok)
			a->counters.appended++;
		else
			a->counters.failed++;
		if (p->done_fn != NULL) {
			*tail = p;
			tail = &p->next;
		} else {
			p->done = 1; /* p belongs to a waiting caller: not touched again */
		}
	}
	*tail = NULL;
	pthread_cond_broadcast(&a->done);
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	for (struct audit_pending *p = async, *next; p != NULL; p = next) {
		next = p->next;
		p->done_fn(p->done_arg, p->id);
		pending_free(p);
	}
	lockorder_lock(&a->lock, LOCK_AUDIT);
}

/* Group commit (a->lock held): the callers of the last commit are most of
 * the appends in flight, and each appends again soon after its answer.
 * Wait for as many rows as the last commit carried, at most half the time
 * it took (between LINGER_MIN and LINGER_MAX), so that one commit carries
 * them all instead of a few at a time; a lone writer never waits. */
static void
gather(struct audit *a)
{
	long long wait_us = a->last_commit_us / 2, end;

	if (a->nqueued >= a->expect || a->stopping)
		return;
	wait_us = wait_us < LINGER_MIN ? LINGER_MIN : wait_us > LINGER_MAX ? LINGER_MAX : wait_us;
	end = real_now_us() + wait_us;
	a->want = a->expect;
	while (a->nqueued < a->want && !a->stopping && real_now_us() < end) {
		struct timespec ts = {(time_t)(end / 1000000), (long)(end % 1000000) * 1000};

		pthread_cond_timedwait(&a->wake, &a->lock, &ts);
	}
	a->want = 0;
}

/* Queue p (a->lock held) and wake the writer when it waits for it. */
static void
enqueue(struct audit *a, struct audit_pending *p)
{
	if (a->tail != NULL)
		a->tail->next = p;
	else
		a->head = p;
	a->tail = p;
	a->nqueued++;
	if (a->want == 0 || a->nqueued >= a->want)
		pthread_cond_signal(&a->wake);
}

/* ------------------------------------------------------------------------- */
/* Retention */

static long long
query_ll(sqlite3 *c, sqlite3_stmt *st, int *rc)
{
	long long v = -1;
	int r;

	if (st == NULL) {
		*rc = SQLITE_ERROR;
		return -1;
	}
	r = sqlite3_step(st);

	if (r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	else if (r != SQLITE_ROW && r != SQLITE_DONE)
		*rc = sqlite3_extended_errcode(c);
	sqlite3_finalize(st);
	return v;
}

static long long
first_id(sqlite3 *c, int *rc)
{
	return query_ll(c, db_prepare(c, "SELECT min(id) FROM events"), rc);
}

/* The newest row older than cutoff_us (time never decreases with id). */
static long long
last_id_before(sqlite3 *c, long long cutoff_us, int *rc)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT id FROM events WHERE time < ?1 "
	                                 "ORDER BY time DESC, id DESC LIMIT 1");
	char t[AUDIT_TIME_LEN + 1];

	if (st == NULL)
		return -1;
	audit_time_format(cutoff_us, t);
	sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
	return query_ll(c, st, rc);
}

/* The hash of the newest row with id <= upto: the link the anchor keeps. */
static int
hash_at(sqlite3 *c, long long upto, long long *id, char hash[65])
{
	sqlite3_stmt *st = db_prepare(c, "SELECT id, hash FROM events WHERE id <= ?1 "
	                                 "ORDER BY id DESC LIMIT 1");
	int rc = SQLITE_ERROR;

	if (st == NULL)
		return sqlite3_errcode(c);
	sqlite3_bind_int64(st, 1, upto);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(hash, 65, "%s", db_column_text(st, 1));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
delete_upto(sqlite3 *c, long long upto, long long *n)
{
	sqlite3_stmt *r = db_prepare(c, "DELETE FROM event_rules WHERE event_id <= ?1");
	sqlite3_stmt *e = db_prepare(c, "DELETE FROM events WHERE id <= ?1");
	int rc = SQLITE_ERROR;

	if (r == NULL || e == NULL)
		goto out;
	sqlite3_bind_int64(r, 1, upto);
	sqlite3_bind_int64(e, 1, upto);
	if ((rc = step_done(c, r)) != SQLITE_OK || (rc = step_done(c, e)) != SQLITE_OK)
		goto out;
	*n = sqlite3_changes(c);
out:
	sqlite3_finalize(r);
	sqlite3_finalize(e);
	return rc;
}

struct prune {
	struct audit *a;
	struct chain ch;
	long long deleted;
};

/* One retention step: delete up to PRUNE_BATCH of the oldest rows that
 * retention wants gone, and append the anchor for them. */
static int
prune_tx(sqlite3 *c, void *arg)
{
	struct prune *p = arg;
	struct audit *a = p->a;
	long long lo, upto = 0, id = 0, n = 0;
	char hash[65], rules[] = "[]", *data_json = NULL;
	json_t *data = NULL;
	struct audit_event ev = {0};
	int rc = SQLITE_OK;

	if ((rc = prepare_statements(a, c)) != SQLITE_OK)
		return rc;
	if ((lo = first_id(c, &rc)) < 0)
		return rc; /* empty, or an error */
	if (a->opts.retention_rows > 0 && p->ch.id - lo + 1 > a->opts.retention_rows)
		upto = p->ch.id - a->opts.retention_rows + 1; /* leave room for the anchor */
	if (a->opts.retention_days > 0) {
		long long old =
		    last_id_before(c, now_us(a) - a->opts.retention_days * US_PER_DAY, &rc);
		if (rc != SQLITE_OK)
			return rc;
		if (old > upto)
			upto = old;
	}
	if (upto < lo)
		return SQLITE_OK;
	if (upto > lo + PRUNE_BATCH - 1)
		upto = lo + PRUNE_BATCH - 1;
	if ((rc = hash_at(c, upto, &id, hash)) != SQLITE_OK || (rc = delete_upto(c, upto, &n)))
		return rc;
	if ((data = audit_anchor_data(a, n, id, hash)) == NULL ||
	    (data_json = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	ev.action = AUDIT_ACTION_PRUNED;
	ev.component = "audit";
	ev.policy_version = -1;
	rc = chain_insert(a, c, &p->ch, &ev, rules, data_json, now_us(a));
	p->deleted = n;
out:
	free(data_json);
	json_decref(data);
	return rc;
}

/* Run retention steps until nothing is left to prune, or appends are waiting
 * (unless all is set). Called and returns with a->lock held. Returns the rows
 * deleted, or -1. */
static long long
prune_run(struct audit *a, int all)
{
	long long total = 0;

	if (a->opts.retention_rows <= 0 && a->opts.retention_days <= 0)
		return 0;
	for (;;) {
		struct prune p = {a, {0, 0, {0}}, 0};
		int rc, ok;

		chain_get(a, &p.ch);
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		ok = db_tx_run(a->db, prune_tx, &p, &rc) == 0;
		lockorder_lock(&a->lock, LOCK_AUDIT);
		publish(a, &p.ch, ok, rc);
		if (!ok)
			return -1;
		if (p.deleted == 0)
			break;
		a->counters.pruned += (unsigned long long)p.deleted;
		total += p.deleted;
		log_info("audit: retention pruned %lld rows", p.deleted);
		if (!all && a->head != NULL)
			break;
	}
	return total;
}

/* ------------------------------------------------------------------------- */
/* The writer thread */

static void *
writer_main(void *arg)
{
	struct audit *a = arg;
	long long last_prune = real_now_us();

	lockorder_lock(&a->lock, LOCK_AUDIT);
	for (;;) {
		if (a->head != NULL) {
			struct audit_pending *list;
			size_t n;

			gather(a);
			list = a->head;
			n = a->nqueued;
			a->head = a->tail = NULL;
			a->nqueued = 0;
			write_batch(a, list);
			a->expect = n;
		} else if (a->prune_requested) {
			a->prune_requested = 0;
			a->prune_running = 1;
			a->prune_result = prune_run(a, 1);
			a->prune_running = 0;
			a->prune_gen++;
			pthread_cond_broadcast(&a->done);
		} else if (a->stopping) {
			break;
		} else {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&a->wake, &a->lock, &ts);
		}
		/* Retention runs when idle, and at least once a second when busy. */
		if (!a->stopping && real_now_us() - last_prune >= PRUNE_EVERY) {
			prune_run(a, 0);
			last_prune = real_now_us();
		}
	}
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* Public API */

static int
chain_load(struct audit *a, char **err)
{
	sqlite3 *c = db_reader_get(a->db);
	sqlite3_stmt *st = NULL;
	int rc, result = -1;

	if (c == NULL ||
	    (st = db_prepare(c, "SELECT id, time, hash FROM events ORDER BY id DESC LIMIT 1")) ==
	        NULL) {
		audit_seterr(err, "cannot read the audit log");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->last_id = sqlite3_column_int64(st, 0);
		if (audit_time_parse(db_column_text(st, 1), &a->last_time_us) != 0)
			a->last_time_us = 0;
		snprintf(a->last_hash, sizeof(a->last_hash), "%s", db_column_text(st, 2));
	} else if (rc != SQLITE_DONE) {
		audit_seterr(err, "cannot read the audit log: %s", sqlite3_errmsg(c));
		goto out;
	}
	result = 0;
out:
	sqlite3_finalize(st);
	db_reader_put(a->db, c);
	return result;
}

/* The signing key is made with the database's first rows, so where it
 * exists a log existed: a database missing or empty beside it was lost or
 * removed, and a fresh one would hide that. 0 when dbpath may be opened
 * (a->reset_reason set when it starts a new log), else -1 with *err. */
static int
check_not_lost(struct audit *a, const char *state_dir, const char *dbpath, char **err)
{
	char *key = NULL;
	const char *why = NULL;
	struct stat st;

	if (asprintf(&key, "%s/audit-signing.key", state_dir) < 0)
		return -1;
	if (lstat(key, &st) == 0) {
		if (lstat(dbpath, &st) != 0)
			why = errno == ENOENT ? "missing" : NULL;
		else if (S_ISREG(st.st_mode) && st.st_size == 0)
			why = "empty";
	}
	if (why != NULL && !a->opts.allow_reset) {
		audit_seterr(err,
		             "%s is %s, but the signing key %s exists: the audit log was lost or "
		             "removed; restore it from a backup, or start a new log with "
		             "--audit-reset (recorded in the new log)",
		             dbpath, why, key);
		free(key);
		return -1;
	}
	a->reset_reason = why;
	free(key);
	return 0;
}

/* The first row of a log started by --audit-reset. */
static int
record_reset(struct audit *a)
{
	struct audit_event ev = {.policy_version = -1};
	json_t *data =
	    json_pack("{s:s, s:s}", "database", a->reset_reason, "publicKey", a->pubkey_hex);
	long long id;

	ev.action = "audit.reset";
	ev.actor = "locksetd";
	ev.component = "audit";
	ev.data = data;
	id = data != NULL ? audit_append_own(a, &ev) : -1;
	json_decref(data);
	if (id < 0)
		return -1;
	log_warnx("audit: the database was %s: a new log starts at row %lld (audit.reset)",
	          a->reset_reason, id);
	return 0;
}

static int
open_parts(struct audit *a, const char *state_dir, char **err)
{
	struct db_opts dbo = {a->opts.synchronous_full, a->opts.busy_timeout_ms, 0};
	unsigned char pub[32];
	size_t publen = sizeof(pub);
	char *path = NULL, hostbuf[256];

	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		audit_seterr(err, "%s: %s", state_dir, strerror(errno));
		return -1;
	}
	if (asprintf(&path, "%s/lockset.db", state_dir) < 0)
		return -1;
	if (check_not_lost(a, state_dir, path, err) != 0) {
		free(path);
		return -1;
	}
	a->db = db_open(path, &dbo, err);
	free(path);
	if (a->db == NULL || (a->key = audit_key_load(state_dir, err)) == NULL)
		return -1;
	if (EVP_PKEY_get_raw_public_key(a->key, pub, &publen) != 1 || publen != 32)
		return -1;
	for (size_t i = 0; i < 32; i++)
		snprintf(a->pubkey_hex + 2 * i, 3, "%02x", pub[i]);
	if (a->opts.host == NULL) {
		if (gethostname(hostbuf, sizeof(hostbuf)) != 0)
			snprintf(hostbuf, sizeof(hostbuf), "localhost");
		hostbuf[sizeof(hostbuf) - 1] = '\0';
	}
	if ((a->host = strdup(a->opts.host ? a->opts.host : hostbuf)) == NULL)
		return -1;
	a->opts.host = NULL;
	return chain_load(a, err);
}

struct audit *
audit_open(const char *state_dir, const struct audit_opts *o, char **err)
{
	struct audit *a = calloc(1, sizeof(*a));

	*err = NULL;
	if (a == NULL)
		return NULL;
	if (o != NULL)
		a->opts = *o;
	else
		a->opts.synchronous_full = 1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	pthread_cond_init(&a->done, NULL);
	a->healthy = 1;
	memcpy(a->last_hash, AUDIT_ZERO_HASH, sizeof(a->last_hash));
	if (open_parts(a, state_dir, err) != 0)
		goto fail;
	if (pthread_create(&a->writer, NULL, writer_main, a) != 0) {
		audit_seterr(err, "cannot start the audit writer thread");
		goto fail;
	}
	a->writer_started = 1;
	if (a->reset_reason != NULL && record_reset(a) != 0) {
		audit_seterr(err, "%s: cannot record the reset of the audit log", state_dir);
		goto fail;
	}
	return a;
fail:
	if (*err == NULL)
		audit_seterr(err, "%s: cannot open the audit log", state_dir);
	audit_close(a);
	return NULL;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->writer_started) {
		lockorder_lock(&a->lock, LOCK_AUDIT);
		a->stopping = 1;
		pthread_cond_signal(&a->wake);
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		pthread_join(a->writer, NULL);
	}
	finalize_statements(a);
	db_close(a->db);
	EVP_PKEY_free(a->key);
	free(a->host);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->done);
	free(a);
}

struct db *
audit_db(struct audit *a)
{
	return a->db;
}

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
	p.time_us = now_us(a);
	lockorder_lock(&a->lock, LOCK_AUDIT);
	if (a->stopping) {
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		goto out;
	}
	enqueue(a, &p);
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
		pending_free(p);
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
		pending_free(p);
		return -1;
	}
	p->ev = &p->copy;
	p->done_fn = done;
	p->done_arg = arg;
	p->time_us = now_us(a);
	lockorder_lock(&a->lock, LOCK_AUDIT);
	if (a->stopping) {
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		pending_free(p);
		return -1;
	}
	enqueue(a, p);
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return 0;
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
