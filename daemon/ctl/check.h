/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl check: a docker command line turned into the Engine API
 * requests the docker CLI would send (check_run*.c: run, create;
 * check_container.c: exec, update; check_service.c: service create, volume
 * create; check_image.c: pull, build, tag, load, import, plugin install),
 * then judged by POST /v1/decisions (check.c). */
#ifndef LOCKSET_CTL_CHECK_H
#define LOCKSET_CTL_CHECK_H

#include <jansson.h>
#include <stddef.h>

/* The API version prefix of the URIs built here: what the docker CLI
 * negotiates with Debian 12's dockerd (20.10). */
#define CHECK_API "/v1.41"

#define CHECK_MAX_REQUESTS 4

/* One request the docker CLI would send. */
struct check_request {
	char label[96];  /* "create", "pull (if alpine is not present)" */
	char method[8];  /* "POST" */
	char uri[8192];  /* with CHECK_API and the query */
	json_t *body;    /* the JSON body (owned), or NULL when none is sent */
	int conditional; /* sent only in some cases (a pull of a missing image) */
};

struct check_plan {
	struct check_request req[CHECK_MAX_REQUESTS];
	size_t n;
	char error[512]; /* why the command line was refused */
};

/* Add a request (body stolen; may be NULL). Returns it, or NULL when full. */
struct check_request *check_add(struct check_plan *p, const char *label, const char *uri,
                                json_t *body);
/* Record why the command line cannot be translated; returns -1. */
int check_fail(struct check_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- docker-style flags (pflag): --name=V, --name V, -n V, -nV, -abc ---- */

enum check_flag_kind { CF_BOOL, CF_VALUE };

struct check_flag {
	const char *name; /* long name without "--" */
	char shorthand;   /* 0: none */
	enum check_flag_kind kind;
	int id; /* what the translator switches on; 0: accepted and not represented */
};

/* Rows of a flag table. */
#define CHECK_V(name, s, id)          \
	{                             \
		name, s, CF_VALUE, id \
	}
#define CHECK_B(name, s, id)         \
	{                            \
		name, s, CF_BOOL, id \
	}
#define CHECK_END                   \
	{                           \
		NULL, 0, CF_BOOL, 0 \
	}

/* What the flags of the commands other than run and create mean. */
enum check_flag_id {
	X_IGNORED = 0,
	X_DETACH,
	X_DETACH_KEYS,
	X_ENV,
	X_INTERACTIVE,
	X_PRIVILEGED,
	X_TTY,
	X_USER,
	X_WORKDIR,
	X_MEMORY,
	X_MEMORY_SWAP,
	X_CPUS,
	X_CPU_SHARES,
	X_PIDS_LIMIT,
	X_RESTART,
	X_NAME,
	X_MODE,
	X_REPLICAS,
	X_LABEL,
	X_MOUNT,
	X_NETWORK,
	X_CAP_ADD,
	X_CAP_DROP,
	X_SYSCTL,
	X_READ_ONLY,
	X_INIT,
	X_HOSTNAME,
	X_LOG_DRIVER,
	X_LOG_OPT,
	X_DRIVER,
	X_OPT,
	X_PLATFORM,
	X_ALL_TAGS,
	X_TAG,
	X_FILE,
	X_BUILD_ARG,
	X_NO_CACHE,
	X_PULL,
	X_QUIET,
	X_TARGET,
	X_INPUT,
	X_CHANGE,
	X_MESSAGE,
	X_ALIAS,
};

struct check_arg {
	int id;
	const char *name;
	const char *value; /* a value flag's value; a bool's "true"/"false" */
};

/* Parse argv against flags. With interspersed 0, parsing stops at the first
 * positional (docker run IMAGE CMD...). Flags go to out (up to maxout),
 * positionals to pos (up to maxpos). 0, or -1 with p->error set. */
int check_flags(struct check_plan *p, const struct check_flag *flags, int interspersed, int argc,
                char **argv, struct check_arg *out, int maxout, int *nout, char **pos, int maxpos,
                int *npos);
/* A bool flag's value: 1 unless "false"/"0". */
int check_bool(const struct check_arg *a);

/* ---- helpers shared by the translators (check_util.c) ---- */

/* Normalise an image reference as the CLI does for a pull: name with its
 * registry ("docker.io/library/alpine") and tag or digest ("latest" when
 * neither is given). 0, or -1 with p->error set. */
int check_image_ref(struct check_plan *p, const char *ref, char *name, size_t namesz, char *tag,
                    size_t tagsz);
/* Add the pull of ref (POST /images/create?fromImage=&tag=) to the plan;
 * conditional: only sent when the image is not present. 0, or -1. */
int check_pull_request(struct check_plan *p, const char *ref, const char *platform,
                       int conditional);
/* Append one normalised capability ("CAP_SYS_ADMIN", "ALL") to the array. */
void check_cap_add(json_t *caps, const char *cap);
/* Effective CapAdd/CapDrop as the CLI computes them (ALL wins, a cap both
 * added and dropped is in neither, sorted). Replaces the arrays' contents. */
void check_caps_effective(json_t *add, json_t *drop);
/* A --mount value as a Mount object (new reference), NULL with p->error set. */
json_t *check_mount(struct check_plan *p, const char *spec);
/* "k=v" into obj[k] = v (v "" when there is no '='). 0, or -1 with p->error. */
int check_kv(struct check_plan *p, json_t *obj, const char *flag, const char *kv);
/* Append v (stolen) to the array obj[key], creating it. Returns the array. */
json_t *check_list_append(json_t *obj, const char *key, json_t *v);
/* docker run's --device HOST[:CONTAINER][:PERMS] into hc.Devices. 0 or -1. */
int check_device(struct check_plan *p, json_t *hc, const char *spec);
/* --gpus all|N|device=IDS into hc.DeviceRequests. 0 or -1. */
int check_gpus(struct check_plan *p, json_t *hc, const char *spec);
/* -p [IP:][HOSTPORT:]PORT[/PROTO] into hc.PortBindings and body.ExposedPorts. */
int check_publish(struct check_plan *p, json_t *body, json_t *hc, const char *spec);
/* --env-file: each line that is not empty or a comment into body.Env. */
int check_env_file(struct check_plan *p, json_t *body, const char *path);
/* Bytes from a docker size ("512m", "1g", "100"); -1 when malformed. */
long long check_size(const char *s);

/* ---- translators: argv starts after the subcommand ---- */

int check_run(struct check_plan *p, int create, int argc, char **argv);
/* A container or image id as a path segment: CHECK_API prefix/ID suffix. */
void check_uri_with_id(char *uri, size_t sz, const char *prefix, const char *id,
                       const char *suffix);
int check_exec(struct check_plan *p, int argc, char **argv);
int check_update(struct check_plan *p, int argc, char **argv);
int check_service_create(struct check_plan *p, int argc, char **argv);
int check_volume_create(struct check_plan *p, int argc, char **argv);
int check_pull(struct check_plan *p, int argc, char **argv);
int check_build(struct check_plan *p, int argc, char **argv);
int check_tag(struct check_plan *p, int argc, char **argv);
int check_load(struct check_plan *p, int argc, char **argv);
int check_import(struct check_plan *p, int argc, char **argv);
int check_plugin_install(struct check_plan *p, int argc, char **argv);

#endif
