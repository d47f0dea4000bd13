/* SPDX-License-Identifier: Apache-2.0 */
/* Routes judged by their query (pulls, imports, loads, builds, plugins, tags,
 * commits), read as Go's r.Form reads them, the builds BuildKit runs unseen,
 * and what the inventory says of a route: unknown routes, commands the
 * policy refuses, form-encoded bodies whose values a plugin never sees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide_int.h"
#include "hostpath.h"

#define QVAL_MAX DECIDE_QVAL_MAX

/* Iterate key over the query and, for an urlencoded form body, the body:
 * Go's r.Form holds both (body first) and dockerd reads either. */
struct params {
	const char *query;
	char *form; /* NUL-terminated copy of the body, or NULL */
};

static int
params_first(const struct params *p, const char *key, char *buf, size_t bufsz)
{
	const char *cur = p->form;

	if (cur != NULL && engineapi_query_next(&cur, key, buf, bufsz))
		return 1;
	cur = p->query;
	return engineapi_query_next(&cur, key, buf, bufsz);
}

/* Calls fn for every value of key. */
static void
params_each(struct ctx *c, const struct params *p, const char *key,
            void (*fn)(struct ctx *, const char *key, const char *val))
{
	const char *srcs[2] = {p->form, p->query};
	char buf[QVAL_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *cur = srcs[i];

		while (cur != NULL && engineapi_query_next(&cur, key, buf, sizeof(buf)))
			fn(c, key, buf);
	}
}

static int
set_subject(struct decision *d, const char *s)
{
	if (s == NULL || s[0] == '\0' || d->subject != NULL)
		return 0;
	d->subject = decide_dup_trunc(s);
	return d->subject != NULL ? 0 : -1;
}

static void
subject(struct ctx *c, const char *s)
{
	if (set_subject(c->d, s) == -1)
		c->nomem = 1;
}

/* A search's term. */
static void
check_search_registry(struct ctx *c, const char *key, const char *val)
{
	char flag[QVAL_MAX + 32];

	snprintf(flag, sizeof(flag), "docker search %s", val);
	decide_judge_registry_at(c, key, flag, val, DECIDE_REGISTRY_SEARCH);
}

/* A pull's fromImage, or a plugin pull's or upgrade's remote. */
static void
check_pull_registry(struct ctx *c, const char *key, const char *val)
{
	char flag[QVAL_MAX + 32];

	snprintf(flag, sizeof(flag), "docker %s %s",
	         strcmp(key, "remote") == 0 ? "plugin install" : "pull", val);
	decide_judge_registry(c, key, flag, val);
}

/* The classic builder runs each step's container in this network mode: the
 * host's, or another container's (judged as a create joining it is). */
static void
check_build_network(struct ctx *c, const char *key, const char *val)
{
	if (strcasecmp(val, "host") == 0) {
		if ((c->dp->deny & DENY_NETWORK) || c->dp->eci)
			decide_violate(c, "build-network-host", key, val,
			               "docker build --network host",
			               "builds on the host network are not allowed");
	} else { /* container:<name>, judged as a create's */
		struct engineapi_fact fa = {
		    .kind = EF_NETWORK_MODE, .value = val, .prefix = "", .name = key, .index = -1};

		decide_judge_fact(c, &fa, NULL);
	}
}

/* The classic builder runs each step's container under this cgroup. */
static void
check_build_cgroup_parent(struct ctx *c, const char *key, const char *val)
{
	if ((c->dp->deny & DENY_CGROUP_PARENT) && val[0] != '\0')
		decide_violate(c, "cgroup-parent", key, val, "docker build --cgroup-parent",
		               "placing the build's containers under another cgroup (%s) is not "
		               "allowed",
		               val);
}

static void
check_build_tag(struct ctx *c, const char *key, const char *val)
{
	char flag[QVAL_MAX + 24];

	snprintf(flag, sizeof(flag), "docker build -t %s", val);
	decide_judge_new_name(c, key, flag, val);
	subject(c, val);
}

/* The name repo and tag give an image (commit, import, tag), resolved as
 * dockerd's RepoTagReference resolves it: a tag replaces the one repo
 * carries. Judged against ECI's socket-mount list; the name goes to subj
 * ("" when repo is empty: dockerd makes no name). */
static void
judge_repo_tag(struct ctx *c, const struct params *p, const char *flag, char *subj, size_t subjsz)
{
	char repo[QVAL_MAX], tag[QVAL_MAX];
	struct imageref ref;

	subj[0] = '\0';
	if (!params_first(p, "repo", repo, sizeof(repo)) || repo[0] == '\0')
		return;
	if (!params_first(p, "tag", tag, sizeof(tag)))
		tag[0] = '\0';
	if (imageref_repo_tag(repo, tag, &ref) == -1) {
		snprintf(subj, subjsz, "%s%s%s", repo, tag[0] != '\0' ? ":" : "", tag);
		if (c->dp->eci)
			decide_refuse_unresolved_name(c, "repo", flag, subj);
		return;
	}
	snprintf(subj, subjsz, "%s:%s", ref.name, ref.tag);
	if (c->dp->eci)
		decide_judge_new_ref(c, "repo", flag, subj, &ref);
}

static void
judge_denied_command(struct ctx *c, const char *command)
{
	char flag[64];

	if (command == NULL || !decide_strlist_has(&c->dp->commands, command))
		return;
	snprintf(flag, sizeof(flag), "docker %s", command);
	decide_violate(c, "denied-command", "", command, flag,
	               "docker %s is not allowed on this host (deniedCommands)", command);
}

static const char *
image_create(struct ctx *c, const struct params *p)
{
	char first[QVAL_MAX], tag[QVAL_MAX], subj[2 * QVAL_MAX + 2];
	int pull = params_first(p, "fromImage", first, sizeof(first)) && first[0] != '\0';

	params_each(c, p, "fromImage", check_pull_registry);
	if (pull) {
		if (params_first(p, "tag", tag, sizeof(tag)) && tag[0] != '\0')
			snprintf(subj, sizeof(subj), "%s%s%s", first, tag[0] == '@' ? "" : ":",
			         tag);
		else
			snprintf(subj, sizeof(subj), "%s", first);
		subject(c, subj);
		return "image.pull";
	}
	/* dockerd imports when the first fromImage is empty. */
	if (c->dp->block_load)
		decide_violate(c, "docker-load", "fromSrc", "", "docker import",
		               "importing images from a tarball is blocked (blockDockerLoad)");
	judge_denied_command(c, "image import");
	judge_repo_tag(c, p, "docker import", subj, sizeof(subj));
	subject(c, subj);
	return "image.import";
}

/* A load's image names are in the tarball, which no plugin sees: with a
 * socket-mount list that names tags, a load could mint one of them. */
static void
image_load(struct ctx *c)
{
	const struct decide_policy *dp = c->dp;
	size_t i;

	if (dp->block_load)
		decide_violate(c, "docker-load", "", "", "docker load",
		               "loading images from a tarball is blocked (blockDockerLoad)");
	for (i = 0; dp->eci && i < dp->nimages; i++)
		if (!dp->images[i].any && dp->images[i].ref.digest[0] == '\0') {
			decide_violate(
			    c, "socket-image-name", "", "", "docker load",
			    "a loaded tarball could name an image on the ECI socket-mount "
			    "list, which lockset cannot see; pin that list by digest "
			    "(name@sha256:...) to allow docker load");
			return;
		}
}

/* The host of a build's remote context: a URL, scp-like git ("git@h:p") or
 * "github.com/...". Returns 0, or -1 when it has none that can be told. */
static int
remote_host(const char *remote, char *host, size_t hostsz)
{
	const char *s = strstr(remote, "://"), *end, *at;
	size_t n;

	if (s != NULL) {
		s += 3;
	} else if (strncmp(remote, "github.com/", 11) == 0) {
		s = remote;
	} else if ((at = strchr(remote, '@')) != NULL && strchr(at, ':') != NULL &&
	           strchr(remote, '/') > strchr(at, ':')) {
		s = remote; /* user@host:path */
	} else {
		return -1;
	}
	end = s + strcspn(s, "/?#");
	at = memchr(s, '@', (size_t)(end - s));
	if (at != NULL)
		s = at + 1;
	if (strstr(remote, "://") == NULL && (at = memchr(s, ':', (size_t)(end - s))) != NULL)
		end = at; /* scp-like: the ':' starts the path */
	n = (size_t)(end - s);
	if (n == 0 || n >= hostsz)
		return -1;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	host[n] = '\0';
	return 0;
}

static void
check_build_remote(struct ctx *c, const char *key, const char *val)
{
	const struct decide_policy *dp = c->dp;
	char host[256], bare[256], flag[QVAL_MAX + 16];

	if (!dp->remotes.restricted || val[0] == '\0' || strcmp(val, "client-session") == 0)
		return;
	snprintf(flag, sizeof(flag), "docker build %s", val);
	if (remote_host(val, host, sizeof(host)) == 0) {
		snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(host, ":"), host);
		if (decide_strlist_has(&dp->remotes, host) ||
		    decide_strlist_has(&dp->remotes, bare))
			return;
	}
	decide_violate(c, "build-remote", key, val, flag,
	               "build contexts from %s are not allowed (allowedBuildRemotes)",
	               remote_host(val, host, sizeof(host)) == 0 ? host : "an unknown host");
}

static void
plugin_route(struct ctx *c, const struct engineapi_target *t, const struct params *p)
{
	char buf[QVAL_MAX], flag[QVAL_MAX + 32];
	const char *why;
	const char *verb = t->route == ENGINEAPI_PLUGIN_SET      ? "set"
	                   : t->route == ENGINEAPI_PLUGIN_ENABLE ? "enable"
	                                                         : "install";

	if (t->route != ENGINEAPI_PLUGIN_INSTALL || !params_first(p, "remote", buf, sizeof(buf)) ||
	    buf[0] == '\0') {
		if (t->route != ENGINEAPI_PLUGIN_INSTALL ||
		    !params_first(p, "name", buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "%s", t->id != NULL ? t->id : "");
	}
	subject(c, buf);
	/* A pull or an upgrade fetches the plugin from remote's registry. */
	if (t->route == ENGINEAPI_PLUGIN_INSTALL)
		params_each(c, p, "remote", check_pull_registry);
	snprintf(flag, sizeof(flag), "docker plugin %s %s", verb, buf);
	if ((why = decide_plugins_refused(c)) != NULL)
		decide_violate(c, "plugin-install", "remote", buf, flag,
		               "installing or configuring engine plugins is not allowed (%s)", why);
}

/* version=2 runs the build on BuildKit behind the classic endpoint: its
 * Dockerfile then travels in the body or over /session, unseen, as a /grpc
 * build's does. dockerd takes "1" and "2" only; any value but "1" is judged
 * as BuildKit. */
static void
check_build_version(struct ctx *c, const char *key, const char *val)
{
	if (val[0] != '\0' && strcmp(val, "1") != 0)
		decide_judge_buildkit(c, key, val, "docker build (BuildKit)",
		                      "with BuildKit (POST /build?version=2)");
}

static void
judge_params(struct ctx *c, const struct engineapi_target *t, const struct params *p)
{
	char buf[2 * QVAL_MAX + 2];

	switch (t->route) {
	case ENGINEAPI_IMAGE_CREATE:
		c->d->route = image_create(c, p);
		break;
	case ENGINEAPI_IMAGE_LOAD:
		image_load(c);
		break;
	case ENGINEAPI_BUILD:
		params_each(c, p, "version", check_build_version);
		params_each(c, p, "networkmode", check_build_network);
		params_each(c, p, "t", check_build_tag);
		params_each(c, p, "outputs", decide_judge_build_outputs);
		params_each(c, p, "remote", check_build_remote);
		params_each(c, p, "cgroupparent", check_build_cgroup_parent);
		break;
	case ENGINEAPI_PLUGIN_INSTALL:
	case ENGINEAPI_PLUGIN_SET:
	case ENGINEAPI_PLUGIN_ENABLE:
		plugin_route(c, t, p);
		break;
	case ENGINEAPI_IMAGE_TAG:
	case ENGINEAPI_COMMIT:
		judge_repo_tag(c, p, t->route == ENGINEAPI_COMMIT ? "docker commit" : "docker tag",
		               buf, sizeof(buf));
		subject(c, buf[0] != '\0' ? buf : t->id);
		break;
	case ENGINEAPI_REGISTRY_READ: /* dockerd asks the registry the name, term or remote names */
		if (strcmp(t->pattern, "/images/search") == 0) {
			params_each(c, p, "term", check_search_registry);
			if (!params_first(p, "term", buf, sizeof(buf))) /* none: Docker Hub's */
				check_search_registry(c, "term", "");
		} else if (strcmp(t->pattern, "/plugins/privileges") == 0) {
			params_each(c, p, "remote", check_pull_registry);
		} else {
			snprintf(buf, sizeof(buf), "docker manifest inspect %.200s", t->id);
			decide_judge_registry(c, "name", buf, t->id != NULL ? t->id : "");
		}
		break;
	case ENGINEAPI_IMAGE_PUSH: /* the registry is the name's: the path's, never the form's */
		snprintf(buf, sizeof(buf), "docker %spush %.200s",
		         strncmp(t->pattern, "/plugins/", 9) == 0 ? "plugin " : "", t->id);
		decide_judge_registry(c, "name", buf, t->id != NULL ? t->id : "");
		subject(c, t->id);
		break;
	default:
		break;
	}
}

/* A body Go's Request reads into r.Form: Content-Type
 * application/x-www-form-urlencoded (ParseForm; its values come before the
 * query's), or multipart/form-data (ParseMultipartForm, which r.FormValue
 * calls: its values join r.Form after the query's). Read as Go's mime parser
 * reads it (engineapi_media_type). */
static int
is_form_type(const char *ct)
{
	char type[64];

	if (ct == NULL)
		return 0;
	engineapi_media_type(ct, strlen(ct), type, sizeof(type));
	return strcmp(type, "application/x-www-form-urlencoded") == 0 ||
	       strcmp(type, "multipart/form-data") == 0;
}

void
decide_judge_query_route(struct ctx *c, const struct engineapi_target *t)
{
	const struct decide_request *req = c->req;
	struct params p = {t->query, NULL};

	/* Only a form body joins r.Form: any other (a JSON body's text may
	 * read as "&repo=x&") is never a parameter to dockerd. A form body on
	 * a route that reads r.Form is refused (decide_judge_class); its
	 * values are judged as well, for the message. */
	if (req->has_body && req->body_len > 0 && t->route != ENGINEAPI_IMAGE_LOAD &&
	    is_form_type(req->content_type)) {
		p.form = malloc(req->body_len + 1);
		if (p.form == NULL) {
			c->nomem = 1;
			return;
		}
		memcpy(p.form, req->body, req->body_len);
		p.form[req->body_len] = '\0';
	}
	judge_params(c, t, &p);
	free(p.form);
}

/* A route whose parameters dockerd reads from r.Form, with a body the plugin
 * was not shown (req->body_unseen): a form body would give it parameters no
 * rule saw. Refused where no client sends such a body (a tag, a commit, a
 * plugin install, a start, a checkpoint), and for images/create, whose body
 * may be an import's tarball, while a rule reads its parameters. A build's
 * body is its context: see the README ("What a plugin cannot see"). */
static int
unseen_form_matters(const struct ctx *c, const struct engineapi_target *t)
{
	const struct decide_policy *dp = c->dp;

	switch (t->route) {
	case ENGINEAPI_IMAGE_TAG:
	case ENGINEAPI_COMMIT:
	case ENGINEAPI_PLUGIN_INSTALL:
	case ENGINEAPI_PLUGIN_ENABLE:
	case ENGINEAPI_CONTAINER_START:
	case ENGINEAPI_CHECKPOINT:
		return 1;
	case ENGINEAPI_IMAGE_CREATE: /* a name to mint, a registry, an import */
		return (dp->eci && dp->nimages > 0) || dp->registries_restricted ||
		       dp->block_load || decide_strlist_has(&dp->commands, "image import");
	default:
		return 0;
	}
}

/* The commands refused unless allowedCommands names them: their rule and
 * why. A refused command not listed here is a denied-command. */
static const struct {
	const char *command, *rule, *why;
} refusals[] = {
    {"swarm join", "swarm-join", ": a node that joins a swarm runs whatever its managers send"},
    {"swarm init", "swarm-init",
     ": a swarm this node manages accepts other managers (anyone who can read docker swarm "
     "join-token manager can add one), and their services run here without passing any "
     "authorization plugin"},
};

/* A request is refused unless allowedCommands names command; what says
 * which, for the message, when it is not the command's own route (NULL). */
static void
refuse_unless_allowed(struct ctx *c, const char *command, const char *what, const char *field,
                      const char *value, const char *flag)
{
	const char *rule = "denied-command", *why = "";
	size_t i;

	if (command != NULL && decide_strlist_has(&c->dp->allowed, command))
		return;
	for (i = 0; command != NULL && i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(refusals[i].command, command) == 0) {
			rule = refusals[i].rule;
			why = refusals[i].why;
		}
	decide_violate(c, rule, field, value, flag,
	               "%s is refused unless the policy allows %s%s (allowedCommands)%s",
	               what != NULL ? what : flag, what != NULL ? "docker " : "",
	               what != NULL ? command : "it", why);
}

void
decide_judge_node_role(struct ctx *c, const char *field, const char *flag, const char *role)
{
	/* dockerd upper-cases Role (Go's strings.ToUpper, under which no
	 * other letter becomes one of WORKER's) and takes WORKER or MANAGER;
	 * anything else is an error to it, refused here as a manager. */
	if (strcasecmp(role, "worker") == 0)
		return;
	refuse_unless_allowed(c, "swarm init",
	                      "making a node a swarm manager (docker node promote)", field, role,
	                      flag);
	judge_denied_command(c, "swarm init");
}

void
decide_judge_class(struct ctx *c, const struct engineapi_target *t)
{
	const struct decide_request *req = c->req;
	char flag[128];

	if (t->route == ENGINEAPI_UNKNOWN) {
		snprintf(flag, sizeof(flag), "%s %.100s", req->method, req->uri);
		decide_violate(c, "unknown-route", "", req->uri, flag,
		               "%s on this path is not in lockset's inventory of the Docker Engine "
		               "API, so it is refused",
		               req->method);
		return;
	}
	if (t->klass == ENGINEAPI_REFUSED) {
		snprintf(flag, sizeof(flag), "docker %s", t->command ? t->command : req->method);
		refuse_unless_allowed(c, t->command, NULL, "", t->command ? t->command : "", flag);
	}
	judge_denied_command(c, t->command);
	if (t->form && req->body_unseen && unseen_form_matters(c, t))
		decide_violate(
		    c, "missing-body", "Content-Type", req->content_type ? req->content_type : "",
		    NULL,
		    "a body came that dockerd did not forward to authorization plugins; with "
		    "a form Content-Type header before the one shown, dockerd would read "
		    "this request's parameters from it, unseen, so it is refused (send "
		    "no body, or go through the docker socket proxy)");
	if (t->form && is_form_type(req->content_type))
		decide_violate(c, "missing-body", "Content-Type", req->content_type, NULL,
		               "a form-encoded body overrides the query and is not forwarded to "
		               "authorization plugins, so it is refused");
}

void
decide_judge_buildkit(struct ctx *c, const char *field, const char *value, const char *flag,
                      const char *how)
{
	const struct decide_policy *dp = c->dp;

	if ((dp->deny & DENY_NETWORK) || dp->eci)
		decide_violate(c, "build-network-host", field, value, flag,
		               "a build %s is not shown to authorization plugins whole, so its "
		               "host-network steps cannot be refused: use the classic builder "
		               "(DOCKER_BUILDKIT=0) or ask your administrator",
		               how);
	if (dp->remotes.restricted)
		decide_violate(c, "build-remote", field, value, flag,
		               "a build %s is not shown to authorization plugins whole, so its "
		               "context's host cannot be checked (allowedBuildRemotes)",
		               how);
}
