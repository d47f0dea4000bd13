/* SPDX-License-Identifier: Apache-2.0 */
/* Keeping the container records true to dockerd's containers, from what the
 * plugin sees. A record is only ever read by full id, and dockerd resolves a
 * full id to the container with that id before any name; so a record can
 * mislead only once its container is gone (a name may then be that id). So:
 * a request that may remove containers, or connect one to a network, forgets
 * their records before dockerd acts on it; containers dockerd removes on its own (AutoRemove) are never
 * recorded; and a create's record is only written when nothing was forgotten
 * while it was in flight. Only what is fully understood is recorded: a
 * create naming volumes or containers lockset cannot describe from the body
 * is left to the engine lookup at start. */
#include "containers.h"

#include "engine/engineapi.h"
#include "engine/gojson.h"
#include "log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The path of uri without its query, as a NUL-terminated copy in buf. */
static void
uri_path(const char *uri, char *buf, size_t bufsz)
{
	size_t n = strcspn(uri, "?");

	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, uri, n);
	buf[n] = '\0';
}

/* "/containers/<64 hex>", optionally after "/vX.Y": the id, else NULL. */
static const char *
plain_delete_id(const char *path)
{
	if (path[0] == '/' && path[1] == 'v') {
		const char *p = path + 2;

		while ((*p >= '0' && *p <= '9') || *p == '.')
			p++;
		if (p > path + 2 && *p == '/')
			path = p;
	}
	if (strncmp(path, "/containers/", 12) != 0 || !containers_is_id(path + 12))
		return NULL;
	return path + 12;
}

int
containers_watch_request(struct containers *c, const char *method, const char *uri)
{
	struct engineapi_target t;
	char path[1024];
	const char *id;
	int create = 0;

	if (c == NULL || method == NULL || uri == NULL)
		return 0;
	uri_path(uri, path, sizeof(path));
	if (strcasecmp(method, "DELETE") == 0) {
		/* DELETE /containers/{ref}. A full id in its plain form forgets
		 * that record; any other form might name any container. */
		if ((id = plain_delete_id(path)) != NULL)
			containers_forget(c, id);
		else if (strstr(path, "containers") != NULL || strchr(path, '%') != NULL)
			containers_forget_all(c);
		return 0;
	}
	if (strcasecmp(method, "POST") != 0)
		return 0;
	/* POST /containers/prune, in whatever spelling reaches it. */
	if ((strstr(path, "prune") != NULL && strstr(path, "containers") != NULL) ||
	    strchr(path, '%') != NULL)
		containers_forget_all(c);
	if (engineapi_classify(method, uri, &t) != 0) {
		containers_forget_all(c); /* out of memory: whatever it was */
		engineapi_target_clear(&t);
		return 0;
	}
	if (t.route == ENGINEAPI_CONTAINER_CREATE) {
		containers_create_begin(c);
		create = 1;
	}
	/* A connect gives a container an endpoint whose options (sysctls)
	 * its record does not hold; which container, the body says by any
	 * name: its start asks the engine again. */
	if (t.route == ENGINEAPI_NETWORK_CONNECT)
		containers_forget_all(c);
	engineapi_target_clear(&t);
	return create;
}

void
containers_watch_refused(struct containers *c)
{
	if (c != NULL)
		containers_create_end(c);
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                */

/* Anything in a create body that its record could not describe: AutoRemove
 * (dockerd removes the container unseen), a named volume in Binds, a mount
 * that is not a bind or a tmpfs. Read anywhere in the body, key case folded
 * as Go does: more than dockerd reads, never less. */
static int
unrecordable(const struct gojson_value *v)
{
	const struct gojson_value *m, *e, *t;

	for (m = v->child; m != NULL; m = m->next) {
		if (v->type == GOJSON_OBJECT && gojson_key_matches(m->key, m->klen, "AutoRemove") &&
		    m->type == GOJSON_TRUE)
			return 1;
		if (v->type == GOJSON_OBJECT && gojson_key_matches(m->key, m->klen, "Binds")) {
			if (m->type == GOJSON_STRING && m->s[0] != '/')
				return 1;
			for (e = m->type == GOJSON_ARRAY ? m->child : NULL; e != NULL; e = e->next)
				if (e->type != GOJSON_STRING || e->s[0] != '/')
					return 1;
		}
		if (v->type == GOJSON_OBJECT && gojson_key_matches(m->key, m->klen, "Mounts") &&
		    m->type == GOJSON_ARRAY) {
			for (e = m->child; e != NULL; e = e->next) {
				int plain = 0;

				for (t = e->type == GOJSON_OBJECT ? e->child : NULL; t != NULL;
				     t = t->next)
					if (gojson_key_matches(t->key, t->klen, "Type"))
						plain = t->type == GOJSON_STRING &&
						        (strcmp(t->s, "bind") == 0 ||
						         strcmp(t->s, "tmpfs") == 0);
				if (!plain && e->type != GOJSON_NULL)
					return 1;
			}
		}
		if ((m->type == GOJSON_OBJECT || m->type == GOJSON_ARRAY) && unrecordable(m))
			return 1;
	}
	return 0;
}

/* The Id of a create's response body, into id. 0, or -1. */
static int
created_id(const char *body, size_t len, char id[65])
{
	json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(root, "Id"));
	int rc = -1;

	if (s != NULL && containers_is_id(s)) {
		memcpy(id, s, 65);
		rc = 0;
	}
	json_decref(root);
	return rc;
}

/* VolumesFrom while recording: the records of full ids only, as judging. */
static int
record_lookup(void *arg, const char *ref, struct decide_mounts *out)
{
	struct containers_entry e;
	int rc = containers_lookup(arg, ref, CONTAINERS_BY_ID, &e);

	if (rc == 1) {
		decide_mounts_move(out, &e.mounts);
		containers_entry_clear(&e);
	}
	return rc < 0 ? 0 : rc;
}

/* Fill e from a create's body and query; 0 when it can be recorded, 1 when
 * not (named volumes, unknown VolumesFrom, ...), -1 on ENOMEM. */
static int
describe_create(struct containers *c, const struct containers_response *r,
                const struct engineapi_target *t, struct containers_entry *e)
{
	struct decide_request req = {.method = r->method,
	                             .uri = r->uri,
	                             .body = r->req_body,
	                             .body_len = r->req_len,
	                             .has_body = r->req_len > 0,
	                             .container = record_lookup,
	                             .container_arg = c};
	struct engineapi_facts *f = malloc(sizeof(*f));
	const struct gojson_value *root;
	const char *why, *query = t->query;
	char name[256];
	size_t at;
	int rc = -1;

	if (f == NULL)
		return -1;
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, ENGINEAPI_CONTAINER_CREATE, r->req_body, r->req_len) != 0)
		goto out;
	rc = 1;
	if (!f->body_ok ||
	    gojson_parse(&f->arena, r->req_body, r->req_len, &root, &why, &at) != 0 ||
	    unrecordable(root))
		goto out;
	if ((rc = decide_create_sources(&req, &e->mounts)) != 0)
		goto out;
	/* Flags that cannot be told (too large) leave them unknown: the start
	 * asks the engine for them alone. */
	decide_container_flags(r->req_body, r->req_len,
	                       t->before_1_41 ? DECIDE_CGROUPNS_HOST : r->cgroupns,
	                       &e->mounts.flags);
	rc = -1;
	if (!engineapi_query_next(&query, "name", name, sizeof(name)))
		name[0] = '\0';
	if ((e->name = strdup(name)) == NULL ||
	    (e->image = strdup(f->image != NULL ? f->image : "")) == NULL)
		goto out;
	rc = 0;
out:
	engineapi_facts_clear(f);
	free(f);
	return rc;
}

void
containers_watch_creator(struct containers *c, const struct containers_response *r)
{
	char id[65];

	if (c != NULL && r->user != NULL && r->user[0] != '\0' && r->status == 201 &&
	    created_id(r->resp_body, r->resp_len, id) == 0)
		containers_set_creator(c, id, r->user);
}

void
containers_watch_response(struct containers *c, const struct containers_response *r,
                          long long policy_version)
{
	struct containers_entry e;
	struct engineapi_target t;
	int clean, rc;

	if (c == NULL || r->method == NULL || r->uri == NULL ||
	    engineapi_classify(r->method, r->uri, &t) != 0)
		return;
	if (t.route != ENGINEAPI_CONTAINER_CREATE) {
		engineapi_target_clear(&t);
		return;
	}
	memset(&e, 0, sizeof(e));
	clean = containers_create_end(c);
	if (r->status != 201 || created_id(r->resp_body, r->resp_len, e.id) != 0)
		goto out;
	/* Who made it, whatever its record: ids are never reused. */
	if (r->user != NULL && r->user[0] != '\0')
		containers_set_creator(c, e.id, r->user);
	if (!clean) {
		log_debug("container %.12s: not recorded, containers were removed meanwhile", e.id);
		goto out;
	}
	if ((rc = describe_create(c, r, &t, &e)) != 0) {
		log_debug("container %.12s: not recorded (%s); its start asks the engine", e.id,
		          rc == 1 ? "mounts not described by the body" : "out of memory");
		goto out;
	}
	e.origin = "create";
	e.policy_version = policy_version;
	containers_record(c, &e, containers_generation(c));
out:
	containers_entry_clear(&e);
	engineapi_target_clear(&t);
}
