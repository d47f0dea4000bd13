/* SPDX-License-Identifier: Apache-2.0 */
/* The host paths of a container, as the engine describes it: GET
 * /containers/{ref}/json, GET /volumes/{name} for its local volumes, and the
 * same for the containers it took volumes from; and what it runs with (GET
 * /info for the engine's defaults). */
#include "engineclient.h"

#include "engineclient_int.h"
#include "engine/engineapi.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH   4  /* VolumesFrom levels followed */
#define MAX_LOOKUPS 16 /* GETs for one container, volumes included */

struct inspect {
	const char *socket;
	long long deadline; /* for the whole lookup, volumes and VolumesFrom included */
	int gets;
	json_t *info; /* the engine's GET /info, when the caller has it (borrowed) */
	char *err;
	size_t errsz;
};

/* A container reference or volume name that can go into a path as is: the
 * characters dockerd allows in names and ids, after an optional '/'. */
static const char *
plain_ref(const char *s)
{
	size_t i;

	if (s[0] == '/')
		s++;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || (i > 0 && strchr("_.-", s[i]) != NULL)))
			return NULL;
	return i > 0 && i <= 255 ? s : NULL;
}

/* GET path and parse the reply as a JSON object into *out (new reference).
 * 1 on a 200 with an object, 0 otherwise (err set), -1 on ENOMEM. */
static int
get_object(struct inspect *in, const char *path, json_t **out)
{
	struct engineclient_reply r;
	json_error_t jerr;

	*out = NULL;
	if (++in->gets > MAX_LOOKUPS) {
		engineclient_seterr(in->err, in->errsz, "too many lookups for one container");
		return 0;
	}
	if (in->deadline <= engineclient_now_ms()) {
		engineclient_seterr(in->err, in->errsz, "no complete answer within the time-out");
		return 0;
	}
	if (engineclient_get(in->socket, path, (int)(in->deadline - engineclient_now_ms()),
	                     ENGINECLIENT_MAX_BODY, &r, in->err, in->errsz) != 0)
		return 0;
	if (r.status != 200) {
		engineclient_seterr(in->err, in->errsz, "GET %s: status %d", path, r.status);
		engineclient_reply_clear(&r);
		return 0;
	}
	*out = json_loadb(r.body, r.len, 0, &jerr);
	engineclient_reply_clear(&r);
	if (!json_is_object(*out)) {
		engineclient_seterr(in->err, in->errsz, "GET %s: not a JSON object", path);
		json_decref(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

/* Add path unless it is there already (Binds and Mounts name the same
 * binds). 0, or -1 on ENOMEM. */
static int
add_once(struct decide_mounts *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->src[i], path) == 0)
			return 0;
	return decide_mounts_add(m, path);
}

static int
add_path(struct decide_mounts *m, const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 ? add_once(m, json_string_value(v))
	                                                      : 0;
}

/* HostConfig.Binds: "src:dst[:opts]"; only an absolute src is a host path. */
static int
add_binds(const json_t *hc, struct decide_mounts *m)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(hc, "Binds"), i, v)
	{
		const char *s = json_string_value(v), *colon;
		char *src;
		int rc;

		if (s == NULL || s[0] != '/')
			continue;
		colon = strchr(s, ':');
		if ((src = strndup(s, colon != NULL ? (size_t)(colon - s) : strlen(s))) == NULL)
			return -1;
		rc = add_once(m, src);
		free(src);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A volume's local-driver options (type, o, device) into v, named name. 0,
 * or -1 on ENOMEM. */
static int
local_options(const json_t *vol, const char *name, struct decide_volopts *v)
{
	const json_t *opts = json_object_get(vol, "Options");

	return decide_volopts_set(v, name, json_string_value(json_object_get(opts, "type")),
	                          json_string_value(json_object_get(opts, "o")),
	                          json_string_value(json_object_get(opts, "device")));
}

/* A named volume of the local driver: its device, when its options make it
 * a bind (read-write when rw, the mount's RW), or its options, when they
 * mount another file system of the host's. 0, or 1 when it cannot be
 * described (err set), -1 ENOMEM. */
static int
add_volume(struct inspect *in, const char *name, int rw, struct decide_mounts *m)
{
	const char *plain = name != NULL ? plain_ref(name) : NULL;
	struct decide_volopts v = {0};
	json_t *vol = NULL;
	char path[300];
	int rc;

	if (plain == NULL) {
		engineclient_seterr(in->err, in->errsz, "volume name \"%s\" cannot be looked up",
		                    name != NULL ? name : "");
		return 1;
	}
	snprintf(path, sizeof(path), "/volumes/%s", plain);
	if ((rc = get_object(in, path, &vol)) != 1)
		return rc == 0 ? 1 : -1;
	rc = local_options(vol, plain, &v);
	json_decref(vol);
	switch (rc == 0 ? engineapi_local_mount(v.type, v.o, v.device) : ENGINEAPI_LOCAL_NONE) {
	case ENGINEAPI_LOCAL_NONE:
		break;
	case ENGINEAPI_LOCAL_BIND:
		rc = add_once(m, v.device != NULL ? v.device : "");
		if (rc == 0 && rw)
			rc = decide_mounts_add_rw(m, v.device != NULL ? v.device : "");
		break;
	case ENGINEAPI_LOCAL_NETWORK:
	case ENGINEAPI_LOCAL_FS:
		rc = decide_mounts_add_vol(m, &v);
		break;
	}
	decide_volopts_clear(&v);
	return rc;
}

/* Mounts[]: binds by Source, local volumes by device, the drivers of the
 * others. 0, 1 (a volume that cannot be described), -1 ENOMEM. */
static int
add_mounts(struct inspect *in, const json_t *mounts, struct decide_mounts *m)
{
	const json_t *mt;
	size_t i;
	int rc = 0;

	json_array_foreach(mounts, i, mt)
	{
		const char *type = json_string_value(json_object_get(mt, "Type"));
		const char *driver = json_string_value(json_object_get(mt, "Driver"));

		if (type == NULL || strcmp(type, "tmpfs") == 0 || strcmp(type, "npipe") == 0 ||
		    strcmp(type, "image") == 0)
			continue;
		if (strcmp(type, "volume") != 0 && strcmp(type, "cluster") != 0) {
			rc = add_path(m, json_object_get(mt, "Source")); /* bind, or new */
			if (rc == 0 && json_is_true(json_object_get(mt, "RW")) &&
			    json_string_length(json_object_get(mt, "Source")) > 0)
				rc = decide_mounts_add_rw(
				    m, json_string_value(json_object_get(mt, "Source")));
		} else if (driver == NULL || driver[0] == '\0' || strcmp(driver, "local") == 0)
			rc = strcmp(type, "volume") == 0
			         ? add_volume(in, json_string_value(json_object_get(mt, "Name")),
			                      json_is_true(json_object_get(mt, "RW")), m)
			         : 0;
		else
			rc = decide_mounts_add_driver(m, driver); /* a plugin's */
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int inspect_container(struct inspect *in, const char *ref, int depth,
                             struct containers_entry *out, int *cacheable);

/* HostConfig.VolumesFrom: "name[:mode]". A source that is gone is skipped:
 * dockerd copied its mounts into this container's Mounts at create. */
static int
add_volumes_from(struct inspect *in, const json_t *hc, int depth, struct decide_mounts *m)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(hc, "VolumesFrom"), i, v)
	{
		const char *s = json_string_value(v);
		struct containers_entry from;
		char *name;
		int rc, ignored;

		if (s == NULL || depth >= MAX_DEPTH)
			continue;
		if ((name = strndup(s, strcspn(s, ":"))) == NULL)
			return -1;
		rc = inspect_container(in, name, depth + 1, &from, &ignored);
		free(name);
		/* Which are read-write here: this container's Mounts say. */
		if (rc == 1)
			decide_mounts_forget_rw(&from.mounts);
		if (rc == 1 && decide_mounts_merge(m, &from.mounts) != 0)
			rc = -1;
		containers_entry_clear(&from);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* The namespaces this container shares with the host, as dockerd set them
 * up: "host", or another container's, looked up in turn (as deep as
 * VolumesFrom sources); one that cannot be is not known. Its user namespace
 * is the host's with UsernsMode "host", or when it joins another container
 * that runs in the host's (an engine that remaps users puts a container
 * that joins a PID, network or IPC namespace into its owner's user
 * namespace). */
static int
add_namespaces(struct inspect *in, const json_t *hc, int depth, struct decide_mounts *m)
{
	static const struct {
		const char *field;
		unsigned ns;
	} modes[] = {
	    {"PidMode", DECIDE_NS_PID}, {"NetworkMode", DECIDE_NS_NET}, {"IpcMode", DECIDE_NS_IPC}};
	unsigned user_known = DECIDE_NS_USER, user_host = 0;

	m->ns_known = DECIDE_NS_ALL;
	m->ns_host = 0;
	decide_ns_mode(DECIDE_NS_USER, json_string_value(json_object_get(hc, "UsernsMode")),
	               &user_host, &user_known);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *v = json_string_value(json_object_get(hc, modes[i].field));
		struct containers_entry other = {0};
		int rc = 0, ignored;

		decide_ns_mode(modes[i].ns, v, &m->ns_host, &m->ns_known);
		if (v == NULL || strncmp(v, "container:", 10) != 0)
			continue;
		if (depth < MAX_DEPTH &&
		    (rc = inspect_container(in, v + 10, depth + 1, &other, &ignored)) == -1)
			return -1;
		if (rc == 1 && (other.mounts.ns_known & modes[i].ns)) {
			m->ns_known |= modes[i].ns;
			m->ns_host |= other.mounts.ns_host & modes[i].ns;
		}
		if (rc == 1 && (other.mounts.ns_known & DECIDE_NS_USER))
			user_host |= other.mounts.ns_host & DECIDE_NS_USER;
		else
			user_known = 0;
		containers_entry_clear(&other);
	}
	/* The host's, for certain, once any way leads there. */
	m->ns_host |= user_host;
	if (!user_known && !user_host)
		m->ns_known &= ~DECIDE_NS_USER;
	return 0;
}

/* The member name of o, or "" when it is not a string. */
static const char *
string_of(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

/* What the container runs with (decide_container_flags), from its HostConfig
 * and the endpoints of its networks (c, hc), as a create of it would say
 * them. dockerd fills in a runtime, a logging driver and system paths at
 * create for one that names none: when they are the engine's defaults (GET
 * /info: DefaultRuntime, LoggingDriver, and the paths its ServerVersion
 * writes), as on every container made without a choice, they are left
 * out; when /info cannot tell, they stay and are judged as named. A
 * CgroupnsMode left empty (engines before 20.10) is the host's. m->flags
 * stays NULL (not known) when they cannot be told. 0, or -1 on ENOMEM. */
static int
add_flags(struct inspect *in, const json_t *c, const json_t *hc, struct decide_mounts *m)
{
	json_t *copy = json_deep_copy(hc), *info = NULL, *body = NULL;
	json_t *lc = json_object_get(copy, "LogConfig");
	char *text = NULL;
	int rc = -1;

	if (copy == NULL)
		return -1;
	if (in->info != NULL)
		info = json_incref(in->info);
	else if ((string_of(copy, "Runtime")[0] != '\0' || string_of(lc, "Type")[0] != '\0' ||
	          json_object_get(copy, "MaskedPaths") != NULL ||
	          json_object_get(copy, "ReadonlyPaths") != NULL) &&
	         get_object(in, "/info", &info) == -1)
		goto out;
	if (info != NULL &&
	    strcmp(string_of(copy, "Runtime"), string_of(info, "DefaultRuntime")) == 0)
		json_object_del(copy, "Runtime");
	if (info != NULL && strcmp(string_of(lc, "Type"), string_of(info, "LoggingDriver")) == 0)
		json_object_del(lc, "Type");
	if (info != NULL)
		engineclient_drop_default_paths(copy, string_of(info, "ServerVersion"));
	body =
	    json_pack("{s:O, s:{s:O?}}", "HostConfig", copy, "NetworkingConfig", "EndpointsConfig",
	              json_object_get(json_object_get(c, "NetworkSettings"), "Networks"));
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL)
		goto out;
	decide_container_flags(text, strlen(text), DECIDE_CGROUPNS_HOST, &m->flags);
	rc = 0;
out:
	free(text);
	json_decref(body);
	json_decref(info);
	json_decref(copy);
	return rc;
}

static int
dup_field(char **dst, const char *s)
{
	if (s == NULL)
		s = "";
	if (s[0] == '/')
		s++;
	return (*dst = strdup(s)) != NULL ? 0 : -1;
}

static int
inspect_container(struct inspect *in, const char *ref, int depth, struct containers_entry *out,
                  int *cacheable)
{
	const char *plain = plain_ref(ref), *id;
	const json_t *hc, *cfg;
	json_t *c = NULL;
	char path[300];
	int rc;

	memset(out, 0, sizeof(*out));
	*cacheable = 0;
	if (plain == NULL) {
		engineclient_seterr(in->err, in->errsz, "\"%s\" is not a container name or id",
		                    ref);
		return 0;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", plain);
	if ((rc = get_object(in, path, &c)) != 1)
		return rc;
	hc = json_object_get(c, "HostConfig");
	cfg = json_object_get(c, "Config");
	id = json_string_value(json_object_get(c, "Id"));
	rc = 0;
	if (id == NULL || !containers_is_id(id) || !json_is_object(hc)) {
		engineclient_seterr(in->err, in->errsz, "GET %s: no Id or HostConfig", path);
		goto out;
	}
	memcpy(out->id, id, 65);
	out->origin = "engine";
	out->mounts.drivers_known = 1;
	out->mounts.rw_known = 1; /* Mounts[].RW */
	rc = -1;
	if (dup_field(&out->name, json_string_value(json_object_get(c, "Name"))) != 0 ||
	    dup_field(&out->image, json_string_value(json_object_get(cfg, "Image"))) != 0 ||
	    add_binds(hc, &out->mounts) != 0)
		goto out;
	if ((rc = add_mounts(in, json_object_get(c, "Mounts"), &out->mounts)) != 0) {
		rc = rc == 1 ? 0 : -1;
		goto out;
	}
	if (add_volumes_from(in, hc, depth, &out->mounts) != 0 ||
	    add_namespaces(in, hc, depth, &out->mounts) != 0 ||
	    (depth == 0 && add_flags(in, c, hc, &out->mounts) != 0))
		goto out;
	/* A record keeps no volume options: one holding such a volume is
	 * asked about again. */
	*cacheable =
	    out->mounts.nvols == 0 && !json_is_true(json_object_get(hc, "AutoRemove")) &&
	    json_object_get(json_object_get(cfg, "Labels"), "com.docker.swarm.task.id") == NULL;
	rc = 1;
out:
	json_decref(c);
	if (rc != 1)
		containers_entry_clear(out);
	return rc;
}

int
engineclient_container(const char *socket, int timeout_ms, const char *ref,
                       struct containers_entry *out, int *cacheable, char *err, size_t errsz)
{
	struct inspect in = {socket, engineclient_now_ms() + timeout_ms, 0, NULL, err, errsz};

	return inspect_container(&in, ref, 0, out, cacheable);
}

int
engineclient_container_with(const char *socket, int timeout_ms, const char *ref, json_t *info,
                            struct containers_entry *out, char *err, size_t errsz)
{
	struct inspect in = {socket, engineclient_now_ms() + timeout_ms, 0, info, err, errsz};
	int cacheable;

	return inspect_container(&in, ref, 0, out, &cacheable);
}

/* GET /KIND/{ref} (volumes, networks): 1 with the object (a new reference)
 * in *obj and its Driver in drv when ref is its exact Name or Id, 2 on a
 * 404, 0 otherwise (err set). */
static int
get_named(const char *socket, int timeout_ms, const char *kind, const char *ref, json_t **obj,
          char *drv, size_t drvsz, char *err, size_t errsz)
{
	const char *plain = ref != NULL && ref[0] != '/' ? plain_ref(ref) : NULL;
	const char *name, *id, *driver;
	struct engineclient_reply r;
	char path[300];
	int rc = 0;

	*obj = NULL;
	if (plain == NULL) {
		engineclient_seterr(err, errsz, "\"%s\" cannot be looked up",
		                    ref != NULL ? ref : "");
		return 0;
	}
	snprintf(path, sizeof(path), "/%s/%s", kind, plain);
	if (engineclient_get(socket, path, timeout_ms, ENGINECLIENT_MAX_BODY, &r, err, errsz) != 0)
		return 0;
	if (r.status != 200) {
		rc = r.status == 404 ? 2 : 0;
		engineclient_seterr(err, errsz, "GET %s: status %d", path, r.status);
		engineclient_reply_clear(&r);
		return rc;
	}
	*obj = json_loadb(r.body, r.len, 0, NULL);
	engineclient_reply_clear(&r);
	name = json_string_value(json_object_get(*obj, "Name"));
	id = json_string_value(json_object_get(*obj, "Id"));
	driver = json_string_value(json_object_get(*obj, "Driver"));
	if ((name == NULL || strcmp(name, ref) != 0) && (id == NULL || strcmp(id, ref) != 0))
		engineclient_seterr(err, errsz, "GET %s: found only by an id prefix", path);
	else if (driver == NULL || driver[0] == '\0' || strlen(driver) >= drvsz)
		engineclient_seterr(err, errsz, "GET %s: no Driver", path);
	else {
		memcpy(drv, driver, strlen(driver) + 1);
		return 1;
	}
	json_decref(*obj);
	*obj = NULL;
	return 0;
}

int
engineclient_volume(const char *socket, int timeout_ms, const char *name, struct decide_volume *out,
                    char *err, size_t errsz)
{
	json_t *vol;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = get_named(socket, timeout_ms, "volumes", name, &vol, out->driver, sizeof(out->driver),
	               err, errsz);
	if (rc == 1 && strcmp(out->driver, "local") == 0 &&
	    local_options(vol, name, &out->opts) != 0) {
		engineclient_seterr(err, errsz, "out of memory");
		rc = 0;
	}
	json_decref(vol);
	return rc;
}

int
engineclient_network(const char *socket, int timeout_ms, const char *ref, char *drv, size_t drvsz,
                     char *err, size_t errsz)
{
	json_t *net;
	int rc = get_named(socket, timeout_ms, "networks", ref, &net, drv, drvsz, err, errsz);

	json_decref(net);
	return rc == 2 ? 0 : rc;
}

int
engineclient_exec(const char *socket, int timeout_ms, const char *id, char *container, size_t sz,
                  char *err, size_t errsz)
{
	struct inspect in = {socket, engineclient_now_ms() + timeout_ms, 0, NULL, err, errsz};
	const char *plain = id != NULL ? plain_ref(id) : NULL, *eid, *cid;
	char path[300];
	json_t *e = NULL;
	int rc;

	if (plain == NULL || plain != id) {
		engineclient_seterr(err, errsz, "\"%s\" cannot be looked up", id != NULL ? id : "");
		return 0;
	}
	snprintf(path, sizeof(path), "/exec/%s/json", plain);
	if ((rc = get_object(&in, path, &e)) != 1)
		return rc;
	eid = json_string_value(json_object_get(e, "ID"));
	cid = json_string_value(json_object_get(e, "ContainerID"));
	rc = 0;
	if (eid == NULL || strcmp(eid, id) != 0)
		engineclient_seterr(err, errsz, "GET %s: another exec's answer", path);
	else if (cid == NULL || !containers_is_id(cid) || strlen(cid) >= sz)
		engineclient_seterr(err, errsz, "GET %s: no ContainerID", path);
	else {
		memcpy(container, cid, strlen(cid) + 1);
		rc = 1;
	}
	json_decref(e);
	return rc;
}
