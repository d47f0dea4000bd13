/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl audit [filters] [--follow] [--format table|json|ndjson|csv],
 * audit verify and audit stats. Exports (ndjson, csv) stream from the daemon
 * to stdout in constant memory; --follow prints the newest events, oldest
 * first, then polls for newer ones until interrupted. */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct audit_opts {
	const char *action, *actor, *subject, *rule, *decision, *since, *until, *limit, *format,
	    *bucket, *by;
	int follow;
};

static void
add_filters(char *path, size_t sz, const struct audit_opts *o)
{
	ctl_query_add(path, sz, "action", o->action);
	ctl_query_add(path, sz, "actor", o->actor);
	ctl_query_add(path, sz, "subject", o->subject);
	ctl_query_add(path, sz, "rule", o->rule);
	ctl_query_add(path, sz, "decision", o->decision);
	ctl_query_add(path, sz, "until", o->until);
}

static struct ctl_table *
events_table(void)
{
	return ctl_table_new(7, "ID", "TIME", "ACTION", "ACTOR", "SUBJECT", "DECISION", "RULES");
}

static void
event_row(struct ctl_table *t, const json_t *e)
{
	char id[32], rules[512] = "";
	size_t i;
	json_t *r;

	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(e, "id")));
	json_array_foreach(json_object_get(e, "rules"), i, r)
	{
		size_t o = strlen(rules);
		snprintf(rules + o, sizeof(rules) - o, "%s%s", o ? "," : "", json_string_value(r));
	}
	ctl_table_row(t, id, json_string_value(json_object_get(e, "time")),
	              json_string_value(json_object_get(e, "action")),
	              json_string_value(json_object_get(e, "actor")),
	              json_string_value(json_object_get(e, "subject")),
	              json_string_value(json_object_get(e, "decision")), rules[0] ? rules : NULL);
}

/* Print the events of a page (oldest first when reverse) in the chosen form. */
static void
print_events(const struct ctl *c, const json_t *events, int reverse, int ndjson)
{
	size_t n = json_array_size(events);
	struct ctl_table *t = ndjson ? NULL : events_table();

	for (size_t k = 0; k < n; k++) {
		const json_t *e = json_array_get(events, reverse ? n - 1 - k : k);
		if (ndjson)
			ctl_print_json_line(e);
		else
			event_row(t, e);
	}
	if (t != NULL)
		ctl_table_print(t, c, stdout);
	fflush(stdout);
}

/* --follow: poll for events newer than the last one seen. The daemon pages by
 * time; rows at the same time as the last one are told apart by id. */
static int
follow(struct ctl *c, const struct audit_opts *o, long long last_id, const char *last_time)
{
	char path[4096], since[64], *next = NULL;
	struct timespec pause = {1, 0};
	json_t *page, *events, *e;
	int rc, ndjson = c->json || (o->format && strcmp(o->format, "table") != 0);
	size_t i;

	snprintf(since, sizeof(since), "%s", last_time ? last_time : "1970-01-01T00:00:00Z");
	for (;;) {
		snprintf(path, sizeof(path), "/v1/audit?order=asc&limit=1000");
		add_filters(path, sizeof(path), o);
		ctl_query_add(path, sizeof(path), "since", since);
		ctl_query_add(path, sizeof(path), "cursor", next);
		free(next);
		next = NULL;
		if ((rc = ctl_get_json(c, path, &page)) != CTL_OK)
			return rc;
		events = json_object_get(page, "events");
		/* Drop what was already printed, then print the rest. */
		for (i = 0; i < json_array_size(events);) {
			e = json_array_get(events, i);
			if (json_integer_value(json_object_get(e, "id")) <= last_id) {
				json_array_remove(events, i);
				continue;
			}
			last_id = json_integer_value(json_object_get(e, "id"));
			snprintf(since, sizeof(since), "%s",
			         json_string_value(json_object_get(e, "time")));
			i++;
		}
		if (json_array_size(events) > 0)
			print_events(c, events, 0, ndjson);
		if (json_is_string(json_object_get(page, "next")))
			next = strdup(json_string_value(json_object_get(page, "next")));
		json_decref(page);
		if (next == NULL)
			nanosleep(&pause, NULL);
	}
}

/* audit with --format ndjson|csv and no --follow: stream the export. */
static int export(struct ctl *c, const char *path)
{
	struct ctl_req rq = {0};
	struct ctl_reply r;
	int rc;

	rq.out = stdout;
	rq.timeout = 3600;
	if ((rc = ctl_http(c, "GET", path, &rq, &r)) != CTL_OK)
		return rc;
	rc = r.status == 200 ? CTL_OK : ctl_reply_fail(&r);
	ctl_reply_clear(&r);
	return rc;
}

static int
audit_query(struct ctl *c, const struct audit_opts *o)
{
	const char *fmt = o->format ? o->format : (c->json ? "json" : "table");
	char path[4096] = "/v1/audit";
	json_t *page = NULL, *events;
	int rc;

	if (strcmp(fmt, "table") != 0 && strcmp(fmt, "json") != 0 && strcmp(fmt, "ndjson") != 0 &&
	    strcmp(fmt, "csv") != 0) {
		fprintf(stderr, "locksetctl: --format table, json, ndjson or csv\n");
		return CTL_USAGE;
	}
	add_filters(path, sizeof(path), o);
	ctl_query_add(path, sizeof(path), "since", o->since);
	ctl_query_add(path, sizeof(path), "limit", o->limit ? o->limit : (o->follow ? "20" : NULL));
	if (!o->follow && (strcmp(fmt, "ndjson") == 0 || strcmp(fmt, "csv") == 0)) {
		ctl_query_add(path, sizeof(path), "format", fmt);
		return export(c, path);
	}
	if ((rc = ctl_get_json(c, path, &page)) != CTL_OK)
		return rc;
	events = json_object_get(page, "events");
	if (!o->follow && strcmp(fmt, "json") == 0)
		ctl_print_json(page);
	else
		print_events(c, events, o->follow, strcmp(fmt, "table") != 0);
	if (o->follow) {
		const json_t *newest = json_array_get(events, 0);
		long long id = json_integer_value(json_object_get(newest, "id"));
		char *t =
		    newest ? strdup(json_string_value(json_object_get(newest, "time"))) : NULL;

		json_decref(page);
		rc = follow(c, o, id, t);
		free(t);
		return rc;
	}
	json_decref(page);
	return CTL_OK;
}

static int
audit_verify(struct ctl *c)
{
	json_t *v = NULL;
	char reason[4096];
	int rc = ctl_get_json(c, "/v1/audit/verify", &v);

	if (rc != CTL_OK)
		return rc;
	if (c->json)
		ctl_print_json(v);
	else if (json_is_true(json_object_get(v, "ok")))
		printf("audit chain ok: %lld rows\n",
		       (long long)json_integer_value(json_object_get(v, "rows")));
	else
		printf("audit chain BROKEN at id %lld: %s (%lld rows checked)\n",
		       (long long)json_integer_value(json_object_get(v, "first_bad_id")),
		       ctl_safe(json_string_value(json_object_get(v, "reason")), reason,
		                sizeof(reason)),
		       (long long)json_integer_value(json_object_get(v, "rows")));
	rc = json_is_true(json_object_get(v, "ok")) ? CTL_OK : CTL_NO;
	json_decref(v);
	return rc;
}

static int
audit_stats(struct ctl *c, const struct audit_opts *o)
{
	char path[4096] = "/v1/audit/stats", count[32];
	struct ctl_table *t;
	json_t *v = NULL, *e;
	size_t i;
	int rc;

	add_filters(path, sizeof(path), o);
	ctl_query_add(path, sizeof(path), "since", o->since);
	ctl_query_add(path, sizeof(path), "bucket", o->bucket);
	ctl_query_add(path, sizeof(path), "by", o->by);
	if ((rc = ctl_get_listing(c, path, &v)) != CTL_OK || v == NULL)
		return rc;
	t = ctl_table_new(3, "TIME", json_string_value(json_object_get(v, "by")), "COUNT");
	json_array_foreach(json_object_get(v, "series"), i, e)
	{
		snprintf(count, sizeof(count), "%lld",
		         (long long)json_integer_value(json_object_get(e, "count")));
		ctl_table_row(t, json_string_value(json_object_get(e, "t")),
		              json_string_value(json_object_get(e, "key")), count);
	}
	ctl_table_print(t, c, stdout);
	json_decref(v);
	return CTL_OK;
}

int
ctl_cmd_audit(struct ctl *c, int argc, char **argv)
{
	struct audit_opts o = {0};
	const struct ctl_opt opts[] = {{"action", 1, &o.action, NULL},
	                               {"actor", 1, &o.actor, NULL},
	                               {"subject", 1, &o.subject, NULL},
	                               {"rule", 1, &o.rule, NULL},
	                               {"decision", 1, &o.decision, NULL},
	                               {"since", 1, &o.since, NULL},
	                               {"until", 1, &o.until, NULL},
	                               {"limit", 1, &o.limit, NULL},
	                               {"format", 1, &o.format, NULL},
	                               {"bucket", 1, &o.bucket, NULL},
	                               {"by", 1, &o.by, NULL},
	                               {"follow", 0, NULL, &o.follow},
	                               {NULL, 0, NULL, NULL}};
	char *pos[1];
	int npos, rc;

	if ((rc = ctl_args(c, argc, argv, opts, pos, 1, &npos, NULL, NULL)) != 0)
		return rc;
	if (npos == 0)
		return audit_query(c, &o);
	if (strcmp(pos[0], "verify") == 0)
		return audit_verify(c);
	if (strcmp(pos[0], "stats") == 0)
		return audit_stats(c, &o);
	fprintf(stderr, "locksetctl: audit [filters] [--follow] [--format F] | verify | stats\n");
	return CTL_USAGE;
}
