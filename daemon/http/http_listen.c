/* SPDX-License-Identifier: Apache-2.0 */
/* Listeners and peers: listen specs ("unix:PATH", "HOST:PORT"), opening Unix
 * and TCP sockets or taking passed ones, and who is at the other end of each
 * new connection (SO_PEERCRED, or the TCP address). */
#include "build-config.h"

#include "http.h"

#include "auth.h"
#include "http_conn.h"
#include "http_int.h"
#include "tcp_owner.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Listen specs */

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err != NULL && vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return -1;
}

/* Split "HOST:PORT" or "[V6]:PORT" into host and port (malloc'd host). */
static int
split_host_port(const char *spec, char **host, char **port, char **err)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (end == NULL || end[1] != ':')
			return fail(err, "listen \"%s\": expected [IPV6]:PORT", spec);
		*host = strndup(spec + 1, (size_t)(end - spec - 1));
		*port = strdup(end + 2);
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || strchr(spec, ':') != colon)
			return fail(err, "listen \"%s\": expected HOST:PORT or unix:PATH", spec);
		*host = strndup(spec, (size_t)(colon - spec));
		*port = strdup(colon + 1);
	}
	if (*host == NULL || *port == NULL) {
		free(*host);
		free(*port);
		return fail(err, "listen \"%s\": out of memory", spec);
	}
	return 0;
}

static int
port_valid(const char *port)
{
	char *end;
	long v;

	if (*port == '\0')
		return 0;
	errno = 0;
	v = strtol(port, &end, 10);
	return errno == 0 && *end == '\0' && v >= 0 && v <= 65535;
}

int
http_listen_spec_valid(const char *spec, char **err)
{
	char *host = NULL, *port = NULL;
	unsigned char buf[sizeof(struct in6_addr)];
	int ok;

	if (strncmp(spec, "unix:", 5) == 0) {
		size_t len = strlen(spec + 5);
		if (len == 0 || spec[5] != '/')
			return fail(err, "listen \"%s\": unix socket path must be absolute", spec);
		if (len >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return fail(err, "listen \"%s\": unix socket path too long", spec);
		return 0;
	}
	if (split_host_port(spec, &host, &port, err) != 0)
		return -1;
	ok = port_valid(port) &&
	     (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1 ||
	      strcmp(host, "localhost") == 0);
	free(host);
	free(port);
	if (!ok)
		return fail(err,
		            "listen \"%s\": expected an IPv4 or IPv6 address (or localhost) and a "
		            "port 0-65535",
		            spec);
	return 0;
}

static int
open_unix(struct listener *l, const char *path, char **err)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	/* A stale socket from a previous run is replaced; anything else is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(err, "%s: exists and is not a socket", path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, "%s: socket: %s", path, strerror(errno));
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		umask(old);
		close(fd);
		return fail(err, "%s: bind: %s", path, strerror(e));
	}
	umask(old);
	if (chmod(path, 0660) != 0 || listen(fd, 512) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return fail(err, "%s: %s", path, strerror(e));
	}
	l->fd = fd;
	l->is_unix = 1;
	l->unix_path = strdup(path);
	return 0;
}

static int
open_tcp(struct listener *l, const char *spec, char **err)
{
	struct addrinfo hints, *res = NULL;
	char *host = NULL, *port = NULL;
	int fd = -1, one = 1, rc = -1, gai;

	if (split_host_port(spec, &host, &port, err) != 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (strcmp(host, "localhost") != 0)
		hints.ai_flags |= AI_NUMERICHOST;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		fail(err, "listen \"%s\": %s", spec, gai_strerror(gai));
		goto out;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(err, "listen \"%s\": socket: %s", spec, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		fail(err, "listen \"%s\": %s", spec, strerror(errno));
		close(fd);
		fd = -1;
		goto out;
	}
	l->is_loopback = tcp_addr_is_loopback(res->ai_addr);
	l->fd = fd;
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	free(port);
	return rc;
}

int
http_listen(struct http *h, const char *spec, enum listener_kind kind, char **err)
{
	struct listener *l;
	int rc;

	if (h->nlisteners == HTTP_MAX_LISTENERS)
		return fail(err, "listen \"%s\": too many listeners", spec);
	if (http_listen_spec_valid(spec, err) != 0)
		return -1;
	l = &h->listeners[h->nlisteners];
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->kind = kind;
	l->http = h;
	if (strncmp(spec, "unix:", 5) == 0)
		rc = open_unix(l, spec + 5, err);
	else
		rc = open_tcp(l, spec, err);
	if (rc != 0)
		return -1;
	l->spec = strdup(spec);
	h->nlisteners++;
	return 0;
}

int
http_listen_fd(struct http *h, const char *spec, enum listener_kind kind, int fd, char **err)
{
	struct listener *l;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (h->nlisteners == HTTP_MAX_LISTENERS) {
		close(fd);
		return fail(err, "listen \"%s\": too many listeners", spec);
	}
	l = &h->listeners[h->nlisteners];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->kind = kind;
	l->http = h;
	l->inherited = 1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		l->is_unix = ss.ss_family == AF_UNIX;
		l->is_loopback = tcp_addr_is_loopback((const struct sockaddr *)&ss);
	}
	l->spec = strdup(spec);
	h->nlisteners++;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Peers */

void
http_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	struct conn_info *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		ci = *socket_context;
		if (ci != NULL) {
			http_conn_closed(ci);
			free(ci->auth);
		}
		free(ci);
		*socket_context = NULL;
		return;
	}
	{
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		int fd = info != NULL ? info->connect_fd : -1;

		/* A stopping listener's probe: no peer, never a request. */
		if (http_drain_is_probe(l, fd))
			return;
		ci = calloc(1, sizeof(*ci));
		if (ci == NULL)
			return;
		ci->fd = fd;
	}
	ci->peer.uid = (uid_t)-1;
	ci->peer.gid = (gid_t)-1;
	if (l->is_unix) {
		struct ucred cred;
		socklen_t len = sizeof(cred);

		ci->peer.is_unix = 1;
		if (ci->fd >= 0 && getsockopt(ci->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
			ci->peer.uid = cred.uid;
			ci->peer.gid = cred.gid;
			ci->peer.pid = cred.pid;
		}
		snprintf(ci->peer.addr, sizeof(ci->peer.addr), "unix:uid=%ld",
		         (long)(int)ci->peer.uid);
		snprintf(ci->peer.name, sizeof(ci->peer.name), "uid:%ld", (long)(int)ci->peer.uid);
		/* Resolved once per connection: group lookups are not free. */
		ci->peer.role = auth_unix_role(l->auth, ci->peer.uid, ci->peer.gid);
	} else {
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;

		/* A local process: which uid, the kernel says (tcp_owner.h). */
		if (info != NULL && tcp_addr_is_loopback(info->client_addr)) {
			ci->peer.loopback = 1;
			ci->peer.owner_known =
			    ci->fd >= 0 && tcp_owner_uid(ci->fd, &ci->peer.owner) == 0;
		}
		if (info != NULL && info->client_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)info->client_addr;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
			snprintf(ci->peer.addr, sizeof(ci->peer.addr), "%s:%u", host, port);
		} else if (info != NULL && info->client_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)info->client_addr;
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
			snprintf(ci->peer.addr, sizeof(ci->peer.addr), "[%s]:%u", host, port);
		}
	}
	*socket_context = ci;
	if (l->limits != NULL)
		http_conn_opened(l->limits, ci, conn);
}
