/* SPDX-License-Identifier: Apache-2.0 */
/* Fields that choose how the engine runs and watches a container rather than
 * what it may reach -> facts, judged by the deniedFlags that name them: the
 * runtime (HostConfig.Runtime), the cgroup parent, the log driver and its
 * options (HostConfig.LogConfig; a service's TaskTemplate.LogDriver), and the
 * annotations handed to the runtime (HostConfig.Annotations, API 1.43+, which
 * runtimes read as instructions: runc turns org.systemd.property.* into
 * properties of the container's systemd scope); and the drivers the engine
 * looks up by name, as a plugin when the name is not built in: volume,
 * network, IPAM and logging drivers, whose name becomes a socket path. Also
 * the generic map reader the sysctls share. */
#include <string.h>

#include "engineapi.h"
#include "engineapi_int.h"
#include "gojson.h"

/* A denial needs one key; a message shows a few. */
#define MAP_FACTS_MAX 32

int
engineapi_map_facts(struct engineapi_facts *f, const struct gojson_view *v, const char *prefix,
                    const char *name, enum engineapi_fact_kind kind)
{
	const char *seen[MAP_FACTS_MAX];
	char *suffix;
	struct gojson_view m;
	const struct gojson_value *c;
	size_t i, j, nseen = 0;

	/* Go decodes every occurrence of the field into one map: keys merge. */
	if (gojson_view_map(&f->arena, v, name, &m) == -1)
		return -1;
	for (i = 0; i < m.n; i++)
		for (c = m.obj[i]->child; c != NULL && nseen < MAP_FACTS_MAX; c = c->next) {
			for (j = 0; j < nseen && strcmp(seen[j], c->key) != 0; j++)
				;
			if (j < nseen)
				continue;
			seen[nseen++] = c->key;
			suffix = gojson_arena_alloc(&f->arena, c->klen + 2);
			if (suffix == NULL)
				return -1;
			suffix[0] = '.';
			memcpy(suffix + 1, c->key, c->klen + 1);
			if (engineapi_fact_add(f, kind, c->key, prefix, name, -1, suffix) == -1)
				return -1;
		}
	return 0;
}

/* A non-empty string field: its value. */
static int
string_fact(struct engineapi_facts *f, const struct gojson_view *v, const char *prefix,
            const char *name, enum engineapi_fact_kind kind)
{
	const char *s = gojson_view_string(v, name);

	if (s == NULL || s[0] == '\0')
		return 0;
	return engineapi_fact_add(f, kind, s, prefix, name, -1, NULL);
}

int
engineapi_driver_fact(struct engineapi_facts *f, enum engineapi_fact_kind kind, const char *driver,
                      const char *prefix, const char *name, long index, const char *suffix)
{
	if (driver == NULL || driver[0] == '\0')
		return 0;
	return engineapi_fact_add(f, kind, driver, prefix, name, index, suffix);
}

/* A log configuration: {Type, Config} in a HostConfig (a struct held by
 * value: a later null leaves it as it was), {Name, Options} in a service's
 * TaskTemplate or a swarm's TaskDefaults (a pointer: null clears it). prefix
 * names the struct ("HostConfig.LogConfig."). */
static int
log_facts(struct engineapi_facts *f, const struct gojson_view *parent, const char *field,
          const char *prefix, const char *driver, const char *options)
{
	int by_value = strcmp(field, "LogConfig") == 0;
	struct gojson_view lc;

	if ((by_value ? gojson_view_struct_value(&f->arena, parent, field, &lc)
	              : gojson_view_struct(&f->arena, parent, field, &lc)) == -1)
		return -1;
	if (lc.n == 0)
		return 0;
	if (string_fact(f, &lc, prefix, driver, EF_LOG_DRIVER) == -1)
		return -1;
	return engineapi_map_facts(f, &lc, prefix, options, EF_LOG_OPT);
}

int
engineapi_runtime_facts(struct engineapi_facts *f, const struct gojson_view *hc, const char *prefix,
                        const char *log_prefix)
{
	if (string_fact(f, hc, prefix, "Runtime", EF_RUNTIME) == -1 ||
	    string_fact(f, hc, prefix, "CgroupParent", EF_CGROUP_PARENT) == -1 ||
	    engineapi_driver_fact(f, EF_VOLUME_DRIVER, gojson_view_string(hc, "VolumeDriver"),
	                          prefix, "VolumeDriver", -1, NULL) == -1 ||
	    engineapi_map_facts(f, hc, prefix, "Annotations", EF_ANNOTATION) == -1)
		return -1;
	return log_facts(f, hc, "LogConfig", log_prefix, "Type", "Config");
}

int
engineapi_service_log_facts(struct engineapi_facts *f, const struct gojson_view *tt)
{
	return log_facts(f, tt, "LogDriver", "TaskTemplate.LogDriver.", "Name", "Options");
}

/* A network's driver. dockerd gives one that names none its default, "bridge";
 * with a Scope other than local (a swarm network), the bridge validates it and
 * Swarm's allocator then makes it with its own default, "overlay": both are
 * facts then. */
static int
network_driver_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	const char *driver = gojson_view_string(root, "Driver");
	const char *scope = gojson_view_string(root, "Scope");

	if (driver != NULL && driver[0] != '\0')
		return engineapi_driver_fact(f, EF_NETWORK_DRIVER, driver, "", "Driver", -1, NULL);
	if (engineapi_fact_add(f, EF_NETWORK_DRIVER, "bridge", "", "Driver", -1, NULL) == -1)
		return -1;
	if (scope == NULL || scope[0] == '\0' || strcmp(scope, "local") == 0)
		return 0;
	return engineapi_fact_add(f, EF_NETWORK_DRIVER, "overlay", "", "Driver", -1, NULL);
}

/* One EF_BRIDGE_OPTION fact: key, and value as list[0]. 0 or -1. */
static int
bridge_option_fact(struct engineapi_facts *f, const char *key, const char *value, const char *name,
                   const char *suffix)
{
	const char **list = gojson_arena_alloc(&f->arena, sizeof(*list));

	if (list == NULL ||
	    engineapi_fact_add(f, EF_BRIDGE_OPTION, key, "", name, -1, suffix) == -1)
		return -1;
	list[0] = value;
	f->v[f->n - 1].list = list;
	f->v[f->n - 1].nlist = 1;
	return 0;
}

/* A bridge network's options that reach beyond its own bridge: the name of
 * the interface it uses (an existing one is taken over), the default
 * bridge's, and how its gateway and the host's firewall treat it; and the
 * config-only network it takes its options from instead (ConfigFrom), whose
 * options were given to a network of any driver, since libnetwork makes
 * every config-only network's driver "null". */
static int
bridge_option_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	static const char *const keys[] = {"com.docker.network.bridge.name",
	                                   "com.docker.network.bridge.default_bridge",
	                                   "com.docker.network.bridge.gateway_mode_ipv4",
	                                   "com.docker.network.bridge.gateway_mode_ipv6",
	                                   "com.docker.network.bridge.trusted_host_interfaces"};
	const char *driver = gojson_view_string(root, "Driver"), *v;
	struct gojson_view opts, from;

	if (driver != NULL && driver[0] != '\0' && strcmp(driver, "bridge") != 0)
		return 0;
	if (gojson_view_map(&f->arena, root, "Options", &opts) == -1 ||
	    gojson_view_struct(&f->arena, root, "ConfigFrom", &from) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = gojson_map_get(&opts, keys[i])) != NULL &&
		    bridge_option_fact(f, keys[i], v, "Options", NULL) == -1)
			return -1;
	v = gojson_view_string(&from, "Network");
	if (v != NULL && v[0] != '\0' &&
	    bridge_option_fact(f, ENGINEAPI_CONFIG_FROM, v, "ConfigFrom", ".Network") == -1)
		return -1;
	return 0;
}

int
engineapi_network_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	struct gojson_view ipam;

	if (network_driver_facts(f, root) == -1 || bridge_option_facts(f, root) == -1 ||
	    gojson_view_struct(&f->arena, root, "IPAM", &ipam) == -1)
		return -1;
	return engineapi_driver_fact(f, EF_DRIVER, gojson_view_string(&ipam, "Driver"), "IPAM.",
	                             "Driver", -1, NULL);
}

/* A secret's or a config's drivers: swarmkit asks a secret provider found by
 * Driver.Name for the value of every task's secret, and a templating driver
 * other than the built-in one would be found the same way. */
int
engineapi_secret_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	static const struct {
		const char *field, *prefix;
	} drivers[] = {{"Driver", "Driver."}, {"Templating", "Templating."}};

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		struct gojson_view d;

		if (gojson_view_struct(&f->arena, root, drivers[i].field, &d) == -1 ||
		    engineapi_driver_fact(f, EF_DRIVER, gojson_view_string(&d, "Name"),
		                          drivers[i].prefix, "Name", -1, NULL) == -1)
			return -1;
	}
	return 0;
}

/* A swarm's TaskDefaults.LogDriver: every task of a service that names none
 * gets it. swarm init carries the spec in Spec, swarm update is the spec:
 * both places are read. Spec and TaskDefaults are held by value (a later
 * null leaves them as they were), LogDriver by pointer. */
int
engineapi_swarm_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	struct gojson_view spec, td;

	if (gojson_view_struct_value(&f->arena, root, "TaskDefaults", &td) == -1 ||
	    log_facts(f, &td, "LogDriver", "TaskDefaults.LogDriver.", "Name", "Options") == -1 ||
	    gojson_view_struct_value(&f->arena, root, "Spec", &spec) == -1 ||
	    gojson_view_struct_value(&f->arena, &spec, "TaskDefaults", &td) == -1)
		return -1;
	return log_facts(f, &td, "LogDriver", "Spec.TaskDefaults.LogDriver.", "Name", "Options");
}
