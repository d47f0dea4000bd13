/* SPDX-License-Identifier: Apache-2.0 */
/* The containers one judgement asks about (a start, each VolumesFrom), the
 * volumes it mounts by name (allowedVolumeDrivers) and the networks a
 * service attaches to (while the host network is denied), and where their
 * mounts and drivers come from: the caller's own list (POST /v1/decisions),
 * then the container records (by full id only: dockerd resolves names and
 * id prefixes against containers lockset cannot see, and a rename re-points
 * a name), then the Engine API (volumes and networks: the engine alone).
 * The engine is asked on lookup threads, never on a server thread: dockerd
 * sends that request's own AuthZReq back to the plugin socket, and a server
 * thread waiting for it could be the one that has to answer it.
 *
 * Threads: server threads call lookup_set_container (reads the records),
 * lookup_set_volume, lookup_set_network and lookup_set_resolve;
 * LOOKUP_THREADS lookup threads run the engine requests, write what they
 * learn to the records and call the caller's done(). No lock of this module
 * is held while the engine is asked. */
#ifndef LOCKSET_LOOKUP_H
#define LOCKSET_LOOKUP_H

#include "engine/decide.h"

#include <stdio.h>

struct containers;
struct lookup;

#define LOOKUP_THREADS     2    /* engine lookups run at once */
#define LOOKUP_MAX_QUEUE   1024 /* judgements waiting for the engine; more: unknown */
#define LOOKUP_MAX_REFS    64   /* containers one judgement may ask about */
#define LOOKUP_MAX_OBJECTS 32   /* volumes and networks one judgement may ask about */
/* Rounds of engine lookups one judgement may take: what a started container
 * runs with, once the engine told it, may name a container it joins. */
#define LOOKUP_ROUNDS 2

/* Start the lookup threads. records (borrowed) may be NULL: nothing is
 * recorded or read; engine_socket (copied) NULL or "": no engine is asked.
 * Returns NULL on failure (logged). */
struct lookup *lookup_new(struct containers *records, const char *engine_socket, int timeout_ms);
/* Finish the queued lookups (their done() is called) and stop the threads;
 * from then on lookup_set_resolve refuses. Call before http_stop, so that
 * no request waits for a lookup when the server stops. Accepts NULL. */
void lookup_stop(struct lookup *l);
/* Stop (if need be) and free. Call once no judgement can be in progress
 * (after http_stop). Accepts NULL. */
void lookup_free(struct lookup *l);

struct lookup_set;

/* A new, empty set for one judgement. l may be NULL: only given is asked.
 * given (and its arg) is asked first, and only while judging on the
 * caller's thread (it is borrowed); NULL: nothing given. Returns NULL on
 * ENOMEM. */
struct lookup_set *lookup_set_new(struct lookup *l, decide_container_fn given, void *given_arg);
/* Accepts NULL. */
void lookup_set_free(struct lookup_set *s);

/* A decide_container_fn (arg is the set): what the set knows of ref, else
 * what given says, else the record of a full id. Anything else is noted for
 * the engine and is unknown (0) for now. */
int lookup_set_container(void *arg, const char *ref, struct decide_mounts *out);
/* A decide_volume_fn (arg is the set): what the set knows of the volume
 * called name (its driver and a local volume's options). One not asked about
 * yet is noted for the engine and unknown (0) for now; no records are kept
 * of volumes. */
int lookup_set_volume(void *arg, const char *name, struct decide_volume *out);
/* A decide_network_fn (arg is the set): the same for a network a service
 * attaches to (name or full id, as the engine resolves it exactly). */
int lookup_set_network(void *arg, const char *ref, char *drv, size_t drvsz);
/* A decide_exec_fn (arg is the set): the same for the container an exec
 * instance runs in. */
int lookup_set_exec(void *arg, const char *id, char *container, size_t sz);
/* The judgement moves to another thread without asking the engine about
 * containers: from now on given is not asked, and containers not seen yet
 * are unknown. Accepts NULL. */
void lookup_set_seal(struct lookup_set *s);
/* How many containers, volumes and networks are waiting for the engine. */
size_t lookup_set_missing(const struct lookup_set *s);
/* Ask the engine about every container, volume and network waiting, on a
 * lookup thread, then call done(arg) there; given is not called again, and the set
 * belongs to the lookup thread until done is called. What the engine
 * describes of containers is recorded with policy_version. Until the
 * LOOKUP_ROUNDS-th call, what the judgement asks about next is noted for
 * another round (lookup_set_missing); after it, it is unknown. Returns 0
 * when queued, or -1 when the engine cannot be asked (none configured,
 * queue full): they then stay unknown. */
int lookup_set_resolve(struct lookup_set *s, long long policy_version, void (*done)(void *arg),
                       void *arg);

/* Prometheus text of the lookup counters of l (which may be NULL). */
void lookup_metrics(const struct lookup *l, FILE *out);

#endif
