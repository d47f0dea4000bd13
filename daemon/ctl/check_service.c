/* SPDX-License-Identifier: Apache-2.0 */
/* docker service create and docker volume create turned into the requests
 * the docker CLI sends: the ServiceSpec (its ContainerSpec carries mounts,
 * capabilities and sysctls) and the volume's driver options. */
#include "check.h"
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* docker service create [OPTIONS] IMAGE [COMMAND] [ARG...] */

/* clang-format off */
static const struct check_flag service_flags[] = {
    CHECK_V("name", 0, X_NAME), CHECK_V("mode", 0, X_MODE), CHECK_V("replicas", 0, X_REPLICAS),
    CHECK_V("env", 'e', X_ENV), CHECK_V("label", 'l', X_LABEL),
    CHECK_V("container-label", 0, 0), CHECK_V("user", 'u', X_USER),
    CHECK_V("workdir", 'w', X_WORKDIR), CHECK_V("hostname", 0, X_HOSTNAME),
    CHECK_V("mount", 0, X_MOUNT), CHECK_V("network", 0, X_NETWORK), CHECK_V("publish", 'p', 0),
    CHECK_V("cap-add", 0, X_CAP_ADD), CHECK_V("cap-drop", 0, X_CAP_DROP),
    CHECK_V("sysctl", 0, X_SYSCTL), CHECK_B("read-only", 0, X_READ_ONLY),
    CHECK_B("init", 0, X_INIT), CHECK_V("entrypoint", 0, 0), CHECK_V("constraint", 0, 0),
    CHECK_V("placement-pref", 0, 0), CHECK_V("limit-cpu", 0, 0), CHECK_V("limit-memory", 0, 0),
    CHECK_V("limit-pids", 0, 0), CHECK_V("reserve-cpu", 0, 0), CHECK_V("reserve-memory", 0, 0),
    CHECK_V("restart-condition", 0, 0), CHECK_V("restart-delay", 0, 0),
    CHECK_V("restart-max-attempts", 0, 0), CHECK_V("restart-window", 0, 0),
    CHECK_V("secret", 0, 0), CHECK_V("config", 0, 0), CHECK_B("detach", 'd', 0),
    CHECK_B("quiet", 'q', 0), CHECK_B("with-registry-auth", 0, 0),
    CHECK_B("no-resolve-image", 0, 0), CHECK_V("ulimit", 0, 0), CHECK_V("dns", 0, 0),
    CHECK_V("dns-option", 0, 0), CHECK_V("dns-search", 0, 0), CHECK_V("health-cmd", 0, 0),
    CHECK_V("health-interval", 0, 0), CHECK_V("health-retries", 0, 0),
    CHECK_V("health-timeout", 0, 0), CHECK_V("health-start-period", 0, 0),
    CHECK_B("no-healthcheck", 0, 0), CHECK_V("generic-resource", 0, 0), CHECK_V("group", 0, 0),
    CHECK_V("host", 0, 0), CHECK_V("isolation", 0, 0), CHECK_V("log-driver", 0, X_LOG_DRIVER),
    CHECK_V("log-opt", 0, X_LOG_OPT), CHECK_V("stop-grace-period", 0, 0), CHECK_V("stop-signal", 0, 0),
    CHECK_B("tty", 't', 0), CHECK_V("update-delay", 0, 0),
    CHECK_V("update-failure-action", 0, 0), CHECK_V("update-max-failure-ratio", 0, 0),
    CHECK_V("update-monitor", 0, 0), CHECK_V("update-order", 0, 0),
    CHECK_V("update-parallelism", 0, 0), CHECK_V("rollback-delay", 0, 0),
    CHECK_V("rollback-failure-action", 0, 0), CHECK_V("rollback-max-failure-ratio", 0, 0),
    CHECK_V("rollback-monitor", 0, 0), CHECK_V("rollback-order", 0, 0),
    CHECK_V("rollback-parallelism", 0, 0), CHECK_V("endpoint-mode", 0, 0),
    CHECK_V("credential-spec", 0, 0), CHECK_V("max-concurrent", 0, 0),
    CHECK_V("oom-score-adj", 0, 0), CHECK_END,
};
/* clang-format on */

/* --log-driver and --log-opt: TaskTemplate.LogDriver {Name, Options}. */
static int
service_log(struct check_plan *p, json_t *tt, const struct check_arg *a)
{
	json_t *ld = json_object_get(tt, "LogDriver");

	if (!json_is_object(ld)) {
		ld = json_object();
		json_object_set_new(tt, "LogDriver", ld);
	}
	if (a->id == X_LOG_DRIVER) {
		json_object_set_new(ld, "Name", json_string(a->value));
		return 0;
	}
	if (!json_is_object(json_object_get(ld, "Options")))
		json_object_set_new(ld, "Options", json_object());
	return check_kv(p, json_object_get(ld, "Options"), "--log-opt", a->value);
}

static int
service_field(struct check_plan *p, json_t *spec, json_t *cs, const struct check_arg *a)
{
	json_t *m;

	switch (a->id) {
	case X_NAME:
		json_object_set_new(spec, "Name", json_string(a->value));
		return 0;
	case X_MODE:
		if (strcmp(a->value, "global") == 0)
			json_object_set_new(spec, "Mode", json_pack("{s:{}}", "Global"));
		return 0;
	case X_REPLICAS:
		json_object_set_new(
		    spec, "Mode",
		    json_pack("{s:{s:I}}", "Replicated", "Replicas", (json_int_t)atoll(a->value)));
		return 0;
	case X_ENV:
	case X_CAP_ADD:
	case X_CAP_DROP: {
		const char *key = a->id == X_ENV       ? "Env"
		                  : a->id == X_CAP_ADD ? "CapabilityAdd"
		                                       : "CapabilityDrop";
		if (!json_is_array(json_object_get(cs, key)))
			json_object_set_new(cs, key, json_array());
		if (a->id == X_ENV)
			json_array_append_new(json_object_get(cs, key), json_string(a->value));
		else
			check_cap_add(json_object_get(cs, key), a->value);
		return 0;
	}
	case X_LABEL:
		return check_kv(p, json_object_get(spec, "Labels"), "--label", a->value);
	case X_USER:
	case X_WORKDIR:
	case X_HOSTNAME:
		json_object_set_new(cs,
		                    a->id == X_USER      ? "User"
		                    : a->id == X_WORKDIR ? "Dir"
		                                         : "Hostname",
		                    json_string(a->value));
		return 0;
	case X_MOUNT:
		if ((m = check_mount(p, a->value)) == NULL)
			return -1;
		if (!json_is_array(json_object_get(cs, "Mounts")))
			json_object_set_new(cs, "Mounts", json_array());
		json_array_append_new(json_object_get(cs, "Mounts"), m);
		return 0;
	case X_NETWORK:
		json_array_append_new(
		    json_object_get(json_object_get(spec, "TaskTemplate"), "Networks"),
		    json_pack("{s:s}", "Target", a->value));
		return 0;
	case X_SYSCTL:
		if (!json_is_object(json_object_get(cs, "Sysctls")))
			json_object_set_new(cs, "Sysctls", json_object());
		return check_kv(p, json_object_get(cs, "Sysctls"), "--sysctl", a->value);
	case X_READ_ONLY:
	case X_INIT:
		json_object_set_new(cs, a->id == X_READ_ONLY ? "ReadOnly" : "Init",
		                    json_boolean(check_bool(a)));
		return 0;
	case X_LOG_DRIVER:
	case X_LOG_OPT:
		return service_log(p, json_object_get(spec, "TaskTemplate"), a);
	}
	return 0;
}

int
check_service_create(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[256];
	char *pos[256];
	int na, np;
	json_t *spec, *cs;

	if (check_flags(p, service_flags, 0, argc, argv, a, 256, &na, pos, 256, &np) != 0)
		return -1;
	if (np < 1)
		return check_fail(p, "\"docker service create\" requires at least 1 argument");
	cs = json_pack("{s:s, s:{}, s:{s:n, s:n}, s:b, s:I, s:{}, s:s}", "Image", pos[0], "Labels",
	               "Privileges", "CredentialSpec", "SELinuxContext", "Init", 0,
	               "StopGracePeriod", (json_int_t)10000000000LL, "DNSConfig", "Isolation",
	               "default");
	spec = json_pack("{s:s, s:{}, s:{s:o, s:{s:{}, s:{}}, s:{s:s, s:I, s:i}, s:{}, s:[], "
	                 "s:i, s:s}, s:{s:{s:i}}, s:{s:s}}",
	                 "Name", "", "Labels", "TaskTemplate", "ContainerSpec", cs, "Resources",
	                 "Limits", "Reservations", "RestartPolicy", "Condition", "any", "Delay",
	                 (json_int_t)5000000000LL, "MaxAttempts", 0, "Placement", "Networks",
	                 "ForceUpdate", 0, "Runtime", "container", "Mode", "Replicated", "Replicas",
	                 1, "EndpointSpec", "Mode", "vip");
	for (int i = 0; i < na; i++) {
		if (service_field(p, spec, cs, &a[i]) != 0) {
			json_decref(spec);
			return -1;
		}
	}
	if (np > 1) {
		json_t *args = json_array();
		for (int i = 1; i < np; i++)
			json_array_append_new(args, json_string(pos[i]));
		json_object_set_new(cs, "Args", args);
	}
	check_caps_effective(json_object_get(cs, "CapabilityAdd"),
	                     json_object_get(cs, "CapabilityDrop"));
	check_add(p, "service create", CHECK_API "/services/create", spec);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* docker volume create [OPTIONS] [VOLUME] */

/* clang-format off */
static const struct check_flag volume_flags[] = {
    CHECK_V("driver", 'd', X_DRIVER), CHECK_V("label", 0, X_LABEL), CHECK_V("opt", 'o', X_OPT),
    CHECK_V("name", 0, X_NAME), CHECK_V("availability", 0, 0), CHECK_V("group", 0, 0),
    CHECK_V("scope", 0, 0), CHECK_V("sharing", 0, 0), CHECK_V("secret", 0, 0),
    CHECK_V("limit-bytes", 0, 0), CHECK_V("required-bytes", 0, 0),
    CHECK_V("topology-preferred", 0, 0), CHECK_V("topology-required", 0, 0),
    CHECK_V("type", 0, 0), CHECK_END,
};
/* clang-format on */

int
check_volume_create(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[128];
	char *pos[1];
	const char *name = NULL;
	int na, np;
	json_t *b = json_pack("{s:s}", "Driver", "local"), *opts = json_object(),
	       *labels = json_object();

	if (check_flags(p, volume_flags, 1, argc, argv, a, 128, &na, pos, 1, &np) != 0)
		goto fail;
	name = np == 1 ? pos[0] : NULL;
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_DRIVER)
			json_object_set_new(b, "Driver", json_string(a[i].value));
		else if (a[i].id == X_NAME)
			name = a[i].value;
		else if ((a[i].id == X_OPT && check_kv(p, opts, "--opt", a[i].value) != 0) ||
		         (a[i].id == X_LABEL && check_kv(p, labels, "--label", a[i].value) != 0))
			goto fail;
	}
	if (json_object_size(opts) > 0)
		json_object_set(b, "DriverOpts", opts);
	if (json_object_size(labels) > 0)
		json_object_set(b, "Labels", labels);
	if (name != NULL)
		json_object_set_new(b, "Name", json_string(name));
	json_decref(opts);
	json_decref(labels);
	check_add(p, "volume create", CHECK_API "/volumes/create", b);
	return 0;
fail:
	json_decref(opts);
	json_decref(labels);
	json_decref(b);
	return -1;
}
