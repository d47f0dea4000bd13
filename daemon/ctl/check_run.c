/* SPDX-License-Identifier: Apache-2.0 */
/* docker run / create / exec / update turned into the requests the docker
 * CLI sends: the create body starts from the exact body the CLI sends for a
 * bare "docker create IMAGE" and each flag changes the fields the CLI
 * changes for it. Every flag of the deniedFlags vocabulary and every way to
 * mount a host path (-v, --mount, --volumes-from, --tmpfs) is represented;
 * other flags are accepted, and represented where they shape the request. */
#include "check.h"
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body of "docker create --pull=never IMAGE" (docker CLI 28, API 1.41). */
static const char create_template[] =
    "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
    "\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,"
    "\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,\"Image\":\"\",\"Volumes\":{},"
    "\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{},\"HostConfig\":{"
    "\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},"
    "\"NetworkMode\":\"default\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\","
    "\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,"
    "\"ConsoleSize\":[0,0],\"CapAdd\":null,\"CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],"
    "\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\","
    "\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,"
    "\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\","
    "\"UsernsMode\":\"\",\"ShmSize\":0,\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,"
    "\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],"
    "\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDeviceReadIOps\":[],"
    "\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,"
    "\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[],"
    "\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,"
    "\"MemorySwap\":0,\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,"
    "\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,"
    "\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\"ReadonlyPaths\":null}}";

/* An endpoint as the CLI sends it for the default network. */
static const char endpoint_template[] =
    "{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\","
    "\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\","
    "\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\","
    "\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}";

/* clang-format off */
enum {
	R_IGNORED = 0, R_ENV, R_ENV_FILE, R_USER, R_WORKDIR, R_ENTRYPOINT, R_HOSTNAME,
	R_DOMAINNAME, R_LABEL, R_TTY, R_INTERACTIVE, R_DETACH, R_NAME, R_PLATFORM, R_PULL,
	R_EXPOSE, R_STOP_SIGNAL, R_PRIVILEGED, R_PID, R_IPC, R_UTS, R_USERNS, R_NETWORK,
	R_ALIAS, R_CGROUPNS, R_CAP_ADD, R_CAP_DROP, R_DEVICE, R_GPUS, R_DEVICE_CGROUP_RULE,
	R_SECURITY_OPT, R_SYSCTL, R_VOLUME, R_MOUNT, R_VOLUMES_FROM, R_TMPFS, R_VOLUME_DRIVER,
	R_RM, R_RESTART, R_PUBLISH, R_PUBLISH_ALL, R_READ_ONLY, R_INIT, R_RUNTIME, R_MEMORY,
	R_MEMORY_SWAP, R_CPUS, R_CPU_SHARES, R_PIDS_LIMIT, R_SHM_SIZE, R_ADD_HOST, R_GROUP_ADD,
	R_LINK, R_DNS, R_LOG_DRIVER, R_LOG_OPT, R_CGROUP_PARENT, R_OOM_SCORE_ADJ, R_ANNOTATION,
};
/* clang-format on */

/* clang-format off */
static const struct check_flag run_flags[] = {
    CHECK_V("add-host", 0, R_ADD_HOST), CHECK_V("annotation", 0, R_ANNOTATION), CHECK_V("attach", 'a', 0),
    CHECK_V("blkio-weight", 0, 0), CHECK_V("blkio-weight-device", 0, 0),
    CHECK_V("cap-add", 0, R_CAP_ADD), CHECK_V("cap-drop", 0, R_CAP_DROP),
    CHECK_V("cgroup-parent", 0, R_CGROUP_PARENT), CHECK_V("cgroupns", 0, R_CGROUPNS),
    CHECK_V("cidfile", 0, 0), CHECK_V("cpu-count", 0, 0), CHECK_V("cpu-percent", 0, 0),
    CHECK_V("cpu-period", 0, 0), CHECK_V("cpu-quota", 0, 0), CHECK_V("cpu-rt-period", 0, 0),
    CHECK_V("cpu-rt-runtime", 0, 0), CHECK_V("cpu-shares", 'c', R_CPU_SHARES),
    CHECK_V("cpus", 0, R_CPUS), CHECK_V("cpuset-cpus", 0, 0), CHECK_V("cpuset-mems", 0, 0),
    CHECK_V("detach-keys", 0, 0), CHECK_V("device", 0, R_DEVICE),
    CHECK_V("device-cgroup-rule", 0, R_DEVICE_CGROUP_RULE), CHECK_V("device-read-bps", 0, 0),
    CHECK_V("device-read-iops", 0, 0), CHECK_V("device-write-bps", 0, 0),
    CHECK_V("device-write-iops", 0, 0), CHECK_V("dns", 0, R_DNS), CHECK_V("dns-option", 0, 0),
    CHECK_V("dns-opt", 0, 0), CHECK_V("dns-search", 0, 0),
    CHECK_V("domainname", 0, R_DOMAINNAME), CHECK_V("entrypoint", 0, R_ENTRYPOINT),
    CHECK_V("env", 'e', R_ENV), CHECK_V("env-file", 0, R_ENV_FILE),
    CHECK_V("expose", 0, R_EXPOSE), CHECK_V("gpus", 0, R_GPUS),
    CHECK_V("group-add", 0, R_GROUP_ADD), CHECK_V("health-cmd", 0, 0),
    CHECK_V("health-interval", 0, 0), CHECK_V("health-retries", 0, 0),
    CHECK_V("health-start-interval", 0, 0), CHECK_V("health-start-period", 0, 0),
    CHECK_V("health-timeout", 0, 0), CHECK_V("hostname", 'h', R_HOSTNAME),
    CHECK_V("io-maxbandwidth", 0, 0), CHECK_V("io-maxiops", 0, 0), CHECK_V("ip", 0, 0),
    CHECK_V("ip6", 0, 0), CHECK_V("ipc", 0, R_IPC), CHECK_V("isolation", 0, 0),
    CHECK_V("kernel-memory", 0, 0), CHECK_V("label", 'l', R_LABEL), CHECK_V("label-file", 0, 0),
    CHECK_V("link", 0, R_LINK), CHECK_V("link-local-ip", 0, 0),
    CHECK_V("log-driver", 0, R_LOG_DRIVER), CHECK_V("log-opt", 0, R_LOG_OPT),
    CHECK_V("mac-address", 0, 0), CHECK_V("memory", 'm', R_MEMORY),
    CHECK_V("memory-reservation", 0, 0), CHECK_V("memory-swap", 0, R_MEMORY_SWAP),
    CHECK_V("memory-swappiness", 0, 0), CHECK_V("mount", 0, R_MOUNT),
    CHECK_V("name", 0, R_NAME), CHECK_V("network", 0, R_NETWORK), CHECK_V("net", 0, R_NETWORK),
    CHECK_V("network-alias", 0, R_ALIAS), CHECK_V("net-alias", 0, R_ALIAS),
    CHECK_V("oom-score-adj", 0, R_OOM_SCORE_ADJ), CHECK_V("pid", 0, R_PID),
    CHECK_V("pids-limit", 0, R_PIDS_LIMIT), CHECK_V("platform", 0, R_PLATFORM),
    CHECK_V("publish", 'p', R_PUBLISH), CHECK_V("pull", 0, R_PULL),
    CHECK_V("restart", 0, R_RESTART), CHECK_V("runtime", 0, R_RUNTIME),
    CHECK_V("security-opt", 0, R_SECURITY_OPT), CHECK_V("shm-size", 0, R_SHM_SIZE),
    CHECK_V("stop-signal", 0, R_STOP_SIGNAL), CHECK_V("stop-timeout", 0, 0),
    CHECK_V("storage-opt", 0, 0), CHECK_V("sysctl", 0, R_SYSCTL), CHECK_V("tmpfs", 0, R_TMPFS),
    CHECK_V("ulimit", 0, 0), CHECK_V("user", 'u', R_USER), CHECK_V("userns", 0, R_USERNS),
    CHECK_V("uts", 0, R_UTS), CHECK_V("volume", 'v', R_VOLUME),
    CHECK_V("volume-driver", 0, R_VOLUME_DRIVER), CHECK_V("volumes-from", 0, R_VOLUMES_FROM),
    CHECK_V("workdir", 'w', R_WORKDIR), CHECK_B("detach", 'd', R_DETACH),
    CHECK_B("disable-content-trust", 0, 0), CHECK_B("init", 0, R_INIT),
    CHECK_B("interactive", 'i', R_INTERACTIVE), CHECK_B("no-healthcheck", 0, 0),
    CHECK_B("oom-kill-disable", 0, 0), CHECK_B("privileged", 0, R_PRIVILEGED),
    CHECK_B("publish-all", 'P', R_PUBLISH_ALL), CHECK_B("quiet", 'q', 0),
    CHECK_B("read-only", 0, R_READ_ONLY), CHECK_B("rm", 0, R_RM), CHECK_B("sig-proxy", 0, 0),
    CHECK_B("tty", 't', R_TTY), CHECK_B("use-api-socket", 0, 0), CHECK_END,
};
/* clang-format on */

/* What the flags decide beyond single fields. */
struct run_state {
	json_t *body, *hc;
	const char *name, *platform, *pull, *network;
	json_t *aliases;
	int detach, interactive, security_opt_given, cmd_given;
};

/* --security-opt: systempaths=unconfined empties MaskedPaths and ReadonlyPaths
 * (and is not sent as an option); a seccomp profile file is sent inline. */
static int
add_security_opt(struct check_plan *p, struct run_state *st, const char *opt)
{
	json_t *so = json_object_get(st->hc, "SecurityOpt");

	if (!json_is_array(so)) {
		so = json_array();
		json_object_set_new(st->hc, "SecurityOpt", so);
	}
	if (strcmp(opt, "systempaths=unconfined") == 0) {
		json_object_set_new(st->hc, "MaskedPaths", json_array());
		json_object_set_new(st->hc, "ReadonlyPaths", json_array());
		return 0;
	}
	if (strncmp(opt, "seccomp=", 8) == 0 && strcmp(opt + 8, "unconfined") != 0 &&
	    strcmp(opt + 8, "builtin") != 0) {
		json_error_t err;
		json_t *prof = json_load_file(opt + 8, 0, &err);
		char *text = prof ? json_dumps(prof, JSON_COMPACT) : NULL, line[1 << 16];

		json_decref(prof);
		if (text == NULL)
			return check_fail(p, "opening seccomp profile (%s) failed: %s", opt + 8,
			                  err.text);
		snprintf(line, sizeof(line), "seccomp=%s", text);
		free(text);
		json_array_append_new(so, json_string(line));
		return 0;
	}
	json_array_append_new(so, json_string(opt));
	return 0;
}

/* -v SRC:DST[:OPTS] is a bind or named volume (sent as written); -v DST alone
 * is an anonymous volume. */
static void
add_volume(struct run_state *st, const char *spec)
{
	if (strchr(spec, ':') != NULL)
		check_list_append(st->hc, "Binds", json_string(spec));
	else
		json_object_set_new(json_object_get(st->body, "Volumes"), spec, json_object());
}

/* The flags that set one Config or HostConfig field from their value. */
static int
apply_simple(struct run_state *st, const struct check_arg *a)
{
	static const struct {
		int id;
		int host;
		const char *field;
	} strs[] = {
	    {R_USER, 0, "User"},
	    {R_WORKDIR, 0, "WorkingDir"},
	    {R_HOSTNAME, 0, "Hostname"},
	    {R_DOMAINNAME, 0, "Domainname"},
	    {R_STOP_SIGNAL, 0, "StopSignal"},
	    {R_PID, 1, "PidMode"},
	    {R_IPC, 1, "IpcMode"},
	    {R_UTS, 1, "UTSMode"},
	    {R_USERNS, 1, "UsernsMode"},
	    {R_CGROUPNS, 1, "CgroupnsMode"},
	    {R_RUNTIME, 1, "Runtime"},
	    {R_VOLUME_DRIVER, 1, "VolumeDriver"},
	    {R_CGROUP_PARENT, 1, "CgroupParent"},
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strs[i].id == a->id) {
			json_object_set_new(strs[i].host ? st->hc : st->body, strs[i].field,
			                    json_string(a->value));
			return 1;
		}
	}
	return 0;
}

/* The flags of the deniedFlags vocabulary and the host-path flags. */
static int
apply_policy_flag(struct check_plan *p, struct run_state *st, const struct check_arg *a)
{
	json_t *m;

	switch (a->id) {
	case R_PRIVILEGED:
		json_object_set_new(st->hc, "Privileged", json_boolean(check_bool(a)));
		return 0;
	case R_CAP_ADD:
	case R_CAP_DROP: {
		const char *key = a->id == R_CAP_ADD ? "CapAdd" : "CapDrop";
		if (!json_is_array(json_object_get(st->hc, key)))
			json_object_set_new(st->hc, key, json_array());
		check_cap_add(json_object_get(st->hc, key), a->value);
		return 0;
	}
	case R_DEVICE:
		return check_device(p, st->hc, a->value);
	case R_GPUS:
		return check_gpus(p, st->hc, a->value);
	case R_DEVICE_CGROUP_RULE:
		check_list_append(st->hc, "DeviceCgroupRules", json_string(a->value));
		return 0;
	case R_SECURITY_OPT:
		st->security_opt_given = 1;
		return add_security_opt(p, st, a->value);
	case R_SYSCTL:
		if (!json_is_object(json_object_get(st->hc, "Sysctls")))
			json_object_set_new(st->hc, "Sysctls", json_object());
		return check_kv(p, json_object_get(st->hc, "Sysctls"), "--sysctl", a->value);
	case R_VOLUME:
		add_volume(st, a->value);
		return 0;
	case R_MOUNT:
		if ((m = check_mount(p, a->value)) == NULL)
			return -1;
		check_list_append(st->hc, "Mounts", m);
		return 0;
	case R_VOLUMES_FROM:
		check_list_append(st->hc, "VolumesFrom", json_string(a->value));
		return 0;
	case R_TMPFS: {
		const char *colon = strchr(a->value, ':');
		char dst[1024];
		snprintf(dst, sizeof(dst), "%.*s", colon ? (int)(colon - a->value) : 1023,
		         a->value);
		if (!json_is_object(json_object_get(st->hc, "Tmpfs")))
			json_object_set_new(st->hc, "Tmpfs", json_object());
		json_object_set_new(json_object_get(st->hc, "Tmpfs"), dst,
		                    json_string(colon ? colon + 1 : ""));
		return 0;
	}
	}
	return 1;
}

static int
set_size(struct check_plan *p, json_t *hc, const char *field, const char *flag, const char *v)
{
	long long n = strcmp(v, "-1") == 0 ? -1 : check_size(v);

	if (n < -1)
		return check_fail(p, "invalid value for %s: %s", flag, v);
	json_object_set_new(hc, field, json_integer(n));
	return 0;
}

/* Everything else that shapes the request. */
static int
apply_other_flag(struct check_plan *p, struct run_state *st, const struct check_arg *a)
{
	switch (a->id) {
	case R_ENV:
		if (strchr(a->value, '=') != NULL || getenv(a->value) == NULL) {
			if (strchr(a->value, '=') != NULL)
				check_list_append(st->body, "Env", json_string(a->value));
		} else {
			char kv[8192];
			snprintf(kv, sizeof(kv), "%s=%s", a->value, getenv(a->value));
			check_list_append(st->body, "Env", json_string(kv));
		}
		return 0;
	case R_ENV_FILE:
		return check_env_file(p, st->body, a->value);
	case R_ENTRYPOINT:
		json_object_set_new(st->body, "Entrypoint", json_pack("[s]", a->value));
		return 0;
	case R_LABEL:
		return check_kv(p, json_object_get(st->body, "Labels"), "--label", a->value);
	case R_TTY:
		json_object_set_new(st->body, "Tty", json_boolean(check_bool(a)));
		return 0;
	case R_INTERACTIVE:
		st->interactive = check_bool(a);
		return 0;
	case R_DETACH:
		st->detach = check_bool(a);
		return 0;
	case R_NAME:
		st->name = a->value;
		return 0;
	case R_PLATFORM:
		st->platform = a->value;
		return 0;
	case R_PULL:
		st->pull = a->value;
		return 0;
	case R_NETWORK:
		st->network = a->value;
		return 0;
	case R_ALIAS:
		json_array_append_new(st->aliases, json_string(a->value));
		return 0;
	case R_EXPOSE: {
		char port[64];
		json_t *ex = json_object_get(st->body, "ExposedPorts");
		if (!json_is_object(ex)) {
			ex = json_object();
			json_object_set_new(st->body, "ExposedPorts", ex);
		}
		snprintf(port, sizeof(port), "%s%s", a->value, strchr(a->value, '/') ? "" : "/tcp");
		json_object_set_new(ex, port, json_object());
		return 0;
	}
	case R_PUBLISH:
		return check_publish(p, st->body, st->hc, a->value);
	}
	return 1;
}

static int
apply_host_flag(struct check_plan *p, struct run_state *st, const struct check_arg *a)
{
	json_t *hc = st->hc;

	switch (a->id) {
	case R_RM:
		json_object_set_new(hc, "AutoRemove", json_boolean(check_bool(a)));
		return 0;
	case R_READ_ONLY:
		json_object_set_new(hc, "ReadonlyRootfs", json_boolean(check_bool(a)));
		return 0;
	case R_PUBLISH_ALL:
		json_object_set_new(hc, "PublishAllPorts", json_boolean(check_bool(a)));
		return 0;
	case R_INIT:
		json_object_set_new(hc, "Init", json_boolean(check_bool(a)));
		return 0;
	case R_RESTART: {
		const char *colon = strchr(a->value, ':');
		json_object_set_new(
		    hc, "RestartPolicy",
		    json_pack("{s:s#, s:i}", "Name", a->value,
		              colon ? (int)(colon - a->value) : (int)strlen(a->value),
		              "MaximumRetryCount", colon ? atoi(colon + 1) : 0));
		return 0;
	}
	case R_MEMORY:
		return set_size(p, hc, "Memory", "--memory", a->value);
	case R_MEMORY_SWAP:
		return set_size(p, hc, "MemorySwap", "--memory-swap", a->value);
	case R_SHM_SIZE:
		return set_size(p, hc, "ShmSize", "--shm-size", a->value);
	case R_CPUS:
		json_object_set_new(hc, "NanoCpus",
		                    json_integer((json_int_t)(strtod(a->value, NULL) * 1e9)));
		return 0;
	case R_CPU_SHARES:
		json_object_set_new(hc, "CpuShares", json_integer(atoll(a->value)));
		return 0;
	case R_PIDS_LIMIT:
		json_object_set_new(hc, "PidsLimit", json_integer(atoll(a->value)));
		return 0;
	case R_OOM_SCORE_ADJ:
		json_object_set_new(hc, "OomScoreAdj", json_integer(atoll(a->value)));
		return 0;
	case R_ADD_HOST:
		check_list_append(hc, "ExtraHosts", json_string(a->value));
		return 0;
	case R_GROUP_ADD:
		check_list_append(hc, "GroupAdd", json_string(a->value));
		return 0;
	case R_LINK:
		check_list_append(hc, "Links", json_string(a->value));
		return 0;
	case R_DNS:
		check_list_append(hc, "Dns", json_string(a->value));
		return 0;
	case R_LOG_DRIVER:
		json_object_set_new(json_object_get(hc, "LogConfig"), "Type",
		                    json_string(a->value));
		return 0;
	case R_LOG_OPT:
		return check_kv(p, json_object_get(json_object_get(hc, "LogConfig"), "Config"),
		                "--log-opt", a->value);
	case R_ANNOTATION:
		if (!json_is_object(json_object_get(hc, "Annotations")))
			json_object_set_new(hc, "Annotations", json_object());
		return check_kv(p, json_object_get(hc, "Annotations"), "--annotation", a->value);
	}
	return 1;
}

static int
apply_flag(struct check_plan *p, struct run_state *st, const struct check_arg *a)
{
	int rc;

	if (a->id == R_IGNORED || apply_simple(st, a))
		return 0;
	if ((rc = apply_policy_flag(p, st, a)) <= 0)
		return rc;
	if ((rc = apply_other_flag(p, st, a)) <= 0)
		return rc;
	return apply_host_flag(p, st, a) < 0 ? -1 : 0;
}

/* NetworkMode and the endpoint the CLI adds for it: "default" and
 * user-defined networks get one; host, bridge, none and container:ID none. */
static void
set_network(struct run_state *st)
{
	const char *net = st->network ? st->network : "default";
	json_t *eps = json_object(), *ep;

	json_object_set_new(st->hc, "NetworkMode", json_string(net));
	if (strcmp(net, "host") != 0 && strcmp(net, "bridge") != 0 && strcmp(net, "none") != 0 &&
	    strncmp(net, "container:", 10) != 0) {
		ep = json_loads(endpoint_template, 0, NULL);
		if (json_array_size(st->aliases) > 0)
			json_object_set(ep, "Aliases", st->aliases);
		json_object_set_new(eps, net, ep);
	}
	json_object_set_new(st->body, "NetworkingConfig",
	                    json_pack("{s:o}", "EndpointsConfig", eps));
}

/* The attach and stdin fields: run attaches stdout/stderr unless -d. */
static void
set_attach(struct run_state *st, int create)
{
	int attach = create || !st->detach;

	json_object_set_new(st->body, "AttachStdin", json_boolean(st->interactive && attach));
	json_object_set_new(st->body, "AttachStdout", json_boolean(attach));
	json_object_set_new(st->body, "AttachStderr", json_boolean(attach));
	json_object_set_new(st->body, "OpenStdin", json_boolean(st->interactive));
	json_object_set_new(st->body, "StdinOnce", json_boolean(st->interactive && attach));
}

/* The create, and the pull the CLI sends first (--pull=always) or when the
 * image is missing (the default, --pull=missing). */
static int
plan_requests(struct check_plan *p, struct run_state *st, const char *image)
{
	char uri[4096] = CHECK_API "/containers/create";
	int always = st->pull != NULL && strcmp(st->pull, "always") == 0;

	if (st->pull != NULL && !always && strcmp(st->pull, "never") != 0 &&
	    strcmp(st->pull, "missing") != 0)
		return check_fail(p, "invalid pull option: '%s'", st->pull);
	ctl_query_add(uri, sizeof(uri), "name", st->name);
	ctl_query_add(uri, sizeof(uri), "platform", st->platform);
	check_add(p, "create", uri, json_incref(st->body));
	if (st->pull == NULL || strcmp(st->pull, "never") != 0)
		return check_pull_request(p, image, st->platform, !always);
	return 0;
}

int
check_run(struct check_plan *p, int create, int argc, char **argv)
{
	struct check_arg args[256];
	struct run_state st;
	char *pos[256];
	int nargs, npos, rc = -1;

	memset(&st, 0, sizeof(st));
	if (check_flags(p, run_flags, 0, argc, argv, args, 256, &nargs, pos, 256, &npos) != 0)
		return -1;
	if (npos < 1)
		return check_fail(p, "\"docker %s\" requires at least 1 argument: IMAGE",
		                  create ? "create" : "run");
	st.body = json_loads(create_template, 0, NULL);
	st.hc = json_object_get(st.body, "HostConfig");
	st.aliases = json_array();
	json_object_set_new(st.body, "Image", json_string(pos[0]));
	for (int i = 0; i < nargs; i++) {
		if (apply_flag(p, &st, &args[i]) != 0)
			goto out;
	}
	if (npos > 1) {
		json_t *cmd = json_array();
		for (int i = 1; i < npos; i++)
			json_array_append_new(cmd, json_string(pos[i]));
		json_object_set_new(st.body, "Cmd", cmd);
	}
	check_caps_effective(json_object_get(st.hc, "CapAdd"), json_object_get(st.hc, "CapDrop"));
	set_network(&st);
	set_attach(&st, create);
	rc = plan_requests(p, &st, pos[0]);
out:
	json_decref(st.aliases);
	json_decref(st.body);
	return rc;
}
