/* SPDX-License-Identifier: Apache-2.0 */
/* Compiling the policy: decide_policy_new turns the effective settings into
 * what evaluation reads fast (capability bitmask, resolved share/protected/
 * socket paths, parsed image list, command and profile lists). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide_int.h"
#include "hostpath.h"

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
    {"--runtime", DENY_RUNTIME},
    {"--cgroup-parent", DENY_CGROUP_PARENT},
    {"--log-driver", DENY_LOG_DRIVER},
    {"--log-opt", DENY_LOG_OPT},
    {"--annotation", DENY_ANNOTATION},
};

static const char *const socket_paths[DECIDE_FIXED_SOCKETS] = {
    "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
    "/run/docker/containerd/containerd.sock", "/var/run/docker/containerd/containerd.sock"};

/* ------------------------------------------------------------------------ */
/* Compiling the policy                                                     */

/* A path of the policy, cleaned and resolved. A share is resolved only
 * through links only root could have put there (hostpath_resolve_trusted):
 * whoever owns a share's directory could otherwise link it to "/" before the
 * next compile and have every bind be inside it. A protected path is
 * resolved through every link: each form only protects more. Returns 1 when
 * the path does not fit (validation refuses those): a share is then left
 * out, never an empty prefix that matches everything; a protected path is
 * kept as "", which protects everything. */
static int
pathpair_set(struct pathpair *pp, const char *path, int share)
{
	char buf[HOSTPATH_MAX];

	if (hostpath_clean(path, buf, sizeof(buf)) == -1) {
		if (share)
			return 1;
		buf[0] = '\0';
	}
	pp->clean = strdup(buf);
	if (share)
		hostpath_resolve_trusted(path, buf, sizeof(buf));
	else
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

/* The same, on and locked: {"locked": true, "value": true}. */
static int
get_locked_flag(const json_t *effective, const char *key)
{
	const json_t *v = json_object_get(effective, key);

	return json_is_object(v) && json_is_true(json_object_get(v, "locked")) &&
	       json_is_true(json_object_get(v, "value"));
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
		bit = decide_cap_normalise(s + 10, name, sizeof(name));
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
compile_paths(struct pathpair **out, size_t *nout, const json_t *arr, const char *member, int share)
{
	size_t i, k, n, total = 0;
	const json_t *e, *all;
	int rc;

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
			rc = pathpair_set(&(*out)[*nout], p, share);
			if (rc == 1)
				continue;
			(*nout)++;
			if (rc == -1)
				return -1;
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

/* A list of strings (lower-cased when lower != 0); a null or absent setting
 * leaves it unrestricted. */
static int
compile_strlist(struct strlist *l, const json_t *arr, int lower)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(arr))
		return 0;
	l->restricted = 1;
	if ((l->v = calloc(json_array_size(arr) + 1, sizeof(*l->v))) == NULL)
		return -1;
	json_array_foreach(arr, i, e)
	{
		char *p;

		if (!json_is_string(e))
			continue;
		if ((p = l->v[l->n] = strdup(json_string_value(e))) == NULL)
			return -1;
		l->n++;
		for (; lower && *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	}
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* "a, b, c" into buf for messages, "..." when it does not fit. */
static void
join_text(char *buf, size_t bufsz, const char *const *items, size_t stride, size_t n)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *s = *(const char *const *)((const char *)items + i * stride);
		int w = snprintf(buf + len, bufsz - len, "%s%s", i ? ", " : "", s);

		if (w < 0 || (size_t)w >= bufsz - len) {
			snprintf(buf + (len < bufsz - 4 ? len : bufsz - 4), 4, "...");
			return;
		}
		len += (size_t)w;
	}
}

/* The policy's lockset-only lists, and the texts messages quote. */
static int
compile_lists(struct decide_policy *dp, const json_t *cp)
{
	const char *regs[64];
	size_t i;

	dp->network_volumes = json_is_true(json_object_get(cp, "allowNetworkVolumes"));
	if (compile_strlist(&dp->commands, json_object_get(cp, "deniedCommands"), 0) == -1 ||
	    compile_strlist(&dp->allowed, json_object_get(cp, "allowedCommands"), 0) == -1 ||
	    compile_strlist(&dp->seccomp, json_object_get(cp, "allowedSeccompProfiles"), 1) == -1 ||
	    compile_strlist(&dp->apparmor, json_object_get(cp, "allowedAppArmorProfiles"), 0) ==
	        -1 ||
	    compile_strlist(&dp->remotes, json_object_get(cp, "allowedBuildRemotes"), 1) == -1 ||
	    compile_strlist(&dp->volume_drivers, json_object_get(cp, "allowedVolumeDrivers"), 0) ==
	        -1 ||
	    compile_strlist(&dp->network_drivers, json_object_get(cp, "allowedNetworkDrivers"),
	                    0) == -1 ||
	    compile_strlist(&dp->log_drivers, json_object_get(cp, "allowedLogDrivers"), 0) == -1)
		return -1;
	join_text(dp->shares_text, sizeof(dp->shares_text),
	          (const char *const *)&dp->shares[0].clean, sizeof(dp->shares[0]), dp->nshares);
	for (i = 0; i < dp->nregistries && i < 64; i++)
		regs[i] = dp->registries[i];
	join_text(dp->registries_text, sizeof(dp->registries_text), regs, sizeof(regs[0]), i);
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
	dp->eci_locked = get_locked_flag(effective, "enhancedContainerIsolation");
	dp->block_load = get_flag(effective, "blockDockerLoad");
	dp->shares_restricted = json_is_array(shares);
	if (compile_flags(dp, json_object_get(cp, "deniedFlags")) == -1 ||
	    compile_paths(&dp->shares, &dp->nshares, shares, "expandedPath", 1) == -1 ||
	    compile_paths(&dp->protect, &dp->nprotect,
	                  json_object_get(cp, "expandedProtectedHostPaths"), NULL, 0) == -1 ||
	    compile_images(dp, eci) == -1 ||
	    compile_registries(dp, json_object_get(cp, "allowedRegistries")) == -1)
		goto fail;
	if (compile_lists(dp, cp) == -1)
		goto fail;
	for (i = 0; i < DECIDE_FIXED_SOCKETS; i++)
		if (pathpair_set(&dp->sockets[i], socket_paths[i], 0) != 0)
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
	for (i = 0; i < DECIDE_FIXED_SOCKETS; i++) {
		free(dp->sockets[i].clean);
		free(dp->sockets[i].resolved);
	}
	free(dp->images);
	free(dp->registries);
	strlist_free(&dp->commands);
	strlist_free(&dp->allowed);
	strlist_free(&dp->seccomp);
	strlist_free(&dp->apparmor);
	strlist_free(&dp->remotes);
	strlist_free(&dp->volume_drivers);
	strlist_free(&dp->network_drivers);
	strlist_free(&dp->log_drivers);
	free(dp);
}

int
decide_policy_denies_runtime(const struct decide_policy *dp)
{
	return dp != NULL && (dp->deny & DENY_RUNTIME) != 0;
}
