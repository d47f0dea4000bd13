/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl status, settings [--user U] [--watch] and tokens
 * create|list|revoke: health (with the engine's user-namespace check and
 * the containers the policy would refuse), the
 * effective settings (followed by long-poll) and API tokens. */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* status */

/* The engine lockset asks about user namespaces (ECI): its socket, whether
 * it isolates containers in user namespaces and how, or why it could not be
 * asked. */
static void
engine_rows(struct ctl_table *t, const json_t *e)
{
	const char *iso = json_string_value(json_object_get(e, "isolation"));
	const char *opts = json_string_value(json_object_get(e, "securityOptions"));
	const char *err = json_string_value(json_object_get(e, "error"));
	const char *ver = json_string_value(json_object_get(e, "serverVersion"));
	const char *when = json_string_value(json_object_get(e, "checkedAt"));
	char buf[256];

	ctl_table_row(t, "engine", json_string_value(json_object_get(e, "socket")) ?: "not asked");
	snprintf(buf, sizeof(buf), "%s%s%s%s",
	         json_string_value(json_object_get(e, "userns")) ?: "-", iso ? " (isolation: " : "",
	         iso ? iso : "", iso ? ")" : "");
	ctl_table_row(t, "engine userns", buf);
	if (opts != NULL)
		ctl_table_row(t, "engine security options", opts[0] ? opts : "none");
	if (ver != NULL)
		ctl_table_row(t, "engine version", ver);
	if (when != NULL)
		ctl_table_row(t, "engine checked at", when);
	if (err != NULL && err[0] != '\0')
		ctl_table_row(t, "engine error", err);
}

int
ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
	struct ctl_table *t;
	json_t *h = NULL, *checks;
	char *pos[1], buf[64];
	int npos, rc;

	if ((rc = ctl_args(c, argc, argv, NULL, pos, 0, &npos, NULL, NULL)) != 0)
		return rc;
	if ((rc = ctl_get_json(c, "/v1/health", &h)) != CTL_OK)
		return rc;
	checks = json_object_get(h, "checks");
	if (c->json) {
		ctl_print_json(h);
	} else {
		t = ctl_table_new(2, "FIELD", "VALUE");
		ctl_table_row(t, "status", json_string_value(json_object_get(h, "status")));
		ctl_table_row(t, "version", json_string_value(json_object_get(h, "version")));
		ctl_table_row(t, "policy version",
		              ctl_cell(json_object_get(h, "policyVersion"), buf, sizeof(buf)));
		snprintf(buf, sizeof(buf), "%llds",
		         (long long)json_integer_value(json_object_get(h, "uptimeSeconds")));
		ctl_table_row(t, "uptime", buf);
		ctl_table_row(t, "policy", json_string_value(json_object_get(checks, "policy")));
		ctl_table_row(t, "audit", json_string_value(json_object_get(checks, "audit")));
		/* Why health is degraded when ECI is locked on and the engine does
		 * not run containers in user namespaces, and how to fix it. */
		ctl_table_row(t, "userns", json_string_value(json_object_get(checks, "userns")));
		/* The engine's containers the policy would refuse a start, by
		 * name with their rules, or why they were not checked. */
		ctl_table_row(t, "containers",
		              json_string_value(json_object_get(checks, "containers")));
		ctl_table_row(t, "shares", json_string_value(json_object_get(checks, "shares")));
		/* Runtimes besides runc, which can add what a request does not show. */
		ctl_table_row(t, "runtimes",
		              json_string_value(json_object_get(checks, "runtimes")));
		engine_rows(t, json_object_get(h, "engine"));
		ctl_table_print(t, c, stdout);
	}
	rc = strcmp(json_string_value(json_object_get(h, "status")) ?: "", "ok") == 0 ? CTL_OK
	                                                                              : CTL_NO;
	json_decref(h);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* settings */

/* One row per setting: "key" or "group.field", locked, value, source. */
static void
settings_rows(struct ctl_table *t, const char *prefix, json_t *obj)
{
	const char *key, *lock = NULL, *src;
	char name[256], buf[256];
	json_t *v;

	if (json_object_get(obj, "locked") != NULL) {
		lock = json_is_true(json_object_get(obj, "locked")) ? "yes" : "no";
		src = json_string_value(json_object_get(obj, "source"));
		json_object_foreach(obj, key, v)
		{
			if (strcmp(key, "locked") == 0 || strcmp(key, "source") == 0)
				continue;
			if (strcmp(key, "value") == 0)
				snprintf(name, sizeof(name), "%s", prefix);
			else
				snprintf(name, sizeof(name), "%s.%s", prefix, key);
			ctl_table_row(t, name, lock, ctl_cell(v, buf, 80), src);
		}
		return;
	}
	json_object_foreach(obj, key, v)
	{
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (json_is_object(v))
			settings_rows(t, name, v);
		else if (strcmp(key, "configurationFileVersion") != 0 &&
		         strcmp(key, "policyVersion") != 0 && strcmp(key, "user") != 0 &&
		         strcmp(key, "userPolicyVersion") != 0)
			ctl_table_row(t, name, NULL, ctl_cell(v, buf, 80), NULL);
	}
}

static void
print_settings(const struct ctl *c, json_t *s)
{
	struct ctl_table *t;
	char buf[64], ver[256], user[4 * 256 + 1];

	if (c->json) {
		ctl_print_json_line(s);
		fflush(stdout);
		return;
	}
	printf("policy version %s%s%s\n",
	       ctl_safe(ctl_cell(json_object_get(s, "policyVersion"), buf, sizeof(buf)) ?: "-", ver,
	                sizeof(ver)),
	       json_object_get(s, "user") ? " for user " : "",
	       ctl_safe(json_string_value(json_object_get(s, "user")), user, sizeof(user)));
	t = ctl_table_new(4, "SETTING", "LOCKED", "VALUE", "SOURCE");
	settings_rows(t, "", s);
	ctl_table_print(t, c, stdout);
	fflush(stdout);
}

int
ctl_cmd_settings(struct ctl *c, int argc, char **argv)
{
	const char *user = NULL;
	int watch = 0, npos, rc;
	const struct ctl_opt opts[] = {
	    {"user", 1, &user, NULL}, {"watch", 0, NULL, &watch}, {NULL, 0, NULL, NULL}};
	struct ctl_req rq = {0};
	struct ctl_reply r;
	char path[1024] = "/v1/settings", etag[128] = "", *pos[1];
	json_t *s;

	if ((rc = ctl_args(c, argc, argv, opts, pos, 0, &npos, NULL, NULL)) != 0)
		return rc;
	ctl_query_add(path, sizeof(path), "user", user);
	if (watch)
		ctl_query_add(path, sizeof(path), "wait", "300");
	rq.timeout = 330;
	for (;;) {
		rq.if_none_match = etag[0] ? etag : NULL;
		if ((rc = ctl_http(c, "GET", path, &rq, &r)) != CTL_OK)
			return rc;
		if (r.status == 304) {
			ctl_reply_clear(&r);
			continue;
		}
		if (r.status != 200) {
			rc = ctl_reply_fail(&r);
			ctl_reply_clear(&r);
			return rc;
		}
		snprintf(etag, sizeof(etag), "%s", r.etag);
		s = ctl_reply_json(&r);
		ctl_reply_clear(&r);
		if (s == NULL)
			return CTL_SERVER;
		print_settings(c, s);
		json_decref(s);
		if (!watch || etag[0] == '\0')
			return CTL_OK;
	}
}

/* ------------------------------------------------------------------------ */
/* tokens */

static int
tokens_list(struct ctl *c)
{
	struct ctl_table *t;
	json_t *v = NULL, *tok;
	char exp[32];
	size_t i;
	int rc;

	if ((rc = ctl_get_listing(c, "/v1/tokens", &v)) != CTL_OK || v == NULL)
		return rc;
	t = ctl_table_new(6, "NAME", "ROLE", "CREATED", "BY", "EXPIRES", "STATE");
	json_array_foreach(json_object_get(v, "tokens"), i, tok)
	{
		json_t *e = json_object_get(tok, "expires");
		snprintf(exp, sizeof(exp), "%lld", (long long)json_integer_value(e));
		ctl_table_row(
		    t, json_string_value(json_object_get(tok, "name")),
		    json_string_value(json_object_get(tok, "role")),
		    json_string_value(json_object_get(tok, "created")),
		    json_string_value(json_object_get(tok, "createdBy")),
		    json_is_integer(e) ? exp : "never",
		    json_is_true(json_object_get(tok, "active"))
		        ? "active"
		        : (json_is_null(json_object_get(tok, "revoked")) ? "expired" : "revoked"));
	}
	ctl_table_print(t, c, stdout);
	json_decref(v);
	return CTL_OK;
}

static int
tokens_create(struct ctl *c, const char *name, const char *role, const char *expires)
{
	json_t *req, *v = NULL;
	char *end = NULL;
	long long ttl = expires ? strtoll(expires, &end, 10) : 0;
	int rc;

	if (role == NULL || (expires && (*end != '\0' || ttl < 0))) {
		fprintf(stderr, "locksetctl: tokens create NAME --role runtime|auditor|admin "
		                "[--expires-in SECONDS]\n");
		return CTL_USAGE;
	}
	req = json_pack("{s:s, s:s}", "name", name, "role", role);
	if (expires != NULL)
		json_object_set_new(req, "expiresIn", json_integer(ttl));
	rc = ctl_send_json(c, "POST", "/v1/tokens", req, &v);
	json_decref(req);
	if (rc != CTL_OK)
		return rc;
	if (c->json)
		ctl_print_json(v);
	else /* the secret alone, so that scripts can capture it */
		printf("%s\n", json_string_value(json_object_get(v, "secret")));
	json_decref(v);
	return CTL_OK;
}

int
ctl_cmd_tokens(struct ctl *c, int argc, char **argv)
{
	const char *role = NULL, *expires = NULL;
	const struct ctl_opt opts[] = {
	    {"role", 1, &role, NULL}, {"expires-in", 1, &expires, NULL}, {NULL, 0, NULL, NULL}};
	char *pos[2], path[512] = "/v1/tokens";
	json_t *v = NULL;
	int npos, rc;

	if ((rc = ctl_args(c, argc, argv, opts, pos, 2, &npos, NULL, NULL)) != 0)
		return rc;
	if (npos == 1 && strcmp(pos[0], "list") == 0)
		return tokens_list(c);
	if (npos == 2 && strcmp(pos[0], "create") == 0)
		return tokens_create(c, pos[1], role, expires);
	if (npos == 2 && strcmp(pos[0], "revoke") == 0) {
		ctl_path_add(path, sizeof(path), pos[1]);
		if ((rc = ctl_send_json(c, "DELETE", path, NULL, &v)) == CTL_OK && !c->json)
			printf("revoked %s\n", pos[1]);
		json_decref(v);
		return rc;
	}
	fprintf(stderr, "locksetctl: tokens create NAME --role R [--expires-in S] | list | "
	                "revoke NAME\n");
	return CTL_USAGE;
}
