/* SPDX-License-Identifier: Apache-2.0 */
/* Swarm service specs (create and update) -> facts: dockerd creates the task
 * containers itself, without asking a plugin, so the container spec, its
 * privileges and the network attachments are all judged from the spec. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engineapi.h"
#include "engineapi_int.h"
#include "gojson.h"

/* Swarm's Privileges, as the security options dockerd turns them into. */
static int
privileges_facts(struct engineapi_facts *f, const struct gojson_view *cs, const char *prefix)
{
	struct gojson_view pv, sc, aa, se;
	const char *mode, *type;
	char *opt;
	size_t n;

	if (gojson_view_struct(&f->arena, cs, "Privileges", &pv) == -1 ||
	    gojson_view_struct(&f->arena, &pv, "Seccomp", &sc) == -1 ||
	    gojson_view_struct(&f->arena, &pv, "AppArmor", &aa) == -1 ||
	    gojson_view_struct(&f->arena, &pv, "SELinuxContext", &se) == -1)
		return -1;
	mode = gojson_view_string(&sc, "Mode");
	if (mode != NULL && mode[0] != '\0' && strcmp(mode, "default") != 0) {
		const char *prof = gojson_view_string(&sc, "Profile");
		size_t plen = prof != NULL ? strlen(prof) : 0;
		long dl = -1;

		/* "seccomp=" and the profile's bytes (base64 decodes shorter), or
		 * "seccomp=unconfined" whatever the profile's length. */
		if ((opt = gojson_arena_alloc(&f->arena, plen + sizeof("seccomp=unconfined"))) ==
		    NULL)
			return -1;
		if (strcasecmp(mode, "unconfined") == 0) {
			strcpy(opt, "seccomp=unconfined");
		} else {
			/* The profile is a []byte, so base64 in JSON; judge its bytes. */
			strcpy(opt, "seccomp=");
			if (prof != NULL)
				dl = gojson_base64_decode(prof, plen, (unsigned char *)opt + 8);
			if (dl < 0)
				memcpy(opt + 8, prof != NULL ? prof : "", plen + 1);
			else
				opt[8 + dl] = '\0';
		}
		if (engineapi_fact_add(f, EF_SECURITY_OPT, opt, prefix, "Privileges", -1,
		                       ".Seccomp") == -1)
			return -1;
	}
	mode = gojson_view_string(&aa, "Mode");
	if (mode != NULL && mode[0] != '\0' && strcmp(mode, "default") != 0 &&
	    engineapi_fact_add(f, EF_SECURITY_OPT, "apparmor=unconfined", prefix, "Privileges", -1,
	                       ".AppArmor.Mode") == -1)
		return -1;
	if (gojson_view_bool(&se, "Disable") &&
	    engineapi_fact_add(f, EF_SECURITY_OPT, "label=disable", prefix, "Privileges", -1,
	                       ".SELinuxContext.Disable") == -1)
		return -1;
	type = gojson_view_string(&se, "Type");
	if (type != NULL && type[0] != '\0') {
		n = strlen(type) + sizeof("label=type:");
		if ((opt = gojson_arena_alloc(&f->arena, n)) == NULL)
			return -1;
		snprintf(opt, n, "label=type:%s", type);
		if (engineapi_fact_add(f, EF_SECURITY_OPT, opt, prefix, "Privileges", -1,
		                       ".SELinuxContext.Type") == -1)
			return -1;
	}
	return 0;
}

/* Every network attachment's Target and the sysctls in its DriverOpts
 * (TaskTemplate.Networks, and the deprecated top-level Networks). */
static int
network_target_facts(struct engineapi_facts *f, const struct gojson_view *v, const char *prefix)
{
	struct gojson_view *nets;
	size_t n, i;

	if (gojson_view_struct_slice(&f->arena, v, "Networks", &nets, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const char *target = gojson_view_string(&nets[i], "Target");
		char *at = gojson_arena_alloc(&f->arena, strlen(prefix) + 32);

		if (at == NULL || (target != NULL && target[0] != '\0' &&
		                   engineapi_fact_add(f, EF_NETWORK_TARGET, target, prefix,
		                                      "Networks", (long)i, ".Target") == -1))
			return -1;
		/* Its DriverOpts become the task endpoint's: per-interface
		 * sysctls among them, as on a create's endpoint. */
		snprintf(at, strlen(prefix) + 32, "%sNetworks[%zu]", prefix, i);
		if (engineapi_endpoint_sysctl_facts(f, &nets[i], at, "") == -1)
			return -1;
	}
	return 0;
}

/* A service spec (create and update): dockerd creates the task containers
 * itself, without asking a plugin, so everything is judged here. */
int
engineapi_service_facts(struct engineapi_facts *f, const struct gojson_view *root)
{
	static const char cprefix[] = "TaskTemplate.ContainerSpec.";
	struct gojson_view tt, cs, ps;
	const char *runtime;

	/* swarm.ServiceSpec holds its TaskSpec by value: a later
	 * "TaskTemplate": null leaves it as it was. */
	if (gojson_view_struct_value(&f->arena, root, "TaskTemplate", &tt) == -1 ||
	    gojson_view_struct(&f->arena, &tt, "ContainerSpec", &cs) == -1 ||
	    gojson_view_struct(&f->arena, &tt, "PluginSpec", &ps) == -1)
		return -1;
	f->image = gojson_view_string(&cs, "Image");
	if (engineapi_mount_facts(f, &cs, cprefix, 1) == -1 ||
	    engineapi_string_facts(f, &cs, cprefix, "CapabilityAdd", EF_CAP_ADD, 0) == -1 ||
	    engineapi_sysctl_facts(f, &cs, cprefix) == -1 ||
	    privileges_facts(f, &cs, cprefix) == -1 ||
	    network_target_facts(f, &tt, "TaskTemplate.") == -1 ||
	    engineapi_service_log_facts(f, &tt) == -1 || network_target_facts(f, root, "") == -1)
		return -1;
	runtime = gojson_view_string(&tt, "Runtime");
	if ((runtime != NULL && strcasecmp(runtime, "plugin") == 0) || ps.n > 0) {
		const char *remote = gojson_view_string(&ps, "Remote");

		if (engineapi_fact_add(f, EF_PLUGIN, remote != NULL ? remote : "", "TaskTemplate.",
		                       "PluginSpec", -1, NULL) == -1)
			return -1;
	}
	return 0;
}
