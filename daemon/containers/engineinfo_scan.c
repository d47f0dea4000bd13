/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's containers judged against the policy as their starts, on the
 * engine checker's thread after each check it answered (engineinfo.h). */
#include "engineinfo_int.h"

#include "log.h"
#include "util/lockorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A check is wanted, or lockset stops: the scan gives way (enginescan.h). */
static int
check_wanted(void *arg)
{
	struct engineinfo *e = arg;
	int wanted;

	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	wanted = e->stopping || e->wanted != e->done_gen;
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return wanted;
}

/* Log a change of the scan's count: a warning naming the containers while
 * any are found, information when none are left. */
static void
log_scan(struct engineinfo *e)
{
	char why[1024];

	if (e->scan.count == e->logged_scan)
		return;
	e->logged_scan = e->scan.count;
	if (engineinfo_policy_problem(e, why, sizeof(why)) == 1)
		log_warnx("%s", why);
	else
		log_info("engine containers against the policy: %s", why);
}

/* The member name of o, or "". */
static const char *
text_of(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

/* Tell found of each container of now that the last successful scan did
 * not name. Checker thread, no lock: now is read only, and kept. */
static void
report_new(struct engineinfo *e, const json_t *now, long long version)
{
	const json_t *c, *o;
	size_t i, j;

	if (e->found == NULL)
		return;
	json_array_foreach(now, i, c)
	{
		int seen = 0;

		json_array_foreach(e->reported, j, o)
		{
			if (strcmp(text_of(c, "fullId"), text_of(o, "fullId")) == 0) {
				seen = 1;
				break;
			}
		}
		if (!seen)
			e->found(e->found_arg, c, version);
	}
}

json_t *
engineinfo_scan_list_json(const struct engineinfo *e)
{
	json_t *out, *c;
	size_t i;

	if (e->scan.list == NULL || (out = json_array()) == NULL)
		return NULL;
	json_array_foreach(e->scan.list, i, c)
	{
		json_t *copy;

		if (i == ENGINESCAN_LIST_MAX)
			break;
		if ((copy = json_deep_copy(c)) == NULL || json_object_del(copy, "fullId") != 0 ||
		    json_array_append_new(out, copy) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* After a check the engine answered: judge its containers as their starts,
 * each with the policy of whoever made it, else the organisation's; tell
 * found of those named anew. Runs after the check's waiters are released,
 * and gives way to the next check (scanned again after it). Called without
 * the lock. */
void
engineinfo_scan_containers(struct engineinfo *e)
{
	struct enginescan_in in = {
	    .socket = e->socket, .timeout_ms = e->timeout_ms, .stop = check_wanted, .stop_arg = e};
	struct enginescan result;
	struct timespec t0, t1;
	struct served *s;
	char err[256] = "";
	long long version;
	int rc, required;

	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	rc = e->scan_ready && e->userns != DECIDE_USERNS_UNKNOWN;
	in.userns = e->userns;
	in.cgroupns = e->info.cgroupns_private ? DECIDE_CGROUPNS_PRIVATE : DECIDE_CGROUPNS_HOST;
	in.sockets = (const char *const *)e->sockets;
	in.nsockets = e->nsockets;
	in.records = e->records;
	in.up = e->up;
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	if (!rc || (s = served_acquire(e->served)) == NULL)
		return;
	in.dp = s->dp;
	in.served = s;
	version = s->version;
	required = engineinfo_required(s->effective);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = enginescan_run(&in, &result, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	served_release(s);
	if (rc == 1)
		return;
	if (result.count >= 0) {
		report_new(e, result.list, version);
		json_decref(e->reported);
		e->reported = json_incref(result.list);
	}
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	/* The host's user namespace, counted while ECI is locked on and the
	 * engine remaps users (host_userns_applies clears it otherwise). */
	if (required && in.userns == DECIDE_USERNS_YES) {
		e->host_userns = result.count >= 0 ? result.host_userns : -1;
		e->host_userns_scanned = 1;
		memcpy(e->host_userns_names, result.host_userns_names,
		       sizeof(e->host_userns_names));
	}
	enginescan_clear(&e->scan);
	e->scan = result;
	e->scan_version = version;
	e->scan_ms =
	    (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	snprintf(e->scan_error, sizeof(e->scan_error), "%s", err);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	log_scan(e);
	engineinfo_log_change(e, in.userns);
}

int
engineinfo_scan_with(struct engineinfo *e, const char *const *sockets, size_t n,
                     struct containers *records, struct userpolicy *up, engineinfo_found_fn found,
                     void *found_arg)
{
	char **copy = calloc(n + 1, sizeof(*copy));
	size_t i;

	if (copy == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((copy[i] = strdup(sockets[i])) == NULL) {
			while (i > 0)
				free(copy[--i]);
			free(copy);
			return -1;
		}
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	if (e->scan_ready) { /* once only: a scan may be reading the first */
		lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
		for (i = 0; i < n; i++)
			free(copy[i]);
		free(copy);
		return 0;
	}
	e->sockets = copy;
	e->nsockets = n;
	e->records = records;
	e->up = up;
	e->found = found;
	e->found_arg = found_arg;
	e->scan_ready = 1;
	e->wanted++; /* a check, and the first scan after it */
	pthread_cond_signal(&e->cond);
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return 0;
}

int
engineinfo_policy_problem(struct engineinfo *e, char *buf, size_t bufsz)
{
	int rc = 0;

	if (e == NULL) {
		snprintf(buf, bufsz, "not checked: lockset does not ask the engine");
		return 2;
	}
	lockorder_lock(&e->lock, LOCK_ENGINEINFO);
	if (e->scan.count < 0 && e->userns == DECIDE_USERNS_UNKNOWN && e->checked_at != 0 &&
	    e->socket != NULL) {
		snprintf(buf, bufsz, "not checked: the engine at %s could not be asked (%s)",
		         e->socket, e->error);
		rc = 2;
	} else if (e->scan.count < 0) {
		snprintf(buf, bufsz, "not checked: %s", e->scan_error);
		rc = 2;
	} else if (e->scan.count == 0 && e->scan.listed <= ENGINECLIENT_SCAN_MAX)
		snprintf(buf, bufsz, "ok");
	else if (e->scan.count == 0) {
		snprintf(
		    buf, bufsz,
		    "not checked: the engine at %s holds %d containers, of which the first %d "
		    "(the newest) were judged and would be allowed a start; the others are not "
		    "judged",
		    e->socket, e->scan.listed, ENGINECLIENT_SCAN_MAX);
		rc = 2;
	} else {
		char more[160] = "";

		if (e->scan.listed > ENGINECLIENT_SCAN_MAX)
			snprintf(more, sizeof(more),
			         " (of the first %d containers, the newest; the other %d are not "
			         "judged)",
			         ENGINECLIENT_SCAN_MAX, e->scan.listed - ENGINECLIENT_SCAN_MAX);
		snprintf(
		    buf, bufsz,
		    "%d container%s of the engine at %s would be refused a start by policy "
		    "v%lld%s (%s): made before the policy or in audit mode, each keeps what it "
		    "was made with while it runs, and dockerd starts one with a restart policy "
		    "again where no plugin sees it; remove or recreate them (docker rm -f)",
		    e->scan.count, e->scan.count == 1 ? "" : "s", e->socket, e->scan_version, more,
		    e->scan.names);
		rc = 1;
	}
	lockorder_unlock(&e->lock, LOCK_ENGINEINFO);
	return rc;
}
