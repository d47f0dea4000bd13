/* SPDX-License-Identifier: Apache-2.0 */
/* The round-trip floor for the authz benchmark: a Docker authorization plugin
 * that allows everything without reading what it is sent, served by
 * libmicrohttpd in the same threading mode as locksetd (internal thread pool,
 * epoll, turbo). Usage: allowall [-c] SOCKET [THREADS]; stops on SIGTERM/SIGINT.
 * With -c it answers one request per connection ("Connection: close"), as
 * locksetd's plugin socket does: the floor for the same protocol. */
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

#define PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1.1+json"

static const char activate_body[] = "{\"Implements\":[\"authz\"]}";
static const char allow_body[] = "{\"Allow\":true,\"Msg\":\"\",\"Err\":\"\"}";
static struct MHD_Response *activate_rsp, *allow_rsp;
static int close_each; /* -c: one request per connection */

/* Every request: swallow the body, then answer with a prebuilt response. */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	static int first_call_marker;

	(void)cls, (void)method, (void)version, (void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &first_call_marker;
		/* The way locksetd does it: the request "asked" to close. */
		if (close_each)
			MHD_set_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION,
			                         "close");
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK,
	                          strcmp(url, "/Plugin.Activate") == 0 ? activate_rsp : allow_rsp);
}

static struct MHD_Response *
static_response(const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);

	if (r != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PLUGIN_CONTENT_TYPE);
	return r;
}

int
main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads;
	struct MHD_Daemon *d;
	sigset_t set;
	int fd, sig;

	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		close_each = 1;
		argv++, argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: allowall [-c] SOCKET [THREADS]\n");
		return 2;
	}
	threads = argc > 2 ? (unsigned)atoi(argv[2]) : (ncpu > 0 ? (unsigned)ncpu : 2);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	activate_rsp = static_response(activate_body);
	allow_rsp = static_response(allow_body);
	if (activate_rsp == NULL || allow_rsp == NULL ||
	    (fd = tool_listen_unix("allowall", argv[1], 1024)) == -1)
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, 0,
	                     NULL, NULL, answer, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
	                     MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
	                     4096, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "allowall: cannot start libmicrohttpd\n");
		unlink(argv[1]);
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	unlink(argv[1]);
	MHD_destroy_response(activate_rsp);
	MHD_destroy_response(allow_rsp);
	return 0;
}
