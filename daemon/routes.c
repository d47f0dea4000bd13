/* SPDX-License-Identifier: Apache-2.0 */
/* The route table: every resource, method, handler and minimum role in one
 * place. The dispatcher (http.c) enforces method, role and body rules from
 * it; the role-matrix test is generated from it. */
#include "handlers.h"

const struct route http_routes[] = {
    {"GET", "/v1/health", h_health_get, ROLE_NONE, 0, LISTEN_API, "liveness and readiness"},
    {"GET", "/v1/settings", h_settings_get, ROLE_RUNTIME, 0, LISTEN_API,
     "effective settings; ETag, If-None-Match, ?wait= long-poll"},
    {"POST", "/v1/tokens", h_tokens_post, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "create an API token; the secret is returned once"},
    {"GET", "/v1/tokens", h_tokens_get, ROLE_ADMIN, 0, LISTEN_API, "list API tokens"},
    {"DELETE", "/v1/tokens/{name}", h_tokens_delete, ROLE_ADMIN, 0, LISTEN_API,
     "revoke an API token"},
    {"POST", "/v1/decisions", h_decisions_post, ROLE_RUNTIME, ROUTE_JSON_BODY, LISTEN_API,
     "judge a Docker Engine API request"},
    {"GET", "/v1/audit", h_audit_get, ROLE_AUDITOR, 0, LISTEN_API,
     "audit events: filters, paging, JSON/NDJSON/CSV"},
    {"GET", "/v1/audit/stats", h_audit_stats_get, ROLE_AUDITOR, 0, LISTEN_API,
     "audit counts per time bucket and rule/action/actor"},
    {"GET", "/v1/audit/verify", h_audit_verify_get, ROLE_AUDITOR, 0, LISTEN_API,
     "re-check the audit hash chain"},
    {"POST", "/v1/events", h_events_post, ROLE_RUNTIME, ROUTE_JSON_BODY, LISTEN_API,
     "report a violation a runtime component enforced"},
    {"GET", "/metrics", h_metrics_get, ROLE_AUDITOR, 0, LISTEN_API, "Prometheus metrics"},

    /* The Docker authorization plugin protocol, on the plugin socket only. The
	 * socket is 0660 root: dockerd is the only peer. */
    {"POST", "/Plugin.Activate", h_plugin_activate, ROLE_NONE, 0, LISTEN_AUTHZ, "plugin handshake"},
    {"POST", "/AuthZPlugin.AuthZReq", h_authz_req, ROLE_NONE, ROUTE_JSON_BODY, LISTEN_AUTHZ,
     "judge a request before dockerd acts"},
    {"POST", "/AuthZPlugin.AuthZRes", h_authz_res, ROLE_NONE, ROUTE_RAW_BODY, LISTEN_AUTHZ,
     "response hook (always allowed)"},
};

const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);
