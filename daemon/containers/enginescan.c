/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's containers, each judged as its start (enginescan.h). */
#include "enginescan.h"

#include "containers.h"
#include "engineclient.h"
#include "policy/userpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The start's lookup of its own container: what the engine said of it, as
 * the lookup threads hand it to the decision engine (lookup.c); any other
 * container is unknown. */
static int
described(void *arg, const char *ref, struct decide_mounts *out)
{
	const struct containers_entry *e = arg;

	if (strcmp(ref, e->id) != 0)
		return 0;
	/* The engine's description keeps the image beside the mounts. */
	if (e->mounts.image == NULL && e->image != NULL && out->image == NULL &&
	    (out->image = strdup(e->image)) == NULL)
		return -1;
	return decide_mounts_copy(out, &e->mounts) == 0 ? 1 : -1;
}

/* Add container e (state as listed, made by user when known), which d
 * refuses or reports. 0, or -1 on ENOMEM. */
static int
add_found(struct enginescan *s, const struct containers_entry *e, const char *state,
          const char *user, const struct decision *d)
{
	const char *name = e->name != NULL && e->name[0] ? e->name : e->id;
	const char *ids[16];
	size_t n = decision_rule_ids(d, ids, sizeof(ids) / sizeof(ids[0]));
	size_t len = strlen(s->names);

	s->count++;
	if (len + 1 < sizeof(s->names)) {
		snprintf(s->names + len, sizeof(s->names) - len, "%s%s [", len ? "; " : "", name);
		for (size_t i = 0; i < n; i++) {
			len = strlen(s->names);
			snprintf(s->names + len, sizeof(s->names) - len, "%s%s", i ? ", " : "",
			         ids[i]);
		}
		len = strlen(s->names);
		snprintf(s->names + len, sizeof(s->names) - len, "]");
	}
	{
		json_t *o = json_pack(
		    "{s:s%, s:s, s:s, s:s, s:o, s:b, s:s*}", "id", e->id, (size_t)12, "fullId",
		    e->id, "name", name, "state", state != NULL ? state : "", "rules",
		    decision_rule_ids_json(d), "refused", !d->allow, "user", user);

		if (o == NULL || json_array_append_new(s->list, o) != 0)
			return -1;
	}
	return 0;
}

/* Judge the container of one list item as its start. 0, 2 when the engine
 * could not describe it (why in err), or -1 on ENOMEM. */
static int
judge_one(const struct enginescan_in *in, json_t *info, const json_t *item, struct enginescan *s,
          char *err, size_t errsz)
{
	const char *id = json_string_value(json_object_get(item, "Id"));
	const struct decide_policy *dp = in->dp;
	struct containers_entry e;
	struct decision d;
	char uri[96], user[256] = "";
	void *hold = NULL;
	int rc;

	if (id == NULL || !containers_is_id(id))
		return 0;
	rc = engineclient_container_with(in->socket, in->timeout_ms, id, info, &e, err, errsz);
	if (rc != 1)
		return rc == 0 ? 2 : -1;
	if ((e.mounts.ns_known & DECIDE_NS_USER) && (e.mounts.ns_host & DECIDE_NS_USER)) {
		size_t len = strlen(s->host_userns_names);

		s->host_userns++;
		snprintf(s->host_userns_names + len, sizeof(s->host_userns_names) - len, "%s%s",
		         len > 0 ? ", " : "", e.name != NULL && e.name[0] ? e.name : e.id);
	}
	snprintf(uri, sizeof(uri), "/containers/%s/start", id);
	/* Made by a user with a policy of their own: judged by it, as their
	 * create was. */
	if (in->records != NULL && in->up != NULL &&
	    containers_creator(in->records, id, user, sizeof(user)) == 1 &&
	    (dp = userpolicy_decide(in->up, in->served, user, &hold)) == NULL) {
		containers_entry_clear(&e);
		return -1;
	}
	{
		struct decide_request req = {.method = "POST",
		                             .uri = uri,
		                             .body_whole = 1,
		                             .container = described,
		                             .container_arg = &e,
		                             .engine_userns = in->userns,
		                             .engine_cgroupns = in->cgroupns,
		                             .sockets = in->sockets,
		                             .nsockets = in->nsockets};

		rc = decide_eval(dp, &req, &d);
	}
	s->scanned++;
	if (rc == 0 && d.inspected && d.nv > 0)
		rc = add_found(s, &e, json_string_value(json_object_get(item, "State")),
		               user[0] ? user : NULL, &d);
	decision_clear(&d);
	userpolicy_release(hold);
	containers_entry_clear(&e);
	return rc;
}

int
enginescan_run(const struct enginescan_in *in, struct enginescan *out, char *err, size_t errsz)
{
	struct engineclient_reply r;
	json_t *list, *info;
	char why[256] = "";
	size_t i;
	int status, rc = 0, misses = 0;

	memset(out, 0, sizeof(*out));
	out->count = -1;
	if (engineclient_get(in->socket, "/containers/json?all=1", in->timeout_ms,
	                     ENGINECLIENT_MAX_BODY, &r, err, errsz) != 0)
		return -1;
	status = r.status;
	list = status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	engineclient_reply_clear(&r);
	if (!json_is_array(list)) {
		snprintf(err, errsz, "GET /containers/json: status %d, or not a list", status);
		json_decref(list);
		return -1;
	}
	/* Asked once: what it fills in for a container that names no runtime,
	 * logging driver or system paths (engineclient_container). */
	if (engineclient_get(in->socket, "/info", in->timeout_ms, ENGINECLIENT_MAX_BODY, &r, err,
	                     errsz) != 0) {
		json_decref(list);
		return -1;
	}
	info = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	status = r.status;
	engineclient_reply_clear(&r);
	if (!json_is_object(info)) {
		snprintf(err, errsz, "GET /info: status %d, or not an object", status);
		json_decref(info);
		json_decref(list);
		return -1;
	}
	out->count = 0;
	out->listed = (int)json_array_size(list);
	if ((out->list = json_array()) == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < json_array_size(list) && i < ENGINECLIENT_SCAN_MAX; i++) {
		if (in->stop != NULL && in->stop(in->stop_arg)) {
			rc = 1;
			break;
		}
		/* One removed since the list is not described; several in a
		 * row are an engine that stopped answering (each may have
		 * waited out the timeout): the scan fails. */
		if ((rc = judge_one(in, info, json_array_get(list, i), out, why, sizeof(why))) == 2)
			rc = ++misses < ENGINESCAN_MAX_MISSES ? 0 : -2;
		else if (rc == 0)
			misses = 0;
	}
	json_decref(list);
	json_decref(info);
	if (rc != 0) {
		enginescan_clear(out);
		out->count = -1;
		if (rc == -2)
			snprintf(err, errsz,
			         "the engine described none of %d containers in a row: %s", misses,
			         why);
		else if (rc == -1)
			snprintf(err, errsz, "out of memory");
	}
	return rc == -2 ? -1 : rc;
}

void
enginescan_clear(struct enginescan *s)
{
	if (s == NULL)
		return;
	json_decref(s->list);
	memset(s, 0, sizeof(*s));
}
