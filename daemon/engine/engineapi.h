/* SPDX-License-Identifier: Apache-2.0 */
/* Docker Engine API requests reduced to facts a policy can judge: which route
 * a method + URI reaches (as dockerd's router would), its query parameters,
 * and what the JSON body asks for (host namespaces, capabilities, devices,
 * host paths, image), read the way Go's encoding/json reads it (gojson.h).
 * Routes and queries: engineapi_route.c; bodies: engineapi.c and
 * engineapi_service.c (swarm services). */
#ifndef LOCKSET_ENGINEAPI_H
#define LOCKSET_ENGINEAPI_H

#include <stddef.h>

#include "gojson.h"

enum engineapi_route {
	ENGINEAPI_OTHER = 0,
	ENGINEAPI_CONTAINER_CREATE,  /* POST /containers/create */
	ENGINEAPI_EXEC_CREATE,       /* POST /containers/{id}/exec */
	ENGINEAPI_CONTAINER_UPDATE,  /* POST /containers/{id}/update */
	ENGINEAPI_CONTAINER_START,   /* POST /containers/{id}/start */
	ENGINEAPI_CONTAINER_RESTART, /* POST /containers/{id}/restart: mounts again, like start */
	ENGINEAPI_IMAGE_CREATE,      /* POST /images/create (pull or import) */
	ENGINEAPI_IMAGE_LOAD,        /* POST /images/load */
	ENGINEAPI_BUILD,             /* POST /build */
	ENGINEAPI_PLUGIN_INSTALL,    /* POST /plugins/pull, /plugins/create, /plugins/{n}/upgrade */
	ENGINEAPI_VOLUME_CREATE,     /* POST /volumes/create */
	ENGINEAPI_SERVICE_CREATE,    /* POST /services/create */
	ENGINEAPI_SERVICE_UPDATE,    /* POST /services/{id}/update */
	ENGINEAPI_SWARM_JOIN,        /* POST /swarm/join */
	ENGINEAPI_PLUGIN_SET,        /* POST /plugins/{name}/set */
	ENGINEAPI_PLUGIN_ENABLE,     /* POST /plugins/{name}/enable */
	ENGINEAPI_IMAGE_TAG,         /* POST /images/{name}/tag */
	ENGINEAPI_COMMIT,            /* POST /commit */
	ENGINEAPI_BUILD_STREAM,      /* POST /grpc: BuildKit's own API, a stream no plugin sees */
	ENGINEAPI_NETWORK_CONNECT,   /* POST /networks/{id}/connect: an endpoint's sysctls */
	ENGINEAPI_NETWORK_CREATE,    /* POST /networks/create: its drivers */
	ENGINEAPI_CONTAINER_ARCHIVE, /* HEAD, GET, PUT /containers/{id}/archive (docker cp):
	                                dockerd mounts the container's volumes again */
	ENGINEAPI_SWARM_SPEC,        /* POST /swarm/init, /swarm/update: the tasks' defaults */
	ENGINEAPI_NODE_UPDATE,       /* POST /nodes/{id}/update: a node's role (docker node
	                                promote makes it a manager) */
	ENGINEAPI_CHECKPOINT,        /* GET, POST /containers/{id}/checkpoints, DELETE
	                                .../{checkpoint} (experimental): a host directory */
	ENGINEAPI_SECRET_CREATE,     /* POST /secrets/create, /configs/create: their drivers */
	ENGINEAPI_IMAGE_PUSH,        /* POST /images/{name}/push, /plugins/{name}/push */
	ENGINEAPI_REGISTRY_LOGIN,    /* POST /auth: the body's serveraddress */
	ENGINEAPI_REGISTRY_READ,     /* GET /distribution/{name}/json, /images/search,
	                                /plugins/privileges: dockerd asks a registry */
	ENGINEAPI_CONTAINER_ATTACH,  /* POST /containers/{id}/attach, GET .../attach/ws: the
	                                streams of the process a container runs */
	ENGINEAPI_EXEC_START,        /* POST /exec/{id}/start: runs an exec made earlier */
	ENGINEAPI_CONTAINER_UNPAUSE, /* POST /containers/{id}/unpause: its processes run again */
	ENGINEAPI_UNKNOWN,           /* a mutating request on a route not in the inventory */
};

/* What the inventory says of a route. */
enum engineapi_class {
	ENGINEAPI_READONLY, /* allowed, not inspected (GET/HEAD, and harmless POSTs) */
	ENGINEAPI_JUDGED,   /* query and body read into facts, rules applied */
	ENGINEAPI_REFUSED,  /* refused unless containerPolicy.allowedCommands names it */
	ENGINEAPI_UNLISTED, /* not in the inventory: a mutating method is refused */
};

#define ENGINEAPI_PATH_INLINE 512

/* Where a request goes. id and query point into storage owned by the target
 * (valid until engineapi_target_clear) or, for query, into the caller's uri. */
struct engineapi_target {
	enum engineapi_route route;
	enum engineapi_class klass;
	const char *command; /* deniedCommands/allowedCommands vocabulary id of the route
	                        ("build", "swarm join", ...), static, or NULL */
	const char *pattern; /* the inventory entry matched ("/containers/{id}/start"),
	                        static, or NULL when unlisted */
	int form;            /* dockerd reads this route's parameters from r.Form, so an
	                        urlencoded body would override the query */
	int nul;             /* the target holds %00: its path or a parameter, decoded,
	                        would end there as a C string and not for dockerd */
	int before_1_24;     /* the path names an API version before 1.24 (/v1.23/...),
	                        where dockerd still applies a start's body as the
	                        container's HostConfig */
	int before_1_41;     /* ... before 1.41, where dockerd gives a create that names no
	                        cgroup namespace mode the host's */
	const char *id;      /* the route's first path parameter: container, exec,
	                        image, plugin, service, network or volume id or
	                        name ("localhost:5000/a/b" for an image), or NULL */
	const char *id2;     /* the second path parameter (a checkpoint's name), or NULL */
	const char *query;   /* raw query string after '?' (borrowed from uri), or NULL */
	char *heap;          /* path storage when it does not fit inline */
	char buf[ENGINEAPI_PATH_INLINE];
};

/* Classify method + uri: strip an absolute-form "scheme://host" prefix and the
 * query, percent-decode the path once, clean it ("//", ".", ".."), strip an
 * optional "/vX.Y" prefix and match method and path case-sensitively as
 * dockerd does, against the inventory of every Engine API route (API 1.24 to
 * 1.56; engineapi_inventory.c). A listed route gets its route, class, command,
 * pattern and form; an unlisted one is OTHER/READONLY for GET, HEAD and
 * OPTIONS, and UNKNOWN/UNLISTED for any other method (including a NULL
 * method or a URI without a path). Returns 0, or -1 on ENOMEM. Call
 * engineapi_target_clear afterwards. */
int engineapi_classify(const char *method, const char *uri, struct engineapi_target *t);
/* 1 when the facts of a request of method on route are in its JSON body
 * (engineapi_facts_parse reads it), else 0. */
int engineapi_reads_body(const char *method, enum engineapi_route route);
/* Release what engineapi_classify allocated. Accepts NULL. */
void engineapi_target_clear(struct engineapi_target *t);
/* Stable route name: "container.create", "exec.create", "container.update",
 * "container.start", "container.attach", "container.unpause", "exec.start", "image.create",
 * "image.load", "build", "plugin.install",
 * "volume.create", "service.create", "service.update", "swarm.join",
 * "plugin.set", "plugin.enable", "image.tag", "image.push", "registry.login",
 * "registry.read", "commit", "unknown", "other". */
const char *engineapi_route_name(enum engineapi_route route);

/* Find the next value of key (exact, case-sensitive, as Go's url.Values) in a
 * query string ("a=1&b=2", '+' = space, %XX decoded); *cursor starts at the
 * string and advances. The decoded value is written to buf (truncated to
 * bufsz - 1). Returns 1 when a value was found, 2 when one was found but cut
 * (its raw text is bufsz bytes or more), 0 at the end. */
int engineapi_query_next(const char **cursor, const char *key, char *buf, size_t bufsz);

/* gojson_key_matches, kept under the engineapi name for callers of this module:
 * 1 when a JSON object key (klen bytes of UTF-8) selects the struct field name
 * as Go's encoding/json folds case ("PRIVILEGED", U+017F, U+212A). */
int engineapi_key_matches(const char *key, size_t klen, const char *name);

enum engineapi_fact_kind {
	EF_PRIVILEGED, /* value "true" */
	EF_PID_MODE,   /* value: the mode string */
	EF_IPC_MODE,
	EF_UTS_MODE,
	EF_USERNS_MODE,
	EF_NETWORK_MODE, /* also NetworkingConfig.EndpointsConfig["host"] */
	EF_CGROUPNS_MODE,
	EF_CAP_ADD,        /* value: one capability as sent */
	EF_DEVICE,         /* Devices[i].PathOnHost (or "" when not given) */
	EF_DEVICE_REQUEST, /* DeviceRequests[i].Driver (or "gpu") */
	EF_DEVICE_CGROUP_RULE,
	EF_SECURITY_OPT,    /* one SecurityOpt entry */
	EF_MASKED_PATHS,    /* non-null MaskedPaths; list holds the entries */
	EF_READONLY_PATHS,  /* non-null ReadonlyPaths; list holds the entries */
	EF_SYSCTL,          /* value: the sysctl name */
	EF_HOST_PATH,       /* value: a host path a mount would expose */
	EF_VOLUMES_FROM,    /* value: a VolumesFrom entry, "name[:ro|:rw]" */
	EF_VOLUME_FS,       /* local-driver volume mounting a file system; value: its type,
	                      list: {device, o} */
	EF_NETWORK_VOLUME,  /* the same for nfs, cifs, ...; value: its type */
	EF_PLUGIN,          /* a service whose tasks install a plugin; value: its remote */
	EF_NETWORK_TARGET,  /* a service's network attachment; value: the name or id */
	EF_CHECKPOINT_DIR,  /* a checkpoint create's CheckpointDir; list: {CheckpointID} */
	EF_RUNTIME,         /* HostConfig.Runtime, when set */
	EF_CGROUP_PARENT,   /* HostConfig.CgroupParent, when set */
	EF_LOG_DRIVER,      /* HostConfig.LogConfig.Type, a service's LogDriver.Name (also a
	                      driver name, judged as EF_DRIVER's) */
	EF_LOG_OPT,         /* one key of LogConfig.Config, of a service's LogDriver.Options */
	EF_ANNOTATION,      /* one key of HostConfig.Annotations */
	EF_DRIVER,          /* an IPAM or secret driver the engine looks up by name, as a
	                      plugin when it is not built in */
	EF_VOLUME_DRIVER,   /* the same for a volume driver (HostConfig.VolumeDriver, a mount's
	                      DriverConfig.Name, a volume create's Driver); judged as
	                      EF_DRIVER's and by allowedVolumeDrivers */
	EF_NETWORK_DRIVER,  /* a network create's driver ("bridge" when it names none, and
	                      "overlay" too for a swarm-scoped one); judged as EF_DRIVER's
	                      and by allowedNetworkDrivers */
	EF_NAMED_VOLUME,    /* a volume mounted by name (HostConfig.Binds "name:/dst", a volume
	                      or cluster mount's Source): the engine's volume of that name,
	                      whatever driver made it, or a new one */
	EF_REGISTRY_SERVER, /* POST /auth's serveraddress, as sent ("" when none) */
	EF_BRIDGE_OPTION,   /* a bridge network's option that reaches the host: value its
	                      key (com.docker.network.bridge.name, default_bridge,
	                      gateway_mode_ipv4/ipv6, trusted_host_interfaces), list[0]
	                      its value; or ENGINEAPI_CONFIG_FROM, list[0] the
	                      config-only network whose options it takes, unseen */
	EF_NODE_ROLE,       /* a node update's Role, as sent ("" when none): anything but
	                      "worker" (in any case) makes the node a manager, or is an
	                      error to dockerd */
};

/* EF_BRIDGE_OPTION's key for a bridge network's ConfigFrom. */
#define ENGINEAPI_CONFIG_FROM "ConfigFrom"

/* One fact. Strings live in the facts' arena. The field it came from is
 * prefix + name + ("[index]" when index >= 0) + suffix, e.g.
 * "HostConfig." "Mounts" [0] ".Source". */
struct engineapi_fact {
	enum engineapi_fact_kind kind;
	const char *value;
	const char *const *list;
	size_t nlist;
	const char *prefix;
	const char *name;
	long index;
	const char *suffix;
	int readonly; /* EF_HOST_PATH: mounted read-only (Binds ":ro", Mounts ReadOnly,
	                 a local volume's o=ro) */
	int volume;   /* EF_HOST_PATH: a local volume's o=bind device, mounted again by
	                 every container that uses the volume */
};

/* Everything read from one request body. Initialise with
 * engineapi_facts_init, release with engineapi_facts_clear. */
struct engineapi_facts {
	int body_ok;          /* body parsed (an absent or empty body is not ok) */
	char error[160];      /* why not, when !body_ok */
	int nul;              /* !body_ok because a string or name in it holds U+0000 */
	const char *image;    /* container or service create: Image, or NULL */
	const char *name;     /* volume create: Name, or NULL */
	size_t members;       /* members of the body's top-level object */
	const char *restarts; /* container create or update: a RestartPolicy.Name other
	                         than "" and "no" (dockerd starts it again on its own) */
	struct engineapi_fact *v;
	size_t n, cap;
	struct gojson_arena arena; /* the parsed body and the facts (private) */
};

void engineapi_facts_init(struct engineapi_facts *f);
/* Parse body (len bytes, not necessarily NUL-terminated) for route and append
 * its facts. A body that is not one JSON value (after which only white space
 * may follow) leaves body_ok 0 with a message in error; one that holds
 * U+0000 in any string or member name leaves body_ok 0 and sets nul, and is
 * not read: every fact is a C string, which would end at the NUL where
 * dockerd's Go string goes on ("/share\u0000/../../etc" is /etc to
 * dockerd). Returns 0, or -1 on ENOMEM. */
int engineapi_facts_parse(struct engineapi_facts *f, enum engineapi_route route, const char *body,
                          size_t len);
/* Release the arena. Accepts NULL. */
void engineapi_facts_clear(struct engineapi_facts *f);
/* 1 when a create's facts f name a cgroup namespace mode where dockerd
 * reads it: in HostConfig. The top-level one is read by old engines only
 * when the body has no HostConfig at all, and by none since Docker 29, so
 * it never counts as named (it is still judged, like every top-level
 * field). */
int engineapi_names_cgroupns(const struct engineapi_facts *f);
/* Write the fact's field name ("HostConfig.Binds[1]") to buf. */
void engineapi_fact_field(const struct engineapi_fact *fa, char *buf, size_t bufsz);

/* The media type of Content-Type value v (len bytes) as dockerd's Go reads
 * it (mime.ParseMediaType): the part before the first ';', lower-cased and
 * trimmed by Unicode's rules (U+0130 is "i", U+212A "k"; U+00A0, U+0085 and
 * the other Unicode spaces are trimmed), and only when it is then a token,
 * '/' and a token. Its parameters do not matter: dockerd reads a form body
 * whatever they are. Writes the type, lower case, to out (outsz bytes), or
 * "" when Go's would be "" (no valid type) or longer than out holds. */
void engineapi_media_type(const char *v, size_t len, char *out, size_t outsz);

/* What a local-driver volume mounts, by its options (type, o, device; NULL
 * when absent), as dockerd's local driver reads them. */
enum engineapi_local_mount {
	ENGINEAPI_LOCAL_NONE,    /* no options, or tmpfs: nothing of the host's */
	ENGINEAPI_LOCAL_BIND,    /* o=bind or rbind: the device is a host path */
	ENGINEAPI_LOCAL_NETWORK, /* a network file system (nfs, cifs, ...) */
	ENGINEAPI_LOCAL_FS,      /* any other file system of the host's */
};
enum engineapi_local_mount engineapi_local_mount(const char *type, const char *o,
                                                 const char *device);

#endif
