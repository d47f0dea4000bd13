/* SPDX-License-Identifier: Apache-2.0 */
/* Which local user is at the other end of a loopback TCP connection: real
 * sockets, a client process of another uid (when the test runs as root),
 * from another address of 127.0.0.0/8, over IPv6 and over IPv4 to a
 * dual-stack listener; and the addresses that count as loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "http/tcp_owner.h"

/* The uid the client runs as: another one when we may switch. */
static uid_t
client_uid(uid_t other)
{
	return geteuid() == 0 ? other : geteuid();
}

/* Listen on family's address listen_at (port 0); a child of uid connects
 * from client_at (NULL: any) to connect_to and waits; the accepted
 * connection's owner is looked up. Returns what tcp_owner_uid returned;
 * *owner is its uid. 77 when the family cannot be used here. */
static int
owner_of_client(int family, const char *listen_at, int dual, const char *client_family_addr,
                int client_family, const char *connect_to, uid_t uid, uid_t *owner)
{
	struct sockaddr_storage ss = {0}, cs = {0};
	socklen_t len;
	int l, c, rc, one = 1, zero = 0, pipefd[2];
	pid_t pid;
	char b;
	unsigned short port;

	if ((l = socket(family, SOCK_STREAM, 0)) < 0)
		return 77;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one, sizeof(int));
	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		inet_pton(AF_INET, listen_at, &s->sin_addr);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, listen_at, &s->sin6_addr);
		len = sizeof(*s);
	}
	if (bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&ss, &len) != 0) {
		close(l);
		return 77;
	}
	port = family == AF_INET ? ((struct sockaddr_in *)(void *)&ss)->sin_port
	                         : ((struct sockaddr_in6 *)(void *)&ss)->sin6_port;
	if (pipe(pipefd) != 0)
		return 77;
	if ((pid = fork()) == 0) {
		struct sockaddr_storage to = {0}, from = {0};
		socklen_t tl, fl = 0;
		int s;

		if (geteuid() == 0 && (setgid(uid) != 0 || setuid(uid) != 0))
			_exit(2);
		s = socket(client_family, SOCK_STREAM, 0);
		if (client_family == AF_INET) {
			struct sockaddr_in *t = (void *)&to, *f = (void *)&from;
			t->sin_family = f->sin_family = AF_INET;
			inet_pton(AF_INET, connect_to, &t->sin_addr);
			t->sin_port = port;
			tl = fl = sizeof(*t);
			if (client_family_addr != NULL)
				inet_pton(AF_INET, client_family_addr, &f->sin_addr);
		} else {
			struct sockaddr_in6 *t = (void *)&to, *f = (void *)&from;
			t->sin6_family = f->sin6_family = AF_INET6;
			inet_pton(AF_INET6, connect_to, &t->sin6_addr);
			t->sin6_port = port;
			tl = fl = sizeof(*t);
			if (client_family_addr != NULL)
				inet_pton(AF_INET6, client_family_addr, &f->sin6_addr);
		}
		if ((client_family_addr != NULL && bind(s, (struct sockaddr *)&from, fl) != 0) ||
		    connect(s, (struct sockaddr *)&to, tl) != 0)
			_exit(3);
		/* Hold the connection until the parent has looked. */
		close(pipefd[1]);
		if (read(pipefd[0], &b, 1) < 0)
			_exit(4);
		_exit(0);
	}
	close(pipefd[0]);
	len = sizeof(cs);
	c = accept(l, (struct sockaddr *)&cs, &len);
	rc = c >= 0 ? tcp_owner_uid(c, owner) : -2;
	close(pipefd[1]);
	waitpid(pid, NULL, 0);
	if (c >= 0)
		close(c);
	close(l);
	return rc;
}

/* A client of another uid, over each kind of loopback connection: IPv4 from
 * another address of 127.0.0.0/8, IPv6, and IPv4 to a dual-stack listener
 * (which sees ::ffff:127.x.y.z; the client's socket is an IPv4 one). A kind
 * this host cannot open is skipped, said so. */
static void
test_owner_of_each_kind_of_client(void)
{
	static const struct {
		const char *what;
		int family;
		const char *listen_at;
		int dual;
		const char *from;
		int client_family;
		const char *to;
		uid_t uid;
	} cases[] = {
	    {"IPv4 from 127.0.0.5", AF_INET, "127.0.0.1", 0, "127.0.0.5", AF_INET, "127.0.0.1",
	     65534},
	    {"IPv6", AF_INET6, "::1", 0, NULL, AF_INET6, "::1", 65533},
	    {"IPv4 to a dual-stack listener", AF_INET6, "::", 1, "127.0.0.9", AF_INET, "127.0.0.1",
	     65532},
	    {"an IPv6 socket to a v4-mapped address", AF_INET, "127.0.0.1", 0, NULL, AF_INET6,
	     "::ffff:127.0.0.1", 65531},
	    {"the same to a dual-stack listener", AF_INET6, "::", 1, NULL, AF_INET6,
	     "::ffff:127.0.0.1", 65530},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uid_t owner = 12345, want = client_uid(cases[i].uid);
		int rc = owner_of_client(cases[i].family, cases[i].listen_at, cases[i].dual,
		                         cases[i].from, cases[i].client_family, cases[i].to, want,
		                         &owner);

		if (rc == 77 && cases[i].family == AF_INET6) {
			printf("# %s: not here, skipped\n", cases[i].what);
			continue;
		}
		CHECK_INT_EQ(rc, 0);
		CHECK_INT_EQ((long)owner, (long)want);
	}
}

static void
test_loopback_addresses(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct sockaddr_in6 b = {.sin6_family = AF_INET6};
	static const char *const v4_yes[] = {"127.0.0.1", "127.255.255.254", "127.1.2.3"};
	static const char *const v4_no[] = {"128.0.0.1", "10.0.0.1", "0.0.0.0", "126.255.255.255"};
	static const char *const v6_yes[] = {"::1", "::ffff:127.0.0.1", "::ffff:127.9.8.7"};
	static const char *const v6_no[] = {"::", "::2", "::ffff:10.0.0.1", "fe80::1",
	                                    "::127.0.0.1"};

	for (size_t i = 0; i < sizeof(v4_yes) / sizeof(*v4_yes); i++) {
		inet_pton(AF_INET, v4_yes[i], &a.sin_addr);
		CHECK(tcp_addr_is_loopback((struct sockaddr *)&a));
	}
	for (size_t i = 0; i < sizeof(v4_no) / sizeof(*v4_no); i++) {
		inet_pton(AF_INET, v4_no[i], &a.sin_addr);
		CHECK(!tcp_addr_is_loopback((struct sockaddr *)&a));
	}
	for (size_t i = 0; i < sizeof(v6_yes) / sizeof(*v6_yes); i++) {
		inet_pton(AF_INET6, v6_yes[i], &b.sin6_addr);
		CHECK(tcp_addr_is_loopback((struct sockaddr *)&b));
	}
	for (size_t i = 0; i < sizeof(v6_no) / sizeof(*v6_no); i++) {
		inet_pton(AF_INET6, v6_no[i], &b.sin6_addr);
		CHECK(!tcp_addr_is_loopback((struct sockaddr *)&b));
	}
}

/* Not a TCP socket at all: nobody. */
static void
test_not_a_tcp_connection(void)
{
	int sv[2];
	uid_t owner = 12345;

	CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_INT_EQ(tcp_owner_uid(sv[0], &owner), -1);
	CHECK_INT_EQ((long)owner, 12345L);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_loopback_addresses);
	RUN(test_owner_of_each_kind_of_client);
	RUN(test_not_a_tcp_connection);
	return CHECK_DONE();
}
