/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/settings: the effective settings. The hottest read path: the reply
 * is prebuilt per policy version (served.c) and queued as is; If-None-Match
 * gives 304; ?wait=S suspends the connection until the ETag changes (200) or
 * the wait ends (304). ?user=U gives U's effective settings (per-user policy
 * and preferences layers), computed on demand with an ETag of their own and
 * long-polled the same way; the no-user path above stays a prebuilt reply. */
#include "app.h"
#include "etag.h"
#include "handlers.h"
#include "reply.h"
#include "served.h"
#include "userpolicy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct longpoll {
	struct served_waiter w;
	struct request *rq;
};

static void
longpoll_fire(struct served_waiter *w)
{
	struct longpoll *lp = (struct longpoll *)w;

	http_resume(lp->rq);
}

static void
longpoll_free(void *p)
{
	struct longpoll *lp = p;

	served_wait_remove(&lp->w);
	free(lp);
}

static enum MHD_Result
reply_current(struct request *rq, struct served *s, const char *inm)
{
	if (inm != NULL && etag_listed(inm, s->etag, 1))
		return reply_response(rq, 304, s->r304);
	return reply_response(rq, 200, s->r200);
}

/* Parse ?wait=SECONDS; -1 when invalid. Capped by long-poll-max. */
static long
parse_wait(const char *v)
{
	char *end;
	long w;

	if (v == NULL)
		return 0;
	errno = 0;
	w = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || w < 0)
		return -1;
	if (w > app.cfg->long_poll_max)
		w = app.cfg->long_poll_max;
	return w;
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

/* GET /v1/settings?user=U: built per request (a DB read for the preferences).
 * With ?wait and a matching If-None-Match the request sleeps until something
 * changes (the org policy, U's policy or preferences: every change wakes
 * every waiter) and is then rebuilt; it answers 200 once U's ETag differs, or
 * 304 at the deadline. Called on the first dispatch and on every resume. */
static enum MHD_Result
reply_user(struct request *rq, const char *user, const char *inm, long wait)
{
	struct problems errs = PROBLEMS_INIT;
	struct longpoll *lp = rq->hstate;
	unsigned long long gen = served_generation();
	struct MHD_Response *resp;
	struct served *s;
	enum MHD_Result ret;
	json_t *eff = NULL;
	char *text = NULL, etag[72];
	int unavailable = 0;

	if (!userpolicy_name_valid(user, "user", &errs)) {
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		problems_clear(&errs);
		return ret;
	}
	if ((s = served_acquire()) == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
	eff = userpolicy_effective(s, user, &unavailable);
	served_release(s);
	if (eff == NULL)
		return unavailable ? reply_error(rq, ERR_UNAVAILABLE, NULL,
		                                 "the user's preferences cannot be read")
		                   : reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	text = json_dumps(eff, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(eff);
	if (text == NULL)
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	served_etag(text, strlen(text), etag);
	if (inm != NULL && etag_listed(inm, etag, 1)) {
		free(text);
		if (wait == 0 || strcmp(inm, "*") == 0 || (lp != NULL && deadline_passed(&lp->w)) ||
		    served_shutting_down())
			return reply_empty(rq, 304, etag);
		if (lp == NULL) {
			if ((lp = calloc(1, sizeof(*lp))) == NULL)
				return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
			lp->rq = rq;
			lp->w.fire = longpoll_fire;
			clock_gettime(CLOCK_MONOTONIC, &lp->w.deadline);
			lp->w.deadline.tv_sec += wait;
			rq->hstate = lp;
			rq->hstate_free = longpoll_free;
		}
		http_suspend(rq);
		served_wait_add_any(&lp->w);
		if (served_generation() != gen) {
			/* Changed while this reply was being built: build it again. */
			served_wait_remove(&lp->w);
			http_resume(rq);
		}
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = reply_response(rq, 200, resp);
	MHD_destroy_response(resp);
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

	wait = parse_wait(http_query(rq, "wait"));
	if (wait < 0)
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL,
		                   "wait: expected a whole number of seconds");
	user = http_query(rq, "user");
	if (user != NULL)
		return reply_user(rq, user, inm, wait);
	if (rq->hstate != NULL) {
		/* Resumed after a change or the deadline. */
		lp = rq->hstate;
		s = served_acquire();
		if (s != NULL && etag_listed(inm, s->etag, 1) && !deadline_passed(&lp->w) &&
		    !served_shutting_down()) {
			/* Woken by someone else's change (a per-user one): sleep again. */
			served_release(s);
			http_suspend(rq);
			if (served_wait_add(&lp->w) != 0)
				http_resume(rq);
			return MHD_YES;
		}
		ret = s ? reply_current(rq, s, inm)
		        : reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
		served_release(s);
		return ret;
	}
	s = served_acquire();
	if (s == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
	if (wait == 0 || inm == NULL || !etag_listed(inm, s->etag, 1) || strcmp(inm, "*") == 0) {
		ret = reply_current(rq, s, inm);
		served_release(s);
		return ret;
	}
	/* Long-poll: the caller already has the current version. */
	lp = calloc(1, sizeof(*lp));
	if (lp == NULL) {
		served_release(s);
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	}
	lp->rq = rq;
	lp->w.fire = longpoll_fire;
	strcpy(lp->w.etag, s->etag);
	served_release(s);
	clock_gettime(CLOCK_MONOTONIC, &lp->w.deadline);
	lp->w.deadline.tv_sec += wait;
	rq->hstate = lp;
	rq->hstate_free = longpoll_free;
	http_suspend(rq);
	if (served_wait_add(&lp->w) != 0) {
		lp->w.fired = 1;
		http_resume(rq); /* changed in between: reply on resume */
	}
	return MHD_YES;
}
