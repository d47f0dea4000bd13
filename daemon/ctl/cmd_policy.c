/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl policy get|set|patch|validate|versions|show|rollback|impact and
 * users policy get|set|delete. Files are sent byte for byte, so the daemon's
 * problems point at lines and columns of the file the admin wrote. */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

struct policy_opts {
	const char *comment, *if_match, *limit, *since;
	int dry_run;
};

/* A refused policy document (400 invalid_json, 422 invalid_policy) is a
 * "no", not a usage error. */
static int
policy_fail(const struct ctl_reply *r)
{
	int rc = ctl_reply_fail(r);

	return r->status == 400 || r->status == 422 ? CTL_NO : rc;
}

/* Send body (len bytes of a file, or a JSON text) and parse the reply. */
static int
send_doc(const struct ctl *c, const char *method, const char *path, const char *ctype,
         const char *body, size_t len, const char *if_match, json_t **out)
{
	struct ctl_req rq = {0};
	struct ctl_reply r;
	int rc;

	*out = NULL;
	rq.ctype = ctype;
	rq.body = body;
	rq.len = len;
	rq.if_match = if_match;
	if ((rc = ctl_http(c, method, path, &rq, &r)) != CTL_OK)
		return rc;
	if (r.status < 200 || r.status >= 300)
		rc = policy_fail(&r);
	else if (r.status != 204 && (*out = ctl_reply_json(&r)) == NULL)
		rc = CTL_SERVER;
	ctl_reply_clear(&r);
	return rc;
}

static void
print_pointers(const char *mark, const json_t *list)
{
	char buf[4096];
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	    printf("  %s %s\n", mark, ctl_safe(json_string_value(v), buf, sizeof(buf)));
}

/* The reply to a change: {"version","changed","diff","warnings"[,"dryRun"]}. */
static void
print_change(const struct ctl *c, const json_t *v)
{
	json_t *diff = json_object_get(v, "diff");

	if (c->json) {
		ctl_print_json(v);
		return;
	}
	if (json_is_true(json_object_get(v, "dryRun")))
		printf("valid: %s policy v%lld\n",
		       json_is_true(json_object_get(v, "changed")) ? "would change" : "same as",
		       (long long)json_integer_value(json_object_get(v, "version")));
	else
		printf("policy v%lld%s\n",
		       (long long)json_integer_value(json_object_get(v, "version")),
		       json_is_true(json_object_get(v, "changed")) ? "" : " (unchanged)");
	print_pointers("+", json_object_get(diff, "added"));
	print_pointers("-", json_object_get(diff, "removed"));
	print_pointers("~", json_object_get(diff, "changed"));
	if (json_array_size(json_object_get(v, "warnings")) > 0) {
		printf("warnings:\n");
		ctl_print_problems(stdout, json_object_get(v, "warnings"));
	}
}

/* policy set FILE / validate FILE (a dry run) / impact FILE. */
static int
policy_file(struct ctl *c, const char *what, const char *file, const struct policy_opts *o)
{
	char path[2048], *text;
	size_t len = 0;
	json_t *v = NULL;
	int rc, impact = strcmp(what, "impact") == 0;

	if ((text = ctl_read_file(file, &len)) == NULL)
		return CTL_USAGE;
	snprintf(path, sizeof(path), "%s", impact ? "/v1/policy/impact" : "/v1/policy");
	if (strcmp(what, "validate") == 0 || o->dry_run)
		ctl_query_add(path, sizeof(path), "dry_run", "true");
	ctl_query_add(path, sizeof(path), "comment", o->comment);
	ctl_query_add(path, sizeof(path), "since", impact ? o->since : NULL);
	rc = send_doc(c, impact ? "POST" : "PUT", path, "application/json", text, len, o->if_match,
	              &v);
	free(text);
	if (rc == CTL_OK && impact) {
		json_t *d = json_object_get(v, "newlyDenied"),
		       *a = json_object_get(v, "newlyAllowed");
		char since[256];
		if (c->json) {
			ctl_print_json(v);
		} else {
			printf("replayed %lld decisions since %s (%lld skipped)\n"
			       "newly denied: %lld\nnewly allowed: %lld\n",
			       (long long)json_integer_value(json_object_get(v, "replayed")),
			       ctl_safe(json_string_value(json_object_get(v, "since")), since,
			                sizeof(since)),
			       (long long)json_integer_value(json_object_get(v, "skipped")),
			       (long long)json_integer_value(json_object_get(d, "count")),
			       (long long)json_integer_value(json_object_get(a, "count")));
		}
	} else if (rc == CTL_OK) {
		print_change(c, v);
	}
	json_decref(v);
	return rc;
}

static int
policy_versions(struct ctl *c, const struct policy_opts *o)
{
	char path[256] = "/v1/policy/versions", ver[32];
	struct ctl_table *t;
	json_t *v = NULL, *e;
	size_t i;
	int rc;

	ctl_query_add(path, sizeof(path), "limit", o->limit);
	if ((rc = ctl_get_listing(c, path, &v)) != CTL_OK || v == NULL)
		return rc;
	t = ctl_table_new(5, "VERSION", "TIME", "ACTOR", "SOURCE", "COMMENT");
	json_array_foreach(json_object_get(v, "versions"), i, e)
	{
		snprintf(ver, sizeof(ver), "%lld",
		         (long long)json_integer_value(json_object_get(e, "version")));
		ctl_table_row(t, ver, json_string_value(json_object_get(e, "time")),
		              json_string_value(json_object_get(e, "actor")),
		              json_string_value(json_object_get(e, "source")),
		              json_string_value(json_object_get(e, "comment")));
	}
	ctl_table_print(t, c, stdout);
	json_decref(v);
	return CTL_OK;
}

/* A positive version number, or -1 after printing why. */
static long long
version_arg(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1) {
		fprintf(stderr, "locksetctl: \"%s\" is not a version number\n", s);
		return -1;
	}
	return n;
}

static int
policy_show_or_rollback(struct ctl *c, const char *what, const char *arg,
                        const struct policy_opts *o)
{
	long long n = version_arg(arg);
	char path[128];
	json_t *v = NULL, *req;
	int rc;

	if (n < 0)
		return CTL_USAGE;
	if (strcmp(what, "show") == 0) {
		snprintf(path, sizeof(path), "/v1/policy/versions/%lld", n);
		if ((rc = ctl_get_json(c, path, &v)) == CTL_OK)
			ctl_print_json(c->json ? v : json_object_get(v, "document"));
	} else {
		req = json_pack("{s:I}", "version", (json_int_t)n);
		if (o->comment != NULL)
			json_object_set_new(req, "comment", json_string(o->comment));
		rc = ctl_send_json(c, "POST", "/v1/policy/rollback", req, &v);
		json_decref(req);
		if (rc == CTL_OK)
			print_change(c, v);
	}
	json_decref(v);
	return rc;
}

static int
policy_patch(struct ctl *c, const char *arg, const struct policy_opts *o)
{
	char path[2048] = "/v1/policy", *text = NULL;
	size_t len = 0;
	json_t *v = NULL;
	int rc;

	/* The patch is given inline, or as @FILE. */
	if (arg[0] == '@' && (text = ctl_read_file(arg + 1, &len)) == NULL)
		return CTL_USAGE;
	if (o->dry_run)
		ctl_query_add(path, sizeof(path), "dry_run", "true");
	ctl_query_add(path, sizeof(path), "comment", o->comment);
	rc = send_doc(c, "PATCH", path, "application/merge-patch+json", text ? text : arg,
	              text ? len : strlen(arg), o->if_match, &v);
	if (rc == CTL_OK)
		print_change(c, v);
	free(text);
	json_decref(v);
	return rc;
}

int
ctl_cmd_policy(struct ctl *c, int argc, char **argv)
{
	struct policy_opts o = {0};
	const struct ctl_opt opts[] = {
	    {"comment", 1, &o.comment, NULL}, {"if-match", 1, &o.if_match, NULL},
	    {"limit", 1, &o.limit, NULL},     {"since", 1, &o.since, NULL},
	    {"dry-run", 0, NULL, &o.dry_run}, {NULL, 0, NULL, NULL}};
	char *pos[2];
	json_t *v = NULL;
	int npos, rc;

	if ((rc = ctl_args(c, argc, argv, opts, pos, 2, &npos, NULL, NULL)) != 0)
		return rc;
	if (npos == 1 && strcmp(pos[0], "get") == 0) {
		if ((rc = ctl_get_json(c, "/v1/policy", &v)) == CTL_OK)
			ctl_print_json(v);
		json_decref(v);
		return rc;
	}
	if (npos == 1 && strcmp(pos[0], "versions") == 0)
		return policy_versions(c, &o);
	if (npos == 2 && (strcmp(pos[0], "set") == 0 || strcmp(pos[0], "validate") == 0 ||
	                  strcmp(pos[0], "impact") == 0))
		return policy_file(c, pos[0], pos[1], &o);
	if (npos == 2 && (strcmp(pos[0], "show") == 0 || strcmp(pos[0], "rollback") == 0))
		return policy_show_or_rollback(c, pos[0], pos[1], &o);
	if (npos == 2 && strcmp(pos[0], "patch") == 0)
		return policy_patch(c, pos[1], &o);
	fprintf(stderr, "locksetctl: policy get | set FILE | patch JSON|@FILE | validate FILE | "
	                "versions | show N | rollback N | impact FILE\n");
	return CTL_USAGE;
}

/* ------------------------------------------------------------------------ */
/* users policy get|set|delete USER [FILE] */

int
ctl_cmd_users(struct ctl *c, int argc, char **argv)
{
	const char *comment = NULL;
	const struct ctl_opt opts[] = {{"comment", 1, &comment, NULL}, {NULL, 0, NULL, NULL}};
	char *pos[4], path[1024] = "/v1/policy/users", *text;
	size_t len = 0;
	json_t *v = NULL;
	int npos, rc;

	if ((rc = ctl_args(c, argc, argv, opts, pos, 4, &npos, NULL, NULL)) != 0)
		return rc;
	if (npos < 3 || strcmp(pos[0], "policy") != 0 ||
	    (strcmp(pos[1], "set") == 0) != (npos == 4)) {
		fprintf(stderr,
		        "locksetctl: users policy get USER | set USER FILE | delete USER\n");
		return CTL_USAGE;
	}
	ctl_path_add(path, sizeof(path), pos[2]);
	ctl_query_add(path, sizeof(path), "comment", comment);
	if (strcmp(pos[1], "get") == 0) {
		if ((rc = ctl_get_json(c, path, &v)) == CTL_OK)
			ctl_print_json(c->json ? v : json_object_get(v, "document"));
	} else if (strcmp(pos[1], "set") == 0) {
		if ((text = ctl_read_file(pos[3], &len)) == NULL)
			return CTL_USAGE;
		rc = send_doc(c, "PUT", path, "application/json", text, len, NULL, &v);
		free(text);
		if (rc == CTL_OK && c->json)
			ctl_print_json(v);
		else if (rc == CTL_OK)
			printf("user %s: policy v%lld\n", pos[2],
			       (long long)json_integer_value(json_object_get(v, "version")));
	} else if (strcmp(pos[1], "delete") == 0) {
		if ((rc = send_doc(c, "DELETE", path, NULL, NULL, 0, NULL, &v)) == CTL_OK)
			printf("user %s: policy deleted\n", pos[2]);
	} else {
		fprintf(stderr, "locksetctl: users policy get|set|delete USER\n");
		rc = CTL_USAGE;
	}
	json_decref(v);
	return rc;
}
