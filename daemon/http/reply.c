/* SPDX-License-Identifier: Apache-2.0 */
/* JSON replies and the one error vocabulary. Handlers never build MHD
 * responses for errors themselves: they call reply_error(). */
#include "reply.h"
#include "log.h"
#include "util/names.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned status;
} error_table[] = {
    [ERR_BAD_REQUEST] = {"bad_request", 400},
    [ERR_INVALID_JSON] = {"invalid_json", 400},
    [ERR_INVALID_PARAMETER] = {"invalid_parameter", 400},
    [ERR_INVALID_REQUEST] = {"invalid_request", 400},
    [ERR_UNAUTHORIZED] = {"unauthorized", 401},
    [ERR_FORBIDDEN] = {"forbidden", 403},
    [ERR_NOT_FOUND] = {"not_found", 404},
    [ERR_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405},
    [ERR_MISDIRECTED] = {"misdirected_request", 421},
    [ERR_NOT_ACCEPTABLE] = {"not_acceptable", 406},
    [ERR_CONFLICT] = {"conflict", 409},
    [ERR_LOCKED_SETTING] = {"locked_setting", 409},
    [ERR_MANAGED_UPSTREAM] = {"managed_by_upstream", 409},
    [ERR_PRECONDITION] = {"precondition_failed", 412},
    [ERR_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413},
    [ERR_URI_TOO_LONG] = {"uri_too_long", 414},
    [ERR_UNSUPPORTED_MEDIA] = {"unsupported_media_type", 415},
    [ERR_INVALID_POLICY] = {"invalid_policy", 422},
    [ERR_RATE_LIMITED] = {"rate_limited", 429},
    [ERR_HEADERS_TOO_LARGE] = {"headers_too_large", 431},
    [ERR_INTERNAL] = {"internal", 500},
    [ERR_UNAVAILABLE] = {"unavailable", 503},
    [ERR_AUDIT_UNAVAILABLE] = {"audit_unavailable", 503},
};

const char *
reply_error_name(enum error_code code)
{
	return error_table[code].name;
}

unsigned
reply_error_status(enum error_code code)
{
	return error_table[code].status;
}

enum MHD_Result
reply_response(struct request *rq, unsigned status, struct MHD_Response *resp)
{
	return MHD_queue_response(rq->conn, status, resp);
}

struct MHD_Response *
reply_json_response(json_t *body, const char *hname, const char *hvalue)
{
	struct MHD_Response *resp;
	char *text;
	size_t len;

	text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(body);
	if (text == NULL)
		return NULL;
	len = strlen(text);
	/* Append a newline so curl output reads well. */
	{
		char *t = realloc(text, len + 2);
		if (t == NULL) {
			free(text);
			return NULL;
		}
		text = t;
		text[len++] = '\n';
		text[len] = '\0';
	}
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (hname != NULL)
		MHD_add_response_header(resp, hname, hvalue);
	return resp;
}

enum MHD_Result
reply_json_hdr(struct request *rq, unsigned status, json_t *body, const char *hname,
               const char *hvalue)
{
	struct MHD_Response *resp = reply_json_response(body, hname, hvalue);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO; /* out of memory: MHD closes the connection */
	ret = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
reply_rate_limited(struct request *rq, unsigned retry_after, const char *message)
{
	char after[16];

	snprintf(after, sizeof(after), "%u", retry_after);
	return reply_json_hdr(rq, 429, reply_error_body(rq, ERR_RATE_LIMITED, NULL, message),
	                      "Retry-After", after);
}

enum MHD_Result
reply_error_close(struct request *rq, enum error_code code, unsigned retry_after, const char *msg)
{
	struct MHD_Response *resp =
	    reply_json_response(reply_error_body(rq, code, NULL, msg), NULL, NULL);
	enum MHD_Result ret;
	char secs[16];

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (retry_after > 0) {
		snprintf(secs, sizeof(secs), "%u", retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	ret = MHD_queue_response(rq->conn, error_table[code].status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
reply_json(struct request *rq, unsigned status, json_t *body)
{
	return reply_json_hdr(rq, status, body, NULL, NULL);
}

/* The log line of an error reply. A caller's mistake (4xx) is a debug line;
 * a failure of ours (5xx) is a warning with a request id, which the reply
 * carries too (into id, "" for a 4xx), so a report names the log line. */
static void
log_error_reply(const struct request *rq, enum error_code code, const char *msg, char *id,
                size_t idsz)
{
	unsigned char raw[6];
	unsigned status = error_table[code].status;

	id[0] = '\0';
	if (status < 500) {
		log_debug("caller error %u %s: %s %s: %s", status, error_table[code].name,
		          rq->method ? rq->method : "-", rq->url ? rq->url : "-", msg);
		return;
	}
	if (RAND_bytes(raw, sizeof(raw)) == 1)
		snprintf(id, idsz, "%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3],
		         raw[4], raw[5]);
	else
		snprintf(id, idsz, "unknown");
	log_warnx("internal error %u %s [request %s] %s %s (%s): %s", status,
	          error_table[code].name, id, rq->method ? rq->method : "-",
	          rq->url ? rq->url : "-",
	          rq->peer == NULL    ? "-"
	          : rq->peer->name[0] ? rq->peer->name
	                              : rq->peer->addr,
	          msg);
}

/* s with every byte that does not belong to a valid UTF-8 character as '?'
 * (a message naming a caller's percent-decoded path, say), into out. */
static void
utf8_clean(const char *s, char *out, size_t outsz)
{
	size_t i = 0, k = 0, n;
	unsigned cp;

	while (s[i] != '\0' && k + 1 < outsz) {
		if ((n = names_utf8_decode(s + i, &cp)) == 0 || k + n >= outsz) {
			out[k++] = '?';
			i++;
			continue;
		}
		memcpy(out + k, s + i, n);
		k += n;
		i += n;
	}
	out[k] = '\0';
}

json_t *
reply_error_body(const struct request *rq, enum error_code code, const struct problems *details,
                 const char *msg)
{
	char clean[1024], id[16];
	json_t *err;

	utf8_clean(msg != NULL ? msg : "", clean, sizeof(clean));
	err = json_pack("{s:s, s:s}", "code", error_table[code].name, "message", clean);

	log_error_reply(rq, code, msg, id, sizeof(id));
	if (err == NULL)
		return NULL;
	if (details != NULL && details->n > 0)
		json_object_set_new(err, "details", problems_to_json(details));
	if (id[0] != '\0')
		json_object_set_new(err, "requestId", json_string(id));
	return json_pack("{s:o}", "error", err);
}

enum MHD_Result
reply_error(struct request *rq, enum error_code code, const struct problems *details,
            const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_json(rq, error_table[code].status, reply_error_body(rq, code, details, msg));
}

enum MHD_Result
reply_empty(struct request *rq, unsigned status, const char *etag)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (etag != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	ret = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}
