/* SPDX-License-Identifier: Apache-2.0 */
/* Every reply goes through here: JSON bodies, and errors in the one shape
 * {"error": {"code", "message", "details": [{"path", "message"}]}} with one
 * vocabulary of codes, each tied to its HTTP status. */
#ifndef LOCKSET_REPLY_H
#define LOCKSET_REPLY_H

#include "http.h"
#include "util/problems.h"

enum error_code {
	ERR_BAD_REQUEST,        /* 400 bad_request */
	ERR_INVALID_JSON,       /* 400 invalid_json */
	ERR_INVALID_PARAMETER,  /* 400 invalid_parameter */
	ERR_INVALID_REQUEST,    /* 400 invalid_request: well-formed JSON, wrong content */
	ERR_UNAUTHORIZED,       /* 401 unauthorized */
	ERR_FORBIDDEN,          /* 403 forbidden */
	ERR_NOT_FOUND,          /* 404 not_found */
	ERR_METHOD_NOT_ALLOWED, /* 405 method_not_allowed */
	ERR_MISDIRECTED,        /* 421 misdirected_request: a Host this listener does not serve */
	ERR_NOT_ACCEPTABLE,     /* 406 not_acceptable */
	ERR_CONFLICT,           /* 409 conflict */
	ERR_LOCKED_SETTING,     /* 409 locked_setting */
	ERR_MANAGED_UPSTREAM,   /* 409 managed_by_upstream */
	ERR_PRECONDITION,       /* 412 precondition_failed */
	ERR_PAYLOAD_TOO_LARGE,  /* 413 payload_too_large */
	ERR_URI_TOO_LONG,       /* 414 uri_too_long */
	ERR_UNSUPPORTED_MEDIA,  /* 415 unsupported_media_type */
	ERR_INVALID_POLICY,     /* 422 invalid_policy */
	ERR_RATE_LIMITED,       /* 429 rate_limited */
	ERR_HEADERS_TOO_LARGE,  /* 431 headers_too_large */
	ERR_INTERNAL,           /* 500 internal */
	ERR_UNAVAILABLE,        /* 503 unavailable */
	ERR_AUDIT_UNAVAILABLE,  /* 503 audit_unavailable: an event could not be recorded */
};

/* The code string and HTTP status of an error. */
const char *reply_error_name(enum error_code code);
unsigned reply_error_status(enum error_code code);

/* Queue a JSON reply; steals body. Adds Content-Type and no-store caching. */
enum MHD_Result reply_json(struct request *rq, unsigned status, json_t *body);
/* Same, with one extra header (name may be NULL). */
enum MHD_Result reply_json_hdr(struct request *rq, unsigned status, json_t *body, const char *hname,
                               const char *hvalue);
/* 429 rate_limited with message and Retry-After: retry_after seconds. */
enum MHD_Result reply_rate_limited(struct request *rq, unsigned retry_after, const char *message);
/* Queue an error reply; details may be NULL. */
enum MHD_Result reply_error(struct request *rq, enum error_code code,
                            const struct problems *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An error after which the connection is closed (a request whose framing
 * is ambiguous, a connection over a cap), with Retry-After: retry_after
 * seconds when not 0. */
enum MHD_Result reply_error_close(struct request *rq, enum error_code code, unsigned retry_after,
                                  const char *msg);
/* An error body as a JSON object (new reference), for callers that add
 * headers. Every error reply is logged here: a 4xx as the caller's error (debug),
 * a 5xx as ours (warning) with a request id that the body carries as
 * "requestId". */
json_t *reply_error_body(const struct request *rq, enum error_code code,
                         const struct problems *details, const char *msg);
/* The response reply_json_hdr queues, for a caller that keeps it to answer
 * many requests (one reference, the caller's); steals body. NULL on ENOMEM. */
struct MHD_Response *reply_json_response(json_t *body, const char *hname, const char *hvalue);
/* Queue a response built by the caller; the caller keeps its own reference. */
enum MHD_Result reply_response(struct request *rq, unsigned status, struct MHD_Response *resp);
/* 304/204-style reply without a body, with optional ETag. */
enum MHD_Result reply_empty(struct request *rq, unsigned status, const char *etag);

#endif
