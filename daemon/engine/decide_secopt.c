/* SPDX-License-Identifier: Apache-2.0 */
/* Security options -> rule violations: HostConfig.SecurityOpt as dockerd's
 * parseSecurityOpt reads it (custom seccomp profiles by digest, AppArmor
 * profiles, SELinux types, writable-cgroups, systempaths), and MaskedPaths
 * and ReadonlyPaths against dockerd's defaults. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "decide_int.h"

/* The MaskedPaths / ReadonlyPaths dockerd applies by default: the union of
 * Docker 20.10 to 28 (the per-CPU thermal_throttle entries of 28 depend on the
 * host and are left out). A request list missing one of them unmasks it. */
static const char *const default_masked[] = {
    "/proc/acpi",       "/proc/asound",        "/proc/interrupts",  "/proc/kcore",
    "/proc/keys",       "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
    "/proc/timer_list", "/proc/timer_stats",   "/sys/firmware",     "/sys/devices/virtual/powercap",
};
static const char *const default_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
/* What every engine since Docker 20.10 masks by default; the read-only list
 * has not changed. Later versions add (moby's oci/defaults.go, by release
 * tag) /sys/devices/virtual/powercap from 20.10.27, 23.0.8, 24.0.7 and 25.0.0
 * on, and /proc/interrupts from 28.0.2 on. */
static const char *const oldest_masked[] = {
    "/proc/acpi",          "/proc/asound",      "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",  "/proc/timer_list",
    "/proc/timer_stats",   "/sys/firmware",
};

/* "A.B.C..." (Docker's ServerVersion, "20.10.24+dfsg1") as A*1e6+B*1e3+C;
 * -1 when it does not start that way. */
static long
engine_version_number(const char *v)
{
	long part[3] = {0, 0, 0};

	for (int i = 0; i < 3; i++) {
		if (*v < '0' || *v > '9')
			return -1;
		while (*v >= '0' && *v <= '9' && part[i] < 100000)
			part[i] = part[i] * 10 + (*v++ - '0');
		if (part[i] >= 1000 || (i < 2 && *v++ != '.'))
			return -1;
	}
	return part[0] * 1000000 + part[1] * 1000 + part[2];
}

/* Does the engine of version v (engine_version_number; -1: not known, as
 * the newest) mask powercap by default? */
static int
engine_masks_powercap(long v)
{
	return v < 0 || v >= 24000007 || (v >= 23000008 && v < 24000000) ||
	       (v >= 20010027 && v < 23000000);
}

/* 1 when list (n paths) holds path. */
static int
holds(const char *const *list, size_t n, const char *path)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(list[j], path) == 0)
			return 1;
	return 0;
}

int
decide_systempaths_engine_default(int masked, const char *const *list, size_t n,
                                  const char *engine_version)
{
	const char *const *want = masked ? oldest_masked : default_readonly;
	size_t nwant = masked ? sizeof(oldest_masked) / sizeof(*want)
	                      : sizeof(default_readonly) / sizeof(*want);
	long v = engine_version != NULL ? engine_version_number(engine_version) : 0;

	for (size_t i = 0; i < nwant; i++)
		if (!holds(list, n, want[i]))
			return 0;
	if (masked && engine_version != NULL &&
	    ((engine_masks_powercap(v) && !holds(list, n, "/sys/devices/virtual/powercap")) ||
	     ((v < 0 || v >= 28000002) && !holds(list, n, "/proc/interrupts"))))
		return 0;
	return 1;
}

/* SHA-256 of a profile's JSON with white space outside strings removed (what
 * docker run sends), as "sha256:<hex>"; "" when it cannot be computed. */
static void
profile_digest(const char *json, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	int in_str = 0, esc = 0, ok;
	const char *p, *run = json;

	ok = mc != NULL && EVP_DigestInit_ex(mc, EVP_sha256(), NULL) == 1;
	for (p = json; ok && *p != '\0'; p++) {
		if (in_str) {
			esc = !esc && *p == '\\';
			in_str = esc || *p != '"';
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			/* Skip it: hash the run before it. */
			ok = EVP_DigestUpdate(mc, run, (size_t)(p - run)) == 1;
			run = p + 1;
		} else {
			in_str = *p == '"';
		}
	}
	ok = ok && EVP_DigestUpdate(mc, run, (size_t)(p - run)) == 1 &&
	     EVP_DigestFinal_ex(mc, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(mc);
	out[0] = '\0';
	if (!ok)
		return;
	memcpy(out, "sha256:", 7);
	for (i = 0; i < mdlen; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
}

static void
judge_seccomp(struct ctx *c, const char *field, const char *flag, const char *opt, const char *val)
{
	char digest[72];

	if (!(c->dp->deny & DENY_SECCOMP) || strcmp(val, "builtin") == 0)
		return;
	if (strcmp(val, "unconfined") == 0) {
		decide_violate(c, "security-opt", field, opt, flag,
		               "seccomp=unconfined is not allowed");
		return;
	}
	profile_digest(val, digest);
	if (digest[0] == '\0' || !decide_strlist_has(&c->dp->seccomp, digest))
		decide_violate(c, "security-opt", field, opt, flag,
		               "a custom seccomp profile (%s) is not allowed; allowed profiles are "
		               "listed by SHA-256 in allowedSeccompProfiles",
		               digest);
}

static void
judge_apparmor(struct ctx *c, const char *field, const char *flag, const char *opt, const char *val)
{
	if (!(c->dp->deny & DENY_APPARMOR) || strcmp(val, "docker-default") == 0)
		return;
	if (strcmp(val, "unconfined") == 0)
		decide_violate(c, "security-opt", field, opt, flag,
		               "apparmor=unconfined is not allowed");
	else if (!decide_strlist_has(&c->dp->apparmor, val))
		decide_violate(c, "security-opt", field, opt, flag,
		               "AppArmor profile %s is not allowed (allowed: docker-default and "
		               "allowedAppArmorProfiles)",
		               val);
}

/* SELinux: "disable", and the types that run unconfined (spc_t is the
 * super-privileged container type). */
static void
judge_label(struct ctx *c, const char *field, const char *flag, const char *opt, const char *val)
{
	const char *type = strncmp(val, "type:", 5) == 0 ? val + 5 : NULL;

	if (!(c->dp->deny & DENY_LABEL))
		return;
	if (strcmp(val, "disable") == 0 ||
	    (type != NULL && (strcmp(type, "spc_t") == 0 || strcmp(type, "unconfined_t") == 0)))
		decide_violate(c, "security-opt", field, opt, flag,
		               "%s is not allowed (it disables SELinux confinement, like "
		               "label=disable)",
		               opt);
}

/* writable-cgroups (Docker 29): the cgroup file system mounted writable,
 * which otherwise only --privileged gives: the container may raise its own
 * resource limits. Refused while --privileged is denied. */
static void
judge_writable_cgroups(struct ctx *c, const char *field, const char *flag, const char *opt)
{
	if (c->dp->deny & DENY_PRIVILEGED)
		decide_violate(c, "privileged", field, opt, flag,
		               "%s mounts the cgroup file system writable, as --privileged does, "
		               "which is not allowed",
		               opt);
}

/* As dockerd's parseSecurityOpt reads an entry: "key=value", the deprecated
 * "key:value", or the bare "disable" (= label=disable) and
 * "writable-cgroups" (= writable-cgroups=true). */
void
decide_judge_security_opt(struct ctx *c, const char *field, const char *opt)
{
	const char *sep = strchr(opt, '=');
	char key[32], flag[96];
	const char *val;
	size_t kl;

	snprintf(flag, sizeof(flag), "--security-opt %.80s", opt);
	if (strcmp(opt, "disable") == 0) {
		judge_label(c, field, flag, opt, "disable");
		return;
	}
	if (strcmp(opt, "writable-cgroups") == 0) {
		judge_writable_cgroups(c, field, flag, opt);
		return;
	}
	if (sep == NULL)
		sep = strchr(opt, ':');
	if (sep == NULL || (kl = (size_t)(sep - opt)) >= sizeof(key))
		return;
	memcpy(key, opt, kl);
	key[kl] = '\0';
	val = sep + 1;
	if (strcmp(key, "seccomp") == 0)
		judge_seccomp(c, field, flag, opt, val);
	else if (strcmp(key, "apparmor") == 0)
		judge_apparmor(c, field, flag, opt, val);
	else if (strcmp(key, "label") == 0)
		judge_label(c, field, flag, opt, val);
	else if (strcmp(key, "writable-cgroups") == 0 && decide_go_true(val))
		judge_writable_cgroups(c, field, flag, opt);
	else if (strcmp(key, "systempaths") == 0 && strcmp(val, "unconfined") == 0 &&
	         (c->dp->deny & DENY_SYSTEMPATHS))
		decide_violate(c, "security-opt", field, opt, flag,
		               "systempaths=unconfined is not allowed");
}

/* A non-null MaskedPaths / ReadonlyPaths replaces the daemon defaults. */
void
decide_judge_systempaths(struct ctx *c, const char *field, const struct engineapi_fact *fa)
{
	int masked = fa->kind == EF_MASKED_PATHS;
	const char *const *defaults = masked ? default_masked : default_readonly;
	size_t i, j,
	    n = (masked ? sizeof(default_masked) : sizeof(default_readonly)) / sizeof(*defaults);

	if (!(c->dp->deny & DENY_SYSTEMPATHS))
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < fa->nlist && strcmp(fa->list[j], defaults[i]) != 0; j++)
			;
		if (j == fa->nlist) {
			decide_violate(c, "security-opt", field, fa->value,
			               "--security-opt systempaths=unconfined",
			               "%s leaves %s unprotected (systempaths=unconfined)", field,
			               defaults[i]);
			return;
		}
	}
}
