/* SPDX-License-Identifier: Apache-2.0 */
/* docker pull, build, tag, load, import and plugin install turned into the
 * requests the docker CLI sends. Query parameters are written in the order
 * Go's url.Values encodes them (sorted by key). */
#include "check.h"
#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* docker pull [OPTIONS] NAME[:TAG|@DIGEST] */

/* clang-format off */
static const struct check_flag pull_flags[] = {
    CHECK_B("all-tags", 'a', X_ALL_TAGS), CHECK_B("disable-content-trust", 0, 0),
    CHECK_V("platform", 0, X_PLATFORM), CHECK_B("quiet", 'q', 0), CHECK_END,
};
/* clang-format on */

int
check_pull(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[16];
	char *pos[1];
	const char *platform = NULL;
	int na, np;

	if (check_flags(p, pull_flags, 1, argc, argv, a, 16, &na, pos, 1, &np) != 0)
		return -1;
	if (np != 1)
		return check_fail(p, "\"docker pull\" requires exactly 1 argument");
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_PLATFORM)
			platform = a[i].value;
	}
	return check_pull_request(p, pos[0], platform, 0);
}

/* ------------------------------------------------------------------------ */
/* docker build [OPTIONS] PATH | URL | - */

/* clang-format off */
static const struct check_flag build_flags[] = {
    CHECK_V("add-host", 0, 0), CHECK_V("build-arg", 0, X_BUILD_ARG),
    CHECK_V("cache-from", 0, 0), CHECK_V("cgroup-parent", 0, 0), CHECK_B("compress", 0, 0),
    CHECK_V("cpu-period", 0, 0), CHECK_V("cpu-quota", 0, 0), CHECK_V("cpu-shares", 'c', 0),
    CHECK_V("cpuset-cpus", 0, 0), CHECK_V("cpuset-mems", 0, 0),
    CHECK_B("disable-content-trust", 0, 0), CHECK_V("file", 'f', X_FILE),
    CHECK_B("force-rm", 0, 0), CHECK_V("iidfile", 0, 0), CHECK_V("isolation", 0, 0),
    CHECK_V("label", 0, X_LABEL), CHECK_V("memory", 'm', 0), CHECK_V("memory-swap", 0, 0),
    CHECK_V("network", 0, X_NETWORK), CHECK_B("no-cache", 0, X_NO_CACHE),
    CHECK_V("platform", 0, X_PLATFORM), CHECK_B("pull", 0, X_PULL),
    CHECK_B("quiet", 'q', X_QUIET), CHECK_B("rm", 0, 0), CHECK_V("security-opt", 0, 0),
    CHECK_V("shm-size", 0, 0), CHECK_B("squash", 0, 0), CHECK_V("tag", 't', X_TAG),
    CHECK_V("target", 0, X_TARGET), CHECK_V("ulimit", 0, 0), CHECK_V("progress", 0, 0),
    CHECK_V("secret", 0, 0), CHECK_V("ssh", 0, 0), CHECK_V("output", 'o', 0),
    CHECK_B("load", 0, 0), CHECK_B("push", 0, 0), CHECK_V("builder", 0, 0),
    CHECK_V("cache-to", 0, 0), CHECK_END,
};
/* clang-format on */

int
check_build(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[128];
	char *pos[1], uri[8192] = CHECK_API "/build", *text;
	const char *file = "Dockerfile", *network = NULL, *platform = NULL, *target = NULL;
	int na, np, nocache = 0, pull = 0, quiet = 0;
	json_t *args = json_object(), *labels = json_object();

	if (check_flags(p, build_flags, 1, argc, argv, a, 128, &na, pos, 1, &np) != 0 ||
	    (np != 1 && check_fail(p, "\"docker build\" requires exactly 1 argument") != 0))
		goto fail;
	for (int i = 0; i < na; i++) {
		switch (a[i].id) {
		case X_FILE:
			file = a[i].value;
			break;
		case X_NETWORK:
			network = a[i].value;
			break;
		case X_PLATFORM:
			platform = a[i].value;
			break;
		case X_TARGET:
			target = a[i].value;
			break;
		case X_NO_CACHE:
			nocache = check_bool(&a[i]);
			break;
		case X_PULL:
			pull = check_bool(&a[i]);
			break;
		case X_QUIET:
			quiet = check_bool(&a[i]);
			break;
		case X_BUILD_ARG:
		case X_LABEL:
			if (check_kv(p, a[i].id == X_LABEL ? labels : args, a[i].name, a[i].value))
				goto fail;
			break;
		}
	}
	if (json_object_size(args) > 0 && (text = json_dumps(args, JSON_COMPACT)) != NULL) {
		ctl_query_add(uri, sizeof(uri), "buildargs", text);
		free(text);
	}
	ctl_query_add(uri, sizeof(uri), "dockerfile", file);
	if (json_object_size(labels) > 0 && (text = json_dumps(labels, JSON_COMPACT)) != NULL) {
		ctl_query_add(uri, sizeof(uri), "labels", text);
		free(text);
	}
	if (network != NULL && strcmp(network, "default") != 0)
		ctl_query_add(uri, sizeof(uri), "networkmode", network);
	ctl_query_add(uri, sizeof(uri), "nocache", nocache ? "1" : NULL);
	ctl_query_add(uri, sizeof(uri), "platform", platform);
	ctl_query_add(uri, sizeof(uri), "pull", pull ? "1" : NULL);
	ctl_query_add(uri, sizeof(uri), "q", quiet ? "1" : NULL);
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_TAG)
			ctl_query_add(uri, sizeof(uri), "t", a[i].value);
	}
	ctl_query_add(uri, sizeof(uri), "target", target);
	ctl_query_add(uri, sizeof(uri), "version", "1");
	/* The body is the build context, a tar stream: not JSON, not forwarded. */
	check_add(p, "build", uri, NULL);
	json_decref(args);
	json_decref(labels);
	return 0;
fail:
	json_decref(args);
	json_decref(labels);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* docker tag SOURCE TARGET, load, import, plugin install */

static const struct check_flag no_flags[] = {CHECK_END};

int
check_tag(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[1];
	char *pos[2], uri[4096], name[1100], tag[256];
	const char *repo;
	int na, np;

	if (check_flags(p, no_flags, 1, argc, argv, a, 1, &na, pos, 2, &np) != 0 ||
	    (np != 2 && check_fail(p, "\"docker tag\" requires exactly 2 arguments") != 0) ||
	    check_image_ref(p, pos[1], name, sizeof(name), tag, sizeof(tag)) != 0)
		return -1;
	if (strchr(pos[1], '@') != NULL)
		return check_fail(p, "refusing to create a tag with a digest reference");
	/* The familiar name: docker.io/library/ and docker.io/ are left out. */
	repo = strncmp(name, "docker.io/library/", 18) == 0 ? name + 18
	       : strncmp(name, "docker.io/", 10) == 0       ? name + 10
	                                                    : name;
	snprintf(uri, sizeof(uri), CHECK_API "/images/%s/tag", pos[0]);
	ctl_query_add(uri, sizeof(uri), "repo", repo);
	ctl_query_add(uri, sizeof(uri), "tag", tag);
	check_add(p, "tag", uri, NULL);
	return 0;
}

/* clang-format off */
static const struct check_flag load_flags[] = {
    CHECK_V("input", 'i', X_INPUT), CHECK_B("quiet", 'q', X_QUIET),
    CHECK_V("platform", 0, X_PLATFORM), CHECK_END,
};
/* clang-format on */

int
check_load(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[16];
	char *pos[1], uri[1024] = CHECK_API "/images/load";
	const char *platform = NULL;
	int na, np, quiet = !isatty(STDOUT_FILENO);

	if (check_flags(p, load_flags, 1, argc, argv, a, 16, &na, pos, 1, &np) != 0)
		return -1;
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_QUIET)
			quiet |= check_bool(&a[i]);
		else if (a[i].id == X_PLATFORM)
			platform = a[i].value;
	}
	ctl_query_add(uri, sizeof(uri), "platform", platform);
	ctl_query_add(uri, sizeof(uri), "quiet", quiet ? "1" : NULL);
	check_add(p, "load", uri, NULL);
	return 0;
}

/* clang-format off */
static const struct check_flag import_flags[] = {
    CHECK_V("change", 'c', X_CHANGE), CHECK_V("message", 'm', X_MESSAGE),
    CHECK_V("platform", 0, X_PLATFORM), CHECK_END,
};
/* clang-format on */

int
check_import(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[64];
	char *pos[2], uri[8192] = CHECK_API "/images/create";
	int na, np;

	if (check_flags(p, import_flags, 1, argc, argv, a, 64, &na, pos, 2, &np) != 0 ||
	    (np < 1 && check_fail(p, "\"docker import\" requires at least 1 argument") != 0))
		return -1;
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_CHANGE)
			ctl_query_add(uri, sizeof(uri), "changes", a[i].value);
	}
	ctl_query_add(uri, sizeof(uri), "fromSrc", strstr(pos[0], "://") != NULL ? pos[0] : "-");
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_MESSAGE)
			ctl_query_add(uri, sizeof(uri), "message", a[i].value);
		else if (a[i].id == X_PLATFORM)
			ctl_query_add(uri, sizeof(uri), "platform", a[i].value);
	}
	ctl_query_add(uri, sizeof(uri), "repo", np > 1 ? pos[1] : NULL);
	check_add(p, "import", uri, NULL);
	return 0;
}

/* clang-format off */
static const struct check_flag plugin_flags[] = {
    CHECK_V("alias", 0, X_ALIAS), CHECK_B("disable", 0, 0),
    CHECK_B("disable-content-trust", 0, 0), CHECK_B("grant-all-permissions", 0, 0), CHECK_END,
};
/* clang-format on */

int
check_plugin_install(struct check_plan *p, int argc, char **argv)
{
	struct check_arg a[16];
	char *pos[64], uri[4096] = CHECK_API "/plugins/pull", name[1100], tag[256], remote[1400];
	const char *alias = "";
	int na, np;

	if (check_flags(p, plugin_flags, 0, argc, argv, a, 16, &na, pos, 64, &np) != 0 ||
	    (np < 1 && check_fail(p, "\"docker plugin install\" requires at least 1 argument")) ||
	    check_image_ref(p, pos[0], name, sizeof(name), tag, sizeof(tag)) != 0)
		return -1;
	for (int i = 0; i < na; i++) {
		if (a[i].id == X_ALIAS)
			alias = a[i].value;
	}
	snprintf(remote, sizeof(remote), "%s%s%s", name, strchr(pos[0], ':') ? ":" : "",
	         strchr(pos[0], ':') ? tag : "");
	ctl_query_add(uri, sizeof(uri), "name", alias);
	ctl_query_add(uri, sizeof(uri), "remote", remote);
	/* The CLI sends the privileges the registry lists, which only a registry
	 * knows; the plugin-install rule does not depend on them. */
	check_add(p, "plugin install", uri, json_array());
	return 0;
}
