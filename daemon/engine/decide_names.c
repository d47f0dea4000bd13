/* SPDX-License-Identifier: Apache-2.0 */
/* The image names a request makes on this host (a tag, a commit, an import,
 * a build's tags and outputs), judged against ECI's socket-mount image list:
 * a name on it may only come from a pull from its registry. And where a
 * build's outputs push, judged against allowedRegistries. */
#include <stdio.h>
#include <string.h>

#include "decide_int.h"

#define QVAL_MAX DECIDE_QVAL_MAX

/* A name that cannot be resolved as dockerd resolves it may be any name,
 * one on the socket-mount list included: refused (dockerd refuses it too). */
void
decide_refuse_unresolved_name(struct ctx *c, const char *field, const char *flag, const char *name)
{
	decide_violate(c, "socket-image-name", field, name, flag,
	               "%s cannot be resolved to one image name, so lockset cannot tell "
	               "whether it is on the ECI socket-mount image list",
	               name);
}

void
decide_judge_new_ref(struct ctx *c, const char *field, const char *flag, const char *name,
                     const struct imageref *ref)
{
	const struct decide_policy *dp = c->dp;
	size_t i;

	for (i = 0; i < dp->nimages; i++)
		if (!dp->images[i].any && imageref_pattern_match(&dp->images[i], ref)) {
			decide_violate(
			    c, "socket-image-name", field, name, flag,
			    "%s is on the ECI socket-mount image list, so it may only "
			    "come from a pull from its registry, not be made on this host",
			    name);
			return;
		}
}

void
decide_judge_new_name(struct ctx *c, const char *field, const char *flag, const char *name)
{
	struct imageref ref;

	if (!c->dp->eci || name[0] == '\0')
		return;
	if (imageref_parse(name, &ref) == -1)
		decide_refuse_unresolved_name(c, field, flag, name);
	else
		decide_judge_new_ref(c, field, flag, name, &ref);
}

/* One name of a build output's "name" attribute (a comma-separated list). */
static void
judge_output_names(struct ctx *c, const char *key, const char *names)
{
	char one[QVAL_MAX], flag[QVAL_MAX + 40];
	const char *p = names;

	do {
		size_t n = strcspn(p, ",");

		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), p);
		snprintf(flag, sizeof(flag), "docker build --output name=%s", one);
		if (n >= sizeof(one))
			decide_refuse_unresolved_name(c, key, flag, one);
		else
			decide_judge_new_name(c, key, flag, one);
		p += n;
	} while (*p++ == ',');
}

/* A build output's dangling-name-prefix: BuildKit names the image it gives
 * no other name PREFIX@DIGEST (with the containerd image store; its image
 * exporter adds that name next to the others as well). The digest is not
 * known here: a socket-list entry for any tag or digest of the name
 * ("name:*") matches whatever it will be, so it is judged with one that
 * stands for it. */
static void
judge_dangling_prefix(struct ctx *c, const char *key, const char *prefix)
{
	char flag[QVAL_MAX + 56];
	struct imageref ref;

	snprintf(flag, sizeof(flag), "docker build --output dangling-name-prefix=%.*s",
	         QVAL_MAX - 1, prefix);
	if (imageref_parse(prefix, &ref) == -1) {
		decide_refuse_unresolved_name(c, key, flag, prefix);
		return;
	}
	ref.tag[0] = '\0';
	snprintf(ref.digest, sizeof(ref.digest), "sha256:%064d", 0);
	decide_judge_new_ref(c, key, flag, prefix, &ref);
}

/* Does a build output push (BuildKit's push attribute, a boolean that is
 * true when empty, or an output of type registry)? */
static int
output_pushes(const char *type, const char *push)
{
	static const char *const yes[] = {"", "1", "t", "T", "TRUE", "true", "True"};

	if (type != NULL && strcmp(type, "registry") == 0)
		return 1;
	for (size_t i = 0; push != NULL && i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(push, yes[i]) == 0)
			return 1;
	return 0;
}

/* Each name of a pushing output goes to its registry, which
 * allowedRegistries must list, as for docker push. */
static void
judge_output_pushes(struct ctx *c, const char *key, const char *names)
{
	char one[QVAL_MAX], flag[QVAL_MAX + 48];
	const char *p = names != NULL ? names : "";

	do {
		size_t n = strcspn(p, ",");

		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), p);
		snprintf(flag, sizeof(flag), "docker build --output push=true,name=%s", one);
		decide_judge_registry(c, key, flag, one[0] != '\0' ? one : "(no name)");
		p += n;
	} while (*p++ == ',');
}

/* One entry of a build's outputs: the names its exporter gives the image,
 * judged as t= is while ECI is on, and the registries it pushes them to. */
static int
judge_output(struct ctx *c, const char *key, struct gojson_arena *a, struct gojson_view *ev)
{
	struct gojson_view attrs;
	const char *name, *prefix;

	if (gojson_view_map(a, ev, "Attrs", &attrs) == -1)
		return -1;
	name = gojson_map_get(&attrs, "name");
	prefix = gojson_map_get(&attrs, "dangling-name-prefix");
	if (c->dp->eci && name != NULL && name[0] != '\0')
		judge_output_names(c, key, name);
	if (c->dp->eci && prefix != NULL && prefix[0] != '\0')
		judge_dangling_prefix(c, key, prefix);
	if (c->dp->registries_restricted &&
	    output_pushes(gojson_view_string(ev, "Type"), gojson_map_get(&attrs, "push")))
		judge_output_pushes(c, key, name);
	return 0;
}

/* A build's outputs (BuildKit, ?outputs=[{"Type":"moby","Attrs":{"name":
 * "a,b"}}]). Text that is not the []ImageBuildOutput dockerd decodes
 * cannot be judged. */
void
decide_judge_build_outputs(struct ctx *c, const char *key, const char *val)
{
	struct gojson_arena a;
	const struct gojson_value *root, *e;
	const char *why;
	size_t at;

	if ((!c->dp->eci && !c->dp->registries_restricted) || val[0] == '\0')
		return;
	gojson_arena_init(&a);
	if (gojson_parse(&a, val, strlen(val), &root, &why, &at) != 0 || a.nul ||
	    (root->type != GOJSON_ARRAY && root->type != GOJSON_NULL))
		goto unread;
	for (e = root->child; e != NULL; e = e->next) {
		struct gojson_view ev = {&e, 1};

		if (e->type == GOJSON_NULL)
			continue;
		if (e->type != GOJSON_OBJECT)
			goto unread;
		if (judge_output(c, key, &a, &ev) == -1) {
			c->nomem = 1;
			break;
		}
	}
	goto out;
unread:
	if (c->dp->eci)
		decide_refuse_unresolved_name(c, key, "docker build --output", val);
	if (c->dp->registries_restricted)
		decide_violate(c, "registry", key, val, "docker build --output",
		               "the build's outputs cannot be read, so lockset cannot tell whether "
		               "they push to a registry allowedRegistries does not list");
out:
	gojson_arena_clear(&a);
}
