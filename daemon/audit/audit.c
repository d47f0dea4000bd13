/* SPDX-License-Identifier: Apache-2.0 */
/* Opening and closing the audit log: the state directory, the database and
 * its signing key, the chain head to extend, a lost log refused (or reset
 * and recorded), and the writer and notifier threads started and stopped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif
#include "audit_int.h"
#include "audit_syslog.h"
#include "util/lockorder.h"

#include "store/db.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

long long
audit_record_own(struct audit *a, const char *action, json_t *data)
{
	struct audit_event ev = {.policy_version = -1};
	long long id;

	ev.action = action;
	ev.actor = "locksetd";
	ev.component = "audit";
	ev.data = data;
	id = data != NULL ? audit_append_own(a, &ev) : -1;
	json_decref(data);
	return id;
}

/* The first row of a log started by --audit-reset. */
static int
record_reset(struct audit *a)
{
	long long id = audit_record_own(
	    a, "audit.reset",
	    json_pack("{s:s, s:s}", "database", a->reset_reason, "publicKey", a->pubkey_hex));

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
	if (chain_load(a, err) != 0)
		return -1;
	return audit_head_open(a, state_dir, err);
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
	pthread_cond_init(&a->notify, NULL);
	audit_cp_init(a);
	a->finished_tail = &a->finished;
	a->healthy = 1;
	a->head_fd = -1;
	memcpy(a->last_hash, AUDIT_ZERO_HASH, sizeof(a->last_hash));
	if (open_parts(a, state_dir, err) != 0)
		goto fail;
	if (pthread_create(&a->notifier, NULL, audit_notifier_main, a) != 0) {
		audit_seterr(err, "cannot start the audit notifier thread");
		goto fail;
	}
	a->notifier_started = 1;
	if (pthread_create(&a->writer, NULL, audit_writer_main, a) != 0) {
		audit_seterr(err, "cannot start the audit writer thread");
		goto fail;
	}
	a->writer_started = 1;
	if (a->reset_reason != NULL && record_reset(a) != 0) {
		audit_seterr(err, "%s: cannot record the reset of the audit log", state_dir);
		goto fail;
	}
	if (audit_head_record_rollback(a) != 0) {
		audit_seterr(err, "%s: cannot record that the audit log was rolled back",
		             state_dir);
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
	/* Their threads append and read rows: stopped while the writer runs. */
	audit_checkpoint_stop(a);
	audit_syslog_stop(a);
	if (a->writer_started) {
		lockorder_lock(&a->lock, LOCK_AUDIT);
		a->stopping = 1;
		pthread_cond_signal(&a->wake);
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		pthread_join(a->writer, NULL);
	}
	if (a->notifier_started) {
		/* After the writer: every append it finished is called back. */
		lockorder_lock(&a->lock, LOCK_AUDIT);
		a->notifier_stop = 1;
		pthread_cond_signal(&a->notify);
		lockorder_unlock(&a->lock, LOCK_AUDIT);
		pthread_join(a->notifier, NULL);
	}
	audit_statements_finalize(a);
	audit_head_close(a);
	db_close(a->db);
	EVP_PKEY_free(a->key);
	free(a->host);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->done);
	pthread_cond_destroy(&a->notify);
	audit_cp_destroy(a);
	free(a);
}

struct db *
audit_db(struct audit *a)
{
	return a->db;
}
