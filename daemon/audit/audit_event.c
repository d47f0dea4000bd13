/* SPDX-License-Identifier: Apache-2.0 */
/* Strict validation of an event a runtime component reports (POST /v1/events):
 * known fields only, each with its type, shape and length cap; every problem is
 * reported with its JSON pointer. Reported actions live under runtime.*; the
 * namespaces lockset writes itself are listed here, once. */
#include "audit_int.h"
#include "util/names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ACTION_MAX  64
#define ACTOR_MAX   256
#define SUBJECT_MAX 1024
#define RULE_MAX    64
#define RULES_MAX   32
#define DATA_MAX    16384 /* as compact JSON */

/* The first segment of every action lockset writes itself (decisions, policy
 * and token changes, authentication, the audit log's own rows, and those the
 * whole-API inventory, fleet and preference code write). No caller may report
 * an event under one of them: a row in these namespaces is lockset's word. */
static const char *const own_namespaces[] = {
    "audit",   "auth",     "build",       "commit",      "config", "container", "decision",
    "exec",    "host",     "image",       "network",     "node",   "other",     "plugin",
    "policy",  "secret",   "service",     "settings",    "swarm",  "system",    "token",
    "unknown", "upstream", "user_policy", "preferences", "volume", "bundle",    "session",
};

/* Lowercase dotted: 2 to 4 segments of [a-z][a-z0-9_]*. */
static int
action_ok(const char *s)
{
	int segs = 1, start = 1;

	for (; *s; s++) {
		if (*s == '.') {
			if (start)
				return 0;
			segs++;
			start = 1;
		} else if ((*s >= 'a' && *s <= 'z') ||
		           (!start && ((*s >= '0' && *s <= '9') || *s == '_'))) {
			start = 0;
		} else {
			return 0;
		}
	}
	return !start && segs >= 2 && segs <= 4;
}

/* A rule id: [a-z0-9][a-z0-9_.-]*. */
static int
rule_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* A string field no longer than max bytes: its value, or NULL (problem added). */
static const char *
string_field(const json_t *v, const char *path, size_t max, struct problems *errs)
{
	if (!json_is_string(v)) {
		problems_add(errs, path, "expected a string");
		return NULL;
	}
	if (json_string_length(v) > max) {
		problems_add(errs, path, "too long (max %zu bytes)", max);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		problems_add(errs, path, "must not contain NUL characters");
		return NULL;
	}
	return json_string_value(v);
}

static void
rules_field(const json_t *v, struct audit_event *out, struct problems *errs)
{
	const char **rules;
	size_t i;
	json_t *r;

	if (!json_is_array(v)) {
		problems_add(errs, "/rules", "expected an array of rule ids");
		return;
	}
	if (json_array_size(v) > RULES_MAX) {
		problems_add(errs, "/rules", "too many rules (max %d)", RULES_MAX);
		return;
	}
	if ((rules = calloc(json_array_size(v) + 1, sizeof(*rules))) == NULL) {
		problems_add(errs, "/rules", "out of memory");
		return;
	}
	json_array_foreach(v, i, r)
	{
		char *path = problems_pointer_index("/rules", i);
		const char *s = string_field(r, path, RULE_MAX, errs);

		if (s != NULL && !rule_ok(s))
			problems_add(errs, path,
			             "expected a rule id such as privileged or cap-add");
		rules[i] = s;
		free(path);
	}
	out->rules = rules;
	out->nrules = json_array_size(v);
	out->owned = rules;
}

static void
data_field(json_t *v, struct audit_event *out, struct problems *errs)
{
	size_t len;

	if (!json_is_object(v)) {
		problems_add(errs, "/data", "expected an object");
		return;
	}
	/* Its length as compact JSON, counted without writing it out. */
	if ((len = json_dumpb(v, NULL, 0, JSON_COMPACT)) == 0) {
		problems_add(errs, "/data", "cannot be encoded");
		return;
	}
	if (len > DATA_MAX)
		problems_add(errs, "/data", "too large (max %d bytes as compact JSON)", DATA_MAX);
	else
		out->data = v;
}

static void
one_field(const char *key, json_t *v, struct audit_event *out, struct problems *errs)
{
	if (strcmp(key, "action") == 0) {
		const char *s = string_field(v, "/action", ACTION_MAX, errs);
		if (s != NULL && !action_ok(s))
			problems_add(errs, "/action",
			             "expected a lowercase dotted action such as "
			             "runtime.exec.denied");
		else
			out->action = s;
	} else if (strcmp(key, "actor") == 0) {
		out->actor = string_field(v, "/actor", ACTOR_MAX, errs);
	} else if (strcmp(key, "subject") == 0) {
		out->subject = string_field(v, "/subject", SUBJECT_MAX, errs);
	} else if (strcmp(key, "decision") == 0) {
		const char *s = string_field(v, "/decision", 8, errs);
		if (s != NULL && strcmp(s, "deny") != 0 && strcmp(s, "allow") != 0 &&
		    strcmp(s, "audit") != 0)
			problems_add(errs, "/decision", "expected one of deny, allow, audit");
		else
			out->decision = s;
	} else if (strcmp(key, "rules") == 0) {
		rules_field(v, out, errs);
	} else if (strcmp(key, "data") == 0) {
		data_field(v, out, errs);
	} else if (strcmp(key, "policy_version") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			problems_add(errs, "/policy_version", "expected an integer >= 0");
		else
			out->policy_version = json_integer_value(v);
	} else {
		char *path = problems_pointer_join("", key);
		problems_add(errs, path, "unknown field");
		free(path);
	}
}

int
audit_event_from_json(const json_t *body, struct audit_event *out, struct problems *errs)
{
	size_t before = errs->n;
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	out->policy_version = -1;
	if (!json_is_object(body)) {
		problems_add(errs, "", "expected a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)body, key, v)
	{
		one_field(key, v, out, errs);
	}
	if (json_object_get(body, "action") == NULL)
		problems_add(errs, "/action", "required");
	if (errs->n != before) {
		audit_event_clear(out);
		return -1;
	}
	return 0;
}

int
audit_action_is_own(const char *action)
{
	size_t n = strcspn(action, ".");

	for (size_t i = 0; i < sizeof(own_namespaces) / sizeof(own_namespaces[0]); i++) {
		if (strlen(own_namespaces[i]) == n && strncmp(action, own_namespaces[i], n) == 0)
			return 1;
	}
	return 0;
}

/* How lockset names its own components and the callers it identifies, as
 * the actors of the rows it writes: a reported event may not borrow them
 * (its rows would read as dockerd's, or as another caller's). */
static int
actor_is_own(const char *actor)
{
	static const char *const names[] = {"dockerd", "locksetd", "upstream"};
	static const char *const prefixes[] = {"uid:", "token:", "anonymous@"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(actor, names[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncasecmp(actor, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

int
audit_event_namespace_check(const struct audit_event *ev, struct problems *errs)
{
	static const char prefix[] = AUDIT_NAMESPACE_RUNTIME ".";
	int n = (int)strcspn(ev->action, ".");

	if (ev->actor != NULL && actor_is_own(ev->actor)) {
		problems_add(
		    errs, "/actor",
		    "%.64s is how lockset names its own components and callers; a reported "
		    "event names the user it reports on",
		    ev->actor);
		return -1;
	}
	/* A user's name, by the user-name rules: no invisible character, other
	 * white space, or space at either end makes one of lockset's own names
	 * look like it ("dockerd\u200b", "dockerd\u00ad", "\u00a0uid:0"). */
	if (ev->actor != NULL &&
	    (!names_user_valid(ev->actor) || isspace((unsigned char)ev->actor[0]) ||
	     isspace((unsigned char)ev->actor[strlen(ev->actor) - 1]))) {
		problems_add(errs, "/actor",
		             "expected a user's name: 1-256 bytes of UTF-8 without controls, "
		             "invisible characters, white space other than U+0020, '/' or "
		             "spaces at either end");
		return -1;
	}
	if (strncmp(ev->action, prefix, sizeof(prefix) - 1) == 0)
		return 0;
	if (audit_action_is_own(ev->action))
		problems_add(
		    errs, "/action",
		    "%.*s.* actions are lockset's own; report events under " AUDIT_NAMESPACE_RUNTIME
		    ".* (e.g. " AUDIT_NAMESPACE_RUNTIME ".%s)",
		    n, ev->action, ev->action);
	else
		problems_add(errs, "/action",
		             "reported events go under " AUDIT_NAMESPACE_RUNTIME
		             ".* (e.g. " AUDIT_NAMESPACE_RUNTIME ".%s)",
		             ev->action);
	return -1;
}

void
audit_event_clear(struct audit_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->owned);
	ev->owned = NULL;
	ev->rules = NULL;
	ev->nrules = 0;
}

int
audit_record(struct audit *a, const char *action, const char *actor, const char *component,
             const char *subject, const char *decision, long long policy_version, json_t *data)
{
	struct audit_event ev = {.policy_version = policy_version};

	if (a == NULL)
		return -1;
	ev.action = action;
	ev.actor = actor;
	ev.component = component;
	ev.subject = subject;
	ev.decision = decision;
	ev.data = data;
	return audit_append(a, &ev) < 0 ? -1 : 0;
}
