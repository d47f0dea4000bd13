/* SPDX-License-Identifier: Apache-2.0 */
/* A GET over the engine's Unix socket, and the host paths of a container
 * read from GET /containers/{ref}/json (and GET /volumes/{name} for local
 * volumes). The reply is read whole, under a size cap and one deadline. */
#include "engineclient.h"

#include "gojson.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

void
engineclient_reply_clear(struct engineclient_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------ */
/* Transport                                                                */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for ev, or the deadline. 0 when ready, else -1. */
static int
wait_for(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd p = {fd, ev, 0};
		int n;

		if (left <= 0)
			return -1;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
connect_unix(const char *path, char *err, size_t errsz)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	int fd;

	if (n == 0 || n >= sizeof(sa.sun_path)) {
		seterr(err, errsz, "engine socket path \"%s\" is not usable", path);
		return -1;
	}
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* A full backlog gives EAGAIN on a non-blocking Unix connect. */
		seterr(err, errsz, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_for(fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* The status line and the headers lockset reads. */
struct head {
	size_t end; /* offset of the body */
	int status;
	long long clen; /* -1: no Content-Length */
	int chunked;
};

/* Parse the head in p[0..len). 1 when complete, 0 when more is needed, -1
 * when malformed. */
static int
parse_head(const char *p, size_t len, struct head *h)
{
	const char *end = memmem(p, len, "\r\n\r\n", 4), *line, *next;

	if (end == NULL)
		return len > ENGINECLIENT_MAX_HEADER ? -1 : 0;
	h->end = (size_t)(end - p) + 4;
	h->clen = -1;
	h->chunked = 0;
	if (h->end < 16 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' || p[9] < '1' ||
	    p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (p[12] != ' ' && p[12] != '\r'))
		return -1;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (line = (const char *)memchr(p, '\n', h->end) + 1; line < end; line = next) {
		const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2), *v;
		size_t nl;

		next = eol + 2;
		v = memchr(line, ':', (size_t)(eol - line));
		if (v == NULL)
			return -1;
		nl = (size_t)(v - line);
		for (v++; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		if (nl == 14 && strncasecmp(line, "Content-Length", nl) == 0) {
			long long n = 0;

			if (v == eol || h->clen >= 0)
				return -1; /* empty, or two of them */
			for (; v < eol && *v >= '0' && *v <= '9' && n <= ENGINECLIENT_MAX_BODY; v++)
				n = n * 10 + (*v - '0');
			if (v != eol)
				return -1;
			h->clen = n;
		} else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", nl) == 0) {
			h->chunked =
			    (size_t)(eol - v) >= 7 && strncasecmp(eol - 7, "chunked", 7) == 0;
		}
	}
	return 1;
}

/* Walk a chunked body in p[0..len), copying the data to out when it is not
 * NULL (at least len bytes). 1 when the last chunk and the trailers are in,
 * 0 when more is needed, -1 when malformed or over max. *outlen: bytes. */
static int
dechunk(const char *p, size_t len, size_t max, char *out, size_t *outlen)
{
	size_t at = 0, total = 0;

	for (;;) {
		size_t size = 0, digits = 0;
		const char *eol;

		while (at < len && gojson_hexval((unsigned char)p[at]) >= 0 && digits < 9) {
			size = size * 16 + (size_t)gojson_hexval((unsigned char)p[at++]);
			digits++;
		}
		if (at == len)
			return 0;
		if (digits == 0 || digits == 9)
			return -1;
		if ((eol = memmem(p + at, len - at, "\r\n", 2)) == NULL)
			return len - at > 1024 ? -1 : 0; /* a chunk extension */
		at = (size_t)(eol - p) + 2;
		if (size == 0)
			break;
		if (size > max - total)
			return -1;
		if (len - at < size + 2)
			return 0;
		if (p[at + size] != '\r' || p[at + size + 1] != '\n')
			return -1;
		if (out != NULL)
			memcpy(out + total, p + at, size);
		total += size;
		at += size + 2;
	}
	/* Trailer lines, then an empty line. */
	for (;;) {
		const char *eol = memmem(p + at, len - at, "\r\n", 2);

		if (eol == NULL)
			return 0;
		if (eol == p + at)
			break;
		at = (size_t)(eol - p) + 2;
	}
	*outlen = total;
	return 1;
}

/* Is the reply in p[0..len) complete? 1, 0 (read on), -1 (malformed). */
static int
reply_complete(const char *p, size_t len, size_t max, int eof)
{
	struct head h;
	size_t n;
	int rc = parse_head(p, len, &h);

	if (rc != 1)
		return rc == 0 && eof ? -1 : rc;
	if (h.status == 204 || h.status == 304 || h.status / 100 == 1)
		return 1;
	if (h.chunked) {
		rc = dechunk(p + h.end, len - h.end, max, NULL, &n);
		return rc == 0 && eof ? -1 : rc;
	}
	if (h.clen >= 0) {
		if ((size_t)h.clen > max)
			return -1;
		if (len - h.end >= (size_t)h.clen)
			return 1;
		return eof ? -1 : 0;
	}
	return eof ? 1 : (len - h.end > max ? -1 : 0);
}

/* Read the whole reply into *buf (malloc'd). 0, or -1 with err set. */
static int
read_reply(int fd, size_t max, long long deadline, char **buf, size_t *len, char *err, size_t errsz)
{
	size_t cap = 0, limit = max + ENGINECLIENT_MAX_HEADER + 4096;
	int rc = 0, eof = 0;

	*buf = NULL;
	*len = 0;
	while (rc == 0) {
		ssize_t n;

		if (cap - *len < 4096) {
			char *nb = cap >= limit ? NULL : realloc(*buf, cap + 16384 + 1);
			if (nb == NULL) {
				seterr(err, errsz,
				       cap >= limit ? "reply too large" : "out of memory");
				return -1;
			}
			*buf = nb;
			cap += 16384;
		}
		n = recv(fd, *buf + *len, cap - *len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_for(fd, POLLIN, deadline) != 0) {
				seterr(err, errsz, "no complete reply within the time-out");
				return -1;
			}
			continue;
		}
		if (n < 0) {
			seterr(err, errsz, "read: %s", strerror(errno));
			return -1;
		}
		eof = n == 0;
		*len += (size_t)n;
		rc = reply_complete(*buf, *len, max, eof);
	}
	if (rc < 0)
		seterr(err, errsz, "malformed or oversized reply");
	return rc < 0 ? -1 : 0;
}

/* Turn the raw reply into out. 0, or -1 (ENOMEM). */
static int
reply_body(const char *raw, size_t len, size_t max, struct engineclient_reply *out)
{
	struct head h;
	size_t n = 0;

	parse_head(raw, len, &h);
	out->status = h.status;
	if ((out->body = malloc(len - h.end + 1)) == NULL)
		return -1;
	if (h.status == 204 || h.status == 304 || h.status / 100 == 1)
		n = 0;
	else if (h.chunked)
		dechunk(raw + h.end, len - h.end, max, out->body, &n);
	else
		n = h.clen >= 0 ? (size_t)h.clen : len - h.end;
	if (!h.chunked)
		memcpy(out->body, raw + h.end, n);
	out->body[n] = '\0';
	out->len = n;
	return 0;
}

int
engineclient_get(const char *socket, const char *path, int timeout_ms, size_t max_body,
                 struct engineclient_reply *out, char *err, size_t errsz)
{
	long long deadline = now_ms() + timeout_ms;
	char *req = NULL, *raw = NULL;
	size_t rawlen;
	int fd, n, result = -1;

	memset(out, 0, sizeof(*out));
	if ((fd = connect_unix(socket, err, errsz)) < 0)
		return -1;
	n = asprintf(&req,
	             "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: locksetd\r\n"
	             "Accept: application/json\r\nConnection: close\r\n\r\n",
	             path);
	if (n < 0) {
		req = NULL;
		seterr(err, errsz, "out of memory");
		goto out;
	}
	if (send_all(fd, req, (size_t)n, deadline) != 0) {
		seterr(err, errsz, "cannot send the request: %s", strerror(errno));
		goto out;
	}
	if (read_reply(fd, max_body, deadline, &raw, &rawlen, err, errsz) != 0)
		goto out;
	if (reply_body(raw, rawlen, max_body, out) != 0) {
		seterr(err, errsz, "out of memory");
		goto out;
	}
	result = 0;
out:
	close(fd);
	free(req);
	free(raw);
	return result;
}

/* ------------------------------------------------------------------------ */
/* Containers                                                               */

#define MAX_DEPTH   4  /* VolumesFrom levels followed */
#define MAX_LOOKUPS 16 /* GETs for one container, volumes included */

struct inspect {
	const char *socket;
	long long deadline; /* for the whole lookup, volumes and VolumesFrom included */
	int gets;
	char *err;
	size_t errsz;
};

/* A container reference or volume name that can go into a path as is: the
 * characters dockerd allows in names and ids, after an optional '/'. */
static const char *
plain_ref(const char *s)
{
	size_t i;

	if (s[0] == '/')
		s++;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || (i > 0 && strchr("_.-", s[i]) != NULL)))
			return NULL;
	return i > 0 && i <= 255 ? s : NULL;
}

/* GET path and parse the reply as a JSON object into *out (new reference).
 * 1 on a 200 with an object, 0 otherwise (err set), -1 on ENOMEM. */
static int
get_object(struct inspect *in, const char *path, json_t **out)
{
	struct engineclient_reply r;
	json_error_t jerr;

	*out = NULL;
	if (++in->gets > MAX_LOOKUPS) {
		seterr(in->err, in->errsz, "too many lookups for one container");
		return 0;
	}
	if (in->deadline <= now_ms()) {
		seterr(in->err, in->errsz, "no complete answer within the time-out");
		return 0;
	}
	if (engineclient_get(in->socket, path, (int)(in->deadline - now_ms()),
	                     ENGINECLIENT_MAX_BODY, &r, in->err, in->errsz) != 0)
		return 0;
	if (r.status != 200) {
		seterr(in->err, in->errsz, "GET %s: status %d", path, r.status);
		engineclient_reply_clear(&r);
		return 0;
	}
	*out = json_loadb(r.body, r.len, 0, &jerr);
	engineclient_reply_clear(&r);
	if (!json_is_object(*out)) {
		seterr(in->err, in->errsz, "GET %s: not a JSON object", path);
		json_decref(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

/* Add path unless it is there already (Binds and Mounts name the same
 * binds). 0, or -1 on ENOMEM. */
static int
add_once(struct decide_mounts *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->src[i], path) == 0)
			return 0;
	return decide_mounts_add(m, path);
}

static int
add_path(struct decide_mounts *m, const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 ? add_once(m, json_string_value(v))
	                                                      : 0;
}

/* HostConfig.Binds: "src:dst[:opts]"; only an absolute src is a host path. */
static int
add_binds(const json_t *hc, struct decide_mounts *m)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(hc, "Binds"), i, v)
	{
		const char *s = json_string_value(v), *colon;
		char *src;
		int rc;

		if (s == NULL || s[0] != '/')
			continue;
		colon = strchr(s, ':');
		if ((src = strndup(s, colon != NULL ? (size_t)(colon - s) : strlen(s))) == NULL)
			return -1;
		rc = add_once(m, src);
		free(src);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Is one of the comma-separated options in o "bind" or "rbind"? */
static int
opts_bind(const char *o)
{
	while (o != NULL && *o != '\0') {
		size_t n = strcspn(o, ",");

		if ((n == 4 && strncmp(o, "bind", 4) == 0) ||
		    (n == 5 && strncmp(o, "rbind", 5) == 0))
			return 1;
		o += n + (o[n] == ',');
	}
	return 0;
}

/* A named volume of the local driver: its device, when its options make it
 * a host path. 0, or 1 when it cannot be described (err set), -1 ENOMEM. */
static int
add_volume(struct inspect *in, const char *name, struct decide_mounts *m)
{
	const char *plain = name != NULL ? plain_ref(name) : NULL;
	const json_t *opts;
	const char *device;
	json_t *vol = NULL;
	char path[300];
	int rc;

	if (plain == NULL) {
		seterr(in->err, in->errsz, "volume name \"%s\" cannot be looked up",
		       name != NULL ? name : "");
		return 1;
	}
	snprintf(path, sizeof(path), "/volumes/%s", plain);
	if ((rc = get_object(in, path, &vol)) != 1)
		return rc == 0 ? 1 : -1;
	opts = json_object_get(vol, "Options");
	device = json_string_value(json_object_get(opts, "device"));
	rc = 0;
	if (device != NULL && device[0] != '\0' &&
	    (device[0] == '/' || opts_bind(json_string_value(json_object_get(opts, "o")))))
		rc = add_once(m, device);
	json_decref(vol);
	return rc;
}

/* Mounts[]: binds by Source, local volumes by device. 0, 1 (a volume that
 * cannot be described), -1 ENOMEM. */
static int
add_mounts(struct inspect *in, const json_t *mounts, struct decide_mounts *m)
{
	const json_t *mt;
	size_t i;
	int rc = 0;

	json_array_foreach(mounts, i, mt)
	{
		const char *type = json_string_value(json_object_get(mt, "Type"));
		const char *driver = json_string_value(json_object_get(mt, "Driver"));

		if (type == NULL || strcmp(type, "tmpfs") == 0 || strcmp(type, "npipe") == 0 ||
		    strcmp(type, "cluster") == 0 || strcmp(type, "image") == 0)
			continue;
		if (strcmp(type, "volume") != 0)
			rc = add_path(m, json_object_get(mt, "Source")); /* bind, or new */
		else if (driver == NULL || driver[0] == '\0' || strcmp(driver, "local") == 0)
			rc = add_volume(in, json_string_value(json_object_get(mt, "Name")), m);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int inspect_container(struct inspect *in, const char *ref, int depth,
                             struct containers_entry *out, int *cacheable);

/* HostConfig.VolumesFrom: "name[:mode]". A source that is gone is skipped:
 * dockerd copied its mounts into this container's Mounts at create. */
static int
add_volumes_from(struct inspect *in, const json_t *hc, int depth, struct decide_mounts *m)
{
	const json_t *v;
	size_t i, k;

	json_array_foreach(json_object_get(hc, "VolumesFrom"), i, v)
	{
		const char *s = json_string_value(v);
		struct containers_entry from;
		char *name;
		int rc, ignored;

		if (s == NULL || depth >= MAX_DEPTH)
			continue;
		if ((name = strndup(s, strcspn(s, ":"))) == NULL)
			return -1;
		rc = inspect_container(in, name, depth + 1, &from, &ignored);
		free(name);
		for (k = 0; rc == 1 && k < from.mounts.n; k++)
			if (add_once(m, from.mounts.src[k]) != 0)
				rc = -1;
		containers_entry_clear(&from);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
dup_field(char **dst, const char *s)
{
	if (s == NULL)
		s = "";
	if (s[0] == '/')
		s++;
	return (*dst = strdup(s)) != NULL ? 0 : -1;
}

static int
inspect_container(struct inspect *in, const char *ref, int depth, struct containers_entry *out,
                  int *cacheable)
{
	const char *plain = plain_ref(ref), *id;
	const json_t *hc, *cfg;
	json_t *c = NULL;
	char path[300];
	int rc;

	memset(out, 0, sizeof(*out));
	*cacheable = 0;
	if (plain == NULL) {
		seterr(in->err, in->errsz, "\"%s\" is not a container name or id", ref);
		return 0;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", plain);
	if ((rc = get_object(in, path, &c)) != 1)
		return rc;
	hc = json_object_get(c, "HostConfig");
	cfg = json_object_get(c, "Config");
	id = json_string_value(json_object_get(c, "Id"));
	rc = 0;
	if (id == NULL || !containers_is_id(id) || !json_is_object(hc)) {
		seterr(in->err, in->errsz, "GET %s: no Id or HostConfig", path);
		goto out;
	}
	memcpy(out->id, id, 65);
	out->origin = "engine";
	rc = -1;
	if (dup_field(&out->name, json_string_value(json_object_get(c, "Name"))) != 0 ||
	    dup_field(&out->image, json_string_value(json_object_get(cfg, "Image"))) != 0 ||
	    add_binds(hc, &out->mounts) != 0)
		goto out;
	if ((rc = add_mounts(in, json_object_get(c, "Mounts"), &out->mounts)) != 0) {
		rc = rc == 1 ? 0 : -1;
		goto out;
	}
	if (add_volumes_from(in, hc, depth, &out->mounts) != 0)
		goto out;
	*cacheable =
	    !json_is_true(json_object_get(hc, "AutoRemove")) &&
	    json_object_get(json_object_get(cfg, "Labels"), "com.docker.swarm.task.id") == NULL;
	rc = 1;
out:
	json_decref(c);
	if (rc != 1)
		containers_entry_clear(out);
	return rc;
}

int
engineclient_container(const char *socket, int timeout_ms, const char *ref,
                       struct containers_entry *out, int *cacheable, char *err, size_t errsz)
{
	struct inspect in = {socket, now_ms() + timeout_ms, 0, err, errsz};

	return inspect_container(&in, ref, 0, out, cacheable);
}
