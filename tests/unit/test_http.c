/* SPDX-License-Identifier: Apache-2.0 */
/* The route table and the dispatcher's building blocks: pattern matching,
 * listen specs, and the error vocabulary; and two front doors served side
 * by side, each with its own connections and metrics. */
#include "check.h"
#include "util/etag.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/http_guard.h"
#include "policy/userpolicy.h"
#include "http/reply.h"
#include "util/names.h"
#include "util/textsafe.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static void
test_route_patterns_match_whole_segments(void)
{
	char buf[256];
	const char *params[HTTP_MAX_PARAMS];
	size_t n = 0;

	CHECK(http_route_match("/v1/health", "/v1/health", buf, sizeof(buf), params, &n));
	CHECK(!http_route_match("/v1/health", "/v1/healthz", buf, sizeof(buf), params, &n));
	CHECK(!http_route_match("/v1/health", "/v1/health/", buf, sizeof(buf), params, &n));
	CHECK(!http_route_match("/v1/health", "/v1", buf, sizeof(buf), params, &n));
	CHECK(http_route_match("/v1/policy/versions/{n}", "/v1/policy/versions/12", buf,
	                       sizeof(buf), params, &n));
	CHECK_INT_EQ(n, 1);
	CHECK_STR_EQ(params[0], "12");
	CHECK(!http_route_match("/v1/policy/versions/{n}", "/v1/policy/versions/", buf, sizeof(buf),
	                        params, &n));
	CHECK(http_route_match("/v1/users/{user}/settings", "/v1/users/alice/settings", buf,
	                       sizeof(buf), params, &n));
	CHECK_STR_EQ(params[0], "alice");
}

static void
test_route_table_is_well_formed(void)
{
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct route *r = &http_routes[i];
		CHECK(r->handler != NULL);
		CHECK(r->path[0] == '/');
		CHECK(r->listener == LISTEN_API || r->listener == LISTEN_AUTHZ);
		for (size_t j = i + 1; j < http_nroutes; j++) {
			CHECK(!(strcmp(r->method, http_routes[j].method) == 0 &&
			        strcmp(r->path, http_routes[j].path) == 0 &&
			        r->listener == http_routes[j].listener));
		}
		/* Everything but health, the API description, the UI's files and the
		 * plugin protocol needs a role. */
		if (r->listener == LISTEN_API && strcmp(r->path, "/v1/health") != 0 &&
		    strcmp(r->path, "/v1/openapi.json") != 0 && strncmp(r->path, "/ui", 3) != 0)
			CHECK(r->min_role >= ROLE_RUNTIME);
	}
}

static void
test_listen_specs(void)
{
	char *err = NULL;

	CHECK_INT_EQ(http_listen_spec_valid("unix:/run/x.sock", &err), 0);
	CHECK_INT_EQ(http_listen_spec_valid("127.0.0.1:8080", &err), 0);
	CHECK_INT_EQ(http_listen_spec_valid("[::1]:8080", &err), 0);
	CHECK_INT_EQ(http_listen_spec_valid("localhost:1", &err), 0);
	CHECK_INT_EQ(http_listen_spec_valid("unix:relative.sock", &err), -1);
	free(err);
	err = NULL;
	CHECK_INT_EQ(http_listen_spec_valid("::1:8080", &err), -1);
	free(err);
	err = NULL;
	CHECK_INT_EQ(http_listen_spec_valid("127.0.0.1:70000", &err), -1);
	CHECK(err != NULL && strstr(err, "127.0.0.1:70000") != NULL);
	free(err);
	err = NULL;
	CHECK_INT_EQ(http_listen_spec_valid("example.com:80", &err), -1);
	free(err);
}

static void
test_error_vocabulary_statuses(void)
{
	CHECK_INT_EQ(reply_error_status(ERR_NOT_FOUND), 404);
	CHECK_STR_EQ(reply_error_name(ERR_METHOD_NOT_ALLOWED), "method_not_allowed");
	CHECK_INT_EQ(reply_error_status(ERR_PAYLOAD_TOO_LARGE), 413);
	CHECK_INT_EQ(reply_error_status(ERR_URI_TOO_LONG), 414);
	CHECK_INT_EQ(reply_error_status(ERR_HEADERS_TOO_LARGE), 431);
	CHECK_INT_EQ(reply_error_status(ERR_INVALID_POLICY), 422);
	CHECK_STR_EQ(reply_error_name(ERR_AUDIT_UNAVAILABLE), "audit_unavailable");
	struct request rq = {.method = "PUT", .url = "/v1/policy"};
	json_t *body = reply_error_body(&rq, ERR_INVALID_POLICY, NULL, "bad");
	const char *id;

	CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(body, "error"), "code")),
	             "invalid_policy");
	CHECK(json_object_get(json_object_get(body, "error"), "requestId") == NULL);
	json_decref(body);
	/* A failure of ours carries the id its log line names. */
	body = reply_error_body(&rq, ERR_INTERNAL, NULL, "out of memory");
	id = json_string_value(json_object_get(json_object_get(body, "error"), "requestId"));
	CHECK(id != NULL && strlen(id) == 12);
	json_decref(body);
}

static void
test_names_one_rule_per_kind(void)
{
	CHECK(names_user_valid("alice"));
	CHECK(names_user_valid("J\xc3\xbcrgen"));
	CHECK(!names_user_valid(""));
	CHECK(!names_user_valid("a/b"));
	CHECK(!names_user_valid("ali\xe2\x80\xae"
	                        "cod.exe")); /* U+202E */
	CHECK(!names_user_valid("a\xc0\xaf"
	                        "b")); /* an overlong '/' */
	CHECK(names_plain_valid("ci-bot_1.x", 64));
	CHECK(!names_plain_valid("ci bot", 64));
	CHECK(!names_plain_valid("abc", 2));
}

static void
test_textsafe_shows_what_would_act(void)
{
	char out[256], small[6];
	char *d;

	/* C0 and DEL as \xHH, C1, separators and bidi controls as \uXXXX,
	 * bytes that are not UTF-8 as \xHH; letters of any script as they are. */
	textsafe_escape("a\x1b[2J\a\r\n\t\x7f"
	                "\xc2\x9b"
	                "1m\xe2\x80\xae"
	                "x\xe2\x80\xa8\xe2\x81\xa6\xd8\x9c\xff\xc3"
	                "J\xc3\xbcrgen \xe6\x97\xa5",
	                out, sizeof(out));
	CHECK_STR_EQ(out, "a\\x1b[2J\\x07\\x0d\\x0a\\x09\\x7f\\u009b1m\\u202ex\\u2028\\u2066\\u061c"
	                  "\\xff\\xc3J\xc3\xbcrgen \xe6\x97\xa5");
	/* Cut between escapes, never inside one. */
	CHECK_INT_EQ(textsafe_escape("ab\x1b", small, sizeof(small)), 2);
	CHECK_STR_EQ(small, "ab");
	d = textsafe_dup("\x1b\x1b\x1b");
	CHECK_STR_EQ(d, "\\x1b\\x1b\\x1b");
	free(d);
	/* In JSON text the C0 controls are jansson's (and LF between tokens is
	 * layout): the others become \uXXXX, the same JSON. */
	d = textsafe_json_dup(
	    "{\n \"k\": \"\x7f\xc2\x85\xe2\x80\xa9\xe2\x81\xa9\xc3\xbc\\u001b\"}");
	CHECK_STR_EQ(d, "{\n \"k\": \"\\u007f\\u0085\\u2029\\u2069\xc3\xbc\\u001b\"}");
	free(d);
	/* Log lines: one '?' for each. */
	snprintf(out, sizeof(out), "a\r\nFAKE\xc2\x9b\xe2\x80\xae\xff\xc3\xbc");
	textsafe_replace(out);
	CHECK_STR_EQ(out, "a??FAKE???\xc3\xbc");
}

static void
test_etag_lists_weak_for_if_none_match_strong_for_if_match(void)
{
	const char *e = "\"abc\"";

	CHECK(etag_listed("\"abc\"", e, 1));
	CHECK(etag_listed("\"x\", \"abc\"", e, 0));
	CHECK(etag_listed("*", e, 0));
	CHECK(etag_listed("W/\"abc\"", e, 1));
	CHECK(!etag_listed("W/\"abc\"", e, 0)); /* If-Match compares strongly */
	CHECK(!etag_listed("\"abcd\"", e, 1));
	CHECK(!etag_listed("\"ab\"", e, 1));
	CHECK(!etag_listed("", e, 1));
}

static void
test_guard_uri_finds_nul_and_counts_arguments(void)
{
	char many[2048], ok[] = "/v1/audit?a=1&b=2", nul[] = "/v1/policy/users/a%00b",
	                 q[] = "/v1/settings?user=a%00", pct[] = "/v1/x/a%2500b";
	size_t n;

	CHECK_INT_EQ(http_guard_uri(ok), HTTP_URI_OK);
	CHECK_STR_EQ(ok, "/v1/audit?a=1&b=2");
	CHECK_INT_EQ(http_guard_uri(nul), HTTP_URI_NUL);
	CHECK_INT_EQ(http_guard_uri(q), HTTP_URI_NUL);
	CHECK_INT_EQ(http_guard_uri(pct), HTTP_URI_OK);
	n = (size_t)snprintf(many, sizeof(many), "/v1/health?a");
	for (int i = 1; i < HTTP_MAX_QUERY_ARGS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "&a");
	CHECK_INT_EQ(http_guard_uri(many), HTTP_URI_OK);
	snprintf(many + n, sizeof(many) - n, "&b");
	CHECK_INT_EQ(http_guard_uri(many), HTTP_URI_TOO_MANY_ARGS);
	/* Cut off in place, so that libmicrohttpd parses none of them. */
	CHECK_STR_EQ(many, "/v1/health?");
}

static void
test_guard_host_takes_loopback_names_and_allowed_ones(void)
{
	static const char *const taken[] = {
	    "localhost",  "LOCALHOST:1",       "127.0.0.1", "127.255.0.9:65535",   "[::1]",
	    "[::1]:8080", "[0:0:0:0:0:0:0:1]", "proxy_up",  "Central.Example:443", NULL};
	static const char *const refused[] = {"",
	                                      ":80",
	                                      "evil.example",
	                                      "localhost.",
	                                      "localhost:",
	                                      "localhost:8a",
	                                      "localhost :80",
	                                      "127.1",
	                                      "0.0.0.0",
	                                      "128.0.0.1",
	                                      "::1",
	                                      "[::1",
	                                      "[::1]x",
	                                      "[::1]:",
	                                      "[::ffff:127.0.0.1]",
	                                      "central.example.evil",
	                                      "xcentral.example",
	                                      NULL};
	char *allowed[] = {"central.example", "proxy_up"};

	CHECK(http_guard_host(NULL, NULL, 0)); /* HTTP/1.0 without Host */
	for (size_t i = 0; taken[i] != NULL; i++) {
		if (!http_guard_host(taken[i], allowed, 2))
			fprintf(stderr, "not taken: %s\n", taken[i]);
		CHECK(http_guard_host(taken[i], allowed, 2));
	}
	for (size_t i = 0; refused[i] != NULL; i++) {
		if (http_guard_host(refused[i], allowed, 2))
			fprintf(stderr, "taken: %s\n", refused[i]);
		CHECK(!http_guard_host(refused[i], allowed, 2));
	}
	CHECK(!http_guard_host("central.example", allowed, 0));
	CHECK(http_guard_host_name_valid("lockset_central"));
	CHECK(http_guard_host_name_valid("a.example-1"));
	CHECK(!http_guard_host_name_valid(""));
	CHECK(!http_guard_host_name_valid("a b"));
	CHECK(!http_guard_host_name_valid("a:80"));
	CHECK(!http_guard_host_name_valid("[::1]"));
}

static void
test_user_names_refuse_hidden_characters(void)
{
	static const char *const good[] = {"alice", "J\xc3\xbcrgen", "\xe5\xb1\xb1\xe7\x94\xb0",
	                                   "a.b-c_d@example.com", "\xf0\x9f\x90\xb3",
	                                   /* any script, combining marks, a space inside */
	                                   "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
	                                   "\xd8\xb9\xd9\x84\xd9\x8a", "\xea\xb9\x80",
	                                   "\xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\xae", "e\xcc\x81mile",
	                                   "Ren\xc3\xa9"
	                                   "e N",
	                                   NULL};
	static const char *const bad[] = {
	    "", "a/b", "a\tb", "a\x7f", "c1\xc2\x85",
	    "\xe2\x80\xae"
	    "evil",
	    "\xe2\x80\x8fx", "x\xd8\x9c", "\xe2\x81\xa6y", "zero\xe2\x80\x8bwidth",
	    "bom\xef\xbb\xbf", "line\xe2\x80\xa8", "over\xc0\xaflong", "bad\xff", "cut\xe2\x80",
	    "sur\xed\xa0\x80", "big\xf4\x90\x80\x80",
	    /* white space other than U+0020 */
	    "dockerd\xc2\xa0", "\xc2\xa0uid:0", "dockerd\xe3\x80\x80", "a\xe1\x9a\x80",
	    "a\xe2\x80\x8a", "a\xe2\x80\xaf", "a\xe2\x81\x9f",
	    /* shows as nothing */
	    "dockerd\xe2\xa0\x80", "dockerd\xe1\x85\x9f", "a\xe1\x85\xa0", "a\xe3\x85\xa4",
	    "a\xef\xbe\xa0", "dockerd\xcd\x8f", "dockerd\xc2\xad", "a\xe1\x9e\xb4", "a\xe1\xa0\x8b",
	    "a\xe1\xa0\x8f", "a\xe2\x81\xaf", "a\xef\xb8\x80", "a\xef\xb8\x8f", "a\xf0\x9d\x85\xb3",
	    "a\xf0\x9d\x85\xba", "a\xf3\xa0\x80\x81", "a\xf3\xa0\xbf\xbf", NULL};
	char longname[258];

	for (size_t i = 0; good[i] != NULL; i++)
		CHECK(userpolicy_name_valid(good[i], "user", NULL));
	for (size_t i = 0; bad[i] != NULL; i++) {
		CHECK(!userpolicy_name_valid(bad[i], "user", NULL));
		if (userpolicy_name_valid(bad[i], "user", NULL))
			fprintf(stderr, "# accepted bad name %zu\n", i);
	}
	memset(longname, 'a', 257);
	longname[257] = '\0';
	CHECK(!userpolicy_name_valid(longname, "user", NULL));
	longname[256] = '\0';
	CHECK(userpolicy_name_valid(longname, "user", NULL));
}

/* h's /metrics text (malloc'd). */
static char *
metrics_of(const struct http *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL)
		return NULL;
	http_metrics(h, out);
	fclose(out);
	return buf;
}

/* One request on a new connection to the Unix socket path, read to the end
 * (the reply closes); the reply's status line into line. */
static void
request_status(const char *path, char *line, size_t n)
{
	static const char req[] = "GET /v1/no-such-thing HTTP/1.1\r\nHost: localhost\r\n"
	                          "Connection: close\r\n\r\n";
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {10, 0};
	char buf[4096];
	size_t got = 0;
	ssize_t r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	line[0] = '\0';
	if (strlen(path) >= sizeof(sun.sun_path)) {
		close(fd);
		return;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(fd);
	snprintf(line, n, "%.*s", (int)strcspn(buf, "\r\n"), buf);
}

static void
test_two_front_doors_keep_their_own_connections_and_metrics(void)
{
	char dir[] = "/tmp/lockset-http-XXXXXX", spec[2][128], line[128], *m1, *m2;
	struct http *h[2] = {http_new(), http_new()};
	struct auth *auth = auth_new();
	struct http_opts o = {.max_body = 1 << 20,
	                      .max_url = 8192,
	                      .max_headers = 8192,
	                      .conn_timeout = 30,
	                      .threads = 1,
	                      .auth = auth};
	unsigned cap;
	char *err = NULL;

	CHECK(mkdtemp(dir) != NULL && h[0] != NULL && h[1] != NULL && auth != NULL);
	http_raise_fd_limit();
	for (int i = 0; i < 2; i++) {
		snprintf(spec[i], sizeof(spec[i]), "unix:%s/%c.sock", dir, 'a' + i);
		CHECK_INT_EQ(http_listen(h[i], spec[i], LISTEN_API, &err), 0);
	}
	CHECK_INT_EQ(http_rest_capacity(h[0]), 0); /* caps are planned at start */
	CHECK_INT_EQ(http_start(h[0], &o, NULL), 0);
	cap = http_rest_capacity(h[0]);
	CHECK(cap > 0);
	CHECK_INT_EQ(http_start(h[1], &o, NULL), 0);
	/* Each counts its own listener only. */
	CHECK_INT_EQ(http_rest_capacity(h[0]), cap);
	CHECK_INT_EQ(http_rest_capacity(h[1]), cap);
	request_status(spec[0] + 5, line, sizeof(line));
	CHECK_STR_EQ(line, "HTTP/1.1 404 Not Found");
	m1 = metrics_of(h[0]);
	m2 = metrics_of(h[1]);
	CHECK(m1 != NULL && strstr(m1, "a.sock") != NULL && strstr(m1, "b.sock") == NULL);
	CHECK(m2 != NULL && strstr(m2, "b.sock") != NULL && strstr(m2, "a.sock") == NULL);
	free(m1);
	free(m2);
	/* Stopped, every request is accounted for: the one went to the first. */
	http_stop(h[0], 3000);
	http_stop(h[1], 3000);
	CHECK_INT_EQ(http_rest_capacity(h[0]), 0);
	m1 = metrics_of(h[0]);
	m2 = metrics_of(h[1]);
	CHECK(m1 != NULL && strstr(m1, "_count{method=\"\",route=\"unmatched\"} 1\n") != NULL);
	CHECK(m2 != NULL && strstr(m2, "_count{method=\"\",route=\"unmatched\"} 0\n") != NULL);
	free(m1);
	free(m2);
	http_free(h[0]);
	http_free(h[1]);
	auth_free(auth);
	free(err);
	rmdir(dir);
}

int
main(void)
{
	RUN(test_route_patterns_match_whole_segments);
	RUN(test_route_table_is_well_formed);
	RUN(test_listen_specs);
	RUN(test_error_vocabulary_statuses);
	RUN(test_names_one_rule_per_kind);
	RUN(test_textsafe_shows_what_would_act);
	RUN(test_etag_lists_weak_for_if_none_match_strong_for_if_match);
	RUN(test_guard_uri_finds_nul_and_counts_arguments);
	RUN(test_guard_host_takes_loopback_names_and_allowed_ones);
	RUN(test_user_names_refuse_hidden_characters);
	RUN(test_two_front_doors_keep_their_own_connections_and_metrics);
	return CHECK_DONE();
}
