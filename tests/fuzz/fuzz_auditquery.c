/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the audit log's query parameters (GET /v1/audit, /stats,
 * /export). The input is a raw query string ("action=container.*&limit=5"),
 * read as the server reads one (first value of each name, %XX and '+'
 * decoded); a query that validates runs against a real audit database of
 * varied rows, page by page through its next tokens, and as stats. */
#include "fuzz.h"

#include "audit/audit.h"
#include "engine/engineapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROWS 60

static struct audit *audit;

static void
close_audit(void)
{
	audit_close(audit);
}

static void
add_rows(void)
{
	static const char *const actions[] = {"container.create.denied", "policy.updated",
	                                      "container.create.audited", "exec.create.denied",
	                                      "image.pull.denied"};
	static const char *const rules[] = {"privileged", "cap-add", "registry", "docker-socket"};
	static const char *const decisions[] = {"deny", "allow", "audit"};

	for (int i = 0; i < NROWS; i++) {
		struct audit_event ev = {.policy_version = i % 4 ? i % 4 : -1};
		json_t *data = json_pack("{s:i, s:s}", "n", i, "note", i % 2 ? "odd" : "é\"x");

		ev.action = actions[i % 5];
		ev.actor = i % 3 ? "uid:0" : "token:ci-bot";
		ev.component = i % 2 ? "authz" : "api";
		ev.subject = i % 7 ? "docker.io/library/alpine:latest" : NULL;
		ev.decision = decisions[i % 3];
		ev.rules = &rules[i % 4];
		ev.nrules = i % 3 ? 1 : 0;
		ev.data = data;
		if (audit_append(audit, &ev) < 0)
			abort();
		json_decref(data);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct audit_opts o = {0};
	char *err = NULL;

	o.host = "fuzz-host";
	audit = audit_open(fuzz_tmpdir(), &o, &err);
	if (audit == NULL) {
		fprintf(stderr, "fuzz: audit_open: %s\n", err ? err : "?");
		abort();
	}
	atexit(close_audit);
	add_rows();
	return 0;
}

/* The parameters a query reads, decoded once per input. */
struct params {
	const char *qs;
	char name[16][32];
	char value[16][1024];
	int n;
};

static const char *
param_get(void *cls, const char *name)
{
	struct params *p = cls;
	const char *cur = p->qs;
	int i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	if (p->n == 16 || strlen(name) >= sizeof(p->name[0]) ||
	    !engineapi_query_next(&cur, name, p->value[p->n], sizeof(p->value[0])))
		return NULL;
	snprintf(p->name[p->n], sizeof(p->name[0]), "%s", name);
	return p->value[p->n++];
}

/* Run q to the end of its page; 1 and the next token copied when there is one. */
static int
run_page(const struct audit_query *q, char *next, size_t nextsz)
{
	struct problems errs = PROBLEMS_INIT;
	struct audit_cursor *c = audit_query_open(audit, q, &errs);
	struct audit_row row;
	const char *tok;
	int rc, rows = 0, more = 0;

	if (c == NULL) {
		problems_clear(&errs);
		return 0;
	}
	while ((rc = audit_cursor_next(c, &row)) == 1)
		if (row.action == NULL || row.hash == NULL || ++rows > NROWS)
			abort();
	if (rc == 0 && (tok = audit_cursor_next_token(c)) != NULL) {
		snprintf(next, nextsz, "%s", tok);
		more = 1;
	}
	audit_cursor_close(c);
	return more;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct problems errs = PROBLEMS_INIT;
	struct audit_query q = AUDIT_QUERY_INIT;
	struct params *p = calloc(1, sizeof(*p));
	char *qs = malloc(size + 1), next[2][512];
	json_t *stats;
	int pages = 0;

	if (p == NULL || qs == NULL)
		abort();
	memcpy(qs, data, size);
	qs[size] = '\0';
	p->qs = qs;
	if (audit_query_from_params(&q, param_get, p, &errs) == 0) {
		if (errs.n != 0)
			abort();
		/* Two token buffers: the open cursor borrows the one it was given. */
		while (run_page(&q, next[pages % 2], sizeof(next[0])) && pages++ <= NROWS)
			q.cursor = next[(pages - 1) % 2];
		if (pages > NROWS + 1)
			abort(); /* the pages never end */
		q.cursor = NULL;
		stats = audit_stats(audit, param_get(p, "bucket") ? param_get(p, "bucket") : "hour",
		                    param_get(p, "by") ? param_get(p, "by") : "rule", &q, &errs);
		json_decref(stats);
	} else if (errs.n == 0) {
		abort(); /* refused without saying why */
	}
	problems_clear(&errs);
	free(qs);
	free(p);
	return 0;
}
