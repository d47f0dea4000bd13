/* SPDX-License-Identifier: Apache-2.0 */
/* Container records: the host paths each container mounts, written when its
 * create goes through the plugin (or when the Engine API is asked about it)
 * and kept in the state database, so that a start and a VolumesFrom are
 * judged by those paths as they resolve then, across restarts of lockset.
 * containers_watch.c keeps the records true to dockerd's containers. */
#ifndef LOCKSET_CONTAINERS_H
#define LOCKSET_CONTAINERS_H

#include "engine/decide.h"

#include <time.h>

struct containers;
struct db;

#define CONTAINERS_MAX_ROWS    100000 /* rows kept at most (fewer if the options say so) */
#define CONTAINERS_PRUNE_EVERY 256    /* records written between two prunes */

struct containers_opts {
	long retention_days; /* prune rows older than this; 0: no age limit */
	long max_rows;       /* keep at most this many rows; 0 or more than the cap: the cap */
};

/* One container record. */
struct containers_entry {
	char id[65]; /* full id, 64 lowercase hex */
	char *name;  /* malloc'd, without the leading '/'; NULL or "" when not known */
	char *image; /* malloc'd; NULL or "" when not known */
	struct decide_mounts mounts;
	long long policy_version;
	const char *origin; /* "create" or "engine" (static) */
	time_t created;     /* when recorded; 0 in containers_record: now */
};

/* Free what e holds and zero it. Accepts NULL. */
void containers_entry_clear(struct containers_entry *e);

/* Use the container table of db (migration 0003), which must stay open until
 * containers_close. o may be NULL for the defaults. Returns NULL on ENOMEM. */
struct containers *containers_open(struct db *db, const struct containers_opts *o);
/* Accepts NULL. */
void containers_close(struct containers *c);

/* 1 when s is a full container id: exactly 64 lowercase hex digits. */
int containers_is_id(const char *s);

/* The number of forgets so far. Read it before asking the engine about a
 * container, and pass it to containers_record: a row forgotten meanwhile
 * (the container may be gone) makes the answer too old to record. */
unsigned long containers_generation(struct containers *c);

/* Write e's row (replacing one with the same id) unless anything was
 * forgotten since generation gen was read. Every CONTAINERS_PRUNE_EVERY
 * writes, prune. Returns 0 when written, 1 when refused as too old, -1 on
 * error (logged). */
int containers_record(struct containers *c, const struct containers_entry *e, unsigned long gen);

/* Who made container id (0014): the caller whose policy judged its create,
 * written by containers_watch_response. containers_set_creator: 0, or -1
 * (an id that is not a full one, no user, a failed write: logged).
 * containers_creator: 1 with the name in user (sz bytes), 0 when not known
 * (made before lockset saw it, by no named caller, or pruned), -1 on error. */
int containers_set_creator(struct containers *c, const char *id, const char *user);
int containers_creator(struct containers *c, const char *id, char *user, size_t sz);

/* Which forms of reference containers_lookup tries, in dockerd's order. */
#define CONTAINERS_BY_ID     0x1 /* the full id */
#define CONTAINERS_BY_NAME   0x2 /* the name, with or without the leading '/' (newest row) */
#define CONTAINERS_BY_PREFIX 0x4 /* a prefix of one id and no other */
#define CONTAINERS_BY_ANY    0x7

/* Look ref up. Returns 1 with the row in *out (release with
 * containers_entry_clear), 0 when no row matches, -1 on error. */
int containers_lookup(struct containers *c, const char *ref, unsigned how,
                      struct containers_entry *out);

/* Delete the row of full id (a no-op for anything else), or every row. Both
 * count as a forget even when no row was there. Return 0, or -1 on error
 * (logged): the records are then not trusted (every lookup misses) until a
 * containers_forget_all succeeds. */
int containers_forget(struct containers *c, const char *id);
int containers_forget_all(struct containers *c);

/* A container create is between its AuthZReq and its AuthZRes. */
void containers_create_begin(struct containers *c);
/* Its AuthZRes came (or it was refused). Returns 1 when nothing was
 * forgotten while any create was in flight, so a record of it cannot be of
 * a container already removed; 0 otherwise. */
int containers_create_end(struct containers *c);

/* ------------------------------------------------------------------------ */
/* What the plugin sees (containers_watch.c)                                */

/* An AuthZReq, before dockerd acts on it: a request that may remove
 * containers (DELETE /containers/{ref}, container prune) forgets their
 * records now. Returns 1 for a container create, which is then in flight
 * until containers_watch_response sees its AuthZRes, or until
 * containers_watch_refused when lockset denies it. c may be NULL. */
int containers_watch_request(struct containers *c, const char *method, const char *uri);
void containers_watch_refused(struct containers *c);

/* An AuthZRes: the request as dockerd forwarded it and its response. */
struct containers_response {
	const char *method, *uri;
	const char *req_body; /* decoded RequestBody, or NULL */
	size_t req_len;
	int status;            /* ResponseStatusCode */
	const char *resp_body; /* decoded ResponseBody, or NULL */
	size_t resp_len;
	/* The cgroup namespace the engine gives a container that names no
	 * mode, as last known (engineinfo_cgroupns); UNKNOWN when not. */
	enum decide_cgroupns cgroupns;
	/* The caller whose policy judged the create (the proxy's caller, or
	 * dockerd's AuthZ User): who made the container. NULL or "": none. */
	const char *user;
};

/* Record the container a successful create (201) made, with its host paths
 * (decide_create_sources; VolumesFrom through the records), its name (the
 * name query parameter), image and what it runs with
 * (decide_container_flags: a create that names no cgroup namespace mode
 * gets r->cgroupns, or the host's before API 1.41),
 * unless its body names mounts the record could not describe, or
 * containers were removed while it was in flight: its start then asks the
 * engine. c may be NULL. */
void containers_watch_response(struct containers *c, const struct containers_response *r,
                               long long policy_version);
/* Who made the container a successful create (201) made: r->user, when
 * named (containers_set_creator), from r's status and response body alone.
 * containers_watch_response does this too. c may be NULL. */
void containers_watch_creator(struct containers *c, const struct containers_response *r);

/* Delete rows older than the retention (relative to now) and the oldest rows
 * over the cap. Returns the number deleted, or -1 on error. */
long containers_prune(struct containers *c, time_t now);

#endif
