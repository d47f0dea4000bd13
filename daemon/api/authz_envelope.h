/* SPDX-License-Identifier: Apache-2.0 */
/* The AuthZReq envelope dockerd sends an authorization plugin, read into a
 * decision request: strict about its shape (exact member names and types,
 * nothing unknown, no duplicates), the base64 RequestBody decoded. Pure: no
 * HTTP, no globals; everything lives in the caller's gojson arena. */
#ifndef LOCKSET_AUTHZ_ENVELOPE_H
#define LOCKSET_AUTHZ_ENVELOPE_H

#include "engine/decide.h"
#include "engine/gojson.h"

#include <stddef.h>

enum authz_envelope_result {
	AUTHZ_ENVELOPE_OK = 0,
	AUTHZ_ENVELOPE_NOT_JSON = 1,  /* not one JSON value, or a duplicate member */
	AUTHZ_ENVELOPE_MALFORMED = 2, /* JSON, but not an AuthZReq envelope */
	AUTHZ_ENVELOPE_NOMEM = -1,
};

/* Read len bytes of text (an AuthZReq envelope) into req: method, URI, user,
 * the client's Content-Type and the decoded body, all in arena a (valid
 * until it is cleared); req's other members are zeroed. *headers (when
 * headers is not NULL) is the RequestHeaders object, or NULL. On NOT_JSON and
 * MALFORMED, msg (msgsz bytes) says why: for MALFORMED it is the plugin's
 * error text ("lockset: malformed AuthZReq: /RequestUri: ..."). */
enum authz_envelope_result authz_envelope_read(struct gojson_arena *a, const char *text, size_t len,
                                               struct decide_request *req,
                                               const struct gojson_value **headers, char *msg,
                                               size_t msgsz);
/* The value of header name (any case; the first member that matches) in an
 * envelope's RequestHeaders object (map[string]string), or NULL. */
const char *authz_envelope_header(const struct gojson_value *headers, const char *name);

#endif
