/* SPDX-License-Identifier: Apache-2.0 */
/* A closed-loop load generator for the Docker authorization plugin protocol:
 * C connections (one thread each, HTTP/1.1 keep-alive) on a Unix socket, each
 * POSTing AuthZReq envelopes read from files in turn, the way dockerd's plugin
 * client sends them. Prints one line of key=value figures: requests/s and
 * latency percentiles over the measured window (after a warm-up), and the
 * verdicts seen. Not a test: used by tests/bench/bench-decisions.sh. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RESPONSE_MAX (1024 * 1024)

struct payload {
	char *req; /* the whole request: head and body */
	size_t len;
};

static const char *sock_path;
static const char *uri_path = "/AuthZPlugin.AuthZReq";
static struct payload *payloads;
static size_t npayloads;
static uint64_t measure_from, measure_to; /* CLOCK_MONOTONIC ns */

struct worker {
	pthread_t tid;
	size_t next;   /* index of the next payload */
	uint32_t *lat; /* measured latencies, ns */
	size_t nlat, cap;
	unsigned long long allowed, denied, errors;
	char buf[RESPONSE_MAX];
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
connect_unix(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one response with a Content-Length. Returns the status and sets
 * *allow (1 allowed, 0 denied, -1 unknown), or -1 on a broken connection. */
static int
read_response(int fd, char *buf, int *allow)
{
	size_t have = 0, head = 0, total = 0;
	char *end, *cl, *a;
	int status;

	for (;;) {
		ssize_t r = read(fd, buf + have, RESPONSE_MAX - 1 - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if (head == 0 && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			head = (size_t)(end - buf) + 4;
			*end = '\0';
			cl = strcasestr(buf, "\r\nContent-Length:");
			if (cl == NULL)
				return -1; /* chunked replies are not expected here */
			total = head + strtoul(cl + 17, NULL, 10);
			*end = '\r';
			if (total >= RESPONSE_MAX)
				return -1;
		}
		if (head != 0 && have >= total)
			break;
		if (have >= RESPONSE_MAX - 1)
			return -1;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*allow = -1;
	a = strstr(buf + head, "\"Allow\"");
	if (a != NULL) {
		a += 7;
		while (*a == ' ' || *a == ':')
			a++;
		*allow = *a == 't';
	}
	return status;
}

static int
record(struct worker *w, uint64_t t)
{
	if (w->nlat == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 65536;
		uint32_t *l = realloc(w->lat, cap * sizeof(*l));

		if (l == NULL)
			return -1;
		w->lat = l;
		w->cap = cap;
	}
	w->lat[w->nlat++] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
	return 0;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	int fd = -1;

	for (;;) {
		const struct payload *p = &payloads[w->next++ % npayloads];
		uint64_t t0 = now_ns(), t1;
		int status, allow;

		if (t0 >= measure_to)
			break;
		if (fd == -1 && (fd = connect_unix()) == -1) {
			w->errors++;
			usleep(1000);
			continue;
		}
		if (write_all(fd, p->req, p->len) == -1 ||
		    (status = read_response(fd, w->buf, &allow)) == -1) {
			close(fd);
			fd = -1;
			if (t0 >= measure_from)
				w->errors++;
			continue;
		}
		t1 = now_ns();
		if (t0 < measure_from || t1 > measure_to)
			continue;
		if (status != 200 || allow == -1)
			w->errors++;
		else if (allow)
			w->allowed++;
		else
			w->denied++;
		if (record(w, t1 - t0) == -1)
			break;
	}
	if (fd != -1)
		close(fd);
	return NULL;
}

static int
load_payload(const char *file, struct payload *p)
{
	char head[512];
	struct stat st;
	char *body = NULL;
	int fd = open(file, O_RDONLY | O_CLOEXEC), n, result = -1;

	if (fd == -1 || fstat(fd, &st) == -1)
		goto out;
	body = malloc((size_t)st.st_size + 1);
	if (body == NULL || read(fd, body, (size_t)st.st_size) != st.st_size)
		goto out;
	/* The headers dockerd's plugin client (Go net/http) sends. */
	n = snprintf(head, sizeof(head),
	             "POST %s HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\n"
	             "Content-Length: %lld\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n"
	             "Content-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n",
	             uri_path, (long long)st.st_size);
	p->len = (size_t)n + (size_t)st.st_size;
	p->req = malloc(p->len);
	if (p->req == NULL)
		goto out;
	memcpy(p->req, head, (size_t)n);
	memcpy(p->req + n, body, (size_t)st.st_size);
	result = 0;
out:
	if (result == -1)
		fprintf(stderr, "authzgen: %s: %s\n", file, strerror(errno));
	free(body);
	if (fd != -1)
		close(fd);
	return result;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: authzgen -s SOCKET [-c CONNS] [-d SECONDS] [-w WARMUP] [-p PATH] "
	                "ENVELOPE...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	unsigned conns = 1;
	double dur = 5, warm = 1;
	unsigned long long allowed = 0, denied = 0, errors = 0;
	struct worker *w;
	uint32_t *all;
	size_t n = 0, k;
	uint64_t t;
	int c;

	while ((c = getopt(argc, argv, "s:c:d:w:p:")) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'c':
			conns = (unsigned)atoi(optarg);
			break;
		case 'd':
			dur = atof(optarg);
			break;
		case 'w':
			warm = atof(optarg);
			break;
		case 'p':
			uri_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (sock_path == NULL || optind >= argc || conns == 0 || dur <= 0)
		usage();
	npayloads = (size_t)(argc - optind);
	payloads = calloc(npayloads, sizeof(*payloads));
	w = calloc(conns, sizeof(*w));
	if (payloads == NULL || w == NULL)
		return 1;
	for (k = 0; k < npayloads; k++)
		if (load_payload(argv[optind + (int)k], &payloads[k]) == -1)
			return 1;
	t = now_ns();
	measure_from = t + (uint64_t)(warm * 1e9);
	measure_to = measure_from + (uint64_t)(dur * 1e9);
	for (k = 0; k < conns; k++) {
		w[k].next = k * 7919; /* spread the connections over the payloads */
		if (pthread_create(&w[k].tid, NULL, run, &w[k]) != 0)
			return 1;
	}
	for (k = 0; k < conns; k++) {
		pthread_join(w[k].tid, NULL);
		n += w[k].nlat;
		allowed += w[k].allowed;
		denied += w[k].denied;
		errors += w[k].errors;
	}
	all = malloc((n ? n : 1) * sizeof(*all));
	if (all == NULL)
		return 1;
	n = 0;
	for (k = 0; k < conns; k++) {
		memcpy(all + n, w[k].lat, w[k].nlat * sizeof(*all));
		n += w[k].nlat;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
#define PCT(p) (n ? all[(size_t)((double)(n - 1) * (p))] / 1000.0 : 0.0)
	printf("conns=%u seconds=%.2f requests=%zu rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "max_us=%.1f allowed=%llu denied=%llu errors=%llu\n",
	       conns, dur, n, (double)n / dur, PCT(0.50), PCT(0.90), PCT(0.99), PCT(1.0), allowed,
	       denied, errors);
	return errors > 0 ? 3 : 0;
}
