/* SPDX-License-Identifier: Apache-2.0 */
/* What a container runs with, judged again at every start: the facts of its
 * create that are not mounts (privileges, namespace modes, capabilities,
 * devices, security options, system paths, sysctls, runtime, cgroup parent,
 * logging, annotations), read by engineapi.c as any create's are, kept as
 * JSON text in its record and judged by decide_judge_fact as a create's
 * facts are: one rule for the flag at create and at start. A container made
 * before the policy (or in audit mode) with --privileged is refused its
 * start as its create would be now. */
#include <stdlib.h>
#include <string.h>

#include "decide_int.h"

/* The kinds kept, by the stable name the text gives them. A kind's name
 * never changes meaning: records outlive the build that wrote them. */
static const struct {
	enum engineapi_fact_kind kind;
	const char *name;
} kinds[] = {
    {EF_PRIVILEGED, "privileged"},
    {EF_PID_MODE, "pid"},
    {EF_IPC_MODE, "ipc"},
    {EF_UTS_MODE, "uts"},
    {EF_USERNS_MODE, "userns"},
    {EF_NETWORK_MODE, "network"},
    {EF_CGROUPNS_MODE, "cgroupns"},
    {EF_CAP_ADD, "cap-add"},
    {EF_DEVICE, "device"},
    {EF_DEVICE_REQUEST, "device-request"},
    {EF_DEVICE_CGROUP_RULE, "device-cgroup-rule"},
    {EF_SECURITY_OPT, "security-opt"},
    {EF_MASKED_PATHS, "masked-paths"},
    {EF_READONLY_PATHS, "readonly-paths"},
    {EF_SYSCTL, "sysctl"},
    {EF_RUNTIME, "runtime"},
    {EF_CGROUP_PARENT, "cgroup-parent"},
    {EF_LOG_DRIVER, "log-driver"},
    {EF_LOG_OPT, "log-opt"},
    {EF_ANNOTATION, "annotation"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The index of kind in kinds, or -1 when it is not kept. */
static int
kind_index(enum engineapi_fact_kind kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].kind == kind)
			return (int)i;
	return -1;
}

/* The index of the kind called name, or -1. */
static int
kind_named(const char *name)
{
	for (size_t i = 0; name != NULL && i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */

/* ["kind", "field", "value"] or, with a list (system paths),
 * ["kind", "field", "value", ["entry", ...]]. New reference, NULL when a
 * string is not UTF-8 or on ENOMEM. */
static json_t *
fact_json(const char *name, const struct engineapi_fact *fa)
{
	char field[512];
	json_t *e, *list = NULL;

	engineapi_fact_field(fa, field, sizeof(field));
	e = json_pack("[sss]", name, field, fa->value);
	if (e == NULL || (fa->kind != EF_MASKED_PATHS && fa->kind != EF_READONLY_PATHS))
		return e;
	if ((list = json_array()) == NULL || json_array_append(e, list) != 0)
		goto fail;
	for (size_t i = 0; i < fa->nlist; i++) {
		json_t *s = json_string(fa->list[i]);

		if (s == NULL || json_array_append_new(list, s) != 0)
			goto fail;
	}
	json_decref(list);
	return e;
fail:
	json_decref(list);
	json_decref(e);
	return NULL;
}

/* The facts of f that are kept, into arr. 0, or -1. */
static int
facts_json(const struct engineapi_facts *f, json_t *arr)
{
	for (size_t i = 0; i < f->n; i++) {
		int k = kind_index(f->v[i].kind);

		if (k < 0)
			continue;
		if (json_array_append_new(arr, fact_json(kinds[k].name, &f->v[i])) != 0)
			return -1;
	}
	return 0;
}

int
decide_container_flags(const char *body, size_t len, enum decide_cgroupns unnamed, char **out)
{
	struct engineapi_facts *f = malloc(sizeof(*f));
	json_t *arr = json_array();
	int rc = 1;

	*out = NULL;
	if (f == NULL || arr == NULL) {
		free(f);
		json_decref(arr);
		return 1;
	}
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, ENGINEAPI_CONTAINER_CREATE, body, len) != 0 || !f->body_ok ||
	    facts_json(f, arr) != 0)
		goto out;
	/* The mode the engine gave a container that names none is kept as
	 * the mode it has: the engine's default may change before the start.
	 * "" when that default was not known (judge_entry). */
	if (!engineapi_names_cgroupns(f) &&
	    json_array_append_new(arr, json_pack("[sss]", "cgroupns", "HostConfig.CgroupnsMode",
	                                         unnamed == DECIDE_CGROUPNS_HOST      ? "host"
	                                         : unnamed == DECIDE_CGROUPNS_PRIVATE ? "private"
	                                                                              : "")) != 0)
		goto out;
	*out = json_dumps(arr, JSON_COMPACT);
	if (*out != NULL && strlen(*out) <= DECIDE_FLAGS_MAX)
		rc = 0;
	else {
		free(*out);
		*out = NULL;
	}
out:
	engineapi_facts_clear(f);
	free(f);
	json_decref(arr);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */

/* One entry of the text: 1 when it is well formed, else 0. */
static int
entry_valid(const json_t *e)
{
	int k = kind_named(json_string_value(json_array_get(e, 0)));
	const json_t *list = json_array_get(e, 3), *s;
	size_t i;

	if (!json_is_array(e) || k < 0 || !json_is_string(json_array_get(e, 1)) ||
	    !json_is_string(json_array_get(e, 2)))
		return 0;
	if (json_array_size(e) == 3)
		return 1;
	if (json_array_size(e) != 4 || !json_is_array(list) ||
	    (kinds[k].kind != EF_MASKED_PATHS && kinds[k].kind != EF_READONLY_PATHS))
		return 0;
	json_array_foreach(list, i, s)
	{
		if (!json_is_string(s))
			return 0;
	}
	return 1;
}

/* The text parsed and checked: a new reference, or NULL. */
static json_t *
flags_load(const char *text)
{
	json_t *arr, *e;
	size_t i;

	if (text == NULL || strlen(text) > DECIDE_FLAGS_MAX ||
	    (arr = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return NULL;
	if (!json_is_array(arr))
		goto bad;
	json_array_foreach(arr, i, e)
	{
		if (!entry_valid(e))
			goto bad;
	}
	return arr;
bad:
	json_decref(arr);
	return NULL;
}

int
decide_flags_valid(const char *text)
{
	json_t *arr = flags_load(text);

	json_decref(arr);
	return arr != NULL;
}

/* ------------------------------------------------------------------------ */
/* Judging                                                                  */

int
decide_flags_pid_join(const char *flags, char *ref, size_t refsz)
{
	json_t *arr = flags_load(flags), *e;
	size_t i;
	int rc = 0;

	if (arr == NULL)
		return -1;
	ref[0] = '\0';
	json_array_foreach(arr, i, e)
	{
		const char *v = json_string_value(json_array_get(e, 2));

		if (strcmp(json_string_value(json_array_get(e, 0)), "pid") != 0 ||
		    strncmp(v, "container:", 10) != 0)
			continue;
		/* Two different ones (the top level's and HostConfig's): which
		 * the engine took cannot be told here. */
		if (rc == 1 && strcmp(ref, v + 10) != 0) {
			rc = -1;
			break;
		}
		snprintf(ref, refsz, "%s", v + 10);
		rc = 1;
	}
	json_decref(arr);
	return rc;
}

/* Is any rule on what a container runs with in force? */
static int
flags_judged(const struct decide_policy *dp)
{
	return dp->deny != 0 || dp->caps != 0 || dp->caps_any || dp->ncap_extra > 0 || dp->eci ||
	       dp->log_drivers.restricted;
}

/* Judge one entry (well formed) as the fact it was. */
static void
judge_entry(struct ctx *c, const json_t *e, const char *image)
{
	const json_t *list = json_array_get(e, 3);
	const char *entries[64];
	struct engineapi_fact fa = {
	    .kind = kinds[kind_named(json_string_value(json_array_get(e, 0)))].kind,
	    .value = json_string_value(json_array_get(e, 2)),
	    .prefix = "",
	    .name = json_string_value(json_array_get(e, 1)),
	    .index = -1,
	};
	const char **v = entries;

	/* The user namespace is judged with the others a start runs in
	 * (decide_judge_runs_in), from the same create. */
	if (fa.kind == EF_USERNS_MODE)
		return;
	/* A create that named no cgroup namespace while the engine's default
	 * was not known: the host's, for all lockset can tell. */
	if (fa.kind == EF_CGROUPNS_MODE && fa.value[0] == '\0') {
		if (c->dp->deny & DENY_CGROUPNS)
			decide_violate(
			    c, "unknown-container", fa.name, "", "--cgroupns=host",
			    "the container named no cgroup namespace mode when it was "
			    "created, and lockset could not ask the engine then which one "
			    "it gets (GET /info on --engine-socket): it may be the host's");
		return;
	}
	fa.nlist = json_array_size(list);
	if (fa.nlist > sizeof(entries) / sizeof(entries[0]) &&
	    (v = malloc(fa.nlist * sizeof(*v))) == NULL) {
		c->nomem = 1;
		return;
	}
	for (size_t i = 0; i < fa.nlist; i++)
		v[i] = json_string_value(json_array_get(list, i));
	fa.list = v;
	decide_judge_fact(c, &fa, image);
	if (v != entries)
		free(v);
}

/* An entry that joins another container's PID namespace, judged again at
 * every start (dockerd looks the other up by its name then): m is the
 * container being started. */
static void
judge_pid_entry(struct ctx *c, const json_t *e, const struct decide_mounts *m)
{
	const char *value = json_string_value(json_array_get(e, 2));
	const char *field = json_string_value(json_array_get(e, 1));
	char flag[300];

	if (strcmp(json_string_value(json_array_get(e, 0)), "pid") != 0 ||
	    strncmp(value, "container:", 10) != 0)
		return;
	snprintf(flag, sizeof(flag), "--pid %.250s", value);
	decide_judge_pid_join(c, field, flag, value, m->image);
	decide_judge_pid_exposed(c, field, flag, value, (const char *const *)m->src, m->n);
}

void
decide_judge_flags(struct ctx *c, const char *flag, const char *ref)
{
	struct decide_mounts m;
	json_t *arr = NULL, *e;
	size_t i;
	int rc = decide_container_mounts(c->req, ref, &m);

	/* Not found at all: decide_judge_container refuses it already. */
	if (rc == -1)
		c->nomem = 1;
	if (rc != 1 || !(flags_judged(c->dp) || decide_pid_join_judged(c)))
		goto out;
	if ((arr = flags_load(m.flags)) == NULL) {
		decide_violate(
		    c, "unknown-container", "id", ref, flag,
		    "what container %s runs with (its privileges, namespaces, "
		    "capabilities, devices, security options) is not known to lockset "
		    "and could not be asked of the engine, so its start cannot be judged",
		    ref);
		goto out;
	}
	json_array_foreach(arr, i, e)
	{
		if (c->nomem)
			break;
		if (flags_judged(c->dp))
			judge_entry(c, e, m.image);
		judge_pid_entry(c, e, &m);
	}
out:
	json_decref(arr);
	decide_mounts_clear(&m);
}
