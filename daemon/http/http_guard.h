/* SPDX-License-Identifier: Apache-2.0 */
/* Request framing and request-target checks the dispatcher runs before
 * anything else: what libmicrohttpd lets through but an HTTP/1.1 server must
 * refuse (conflicting Content-Length, Content-Length with Transfer-Encoding,
 * an unknown transfer coding), a NUL byte hidden as %00, and more query
 * arguments than a connection's memory holds, and a Host that is not this
 * listener's. Pure: no replies, no logging. */
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

/* Whether a TCP listener may answer a request whose Host header is host
 * (NULL when there is none: an HTTP/1.0 client, never a browser). A name is
 * taken when it is localhost, a loopback address (127.0.0.0/8, [::1]), or one
 * of the nallowed names in allowed (compared without case); the port, if
 * any, must be digits. A web page that rebinds its own DNS name to 127.0.0.1
 * sends that name, and is refused. 1 when taken, 0 when not. */
int http_guard_host(const char *host, char *const *allowed, size_t nallowed);
/* Whether name may be given as an allowed Host: letters, digits, '-', '_'
 * (a proxy's upstream name may have one) and '.', at most 253 bytes, not
 * empty. */
int http_guard_host_name_valid(const char *name);

#endif
