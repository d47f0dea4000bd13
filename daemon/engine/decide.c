/* SPDX-License-Identifier: Apache-2.0 */
/* The decision end to end: decide_eval classifies the request against the
 * Engine API inventory, reads its facts (engineapi.c) and maps them onto the
 * stable rule ids (decide_rules.c, decide_paths.c, decide_routes.c); the
 * policy it reads is compiled by decide_policy.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide_int.h"

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
    {"container.attach", "container.attach.denied", "container.attach.audited",
     "container.attach.allowed"},
    {"container.unpause", "container.unpause.denied", "container.unpause.audited",
     "container.unpause.allowed"},
    {"exec.start", "exec.start.denied", "exec.start.audited", "exec.start.allowed"},
    {"image.pull", "image.pull.denied", "image.pull.audited", "image.pull.allowed"},
    {"image.import", "image.import.denied", "image.import.audited", "image.import.allowed"},
    {"image.load", "image.load.denied", "image.load.audited", "image.load.allowed"},
    {"image.tag", "image.tag.denied", "image.tag.audited", "image.tag.allowed"},
    {"image.push", "image.push.denied", "image.push.audited", "image.push.allowed"},
    {"registry.login", "registry.login.denied", "registry.login.audited", "registry.login.allowed"},
    {"registry.read", "registry.read.denied", "registry.read.audited", "registry.read.allowed"},
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

static void
judge_service_registry(struct ctx *c, const struct engineapi_target *t, const char *image)
{
	char flag[DECIDE_VALUE_MAX + 32];

	snprintf(flag, sizeof(flag), "docker service %s %.*s",
	         t->route == ENGINEAPI_SERVICE_CREATE ? "create" : "update", DECIDE_VALUE_MAX,
	         image);
	decide_judge_registry(c, "TaskTemplate.ContainerSpec.Image", flag, image);
}

/* A container that names no cgroup namespace mode gets the engine's default:
 * the host's on a cgroup v1 host unless its default-cgroupns-mode is
 * private, and before API 1.41 (dockerd sets host itself there) on any
 * host, by what lockset can tell. A service's tasks cannot name one. So
 * while --cgroupns=host is denied, leaving it out is refused unless the
 * engine said its default is private; a request for the engine waits for
 * its answer. */
static void
judge_default_cgroupns(struct ctx *c, const struct engineapi_target *t,
                       const struct engineapi_facts *f)
{
	enum decide_cgroupns m = c->req->engine_cgroupns;
	int service = t->route != ENGINEAPI_CONTAINER_CREATE;

	if (!(c->dp->deny & DENY_CGROUPNS))
		return;
	if (!service && engineapi_names_cgroupns(f))
		return;
	if (!service && t->before_1_41) {
		decide_violate(c, "host-cgroupns", "HostConfig.CgroupnsMode", "", "--cgroupns=host",
		               "before API 1.41 the engine puts a container that names no cgroup "
		               "namespace mode in the host's: name one (\"private\"), or use a "
		               "later API version");
		return;
	}
	if (c->req->engine_userns == DECIDE_USERNS_UNJUDGED)
		return;
	c->d->asks_engine = 1;
	if (m == DECIDE_CGROUPNS_PRIVATE)
		return;
	decide_violate(c, "host-cgroupns", service ? "" : "HostConfig.CgroupnsMode", "",
	               "--cgroupns=host", "%s, %s%s",
	               service ? "a service's tasks get the engine's default cgroup namespace"
	                       : "a container that names no cgroup namespace mode gets the "
	                         "engine's default",
	               m == DECIDE_CGROUPNS_HOST
	                   ? "and the engine said it is the host's (as on cgroup v1 hosts)"
	                   : "and lockset could not ask the engine which it is (GET /info on "
	                     "--engine-socket)",
	               service ? ": set \"default-cgroupns-mode\": \"private\" in "
	                         "/etc/docker/daemon.json"
	                       : ": use --cgroupns=private, or set \"default-cgroupns-mode\": "
	                         "\"private\" in /etc/docker/daemon.json");
}

/* What mounts the host paths a request names again later, where no plugin
 * sees it: a service's tasks, a restart policy (into buf). NULL: nothing
 * but a start, which is judged. */
static const char *
unseen_remount(const struct engineapi_target *t, const struct engineapi_facts *f, char *buf,
               size_t bufsz)
{
	if (t->route == ENGINEAPI_SERVICE_CREATE || t->route == ENGINEAPI_SERVICE_UPDATE)
		return "Swarm mounts it for every task it starts";
	if (f->restarts == NULL)
		return NULL;
	snprintf(buf, bufsz,
	         "dockerd mounts it again whenever --restart %.32s starts the "
	         "container",
	         f->restarts);
	return buf;
}

/* An update that gives a container a restart policy: what it holds, and
 * (dockerd starting it unseen) what it runs in. */
static void
judge_update_restart(struct ctx *c, const struct engineapi_target *t,
                     const struct engineapi_facts *f)
{
	const char *id = t->id != NULL ? t->id : "";
	char flag[300];

	snprintf(flag, sizeof(flag), "docker update --restart %.32s %.200s", f->restarts, id);
	decide_judge_container(c, "RestartPolicy", flag, id, NULL, 0);
	decide_judge_runs_in(c, flag, id, 1);
	decide_judge_flags(c, flag, id);
}

/* Routes whose facts are in a JSON body. */
static void
judge_body_route(struct ctx *c, const struct engineapi_target *t)
{
	const struct decide_request *req = c->req;
	struct engineapi_facts *f;
	char remount[160];
	size_t i;

	if (body_blank(req)) {
		if (t->route != ENGINEAPI_CONTAINER_START)
			decide_violate(
			    c, "missing-body", "", "", NULL,
			    "the request body is missing (a body over 1 MiB is not forwarded to "
			    "authorization plugins)");
		/* Before API 1.24 dockerd applies a start's body as the container's
		 * HostConfig (binds, privileges, namespaces): one that was sent
		 * but not forwarded cannot be judged. */
		else if (t->before_1_24 && !req->body_whole)
			decide_violate(c, "missing-body", "", "", NULL,
			               "a start on an API version before 1.24 may carry a "
			               "HostConfig in a body that was not forwarded (over 1 MiB, "
			               "or chunked), so it is refused; use API 1.24 or later");
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
	if (f->nul) {
		decide_violate(c, "nul-byte", "", "", NULL,
		               "a string in the request body holds U+0000 (\\u0000), which "
		               "lockset cannot judge as dockerd reads it");
		goto out;
	}
	if (!f->body_ok) {
		decide_violate(c, "missing-body", "", "", NULL, "%s", f->error);
		goto out;
	}
	c->remount = unseen_remount(t, f, remount, sizeof(remount));
	for (i = 0; i < f->n && !c->nomem; i++)
		decide_judge_fact(c, &f->v[i], f->image);
	if (t->route == ENGINEAPI_CONTAINER_CREATE)
		decide_judge_pid_joins(c, f);
	/* Before API 1.24 dockerd makes a start's body the container's
	 * HostConfig, behind the create lockset recorded: every later start,
	 * restart and copy would be judged by the create's mounts. */
	if (t->route == ENGINEAPI_CONTAINER_START && t->before_1_24 && f->members > 0)
		decide_violate(c, "start-hostconfig", "", "", NULL,
		               "a start on an API version before 1.24 whose body sets the "
		               "container's HostConfig is refused: set it at create, or use API "
		               "1.24 or later");
	if (t->route == ENGINEAPI_CONTAINER_UPDATE && f->restarts != NULL && !c->nomem)
		judge_update_restart(c, t, f);
	c->remount = NULL;
	if (t->route == ENGINEAPI_CONTAINER_CREATE || t->route == ENGINEAPI_SERVICE_CREATE ||
	    t->route == ENGINEAPI_SERVICE_UPDATE)
		judge_default_cgroupns(c, t, f);
	/* Swarm's agent pulls a service's image itself: no images/create to judge. */
	if ((t->route == ENGINEAPI_SERVICE_CREATE || t->route == ENGINEAPI_SERVICE_UPDATE) &&
	    f->image != NULL)
		judge_service_registry(c, t, f->image);
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
 * container holds now, every source resolved again, and by what it runs
 * with, as its create would be judged now: the record of its create (or an
 * engine lookup). */
static void
judge_start(struct ctx *c, const struct engineapi_target *t)
{
	char flag[300];

	snprintf(flag, sizeof(flag), "docker %s %s",
	         t->route == ENGINEAPI_CONTAINER_RESTART ? "restart" : "start", t->id);
	decide_judge_container(c, "id", flag, t->id, NULL, 0);
	decide_judge_runs_in(c, flag, t->id, 1);
	decide_judge_flags(c, flag, t->id);
	if (t->route == ENGINEAPI_CONTAINER_START) {
		judge_body_route(c, t);
		decide_judge_checkpoint_query(c, t);
	}
}

/* docker exec and attach reach a process in the container, and unpause
 * lets its processes run again: in the host's user namespace, the host's
 * root. An exec's body is judged too. Through the socket proxy, exec and
 * attach also hand the caller what the container holds: its host paths
 * must be the caller's to read (another user's container, or root's). */
static void
judge_runs_in(struct ctx *c, const struct engineapi_target *t)
{
	char flag[300];

	snprintf(flag, sizeof(flag), "docker %s %s",
	         t->route == ENGINEAPI_EXEC_CREATE         ? "exec"
	         : t->route == ENGINEAPI_CONTAINER_UNPAUSE ? "unpause"
	                                                   : "attach",
	         t->id);
	if (t->route == ENGINEAPI_EXEC_CREATE)
		judge_body_route(c, t);
	decide_judge_runs_in(c, flag, t->id, 0);
	if (t->route != ENGINEAPI_CONTAINER_UNPAUSE)
		decide_judge_held_access(c, "id", flag, t->id);
}

/* docker cp (HEAD, GET, PUT /containers/{id}/archive): dockerd mounts the
 * container's volumes again for every copy, so a bind source swapped for a
 * symlink since the create is reached through it, running or not: judged as
 * a start is, and written through by a PUT. A PUT into a container in the
 * host's user namespace hands its processes (the host's root) a file. */
static void
judge_archive(struct ctx *c, const struct engineapi_target *t)
{
	int put = strcmp(c->req->method, "PUT") == 0;
	char flag[300];

	snprintf(flag, sizeof(flag), "docker cp %s %s", put ? "... into" : "out of", t->id);
	decide_judge_container(c, "id", flag, t->id, NULL, put);
	if (put)
		decide_judge_runs_in(c, flag, t->id, 1);
}

/* ECI locked on: the engine must run containers in user namespaces. Every
 * route that makes a process run in a container (create, service create and
 * update, exec, and a build, whose RUN steps are containers of dockerd's own
 * making) is refused when the engine said it does not, or could not be
 * asked. First among the violations, so the message always shows it. */
static void
judge_engine_userns(struct ctx *c, const struct engineapi_target *t)
{
	enum decide_userns u = c->req->engine_userns;

	if (!c->dp->eci_locked || u == DECIDE_USERNS_UNJUDGED)
		return;
	if (t->route != ENGINEAPI_CONTAINER_CREATE && t->route != ENGINEAPI_EXEC_CREATE &&
	    t->route != ENGINEAPI_SERVICE_CREATE && t->route != ENGINEAPI_SERVICE_UPDATE &&
	    t->route != ENGINEAPI_BUILD && t->route != ENGINEAPI_BUILD_STREAM)
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
	if (t->nul) {
		/* Refused before its route is read: a pull or an import is not
		 * told apart, so it is recorded as another request. */
		c->d->route = "other";
		decide_violate(c, "nul-byte", "", c->req->uri, NULL,
		               "the request target holds %%00, which lockset cannot judge as "
		               "dockerd reads it");
		return;
	}
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
	case ENGINEAPI_IMAGE_PUSH:
	case ENGINEAPI_REGISTRY_READ:
		decide_judge_query_route(c, t);
		break;
	case ENGINEAPI_REGISTRY_LOGIN: /* its body names the registry, read only for the rule */
		if (c->dp->registries_restricted)
			judge_body_route(c, t);
		break;
	case ENGINEAPI_CONTAINER_START:
	case ENGINEAPI_CONTAINER_RESTART:
		judge_start(c, t);
		break;
	case ENGINEAPI_BUILD_STREAM:
		decide_judge_buildkit(
		    c, "", "/grpc", "docker buildx build",
		    "over BuildKit's /grpc stream (docker buildx, and docker build "
		    "since Docker 23)");
		break;
	case ENGINEAPI_CONTAINER_ARCHIVE:
		judge_archive(c, t);
		break;
	case ENGINEAPI_EXEC_CREATE:
	case ENGINEAPI_CONTAINER_ATTACH:
	case ENGINEAPI_CONTAINER_UNPAUSE:
		judge_runs_in(c, t);
		break;
	case ENGINEAPI_EXEC_START:
		decide_judge_exec_start(c, t->id);
		break;
	case ENGINEAPI_CHECKPOINT:
		if (engineapi_reads_body(c->req->method, t->route))
			judge_body_route(c, t);
		else
			decide_judge_checkpoint_query(c, t);
		break;
	default: /* the routes whose facts are in their JSON body, and no others */
		if (engineapi_reads_body(c->req->method, t->route))
			judge_body_route(c, t);
		break;
	}
	if (c->d->subject == NULL && t->id != NULL && t->id[0] != '\0' &&
	    (c->d->subject = decide_dup_trunc(t->id)) == NULL)
		c->nomem = 1;
}

int
decide_body_whole(int forwarded, const char *content_length)
{
	const char *p = content_length;
	long long n = 0;

	if (forwarded)
		return 1;
	if (p == NULL || *p == '\0')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (*p - '0')) > 1048576)
			return 0;
	return *p == '\0';
}

int
decide_body_unseen(int forwarded, const char *content_type, const char *content_length)
{
	if (forwarded)
		return 0;
	if (content_length == NULL || *content_length == '\0')
		return content_type != NULL;
	return content_length[strspn(content_length, "0")] != '\0';
}

int
decide_eval(const struct decide_policy *dp, const struct decide_request *req, struct decision *out)
{
	struct engineapi_target t;
	struct ctx c = {dp, req, out, 0, 0, NULL, DECIDE_LOOKUPS, 0};
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
	 * record) unless the policy denies their command, or the target holds
	 * %00, which puts the route itself in doubt. */
	if (t.route != ENGINEAPI_OTHER || t.klass != ENGINEAPI_READONLY || t.nul ||
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

/* A copy of s cut to at most max bytes at a character's start, "..." after
 * it when cut; NULL on ENOMEM. */
static char *
cut_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *out;

	if (n <= max)
		return strdup(s);
	/* Back to a character's first byte: never half a UTF-8 sequence. */
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	if ((out = malloc(n + 4)) == NULL)
		return NULL;
	memcpy(out, s, n);
	memcpy(out + n, "...", 4);
	return out;
}

/* {"s":"..."} member name and value, cut. 0, or -1 on ENOMEM. */
static int
set_cut(json_t *o, const char *name, const char *s, size_t max)
{
	char *v = cut_text(s != NULL ? s : "", max);
	int rc = v != NULL ? json_object_set_new(o, name, json_string(v)) : -1;

	free(v);
	return rc;
}

/* The violations, the first max at most, each string cut to max_text bytes. */
static json_t *
violations_json_cut(const struct decision *d, size_t max, size_t max_text)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < d->nv && i < max; i++) {
		json_t *o = json_object();

		if (o == NULL || json_object_set_new(o, "rule", json_string(d->v[i].rule)) != 0 ||
		    set_cut(o, "field", d->v[i].field, max_text) != 0 ||
		    set_cut(o, "value", d->v[i].value, max_text) != 0 ||
		    set_cut(o, "flag", d->v[i].flag, max_text) != 0 ||
		    set_cut(o, "message", d->v[i].message, max_text) != 0) {
			json_decref(o);
			json_decref(arr);
			return NULL;
		}
		if (json_array_append_new(arr, o) == -1) { /* o is released with it */
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *
decision_violations_json(const struct decision *d)
{
	return violations_json_cut(d, SIZE_MAX, SIZE_MAX);
}

/* A row keeps its decision whole while its text cannot pass the audit log's
 * 256 KiB of JSON even escaped (\u00XX: six bytes a byte); past that (a
 * request refused for hundreds of binds, a URI of 300 KB) it keeps these. */
#define ROW_WHOLE_MAX 40000 /* bytes of text kept whole */
#define ROW_CUT_URI   2048
#define ROW_CUT_MSG   4096
#define ROW_CUT_V     16  /* violations kept */
#define ROW_CUT_TEXT  256 /* bytes of each of their strings */

static size_t
row_text(const struct decision *d, const char *uri, const char *message)
{
	size_t n = (uri != NULL ? strlen(uri) : 0) + (message != NULL ? strlen(message) : 0);

	for (size_t i = 0; i < d->nv; i++) {
		const char *s[] = {d->v[i].field, d->v[i].value, d->v[i].flag, d->v[i].message};

		for (size_t k = 0; k < 4; k++)
			n += s[k] != NULL ? strlen(s[k]) : 0;
	}
	return n;
}

json_t *
decision_row_json(const struct decision *d, const char *id, const char *method, const char *uri,
                  const char *user, const char *message)
{
	int cut = row_text(d, uri, message) > ROW_WHOLE_MAX;
	char *u = NULL, *m = NULL;
	json_t *data = NULL;

	if (uri == NULL)
		uri = "";
	if (cut && ((u = cut_text(uri, ROW_CUT_URI)) == NULL ||
	            (message != NULL && (m = cut_text(message, ROW_CUT_MSG)) == NULL)))
		goto out;
	data = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:s?}", "decisionId", id, "method",
	    method ? method : "", "uri", cut ? u : uri, "mode", d->mode ? d->mode : "enforce",
	    "route", d->route ? d->route : "other", "user", user, "violations",
	    cut ? violations_json_cut(d, ROW_CUT_V, ROW_CUT_TEXT) : decision_violations_json(d),
	    "message", cut ? m : message);
	if (data != NULL && cut &&
	    json_object_set_new(data, "cut",
	                        json_pack("{s:I, s:I}", "uriBytes", (json_int_t)strlen(uri),
	                                  "violations", (json_int_t)d->nv)) != 0) {
		json_decref(data);
		data = NULL;
	}
out:
	free(u);
	free(m);
	return data;
}
