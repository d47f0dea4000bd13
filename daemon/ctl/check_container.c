/* SPDX-License-Identifier: Apache-2.0 */
/* docker exec and docker update turned into the requests the docker CLI
 * sends: POST /containers/{id}/exec and /containers/{id}/update, with the
 * bodies it builds. */
#include "check.h"
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

/* A path segment for a container or image id, as the CLI writes it. */
void
check_uri_with_id(char *uri, size_t sz, const char *prefix, const char *id, const char *suffix)
{
	snprintf(uri, sz, CHECK_API "%s", prefix);
	ctl_path_add(uri, sz, id);
	snprintf(uri + strlen(uri), sz - strlen(uri), "%s", suffix);
}

/* ------------------------------------------------------------------------ */
/* docker exec [OPTIONS] CONTAINER COMMAND [ARG...] */

/* clang-format off */
static const struct check_flag exec_flags[] = {
    CHECK_B("detach", 'd', X_DETACH), CHECK_V("detach-keys", 0, X_DETACH_KEYS),
    CHECK_V("env", 'e', X_ENV), CHECK_V("env-file", 0, 0),
    CHECK_B("interactive", 'i', X_INTERACTIVE), CHECK_B("privileged", 0, X_PRIVILEGED),
    CHECK_B("tty", 't', X_TTY), CHECK_V("user", 'u', X_USER),
    CHECK_V("workdir", 'w', X_WORKDIR), CHECK_END,
};
/* clang-format on */

int
check_exec(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[64];
	char *pos[256], uri[2048];
	int na, np, detach = 0, interactive = 0;
	json_t *b, *cmd, *env = json_null();

	if (check_flags(p, exec_flags, 0, argc, argv, a, 64, &na, pos, 256, &np) != 0)
		return -1;
	if (np < 2)
		return check_fail(p, "\"docker exec\" requires at least 2 arguments");
	b = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:n, s:s}", "User", "",
	              "Privileged", 0, "Tty", 0, "AttachStdin", 0, "AttachStderr", 0,
	              "AttachStdout", 0, "Detach", 0, "DetachKeys", "", "Env", "WorkingDir", "");
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_DETACH)
			detach = check_bool(&a[i]);
		else if (a[i].id == X_INTERACTIVE)
			interactive = check_bool(&a[i]);
		else if (a[i].id == X_PRIVILEGED)
			json_object_set_new(b, "Privileged", json_boolean(check_bool(&a[i])));
		else if (a[i].id == X_TTY)
			json_object_set_new(b, "Tty", json_boolean(check_bool(&a[i])));
		else if (a[i].id == X_USER || a[i].id == X_WORKDIR || a[i].id == X_DETACH_KEYS)
			json_object_set_new(b,
			                    a[i].id == X_USER      ? "User"
			                    : a[i].id == X_WORKDIR ? "WorkingDir"
			                                           : "DetachKeys",
			                    json_string(a[i].value));
		else if (a[i].id == X_ENV) {
			if (!json_is_array(env))
				env = json_array();
			json_array_append_new(env, json_string(a[i].value));
		}
	}
	json_object_set_new(b, "Env", env);
	json_object_set_new(b, "AttachStdin", json_boolean(interactive && !detach));
	json_object_set_new(b, "AttachStderr", json_boolean(!detach));
	json_object_set_new(b, "AttachStdout", json_boolean(!detach));
	json_object_set_new(b, "Detach", json_boolean(detach));
	cmd = json_array();
	for (int i = 1; i < np; i++)
		json_array_append_new(cmd, json_string(pos[i]));
	json_object_set_new(b, "Cmd", cmd);
	check_uri_with_id(uri, sizeof(uri), "/containers", pos[0], "/exec");
	check_add(p, "exec", uri, b);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* docker update [OPTIONS] CONTAINER [CONTAINER...] */

static const char update_template[] =
    "{\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,"
    "\"BlkioWeightDevice\":null,\"BlkioDeviceReadBps\":null,\"BlkioDeviceWriteBps\":null,"
    "\"BlkioDeviceReadIOps\":null,\"BlkioDeviceWriteIOps\":null,\"CpuPeriod\":0,"
    "\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\","
    "\"CpusetMems\":\"\",\"Devices\":null,\"DeviceCgroupRules\":null,\"DeviceRequests\":null,"
    "\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":null,"
    "\"OomKillDisable\":null,\"PidsLimit\":null,\"Ulimits\":null,\"CpuCount\":0,"
    "\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"RestartPolicy\":{"
    "\"Name\":\"\",\"MaximumRetryCount\":0}}";

/* clang-format off */
static const struct check_flag update_flags[] = {
    CHECK_V("blkio-weight", 0, 0), CHECK_V("cpu-period", 0, 0), CHECK_V("cpu-quota", 0, 0),
    CHECK_V("cpu-rt-period", 0, 0), CHECK_V("cpu-rt-runtime", 0, 0),
    CHECK_V("cpu-shares", 'c', X_CPU_SHARES), CHECK_V("cpus", 0, X_CPUS),
    CHECK_V("cpuset-cpus", 0, 0), CHECK_V("cpuset-mems", 0, 0), CHECK_V("kernel-memory", 0, 0),
    CHECK_V("memory", 'm', X_MEMORY), CHECK_V("memory-reservation", 0, 0),
    CHECK_V("memory-swap", 0, X_MEMORY_SWAP), CHECK_V("pids-limit", 0, X_PIDS_LIMIT),
    CHECK_V("restart", 0, X_RESTART), CHECK_END,
};
/* clang-format on */

static int
update_field(struct check_plan *p, json_t *b, const struct check_arg *a)
{
	long long n;

	switch (a->id) {
	case X_MEMORY:
	case X_MEMORY_SWAP:
		n = strcmp(a->value, "-1") == 0 ? -1 : check_size(a->value);
		if (n < -1)
			return check_fail(p, "invalid size: %s", a->value);
		json_object_set_new(b, a->id == X_MEMORY ? "Memory" : "MemorySwap",
		                    json_integer(n));
		break;
	case X_CPUS:
		json_object_set_new(b, "NanoCpus",
		                    json_integer((json_int_t)(strtod(a->value, NULL) * 1e9)));
		break;
	case X_CPU_SHARES:
		json_object_set_new(b, "CpuShares", json_integer(atoll(a->value)));
		break;
	case X_PIDS_LIMIT:
		json_object_set_new(b, "PidsLimit", json_integer(atoll(a->value)));
		break;
	case X_RESTART:
		json_object_set_new(json_object_get(b, "RestartPolicy"), "Name",
		                    json_string(a->value));
		break;
	}
	return 0;
}

int
check_update(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[64];
	char *pos[CHECK_MAX_REQUESTS], uri[2048];
	int na, np;
	json_t *b = json_loads(update_template, 0, NULL);

	if (check_flags(p, update_flags, 1, argc, argv, a, 64, &na, pos, CHECK_MAX_REQUESTS, &np) !=
	    0)
		goto fail;
	if (np < 1) {
		check_fail(p, "\"docker update\" requires at least 1 argument");
		goto fail;
	}
	for (int i = 0; i < na; i++) {
		if (update_field(p, b, &a[i]) != 0)
			goto fail;
	}
	for (int i = 0; i < np; i++) {
		check_uri_with_id(uri, sizeof(uri), "/containers", pos[i], "/update");
		check_add(p, "update", uri, json_incref(b));
	}
	json_decref(b);
	return 0;
fail:
	json_decref(b);
	return -1;
}
