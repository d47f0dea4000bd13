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

struct watch {
	int in_fd, stop_pipe[2];
	char *file_name;
	void (*callback)(void *arg); /* given to watch_start, never changed */
	void *callback_arg;
	pthread_t thread;
	int started;
};

/* Read pending events; 1 when one of them names our file. */
static int
drain(struct watch *wa)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int hit = 0;

	for (;;) {
		ssize_t n = read(wa->in_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len > 0 && strcmp(ev->name, wa->file_name) == 0)
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
	struct watch *wa = arg;
	struct pollfd fds[2] = {{wa->in_fd, POLLIN, 0}, {wa->stop_pipe[0], POLLIN, 0}};
	int pending = 0;

	for (;;) {
		int n = poll(fds, 2, pending ? WATCH_DEBOUNCE_MS : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (fds[1].revents & POLLIN))
			break;
		if (n == 0) {
			/* Quiet for the debounce period: the writer is done. */
			pending = 0;
			wa->callback(wa->callback_arg);
			continue;
		}
		if ((fds[0].revents & POLLIN) && drain(wa))
			pending = 1;
	}
	return NULL;
}

struct watch *
watch_start(const char *path, void (*on_change)(void *arg), void *arg)
{
	struct watch *wa = calloc(1, sizeof(*wa));
	char *copy = strdup(path), *dir;
	const char *base;

	if (wa == NULL || copy == NULL) {
		free(wa);
		free(copy);
		return NULL;
	}
	wa->in_fd = wa->stop_pipe[0] = wa->stop_pipe[1] = -1;
	base = strrchr(path, '/');
	wa->file_name = strdup(base ? base + 1 : path);
	dir = dirname(copy);
	wa->callback = on_change;
	wa->callback_arg = arg;
	wa->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (wa->file_name == NULL || wa->in_fd < 0 ||
	    inotify_add_watch(wa->in_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0 ||
	    pipe2(wa->stop_pipe, O_CLOEXEC) != 0) {
		log_warn("watch: cannot watch %s; changes are picked up on SIGHUP only", dir);
		goto fail;
	}
	if (pthread_create(&wa->thread, NULL, watch_main, wa) != 0)
		goto fail;
	wa->started = 1;
	log_info("watching %s for changes to %s", dir, wa->file_name);
	free(copy);
	return wa;
fail:
	free(copy);
	watch_stop(wa);
	return NULL;
}

void
watch_stop(struct watch *wa)
{
	if (wa == NULL)
		return;
	if (wa->started) {
		ssize_t w = write(wa->stop_pipe[1], "x", 1);
		(void)w;
		pthread_join(wa->thread, NULL);
	}
	if (wa->in_fd >= 0)
		close(wa->in_fd);
	for (int i = 0; i < 2; i++) {
		if (wa->stop_pipe[i] >= 0)
			close(wa->stop_pipe[i]);
	}
	free(wa->file_name);
	free(wa);
}
