/* SPDX-License-Identifier: Apache-2.0 */
/* A fleet of simulated hosts for bench-fleet.sh: N keep-alive connections on
 * one epoll loop, each a host in upstream mode that holds bundle V and
 * long-polls GET /v1/bundle?after=V&slot=N&wait=W, following each reply's
 * Link as locksetd does. It notes when each host first receives a bundle of
 * the target version (Lockset-Bundle-Version), then prints those times
 * (CLOCK_REALTIME seconds, one per line, to -o) and the replies it counted. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR_MAX 4096
#define Q_MAX   128

static const char usage_text[] =
    "usage: fleetsim -a HOST:PORT -n HOSTS -t TOKEN -v HELD -e ETAG -T TARGET [-w WAIT]\n"
    "                [-r CONNECTS_PER_S] [-l LIMIT_S] [-k KEEP_S] [-o TIMES_FILE]\n"
    "  every host holds bundle HELD (ETag ETAG) and polls until it has TARGET,\n"
    "  then KEEP_S seconds more (default 0);\n"
    "  READY goes to stdout once every host has sent its first poll\n";

struct host {
	int fd;
	int done;    /* has the target version */
	size_t hlen; /* header bytes buffered */
	long skip;   /* body bytes still to discard */
	int status;
	long long version;
	char etag[80];
	char query[Q_MAX];
	char hdr[HDR_MAX];
};

static struct sockaddr_in addr;
static const char *token;
static struct host *hosts;
static long nhosts, ndone, target, wait_s = 30;
static double *reached;
static unsigned long long n200, n304, nother, nclosed, nerrors;
static int ep;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
send_poll(struct host *h)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "GET /v1/bundle?%s HTTP/1.1\r\nHost: localhost\r\n"
	                 "Authorization: Bearer %s\r\nIf-None-Match: %s\r\n\r\n",
	                 h->query, token, h->etag);

	return send(h->fd, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static int
open_conn(struct host *h)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};

	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("fleetsim: connect");
		if (h->fd >= 0)
			close(h->fd);
		h->fd = -1;
		return -1;
	}
	h->hlen = 0;
	h->skip = 0;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, h->fd, &ev) != 0 || send_poll(h) != 0)
		return -1;
	return 0;
}

/* The value of header name in the buffered head, copied to out. */
static int
header(const struct host *h, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(h->hdr, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *end;
		if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
			continue;
		line += nl + 1;
		while (*line == ' ')
			line++;
		end = strstr(line, "\r\n");
		if (end == NULL || (size_t)(end - line) >= outlen)
			return -1;
		memcpy(out, line, (size_t)(end - line));
		out[end - line] = '\0';
		return 0;
	}
	return -1;
}

/* A complete head is buffered: act on it. */
static void
take_head(struct host *h)
{
	char v[256];
	const char *q, *e;

	h->status = atoi(h->hdr + 9);
	h->skip = header(h, "Content-Length", v, sizeof(v)) == 0 ? atol(v) : 0;
	if (h->status == 200)
		n200++;
	else if (h->status == 304)
		n304++;
	else
		nother++;
	if (header(h, "ETag", v, sizeof(v)) == 0 && strlen(v) < sizeof(h->etag))
		strcpy(h->etag, v);
	if (header(h, "Link", v, sizeof(v)) == 0 && (q = strchr(v, '?')) != NULL &&
	    (e = strchr(q, '>')) != NULL && (size_t)(e - q - 1) < Q_MAX) {
		memcpy(h->query, q + 1, (size_t)(e - q - 1));
		h->query[e - q - 1] = '\0';
	}
	if (h->status == 200 && header(h, "Lockset-Bundle-Version", v, sizeof(v)) == 0)
		h->version = atoll(v);
	if (!h->done && h->version >= target) {
		h->done = 1;
		reached[ndone++] = now();
	}
}

/* Read what arrived on h; 0 when the connection should go on. */
static int
on_readable(struct host *h)
{
	char buf[8192];
	ssize_t n = recv(h->fd, buf, sizeof(buf), 0);
	size_t off = 0;

	if (n <= 0)
		return -1;
	while (off < (size_t)n) {
		if (h->skip > 0) {
			size_t take =
			    (size_t)n - off < (size_t)h->skip ? (size_t)n - off : (size_t)h->skip;
			off += take;
			h->skip -= (long)take;
			if (h->skip == 0 && send_poll(h) != 0)
				return -1;
			continue;
		}
		if (h->hlen + 1 >= HDR_MAX)
			return -1;
		h->hdr[h->hlen++] = buf[off++];
		h->hdr[h->hlen] = '\0';
		if (h->hlen >= 4 && memcmp(h->hdr + h->hlen - 4, "\r\n\r\n", 4) == 0) {
			take_head(h);
			h->hlen = 0;
			if (h->skip == 0 && send_poll(h) != 0)
				return -1;
		}
	}
	return 0;
}

static void
reconnect(struct host *h)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	nclosed++;
	if (open_conn(h) != 0)
		nerrors++;
}

static int
parse_addr(const char *s)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, host, &addr.sin_addr) == 1 ? 0 : -1;
}

static void
run(long rate, double limit, double keep, const char *held, const char *etag)
{
	struct epoll_event evs[256];
	double start = now(), next_batch = start, all_done = 0;
	long opened = 0;
	int ready = 0;

	while (now() - start < limit) {
		if (ndone == nhosts && all_done == 0)
			all_done = now();
		if (all_done > 0 && now() - all_done >= keep)
			break;
		while (opened < nhosts && now() >= next_batch) {
			struct host *h = &hosts[opened++];
			snprintf(h->etag, sizeof(h->etag), "%s", etag);
			snprintf(h->query, sizeof(h->query), "after=%s&slot=%lld&wait=%ld", held,
			         (long long)(now() / (double)wait_s), wait_s);
			if (open_conn(h) != 0)
				nerrors++;
			if (opened % (rate / 100 + 1) == 0)
				next_batch += 0.01;
		}
		if (!ready && opened == nhosts) {
			printf("READY %ld\n", nhosts);
			fflush(stdout);
			ready = 1;
		}
		int n = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < n; i++) {
			struct host *h = evs[i].data.ptr;
			if (on_readable(h) != 0)
				reconnect(h);
		}
	}
}

int
main(int argc, char **argv)
{
	const char *held = NULL, *etag = NULL, *out = NULL;
	long rate = 5000;
	double limit = 120, keep = 0;
	FILE *f;
	int c;

	while ((c = getopt(argc, argv, "a:n:t:v:e:T:w:r:l:k:o:")) != -1) {
		switch (c) {
		case 'a':
			if (parse_addr(optarg) != 0)
				goto usage;
			break;
		case 'n':
			nhosts = atol(optarg);
			break;
		case 't':
			token = optarg;
			break;
		case 'v':
			held = optarg;
			break;
		case 'e':
			etag = optarg;
			break;
		case 'T':
			target = atol(optarg);
			break;
		case 'w':
			wait_s = atol(optarg);
			break;
		case 'r':
			rate = atol(optarg);
			break;
		case 'l':
			limit = atof(optarg);
			break;
		case 'k':
			keep = atof(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (nhosts < 1 || token == NULL || held == NULL || etag == NULL || target < 1 ||
	    wait_s < 1 || rate < 1 || addr.sin_family == 0)
		goto usage;
	hosts = calloc((size_t)nhosts, sizeof(*hosts));
	reached = calloc((size_t)nhosts, sizeof(*reached));
	if (hosts == NULL || reached == NULL || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 1;
	run(rate, limit, keep, held, etag);
	if (out != NULL && (f = fopen(out, "w")) != NULL) {
		for (long i = 0; i < ndone; i++)
			fprintf(f, "%.6f\n", reached[i]);
		fclose(f);
	}
	printf("hosts %ld reached %ld replies_200 %llu replies_304 %llu replies_other %llu "
	       "reconnects %llu errors %llu\n",
	       nhosts, ndone, n200, n304, nother, nclosed, nerrors);
	return ndone == nhosts ? 0 : 1;
usage:
	fputs(usage_text, stderr);
	return 2;
}
