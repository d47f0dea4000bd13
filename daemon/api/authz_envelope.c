/* SPDX-License-Identifier: Apache-2.0 */
/* The AuthZReq envelope (authz_envelope.h), read in one pass with gojson: the
 * base64 request body is most of its bytes, and a general JSON tree would
 * copy it a byte at a time. Checked by the rules jv_check_object applies to
 * other bodies: exact names, types, required members, nothing unknown. */
#include "authz_envelope.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The AuthZReq envelope's members, as dockerd's Go encoder writes them. */
enum { F_USER, F_AUTHN, F_METHOD, F_URI, F_BODY, F_HEADERS, F_CERTS, NFIELDS };

static const struct {
	const char *name;
	unsigned types; /* 1 << enum gojson_type */
	int required;
} envelope_fields[NFIELDS] = {
    [F_USER] = {"User", 1u << GOJSON_STRING | 1u << GOJSON_NULL, 0},
    [F_AUTHN] = {"UserAuthNMethod", 1u << GOJSON_STRING | 1u << GOJSON_NULL, 0},
    [F_METHOD] = {"RequestMethod", 1u << GOJSON_STRING, 1},
    [F_URI] = {"RequestUri", 1u << GOJSON_STRING, 1},
    [F_BODY] = {"RequestBody", 1u << GOJSON_STRING | 1u << GOJSON_NULL, 0},
    [F_HEADERS] = {"RequestHeaders", 1u << GOJSON_OBJECT | 1u << GOJSON_NULL, 0},
    [F_CERTS] = {"RequestPeerCertificates", 1u << GOJSON_ARRAY | 1u << GOJSON_NULL, 0},
};

static const char *
value_type_name(enum gojson_type t)
{
	static const char *const names[] = {"null",   "boolean", "boolean", "number",
	                                    "string", "array",   "object"};
	return names[t];
}

static const char *
expected_name(unsigned types)
{
	if (types & (1u << GOJSON_OBJECT))
		return "object or null";
	if (types & (1u << GOJSON_ARRAY))
		return "array or null";
	if (types & (1u << GOJSON_NULL))
		return "string or null";
	return "string";
}

/* Check the envelope and point got[i] at the member for envelope_fields[i]. */
static enum authz_envelope_result
check_envelope(const struct gojson_value *root, const struct gojson_value *got[NFIELDS], char *msg,
               size_t msgsz)
{
	const struct gojson_value *c;
	size_t i;

	memset(got, 0, NFIELDS * sizeof(got[0]));
	if (root->type != GOJSON_OBJECT) {
		snprintf(msg, msgsz, "lockset: malformed AuthZReq: /: expected an object; found %s",
		         value_type_name(root->type));
		return AUTHZ_ENVELOPE_MALFORMED;
	}
	for (c = root->child; c != NULL; c = c->next) {
		for (i = 0; i < NFIELDS && strcmp(envelope_fields[i].name, c->key) != 0; i++)
			;
		if (i == NFIELDS) {
			snprintf(msg, msgsz, "lockset: malformed AuthZReq: /%s: unknown field",
			         c->key);
			return AUTHZ_ENVELOPE_MALFORMED;
		}
		if (got[i] != NULL) {
			/* Not valid JSON to jansson, so answered as such. */
			snprintf(msg, msgsz, "duplicate object key: %s", c->key);
			return AUTHZ_ENVELOPE_NOT_JSON;
		}
		if (!(envelope_fields[i].types & (1u << c->type))) {
			snprintf(msg, msgsz,
			         "lockset: malformed AuthZReq: /%s: expected %s; found %s", c->key,
			         expected_name(envelope_fields[i].types), value_type_name(c->type));
			return AUTHZ_ENVELOPE_MALFORMED;
		}
		got[i] = c;
	}
	for (i = 0; i < NFIELDS; i++)
		if (envelope_fields[i].required && got[i] == NULL) {
			snprintf(msg, msgsz,
			         "lockset: malformed AuthZReq: /%s: required field is missing",
			         envelope_fields[i].name);
			return AUTHZ_ENVELOPE_MALFORMED;
		}
	return AUTHZ_ENVELOPE_OK;
}

/* The value of header name (any case; the first member that matches) in
 * the envelope's RequestHeaders (map[string]string), or NULL. */
const char *
authz_envelope_header(const struct gojson_value *headers, const char *name)
{
	const struct gojson_value *c;

	for (c = headers != NULL ? headers->child : NULL; c != NULL; c = c->next)
		if (c->type == GOJSON_STRING && strcasecmp(c->key, name) == 0)
			return c->s;
	return NULL;
}

enum authz_envelope_result
authz_envelope_read(struct gojson_arena *a, const char *text, size_t len,
                    struct decide_request *req, const struct gojson_value **headers, char *msg,
                    size_t msgsz)
{
	const struct gojson_value *root, *got[NFIELDS];
	enum authz_envelope_result res;
	const char *why = NULL, *clen;
	unsigned char *body;
	size_t at = 0;
	long n;
	int rc;

	memset(req, 0, sizeof(*req));
	rc = gojson_parse(a, text, len, &root, &why, &at);
	if (rc == -1)
		return AUTHZ_ENVELOPE_NOMEM;
	if (rc == 1) {
		snprintf(msg, msgsz, "%s at byte %zu", why, at);
		return AUTHZ_ENVELOPE_NOT_JSON;
	}
	if ((res = check_envelope(root, got, msg, msgsz)) != AUTHZ_ENVELOPE_OK)
		return res;
	/* The method, target, user or a header would end at the NUL as a C
	 * string (dockerd never sends one: Go refuses control characters in a
	 * request line, and the body travels as base64). */
	if (a->nul) {
		snprintf(msg, msgsz, "lockset: malformed AuthZReq: a string holds U+0000");
		return AUTHZ_ENVELOPE_MALFORMED;
	}
	if (headers != NULL)
		*headers = got[F_HEADERS];
	req->method = got[F_METHOD]->s;
	req->uri = got[F_URI]->s;
	req->user = got[F_USER] != NULL ? got[F_USER]->s : NULL;
	req->content_type = authz_envelope_header(got[F_HEADERS], "Content-Type");
	clen = authz_envelope_header(got[F_HEADERS], "Content-Length");
	req->body_whole = decide_body_whole(0, clen);
	req->body_unseen = decide_body_unseen(0, req->content_type, clen);
	if (got[F_BODY] == NULL || got[F_BODY]->type != GOJSON_STRING || got[F_BODY]->len == 0)
		return AUTHZ_ENVELOPE_OK;
	if ((body = gojson_arena_alloc(a, got[F_BODY]->len / 4 * 3 + 3)) == NULL)
		return AUTHZ_ENVELOPE_NOMEM;
	if ((n = gojson_base64_decode(got[F_BODY]->s, got[F_BODY]->len, body)) < 0) {
		snprintf(msg, msgsz, "lockset: malformed AuthZReq: /RequestBody: not base64");
		return AUTHZ_ENVELOPE_MALFORMED;
	}
	req->body = (const char *)body;
	req->body_len = (size_t)n;
	req->has_body = n > 0;
	req->body_whole = 1;
	req->body_unseen = 0;
	return AUTHZ_ENVELOPE_OK;
}
