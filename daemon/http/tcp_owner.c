/* SPDX-License-Identifier: Apache-2.0 */
/* The owner of a loopback TCP client's socket, asked of the kernel with one
 * exact sock_diag lookup (the four addresses and ports of the connection,
 * seen from the client's side). See tcp_owner.h. */
#include "tcp_owner.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

int
tcp_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
		        24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* One end of the connection as sock_diag names it: family, address, port
 * (network order). A v4-mapped IPv6 address is the IPv4 socket it maps. */
struct end {
	int family;
	__be32 addr[4];
	__be16 port;
};

static int
end_of(const struct sockaddr_storage *ss, struct end *e)
{
	memset(e, 0, sizeof(*e));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		e->family = AF_INET;
		e->addr[0] = sin->sin_addr.s_addr;
		e->port = sin->sin_port;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		e->port = sin6->sin6_port;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			e->family = AF_INET;
			memcpy(&e->addr[0], &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->addr, &sin6->sin6_addr, 16);
		}
		return 0;
	}
	return -1;
}

/* The reply to one exact lookup: the uid of the socket found, when it is a
 * live one (a socket in TIME_WAIT or a half-open request has no owner worth
 * the name: the kernel reports uid 0 for them). */
static int
read_reply(int nl, uid_t *uid)
{
	union {
		char buf[8192];
		struct nlmsghdr align;
	} u;
	ssize_t n = recv(nl, u.buf, sizeof(u.buf), MSG_DONTWAIT);
	const struct nlmsghdr *h;

	if (n <= 0)
		return -1;
	for (h = (const struct nlmsghdr *)(const void *)u.buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		const struct inet_diag_msg *m;

		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			return -1; /* NLMSG_ERROR: no such socket (or no sock_diag) */
		m = NLMSG_DATA(h);
		if (m->idiag_state == TCP_TIME_WAIT || m->idiag_state == TCP_SYN_RECV ||
		    m->idiag_state == TCP_CLOSE || m->idiag_state == TCP_LISTEN)
			return -1;
		*uid = (uid_t)m->idiag_uid;
		return 0;
	}
	return -1;
}

int
tcp_owner_uid(int fd, uid_t *uid)
{
	struct sockaddr_storage peer, self;
	socklen_t plen = sizeof(peer), slen = sizeof(self);
	struct end client, server;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	int nl, rc;

	if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0 ||
	    getsockname(fd, (struct sockaddr *)&self, &slen) != 0 ||
	    !tcp_addr_is_loopback((const struct sockaddr *)&peer) || end_of(&peer, &client) != 0 ||
	    end_of(&self, &server) != 0 || client.family != server.family)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST; /* one socket, not a dump */
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (__u8)client.family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	/* The client's socket: its own end is the source. */
	req.r.id.idiag_sport = client.port;
	req.r.id.idiag_dport = server.port;
	memcpy(req.r.id.idiag_src, client.addr, sizeof(client.addr));
	memcpy(req.r.id.idiag_dst, server.addr, sizeof(server.addr));
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if ((nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -1;
	/* The kernel answers an exact lookup while it takes the request, so the
	 * reply is there to read at once. */
	rc = sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
	             (ssize_t)sizeof(req)
	         ? read_reply(nl, uid)
	         : -1;
	close(nl);
	return rc;
}
