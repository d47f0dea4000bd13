/* SPDX-License-Identifier: Apache-2.0 */
/* A small HTTP/1.1 load generator for the benchmarks: N threads, one
 * keep-alive connection each (Unix socket or loopback TCP), fixed requests
 * (one per body file, taken in turn) sent back to back for a fixed time;
 * prints req/s and latency percentiles. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS  32
#define MAX_BODIES   1024
#define RESP_MAX     (64 * 1024 * 1024) /* largest response read */
#define CONNECT_WAIT 10000              /* microseconds between failed connects */

static const char usage_text[] =
    "usage: loadgen (-u SOCKET | -a HOST:PORT) [-c CONNS] [-d SECONDS] [-w SECONDS]\n"
    "               [-n REQUESTS] [-m METHOD] [-H 'Name: value']... [-b BODYFILE]... [PATH]\n"
    "  -u SOCKET    connect to a Unix socket\n"
    "  -a HOST:PORT connect over TCP\n"
    "  -c CONNS     concurrent connections, one thread each (default 1)\n"
    "  -d SECONDS   measured duration (default 10)\n"
    "  -w SECONDS   warm-up before measuring, not counted (default 0)\n"
    "  -n REQUESTS  stop after this many measured requests in all (default: no limit)\n"
    "  -m METHOD    request method (default GET, or POST with -b)\n"
    "  -H HEADER    extra request header line; repeatable\n"
    "  -b BODYFILE  request body, sent with Content-Length; repeatable: each\n"
    "               connection sends the bodies in turn, starting at its own\n"
    "  PATH         request target (default /)\n"
    "Prints one line: conns= duration= requests= rps= p50_ms= p99_ms= max_ms= non2xx= errors=\n"
    "Exit status: 0, or 1 when no request succeeded, 2 on bad usage.\n";

struct target {
	const char *unix_path;
	char host[256];
	char port[16];
};

struct config {
	struct target t;
	int conns;
	double duration, warmup;
	long long max_requests;
	char *request[MAX_BODIES]; /* whole requests, sent as they are */
	size_t request_len[MAX_BODIES];
	int nrequests;
};

struct worker {
	pthread_t th;
	const struct config *cfg;
	const struct worker *base; /* the first worker: this one's index is w - base */
	uint64_t *lat;             /* nanoseconds of each measured request */
	size_t nlat, cap;
	unsigned long long non2xx, errors;
	char *buf;
	size_t bufcap;
};

static struct timespec t_start, t_measure, t_end;
static long long total_started;

static int64_t
ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ns(&t);
}

/* ------------------------------------------------------------------------- */
/* Connections */

static int
connect_target(const struct target *t)
{
	struct addrinfo hints = {0}, *res = NULL;
	int fd = -1, one = 1;

	if (t->unix_path != NULL) {
		struct sockaddr_un sun = {0};

		sun.sun_family = AF_UNIX;
		if (strlen(t->unix_path) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, t->unix_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(t->host, t->port, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Responses */

/* Read more bytes into w->buf after *len. Returns bytes read, 0 at EOF, -1. */
static ssize_t
read_more(struct worker *w, int fd, size_t *len)
{
	ssize_t r;

	if (*len == w->bufcap) {
		size_t cap = w->bufcap * 2;
		char *nb;
		if (cap > RESP_MAX || (nb = realloc(w->buf, cap)) == NULL)
			return -1;
		w->buf = nb;
		w->bufcap = cap;
	}
	do
		r = read(fd, w->buf + *len, w->bufcap - *len);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		*len += (size_t)r;
	return r;
}

/* The value of header name in the header block [p, end), or NULL. */
static const char *
find_header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
			const char *v = p + n + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			return v;
		}
		p = eol + 2;
	}
	return NULL;
}

/* Read the chunked body starting at w->buf + off (with *len bytes buffered).
 * Returns 0 when the final chunk and its CRLF are in, -1 on error or EOF. */
static int
read_chunked(struct worker *w, int fd, size_t off, size_t *len)
{
	for (;;) {
		char *eol;
		unsigned long long size;

		while ((eol = memmem(w->buf + off, *len - off, "\r\n", 2)) == NULL)
			if (read_more(w, fd, len) <= 0)
				return -1;
		size = strtoull(w->buf + off, NULL, 16);
		off = (size_t)(eol - w->buf) + 2;
		if (size == 0) {
			/* No trailers expected: the last CRLF ends the message. */
			while (*len - off < 2)
				if (read_more(w, fd, len) <= 0)
					return -1;
			return 0;
		}
		if (size > RESP_MAX)
			return -1;
		while (*len - off < size + 2)
			if (read_more(w, fd, len) <= 0)
				return -1;
		off += size + 2;
	}
}

/* Read one response. Returns its status (and *close when the server will close
 * the connection), or -1 on a read or protocol error. */
static int
read_response(struct worker *w, int fd, int *close_after)
{
	size_t len = 0, hlen, vlen;
	const char *hend, *v;
	int status;

	*close_after = 0;
	while ((hend = len ? memmem(w->buf, len, "\r\n\r\n", 4) : NULL) == NULL)
		if (read_more(w, fd, &len) <= 0)
			return -1;
	hlen = (size_t)(hend - w->buf) + 4;
	if (len < 12 || strncmp(w->buf, "HTTP/1.", 7) != 0)
		return -1;
	status = atoi(w->buf + 9);
	if ((v = find_header(w->buf, hend, "Connection", &vlen)) != NULL && vlen >= 5 &&
	    strncasecmp(v, "close", 5) == 0)
		*close_after = 1;
	if ((v = find_header(w->buf, hend, "Transfer-Encoding", &vlen)) != NULL && vlen >= 7 &&
	    strncasecmp(v, "chunked", 7) == 0)
		return read_chunked(w, fd, hlen, &len) == 0 ? status : -1;
	if ((v = find_header(w->buf, hend, "Content-Length", &vlen)) != NULL) {
		unsigned long long cl = strtoull(v, NULL, 10);
		if (cl > RESP_MAX)
			return -1;
		while (len - hlen < cl)
			if (read_more(w, fd, &len) <= 0)
				return -1;
		return status;
	}
	if (status == 204 || status == 304 || status / 100 == 1)
		return status;
	/* No length: the body runs to EOF. */
	while (read_more(w, fd, &len) > 0)
		;
	*close_after = 1;
	return status;
}

/* ------------------------------------------------------------------------- */
/* Workers */

static int
record(struct worker *w, uint64_t ns)
{
	if (w->nlat == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		uint64_t *nl = realloc(w->lat, cap * sizeof(*nl));
		if (nl == NULL)
			return -1;
		w->lat = nl;
		w->cap = cap;
	}
	w->lat[w->nlat++] = ns;
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct config *cfg = w->cfg;
	int64_t measure = ts_ns(&t_measure), end = ts_ns(&t_end);
	int fd = -1, next = (int)(w - w->base) % cfg->nrequests;

	for (;;) {
		int64_t t0 = now_ns(), t1;
		int status, close_after = 0, counted = t0 >= measure;

		if (t0 >= end)
			break;
		if (counted && cfg->max_requests > 0 &&
		    __atomic_add_fetch(&total_started, 1, __ATOMIC_RELAXED) > cfg->max_requests)
			break;
		if (fd < 0 && (fd = connect_target(&cfg->t)) < 0) {
			if (counted)
				w->errors++;
			usleep(CONNECT_WAIT);
			continue;
		}
		const char *req = cfg->request[next];
		size_t req_len = cfg->request_len[next];

		next = (next + 1) % cfg->nrequests;
		if (write_all(fd, req, req_len) != 0 ||
		    (status = read_response(w, fd, &close_after)) < 0) {
			if (counted)
				w->errors++;
			close(fd);
			fd = -1;
			continue;
		}
		t1 = now_ns();
		if (counted) {
			if (status < 200 || status > 299)
				w->non2xx++;
			else if (record(w, (uint64_t)(t1 - t0)) != 0)
				w->errors++;
		}
		if (close_after) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* Set-up and report */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Build request number cfg->nrequests (body_file may be NULL) and count it. */
static int
build_request(struct config *cfg, const char *method, const char *path, char **headers,
              int nheaders, const char *body_file)
{
	char *body = NULL, *hdrs = NULL;
	size_t body_len = 0, hlen = 0;
	FILE *h;
	int rc = -1;

	if (body_file != NULL && (body = read_file(body_file, &body_len)) == NULL) {
		fprintf(stderr, "loadgen: %s: %s\n", body_file, strerror(errno));
		return -1;
	}
	if ((h = open_memstream(&hdrs, &hlen)) == NULL)
		goto out;
	fprintf(h, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path,
	        cfg->t.unix_path ? "localhost" : cfg->t.host);
	for (int i = 0; i < nheaders; i++)
		fprintf(h, "%s\r\n", headers[i]);
	if (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		fprintf(h, "Content-Length: %zu\r\n", body_len);
	fputs("\r\n", h);
	if (fclose(h) != 0)
		goto out;
	char *req = malloc(hlen + body_len);
	if (req == NULL)
		goto out;
	memcpy(req, hdrs, hlen);
	if (body_len > 0)
		memcpy(req + hlen, body, body_len);
	cfg->request[cfg->nrequests] = req;
	cfg->request_len[cfg->nrequests++] = hlen + body_len;
	rc = 0;
out:
	free(hdrs);
	free(body);
	return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint64_t *v, size_t n, double p)
{
	return n ? (double)v[(size_t)((double)(n - 1) * p + 0.5)] / 1e6 : 0.0;
}

static int
report(struct worker *ws, int n, double seconds)
{
	unsigned long long non2xx = 0, errors = 0;
	size_t total = 0, k = 0;
	uint64_t *all;

	for (int i = 0; i < n; i++) {
		total += ws[i].nlat;
		non2xx += ws[i].non2xx;
		errors += ws[i].errors;
	}
	if ((all = malloc((total ? total : 1) * sizeof(*all))) == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof(*all));
		k += ws[i].nlat;
	}
	qsort(all, total, sizeof(*all), cmp_u64);
	printf("conns=%d duration=%.2f requests=%zu rps=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "max_ms=%.3f non2xx=%llu errors=%llu\n",
	       n, seconds, total, seconds > 0 ? (double)total / seconds : 0.0,
	       pct_ms(all, total, 0.50), pct_ms(all, total, 0.99),
	       total ? (double)all[total - 1] / 1e6 : 0.0, non2xx, errors);
	free(all);
	return total > 0 ? 0 : 1;
}

static int
parse_hostport(const char *s, struct target *t)
{
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (colon == NULL || colon[1] == '\0')
		return -1;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(t->host) || strlen(colon + 1) >= sizeof(t->port))
		return -1;
	memcpy(t->host, s, hl);
	t->host[hl] = '\0';
	strcpy(t->port, colon + 1);
	return 0;
}

/* What the command line asks for beside the target and the load. */
struct cli {
	const char *method, *path, *bodies[MAX_BODIES];
	char *headers[MAX_HEADERS];
	int nheaders, nbodies;
};

/* One option: -1 to go on, else the exit code. */
static int
parse_opt(int opt, struct config *cfg, struct cli *cli)
{
	switch (opt) {
	case 'u':
		cfg->t.unix_path = optarg;
		break;
	case 'a':
		if (parse_hostport(optarg, &cfg->t) != 0) {
			fprintf(stderr, "loadgen: -a wants HOST:PORT\n");
			return 2;
		}
		break;
	case 'c':
		cfg->conns = atoi(optarg);
		break;
	case 'd':
		cfg->duration = atof(optarg);
		break;
	case 'w':
		cfg->warmup = atof(optarg);
		break;
	case 'n':
		cfg->max_requests = atoll(optarg);
		break;
	case 'm':
		cli->method = optarg;
		break;
	case 'H':
		if (cli->nheaders == MAX_HEADERS) {
			fprintf(stderr, "loadgen: at most %d -H\n", MAX_HEADERS);
			return 2;
		}
		cli->headers[cli->nheaders++] = optarg;
		break;
	case 'b':
		if (cli->nbodies == MAX_BODIES) {
			fprintf(stderr, "loadgen: at most %d -b\n", MAX_BODIES);
			return 2;
		}
		cli->bodies[cli->nbodies++] = optarg;
		break;
	case 'h':
		fputs(usage_text, stdout);
		return 0;
	default:
		fputs(usage_text, stderr);
		return 2;
	}
	return -1;
}

/* The end of the warm-up (t_measure) and of the run (t_end), from t_start. */
static void
set_deadlines(const struct config *cfg)
{
	t_measure = t_start;
	t_measure.tv_sec += (time_t)cfg->warmup;
	t_measure.tv_nsec += (long)((cfg->warmup - (double)(time_t)cfg->warmup) * 1e9);
	t_end = t_measure;
	t_end.tv_sec += (time_t)cfg->duration;
	t_end.tv_nsec += (long)((cfg->duration - (double)(time_t)cfg->duration) * 1e9);
	for (struct timespec *t = &t_measure; t != NULL; t = t == &t_measure ? &t_end : NULL)
		if (t->tv_nsec >= 1000000000L) {
			t->tv_sec++;
			t->tv_nsec -= 1000000000L;
		}
}

int
main(int argc, char **argv)
{
	struct config cfg = {.conns = 1, .duration = 10};
	struct cli cli = {.path = "/"};
	int opt, result;
	struct worker *ws;
	struct timespec done;

	while ((opt = getopt(argc, argv, "u:a:c:d:w:n:m:H:b:h")) != -1)
		if ((result = parse_opt(opt, &cfg, &cli)) >= 0)
			return result;
	if (optind < argc)
		cli.path = argv[optind++];
	if (optind != argc || (cfg.t.unix_path == NULL) == (cfg.t.host[0] == '\0') ||
	    cfg.conns < 1 || cfg.conns > 4096 || cfg.duration <= 0 || cfg.warmup < 0 ||
	    cli.path[0] != '/') {
		fputs(usage_text, stderr);
		return 2;
	}
	if (cli.method == NULL)
		cli.method = cli.nbodies ? "POST" : "GET";
	for (int i = 0; i < (cli.nbodies ? cli.nbodies : 1); i++)
		if (build_request(&cfg, cli.method, cli.path, cli.headers, cli.nheaders,
		                  cli.nbodies ? cli.bodies[i] : NULL) != 0)
			return 2;
	signal(SIGPIPE, SIG_IGN);
	if ((ws = calloc((size_t)cfg.conns, sizeof(*ws))) == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	set_deadlines(&cfg);
	for (int i = 0; i < cfg.conns; i++) {
		ws[i].cfg = &cfg;
		ws[i].base = ws;
		ws[i].bufcap = 16384;
		if ((ws[i].buf = malloc(ws[i].bufcap)) == NULL ||
		    pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
			fprintf(stderr, "loadgen: cannot start thread %d\n", i);
			return 1;
		}
	}
	for (int i = 0; i < cfg.conns; i++)
		pthread_join(ws[i].th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &done);
	/* Measured time: from the end of the warm-up to the last thread's finish
	 * (which may be before the deadline when -n stopped the run). */
	result = report(ws, cfg.conns, (double)(ts_ns(&done) - ts_ns(&t_measure)) / 1e9);
	for (int i = 0; i < cfg.conns; i++) {
		free(ws[i].lat);
		free(ws[i].buf);
	}
	free(ws);
	for (int i = 0; i < cfg.nrequests; i++)
		free(cfg.request[i]);
	return result;
}
