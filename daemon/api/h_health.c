/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/health: liveness and readiness (policy loaded, audit writable),
 * and what the engine (its isolation, containers and runtimes) and the
 * shares' file systems leave open. */
#include "build-config.h"

#include "server.h"
#include "audit/audit.h"
#include "containers/engineinfo.h"
#include "handlers.h"
#include "http/reply.h"
#include "policy/served.h"
#include "fleet/upstream.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

/* The policy only reports (containerPolicy.mode "audit"). */
static int
audit_mode(const struct served *s)
{
	const json_t *mode =
	    s != NULL ? json_object_get(json_object_get(s->effective, "containerPolicy"), "mode")
	              : NULL;

	return json_is_string(mode) && strcmp(json_string_value(mode), "audit") == 0;
}

/* ECI locked on needs an engine that runs containers in user namespaces:
 * "ok", "not required", or what is wrong, into buf. Returns 1 when the
 * engine said it does not (degraded). An engine that cannot be asked (not
 * started yet, stopped) is shown but does not degrade lockset: creates are
 * refused until it answers, and while it is down none can be made. */
static int
userns_check(struct engineinfo *ei, const struct served *s, char *buf, size_t bufsz)
{
	int rc;

	if (s == NULL || !engineinfo_required(s->effective)) {
		snprintf(buf, bufsz, "not required");
		return 0;
	}
	rc = engineinfo_problem(ei, audit_mode(s), buf, bufsz);
	if (rc == 0)
		snprintf(buf, bufsz, "ok");
	return rc == 1 || rc == 3;
}

/* Without user namespaces a container's root is the host's, and what it
 * writes into a read-write share is root's: a setuid-root binary or a
 * device node the developer then uses on the host. Shares on file systems
 * mounted nosuid,nodev are safe from that: "ok", "not restricted" (no share
 * list), or which shares are not, into buf. Informational: no request shows
 * it, and nothing is refused for it. */
static void
shares_check(struct engineinfo *ei, const struct served *s, char *buf, size_t bufsz)
{
	const json_t *shares = s != NULL
	                           ? json_object_get(s->effective, "filesharingAllowedDirectories")
	                           : NULL,
	             *e;
	size_t i, len = 0;

	snprintf(buf, bufsz, "ok");
	if (!json_is_array(shares)) {
		snprintf(buf, bufsz, "not restricted");
		return;
	}
	if (engineinfo_userns(ei) == DECIDE_USERNS_YES)
		return;
	json_array_foreach(shares, i, e)
	{
		const char *path = json_string_value(json_object_get(e, "expandedPath"));
		struct statvfs vfs;
		int n;

		if (path == NULL || statvfs(path, &vfs) != 0 ||
		    (vfs.f_flag & (ST_NOSUID | ST_NODEV)) == (ST_NOSUID | ST_NODEV))
			continue;
		n = snprintf(buf + len, bufsz - len, "%s%s", len ? ", " : "", path);
		if (n < 0 || (size_t)n >= bufsz - len)
			break;
		len += (size_t)n;
	}
	if (len > 0 && len + 200 < bufsz)
		snprintf(buf + len, bufsz - len,
		         ": on a file system mounted without nosuid,nodev, and the engine runs no "
		         "user namespaces, so a container can leave setuid-root files or device "
		         "nodes there; mount the shares nosuid,nodev, or lock ECI on");
}

/* The engine's containers whose start the policy would refuse (made before
 * it, or in audit mode): "ok", "not checked: ...", or which and what to do,
 * into buf. Returns 1 when there are such containers and the policy
 * enforces (degraded); in audit mode they are named, as what enforcing
 * would refuse, without degrading lockset. */
static int
containers_check(struct engineinfo *ei, const struct served *s, char *buf, size_t bufsz)
{
	return engineinfo_policy_problem(ei, buf, bufsz) == 1 && !audit_mode(s);
}

/* The engine's runtimes besides runc, which can add to a container what its
 * request does not show: "ok", "not checked: ...", or which and how a
 * container gets one, into buf. Informational, as shares_check. */
static void
runtimes_check(struct engineinfo *ei, const struct served *s, char *buf, size_t bufsz)
{
	engineinfo_runtimes_problem(ei, s != NULL && decide_policy_denies_runtime(s->dp), buf,
	                            bufsz);
}

enum MHD_Result
h_health_get(struct request *rq)
{
	struct served *s = served_acquire(rq->srv->served);
	const char *audit_reason = NULL;
	int audit_ok = rq->srv->audit == NULL || audit_healthy(rq->srv->audit, &audit_reason);
	char userns[1024], shares[2048], containers[1024], runtimes[2048];
	int userns_bad = userns_check(rq->srv->engineinfo, s, userns, sizeof(userns));
	int containers_bad =
	    containers_check(rq->srv->engineinfo, s, containers, sizeof(containers));
	json_t *body;

	shares_check(rq->srv->engineinfo, s, shares, sizeof(shares));
	runtimes_check(rq->srv->engineinfo, s, runtimes, sizeof(runtimes));
	body =
	    json_pack("{s:s, s:s, s:I, s:I, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:o*}", "status",
	              (s != NULL && audit_ok && !userns_bad && !containers_bad) ? "ok" : "degraded",
	              "version", PACKAGE_VERSION, "policyVersion", (json_int_t)(s ? s->version : 0),
	              "uptimeSeconds", (json_int_t)served_uptime(rq->srv->served), "checks",
	              "policy", s != NULL ? "loaded" : "missing", "audit",
	              audit_ok ? "ok" : (audit_reason ? audit_reason : "failing"), "userns", userns,
	              "shares", shares, "containers", containers, "runtimes", runtimes, "engine",
	              engineinfo_json(rq->srv->engineinfo));
	served_release(s);
	if (body != NULL && upstream_enabled(rq->srv->upstream)) {
		int degraded = 0;

		json_object_set_new(body, "upstream",
		                    upstream_health(rq->srv->upstream, &degraded));
		if (degraded)
			json_object_set_new(body, "status", json_string("degraded"));
	}
	return reply_json(rq, 200, body);
}
