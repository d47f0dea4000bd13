/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's user namespaces, asked on one thread: checks are counted in
 * generations (wanted: asked for; done: finished), so a waiter is released by
 * the first check that started after it asked, and a burst of triggers makes
 * one check, not many. */
#include "engineinfo.h"

#include "engineclient.h"
#include "engineinfo_int.h"
#include "log.h"
#include "policy/served.h"
#include "util/lockorder.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
engineinfo_required(const json_t *effective)
{
	const json_t *eci = json_object_get(effective, "enhancedContainerIsolation");

	return json_is_object(eci) && json_is_true(json_object_get(eci, "locked")) &&
	       json_is_true(json_object_get(eci, "value"));
}

/* ------------------------------------------------------------------------ */
/* The checker thread                                                       */

/* A policy change (served.h fires this under its waiter lock). */
static void
policy_changed(struct served_waiter *w)
{
	struct engineinfo *e =
	    (struct engineinfo *)((char *)w - offsetof(struct engineinfo, policy));

	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	e->armed = 0;
	if (!served_shutting_down(e->served)) /* served_wake_all fires every waiter */
		e->wanted++;
	pthread_cond_signal(&e->cond);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
}

/* Listen for the next policy change (not holding e->lock: lock order). */
static void
arm_policy_waiter(struct engineinfo *e)
{
	int arm;

	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	arm = !e->armed && !e->stopping;
	e->armed = 1;
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	if (!arm)
		return;
	memset(&e->policy, 0, sizeof(e->policy));
	e->policy.fire = policy_changed;
	clock_gettime(CLOCK_MONOTONIC, &e->policy.deadline);
	e->policy.deadline.tv_sec += 86400;
	served_wait_add_internal(e->served, &e->policy);
}

void
engineinfo_log_change(struct engineinfo *e, enum decide_userns before)
{
	struct served *s = served_acquire(e->served);
	int required = s != NULL && engineinfo_required(s->effective), problem;
	char why[1024];

	served_release(s);
	if (e->userns == before && required == e->logged_required &&
	    e->host_userns == e->logged_host_userns)
		return;
	e->logged_required = required;
	e->logged_host_userns = e->host_userns;
	problem = engineinfo_problem(e, 0, why, sizeof(why));
	if (problem == 0)
		log_info("the engine at %s runs containers in user namespaces (%s)", e->socket,
		         e->info.userns == ENGINECLIENT_ROOTLESS ? "rootless" : "userns-remap");
	else if (problem == 3 || required)
		log_warnx("%s", why);
	else
		log_info("%s", why);
}

/* Log the engine's runtimes besides runc when they are seen first or change
 * (what /v1/health's checks.runtimes is about). Checker thread, after a
 * check the engine answered. */
static void
log_runtimes(struct engineinfo *e)
{
	const struct engineclient_info *i = &e->info;

	if (strcmp(i->runtimes, e->logged_runtimes) == 0 &&
	    strcmp(i->default_runtime, e->logged_default_runtime) == 0)
		return;
	memcpy(e->logged_runtimes, i->runtimes, sizeof(e->logged_runtimes));
	memcpy(e->logged_default_runtime, i->default_runtime, sizeof(e->logged_default_runtime));
	if (engineclient_runc_only(i))
		log_info("the engine at %s runs containers with runc only", e->socket);
	else
		log_info(
		    "the engine at %s offers runtimes besides runc: %s; its default is %s; what "
		    "such a runtime adds to a container is not judged (/v1/health "
		    "checks.runtimes)",
		    e->socket, i->runtimes[0] ? i->runtimes : "none",
		    i->default_runtime[0] ? i->default_runtime : "not given");
}

/* While ECI is locked on and the engine remaps users, the scan counts the
 * containers that run in the host's user namespace all the same
 * (engineinfo_scan.c); otherwise there is nothing to count. Called without
 * the lock. */
static void
host_userns_applies(struct engineinfo *e, int userns_yes)
{
	struct served *s = served_acquire(e->served);
	int required = s != NULL && engineinfo_required(s->effective);

	served_release(s);
	if (required && userns_yes)
		return;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	e->host_userns = 0;
	e->host_userns_scanned = 0;
	e->host_userns_names[0] = '\0';
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
}

/* Ask the engine once and record the answer. Called without the lock. */
static void
check(struct engineinfo *e)
{
	struct engineclient_info info;
	enum decide_userns before;
	char err[256] = "";
	int rc = engineclient_info(e->socket, e->timeout_ms, &info, err, sizeof(err));

	host_userns_applies(e, rc == 0 && info.userns != ENGINECLIENT_NO_USERNS);
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	before = e->userns;
	e->checked_at = time(NULL);
	if (rc == 0) {
		e->info = info;
		e->error[0] = '\0';
		e->failed_ms = 0;
		e->userns =
		    info.userns == ENGINECLIENT_NO_USERNS ? DECIDE_USERNS_NO : DECIDE_USERNS_YES;
		if (e->userns == DECIDE_USERNS_YES)
			e->n_yes++;
		else
			e->n_no++;
	} else {
		snprintf(e->error, sizeof(e->error), "%s", err);
		e->failed_ms = now_ms();
		e->userns = DECIDE_USERNS_UNKNOWN;
		e->n_failed++;
	}
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	engineinfo_log_change(e, before);
	if (rc == 0)
		log_runtimes(e);
}

/* Waiters released by generation gen (all of them when gen is 0), unlinked
 * from the list. Called with the lock. */
static struct waiter *
take_waiters(struct engineinfo *e, unsigned long long gen)
{
	struct waiter *out = NULL, **p = &e->waiters;

	while (*p != NULL) {
		struct waiter *w = *p;

		if (gen != 0 && w->need > gen) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = out;
		out = w;
		e->nwaiters--;
	}
	return out;
}

static void
release(struct waiter *w)
{
	while (w != NULL) {
		struct waiter *next = w->next;

		w->done(w->arg);
		free(w);
		w = next;
	}
}

static void *
checker_main(void *arg)
{
	struct engineinfo *e = arg;

	for (;;) {
		unsigned long long gen;
		struct timespec next;

		arm_policy_waiter(e);
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += ENGINEINFO_PERIOD_S;
		lockorder_lock(&e->lock, LOCK_ENGINEINFO);
		while (!e->stopping && e->wanted == e->done_gen)
			if (pthread_cond_timedwait(&e->cond, &e->lock, &next) == ETIMEDOUT)
				e->wanted++;
		if (e->stopping) {
			lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
			break;
		}
		gen = e->wanted;
		lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
		check(e);
		lockorder_lock(&e->lock, LOCK_ENGINEINFO);
		e->done_gen = gen;
		{
			struct waiter *w = take_waiters(e, gen);

			lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
			release(w);
		}
		engineinfo_scan_containers(e);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start, stop, questions                                                   */

struct engineinfo *
engineinfo_new(struct served_hub *served, const char *socket, int timeout_ms)
{
	struct engineinfo *e = calloc(1, sizeof(*e));
	pthread_condattr_t attr;

	if (e == NULL)
		return NULL;
	e->served = served;
	e->timeout_ms = timeout_ms > 0 ? timeout_ms : ENGINECLIENT_TIMEOUT_MS;
	e->userns = DECIDE_USERNS_UNKNOWN;
	e->wanted = 1; /* the first check, at once */
	snprintf(e->error, sizeof(e->error), "not asked yet");
	e->scan.count = e->logged_scan = -1;
	snprintf(e->scan_error, sizeof(e->scan_error), "the engine has not answered yet");
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (socket == NULL || socket[0] == '\0') {
		snprintf(e->error, sizeof(e->error), "no --engine-socket is configured");
		snprintf(e->scan_error, sizeof(e->scan_error), "%s", e->error);
		return e;
	}
	if ((e->socket = strdup(socket)) == NULL)
		goto fail;
	if (pthread_create(&e->thread, NULL, checker_main, e) != 0) {
		log_warnx("engine checks: cannot start a thread");
		goto fail;
	}
	e->running = 1;
	return e;
fail:
	engineinfo_free(e);
	return NULL;
}

void
engineinfo_stop(struct engineinfo *e)
{
	struct waiter *w;

	if (e == NULL)
		return;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	e->stopping = 1;
	pthread_cond_signal(&e->cond);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	if (e->running)
		pthread_join(e->thread, NULL);
	e->running = 0;
	if (e->socket != NULL)
		served_wait_remove(e->served, &e->policy);
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	w = take_waiters(e, 0);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	release(w);
}

void
engineinfo_free(struct engineinfo *e)
{
	if (e == NULL)
		return;
	engineinfo_stop(e);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	enginescan_clear(&e->scan);
	json_decref(e->reported);
	for (size_t i = 0; i < e->nsockets; i++)
		free(e->sockets[i]);
	free(e->sockets);
	free(e->socket);
	free(e);
}

void
engineinfo_trigger(struct engineinfo *e)
{
	if (e == NULL || e->socket == NULL)
		return;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	e->wanted++; /* a check in flight may have started before the engine restarted */
	pthread_cond_signal(&e->cond);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
}

enum decide_cgroupns
engineinfo_cgroupns(struct engineinfo *e)
{
	enum decide_cgroupns m;

	if (e == NULL)
		return DECIDE_CGROUPNS_UNKNOWN;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	m = e->userns == DECIDE_USERNS_UNKNOWN ? DECIDE_CGROUPNS_UNKNOWN
	    : e->info.cgroupns_private         ? DECIDE_CGROUPNS_PRIVATE
	                                       : DECIDE_CGROUPNS_HOST;
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return m;
}

enum decide_userns
engineinfo_userns(struct engineinfo *e)
{
	enum decide_userns u;

	if (e == NULL)
		return DECIDE_USERNS_UNKNOWN;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	u = e->userns;
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return u;
}

int
engineinfo_wait(struct engineinfo *e, void (*done)(void *arg), void *arg)
{
	struct waiter *w;
	int rc = -1;

	if (e == NULL || e->socket == NULL || (w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	/* No answer, and none is coming: ask again, unless the engine just
	 * failed to answer (no flood of checks while it is down). */
	if (e->userns == DECIDE_USERNS_UNKNOWN && e->wanted == e->done_gen &&
	    (e->failed_ms == 0 || now_ms() - e->failed_ms >= ENGINEINFO_RETRY_MS)) {
		e->wanted++;
		pthread_cond_signal(&e->cond);
	}
	if (!e->stopping && e->wanted != e->done_gen && e->nwaiters < ENGINEINFO_MAX_WAITERS) {
		w->done = done;
		w->arg = arg;
		w->need = e->wanted;
		w->next = e->waiters;
		e->waiters = w;
		e->nwaiters++;
		w = NULL;
		rc = 0;
	}
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	free(w);
	return rc;
}

int
engineinfo_problem(struct engineinfo *e, int audit, char *buf, size_t bufsz)
{
	const char *what = audit ? "reported (audit mode), not refused" : "refused";
	int rc;

	buf[0] = '\0';
	if (e == NULL) {
		snprintf(buf, bufsz, "lockset does not ask the engine about user namespaces");
		return 2;
	}
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	rc = e->userns == DECIDE_USERNS_YES ? 0 : e->userns == DECIDE_USERNS_NO ? 1 : 2;
	if (rc == 0 && e->host_userns > 0) {
		rc = 3;
		snprintf(
		    buf, bufsz,
		    "%d container%s of the engine at %s run%s in the host's user namespace, made "
		    "before enhancedContainerIsolation was enforced or in audit mode (%s): "
		    "whatever runs in them is the host's root, and no request shows it; "
		    "starts, execs and attaches are refused, but remove them (docker rm -f)",
		    e->host_userns, e->host_userns == 1 ? "" : "s", e->socket,
		    e->host_userns == 1 ? "s" : "", e->host_userns_names);
	} else if (rc == 1)
		snprintf(buf, bufsz,
		         "the engine at %s does not run containers in user namespaces (security "
		         "options: %s): while enhancedContainerIsolation is locked on, container "
		         "creates, service creates and execs are %s; set \"userns-remap\": "
		         "\"default\" in /etc/docker/daemon.json (or run the engine rootless) and "
		         "restart it",
		         e->socket, e->info.options[0] ? e->info.options : "none", what);
	else if (rc == 2)
		snprintf(
		    buf, bufsz,
		    "lockset cannot tell whether the engine%s%s runs containers in user "
		    "namespaces (%s): while enhancedContainerIsolation is locked on, container "
		    "creates, service creates and execs are %s",
		    e->socket ? " at " : "", e->socket ? e->socket : "", e->error, what);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return rc;
}

int
engineinfo_runtimes_problem(struct engineinfo *e, int runtime_denied, char *buf, size_t bufsz)
{
	int rc = 1, stock;

	if (e == NULL || e->socket == NULL) {
		snprintf(buf, bufsz, "not checked: lockset does not ask the engine");
		return 2;
	}
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	stock = engineclient_default_stock(&e->info);
	if (e->userns == DECIDE_USERNS_UNKNOWN) {
		snprintf(buf, bufsz, "not checked: the engine at %s %s", e->socket,
		         e->checked_at != 0 ? "could not be asked" : "has not answered yet");
		rc = 2;
	} else if (engineclient_runc_only(&e->info) || (stock && runtime_denied)) {
		snprintf(buf, bufsz, "ok");
		rc = 0;
	} else {
		char deflt[160] = "";

		if (!stock)
			snprintf(
			    deflt, sizeof(deflt),
			    "runs every container that names no runtime with its default, %s, and ",
			    e->info.default_runtime);
		snprintf(buf, bufsz,
		         "the engine at %s %soffers runtimes besides runc (%s)%s: a runtime can "
		         "add to a container what its request does not show, and lockset judges "
		         "the request (NVIDIA's gives a container the host's GPUs when its "
		         "environment names them in NVIDIA_VISIBLE_DEVICES, which an image can "
		         "set, whether or not --device is denied); deny --runtime and keep runc "
		         "the engine's default (default-runtime in /etc/docker/daemon.json)",
		         e->socket, deflt, e->info.runtimes,
		         runtime_denied ? ""
		                        : ", and a container may choose one with --runtime, "
		                          "which the policy allows");
	}
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return rc;
}

json_t *
engineinfo_json(struct engineinfo *e)
{
	static const char *const userns[] = {"unknown", "yes", "no", "unknown"};
	static const char *const isolation[] = {"none", "userns", "rootless"};
	char when[32] = "";
	json_t *o;

	if (e == NULL)
		return json_pack("{s:n, s:s}", "socket", "userns", "unknown");
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	if (e->checked_at != 0) {
		struct tm tm;

		gmtime_r(&e->checked_at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	o = json_pack(
	    "{s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o?, s:i, s:o?, s:i, s:o?, s:s?, "
	    "s:s?}",
	    "socket", e->socket, "userns", userns[e->userns], "isolation",
	    e->userns == DECIDE_USERNS_UNKNOWN ? NULL : isolation[e->info.userns], "cgroupns",
	    e->userns == DECIDE_USERNS_UNKNOWN ? NULL
	    : e->info.cgroupns_private         ? "private"
	                                       : "host",
	    "securityOptions", e->userns == DECIDE_USERNS_UNKNOWN ? NULL : e->info.options,
	    "serverVersion",
	    e->userns == DECIDE_USERNS_UNKNOWN || !e->info.version[0] ? NULL : e->info.version,
	    "checkedAt", when[0] ? when : NULL, "error",
	    e->userns == DECIDE_USERNS_UNKNOWN ? e->error : NULL, "hostUsernsContainers",
	    e->userns == DECIDE_USERNS_YES && e->host_userns_scanned ? json_integer(e->host_userns)
	                                                             : NULL,
	    "policyContainers", e->scan.count, "policyContainerList", engineinfo_scan_list_json(e),
	    "policyContainersJudged", e->scan.scanned, "policyScannedVersion",
	    e->scan.count >= 0 ? json_integer(e->scan_version) : NULL, "defaultRuntime",
	    e->userns == DECIDE_USERNS_UNKNOWN || !e->info.default_runtime[0]
	        ? NULL
	        : e->info.default_runtime,
	    "otherRuntimes", e->userns == DECIDE_USERNS_UNKNOWN ? NULL : e->info.runtimes);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return o;
}

void
engineinfo_metrics(struct engineinfo *e, FILE *out)
{
	if (e == NULL)
		return;
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	fprintf(out,
	        "# HELP lockset_engine_userns 1 when the engine said it runs containers in user "
	        "namespaces, 0 when it said it does not, -1 when it could not be asked.\n"
	        "# TYPE lockset_engine_userns gauge\nlockset_engine_userns %d\n"
	        "# HELP lockset_engine_checks_total Questions to the engine (GET /info) about "
	        "user namespaces, by answer.\n"
	        "# TYPE lockset_engine_checks_total counter\n"
	        "lockset_engine_checks_total{result=\"userns\"} %llu\n"
	        "lockset_engine_checks_total{result=\"no_userns\"} %llu\n"
	        "lockset_engine_checks_total{result=\"failed\"} %llu\n"
	        "# HELP lockset_engine_host_userns_containers While enhancedContainerIsolation is "
	        "locked on, the engine's containers that run in the host's user namespace (made "
	        "before, or in audit mode); -1 when they could not be listed.\n"
	        "# TYPE lockset_engine_host_userns_containers gauge\n"
	        "lockset_engine_host_userns_containers %d\n"
	        "# HELP lockset_engine_policy_containers The engine's containers whose start the "
	        "policy would refuse (made before it, or in audit mode); -1 when not scanned.\n"
	        "# TYPE lockset_engine_policy_containers gauge\n"
	        "lockset_engine_policy_containers %d\n"
	        "# HELP lockset_engine_policy_scan_seconds How long the last scan of the engine's "
	        "containers against the policy took.\n"
	        "# TYPE lockset_engine_policy_scan_seconds gauge\n"
	        "lockset_engine_policy_scan_seconds %.3f\n",
	        e->userns == DECIDE_USERNS_YES  ? 1
	        : e->userns == DECIDE_USERNS_NO ? 0
	                                        : -1,
	        e->n_yes, e->n_no, e->n_failed, e->host_userns, e->scan.count,
	        (double)e->scan_ms / 1000.0);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
}
