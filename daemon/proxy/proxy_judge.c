/* SPDX-License-Identifier: Apache-2.0 */
/* What the proxy knows that the plugin cannot: who is asking (SO_PEERCRED,
 * with the groups the process had, SO_PEERGROUPS), the whole body, and the
 * form dockerd reads parameters from. A request is judged by the same
 * judgement as the plugin's (judge.h), as that user, with their per-user
 * policy and $HOME, their own access to every host path (proxy_access.c),
 * and the engine's user namespaces; the connection's own thread waits for
 * it. Container records are kept from the requests it forwards, as the
 * plugin keeps them (containers.h). */
#include "proxy_int.h"

#include "http/auth.h"
#include "containers/containers.h"
#include "engine/engineapi.h"
#include "policy/served.h"
#include "util/lockorder.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

int
proxy_caller_identify(int fd, struct proxy_caller *who)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	memset(who, 0, sizeof(*who));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
		return -1;
	who->uid = cr.uid;
	who->gid = cr.gid;
	who->pid = cr.pid;
	snprintf(who->actor, sizeof(who->actor), "uid:%u", (unsigned)cr.uid);
	if (auth_user_name(cr.uid, who->user, sizeof(who->user)) != 0)
		who->user[0] = '\0';
	/* The groups the process had when it connected; else (an older kernel,
	 * too many groups) the user database's, which may differ. */
	len = sizeof(who->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, who->groups, &len) == 0) {
		who->ngroups = (int)(len / sizeof(gid_t));
	} else if (who->user[0] != '\0') {
		int n = PROXY_MAX_GROUPS;

		who->ngroups = getgrouplist(who->user, who->gid, who->groups, &n) < 0 ? -1 : n;
	} else {
		who->groups[0] = who->gid;
		who->ngroups = 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Judging                                                                  */

struct wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void
resumed(void *arg)
{
	struct wait *w = arg;

	lockorder_lock(&w->lock, LOCK_PROXY_JUDGE);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	lockorder_unlock(&w->lock, LOCK_PROXY_JUDGE);
}

/* The URI the request is judged by. dockerd reads a form route's parameters
 * from r.Form, where an urlencoded body comes before the query: so the body
 * goes first, then the query, and every value of a parameter is judged.
 * NULL on ENOMEM or a body that is not a form (control bytes). */
static char *
judged_uri(const struct proxy_head *h, const char *body, size_t len, int form)
{
	const char *q = memchr(h->target, '?', h->target_len);
	size_t path = q != NULL ? (size_t)(q - h->target) : h->target_len;
	char *uri;

	if (!form)
		return strndup(h->target, h->target_len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)body[i] < 0x20 || body[i] == 0x7f || body[i] == '#')
			return NULL;
	if ((uri = malloc(h->target_len + len + 3)) == NULL)
		return NULL;
	memcpy(uri, h->target, path);
	uri[path] = '?';
	memcpy(uri + path + 1, body, len);
	if (q != NULL && h->target_len > path + 1) {
		uri[path + 1 + len] = '&';
		memcpy(uri + path + 2 + len, q + 1, h->target_len - path - 1);
		uri[path + 1 + len + h->target_len - path] = '\0';
	} else {
		uri[path + 1 + len] = '\0';
	}
	return uri;
}

/* 1 when the body is a form dockerd reads the route's parameters from. */
static int
is_form(const struct proxy_head *h, const char *method, const char *target)
{
	struct engineapi_target t;
	int form;

	if (strcmp(h->ctype, "application/x-www-form-urlencoded") != 0 ||
	    engineapi_classify(method, target, &t) != 0)
		return 0;
	form = t.form;
	engineapi_target_clear(&t);
	return form;
}

static void
refuse(struct proxy_verdict *out, const char *message)
{
	out->allow = 0;
	out->message = strdup(message);
}

void
proxy_judge(struct proxy *p, const struct proxy_caller *who, const struct proxy_head *h,
            const char *body, size_t body_len, int has_body, struct proxy_verdict *out)
{
	struct wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct decide_request req = {0};
	struct judgement j;
	char *method = strndup(h->method, h->method_len),
	     *target = strndup(h->target, h->target_len);
	char ctype[512];
	int form = body != NULL && method != NULL && target != NULL && is_form(h, method, target);
	char *uri = method != NULL && target != NULL ? judged_uri(h, body, body_len, form) : NULL;

	memset(out, 0, sizeof(*out));
	if (uri == NULL) {
		refuse(out, form ? "lockset: the request's form body is malformed; denied"
		                 : "lockset: out of memory judging the request; denied");
		goto out;
	}
	req.method = method;
	req.uri = uri;
	req.user = who->user[0] != '\0' ? who->user : NULL;
	req.body = form ? NULL : body;
	req.body_len = form ? 0 : body_len;
	req.has_body = !form && has_body;
	req.body_whole = 1; /* read whole by the proxy itself */
	/* Read from the form here, so not the plugin's "form it cannot see". */
	req.content_type = form ? NULL : proxy_header_get(h, "Content-Type", ctype, sizeof(ctype));
	req.engine_userns = DECIDE_USERNS_UNKNOWN; /* bound for the engine */
	/* Root may read and write every path already: its access is no rule. */
	req.access = who->uid != 0 ? proxy_access_check : NULL;
	req.access_arg = (void *)who;
	/* As the plugin does: removals forget their records before dockerd acts. */
	out->create = containers_watch_request(proxy_deps_of(p)->containers, method, target);
	if (judge_start(proxy_deps_of(p)->judge, &req, "proxy", who->actor, &j, resumed, &w) == 1) {
		lockorder_lock(&w.lock, LOCK_PROXY_JUDGE);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		lockorder_unlock(&w.lock, LOCK_PROXY_JUDGE);
		judge_finish(&j);
	}
	out->allow = j.d.allow;
	out->version = j.version;
	out->message = j.message;
	j.message = NULL;
	judge_clear(&j);
	if (out->allow && out->create && who->user[0] != '\0')
		out->user = strdup(who->user); /* none (ENOMEM): the organisation's policy */
	if (!out->allow && out->create) {
		containers_watch_refused(proxy_deps_of(p)->containers);
		out->create = 0;
	}
	if (!out->allow && out->message == NULL)
		out->message = strdup("lockset: denied");
out:
	free(method);
	free(target);
	free(uri);
}

void
proxy_verdict_clear(struct proxy_verdict *v)
{
	if (v == NULL)
		return;
	free(v->message);
	free(v->user);
	memset(v, 0, sizeof(*v));
}

void
proxy_judge_response(struct proxy *p, const struct proxy_head *req, const char *req_body,
                     size_t req_len, const struct proxy_verdict *v, int status,
                     const char *resp_body, size_t resp_len, int plugin)
{
	struct containers_response r = {0};
	char *method, *uri;

	if (!v->create)
		return;
	r.status = status;
	r.resp_body = resp_body;
	r.resp_len = resp_body != NULL ? resp_len : 0;
	r.user = v->user;
	if (plugin) { /* one record, not two: the plugin writes it; who made it, the proxy */
		containers_watch_creator(proxy_deps_of(p)->containers, &r);
		containers_watch_refused(proxy_deps_of(p)->containers);
		return;
	}
	method = strndup(req->method, req->method_len);
	uri = strndup(req->target, req->target_len);
	r.method = method;
	r.uri = uri;
	r.req_body = req_body;
	r.req_len = req_body != NULL ? req_len : 0;
	r.cgroupns = judge_engine_cgroupns(proxy_deps_of(p)->judge);
	/* Every create that began ends here, recorded or not (status 0: none). */
	if (method == NULL || uri == NULL)
		containers_watch_refused(proxy_deps_of(p)->containers);
	else
		containers_watch_response(proxy_deps_of(p)->containers, &r, v->version);
	free(method);
	free(uri);
}
