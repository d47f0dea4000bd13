/* SPDX-License-Identifier: Apache-2.0 */
/* The forwarding thread (see audit_syslog.h). Three numbers track delivery:
 * sent (the last row written on this connection), acked (rows written
 * before the send queue was last seen empty, each with the time it was) and
 * confirmed (acknowledged rows whose grace period passed on a live
 * connection). Only confirmed is saved, at most once a second and when
 * caught up; a lost connection restarts at confirmed, so every row not
 * confirmed is sent again. */
#include "audit_syslog_int.h"

#include "audit_int.h"
#include "store/db.h"
#include "log.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_ROWS 256
#define ACKED_MAX  64
#define RETRY_MAX  30000 /* ms between connection attempts, at most */
#define IDLE_MS    100   /* look for new rows and a dead receiver this often */
#define SAVE_MS    1000

struct syslog_fwd {
	struct audit *a;
	struct audit_syslog_target t;
	char *spec;
	SSL_CTX *ctx;
	struct syslog_conn c;
	int connected;
	long long sent, confirmed, saved, acked_last;
	struct {
		long long id;
		long long at_ms;
	} acked[ACKED_MAX];
	int nacked;
	unsigned failures;
	long long retry_at_ms, saved_at_ms;
	pthread_t thread;
	int running;
	pthread_mutex_t lock; /* everything below, and stop */
	pthread_cond_t cond;
	int stop;
	int up;
	long long confirmed_pub;
	unsigned long long n_sent, n_connect_failures, n_write_failures, n_pruned_unsent;
	char last_error[512];
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms or until stopped; 1 when stopped. */
static int
idle(struct syslog_fwd *f, long long ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	lockorder_lock(&f->lock, LOCK_AUDIT_SYSLOG);
	if (!f->stop)
		pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	stop = f->stop;
	lockorder_unlock(&f->lock, LOCK_AUDIT_SYSLOG);
	return stop;
}

static long long
head_id(struct audit *a)
{
	long long id;

	lockorder_lock(&a->lock, LOCK_AUDIT);
	id = a->last_id;
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	return id;
}

/* ------------------------------------------------------------------------ */
/* The cursor (syslog_cursor) */

static long long
cursor_load(struct syslog_fwd *f)
{
	sqlite3 *c = db_reader_get(audit_db(f->a));
	sqlite3_stmt *st;
	long long id = 0;

	if (c == NULL)
		return 0;
	st = db_prepare(c, "SELECT last_id FROM syslog_cursor WHERE target = ?1");
	if (st != NULL) {
		db_bind_text(st, 1, f->spec);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	db_reader_put(audit_db(f->a), c);
	return id;
}

static int
save_tx(sqlite3 *c, void *arg)
{
	struct syslog_fwd *f = arg;
	char now[AUDIT_TIME_LEN + 1];
	struct timespec ts;
	sqlite3_stmt *st;

	clock_gettime(CLOCK_REALTIME, &ts);
	audit_time_format((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, now);
	st = db_prepare(c,
	                "INSERT INTO syslog_cursor (target, last_id, updated) VALUES (?1, ?2, ?3) "
	                "ON CONFLICT (target) DO UPDATE SET last_id = ?2, updated = ?3");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, f->spec);
	sqlite3_bind_int64(st, 2, f->confirmed);
	db_bind_text(st, 3, now);
	return db_step_done(st);
}

static void
cursor_save(struct syslog_fwd *f)
{
	if (f->confirmed == f->saved)
		return;
	f->saved_at_ms = now_ms();
	if (db_tx_run(audit_db(f->a), save_tx, f, NULL) == 0)
		f->saved = f->confirmed;
	else
		log_warnx("syslog: cannot save the cursor (%lld); retrying", f->confirmed);
}

/* ------------------------------------------------------------------------ */
/* Connection and delivery */

static void
set_state(struct syslog_fwd *f, int up, const char *error)
{
	lockorder_lock(&f->lock, LOCK_AUDIT_SYSLOG);
	f->up = up;
	if (error != NULL)
		snprintf(f->last_error, sizeof(f->last_error), "%s", error);
	f->confirmed_pub = f->confirmed;
	lockorder_unlock(&f->lock, LOCK_AUDIT_SYSLOG);
	__atomic_store_n(&f->a->syslog_unsent, f->confirmed + 1, __ATOMIC_RELEASE);
}

static void
count(struct syslog_fwd *f, unsigned long long *n, unsigned long long by)
{
	lockorder_lock(&f->lock, LOCK_AUDIT_SYSLOG);
	*n += by;
	lockorder_unlock(&f->lock, LOCK_AUDIT_SYSLOG);
}

/* The connection is gone: rows not confirmed will be sent again. */
static void
drop(struct syslog_fwd *f)
{
	log_warnx("syslog: %s: %s; resending from row %lld", f->spec, f->c.error, f->confirmed + 1);
	syslog_conn_close(&f->c);
	f->connected = 0;
	f->nacked = 0;
	set_state(f, 0, f->c.error);
}

static void
try_connect(struct syslog_fwd *f)
{
	long long d = 1000;
	unsigned r = 0;

	if (syslog_conn_open(&f->c, &f->t, f->ctx) == 0) {
		if (f->failures > 0 || f->sent > 0)
			log_info("syslog: connected to %s; sending from row %lld", f->spec,
			         f->confirmed + 1);
		f->connected = 1;
		f->failures = 0;
		f->sent = f->acked_last = f->confirmed;
		set_state(f, 1, "");
		return;
	}
	for (unsigned i = 0; i < f->failures && d < RETRY_MAX; i++)
		d *= 2;
	d = d < RETRY_MAX ? d : RETRY_MAX;
	f->failures++;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	f->retry_at_ms = now_ms() + d / 2 + (long long)(r % (unsigned)(d / 2 + 1));
	if (f->failures == 1)
		log_warnx("syslog: %s: %s", f->spec, f->c.error);
	count(f, &f->n_connect_failures, 1);
	set_state(f, 0, f->c.error);
}

/* One octet-counted frame (stream) or datagram of row r, added to out. */
static int
frame(struct syslog_fwd *f, const struct audit_row *r, char **out, size_t *len)
{
	size_t mlen = 0;
	char *msg = audit_syslog_format(r, (long)getpid(), &mlen), *p, prefix[24];
	int plen = 0;

	if (msg == NULL)
		return -1;
	if (!f->c.stream) {
		int rc = syslog_conn_write(&f->c, msg, mlen);
		free(msg);
		return rc;
	}
	plen = snprintf(prefix, sizeof(prefix), "%zu ", mlen);
	if ((p = realloc(*out, *len + (size_t)plen + mlen)) == NULL) {
		free(msg);
		return -1;
	}
	memcpy(p + *len, prefix, (size_t)plen);
	memcpy(p + *len + plen, msg, mlen);
	*out = p;
	*len += (size_t)plen + mlen;
	free(msg);
	return 0;
}

/* Send up to BATCH_ROWS rows after f->sent. -1 when the connection failed. */
static int
send_batch(struct syslog_fwd *f)
{
	sqlite3 *c = db_reader_get(audit_db(f->a));
	sqlite3_stmt *st = NULL;
	struct audit_row r;
	char *buf = NULL;
	size_t len = 0;
	long long last = f->sent;
	int rc = 0, n = 0;

	if (c == NULL)
		return 0; /* every reader busy: next time */
	st = db_prepare(c, "SELECT id, time, action, actor, host, component, subject, decision, "
	                   "rules, data, policy_version, prev_hash, hash FROM events "
	                   "WHERE id > ?1 ORDER BY id LIMIT ?2");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, f->sent);
		sqlite3_bind_int(st, 2, BATCH_ROWS);
	}
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		audit_row_from_stmt(st, &r);
		if (n++ == 0 && r.id > f->sent + 1) {
			log_warnx("syslog: rows %lld to %lld were pruned before they were sent",
			          f->sent + 1, r.id - 1);
			count(f, &f->n_pruned_unsent, (unsigned long long)(r.id - f->sent - 1));
		}
		if ((rc = frame(f, &r, &buf, &len)) != 0)
			break;
		last = r.id;
	}
	sqlite3_finalize(st);
	db_reader_put(audit_db(f->a), c);
	if (rc == 0 && len > 0)
		rc = syslog_conn_write(&f->c, buf, len);
	free(buf);
	if (rc != 0) {
		count(f, &f->n_write_failures, 1);
		return -1;
	}
	count(f, &f->n_sent, (unsigned long long)(last - f->sent));
	f->sent = last;
	return 0;
}

/* Move rows from sent to acked to confirmed as the receiver takes them. */
static void
settle(struct syslog_fwd *f, long long now)
{
	if (f->sent > f->acked_last && syslog_conn_acked(&f->c)) {
		if (f->nacked == ACKED_MAX) {
			/* Forget the oldest: a later one confirms its rows, later. */
			memmove(f->acked, f->acked + 1, sizeof(f->acked[0]) * (ACKED_MAX - 1));
			f->nacked--;
		}
		f->acked[f->nacked].id = f->sent;
		f->acked[f->nacked].at_ms = now;
		f->nacked++;
		f->acked_last = f->sent;
	}
	while (f->nacked > 0 &&
	       (!f->c.stream || now - f->acked[0].at_ms >= AUDIT_SYSLOG_GRACE_MS)) {
		f->confirmed = f->acked[0].id;
		memmove(f->acked, f->acked + 1, sizeof(f->acked[0]) * (size_t)(f->nacked - 1));
		f->nacked--;
	}
	set_state(f, 1, NULL);
}

static void *
fwd_main(void *arg)
{
	struct syslog_fwd *f = arg;

	while (!idle(f, 0)) {
		long long now = now_ms(), head;

		if (!f->connected) {
			if (now >= f->retry_at_ms)
				try_connect(f);
			if (!f->connected) {
				idle(f, f->retry_at_ms - now < IDLE_MS ? IDLE_MS
				                                       : f->retry_at_ms - now);
				continue;
			}
		}
		if (!syslog_conn_alive(&f->c)) {
			drop(f);
			continue;
		}
		head = head_id(f->a);
		if (f->sent < head && send_batch(f) != 0) {
			drop(f);
			continue;
		}
		settle(f, now);
		if (f->confirmed != f->saved &&
		    (now - f->saved_at_ms >= SAVE_MS || f->confirmed == head))
			cursor_save(f);
		if (f->sent >= head)
			idle(f, IDLE_MS);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Life cycle and metrics */

static void
fwd_free(struct syslog_fwd *f)
{
	if (f == NULL)
		return;
	SSL_CTX_free(f->ctx);
	free(f->spec);
	free(f);
}

int
audit_syslog_start(struct audit *a, const char *spec, const char *cacert, char **err)
{
	struct syslog_fwd *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;

	if (f == NULL || (f->spec = strdup(spec)) == NULL) {
		*err = strdup("out of memory");
		fwd_free(f);
		return -1;
	}
	f->a = a;
	f->c.fd = -1;
	if (audit_syslog_parse_target(spec, &f->t, err) != 0 ||
	    (f->t.proto == SYSLOG_TLS && (f->ctx = syslog_tls_ctx(cacert, err)) == NULL)) {
		fwd_free(f);
		return -1;
	}
	f->confirmed = f->saved = f->sent = cursor_load(f);
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&f->thread, NULL, fwd_main, f) != 0) {
		*err = strdup("cannot start the syslog thread");
		fwd_free(f);
		return -1;
	}
	f->running = 1;
	__atomic_store_n(&a->syslog_unsent, f->confirmed + 1, __ATOMIC_RELEASE);
	a->syslog = f;
	log_info("syslog: forwarding the audit log to %s from row %lld", spec, f->confirmed + 1);
	return 0;
}

void
audit_syslog_stop(struct audit *a)
{
	struct syslog_fwd *f = a != NULL ? a->syslog : NULL;

	if (f == NULL)
		return;
	lockorder_lock(&f->lock, LOCK_AUDIT_SYSLOG);
	f->stop = 1;
	pthread_cond_signal(&f->cond);
	lockorder_unlock(&f->lock, LOCK_AUDIT_SYSLOG);
	pthread_join(f->thread, NULL);
	/* The receiver is still there and has every byte: nothing to resend. */
	if (f->connected && syslog_conn_alive(&f->c) && syslog_conn_acked(&f->c))
		f->confirmed = f->sent;
	cursor_save(f);
	syslog_conn_close(&f->c);
	__atomic_store_n(&a->syslog_unsent, 0, __ATOMIC_RELEASE);
	a->syslog = NULL;
	fwd_free(f);
}

void
audit_syslog_metrics(struct audit *a, FILE *out)
{
	struct syslog_fwd *f = a->syslog;
	long long head;

	if (f == NULL)
		return;
	head = head_id(f->a);
	lockorder_lock(&f->lock, LOCK_AUDIT_SYSLOG);
	fprintf(out,
	        "# HELP lockset_syslog_up 1 while connected to the syslog receiver.\n"
	        "# TYPE lockset_syslog_up gauge\nlockset_syslog_up %d\n"
	        "# HELP lockset_syslog_lag_rows Audit rows not yet confirmed by the receiver.\n"
	        "# TYPE lockset_syslog_lag_rows gauge\nlockset_syslog_lag_rows %lld\n"
	        "# HELP lockset_syslog_confirmed_id The last audit row the receiver confirmed.\n"
	        "# TYPE lockset_syslog_confirmed_id gauge\nlockset_syslog_confirmed_id %lld\n"
	        "# HELP lockset_syslog_sent_total Audit rows written to the receiver (resent ones "
	        "again).\n"
	        "# TYPE lockset_syslog_sent_total counter\nlockset_syslog_sent_total %llu\n"
	        "# HELP lockset_syslog_failures_total Failed connection attempts and writes.\n"
	        "# TYPE lockset_syslog_failures_total counter\n"
	        "lockset_syslog_failures_total{stage=\"connect\"} %llu\n"
	        "lockset_syslog_failures_total{stage=\"write\"} %llu\n"
	        "# HELP lockset_syslog_pruned_unsent_total Rows retention removed before they were "
	        "sent.\n"
	        "# TYPE lockset_syslog_pruned_unsent_total counter\n"
	        "lockset_syslog_pruned_unsent_total %llu\n",
	        f->up, head - f->confirmed_pub > 0 ? head - f->confirmed_pub : 0, f->confirmed_pub,
	        f->n_sent, f->n_connect_failures, f->n_write_failures, f->n_pruned_unsent);
	lockorder_unlock(&f->lock, LOCK_AUDIT_SYSLOG);
}
