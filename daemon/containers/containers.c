/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite side of the container records: one function per query, bound
 * parameters only. Writes go through db_tx_run on the shared write
 * connection; lookups take a pooled read connection. */
#include "containers.h"

#include "store/db.h"
#include "log.h"
#include "util/lockorder.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct containers {
	struct db *db;
	long retention_days;
	long max_rows;
	unsigned long gen; /* forgets so far (atomic) */
	int untrusted;     /* a forget failed: every lookup misses (atomic) */
	pthread_mutex_t lock;
	long inflight; /* creates between AuthZReq and AuthZRes (lock) */
	int tainted;   /* something was forgotten while inflight > 0 (lock) */
	unsigned long writes;
};

void
containers_entry_clear(struct containers_entry *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->image);
	decide_mounts_clear(&e->mounts);
	memset(e, 0, sizeof(*e));
}

struct containers *
containers_open(struct db *db, const struct containers_opts *o)
{
	struct containers *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->db = db;
	c->retention_days = o != NULL ? o->retention_days : 0;
	c->max_rows = o != NULL && o->max_rows > 0 && o->max_rows < CONTAINERS_MAX_ROWS
	                  ? o->max_rows
	                  : CONTAINERS_MAX_ROWS;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void
containers_close(struct containers *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int
containers_is_id(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

unsigned long
containers_generation(struct containers *c)
{
	return __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
}

/* "2026-11-29T18:37:01Z" for t. */
static void
rfc3339(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------------------ */
/* Writes */

struct record_args {
	struct containers *c;
	const struct containers_entry *e;
	const char *sources, *drivers, *created; /* drivers: NULL when not known */
	const char *rw;                          /* NULL when not known */
	unsigned long gen;
	int stale;
};

static int
record_tx(sqlite3 *db, void *arg)
{
	struct record_args *a = arg;
	const char *name = a->e->name != NULL ? a->e->name : "";
	sqlite3_stmt *st;

	/* Forgets run in write transactions too: this comparison is ordered
	 * against every one of them. */
	if (containers_generation(a->c) != a->gen) {
		a->stale = 1;
		return SQLITE_OK;
	}
	st = db_prepare(db, "INSERT OR REPLACE INTO containers (id, name, image, sources, created, "
	                    "policy_version, origin, ns, drivers, flags, rw) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->e->id);
	db_bind_text(st, 2, name[0] == '/' ? name + 1 : name);
	db_bind_text(st, 3, a->e->image != NULL ? a->e->image : "");
	db_bind_text(st, 4, a->sources);
	db_bind_text(st, 5, a->created);
	sqlite3_bind_int64(st, 6, a->e->policy_version);
	db_bind_text(st, 7, a->e->origin != NULL ? a->e->origin : "create");
	/* Known in the low bits, shared with the host above them (0007, 0012). */
	sqlite3_bind_int(
	    st, 8,
	    (int)((a->e->mounts.ns_known & DECIDE_NS_ALL) |
	          ((a->e->mounts.ns_host & a->e->mounts.ns_known & DECIDE_NS_ALL) << 4)));
	if (a->drivers != NULL)
		db_bind_text(st, 9, a->drivers); /* else NULL: not known (0009) */
	if (a->e->mounts.flags != NULL)
		db_bind_text(st, 10, a->e->mounts.flags); /* else NULL: not known (0013) */
	if (a->rw != NULL)
		db_bind_text(st, 11, a->rw); /* else NULL: not known (0015) */
	return db_step_done(st);
}

/* n strings as a JSON array (malloc'd), NULL on ENOMEM. */
static char *
strings_json(char *const *v, size_t n)
{
	json_t *arr = json_array();
	char *text = NULL;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, json_string(v[i])) != 0)
			goto out;
	text = json_dumps(arr, JSON_COMPACT);
out:
	json_decref(arr);
	return text;
}

int
containers_record(struct containers *c, const struct containers_entry *e, unsigned long gen)
{
	struct record_args a = {c, e, NULL, NULL, NULL, NULL, gen, 0};
	char created[32];
	unsigned long n;
	int rc;

	/* Written as they will be read back: a row that could not be read
	 * would only be a miss, and the engine asked at every start. */
	if (!containers_is_id(e->id) ||
	    (e->mounts.flags != NULL && !decide_flags_valid(e->mounts.flags)))
		return -1;
	if ((a.sources = strings_json(e->mounts.src, e->mounts.n)) == NULL)
		return -1;
	if ((e->mounts.drivers_known &&
	     (a.drivers = strings_json(e->mounts.drivers, e->mounts.ndrivers)) == NULL) ||
	    (e->mounts.rw_known && (a.rw = strings_json(e->mounts.rw, e->mounts.nrw)) == NULL)) {
		free((char *)a.sources);
		free((char *)a.drivers);
		return -1;
	}
	rfc3339(e->created != 0 ? e->created : time(NULL), created);
	a.created = created;
	/* Without waiting for the disk: a create's AuthZRes writes this, and
	 * dockerd holds the create's answer until the plugin answers. A power
	 * failure can lose only the rows after the last durable commit (the WAL
	 * is lost from its end), and a lost row is a lookup that misses: the
	 * start asks the engine instead. Forgets stay durable: a row that came
	 * back after its forget could describe another container. */
	if (db_tx_run_lazy(c->db, record_tx, &a, &rc) != 0) {
		log_warnx("containers: cannot record %.12s: %s", e->id, sqlite3_errstr(rc));
		free((char *)a.sources);
		free((char *)a.drivers);
		free((char *)a.rw);
		return -1;
	}
	free((char *)a.sources);
	free((char *)a.drivers);
	free((char *)a.rw);
	if (a.stale)
		return 1;
	n = __atomic_add_fetch(&c->writes, 1, __ATOMIC_RELAXED);
	if (n % CONTAINERS_PRUNE_EVERY == 0)
		containers_prune(c, time(NULL));
	return 0;
}

struct creator_args {
	const char *id, *user, *created;
};

static int
creator_tx(sqlite3 *db, void *arg)
{
	struct creator_args *a = arg;
	sqlite3_stmt *st = db_prepare(db, "INSERT OR REPLACE INTO container_creators (id, user, "
	                                  "created) VALUES (?1, ?2, ?3)");

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, a->id);
	db_bind_text(st, 2, a->user);
	db_bind_text(st, 3, a->created);
	return db_step_done(st);
}

int
containers_set_creator(struct containers *c, const char *id, const char *user)
{
	char created[32];
	struct creator_args a = {id, user, created};
	int rc;

	if (!containers_is_id(id) || user == NULL || user[0] == '\0')
		return -1;
	rfc3339(time(NULL), created);
	/* Lazily, as records are (containers_record): a lost row leaves the
	 * container to the organisation's policy. */
	if (db_tx_run_lazy(c->db, creator_tx, &a, &rc) != 0) {
		log_warnx("containers: cannot record who made %.12s: %s", id, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

int
containers_creator(struct containers *c, const char *id, char *user, size_t sz)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int rc = -1, step;

	user[0] = '\0';
	if (!containers_is_id(id))
		return 0;
	if ((db = db_reader_get(c->db)) == NULL)
		return -1;
	if ((st = db_prepare(db, "SELECT user FROM container_creators WHERE id = ?1")) != NULL) {
		db_bind_text(st, 1, id);
		step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			rc = 0;
		else if (step == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
		         (size_t)sqlite3_column_bytes(st, 0) < sz) {
			memcpy(user, sqlite3_column_text(st, 0),
			       (size_t)sqlite3_column_bytes(st, 0) + 1);
			rc = user[0] != '\0';
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c->db, db);
	return rc;
}

struct forget_args {
	struct containers *c;
	const char *id; /* NULL: every row */
};

static int
forget_tx(sqlite3 *db, void *arg)
{
	struct forget_args *a = arg;
	sqlite3_stmt *st;

	__atomic_add_fetch(&a->c->gen, 1, __ATOMIC_ACQ_REL);
	st = db_prepare(db, a->id != NULL ? "DELETE FROM containers WHERE id = ?1"
	                                  : "DELETE FROM containers");
	if (st == NULL)
		return SQLITE_ERROR;
	if (a->id != NULL)
		db_bind_text(st, 1, a->id);
	return db_step_done(st);
}

static int
forget(struct containers *c, const char *id)
{
	struct forget_args a = {c, id};
	int rc;

	lockorder_lock(&c->lock, LOCK_CONTAINERS);
	if (c->inflight > 0)
		c->tainted = 1;
	lockorder_unlock(&c->lock, LOCK_CONTAINERS);
	if (db_tx_run(c->db, forget_tx, &a, &rc) != 0) {
		/* A row that should be gone may still be there: trust none. */
		__atomic_store_n(&c->untrusted, 1, __ATOMIC_RELEASE);
		log_warnx("containers: cannot forget %s: %s; records are not used until the "
		          "next successful clear",
		          id != NULL ? id : "every container", sqlite3_errstr(rc));
		return -1;
	}
	if (id == NULL)
		__atomic_store_n(&c->untrusted, 0, __ATOMIC_RELEASE);
	return 0;
}

int
containers_forget(struct containers *c, const char *id)
{
	return containers_is_id(id) ? forget(c, id) : 0;
}

int
containers_forget_all(struct containers *c)
{
	return forget(c, NULL);
}

void
containers_create_begin(struct containers *c)
{
	lockorder_lock(&c->lock, LOCK_CONTAINERS);
	c->inflight++;
	lockorder_unlock(&c->lock, LOCK_CONTAINERS);
}

int
containers_create_end(struct containers *c)
{
	int clean;

	lockorder_lock(&c->lock, LOCK_CONTAINERS);
	/* An AuthZRes whose AuthZReq this process did not count (it ran before
	 * a restart) finds nothing in flight: not known to be clean. */
	clean = c->inflight > 0 && !c->tainted;
	if (c->inflight > 0)
		c->inflight--;
	if (c->inflight == 0)
		c->tainted = 0;
	lockorder_unlock(&c->lock, LOCK_CONTAINERS);
	return clean;
}

struct prune_args {
	const char *cutoff; /* NULL: no age limit */
	long max_rows;
	long deleted;
};

static int
prune_tx(sqlite3 *db, void *arg)
{
	struct prune_args *a = arg;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	a->deleted = 0;
	if (a->cutoff != NULL) {
		st = db_prepare(db, "DELETE FROM containers WHERE created < ?1");
		if (st == NULL)
			return SQLITE_ERROR;
		db_bind_text(st, 1, a->cutoff);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		a->deleted += sqlite3_changes(db);
	}
	if (rc != SQLITE_DONE)
		return rc;
	st = db_prepare(db, "DELETE FROM containers WHERE id IN (SELECT id FROM containers "
	                    "ORDER BY created DESC, id LIMIT -1 OFFSET ?1)");
	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, a->max_rows);
	rc = db_step_done(st);
	a->deleted += sqlite3_changes(db);
	if (rc != SQLITE_OK)
		return rc;
	/* Who made them (0014), by the same limits. */
	if (a->cutoff != NULL) {
		if ((st = db_prepare(db, "DELETE FROM container_creators WHERE created < ?1")) ==
		    NULL)
			return SQLITE_ERROR;
		db_bind_text(st, 1, a->cutoff);
		if ((rc = db_step_done(st)) != SQLITE_OK)
			return rc;
	}
	st = db_prepare(db, "DELETE FROM container_creators WHERE id IN (SELECT id FROM "
	                    "container_creators ORDER BY created DESC, id LIMIT -1 OFFSET ?1)");
	if (st == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, a->max_rows);
	return db_step_done(st);
}

long
containers_prune(struct containers *c, time_t now)
{
	char cutoff[32];
	struct prune_args a = {NULL, c->max_rows, 0};
	int rc;

	if (c->retention_days > 0) {
		rfc3339(now - (time_t)c->retention_days * 86400, cutoff);
		a.cutoff = cutoff;
	}
	if (db_tx_run(c->db, prune_tx, &a, &rc) != 0) {
		log_warnx("containers: prune failed: %s", sqlite3_errstr(rc));
		return -1;
	}
	return a.deleted;
}

/* ------------------------------------------------------------------------ */
/* Lookups */

/* Fill out from the row st is on (ENTRY_COLUMNS). 0, or -1 on ENOMEM or a
 * malformed row. */
static int
entry_from_row(sqlite3_stmt *st, struct containers_entry *out)
{
	json_t *arr = json_loads(db_column_text(st, 3), 0, NULL), *v;
	json_t *drv = sqlite3_column_type(st, 8) == SQLITE_NULL
	                  ? NULL
	                  : json_loads(db_column_text(st, 8), 0, NULL);
	json_t *rw = sqlite3_column_type(st, 10) == SQLITE_NULL
	                 ? NULL
	                 : json_loads(db_column_text(st, 10), 0, NULL);
	struct tm tm = {0};
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", db_column_text(st, 0));
	out->name = strdup(db_column_text(st, 1));
	out->image = strdup(db_column_text(st, 2));
	if (out->name == NULL || out->image == NULL || !json_is_array(arr))
		goto out;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) ||
		    decide_mounts_add(&out->mounts, json_string_value(v)) != 0)
			goto out;
	}
	if (strptime(db_column_text(st, 4), "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
		out->created = timegm(&tm);
	out->policy_version = sqlite3_column_int64(st, 5);
	out->origin = strcmp(db_column_text(st, 6), "engine") == 0 ? "engine" : "create";
	out->mounts.ns_known = (unsigned)sqlite3_column_int(st, 7) & DECIDE_NS_ALL;
	out->mounts.ns_host = ((unsigned)sqlite3_column_int(st, 7) >> 4) & out->mounts.ns_known;
	/* NULL, every row written before 0009: the drivers are not known. */
	if (sqlite3_column_type(st, 8) != SQLITE_NULL && !json_is_array(drv))
		goto out;
	out->mounts.drivers_known = drv != NULL;
	json_array_foreach(drv, i, v)
	{
		if (!json_is_string(v) ||
		    decide_mounts_add_driver(&out->mounts, json_string_value(v)) != 0)
			goto out;
	}
	/* NULL, every row written before 0015: which are read-write is not
	 * known. */
	if (sqlite3_column_type(st, 10) != SQLITE_NULL && !json_is_array(rw))
		goto out;
	out->mounts.rw_known = rw != NULL;
	json_array_foreach(rw, i, v)
	{
		if (!json_is_string(v) ||
		    decide_mounts_add_rw(&out->mounts, json_string_value(v)) != 0)
			goto out;
	}
	/* NULL, every row written before 0013: what it runs with is not
	 * known. Text that is not what decide_container_flags writes makes
	 * the row malformed: a miss, and the engine is asked. */
	if (sqlite3_column_type(st, 9) != SQLITE_NULL &&
	    (!decide_flags_valid(db_column_text(st, 9)) ||
	     (out->mounts.flags = strdup(db_column_text(st, 9))) == NULL))
		goto out;
	rc = 0;
out:
	json_decref(arr);
	json_decref(drv);
	json_decref(rw);
	if (rc != 0)
		containers_entry_clear(out);
	return rc;
}

#define ENTRY_COLUMNS \
	"id, name, image, sources, created, policy_version, origin, ns, drivers, flags, rw"

/* Run a lookup query with one or two text parameters; the first row wins,
 * unless unique is set and there are two. 1, 0 or -1 as containers_lookup. */
static int
lookup_query(sqlite3 *db, const char *sql, const char *p1, const char *p2, int unique,
             struct containers_entry *out)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc = -1, step;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, p1);
	if (p2 != NULL)
		db_bind_text(st, 2, p2);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = 0;
	} else if (step == SQLITE_ROW) {
		rc = entry_from_row(st, out) == 0 ? 1 : -1;
		if (rc == 1 && unique && sqlite3_step(st) != SQLITE_DONE) {
			containers_entry_clear(out);
			rc = 0; /* ambiguous: dockerd would refuse it too */
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int
is_hex_prefix(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 64 || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i > 0;
}

int
containers_lookup(struct containers *c, const char *ref, unsigned how, struct containers_entry *out)
{
	sqlite3 *db;
	char upper[66];
	const char *name = ref[0] == '/' ? ref + 1 : ref;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (__atomic_load_n(&c->untrusted, __ATOMIC_ACQUIRE) || ref[0] == '\0')
		return 0;
	if ((db = db_reader_get(c->db)) == NULL)
		return -1;
	if ((how & CONTAINERS_BY_ID) && containers_is_id(ref))
		rc = lookup_query(db, "SELECT " ENTRY_COLUMNS " FROM containers WHERE id = ?1", ref,
		                  NULL, 0, out);
	if (rc == 0 && (how & CONTAINERS_BY_NAME) && name[0] != '\0')
		rc = lookup_query(db,
		                  "SELECT " ENTRY_COLUMNS " FROM containers WHERE name = ?1 "
		                  "ORDER BY created DESC LIMIT 1",
		                  name, NULL, 0, out);
	if (rc == 0 && (how & CONTAINERS_BY_PREFIX) && is_hex_prefix(ref)) {
		/* Ids are lowercase hex, so every id with this prefix sorts in
		 * [ref, ref + "g"). */
		snprintf(upper, sizeof(upper), "%sg", ref);
		rc = lookup_query(db,
		                  "SELECT " ENTRY_COLUMNS " FROM containers WHERE id >= ?1 AND "
		                  "id < ?2 LIMIT 2",
		                  ref, upper, 1, out);
	}
	db_reader_put(c->db, db);
	return rc;
}
