/* SPDX-License-Identifier: Apache-2.0 */
/* Engine API request targets: which inventory route a method + URI reaches,
 * mirroring dockerd's router (percent-decoded once, cleaned, optional /vX.Y
 * prefix, case-sensitive), and its query parameters read as Go's url.Values. */
#include <stdlib.h>
#include <string.h>

#include "engineapi.h"
#include "engineapi_int.h"
#include "gojson.h"
#include "hostpath.h"

const char *
engineapi_route_name(enum engineapi_route route)
{
	switch (route) {
	case ENGINEAPI_CONTAINER_CREATE:
		return "container.create";
	case ENGINEAPI_EXEC_CREATE:
		return "exec.create";
	case ENGINEAPI_CONTAINER_UPDATE:
		return "container.update";
	case ENGINEAPI_CONTAINER_RESTART:
		return "container.restart";
	case ENGINEAPI_CONTAINER_START:
		return "container.start";
	case ENGINEAPI_CONTAINER_ATTACH:
		return "container.attach";
	case ENGINEAPI_EXEC_START:
		return "exec.start";
	case ENGINEAPI_CONTAINER_UNPAUSE:
		return "container.unpause";
	case ENGINEAPI_IMAGE_CREATE:
		return "image.create";
	case ENGINEAPI_IMAGE_LOAD:
		return "image.load";
	case ENGINEAPI_BUILD:
	case ENGINEAPI_BUILD_STREAM:
		return "build";
	case ENGINEAPI_PLUGIN_INSTALL:
		return "plugin.install";
	case ENGINEAPI_VOLUME_CREATE:
		return "volume.create";
	case ENGINEAPI_SERVICE_CREATE:
		return "service.create";
	case ENGINEAPI_SERVICE_UPDATE:
		return "service.update";
	case ENGINEAPI_SWARM_JOIN:
		return "swarm.join";
	case ENGINEAPI_PLUGIN_SET:
		return "plugin.set";
	case ENGINEAPI_PLUGIN_ENABLE:
		return "plugin.enable";
	case ENGINEAPI_IMAGE_TAG:
		return "image.tag";
	case ENGINEAPI_IMAGE_PUSH:
		return "image.push";
	case ENGINEAPI_REGISTRY_LOGIN:
		return "registry.login";
	case ENGINEAPI_REGISTRY_READ:
		return "registry.read";
	case ENGINEAPI_COMMIT:
		return "commit";
	case ENGINEAPI_UNKNOWN:
		return "unknown";
	case ENGINEAPI_NETWORK_CONNECT: /* audited as any other route */
	case ENGINEAPI_CHECKPOINT:
	case ENGINEAPI_CONTAINER_ARCHIVE:
	case ENGINEAPI_NETWORK_CREATE:
	case ENGINEAPI_SWARM_SPEC:
	case ENGINEAPI_NODE_UPDATE:
	case ENGINEAPI_SECRET_CREATE:
	case ENGINEAPI_OTHER:
		break;
	}
	return "other";
}

/* Percent-decode n bytes of s into out (at least n + 1 bytes); a '%' not
 * followed by two hex digits stays literal. plus != 0 turns '+' into ' '. */
static void
pct_decode(const char *s, size_t n, char *out, int plus)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && gojson_hexval((unsigned char)s[i + 1]) >= 0 &&
		    gojson_hexval((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(gojson_hexval((unsigned char)s[i + 1]) * 16 +
			                  gojson_hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (plus && s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* Is the version v (n bytes of digits and dots) before 1.minor, compared as
 * dockerd compares them: numerically, component by component, a missing
 * component counting as 0 ("1.9" < "1.24" < "1.24.1" < "2")? */
static int
version_before_1(const char *v, size_t n, long minor)
{
	long c[2] = {0, 0};
	size_t i = 0;

	for (int k = 0; k < 2 && i < n; k++, i++) /* i++: past the dot */
		for (; i < n && v[i] != '.'; i++)
			if (c[k] < 100000)
				c[k] = c[k] * 10 + (v[i] - '0');
	return c[0] < 1 || (c[0] == 1 && c[1] < minor);
}

/* GET, HEAD and OPTIONS change nothing; any other method (including an
 * unknown or lower-case one, which dockerd would not route) may. */
static int
method_mutates(const char *method)
{
	return method == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	                          strcmp(method, "OPTIONS") != 0);
}

/* What the inventory says of path (decoded, cleaned, unversioned; NULL when
 * the URI has none); a mutating request on a path it does not list is
 * UNKNOWN. */
static void
classify_path(const char *method, char *path, struct engineapi_target *t)
{
	const struct engineapi_entry *e = NULL;

	if (method != NULL && path != NULL)
		e = engineapi_inventory_match(method, path, &t->id, &t->id2);
	if (e == NULL) {
		if (method_mutates(method)) {
			t->route = ENGINEAPI_UNKNOWN;
			t->klass = ENGINEAPI_UNLISTED;
		}
		return;
	}
	t->route = e->route;
	t->klass = e->klass;
	t->command = e->command;
	t->pattern = e->pattern;
	t->form = e->form;
}

/* Where the path of request target uri starts, as Go's url.ParseRequestURI
 * (dockerd's server) reads it: an origin-form target is its own path; any
 * other must begin with a scheme ([A-Za-z][A-Za-z0-9+.-]*":"), after which,
 * the query cut off first, comes "//authority" then the path, or the path
 * itself. NULL when there is no path to route: Go refuses the target (no
 * scheme, an opaque "x:path") or the authority runs to the query or the end
 * (gorilla/mux answers such an empty path with a redirect). A "://" inside
 * the query is the query's. */
static const char *
request_path(const char *uri)
{
	const char *rest, *p;
	size_t i;

	if (uri[0] == '/')
		return uri;
	for (i = 0; uri[i] != ':'; i++) {
		char ch = uri[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (i > 0 && ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))))
			return NULL;
	}
	if (i == 0)
		return NULL;
	rest = uri + i + 1;
	if (rest[0] == '/' && rest[1] == '/') {
		for (p = rest + 2; *p != '\0' && *p != '?' && *p != '/'; p++)
			;
		return *p == '/' ? p : NULL;
	}
	return rest[0] == '/' ? rest : NULL;
}

int
engineapi_classify(const char *method, const char *uri, struct engineapi_target *t)
{
	const char *q;
	char *dec, *path;
	size_t n;
	int result = -1;

	t->route = ENGINEAPI_OTHER;
	t->klass = ENGINEAPI_READONLY;
	t->command = NULL;
	t->pattern = NULL;
	t->form = 0;
	t->id = NULL;
	t->id2 = NULL;
	t->query = NULL;
	t->heap = NULL;
	/* Decoded, %00 would end the path or a parameter here and not in Go. */
	t->nul = uri != NULL && strstr(uri, "%00") != NULL;
	t->before_1_24 = 0;
	t->before_1_41 = 0;
	/* Absolute-form request target: "http://host/v1.47/containers/create",
	 * "x:/v1.47/containers/create". */
	if (uri != NULL)
		uri = request_path(uri);
	if (uri == NULL) {
		classify_path(method, NULL, t);
		return 0;
	}
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (q != NULL)
		t->query = q + 1;
	/* Decoded and cleaned halves share one buffer. */
	if (2 * (n + 1) <= sizeof(t->buf)) {
		dec = t->buf;
	} else {
		t->heap = malloc(2 * (n + 1));
		if (t->heap == NULL)
			goto out;
		dec = t->heap;
	}
	path = dec + n + 1;
	pct_decode(uri, n, dec, 0);
	if (hostpath_clean(dec, path, n + 1) == -1)
		goto out;
	/* Optional "/v[0-9.]+" version segment. */
	if (path[0] == '/' && path[1] == 'v') {
		size_t i = 2;

		while (path[i] == '.' || (path[i] >= '0' && path[i] <= '9'))
			i++;
		if (i > 2 && path[i] == '/') {
			t->before_1_24 = version_before_1(path + 2, i - 2, 24);
			t->before_1_41 = version_before_1(path + 2, i - 2, 41);
			path += i;
		}
	}
	classify_path(method, path, t);
	result = 0;
out:
	return result;
}

int
engineapi_reads_body(const char *method, enum engineapi_route route)
{
	switch (route) {
	case ENGINEAPI_CONTAINER_CREATE:
	case ENGINEAPI_EXEC_CREATE:
	case ENGINEAPI_CONTAINER_UPDATE:
	case ENGINEAPI_CONTAINER_START:
	case ENGINEAPI_VOLUME_CREATE:
	case ENGINEAPI_SERVICE_CREATE:
	case ENGINEAPI_SERVICE_UPDATE:
	case ENGINEAPI_NETWORK_CONNECT:
	case ENGINEAPI_NETWORK_CREATE:
	case ENGINEAPI_SWARM_SPEC:
	case ENGINEAPI_NODE_UPDATE:
	case ENGINEAPI_SECRET_CREATE:
	case ENGINEAPI_REGISTRY_LOGIN:
		return 1;
	case ENGINEAPI_CHECKPOINT: /* a create; a list and a delete have none */
		return method != NULL && strcmp(method, "POST") == 0;
	default:
		return 0;
	}
}

void
engineapi_target_clear(struct engineapi_target *t)
{
	if (t == NULL)
		return;
	free(t->heap);
	t->heap = NULL;
}

int
engineapi_query_next(const char **cursor, const char *key, char *buf, size_t bufsz)
{
	const char *p = *cursor;
	size_t kl = strlen(key);
	char kbuf[128];

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		const char *pair = p, *eq, *end = strchr(p, '&');
		size_t pl, klen;

		if (end == NULL)
			end = p + strlen(p);
		p = *end == '&' ? end + 1 : end;
		pl = (size_t)(end - pair);
		eq = memchr(pair, '=', pl);
		klen = eq != NULL ? (size_t)(eq - pair) : pl;
		if (klen >= sizeof(kbuf) || klen < kl)
			continue;
		pct_decode(pair, klen, kbuf, 1);
		if (strcmp(kbuf, key) != 0)
			continue;
		*cursor = p;
		if (bufsz == 0)
			return 1;
		if (eq == NULL) {
			buf[0] = '\0';
		} else {
			size_t vl = (size_t)(end - eq - 1);

			if (vl >= bufsz) {
				pct_decode(eq + 1, bufsz - 1, buf, 1);
				return 2;
			}
			pct_decode(eq + 1, vl, buf, 1);
		}
		return 1;
	}
	*cursor = p;
	return 0;
}
