/* SPDX-License-Identifier: Apache-2.0 */
/* Audit query parameters: the query string read into a struct audit_query,
 * its validation with every bad field named, the opaque cursor tokens
 * (base64url of the direction and the last id) that page through results,
 * and time bounds turned into ids. */
#include "audit_int.h"

#include "store/db.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILTER_MAX 1024 /* longest actor, subject, rule, user, action filter */

/* ------------------------------------------------------------------------- */
/* Cursor tokens: base64url("a:<id>" or "d:<id>"), no padding */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
audit_token_encode(int ascending, long long id, char out[AUDIT_TOKEN_MAX])
{
	char raw[32];
	int n = snprintf(raw, sizeof(raw), "%c:%lld", ascending ? 'a' : 'd', id), o = 0;
	unsigned v = 0, bits = 0;

	for (int i = 0; i < n; i++) {
		v = (v << 8) | (unsigned char)raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(v >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64url[(v << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Returns 0 and sets *ascending and *id, or -1 for a malformed token. */
int
audit_token_decode(const char *t, int *ascending, long long *id)
{
	char raw[32], *end;
	size_t n = 0, len = strlen(t);
	unsigned v = 0, bits = 0;
	long long x;

	if (len == 0 || len > 40 || len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *p = t[i] ? strchr(b64url, t[i]) : NULL;
		if (p == NULL)
			return -1;
		v = (v << 6) | (unsigned)(p - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (char)((v >> bits) & 0xff);
		}
	}
	if ((v & ((1u << bits) - 1)) != 0) /* non-canonical trailing bits */
		return -1;
	raw[n] = '\0';
	if (n < 3 || (raw[0] != 'a' && raw[0] != 'd') || raw[1] != ':' || raw[2] < '1' ||
	    raw[2] > '9')
		return -1;
	x = strtoll(raw + 2, &end, 10);
	if (*end != '\0' || x <= 0 || x == LLONG_MAX)
		return -1;
	*ascending = raw[0] == 'a';
	*id = x;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Validation */

static int
action_pattern_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '*' && i == n - 1)
			continue;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return 0;
	}
	return 1;
}

int
audit_query_check(const struct audit_query *q, struct problems *errs)
{
	size_t before = errs->n;
	long long since = 0, until = 0, id;
	int asc;

	if (q->since && audit_time_parse(q->since, &since) != 0)
		problems_add(errs, "since", "expected RFC 3339 time, e.g. 2026-11-28T12:00:00Z");
	if (q->until && audit_time_parse(q->until, &until) != 0)
		problems_add(errs, "until", "expected RFC 3339 time, e.g. 2026-11-28T12:00:00Z");
	else if (q->since && q->until && errs->n == before && until < since)
		problems_add(errs, "until", "must not be before since");
	if (q->action && !action_pattern_ok(q->action))
		problems_add(errs, "action",
		             "expected an action such as container.create.denied, or a prefix "
		             "ending in * such as container.*");
	if (q->decision && strcmp(q->decision, "deny") != 0 && strcmp(q->decision, "allow") != 0 &&
	    strcmp(q->decision, "audit") != 0)
		problems_add(errs, "decision", "expected one of deny, allow, audit");
	if (q->actor && strlen(q->actor) > FILTER_MAX)
		problems_add(errs, "actor", "too long (max %d bytes)", FILTER_MAX);
	if (q->subject && strlen(q->subject) > FILTER_MAX)
		problems_add(errs, "subject", "too long (max %d bytes)", FILTER_MAX);
	if (q->rule && strlen(q->rule) > FILTER_MAX)
		problems_add(errs, "rule", "too long (max %d bytes)", FILTER_MAX);
	if (q->user && strlen(q->user) > FILTER_MAX)
		problems_add(errs, "user", "too long (max %d bytes)", FILTER_MAX);
	if (q->policy_version < -1)
		problems_add(errs, "policy_version", "expected an integer >= 0");
	if (q->limit < 0 || q->limit > AUDIT_LIMIT_MAX)
		problems_add(errs, "limit", "expected an integer from 1 to %d", AUDIT_LIMIT_MAX);
	if (q->cursor && audit_token_decode(q->cursor, &asc, &id) != 0)
		problems_add(errs, "cursor", "malformed cursor");
	else if (q->cursor && asc != (q->ascending != 0))
		problems_add(errs, "cursor", "cursor was issued for the other order");
	return errs->n == before ? 0 : -1;
}

/* A decimal integer in [min, max], digits only. */
static int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 18)
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
audit_query_from_params(struct audit_query *q, const char *(*get)(void *cls, const char *name),
                        void *cls, struct problems *errs)
{
	struct audit_query init = AUDIT_QUERY_INIT;
	size_t before = errs->n;
	const char *s, **strs[] = {&q->since, &q->until,    &q->action, &q->actor, &q->subject,
	                           &q->rule,  &q->decision, &q->cursor, &q->user};
	static const char *const names[] = {"since", "until",    "action", "actor", "subject",
	                                    "rule",  "decision", "cursor", "user"};
	long long v;

	*q = init;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = get(cls, names[i]);
		if (s == NULL && strcmp(names[i], "cursor") == 0)
			s = get(cls, "next");
		*strs[i] = s && s[0] ? s : NULL;
	}
	if ((s = get(cls, "policy_version")) != NULL) {
		if (parse_int(s, 0, LLONG_MAX - 1, &v) == 0)
			q->policy_version = v;
		else
			problems_add(errs, "policy_version", "expected an integer >= 0");
	}
	if ((s = get(cls, "limit")) != NULL) {
		if (parse_int(s, 1, AUDIT_LIMIT_MAX, &v) == 0)
			q->limit = (int)v;
		else
			problems_add(errs, "limit", "expected an integer from 1 to %d",
			             AUDIT_LIMIT_MAX);
	}
	if ((s = get(cls, "order")) != NULL) {
		if (strcmp(s, "asc") == 0 || strcmp(s, "desc") == 0)
			q->ascending = strcmp(s, "asc") == 0;
		else
			problems_add(errs, "order", "expected asc or desc");
	}
	audit_query_check(q, errs);
	return errs->n == before ? 0 : -1;
}

/* ------------------------------------------------------------------------- */
/* Time bounds as ids */

/* The first row with id >= *id: sets *id and time (the stored text, copied).
 * Returns 1 found, 0 none, -1 on a read error. */
static int
row_from(sqlite3_stmt *st, long long *id, char time[AUDIT_TIME_LEN + 1])
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, *id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	*id = sqlite3_column_int64(st, 0);
	snprintf(time, AUDIT_TIME_LEN + 1, "%s", db_column_text(st, 1));
	return 1;
}

/* Binary search over the primary key, whose order is the time order: the
 * smallest m in [lo, hi + 1] whose next row (the first with id >= m) is at or
 * after t. Rows at ids below lo are all before it. */
int
audit_id_at_time(sqlite3 *c, long long us, long long *id)
{
	/* Two subqueries: each reads one end of the primary key, where one
	 * SELECT of both min() and max() would scan the table. */
	sqlite3_stmt *range =
	    db_prepare(c, "SELECT (SELECT min(id) FROM events), (SELECT max(id) FROM events)");
	sqlite3_stmt *next = db_prepare(c, "SELECT id, time FROM events WHERE id >= ?1 "
	                                   "ORDER BY id LIMIT 1");
	char t[AUDIT_TIME_LEN + 1], rt[AUDIT_TIME_LEN + 1];
	long long lo, hi;
	int result = -1;

	*id = LLONG_MAX;
	if (range == NULL || next == NULL || sqlite3_step(range) != SQLITE_ROW)
		goto out;
	result = 0;
	if (sqlite3_column_type(range, 0) == SQLITE_NULL)
		goto out; /* no rows */
	lo = sqlite3_column_int64(range, 0);
	hi = sqlite3_column_int64(range, 1) + 1;
	audit_time_format(us, t);
	while (lo < hi) {
		long long m = lo + (hi - lo) / 2, r = m;
		int found = row_from(next, &r, rt);

		if (found < 0) {
			result = -1;
			goto out;
		}
		if (found && strcmp(rt, t) >= 0) {
			hi = m;
			*id = r;
		} else {
			lo = found ? r + 1 : hi;
		}
	}
out:
	sqlite3_finalize(range);
	sqlite3_finalize(next);
	return result;
}
