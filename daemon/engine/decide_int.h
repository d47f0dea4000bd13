/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the decision engine: the compiled policy and the evaluation context
 * shared by decide_policy.c (compiling the policy), decide.c (dispatch),
 * decide_rules.c (body facts -> rules, host paths), decide_routes.c (query
 * routes, commands) and decide_message.c (what the developer reads).
 * Not for use outside decide*.c. */
#ifndef LOCKSET_DECIDE_INT_H
#define LOCKSET_DECIDE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "engineapi.h"
#include "imageref.h"

/* Denied-flag bits (see tests/cases/decisions/VOCABULARY.md). */
enum {
	DENY_PRIVILEGED = 1u << 0,
	DENY_PID = 1u << 1,
	DENY_IPC = 1u << 2,
	DENY_UTS = 1u << 3,
	DENY_USERNS = 1u << 4,
	DENY_NETWORK = 1u << 5,
	DENY_CGROUPNS = 1u << 6,
	DENY_DEVICE = 1u << 7,
	DENY_SECCOMP = 1u << 8,
	DENY_APPARMOR = 1u << 9,
	DENY_LABEL = 1u << 10,
	DENY_SYSTEMPATHS = 1u << 11,
	DENY_SYSCTL = 1u << 12,
	DENY_RUNTIME = 1u << 13,
	DENY_CGROUP_PARENT = 1u << 14,
	DENY_LOG_DRIVER = 1u << 15,
	DENY_LOG_OPT = 1u << 16,
	DENY_ANNOTATION = 1u << 17,
};

/* A path as written (cleaned) and as it resolves on this host. */
struct pathpair {
	char *clean;
	char *resolved;
};

/* A list of strings owned by the policy. */
struct strlist {
	char **v;
	size_t n;
	int restricted; /* the setting was present (non-null) */
};

/* The engine sockets every host has in the same place: dockerd's, and the
 * containerd it runs (its own, or the system's). */
#define DECIDE_FIXED_SOCKETS 5

struct decide_policy {
	int audit;
	int eci;
	int eci_locked; /* ECI locked on: the engine must isolate in user namespaces */
	unsigned deny;
	uint64_t caps;    /* denied capabilities */
	int caps_any;     /* --cap-add=ALL: any added capability */
	char **cap_extra; /* denied names this build does not know */
	size_t ncap_extra;
	int block_load;
	int shares_restricted;
	struct pathpair *shares;
	size_t nshares;
	struct pathpair *protect;
	size_t nprotect;
	struct pathpair sockets[DECIDE_FIXED_SOCKETS];
	struct imageref_pattern *images;
	size_t nimages;
	int registries_restricted;
	char (*registries)[256];
	size_t nregistries;
	int network_volumes;            /* allowNetworkVolumes */
	struct strlist commands;        /* deniedCommands */
	struct strlist allowed;         /* allowedCommands */
	struct strlist seccomp;         /* allowedSeccompProfiles, "sha256:<hex>" */
	struct strlist apparmor;        /* allowedAppArmorProfiles */
	struct strlist remotes;         /* allowedBuildRemotes (lower case) */
	struct strlist volume_drivers;  /* allowedVolumeDrivers (local is always allowed) */
	struct strlist network_drivers; /* allowedNetworkDrivers */
	struct strlist log_drivers;     /* allowedLogDrivers */
	char shares_text[512];          /* "/home/alice, /tmp" for messages */
	char registries_text[256];
};

/* One evaluation. */
struct ctx {
	const struct decide_policy *dp;
	const struct decide_request *req;
	struct decision *d;
	size_t cap;
	int nomem;
	/* What mounts the host paths being judged again later without any
	 * plugin seeing it (a service's tasks, a restart policy, a volume's
	 * users), for decide_judge_path; NULL: nothing does. */
	const char *remount;
	/* File system lookups left for resolving this request's host paths
	 * (DECIDE_LOOKUPS at the start); told: its running out was reported. */
	unsigned lookups;
	int lookups_told;
};

/* The file system lookups (lstat, readlink, statfs, getxattr) one decision
 * may make to resolve host paths: some 50 ms of work. A create with fifty
 * binds, each resolved in three forms through ten directories, makes about
 * 4,500; one that names thousands, or chains of forty symlinks, is refused
 * (unresolved-path) rather than let hold a worker for seconds. */
#define DECIDE_LOOKUPS 32768u

#define DECIDE_VALUE_MAX 512

/* Record a violation. flag is what the developer typed ("--cap-add SYS_ADMIN",
 * "-v /etc:..."), or NULL when nothing fits; the rest as in struct violation. */
void decide_violate(struct ctx *c, const char *rule, const char *field, const char *value,
                    const char *flag, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* 1 when the decision already holds a violation of rule on field. */
int decide_violated(const struct ctx *c, const char *rule, const char *field);
/* strdup made valid UTF-8 (invalid bytes become U+FFFD), cut at a character
 * boundary near DECIDE_VALUE_MAX bytes with "..." appended. NULL on ENOMEM. */
char *decide_dup_trunc(const char *s);
/* Upper-case cap as dockerd does (Go's strings.ToUpper) without "CAP_" into
 * buf; returns its bit index, or -1 when it is not a known capability. */
int decide_cap_normalise(const char *cap, char *buf, size_t bufsz);
/* 1 when v is true to Go's strconv.ParseBool (decide_engine.c). */
int decide_go_true(const char *v);
/* 1 when s is in the list (exact). */
int decide_strlist_has(const struct strlist *l, const char *s);

/* Judge one body fact (decide_rules.c). image: the container's image, for
 * ECI's socket-mount list. */
void decide_judge_fact(struct ctx *c, const struct engineapi_fact *fa, const char *image);
/* Judge one host path (ECI socket, shares, protected paths); a path that
 * cannot be resolved completely is refused. */
void decide_judge_path(struct ctx *c, const char *field, const char *flag, const char *src,
                       const char *image);
/* One HostConfig.SecurityOpt entry, as dockerd's parseSecurityOpt reads it,
 * and a MaskedPaths or ReadonlyPaths list (EF_MASKED_PATHS,
 * EF_READONLY_PATHS) against dockerd's defaults (decide_secopt.c). */
void decide_judge_security_opt(struct ctx *c, const char *field, const char *opt);
void decide_judge_systempaths(struct ctx *c, const char *field, const struct engineapi_fact *fa);
/* 1 when a VolumesFrom entry ("name[:mode]") mounts what name holds
 * read-only: its mode has the "ro" option ("ro", "ro,z", ...), as dockerd
 * reads it (decide_paths.c). */
int decide_volumes_from_ro(const char *entry);
/* Through the socket proxy (req->access): the host paths container ref
 * holds must be readable to the caller, whose exec or attach reaches them,
 * and writable where it mounts them read-write (decide_paths.c). A
 * container not found is refused. */
void decide_judge_held_access(struct ctx *c, const char *field, const char *flag, const char *ref);
/* Judge one host path by ECI's socket rule alone, for image (a path that
 * cannot be resolved is left to decide_judge_path, which refuses it). */
void decide_judge_socket(struct ctx *c, const char *field, const char *flag, const char *src,
                         const char *image);
/* A PID namespace shared with another container (value "container:NAME",
 * from field, flag as typed): every container in it reaches the others'
 * files through /proc/PID/root. The namespace is followed from NAME through
 * the containers each joined to its owner (the chain). What each of them
 * holds is judged as this container's, as VolumesFrom is, for its image and
 * the caller; and while ECI is on, an image off the socket list may not join
 * a chain holding one on it, whose namespace may hold the socket through
 * members lockset does not see (decide_judge_pid_join). This container's own
 * host paths, own, are judged by ECI's socket rule for every image of the
 * chain (decide_judge_pid_exposed). A chain that cannot be followed is
 * refused. Both do nothing while no rule judges host paths or volume
 * drivers (decide_ns.c). */
void decide_judge_pid_join(struct ctx *c, const char *field, const char *flag, const char *value,
                           const char *image);
void decide_judge_pid_exposed(struct ctx *c, const char *field, const char *flag, const char *value,
                              const char *const *own, size_t nown);
/* The container whose PID namespace a container's flags (its
 * decide_mounts.flags) join, into ref: 1; 0 when they join none; -1 when
 * the flags are not known or name two (decide_flags.c). */
int decide_flags_pid_join(const char *flags, char *ref, size_t refsz);
/* A create's PID namespace joins (facts f): decide_judge_pid_join, and
 * decide_judge_pid_exposed with its own host paths and its VolumesFrom
 * sources'. */
void decide_judge_pid_joins(struct ctx *c, const struct engineapi_facts *f);
/* Does a PID namespace join matter to the policy (decide_judge_pid_join)? */
int decide_pid_join_judged(const struct ctx *c);
/* Judge the caller's own access to one host path (req->access): readable,
 * and writable when write is set. */
void decide_judge_access(struct ctx *c, const char *field, const char *flag, const char *src,
                         int write);
/* A local-driver volume's file system: network-volume or volume-options
 * (decide_engine.c). */
void decide_judge_volume_fs(struct ctx *c, const char *field, const char *flag,
                            const struct engineapi_fact *fa);
/* Runtime, cgroup parent, log driver and options, annotations: each denied
 * by the deniedFlags entry naming it; a driver name with a ".." component,
 * which would make dockerd load any socket as a plugin: refused; volume and
 * network drivers held to allowedVolumeDrivers and allowedNetworkDrivers;
 * a volume mounted by name looked up through req->volume and judged by its
 * driver, while allowedVolumeDrivers is set, and by its options, while host
 * paths are judged and c->remount says the request has it mounted again
 * unseen (image: the container's, for ECI's socket list); a local volume's
 * file system, and a bridge network's options (decide_engine.c). */
void decide_judge_engine_choice(struct ctx *c, const char *field, const char *flag,
                                const struct engineapi_fact *fa, const char *image);
/* A local volume's options, judged as a volume create's: an o=bind device as
 * a host path (read by the caller), another file system by volume-options or
 * network-volume (decide_engine.c). */
void decide_judge_volopts(struct ctx *c, const char *field, const char *flag,
                          const struct decide_volopts *v, const char *image);
/* Is any rule on host paths in force (shares, protected paths, ECI's socket
 * rule, the caller's own access)? (decide_paths.c) */
int decide_paths_judged(const struct ctx *c);
/* Why plugins may not be installed, configured or enabled (rule
 * plugin-install): --privileged denied, or host paths judged; NULL when
 * they may. */
const char *decide_plugins_refused(const struct ctx *c);
/* Volume driver name, while allowedVolumeDrivers is set (a request's, or one
 * whose volumes a started container mounts): refused unless local or listed
 * (decide_engine.c). */
void decide_judge_volume_driver(struct ctx *c, const char *field, const char *flag,
                                const char *name);
/* Judge a checkpoint directory (experimental daemons): filepath.Join(dir,
 * name), which dockerd makes (write) or restores from, as a host path; an
 * empty dir (the container's own) is not judged, a relative one refused. */
void decide_judge_checkpoint_dir(struct ctx *c, const char *field, const char *flag,
                                 const char *dir, const char *name, int write);
/* The checkpoint directory in the query of a checkpoint list or delete, or of
 * a start that restores one (decide_paths.c). */
void decide_judge_checkpoint_query(struct ctx *c, const struct engineapi_target *t);
/* The mounts of the container a VolumesFrom entry or start names, through
 * req->container (out zeroed first): as decide_container_fn. */
int decide_container_mounts(const struct decide_request *req, const char *entry,
                            struct decide_mounts *out);
/* A build run by BuildKit, which dockerd does not show to plugins whole
 * (POST /grpc, POST /build?version=2): its RUN --network=host steps (which
 * dockerd's BuildKit grants by default), its contexts and the names it
 * exports are never seen, so while a rule on them is in force it is refused;
 * a classic build, whose query says them, is not. how: "over ...". */
void decide_judge_buildkit(struct ctx *c, const char *field, const char *value, const char *flag,
                           const char *how);
/* A namespace mode fact (--pid, --ipc, --uts, --userns, --network,
 * --cgroupns) against the policy (decide_ns.c). */
void decide_judge_mode(struct ctx *c, const char *field, const struct engineapi_fact *fa);
/* A request that runs a process in container ref, or reaches one (start,
 * restart, exec, attach): refused (host-userns) while the host's user
 * namespace is, if ref runs in it, and (unknown-container) if that cannot be
 * told. unknown_told: the caller refuses a ref it cannot find already. */
void decide_judge_runs_in(struct ctx *c, const char *flag, const char *ref, int unknown_told);
/* POST /exec/{id}/start: an exec made earlier (in audit mode, or before the
 * policy) runs in its container, judged as decide_judge_runs_in does; an
 * exec whose container cannot be looked up is refused (unknown-container). */
void decide_judge_exec_start(struct ctx *c, const char *id);
/* Judge the mounts of container ref (start, VolumesFrom), and the drivers of
 * its volumes while allowedVolumeDrivers is set: unknown is refused. */
void decide_judge_container(struct ctx *c, const char *field, const char *flag, const char *ref,
                            const char *image, int write);
/* What container ref runs with (its flags: decide_container_flags), through
 * req->container, judged as a create's facts are: a start, a restart, a
 * restart policy given to it (decide_flags.c). Flags that are not known
 * are refused (unknown-container) while any rule on them is in force; a
 * container that is not found at all is left to decide_judge_container. */
void decide_judge_flags(struct ctx *c, const char *flag, const char *ref);
/* 1 when image matches ECI's socket-mount image list. */
int decide_image_allowed(const struct decide_policy *dp, const char *image);

/* Routes whose facts are in the query (decide_routes.c): images/create, load,
 * build, plugins, tag, commit. */
void decide_judge_query_route(struct ctx *c, const struct engineapi_target *t);
/* Inventory classes and commands: unknown routes, refused and denied commands,
 * form-encoded bodies. */
void decide_judge_class(struct ctx *c, const struct engineapi_target *t);
/* A node update's Role (EF_NODE_ROLE): one that makes the node a manager is
 * judged as docker swarm init, allowed or denied by command. */
void decide_judge_node_role(struct ctx *c, const char *field, const char *flag, const char *role);
/* The namespace (DECIDE_NS_*) a mode fact sets: PID, network or IPC, the
 * three another container can be joined in; 0 for any other fact. */
static inline unsigned
decide_ns_of(enum engineapi_fact_kind kind)
{
	return kind == EF_PID_MODE       ? DECIDE_NS_PID
	       : kind == EF_NETWORK_MODE ? DECIDE_NS_NET
	       : kind == EF_IPC_MODE     ? DECIDE_NS_IPC
	                                 : 0;
}

/* The most bytes of one query value read whole. */
#define DECIDE_QVAL_MAX 1024

/* Image names made on this host (decide_names.c). A name an image is about
 * to get (build -t): refused when it would match ECI's socket-mount list, or
 * cannot be read as an image name. */
void decide_judge_new_name(struct ctx *c, const char *field, const char *flag, const char *name);
/* The same for a name already parsed into ref. */
void decide_judge_new_ref(struct ctx *c, const char *field, const char *flag, const char *name,
                          const struct imageref *ref);
/* Refuse a name that cannot be resolved as dockerd resolves it (it may be
 * any name, one on the socket-mount list included). */
void decide_refuse_unresolved_name(struct ctx *c, const char *field, const char *flag,
                                   const char *name);
/* A build's outputs (?outputs=, BuildKit's exporters): the names each gives
 * the image (name, dangling-name-prefix) while ECI is on, and the registries
 * an output that pushes sends them to while allowedRegistries is set; text
 * that is not the []ImageBuildOutput dockerd decodes is refused. */
void decide_judge_build_outputs(struct ctx *c, const char *key, const char *val);
/* An image (or plugin) the engine is about to pull: refused when its
 * registry is not in allowedRegistries. flag is what the developer typed. */
void decide_judge_registry(struct ctx *c, const char *field, const char *flag, const char *image);
/* How a registry is named to dockerd: a login's server address, a search
 * term (imageref_server_registry, imageref_search_registry). */
enum decide_registry_name { DECIDE_REGISTRY_SERVER, DECIDE_REGISTRY_SEARCH };
/* The registry that value names (in the given way) must be listed in
 * allowedRegistries, when the list is in force. */
void decide_judge_registry_at(struct ctx *c, const char *field, const char *flag, const char *value,
                              enum decide_registry_name how);

/* The developer-facing text of a violation's flag (decide_message.c). */
void decide_fact_flag(const struct engineapi_fact *fa, char *buf, size_t bufsz);

#endif
