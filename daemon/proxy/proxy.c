/* SPDX-License-Identifier: Apache-2.0 */
/* The docker socket proxy's listener: the socket (0660 root:group), the
 * accept thread, one thread per connection, the list stop walks to end
 * them, and the counters. */
#include "proxy_int.h"

#include "log.h"
#include "proxy_ticket.h"
#include "util/lockorder.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct proxy {
	char *path, *engine, *group;
	int lfd, stop_pipe[2];
	pthread_t accept_thread;
	int accepting;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct proxy_conn *conns; /* (lock) */
	size_t nconns;            /* (lock) */
	int stopping;             /* (lock) */
	struct proxy_access *access;
	struct proxy_tickets *tickets;
	struct proxy_deps deps;                                          /* given to proxy_start */
	unsigned long long counters[PROXY_NCOUNTERS], connections, busy; /* atomic */
};

static struct proxy *fail(struct proxy *p, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct proxy *
fail(struct proxy *p, char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	proxy_free(p);
	return NULL;
}

const char *
proxy_engine_socket(const struct proxy *p)
{
	return p->engine;
}

struct proxy_tickets *
proxy_tickets(struct proxy *p)
{
	return p != NULL ? p->tickets : NULL;
}

struct proxy_access *
proxy_access(struct proxy *p)
{
	return p->access;
}

void
proxy_count(struct proxy *p, int what)
{
	__atomic_add_fetch(&p->counters[what], 1, __ATOMIC_RELAXED);
}

void
proxy_conn_set_engine(struct proxy_conn *c, int fd)
{
	lockorder_lock(&c->p->lock, LOCK_PROXY);
	c->efd = fd;
	if (fd >= 0 && c->p->stopping)
		shutdown(fd, SHUT_RDWR);
	lockorder_unlock(&c->p->lock, LOCK_PROXY);
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */

/* Take c off the list (stop no longer sees it), close its client, free. */
static void
conn_end(struct proxy_conn *c)
{
	struct proxy *p = c->p;

	lockorder_lock(&p->lock, LOCK_PROXY);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (--p->nconns == 0)
		pthread_cond_broadcast(&p->idle);
	lockorder_unlock(&p->lock, LOCK_PROXY);
	close(c->cfd);
	free(c);
}

static void *
conn_main(void *arg)
{
	proxy_conn_serve(arg);
	conn_end(arg);
	return NULL;
}

/* Too many connections (in all, or from one user): say so and close. */
static void
turn_away(int fd, int one_user)
{
#define BUSY_BODY "{\"message\":\"lockset: too many connections to the docker proxy\"}\n"
#define USER_BODY \
	"{\"message\":\"lockset: too many connections to the docker proxy from this user\"}\n"
	static const char busy[] =
	    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	    "Connection: close\r\nContent-Length: 64\r\n\r\n" BUSY_BODY;
	static const char user[] =
	    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	    "Connection: close\r\nContent-Length: 79\r\n\r\n" USER_BODY;
	_Static_assert(sizeof(BUSY_BODY) - 1 == 64, "the Content-Length of the busy reply");
	_Static_assert(sizeof(USER_BODY) - 1 == 79, "the Content-Length of the user's busy reply");
	ssize_t n = one_user ? send(fd, user, sizeof(user) - 1, MSG_NOSIGNAL | MSG_DONTWAIT)
	                     : send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
#undef BUSY_BODY
#undef USER_BODY

	(void)n;
	close(fd);
}

/* The connecting uid, or (uid_t)-1. */
static uid_t
peer_uid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
		return (uid_t)-1;
	return cr.uid;
}

/* How many connections uid holds (lock). */
static size_t
held_by(const struct proxy *p, uid_t uid)
{
	size_t n = 0;

	for (const struct proxy_conn *x = p->conns; x != NULL; x = x->next)
		n += x->uid == uid;
	return n;
}

int
proxy_body_reserve(struct proxy_conn *c, size_t n)
{
	struct proxy *p = c->p;
	size_t mine = 0, all = 0;
	int rc = 0;

	if (c->uid == 0)
		return 0;
	lockorder_lock(&p->lock, LOCK_PROXY);
	for (const struct proxy_conn *x = p->conns; x != NULL; x = x->next) {
		all += x->body_mem;
		mine += x->uid == c->uid ? x->body_mem : 0;
	}
	if (mine + n > PROXY_BODY_MEM_PER_USER || all + n > PROXY_BODY_MEM)
		rc = -1;
	else
		c->body_mem += n;
	lockorder_unlock(&p->lock, LOCK_PROXY);
	return rc;
}

void
proxy_body_release(struct proxy_conn *c)
{
	if (c->body_mem == 0)
		return;
	lockorder_lock(&c->p->lock, LOCK_PROXY);
	c->body_mem = 0;
	lockorder_unlock(&c->p->lock, LOCK_PROXY);
}

static void
take(struct proxy *p, int fd)
{
	struct proxy_conn *c = calloc(1, sizeof(*c));
	uid_t uid = peer_uid(fd);
	pthread_attr_t attr;
	pthread_t t;
	int rc, one_user = 0;

	lockorder_lock(&p->lock, LOCK_PROXY);
	/* One user may not take every connection from the others (root may:
	 * it reaches dockerd's own socket anyway). */
	if (c != NULL && !p->stopping && p->nconns < PROXY_MAX_CONNS && uid != 0)
		one_user = held_by(p, uid) >= PROXY_MAX_CONNS_PER_USER;
	if (c == NULL || p->nconns >= PROXY_MAX_CONNS || p->stopping || one_user) {
		lockorder_unlock(&p->lock, LOCK_PROXY);
		free(c);
		__atomic_add_fetch(&p->busy, 1, __ATOMIC_RELAXED);
		turn_away(fd, one_user);
		return;
	}
	c->p = p;
	c->uid = uid;
	c->cfd = fd;
	c->efd = -1;
	c->next = p->conns;
	if (p->conns != NULL)
		p->conns->prev = c;
	p->conns = c;
	p->nconns++;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	rc = pthread_create(&t, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	lockorder_unlock(&p->lock, LOCK_PROXY);
	__atomic_add_fetch(&p->connections, 1, __ATOMIC_RELAXED);
	if (rc != 0) {
		log_warnx("proxy: cannot start a connection thread");
		conn_end(c);
	}
}

static void *
accept_main(void *arg)
{
	struct proxy *p = arg;
	struct pollfd fds[2] = {{p->lfd, POLLIN, 0}, {p->stop_pipe[0], POLLIN, 0}};

	for (;;) {
		int fd;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents != 0)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			take(p, fd);
		else if (errno == EMFILE || errno == ENFILE)
			poll(NULL, 0, 100); /* out of descriptors: let some close */
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop                                                           */

static int
open_socket(struct proxy *p, const char *group, char **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct group gr, *res = NULL;
	char buf[16384];
	struct stat st;
	gid_t gid = 0;
	mode_t old;

	if (strlen(p->path) >= sizeof(sa.sun_path))
		return fail(NULL, err, "--docker-proxy %s: path too long", p->path), -1;
	if (group != NULL && group[0] != '\0') {
		if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
			return fail(NULL, err, "--docker-proxy-group %s: no such group", group), -1;
		gid = gr.gr_gid;
	}
	memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
	if (lstat(p->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(NULL, err, "%s: exists and is not a socket", p->path), -1;
		unlink(p->path);
	}
	if ((p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return fail(NULL, err, "%s: socket: %s", p->path, strerror(errno)), -1;
	old = umask(0177);
	if (bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		umask(old);
		return fail(NULL, err, "%s: bind: %s", p->path, strerror(e)), -1;
	}
	umask(old);
	if ((res != NULL && (chown(p->path, 0, gid) != 0 || chmod(p->path, 0660) != 0)) ||
	    listen(p->lfd, 512) != 0)
		return fail(NULL, err, "%s: %s", p->path, strerror(errno)), -1;
	return 0;
}

struct proxy *
proxy_open(const struct proxy_opts *o, char **err)
{
	struct proxy *p = calloc(1, sizeof(*p));

	*err = NULL;
	if (p == NULL)
		return fail(NULL, err, "out of memory");
	p->lfd = p->stop_pipe[0] = p->stop_pipe[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->idle, NULL);
	if (strncmp(o->listen, "unix:", 5) != 0 || o->listen[5] != '/')
		return fail(p, err, "--docker-proxy %s: expected unix:/absolute/path", o->listen);
	if (o->engine_socket == NULL || o->engine_socket[0] == '\0')
		return fail(p, err, "--docker-proxy needs --engine-socket (dockerd's own socket)");
	if ((p->path = strdup(o->listen + 5)) == NULL ||
	    (p->engine = strdup(o->engine_socket)) == NULL ||
	    (p->group = strdup(o->group != NULL ? o->group : "")) == NULL)
		return fail(p, err, "out of memory");
	if (strcmp(p->path, p->engine) == 0)
		return fail(p, err, "--docker-proxy and --engine-socket are the same socket (%s)",
		            p->path);
	if (open_socket(p, o->group, err) != 0) {
		proxy_free(p);
		return NULL;
	}
	return p;
}

int
proxy_start_access(struct proxy *p, char **err)
{
	*err = NULL;
	if ((p->tickets = proxy_tickets_new()) == NULL ||
	    (p->access = proxy_access_new()) == NULL) {
		*err = strdup("cannot start the docker proxy's access thread");
		return -1;
	}
	return 0;
}

int
proxy_start(struct proxy *p, struct judge *judge, struct containers *containers, char **err)
{
	*err = NULL;
	p->deps.judge = judge;
	p->deps.containers = containers;
	if (pipe2(p->stop_pipe, O_CLOEXEC) != 0 ||
	    pthread_create(&p->accept_thread, NULL, accept_main, p) != 0) {
		*err = strdup("cannot start the docker proxy's accept thread");
		return -1;
	}
	p->accepting = 1;
	log_info("docker proxy on %s (group %s), engine at %s", p->path,
	         p->group[0] != '\0' ? p->group : "root only", p->engine);
	return 0;
}

void
proxy_stop(struct proxy *p)
{
	if (p == NULL)
		return;
	if (p->accepting) {
		ssize_t n = write(p->stop_pipe[1], "x", 1);

		(void)n;
		pthread_join(p->accept_thread, NULL);
		p->accepting = 0;
	}
	if (p->lfd >= 0) {
		close(p->lfd);
		unlink(p->path);
		p->lfd = -1;
	}
	lockorder_lock(&p->lock, LOCK_PROXY);
	p->stopping = 1;
	for (struct proxy_conn *c = p->conns; c != NULL; c = c->next) {
		shutdown(c->cfd, SHUT_RDWR);
		if (c->efd >= 0)
			shutdown(c->efd, SHUT_RDWR);
	}
	while (p->nconns > 0)
		pthread_cond_wait(&p->idle, &p->lock);
	lockorder_unlock(&p->lock, LOCK_PROXY);
	proxy_access_free(p->access);
	p->access = NULL;
}

void
proxy_free(struct proxy *p)
{
	if (p == NULL)
		return;
	proxy_stop(p);
	proxy_tickets_free(p->tickets);
	if (p->stop_pipe[0] >= 0) {
		close(p->stop_pipe[0]);
		close(p->stop_pipe[1]);
	}
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p->path);
	free(p->engine);
	free(p->group);
	free(p);
}

void
proxy_metrics(struct proxy *p, FILE *out)
{
	if (p == NULL)
		return;
	fprintf(out,
	        "# HELP lockset_proxy_connections_total Connections to the docker proxy, and "
	        "those turned away (too many).\n"
	        "# TYPE lockset_proxy_connections_total counter\n"
	        "lockset_proxy_connections_total{result=\"served\"} %llu\n"
	        "lockset_proxy_connections_total{result=\"busy\"} %llu\n"
	        "# HELP lockset_proxy_requests_total Requests through the docker proxy, by "
	        "outcome.\n"
	        "# TYPE lockset_proxy_requests_total counter\n"
	        "lockset_proxy_requests_total{result=\"forwarded\"} %llu\n"
	        "lockset_proxy_requests_total{result=\"denied\"} %llu\n"
	        "lockset_proxy_requests_total{result=\"refused\"} %llu\n"
	        "lockset_proxy_requests_total{result=\"upgraded\"} %llu\n",
	        __atomic_load_n(&p->connections, __ATOMIC_RELAXED),
	        __atomic_load_n(&p->busy, __ATOMIC_RELAXED),
	        __atomic_load_n(&p->counters[PROXY_FORWARDED], __ATOMIC_RELAXED),
	        __atomic_load_n(&p->counters[PROXY_DENIED], __ATOMIC_RELAXED),
	        __atomic_load_n(&p->counters[PROXY_REFUSED], __ATOMIC_RELAXED),
	        __atomic_load_n(&p->counters[PROXY_UPGRADED], __ATOMIC_RELAXED));
}

const struct proxy_deps *
proxy_deps_of(const struct proxy *p)
{
	return &p->deps;
}
