/* SPDX-License-Identifier: Apache-2.0 */
/* Upstream mode (--upstream URL): this host takes its policy from a central
 * lockset. One thread long-polls the central's GET /v1/bundle (directly or
 * through any HTTP cache, following each reply's Link), verifies every
 * bundle with --bundle-key, installs it as actor "upstream"
 * (upstream_apply.h), keeps the last good one in
 * <state-dir>/upstream-bundle.json, reports its status to
 * POST /v1/hosts/{host}/status, and backs off with jitter while the central
 * is unreachable. The host enforces what it installed whatever happens
 * upstream: at start-up the saved bundle is installed before any request is
 * served.
 *
 * An upstream is an object: main.c starts the daemon's one (or none) and
 * the handlers that report on it are given it (NULL: not in upstream mode).
 *
 * Threads: the upstream thread runs the loop; HTTP threads read its state
 * (health, metrics, "is the policy managed") under the object's mutex, which
 * is taken last: the upstream thread never holds it while calling into the
 * policy, audit or HTTP client code. */
#ifndef LOCKSET_UPSTREAM_H
#define LOCKSET_UPSTREAM_H

#include <jansson.h>
#include <stdio.h>

struct audit;
struct judge;
struct policylife;
struct policystore;
struct served_hub;
struct userpolicy;

/* The policy room installs go through (all borrowed; they must outlive the
 * upstream thread). */
struct upstream_policy {
	struct served_hub *served; /* the policy in force (status reports) */
	struct policylife *life;   /* the org policy's change protocol */
	struct userpolicy *users;  /* per-user policies */
	struct policystore *store; /* their history (what is installed now) */
};
struct upstream;

struct upstream_opts {
	struct audit *audit; /* records installs and refusals */
	struct judge *judge; /* its decision totals go into status reports */
	struct upstream_policy policy;
	const char *url;        /* the central lockset (or a cache in front of it) */
	const char *token_file; /* bearer token (runtime role) for it; NULL: none */
	const char *bundle_key; /* PEM Ed25519 public key the bundles must verify with */
	const char *cacert;     /* PEM CA bundle for https; NULL: the system's */
	const char *state_dir;
	const char *host_name; /* name in status reports; NULL or "": gethostname() */
	long wait;             /* long-poll seconds (hosts sharing a cache use one value) */
	long retry_max;        /* backoff cap, seconds */
	long report_interval;  /* seconds between status reports */
};

/* Check the options, load the key and token, install the saved bundle (if
 * any) and start the thread. After policylife_start and userpolicy_open,
 * before the listeners start. Returns the upstream, or NULL with *err
 * (malloc'd). */
struct upstream *upstream_start(const struct upstream_opts *o, char **err);
/* Stop the thread (an ongoing long-poll ends at once) and release u.
 * Accepts NULL. */
void upstream_stop(struct upstream *u);

/* 1 when the policy is managed upstream (local policy edits are refused):
 * u is not NULL. */
int upstream_enabled(const struct upstream *u);
/* The upstream URL (borrowed, for messages); "" when u is NULL. */
const char *upstream_url(const struct upstream *u);

/* The "upstream" member of GET /v1/health: {"url", "status" ("ok",
 * "degraded", "starting"), "bundleVersion", "bundleIssued",
 * "bundleAgeSeconds", "lastSync", "lastAttempt", "lastError"}. New reference;
 * *degraded is set when the last attempt failed. */
json_t *upstream_health(struct upstream *u, int *degraded);
/* Prometheus text of the upstream gauges and counters (nothing when u is
 * NULL). */
void upstream_metrics(struct upstream *u, FILE *out);

#endif
