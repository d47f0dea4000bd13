/* SPDX-License-Identifier: Apache-2.0 */
/* Per-user policies (/v1/policy/users/{user}: admin writes, auditor reads)
 * and users' own preferences (/v1/users/{user}/settings: runtime). A Unix
 * peer reaches only its own user's preferences unless it is admin or named
 * by --prefs-any-user (403); a token, being a service, reaches everyone's. A
 * preference for a key some policy locks refuses the whole request (409
 * locked_setting), stores nothing and is audited; every write is audited
 * (preferences.updated) before it is stored: no row, no change (503). */
#include "server.h"
#include "audit/audit.h"
#include "http/auth.h"
#include "handlers.h"
#include "util/jsondiff.h"
#include "log.h"
#include "policy/policy.h"
#include "policy/policystore.h"
#include "http/reply.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "fleet/upstream.h"
#include "policy/userpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum MHD_Result
reply_set_status(struct request *rq, enum userpolicy_status st, const char *user)
{
	switch (st) {
	case UP_NOT_FOUND:
		return reply_error(rq, ERR_NOT_FOUND, NULL, "user \"%s\" has no policy", user);
	case UP_STORE:
		return reply_error(rq, ERR_INTERNAL, NULL,
		                   "the policy history could not be written; nothing changed");
	case UP_AUDIT:
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "the change could not be audited; nothing changed");
	default:
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	}
}

/* ------------------------------------------------------------------------ */
/* Per-user policies */

enum MHD_Result
h_user_policy_put(struct request *rq)
{
	const char *user = rq->params[0];
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	const char *comment;
	enum userpolicy_status st;
	enum MHD_Result ret;
	long long version = 0;

	if (upstream_enabled(rq->srv->upstream))
		return h_policy_managed(rq);
	userpolicy_name_valid(user, "user", &errs);
	comment = h_policy_change_comment(rq, &errs);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		goto out;
	}
	if (!json_is_object(rq->json)) {
		problems_add(&errs, "", "expected a JSON object (an admin-settings.json document)");
		st = UP_INVALID;
	} else {
		st = userpolicy_set(rq->srv->userpolicy, user, rq->json, rq->peer->name, comment,
		                    &version, &errs, &warns);
	}
	if (st == UP_INVALID) {
		ret = reply_error(rq, ERR_INVALID_POLICY, &errs, "invalid policy (%zu problem%s)",
		                  errs.n, errs.n == 1 ? "" : "s");
		goto out;
	}
	if (st != UP_OK) {
		ret = reply_set_status(rq, st, user);
		goto out;
	}
	ret = reply_json(rq, 200,
	                 json_pack("{s:s, s:I, s:o}", "user", user, "version", (json_int_t)version,
	                           "warnings", problems_to_json(&warns)));
out:
	problems_clear(&errs);
	problems_clear(&warns);
	return ret;
}

enum MHD_Result
h_user_policies_get(struct request *rq)
{
	json_t *list = userpolicy_list(rq->srv->userpolicy);

	if (list == NULL)
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	return reply_json(rq, 200, json_pack("{s:o}", "users", list));
}

enum MHD_Result
h_user_policy_get(struct request *rq)
{
	const char *user = rq->params[0];
	long long version = 0;
	json_t *doc = userpolicy_get(rq->srv->userpolicy, user, &version);

	if (doc == NULL)
		return reply_error(rq, ERR_NOT_FOUND, NULL, "user \"%s\" has no policy", user);
	return reply_json(rq, 200,
	                  json_pack("{s:s, s:I, s:o}", "user", user, "version", (json_int_t)version,
	                            "document", doc));
}

enum MHD_Result
h_user_policy_delete(struct request *rq)
{
	const char *user = rq->params[0];
	struct problems errs = PROBLEMS_INIT;
	const char *comment = h_policy_change_comment(rq, &errs);
	enum userpolicy_status st;
	enum MHD_Result ret;
	long long version = 0;

	if (upstream_enabled(rq->srv->upstream))
		ret = h_policy_managed(rq);
	else if (errs.n > 0)
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
	else if ((st = userpolicy_set(rq->srv->userpolicy, user, NULL, rq->peer->name, comment,
	                              &version, NULL, NULL)) != UP_OK)
		ret = reply_set_status(rq, st, user);
	else
		ret = reply_empty(rq, 204, NULL);
	problems_clear(&errs);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* User preferences */

/* Preferences have a policy's key shapes without "locked" and without
 * configurationFileVersion; unknown keys are errors here (a user cannot set
 * what nothing reads). */
static void
check_prefs(const json_t *prefs, struct problems *errs)
{
	struct problems warns = PROBLEMS_INIT;
	json_t *doc;

	if (!json_is_object(prefs)) {
		problems_add(errs, "", "expected a JSON object of preferences");
		return;
	}
	if (json_object_get(prefs, "configurationFileVersion") != NULL)
		problems_add(errs, "/configurationFileVersion", "not a preference");
	if ((doc = json_deep_copy(prefs)) == NULL) {
		problems_add(errs, "", "out of memory");
		return;
	}
	json_object_set_new(doc, "configurationFileVersion", json_integer(2));
	policy_validate(doc, errs, &warns);
	for (size_t i = 0; i < warns.n; i++)
		problems_add(errs, warns.v[i].path, "%s", warns.v[i].message);
	problems_clear(&warns);
	json_decref(doc);
}

static int
audit_locked_override(struct request *rq, const char *user, const json_t *keys)
{
	struct served *s = served_acquire(rq->srv->served);
	json_t *data = json_pack("{s:s, s:O}", "user", user, "lockedKeys", keys);
	int rc = data ? audit_record(rq->srv->audit, "settings.locked_override", rq->peer->name,
	                             "api", user, "deny", s ? s->version : -1, data)
	              : -1;

	json_decref(data);
	served_release(s);
	return rc;
}

/* The keys of prefs some policy layer locks for user (new array), NULL on
 * ENOMEM. */
static json_t *
locked_keys(struct server *srv, const char *user, const json_t *prefs)
{
	struct served *s = served_acquire(srv->served);
	json_t *up = userpolicy_get(srv->userpolicy, user, NULL);
	json_t *keys = settings_locked_keys(s ? s->doc : NULL, up, prefs);

	json_decref(up);
	served_release(s);
	return keys;
}

/* The name and access checks every preferences request starts with: 1 when
 * the request may go on, else 0 with the reply queued (in *ret). */
static int
prefs_access(struct request *rq, const char *user, enum MHD_Result *ret)
{
	long long *at = &rq->srv->prefs_expired_at;
	long long now = (long long)time(NULL), last = __atomic_load_n(at, __ATOMIC_RELAXED);
	struct problems errs = PROBLEMS_INIT;

	/* Hourly, by whichever request comes first. */
	if (now - last >= 3600 &&
	    __atomic_compare_exchange_n(at, &last, now, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		h_users_prefs_expire(rq->srv);

	if (!userpolicy_name_valid(user, "user", &errs)) {
		*ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		problems_clear(&errs);
		return 0;
	}
	if (!auth_peer_acts_for_user(rq->srv->auth, rq->peer, user)) {
		*ret = reply_error(rq, ERR_FORBIDDEN, NULL,
		                   "%s may only read and write its own user's preferences",
		                   rq->peer->name);
		return 0;
	}
	return 1;
}

/* One user's preferences are at most --prefs-max-bytes as stored (compact
 * JSON): 1 with a 413 queued when larger. */
static int
prefs_too_large(struct request *rq, enum MHD_Result *ret)
{
	long max = rq->srv->cfg->prefs_max_bytes;
	char *text = json_dumps(rq->json, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	size_t len = text ? strlen(text) : 0;

	free(text);
	if (text != NULL && len <= (size_t)max)
		return 0;
	*ret = text == NULL ? reply_error(rq, ERR_INTERNAL, NULL, "out of memory")
	                    : reply_error(rq, ERR_PAYLOAD_TOO_LARGE, NULL,
	                                  "preferences of %zu bytes: larger than the %ld byte "
	                                  "limit (--prefs-max-bytes)",
	                                  len, max);
	return 1;
}

/* preferences.updated, before the change is stored: what changed (pointers,
 * never values) and who changed it. 0, or -1 when the row was not written. */
static int
audit_prefs_update(struct request *rq, const char *user, const json_t *old)
{
	json_t *diff = jsondiff_summary(old, rq->json), *data;
	int rc;

	data = diff ? json_pack("{s:s, s:o}", "user", user, "diff", diff) : NULL;
	rc = data ? audit_record(rq->srv->audit, "preferences.updated", rq->peer->name, "api", user,
	                         "allow", -1, data)
	          : -1;
	json_decref(data);
	return rc;
}

/* A user who has none yet: 1 when the caller may add one, else 0 with a
 * 409 queued. A token acts for any user, so one caller (not an admin) is
 * held to the users it wrote last, or it could fill the table with made-up
 * names and lock every real user out. */
static int
prefs_may_add(struct request *rq, enum MHD_Result *ret)
{
	long max_users = rq->srv->cfg->prefs_max_users;
	long per_caller = rq->srv->cfg->prefs_max_users_per_caller, n;

	/* Refused before the audit row; the store checks the total again. */
	if (policystore_prefs_count(rq->srv->policystore) >= max_users) {
		*ret = reply_error(rq, ERR_CONFLICT, NULL,
		                   "preferences are stored for %ld users, the limit "
		                   "(--prefs-max-users): none can be added",
		                   max_users);
		return 0;
	}
	if (rq->peer->role >= ROLE_ADMIN ||
	    (n = policystore_prefs_count_by(rq->srv->policystore, rq->peer->name)) < per_caller)
		return 1;
	*ret = n < 0 ? reply_error(rq, ERR_UNAVAILABLE, NULL, "the preferences cannot be read")
	             : reply_error(rq, ERR_CONFLICT, NULL,
	                           "%s stores the preferences of %ld users, the limit for one "
	                           "caller (--prefs-max-users-per-caller): none can be added",
	                           rq->peer->name, n);
	return 0;
}

/* Audit, then store: no row, no change. */
static enum MHD_Result
prefs_store(struct request *rq, const char *user)
{
	long max_users = rq->srv->cfg->prefs_max_users;
	json_t *old = NULL;
	enum MHD_Result ret;
	int rc;

	if (policystore_prefs_get(rq->srv->policystore, user, &old) != 0)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the preferences cannot be read");
	if (old == NULL && !prefs_may_add(rq, &ret))
		return ret;
	if (audit_prefs_update(rq, user, old) != 0) {
		ret = reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                  "the change could not be audited; nothing changed");
	} else if ((rc = policystore_prefs_put(rq->srv->policystore, user, rq->json, rq->peer->name,
	                                       max_users)) == -2) {
		ret = reply_error(rq, ERR_CONFLICT, NULL,
		                  "preferences are stored for %ld users, the limit "
		                  "(--prefs-max-users): none can be added",
		                  max_users);
	} else if (rc != 0) {
		ret = reply_error(rq, ERR_INTERNAL, NULL, "the preferences could not be stored");
	} else {
		served_notify_user(rq->srv->served, user); /* the user's long-polls re-check */
		ret = reply_json(rq, 200,
		                 json_pack("{s:s, s:O}", "user", user, "preferences", rq->json));
	}
	json_decref(old);
	return ret;
}

enum MHD_Result
h_user_settings_put(struct request *rq)
{
	const char *user = rq->params[0];
	struct problems errs = PROBLEMS_INIT;
	json_t *keys = NULL, *v;
	enum MHD_Result ret;
	size_t i;

	if (!prefs_access(rq, user, &ret))
		return ret;
	if (prefs_too_large(rq, &ret))
		return ret;
	check_prefs(rq->json, &errs);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs,
		                  "invalid preferences (%zu problem%s)", errs.n,
		                  errs.n == 1 ? "" : "s");
		goto out;
	}
	if ((keys = locked_keys(rq->srv, user, rq->json)) == NULL) {
		ret = reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (json_array_size(keys) > 0) {
		json_array_foreach(keys, i, v)
		    problems_add(&errs, json_string_value(v), "locked by policy");
		if (audit_locked_override(rq, user, keys) != 0)
			ret = reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
			                  "locked settings refused, but the attempt could not be "
			                  "audited");
		else
			ret = reply_error(rq, ERR_LOCKED_SETTING, &errs,
			                  "%zu setting%s locked by policy; nothing was stored",
			                  json_array_size(keys),
			                  json_array_size(keys) == 1 ? " is" : "s are");
		goto out;
	}
	ret = prefs_store(rq, user);
out:
	json_decref(keys);
	problems_clear(&errs);
	return ret;
}

enum MHD_Result
h_user_settings_get(struct request *rq)
{
	const char *user = rq->params[0];
	json_t *prefs = NULL;
	enum MHD_Result ret;

	if (!prefs_access(rq, user, &ret))
		return ret;
	if (policystore_prefs_get(rq->srv->policystore, user, &prefs) != 0)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the preferences cannot be read");
	return reply_json(
	    rq, 200,
	    json_pack("{s:s, s:o}", "user", user, "preferences", prefs ? prefs : json_object()));
}

/* DELETE /v1/users/{user}/settings (admin): forget a user's preferences,
 * audited as preferences.deleted first. */
enum MHD_Result
h_user_settings_delete(struct request *rq)
{
	const char *user = rq->params[0];
	json_t *prefs = NULL, *users = json_pack("[s]", user), *data = NULL;
	enum MHD_Result ret;

	if (!prefs_access(rq, user, &ret))
		goto out;
	if (users == NULL || policystore_prefs_get(rq->srv->policystore, user, &prefs) != 0) {
		ret = reply_error(rq, ERR_UNAVAILABLE, NULL, "the preferences cannot be read");
	} else if (prefs == NULL) {
		ret =
		    reply_error(rq, ERR_NOT_FOUND, NULL, "no preferences are stored for %s", user);
	} else if ((data = json_pack("{s:s}", "user", user)) == NULL ||
	           audit_record(rq->srv->audit, "preferences.deleted", rq->peer->name, "api", user,
	                        "allow", -1, data) != 0) {
		ret = reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                  "the deletion could not be audited; nothing changed");
	} else if (policystore_prefs_remove(rq->srv->policystore, users, NULL) < 0) {
		ret = reply_error(rq, ERR_INTERNAL, NULL, "the preferences could not be deleted");
	} else {
		served_notify_user(rq->srv->served, user);
		ret = reply_empty(rq, 204, NULL);
	}
out:
	json_decref(prefs);
	json_decref(users);
	json_decref(data);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Preferences past their age */

/* preferences.expired for users (an array), before they are removed. */
static int
audit_prefs_expired(struct audit *audit, const json_t *users, long days)
{
	json_t *data = json_pack("{s:O, s:I, s:I}", "users", users, "count",
	                         (json_int_t)json_array_size(users), "days", (json_int_t)days);
	int rc = data ? audit_record(audit, "preferences.expired", "locksetd", "locksetd", NULL,
	                             "allow", -1, data)
	              : -1;

	json_decref(data);
	return rc;
}

void
h_users_prefs_expire(struct server *srv)
{
	long days = srv->cfg->prefs_max_days;
	time_t cut = time(NULL) - (time_t)days * 86400;
	char cutoff[32];
	struct tm tm;
	json_t *users;
	long removed;

	if (days <= 0)
		return;
	gmtime_r(&cut, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* In rounds of a thousand: each round is one audit row, then one delete. */
	for (;;) {
		if ((users = policystore_prefs_stale(srv->policystore, cutoff, 1000)) == NULL ||
		    json_array_size(users) == 0)
			break;
		if (audit_prefs_expired(srv->audit, users, days) != 0 ||
		    (removed = policystore_prefs_remove(srv->policystore, users, cutoff)) < 0) {
			log_warnx("preferences: could not remove those unchanged for %ld days",
			          days);
			break;
		}
		log_info("preferences: removed those of %ld users, unchanged for %ld days", removed,
		         days);
		if (removed == 0 || json_array_size(users) < 1000)
			break;
		json_decref(users);
	}
	json_decref(users);
}
