/* SPDX-License-Identifier: Apache-2.0 */
/* Installing one received bundle on a host in upstream mode: verify it
 * (bundle.h), refuse a rollback, validate every policy in it with this
 * host's schema, then change the org policy through the policy change
 * protocol (policylife.h) and each per-user policy through userpolicy.h, all
 * as actor "upstream": every change is versioned and audited like any other.
 * Installing the same bundle twice changes nothing. */
#ifndef LOCKSET_UPSTREAM_APPLY_H
#define LOCKSET_UPSTREAM_APPLY_H

#include "bundle.h"
#include "upstream.h"

#include <jansson.h>
#include <stddef.h>
#include <time.h>

enum upstream_apply_status {
	UA_INSTALLED, /* a newer bundle is now in force */
	UA_UNCHANGED, /* the installed bundle again */
	UA_REFRESHED, /* the installed bundle signed again, expiring later */
	UA_REFUSED,   /* not acceptable: bad signature, rollback, invalid policy */
	UA_FAILED,    /* acceptable but not installed now (audit log, disk): retry */
};

/* What is installed: version 0 and bundle NULL before the first one. */
struct upstream_have {
	long long version;
	json_t *bundle;    /* the installed bundle object (owned) */
	time_t expires_at; /* when its signature stops vouching for it; 0: never */
	/* This host has held a bundle that expires (by its saved bundle or its
	 * audit log): from then on a v1 bundle, which never expires, is
	 * refused, so no replay of one can switch expiry off. */
	int expiring_seen;
	/* The newest version this host installed by its audit log, which no
	 * bundle may go below even when the saved bundle is lost. */
	long long floor;
};

/* Verify body (len bytes) with key and install it through pol on top of have, which is
 * updated on UA_INSTALLED and UA_REFRESHED. A bundle that expired by now is
 * refused, the installed one too (now 0: none is, for the bundle this host
 * saved, which it holds whatever its age). info receives what the bundle
 * says about itself; why (whylen bytes) the reason for UA_REFUSED and
 * UA_FAILED. */
enum upstream_apply_status upstream_apply(const struct upstream_policy *pol, const char *body,
                                          size_t len, EVP_PKEY *key, time_t now,
                                          struct upstream_have *have, struct bundle_info *info,
                                          char *why, size_t whylen);

#endif
