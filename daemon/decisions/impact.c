/* SPDX-License-Identifier: Apache-2.0 */
/* The impact preview: compile the proposed policy (per user where a user has
 * a policy or the policy names $HOME), judge every recorded input again, and compare with the verdict
 * recorded at the time. Pure reading: nothing is stored or audited. */
#include "impact.h"

#include "engine/decide.h"
#include "inputs.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "policy/userpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPACT_MAX_USERS 256 /* compiled per-user policies kept during one replay */

struct user_dp {
	char *user;
	struct decide_policy *dp;
};

struct replay {
	const json_t *proposed;
	struct userpolicy *up; /* the users' current policies */
	struct served *s;      /* for the path variables */
	int uses_home;         /* the proposed policy names $HOME: users get their own */
	struct decide_policy *base;
	struct user_dp users[IMPACT_MAX_USERS];
	size_t nusers;
	long long replayed, skipped, ndenied, nallowed;
	json_t *denied_by, *allowed_by, *examples;
	char *example_keys[IMPACT_MAX_EXAMPLES]; /* the input each example stands for */
	int failed;
};

int
impact_parse_time(const char *s, char out[32])
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	long usec = 0, scale = 100000;
	const char *p;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			usec += scale > 0 ? (*p - '0') * scale : 0;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 &&
	           n == 5) {
		int sign = *p == '-' ? -1 : 1;
		p += 6;
		oh *= sign;
		om *= sign;
	} else {
		return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    oh < -23 || oh > 23 || om < -59 || om > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm) - (time_t)(oh * 3600 + om * 60);
	/* Stored times have four-digit years: past 9999 in UTC would sort first. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -1;
	n = (int)strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, (size_t)(32 - n), ".%06ldZ", usec);
	return 0;
}

void
impact_time_ago(time_t seconds, char out[32])
{
	time_t t = time(NULL) - seconds;
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	n = (int)strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, (size_t)(32 - n), ".000000Z");
}

/* The proposed policy with user_policy (may be NULL) on top, compiled with
 * $HOME standing for user's home, or for the home group's when user is "". */
static struct decide_policy *
compile(const struct replay *rp, const json_t *user_policy, const char *user)
{
	struct homes home = {0};
	struct settings_env env = rp->s->env;
	struct decide_policy *dp = NULL;
	json_t *eff = NULL;

	if (user[0] == '\0' || served_user_env(rp->s, user, &env, &home) == 0)
		eff = settings_effective(rp->proposed, user_policy, NULL, &env);
	homes_clear(&home);
	dp = eff ? decide_policy_new(eff) : NULL;
	json_decref(eff);
	return dp;
}

/* The proposed policy as it applies to user. Borrowed from rp; NULL on ENOMEM. */
static const struct decide_policy *
policy_for(struct replay *rp, const char *user)
{
	json_t *up;
	struct decide_policy *dp;

	if (user[0] == '\0')
		return rp->base;
	up = userpolicy_get(rp->up, user, NULL);
	if (up == NULL && !rp->uses_home)
		return rp->base;
	for (size_t i = 0; i < rp->nusers; i++) {
		if (strcmp(rp->users[i].user, user) == 0) {
			json_decref(up);
			return rp->users[i].dp;
		}
	}
	dp = compile(rp, up, user);
	json_decref(up);
	if (dp == NULL || rp->nusers == IMPACT_MAX_USERS) {
		/* Too many distinct users to keep: judge by the org policy alone. */
		decide_policy_free(dp);
		return dp == NULL ? NULL : rp->base;
	}
	rp->users[rp->nusers].user = strdup(user);
	rp->users[rp->nusers].dp = dp;
	if (rp->users[rp->nusers].user == NULL) {
		decide_policy_free(dp);
		return NULL;
	}
	return rp->users[rp->nusers++].dp;
}

static void
count(json_t *by, const char *rule, long long n)
{
	json_t *have = json_object_get(by, rule);

	json_object_set_new(by, rule, json_integer(have ? json_integer_value(have) + n : n));
}

/* What makes rows the same example: the request and the verdict it had. */
static char *
example_key(const struct inputs_row *r)
{
	static const char hex[] = "0123456789abcdef";
	char h[65] = "-";
	char *key = NULL;

	for (int i = 0; r->body_hash != NULL && i < 32; i++) {
		h[2 * i] = hex[r->body_hash[i] >> 4];
		h[2 * i + 1] = hex[r->body_hash[i] & 15];
		h[2 * i + 2] = '\0';
	}
	if (asprintf(&key, "%d %s %s\n%s\n%s", r->allow, r->method, h, r->user, r->uri) < 0)
		return NULL;
	return key;
}

/* Add r (count requests) to the example of its input, or as a new example
 * while there is room. Steals nothing; 0 or -1 on ENOMEM. */
static int
add_example(struct replay *rp, const struct inputs_row *r, int after, json_t *rules)
{
	size_t i, n = json_array_size(rp->examples);
	char *key = example_key(r);
	json_t *ex;

	if (key == NULL)
		return -1;
	for (i = 0; i < n && strcmp(rp->example_keys[i], key) != 0; i++)
		;
	if (i < n) {
		ex = json_array_get(rp->examples, i);
		json_object_set_new(
		    ex, "count",
		    json_integer(json_integer_value(json_object_get(ex, "count")) + r->count));
		if (strcmp(r->last, json_string_value(json_object_get(ex, "time"))) > 0)
			json_object_set_new(ex, "time", json_string(r->last));
		free(key);
		return 0;
	}
	if (n == IMPACT_MAX_EXAMPLES) {
		free(key);
		return 0;
	}
	ex = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:O}", "time", r->last, "count",
	               (json_int_t)r->count, "method", r->method, "uri", r->uri, "user", r->user,
	               "before", r->allow ? "allow" : "deny", "after", after ? "allow" : "deny",
	               "rules", rules);
	if (ex == NULL || json_array_append_new(rp->examples, ex) != 0) {
		free(key);
		return -1;
	}
	rp->example_keys[n] = key;
	return 0;
}

/* Judge the input of one row again; the row stands for r->count requests. */
static int
replay_one(const struct inputs_row *r, void *cls)
{
	struct replay *rp = cls;
	struct decide_request req = {.method = r->method,
	                             .uri = r->uri,
	                             .user = r->user,
	                             .body = r->body,
	                             .body_len = r->body_len,
	                             .has_body = r->has_body};
	const struct decide_policy *dp;
	struct decision d;
	json_t *rules = NULL, *by = NULL;
	int after;

	if (r->body_truncated) {
		rp->skipped += r->count;
		return 0;
	}
	if ((dp = policy_for(rp, r->user)) == NULL || decide_eval(dp, &req, &d) != 0) {
		rp->failed = 1;
		return 1;
	}
	rp->replayed += r->count;
	after = !d.inspected || d.allow;
	if (r->allow && !after) {
		rp->ndenied += r->count;
		rules = decision_rule_ids_json(&d);
		by = rp->denied_by;
	} else if (!r->allow && after) {
		rp->nallowed += r->count;
		rules = json_loads(r->rules, 0, NULL);
		by = rp->allowed_by;
	}
	decision_clear(&d);
	if (by != NULL) {
		size_t i;
		json_t *v;

		if (rules == NULL)
			rules = json_array(); /* rules that do not parse: counted, not by rule */
		if (rules == NULL || add_example(rp, r, after, rules) != 0) {
			json_decref(rules);
			rp->failed = 1;
			return 1;
		}
		json_array_foreach(rules, i, v) count(by, json_string_value(v), r->count);
		json_decref(rules);
	}
	return 0;
}

json_t *
impact_preview(struct inputs *in, struct served_hub *served, struct userpolicy *up,
               const json_t *proposed, const char *since, int *unavailable)
{
	struct replay rp;
	json_t *out = NULL;

	*unavailable = 0;
	memset(&rp, 0, sizeof(rp));
	rp.proposed = proposed;
	rp.up = up;
	rp.denied_by = json_object();
	rp.allowed_by = json_object();
	rp.examples = json_array();
	rp.uses_home = settings_uses_home(proposed);
	if (rp.denied_by == NULL || rp.allowed_by == NULL || rp.examples == NULL ||
	    (rp.s = served_acquire(served)) == NULL || (rp.base = compile(&rp, NULL, "")) == NULL)
		goto out;
	inputs_flush(in); /* what was decided a moment ago counts too */
	if (inputs_scan(in, since, replay_one, &rp) != 0) {
		*unavailable = 1;
		goto out;
	}
	if (rp.failed)
		goto out;
	out = json_pack("{s:s, s:I, s:I, s:{s:I, s:O}, s:{s:I, s:O}, s:O}", "since", since,
	                "replayed", (json_int_t)rp.replayed, "skipped", (json_int_t)rp.skipped,
	                "newlyDenied", "count", (json_int_t)rp.ndenied, "byRule", rp.denied_by,
	                "newlyAllowed", "count", (json_int_t)rp.nallowed, "byRule", rp.allowed_by,
	                "examples", rp.examples);
out:
	for (size_t i = 0; i < rp.nusers; i++) {
		free(rp.users[i].user);
		decide_policy_free(rp.users[i].dp);
	}
	for (size_t i = 0; i < IMPACT_MAX_EXAMPLES; i++)
		free(rp.example_keys[i]);
	decide_policy_free(rp.base);
	served_release(rp.s);
	json_decref(rp.denied_by);
	json_decref(rp.allowed_by);
	json_decref(rp.examples);
	return out;
}
