/* SPDX-License-Identifier: Apache-2.0 */
/* Request framing and request-target checks the dispatcher runs before
 * anything else: what libmicrohttpd lets through but an HTTP/1.1 server must
 * refuse (conflicting Content-Length, Content-Length with Transfer-Encoding,
 * an unknown transfer coding), a NUL byte hidden as %00, and more query
 * arguments than a connection's memory holds. Pure: no replies, no logging. */
#ifndef LOCKSET_HTTP_GUARD_H
#define LOCKSET_HTTP_GUARD_H

#include <microhttpd.h>

/* Query arguments a request may carry. libmicrohttpd keeps each one in the
 * connection's fixed memory pool; well before that runs out, the request is
 * refused with a JSON 414 of our own. */
#define HTTP_MAX_QUERY_ARGS 100

enum http_uri_problem {
	HTTP_URI_OK = 0,
	HTTP_URI_NUL,           /* "%00" somewhere in the target */
	HTTP_URI_TOO_MANY_ARGS, /* more than HTTP_MAX_QUERY_ARGS arguments */
};

/* Look at the raw request target (path and query, still percent-encoded),
 * as libmicrohttpd hands it to its URI logger before it splits and decodes
 * the query. When there are too many arguments the query is cut off in place
 * (uri is libmicrohttpd's own writable line buffer), so that libmicrohttpd
 * parses none of them and the dispatcher can answer in the JSON error shape. */
enum http_uri_problem http_guard_uri(char *uri);

/* Check the framing headers of a request whose headers have all arrived.
 * Returns NULL when the body framing is unambiguous, else why not (a static
 * string): the request must be refused with 400 and the connection closed,
 * because its body cannot be told apart from a next request. */
const char *http_guard_framing(struct MHD_Connection *conn);

#endif
