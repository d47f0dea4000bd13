/* SPDX-License-Identifier: Apache-2.0 */
/* Pieces of the docker CLI's request building that several translators of
 * locksetctl check share: image references normalised for a pull,
 * capabilities normalised and netted out, --mount specifications, key=value
 * options and sizes. */
#include "check.h"
#include "ctl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
check_image_ref(struct check_plan *p, const char *ref, char *name, size_t namesz, char *tag,
                size_t tagsz)
{
	char buf[1024], *at, *slash, *colon, *first_slash;
	const char *domain = "docker.io", *rest;

	if (snprintf(buf, sizeof(buf), "%s", ref) >= (int)sizeof(buf) || buf[0] == '\0')
		return check_fail(p, "invalid reference format: %s", ref);
	snprintf(tag, tagsz, "latest");
	if ((at = strchr(buf, '@')) != NULL) {
		*at = '\0';
		snprintf(tag, tagsz, "%s", at + 1);
	}
	slash = strrchr(buf, '/');
	colon = strrchr(slash ? slash : buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (at == NULL)
			snprintf(tag, tagsz, "%s", colon + 1);
	}
	rest = buf;
	first_slash = strchr(buf, '/');
	if (first_slash != NULL) {
		*first_slash = '\0';
		if (strchr(buf, '.') || strchr(buf, ':') || strcmp(buf, "localhost") == 0) {
			domain = strcmp(buf, "index.docker.io") == 0 ? "docker.io" : buf;
			rest = first_slash + 1;
		} else {
			*first_slash = '/';
		}
	}
	snprintf(name, namesz, "%s/%s%s", domain,
	         strcmp(domain, "docker.io") == 0 && strchr(rest, '/') == NULL ? "library/" : "",
	         rest);
	return 0;
}

int
check_pull_request(struct check_plan *p, const char *ref, const char *platform, int conditional)
{
	char name[1100], tag[256], uri[4096] = CHECK_API "/images/create", label[96];
	struct check_request *r;

	if (check_image_ref(p, ref, name, sizeof(name), tag, sizeof(tag)) != 0)
		return -1;
	/* Go's url.Values encodes its keys sorted. */
	ctl_query_add(uri, sizeof(uri), "fromImage", name);
	ctl_query_add(uri, sizeof(uri), "platform", platform);
	ctl_query_add(uri, sizeof(uri), "tag", tag);
	snprintf(label, sizeof(label), conditional ? "pull (if %.60s is not present)" : "pull",
	         ref);
	if ((r = check_add(p, label, uri, NULL)) == NULL)
		return check_fail(p, "too many requests");
	r->conditional = conditional;
	return 0;
}

void
check_cap_add(json_t *caps, const char *cap)
{
	char buf[128];
	size_t i, o = 0;
	json_t *v;

	while (isspace((unsigned char)*cap))
		cap++;
	if (strcasecmp(cap, "ALL") != 0 && strncasecmp(cap, "CAP_", 4) != 0)
		o = (size_t)snprintf(buf, sizeof(buf), "CAP_");
	for (; *cap && o + 1 < sizeof(buf); cap++)
		buf[o++] = (char)toupper((unsigned char)*cap);
	while (o > 0 && isspace((unsigned char)buf[o - 1]))
		o--;
	buf[o] = '\0';
	json_array_foreach(caps, i, v)
	{
		if (strcmp(json_string_value(v), buf) == 0)
			return;
	}
	json_array_append_new(caps, json_string(buf));
}

static int
has_cap(const json_t *caps, const char *cap)
{
	size_t i;
	json_t *v;

	json_array_foreach(caps, i, v)
	{
		if (strcmp(json_string_value(v), cap) == 0)
			return 1;
	}
	return 0;
}

static int
cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

/* Keep what is not in other (or only "ALL" when it is in caps), sorted. */
static void
net_out(json_t *caps, const json_t *other)
{
	json_t *keep[128];
	size_t n = 0, i;
	json_t *v;

	if (!json_is_array(caps))
		return;
	if (has_cap(caps, "ALL")) {
		json_array_clear(caps);
		json_array_append_new(caps, json_string("ALL"));
		return;
	}
	json_array_foreach(caps, i, v)
	{
		if (n < 128 && !has_cap(other, json_string_value(v)))
			keep[n++] = json_incref(v);
	}
	qsort(keep, n, sizeof(keep[0]), cmp_json_str);
	json_array_clear(caps);
	for (i = 0; i < n; i++)
		json_array_append_new(caps, keep[i]);
}

void
check_caps_effective(json_t *add, json_t *drop)
{
	json_t *add0 = add ? json_copy(add) : json_array();

	net_out(add, drop);
	net_out(drop, add0);
	json_decref(add0);
}

int
check_kv(struct check_plan *p, json_t *obj, const char *flag, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[1024];

	if (!json_is_object(obj) || kv[0] == '=' || kv[0] == '\0')
		return check_fail(p, "invalid argument \"%s\" for %s", kv, flag);
	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - kv) : 1023, kv);
	json_object_set_new(obj, key, json_string(eq ? eq + 1 : ""));
	return 0;
}

long long
check_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	long long mult = 1;

	if (end == s || v < 0)
		return -2;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		break;
	case 'k':
		mult = 1024LL;
		break;
	case 'm':
		mult = 1024LL * 1024;
		break;
	case 'g':
		mult = 1024LL * 1024 * 1024;
		break;
	case 't':
		mult = 1024LL * 1024 * 1024 * 1024;
		break;
	default:
		return -2;
	}
	if (*end != '\0' && end[1] != '\0' && !(tolower((unsigned char)end[1]) == 'b' && !end[2]))
		return -2;
	return (long long)(v * (double)mult);
}

/* ------------------------------------------------------------------------ */
/* docker run's --device, --gpus, -p and --env-file */

json_t *
check_list_append(json_t *obj, const char *key, json_t *v)
{
	json_t *arr = json_object_get(obj, key);

	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(obj, key, arr);
	}
	json_array_append_new(arr, v);
	return arr;
}

/* --device HOST[:CONTAINER][:PERMISSIONS], as the CLI parses it on Linux. */
int
check_device(struct check_plan *p, json_t *hc, const char *spec)
{
	char buf[1024], *parts[4], *save = NULL, *tok;
	const char *perm = "rwm", *dst = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ":", &save); tok && n < 4; tok = strtok_r(NULL, ":", &save))
		parts[n++] = tok;
	if (n < 1 || n > 3)
		return check_fail(p, "invalid device specification: %s", spec);
	if (n == 3)
		perm = parts[2];
	if (n >= 2 && strspn(parts[1], "rwm") == strlen(parts[1]))
		perm = parts[1];
	else if (n >= 2)
		dst = parts[1];
	check_list_append(hc, "Devices",
	                  json_pack("{s:s, s:s, s:s}", "PathOnHost", parts[0], "PathInContainer",
	                            dst ? dst : parts[0], "CgroupPermissions", perm));
	return 0;
}

/* --gpus all | N | device=ID[,ID] | capabilities=... */
int
check_gpus(struct check_plan *p, json_t *hc, const char *spec)
{
	json_t *req = json_pack("{s:s, s:i, s:n, s:[[s]], s:{}}", "Driver", "", "Count", 0,
	                        "DeviceIDs", "Capabilities", "gpu", "Options");
	char *end;
	long n;

	if (strcmp(spec, "all") == 0) {
		json_object_set_new(req, "Count", json_integer(-1));
	} else if (strncmp(spec, "device=", 7) == 0) {
		json_t *ids = json_array();
		char buf[512], *save = NULL;
		snprintf(buf, sizeof(buf), "%s", spec + 7);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(ids, json_string(t));
		json_object_set_new(req, "DeviceIDs", ids);
	} else if ((n = strtol(spec, &end, 10)) > 0 && *end == '\0') {
		json_object_set_new(req, "Count", json_integer(n));
	} else if (strncmp(spec, "capabilities=", 13) != 0 && strncmp(spec, "driver=", 7) != 0) {
		json_decref(req);
		return check_fail(p, "invalid --gpus value: %s", spec);
	}
	check_list_append(hc, "DeviceRequests", req);
	return 0;
}

/* -p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO] */
int
check_publish(struct check_plan *p, json_t *body, json_t *hc, const char *spec)
{
	char buf[256], port[64], *parts[3], *save = NULL, *t;
	const char *ip = "", *hport = "";
	json_t *pb = json_object_get(hc, "PortBindings"), *ex;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (t = strtok_r(buf, ":", &save); t && n < 3; t = strtok_r(NULL, ":", &save))
		parts[n++] = t;
	if (n == 0 || t != NULL)
		return check_fail(p, "invalid publish specification: %s", spec);
	if (n == 3) {
		ip = parts[0];
		hport = parts[1];
	} else if (n == 2) {
		hport = parts[0];
	}
	snprintf(port, sizeof(port), "%s%s", parts[n - 1], strchr(parts[n - 1], '/') ? "" : "/tcp");
	check_list_append(pb, port, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", hport));
	if (!json_is_object(ex = json_object_get(body, "ExposedPorts"))) {
		ex = json_object();
		json_object_set_new(body, "ExposedPorts", ex);
	}
	json_object_set_new(ex, port, json_object());
	return 0;
}

int
check_env_file(struct check_plan *p, json_t *body, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];

	if (f == NULL)
		return check_fail(p, "open %s: cannot read the env file", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && line[0] != '#')
			check_list_append(body, "Env", json_string(line));
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* --mount type=bind,source=/a,target=/b,readonly,... */

/* Split a CSV field list (double quotes protect commas). */
static int
csv_fields(const char *spec, char *buf, size_t bufsz, char **f, int maxf)
{
	int n = 0, quoted = 0;
	size_t o = 0;

	f[n++] = buf;
	for (const char *s = spec; *s && o + 1 < bufsz; s++) {
		if (*s == '"') {
			quoted = !quoted;
		} else if (*s == ',' && !quoted) {
			buf[o++] = '\0';
			if (n == maxf)
				return -1;
			f[n++] = buf + o;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return n;
}

static json_t *
sub_object(json_t *m, const char *key)
{
	json_t *o = json_object_get(m, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(m, key, o);
	}
	return o;
}

/* One key=value of a --mount. 0, or -1 with p->error set. */
static int
mount_field(struct check_plan *p, json_t *m, const char *key, const char *val)
{
	if (strcmp(key, "type") == 0)
		json_object_set_new(m, "Type", json_string(val));
	else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0)
		json_object_set_new(m, "Source", json_string(val));
	else if (strcmp(key, "target") == 0 || strcmp(key, "destination") == 0 ||
	         strcmp(key, "dst") == 0)
		json_object_set_new(m, "Target", json_string(val));
	else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0)
		json_object_set_new(
		    m, "ReadOnly",
		    json_boolean(strcmp(val, "false") != 0 && strcmp(val, "0") != 0));
	else if (strcmp(key, "consistency") == 0)
		json_object_set_new(m, "Consistency", json_string(val));
	else if (strcmp(key, "bind-propagation") == 0)
		json_object_set_new(sub_object(m, "BindOptions"), "Propagation", json_string(val));
	else if (strcmp(key, "bind-nonrecursive") == 0)
		json_object_set_new(sub_object(m, "BindOptions"), "NonRecursive", json_true());
	else if (strcmp(key, "volume-nocopy") == 0)
		json_object_set_new(sub_object(m, "VolumeOptions"), "NoCopy", json_true());
	else if (strcmp(key, "volume-subpath") == 0)
		json_object_set_new(sub_object(m, "VolumeOptions"), "Subpath", json_string(val));
	else if (strcmp(key, "volume-driver") == 0)
		json_object_set_new(sub_object(sub_object(m, "VolumeOptions"), "DriverConfig"),
		                    "Name", json_string(val));
	else if (strcmp(key, "volume-opt") == 0)
		return check_kv(
		    p,
		    sub_object(sub_object(sub_object(m, "VolumeOptions"), "DriverConfig"),
		               "Options"),
		    "volume-opt", val);
	else if (strcmp(key, "volume-label") == 0)
		return check_kv(p, sub_object(sub_object(m, "VolumeOptions"), "Labels"),
		                "volume-label", val);
	else if (strcmp(key, "tmpfs-size") == 0)
		json_object_set_new(sub_object(m, "TmpfsOptions"), "SizeBytes",
		                    json_integer(check_size(val)));
	else if (strcmp(key, "tmpfs-mode") == 0)
		json_object_set_new(sub_object(m, "TmpfsOptions"), "Mode",
		                    json_integer(strtol(val, NULL, 8)));
	else
		return check_fail(p, "unexpected key '%s' in --mount", key);
	return 0;
}

json_t *
check_mount(struct check_plan *p, const char *spec)
{
	char buf[4096], *f[64];
	int n = csv_fields(spec, buf, sizeof(buf), f, 64);
	json_t *m = json_pack("{s:s}", "Type", "volume");

	if (n < 0) {
		check_fail(p, "invalid --mount: %s", spec);
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		char *eq = strchr(f[i], '=');
		if (f[i][0] == '\0')
			continue;
		if (eq != NULL)
			*eq = '\0';
		if (eq == NULL && strcmp(f[i], "readonly") != 0 && strcmp(f[i], "ro") != 0 &&
		    strcmp(f[i], "volume-nocopy") != 0 && strcmp(f[i], "bind-nonrecursive") != 0) {
			check_fail(p, "invalid field '%s' in --mount: must be a key=value pair",
			           f[i]);
			goto fail;
		}
		if (mount_field(p, m, f[i], eq ? eq + 1 : "true") != 0)
			goto fail;
	}
	if (json_object_get(m, "Target") == NULL) {
		check_fail(p, "target is required in --mount: %s", spec);
		goto fail;
	}
	return m;
fail:
	json_decref(m);
	return NULL;
}
