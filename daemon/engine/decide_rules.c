/* SPDX-License-Identifier: Apache-2.0 */
/* Body facts -> rule violations: capabilities (upper-cased as Go's
 * strings.ToUpper does), devices, sysctls, and host paths, which must
 * resolve completely or be refused; security options go to decide_secopt.c,
 * namespace modes to decide_ns.c, volumes and drivers to decide_engine.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide_int.h"
#include "gojson.h"
#include "hostpath.h"

/* ------------------------------------------------------------------------ */
/* Violations                                                               */

/* A copy of s that is valid UTF-8, so that it can go into JSON replies and
 * audit records: a byte that starts no valid sequence becomes U+FFFD (as Go
 * shows it). Cut at a character boundary, with "..." appended, when the copy
 * would pass max bytes. NULL on ENOMEM. */
static char *
dup_utf8(const char *s, size_t max)
{
	size_t n = strlen(s), i = 0, o = 0;
	char *r = malloc(max + 4);

	if (r == NULL)
		return NULL;
	while (i < n) {
		size_t l = gojson_utf8_len(s + i, n - i), w = l ? l : 3;

		if (o + w > max) {
			memcpy(r + o, "...", 4);
			return r;
		}
		memcpy(r + o, l ? s + i : "\xEF\xBF\xBD", w);
		i += l ? l : 1;
		o += w;
	}
	r[o] = '\0';
	return r;
}

char *
decide_dup_trunc(const char *s)
{
	return dup_utf8(s, DECIDE_VALUE_MAX);
}

void
decide_violate(struct ctx *c, const char *rule, const char *field, const char *value,
               const char *flag, const char *fmt, ...)
{
	struct violation *v;
	char msg[768];
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
	v->field = decide_dup_trunc(field != NULL ? field : "");
	v->value = decide_dup_trunc(value != NULL ? value : "");
	v->flag = decide_dup_trunc(flag != NULL ? flag : "");
	v->message = dup_utf8(msg, sizeof(msg));
	c->d->nv++;
	if (v->field == NULL || v->value == NULL || v->flag == NULL || v->message == NULL)
		c->nomem = 1;
}

int
decide_violated(const struct ctx *c, const char *rule, const char *field)
{
	for (size_t i = 0; i < c->d->nv; i++)
		if (strcmp(c->d->v[i].rule, rule) == 0 && c->d->v[i].field != NULL &&
		    strcmp(c->d->v[i].field, field) == 0)
			return 1;
	return 0;
}

int
decide_strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Capabilities                                                             */

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

/* Go's strings.ToUpper for what can reach ASCII: a-z, U+0131 (dotless i) and
 * U+017F (long s); every other character is kept as it is. */
static void
go_toupper(const char *s, char *buf, size_t bufsz)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p != '\0' && o + 1 < bufsz) {
		if (p[0] == 0xc4 && p[1] == 0xb1) {
			buf[o++] = 'I';
			p += 2;
		} else if (p[0] == 0xc5 && p[1] == 0xbf) {
			buf[o++] = 'S';
			p += 2;
		} else {
			buf[o++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			p++;
		}
	}
	buf[o] = '\0';
}

int
decide_cap_normalise(const char *cap, char *buf, size_t bufsz)
{
	size_t i;

	go_toupper(cap, buf, bufsz);
	if (strncmp(buf, "CAP_", 4) == 0)
		memmove(buf, buf + 4, strlen(buf + 4) + 1);
	for (i = 0; i < NCAPS; i++)
		if (strcmp(buf, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

static void
judge_cap(struct ctx *c, const char *field, const char *cap)
{
	const struct decide_policy *dp = c->dp;
	char name[64], flag[96];
	int bit = decide_cap_normalise(cap, name, sizeof(name));
	int denied = dp->caps_any;
	size_t i;

	if (strcmp(name, "ALL") == 0)
		denied |= dp->caps != 0 || dp->ncap_extra > 0;
	else if (bit >= 0)
		denied |= (dp->caps >> bit) & 1;
	for (i = 0; i < dp->ncap_extra; i++)
		denied |= strcmp(name, dp->cap_extra[i]) == 0;
	snprintf(flag, sizeof(flag), "--cap-add %s", cap);
	if (denied)
		decide_violate(c, "cap-add", field, cap, flag,
		               "adding capability %s is not allowed", name);
}

/* ------------------------------------------------------------------------ */
/* Facts -> rules                                                           */

static int
host_network_denied(const struct decide_policy *dp)
{
	return (dp->deny & DENY_NETWORK) || dp->eci;
}

/* A service's network attachment: "host" by name, or by id (looked up). */
static void
judge_network_target(struct ctx *c, const char *field, const char *target)
{
	char drv[64] = "", flag[300];
	int rc = 0;

	if (!host_network_denied(c->dp))
		return;
	snprintf(flag, sizeof(flag), "--network %s", target);
	if (strcasecmp(target, "host") != 0) {
		if (c->req->network != NULL)
			rc = c->req->network(c->req->container_arg, target, drv, sizeof(drv));
		if (rc == -1) {
			c->nomem = 1;
			return;
		}
		if (rc == 0) {
			decide_violate(c, "unknown-network", field, target, flag,
			               "network %s could not be looked up, so it may be the host's "
			               "network",
			               target);
			return;
		}
		if (strcmp(drv, "host") != 0)
			return;
	}
	decide_violate(c, "host-network", field, target, flag,
	               "the host's network namespace is not allowed");
}

/* A bind source, a bind mount's, or a local volume's device. A volume
 * outlives the request: restarts and Swarm tasks mount it too. */
static void
judge_host_path(struct ctx *c, const char *field, const char *flag, const struct engineapi_fact *fa,
                const char *image)
{
	const char *was = c->remount;

	if (fa->volume && was == NULL)
		c->remount = "every container that uses the volume mounts it, restarts and Swarm "
		             "tasks unseen";
	decide_judge_path(c, field, flag, fa->value, image);
	c->remount = was;
	decide_judge_access(c, field, flag, fa->value, !fa->readonly);
}

const char *
decide_plugins_refused(const struct ctx *c)
{
	if (c->dp->deny & DENY_PRIVILEGED)
		return "plugins run privileged";
	/* A plugin's privileges mount host paths and devices (in the engine's
	 * own namespaces, outside ECI's user namespace) that no share,
	 * protected-path or socket rule is asked about. */
	if (decide_paths_judged(c))
		return "plugins mount host paths, outside ECI and unjudged by the file shares "
		       "and protected paths";
	return NULL;
}

/* A service whose tasks install an engine plugin from remote. */
static void
judge_plugin_service(struct ctx *c, const char *field, const char *flag, const char *remote)
{
	const char *why = decide_plugins_refused(c);

	if (why != NULL)
		decide_violate(c, "plugin-install", field, remote, flag,
		               "services that install engine plugins are not allowed (%s)", why);
	decide_judge_registry(c, field, flag, remote);
}

void
decide_judge_fact(struct ctx *c, const struct engineapi_fact *fa, const char *image)
{
	const struct decide_policy *dp = c->dp;
	char field[256], flag[600];

	engineapi_fact_field(fa, field, sizeof(field));
	decide_fact_flag(fa, flag, sizeof(flag));
	switch (fa->kind) {
	case EF_PRIVILEGED:
		if (dp->deny & DENY_PRIVILEGED)
			decide_violate(c, "privileged", field, "true", flag,
			               "privileged mode is not allowed");
		break;
	case EF_PID_MODE:
	case EF_IPC_MODE:
	case EF_UTS_MODE:
	case EF_USERNS_MODE:
	case EF_NETWORK_MODE:
	case EF_CGROUPNS_MODE:
		decide_judge_mode(c, field, fa);
		break;
	case EF_CAP_ADD:
		judge_cap(c, field, fa->value);
		break;
	case EF_DEVICE:
	case EF_DEVICE_REQUEST:
	case EF_DEVICE_CGROUP_RULE:
		if (dp->deny & DENY_DEVICE)
			decide_violate(c, "device", field, fa->value, flag,
			               "access to host devices is not allowed");
		break;
	case EF_SECURITY_OPT:
		decide_judge_security_opt(c, field, fa->value);
		break;
	case EF_MASKED_PATHS:
	case EF_READONLY_PATHS:
		decide_judge_systempaths(c, field, fa);
		break;
	case EF_SYSCTL:
		if (dp->deny & DENY_SYSCTL)
			decide_violate(c, "sysctl", field, fa->value, flag,
			               "setting sysctl %s is not allowed", fa->value);
		break;
	case EF_HOST_PATH:
		judge_host_path(c, field, flag, fa, image);
		break;
	case EF_VOLUMES_FROM:
		decide_judge_container(c, field, flag, fa->value, image, 0);
		break;
	case EF_PLUGIN:
		judge_plugin_service(c, field, flag, fa->value);
		break;
	case EF_NETWORK_TARGET:
		judge_network_target(c, field, fa->value);
		break;
	case EF_RUNTIME:
	case EF_CGROUP_PARENT:
	case EF_LOG_DRIVER:
	case EF_LOG_OPT:
	case EF_ANNOTATION:
	case EF_DRIVER:
	case EF_VOLUME_DRIVER:
	case EF_NETWORK_DRIVER:
	case EF_NAMED_VOLUME:
	case EF_BRIDGE_OPTION:
	case EF_VOLUME_FS:
	case EF_NETWORK_VOLUME:
		decide_judge_engine_choice(c, field, flag, fa, image);
		break;
	case EF_CHECKPOINT_DIR:
		decide_judge_checkpoint_dir(c, field, flag, fa->value, fa->nlist ? fa->list[0] : "",
		                            1);
		break;
	case EF_REGISTRY_SERVER:
		decide_judge_registry_at(c, field, flag, fa->value, DECIDE_REGISTRY_SERVER);
		break;
	case EF_NODE_ROLE:
		decide_judge_node_role(c, field, flag, fa->value);
		break;
	}
}
