/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for decide.c and decide_policy.c: policy compilation from small
 * effective-settings documents, capability normalisation, audit mode, the
 * deny message and the violations JSON, and a throughput smoke test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "engine/decide.h"

static struct decide_policy *
policy(const char *json)
{
	json_error_t err;
	json_t *eff = json_loads(json, 0, &err);
	struct decide_policy *dp;

	if (eff == NULL) {
		fprintf(stderr, "bad test policy: %s\n", err.text);
		abort();
	}
	dp = decide_policy_new(eff);
	json_decref(eff);
	CHECK(dp != NULL);
	return dp;
}

static void
eval(const struct decide_policy *dp, const char *uri, const char *body, struct decision *d)
{
	struct decide_request r = {.method = "POST",
	                           .uri = uri,
	                           .user = "alice",
	                           .body = body,
	                           .body_len = body ? strlen(body) : 0,
	                           .has_body = body != NULL};

	CHECK_INT_EQ(decide_eval(dp, &r, d), 0);
}

static const char *
rules(const struct decision *d, char *buf, size_t bufsz)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < d->nv; i++) {
		if (i > 0)
			strncat(buf, " ", bufsz - strlen(buf) - 1);
		strncat(buf, d->v[i].rule, bufsz - strlen(buf) - 1);
	}
	return buf;
}

static void
test_cap_add_all_in_policy_denies_any_cap(void)
{
	struct decide_policy *dp =
	    policy("{\"containerPolicy\":{\"deniedFlags\":[\"--cap-add=ALL\"]}}");
	struct decision d;
	char buf[256];

	eval(dp, "/containers/create", "{\"HostConfig\":{\"CapAdd\":[\"chown\"]}}", &d);
	CHECK_STR_EQ(rules(&d, buf, sizeof(buf)), "cap-add");
	CHECK_INT_EQ(d.allow, 0);
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_cap_names_normalised_both_sides(void)
{
	struct decide_policy *dp =
	    policy("{\"containerPolicy\":{\"deniedFlags\":[\"--cap-add=cap_sys_admin\"]}}");
	const char *variants[] = {"SYS_ADMIN",     "sys_admin", "CAP_SYS_ADMIN",
	                          "Cap_Sys_Admin", "ALL",       "all"};
	struct decision d;
	char body[128], buf[64];
	size_t i;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		snprintf(body, sizeof(body), "{\"HostConfig\":{\"CapAdd\":[\"%s\"]}}", variants[i]);
		eval(dp, "/containers/create", body, &d);
		CHECK_STR_EQ(rules(&d, buf, sizeof(buf)), "cap-add");
		decision_clear(&d);
	}
	eval(dp, "/containers/create", "{\"HostConfig\":{\"CapAdd\":[\"NET_ADMIN\"]}}", &d);
	CHECK_INT_EQ(d.nv, 0);
	CHECK_INT_EQ(d.allow, 1);
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_missing_keys_mean_unrestricted(void)
{
	struct decide_policy *dp = policy("{}");
	struct decision d;

	eval(dp, "/containers/create",
	     "{\"HostConfig\":{\"Privileged\":true,\"PidMode\":\"host\",\"Binds\":[\"/:/h\"]}}",
	     &d);
	CHECK_INT_EQ(d.allow, 1);
	CHECK_INT_EQ(d.nv, 0);
	CHECK_INT_EQ(d.inspected, 1);
	CHECK_STR_EQ(d.mode, "enforce");
	decision_clear(&d);
	eval(dp, "/images/load", NULL, &d);
	CHECK_INT_EQ(d.allow, 1);
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_eci_denies_host_pid_and_network_whatever_flags_say(void)
{
	struct decide_policy *dp = policy("{\"enhancedContainerIsolation\":{\"value\":true}}");
	struct decision d;
	char buf[256];

	eval(
	    dp, "/containers/create",
	    "{\"HostConfig\":{\"PidMode\":\"host\",\"NetworkMode\":\"host\",\"IpcMode\":\"host\"}}",
	    &d);
	CHECK_STR_EQ(rules(&d, buf, sizeof(buf)), "host-pid host-network");
	decision_clear(&d);
	/* Another container's namespace may be the host's: with no lookup, abc
	 * cannot be told apart from it (decision cases judge known ones). */
	eval(dp, "/containers/create", "{\"HostConfig\":{\"PidMode\":\"container:abc\"}}", &d);
	CHECK_INT_EQ(d.allow, 0);
	CHECK_STR_EQ(rules(&d, buf, sizeof(buf)), "unknown-container");
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_audit_mode_allows_and_reports(void)
{
	struct decide_policy *dp = policy("{\"containerPolicy\":{\"mode\":\"audit\","
	                                  "\"deniedFlags\":[\"--privileged\"]}}");
	struct decision d;

	eval(dp, "/v1.47/containers/create",
	     "{\"Image\":\"alpine\",\"HostConfig\":{\"Privileged\":true}}", &d);
	CHECK_INT_EQ(d.allow, 1);
	CHECK_INT_EQ(d.nv, 1);
	CHECK_STR_EQ(d.mode, "audit");
	CHECK_STR_EQ(d.action, "container.create.audited");
	CHECK_STR_EQ(d.subject, "alpine");
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_actions_and_subjects(void)
{
	struct decide_policy *dp =
	    policy("{\"containerPolicy\":{\"deniedFlags\":[\"--privileged\"],\"allowedRegistries\":"
	           "[\"docker.io\"]},\"blockDockerLoad\":{\"value\":true}}");
	struct decision d;

	eval(dp, "/v1.47/containers/abc/exec", "{\"Privileged\":true}", &d);
	CHECK_STR_EQ(d.action, "exec.denied");
	CHECK_STR_EQ(d.route, "exec.create");
	CHECK_STR_EQ(d.subject, "abc");
	CHECK_STR_EQ(d.v[0].field, "Privileged");
	decision_clear(&d);
	eval(dp, "/v1.47/images/create?fromImage=quay.io%2Fa%2Fb&tag=1", NULL, &d);
	CHECK_STR_EQ(d.action, "image.pull.denied");
	CHECK_STR_EQ(d.subject, "quay.io/a/b:1");
	CHECK_STR_EQ(d.v[0].rule, "registry");
	CHECK_STR_EQ(d.v[0].field, "fromImage");
	decision_clear(&d);
	eval(dp, "/images/load", NULL, &d);
	CHECK_STR_EQ(d.action, "image.load.denied");
	decision_clear(&d);
	eval(dp, "/plugins/pull?remote=vieux%2Fsshfs", NULL, &d);
	CHECK_STR_EQ(d.action, "plugin.install.denied");
	CHECK_STR_EQ(d.subject, "vieux/sshfs");
	decision_clear(&d);
	eval(dp, "/containers/abc/stop", NULL, &d);
	CHECK_INT_EQ(d.inspected, 0);
	CHECK_STR_EQ(d.route, "other");
	CHECK_INT_EQ(d.allow, 1);
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_deny_message_is_one_line(void)
{
	struct decide_policy *dp = policy("{\"containerPolicy\":{\"deniedFlags\":[\"--privileged\","
	                                  "\"--pid=host\",\"--sysctl\"]}}");
	struct decision d;
	char *msg;

	eval(dp, "/v1.47/containers/create",
	     "{\"HostConfig\":{\"Privileged\":true,\"PidMode\":\"host\",\"Sysctls\":{\"a\\nb\":"
	     "\"1\"}}}",
	     &d);
	msg = decision_deny_message(&d, 7, "0123abcd");
	CHECK(msg != NULL);
	CHECK_STR_EQ(msg, "lockset: denied by policy v7:\n"
	                  "  --privileged: privileged mode is not allowed [privileged]\n"
	                  "  --pid=host: the host's namespace (HostConfig.PidMode=host) is not "
	                  "allowed [host-pid]\n"
	                  "  --sysctl a?b: setting sysctl a?b is not allowed [sysctl]\n"
	                  "ask your Docker administrator if you need an exception; decision "
	                  "0123abcd");
	CHECK(strstr(msg, "administrator") != NULL);
	free(msg);
	decision_clear(&d);
	decide_policy_free(dp);
}

static void
test_violations_json_shape(void)
{
	struct decide_policy *dp = policy("{\"containerPolicy\":{\"deniedFlags\":[\"--device\"]}}");
	struct decision d;
	json_t *v;

	eval(dp, "/containers/create",
	     "{\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/kvm\"}]}}", &d);
	v = decision_violations_json(&d);
	CHECK(json_array_size(v) == 1);
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(v, 0), "rule")), "device");
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(v, 0), "field")),
	             "HostConfig.Devices[0]");
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(v, 0), "value")), "/dev/kvm");
	CHECK(json_object_get(json_array_get(v, 0), "message") != NULL);
	json_decref(v);
	decision_clear(&d);
	decision_clear(NULL);
	decide_policy_free(NULL);
	decide_policy_free(dp);
}

static void
test_share_list_null_vs_empty(void)
{
	struct decide_policy *open = policy("{\"filesharingAllowedDirectories\":null}");
	struct decide_policy *none = policy("{\"filesharingAllowedDirectories\":[]}");
	struct decision d;

	eval(open, "/containers/create", "{\"HostConfig\":{\"Binds\":[\"/srv:/srv\"]}}", &d);
	CHECK_INT_EQ(d.allow, 1);
	decision_clear(&d);
	eval(none, "/containers/create", "{\"HostConfig\":{\"Binds\":[\"/srv:/srv\",\"vol:/v\"]}}",
	     &d);
	CHECK_INT_EQ(d.allow, 0);
	CHECK_INT_EQ(d.nv, 1);
	CHECK_STR_EQ(d.v[0].field, "HostConfig.Binds[0]");
	decision_clear(&d);
	decide_policy_free(open);
	decide_policy_free(none);
}

/* allowedVolumeDrivers: null lets any driver through, [] the built-in local
 * driver alone (by its exact name), a list its names too; the message names
 * the flag the developer typed. */
static void
test_volume_driver_list_null_empty_and_listed(void)
{
	struct decide_policy *open =
	    policy("{\"containerPolicy\":{\"allowedVolumeDrivers\":null}}");
	struct decide_policy *none = policy("{\"containerPolicy\":{\"allowedVolumeDrivers\":[]}}");
	struct decide_policy *one =
	    policy("{\"containerPolicy\":{\"allowedVolumeDrivers\":[\"sshfs\"]}}");
	static const char create[] = "{\"Name\":\"v\",\"Driver\":\"%s\"}";
	static const struct {
		const char *driver;
		int open, none, one;
	} want[] = {
	    {"local", 1, 1, 1},        {"", 1, 1, 1}, {"sshfs", 1, 0, 1}, {"Local", 1, 0, 0},
	    {"sshfs:latest", 1, 0, 0},
	};
	struct decision d;
	char body[128], buf[128], *msg;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(body, sizeof(body), create, want[i].driver);
		eval(open, "/volumes/create", body, &d);
		CHECK_INT_EQ(d.allow, want[i].open);
		decision_clear(&d);
		eval(none, "/volumes/create", body, &d);
		CHECK_INT_EQ(d.allow, want[i].none);
		if (!want[i].none)
			CHECK_STR_EQ(rules(&d, buf, sizeof(buf)), "volume-driver");
		decision_clear(&d);
		eval(one, "/volumes/create", body, &d);
		CHECK_INT_EQ(d.allow, want[i].one);
		decision_clear(&d);
	}
	eval(none, "/containers/create",
	     "{\"HostConfig\":{\"VolumeDriver\":\"sshfs\",\"Binds\":[\"v:/v\"]}}", &d);
	CHECK_INT_EQ(d.allow, 0);
	CHECK_STR_EQ(d.v[0].field, "HostConfig.VolumeDriver");
	msg = decision_deny_message(&d, 1, "id");
	CHECK(msg != NULL &&
	      strstr(msg, "\n  --volume-driver sshfs: the volume driver sshfs is not "
	                  "in allowedVolumeDrivers") != NULL);
	free(msg);
	decision_clear(&d);
	decide_policy_free(open);
	decide_policy_free(none);
	decide_policy_free(one);
}

/* allowedNetworkDrivers judges built-in drivers too; a create that names
 * none is the engine's default, bridge (and overlay too when swarm-scoped). */
static void
test_network_driver_list(void)
{
	struct decide_policy *dp =
	    policy("{\"containerPolicy\":{\"allowedNetworkDrivers\":[\"bridge\"]}}");
	static const struct {
		const char *body;
		int allow;
	} want[] = {
	    {"{\"Name\":\"n\",\"Driver\":\"bridge\"}", 1},
	    {"{\"Name\":\"n\"}", 1},
	    {"{\"Name\":\"n\",\"Scope\":\"local\"}", 1},
	    {"{\"Name\":\"n\",\"Scope\":\"swarm\"}", 0},
	    {"{\"Name\":\"n\",\"Driver\":\"macvlan\"}", 0},
	    {"{\"Name\":\"n\",\"Driver\":\"Bridge\"}", 0},
	};
	struct decision d;
	char buf[64];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		eval(dp, "/networks/create", want[i].body, &d);
		CHECK_INT_EQ(d.allow, want[i].allow);
		if (!want[i].allow)
			CHECK_STR_EQ(rules(&d, buf, sizeof(buf)), "network-driver");
		decision_clear(&d);
	}
	decide_policy_free(dp);
}

/* A share entry's expandedPaths lists every expansion ($HOME: one per home):
 * each is a share; an empty list shares nothing. */
static void
test_every_expanded_path_is_a_share(void)
{
	struct decide_policy *dp =
	    policy("{\"filesharingAllowedDirectories\":[{\"path\":\"$HOME\",\"expandedPath\":"
	           "\"/home/alice\",\"expandedPaths\":[\"/home/alice\",\"/srv/bob\"]},{\"path\":"
	           "\"$HOME/x\",\"expandedPath\":null,\"expandedPaths\":[]}],\"containerPolicy\":"
	           "{\"expandedProtectedHostPaths\":[\"/home/alice/.ssh\",\"/srv/bob/.ssh\"]}}");
	static const struct {
		const char *src;
		int allow;
	} cases[] = {
	    {"/home/alice/site", 1}, {"/srv/bob/site", 1},       {"/srv/carol", 0},
	    {"/srv/bob/.ssh", 0},    {"/home/alice/.ssh/id", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[256];
		struct decision d;

		snprintf(body, sizeof(body),
		         "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"%s:/x\"]}}", cases[i].src);
		struct decide_request r = {.method = "POST",
		                           .uri = "/containers/create",
		                           .body = body,
		                           .body_len = strlen(body),
		                           .has_body = 1};
		CHECK_INT_EQ(decide_eval(dp, &r, &d), 0);
		CHECK_INT_EQ(d.allow, cases[i].allow);
		decision_clear(&d);
	}
	decide_policy_free(dp);
}

/* A create whose n binds are all src, judged with shares /tmp. */
static void
eval_binds(const struct decide_policy *dp, const char *src, int n, struct decision *d)
{
	size_t cap = (size_t)n * (strlen(src) + 16) + 64, len;
	char *body = malloc(cap);

	CHECK(body != NULL);
	if (body == NULL)
		abort();
	len = (size_t)snprintf(body, cap, "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[");
	for (int i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(body + len, cap - len, "%s\"%s:/x%d\"", i ? "," : "", src, i);
	snprintf(body + len, cap - len, "]}}");
	eval(dp, "/v1.47/containers/create", body, d);
	free(body);
}

/* The host paths of one request are resolved within DECIDE_LOOKUPS file
 * system lookups: thousands of binds through a symlink loop are refused
 * once the lookups run out, without resolving the rest; fifty ordinary
 * binds are far from it. */
static void
test_host_path_lookups_bounded(void)
{
	struct decide_policy *dp = policy("{\"filesharingAllowedDirectories\":[{\"expandedPath\":"
	                                  "\"/tmp\"}]}");
	char dir[] = "/tmp/lockset-test-lookups-XXXXXX", a[64], b[64];
	struct decision d;
	size_t spent = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	CHECK_INT_EQ(symlink(b, a), 0);
	CHECK_INT_EQ(symlink(a, b), 0);
	eval_binds(dp, a, 3000, &d);
	CHECK_INT_EQ(d.allow, 0);
	for (size_t i = 0; i < d.nv; i++)
		if (strstr(d.v[i].message, "file system lookups") != NULL)
			spent++;
	CHECK_INT_EQ((long)spent, 1);
	/* Each loop takes some 200 lookups: the rest were never walked. */
	CHECK(d.nv < 300);
	/* ... and the last: nothing was judged after the lookups ran out. */
	CHECK(d.nv > 0 && strstr(d.v[d.nv - 1].message, "file system lookups") != NULL);
	decision_clear(&d);
	eval_binds(dp, dir, 50, &d);
	CHECK_INT_EQ(d.allow, 1);
	decision_clear(&d);
	unlink(a);
	unlink(b);
	rmdir(dir);
	decide_policy_free(dp);
}

static void
test_throughput_smoke(void)
{
	struct decide_policy *dp = policy(
	    "{\"enhancedContainerIsolation\":{\"value\":true},\"filesharingAllowedDirectories\":"
	    "[{\"expandedPath\":\"/home/alice\"},{\"expandedPath\":\"/tmp\"}],\"containerPolicy\":"
	    "{\"deniedFlags\":[\"--privileged\",\"--cap-add=ALL\"],\"expandedProtectedHostPaths\":"
	    "[\"/home/alice/.ssh\"]}}");
	const char *body = "{\"Image\":\"nginx\",\"HostConfig\":{\"Binds\":[\"/home/alice/site:"
	                   "/usr/share/nginx/html:ro\"],\"NetworkMode\":\"default\",\"CapDrop\":"
	                   "[\"CAP_NET_RAW\"],\"SecurityOpt\":[\"no-new-privileges\"]}}";
	struct timespec a, b;
	struct decision d;
	int i, n = 20000;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		struct decide_request r = {.method = "POST",
		                           .uri = "/v1.47/containers/create",
		                           .user = "",
		                           .body = body,
		                           .body_len = strlen(body),
		                           .has_body = 1};

		decide_eval(dp, &r, &d);
		decision_clear(&d);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("# %d create decisions in %.3f s (%.0f/s on one core)\n", n, secs, n / secs);
	CHECK(secs < 20.0);
	decide_policy_free(dp);
}

/* An engine's default MaskedPaths, by its version (moby's oci/defaults.go at
 * each release tag): powercap from 20.10.27, 23.0.8, 24.0.7 and 25.0.0,
 * /proc/interrupts from 28.0.2; no version (a caller's description): what
 * every engine since 20.10 writes. */
static void
test_default_system_paths_by_engine_version(void)
{
	static const char *const v2010[] = {
	    "/proc/asound",
	    "/proc/acpi",
	    "/proc/kcore",
	    "/proc/keys",
	    "/proc/latency_stats",
	    "/proc/timer_list",
	    "/proc/timer_stats",
	    "/proc/sched_debug",
	    "/proc/scsi",
	    "/sys/firmware",
	    "/sys/devices/virtual/powercap",
	    "/proc/interrupts",
	};
	static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	                                       "/proc/sysrq-trigger"};
	static const struct {
		const char *version;
		size_t
		    n; /* the first n of v2010: 10 oldest, 11 with powercap, 12 with interrupts */
		int is_default;
	} cases[] = {
	    {NULL, 10, 1},       {"20.10.24+dfsg1", 10, 1},
	    {"20.10.27", 10, 0}, {"20.10.27", 11, 1},
	    {"23.0.7", 10, 1},   {"23.0.8", 10, 0},
	    {"24.0.6", 10, 1},   {"24.0.7", 10, 0},
	    {"25.0.0", 11, 1},   {"28.0.1", 11, 1},
	    {"28.0.2", 11, 0},   {"28.2.2", 12, 1},
	    {"29.1.3", 11, 0},   {"dev", 11, 0},
	    {"", 12, 1},         {"1.13.1", 10, 1},
	    {"28.0", 12, 1},     {"20.10.999999", 11, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = decide_systempaths_engine_default(1, v2010, cases[i].n, cases[i].version);

		CHECK_INT_EQ(got, cases[i].is_default);
		if (got != cases[i].is_default)
			fprintf(stderr, "# %s, %zu paths\n", cases[i].version, cases[i].n);
	}
	CHECK_INT_EQ(decide_systempaths_engine_default(1, v2010, 9, NULL), 0);
	CHECK_INT_EQ(decide_systempaths_engine_default(0, readonly, 5, "28.2.2"), 1);
	CHECK_INT_EQ(decide_systempaths_engine_default(0, readonly, 4, "20.10.24"), 0);
}

int
main(void)
{
	RUN(test_cap_add_all_in_policy_denies_any_cap);
	RUN(test_cap_names_normalised_both_sides);
	RUN(test_missing_keys_mean_unrestricted);
	RUN(test_eci_denies_host_pid_and_network_whatever_flags_say);
	RUN(test_audit_mode_allows_and_reports);
	RUN(test_actions_and_subjects);
	RUN(test_deny_message_is_one_line);
	RUN(test_violations_json_shape);
	RUN(test_share_list_null_vs_empty);
	RUN(test_volume_driver_list_null_empty_and_listed);
	RUN(test_network_driver_list);
	RUN(test_every_expanded_path_is_a_share);
	RUN(test_default_system_paths_by_engine_version);
	RUN(test_host_path_lookups_bounded);
	RUN(test_throughput_smoke);
	return CHECK_DONE();
}
