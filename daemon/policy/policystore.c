/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite side of the policy history: one function per query, bound
 * parameters only. Writes go through db_tx_run on the shared write
 * connection; reads take a pooled read connection. */
#include "policystore.h"

#include "store/db.h"
#include "log.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

struct policystore {
	struct db *db; /* borrowed */
};

struct policystore *
policystore_open(struct db *db)
{
	struct policystore *ps = calloc(1, sizeof(*ps));

	if (ps != NULL)
		ps->db = db;
	return ps;
}

void
policystore_close(struct policystore *ps)
{
	free(ps);
}

static char *
canonical(const json_t *doc)
{
	return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
}

int
policystore_hash(const json_t *doc, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *text = canonical(doc);

	if (text == NULL)
		return -1;
	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	free(text);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

/* RFC 3339 UTC with microseconds, as the audit log writes times. */
static void
now_rfc3339(char out[32])
{
	struct timeval tv;
	struct tm tm;
	char base[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static json_t *
column_json(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_loads(db_column_text(st, col), JSON_DECODE_ANY, NULL);
}

/* ------------------------------------------------------------------------ */
/* The org policy */

int
policystore_latest(struct policystore *ps, long long *version, char hash[65])
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (c == NULL)
		return -1;
	st = db_prepare(c, "SELECT version, doc_hash FROM policy_versions "
	                   "ORDER BY version DESC LIMIT 1");
	if (st == NULL)
		goto out;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		snprintf(hash, 65, "%s", db_column_text(st, 1));
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = 1;
	}
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return rc;
}

struct add_args {
	const struct policystore_version *v;
	const char *text, *hash, *time;
	long long version;
};

static int
add_tx(sqlite3 *c, void *arg)
{
	struct add_args *a = arg;
	sqlite3_stmt *st;

	st = db_prepare(c, "INSERT INTO policy_versions (time, actor, comment, source, doc_hash, "
	                   "document) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->time);
	db_bind_text(st, 2, a->v->actor);
	db_bind_text(st, 3, a->v->comment ? a->v->comment : "");
	db_bind_text(st, 4, a->v->source);
	db_bind_text(st, 5, a->hash);
	db_bind_text(st, 6, a->text);
	return db_step_insert(c, st, &a->version);
}

int
policystore_add(struct policystore *ps, const struct policystore_version *v, long long *version)
{
	char hash[65], when[32];
	struct add_args a = {v, NULL, hash, when, 0};
	int rc = -1;

	a.text = json_dumps(v->doc, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	if (a.text == NULL || policystore_hash(v->doc, hash) != 0)
		goto out;
	now_rfc3339(when);
	if (db_tx_run(ps->db, add_tx, &a, NULL) != 0)
		goto out;
	*version = a.version;
	rc = 0;
out:
	free((char *)a.text);
	return rc;
}

static int
withdraw_tx(sqlite3 *c, void *arg)
{
	const long long *version = arg;
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM policy_versions WHERE version = ?1");

	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, *version);
	return db_step_done(st);
}

int
policystore_withdraw(struct policystore *ps, long long version)
{
	return db_tx_run(ps->db, withdraw_tx, &version, NULL);
}

json_t *
policystore_list(struct policystore *ps, int limit)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	json_t *arr = NULL;

	if (c == NULL)
		return NULL;
	st = db_prepare(c, "SELECT version, time, actor, comment, source, doc_hash "
	                   "FROM policy_versions ORDER BY version DESC LIMIT ?1");
	if (st == NULL || (arr = json_array()) == NULL)
		goto out;
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(
		    arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "version",
		                   (json_int_t)sqlite3_column_int64(st, 0), "time",
		                   db_column_text(st, 1), "actor", db_column_text(st, 2), "comment",
		                   db_column_text(st, 3), "source", db_column_text(st, 4), "hash",
		                   db_column_text(st, 5)));
	}
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return arr;
}

json_t *
policystore_user_history(struct policystore *ps, const char *user, int limit)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	json_t *arr = NULL;

	if (c == NULL)
		return NULL;
	st = db_prepare(c, "SELECT version, time, actor, comment, document FROM user_policies "
	                   "WHERE user = ?1 ORDER BY version DESC LIMIT ?2");
	if (st == NULL || (arr = json_array()) == NULL)
		goto out;
	db_bind_text(st, 1, user);
	sqlite3_bind_int(st, 2, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 4);
		json_t *doc = text ? json_loads(text, 0, NULL) : NULL;

		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:b, s:o}", "version",
		                                     (json_int_t)sqlite3_column_int64(st, 0),
		                                     "time", db_column_text(st, 1), "actor",
		                                     db_column_text(st, 2), "comment",
		                                     db_column_text(st, 3), "deleted", text == NULL,
		                                     "document", doc ? doc : json_null()));
	}
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return arr;
}

json_t *
policystore_get(struct policystore *ps, long long version, int *found)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	json_t *out = NULL;

	*found = 1;
	if (c == NULL)
		return NULL;
	st = db_prepare(c, "SELECT version, time, actor, comment, source, doc_hash, document "
	                   "FROM policy_versions WHERE version = ?1");
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, version);
	if (sqlite3_step(st) != SQLITE_ROW) {
		*found = 0;
		goto out;
	}
	out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o*}", "version",
	                (json_int_t)sqlite3_column_int64(st, 0), "time", db_column_text(st, 1),
	                "actor", db_column_text(st, 2), "comment", db_column_text(st, 3), "source",
	                db_column_text(st, 4), "hash", db_column_text(st, 5), "document",
	                column_json(st, 6));
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return out;
}

/* ------------------------------------------------------------------------ */
/* Per-user policies */

struct user_add_args {
	const char *user, *text, *actor, *comment, *time;
	long long version;
};

static int
user_next_version(sqlite3 *c, const char *user, long long *next)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT COALESCE(MAX(version), 0) + 1 FROM user_policies "
	                                 "WHERE user = ?1");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, user);
	rc = sqlite3_step(st);
	*next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int
user_add_tx(sqlite3 *c, void *arg)
{
	struct user_add_args *a = arg;
	sqlite3_stmt *st;
	int rc = user_next_version(c, a->user, &a->version);

	if (rc != SQLITE_OK)
		return rc;
	st = db_prepare(c, "INSERT INTO user_policies (user, version, time, actor, comment, "
	                   "document) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->user);
	sqlite3_bind_int64(st, 2, a->version);
	db_bind_text(st, 3, a->time);
	db_bind_text(st, 4, a->actor);
	db_bind_text(st, 5, a->comment ? a->comment : "");
	db_bind_text(st, 6, a->text);
	return db_step_done(st);
}

int
policystore_user_add(struct policystore *ps, const char *user, const json_t *doc, const char *actor,
                     const char *comment, long long *version)
{
	char when[32];
	struct user_add_args a = {user, NULL, actor, comment, when, 0};
	int rc = -1;

	if (doc != NULL && (a.text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII |
	                                                 JSON_PRESERVE_ORDER)) == NULL)
		return -1;
	now_rfc3339(when);
	if (db_tx_run(ps->db, user_add_tx, &a, NULL) == 0) {
		*version = a.version;
		rc = 0;
	}
	free((char *)a.text);
	return rc;
}

struct user_withdraw_args {
	const char *user;
	long long version;
};

static int
user_withdraw_tx(sqlite3 *c, void *arg)
{
	struct user_withdraw_args *a = arg;
	sqlite3_stmt *st = db_prepare(c, "DELETE FROM user_policies WHERE user = ?1 AND "
	                                 "version = ?2");

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->user);
	sqlite3_bind_int64(st, 2, a->version);
	return db_step_done(st);
}

int
policystore_user_withdraw(struct policystore *ps, const char *user, long long version)
{
	struct user_withdraw_args a = {user, version};

	return db_tx_run(ps->db, user_withdraw_tx, &a, NULL);
}

json_t *
policystore_user_current(struct policystore *ps)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	json_t *out = NULL;

	if (c == NULL)
		return NULL;
	st = db_prepare(c, "SELECT p.user, p.version, p.time, p.actor, p.document "
	                   "FROM user_policies p WHERE p.document IS NOT NULL AND p.version = "
	                   "(SELECT MAX(version) FROM user_policies q WHERE q.user = p.user)");
	if (st == NULL || (out = json_object()) == NULL)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *doc = column_json(st, 4);

		if (!json_is_object(doc)) {
			log_warnx("policy store: unreadable policy of user %s",
			          db_column_text(st, 0));
			json_decref(doc);
			continue;
		}
		json_object_set_new(out, db_column_text(st, 0),
		                    json_pack("{s:I, s:s, s:s, s:o}", "version",
		                              (json_int_t)sqlite3_column_int64(st, 1), "time",
		                              db_column_text(st, 2), "actor", db_column_text(st, 3),
		                              "document", doc));
	}
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return out;
}

/* ------------------------------------------------------------------------ */
/* User preferences */

struct prefs_args {
	const char *user, *time, *actor, *text;
	long max_users;
	int full;
};

/* Would storing a's user add one past max_users? */
static int
prefs_full(sqlite3 *c, struct prefs_args *a)
{
	sqlite3_stmt *st = db_prepare(c, "SELECT (SELECT COUNT(*) FROM user_prefs) >= ?2 AND NOT "
	                                 "EXISTS (SELECT 1 FROM user_prefs WHERE user = ?1)");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->user);
	sqlite3_bind_int64(st, 2, a->max_users);
	rc = sqlite3_step(st);
	a->full = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int
prefs_put_tx(sqlite3 *c, void *arg)
{
	struct prefs_args *a = arg;
	sqlite3_stmt *st;
	int rc;

	if ((rc = prefs_full(c, a)) != SQLITE_OK)
		return rc;
	if (a->full)
		return SQLITE_FULL;
	st = db_prepare(c, "INSERT INTO user_prefs (user, time, actor, prefs) VALUES (?1, ?2, ?3, "
	                   "?4) ON CONFLICT (user) DO UPDATE SET time = excluded.time, "
	                   "actor = excluded.actor, prefs = excluded.prefs");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->user);
	db_bind_text(st, 2, a->time);
	db_bind_text(st, 3, a->actor);
	db_bind_text(st, 4, a->text);
	return db_step_done(st);
}

int
policystore_prefs_put(struct policystore *ps, const char *user, const json_t *prefs,
                      const char *actor, long max_users)
{
	char when[32];
	struct prefs_args a = {user, when, actor, NULL, max_users, 0};
	int rc;

	a.text = json_dumps(prefs, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	if (a.text == NULL)
		return -1;
	now_rfc3339(when);
	rc = db_tx_run(ps->db, prefs_put_tx, &a, NULL);
	free((char *)a.text);
	return a.full ? -2 : rc;
}

json_t *
policystore_prefs_stale(struct policystore *ps, const char *cutoff, int limit)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	json_t *out = json_array();
	int step = SQLITE_ERROR;

	if (c == NULL || out == NULL)
		goto out;
	st = db_prepare(c, "SELECT user FROM user_prefs WHERE time < ?1 ORDER BY time LIMIT ?2");
	if (st == NULL)
		goto out;
	db_bind_text(st, 1, cutoff);
	sqlite3_bind_int(st, 2, limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, json_string(db_column_text(st, 0)));
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	if (step != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

struct prefs_remove_args {
	const json_t *users;
	const char *cutoff;
	long removed;
};

static int
prefs_remove_tx(sqlite3 *c, void *arg)
{
	struct prefs_remove_args *a = arg;
	sqlite3_stmt *st =
	    db_prepare(c, "DELETE FROM user_prefs WHERE user = ?1 AND (?2 IS NULL OR time < ?2)");
	const json_t *v;
	size_t i;
	int rc = SQLITE_OK;

	if (st == NULL)
		return SQLITE_ERROR;
	json_array_foreach(a->users, i, v)
	{
		db_bind_text(st, 1, json_string_value(v));
		db_bind_text(st, 2, a->cutoff);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
		a->removed += sqlite3_changes(c);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

long
policystore_prefs_remove(struct policystore *ps, const json_t *users, const char *cutoff)
{
	struct prefs_remove_args a = {users, cutoff, 0};

	return db_tx_run(ps->db, prefs_remove_tx, &a, NULL) == 0 ? a.removed : -1;
}

long
policystore_prefs_count_by(struct policystore *ps, const char *actor)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st =
	    c ? db_prepare(c, "SELECT COUNT(*) FROM user_prefs WHERE ?1 IS NULL OR actor = ?1")
	      : NULL;
	long n = -1;

	if (st != NULL && db_bind_text(st, 1, actor) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return n;
}

long
policystore_prefs_count(struct policystore *ps)
{
	return policystore_prefs_count_by(ps, NULL);
}

int
policystore_prefs_get(struct policystore *ps, const char *user, json_t **prefs)
{
	sqlite3 *c = db_reader_get(ps->db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	*prefs = NULL;
	if (c == NULL)
		return -1;
	st = db_prepare(c, "SELECT prefs FROM user_prefs WHERE user = ?1");
	if (st == NULL)
		goto out;
	db_bind_text(st, 1, user);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*prefs = column_json(st, 0);
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = 0;
	}
out:
	sqlite3_finalize(st);
	db_reader_put(ps->db, c);
	return rc;
}
