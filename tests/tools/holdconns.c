/* SPDX-License-Identifier: Apache-2.0 */
/* Holds many connections open for the memory benchmark: opens N keep-alive
 * connections (spread over one or more Unix sockets, or to one TCP address),
 * sends one request on each and, with -r, reads its whole response (an idle
 * keep-alive connection) or, without, leaves it waiting (a long-poll). Prints
 * one line "held=N refused=M answered=K" once every connection is set up,
 * then keeps them until stdin is closed or SIGTERM. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_SOCKETS 16

static const char usage_text[] =
    "usage: holdconns -n N (-u SOCKET [-u SOCKET...] | -a HOST:PORT) [-r]\n"
    "                 [-H 'Name: value']... PATH\n"
    "  -n N         connections to hold\n"
    "  -u SOCKET    a Unix socket; connections are spread over every one given\n"
    "  -a HOST:PORT a TCP address\n"
    "  -r           read each response (idle keep-alive); else leave the request\n"
    "               waiting (long-poll)\n"
    "  -H HEADER    extra request header; repeatable\n";

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
connect_tcp(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Read one response with a Content-Length body (up to 5 s). 1 when whole. */
static int
read_response(int fd)
{
	char buf[16384];
	size_t have = 0;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		char *end, *cl;
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			return 0;
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl == NULL || cl > end)
			return 1; /* no body */
		if (have >= (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10))
			return 1;
		if (have == sizeof(buf) - 1)
			return 0;
	}
}

/* Long-polls: a connection the server answered or closed within a second
 * is not waiting. Close those, keep the others at the front of fds. Returns
 * how many were dropped. */
static long
drop_answered(int *fds, long held, long *answered)
{
	struct pollfd *p = calloc((size_t)held, sizeof(*p));
	long kept = 0;

	if (p == NULL)
		return 0;
	for (long i = 0; i < held; i++)
		p[i] = (struct pollfd){fds[i], POLLIN, 0};
	if (poll(p, (nfds_t)held, 1000) > 0) {
		for (long i = 0; i < held; i++) {
			if (p[i].revents == 0) {
				fds[kept++] = fds[i];
				continue;
			}
			(*answered)++;
			close(fds[i]);
		}
	} else {
		kept = held;
	}
	free(p);
	return held - kept;
}

struct opts {
	const char *sockets[MAX_SOCKETS], *addr, *path;
	size_t nsockets;
	long n;
	int read_it;
	char headers[4096];
};

/* 0, or -1 (usage printed). */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	int opt;

	while ((opt = getopt(argc, argv, "n:u:a:rH:")) != -1) {
		if (opt == 'n')
			o->n = strtol(optarg, NULL, 10);
		else if (opt == 'u' && o->nsockets < MAX_SOCKETS)
			o->sockets[o->nsockets++] = optarg;
		else if (opt == 'a')
			o->addr = optarg;
		else if (opt == 'r')
			o->read_it = 1;
		else if (opt == 'H' && strlen(o->headers) + strlen(optarg) + 3 < sizeof(o->headers))
			strcat(strcat(o->headers, optarg), "\r\n");
		else if (opt != 'u' && opt != 'H')
			goto usage;
	}
	if (o->n <= 0 || optind != argc - 1 || (o->nsockets == 0) == (o->addr == NULL))
		goto usage;
	o->path = argv[optind];
	return 0;
usage:
	fputs(usage_text, stderr);
	return -1;
}

/* One descriptor per connection, and a few to spare. */
static void
raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	char req[8192], host[256], *colon;
	long held = 0, refused = 0, answered = 0;
	int *fds;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	snprintf(host, sizeof(host), "%s", o.addr ? o.addr : "localhost");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", o.path, host,
	         o.headers);
	if ((colon = strrchr(host, ':')) != NULL)
		*colon = '\0';
	raise_nofile(o.n);
	signal(SIGPIPE, SIG_IGN);
	if ((fds = calloc((size_t)o.n, sizeof(*fds))) == NULL)
		return 1;
	for (long i = 0; i < o.n; i++) {
		int fd = o.addr ? connect_tcp(host, colon ? colon + 1 : "80")
		                : connect_unix(o.sockets[(size_t)i % o.nsockets]);

		if (fd < 0 || write(fd, req, strlen(req)) != (ssize_t)strlen(req) ||
		    (o.read_it && !read_response(fd))) {
			refused++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		answered += o.read_it;
		fds[held++] = fd;
	}
	if (!o.read_it)
		held -= drop_answered(fds, held, &answered);
	printf("held=%ld refused=%ld answered=%ld\n", held, refused, answered);
	fflush(stdout);
	/* Hold them until told to let go (stdin closed, or a signal). */
	while (read(0, req, sizeof(req)) > 0)
		;
	for (long i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	return 0;
}
