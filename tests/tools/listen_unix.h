/* SPDX-License-Identifier: Apache-2.0 */
/* A listening Unix socket for the benchmark floors (allowall, waitfloor). */
#ifndef LOCKSET_TOOLS_LISTEN_UNIX_H
#define LOCKSET_TOOLS_LISTEN_UNIX_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A non-blocking socket bound to path (replacing a stale one), mode 0660,
 * listening with backlog; -1 with the reason on stderr, prefixed by prog. */
static inline int
tool_listen_unix(const char *prog, const char *path, int backlog)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: socket path too long\n", prog);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || chmod(path, 0660) == -1 ||
	    listen(fd, backlog) == -1) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

#endif
