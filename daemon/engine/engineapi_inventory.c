/* SPDX-License-Identifier: Apache-2.0 */
/* The inventory of every Docker Engine API route (API 1.24 to 1.56, plus what
 * dockerd's router serves beyond the documents), each with its class, its
 * command id and whether dockerd reads its parameters from r.Form. */
#include <string.h>

#include "engineapi_int.h"

enum { FORM = 1, WIDE = 2 };

/* One row: method, pattern, route and class (without their ENGINEAPI_
 * prefix), command id or NULL, FORM | WIDE flags. */
#define ROW(method, pattern, route, klass, command, flags)                      \
	{                                                                       \
		method, pattern, ENGINEAPI_##route, ENGINEAPI_##klass, command, \
		    ((flags)&FORM) != 0, ((flags)&WIDE) != 0                    \
	}

/* In the order dockerd's router registers them: where two patterns match one
 * path (DELETE of a checkpoint, DELETE of a container), the first one wins.
 *
 * FORM: the handler calls httputils.ParseForm, r.FormValue or a helper that
 * does (BoolValue, ArchiveFormValues), so for POST and PUT an urlencoded body
 * joins the query and its values come first. Go never reads a DELETE body
 * into r.Form, so DELETE rows carry no FORM.
 *
 * WIDE: dockerd's pattern is {name:.*} (containers, exec, images, networks,
 * plugins, volumes, distribution); {id} of services, nodes, tasks, secrets
 * and configs matches one segment. */
static const struct engineapi_entry inventory[] = {
    /* Checkpoints (experimental) come first: their router is added first. */
    ROW("GET", "/containers/{id}/checkpoints", CHECKPOINT, JUDGED, NULL, WIDE),
    ROW("POST", "/containers/{id}/checkpoints", CHECKPOINT, JUDGED, "checkpoint create",
        FORM | WIDE),
    ROW("DELETE", "/containers/{id}/checkpoints/{checkpoint}", CHECKPOINT, JUDGED, NULL, 0),

    ROW("HEAD", "/containers/{id}/archive", CONTAINER_ARCHIVE, JUDGED, "cp", WIDE),
    ROW("GET", "/containers/json", OTHER, READONLY, NULL, 0),
    ROW("GET", "/containers/{id}/export", OTHER, READONLY, "export", WIDE),
    ROW("GET", "/containers/{id}/changes", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/containers/{id}/json", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/containers/{id}/top", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/containers/{id}/logs", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/containers/{id}/stats", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/containers/{id}/attach/ws", CONTAINER_ATTACH, JUDGED, NULL, WIDE),
    ROW("GET", "/exec/{id}/json", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/containers/{id}/archive", CONTAINER_ARCHIVE, JUDGED, "cp", WIDE),
    ROW("POST", "/containers/create", CONTAINER_CREATE, JUDGED, NULL, FORM),
    ROW("POST", "/containers/{id}/kill", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/pause", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/unpause", CONTAINER_UNPAUSE, JUDGED, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/restart", CONTAINER_RESTART, JUDGED, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/start", CONTAINER_START, JUDGED, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/stop", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/wait", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/resize", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/attach", CONTAINER_ATTACH, JUDGED, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/exec", EXEC_CREATE, JUDGED, "exec", FORM | WIDE),
    ROW("POST", "/exec/{id}/start", EXEC_START, JUDGED, "exec", FORM | WIDE),
    ROW("POST", "/exec/{id}/resize", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/rename", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/containers/{id}/update", CONTAINER_UPDATE, JUDGED, "container update",
        FORM | WIDE),
    ROW("POST", "/containers/prune", OTHER, READONLY, "prune", FORM),
    ROW("POST", "/commit", COMMIT, JUDGED, "commit", FORM),
    ROW("PUT", "/containers/{id}/archive", CONTAINER_ARCHIVE, JUDGED, "cp", FORM | WIDE),
    ROW("DELETE", "/containers/{id}", OTHER, READONLY, NULL, WIDE),

    ROW("GET", "/images/json", OTHER, READONLY, NULL, 0),
    ROW("GET", "/images/search", REGISTRY_READ, JUDGED, NULL, 0),
    ROW("GET", "/images/get", OTHER, READONLY, NULL, 0),
    ROW("GET", "/images/{name}/get", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/images/{name}/history", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/images/{name}/json", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/images/{name}/attestations", OTHER, READONLY, NULL, WIDE),
    ROW("POST", "/images/load", IMAGE_LOAD, JUDGED, "image load", FORM),
    ROW("POST", "/images/create", IMAGE_CREATE, JUDGED, NULL, FORM),
    ROW("POST", "/images/{name}/push", IMAGE_PUSH, JUDGED, "image push", FORM | WIDE),
    ROW("POST", "/images/{name}/tag", IMAGE_TAG, JUDGED, "image tag", FORM | WIDE),
    ROW("POST", "/images/prune", OTHER, READONLY, "prune", FORM),
    ROW("DELETE", "/images/{name}", OTHER, READONLY, NULL, WIDE),

    ROW("GET", "/_ping", OTHER, READONLY, NULL, 0),
    ROW("HEAD", "/_ping", OTHER, READONLY, NULL, 0),
    ROW("GET", "/events", OTHER, READONLY, NULL, 0),
    ROW("GET", "/info", OTHER, READONLY, NULL, 0),
    ROW("GET", "/version", OTHER, READONLY, NULL, 0),
    ROW("GET", "/system/df", OTHER, READONLY, NULL, 0),
    ROW("POST", "/auth", REGISTRY_LOGIN, JUDGED, NULL, 0),

    ROW("GET", "/volumes", OTHER, READONLY, NULL, 0),
    ROW("GET", "/volumes/{name}", OTHER, READONLY, NULL, WIDE),
    ROW("POST", "/volumes/create", VOLUME_CREATE, JUDGED, "volume create", FORM),
    ROW("POST", "/volumes/prune", OTHER, READONLY, "prune", FORM),
    ROW("PUT", "/volumes/{name}", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("DELETE", "/volumes/{name}", OTHER, READONLY, NULL, WIDE),

    ROW("POST", "/build", BUILD, JUDGED, "build", FORM),
    ROW("POST", "/build/prune", OTHER, READONLY, "prune", FORM),
    ROW("POST", "/build/cancel", OTHER, READONLY, NULL, FORM),
    /* BuildKit's session stream: a hijacked connection whose content an
     * authorization plugin never sees. It serves a build (POST /build or
     * /grpc) and does nothing alone; refused with builds. */
    ROW("POST", "/session", OTHER, READONLY, "build", 0),

    /* Refused unless allowed, as a join is: a swarm this node manages takes
     * other managers (GET /swarm gives their token to anyone), and their
     * services' tasks run here without passing this node's plugin. When
     * allowed, its body is judged as swarm update's. */
    ROW("POST", "/swarm/init", SWARM_SPEC, REFUSED, "swarm init", 0),
    ROW("POST", "/swarm/join", SWARM_JOIN, REFUSED, "swarm join", 0),
    ROW("POST", "/swarm/leave", OTHER, READONLY, NULL, FORM),
    ROW("GET", "/swarm", OTHER, READONLY, NULL, 0),
    ROW("GET", "/swarm/unlockkey", OTHER, READONLY, NULL, 0),
    ROW("POST", "/swarm/update", SWARM_SPEC, JUDGED, "swarm update", 0),
    ROW("POST", "/swarm/unlock", OTHER, READONLY, NULL, 0),
    ROW("GET", "/services", OTHER, READONLY, NULL, 0),
    ROW("GET", "/services/{id}", OTHER, READONLY, NULL, 0),
    ROW("POST", "/services/create", SERVICE_CREATE, JUDGED, "service create", 0),
    ROW("POST", "/services/{id}/update", SERVICE_UPDATE, JUDGED, "service update", 0),
    ROW("DELETE", "/services/{id}", OTHER, READONLY, NULL, 0),
    ROW("GET", "/services/{id}/logs", OTHER, READONLY, NULL, 0),
    ROW("GET", "/nodes", OTHER, READONLY, NULL, 0),
    ROW("GET", "/nodes/{id}", OTHER, READONLY, NULL, 0),
    ROW("DELETE", "/nodes/{id}", OTHER, READONLY, NULL, 0),
    /* Its body's Role: docker node promote is a manager made by other means
     * than swarm init (refused as swarm init is). */
    ROW("POST", "/nodes/{id}/update", NODE_UPDATE, JUDGED, NULL, 0),
    ROW("GET", "/tasks", OTHER, READONLY, NULL, 0),
    ROW("GET", "/tasks/{id}", OTHER, READONLY, NULL, 0),
    ROW("GET", "/tasks/{id}/logs", OTHER, READONLY, NULL, 0),
    ROW("GET", "/secrets", OTHER, READONLY, NULL, 0),
    ROW("POST", "/secrets/create", SECRET_CREATE, JUDGED, "secret create", 0),
    ROW("DELETE", "/secrets/{id}", OTHER, READONLY, NULL, 0),
    ROW("GET", "/secrets/{id}", OTHER, READONLY, NULL, 0),
    ROW("POST", "/secrets/{id}/update", OTHER, READONLY, NULL, 0),
    ROW("GET", "/configs", OTHER, READONLY, NULL, 0),
    ROW("POST", "/configs/create", SECRET_CREATE, JUDGED, "config create", 0),
    ROW("DELETE", "/configs/{id}", OTHER, READONLY, NULL, 0),
    ROW("GET", "/configs/{id}", OTHER, READONLY, NULL, 0),
    ROW("POST", "/configs/{id}/update", OTHER, READONLY, NULL, 0),

    ROW("GET", "/plugins", OTHER, READONLY, NULL, 0),
    ROW("GET", "/plugins/{name}/json", OTHER, READONLY, NULL, WIDE),
    ROW("GET", "/plugins/privileges", REGISTRY_READ, JUDGED, NULL, 0),
    ROW("DELETE", "/plugins/{name}", OTHER, READONLY, NULL, WIDE),
    ROW("POST", "/plugins/{name}/enable", PLUGIN_ENABLE, JUDGED, "plugin enable", FORM | WIDE),
    ROW("POST", "/plugins/{name}/disable", OTHER, READONLY, "plugin disable", FORM | WIDE),
    ROW("POST", "/plugins/pull", PLUGIN_INSTALL, JUDGED, "plugin install", FORM),
    ROW("POST", "/plugins/{name}/push", IMAGE_PUSH, JUDGED, NULL, FORM | WIDE),
    ROW("POST", "/plugins/{name}/upgrade", PLUGIN_INSTALL, JUDGED, "plugin install", FORM | WIDE),
    ROW("POST", "/plugins/{name}/set", PLUGIN_SET, JUDGED, "plugin set", WIDE),
    ROW("POST", "/plugins/create", PLUGIN_INSTALL, JUDGED, "plugin install", FORM),
    /* API 1.24 inspected a plugin here; later APIs use /plugins/{name}/json. */
    ROW("GET", "/plugins/{name}", OTHER, READONLY, NULL, WIDE),

    ROW("GET", "/distribution/{name}/json", REGISTRY_READ, JUDGED, NULL, WIDE),

    ROW("GET", "/networks", OTHER, READONLY, NULL, 0),
    ROW("GET", "/networks/{id}", OTHER, READONLY, NULL, WIDE),
    ROW("POST", "/networks/create", NETWORK_CREATE, JUDGED, "network create", FORM),
    ROW("POST", "/networks/{id}/connect", NETWORK_CONNECT, JUDGED, "network connect", FORM | WIDE),
    ROW("POST", "/networks/{id}/disconnect", OTHER, READONLY, NULL, FORM | WIDE),
    ROW("POST", "/networks/prune", OTHER, READONLY, "prune", FORM),
    ROW("DELETE", "/networks/{id}", OTHER, READONLY, NULL, WIDE),

    /* Served with --debug only. */
    ROW("GET", "/debug/vars", OTHER, READONLY, NULL, 0),
    ROW("GET", "/debug/pprof", OTHER, READONLY, NULL, 0),
    ROW("GET", "/debug/pprof/cmdline", OTHER, READONLY, NULL, 0),
    ROW("GET", "/debug/pprof/profile", OTHER, READONLY, NULL, 0),
    ROW("GET", "/debug/pprof/symbol", OTHER, READONLY, NULL, 0),
    ROW("GET", "/debug/pprof/trace", OTHER, READONLY, NULL, 0),
    ROW("GET", "/debug/pprof/{name}", OTHER, READONLY, NULL, 0),

    /* BuildKit's own API over one hijacked stream (buildx's docker driver,
     * what docker build uses since Docker 23): a whole build that no
     * plugin sees, judged by what the policy needs to see of builds. */
    ROW("POST", "/grpc", BUILD_STREAM, JUDGED, "build", 0),

    /* dockerd answers OPTIONS on any path (CORS preflight). */
    ROW("OPTIONS", "/{path}", OTHER, READONLY, NULL, WIDE),
};

const struct engineapi_entry *
engineapi_inventory_at(size_t i)
{
	return i < sizeof(inventory) / sizeof(inventory[0]) ? &inventory[i] : NULL;
}

/* Match path against e's pattern; on success ps[i] and pl[i] locate the
 * first two parameters (NULL and 0 for each that is not there). */
static int
pattern_match(const struct engineapi_entry *e, const char *path, const char *ps[2], size_t pl[2])
{
	const char *pat = e->pattern;
	int np = 0;

	ps[0] = ps[1] = NULL;
	pl[0] = pl[1] = 0;
	while (*pat != '\0') {
		const char *end;

		if (*pat != '{') {
			if (*pat++ != *path++)
				return 0;
			continue;
		}
		pat = strchr(pat, '}') + 1;
		if (e->wide) {
			/* Only literal text follows: the parameter is the rest
			 * of the path but that text, and not empty. */
			size_t tl = strlen(pat), rl = strlen(path);

			if (rl <= tl || strcmp(path + rl - tl, pat) != 0)
				return 0;
			end = path + rl - tl;
		} else {
			end = path + strcspn(path, "/");
			if (end == path)
				return 0;
		}
		if (np < 2) {
			ps[np] = path;
			pl[np++] = (size_t)(end - path);
		}
		if (e->wide)
			return 1;
		path = end;
	}
	return *path == '\0';
}

const struct engineapi_entry *
engineapi_inventory_match(const char *method, char *path, const char **id, const char **id2)
{
	size_t i;

	*id = *id2 = NULL;
	for (i = 0; i < sizeof(inventory) / sizeof(inventory[0]); i++) {
		const struct engineapi_entry *e = &inventory[i];
		const char *ps[2];
		size_t pl[2];

		/* Cheap rejects first: the first letter of the first segment
		 * (every pattern starts with '/'), then the method. */
		if (e->pattern[1] != path[1] && e->pattern[1] != '{')
			continue;
		if (strcmp(e->method, method) != 0 || !pattern_match(e, path, ps, pl))
			continue;
		/* The second first: cutting after the first ends the path there. */
		if (ps[1] != NULL) {
			path[(size_t)(ps[1] - path) + pl[1]] = '\0';
			*id2 = ps[1];
		}
		if (ps[0] != NULL) {
			path[(size_t)(ps[0] - path) + pl[0]] = '\0';
			*id = ps[0];
		}
		return e;
	}
	return NULL;
}
