/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the docker socket proxy's framing (daemon/proxy/proxy_http.c):
 * request and response heads, the ambiguities that are refused (request
 * smuggling), chunked bodies fed whole and a byte at a time; and its
 * tickets for the plugin (daemon/proxy/proxy_ticket.c). */
#include "check.h"
#include "proxy/proxy_int.h"
#include "proxy/proxy_ticket.h"

#include <string.h>

static int
req(const char *text, struct proxy_head *h)
{
	const char *why = NULL;

	return proxy_parse_request(text, strlen(text), h, &why);
}

static void
test_request_heads_are_read(void)
{
	static const char get[] = "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\n"
	                          "User-Agent: Docker-Client/28.2.2 (linux)\r\n\r\nNEXT";
	struct proxy_head h;
	char buf[64];

	CHECK_INT_EQ(req(get, &h), 1);
	CHECK_INT_EQ(h.len, strlen(get) - 4); /* pipelined bytes are not the head's */
	CHECK(h.method_len == 3 && memcmp(h.method, "GET", 3) == 0);
	CHECK(h.target_len == 28 && memcmp(h.target, "/v1.41/containers/json?all=1", 28) == 0);
	CHECK_INT_EQ(h.minor, 1);
	CHECK_INT_EQ(h.nh, 2);
	CHECK_INT_EQ(h.clen, -1);
	CHECK_STR_EQ(proxy_header_get(&h, "user-agent", buf, sizeof(buf)),
	             "Docker-Client/28.2.2 (linux)");
	CHECK(proxy_header_get(&h, "Content-Type", buf, sizeof(buf)) == NULL);
	CHECK_INT_EQ(req("POST /containers/create HTTP/1.1\r\nContent-Type: Application/JSON; "
	                 "charset=utf-8\r\nContent-Length: 12\r\nContent-Length: 12\r\n"
	                 "Connection: Upgrade, close\r\nExpect: 100-continue\r\n\r\n",
	                 &h),
	             1);
	CHECK_STR_EQ(h.ctype, "application/json");
	CHECK_INT_EQ(h.clen, 12);
	CHECK(h.conn_close && h.conn_upgrade && !h.conn_keep_alive && h.expect_continue);
	CHECK_INT_EQ(req("POST /build HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n", &h), 1);
	CHECK(h.chunked && h.clen == -1);
	CHECK_INT_EQ(req("GET /_ping HTTP/1.0\r\n\r\n", &h), 1);
	CHECK_INT_EQ(h.minor, 0);
	CHECK_INT_EQ(h.nh, 0);
	/* Incomplete: more bytes are needed. */
	CHECK_INT_EQ(req("GET /_ping HTTP/1.1\r\nHost: x\r\n", &h), 0);
	CHECK_INT_EQ(req("", &h), 0);
}

static void
test_ambiguous_requests_are_refused(void)
{
	static const char *const bad[] = {
	    "GET /x HTTP/1.1\nHost: x\r\n\r\n",      /* bare LF */
	    "GET /x HTTP/1.1\r\nHost : x\r\n\r\n",   /* space before the colon */
	    "GET /x HTTP/1.1\r\nA: b\r\n c\r\n\r\n", /* a folded line */
	    "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "POST /x HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", /* a list */
	    "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
	    "POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", /* chunked in 1.0 */
	    "GET /x HTTP/2.0\r\n\r\n",
	    "G(T /x HTTP/1.1\r\n\r\n",
	    "GET  /x HTTP/1.1\r\n\r\n",
	    "GET /x y HTTP/1.1\r\n\r\n",
	    "GET /x HTTP/1.1\r\nA: b\x01\r\n\r\n", /* a control byte */
	    "GET /x HTTP/1.1\r\nA: b\rc\r\n\r\n",  /* a bare CR */
	    "POST /x HTTP/1.1\r\nExpect: 200-ok\r\n\r\n",
	};
	static char big[PROXY_MAX_HEAD + 64];
	struct proxy_head h;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK_INT_EQ(proxy_parse_request(bad[i], strlen(bad[i]), &h, &why), -1);
		CHECK(why != NULL);
		if (proxy_parse_request(bad[i], strlen(bad[i]), &h, &why) != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /x HTTP/1.1\r\nA: ", 20);
	CHECK_INT_EQ(proxy_parse_request(big, sizeof(big), &h, &why), -1);
}

static void
test_response_heads_are_read(void)
{
	static const char upgraded[] =
	    "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
	    "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
	static const char both[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	                           "Transfer-Encoding: chunked\r\n\r\n";
	struct proxy_head h;
	const char *why;

	CHECK_INT_EQ(proxy_parse_response(upgraded, strlen(upgraded), &h, &why), 1);
	CHECK_INT_EQ(h.status, 101);
	CHECK(h.conn_upgrade);
	/* Transfer-Encoding wins over Content-Length in a response. */
	CHECK_INT_EQ(proxy_parse_response(both, strlen(both), &h, &why), 1);
	CHECK(h.chunked && h.clen == -1);
	CHECK_INT_EQ(proxy_parse_response("HTTP/1.0 204\r\n\r\n", 16, &h, &why), 1);
	CHECK_INT_EQ(h.status, 204);
	CHECK_INT_EQ(h.minor, 0);
	CHECK_INT_EQ(proxy_parse_response("HTTP/1.1 2x0 OK\r\n\r\n", 19, &h, &why), -1);
	CHECK_INT_EQ(proxy_parse_response("ICY 200 OK\r\n\r\n", 14, &h, &why), -1);
}

static void
test_chunked_bodies_end_where_they_end(void)
{
	static const char body[] = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
	struct proxy_chunks c;
	char out[64];
	size_t outn = 0, i;
	long n;
	int done = 0;

	proxy_chunks_init(&c);
	n = proxy_chunks_feed(&c, body, strlen(body), out, &outn, &done);
	CHECK_INT_EQ(n, (long)strlen(body) - 4);
	CHECK(done);
	CHECK(outn == 11 && memcmp(out, "hello world", 11) == 0);
	/* A byte at a time: the same end, the same data. */
	proxy_chunks_init(&c);
	outn = 0;
	done = 0;
	for (i = 0; i < strlen(body) && !done; i++)
		CHECK_INT_EQ(proxy_chunks_feed(&c, body + i, 1, out, &outn, &done), 1);
	CHECK_INT_EQ(i, strlen(body) - 4);
	CHECK(outn == 11 && memcmp(out, "hello world", 11) == 0);
	/* Nothing after the end is taken. */
	CHECK_INT_EQ(proxy_chunks_feed(&c, "NEXT", 4, NULL, NULL, &done), 0);
	CHECK(done);
	{
		static const char *const bad[] = {"zz\r\n",   "\r\n",     "5\r\nhelloX\r\n",
		                                  "5\nhello", "0\r\nX\n", "12345678901234567\r\n"};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			proxy_chunks_init(&c);
			CHECK_INT_EQ(
			    proxy_chunks_feed(&c, bad[i], strlen(bad[i]), NULL, NULL, &done), -1);
		}
	}
}

static void
test_tickets_are_single_use_and_bound_to_the_request(void)
{
	struct proxy_tickets *t = proxy_tickets_new();
	static const char body[] = "{\"Image\":\"alpine\"}";
	char tk[PROXY_TICKET_LEN + 1], tk2[PROXY_TICKET_LEN + 1], user[64], forged[64];
	int n;

	CHECK(t != NULL);
	CHECK_INT_EQ(proxy_ticket_issue(t, "alice", "POST", 4, "/v1.41/containers/create", 24, body,
	                                strlen(body), tk),
	             0);
	CHECK_INT_EQ(strlen(tk), PROXY_TICKET_LEN);
	/* The same request, the same body: the proxy judged it. */
	CHECK_INT_EQ(proxy_ticket_redeem(t, tk, "POST", "/v1.41/containers/create", body,
	                                 strlen(body), user, sizeof(user)),
	             1);
	CHECK_STR_EQ(user, "alice");
	/* Used once; the proxy learns that the plugin saw it, and frees it. */
	CHECK_INT_EQ(proxy_ticket_redeem(t, tk, "POST", "/v1.41/containers/create", body,
	                                 strlen(body), user, sizeof(user)),
	             -1);
	CHECK_INT_EQ(proxy_ticket_close(t, tk), 1);
	CHECK_INT_EQ(proxy_ticket_close(t, tk), 0);
	proxy_ticket_issue(t, "alice", "GET", 3, "/x", 2, NULL, 0, tk);
	CHECK_INT_EQ(proxy_ticket_close(t, tk), 0); /* never redeemed: no plugin */
	CHECK_INT_EQ(proxy_ticket_redeem(t, tk, "GET", "/x", NULL, 0, user, sizeof(user)), -1);
	/* Another URI or method is another request. */
	proxy_ticket_issue(t, "alice", "POST", 4, "/v1.41/containers/create", 24, body,
	                   strlen(body), tk);
	CHECK_INT_EQ(proxy_ticket_redeem(t, tk, "POST", "/v1.41/containers/create?name=x", NULL, 0,
	                                 user, sizeof(user)),
	             -1);
	proxy_ticket_issue(t, "alice", "GET", 3, "/x", 2, NULL, 0, tk);
	CHECK_INT_EQ(proxy_ticket_redeem(t, tk, "POST", "/x", NULL, 0, user, sizeof(user)), -1);
	/* dockerd shows a body the proxy did not read, or another one: judge,
	 * as the user. */
	proxy_ticket_issue(t, "bob", "POST", 4, "/networks/create", 16, NULL, 0, tk);
	proxy_ticket_issue(t, "bob", "POST", 4, "/containers/create", 18, body, strlen(body), tk2);
	CHECK_INT_EQ(
	    proxy_ticket_redeem(t, tk, "POST", "/networks/create", "{}", 2, user, sizeof(user)), 0);
	CHECK_STR_EQ(user, "bob");
	CHECK_INT_EQ(
	    proxy_ticket_redeem(t, tk2, "POST", "/containers/create", "{}", 2, user, sizeof(user)),
	    0);
	/* No body forwarded (a form, a chunked body): the proxy saw more. */
	proxy_ticket_issue(t, "bob", "POST", 4, "/images/create", 14, "fromImage=x", 11, tk);
	CHECK_INT_EQ(
	    proxy_ticket_redeem(t, tk, "POST", "/images/create", NULL, 0, user, sizeof(user)), 1);
	/* Forged: the right slot, the wrong secret; or not a ticket at all. */
	proxy_ticket_issue(t, "bob", "GET", 3, "/y", 2, NULL, 0, tk);
	snprintf(forged, sizeof(forged), "%.4s%032d", tk, 0);
	CHECK_INT_EQ(proxy_ticket_redeem(t, forged, "GET", "/y", NULL, 0, user, sizeof(user)), -1);
	CHECK_INT_EQ(proxy_ticket_redeem(t, tk, "GET", "/y", NULL, 0, user, sizeof(user)), 1);
	CHECK_INT_EQ(proxy_ticket_redeem(t, "ffff", "GET", "/y", NULL, 0, user, sizeof(user)), -1);
	CHECK_INT_EQ(proxy_ticket_redeem(t, NULL, "GET", "/y", NULL, 0, user, sizeof(user)), -1);
	CHECK_INT_EQ(proxy_ticket_redeem(NULL, tk, "GET", "/y", NULL, 0, user, sizeof(user)), -1);
	/* A full table issues no more (the request then goes without one). */
	for (n = 0; n < PROXY_TICKETS + 8; n++)
		if (proxy_ticket_issue(t, "", "GET", 3, "/z", 2, NULL, 0, tk) != 0)
			break;
	CHECK(n <= PROXY_TICKETS);
	CHECK_INT_EQ(proxy_ticket_issue(t, "", "GET", 3, "/z", 2, NULL, 0, tk), -1);
	proxy_tickets_free(t);
}

int
main(void)
{
	RUN(test_request_heads_are_read);
	RUN(test_ambiguous_requests_are_refused);
	RUN(test_response_heads_are_read);
	RUN(test_chunked_bodies_end_where_they_end);
	RUN(test_tickets_are_single_use_and_bound_to_the_request);
	return CHECK_DONE();
}
