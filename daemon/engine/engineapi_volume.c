/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes in Engine API request bodies -> facts: a container's or service's
 * Mounts (binds, volumes by name, their drivers and a local volume's
 * options) and a volume create. A local-driver volume's options are judged
 * as what they make it mount: a host path (o=bind), a network file system,
 * another file system of the host. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engineapi.h"
#include "engineapi_int.h"
#include "gojson.h"

int
engineapi_has_option(const char *o, size_t n, const char *name)
{
	size_t len = strlen(name);
	const char *stop;

	if (o == NULL)
		return 0;
	stop = o + (n == (size_t)-1 ? strlen(o) : n);
	while (o < stop) {
		const char *end = memchr(o, ',', (size_t)(stop - o));
		size_t k = end != NULL ? (size_t)(end - o) : (size_t)(stop - o);

		if (k == len && strncmp(o, name, len) == 0)
			return 1;
		o = end != NULL ? end + 1 : stop;
	}
	return 0;
}

/* "bind" or "rbind" among the comma-separated mount options o. */
static int
has_bind_option(const char *o)
{
	return engineapi_has_option(o, (size_t)-1, "bind") ||
	       engineapi_has_option(o, (size_t)-1, "rbind");
}

static const char *const network_fs[] = {"nfs",   "nfs4", "cifs",      "smb3",
                                         "smbfs", "ceph", "glusterfs", "9p"};

enum engineapi_local_mount
engineapi_local_mount(const char *type, const char *o, const char *device)
{
	if ((type == NULL || type[0] == '\0') && (device == NULL || device[0] == '\0') &&
	    (o == NULL || o[0] == '\0'))
		return ENGINEAPI_LOCAL_NONE;
	if (has_bind_option(o))
		return ENGINEAPI_LOCAL_BIND;
	if (type != NULL && strcmp(type, "tmpfs") == 0)
		return ENGINEAPI_LOCAL_NONE;
	for (size_t i = 0; type != NULL && i < sizeof(network_fs) / sizeof(network_fs[0]); i++)
		if (strcmp(type, network_fs[i]) == 0)
			return ENGINEAPI_LOCAL_NETWORK;
	return ENGINEAPI_LOCAL_FS;
}

/* What a local-driver volume's options (type, o, device) make it mount:
 * "o=bind" judges the device as a host path; tmpfs is harmless; a network
 * file system and any other file system are facts of their own. A volume of
 * another driver, or with no options, adds nothing. */
static int
local_volume_facts(struct engineapi_facts *f, const char *driver, const struct gojson_view *opts,
                   const char *prefix, const char *name, long index, const char *optfield,
                   int readonly)
{
	const char *type = gojson_map_get(opts, "type"), *device = gojson_map_get(opts, "device");
	const char *o = gojson_map_get(opts, "o"), **list;
	enum engineapi_local_mount what = engineapi_local_mount(type, o, device);
	char *suffix;
	size_t n;

	if ((driver != NULL && driver[0] != '\0' && strcasecmp(driver, "local") != 0) ||
	    what == ENGINEAPI_LOCAL_NONE)
		return 0;
	n = strlen(optfield) + sizeof(".device");
	if ((suffix = gojson_arena_alloc(&f->arena, n)) == NULL)
		return -1;
	snprintf(suffix, n, "%s.%s", optfield, what == ENGINEAPI_LOCAL_BIND ? "device" : "type");
	if (what == ENGINEAPI_LOCAL_BIND) {
		if (engineapi_fact_add(f, EF_HOST_PATH, device != NULL ? device : "", prefix, name,
		                       index, suffix) == -1)
			return -1;
		f->v[f->n - 1].readonly = readonly || engineapi_has_option(o, (size_t)-1, "ro");
		f->v[f->n - 1].volume = 1;
		return 0;
	}
	if (what == ENGINEAPI_LOCAL_NETWORK)
		return engineapi_fact_add(f, EF_NETWORK_VOLUME, type, prefix, name, index, suffix);
	if ((list = gojson_arena_alloc(&f->arena, 2 * sizeof(*list))) == NULL)
		return -1;
	list[0] = device != NULL ? device : "";
	list[1] = o != NULL ? o : "";
	if (engineapi_fact_add(f, EF_VOLUME_FS, type != NULL ? type : "", prefix, name, index,
	                       suffix) == -1)
		return -1;
	f->v[f->n - 1].list = list;
	f->v[f->n - 1].nlist = 2;
	return 0;
}

/* A service mount's Type as swarmkit reads it: upper-cased the way Go's
 * strings.ToUpper does (which makes U+0131 an I and U+017F an S) and looked
 * up among its types, where none ("" or null) is a bind; written into out as
 * the lower-case name. A type swarmkit refuses comes out as "bind" too, so
 * that a spelling this reading might not know is judged as the host path it
 * could name rather than passed over. */
static void
service_mount_type(const char *type, char *out, size_t outsz)
{
	static const char *const known[] = {"bind", "volume", "tmpfs", "npipe", "cluster"};
	const unsigned char *p = (const unsigned char *)(type != NULL ? type : "");
	char low[sizeof("cluster")];
	size_t n = 0;

	snprintf(out, outsz, "bind");
	while (*p != '\0') {
		if (n + 1 >= sizeof(low))
			return;
		if (p[0] == 0xc4 && p[1] == 0xb1) { /* U+0131, dotless i */
			low[n++] = 'i';
			p += 2;
		} else if (p[0] == 0xc5 && p[1] == 0xbf) { /* U+017F, long s */
			low[n++] = 's';
			p += 2;
		} else if (*p < 0x80) {
			low[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			p++;
		} else {
			return;
		}
	}
	low[n] = '\0';
	for (size_t i = 0; n > 0 && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(low, known[i]) == 0)
			snprintf(out, outsz, "%s", known[i]);
}

int
engineapi_mount_facts(struct engineapi_facts *f, const struct gojson_view *hc, const char *prefix,
                      int service)
{
	struct gojson_view *m;
	size_t n, i;

	if (gojson_view_struct_slice(&f->arena, hc, "Mounts", &m, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const char *type = gojson_view_string(&m[i], "Type");
		const char *src = gojson_view_string(&m[i], "Source");
		char stype[sizeof("cluster")];

		if (service) {
			service_mount_type(type, stype, sizeof(stype));
			type = stype;
		}
		if (type == NULL)
			continue;
		if (strcasecmp(type, "bind") == 0 && src != NULL && src[0] != '\0') {
			if (engineapi_fact_add(f, EF_HOST_PATH, src, prefix, "Mounts", (long)i,
			                       ".Source") == -1)
				return -1;
			f->v[f->n - 1].readonly = gojson_view_bool(&m[i], "ReadOnly");
		} else if (strcasecmp(type, "cluster") == 0 && src != NULL && src[0] != '\0') {
			/* A Swarm service's cluster (CSI) volume, by name. */
			if (engineapi_fact_add(f, EF_NAMED_VOLUME, src, prefix, "Mounts", (long)i,
			                       ".Source") == -1)
				return -1;
		} else if (strcasecmp(type, "volume") == 0) {
			struct gojson_view vo, dc, opts;

			if (src != NULL && src[0] != '\0' &&
			    engineapi_fact_add(f, EF_NAMED_VOLUME, src, prefix, "Mounts", (long)i,
			                       ".Source") == -1)
				return -1;
			if (gojson_view_struct(&f->arena, &m[i], "VolumeOptions", &vo) == -1 ||
			    gojson_view_struct(&f->arena, &vo, "DriverConfig", &dc) == -1 ||
			    gojson_view_map(&f->arena, &dc, "Options", &opts) == -1)
				return -1;
			if (engineapi_driver_fact(
			        f, EF_VOLUME_DRIVER, gojson_view_string(&dc, "Name"), prefix,
			        "Mounts", (long)i, ".VolumeOptions.DriverConfig.Name") == -1 ||
			    local_volume_facts(f, gojson_view_string(&dc, "Name"), &opts, prefix,
			                       "Mounts", (long)i,
			                       ".VolumeOptions.DriverConfig.Options",
			                       gojson_view_bool(&m[i], "ReadOnly")) == -1)
				return -1;
		}
	}
	return 0;
}

int
engineapi_volume_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	struct gojson_view opts;

	f->name = gojson_view_string(root, "Name");
	if (gojson_view_map(&f->arena, root, "DriverOpts", &opts) == -1 ||
	    engineapi_driver_fact(f, EF_VOLUME_DRIVER, gojson_view_string(root, "Driver"), "",
	                          "Driver", -1, NULL) == -1)
		return -1;
	return local_volume_facts(f, gojson_view_string(root, "Driver"), &opts, "", "DriverOpts",
	                          -1, "", 0);
}
