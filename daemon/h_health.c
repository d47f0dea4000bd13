/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/health: liveness and readiness (policy loaded, audit writable). */
#include "build-config.h"

#include "app.h"
#include "audit.h"
#include "handlers.h"
#include "reply.h"
#include "served.h"
#include "upstream.h"

enum MHD_Result
h_health_get(struct request *rq)
{
	struct served *s = served_acquire();
	const char *audit_reason = NULL;
	int audit_ok = app.audit == NULL || audit_healthy(app.audit, &audit_reason);
	json_t *body;

	body = json_pack("{s:s, s:s, s:I, s:I, s:{s:s, s:s}}", "status",
	                 (s != NULL && audit_ok) ? "ok" : "degraded", "version", PACKAGE_VERSION,
	                 "policyVersion", (json_int_t)(s ? s->version : 0), "uptimeSeconds",
	                 (json_int_t)served_uptime(), "checks", "policy",
	                 s != NULL ? "loaded" : "missing", "audit",
	                 audit_ok ? "ok" : (audit_reason ? audit_reason : "failing"));
	served_release(s);
	if (body != NULL && upstream_enabled()) {
		int degraded = 0;

		json_object_set_new(body, "upstream", upstream_health(&degraded));
		if (degraded)
			json_object_set_new(body, "status", json_string("degraded"));
	}
	return reply_json(rq, 200, body);
}
