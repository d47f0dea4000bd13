/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl check [--user U] -- docker ...: translate the docker command line
 * (check_run.c and the other check_*.c), post each request it would send to
 * POST /v1/decisions, and print every decision with its violations. Needs no
 * Docker: it answers "would this be allowed, and why not?". Exit 0 when
 * every request is allowed, 1 when any is denied. */
#include "check.h"
#include "ctl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct check_request *
check_add(struct check_plan *p, const char *label, const char *uri, json_t *body)
{
	struct check_request *r;

	if (p->n == CHECK_MAX_REQUESTS) {
		json_decref(body);
		return NULL;
	}
	r = &p->req[p->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s", label);
	snprintf(r->method, sizeof(r->method), "POST");
	snprintf(r->uri, sizeof(r->uri), "%s", uri);
	r->body = body;
	return r;
}

int
check_fail(struct check_plan *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	return -1;
}

int
check_bool(const struct check_arg *a)
{
	return a->value == NULL || (strcmp(a->value, "false") != 0 && strcmp(a->value, "0") != 0);
}

static const struct check_flag *
flag_long(const struct check_flag *f, const char *name, size_t len)
{
	for (; f->name != NULL; f++) {
		if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
			return f;
	}
	return NULL;
}

static const struct check_flag *
flag_short(const struct check_flag *f, char c)
{
	for (; f->name != NULL; f++) {
		if (f->shorthand == c)
			return f;
	}
	return NULL;
}

/* --name[=value] at argv[*i]. */
static int
take_long(struct check_plan *p, const struct check_flag *flags, int argc, char **argv, int *i,
          struct check_arg *a)
{
	const char *s = argv[*i] + 2, *eq = strchr(s, '=');
	size_t len = eq ? (size_t)(eq - s) : strlen(s);
	const struct check_flag *f = flag_long(flags, s, len);

	if (f == NULL)
		return check_fail(p, "unknown flag: --%.*s", (int)len, s);
	a->id = f->id;
	a->name = f->name;
	if (f->kind == CF_BOOL)
		a->value = eq ? eq + 1 : "true";
	else if (eq != NULL)
		a->value = eq + 1;
	else if (*i + 1 < argc)
		a->value = argv[++*i];
	else
		return check_fail(p, "flag needs an argument: --%s", f->name);
	return 0;
}

/* -abc or -nVALUE at argv[*i]: one or more args. */
static int
take_short(struct check_plan *p, const struct check_flag *flags, int argc, char **argv, int *i,
           struct check_arg *out, int maxout, int *nout)
{
	const char *s = argv[*i] + 1;

	for (; *s != '\0'; s++) {
		const struct check_flag *f = flag_short(flags, *s);
		struct check_arg *a;

		if (f == NULL)
			return check_fail(p, "unknown shorthand flag: '%c' in %s", *s, argv[*i]);
		if (*nout == maxout)
			return check_fail(p, "too many flags");
		a = &out[(*nout)++];
		a->id = f->id;
		a->name = f->name;
		if (f->kind == CF_BOOL) {
			a->value = "true";
			continue;
		}
		if (s[1] != '\0')
			a->value = s[1] == '=' ? s + 2 : s + 1;
		else if (*i + 1 < argc)
			a->value = argv[++*i];
		else
			return check_fail(p, "flag needs an argument: '%c' in -%c", *s, *s);
		return 0;
	}
	return 0;
}

int
check_flags(struct check_plan *p, const struct check_flag *flags, int interspersed, int argc,
            char **argv, struct check_arg *out, int maxout, int *nout, char **pos, int maxpos,
            int *npos)
{
	int i, positional_only = 0;

	*nout = *npos = 0;
	for (i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (!positional_only && strcmp(s, "--") == 0) {
			positional_only = 1;
			continue;
		}
		if (positional_only || s[0] != '-' || s[1] == '\0') {
			if (*npos == maxpos)
				return check_fail(p, "too many arguments");
			pos[(*npos)++] = argv[i];
			if (!interspersed)
				positional_only = 1;
			continue;
		}
		if (s[1] == '-') {
			if (*nout == maxout)
				return check_fail(p, "too many flags");
			if (take_long(p, flags, argc, argv, &i, &out[*nout]) != 0)
				return -1;
			(*nout)++;
		} else if (take_short(p, flags, argc, argv, &i, out, maxout, nout) != 0) {
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Translating and judging */

static int
translate(struct check_plan *p, int argc, char **argv)
{
	static const struct {
		const char *cmd, *sub;
		int (*fn)(struct check_plan *, int, char **);
		int skip;
	} table[] = {
	    {"exec", NULL, check_exec, 1},
	    {"update", NULL, check_update, 1},
	    {"pull", NULL, check_pull, 1},
	    {"build", NULL, check_build, 1},
	    {"tag", NULL, check_tag, 1},
	    {"load", NULL, check_load, 1},
	    {"import", NULL, check_import, 1},
	    {"service", "create", check_service_create, 2},
	    {"volume", "create", check_volume_create, 2},
	    {"plugin", "install", check_plugin_install, 2},
	    {"container", "exec", check_exec, 2},
	    {"container", "update", check_update, 2},
	    {"image", "pull", check_pull, 2},
	    {"image", "build", check_build, 2},
	    {"image", "tag", check_tag, 2},
	    {"image", "load", check_load, 2},
	    {"image", "import", check_import, 2},
	    {"buildx", "build", check_build, 2},
	};

	if (argc < 2 || strcmp(argv[0], "docker") != 0)
		return check_fail(p, "expected a docker command line: docker run|create|... ARGS");
	if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "create") == 0)
		return check_run(p, strcmp(argv[1], "create") == 0, argc - 2, argv + 2);
	if (argc > 2 && strcmp(argv[1], "container") == 0 &&
	    (strcmp(argv[2], "run") == 0 || strcmp(argv[2], "create") == 0))
		return check_run(p, strcmp(argv[2], "create") == 0, argc - 3, argv + 3);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(argv[1], table[i].cmd) != 0)
			continue;
		if (table[i].sub != NULL && (argc < 3 || strcmp(argv[2], table[i].sub) != 0))
			continue;
		return table[i].fn(p, argc - 1 - table[i].skip, argv + 1 + table[i].skip);
	}
	return check_fail(p,
	                  "docker %s%s%s is not covered (run, create, exec, update, service "
	                  "create, volume create, pull, build, tag, load, import, plugin "
	                  "install are)",
	                  argv[1], argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
}

/* Judge one request: CTL_OK with *decision set (new reference). */
static int
judge(struct ctl *c, const struct check_request *r, const char *user, json_t **decision)
{
	json_t *req = json_pack("{s:s, s:s}", "method", r->method, "uri", r->uri);
	int rc;

	if (user != NULL)
		json_object_set_new(req, "user", json_string(user));
	if (r->body != NULL)
		json_object_set(req, "body", r->body);
	rc = ctl_send_json(c, "POST", "/v1/decisions", req, decision);
	json_decref(req);
	return rc;
}

static void
print_decision(const struct ctl *c, const struct check_request *r, const json_t *d)
{
	int allow = json_is_true(json_object_get(d, "allow"));
	const json_t *vs = json_object_get(d, "violations");
	struct ctl_table *t;
	char mode[256];
	size_t i;
	json_t *v;

	printf("%s: %s %s\n  %s%s (policy v%lld, %s)\n", r->label, r->method, r->uri,
	       allow ? "allowed" : "DENIED",
	       r->conditional && !allow ? " unless the image is already present" : "",
	       (long long)json_integer_value(json_object_get(d, "policyVersion")),
	       ctl_safe(json_string_value(json_object_get(d, "mode")), mode, sizeof(mode)));
	if (json_array_size(vs) == 0)
		return;
	t = ctl_table_new(4, "RULE", "FIELD", "VALUE", "MESSAGE");
	json_array_foreach(vs, i, v)
	    ctl_table_row(t, json_string_value(json_object_get(v, "rule")),
	                  json_string_value(json_object_get(v, "field")),
	                  json_string_value(json_object_get(v, "value")),
	                  json_string_value(json_object_get(v, "message")));
	ctl_table_print(t, c, stdout);
}

static int
judge_plan(struct ctl *c, struct check_plan *p, const char *user)
{
	json_t *all = json_array(), *d = NULL;
	int rc = CTL_OK, denied = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct check_request *r = &p->req[i];

		if ((rc = judge(c, r, user, &d)) != CTL_OK)
			break;
		denied |= !json_is_true(json_object_get(d, "allow"));
		if (c->json)
			json_array_append_new(
			    all, json_pack("{s:s, s:s, s:s, s:O?, s:b, s:O}", "label", r->label,
			                   "method", r->method, "uri", r->uri, "body", r->body,
			                   "conditional", r->conditional, "decision", d));
		else
			print_decision(c, r, d);
		json_decref(d);
	}
	if (rc == CTL_OK && c->json) {
		json_t *out = json_pack("{s:b, s:o}", "allow", !denied, "requests", all);
		ctl_print_json(out);
		json_decref(out);
	} else {
		json_decref(all);
	}
	return rc != CTL_OK ? rc : (denied ? CTL_NO : CTL_OK);
}

int
ctl_cmd_check(struct ctl *c, int argc, char **argv)
{
	const char *user = NULL;
	const struct ctl_opt opts[] = {{"user", 1, &user, NULL}, {NULL, 0, NULL, NULL}};
	struct check_plan p;
	char *pos[1], **rest;
	int npos, nrest, rc;

	memset(&p, 0, sizeof(p));
	if ((rc = ctl_args(c, argc, argv, opts, pos, 0, &npos, &rest, &nrest)) != 0)
		return rc;
	if (rest == NULL || nrest == 0) {
		fprintf(stderr, "locksetctl: check [--user U] -- docker run [FLAGS] IMAGE [CMD]\n");
		return CTL_USAGE;
	}
	if (translate(&p, nrest, rest) != 0) {
		fprintf(stderr, "locksetctl: check: %s\n", p.error);
		rc = CTL_USAGE;
	} else {
		rc = judge_plan(c, &p, user);
	}
	for (size_t i = 0; i < p.n; i++)
		json_decref(p.req[i].body);
	return rc;
}
