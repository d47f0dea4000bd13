/* SPDX-License-Identifier: Apache-2.0 */
/* The decision engine: a compiled policy (from the effective settings) judges
 * one Docker Engine API request and lists the rules it violates. Pure: no
 * HTTP, no audit, no logging of requests; safe to share across threads. */
#ifndef LOCKSET_DECIDE_H
#define LOCKSET_DECIDE_H

#include <jansson.h>
#include <stddef.h>

/* Compiled, immutable, shareable across threads. */
struct decide_policy;

/* Compile the effective settings (borrowed; an admin-settings.json shaped
 * object with every key filled, see settings.c). Missing keys mean "off" or
 * "unrestricted". Share, protected and socket paths are resolved here, once.
 * Returns a new policy, or NULL on ENOMEM. */
struct decide_policy *decide_policy_new(const json_t *effective);
/* Release a policy. Accepts NULL. */
void decide_policy_free(struct decide_policy *dp);
/* 1 when dp denies choosing the container runtime (--runtime). */
int decide_policy_denies_runtime(const struct decide_policy *dp);

/* Namespaces a container can share with the host, or with another
 * container (--pid, --network, --ipc container:NAME join the other's). The
 * user namespace is the host's with --userns=host; it cannot be joined by
 * name, but an engine that remaps users puts a container that joins
 * another's PID, network or IPC namespace into that one's user namespace. */
#define DECIDE_NS_PID  1u
#define DECIDE_NS_NET  2u
#define DECIDE_NS_IPC  4u
#define DECIDE_NS_USER 8u
#define DECIDE_NS_ALL  15u
/* The ones joined by --pid, --network or --ipc container:NAME. */
#define DECIDE_NS_JOINABLE (DECIDE_NS_PID | DECIDE_NS_NET | DECIDE_NS_IPC)

/* A local volume's options, as its create gave them to the local driver:
 * what it mounts. Each malloc'd, NULL when absent. */
struct decide_volopts {
	char *name, *type, *o, *device;
};
/* Set v (cleared first) to copies of the strings (any may be NULL). 0, or
 * -1 on ENOMEM (v cleared). */
int decide_volopts_set(struct decide_volopts *v, const char *name, const char *type, const char *o,
                       const char *device);
/* Free what v holds and zero it. Accepts NULL. */
void decide_volopts_clear(struct decide_volopts *v);

/* The host paths a container mounts (bind sources, local-volume devices,
 * and those it inherits through VolumesFrom): recorded at create, judged
 * again at start. src and each string are malloc'd. */
struct decide_mounts {
	char **src;
	size_t n;
	char *image; /* the container's image, for ECI's socket list; may be NULL */
	/* The namespaces (DECIDE_NS_*) whose sharing with the host is known,
	 * and of those, the ones the container shares. Zero, the default,
	 * knows nothing: a container that joined another's namespace, or one
	 * recorded before lockset kept them, is not known not to share it. */
	unsigned ns_known, ns_host;
	/* The volume drivers other than local whose volumes it mounts (its own
	 * and its VolumesFrom sources'), when drivers_known; zero, the default,
	 * knows nothing (a record written before lockset kept them). */
	char **drivers;
	size_t ndrivers;
	int drivers_known;
	/* Its local volumes that mount a file system of their own (not a bind,
	 * whose device is in src, nor tmpfs), judged as a volume create's
	 * options are. Only the engine's description has them: a create that
	 * mounts volumes by name is not recorded, nor is what the engine says
	 * of a container holding one of these. */
	struct decide_volopts *vols;
	size_t nvols;
	/* What it runs with (decide_container_flags), judged again at every
	 * start: JSON text, malloc'd. NULL, the default, knows nothing (a
	 * record written before lockset kept it). */
	char *flags;
	/* Which of src it mounts read-write, when rw_known; zero, the default,
	 * knows nothing (a record written before lockset kept them): those
	 * the caller of the socket proxy must be able to write. */
	char **rw;
	size_t nrw;
	int rw_known;
};
/* Read a mode ("host", "container:x", "private", ...) of the namespace ns
 * (a DECIDE_NS_* bit) into *host and *known, which start out as all known
 * and none shared: "host" shares it, "container:..." makes it unknown. */
void decide_ns_mode(unsigned ns, const char *mode, unsigned *host, unsigned *known);

/* The most bytes of a container's flags text. */
#define DECIDE_FLAGS_MAX 65536

/* Free what m holds and zero it. Accepts NULL. */
void decide_mounts_clear(struct decide_mounts *m);
/* Append a copy of path. Returns 0, or -1 on ENOMEM. */
int decide_mounts_add(struct decide_mounts *m, const char *path);
/* Mark path as mounted read-write (once). Returns 0, or -1 on ENOMEM. */
int decide_mounts_add_rw(struct decide_mounts *m, const char *path);
/* Forget which paths m mounts read-write (all read-only now: a
 * VolumesFrom "name:ro"), rw_known kept. */
void decide_mounts_forget_rw(struct decide_mounts *m);
/* 1 when m is known to mount path read-write. */
int decide_mounts_rw(const struct decide_mounts *m, const char *path);
/* Add volume driver name unless it is empty, "local" or there already.
 * Returns 0, or -1 on ENOMEM. */
int decide_mounts_add_driver(struct decide_mounts *m, const char *name);
/* Append a copy of v. Returns 0, or -1 on ENOMEM. */
int decide_mounts_add_vol(struct decide_mounts *m, const struct decide_volopts *v);
/* Add to dst what src holds: its paths (each once), which of them are
 * read-write (dst's rw_known stays only while src's is), volume drivers and
 * local volumes (not its image, namespaces or whether its drivers are
 * known). Returns 0, or -1 on ENOMEM. */
int decide_mounts_merge(struct decide_mounts *dst, const struct decide_mounts *src);
/* Everything src knows into dst, as a lookup answers with it: what
 * decide_mounts_merge adds, its image (unless dst has one), its namespaces,
 * whether its drivers are known, and its flags (replacing dst's). Returns
 * 0, or -1 on ENOMEM. */
int decide_mounts_copy(struct decide_mounts *dst, const struct decide_mounts *src);
/* Move what src holds into *dst (cleared first) and zero src. */
void decide_mounts_move(struct decide_mounts *dst, struct decide_mounts *src);

/* Looks up container ref (an id, id prefix or name): 1 when found, with its
 * mounts in *out (which the engine frees); 0 when it is not known and could
 * not be looked up; -1 on ENOMEM. */
typedef int (*decide_container_fn)(void *arg, const char *ref, struct decide_mounts *out);

/* Looks up network ref (a name, id or id prefix): 1 when found, with its
 * driver ("host", "bridge", "overlay", ...) in drv; 0 when it is not known
 * and could not be looked up; -1 on ENOMEM. */
typedef int (*decide_network_fn)(void *arg, const char *ref, char *drv, size_t drvsz);

/* Looks up exec instance id: 1 when found, with the full id of the container
 * it runs in in container; 0 when it is not known and could not be looked
 * up; -1 on ENOMEM. */
typedef int (*decide_exec_fn)(void *arg, const char *id, char *container, size_t sz);

/* A volume as the engine describes it. */
struct decide_volume {
	char driver[256];
	struct decide_volopts opts; /* the local driver's options; zero for another's */
};
/* Free what v holds (not v). Accepts NULL. */
void decide_volume_clear(struct decide_volume *v);

/* Looks up the volume named name (for allowedVolumeDrivers, and for what a
 * service or a restart policy mounts again unseen): 1 when it exists, with
 * its driver and options in *out (zeroed first; release with
 * decide_volume_clear); 2 when there is no volume of that name (the engine
 * makes one with the driver and options the request names); 0 when it is
 * not known and could not be looked up; -1 on ENOMEM. */
typedef int (*decide_volume_fn)(void *arg, const char *name, struct decide_volume *out);

/* Does the engine the request goes to run containers in user namespaces
 * (userns-remap, or rootless)? Enhanced Container Isolation locked on
 * requires it of every container create, service create or update and
 * exec (rule engine-userns). The engine's word comes from outside: the
 * decision engine asks nothing itself. */
enum decide_userns {
	DECIDE_USERNS_UNJUDGED = 0, /* not a request for the engine lockset checks
	                               (POST /v1/decisions from another runtime) */
	DECIDE_USERNS_YES,          /* the engine said so */
	DECIDE_USERNS_NO,           /* the engine said it does not: refused */
	DECIDE_USERNS_UNKNOWN,      /* the engine could not be asked: refused */
};

/* Which cgroup namespace the engine gives a container that names no mode
 * (its default-cgroupns-mode: "host" on a cgroup v1 host unless set, and on
 * engines before 20.10, "private" on cgroup v2), from the answer that
 * engine_userns comes from; --cgroupns=host judges it. Read only when
 * engine_userns is not DECIDE_USERNS_UNJUDGED. */
enum decide_cgroupns {
	DECIDE_CGROUPNS_UNKNOWN = 0, /* the engine could not be asked */
	DECIDE_CGROUPNS_PRIVATE,     /* its own */
	DECIDE_CGROUPNS_HOST,        /* the host's */
};

/* The caller's own access to a host path (a container gains no access its
 * user does not have): 1 when the caller may read path, and write it when
 * write is set; 0 when not, -1 when it cannot be told (refused too); why
 * gets a short reason ("permission denied") for both. */
typedef int (*decide_access_fn)(void *arg, const char *path, int write, char *why, size_t whysz);

/* One Engine API request. All pointers are borrowed. */
struct decide_request {
	const char *method; /* "POST" */
	const char *uri;    /* as dockerd saw it: "/v1.47/containers/create?name=x" */
	const char *user;   /* may be NULL or "" */
	const char *body;   /* raw bytes, not necessarily NUL-terminated */
	size_t body_len;
	int has_body; /* 0: no body was forwarded */
	/* Nothing of the body is unseen: it is all in body (or there was none,
	 * or none that dockerd would read). 0, the default, when that is not
	 * known: dockerd forwards no body over 1 MiB, and a chunked one leaves
	 * no Content-Length; what was not seen is then refused where it
	 * matters. */
	int body_whole;
	/* A body came that the plugin was not shown (decide_body_unseen): dockerd
	 * forwards only a JSON body (by the first Content-Type header; a plugin
	 * is shown the last), and reads a form body into r.Form. */
	int body_unseen;
	const char *content_type; /* the client's Content-Type header, or NULL */
	/* Container lookups for start and VolumesFrom; NULL: every container is
	 * unknown (and so refused where its mounts matter). */
	decide_container_fn container;
	/* Network lookups for service attachments when the host network is
	 * denied; NULL: every network other than "host" is unknown. */
	decide_network_fn network;
	/* Volume lookups for the volumes a create or service mounts by name
	 * while allowedVolumeDrivers is set: an existing volume keeps the
	 * driver it was made with. NULL: every such volume is unknown. */
	decide_volume_fn volume;
	/* Exec instance lookups for an exec start while the host's user
	 * namespace is refused; NULL: every exec is unknown. */
	decide_exec_fn exec;
	void *container_arg; /* passed to container, network, volume and exec */
	enum decide_userns engine_userns;
	enum decide_cgroupns engine_cgroupns;
	/* Sockets that reach the engine besides the fixed ones (lockset's
	 * --engine-socket, its docker socket proxy), each cleaned and, when it
	 * differs, resolved too (hostpath.h): ECI's socket rule covers them.
	 * Borrowed; NULL when none. */
	const char *const *sockets;
	size_t nsockets;
	/* The caller's access to every host path a bind, mount or volume
	 * names (rule caller-access); NULL: not judged (only the docker socket
	 * proxy knows who is asking). */
	decide_access_fn access;
	void *access_arg;
};

/* One broken rule. rule is a static string; the others are owned by the
 * decision (freed by decision_clear). */
struct violation {
	const char *rule; /* stable id: "privileged", "host-pid", ... */
	char *field;      /* "HostConfig.Binds[1]", "fromImage", "" when none */
	char *value;      /* the offending value as sent, "" when none */
	char *flag;       /* what the developer typed: "--cap-add SYS_ADMIN", "-v /etc:...",
	                     "" when nothing fits */
	char *message;    /* one sentence for humans */
};

struct decision {
	int allow;          /* final verdict (audit mode: 1 even with violations) */
	int inspected;      /* 0 when the route is not inspected (cheap path) */
	const char *mode;   /* "enforce" | "audit" (static) */
	const char *route;  /* "container.create", "exec.create", "image.pull", "image.import",
	                      "image.load", "build", "plugin.install", "container.update",
	                      "container.start", "volume.create" or "other" (static) */
	const char *action; /* "<route>.denied", "<route>.audited" (audit mode, violations) or
	                       "<route>.allowed"; exec.create uses "exec.*" (static) */
	char *subject;      /* image ref, container id, plugin name, volume name, or NULL */
	int asks_engine;    /* the verdict depends on what the engine said: engine_userns
	                       (ECI locked on, a route that runs a process in a
	                       container) or engine_cgroupns (--cgroupns=host denied, a
	                       create that names no mode, a service) */
	struct violation *v;
	size_t nv;
};

/* body_whole for a request whose body was forwarded or not, as dockerd
 * forwards one to plugins: whole when forwarded, or when its Content-Length
 * header (NULL: none, as for a chunked body) is a body dockerd would have
 * forwarded (1 MiB at most) or refused to read. */
int decide_body_whole(int forwarded, const char *content_length);
/* body_unseen for a request whose body was forwarded or not: 1 when none was
 * and its headers do not say there was none, a Content-Length other than 0
 * or, with none, a Content-Type (a chunked body has no Content-Length). */
int decide_body_unseen(int forwarded, const char *content_type, const char *content_length);

/* Judge req against dp into out (which need not be initialised; release it
 * with decision_clear). Returns 0, or -1 on ENOMEM (out then holds a deny
 * and the caller must deny). */
int decide_eval(const struct decide_policy *dp, const struct decide_request *req,
                struct decision *out);
/* The host paths a container create request would mount, for the record that
 * start is judged by: HostConfig binds, bind mounts and local-volume devices
 * as sent (uncleaned), plus the mounts of every VolumesFrom source (through
 * req->container). Returns 0, 1 when a VolumesFrom source is unknown (the
 * list is then incomplete), or -1 on ENOMEM. */
int decide_create_sources(const struct decide_request *req, struct decide_mounts *out);
/* What a container runs with, from a container create's body (len bytes),
 * or from the engine's description of one made into such a body
 * ({"HostConfig": ..., "NetworkingConfig": {"EndpointsConfig": ...}}):
 * every fact of it that a start is judged by again and that is not a mount
 * (privileges, namespace modes, capabilities, devices, security options,
 * system paths, sysctls, runtime, cgroup parent, logging, annotations), read
 * as a create's facts are (engineapi.h), into *out as JSON text (malloc'd;
 * release with free). unnamed: the cgroup namespace the engine gave the
 * container if the body names no mode (API before 1.41 and engines before
 * 20.10: the host's); UNKNOWN keeps it as not known, which a start refuses
 * while --cgroupns=host is denied. Returns 0, or 1 when it cannot be told
 * (a body that is not a JSON object, text over DECIDE_FLAGS_MAX, ENOMEM):
 * *out is then NULL. */
int decide_container_flags(const char *body, size_t len, enum decide_cgroupns unnamed, char **out);
/* dockerd writes its own version's MaskedPaths (masked set) or ReadonlyPaths
 * into the HostConfig of every container that names none, which the
 * engine's description cannot tell from a list the create named: 1 when
 * list (n paths) holds what an engine of engine_version (its /info
 * ServerVersion; one that does not read as A.B.C counts as the newest) puts
 * there, as such a default does (the engine's description may leave it
 * out), else 0 (judged as named). engine_version NULL (a caller's
 * description, no engine asked): what every engine since Docker 20.10 puts
 * there. */
int decide_systempaths_engine_default(int masked, const char *const *list, size_t n,
                                      const char *engine_version);
/* 1 when text is flags text as decide_container_flags writes it (read back
 * from the records), else 0. */
int decide_flags_valid(const char *text);

/* Free what a decision owns and zero it. Accepts NULL. */
void decision_clear(struct decision *d);
/* [{"rule","field","value","flag","message"}, ...]; new reference, NULL on
 * ENOMEM. */
json_t *decision_violations_json(const struct decision *d);
/* The data of decision d's audit row: {decisionId, method, uri, mode,
 * route, user (when not NULL), violations, message}. Whole while it surely
 * fits the audit log's data limit; past that its URI, message and
 * violations are cut to sizes that fit whatever they hold, and "cut" says
 * how large they were: a deny is never left unrecorded for its size. New
 * reference, NULL on ENOMEM. */
json_t *decision_row_json(const struct decision *d, const char *id, const char *method,
                          const char *uri, const char *user, const char *message);
/* The rule ids of d's violations, each once, in the order they first appear:
 * up to max pointers (static strings) into out; returns how many. */
size_t decision_rule_ids(const struct decision *d, const char **out, size_t max);
/* The same as a JSON array of strings; new reference, NULL on ENOMEM. */
json_t *decision_rule_ids_json(const struct decision *d);
/* What the client shows: "lockset: denied by policy v7:", then one line per
 * violation ("  --cap-add SYS_ADMIN: adding capability SYS_ADMIN is not allowed
 * [cap-add]", at most 8), then a line ending with the decision id. Control
 * characters in values are shown as '?'. malloc'd (caller frees), NULL on
 * ENOMEM. */
char *decision_deny_message(const struct decision *d, long long policy_version, const char *id);

#endif
