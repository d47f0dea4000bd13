/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/bundle: the signed policy bundle (bundleserve.h) for hosts in
 * upstream mode. Two ways to wait for a change:
 *
 * - as GET /v1/settings: If-None-Match with the current ETag and ?wait=S
 *   holds the request until the bundle changes (200), is signed again
 *   (200, bundle.h: "expires") or S passes (304); such replies say
 *   Cache-Control: no-cache;
 * - through a shared cache: ?after=V&slot=N&wait=S names what the host holds
 *   (bundle V) and a time slot of S seconds (slot N covers [N*S, (N+1)*S)
 *   of this server's clock). The request is held while V is current and the
 *   slot lasts. Every host in the same state asks for the same URL, so a
 *   cache that collapses misses (nginx proxy_cache_lock) sends one request
 *   upstream per slot and answers the rest from its copy; the reply is
 *   "public, s-maxage=S". Each reply with ?wait carries the URL to ask next
 *   in Link: <bundle?after=V&slot=N&wait=S>; rel="next".
 */
#include "server.h"
#include "fleet/bundleserve.h"
#include "util/etag.h"
#include "handlers.h"
#include "http/reply.h"
#include "policy/served.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct longpoll {
	struct served_waiter w;
	struct http_wait wait;
	struct served_hub *hub;       /* where w is registered */
	struct server *srv;           /* its long-poll caps */
	struct caller_count *counted; /* counted against them (h_longpoll_admit) */
};

/* The query of one request. */
struct bundle_query {
	long long wait, after, slot; /* -1: absent */
	const char *inm;
};

static void
longpoll_fire(struct served_waiter *w)
{
	http_wait_done(&((struct longpoll *)w)->wait);
}

static void
longpoll_free(void *p)
{
	struct longpoll *lp = p;

	served_wait_remove(lp->hub, &lp->w);
	h_longpoll_release(lp->srv, &lp->counted);
	free(lp);
}

/* ?name=N with N a whole number; -1 when absent, -2 when malformed. */
static long long
query_count(struct request *rq, const char *name)
{
	const char *v = http_query(rq, name);
	char *end;
	long long n;

	if (v == NULL)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || *v < '0' || *v > '9')
		return -2;
	return n;
}

static int
parse_query(struct request *rq, struct bundle_query *q, struct problems *errs)
{
	q->wait = query_count(rq, "wait");
	q->after = query_count(rq, "after");
	q->slot = query_count(rq, "slot");
	q->inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (q->wait == -2)
		problems_add(errs, "wait", "expected a whole number of seconds");
	if (q->after == -2)
		problems_add(errs, "after", "expected a bundle version");
	if (q->slot == -2)
		problems_add(errs, "slot", "expected a slot number");
	if (errs->n == 0 && (q->slot >= 0) != (q->after >= 0))
		problems_add(errs, q->slot >= 0 ? "after" : "slot", "after and slot go together");
	if (errs->n == 0 && q->slot >= 0 && q->wait < 1)
		problems_add(errs, "wait", "a slot needs a wait of at least 1 second");
	if (q->wait > rq->srv->cfg->long_poll_max)
		q->wait = rq->srv->cfg->long_poll_max;
	return errs->n == 0 ? 0 : -1;
}

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Does the poller hold b already: does its If-None-Match name b's ETag? A
 * "*" in it, which no host sends, names no bundle: a reply whose ETag an
 * attacker made "*" would otherwise hold that host on its bundle for good. */
static int
holds_bundle(const char *inm, const struct bundle_served *b)
{
	for (const char *p = inm; p != NULL && *p != '\0'; p++)
		if (*p == '*')
			return 0;
	return inm != NULL && etag_listed(inm, b->etag, 1);
}

/* Seconds the request should still be held for b; 0: answer now. */
static double
hold_for(struct served_hub *hub, const struct bundle_query *q, const struct bundle_served *b)
{
	double now = now_real(), end;

	if (served_shutting_down(hub) || q->wait <= 0)
		return 0;
	if (q->slot >= 0) {
		if (q->after != b->version)
			return 0;
		end = (double)(q->slot + 1) * (double)q->wait;
		if (end - now > q->wait)
			end = now + (double)q->wait;
	} else {
		if (!holds_bundle(q->inm, b))
			return 0;
		end = now + (double)q->wait;
	}
	/* Not past its next signature: the waiter gets that when it is made
	 * (a hundredth of a second after it is due, whatever the two clocks
	 * do), through a cache too. */
	if (b->resign_at != 0 && (double)b->resign_at + 0.01 < end)
		end = (double)b->resign_at + 0.01;
	return end > now ? end - now : 0;
}

static void
response_release(void *cls)
{
	bundleserve_release(cls);
}

/* The Link to ask next, and Cache-Control, on resp. */
static void
add_poll_headers(struct MHD_Response *resp, const struct bundle_query *q,
                 const struct bundle_served *b)
{
	long long next;
	char buf[160];

	if (q->slot >= 0) {
		snprintf(buf, sizeof(buf), "public, max-age=0, s-maxage=%lld", q->wait);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, buf);
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	if (q->wait <= 0)
		return;
	next = (long long)(now_real() / (double)q->wait);
	/* A slot that ended without a change: the next one, even if this
	 * server's clock has not quite reached it. */
	if (q->slot >= 0 && q->after == b->version && next <= q->slot)
		next = q->slot + 1;
	snprintf(buf, sizeof(buf), "<bundle?after=%lld&slot=%lld&wait=%lld>; rel=\"next\"",
	         b->version, next, q->wait);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LINK, buf);
}

static enum MHD_Result
reply_bundle(struct request *rq, const struct bundle_query *q, struct bundle_served *b)
{
	int same = holds_bundle(q->inm, b);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char version[24];

	/* A 200 response keeps b referenced until MHD destroys it. */
	if (same)
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	else if ((resp = MHD_create_response_from_buffer_with_free_callback_cls(
	              b->len, b->body, response_release, b)) != NULL)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
	if (resp == NULL) {
		bundleserve_release(b);
		return MHD_NO;
	}
	if (!same)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, b->etag);
	snprintf(version, sizeof(version), "%lld", b->version);
	MHD_add_response_header(resp, "Lockset-Bundle-Version", version);
	add_poll_headers(resp, q, b);
	ret = reply_response(rq, same ? 304 : 200, resp);
	MHD_destroy_response(resp);
	bundleserve_release(b);
	return ret;
}

/* Sleep until the next change or the deadline; called again on resume. */
static enum MHD_Result
hold(struct request *rq, double seconds, unsigned long long gen)
{
	struct longpoll *lp = rq->hstate;

	if (lp == NULL) {
		enum MHD_Result ret;

		if ((lp = calloc(1, sizeof(*lp))) == NULL)
			return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
		/* The same caps as /v1/settings' long-polls. */
		if (!h_longpoll_admit(rq, &lp->counted, &ret)) {
			free(lp);
			return ret;
		}
		lp->srv = rq->srv;
		lp->w.fire = longpoll_fire;
		lp->hub = rq->srv->served;
		clock_gettime(CLOCK_MONOTONIC, &lp->w.deadline);
		lp->w.deadline.tv_sec += (time_t)seconds;
		lp->w.deadline.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
		if (lp->w.deadline.tv_nsec >= 1000000000L) {
			lp->w.deadline.tv_sec++;
			lp->w.deadline.tv_nsec -= 1000000000L;
		}
		rq->hstate = lp;
		rq->hstate_free = longpoll_free;
	}
	http_wait_init(&lp->wait, rq);
	served_wait_add_any(rq->srv->served, &lp->w);
	if (served_generation(rq->srv->served) != gen) {
		/* Changed while this reply was being prepared: look again. */
		served_wait_remove(lp->hub, &lp->w);
		http_wait_done(&lp->wait);
	}
	http_wait_suspend(&lp->wait);
	return MHD_YES;
}

static int
deadline_passed(const struct longpoll *lp)
{
	struct timespec now;

	if (lp == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > lp->w.deadline.tv_sec ||
	       (now.tv_sec == lp->w.deadline.tv_sec && now.tv_nsec >= lp->w.deadline.tv_nsec);
}

enum MHD_Result
h_bundle_get(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	unsigned long long gen = served_generation(rq->srv->served);
	struct bundle_query q;
	struct bundle_served *b;
	enum MHD_Result ret;
	double wait;

	if (!bundleserve_enabled(rq->srv->bundles))
		return reply_error(rq, ERR_NOT_FOUND, NULL,
		                   "this lockset signs no bundles (no --bundle-signing-key)");
	if (parse_query(rq, &q, &errs) != 0) {
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		problems_clear(&errs);
		return ret;
	}
	if ((b = bundleserve_current(rq->srv->bundles)) == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the bundle cannot be built");
	wait = hold_for(rq->srv->served, &q, b);
	if (wait > 0 && !deadline_passed(rq->hstate)) {
		bundleserve_release(b);
		return hold(rq, wait, gen);
	}
	return reply_bundle(rq, &q, b);
}
