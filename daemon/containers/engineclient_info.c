/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's own isolation, as GET /info describes it: whether it runs
 * containers in user namespaces (SecurityOptions "name=userns" from
 * userns-remap, "name=rootless"), which Enhanced Container Isolation needs,
 * whether a container that names no cgroup namespace mode gets its own
 * ("name=cgroupns"), which --cgroupns=host needs, and which runtimes other
 * than runc it runs containers with (a runtime can add to a container what
 * its request does not show: NVIDIA's, the host's GPUs). */
#include "engineclient.h"

#include "engineclient_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* 1 when the option (Docker 1.13+: "name=userns", "name=seccomp,profile=x")
 * has the name given. Older engines listed bare names ("userns"). */
static int
option_is(const char *opt, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(opt, "name=", 5) == 0)
		opt += 5;
	return strncmp(opt, name, n) == 0 && (opt[n] == '\0' || opt[n] == ',');
}

/* Append text to list (cap bytes), after sep unless it is the first, cut
 * with "..." when full. */
static void
add_item(char *list, size_t cap, const char *sep, const char *text)
{
	size_t len = strlen(list);
	int n;

	if (len + 4 >= cap)
		return; /* cut already */
	n = snprintf(list + len, cap - len, "%s%s", len > 0 ? sep : "", text);
	if (n < 0 || (size_t)n >= cap - len)
		memcpy(list + cap - 4, "...", 4);
}

int
engineclient_runtime_stock(const char *name)
{
	return strcmp(name, "runc") == 0 || strcmp(name, "io.containerd.runc.v2") == 0 ||
	       strcmp(name, "io.containerd.runtime.v1.linux") == 0;
}

int
engineclient_default_stock(const struct engineclient_info *i)
{
	return i->default_runtime[0] == '\0' || engineclient_runtime_stock(i->default_runtime);
}

int
engineclient_runc_only(const struct engineclient_info *i)
{
	return i->runtimes[0] == '\0' && engineclient_default_stock(i);
}

/* The engine's runtimes into out. 0, or -1 (err set). */
static int
read_runtimes(const json_t *info, struct engineclient_info *out, char *err, size_t errsz)
{
	const json_t *rts = json_object_get(info, "Runtimes"), *rt,
	             *deflt = json_object_get(info, "DefaultRuntime");
	const char *name;

	if (rts != NULL && !json_is_object(rts) && !json_is_null(rts)) {
		engineclient_seterr(err, errsz, "GET /info: Runtimes is not an object");
		return -1;
	}
	if (deflt != NULL && !json_is_string(deflt) && !json_is_null(deflt)) {
		engineclient_seterr(err, errsz, "GET /info: DefaultRuntime is not a string");
		return -1;
	}
	snprintf(out->default_runtime, sizeof(out->default_runtime), "%s",
	         deflt != NULL && json_is_string(deflt) ? json_string_value(deflt) : "");
	json_object_foreach((json_t *)rts, name, rt)
	{
		const char *path = json_string_value(json_object_get(rt, "path"));
		char item[256];

		if (engineclient_runtime_stock(name))
			continue;
		snprintf(item, sizeof(item), "%s (%s)", name,
		         path && path[0] ? path : "no path given");
		add_item(out->runtimes, sizeof(out->runtimes), ", ", item);
	}
	return 0;
}

/* Read the reply's object into out. 0, or -1 (err set). */
static int
read_info(const json_t *info, struct engineclient_info *out, char *err, size_t errsz)
{
	const json_t *opts = json_object_get(info, "SecurityOptions"), *o;
	const char *version = json_string_value(json_object_get(info, "ServerVersion"));
	int userns = 0, rootless = 0;
	size_t i;

	/* Every /info object has an ID or a Name: anything else is not an engine. */
	if (!json_is_object(info) ||
	    (json_object_get(info, "ID") == NULL && json_object_get(info, "Name") == NULL)) {
		engineclient_seterr(err, errsz, "GET /info: not an engine's /info object");
		return -1;
	}
	if (opts != NULL && !json_is_array(opts) && !json_is_null(opts)) {
		engineclient_seterr(err, errsz, "GET /info: SecurityOptions is not a list");
		return -1;
	}
	json_array_foreach(opts, i, o)
	{
		const char *s = json_string_value(o);

		if (s == NULL) {
			engineclient_seterr(err, errsz,
			                    "GET /info: SecurityOptions[%zu] is not a string", i);
			return -1;
		}
		userns |= option_is(s, "userns");
		rootless |= option_is(s, "rootless");
		out->cgroupns_private |= option_is(s, "cgroupns");
		add_item(out->options, sizeof(out->options), "; ", s);
	}
	out->userns = rootless ? ENGINECLIENT_ROOTLESS
	              : userns ? ENGINECLIENT_USERNS
	                       : ENGINECLIENT_NO_USERNS;
	snprintf(out->version, sizeof(out->version), "%s", version != NULL ? version : "");
	return read_runtimes(info, out, err, errsz);
}

int
engineclient_info(const char *socket, int timeout_ms, struct engineclient_info *out, char *err,
                  size_t errsz)
{
	struct engineclient_reply r;
	json_t *info;
	int rc;

	memset(out, 0, sizeof(*out));
	if (engineclient_get(socket, "/info", timeout_ms, ENGINECLIENT_MAX_BODY, &r, err, errsz) !=
	    0)
		return -1;
	if (r.status != 200) {
		engineclient_seterr(err, errsz, "GET /info: status %d", r.status);
		engineclient_reply_clear(&r);
		return -1;
	}
	info = json_loadb(r.body, r.len, 0, NULL);
	engineclient_reply_clear(&r);
	rc = read_info(info, out, err, errsz);
	json_decref(info);
	return rc;
}

/* The system paths dockerd writes into a container that names none, by
 * its version (engineclient.h). */
void
engineclient_drop_default_paths(json_t *hc, const char *engine_version)
{
	for (int masked = 0; masked < 2; masked++) {
		const char *name = masked ? "MaskedPaths" : "ReadonlyPaths", *list[64];
		const json_t *a = json_object_get(hc, name), *v;
		size_t i, n = 0;

		json_array_foreach(a, i, v)
		{
			if (!json_is_string(v) || n == sizeof(list) / sizeof(list[0]))
				break;
			list[n++] = json_string_value(v);
		}
		if (json_is_array(a) && n == json_array_size(a) &&
		    decide_systempaths_engine_default(masked, list, n, engine_version))
			json_object_del(hc, name);
	}
}
