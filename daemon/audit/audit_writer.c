/* SPDX-License-Identifier: Apache-2.0 */
/* The audit writer thread: appends queue up and are group-committed in one
 * transaction extending the hash chain, which also keeps health; retention
 * runs on the same thread and leaves a signed anchor for what it deletes. */
#include "audit_int.h"
#include "util/lockorder.h"

#include "store/db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRUNE_BATCH 1000      /* rows deleted per retention transaction */
#define LINGER_MIN  50        /* microseconds a group commit may wait for more rows, */
#define LINGER_MAX  2000      /* ... at most, whatever the last commit took */
#define PRUNE_EVERY 1000000LL /* microseconds between retention checks */
#define US_PER_DAY  86400000000LL

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

long long
audit_now_us(const struct audit *a)
{
	return a->opts.now_us ? a->opts.now_us() : real_now_us();
}

/* ------------------------------------------------------------------------- */
/* Writing rows (writer thread, inside a db_tx_run transaction) */

void
audit_statements_finalize(struct audit *a)
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
		audit_head_write(a);
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
void
audit_pending_free(struct audit_pending *p)
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
 * held. Asynchronous callers are handed to the notifier thread, which calls
 * them back while this thread goes on to the next batch. */
static void
write_batch(struct audit *a, struct audit_pending *list)
{
	struct batch b = {a, list, {0, 0, {0}}};
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
			p->next = NULL;
			*a->finished_tail = p;
			a->finished_tail = &p->next;
		} else {
			p->done = 1; /* p belongs to a waiting caller: not touched again */
		}
	}
	if (a->finished != NULL)
		pthread_cond_signal(&a->notify);
	pthread_cond_broadcast(&a->done);
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
void
audit_enqueue(struct audit *a, struct audit_pending *p)
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

/* The newest id older than cutoff_us (time never decreases with id): the one
 * before the first at or after it; LLONG_MAX - 1 when every row is older. */
static long long
last_id_before(sqlite3 *c, long long cutoff_us, int *rc)
{
	long long first;

	if (audit_id_at_time(c, cutoff_us, &first) != 0) {
		*rc = sqlite3_extended_errcode(c) != SQLITE_OK ? sqlite3_extended_errcode(c)
		                                               : SQLITE_ERROR;
		return -1;
	}
	return first - 1;
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

/* The newest bundle version this host installed among the rows up to upto
 * (or carried by an earlier anchor among them), and whether any of them
 * expires: the rows a host's rollback floor is read from (fleet/upstream.c),
 * which the anchor carries on (bundleFloor, bundleExpiring) so that
 * retention does not take it. *floor -1 when there is none. */
static int
bundle_floor(sqlite3 *c, long long upto, long long *floor, int *expiring)
{
	sqlite3_stmt *st = db_prepare(
	    c, "SELECT max(v), max(e) FROM ("
	       "SELECT json_extract(data, '$.bundleVersion') AS v, "
	       "json_extract(data, '$.expires') IS NOT NULL AS e FROM events "
	       "WHERE action = 'policy.bundle.installed' AND id <= ?1 UNION ALL "
	       "SELECT json_extract(data, '$.bundleFloor'), json_extract(data, '$.bundleExpiring') "
	       "FROM events WHERE action = '" AUDIT_ACTION_PRUNED "' AND id <= ?1 AND "
	       "json_extract(data, '$.bundleFloor') IS NOT NULL)");
	int rc;

	*floor = -1;
	*expiring = 0;
	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, upto);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*floor = sqlite3_column_int64(st, 0);
		*expiring = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
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
	long long lo, upto = 0, id = 0, n = 0, unsent, floor;
	int expiring;
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
		    last_id_before(c, audit_now_us(a) - a->opts.retention_days * US_PER_DAY, &rc);
		if (rc != SQLITE_OK)
			return rc;
		if (old > upto)
			upto = old;
	}
	/* Rows the syslog receiver has not confirmed stay until it has: a flood
	 * while it is out of reach cannot push them out unsent. */
	unsent = __atomic_load_n(&a->syslog_unsent, __ATOMIC_ACQUIRE);
	if (unsent > 0 && upto > unsent - 1)
		upto = unsent - 1;
	if (upto < lo)
		return SQLITE_OK;
	if (upto > lo + PRUNE_BATCH - 1)
		upto = lo + PRUNE_BATCH - 1;
	if ((rc = hash_at(c, upto, &id, hash)) != SQLITE_OK ||
	    (rc = bundle_floor(c, upto, &floor, &expiring)) != SQLITE_OK ||
	    (rc = delete_upto(c, upto, &n)) != SQLITE_OK)
		return rc;
	if ((data = audit_anchor_data(a, n, id, hash)) == NULL ||
	    (floor >= 0 &&
	     (json_object_set_new(data, "bundleFloor", json_integer(floor)) != 0 ||
	      json_object_set_new(data, "bundleExpiring", json_boolean(expiring)) != 0)) ||
	    (data_json = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	ev.action = AUDIT_ACTION_PRUNED;
	ev.component = "audit";
	ev.policy_version = -1;
	rc = chain_insert(a, c, &p->ch, &ev, rules, data_json, audit_now_us(a));
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

void *
audit_writer_main(void *arg)
{
	struct audit *a = arg;
	long long last_prune = real_now_us();

	pthread_setname_np(pthread_self(), "audit-writer");
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
