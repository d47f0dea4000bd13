/* SPDX-License-Identifier: Apache-2.0 */
/* The token store: SQLite table "tokens" (schema/sql/0002-admin.sql) plus an
 * in-memory cache of every token, refreshed after each change, so verifying a
 * request costs one SHA-256 and a constant-time scan. */
#include "tokens.h"

#include "audit/audit.h"
#include "util/names.h"
#include "auth.h"
#include "store/db.h"
#include "log.h"
#include "util/lockorder.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_MAX_FAILS   10 /* failed attempts per caller ... */
#define TOKEN_FAIL_WINDOW 60 /* ... within this many seconds, then 429 */
#define TOKEN_FAIL_SLOTS  64
#define TOKEN_AUDIT_MAX   100 /* failures audited one by one in a window, all callers */

struct token {
	char name[AUTH_TOKEN_NAME_MAX + 1];
	enum role role;
	unsigned char hash[32];
	long long expires; /* 0: never */
	int revoked;
};

struct fail_slot {
	char addr[64];
	time_t window_start;
	int count;
};

struct tokens {
	pthread_rwlock_t lock; /* toks and ntoks */
	struct token *toks;
	size_t ntoks;
	struct db *db;
	struct audit *audit;       /* records failed attempts */
	pthread_mutex_t fail_lock; /* fails, audit_window, audited */
	struct fail_slot fails[TOKEN_FAIL_SLOTS];
	time_t audit_window; /* when the current window of audited failures began */
	int audited;         /* failures audited in it */
	unsigned generation; /* bumped on every change of the table */
};

static void
sha256(const char *s, unsigned char out[32])
{
	unsigned int len = 0;

	EVP_Digest(s, strlen(s), out, &len, EVP_sha256(), NULL);
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static void
now_rfc3339(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Read the whole table on c into *out (malloc'd, *n entries). 0, or -1. */
static int
tokens_read(sqlite3 *c, struct token **out, size_t *n)
{
	sqlite3_stmt *st;
	struct token *v = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	st = db_prepare(c, "SELECT name, role, hash, COALESCE(expires, 0), revoked IS NOT NULL "
	                   "FROM tokens");
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct token *t, *nv = realloc(v, (*n + 1) * sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		t = &v[*n];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", db_column_text(st, 0));
		if (auth_role_parse(db_column_text(st, 1), &t->role) != 0 ||
		    unhex(db_column_text(st, 2), t->hash, 32) != 0)
			continue;
		t->expires = sqlite3_column_int64(st, 3);
		t->revoked = sqlite3_column_int(st, 4);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
}

/* Make v (n entries; stolen) t's cache. */
static void
tokens_install(struct tokens *t, struct token *v, size_t n)
{
	lockorder_wrlock(&t->lock, LOCK_TOKENS);
	free(t->toks);
	t->toks = v;
	t->ntoks = n;
	__atomic_add_fetch(&t->generation, 1, __ATOMIC_RELEASE);
	lockorder_rwunlock(&t->lock, LOCK_TOKENS);
}

/* Re-read the table into the cache (at start-up). */
static int
tokens_reload(struct tokens *t)
{
	sqlite3 *c = db_reader_get(t->db);
	struct token *v = NULL;
	size_t n = 0;
	int rc;

	if (c == NULL)
		return -1;
	rc = tokens_read(c, &v, &n);
	db_reader_put(t->db, c);
	if (rc == 0)
		tokens_install(t, v, n);
	return rc;
}

struct tokens *
tokens_open(struct db *db, struct audit *audit, char **err)
{
	struct tokens *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		if (err != NULL)
			*err = strdup("out of memory");
		return NULL;
	}
	pthread_rwlock_init(&t->lock, NULL);
	pthread_mutex_init(&t->fail_lock, NULL);
	t->db = db;
	t->audit = audit;
	if (tokens_reload(t) != 0) {
		if (err != NULL)
			*err = strdup("cannot read the token table");
		tokens_close(t);
		return NULL;
	}
	return t;
}

void
tokens_close(struct tokens *t)
{
	if (t == NULL)
		return;
	free(t->toks);
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->fail_lock);
	free(t);
}

/* ------------------------------------------------------------------------ */
/* Failed attempts per caller (auth_peer_key: a local uid, or an address
 * without its port) */

static struct fail_slot *
fail_slot(struct fail_slot *fails, const char *key, time_t now, int create)
{
	struct fail_slot *oldest = &fails[0];

	for (size_t i = 0; i < TOKEN_FAIL_SLOTS; i++) {
		if (strcmp(fails[i].addr, key) == 0) {
			if (now - fails[i].window_start >= TOKEN_FAIL_WINDOW) {
				fails[i].window_start = now;
				fails[i].count = 0;
			}
			return &fails[i];
		}
		if (fails[i].window_start < oldest->window_start)
			oldest = &fails[i];
	}
	if (!create)
		return NULL;
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", key);
	oldest->window_start = now;
	oldest->count = 0;
	return oldest;
}

static void
audit_failed_attempt(struct tokens *t, const char *actor, int limited)
{
	if (t->audit != NULL &&
	    audit_record(t->audit, limited ? "auth.rate_limited" : "auth.failed", actor, "locksetd",
	                 NULL, "deny", -1, NULL) != 0)
		log_warnx("audit: could not record a failed token attempt from %s", actor);
}

/* May one more failure be audited in this window, whoever it is from
 * (fail_lock held)? 1 yes, 0 no, -1 no and this is the first one refused:
 * then one row says so, for everyone. Callers can rotate through many
 * addresses (a remote network, IPv6); the log must not follow them. */
static int
audit_budget_take(struct tokens *t, time_t now)
{
	if (now - t->audit_window >= TOKEN_FAIL_WINDOW) {
		t->audit_window = now;
		t->audited = 0;
	}
	if (t->audited > TOKEN_AUDIT_MAX)
		return 0;
	return ++t->audited <= TOKEN_AUDIT_MAX ? 1 : -1;
}

unsigned
tokens_generation(struct tokens *t)
{
	return __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
}

/* A valid secret always authenticates, whatever happened before from its
 * caller: a lockout that refused correct secrets would let one caller lock
 * out everyone who shares its key (the loopback peers whose socket's owner
 * is not known, the users behind one address). The lockout limits what
 * failures cost instead: past TOKEN_MAX_FAILS in the window a caller gets
 * 429 for its further failures, which are no longer audited one by one,
 * and past TOKEN_AUDIT_MAX audited failures from everyone together no
 * failure is (a prober cannot flood the log, from however many addresses).
 * Guessing is no way in either way: a secret is 256 random bits. */
enum role
tokens_verify(struct tokens *t, const char *secret, const struct peer *who, char *name,
              size_t namesz, long long *expires, int *limited)
{
	return tokens_verify_at(t, secret, who, time(NULL), name, namesz, expires, limited);
}

enum role
tokens_verify_at(struct tokens *t, const char *secret, const struct peer *who, time_t now,
                 char *name, size_t namesz, long long *expires, int *limited)
{
	unsigned char h[32];
	enum role role = ROLE_NONE;
	char key[64], actor[96];
	struct fail_slot *slot;
	int was_blocked, blocked, budget = 0;

	sha256(secret, h);
	lockorder_rdlock(&t->lock, LOCK_TOKENS);
	for (size_t i = 0; i < t->ntoks; i++) {
		/* Every entry is compared in full: timing says nothing about the secret. */
		const struct token *k = &t->toks[i];
		int same = CRYPTO_memcmp(k->hash, h, sizeof(h)) == 0;
		if (same && !k->revoked && (k->expires == 0 || k->expires > now)) {
			role = k->role;
			*expires = k->expires;
			snprintf(name, namesz, "%s", k->name);
		}
	}
	lockorder_rwunlock(&t->lock, LOCK_TOKENS);
	if (role != ROLE_NONE)
		return role;

	auth_peer_key(who, key, sizeof(key));
	lockorder_lock(&t->fail_lock, LOCK_TOKENS_FAIL);
	slot = fail_slot(t->fails, key, now, 1);
	was_blocked = slot->count >= TOKEN_MAX_FAILS;
	if (!was_blocked) {
		slot->count++;
		budget = audit_budget_take(t, now);
	}
	blocked = slot->count >= TOKEN_MAX_FAILS;
	lockorder_unlock(&t->fail_lock, LOCK_TOKENS_FAIL);
	if (was_blocked) {
		*limited = 1;
		return ROLE_NONE;
	}
	if (budget == -1)
		audit_failed_attempt(t, "*", 1); /* everyone's failures, from now on counted only */
	if (budget != 1)
		return ROLE_NONE;
	/* The address, and for a local caller the uid that owns its socket. */
	if (who->loopback && who->owner_known)
		snprintf(actor, sizeof(actor), "%s uid:%ld", who->addr, (long)(int)who->owner);
	else
		snprintf(actor, sizeof(actor), "%s", who->addr);
	audit_failed_attempt(t, actor, blocked);
	return ROLE_NONE;
}

/* ------------------------------------------------------------------------ */
/* Create, list, revoke */

struct create_args {
	const char *name, *role, *hash, *created, *created_by;
	long long expires;
	int exists;
	struct token *v; /* the table as committed, read inside the transaction */
	size_t n;
};

static int
create_tx(sqlite3 *c, void *arg)
{
	struct create_args *a = arg;
	sqlite3_stmt *st;
	int rc;

	st = db_prepare(c, "SELECT 1 FROM tokens WHERE name = ?1");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->name);
	a->exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (a->exists)
		return SQLITE_CONSTRAINT;
	st = db_prepare(c, "INSERT INTO tokens (name, role, hash, created, created_by, expires) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->name);
	db_bind_text(st, 2, a->role);
	db_bind_text(st, 3, a->hash);
	db_bind_text(st, 4, a->created);
	db_bind_text(st, 5, a->created_by);
	if (a->expires > 0)
		sqlite3_bind_int64(st, 6, a->expires);
	else
		sqlite3_bind_null(st, 6);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	return tokens_read(c, &a->v, &a->n) == 0 ? SQLITE_OK : SQLITE_ERROR;
}

int
tokens_create(struct tokens *t, const char *name, enum role role, long ttl, const char *created_by,
              char **secret, struct problems *errs)
{
	unsigned char raw[32], h[32];
	char *s = NULL, hashhex[65], created[32];
	struct create_args a;
	int len;

	*secret = NULL;
	if (!names_plain_valid(name, AUTH_TOKEN_NAME_MAX)) {
		problems_add(errs, "/name", "expected 1-64 characters from A-Z a-z 0-9 . _ -");
		return -1;
	}
	if (role < ROLE_RUNTIME || role > ROLE_ADMIN) {
		problems_add(errs, "/role", "expected runtime, auditor or admin");
		return -1;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	s = malloc(4 + 48);
	if (s == NULL)
		return -1;
	memcpy(s, "lst_", 4);
	len = EVP_EncodeBlock((unsigned char *)s + 4, raw, sizeof(raw));
	/* base64url without padding: safe in headers and shells. */
	for (int i = 4; i < 4 + len; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
		else if (s[i] == '=')
			s[i] = '\0';
	}
	s[4 + len] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	sha256(s, h);
	hex(h, sizeof(h), hashhex);
	now_rfc3339(created, sizeof(created));
	memset(&a, 0, sizeof(a));
	a.name = name;
	a.role = auth_role_name(role);
	a.hash = hashhex;
	a.created = created;
	a.created_by = created_by ? created_by : "";
	a.expires = ttl > 0 ? (long long)time(NULL) + ttl : 0;
	if (db_tx_run(t->db, create_tx, &a, NULL) != 0) {
		free(a.v);
		OPENSSL_cleanse(s, strlen(s));
		free(s);
		if (a.exists) {
			problems_add(errs, "/name", "a token named \"%s\" exists", name);
			return -2;
		}
		return -1;
	}
	tokens_install(t, a.v, a.n);
	*secret = s;
	return 0;
}

json_t *
tokens_list(struct tokens *t)
{
	sqlite3 *c = db_reader_get(t->db);
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	long long now = (long long)time(NULL);

	if (c == NULL || arr == NULL)
		goto out;
	st = db_prepare(c, "SELECT name, role, created, created_by, expires, revoked FROM tokens "
	                   "ORDER BY name");
	if (st == NULL)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int has_exp = sqlite3_column_type(st, 4) != SQLITE_NULL;
		int revoked = sqlite3_column_type(st, 5) != SQLITE_NULL;
		long long exp = sqlite3_column_int64(st, 4);
		json_t *o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:o, s:o, s:b}", "name", db_column_text(st, 0), "role",
		    db_column_text(st, 1), "created", db_column_text(st, 2), "createdBy",
		    db_column_text(st, 3), "expires", has_exp ? json_integer(exp) : json_null(),
		    "revoked", revoked ? json_string(db_column_text(st, 5)) : json_null(), "active",
		    !revoked && (!has_exp || exp > now));
		if (o != NULL)
			json_array_append_new(arr, o);
	}
out:
	sqlite3_finalize(st);
	db_reader_put(t->db, c);
	return arr;
}

struct revoke_args {
	const char *name, *when;
	int changed;
	struct token *v; /* the table as committed, read inside the transaction */
	size_t n;
};

static int
revoke_tx(sqlite3 *c, void *arg)
{
	struct revoke_args *a = arg;
	sqlite3_stmt *st = db_prepare(c, "UPDATE tokens SET revoked = ?2 WHERE name = ?1 AND "
	                                 "revoked IS NULL");
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->name);
	db_bind_text(st, 2, a->when);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	a->changed = sqlite3_changes(c);
	if (rc != SQLITE_DONE)
		return rc;
	/* The cache is rebuilt from the write connection itself: no read
	 * connection is needed, so however many a slow reader holds, a revoke
	 * either takes effect or fails. */
	return tokens_read(c, &a->v, &a->n) == 0 ? SQLITE_OK : SQLITE_ERROR;
}

int
tokens_revoke(struct tokens *t, const char *name)
{
	char when[32];
	struct revoke_args a = {name, when, 0, NULL, 0};

	now_rfc3339(when, sizeof(when));
	if (db_tx_run(t->db, revoke_tx, &a, NULL) != 0) {
		free(a.v);
		return -1;
	}
	tokens_install(t, a.v, a.n);
	return a.changed ? 0 : 1;
}
