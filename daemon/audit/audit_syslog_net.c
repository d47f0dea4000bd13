/* SPDX-License-Identifier: Apache-2.0 */
/* The sockets of syslog forwarding: connect (with a timeout) over UDP, TCP,
 * TLS (OpenSSL, peer and name verified) or a unix datagram socket, write
 * whole buffers, and the two questions delivery asks: has the receiver's TCP
 * acknowledged everything written (SIOCOUTQ is 0) and is the connection
 * still up (a syslog receiver never writes, so anything readable is its end). */
#include "audit_syslog_int.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/sockios.h>

#define CONNECT_TIMEOUT_MS 5000
#define IO_TIMEOUT_S       5

static void
set_error(struct syslog_conn *c, const char *what, int err)
{
	snprintf(c->error, sizeof(c->error), "%s: %s", what, strerror(err));
}

/* Connect fd to addr within CONNECT_TIMEOUT_MS, then make it blocking with
 * send and receive timeouts. 0 or -1 (errno set). */
static int
connect_timed(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct timeval tv = {IO_TIMEOUT_S, 0};
	struct pollfd p = {fd, POLLOUT, 0};
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t elen = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, addr, len) != 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&p, 1, CONNECT_TIMEOUT_MS) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
			errno = err ? err : EIO;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

static int
open_inet(struct syslog_conn *c, const struct audit_syslog_target *t)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = t->proto == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	if ((rc = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(c->error, sizeof(c->error), "%s: %s", t->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (c->fd >= 0 && connect_timed(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		set_error(c, "connect", errno);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	return c->fd >= 0 ? 0 : -1;
}

static int
open_unix(struct syslog_conn *c, const struct audit_syslog_target *t)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->path);
	c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect_timed(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		set_error(c, t->path, errno);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static int
start_tls(struct syslog_conn *c, SSL_CTX *ctx, const char *host)
{
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;

	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	if (is_ip
	        ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1
	        : (SSL_set1_host(c->ssl, host) != 1 || SSL_set_tlsext_host_name(c->ssl, host) != 1))
		goto fail;
	if (SSL_connect(c->ssl) != 1)
		goto fail;
	return 0;
fail:
	snprintf(c->error, sizeof(c->error), "TLS: %s",
	         ERR_reason_error_string(ERR_peek_last_error())
	             ? ERR_reason_error_string(ERR_peek_last_error())
	             : "handshake failed");
	ERR_clear_error();
	return -1;
}

SSL_CTX *
syslog_tls_ctx(const char *cacert, char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (cacert != NULL ? SSL_CTX_load_verify_locations(ctx, cacert, NULL)
	                    : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		if (asprintf(err, "--syslog-cacert %s: cannot load CA certificates",
		             cacert ? cacert : "(system)") < 0)
			*err = NULL;
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

int
syslog_conn_open(struct syslog_conn *c, const struct audit_syslog_target *t, SSL_CTX *ctx)
{
	c->fd = -1;
	c->ssl = NULL;
	c->error[0] = '\0';
	if ((t->proto == SYSLOG_UNIX ? open_unix(c, t) : open_inet(c, t)) != 0)
		return -1;
	if (t->proto == SYSLOG_TLS && start_tls(c, ctx, t->host) != 0) {
		syslog_conn_close(c);
		return -1;
	}
	c->stream = t->proto == SYSLOG_TCP || t->proto == SYSLOG_TLS;
	return 0;
}

void
syslog_conn_close(struct syslog_conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

int
syslog_conn_write(struct syslog_conn *c, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (c->ssl != NULL) {
			size_t w = 0;
			n = SSL_write_ex(c->ssl, p, len, &w) == 1 ? (ssize_t)w : -1;
			if (n < 0)
				errno = EIO;
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_error(c, "write", n < 0 ? errno : EPIPE);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
syslog_conn_acked(struct syslog_conn *c)
{
	int outq = 0;

	if (!c->stream)
		return 1;
	return ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq == 0;
}

/* Read whatever the receiver sent without blocking: TLS records such as
 * session tickets are taken by OpenSSL. 0 at its end of the stream. */
static int
drain(struct syslog_conn *c)
{
	int flags = fcntl(c->fd, F_GETFL), alive = 1;
	char buf[512];

	fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
	for (;;) {
		size_t got = 0;
		ssize_t n;

		if (c->ssl != NULL) {
			if (SSL_read_ex(c->ssl, buf, sizeof(buf), &got) == 1)
				continue;
			n = SSL_get_error(c->ssl, 0);
			alive = n == SSL_ERROR_WANT_READ || n == SSL_ERROR_WANT_WRITE;
			ERR_clear_error();
			break;
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		alive = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		break;
	}
	fcntl(c->fd, F_SETFL, flags);
	return alive;
}

int
syslog_conn_alive(struct syslog_conn *c)
{
	struct pollfd p = {c->fd, POLLIN | POLLRDHUP, 0};

	if (!c->stream || poll(&p, 1, 0) == 0)
		return 1;
	if (!(p.revents & (POLLRDHUP | POLLHUP | POLLERR)) && drain(c))
		return 1;
	snprintf(c->error, sizeof(c->error), "the receiver closed the connection");
	return 0;
}
