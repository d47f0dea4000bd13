/* SPDX-License-Identifier: Apache-2.0 */
/* What a developer reads when a request is refused: one line per violation
 * with the docker flag as they typed it, the offending value and what is
 * allowed, ending with the decision id an administrator can look up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide_int.h"

/* The docker flag a host-path or named-volume fact came from. */
static void
path_flag(const struct engineapi_fact *fa, char *buf, size_t bufsz)
{
	const char *sfx = fa->suffix != NULL ? fa->suffix : "";

	if (strcmp(fa->name, "Binds") == 0)
		snprintf(buf, bufsz, "-v %s:...", fa->value);
	else if (strcmp(fa->name, "DriverOpts") == 0)
		snprintf(buf, bufsz, "docker volume create -o device=%s", fa->value);
	else if (strcmp(sfx, ".Source") == 0)
		snprintf(buf, bufsz,
		         fa->kind == EF_NAMED_VOLUME ? "--mount source=%s"
		                                     : "--mount type=bind,source=%s",
		         fa->value);
	else
		snprintf(buf, bufsz, "--mount type=volume,volume-opt=device=%s", fa->value);
}

/* The docker flag a driver fact came from. */
static void
driver_flag(const struct engineapi_fact *fa, char *buf, size_t bufsz)
{
	if (fa->kind == EF_DRIVER)
		snprintf(buf, bufsz, "a driver named %s", fa->value);
	else if (fa->kind == EF_NETWORK_DRIVER)
		snprintf(buf, bufsz, "docker network create --driver %s", fa->value);
	else if (strcmp(fa->name, "Driver") == 0)
		snprintf(buf, bufsz, "docker volume create --driver %s", fa->value);
	else if (strcmp(fa->name, "VolumeDriver") == 0)
		snprintf(buf, bufsz, "--volume-driver %s", fa->value);
	else
		snprintf(buf, bufsz, "--mount type=volume,volume-driver=%s", fa->value);
}

/* The flags that are a fixed text, and the value after it when value is
 * set, by fact kind (one look-up on the decision path). */
static const struct {
	const char *text;
	int value;
} fixed_flags[] = {
    [EF_PRIVILEGED] = {"--privileged", 0},
    [EF_CAP_ADD] = {"--cap-add ", 1},
    [EF_DEVICE] = {"--device ", 1},
    [EF_DEVICE_REQUEST] = {"--gpus", 0},
    [EF_DEVICE_CGROUP_RULE] = {"--device-cgroup-rule ", 1},
    [EF_SYSCTL] = {"--sysctl ", 1},
    [EF_VOLUMES_FROM] = {"--volumes-from ", 1},
    [EF_PLUGIN] = {"a service with the plugin runtime", 0},
    [EF_REGISTRY_SERVER] = {"docker login ", 1},
    [EF_NETWORK_TARGET] = {"--network ", 1},
    [EF_RUNTIME] = {"--runtime ", 1},
    [EF_CGROUP_PARENT] = {"--cgroup-parent ", 1},
    [EF_LOG_DRIVER] = {"--log-driver ", 1},
    [EF_LOG_OPT] = {"--log-opt ", 1},
    [EF_ANNOTATION] = {"--annotation ", 1},
    [EF_CHECKPOINT_DIR] = {"docker checkpoint create --checkpoint-dir ", 1},
    [EF_NODE_ROLE] = {"docker node update --role ", 1},
};

void
decide_fact_flag(const struct engineapi_fact *fa, char *buf, size_t bufsz)
{
	int vol = fa->name != NULL && strcmp(fa->name, "DriverOpts") == 0;

	buf[0] = '\0';
	if ((size_t)fa->kind < sizeof(fixed_flags) / sizeof(fixed_flags[0]) &&
	    fixed_flags[fa->kind].text != NULL) {
		snprintf(buf, bufsz, "%s%s", fixed_flags[fa->kind].text,
		         fixed_flags[fa->kind].value ? fa->value : "");
		return;
	}
	switch (fa->kind) {
	case EF_HOST_PATH:
	case EF_NAMED_VOLUME:
		path_flag(fa, buf, bufsz);
		break;
	case EF_VOLUME_FS:
	case EF_NETWORK_VOLUME:
		snprintf(buf, bufsz,
		         vol ? "docker volume create -o type=%s"
		             : "--mount type=volume,volume-opt=type=%s",
		         fa->value);
		break;
	case EF_DRIVER:
	case EF_VOLUME_DRIVER:
	case EF_NETWORK_DRIVER:
		driver_flag(fa, buf, bufsz);
		break;
	case EF_BRIDGE_OPTION:
		if (strcmp(fa->value, ENGINEAPI_CONFIG_FROM) == 0)
			snprintf(buf, bufsz, "docker network create --config-from %s",
			         fa->nlist > 0 ? fa->list[0] : "");
		else
			snprintf(buf, bufsz, "docker network create -o %s=%s", fa->value,
			         fa->nlist > 0 ? fa->list[0] : "");
		break;
	default: /* the mode and security-option rules name their flag */
		break;
	}
}

/* Append s to buf at *len (cap bytes in all), control characters shown as
 * '?' so that a value cannot break the message's lines. */
static void
append(char *buf, size_t cap, size_t *len, const char *s)
{
	for (; *s != '\0' && *len + 1 < cap; s++)
		buf[(*len)++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	buf[*len] = '\0';
}

/* Start a new line of the message, indented by indent spaces. */
static void
newline(char *buf, size_t cap, size_t *len, int indent)
{
	if (*len + 1 < cap)
		buf[(*len)++] = '\n';
	buf[*len] = '\0';
	while (indent-- > 0)
		append(buf, cap, len, " ");
}

#define DENY_LIST_MAX 8

char *
decision_deny_message(const struct decision *d, long long policy_version, const char *id)
{
	size_t cap = 512, len = 0, i;
	char head[96], *msg;

	for (i = 0; i < d->nv && i < DENY_LIST_MAX; i++)
		cap += strlen(d->v[i].rule) + strlen(d->v[i].flag ? d->v[i].flag : "") +
		       strlen(d->v[i].message ? d->v[i].message : "") + 16;
	if ((msg = malloc(cap)) == NULL)
		return NULL;
	msg[0] = '\0';
	snprintf(head, sizeof(head), "lockset: denied by policy v%lld:", policy_version);
	append(msg, cap, &len, head);
	for (i = 0; i < d->nv && i < DENY_LIST_MAX; i++) {
		const struct violation *v = &d->v[i];

		newline(msg, cap, &len, 2);
		if (v->flag != NULL && v->flag[0] != '\0') {
			append(msg, cap, &len, v->flag);
			append(msg, cap, &len, ": ");
		}
		append(msg, cap, &len, v->message ? v->message : "");
		append(msg, cap, &len, " [");
		append(msg, cap, &len, v->rule);
		append(msg, cap, &len, "]");
	}
	if (d->nv > DENY_LIST_MAX) {
		snprintf(head, sizeof(head), "and %zu more", d->nv - DENY_LIST_MAX);
		newline(msg, cap, &len, 2);
		append(msg, cap, &len, head);
	}
	newline(msg, cap, &len, 0);
	append(msg, cap, &len, "ask your Docker administrator if you need an exception; decision ");
	append(msg, cap, &len, id != NULL && id[0] != '\0' ? id : "(none)");
	return msg;
}

size_t
decision_rule_ids(const struct decision *d, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nv && n < max; i++) {
		size_t k = 0;

		while (k < n && strcmp(out[k], d->v[i].rule) != 0)
			k++;
		if (k == n)
			out[n++] = d->v[i].rule;
	}
	return n;
}

json_t *
decision_rule_ids_json(const struct decision *d)
{
	const char **ids = d->nv > 0 ? malloc(d->nv * sizeof(*ids)) : NULL;
	size_t n = ids != NULL ? decision_rule_ids(d, ids, d->nv) : 0;
	json_t *arr = d->nv > 0 && ids == NULL ? NULL : json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, json_string(ids[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(ids);
	return arr;
}
