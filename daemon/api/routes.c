/* SPDX-License-Identifier: Apache-2.0 */
/* The route table: every resource, method, handler and minimum role in one
 * place. The dispatcher (http.c) enforces method, role and body rules from
 * it; the role-matrix test is generated from it. */
#include "handlers.h"

const struct route http_routes[] = {
    {"GET", "/v1/health", h_health_get, ROLE_NONE, 0, LISTEN_API, "liveness and readiness"},
    {"GET", "/v1/openapi.json", h_openapi_get, ROLE_NONE, 0, LISTEN_API,
     "the OpenAPI 3.1 description of this API"},
    {"GET", "/v1/settings", h_settings_get, ROLE_RUNTIME, ROUTE_WAITS, LISTEN_API,
     "effective settings; ETag, If-None-Match, ?wait= long-poll"},
    {"POST", "/v1/tokens", h_tokens_post, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "create an API token; the secret is returned once"},
    {"GET", "/v1/tokens", h_tokens_get, ROLE_ADMIN, 0, LISTEN_API, "list API tokens"},
    {"DELETE", "/v1/tokens/{name}", h_tokens_delete, ROLE_ADMIN, 0, LISTEN_API,
     "revoke an API token"},
    {"POST", "/v1/decisions", h_decisions_post, ROLE_RUNTIME, ROUTE_JSON_BODY, LISTEN_API,
     "judge a Docker Engine API request"},
    {"GET", "/v1/decisions/{id}", h_decision_get, ROLE_RUNTIME, ROUTE_HOME_GROUP, LISTEN_API,
     "a recorded decision by id; also for Unix peers in --home-group"},
    {"GET", "/v1/audit", h_audit_get, ROLE_AUDITOR, 0, LISTEN_API,
     "audit events: filters, paging, JSON/NDJSON/CSV"},
    {"GET", "/v1/audit/stats", h_audit_stats_get, ROLE_AUDITOR, 0, LISTEN_API,
     "audit counts per time bucket and rule/action/actor"},
    {"GET", "/v1/audit/verify", h_audit_verify_get, ROLE_AUDITOR, 0, LISTEN_API,
     "re-check the audit hash chain"},
    {"POST", "/v1/audit/verify", h_audit_verify_post, ROLE_AUDITOR, ROUTE_JSON_BODY, LISTEN_API,
     "re-check the audit hash chain, and that it still holds a signed checkpoint"},
    {"GET", "/v1/audit/checkpoint", h_audit_checkpoint_get, ROLE_AUDITOR, 0, LISTEN_API,
     "a signed checkpoint of the audit chain's head, to keep off the host"},
    {"POST", "/v1/events", h_events_post, ROLE_RUNTIME, ROUTE_JSON_BODY, LISTEN_API,
     "report a violation a runtime component enforced"},
    {"GET", "/metrics", h_metrics_get, ROLE_AUDITOR, 0, LISTEN_API, "Prometheus metrics"},
    {"GET", "/v1/policy", h_policy_get, ROLE_AUDITOR, 0, LISTEN_API,
     "the org policy document as stored; ETag"},
    {"PUT", "/v1/policy", h_policy_put, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "replace the org policy; If-Match, ?dry_run, ?comment"},
    {"PATCH", "/v1/policy", h_policy_patch, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "JSON merge patch of the org policy; If-Match, ?dry_run, ?comment"},
    {"GET", "/v1/policy/versions", h_policy_versions_get, ROLE_ADMIN, 0, LISTEN_API,
     "org policy history, newest first; ?limit"},
    {"GET", "/v1/policy/versions/{n}", h_policy_version_get, ROLE_ADMIN, 0, LISTEN_API,
     "one org policy version with its document"},
    {"POST", "/v1/policy/rollback", h_policy_rollback_post, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "make an earlier version current again (a new version)"},
    {"POST", "/v1/policy/impact", h_policy_impact_post, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "replay recorded decisions against a proposed policy; ?since"},
    {"GET", "/v1/policy/users", h_user_policies_get, ROLE_AUDITOR, 0, LISTEN_API,
     "every user that has a per-user policy, with its version"},
    {"PUT", "/v1/policy/users/{user}", h_user_policy_put, ROLE_ADMIN, ROUTE_JSON_BODY, LISTEN_API,
     "set a per-user policy"},
    {"GET", "/v1/policy/users/{user}", h_user_policy_get, ROLE_AUDITOR, 0, LISTEN_API,
     "a per-user policy"},
    {"DELETE", "/v1/policy/users/{user}", h_user_policy_delete, ROLE_ADMIN, 0, LISTEN_API,
     "delete a per-user policy"},
    {"GET", "/v1/policy/users/{user}/versions", h_user_policy_versions_get, ROLE_ADMIN, 0,
     LISTEN_API, "history of one user's policy, with documents"},
    {"PUT", "/v1/users/{user}/settings", h_user_settings_put, ROLE_RUNTIME, ROUTE_JSON_BODY,
     LISTEN_API, "a user's own preferences; a locked key is refused (409)"},
    {"GET", "/v1/users/{user}/settings", h_user_settings_get, ROLE_RUNTIME, 0, LISTEN_API,
     "a user's own preferences"},

    /* Fleet mode: signed bundles for hosts, and their compliance reports. */
    {"GET", "/v1/bundle", h_bundle_get, ROLE_RUNTIME, ROUTE_WAITS, LISTEN_API,
     "the signed policy bundle; ETag, If-None-Match, ?wait=, ?after=&slot= for caches"},
    {"POST", "/v1/hosts/{host}/status", h_host_status_post, ROLE_RUNTIME, ROUTE_JSON_BODY,
     LISTEN_API, "a host reports its bundle version and decision counts"},
    {"GET", "/v1/hosts", h_hosts_get, ROLE_AUDITOR, 0, LISTEN_API,
     "fleet compliance: hosts, bundle versions, stale and behind; filters, paging"},
    {"DELETE", "/v1/hosts/{host}", h_host_delete, ROLE_ADMIN, 0, LISTEN_API,
     "forget a host and what its reports are pinned to (its first reporter and key)"},

    /* The admin web UI: static files anyone may fetch; its API calls carry a token. */
    {"GET", "/ui", h_ui_redirect, ROLE_NONE, 0, LISTEN_API, "redirect to /ui/"},
    {"GET", "/ui/", h_ui_index, ROLE_NONE, 0, LISTEN_API, "the admin web UI"},
    {"GET", "/ui/{file}", h_ui_file, ROLE_NONE, 0, LISTEN_API, "the admin web UI's files"},

    /* The Docker authorization plugin protocol, on the plugin socket only. The
	 * socket is 0660 root: dockerd is the only peer. */
    {"POST", "/Plugin.Activate", h_plugin_activate, ROLE_NONE, 0, LISTEN_AUTHZ, "plugin handshake"},
    {"POST", "/AuthZPlugin.AuthZReq", h_authz_req, ROLE_NONE, ROUTE_RAW_BODY, LISTEN_AUTHZ,
     "judge a request before dockerd acts"},
    {"POST", "/AuthZPlugin.AuthZRes", h_authz_res, ROLE_NONE, ROUTE_RAW_BODY, LISTEN_AUTHZ,
     "response hook (always allowed)"},
};

const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);
