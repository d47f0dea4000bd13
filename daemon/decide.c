/* SPDX-License-Identifier: Apache-2.0 */
/* Rules -> violations. decide_policy_new compiles the effective settings once
 * (capability bitmask, resolved share/protected/socket paths, parsed image
 * list); decide_eval classifies the request, reads its facts (engineapi.c)
 * and maps each onto the stable rule ids. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide.h"
#include "engineapi.h"
#include "hostpath.h"
#include "imageref.h"

/* Denied-flag bits (see tests/cases/decisions/VOCABULARY.md). */
enum {
	DENY_PRIVILEGED = 1u << 0,
	DENY_PID = 1u << 1,
	DENY_IPC = 1u << 2,
	DENY_UTS = 1u << 3,
	DENY_USERNS = 1u << 4,
	DENY_NETWORK = 1u << 5,
	DENY_CGROUPNS = 1u << 6,
	DENY_DEVICE = 1u << 7,
	DENY_SECCOMP = 1u << 8,
	DENY_APPARMOR = 1u << 9,
	DENY_LABEL = 1u << 10,
	DENY_SYSTEMPATHS = 1u << 11,
	DENY_SYSCTL = 1u << 12,
};

static const struct {
	const char *flag;
	unsigned bit;
} flag_table[] = {
    {"--privileged", DENY_PRIVILEGED},
    {"--pid=host", DENY_PID},
    {"--ipc=host", DENY_IPC},
    {"--uts=host", DENY_UTS},
    {"--userns=host", DENY_USERNS},
    {"--network=host", DENY_NETWORK},
    {"--net=host", DENY_NETWORK},
    {"--cgroupns=host", DENY_CGROUPNS},
    {"--device", DENY_DEVICE},
    {"--security-opt=seccomp=unconfined", DENY_SECCOMP},
    {"--security-opt=apparmor=unconfined", DENY_APPARMOR},
    {"--security-opt=label=disable", DENY_LABEL},
    {"--security-opt=label:disable", DENY_LABEL},
    {"--security-opt=systempaths=unconfined", DENY_SYSTEMPATHS},
    {"--sysctl", DENY_SYSCTL},
};

/* Linux capabilities, in kernel bit order. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
#define NCAPS (sizeof(cap_names) / sizeof(cap_names[0]))

/* The MaskedPaths / ReadonlyPaths every dockerd since 17.06 applies by
 * default; a request list missing one of them unmasks it. */
static const char *const default_masked[] = {
    "/proc/acpi",          "/proc/kcore",      "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug",   "/proc/scsi",       "/sys/firmware",
};
static const char *const default_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const char *const socket_paths[] = {"/var/run/docker.sock", "/run/docker.sock"};

/* A path as written (cleaned) and as it resolves on this host. */
struct pathpair {
	char *clean;
	char *resolved;
};

struct decide_policy {
	int audit;
	int eci;
	unsigned deny;
	uint64_t caps;    /* denied capabilities */
	int caps_any;     /* --cap-add=ALL: any added capability */
	char **cap_extra; /* denied names this build does not know */
	size_t ncap_extra;
	int block_load;
	int shares_restricted;
	struct pathpair *shares;
	size_t nshares;
	struct pathpair *protect;
	size_t nprotect;
	struct pathpair sockets[2];
	struct imageref_pattern *images;
	size_t nimages;
	int registries_restricted;
	char (*registries)[256];
	size_t nregistries;
};

/* ------------------------------------------------------------------------ */
/* Compiling the policy                                                     */

/* Upper-case cap without "CAP_" into buf; returns its bit index or -1. */
static int
cap_normalise(const char *cap, char *buf, size_t bufsz)
{
	size_t i;

	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (i = 0; cap[i] != '\0' && i + 1 < bufsz; i++)
		buf[i] = (char)((cap[i] >= 'a' && cap[i] <= 'z') ? cap[i] - 32 : cap[i]);
	buf[i] = '\0';
	for (i = 0; i < NCAPS; i++)
		if (strcmp(buf, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
pathpair_set(struct pathpair *pp, const char *path)
{
	char buf[HOSTPATH_MAX];

	if (hostpath_clean(path, buf, sizeof(buf)) == -1)
		buf[0] = '\0';
	pp->clean = strdup(buf);
	hostpath_resolve(path, buf, sizeof(buf));
	pp->resolved = strdup(buf);
	return pp->clean != NULL && pp->resolved != NULL ? 0 : -1;
}

static void
pathpairs_free(struct pathpair *pp, size_t n)
{
	size_t i;

	for (i = 0; pp != NULL && i < n; i++) {
		free(pp[i].clean);
		free(pp[i].resolved);
	}
	free(pp);
}

/* "locked"-style scalar {"value": bool} (or a bare bool). */
static int
get_flag(const json_t *effective, const char *key)
{
	const json_t *v = json_object_get(effective, key);

	if (json_is_object(v))
		v = json_object_get(v, "value");
	return json_is_true(v);
}

static int
compile_flags(struct decide_policy *dp, const json_t *flags)
{
	size_t i, j;
	const json_t *f;

	json_array_foreach(flags, i, f)
	{
		const char *s = json_string_value(f);
		char name[64];
		int bit;

		if (s == NULL)
			continue;
		for (j = 0; j < sizeof(flag_table) / sizeof(flag_table[0]); j++)
			if (strcmp(s, flag_table[j].flag) == 0)
				dp->deny |= flag_table[j].bit;
		if (strncmp(s, "--cap-add=", 10) != 0)
			continue;
		bit = cap_normalise(s + 10, name, sizeof(name));
		if (bit >= 0) {
			dp->caps |= UINT64_C(1) << bit;
		} else if (strcmp(name, "ALL") == 0) {
			dp->caps_any = 1;
		} else {
			char **x = realloc(dp->cap_extra, (dp->ncap_extra + 1) * sizeof(*x));

			if (x == NULL)
				return -1;
			dp->cap_extra = x;
			if ((x[dp->ncap_extra] = strdup(name)) == NULL)
				return -1;
			dp->ncap_extra++;
		}
	}
	return 0;
}

static int
compile_paths(struct pathpair **out, size_t *nout, const json_t *arr, const char *member)
{
	size_t i, k, n, total = 0;
	const json_t *e, *all;

	/* A share entry lists every expansion in expandedPaths ($HOME: one per
	 * home, possibly none); an entry without it names one path: member
	 * (expandedPath), else its path. A protected-path list holds strings. */
	json_array_foreach(arr, i, e)
	{
		all = json_object_get(e, "expandedPaths");
		total += json_is_array(all) ? json_array_size(all) : 1;
	}
	*out = calloc(total + 1, sizeof(**out));
	if (*out == NULL)
		return -1;
	json_array_foreach(arr, i, e)
	{
		all = json_object_get(e, "expandedPaths");
		n = json_is_array(all) ? json_array_size(all) : 1;
		for (k = 0; k < n; k++) {
			const char *p = json_string_value(e);

			if (json_is_array(all))
				p = json_string_value(json_array_get(all, k));
			else if (member != NULL)
				p = json_string_value(json_object_get(e, member));
			if (p == NULL && member != NULL && !json_is_array(all))
				p = json_string_value(json_object_get(e, "path"));
			if (p == NULL || p[0] != '/')
				continue; /* unexpanded "$HOME/...": the settings module expands */
			if (pathpair_set(&(*out)[*nout], p) == -1) {
				(*nout)++;
				return -1;
			}
			(*nout)++;
		}
	}
	return 0;
}

static int
compile_images(struct decide_policy *dp, const json_t *eci)
{
	const json_t *list = json_object_get(
	    json_object_get(json_object_get(eci, "dockerSocketMount"), "imageList"), "images");
	size_t i;
	const json_t *e;

	dp->images = calloc(json_array_size(list) + 1, sizeof(*dp->images));
	if (dp->images == NULL)
		return -1;
	json_array_foreach(list, i, e)
	{
		const char *s = json_string_value(e);

		if (s != NULL && imageref_pattern_parse(s, &dp->images[dp->nimages]) == 0)
			dp->nimages++;
	}
	return 0;
}

static int
compile_registries(struct decide_policy *dp, const json_t *regs)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(regs))
		return 0;
	dp->registries_restricted = 1;
	dp->registries = calloc(json_array_size(regs) + 1, sizeof(*dp->registries));
	if (dp->registries == NULL)
		return -1;
	json_array_foreach(regs, i, e)
	{
		const char *s = json_string_value(e);

		if (s != NULL && imageref_registry_normalise(s, dp->registries[dp->nregistries],
		                                             sizeof(dp->registries[0])) == 0)
			dp->nregistries++;
	}
	return 0;
}

struct decide_policy *
decide_policy_new(const json_t *effective)
{
	struct decide_policy *dp = calloc(1, sizeof(*dp));
	const json_t *cp = json_object_get(effective, "containerPolicy");
	const json_t *eci = json_object_get(effective, "enhancedContainerIsolation");
	const json_t *shares = json_object_get(effective, "filesharingAllowedDirectories");
	const char *mode = json_string_value(json_object_get(cp, "mode"));
	size_t i;

	if (dp == NULL)
		return NULL;
	dp->audit = mode != NULL && strcmp(mode, "audit") == 0;
	dp->eci = get_flag(effective, "enhancedContainerIsolation");
	dp->block_load = get_flag(effective, "blockDockerLoad");
	dp->shares_restricted = json_is_array(shares);
	if (compile_flags(dp, json_object_get(cp, "deniedFlags")) == -1 ||
	    compile_paths(&dp->shares, &dp->nshares, shares, "expandedPath") == -1 ||
	    compile_paths(&dp->protect, &dp->nprotect,
	                  json_object_get(cp, "expandedProtectedHostPaths"), NULL) == -1 ||
	    compile_images(dp, eci) == -1 ||
	    compile_registries(dp, json_object_get(cp, "allowedRegistries")) == -1)
		goto fail;
	for (i = 0; i < 2; i++)
		if (pathpair_set(&dp->sockets[i], socket_paths[i]) == -1)
			goto fail;
	return dp;
fail:
	decide_policy_free(dp);
	return NULL;
}

void
decide_policy_free(struct decide_policy *dp)
{
	size_t i;

	if (dp == NULL)
		return;
	for (i = 0; i < dp->ncap_extra; i++)
		free(dp->cap_extra[i]);
	free(dp->cap_extra);
	pathpairs_free(dp->shares, dp->nshares);
	pathpairs_free(dp->protect, dp->nprotect);
	for (i = 0; i < 2; i++) {
		free(dp->sockets[i].clean);
		free(dp->sockets[i].resolved);
	}
	free(dp->images);
	free(dp->registries);
	free(dp);
}

/* ------------------------------------------------------------------------ */
/* Violations                                                               */

#define VALUE_MAX 512

struct ctx {
	const struct decide_policy *dp;
	struct decision *d;
	size_t cap;
	int nomem;
};

static char *
dup_trunc(const char *s)
{
	size_t n = strlen(s);
	char *r;

	if (n <= VALUE_MAX)
		return strdup(s);
	r = malloc(VALUE_MAX + 4);
	if (r != NULL) {
		memcpy(r, s, VALUE_MAX);
		strcpy(r + VALUE_MAX, "...");
	}
	return r;
}

static void violate(struct ctx *c, const char *rule, const char *field, const char *value,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
violate(struct ctx *c, const char *rule, const char *field, const char *value, const char *fmt, ...)
{
	struct violation *v;
	char msg[512];
	va_list ap;

	if (c->d->nv == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 4;

		v = realloc(c->d->v, cap * sizeof(*v));
		if (v == NULL) {
			c->nomem = 1;
			return;
		}
		c->d->v = v;
		c->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v = &c->d->v[c->d->nv];
	v->rule = rule;
	v->field = strdup(field != NULL ? field : "");
	v->value = dup_trunc(value != NULL ? value : "");
	v->message = strdup(msg);
	c->d->nv++;
	if (v->field == NULL || v->value == NULL || v->message == NULL)
		c->nomem = 1;
}

static int
is_host(const char *mode)
{
	return strcasecmp(mode, "host") == 0;
}

/* ------------------------------------------------------------------------ */
/* Host paths                                                               */

static int
image_allowed(const struct decide_policy *dp, const char *image)
{
	struct imageref ref;
	int parsed = image != NULL && imageref_parse(image, &ref) == 0;
	size_t i;

	for (i = 0; i < dp->nimages; i++)
		if (dp->images[i].any || (parsed && imageref_pattern_match(&dp->images[i], &ref)))
			return 1;
	return 0;
}

static int
within_pair(const char *path, const struct pathpair *pp)
{
	return hostpath_within(path, pp->clean) || hostpath_within(path, pp->resolved);
}

static int
contains_pair(const char *path, const struct pathpair *pp)
{
	return hostpath_within(pp->clean, path) || hostpath_within(pp->resolved, path);
}

static int
equals_pair(const char *path, const struct pathpair *pp)
{
	return strcmp(path, pp->clean) == 0 || strcmp(path, pp->resolved) == 0;
}

/* Judge one host path against ECI's socket rule, the shares and the
 * protected paths. Its cleaned form and both resolutions (of the raw and the
 * cleaned path; dockerd and the kernel disagree on ".." after a symlink)
 * must all pass. */
static void
judge_path(struct ctx *c, const char *field, const char *src, const char *image)
{
	const struct decide_policy *dp = c->dp;
	char forms[3][HOSTPATH_MAX];
	size_t nforms = 1, i, j;
	int exact = 0, contains = 0, outside = 0, protect = 0, above = 0;

	if (hostpath_clean(src, forms[0], sizeof(forms[0])) == -1)
		strcpy(forms[0], "/"); /* absurdly long: judge it as the root */
	hostpath_resolve(src, forms[1], sizeof(forms[1]));
	if (strcmp(forms[1], forms[0]) != 0)
		nforms++;
	hostpath_resolve(forms[0], forms[nforms], sizeof(forms[0]));
	if (strcmp(forms[nforms], forms[0]) != 0 && strcmp(forms[nforms], forms[1]) != 0)
		nforms++;

	if (dp->eci) {
		for (i = 0; i < nforms; i++)
			for (j = 0; j < 2; j++) {
				exact |= equals_pair(forms[i], &dp->sockets[j]);
				contains |= contains_pair(forms[i], &dp->sockets[j]);
			}
		if ((exact || contains) && !image_allowed(dp, image))
			violate(c, "docker-socket", field, src,
			        "%s the Docker socket and the image is not in the ECI socket-mount "
			        "image list",
			        exact ? "binds" : "contains");
		if (exact)
			return; /* the socket itself: judged by the image list alone */
	}
	for (i = 0; i < nforms; i++) {
		int inside = 0;

		for (j = 0; j < dp->nshares && !inside; j++)
			inside = within_pair(forms[i], &dp->shares[j]);
		outside |= !inside;
		for (j = 0; j < dp->nprotect; j++) {
			protect |= within_pair(forms[i], &dp->protect[j]);
			above |= contains_pair(forms[i], &dp->protect[j]);
		}
	}
	if (dp->shares_restricted && outside)
		violate(c, "bind-outside-shares", field, src,
		        "host path %s%s%s%s is outside the allowed file shares", forms[0],
		        nforms > 1 ? " (resolving to " : "", nforms > 1 ? forms[nforms - 1] : "",
		        nforms > 1 ? ")" : "");
	/* A parent of a protected path exposes it too; outside the shares the
	 * share rule already says no, so only report it where it would pass. */
	if (protect || (above && !(dp->shares_restricted && outside)))
		violate(c, "protected-path", field, src, "host path %s%s%s%s %s a protected path",
		        forms[0], nforms > 1 ? " (resolving to " : "",
		        nforms > 1 ? forms[nforms - 1] : "", nforms > 1 ? ")" : "",
		        protect ? "is inside" : "contains");
}

/* ------------------------------------------------------------------------ */
/* Facts -> rules                                                           */

static void
judge_cap(struct ctx *c, const char *field, const char *cap)
{
	const struct decide_policy *dp = c->dp;
	char name[64];
	int bit = cap_normalise(cap, name, sizeof(name));
	int denied = dp->caps_any;
	size_t i;

	if (strcmp(name, "ALL") == 0)
		denied |= dp->caps != 0 || dp->ncap_extra > 0;
	else if (bit >= 0)
		denied |= (dp->caps >> bit) & 1;
	for (i = 0; i < dp->ncap_extra; i++)
		denied |= strcmp(name, dp->cap_extra[i]) == 0;
	if (denied)
		violate(c, "cap-add", field, cap, "adding capability %s is not allowed", name);
}

/* As dockerd's parseSecurityOpt reads an entry: "key=value", the deprecated
 * "key:value", or the bare "disable" (= label=disable). */
static void
judge_security_opt(struct ctx *c, const char *field, const char *opt)
{
	const char *sep = strchr(opt, '=');
	char key[32];
	const char *val;
	size_t kl;

	if (strcmp(opt, "disable") == 0) {
		key[0] = '\0';
		strcpy(key, "label");
		val = "disable";
	} else {
		if (sep == NULL)
			sep = strchr(opt, ':');
		if (sep == NULL || (kl = (size_t)(sep - opt)) >= sizeof(key))
			return;
		memcpy(key, opt, kl);
		key[kl] = '\0';
		val = sep + 1;
	}
	if ((c->dp->deny & DENY_SECCOMP) && strcmp(key, "seccomp") == 0 &&
	    strcmp(val, "unconfined") == 0)
		violate(c, "security-opt", field, opt, "seccomp=unconfined is not allowed");
	else if ((c->dp->deny & DENY_APPARMOR) && strcmp(key, "apparmor") == 0 &&
	         strcmp(val, "unconfined") == 0)
		violate(c, "security-opt", field, opt, "apparmor=unconfined is not allowed");
	else if ((c->dp->deny & DENY_LABEL) && strcmp(key, "label") == 0 &&
	         strcmp(val, "disable") == 0)
		violate(c, "security-opt", field, opt, "label=disable is not allowed");
}

/* A non-null MaskedPaths / ReadonlyPaths replaces the daemon defaults. */
static void
judge_systempaths(struct ctx *c, const char *field, const struct engineapi_fact *fa,
                  const char *const *defaults, size_t ndefaults)
{
	size_t i, j;

	if (!(c->dp->deny & DENY_SYSTEMPATHS))
		return;
	for (i = 0; i < ndefaults; i++) {
		for (j = 0; j < fa->nlist && strcmp(fa->list[j], defaults[i]) != 0; j++)
			;
		if (j == fa->nlist) {
			violate(c, "security-opt", field, fa->value,
			        "%s leaves %s unprotected (systempaths=unconfined)", field,
			        defaults[i]);
			return;
		}
	}
}

static const struct {
	enum engineapi_fact_kind kind;
	unsigned bit;
	int eci;
	const char *rule;
} mode_rules[] = {
    {EF_PID_MODE, DENY_PID, 1, "host-pid"},
    {EF_IPC_MODE, DENY_IPC, 0, "host-ipc"},
    {EF_UTS_MODE, DENY_UTS, 0, "host-uts"},
    {EF_USERNS_MODE, DENY_USERNS, 0, "host-userns"},
    {EF_NETWORK_MODE, DENY_NETWORK, 1, "host-network"},
    {EF_CGROUPNS_MODE, DENY_CGROUPNS, 0, "host-cgroupns"},
};

static void
judge_fact(struct ctx *c, const struct engineapi_fact *fa, const char *image)
{
	const struct decide_policy *dp = c->dp;
	char field[256];
	size_t i;

	engineapi_fact_field(fa, field, sizeof(field));
	switch (fa->kind) {
	case EF_PRIVILEGED:
		if (dp->deny & DENY_PRIVILEGED)
			violate(c, "privileged", field, "true", "privileged mode is not allowed");
		break;
	case EF_PID_MODE:
	case EF_IPC_MODE:
	case EF_UTS_MODE:
	case EF_USERNS_MODE:
	case EF_NETWORK_MODE:
	case EF_CGROUPNS_MODE:
		for (i = 0; i < sizeof(mode_rules) / sizeof(mode_rules[0]); i++)
			if (mode_rules[i].kind == fa->kind && is_host(fa->value) &&
			    ((dp->deny & mode_rules[i].bit) || (mode_rules[i].eci && dp->eci)))
				violate(c, mode_rules[i].rule, field, fa->value,
				        "the host's namespace (%s=host) is not allowed", field);
		break;
	case EF_CAP_ADD:
		judge_cap(c, field, fa->value);
		break;
	case EF_DEVICE:
	case EF_DEVICE_REQUEST:
	case EF_DEVICE_CGROUP_RULE:
		if (dp->deny & DENY_DEVICE)
			violate(c, "device", field, fa->value,
			        "access to host devices is not allowed");
		break;
	case EF_SECURITY_OPT:
		judge_security_opt(c, field, fa->value);
		break;
	case EF_MASKED_PATHS:
		judge_systempaths(c, field, fa, default_masked,
		                  sizeof(default_masked) / sizeof(default_masked[0]));
		break;
	case EF_READONLY_PATHS:
		judge_systempaths(c, field, fa, default_readonly,
		                  sizeof(default_readonly) / sizeof(default_readonly[0]));
		break;
	case EF_SYSCTL:
		if (dp->deny & DENY_SYSCTL)
			violate(c, "sysctl", field, fa->value, "setting sysctl %s is not allowed",
			        fa->value);
		break;
	case EF_HOST_PATH:
		judge_path(c, field, fa->value, image);
		break;
	case EF_VOLUMES_FROM:
		break; /* judged by judge_volumes_from, which needs the request */
	}
}

/* ------------------------------------------------------------------------ */
/* Routes                                                                   */

static const struct {
	const char *route, *denied, *audited, *allowed;
} actions[] = {
    {"container.create", "container.create.denied", "container.create.audited",
     "container.create.allowed"},
    {"exec.create", "exec.denied", "exec.audited", "exec.allowed"},
    {"container.update", "container.update.denied", "container.update.audited",
     "container.update.allowed"},
    {"container.start", "container.start.denied", "container.start.audited",
     "container.start.allowed"},
    {"image.pull", "image.pull.denied", "image.pull.audited", "image.pull.allowed"},
    {"image.import", "image.import.denied", "image.import.audited", "image.import.allowed"},
    {"image.load", "image.load.denied", "image.load.audited", "image.load.allowed"},
    {"build", "build.denied", "build.audited", "build.allowed"},
    {"plugin.install", "plugin.install.denied", "plugin.install.audited", "plugin.install.allowed"},
    {"volume.create", "volume.create.denied", "volume.create.audited", "volume.create.allowed"},
    {"other", "other.denied", "other.audited", "other.allowed"},
};

#define QVAL_MAX 1024

/* Iterate key over the query and, for an urlencoded form body, the body:
 * Go's r.Form holds both (body first) and dockerd reads either. */
struct params {
	const char *query;
	char *form; /* NUL-terminated copy of the body, or NULL */
};

static int
params_first(const struct params *p, const char *key, char *buf, size_t bufsz)
{
	const char *cur = p->form;

	if (cur != NULL && engineapi_query_next(&cur, key, buf, bufsz))
		return 1;
	cur = p->query;
	return engineapi_query_next(&cur, key, buf, bufsz);
}

/* Calls fn for every value of key; stops early when fn returns non-zero. */
static void
params_each(struct ctx *c, const struct params *p, const char *key,
            void (*fn)(struct ctx *, const char *key, const char *val))
{
	const char *srcs[2] = {p->form, p->query};
	char buf[QVAL_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *cur = srcs[i];

		while (cur != NULL && engineapi_query_next(&cur, key, buf, sizeof(buf)))
			fn(c, key, buf);
	}
}

static void
check_registry(struct ctx *c, const char *key, const char *val)
{
	const struct decide_policy *dp = c->dp;
	struct imageref ref;
	size_t i;

	if (val[0] == '\0' || !dp->registries_restricted)
		return;
	if (imageref_parse(val, &ref) == 0)
		for (i = 0; i < dp->nregistries; i++)
			if (strcmp(ref.registry, dp->registries[i]) == 0)
				return;
	violate(c, "registry", key, val, "registry %s is not in the allowed registries",
	        ref.registry[0] != '\0' ? ref.registry : "(unparsable reference)");
}

static void
check_import(struct ctx *c, const char *key, const char *val)
{
	if (val[0] != '\0' && c->dp->block_load)
		violate(c, "docker-load", key, val,
		        "importing images from a tarball is blocked (blockDockerLoad)");
}

static void
check_build_network(struct ctx *c, const char *key, const char *val)
{
	if (is_host(val) && ((c->dp->deny & DENY_NETWORK) || c->dp->eci))
		violate(c, "build-network-host", key, val,
		        "builds on the host network are not allowed");
}

static int
set_subject(struct decision *d, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return 0;
	d->subject = dup_trunc(s);
	return d->subject != NULL ? 0 : -1;
}

static const char *
image_create(struct ctx *c, const struct params *p)
{
	char first[QVAL_MAX], tag[QVAL_MAX], subj[2 * QVAL_MAX + 2];
	int pull = params_first(p, "fromImage", first, sizeof(first)) && first[0] != '\0';

	params_each(c, p, "fromImage", check_registry);
	if (pull) {
		if (params_first(p, "tag", tag, sizeof(tag)) && tag[0] != '\0')
			snprintf(subj, sizeof(subj), "%s%s%s", first, tag[0] == '@' ? "" : ":",
			         tag);
		else
			snprintf(subj, sizeof(subj), "%s", first);
		if (set_subject(c->d, subj) == -1)
			c->nomem = 1;
	} else if (c->dp->block_load) {
		/* dockerd imports when the first fromImage is empty. */
		violate(c, "docker-load", "fromSrc", "",
		        "importing images from a tarball is blocked (blockDockerLoad)");
	}
	if (pull)
		params_each(c, p, "fromSrc", check_import);
	return pull ? "image.pull" : "image.import";
}

static void
judge_query_route(struct ctx *c, const struct engineapi_target *t, const struct decide_request *req)
{
	struct params p = {t->query, NULL};
	char buf[QVAL_MAX];

	if (req->has_body && req->body_len > 0 && t->route != ENGINEAPI_IMAGE_LOAD) {
		p.form = malloc(req->body_len + 1);
		if (p.form == NULL) {
			c->nomem = 1;
			return;
		}
		memcpy(p.form, req->body, req->body_len);
		p.form[req->body_len] = '\0';
	}
	switch (t->route) {
	case ENGINEAPI_IMAGE_CREATE:
		c->d->route = image_create(c, &p);
		break;
	case ENGINEAPI_IMAGE_LOAD:
		if (c->dp->block_load)
			violate(c, "docker-load", "", "",
			        "loading images from a tarball is blocked (blockDockerLoad)");
		break;
	case ENGINEAPI_BUILD:
		params_each(c, &p, "networkmode", check_build_network);
		if (params_first(&p, "t", buf, sizeof(buf)) && set_subject(c->d, buf) == -1)
			c->nomem = 1;
		break;
	case ENGINEAPI_PLUGIN_INSTALL:
		if (!params_first(&p, "remote", buf, sizeof(buf)) || buf[0] == '\0') {
			if (!params_first(&p, "name", buf, sizeof(buf)))
				snprintf(buf, sizeof(buf), "%s", t->id != NULL ? t->id : "");
		}
		if (set_subject(c->d, buf) == -1)
			c->nomem = 1;
		if (c->dp->deny & DENY_PRIVILEGED)
			violate(
			    c, "plugin-install", "remote", buf,
			    "installing engine plugins is not allowed (plugins run privileged)");
		break;
	default:
		break;
	}
	free(p.form);
}

static int
body_blank(const struct decide_request *req)
{
	size_t i;

	if (!req->has_body || req->body == NULL)
		return 1;
	for (i = 0; i < req->body_len; i++)
		if (req->body[i] != ' ' && req->body[i] != '\t' && req->body[i] != '\n' &&
		    req->body[i] != '\r')
			return 0;
	return 1;
}

/* Routes whose facts are in a JSON body. */
static void
judge_body_route(struct ctx *c, const struct engineapi_target *t, const struct decide_request *req)
{
	struct engineapi_facts *f;
	size_t i;

	if (body_blank(req)) {
		if (t->route != ENGINEAPI_CONTAINER_START)
			violate(
			    c, "missing-body", "", "",
			    "the request body is missing (a body over 1 MiB is not forwarded to "
			    "authorization plugins)");
		return;
	}
	f = malloc(sizeof(*f));
	if (f == NULL) {
		c->nomem = 1;
		return;
	}
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, t->route, req->body, req->body_len) == -1) {
		c->nomem = 1;
		goto out;
	}
	if (!f->body_ok) {
		violate(c, "missing-body", "", "", "%s", f->error);
		goto out;
	}
	for (i = 0; i < f->n && !c->nomem; i++)
		judge_fact(c, &f->v[i], f->image);
	if (t->route == ENGINEAPI_CONTAINER_CREATE && set_subject(c->d, f->image) == -1)
		c->nomem = 1;
	if (t->route == ENGINEAPI_VOLUME_CREATE && set_subject(c->d, f->name) == -1)
		c->nomem = 1;
out:
	engineapi_facts_clear(f);
	free(f);
}

int
decide_eval(const struct decide_policy *dp, const struct decide_request *req, struct decision *out)
{
	struct engineapi_target t;
	struct ctx c = {dp, out, 0, 0};
	size_t i;
	int result = -1;

	memset(out, 0, sizeof(*out));
	out->mode = dp->audit ? "audit" : "enforce";
	out->route = "other";
	if (engineapi_classify(req->method, req->uri, &t) == -1) {
		c.nomem = 1;
		goto out;
	}
	if (t.route != ENGINEAPI_OTHER) {
		out->inspected = 1;
		out->route = engineapi_route_name(t.route);
		switch (t.route) {
		case ENGINEAPI_IMAGE_CREATE:
		case ENGINEAPI_IMAGE_LOAD:
		case ENGINEAPI_BUILD:
		case ENGINEAPI_PLUGIN_INSTALL:
			judge_query_route(&c, &t, req);
			break;
		default:
			if (t.id != NULL && set_subject(out, t.id) == -1)
				c.nomem = 1;
			judge_body_route(&c, &t, req);
			break;
		}
	}
	engineapi_target_clear(&t);
	if (c.nomem)
		goto out;
	result = 0;
out:
	out->allow = result == 0 && (out->nv == 0 || dp->audit);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].route, out->route) == 0)
			out->action = out->nv == 0 && result == 0 ? actions[i].allowed
			              : dp->audit && result == 0  ? actions[i].audited
			                                          : actions[i].denied;
	return result;
}

void
decide_mounts_clear(struct decide_mounts *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->src[i]);
	free(m->src);
	m->src = NULL;
	m->n = 0;
}

int
decide_mounts_add(struct decide_mounts *m, const char *path)
{
	char **v = realloc(m->src, (m->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	m->src = v;
	if ((v[m->n] = strdup(path)) == NULL)
		return -1;
	m->n++;
	return 0;
}

/* The container name of a VolumesFrom entry "name[:ro|:rw]", into buf. */
static void
volumes_from_name(const char *entry, char *buf, size_t bufsz)
{
	const char *colon = strrchr(entry, ':');
	size_t n = colon != NULL && (strcmp(colon, ":ro") == 0 || strcmp(colon, ":rw") == 0)
	               ? (size_t)(colon - entry)
	               : strlen(entry);

	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, entry, n);
	buf[n] = '\0';
}

int
decide_create_sources(const struct decide_request *req, struct decide_mounts *out)
{
	struct engineapi_facts *f = malloc(sizeof(*f));
	int result = -1;
	size_t i, k;

	out->src = NULL;
	out->n = 0;
	if (f == NULL)
		return -1;
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, ENGINEAPI_CONTAINER_CREATE, req->body,
	                          req->has_body ? req->body_len : 0) == -1)
		goto out;
	result = 0;
	for (i = 0; i < f->n && result >= 0; i++) {
		struct decide_mounts from = {NULL, 0};
		char name[256];
		int rc;

		if (f->v[i].kind == EF_HOST_PATH) {
			if (decide_mounts_add(out, f->v[i].value) == -1)
				result = -1;
			continue;
		}
		if (f->v[i].kind != EF_VOLUMES_FROM)
			continue;
		volumes_from_name(f->v[i].value, name, sizeof(name));
		rc = req->container != NULL ? req->container(req->container_arg, name, &from) : 0;
		if (rc == -1)
			result = -1;
		else if (rc == 0)
			result = 1;
		for (k = 0; rc == 1 && k < from.n && result >= 0; k++)
			if (decide_mounts_add(out, from.src[k]) == -1)
				result = -1;
		decide_mounts_clear(&from);
	}
out:
	engineapi_facts_clear(f);
	free(f);
	if (result == -1)
		decide_mounts_clear(out);
	return result;
}

void
decision_clear(struct decision *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nv; i++) {
		free(d->v[i].field);
		free(d->v[i].value);
		free(d->v[i].message);
	}
	free(d->v);
	free(d->subject);
	memset(d, 0, sizeof(*d));
}

json_t *
decision_violations_json(const struct decision *d)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < d->nv; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "rule", d->v[i].rule, "field",
		                      d->v[i].field ? d->v[i].field : "", "value",
		                      d->v[i].value ? d->v[i].value : "", "message",
		                      d->v[i].message ? d->v[i].message : "");

		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

#define DENY_LIST_MAX 8

char *
decision_deny_message(const struct decision *d, long long policy_version)
{
	static const char hint[] = "; ask your Docker administrator if you need an exception";
	size_t cap = 256 + sizeof(hint), len, i;
	char *msg, *p;

	for (i = 0; i < d->nv && i < DENY_LIST_MAX; i++)
		cap += strlen(d->v[i].rule) + (d->v[i].field ? strlen(d->v[i].field) : 0) + 8;
	msg = malloc(cap);
	if (msg == NULL)
		return NULL;
	len = (size_t)snprintf(msg, cap, "lockset: denied by policy v%lld", policy_version);
	for (i = 0; i < d->nv && i < DENY_LIST_MAX; i++) {
		const char *fld = d->v[i].field ? d->v[i].field : "";

		len += (size_t)snprintf(msg + len, cap - len, "%s%s", i == 0 ? ": " : ", ",
		                        d->v[i].rule);
		if (fld[0] != '\0')
			len += (size_t)snprintf(msg + len, cap - len, " (%s)", fld);
	}
	if (d->nv > DENY_LIST_MAX)
		len +=
		    (size_t)snprintf(msg + len, cap - len, " and %zu more", d->nv - DENY_LIST_MAX);
	snprintf(msg + len, cap - len, "%s", hint);
	/* One line: JSON keys in field names may carry control characters. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return msg;
}
