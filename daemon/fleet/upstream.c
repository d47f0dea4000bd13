/* SPDX-License-Identifier: Apache-2.0 */
/* The upstream thread and its state (see upstream.h): poll, install, report,
 * back off. Each pass of the loop sends a due status report, then one
 * long-poll; a failure waits min(retry_max, 2^n) seconds, drawn at random
 * from the upper half of that range so that hosts cut off together do not
 * come back together. */
#include "build-config.h"

#include "upstream_int.h"

#include "curl_load.h"

#include "log.h"
#include "policy/policylife.h"
#include "util/lockorder.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAVED_NAME "upstream-bundle.json"

/* ------------------------------------------------------------------------ */
/* Shared state */

time_t
upstream_parse_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

/* What the host holds now is the bundle info describes. Under u->lock. */
static void
hold_locked(struct upstream *u, const struct bundle_info *info)
{
	u->version = info->version;
	snprintf(u->issued, sizeof(u->issued), "%s", info->issued);
	u->issued_at = upstream_parse_time(info->issued);
	snprintf(u->expires, sizeof(u->expires), "%s", info->expires);
	u->expires_at = info->expires_at;
}

/* A fetch ended: ok with the version now held, or failed with why. */
void
upstream_record(struct upstream *u, int ok, const struct bundle_info *info, const char *why)
{
	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	u->last_attempt = time(NULL);
	if (ok) {
		u->last_sync = u->last_attempt;
		u->last_error[0] = '\0';
	} else {
		snprintf(u->last_error, sizeof(u->last_error), "%s", why);
	}
	if (info != NULL && info->version > 0)
		hold_locked(u, info);
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
}

int
upstream_expired_locked(const struct upstream *u, time_t now)
{
	return u->expires_at != 0 && now >= u->expires_at;
}

static void
count(struct upstream *u, unsigned long long *n)
{
	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	(*n)++;
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
}

/* Wait ms milliseconds or until stopped; 1 when stopped. */
static int
pause_ms(struct upstream *u, long ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	while (!u->stop && pthread_cond_timedwait(&u->cond, &u->lock, &ts) != ETIMEDOUT)
		;
	stop = u->stop;
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
	return stop;
}

static long
backoff_ms(struct upstream *u)
{
	long cap = u->retry_max * 1000, d = 1000;
	unsigned r = 0;

	for (unsigned i = 0; i < u->failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	u->failures++;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	return d / 2 + (long)(r % (unsigned)(d / 2 + 1));
}

/* ------------------------------------------------------------------------ */
/* One long-poll */

/* The query of a Link: <bundle?after=1&slot=2&wait=30>; rel="next", if it
 * is one and holds only the characters such a query uses. */
static void
take_next(struct upstream *u, const char *link)
{
	const char *q = strchr(link, '?'), *end = strchr(link, '>');
	size_t n;

	u->next[0] = '\0';
	if (q == NULL || end == NULL || end < q || strstr(end, "rel=\"next\"") == NULL)
		return;
	n = (size_t)(end - q - 1);
	if (n == 0 || n >= sizeof(u->next) ||
	    strspn(q + 1, "abcdefghijklmnopqrstuvwxyz0123456789&=") < n)
		return;
	memcpy(u->next, q + 1, n);
	u->next[n] = '\0';
}

/* A 200: install the bundle. 1 installed, 0 unchanged, -1 refused/failed. */
static int
take_bundle(struct upstream *u, struct upstream_http_reply *r)
{
	struct bundle_info info;
	char why[256] = "";
	int had_expiry = u->have.expires_at != 0;

	switch (upstream_apply(&u->policy, r->body, r->len, u->key, time(NULL), &u->have, &info,
	                       why, sizeof(why))) {
	case UA_INSTALLED:
		if (policylife_write_file(u->saved_path, r->body, r->len) != 0)
			log_warn("upstream: cannot save %s", u->saved_path);
		snprintf(u->etag, sizeof(u->etag), "%s", r->etag);
		take_next(u, r->link);
		log_info("upstream: bundle v%lld (issued %s) installed", info.version, info.issued);
		upstream_audit_bundle(u, "policy.bundle.installed", "allow", &info, NULL);
		u->refused_last[0] = '\0';
		upstream_record(u, 1, &info, NULL);
		count(u, &u->n_installed);
		return 1;
	case UA_REFRESHED:
		/* Saved, so that a restart holds the later expiry too. */
		if (policylife_write_file(u->saved_path, r->body, r->len) != 0)
			log_warn("upstream: cannot save %s", u->saved_path);
		snprintf(u->etag, sizeof(u->etag), "%s", r->etag);
		take_next(u, r->link);
		log_info("upstream: bundle v%lld signed again: expires %s", info.version,
		         info.expires);
		/* The first signature that expires of a bundle held without one:
		 * recorded as an install, so that a host that loses its saved
		 * bundle still refuses bundles that never expire (the rows its
		 * start reads). */
		if (!had_expiry)
			upstream_audit_bundle(u, "policy.bundle.installed", "allow", &info,
			                      "signed again: the bundle held now expires");
		u->refused_last[0] = '\0';
		upstream_record(u, 1, &info, NULL);
		count(u, &u->n_refreshed);
		return 0;
	case UA_UNCHANGED:
		snprintf(u->etag, sizeof(u->etag), "%s", r->etag);
		take_next(u, r->link);
		upstream_record(u, 1, NULL, NULL);
		count(u, &u->n_unchanged);
		return 0;
	case UA_REFUSED:
		log_warnx("upstream: bundle refused: %s", why);
		if (strcmp(why, u->refused_last) != 0) {
			upstream_audit_bundle(u, "policy.bundle.refused", "deny", &info, why);
			snprintf(u->refused_last, sizeof(u->refused_last), "%s", why);
		}
		count(u, &u->n_refused);
		break;
	case UA_FAILED:
		log_warnx("upstream: bundle not installed: %s", why);
		count(u, &u->n_failed);
		break;
	}
	u->next[0] = '\0';
	upstream_record(u, 0, NULL, why);
	return -1;
}

/* 1 when etag is none, or one the central sends (etag_of's: a quoted
 * 32-digit hex digest). Any other, "*" above all, would be sent back as
 * If-None-Match and could match every bundle to come: the host would hold
 * its bundle for good while its polls kept succeeding. */
static int
etag_ok(const char *etag)
{
	return etag[0] == '\0' || (strlen(etag) == 34 && etag[0] == '"' && etag[33] == '"' &&
	                           strspn(etag + 1, "0123456789abcdef") == 32);
}

static int
poll_once(struct upstream *u)
{
	struct upstream_http_reply r;
	char url[1024], why[300];
	int rc = -1;

	if (u->next[0] != '\0')
		snprintf(url, sizeof(url), "%s/v1/bundle?%s", u->base, u->next);
	else
		snprintf(url, sizeof(url), "%s/v1/bundle?wait=%ld", u->base, u->wait);
	if (upstream_http_get(u->http, url, u->etag[0] ? u->etag : NULL, u->wait + 30, &r) != 0) {
		snprintf(why, sizeof(why), "%s: %s", u->base, r.error);
		u->next[0] = '\0';
		upstream_record(u, 0, NULL, why);
		count(u, &u->n_failed);
	} else if (r.status == 200 && !etag_ok(r.etag)) {
		snprintf(why, sizeof(why),
		         "%s: a bundle whose ETag (%.40s) is not one lockset sends", u->base,
		         r.etag);
		u->next[0] = '\0';
		upstream_record(u, 0, NULL, why);
		count(u, &u->n_failed);
	} else if (r.status == 200) {
		rc = take_bundle(u, &r);
	} else if (r.status == 304 && u->etag[0] == '\0') {
		/* Not modified since no bundle at all: nothing holds one. */
		snprintf(why, sizeof(why), "%s: HTTP 304 to a poll that named no bundle", u->base);
		u->next[0] = '\0';
		upstream_record(u, 0, NULL, why);
		count(u, &u->n_failed);
	} else if (r.status == 304) {
		take_next(u, r.link);
		upstream_record(u, 1, NULL, NULL);
		count(u, &u->n_not_modified);
		rc = 0;
	} else {
		snprintf(why, sizeof(why), "%s: HTTP %ld%s", u->base, r.status,
		         r.status == 401 || r.status == 403 ? " (the upstream token was refused)"
		                                            : "");
		u->next[0] = '\0';
		upstream_record(u, 0, NULL, why);
		count(u, &u->n_failed);
	}
	upstream_http_reply_clear(&r);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The thread */

/* The installed bundle's signature ran out and no later one came: whatever
 * holds the upstream's updates back, or the central stopped signing. The
 * host keeps enforcing it (nothing weaker is at hand) and says so, once a
 * bundle, in its audit log; health, metrics and reports say so throughout. */
static void
check_expired(struct upstream *u)
{
	struct bundle_info info;
	char last[sizeof(u->expired_last)];
	int expired;

	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	expired = upstream_expired_locked(u, time(NULL));
	memset(&info, 0, sizeof(info));
	info.version = u->version;
	snprintf(info.issued, sizeof(info.issued), "%s", u->issued);
	snprintf(info.expires, sizeof(info.expires), "%s", u->expires);
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
	/* Once a bundle and expiry, across restarts too. */
	snprintf(last, sizeof(last), "%lld %s", info.version, info.expires);
	if (!expired || strcmp(last, u->expired_last) == 0)
		return;
	bundle_key_id(u->key, info.key_id);
	log_warnx("upstream: bundle v%lld expired at %s and no later signature of it came: "
	          "still enforcing it",
	          info.version, info.expires);
	upstream_audit_bundle(
	    u, "policy.bundle.expired", NULL, &info,
	    "no later signature came from the upstream: its updates may be held back");
	snprintf(u->expired_last, sizeof(u->expired_last), "%s", last);
}

static void *
upstream_main(void *arg)
{
	struct upstream *u = arg;

	while (!pause_ms(u, 0)) {
		struct timespec t0, t1;
		int rc;

		check_expired(u);
		if (time(NULL) >= u->next_report)
			upstream_report(u);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = poll_once(u);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		check_expired(u);
		if (rc < 0) {
			long ms = backoff_ms(u);
			log_debug("upstream: next attempt in %ld ms", ms);
			pause_ms(u, ms);
			continue;
		}
		u->failures = 0;
		if (rc == 1)
			u->next_report = 0; /* tell the central at once */
		else if (t1.tv_sec - t0.tv_sec < 1)
			pause_ms(u, 1000); /* nothing new, at once: do not spin */
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start-up */

/* The first line of path, trimmed: malloc'd, NULL with *err. */
static char *
read_token(const char *path, char **err)
{
	char buf[512], *t = NULL;
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		if (asprintf(err, "--upstream-token-file %s: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0' || strpbrk(buf, " \t") != NULL) {
		if (asprintf(err, "--upstream-token-file %s: expected one token", path) < 0)
			*err = NULL;
	} else {
		t = strdup(buf);
	}
	memset(buf, 0, sizeof(buf));
	return t;
}

/* Install <state-dir>/upstream-bundle.json, the last good bundle, so the host
 * enforces it before the central answers (or if it never does). */
static void
install_saved(struct upstream *u)
{
	struct bundle_info info;
	char why[256] = "", *body = NULL, msg[300];
	struct stat st;
	int fd = open(u->saved_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("upstream: %s", u->saved_path);
		return;
	}
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= UPSTREAM_HTTP_MAX_BODY &&
	    (body = malloc((size_t)st.st_size)) != NULL)
		n = read(fd, body, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		log_warnx("upstream: cannot read %s", u->saved_path);
	} else if (upstream_apply(&u->policy, body, (size_t)n, u->key, 0, &u->have, &info, why,
	                          sizeof(why)) == UA_INSTALLED) {
		log_info("upstream: enforcing the saved bundle v%lld (issued %s)", info.version,
		         info.issued);
		lockorder_lock(&u->lock, LOCK_UPSTREAM);
		hold_locked(u, &info);
		lockorder_unlock(&u->lock, LOCK_UPSTREAM);
	} else {
		snprintf(msg, sizeof(msg), "the saved bundle was not installed: %s", why);
		log_warnx("upstream: %s", msg);
		upstream_record(u, 0, NULL, msg);
	}
	free(body);
}

static int
host_name(const char *given, char **out, char **err)
{
	char buf[256] = "";

	if (given == NULL || given[0] == '\0') {
		if (gethostname(buf, sizeof(buf) - 1) != 0)
			snprintf(buf, sizeof(buf), "localhost");
		given = buf;
	}
	if (strlen(given) > 253 ||
	    strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
	        strlen(given)) {
		if (asprintf(err,
		             "host name \"%s\": expected letters, digits, '.', '-', '_' "
		             "(set --host-name)",
		             given) < 0)
			*err = NULL;
		return -1;
	}
	return (*out = strdup(given)) != NULL ? 0 : -1;
}

/* An upstream with its lock and condition variable, nothing else yet. */
static struct upstream *
upstream_new(void)
{
	struct upstream *u = calloc(1, sizeof(*u));
	pthread_condattr_t ca;

	if (u == NULL)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cond, &ca);
	pthread_condattr_destroy(&ca);
	return u;
}

struct upstream *
upstream_start(const struct upstream_opts *o, char **err)
{
	struct upstream *u = upstream_new();
	char *token = NULL, why[256];
	int rc = -1;

	if (u == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	if ((u->key = bundle_key_load_public(o->bundle_key, err)) == NULL ||
	    host_name(o->host_name, &u->host, err) != 0 ||
	    (o->token_file != NULL && (token = read_token(o->token_file, err)) == NULL))
		goto out;
	u->base = strdup(o->url);
	if (u->base != NULL)
		u->base[strcspn(u->base, "?#")] = '\0';
	while (u->base != NULL && u->base[0] && u->base[strlen(u->base) - 1] == '/')
		u->base[strlen(u->base) - 1] = '\0';
	u->audit = o->audit;
	u->judge = o->judge;
	u->policy = o->policy;
	u->wait = o->wait;
	u->retry_max = o->retry_max;
	u->report_interval = o->report_interval;
	if ((u->curl = curl_load(why, sizeof(why))) == NULL) {
		if (asprintf(err, "upstream client: %s", why) < 0)
			*err = NULL;
		goto out;
	}
	if (u->curl->global_init(CURL_GLOBAL_DEFAULT) != 0) {
		u->curl = NULL;
		*err = strdup("cannot set up the upstream client");
		goto out;
	}
	if (u->base == NULL || asprintf(&u->saved_path, "%s/%s", o->state_dir, SAVED_NAME) < 0 ||
	    (u->http = upstream_http_new(u->curl, o->cacert, token)) == NULL) {
		*err = strdup("cannot set up the upstream client");
		goto out;
	}
	upstream_read_audit_log(u);
	install_saved(u);
	if (pthread_create(&u->thread, NULL, upstream_main, u) != 0) {
		*err = strdup("cannot start the upstream thread");
		goto out;
	}
	u->running = 1;
	log_info("upstream: %s, reporting as %s", u->base, u->host);
	rc = 0;
out:
	if (token != NULL) {
		memset(token, 0, strlen(token));
		free(token);
	}
	if (rc != 0) {
		upstream_stop(u);
		return NULL;
	}
	return u;
}

void
upstream_stop(struct upstream *u)
{
	if (u == NULL)
		return;
	if (u->running) {
		lockorder_lock(&u->lock, LOCK_UPSTREAM);
		u->stop = 1;
		pthread_cond_signal(&u->cond);
		lockorder_unlock(&u->lock, LOCK_UPSTREAM);
		upstream_http_cancel(u->http);
		pthread_join(u->thread, NULL);
		u->running = 0;
	}
	upstream_http_free(u->http);
	EVP_PKEY_free(u->key);
	json_decref(u->have.bundle);
	free(u->base);
	free(u->host);
	free(u->saved_path);
	if (u->curl != NULL)
		u->curl->global_cleanup();
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* ------------------------------------------------------------------------ */
/* Health and metrics */

int
upstream_enabled(const struct upstream *u)
{
	return u != NULL;
}

const char *
upstream_url(const struct upstream *u)
{
	return u != NULL && u->base ? u->base : "";
}

json_t *
upstream_health(struct upstream *u, int *degraded)
{
	return upstream_health_of(u, degraded);
}

void
upstream_metrics(struct upstream *u, FILE *out)
{
	if (u != NULL)
		upstream_metrics_of(u, out);
}
