/* SPDX-License-Identifier: Apache-2.0 */
/* An LD_PRELOAD library for test_stop_drain.sh: it holds one accepted
 * connection inside accept4() until the daemon has begun to stop. That
 * stretches the moment between a libmicrohttpd worker's accept and the
 * connection entering libmicrohttpd's count, which is otherwise a few
 * microseconds, to as long as the test needs. Nothing else changes: the
 * connection is accepted for real and handed back as it came.
 *
 * Armed by the file $HOLDACCEPT_DIR/arm. The next connection accepted
 * removes it, creates $HOLDACCEPT_DIR/held, and returns only once its
 * listening socket has been taken out of an epoll set (what
 * MHD_quiesce_daemon does as a stop begins) and HOLD_AFTER_MS more, or
 * after HOLD_MAX_MS in all. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOLD_AFTER_MS 300
#define HOLD_MAX_MS   20000

static int held_listener = -1; /* the listening socket of the held accept (atomic) */
static int listener_removed;   /* it left an epoll set (atomic) */

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	static int (*real)(int, int, int, struct epoll_event *);

	if (real == NULL)
		real = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
	if (op == EPOLL_CTL_DEL && fd == __atomic_load_n(&held_listener, __ATOMIC_ACQUIRE))
		__atomic_store_n(&listener_removed, 1, __ATOMIC_RELEASE);
	return real(epfd, op, fd, ev);
}

/* Mark the hold in dir, then hold the caller until fd has left an epoll
 * set, and HOLD_AFTER_MS more. */
static void
hold(const char *dir, int fd)
{
	char path[4096];
	int mark;
	long waited = 0;

	__atomic_store_n(&held_listener, fd, __ATOMIC_RELEASE);
	snprintf(path, sizeof(path), "%s/held", dir);
	mark = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (mark >= 0)
		close(mark);
	while (!__atomic_load_n(&listener_removed, __ATOMIC_ACQUIRE) && waited < HOLD_MAX_MS) {
		sleep_ms(1);
		waited++;
	}
	sleep_ms(HOLD_AFTER_MS);
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	const char *dir = getenv("HOLDACCEPT_DIR");
	char arm[4096];
	int s;

	if (real == NULL)
		real =
		    (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	s = real(fd, addr, len, flags);
	if (s >= 0 && dir != NULL) {
		snprintf(arm, sizeof(arm), "%s/arm", dir);
		if (unlink(arm) == 0)
			hold(dir, fd);
	}
	return s;
}
