/* SPDX-License-Identifier: Apache-2.0 */
/* inotify on the settings file's directory: IN_CLOSE_WRITE, IN_MOVED_TO and
 * IN_CREATE events naming the file start a short quiet period; when it ends
 * the reload callback runs. A pipe wakes the thread for shutdown. */
#include "watch.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static int in_fd = -1, stop_pipe[2] = {-1, -1};
static char *file_name;
static void (*callback)(void *arg);
static void *callback_arg;
static pthread_t thread;
static int started;

/* Read pending events; 1 when one of them names our file. */
static int
drain(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int hit = 0;

	for (;;) {
		ssize_t n = read(in_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len > 0 && strcmp(ev->name, file_name) == 0)
				hit = 1;
			if (ev->mask & IN_Q_OVERFLOW)
				hit = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
	return hit;
}

static void *
watch_main(void *arg)
{
	struct pollfd fds[2] = {{in_fd, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
	int pending = 0;

	(void)arg;
	for (;;) {
		int n = poll(fds, 2, pending ? WATCH_DEBOUNCE_MS : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (fds[1].revents & POLLIN))
			break;
		if (n == 0) {
			/* Quiet for the debounce period: the writer is done. */
			pending = 0;
			callback(callback_arg);
			continue;
		}
		if ((fds[0].revents & POLLIN) && drain())
			pending = 1;
	}
	return NULL;
}

int
watch_start(const char *path, void (*on_change)(void *arg), void *arg)
{
	char *copy = strdup(path), *dir;
	const char *base;

	if (copy == NULL)
		return -1;
	base = strrchr(path, '/');
	file_name = strdup(base ? base + 1 : path);
	dir = dirname(copy);
	callback = on_change;
	callback_arg = arg;
	in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (file_name == NULL || in_fd < 0 ||
	    inotify_add_watch(in_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0 ||
	    pipe2(stop_pipe, O_CLOEXEC) != 0) {
		log_warn("watch: cannot watch %s; changes are picked up on SIGHUP only", dir);
		free(copy);
		watch_stop();
		return -1;
	}
	if (pthread_create(&thread, NULL, watch_main, NULL) != 0) {
		free(copy);
		watch_stop();
		return -1;
	}
	started = 1;
	log_info("watching %s for changes to %s", dir, file_name);
	free(copy);
	return 0;
}

void
watch_stop(void)
{
	if (started) {
		ssize_t w = write(stop_pipe[1], "x", 1);
		(void)w;
		pthread_join(thread, NULL);
		started = 0;
	}
	if (in_fd >= 0)
		close(in_fd);
	for (int i = 0; i < 2; i++) {
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
		stop_pipe[i] = -1;
	}
	in_fd = -1;
	free(file_name);
	file_name = NULL;
}
