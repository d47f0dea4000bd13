/* SPDX-License-Identifier: Apache-2.0 */
/* A stop's last accepts (see http_int.h). MHD_quiesce_daemon takes the
 * listening socket out of the workers' epoll sets, but a worker that had
 * already passed its check may still be in accept(): under socket
 * activation, that is a client of the next daemon's backlog whose
 * connection would be closed unanswered. libmicrohttpd hands a connection
 * given to MHD_add_connection to the worker numbered (descriptor modulo
 * workers), which takes it up from its own loop, after any accept it was
 * in. So each worker gets a probe (one end of a socketpair, the other end
 * closed at once), and a probe taken up is known by its socket's inode. */
#include "build-config.h"

#include "http_int.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* How many workers, so how many probes. */
static unsigned
workers(const struct listener *l)
{
	return l->workers > 0 ? l->workers : 1;
}

/* fd, or a duplicate of it numbered k modulo n (fd closed): -1 on failure. */
static int
fd_in_class(int fd, unsigned n, unsigned k)
{
	int base = (int)k;

	while ((unsigned)fd % n != k) {
		int d = fcntl(fd, F_DUPFD_CLOEXEC, base);

		if (d < 0 || (unsigned)d % n == k) {
			close(fd);
			return d;
		}
		close(d);
		base = (d / (int)n + 1) * (int)n + (int)k;
	}
	return fd;
}

/* One end of a new socketpair, numbered k modulo n, its inode in *ino; the
 * other end closed. -1 on failure. */
static int
probe_socket(unsigned n, unsigned k, ino_t *ino)
{
	int sv[2];
	struct stat st;
	int fd;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	close(sv[1]);
	fd = fd_in_class(sv[0], n, k);
	if (fd >= 0 && fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		*ino = st.st_ino;
	return fd;
}

/* A probe could not be handed over: the stop goes by the count alone. */
static void
give_up(struct listener *l, const char *why)
{
	l->drain.failed = 1;
	log_warnx("listen %s: stopping without knowing whether a worker is still accepting (%s)",
	          l->spec, why);
}

void
http_drain_begin(struct listener *l)
{
	struct drain *d = &l->drain;
	unsigned n = workers(l);
	const struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if ((d->probes = calloc(n, sizeof(*d->probes))) == NULL) {
		give_up(l, "out of memory");
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		int fd = probe_socket(n, k, &d->probes[k]);

		if (fd < 0) {
			give_up(l, strerror(errno));
			return;
		}
		/* The notifier may see probe k from here on. */
		__atomic_store_n(&d->expected, k + 1, __ATOMIC_RELEASE);
		/* libmicrohttpd closes fd whatever the outcome. */
		if (MHD_add_connection(l->daemon, fd, (const struct sockaddr *)&sa,
		                       sizeof(sa.sun_family)) != MHD_YES) {
			give_up(l, "a probe connection was refused");
			return;
		}
	}
}

int
http_drain_done(const struct listener *l)
{
	const struct drain *d = &l->drain;

	return l->daemon == NULL || d->failed ||
	       __atomic_load_n(&d->seen, __ATOMIC_ACQUIRE) == workers(l);
}

int
http_drain_is_probe(struct listener *l, int fd)
{
	struct drain *d = &l->drain;
	unsigned n = __atomic_load_n(&d->expected, __ATOMIC_ACQUIRE); /* 0: not stopping */
	struct stat st;

	if (n == 0 || fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	for (unsigned k = 0; k < n; k++) {
		if (d->probes[k] == st.st_ino) {
			__atomic_add_fetch(&d->seen, 1, __ATOMIC_RELEASE);
			return 1;
		}
	}
	return 0;
}

void
http_drain_free(struct listener *l)
{
	free(l->drain.probes);
	memset(&l->drain, 0, sizeof(l->drain));
}
