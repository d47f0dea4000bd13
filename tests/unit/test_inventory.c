/* SPDX-License-Identifier: Apache-2.0 */
/* Holds the Engine API route inventory (engineapi_inventory.c) against
 * tests/cases/engine-api-routes.txt, the routes of moby's API documents 1.24
 * to 1.51 and router: every route there is listed, and every listed route is
 * there, so a route missing from the table or a typo in it fails here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/engineapi_int.h"

#define MIN_ROUTES 120
#define MAX_ROUTES 400

static char routes[MAX_ROUTES][160];
static size_t nroutes;

/* "METHOD /path/{x}" with every parameter name blanked: "METHOD /path/{}". */
static void
shape(const char *method, const char *path, char *out, size_t outsz)
{
	size_t o = (size_t)snprintf(out, outsz, "%s ", method);

	for (; *path != '\0' && o + 3 < outsz; path++) {
		out[o++] = *path;
		if (*path == '{') {
			path += strcspn(path, "}");
			out[o++] = '}';
			if (*path == '\0')
				break;
		}
	}
	out[o] = '\0';
}

static int
load_routes(void)
{
	const char *src = getenv("LOCKSET_SRCDIR");
	char path[4096], line[sizeof(routes[0])];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/cases/engine-api-routes.txt", src ? src : ".");
	fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL && nroutes < MAX_ROUTES) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		memcpy(routes[nroutes++], line, sizeof(line));
	}
	fclose(fp);
	return 0;
}

/* A sample value for a parameter: image and plugin names carry a registry
 * with a port and slashes, as dockerd's {name:.*} lets them. */
static const char *
sample_for(const char *path)
{
	if (strncmp(path, "/images/", 8) == 0 || strncmp(path, "/plugins/", 9) == 0 ||
	    strncmp(path, "/distribution/", 14) == 0)
		return "localhost:5000/a/b";
	return "abc123";
}

/* uri = "/v1.51" + path with each {param} replaced by sample. */
static void
fill(const char *path, const char *sample, char *uri, size_t urisz)
{
	size_t o = (size_t)snprintf(uri, urisz, "/v1.51");

	while (*path != '\0' && o + strlen(sample) + 1 < urisz) {
		if (*path == '{') {
			o += (size_t)snprintf(uri + o, urisz - o, "%s", sample);
			path += strcspn(path, "}");
			if (*path != '\0')
				path++;
		} else {
			uri[o++] = *path++;
		}
	}
	uri[o] = '\0';
}

static void
check_reference_route(const char *line)
{
	char method[16], path[160], uri[256], want[160], got[160];
	const char *sample;
	struct engineapi_target t;

	if (sscanf(line, "%15s %159s", method, path) != 2) {
		CHECK(!"a reference line is METHOD /path");
		return;
	}
	sample = sample_for(path);
	fill(path, sample, uri, sizeof(uri));
	CHECK_INT_EQ(engineapi_classify(method, uri, &t), 0);
	if (t.klass == ENGINEAPI_UNLISTED || t.pattern == NULL) {
		fprintf(stderr, "not listed: %s (%s %s)\n", line, method, uri);
		CHECK(t.pattern != NULL);
		engineapi_target_clear(&t);
		return;
	}
	shape(method, path, want, sizeof(want));
	shape(method, t.pattern, got, sizeof(got));
	if (strcmp(want, got) != 0)
		fprintf(stderr, "%s matched the entry %s\n", line, t.pattern);
	CHECK_STR_EQ(got, want);
	if (strchr(path, '{') != NULL)
		CHECK_STR_EQ(t.id, sample);
	else
		CHECK(t.id == NULL);
	engineapi_target_clear(&t);
}

static void
test_every_engine_api_route_is_listed(void)
{
	size_t i;

	CHECK(nroutes >= MIN_ROUTES);
	for (i = 0; i < nroutes; i++)
		check_reference_route(routes[i]);
}

static int
in_reference(const struct engineapi_entry *e)
{
	char want[160], s[160], method[16], path[160];
	size_t i;

	shape(e->method, e->pattern, want, sizeof(want));
	for (i = 0; i < nroutes; i++) {
		if (sscanf(routes[i], "%15s %159s", method, path) != 2)
			continue;
		shape(method, path, s, sizeof(s));
		if (strcmp(s, want) == 0)
			return 1;
	}
	return 0;
}

static void
test_every_listed_route_is_in_the_reference(void)
{
	const struct engineapi_entry *e;
	size_t i;

	for (i = 0; (e = engineapi_inventory_at(i)) != NULL; i++) {
		if (!in_reference(e))
			fprintf(stderr, "not an Engine API route: %s %s\n", e->method, e->pattern);
		CHECK(in_reference(e));
	}
	CHECK(i >= MIN_ROUTES);
}

/* The deniedCommands vocabulary: a command id outside it is a typo. */
static int
known_command(const char *c)
{
	static const char *const ids[] = {
	    "build",
	    "commit",
	    "exec",
	    "cp",
	    "export",
	    "image load",
	    "image push",
	    "image tag",
	    "plugin install",
	    "plugin set",
	    "plugin enable",
	    "plugin disable",
	    "swarm init",
	    "swarm join",
	    "swarm update",
	    "service create",
	    "service update",
	    "secret create",
	    "config create",
	    "network create",
	    "network connect",
	    "volume create",
	    "container update",
	    "checkpoint create",
	    "prune",
	};
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (strcmp(c, ids[i]) == 0)
			return 1;
	return 0;
}

static int
reads_only(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	       strcmp(method, "OPTIONS") == 0;
}

/* dockerd's router spells the parameter {name:.*} (or .+) on these
 * resources, but for the two-parameter checkpoint delete, and {id} (one
 * segment) on services, nodes, tasks, secrets, configs and debug. */
static int
wide_in_dockerd(const struct engineapi_entry *e)
{
	static const char *const wide[] = {"/containers/",   "/exec/",    "/images/",
	                                   "/networks/",     "/plugins/", "/volumes/",
	                                   "/distribution/", "/{"};
	const char *p = strchr(e->pattern, '{');
	size_t i;

	if (p == NULL || strchr(p + 1, '{') != NULL)
		return 0;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strncmp(e->pattern, wide[i], strlen(wide[i])) == 0)
			return 1;
	return 0;
}

static void
check_entry(const struct engineapi_entry *e)
{
	const char *wide = strchr(e->pattern, '{');

	/* Special routes are judged (or refused); the others are not. */
	CHECK(e->klass != ENGINEAPI_UNLISTED && e->route != ENGINEAPI_UNKNOWN);
	if (e->route == ENGINEAPI_OTHER)
		CHECK_INT_EQ(e->klass, ENGINEAPI_READONLY);
	else
		CHECK(e->klass == ENGINEAPI_JUDGED || e->klass == ENGINEAPI_REFUSED);
	/* A read judges nothing, but a checkpoint list (dockerd makes the
	 * directory its ?dir= names), a cp out of a container (dockerd mounts
	 * its volumes again), a websocket attach (the streams of what runs in
	 * the container) and the reads dockerd answers by asking a registry
	 * (allowedRegistries). */
	if (reads_only(e->method) && strcmp(e->pattern, "/containers/{id}/checkpoints") != 0 &&
	    strcmp(e->pattern, "/containers/{id}/archive") != 0 &&
	    strcmp(e->pattern, "/containers/{id}/attach/ws") != 0)
		CHECK(e->route == ENGINEAPI_OTHER || e->route == ENGINEAPI_REGISTRY_READ);
	if (e->command != NULL && !known_command(e->command))
		fprintf(stderr, "unknown command id \"%s\" on %s\n", e->command, e->pattern);
	CHECK(e->command == NULL || known_command(e->command));
	/* Go reads a body into r.Form for POST, PUT and PATCH only. */
	if (e->form)
		CHECK(strcmp(e->method, "POST") == 0 || strcmp(e->method, "PUT") == 0);
	/* A wide parameter is the only one, and its pattern has one. */
	if (e->wide)
		CHECK(wide != NULL && strchr(strchr(wide, '}'), '{') == NULL);
	if (e->wide != wide_in_dockerd(e))
		fprintf(stderr, "wide is %d on %s %s\n", e->wide, e->method, e->pattern);
	CHECK_INT_EQ(e->wide, wide_in_dockerd(e));
}

static void
test_entries_are_consistent(void)
{
	const struct engineapi_entry *e, *f;
	size_t i, j;

	for (i = 0; (e = engineapi_inventory_at(i)) != NULL; i++) {
		check_entry(e);
		for (j = 0; j < i; j++) {
			f = engineapi_inventory_at(j);
			if (strcmp(e->method, f->method) == 0 &&
			    strcmp(e->pattern, f->pattern) == 0)
				fprintf(stderr, "listed twice: %s %s\n", e->method, e->pattern);
			CHECK(strcmp(e->method, f->method) != 0 ||
			      strcmp(e->pattern, f->pattern) != 0);
		}
	}
}

int
main(void)
{
	if (load_routes() == -1)
		return 1;
	RUN(test_every_engine_api_route_is_listed);
	RUN(test_every_listed_route_is_in_the_reference);
	RUN(test_entries_are_consistent);
	return CHECK_DONE();
}
