/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled policy and the decision end to end. decide_policy_new compiles
 * the effective settings once (capability bitmask, resolved share/protected/
 * socket paths, parsed image list, command and profile lists); decide_eval
 * classifies the request against the Engine API inventory, reads its facts
 * (engineapi.c) and maps them onto the stable rule ids (decide_rules.c,
 * decide_paths.c, decide_routes.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide_int.h"
#include "hostpath.h"

static const struct {
	const char *flag;
	unsigned bit;
} flag_table[] = {
    {"--privileged", DENY_PRIVILEGED},
    {"--pid=host", DENY_PID},
    {"--ipc=host", DENY_IPC},
    {"--uts=host", DENY_UTS},
    {"--userns=host", DENY_USERNS},
    {"--network=host", DENY_NETWORK},
    {"--net=host", DENY_NETWORK},
    {"--cgroupns=host", DENY_CGROUPNS},
    {"--device", DENY_DEVICE},
    {"--security-opt=seccomp=unconfined", DENY_SECCOMP},
    {"--security-opt=apparmor=unconfined", DENY_APPARMOR},
    {"--security-opt=label=disable", DENY_LABEL},
    {"--security-opt=label:disable", DENY_LABEL},
    {"--security-opt=systempaths=unconfined", DENY_SYSTEMPATHS},
    {"--sysctl", DENY_SYSCTL},
};

static const char *const socket_paths[] = {"/var/run/docker.sock", "/run/docker.sock"};

/* ------------------------------------------------------------------------ */
/* Compiling the policy                                                     */

static int
pathpair_set(struct pathpair *pp, const char *path)
{
	char buf[HOSTPATH_MAX];

	if (hostpath_clean(path, buf, sizeof(buf)) == -1)
		buf[0] = '\0';
	pp->clean = strdup(buf);
	hostpath_resolve(path, buf, sizeof(buf));
	pp->resolved = strdup(buf);
	return pp->clean != NULL && pp->resolved != NULL ? 0 : -1;
}

static void
pathpairs_free(struct pathpair *pp, size_t n)
{
	size_t i;

	for (i = 0; pp != NULL && i < n; i++) {
		free(pp[i].clean);
		free(pp[i].resolved);
	}
	free(pp);
}

/* "locked"-style scalar {"value": bool} (or a bare bool). */
static int
get_flag(const json_t *effective, const char *key)
{
	const json_t *v = json_object_get(effective, key);

	if (json_is_object(v))
		v = json_object_get(v, "value");
	return json_is_true(v);
}

/* The same, on and locked: {"locked": true, "value": true}. */
static int
get_locked_flag(const json_t *effective, const char *key)
{
	const json_t *v = json_object_get(effective, key);

	return json_is_object(v) && json_is_true(json_object_get(v, "locked")) &&
	       json_is_true(json_object_get(v, "value"));
}

static int
compile_flags(struct decide_policy *dp, const json_t *flags)
{
	size_t i, j;
	const json_t *f;

	json_array_foreach(flags, i, f)
	{
		const char *s = json_string_value(f);
		char name[64];
		int bit;

		if (s == NULL)
			continue;
		for (j = 0; j < sizeof(flag_table) / sizeof(flag_table[0]); j++)
			if (strcmp(s, flag_table[j].flag) == 0)
				dp->deny |= flag_table[j].bit;
		if (strncmp(s, "--cap-add=", 10) != 0)
			continue;
		bit = decide_cap_normalise(s + 10, name, sizeof(name));
		if (bit >= 0) {
			dp->caps |= UINT64_C(1) << bit;
		} else if (strcmp(name, "ALL") == 0) {
			dp->caps_any = 1;
		} else {
			char **x = realloc(dp->cap_extra, (dp->ncap_extra + 1) * sizeof(*x));

			if (x == NULL)
				return -1;
			dp->cap_extra = x;
			if ((x[dp->ncap_extra] = strdup(name)) == NULL)
				return -1;
			dp->ncap_extra++;
		}
	}
	return 0;
}

static int
compile_paths(struct pathpair **out, size_t *nout, const json_t *arr, const char *member)
{
	size_t i, k, n, total = 0;
	const json_t *e, *all;

	/* A share entry lists every expansion in expandedPaths ($HOME: one per
	 * home, possibly none); an entry without it names one path: member
	 * (expandedPath), else its path. A protected-path list holds strings. */
	json_array_foreach(arr, i, e)
	{
		all = json_object_get(e, "expandedPaths");
		total += json_is_array(all) ? json_array_size(all) : 1;
	}
	*out = calloc(total + 1, sizeof(**out));
	if (*out == NULL)
		return -1;
	json_array_foreach(arr, i, e)
	{
		all = json_object_get(e, "expandedPaths");
		n = json_is_array(all) ? json_array_size(all) : 1;
		for (k = 0; k < n; k++) {
			const char *p = json_string_value(e);

			if (json_is_array(all))
				p = json_string_value(json_array_get(all, k));
			else if (member != NULL)
				p = json_string_value(json_object_get(e, member));
			if (p == NULL && member != NULL && !json_is_array(all))
				p = json_string_value(json_object_get(e, "path"));
			if (p == NULL || p[0] != '/')
				continue; /* unexpanded "$HOME/...": the settings module expands */
			if (pathpair_set(&(*out)[*nout], p) == -1) {
				(*nout)++;
				return -1;
			}
			(*nout)++;
		}
	}
	return 0;
}

static int
compile_images(struct decide_policy *dp, const json_t *eci)
{
	const json_t *list = json_object_get(
	    json_object_get(json_object_get(eci, "dockerSocketMount"), "imageList"), "images");
	size_t i;
	const json_t *e;

	dp->images = calloc(json_array_size(list) + 1, sizeof(*dp->images));
	if (dp->images == NULL)
		return -1;
	json_array_foreach(list, i, e)
	{
		const char *s = json_string_value(e);

		if (s != NULL && imageref_pattern_parse(s, &dp->images[dp->nimages]) == 0)
			dp->nimages++;
	}
	return 0;
}

static int
compile_registries(struct decide_policy *dp, const json_t *regs)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(regs))
		return 0;
	dp->registries_restricted = 1;
	dp->registries = calloc(json_array_size(regs) + 1, sizeof(*dp->registries));
	if (dp->registries == NULL)
		return -1;
	json_array_foreach(regs, i, e)
	{
		const char *s = json_string_value(e);

		if (s != NULL && imageref_registry_normalise(s, dp->registries[dp->nregistries],
		                                             sizeof(dp->registries[0])) == 0)
			dp->nregistries++;
	}
	return 0;
}

/* A list of strings (lower-cased when lower != 0); a null or absent setting
 * leaves it unrestricted. */
static int
compile_strlist(struct strlist *l, const json_t *arr, int lower)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(arr))
		return 0;
	l->restricted = 1;
	if ((l->v = calloc(json_array_size(arr) + 1, sizeof(*l->v))) == NULL)
		return -1;
	json_array_foreach(arr, i, e)
	{
		char *p;

		if (!json_is_string(e))
			continue;
		if ((p = l->v[l->n] = strdup(json_string_value(e))) == NULL)
			return -1;
		l->n++;
		for (; lower && *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	}
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* "a, b, c" into buf for messages, "..." when it does not fit. */
static void
join_text(char *buf, size_t bufsz, const char *const *items, size_t stride, size_t n)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *s = *(const char *const *)((const char *)items + i * stride);
		int w = snprintf(buf + len, bufsz - len, "%s%s", i ? ", " : "", s);

		if (w < 0 || (size_t)w >= bufsz - len) {
			snprintf(buf + (len < bufsz - 4 ? len : bufsz - 4), 4, "...");
			return;
		}
		len += (size_t)w;
	}
}

/* The policy's lockset-only lists, and the texts messages quote. */
static int
compile_lists(struct decide_policy *dp, const json_t *cp)
{
	const char *regs[64];
	size_t i;

	dp->network_volumes = json_is_true(json_object_get(cp, "allowNetworkVolumes"));
	if (compile_strlist(&dp->commands, json_object_get(cp, "deniedCommands"), 0) == -1 ||
	    compile_strlist(&dp->allowed, json_object_get(cp, "allowedCommands"), 0) == -1 ||
	    compile_strlist(&dp->seccomp, json_object_get(cp, "allowedSeccompProfiles"), 1) == -1 ||
	    compile_strlist(&dp->apparmor, json_object_get(cp, "allowedAppArmorProfiles"), 0) ==
	        -1 ||
	    compile_strlist(&dp->remotes, json_object_get(cp, "allowedBuildRemotes"), 1) == -1)
		return -1;
	join_text(dp->shares_text, sizeof(dp->shares_text),
	          (const char *const *)&dp->shares[0].clean, sizeof(dp->shares[0]), dp->nshares);
	for (i = 0; i < dp->nregistries && i < 64; i++)
		regs[i] = dp->registries[i];
	join_text(dp->registries_text, sizeof(dp->registries_text), regs, sizeof(regs[0]), i);
	return 0;
}

struct decide_policy *
decide_policy_new(const json_t *effective)
{
	struct decide_policy *dp = calloc(1, sizeof(*dp));
	const json_t *cp = json_object_get(effective, "containerPolicy");
	const json_t *eci = json_object_get(effective, "enhancedContainerIsolation");
	const json_t *shares = json_object_get(effective, "filesharingAllowedDirectories");
	const char *mode = json_string_value(json_object_get(cp, "mode"));
	size_t i;

	if (dp == NULL)
		return NULL;
	dp->audit = mode != NULL && strcmp(mode, "audit") == 0;
	dp->eci = get_flag(effective, "enhancedContainerIsolation");
	dp->eci_locked = get_locked_flag(effective, "enhancedContainerIsolation");
	dp->block_load = get_flag(effective, "blockDockerLoad");
	dp->shares_restricted = json_is_array(shares);
	if (compile_flags(dp, json_object_get(cp, "deniedFlags")) == -1 ||
	    compile_paths(&dp->shares, &dp->nshares, shares, "expandedPath") == -1 ||
	    compile_paths(&dp->protect, &dp->nprotect,
	                  json_object_get(cp, "expandedProtectedHostPaths"), NULL) == -1 ||
	    compile_images(dp, eci) == -1 ||
	    compile_registries(dp, json_object_get(cp, "allowedRegistries")) == -1)
		goto fail;
	if (compile_lists(dp, cp) == -1)
		goto fail;
	for (i = 0; i < 2; i++)
		if (pathpair_set(&dp->sockets[i], socket_paths[i]) == -1)
			goto fail;
	return dp;
fail:
	decide_policy_free(dp);
	return NULL;
}

void
decide_policy_free(struct decide_policy *dp)
{
	size_t i;

	if (dp == NULL)
		return;
	for (i = 0; i < dp->ncap_extra; i++)
		free(dp->cap_extra[i]);
	free(dp->cap_extra);
	pathpairs_free(dp->shares, dp->nshares);
	pathpairs_free(dp->protect, dp->nprotect);
	for (i = 0; i < 2; i++) {
		free(dp->sockets[i].clean);
		free(dp->sockets[i].resolved);
	}
	free(dp->images);
	free(dp->registries);
	strlist_free(&dp->commands);
	strlist_free(&dp->allowed);
	strlist_free(&dp->seccomp);
	strlist_free(&dp->apparmor);
	strlist_free(&dp->remotes);
	free(dp);
}

/* ------------------------------------------------------------------------ */
/* Evaluating a request                                                     */

static const struct {
	const char *route, *denied, *audited, *allowed;
} actions[] = {
    {"container.create", "container.create.denied", "container.create.audited",
     "container.create.allowed"},
    {"exec.create", "exec.denied", "exec.audited", "exec.allowed"},
    {"container.update", "container.update.denied", "container.update.audited",
     "container.update.allowed"},
    {"container.start", "container.start.denied", "container.start.audited",
     "container.start.allowed"},
    {"container.restart", "container.restart.denied", "container.restart.audited",
     "container.restart.allowed"},
    {"image.pull", "image.pull.denied", "image.pull.audited", "image.pull.allowed"},
    {"image.import", "image.import.denied", "image.import.audited", "image.import.allowed"},
    {"image.load", "image.load.denied", "image.load.audited", "image.load.allowed"},
    {"image.tag", "image.tag.denied", "image.tag.audited", "image.tag.allowed"},
    {"commit", "commit.denied", "commit.audited", "commit.allowed"},
    {"build", "build.denied", "build.audited", "build.allowed"},
    {"plugin.install", "plugin.install.denied", "plugin.install.audited", "plugin.install.allowed"},
    {"plugin.set", "plugin.set.denied", "plugin.set.audited", "plugin.set.allowed"},
    {"plugin.enable", "plugin.enable.denied", "plugin.enable.audited", "plugin.enable.allowed"},
    {"volume.create", "volume.create.denied", "volume.create.audited", "volume.create.allowed"},
    {"service.create", "service.create.denied", "service.create.audited", "service.create.allowed"},
    {"service.update", "service.update.denied", "service.update.audited", "service.update.allowed"},
    {"swarm.join", "swarm.join.denied", "swarm.join.audited", "swarm.join.allowed"},
    {"unknown", "unknown.denied", "unknown.audited", "unknown.allowed"},
    {"other", "other.denied", "other.audited", "other.allowed"},
};

static int
body_blank(const struct decide_request *req)
{
	size_t i;

	if (!req->has_body || req->body == NULL)
		return 1;
	for (i = 0; i < req->body_len; i++)
		if (req->body[i] != ' ' && req->body[i] != '\t' && req->body[i] != '\n' &&
		    req->body[i] != '\r')
			return 0;
	return 1;
}

/* Routes whose facts are in a JSON body. */
static void
judge_body_route(struct ctx *c, const struct engineapi_target *t)
{
	const struct decide_request *req = c->req;
	struct engineapi_facts *f;
	size_t i;

	if (body_blank(req)) {
		if (t->route != ENGINEAPI_CONTAINER_START)
			decide_violate(
			    c, "missing-body", "", "", NULL,
			    "the request body is missing (a body over 1 MiB is not forwarded to "
			    "authorization plugins)");
		return;
	}
	if ((f = malloc(sizeof(*f))) == NULL) {
		c->nomem = 1;
		return;
	}
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, t->route, req->body, req->body_len) == -1) {
		c->nomem = 1;
		goto out;
	}
	if (!f->body_ok) {
		decide_violate(c, "missing-body", "", "", NULL, "%s", f->error);
		goto out;
	}
	for (i = 0; i < f->n && !c->nomem; i++)
		decide_judge_fact(c, &f->v[i], f->image);
	if ((t->route == ENGINEAPI_CONTAINER_CREATE || t->route == ENGINEAPI_SERVICE_CREATE) &&
	    f->image != NULL && (c->d->subject = decide_dup_trunc(f->image)) == NULL)
		c->nomem = 1;
	if (t->route == ENGINEAPI_VOLUME_CREATE && f->name != NULL && f->name[0] != '\0' &&
	    (c->d->subject = decide_dup_trunc(f->name)) == NULL)
		c->nomem = 1;
out:
	engineapi_facts_clear(f);
	free(f);
}

/* A start (and a restart, which mounts again) is judged by the mounts the
 * container holds now: the record of its
 * create (or an engine lookup), every source resolved again. */
static void
judge_start(struct ctx *c, const struct engineapi_target *t)
{
	char flag[300];

	snprintf(flag, sizeof(flag), "docker %s %s",
	         t->route == ENGINEAPI_CONTAINER_RESTART ? "restart" : "start", t->id);
	decide_judge_container(c, "id", flag, t->id, NULL);
	if (t->route == ENGINEAPI_CONTAINER_START)
		judge_body_route(c, t);
}

/* ECI locked on: the engine must run containers in user namespaces. Every
 * route that makes a process run in a container (create, service create and
 * update, exec) is refused when the engine said it does not, or could not
 * be asked. First among the violations, so the message always shows it. */
static void
judge_engine_userns(struct ctx *c, const struct engineapi_target *t)
{
	enum decide_userns u = c->req->engine_userns;

	if (!c->dp->eci_locked || u == DECIDE_USERNS_UNJUDGED)
		return;
	if (t->route != ENGINEAPI_CONTAINER_CREATE && t->route != ENGINEAPI_EXEC_CREATE &&
	    t->route != ENGINEAPI_SERVICE_CREATE && t->route != ENGINEAPI_SERVICE_UPDATE)
		return;
	c->d->asks_engine = 1;
	if (u == DECIDE_USERNS_YES)
		return;
	if (u == DECIDE_USERNS_NO)
		decide_violate(c, "engine-userns", "", "", NULL,
		               "Enhanced Container Isolation needs the Docker engine to run "
		               "containers in user namespaces, and it does not: set "
		               "\"userns-remap\": \"default\" in /etc/docker/daemon.json (or run "
		               "the engine rootless) and restart it");
	else
		decide_violate(c, "engine-userns", "", "", NULL,
		               "Enhanced Container Isolation needs the Docker engine to run "
		               "containers in user namespaces, and lockset could not ask the "
		               "engine whether it does (GET /info on --engine-socket): check that "
		               "lockset reaches the engine, with \"userns-remap\": \"default\" "
		               "in /etc/docker/daemon.json");
}

static void
judge_route(struct ctx *c, const struct engineapi_target *t)
{
	judge_engine_userns(c, t);
	decide_judge_class(c, t);
	switch (t->route) {
	case ENGINEAPI_IMAGE_CREATE:
	case ENGINEAPI_IMAGE_LOAD:
	case ENGINEAPI_BUILD:
	case ENGINEAPI_PLUGIN_INSTALL:
	case ENGINEAPI_PLUGIN_SET:
	case ENGINEAPI_PLUGIN_ENABLE:
	case ENGINEAPI_IMAGE_TAG:
	case ENGINEAPI_COMMIT:
		decide_judge_query_route(c, t);
		break;
	case ENGINEAPI_CONTAINER_START:
	case ENGINEAPI_CONTAINER_RESTART:
		judge_start(c, t);
		break;
	case ENGINEAPI_CONTAINER_CREATE:
	case ENGINEAPI_EXEC_CREATE:
	case ENGINEAPI_CONTAINER_UPDATE:
	case ENGINEAPI_VOLUME_CREATE:
	case ENGINEAPI_SERVICE_CREATE:
	case ENGINEAPI_SERVICE_UPDATE:
		judge_body_route(c, t);
		break;
	case ENGINEAPI_SWARM_JOIN:
	case ENGINEAPI_UNKNOWN:
	case ENGINEAPI_OTHER:
		break;
	}
	if (c->d->subject == NULL && t->id != NULL && t->id[0] != '\0' &&
	    (c->d->subject = decide_dup_trunc(t->id)) == NULL)
		c->nomem = 1;
}
int
decide_eval(const struct decide_policy *dp, const struct decide_request *req, struct decision *out)
{
	struct engineapi_target t;
	struct ctx c = {dp, req, out, 0, 0};
	size_t i;
	int result = -1;

	memset(out, 0, sizeof(*out));
	out->mode = dp->audit ? "audit" : "enforce";
	out->route = "other";
	if (engineapi_classify(req->method, req->uri, &t) == -1) {
		c.nomem = 1;
		goto out;
	}
	/* Read-only routes take the cheap path (nothing to read, nothing to
	 * record) unless the policy denies their command. */
	if (t.route != ENGINEAPI_OTHER || t.klass != ENGINEAPI_READONLY ||
	    (t.command != NULL && decide_strlist_has(&dp->commands, t.command))) {
		out->inspected = 1;
		out->route = engineapi_route_name(t.route);
		judge_route(&c, &t);
	}
	engineapi_target_clear(&t);
	if (c.nomem)
		goto out;
	result = 0;
out:
	out->allow = result == 0 && (out->nv == 0 || dp->audit);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].route, out->route) == 0)
			out->action = out->nv == 0 && result == 0 ? actions[i].allowed
			              : dp->audit && result == 0  ? actions[i].audited
			                                          : actions[i].denied;
	return result;
}

void
decide_mounts_clear(struct decide_mounts *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->src[i]);
	free(m->src);
	free(m->image);
	m->src = NULL;
	m->n = 0;
	m->image = NULL;
}

int
decide_mounts_add(struct decide_mounts *m, const char *path)
{
	char **v = realloc(m->src, (m->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	m->src = v;
	if ((v[m->n] = strdup(path)) == NULL)
		return -1;
	m->n++;
	return 0;
}

int
decide_create_sources(const struct decide_request *req, struct decide_mounts *out)
{
	struct engineapi_facts *f = malloc(sizeof(*f));
	int result = -1;
	size_t i, k;

	out->src = NULL;
	out->n = 0;
	out->image = NULL;
	if (f == NULL)
		return -1;
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, ENGINEAPI_CONTAINER_CREATE, req->body,
	                          req->has_body ? req->body_len : 0) == -1)
		goto out;
	result = 0;
	if (f->image != NULL && (out->image = strdup(f->image)) == NULL)
		result = -1;
	for (i = 0; i < f->n && result >= 0; i++) {
		struct decide_mounts from = {NULL, 0, NULL};
		int rc;

		if (f->v[i].kind == EF_HOST_PATH) {
			if (decide_mounts_add(out, f->v[i].value) == -1)
				result = -1;
			continue;
		}
		if (f->v[i].kind != EF_VOLUMES_FROM)
			continue;
		rc = decide_container_mounts(req, f->v[i].value, &from);
		if (rc == -1)
			result = -1;
		else if (rc == 0)
			result = 1;
		for (k = 0; rc == 1 && k < from.n && result >= 0; k++)
			if (decide_mounts_add(out, from.src[k]) == -1)
				result = -1;
		decide_mounts_clear(&from);
	}
out:
	engineapi_facts_clear(f);
	free(f);
	if (result == -1)
		decide_mounts_clear(out);
	return result;
}

void
decision_clear(struct decision *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nv; i++) {
		free(d->v[i].field);
		free(d->v[i].value);
		free(d->v[i].flag);
		free(d->v[i].message);
	}
	free(d->v);
	free(d->subject);
	memset(d, 0, sizeof(*d));
}

json_t *
decision_violations_json(const struct decision *d)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < d->nv; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "rule", d->v[i].rule, "field",
		                      d->v[i].field ? d->v[i].field : "", "value",
		                      d->v[i].value ? d->v[i].value : "", "flag",
		                      d->v[i].flag ? d->v[i].flag : "", "message",
		                      d->v[i].message ? d->v[i].message : "");

		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}
