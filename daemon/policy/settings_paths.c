/* SPDX-License-Identifier: Apache-2.0 */
/* The host paths a policy names: judged before they are expanded (a file
 * share or protected path that is the whole host ("/", "//", "/..") or that
 * climbs out of its variable ("$TMP/../..", "$HOME/../../") is an error, and
 * a share of a whole top-level directory ("/home", "/var") a warning), and
 * expanded ($HOME for every home, $TMP, $TEMP) into cleaned absolute paths. */
#include "settings.h"

#include "engine/hostpath.h"
#include "util/problems.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Single-component shares that are not broad: the temporary directory. */
static const char *const narrow_tops[] = {"/tmp"};
/* Deeper paths that hold the system's or the container engine's state. */
static const char *const broad_deeper[] = {"/var/lib", "/var/run", "/run/docker",
                                           "/var/lib/docker"};

/* The variable raw starts with ($HOME, $TMP, $TEMP as a whole component) and
 * its length, or 0 when raw is absolute; -1 when it is neither (the schema
 * reports that). */
static int
variable_length(const char *raw)
{
	static const char *const vars[] = {"$HOME", "$TEMP", "$TMP"};

	if (raw[0] == '/')
		return 0;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		size_t n = strlen(vars[i]);
		if (strncmp(raw, vars[i], n) == 0 && (raw[n] == '/' || raw[n] == '\0'))
			return (int)n;
	}
	return -1;
}

/* Walk the components after the variable (or after "/"): the cleaned path
 * goes to out (absolute paths only), and the result says whether ".." ever
 * climbed above where the path started. */
static int
walk(const char *rest, char *out, size_t cap)
{
	size_t len = 0;
	int depth = 0, climbed = 0;

	out[0] = '\0';
	while (*rest != '\0') {
		const char *comp;
		size_t n;

		while (*rest == '/')
			rest++;
		comp = rest;
		while (*rest != '\0' && *rest != '/')
			rest++;
		n = (size_t)(rest - comp);
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			if (depth == 0) {
				climbed = 1;
				continue;
			}
			depth--;
			while (len > 0 && out[--len] != '/')
				;
			out[len] = '\0';
			continue;
		}
		depth++;
		if (len + 1 + n < cap) {
			out[len++] = '/';
			memcpy(out + len, comp, n);
			len += n;
			out[len] = '\0';
		}
	}
	return climbed;
}

static int
is_broad(const char *clean)
{
	const char *slash = strchr(clean + 1, '/');

	for (size_t i = 0; i < sizeof(narrow_tops) / sizeof(narrow_tops[0]); i++)
		if (strcmp(clean, narrow_tops[i]) == 0)
			return 0;
	if (slash == NULL)
		return 1;
	for (size_t i = 0; i < sizeof(broad_deeper) / sizeof(broad_deeper[0]); i++)
		if (strcmp(clean, broad_deeper[i]) == 0)
			return 1;
	return 0;
}

/* Judge one path; share says whether it is a file share (broad ones warn). */
static void
check_one(const json_t *v, const char *ptr, int share, struct problems *errs,
          struct problems *warns)
{
	const char *raw = json_string_value(v);
	char clean[4096];
	int var;

	if (raw == NULL || (var = variable_length(raw)) < 0)
		return; /* not a string, or relative: the schema says so */
	/* What the kernel takes as a path (PATH_MAX); a longer share would
	 * compile to nothing, a longer protected path to everything. */
	if (strlen(raw) >= sizeof(clean)) {
		problems_add(errs, ptr, "longer than %zu bytes: no host path is",
		             sizeof(clean) - 1);
		return;
	}
	if (walk(raw + var, clean, sizeof(clean))) {
		if (var > 0)
			problems_add(errs, ptr,
			             "\"..\" climbs out of %.*s: a path must stay inside "
			             "its variable",
			             var, raw);
		else
			problems_add(errs, ptr, "\"..\" climbs above \"/\"");
		return;
	}
	if (var > 0)
		return;
	if (clean[0] == '\0') {
		problems_add(errs, ptr, "%s is the whole host: name the directories instead",
		             strcmp(raw, "/") == 0 ? "\"/\"" : "this path");
		return;
	}
	if (share && warns != NULL && is_broad(clean))
		problems_add(warns, ptr,
		             "shares all of %s: everything under it (other users' files, the "
		             "system's state) can be mounted into containers; share narrower "
		             "paths",
		             clean);
}

int
settings_check_paths(const json_t *doc, struct problems *errs, struct problems *warns)
{
	const json_t *shares = json_object_get(doc, "filesharingAllowedDirectories"), *v;
	const json_t *prot =
	    json_object_get(json_object_get(doc, "containerPolicy"), "protectedHostPaths");
	size_t before = errs->n, i;
	char ptr[96];

	json_array_foreach(shares, i, v)
	{
		snprintf(ptr, sizeof(ptr), "/filesharingAllowedDirectories/%zu/path", i);
		check_one(json_object_get(v, "path"), ptr, 1, errs, warns);
	}
	json_array_foreach(prot, i, v)
	{
		snprintf(ptr, sizeof(ptr), "/containerPolicy/protectedHostPaths/%zu", i);
		check_one(v, ptr, 0, errs, warns);
	}
	return errs->n == before ? 0 : -1;
}

/* ---------------------------------------------------------------------------
 * Paths */

void
settings_env_default(struct settings_env *env)
{
	const char *v;

	env->homes = NULL;
	env->nhomes = 0;
	v = getenv("TMP");
	if (v == NULL || *v == '\0')
		v = getenv("TMPDIR");
	if (v == NULL || *v == '\0')
		v = "/tmp";
	env->tmp = v;
	v = getenv("TEMP");
	env->temp = v != NULL && *v != '\0' ? v : env->tmp;
}

/* base + rest, cleaned, appended to out when absolute and not "/" (a
 * variable whose value is "/" would share, or protect, the whole host: it
 * stands for nothing instead). 0, or -1 on ENOMEM. */
static int
expand_one(const char *base, const char *rest, json_t *out)
{
	char *p = NULL;
	int rc;

	if (base == NULL || asprintf(&p, "%s/%s", base, rest) < 0)
		return base == NULL ? 0 : -1;
	if (p[0] == '/') {
		/* The engine's cleaner: shares and mounts are compared cleaned alike. */
		size_t n = strlen(p) + 2;
		char *clean = malloc(n);

		if (clean == NULL || hostpath_clean(p, clean, n) != 0) {
			free(clean);
			free(p);
			return -1;
		}
		free(p);
		p = clean;
	}
	if (p[0] != '/' || p[1] == '\0') {
		free(p);
		return 0;
	}
	rc = json_array_append_new(out, json_string(p));
	free(p);
	return rc;
}

json_t *
settings_expand_all(const char *raw, const struct settings_env *env)
{
	json_t *out = json_array();
	size_t n;
	int rc = 0;

	if (out == NULL || raw == NULL)
		return out;
	if (raw[0] == '/') {
		rc = expand_one("", raw, out);
	} else if (strncmp(raw, "$HOME", n = 5) == 0 && (raw[n] == '/' || raw[n] == '\0')) {
		for (size_t i = 0; env != NULL && i < env->nhomes && rc == 0; i++)
			rc = expand_one(env->homes[i], raw + n, out);
	} else if (strncmp(raw, "$TEMP", n = 5) == 0 && (raw[n] == '/' || raw[n] == '\0')) {
		rc = expand_one(env ? env->temp : NULL, raw + n, out);
	} else if (strncmp(raw, "$TMP", n = 4) == 0 && (raw[n] == '/' || raw[n] == '\0')) {
		rc = expand_one(env ? env->tmp : NULL, raw + n, out);
	}
	if (rc != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

char *
settings_expand_path(const char *raw, const struct settings_env *env)
{
	json_t *all = settings_expand_all(raw, env);
	const char *first = json_string_value(json_array_get(all, 0));
	char *out = first ? strdup(first) : NULL;

	json_decref(all);
	return out;
}

static int
names_home(const json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL && strncmp(s, "$HOME", 5) == 0 && (s[5] == '/' || s[5] == '\0');
}

int
settings_uses_home(const json_t *doc)
{
	const json_t *shares = json_object_get(doc, "filesharingAllowedDirectories"), *v;
	const json_t *prot =
	    json_object_get(json_object_get(doc, "containerPolicy"), "protectedHostPaths");
	size_t i;

	json_array_foreach(shares, i, v)
	{
		if (names_home(json_object_get(v, "path")))
			return 1;
	}
	json_array_foreach(prot, i, v)
	{
		if (names_home(v))
			return 1;
	}
	return 0;
}
