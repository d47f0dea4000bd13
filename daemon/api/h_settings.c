/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/settings: the effective settings. The hottest read path: the reply
 * is prebuilt per policy version (served.c) and queued as is; If-None-Match
 * gives 304; ?wait=S suspends the connection until the ETag changes (200) or
 * the wait ends (304). ?user=U gives U's effective settings (per-user policy
 * and preferences layers), computed on demand with an ETag of their own and
 * long-polled the same way: after a change the waiters' thread builds U's
 * reply once and wakes only U's waiters whose ETag it changed. Waiting is
 * capped per caller (429) and in all (503), admins aside; a waiter whose
 * client went away is dropped at once. */
#include "server.h"
#include "util/etag.h"
#include "handlers.h"
#include "http/auth.h"
#include "http/reply.h"
#include "policy/served.h"
#include "policy/userpolicy.h"
#include "util/lockorder.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LONGPOLL_ADMIN_EXTRA 64 /* admins may wait beyond the total cap by this many */
#define CALLER_BUCKETS       256

struct longpoll {
	struct served_waiter w;
	struct server *srv; /* its hub and caps */
	struct http_wait wait;
	char *user; /* ?user=, owned (w.user points here) */
	/* The caller's count this waiter is part of (borrowed: it lives while
	 * its count is not 0); NULL when not counted. A pointer, not a copy of
	 * the name: every waiting connection carries this struct. */
	struct caller_count *counted;
};

/* ------------------------------------------------------------------------ */
/* Caps */

struct caller_count {
	char name[128];
	unsigned n;
	struct caller_count *next;
};

/* The long-polls' counts and the org settings' prebuilt replies. */
struct settings_api {
	pthread_mutex_t caps_lock; /* callers and waiting */
	struct caller_count *callers[CALLER_BUCKETS];
	unsigned waiting;
	/* The replies of one policy build, made once and shared by every
	 * request until the next build: the 200's body is the snapshot's own
	 * text, and the response holds a reference to the snapshot until
	 * libmicrohttpd is done with it. */
	pthread_rwlock_t replies_lock;
	struct {
		unsigned long long build;
		struct MHD_Response *r200, *r304;
	} replies;
};

struct settings_api *
settings_api_new(void)
{
	struct settings_api *sa = calloc(1, sizeof(*sa));

	if (sa == NULL)
		return NULL;
	pthread_mutex_init(&sa->caps_lock, NULL);
	pthread_rwlock_init(&sa->replies_lock, NULL);
	return sa;
}

void
settings_api_free(struct settings_api *sa)
{
	if (sa == NULL)
		return;
	for (size_t i = 0; i < CALLER_BUCKETS; i++) {
		for (struct caller_count *c = sa->callers[i], *next; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
	}
	if (sa->replies.r200 != NULL) {
		MHD_destroy_response(sa->replies.r200);
		MHD_destroy_response(sa->replies.r304);
	}
	pthread_mutex_destroy(&sa->caps_lock);
	pthread_rwlock_destroy(&sa->replies_lock);
	free(sa);
}

static struct caller_count **
caller_slot(struct settings_api *sa, const char *name)
{
	unsigned h = 5381;
	struct caller_count **pp;

	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (pp = &sa->callers[h % CALLER_BUCKETS]; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			break;
	return pp;
}

static unsigned
total_cap(const struct server *srv)
{
	unsigned cap = (unsigned)srv->cfg->longpoll_total;

	return cap > 0 ? cap : http_rest_capacity(srv->http) * 3 / 4;
}

int
h_longpoll_admit(struct request *rq, struct caller_count **counted, enum MHD_Result *ret)
{
	struct settings_api *sa = rq->srv->settings;
	int admin = rq->peer->role >= ROLE_ADMIN;
	unsigned cap = total_cap(rq->srv) + (admin ? LONGPOLL_ADMIN_EXTRA : 0);
	struct caller_count **pp, *c = NULL;
	int full = 0, over = 0;

	lockorder_lock(&sa->caps_lock, LOCK_SETTINGS_CAPS);
	pp = caller_slot(sa, rq->peer->name);
	if (sa->waiting >= cap)
		full = 1;
	else if (!admin && *pp != NULL && (*pp)->n >= (unsigned)rq->srv->cfg->longpoll_caller)
		over = 1;
	else if ((c = *pp) == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
		snprintf(c->name, sizeof(c->name), "%s", rq->peer->name);
		*pp = c;
	}
	if (c != NULL) {
		c->n++;
		sa->waiting++;
		*counted = c;
	}
	lockorder_unlock(&sa->caps_lock, LOCK_SETTINGS_CAPS);
	if (c != NULL)
		return 1;
	*ret = full   ? reply_json_hdr(rq, 503,
	                               reply_error_body(rq, ERR_UNAVAILABLE, NULL,
	                                                "too many long-polls are waiting"),
	                               "Retry-After", "5")
	       : over ? reply_json_hdr(rq, 429,
	                               reply_error_body(rq, ERR_RATE_LIMITED, NULL,
	                                                "too many long-polls from this caller "
	                                                "(--long-poll-per-caller)"),
	                               "Retry-After", "5")
	              : reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

void
h_longpoll_release(struct server *srv, struct caller_count **counted)
{
	struct settings_api *sa = srv->settings;
	struct caller_count **pp, *c;

	if (*counted == NULL)
		return;
	lockorder_lock(&sa->caps_lock, LOCK_SETTINGS_CAPS);
	pp = caller_slot(sa, (*counted)->name);
	if ((c = *pp) != NULL && --c->n == 0) {
		*pp = c->next;
		free(c);
	}
	sa->waiting--;
	lockorder_unlock(&sa->caps_lock, LOCK_SETTINGS_CAPS);
	*counted = NULL;
}

/* ------------------------------------------------------------------------ */
/* Waiting */

static void
longpoll_fire(struct served_waiter *w)
{
	struct longpoll *lp = (struct longpoll *)w;

	http_wait_done(&lp->wait);
}

static void
longpoll_free(void *p)
{
	struct longpoll *lp = p;

	served_wait_remove(lp->srv->served, &lp->w);
	h_longpoll_release(lp->srv, &lp->counted);
	free(lp->user);
	free(lp);
}

/* A new long-poll of rq (counted), or NULL with the refusal in *ret. */
static struct longpoll *
longpoll_new(struct request *rq, const char *user, const char *etag, long wait,
             enum MHD_Result *ret)
{
	struct longpoll *lp = calloc(1, sizeof(*lp));

	if (lp == NULL || (user != NULL && (lp->user = strdup(user)) == NULL)) {
		free(lp);
		*ret = reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	lp->srv = rq->srv;
	if (!h_longpoll_admit(rq, &lp->counted, ret)) {
		free(lp->user);
		free(lp);
		return NULL;
	}
	lp->w.fire = longpoll_fire;
	lp->w.fd = http_request_fd(rq);
	lp->w.user = lp->user;
	snprintf(lp->w.etag, sizeof(lp->w.etag), "%s", etag);
	clock_gettime(CLOCK_MONOTONIC, &lp->w.deadline);
	lp->w.deadline.tv_sec += wait;
	rq->hstate = lp;
	rq->hstate_free = longpoll_free;
	return lp;
}

/* Parse ?wait=SECONDS; -1 when invalid. Capped by long-poll-max. */
static long
parse_wait(const char *v, long max)
{
	char *end;
	long w;

	if (v == NULL)
		return 0;
	errno = 0;
	w = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || w < 0)
		return -1;
	return w > max ? max : w;
}

/* Has w's deadline passed? */
static int
deadline_passed(const struct served_waiter *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > w->deadline.tv_sec ||
	       (now.tv_sec == w->deadline.tv_sec && now.tv_nsec >= w->deadline.tv_nsec);
}

/* ------------------------------------------------------------------------ */
/* Per-user replies */

static enum MHD_Result
user_reply_send(struct request *rq, const struct served_user_reply *r)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(r->len, r->text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = reply_response(rq, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Resumed for good: a change brought a new reply, the client went, or the
 * deadline passed (or the daemon is stopping). */
static enum MHD_Result
user_resumed(struct request *rq, struct longpoll *lp)
{
	if (lp->w.gone)
		return MHD_NO; /* nobody to answer: close */
	if (lp->w.reply != NULL)
		return user_reply_send(rq, lp->w.reply);
	return reply_empty(rq, 304, lp->w.etag);
}

/* GET /v1/settings?user=U: built per request (a DB read for the
 * preferences). With ?wait and a matching If-None-Match the request sleeps
 * until U's reply changes (200, built once for all of U's waiters) or the
 * deadline (304). */
static enum MHD_Result
reply_user(struct request *rq, const char *user, const char *inm, long wait)
{
	struct problems errs = PROBLEMS_INIT;
	struct longpoll *lp = rq->hstate;
	struct served_hub *hub = rq->srv->served;
	unsigned long long gen = served_generation(hub);
	struct served_user_reply *r;
	enum MHD_Result ret;
	int unavailable = 0;

	if (!userpolicy_name_valid(user, "user", &errs)) {
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		problems_clear(&errs);
		return ret;
	}
	/* A user's settings carry the user's preferences: who may read those
	 * (h_users.c) may read these, no one else. */
	if (!auth_peer_acts_for_user(rq->srv->auth, rq->peer, user))
		return reply_error(rq, ERR_FORBIDDEN, NULL,
		                   "%s may only read its own user's settings", rq->peer->name);
	if (lp != NULL && (lp->w.gone || lp->w.reply != NULL || deadline_passed(&lp->w) ||
	                   served_shutting_down(hub)))
		return user_resumed(rq, lp);
	if ((r = userpolicy_reply(rq->srv->userpolicy, user, &unavailable)) == NULL)
		return unavailable ? reply_error(rq, ERR_UNAVAILABLE, NULL,
		                                 "the user's settings cannot be read now")
		                   : reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	if (inm == NULL || !etag_listed(inm, r->etag, 1)) {
		ret = user_reply_send(rq, r);
	} else if (wait == 0 || strcmp(inm, "*") == 0) {
		ret = reply_empty(rq, 304, r->etag);
	} else if (lp == NULL && (lp = longpoll_new(rq, user, r->etag, wait, &ret)) == NULL) {
		/* refused: ret holds the reply */
	} else {
		http_wait_init(&lp->wait, rq);
		served_wait_add_user(hub, &lp->w);
		if (served_generation(hub) != gen) {
			/* Changed while this reply was being built: look again. */
			served_wait_remove(hub, &lp->w);
			http_wait_done(&lp->wait);
		}
		http_wait_suspend(&lp->wait);
		ret = MHD_YES;
	}
	served_user_reply_release(r);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The org settings */

static void
release_snapshot(void *cls)
{
	served_release(cls);
}

static struct MHD_Response *
settings_response(struct served *s, int not_modified)
{
	struct MHD_Response *r =
	    not_modified ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
	                 : MHD_create_response_from_buffer_with_free_callback_cls(
	                       s->text_len, s->text, release_snapshot, served_ref(s));

	if (r == NULL) {
		if (!not_modified)
			served_release(s);
		return NULL;
	}
	if ((!not_modified && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                                              "application/json") != MHD_YES) ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, s->etag) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* With sa->replies_lock held for writing: the replies of s's build. 0, or
 * -1 on ENOMEM. */
static int
replies_for(struct settings_api *sa, struct served *s)
{
	struct MHD_Response *r200, *r304;

	if (sa->replies.r200 != NULL && sa->replies.build == s->build)
		return 0;
	r200 = settings_response(s, 0);
	r304 = settings_response(s, 1);
	if (r200 == NULL || r304 == NULL) {
		if (r200 != NULL)
			MHD_destroy_response(r200);
		if (r304 != NULL)
			MHD_destroy_response(r304);
		return -1;
	}
	if (sa->replies.r200 != NULL) {
		MHD_destroy_response(sa->replies.r200);
		MHD_destroy_response(sa->replies.r304);
	}
	sa->replies.build = s->build;
	sa->replies.r200 = r200;
	sa->replies.r304 = r304;
	return 0;
}

/* The prebuilt reply for s. Every GET shares the read lock; only the first
 * request after a new build takes the write lock to make its sa->replies. */
static enum MHD_Result
queue_current(struct settings_api *sa, struct request *rq, struct served *s, const char *inm)
{
	if (inm != NULL && etag_listed(inm, s->etag, 1))
		return reply_response(rq, 304, sa->replies.r304);
	return reply_response(rq, 200, sa->replies.r200);
}

static enum MHD_Result
reply_current(struct request *rq, struct served *s, const char *inm)
{
	struct settings_api *sa = rq->srv->settings;
	enum MHD_Result ret;

	lockorder_rdlock(&sa->replies_lock, LOCK_SETTINGS_REPLIES);
	if (sa->replies.r200 != NULL && sa->replies.build == s->build) {
		ret = queue_current(sa, rq, s, inm);
		lockorder_rwunlock(&sa->replies_lock, LOCK_SETTINGS_REPLIES);
		return ret;
	}
	lockorder_rwunlock(&sa->replies_lock, LOCK_SETTINGS_REPLIES);
	lockorder_wrlock(&sa->replies_lock, LOCK_SETTINGS_REPLIES);
	ret = replies_for(sa, s) == 0 ? queue_current(sa, rq, s, inm)
	                              : reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	lockorder_rwunlock(&sa->replies_lock, LOCK_SETTINGS_REPLIES);
	return ret;
}
/* Resumed after a change, the deadline, or the client's going. */
static enum MHD_Result
org_resumed(struct request *rq, struct longpoll *lp, const char *inm)
{
	struct served *s;
	enum MHD_Result ret;

	if (lp->w.gone)
		return MHD_NO; /* nobody to answer: close */
	s = served_acquire(rq->srv->served);
	if (s != NULL && etag_listed(inm, s->etag, 1) && !deadline_passed(&lp->w) &&
	    !served_shutting_down(rq->srv->served)) {
		/* Not for us (a race with a swap back): sleep again. */
		served_release(s);
		http_wait_init(&lp->wait, rq);
		if (served_wait_add(rq->srv->served, &lp->w) != 0)
			http_wait_done(&lp->wait);
		http_wait_suspend(&lp->wait);
		return MHD_YES;
	}
	ret = s ? reply_current(rq, s, inm)
	        : reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
	served_release(s);
	return ret;
}

enum MHD_Result
h_settings_get(struct request *rq)
{
	const char *inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct served *s;
	struct longpoll *lp;
	enum MHD_Result ret;
	const char *user;
	long wait;

	wait = parse_wait(http_query(rq, "wait"), rq->srv->cfg->long_poll_max);
	if (wait < 0)
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL,
		                   "wait: expected a whole number of seconds");
	user = http_query(rq, "user");
	if (user != NULL)
		return reply_user(rq, user, inm, wait);
	if (rq->hstate != NULL)
		return org_resumed(rq, rq->hstate, inm);
	s = served_acquire(rq->srv->served);
	if (s == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
	if (wait == 0 || inm == NULL || !etag_listed(inm, s->etag, 1) || strcmp(inm, "*") == 0) {
		ret = reply_current(rq, s, inm);
		served_release(s);
		return ret;
	}
	/* Long-poll: the caller already has the current version. */
	lp = longpoll_new(rq, NULL, s->etag, wait, &ret);
	served_release(s);
	if (lp == NULL)
		return ret;
	http_wait_init(&lp->wait, rq);
	if (served_wait_add(rq->srv->served, &lp->w) != 0) {
		lp->w.fired = 1;
		http_wait_done(&lp->wait); /* changed in between: reply on resume */
	}
	http_wait_suspend(&lp->wait);
	return MHD_YES;
}

void
h_settings_metrics(struct server *srv, FILE *out)
{
	size_t all, users;
	unsigned long long builds;

	served_wait_count(srv->served, &all, &users, &builds);
	fprintf(out,
	        "# HELP lockset_longpoll_waiters Long-polls of GET /v1/settings waiting, for the "
	        "org settings and for a user's.\n"
	        "# TYPE lockset_longpoll_waiters gauge\n"
	        "lockset_longpoll_waiters{kind=\"org\"} %zu\n"
	        "lockset_longpoll_waiters{kind=\"user\"} %zu\n"
	        "# HELP lockset_longpoll_limit Long-polls waiting at most: in all (admins may "
	        "exceed it by %d), and per caller.\n"
	        "# TYPE lockset_longpoll_limit gauge\n"
	        "lockset_longpoll_limit{what=\"total\"} %u\n"
	        "lockset_longpoll_limit{what=\"per_caller\"} %ld\n"
	        "# HELP lockset_longpoll_user_builds_total Users' settings built for their "
	        "waiters after a change (once per user and change).\n"
	        "# TYPE lockset_longpoll_user_builds_total counter\n"
	        "lockset_longpoll_user_builds_total %llu\n",
	        all - users, users, LONGPOLL_ADMIN_EXTRA, total_cap(srv), srv->cfg->longpoll_caller,
	        builds);
}
