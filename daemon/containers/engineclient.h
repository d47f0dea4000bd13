/* SPDX-License-Identifier: Apache-2.0 */
/* The Docker Engine API as a client, on the engine's Unix socket: a small
 * HTTP/1.1 GET (Content-Length, chunked or close-delimited replies, a hard
 * size cap, one deadline per request; no libcurl), and the questions
 * lockset asks the engine: which host paths does a container mount, which
 * driver made a volume or a network, how does it isolate containers. Every
 * request made here comes back to lockset's plugin socket as an AuthZReq of
 * its own, so callers must not hold anything the plugin handler needs, nor
 * run on a server thread (see lookup.h). */
#ifndef LOCKSET_ENGINECLIENT_H
#define LOCKSET_ENGINECLIENT_H

#include "containers.h"

#include <jansson.h>
#include <stddef.h>

#define ENGINECLIENT_MAX_BODY   (4 * 1024 * 1024) /* largest reply body accepted */
#define ENGINECLIENT_MAX_HEADER (64 * 1024)       /* largest status line + headers */
#define ENGINECLIENT_TIMEOUT_MS 5000              /* per request, connect to last byte */

struct engineclient_reply {
	int status; /* HTTP status code */
	char *body; /* malloc'd, NUL-terminated (chunked replies decoded) */
	size_t len; /* bytes of body, NUL excluded */
};

/* Free what r holds. Accepts NULL. */
void engineclient_reply_clear(struct engineclient_reply *r);

/* GET path (absolute, already escaped) from the engine listening at socket.
 * Gives up after timeout_ms or past max_body bytes of body. Returns 0 with
 * the reply in *out, or -1 with a reason in err (connect, time-out, reply
 * too large or malformed, ENOMEM). */
int engineclient_get(const char *socket, const char *path, int timeout_ms, size_t max_body,
                     struct engineclient_reply *out, char *err, size_t errsz);

/* Leave out of hc (a HostConfig as GET /containers/{id}/json gives it) its
 * MaskedPaths and ReadonlyPaths where they hold what dockerd of
 * engine_version (/info's ServerVersion; NULL: any engine since 20.10, for a
 * caller's description) writes there for a container that names none
 * (decide_systempaths_engine_default): they are no choice of the
 * container's. */
void engineclient_drop_default_paths(json_t *hc, const char *engine_version);

/* What the engine says about container ref (an id, id prefix or name, as
 * dockerd resolves it): its id, name, image, and every host path it mounts:
 * HostConfig.Binds sources, Mounts of type bind, the device of each Mounts
 * volume of the local driver whose options make it a host path (o=bind or
 * rbind, or an absolute device; read with GET /volumes/{name}), and, through
 * HostConfig.VolumesFrom, the host paths of the containers it took volumes
 * from (dockerd copied those into its Mounts already; sources that are gone
 * are skipped); the options of its local volumes that mount a file system of
 * the host's other than a bind; and the drivers of its other volumes,
 * plugins' (drivers_known set). timeout_ms bounds the whole lookup, every
 * request included. *cacheable is set to 0 for a container dockerd may
 * remove without an API request lockset would see (AutoRemove, Swarm tasks),
 * and for one holding such local volumes (a record keeps no options).
 * Returns 1 with *out filled (release with containers_entry_clear), 0 when
 * the engine does not know ref or cannot tell (unreachable, an error reply,
 * a volume it cannot describe; reason in err), -1 on ENOMEM. */
int engineclient_container(const char *socket, int timeout_ms, const char *ref,
                           struct containers_entry *out, int *cacheable, char *err, size_t errsz);
/* The same, with the engine's GET /info (a JSON object, borrowed) asked
 * once by the caller for many containers, rather than once for each that
 * names a runtime, a logging driver or system paths. */
int engineclient_container_with(const char *socket, int timeout_ms, const char *ref, json_t *info,
                                struct containers_entry *out, char *err, size_t errsz);

/* What the engine says of the volume called name (GET /volumes/{name}, for
 * which dockerd asks every plugin about a name it does not know): 1 with the
 * driver that made it in out->driver and, for the local driver, its options
 * (type, o, device) in out->opts (release with decide_volume_clear), 2 when
 * there is no such volume (404), or 0 when it cannot tell (a name that
 * cannot be a volume's, unreachable, another error, no Driver, out of
 * memory; reason in err). */
int engineclient_volume(const char *socket, int timeout_ms, const char *name,
                        struct decide_volume *out, char *err, size_t errsz);

/* What the engine says of network ref (GET /networks/{ref}): 1 with its
 * driver in drv when ref is its exact name or full id, or 0 when it cannot
 * tell (unknown, found only by an id prefix, which Swarm may resolve
 * otherwise, unreachable, out of memory; reason in err). */
int engineclient_network(const char *socket, int timeout_ms, const char *ref, char *drv,
                         size_t drvsz, char *err, size_t errsz);

/* The container exec instance id runs in (GET /exec/{id}/json), a full
 * container id into container (sz bytes, 65 do): 1 when the engine answers
 * for exactly that id, else 0 (reason in err); -1 on ENOMEM. */
int engineclient_exec(const char *socket, int timeout_ms, const char *id, char *container,
                      size_t sz, char *err, size_t errsz);

/* The most containers the scan of the engine's containers judges (enginescan.h). */
#define ENGINECLIENT_SCAN_MAX 500

/* How the engine isolates containers from the host's users, from its
 * SecurityOptions (GET /info): "name=userns" (userns-remap) or
 * "name=rootless" (the engine itself runs in a user namespace). */
enum engineclient_userns {
	ENGINECLIENT_NO_USERNS, /* neither: containers' root is the host's root */
	ENGINECLIENT_USERNS,    /* userns-remap */
	ENGINECLIENT_ROOTLESS,  /* rootless mode (with or without userns-remap) */
};

struct engineclient_info {
	enum engineclient_userns userns;
	int cgroupns_private; /* SecurityOptions "name=cgroupns": a container that names no
	                         cgroup namespace mode gets a private one (the engine's
	                         default-cgroupns-mode; "host" on cgroup v1 unless set) */
	char options[512];    /* SecurityOptions joined with "; " (cut to fit) */
	char version[64];     /* ServerVersion, "" when not given */
	/* Its runtimes (Runtimes, DefaultRuntime): the default's name ("" when
	 * not given), and the others than its stock runc ("runc",
	 * "io.containerd.runc.v2", and "io.containerd.runtime.v1.linux" before
	 * Docker 23) as "name (path)", joined with ", " (cut to fit; "" when
	 * none). */
	char default_runtime[64];
	char runtimes[512];
};

/* 1 when name is one of the engine's stock runtimes, which run a container
 * as its request says (runc). */
int engineclient_runtime_stock(const char *name);

/* 1 when the engine's default runtime is a stock one (or not given). */
int engineclient_default_stock(const struct engineclient_info *i);

/* 1 when the engine runs containers with runc only: no other runtime, and
 * a stock default. */
int engineclient_runc_only(const struct engineclient_info *i);

/* Ask the engine at socket (GET /info, within timeout_ms) how it isolates
 * containers and with which runtimes. Returns 0 with *out filled, or -1 with the reason in err
 * (unreachable, an error status, a reply that is not an /info object). */
int engineclient_info(const char *socket, int timeout_ms, struct engineclient_info *out, char *err,
                      size_t errsz);

#endif
