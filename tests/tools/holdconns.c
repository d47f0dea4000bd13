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

int
main(int argc, char **argv)
{
	const char *sockets[MAX_SOCKETS], *addr = NULL;
	char headers[4096] = "", req[8192], host[256], *colon;
	size_t nsockets = 0;
	long n = 0, held = 0, refused = 0, answered = 0;
	int opt, read_it = 0, *fds;
	struct rlimit rl;

	while ((opt = getopt(argc, argv, "n:u:a:rH:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'u':
			if (nsockets < MAX_SOCKETS)
				sockets[nsockets++] = optarg;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'r':
			read_it = 1;
			break;
		case 'H':
			strncat(headers, optarg, sizeof(headers) - strlen(headers) - 3);
			strcat(headers, "\r\n");
			break;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (n <= 0 || optind != argc - 1 || (nsockets == 0) == (addr == NULL)) {
		fputs(usage_text, stderr);
		return 2;
	}
	snprintf(host, sizeof(host), "%s", addr ? addr : "localhost");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", argv[optind], host,
	         headers);
	if ((colon = strrchr(host, ':')) != NULL)
		*colon = '\0';
	/* One descriptor per connection, and a few to spare. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	if ((fds = calloc((size_t)n, sizeof(*fds))) == NULL)
		return 1;
	for (long i = 0; i < n; i++) {
		int fd = addr ? connect_tcp(host, colon ? colon + 1 : "80")
		              : connect_unix(sockets[(size_t)i % nsockets]);

		fds[i] = -1;
		if (fd < 0 || write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
			refused++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (read_it && !read_response(fd)) {
			refused++;
			close(fd);
			continue;
		}
		answered += read_it;
		fds[held++] = fd;
	}
	if (!read_it)
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
