/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the HTTP dispatcher and every handler behind it. The
 * dispatcher only runs inside libmicrohttpd (it takes an MHD connection), so
 * this target starts a real daemon in-process, as main.c does: policy, audit
 * log, tokens, policy history, one API listener on a Unix socket (where root is
 * admin), the plugin socket, and a loopback TCP listener (no role without a
 * bearer token). Each input becomes one HTTP/1.1 request on a new connection:
 *   LISTENER '\n' METHOD '\n' URL '\n' HEADER-LINES '\n' '\n' BODY
 * LISTENER is "api", "authz" or "tcp"; "@TOKEN@" in a header becomes the
 * secret of a runtime token. The reply must come within 20 s, be well-formed
 * HTTP, and carry the one JSON error shape when it is a JSON error. */
#include "build-config.h"

#include "fuzz.h"

#include "server.h"
#include "api/handlers.h"
#include "decisions/judge.h"
#include "audit/audit.h"
#include "config.h"
#include "http/http.h"
#include "decisions/inputs.h"
#include "log.h"
#include "policy/policylife.h"
#include "policy/policystore.h"
#include "decisions/redact.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "http/tokens.h"
#include "policy/userpolicy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The state main.c would own. */
static struct server srv;

#define REPLY_TIMEOUT_MS 20000

static struct config cfg;
static char api_path[4200], authz_path[4200], token[256];
static int tcp_port;

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

/* A free loopback port: bind port 0, read it, close. */
static int
free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		fail("cannot find a free port");
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
load_config(const char *dir)
{
	struct problems errs = PROBLEMS_INIT;
	char settings[4200], state[4200], listen_unix[4300], listen_tcp[64];
	char *argv[] = {"locksetd",
	                "--settings",
	                settings,
	                "--state-dir",
	                state,
	                "--listen",
	                listen_unix,
	                "--listen",
	                listen_tcp,
	                "--authz-socket",
	                authz_path,
	                "--foreground",
	                "--log-level",
	                "error",
	                "--audit-sync",
	                "normal",
	                "--threads",
	                "2",
	                "--long-poll-max",
	                "1",
	                "--connection-timeout",
	                "10",
	                NULL};
	char *example;
	size_t len;
	FILE *f;

	snprintf(settings, sizeof(settings), "%s/admin-settings.json", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(api_path, sizeof(api_path), "%s/api.sock", dir);
	snprintf(authz_path, sizeof(authz_path), "%s/authz.sock", dir);
	snprintf(listen_unix, sizeof(listen_unix), "unix:%s", api_path);
	tcp_port = free_port();
	snprintf(listen_tcp, sizeof(listen_tcp), "127.0.0.1:%d", tcp_port);
	example = fuzz_read_src("schema/examples/admin-settings.json", &len);
	if ((f = fopen(settings, "w")) == NULL || fwrite(example, 1, len, f) != len ||
	    fclose(f) != 0)
		fail("cannot write the settings file");
	free(example);
	if (config_load(&cfg, (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv, &errs) != 0)
		fail("config_load refused the options");
	problems_clear(&errs);
}

/* main.c's start-up, without signals and the file watch. */
static void
start_daemon(void)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	struct audit_opts aopts = {0};
	struct http_opts hopts = {0};
	static struct settings_env env;
	const struct inputs_limits limits = {100000, 64LL << 20, 0, 1 << 20};
	char *err = NULL, *secret = NULL;
	json_t *doc;

	srv.cfg = &cfg;
	log_init(1, LOG_LVL_ERROR);
	settings_env_default(&env);
	if ((srv.served = served_hub_new(cfg.settings, &env)) == NULL ||
	    (srv.settings = settings_api_new()) == NULL || (srv.http = http_new()) == NULL)
		fail("out of memory");
	if ((doc = served_load(srv.served, &errs, &warns)) == NULL)
		fail("the example policy does not load");
	aopts.retention_rows = 100000;
	srv.audit = audit_open(cfg.state_dir, &aopts, &err);
	if (srv.audit == NULL ||
	    (srv.tokens = tokens_open(audit_db(srv.audit), srv.audit, &err)) == NULL)
		fail(err ? err : "cannot open the state database");
	if ((srv.auth = auth_new()) == NULL)
		fail("out of memory");
	auth_set_tokens(srv.auth, srv.tokens);
	if ((srv.policystore = policystore_open(audit_db(srv.audit))) == NULL ||
	    (srv.policylife = policylife_new(srv.served, srv.policystore, srv.audit, 0)) == NULL ||
	    (srv.userpolicy = userpolicy_open(srv.served, srv.policystore, srv.audit, &err)) ==
	        NULL ||
	    policylife_start(srv.policylife, doc, &errs) != 0)
		fail("cannot version the policy");
	if ((srv.redact = redact_open(cfg.state_dir, &err)) == NULL ||
	    (srv.inputs = inputs_start(audit_db(srv.audit), &limits, srv.redact)) == NULL)
		fail("cannot record decision inputs");
	if ((srv.judge =
	         judge_new(&(struct judge_deps){srv.audit, srv.redact, NULL, NULL, srv.served,
	                                        srv.userpolicy, srv.inputs, NULL, NULL})) == NULL)
		fail("out of memory");
	if (tokens_create(srv.tokens, "fuzz", ROLE_RUNTIME, 0, "fuzz", &secret, &errs) != 0)
		fail("cannot create a token");
	snprintf(token, sizeof(token), "%s", secret);
	free(secret);
	for (size_t i = 0; i < cfg.listen.n; i++)
		if (http_listen(srv.http, cfg.listen.v[i], LISTEN_API, &err) != 0)
			fail(err);
	{
		char spec[4300];

		snprintf(spec, sizeof(spec), "unix:%s", cfg.authz_socket);
		if (http_listen(srv.http, spec, LISTEN_AUTHZ, &err) != 0)
			fail(err);
	}
	hopts.max_body = (size_t)cfg.max_body;
	hopts.max_url = (size_t)cfg.max_url;
	hopts.max_headers = (size_t)cfg.max_headers;
	hopts.conn_timeout = (unsigned)cfg.conn_timeout;
	hopts.threads = (unsigned)cfg.threads;
	hopts.auth = srv.auth;
	if (served_start(srv.served, srv.userpolicy) != 0 ||
	    http_start(srv.http, &hopts, &srv) != 0)
		fail("cannot start serving");
	problems_clear(&errs);
	problems_clear(&warns);
}

static void
stop_daemon(void)
{
	server_stop(&srv);
	config_free(&cfg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	load_config(fuzz_tmpdir());
	start_daemon();
	atexit(stop_daemon);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* One request                                                              */

struct buf {
	char *p;
	size_t n, cap;
};

static void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static int
connect_to(const char *listener)
{
	int fd;

	if (strcmp(listener, "tcp") == 0) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(tcp_port)};

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			fail("cannot connect to the TCP listener");
	} else {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		const char *path = strcmp(listener, "authz") == 0 ? authz_path : api_path;

		if (strlen(path) >= sizeof(sun.sun_path))
			fail("socket path too long (set TMPDIR to a shorter directory)");
		memcpy(sun.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			fail("cannot connect to a Unix listener");
	}
	return fd;
}

/* The header lines, up to an empty line, with "@TOKEN@" substituted and CRLF
 * line ends; data/size advance to the body. */
static void
add_headers(struct buf *req, const uint8_t **data, size_t *size)
{
	char *line;

	while (fuzz_take_line(data, size, &line) == 0) {
		char *at = strstr(line, "@TOKEN@");

		if (line[0] == '\0') {
			free(line);
			return;
		}
		/* The harness frames the request itself: a second length or a
		 * chunked body would only make the server wait for bytes that
		 * never come. */
		if (strncasecmp(line, "Content-Length:", 15) == 0 ||
		    strncasecmp(line, "Transfer-Encoding:", 18) == 0 ||
		    strncasecmp(line, "Connection:", 11) == 0) {
			free(line);
			continue;
		}
		if (at != NULL) {
			buf_add(req, line, (size_t)(at - line));
			buf_str(req, token);
			buf_str(req, at + 7);
		} else {
			buf_str(req, line);
		}
		buf_str(req, "\r\n");
		free(line);
	}
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the server may close early (413, 431): fine */
		p += w;
		n -= (size_t)w;
	}
}

static void
read_reply(int fd, struct buf *reply)
{
	char chunk[65536];

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;
		int rc = poll(&pfd, 1, REPLY_TIMEOUT_MS);

		if (rc == 0)
			fail("no reply within 20 s");
		if (rc < 0 && errno == EINTR)
			continue;
		r = recv(fd, chunk, sizeof(chunk), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		buf_add(reply, chunk, (size_t)r);
	}
}

/* A JSON error reply has the one shape: {"error": {"code", "message", ...}}.
 * Only the first reply is read: a request whose headers the server reads as
 * ending early leaves the rest of the bytes to be read as a second request.
 * A reply to HEAD carries the Content-Length a GET would have had and no body
 * (RFC 9110, 9.3.2), so it has only its headers to check. */
static void
check_reply(const char *listener, const char *method, const struct buf *reply)
{
	const char *body, *ct, *cl;
	size_t len;
	int status;
	json_t *j, *e;

	if (getenv("FUZZ_HTTP_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_http: %s: %.*s\n", listener,
		        (int)strcspn(reply->p ? reply->p : "", "\r\n"), reply->p ? reply->p : "");
	if (reply->n == 0)
		return; /* closed without a reply: a refused or malformed request */
	if (sscanf(reply->p, "HTTP/1.%*1d %3d ", &status) != 1 || status < 100 || status > 599)
		fail("malformed status line");
	body = strstr(reply->p, "\r\n\r\n");
	ct = strcasestr(reply->p, "\r\nContent-Type: application/json");
	cl = strcasestr(reply->p, "\r\nContent-Length: ");
	if (status < 400 || body == NULL || ct == NULL || ct > body || cl == NULL || cl > body ||
	    strcmp(listener, "authz") == 0)
		return;
	body += 4;
	if (strcmp(method, "HEAD") == 0) {
		if (body != reply->p + reply->n)
			fail("a reply to HEAD with a body");
		return;
	}
	len = strtoul(cl + 18, NULL, 10);
	if (len > reply->n - (size_t)(body - reply->p))
		fail("a reply shorter than its Content-Length");
	j = json_loadb(body, len, 0, NULL);
	e = json_object_get(j, "error");
	if (!json_is_string(json_object_get(e, "code")) ||
	    !json_is_string(json_object_get(e, "message"))) {
		fprintf(stderr, "fuzz_http: reply:\n%s\n", reply->p);
		fail("a JSON error reply without the error shape");
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *listener = NULL, *method = NULL, *url = NULL, clen[64];
	struct buf req = {0}, reply = {0};
	int fd;

	if (fuzz_take_line(&data, &size, &listener) != 0 ||
	    fuzz_take_line(&data, &size, &method) != 0 || fuzz_take_line(&data, &size, &url) != 0)
		goto out;
	buf_str(&req, method);
	buf_str(&req, " ");
	buf_str(&req, url);
	buf_str(&req, " HTTP/1.1\r\nHost: localhost\r\n");
	add_headers(&req, &data, &size);
	/* Last, so that no folded header line can change it: a kept-alive
	 * connection would wait for a next request until its timeout. */
	snprintf(clen, sizeof(clen), "Connection: close\r\nContent-Length: %zu\r\n\r\n", size);
	buf_str(&req, clen);
	buf_add(&req, data, size);
	fd = connect_to(listener);
	send_all(fd, req.p, req.n);
	read_reply(fd, &reply);
	close(fd);
	check_reply(listener, method, &reply);
out:
	free(req.p);
	free(reply.p);
	free(listener);
	free(method);
	free(url);
	return 0;
}
