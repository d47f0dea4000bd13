/* SPDX-License-Identifier: Apache-2.0 */
/* Sysctls a request sets -> facts: a container's HostConfig.Sysctls (and a
 * service's ContainerSpec.Sysctls), and an endpoint's per-interface ones in
 * its driver options, which dockerd writes into the container's network
 * namespace just the same. */
#include <stdio.h>
#include <string.h>

#include "engineapi.h"
#include "engineapi_int.h"
#include "gojson.h"

int
engineapi_sysctl_facts(struct engineapi_facts *f, const struct gojson_view *hc, const char *prefix)
{
	return engineapi_map_facts(f, hc, prefix, "Sysctls", EF_SYSCTL);
}

/* An endpoint's per-interface sysctls (API 1.46+: from 1.48 dockerd takes
 * them only this way), written into the container's network namespace:
 * DriverOpts["com.docker.network.endpoint.sysctls"] = "k=v,k=v", each key
 * (with IFNAME for the interface) a sysctl fact as HostConfig.Sysctls'. */
int
engineapi_endpoint_sysctl_facts(struct engineapi_facts *f, const struct gojson_view *ev,
                                const char *prefix, const char *net)
{
	struct gojson_view opts;
	const char *list, *p;
	char *field;
	size_t fl;

	if (gojson_view_map(&f->arena, ev, "DriverOpts", &opts) == -1)
		return -1;
	if ((list = gojson_map_get(&opts, "com.docker.network.endpoint.sysctls")) == NULL)
		return 0;
	fl = strlen(prefix) + strlen(net) + sizeof(".DriverOpts");
	if ((field = gojson_arena_alloc(&f->arena, fl)) == NULL)
		return -1;
	snprintf(field, fl, "%s%s.DriverOpts", prefix, net);
	for (p = list; *p != '\0';) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=,");
		char *key = gojson_arena_alloc(&f->arena, k + 1);

		if (key == NULL)
			return -1;
		memcpy(key, p, k);
		key[k] = '\0';
		while (*key == ' ')
			key++;
		if (key[0] != '\0' &&
		    engineapi_fact_add(f, EF_SYSCTL, key, field, "", -1, NULL) == -1)
			return -1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}
