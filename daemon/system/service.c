/* SPDX-License-Identifier: Apache-2.0 */
/* Socket activation and readiness notification through libsystemd
 * (service.h). Passed sockets are matched to the configured listeners by the
 * address they are bound to, so the same configuration works with and
 * without activation; one that matches none is served all the same, as the
 * plugin socket when the manager named it "authz", else as an API socket. */
#include "build-config.h"

#include "service.h"

#include "log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define SERVICE_MAX_FDS 16

struct passed {
	int fd;
	char spec[128]; /* "unix:PATH" or "IP:PORT" / "[IP6]:PORT" */
	char name[32];  /* LISTEN_FDNAMES entry */
};

static struct passed passed[SERVICE_MAX_FDS];
static int npassed;

/* The listen spec a socket is bound to. 0, or -1 when it is not a stream
 * socket in the listening state. */
static int
describe(int fd, char *spec, size_t specsz)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int type = 0, listening = 0;
	socklen_t olen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) != 0 || type != SOCK_STREAM)
		return -1;
	olen = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) != 0 || !listening)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const void *)&ss;
		snprintf(spec, specsz, "unix:%.*s",
		         (int)(len - offsetof(struct sockaddr_un, sun_path)), sun->sun_path);
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(spec, specsz, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(spec, specsz, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		return -1;
	}
	return 0;
}

int
service_listen_fds(void)
{
#ifdef HAVE_LIBSYSTEMD
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), rc = 0;

	if (n <= 0) {
		free(names);
		return n < 0 ? -1 : 0;
	}
	for (int i = 0; i < n; i++) {
		struct passed *p = &passed[npassed];
		int fd = SD_LISTEN_FDS_START + i;

		if (npassed == SERVICE_MAX_FDS || describe(fd, p->spec, sizeof(p->spec)) != 0) {
			log_warnx(
			    "socket activation: passed fd %d is not a listening stream socket", fd);
			rc = -1;
		} else {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			p->fd = fd;
			snprintf(p->name, sizeof(p->name), "%s", names && names[i] ? names[i] : "");
			log_info("socket activation: %s passed as fd %d (%s)", p->spec, fd,
			         p->name[0] ? p->name : "unnamed");
			npassed++;
		}
		free(names ? names[i] : NULL);
	}
	free(names);
	return rc < 0 ? -1 : npassed;
#else
	return 0;
#endif
}

/* "localhost:PORT" is bound as 127.0.0.1 or ::1. */
static int
spec_matches(const char *want, const char *have)
{
	const char *port;

	if (strcmp(want, have) == 0)
		return 1;
	if (strncmp(want, "localhost:", 10) != 0)
		return 0;
	port = want + 9;
	return (strncmp(have, "127.0.0.1:", 10) == 0 && strcmp(have + 9, port) == 0) ||
	       (strncmp(have, "[::1]:", 6) == 0 && strcmp(have + 5, port) == 0);
}

static int
take(int i)
{
	int fd = passed[i].fd;

	passed[i] = passed[--npassed];
	return fd;
}

int
service_take_fd(const char *spec)
{
	for (int i = 0; i < npassed; i++) {
		if (spec_matches(spec, passed[i].spec))
			return take(i);
	}
	return -1;
}

int
service_take_unclaimed(int *authz, char *spec, unsigned long specsz)
{
	if (npassed == 0)
		return -1;
	*authz = strcmp(passed[npassed - 1].name, "authz") == 0;
	snprintf(spec, specsz, "%s", passed[npassed - 1].spec);
	return take(npassed - 1);
}

static void
notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	if (sd_notify(0, state) < 0)
		log_warnx("sd_notify failed");
#else
	(void)state;
#endif
}

void
service_notify_ready(const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
}

void
service_notify_reloading(void)
{
	notify("RELOADING=1");
}

void
service_notify_stopping(void)
{
	notify("STOPPING=1");
}
