/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/audit (filters, keyset paging, JSON/NDJSON/CSV streamed in constant
 * memory), GET /v1/audit/stats (counts per bucket for charts) and
 * GET /v1/audit/verify (re-check the hash chain). */
#include "server.h"
#include "audit/audit.h"
#include "handlers.h"
#include "http/reply.h"
#include "util/textsafe.h"

#include <stdlib.h>
#include <string.h>

enum format { FMT_JSON, FMT_NDJSON, FMT_CSV };

struct stream {
	struct audit_cursor *cur;
	enum format fmt;
	int started, finished, nrows;
	char *pending; /* bytes produced but not yet handed to MHD */
	size_t plen, poff;
};

static const char *
query_get(void *cls, const char *name)
{
	return http_query(cls, name);
}

/* The output format from ?format= or Accept. -1 when format= is unknown. */
static int
pick_format(struct request *rq)
{
	const char *f = http_query(rq, "format"), *accept;

	if (f != NULL) {
		if (strcmp(f, "json") == 0)
			return FMT_JSON;
		if (strcmp(f, "ndjson") == 0)
			return FMT_NDJSON;
		if (strcmp(f, "csv") == 0)
			return FMT_CSV;
		return -1;
	}
	accept = http_header(rq, MHD_HTTP_HEADER_ACCEPT);
	if (accept != NULL && strstr(accept, "application/x-ndjson") != NULL)
		return FMT_NDJSON;
	if (accept != NULL && strstr(accept, "text/csv") != NULL)
		return FMT_CSV;
	return FMT_JSON;
}

/* Produce the next chunk of output into s->pending. 0 ok, 1 at the end, -1 error. */
static int
stream_fill(struct stream *s)
{
	struct audit_row row;
	json_t *o;
	char *text = NULL;
	size_t len = 0;
	int rc;

	free(s->pending);
	s->pending = NULL;
	s->plen = s->poff = 0;
	if (s->finished)
		return 1;
	if (!s->started) {
		s->started = 1;
		if (s->fmt == FMT_JSON)
			text = strdup("{\"events\":[");
		else if (s->fmt == FMT_CSV)
			text = strdup(audit_csv_header());
		if (text != NULL) {
			s->pending = text;
			s->plen = strlen(text);
			return 0;
		}
		if (s->fmt != FMT_NDJSON)
			return -1;
	}
	rc = audit_cursor_next(s->cur, &row);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		s->finished = 1;
		if (s->fmt != FMT_JSON)
			return 1;
		const char *next = audit_cursor_next_token(s->cur);
		json_t *tail = json_pack("{s:s?}", "next", next);
		char *t = json_dumps(tail, JSON_COMPACT);
		json_decref(tail);
		/* "],"next":...}" built from the object's text minus its opening brace. */
		if (t == NULL || asprintf(&text, "],%s\n", t + 1) < 0) {
			free(t);
			return -1;
		}
		free(t);
		s->pending = text;
		s->plen = strlen(text);
		return 0;
	}
	if (s->fmt == FMT_CSV) {
		text = audit_row_csv(&row, &len);
	} else {
		o = audit_row_json(&row);
		/* DEL is ASCII: jansson writes it as it is, textsafe as \u007f. */
		char *a = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		char *t = a ? textsafe_json_dup(a) : NULL;
		free(a);
		json_decref(o);
		if (t != NULL) {
			const char *sep = s->fmt == FMT_JSON ? (s->nrows ? "," : "") : "";
			if (asprintf(&text, "%s%s%s", sep, t, s->fmt == FMT_NDJSON ? "\n" : "") < 0)
				text = NULL;
			free(t);
		}
		len = text ? strlen(text) : 0;
	}
	if (text == NULL)
		return -1;
	s->nrows++;
	s->pending = text;
	s->plen = len;
	return 0;
}

/* One block of the reply. The cursor's snapshot is given back before the
 * block goes out: the client decides when it asks for the next, and a
 * snapshot held meanwhile would grow the WAL without bound. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t out = 0;
	ssize_t ret = 0;

	(void)pos;
	while (out < max) {
		if (s->poff == s->plen) {
			int rc = stream_fill(s);
			if (rc != 0) {
				ret = rc < 0 ? MHD_CONTENT_READER_END_WITH_ERROR
				             : MHD_CONTENT_READER_END_OF_STREAM;
				break;
			}
		}
		size_t n = s->plen - s->poff;
		if (n > max - out)
			n = max - out;
		memcpy(buf + out, s->pending + s->poff, n);
		s->poff += n;
		out += n;
	}
	audit_cursor_release(s->cur);
	return out > 0 ? (ssize_t)out : ret;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls;

	audit_cursor_close(s->cur);
	free(s->pending);
	free(s);
}

/* 400 naming the first bad query parameter; errs is cleared. */
static enum MHD_Result
bad_query(struct request *rq, struct problems *errs)
{
	enum MHD_Result ret = reply_error(rq, ERR_INVALID_PARAMETER, errs,
	                                  "invalid query parameter: %s", errs->v[0].path);

	problems_clear(errs);
	return ret;
}

enum MHD_Result
h_audit_get(struct request *rq)
{
	static const char *const types[] = {"application/json", "application/x-ndjson",
	                                    "text/csv; charset=utf-8"};
	struct audit_query q = AUDIT_QUERY_INIT;
	struct problems errs = PROBLEMS_INIT;
	struct MHD_Response *resp;
	struct stream *s;
	enum MHD_Result ret;
	int fmt = pick_format(rq);

	if (fmt < 0) {
		problems_add(&errs, "format", "expected json, ndjson or csv");
		goto bad;
	}
	if (audit_query_from_params(&q, query_get, rq, &errs) != 0)
		goto bad;
	/* Exports: NDJSON and CSV without a limit stream every matching row. */
	if (fmt != FMT_JSON && http_query(rq, "limit") == NULL)
		q.limit = 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	s->fmt = (enum format)fmt;
	s->cur = audit_query_open(rq->srv->audit, &q, &errs);
	if (s->cur == NULL) {
		free(s);
		if (errs.n > 0)
			goto bad;
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the audit log cannot be read now");
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
	                                         stream_free);
	if (resp == NULL) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, types[fmt]);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(rq->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
bad:
	return bad_query(rq, &errs);
}

enum MHD_Result
h_audit_stats_get(struct request *rq)
{
	struct audit_query q = AUDIT_QUERY_INIT;
	struct problems errs = PROBLEMS_INIT;
	const char *bucket = http_query(rq, "bucket"), *by = http_query(rq, "by");
	json_t *stats;

	if (audit_query_from_params(&q, query_get, rq, &errs) != 0)
		goto bad;
	stats = audit_stats(rq->srv->audit, bucket ? bucket : "hour", by ? by : "rule", &q, &errs);
	if (stats == NULL && errs.n > 0)
		goto bad;
	if (stats == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the audit log cannot be read now");
	return reply_json(rq, 200, stats);
bad:
	return bad_query(rq, &errs);
}

enum MHD_Result
h_audit_verify_get(struct request *rq)
{
	json_t *result = audit_verify(rq->srv->audit);

	if (result == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the audit log cannot be read now");
	return reply_json(rq, 200, result);
}

/* POST /v1/audit/verify with a checkpoint kept elsewhere (from GET
 * /v1/audit/checkpoint, an audit.checkpoint row forwarded to syslog, or a
 * central lockset): the chain is verified as by GET, and "checkpoint" says
 * whether the log still holds the checkpoint's hash at its id; "ok" is true
 * only when both hold. */
enum MHD_Result
h_audit_verify_post(struct request *rq)
{
	json_t *cp = json_is_object(rq->json) ? json_object_get(rq->json, "checkpoint") : NULL;
	json_t *result, *check;
	struct problems errs = PROBLEMS_INIT;
	enum MHD_Result ret;

	if (cp == NULL || !audit_checkpoint_signed(cp)) {
		problems_add(&errs, "/checkpoint",
		             "expected a signed checkpoint: {\"host\", \"id\", \"hash\", \"time\", "
		             "\"public_key\", \"signature\"}");
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid verify request");
		problems_clear(&errs);
		return ret;
	}
	if ((result = audit_verify(rq->srv->audit)) == NULL ||
	    (check = audit_checkpoint_check(rq->srv->audit, cp)) == NULL) {
		json_decref(result);
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the audit log cannot be read now");
	}
	if (!json_is_true(json_object_get(check, "ok")))
		json_object_set_new(result, "ok", json_false());
	json_object_set_new(result, "checkpoint", check);
	return reply_json(rq, 200, result);
}

enum MHD_Result
h_audit_checkpoint_get(struct request *rq)
{
	json_t *cp = audit_checkpoint_make(rq->srv->audit);

	if (cp == NULL)
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	return reply_json(rq, 200, cp);
}
