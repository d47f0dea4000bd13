/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's state: one object that owns every long-lived part (the
 * configuration, the stores, the served policy, the decision path, the
 * engine's views). main.c makes the only one and passes it in: to the HTTP
 * layer, which hands it to every request (rq->srv), and to each part that
 * needs another part. No room below this one includes this header. */
#ifndef LOCKSET_SERVER_H
#define LOCKSET_SERVER_H

#include "config.h"

struct audit;
struct ratelimit;
struct redact;
struct containers;
struct lookup;
struct engineinfo;
struct proxy;
struct judge;
struct served_hub;
struct policystore;
struct userpolicy;
struct policylife;
struct watch;
struct settings_api;
struct tokens;
struct auth;
struct inputs;
struct fleetstore;
struct bundleserve;
struct upstream;
struct http;

struct server {
	const struct config *cfg;
	struct http *http; /* the front door: listeners, connections (http/http.h) */
	struct audit *audit;
	struct ratelimit *events_limit;    /* POST /v1/events per caller; NULL: none */
	struct ratelimit *decisions_limit; /* POST /v1/decisions per caller; NULL: none */
	struct ratelimit *reports_limit;   /* POST /v1/hosts/{host}/status per caller, at the
	                                    same rate (each writes an audit row); NULL: none */
	struct redact *redact;             /* hides secrets in recorded requests (redact.h) */
	struct containers *containers;     /* container records, or NULL */
	struct lookup *lookup;             /* container lookups for judgements, or NULL */
	struct engineinfo *engineinfo;     /* the engine's user namespaces, or NULL */
	struct proxy *proxy;               /* the docker socket proxy, or NULL */
	struct judge *judge;               /* decide, record, count (judge.h) */
	struct tokens *tokens;             /* API bearer tokens (http/tokens.h) */
	struct auth *auth;                 /* role maps, home group; checks tokens (http/auth.h) */
	struct inputs *inputs;             /* the decision-input recorder, or NULL */
	struct fleetstore *fleetstore;   /* bundle numbers and host reports (fleet/fleetstore.h) */
	struct bundleserve *bundles;     /* the signed bundle served, or NULL: signs none */
	struct upstream *upstream;       /* upstream mode, or NULL: the policy is local */
	struct served_hub *served;       /* the served policy and its long-polls (served.h) */
	struct policystore *policystore; /* the policy history (policystore.h) */
	struct userpolicy *userpolicy;   /* per-user policies (userpolicy.h) */
	struct policylife *policylife;   /* the org policy's change protocol (policylife.h) */
	struct watch *watch;             /* the settings file's watch, or NULL (watch.h) */
	struct settings_api *settings;   /* GET /v1/settings's caps and replies (handlers.h) */
	/* What the home group's last resolution logged (startup.c; main thread only). */
	int home_group_logged;
	/* When preferences past their age were last removed (h_users.c; atomic). */
	long long prefs_expired_at;
};

/* Stop every part s has and release it, in dependency order (the proxy and
 * the waits on the engine first, the HTTP threads before what they read, the
 * audit log last but one); parts that are NULL are skipped. s is left empty
 * but for its configuration. */
void server_stop(struct server *s);

#endif
