/* SPDX-License-Identifier: Apache-2.0 */
/* Every REST handler, one file per resource (h_*.c); routes.c maps them. */
#ifndef LOCKSET_HANDLERS_H
#define LOCKSET_HANDLERS_H

#include "http/http.h"
#include "util/problems.h"

#include <stdio.h>

struct settings_api;

/* h_health.c */
enum MHD_Result h_health_get(struct request *rq);
/* h_settings.c */
enum MHD_Result h_settings_get(struct request *rq);
/* What GET /v1/settings keeps between requests (struct server's settings):
 * the long-polls counted per caller and in all, and the org settings'
 * prebuilt replies. NULL when out of memory; free after the HTTP layer
 * stopped. */
struct settings_api *settings_api_new(void);
void settings_api_free(struct settings_api *sa);

/* h_tokens.c */
enum MHD_Result h_tokens_post(struct request *rq);
enum MHD_Result h_tokens_get(struct request *rq);
enum MHD_Result h_tokens_delete(struct request *rq);

/* authz.c: the Docker authorization plugin protocol */
enum MHD_Result h_plugin_activate(struct request *rq);
enum MHD_Result h_authz_req(struct request *rq);
enum MHD_Result h_authz_res(struct request *rq);
/* h_decisions.c */
enum MHD_Result h_decisions_post(struct request *rq);
enum MHD_Result h_decision_get(struct request *rq);
/* h_metrics.c */
enum MHD_Result h_metrics_get(struct request *rq);

/* h_audit.c */
enum MHD_Result h_audit_get(struct request *rq);
enum MHD_Result h_audit_stats_get(struct request *rq);
enum MHD_Result h_audit_verify_get(struct request *rq);
enum MHD_Result h_audit_verify_post(struct request *rq);
enum MHD_Result h_audit_checkpoint_get(struct request *rq);
/* h_events.c */
enum MHD_Result h_events_post(struct request *rq);

/* h_policy.c */
/* The change comment of a policy write (?comment= or X-Lockset-Comment);
 * an overlong one is added to errs. Borrowed from the request. */
const char *h_policy_change_comment(struct request *rq, struct problems *errs);
/* 409 managed_by_upstream: policy edits are refused in upstream mode. */
enum MHD_Result h_policy_managed(struct request *rq);
enum MHD_Result h_policy_get(struct request *rq);
enum MHD_Result h_policy_put(struct request *rq);
enum MHD_Result h_policy_patch(struct request *rq);
enum MHD_Result h_policy_versions_get(struct request *rq);
enum MHD_Result h_user_policy_versions_get(struct request *rq);
enum MHD_Result h_policy_version_get(struct request *rq);
enum MHD_Result h_policy_rollback_post(struct request *rq);
enum MHD_Result h_policy_impact_post(struct request *rq);
/* h_users.c */
enum MHD_Result h_user_policies_get(struct request *rq);
enum MHD_Result h_user_policy_put(struct request *rq);
enum MHD_Result h_user_policy_get(struct request *rq);
enum MHD_Result h_user_policy_delete(struct request *rq);
enum MHD_Result h_user_settings_put(struct request *rq);
enum MHD_Result h_user_settings_get(struct request *rq);
enum MHD_Result h_user_settings_delete(struct request *rq);
/* Prometheus text of the long-polls: waiting, limits, per-user builds. */
void h_settings_metrics(struct server *srv, FILE *out);
/* Long-poll caps (h_settings.c), shared by /v1/settings and /v1/bundle:
 * count rq's long-poll against its caller (--long-poll-per-caller) and all
 * (--long-poll-max-waiters): 1 with the count in *counted when it may
 * wait, else 0 with the refusal (429 or 503) queued in *ret. Release the
 * count with h_longpoll_release (a NULL count is none). */
struct caller_count;
int h_longpoll_admit(struct request *rq, struct caller_count **counted, enum MHD_Result *ret);
void h_longpoll_release(struct server *srv, struct caller_count **counted);
/* Remove (audited, as preferences.expired) the preferences unchanged for
 * --prefs-max-days; at start-up, then hourly from the preferences routes. */
void h_users_prefs_expire(struct server *srv);

/* h_bundle.c, h_hosts.c: fleet mode */
enum MHD_Result h_bundle_get(struct request *rq);
enum MHD_Result h_host_status_post(struct request *rq);
enum MHD_Result h_hosts_get(struct request *rq);
enum MHD_Result h_host_delete(struct request *rq);
/* h_openapi.c */
enum MHD_Result h_openapi_get(struct request *rq);

/* h_ui.c: the admin web UI */
enum MHD_Result h_ui_redirect(struct request *rq);
enum MHD_Result h_ui_index(struct request *rq);
enum MHD_Result h_ui_file(struct request *rq);

#endif
