/* SPDX-License-Identifier: Apache-2.0 */
/* Engine API request bodies -> facts a policy can judge (host namespaces,
 * capabilities, devices, host paths, image), read through gojson as Go's
 * encoding/json would decode them into dockerd's structs. Routes and query
 * parameters are in engineapi_route.c, swarm services in engineapi_service.c,
 * mounts and volumes in engineapi_volume.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engineapi.h"
#include "engineapi_int.h"
#include "gojson.h"

/* ------------------------------------------------------------------------ */
/* Facts                                                                    */

/* Everything but the arena. */
static void
facts_reset(struct engineapi_facts *f)
{
	f->body_ok = 0;
	f->nul = 0;
	f->error[0] = '\0';
	f->image = NULL;
	f->name = NULL;
	f->restarts = NULL;
	f->members = 0;
	f->v = NULL;
	f->n = f->cap = 0;
}

void
engineapi_facts_init(struct engineapi_facts *f)
{
	facts_reset(f);
	gojson_arena_init(&f->arena);
}

void
engineapi_facts_clear(struct engineapi_facts *f)
{
	if (f == NULL)
		return;
	gojson_arena_clear(&f->arena);
	facts_reset(f);
}

int
engineapi_key_matches(const char *key, size_t klen, const char *name)
{
	return gojson_key_matches(key, klen, name);
}

int
engineapi_fact_add(struct engineapi_facts *f, enum engineapi_fact_kind kind, const char *value,
                   const char *prefix, const char *name, long index, const char *suffix)
{
	struct engineapi_fact *fa;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct engineapi_fact *v = gojson_arena_alloc(&f->arena, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		if (f->n > 0)
			memcpy(v, f->v, f->n * sizeof(*v));
		f->v = v;
		f->cap = cap;
	}
	fa = &f->v[f->n++];
	fa->kind = kind;
	fa->value = value != NULL ? value : "";
	fa->list = NULL;
	fa->nlist = 0;
	fa->prefix = prefix;
	fa->name = name;
	fa->index = index;
	fa->suffix = suffix;
	fa->readonly = 0;
	fa->volume = 0;
	return 0;
}

/* Append s to buf at *o, cut as snprintf cuts (bufsz - 1 bytes at most). */
static void
field_put(char *buf, size_t bufsz, size_t *o, const char *s, size_t n)
{
	if (n > bufsz - 1 - *o)
		n = bufsz - 1 - *o;
	memcpy(buf + *o, s, n);
	*o += n;
}

/* Every fact is named on the decision path, allowed or not: joined by hand,
 * since snprintf cost more than judging the fact. */
void
engineapi_fact_field(const struct engineapi_fact *fa, char *buf, size_t bufsz)
{
	char num[24], *d = num + sizeof(num);
	unsigned long i = (unsigned long)fa->index;
	size_t o = 0;

	if (bufsz == 0)
		return;
	field_put(buf, bufsz, &o, fa->prefix, strlen(fa->prefix));
	field_put(buf, bufsz, &o, fa->name, strlen(fa->name));
	if (fa->index >= 0) {
		*--d = ']';
		do
			*--d = (char)('0' + i % 10);
		while ((i /= 10) != 0);
		*--d = '[';
		field_put(buf, bufsz, &o, d, (size_t)(num + sizeof(num) - d));
	}
	if (fa->suffix != NULL)
		field_put(buf, bufsz, &o, fa->suffix, strlen(fa->suffix));
	buf[o] = '\0';
}

/* Each string of a []string (or StrSlice) field as a fact. */
int
engineapi_string_facts(struct engineapi_facts *f, const struct gojson_view *v, const char *prefix,
                       const char *name, enum engineapi_fact_kind kind, int strslice)
{
	const struct gojson_value *a, *e;
	long i;

	if (gojson_view_slice(&f->arena, v, name, strslice, &a) == -1)
		return -1;
	if (a == NULL)
		return 0;
	if (a->type == GOJSON_STRING)
		return engineapi_fact_add(f, kind, a->s, prefix, name, -1, NULL);
	for (i = 0, e = a->child; e != NULL; i++, e = e->next)
		if (e->type == GOJSON_STRING &&
		    engineapi_fact_add(f, kind, e->s, prefix, name, i, NULL) == -1)
			return -1;
	return 0;
}

static const char *const default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

static int
is_default_cap(const char *cap)
{
	size_t i;

	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
		if (strcasecmp(cap, default_caps[i]) == 0)
			return 1;
	return 0;
}

/* A Binds entry "src:dst[:mode]" whose mode lists "ro" (dockerd splits at
 * most three fields). */
static int
bind_readonly(const char *spec)
{
	const char *dst = strchr(spec, ':'), *mode = dst != NULL ? strchr(dst + 1, ':') : NULL;

	return mode != NULL && engineapi_has_option(mode + 1, (size_t)-1, "ro");
}

static int
device_facts(struct engineapi_facts *f, const struct gojson_view *hc, const char *prefix)
{
	struct gojson_view *d;
	size_t n, i;

	if (gojson_view_struct_slice(&f->arena, hc, "Devices", &d, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (engineapi_fact_add(f, EF_DEVICE, gojson_view_string(&d[i], "PathOnHost"),
		                       prefix, "Devices", (long)i, NULL) == -1)
			return -1;
	if (gojson_view_struct_slice(&f->arena, hc, "DeviceRequests", &d, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const char *drv = gojson_view_string(&d[i], "Driver");

		if (engineapi_fact_add(f, EF_DEVICE_REQUEST, drv != NULL && drv[0] ? drv : "gpu",
		                       prefix, "DeviceRequests", (long)i, NULL) == -1)
			return -1;
	}
	return engineapi_string_facts(f, hc, prefix, "DeviceCgroupRules", EF_DEVICE_CGROUP_RULE, 0);
}

/* RestartPolicy {Name}: any name but "" and "no" has dockerd start the
 * container again on its own, mounting its sources again unseen (dockerd
 * refuses names it does not know). Held by value in HostConfig and in an
 * update: a later null leaves it as it was. */
static int
restart_policy(struct engineapi_facts *f, const struct gojson_view *hc)
{
	struct gojson_view rp;
	const char *name;

	if (gojson_view_struct_value(&f->arena, hc, "RestartPolicy", &rp) == -1)
		return -1;
	name = gojson_view_string(&rp, "Name");
	if (name != NULL && name[0] != '\0' && strcmp(name, "no") != 0)
		f->restarts = name;
	return 0;
}

static int
list_fact(struct engineapi_facts *f, const struct gojson_view *hc, const char *prefix,
          const char *name, enum engineapi_fact_kind kind)
{
	const struct gojson_value *a, *e;
	const char **list;
	size_t n = 0;

	if (gojson_view_slice(&f->arena, hc, name, 0, &a) == -1)
		return -1;
	if (a == NULL)
		return 0;
	list = gojson_arena_alloc(&f->arena, (a->n ? a->n : 1) * sizeof(*list));
	if (list == NULL)
		return -1;
	for (e = a->child; e != NULL; e = e->next)
		if (e->type == GOJSON_STRING)
			list[n++] = e->s;
	if (engineapi_fact_add(f, kind, n == 0 ? "[]" : "[...]", prefix, name, -1, NULL) == -1)
		return -1;
	f->v[f->n - 1].list = list;
	f->v[f->n - 1].nlist = n;
	return 0;
}

static const struct {
	const char *name;
	enum engineapi_fact_kind kind;
} host_modes[] = {
    {"PidMode", EF_PID_MODE},         {"IpcMode", EF_IPC_MODE},
    {"UTSMode", EF_UTS_MODE},         {"UsernsMode", EF_USERNS_MODE},
    {"NetworkMode", EF_NETWORK_MODE}, {"CgroupnsMode", EF_CGROUPNS_MODE},
};

int
engineapi_names_cgroupns(const struct engineapi_facts *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].kind == EF_CGROUPNS_MODE && strcmp(f->v[i].prefix, "HostConfig.") == 0)
			return 1;
	return 0;
}

/* Everything in one HostConfig view. */
static int
hostconfig_facts(struct engineapi_facts *f, const struct gojson_view *hc, const char *prefix)
{
	const struct gojson_value *caps, *e;
	size_t i;
	long k;

	if (hc->n == 0)
		return 0;
	if (restart_policy(f, hc) == -1)
		return -1;
	if (gojson_view_bool(hc, "Privileged") &&
	    engineapi_fact_add(f, EF_PRIVILEGED, "true", prefix, "Privileged", -1, NULL) == -1)
		return -1;
	for (i = 0; i < sizeof(host_modes) / sizeof(host_modes[0]); i++) {
		const char *m = gojson_view_string(hc, host_modes[i].name);

		if (m != NULL && m[0] != '\0' &&
		    engineapi_fact_add(f, host_modes[i].kind, m, prefix, host_modes[i].name, -1,
		                       NULL) == -1)
			return -1;
	}
	if (engineapi_string_facts(f, hc, prefix, "CapAdd", EF_CAP_ADD, 1) == -1)
		return -1;
	/* Deprecated (API 1.40-1.42): a full capability set replacing the defaults. */
	if (gojson_view_slice(&f->arena, hc, "Capabilities", 0, &caps) == -1)
		return -1;
	for (k = 0, e = caps != NULL ? caps->child : NULL; e != NULL; k++, e = e->next)
		if (e->type == GOJSON_STRING && !is_default_cap(e->s) &&
		    engineapi_fact_add(f, EF_CAP_ADD, e->s, prefix, "Capabilities", k, NULL) == -1)
			return -1;
	if (device_facts(f, hc, prefix) == -1 ||
	    engineapi_string_facts(f, hc, prefix, "SecurityOpt", EF_SECURITY_OPT, 0) == -1 ||
	    list_fact(f, hc, prefix, "MaskedPaths", EF_MASKED_PATHS) == -1 ||
	    list_fact(f, hc, prefix, "ReadonlyPaths", EF_READONLY_PATHS) == -1 ||
	    engineapi_sysctl_facts(f, hc, prefix) == -1 ||
	    engineapi_runtime_facts(
	        f, hc, prefix, prefix[0] != '\0' ? "HostConfig.LogConfig." : "LogConfig.") == -1 ||
	    engineapi_string_facts(f, hc, prefix, "VolumesFrom", EF_VOLUMES_FROM, 0) == -1)
		return -1;
	/* Binds: "src:dst[:opts]"; an absolute src is a host path, any other
	 * names a volume. */
	{
		const struct gojson_value *b;

		if (gojson_view_slice(&f->arena, hc, "Binds", 0, &b) == -1)
			return -1;

		for (k = 0, e = b != NULL ? b->child : NULL; e != NULL; k++, e = e->next) {
			const char *colon;
			char *src;

			if (e->type != GOJSON_STRING || (colon = strchr(e->s, ':')) == NULL ||
			    colon == e->s)
				continue;
			src = gojson_arena_alloc(&f->arena, (size_t)(colon - e->s) + 1);
			if (src == NULL)
				return -1;
			memcpy(src, e->s, (size_t)(colon - e->s));
			src[colon - e->s] = '\0';
			if (engineapi_fact_add(f, src[0] == '/' ? EF_HOST_PATH : EF_NAMED_VOLUME,
			                       src, prefix, "Binds", k, NULL) == -1)
				return -1;
			f->v[f->n - 1].readonly = bind_readonly(e->s);
		}
	}
	return engineapi_mount_facts(f, hc, prefix, 0);
}

static int
has_host_network(const struct engineapi_facts *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].kind == EF_NETWORK_MODE && strcasecmp(f->v[i].value, "host") == 0)
			return 1;
	return 0;
}

static int
create_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	struct gojson_view hc, nc, ep;
	const struct gojson_value *c;
	size_t i;

	f->image = gojson_view_string(root, "Image");
	if (gojson_view_struct(&f->arena, root, "HostConfig", &hc) == -1 ||
	    hostconfig_facts(f, &hc, "HostConfig.") == -1)
		return -1;
	/* Old daemons also read HostConfig fields at the top level. */
	if (hostconfig_facts(f, root, "") == -1)
		return -1;
	if (gojson_view_struct(&f->arena, root, "NetworkingConfig", &nc) == -1 ||
	    gojson_view_map(&f->arena, &nc, "EndpointsConfig", &ep) == -1)
		return -1;
	for (i = 0; i < ep.n; i++)
		for (c = ep.obj[i]->child; c != NULL; c = c->next) {
			struct gojson_view one = {&c, 1};

			if (c->type == GOJSON_OBJECT &&
			    engineapi_endpoint_sysctl_facts(
			        f, &one, "NetworkingConfig.EndpointsConfig.", c->key) == -1)
				return -1;
		}
	if (has_host_network(f))
		return 0;
	for (i = 0; i < ep.n; i++)
		for (c = ep.obj[i]->child; c != NULL; c = c->next)
			if (strcasecmp(c->key, "host") == 0 && c->type != GOJSON_NULL)
				return engineapi_fact_add(f, EF_NETWORK_MODE, "host",
				                          "NetworkingConfig.EndpointsConfig.",
				                          c->key, -1, NULL);
	return 0;
}

/* A checkpoint create (experimental daemons): CheckpointDir, a host
 * directory, with the CheckpointID joined to it as its one list entry; none
 * when CheckpointDir is empty (the container's own, under dockerd's root). */
static int
checkpoint_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	const char *dir = gojson_view_string(root, "CheckpointDir");
	const char *id = gojson_view_string(root, "CheckpointID");
	const char **list;

	if (dir == NULL || dir[0] == '\0')
		return 0;
	if ((list = gojson_arena_alloc(&f->arena, sizeof(*list))) == NULL ||
	    engineapi_fact_add(f, EF_CHECKPOINT_DIR, dir, "", "CheckpointDir", -1, NULL) == -1)
		return -1;
	list[0] = id != NULL ? id : "";
	f->v[f->n - 1].list = list;
	f->v[f->n - 1].nlist = 1;
	return 0;
}

/* The body's top-level string name, as sent ("" when there is none) -> a
 * fact of kind. 0 or -1. */
static int
string_fact(struct engineapi_facts *f, const struct gojson_view *rv, enum engineapi_fact_kind kind,
            const char *name)
{
	const char *v = gojson_view_string(rv, name);

	return engineapi_fact_add(f, kind, v != NULL ? v : "", "", name, -1, NULL);
}

int
engineapi_facts_parse(struct engineapi_facts *f, enum engineapi_route route, const char *body,
                      size_t len)
{
	const struct gojson_value *root;
	struct gojson_view rv;
	const char *why = NULL;
	size_t at = 0;
	int rc;

	if (body == NULL || len == 0) {
		snprintf(f->error, sizeof(f->error), "request body is missing");
		return 0;
	}
	rc = gojson_parse(&f->arena, body, len, &root, &why, &at);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		snprintf(f->error, sizeof(f->error),
		         "request body is not valid JSON: %s at byte %zu", why, at);
		return 0;
	}
	if (f->arena.nul) {
		f->nul = 1;
		return 0;
	}
	if (root->type == GOJSON_NULL) {
		f->body_ok = 1;
		return 0;
	}
	if (root->type != GOJSON_OBJECT) {
		snprintf(f->error, sizeof(f->error), "request body is not a JSON object");
		return 0;
	}
	f->body_ok = 1;
	f->members = root->n;
	rv.obj = &root;
	rv.n = 1;
	switch (route) {
	case ENGINEAPI_CONTAINER_CREATE:
		return create_facts(f, &rv);
	case ENGINEAPI_EXEC_CREATE:
		if (gojson_view_bool(&rv, "Privileged"))
			return engineapi_fact_add(f, EF_PRIVILEGED, "true", "", "Privileged", -1,
			                          NULL);
		return 0;
	case ENGINEAPI_CONTAINER_UPDATE:
		return device_facts(f, &rv, "") == -1 ? -1 : restart_policy(f, &rv);
	case ENGINEAPI_CONTAINER_START:
		return hostconfig_facts(f, &rv, "");
	case ENGINEAPI_VOLUME_CREATE:
		return engineapi_volume_facts(f, &rv);
	case ENGINEAPI_CHECKPOINT:
		return checkpoint_facts(f, &rv);
	case ENGINEAPI_NETWORK_CREATE:
		return engineapi_network_facts(f, &rv);
	case ENGINEAPI_SWARM_SPEC:
		return engineapi_swarm_facts(f, &rv);
	case ENGINEAPI_SECRET_CREATE:
		return engineapi_secret_facts(f, &rv);
	case ENGINEAPI_REGISTRY_LOGIN: /* dockerd decodes the whole body into an AuthConfig */
		return string_fact(f, &rv, EF_REGISTRY_SERVER, "serveraddress");
	case ENGINEAPI_NODE_UPDATE: /* ... and this one into a swarm NodeSpec */
		return string_fact(f, &rv, EF_NODE_ROLE, "Role");
	case ENGINEAPI_SERVICE_CREATE:
	case ENGINEAPI_SERVICE_UPDATE:
		return engineapi_service_facts(f, &rv);
	case ENGINEAPI_NETWORK_CONNECT: {
		struct gojson_view ec;

		if (gojson_view_struct(&f->arena, &rv, "EndpointConfig", &ec) == -1)
			return -1;
		return ec.n > 0 ? engineapi_endpoint_sysctl_facts(f, &ec, "EndpointConfig", "") : 0;
	}
	default:
		return 0;
	}
}
