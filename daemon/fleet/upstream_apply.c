/* SPDX-License-Identifier: Apache-2.0 */
/* One bundle, verified and installed (see upstream_apply.h). Nothing is
 * changed until the whole bundle has been checked; the org policy goes first,
 * then the per-user policies, each change through its own audited path. A
 * failure part-way leaves the bundle not installed, so the next fetch tries
 * it again and completes it (changes already made compare equal). */
#include "upstream_apply.h"

#include "policy/policy.h"
#include "policy/policylife.h"
#include "policy/policystore.h"
#include "util/problems.h"
#include "policy/userpolicy.h"

#include <stdio.h>
#include <string.h>

#define ACTOR "upstream"

/* Every policy in b validates here; else the first problem goes to why. */
static int
validate_all(const json_t *b, char *why, size_t whylen)
{
	struct problems errs = PROBLEMS_INIT;
	const char *user;
	json_t *u;
	int rc = 0;

	if (policy_validate(json_object_get(b, "policy"), &errs, NULL) != 0) {
		snprintf(why, whylen, "invalid org policy in the bundle: %s: %s",
		         errs.v[0].path[0] ? errs.v[0].path : "/", errs.v[0].message);
		rc = -1;
		goto out;
	}
	json_object_foreach((json_t *)json_object_get(b, "users"), user, u)
	{
		if (!userpolicy_name_valid(user, "user", NULL) ||
		    policy_validate(json_object_get(u, "policy"), &errs, NULL) != 0) {
			snprintf(why, whylen, "invalid policy for user \"%s\" in the bundle%s%s",
			         user, errs.n ? ": " : "", errs.n ? errs.v[0].message : "");
			rc = -1;
			goto out;
		}
	}
out:
	problems_clear(&errs);
	return rc;
}

/* The org policy of b through the change protocol. */
static int
install_org(const struct upstream_policy *pol, const json_t *b, const struct bundle_info *info,
            char *why, size_t whylen)
{
	struct policylife_change c = {ACTOR, NULL, "upstream", NULL, 0, 0, "upstream"};
	struct problems errs = PROBLEMS_INIT;
	struct policylife_result res;
	enum policylife_status st;
	char comment[96];

	snprintf(comment, sizeof(comment), "bundle v%lld issued %s", info->version, info->issued);
	c.comment = comment;
	st = policylife_apply(pol->life, json_object_get(b, "policy"), &c, &res, &errs);
	if (st != PL_OK)
		snprintf(why, whylen, "the org policy could not be installed (%s)",
		         st == PL_AUDIT   ? "audit log unavailable"
		         : st == PL_WRITE ? "settings file not writable"
		         : st == PL_STORE ? "policy history not writable"
		                          : "internal error");
	policylife_result_clear(&res);
	problems_clear(&errs);
	return st == PL_OK ? 0 : -1;
}

/* Make this host's per-user policies those of b: set what differs, delete
 * what b does not have. */
static int
install_users(const struct upstream_policy *pol, const json_t *b, const struct bundle_info *info,
              char *why, size_t whylen)
{
	json_t *users = json_object_get(b, "users"), *local = policystore_user_current(pol->store);
	json_t *u;
	const char *user;
	char comment[96];
	long long v;
	int rc = -1;

	if (local == NULL) {
		snprintf(why, whylen, "the per-user policies cannot be read");
		return -1;
	}
	snprintf(comment, sizeof(comment), "bundle v%lld issued %s", info->version, info->issued);
	json_object_foreach(users, user, u)
	{
		const json_t *want = json_object_get(u, "policy");
		const json_t *have = json_object_get(json_object_get(local, user), "document");

		if (have != NULL && json_equal(have, want))
			continue;
		if (userpolicy_set(pol->users, user, want, ACTOR, comment, &v, NULL, NULL) !=
		    UP_OK) {
			snprintf(why, whylen, "the policy of user \"%s\" could not be installed",
			         user);
			goto out;
		}
	}
	json_object_foreach(local, user, u)
	{
		if (json_object_get(users, user) == NULL &&
		    userpolicy_set(pol->users, user, NULL, ACTOR, comment, &v, NULL, NULL) !=
		        UP_OK) {
			snprintf(why, whylen, "the policy of user \"%s\" could not be removed",
			         user);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(local);
	return rc;
}

/* b is the installed bundle signed again: the same but for its format and
 * expiry. */
static int
same_but_signature(const json_t *have, const json_t *b)
{
	json_t *x = json_copy((json_t *)have), *y = json_copy((json_t *)b);
	int same = 0;

	if (x != NULL && y != NULL) {
		json_object_del(x, "format");
		json_object_del(x, "expires");
		json_object_del(y, "format");
		json_object_del(y, "expires");
		same = json_equal(x, y);
	}
	json_decref(x);
	json_decref(y);
	return same;
}

/* The installed version again (have->bundle is set): the same bundle, or
 * its newer signature. */
static enum upstream_apply_status
same_version(struct upstream_have *have, json_t *b, const struct bundle_info *info, char *why,
             size_t whylen)
{
	if (json_equal(have->bundle, b))
		return UA_UNCHANGED;
	if (!same_but_signature(have->bundle, b)) {
		snprintf(why, whylen,
		         "bundle v%lld differs from the installed bundle of that number",
		         info->version);
		return UA_REFUSED;
	}
	/* An earlier signature of it changes nothing, nor does one that never
	 * expires (v1); one that expires takes a v1 one's place. */
	if (info->expires_at == 0 ||
	    (have->expires_at != 0 && info->expires_at <= have->expires_at))
		return UA_UNCHANGED;
	json_decref(have->bundle);
	have->bundle = json_incref(b);
	have->expires_at = info->expires_at;
	have->expiring_seen = 1;
	return UA_REFRESHED;
}

enum upstream_apply_status
upstream_apply(const struct upstream_policy *pol, const char *body, size_t len, EVP_PKEY *key,
               time_t now, struct upstream_have *have, struct bundle_info *info, char *why,
               size_t whylen)
{
	json_t *b = bundle_open(body, len, key, info, why, whylen);
	enum upstream_apply_status st = UA_REFUSED;

	if (b == NULL)
		return UA_REFUSED;
	if (info->version < have->version) {
		snprintf(why, whylen, "bundle v%lld is older than the installed v%lld: refused",
		         info->version, have->version);
		goto out;
	}
	if (info->version < have->floor) {
		snprintf(why, whylen,
		         "bundle v%lld is older than v%lld, which this host installed before (its "
		         "audit log): refused",
		         info->version, have->floor);
		goto out;
	}
	/* A signature that stopped vouching for its bundle: what a path that
	 * holds updates back replays. */
	if (now != 0 && info->expires_at != 0 && now >= info->expires_at) {
		snprintf(why, whylen,
		         "bundle v%lld expired at %s: the upstream's updates may be held back",
		         info->version, info->expires);
		goto out;
	}
	if (info->expires_at == 0 && have->expiring_seen) {
		snprintf(why, whylen,
		         "bundle v%lld never expires (%s), but this host has held bundles that "
		         "do: a replay of an old signature would switch expiry off",
		         info->version, BUNDLE_FORMAT_V1);
		goto out;
	}
	if (info->version == have->version) {
		st = same_version(have, b, info, why, whylen);
		goto out;
	}
	if (validate_all(b, why, whylen) != 0)
		goto out;
	st = UA_FAILED;
	if (install_org(pol, b, info, why, whylen) != 0 ||
	    install_users(pol, b, info, why, whylen) != 0)
		goto out;
	json_decref(have->bundle);
	have->bundle = json_incref(b);
	have->version = info->version;
	have->expires_at = info->expires_at;
	have->expiring_seen |= info->expires_at != 0;
	st = UA_INSTALLED;
out:
	json_decref(b);
	return st;
}
