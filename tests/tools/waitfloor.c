/* SPDX-License-Identifier: Apache-2.0 */
/* The memory floor for the long-poll benchmark: libmicrohttpd alone, in
 * locksetd's threading mode (internal thread pool, epoll, turbo,
 * suspend/resume) with the same per-connection memory pool, on one or more
 * Unix sockets. It suspends every request once its headers are read and
 * never answers, so each connection costs what a waiting long-poll costs
 * libmicrohttpd, with nothing of lockset's on top.
 * Usage: waitfloor POOL-BYTES THREADS SOCKET...; stops on SIGTERM/SIGINT. */
#include "listen_unix.h"

#include <microhttpd.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_SOCKETS 8

/* First call: headers read. Second: suspend, as a long-poll does. */
static enum MHD_Result
wait_forever(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
             const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	static int first_call_marker;

	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	MHD_suspend_connection(conn);
	return MHD_YES;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d[MAX_SOCKETS] = {NULL};
	unsigned threads;
	size_t pool;
	sigset_t set;
	int n = 0, sig, rc = 0;

	if (argc < 4 || argc - 3 > MAX_SOCKETS) {
		fprintf(stderr, "usage: waitfloor POOL-BYTES THREADS SOCKET... (at most %d)\n",
		        MAX_SOCKETS);
		return 2;
	}
	pool = (size_t)strtoul(argv[1], NULL, 10);
	threads = (unsigned)atoi(argv[2]);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (; n < argc - 3; n++) {
		int fd = tool_listen_unix("waitfloor", argv[n + 3], 4096);

		if (fd == -1) {
			rc = 1;
			break;
		}
		d[n] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		                            MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME,
		                        0, NULL, NULL, wait_forever, NULL, MHD_OPTION_LISTEN_SOCKET,
		                        fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
		                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		                        MHD_OPTION_CONNECTION_LIMIT, 20000u,
		                        MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_END);
		if (d[n] == NULL) {
			fprintf(stderr, "waitfloor: cannot start libmicrohttpd on %s\n",
			        argv[n + 3]);
			close(fd);
			rc = 1;
			break;
		}
	}
	if (rc == 0)
		sigwait(&set, &sig);
	/* Suspended connections keep MHD_stop_daemon waiting: exit instead, as
	 * the process's end closes them all. */
	for (int i = 0; i < argc - 3; i++)
		unlink(argv[i + 3]);
	_exit(rc);
}
