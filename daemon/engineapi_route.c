/* SPDX-License-Identifier: Apache-2.0 */
/* Engine API request targets: which route a method + URI reaches, mirroring
 * dockerd's router (percent-decoded once, cleaned, optional /vX.Y prefix,
 * case-sensitive), and its query parameters read as Go's url.Values. */
#include <stdlib.h>
#include <string.h>

#include "engineapi.h"
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
	case ENGINEAPI_CONTAINER_START:
		return "container.start";
	case ENGINEAPI_IMAGE_CREATE:
		return "image.create";
	case ENGINEAPI_IMAGE_LOAD:
		return "image.load";
	case ENGINEAPI_BUILD:
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
	case ENGINEAPI_COMMIT:
		return "commit";
	case ENGINEAPI_UNKNOWN:
		return "unknown";
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

/* path = "/containers/" X suffix with X non-empty: return X (in place). */
static const char *
match_middle(char *path, const char *head, const char *suffix)
{
	size_t hl = strlen(head), sl = strlen(suffix), pl = strlen(path);

	if (pl <= hl + sl || strncmp(path, head, hl) != 0 || strcmp(path + pl - sl, suffix) != 0)
		return NULL;
	path[pl - sl] = '\0';
	return path + hl;
}

static enum engineapi_route
match_route(char *p, const char **id)
{
	*id = NULL;
	if (strcmp(p, "/containers/create") == 0)
		return ENGINEAPI_CONTAINER_CREATE;
	if (strcmp(p, "/images/create") == 0)
		return ENGINEAPI_IMAGE_CREATE;
	if (strcmp(p, "/images/load") == 0)
		return ENGINEAPI_IMAGE_LOAD;
	if (strcmp(p, "/build") == 0)
		return ENGINEAPI_BUILD;
	if (strcmp(p, "/plugins/pull") == 0 || strcmp(p, "/plugins/create") == 0)
		return ENGINEAPI_PLUGIN_INSTALL;
	if (strcmp(p, "/volumes/create") == 0)
		return ENGINEAPI_VOLUME_CREATE;
	if ((*id = match_middle(p, "/containers/", "/exec")) != NULL)
		return ENGINEAPI_EXEC_CREATE;
	if ((*id = match_middle(p, "/containers/", "/update")) != NULL)
		return ENGINEAPI_CONTAINER_UPDATE;
	if ((*id = match_middle(p, "/containers/", "/start")) != NULL)
		return ENGINEAPI_CONTAINER_START;
	if ((*id = match_middle(p, "/plugins/", "/upgrade")) != NULL)
		return ENGINEAPI_PLUGIN_INSTALL;
	if (strcmp(p, "/services/create") == 0)
		return ENGINEAPI_SERVICE_CREATE;
	if (strcmp(p, "/swarm/join") == 0)
		return ENGINEAPI_SWARM_JOIN;
	if (strcmp(p, "/commit") == 0)
		return ENGINEAPI_COMMIT;
	if ((*id = match_middle(p, "/services/", "/update")) != NULL)
		return ENGINEAPI_SERVICE_UPDATE;
	if ((*id = match_middle(p, "/plugins/", "/set")) != NULL)
		return ENGINEAPI_PLUGIN_SET;
	if ((*id = match_middle(p, "/plugins/", "/enable")) != NULL)
		return ENGINEAPI_PLUGIN_ENABLE;
	if ((*id = match_middle(p, "/images/", "/tag")) != NULL)
		return ENGINEAPI_IMAGE_TAG;
	return ENGINEAPI_OTHER;
}

int
engineapi_classify(const char *method, const char *uri, struct engineapi_target *t)
{
	const char *q, *s;
	char *dec, *path;
	size_t n;
	int result = -1;

	t->route = ENGINEAPI_OTHER;
	t->klass = ENGINEAPI_READONLY;
	t->command = NULL;
	t->pattern = NULL;
	t->form = 0;
	t->id = NULL;
	t->query = NULL;
	t->heap = NULL;
	if (method == NULL || uri == NULL || strcmp(method, "POST") != 0)
		return 0;
	/* Absolute-form request target: "http://host/v1.47/containers/create". */
	if (uri[0] != '/') {
		s = strstr(uri, "://");
		if (s == NULL || (s = strchr(s + 3, '/')) == NULL)
			return 0;
		uri = s;
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
		if (i > 2 && path[i] == '/')
			path += i;
	}
	t->route = match_route(path, &t->id);
	if (t->route != ENGINEAPI_OTHER)
		t->klass = ENGINEAPI_JUDGED;
	if (t->route == ENGINEAPI_SWARM_JOIN) {
		t->klass = ENGINEAPI_REFUSED;
		t->command = "swarm join";
	}
	if (t->route == ENGINEAPI_BUILD || t->route == ENGINEAPI_COMMIT)
		t->command = t->route == ENGINEAPI_BUILD ? "build" : "commit";
	t->form = t->route == ENGINEAPI_IMAGE_CREATE || t->route == ENGINEAPI_BUILD ||
	          t->route == ENGINEAPI_COMMIT || t->route == ENGINEAPI_IMAGE_TAG ||
	          t->route == ENGINEAPI_PLUGIN_INSTALL;
	result = 0;
out:
	return result;
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

			if (vl >= bufsz)
				vl = bufsz - 1;
			pct_decode(eq + 1, vl, buf, 1);
		}
		return 1;
	}
	*cursor = p;
	return 0;
}
