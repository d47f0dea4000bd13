/* SPDX-License-Identifier: Apache-2.0 */
/* Connection admission and the request deadline (see http_conn.h). Counts
 * are kept per listener under its registry's lock, taken when a connection
 * opens or closes; requests in between touch only their own connection's
 * atomics. */
#include "http_conn.h"

#include "log.h"
#include "util/lockorder.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEER_BUCKETS   1024
#define REFUSED_IDLE_S 1 /* a refused connection that sends nothing is closed after this */
#define MAX_LIMITS     16

struct peer_count {
	char key[64];
	unsigned n;
	struct peer_count *next;
};

struct conn_limits {
	struct conn_registry *reg; /* the registry it is counted in */
	char *spec;
	struct conn_caps caps;
	unsigned open;   /* every connection libmicrohttpd holds */
	unsigned served; /* non-root connections served */
	unsigned root;   /* root connections */
	unsigned long long refused_listener, refused_peer, cut;
	struct peer_count *peers[PEER_BUCKETS];
};

struct conn_registry {
	pthread_mutex_t lock;
	struct conn_info *open;              /* every open connection */
	struct conn_limits *all[MAX_LIMITS]; /* every listener's accounting */
	size_t nall;
	pthread_t janitor;
	pthread_cond_t janitor_cond; /* on CLOCK_MONOTONIC */
	int janitor_running, janitor_stop;
	unsigned deadline_s;
};

static long long
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

struct conn_registry *
http_conn_registry_new(void)
{
	struct conn_registry *r = calloc(1, sizeof(*r));
	pthread_condattr_t attr;

	if (r == NULL)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->janitor_cond, &attr);
	pthread_condattr_destroy(&attr);
	return r;
}

void
http_conn_registry_free(struct conn_registry *r)
{
	if (r == NULL)
		return;
	http_conn_stop(r);
	pthread_cond_destroy(&r->janitor_cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ------------------------------------------------------------------------ */
/* The budget */

long
http_conn_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t before = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("cannot raise the descriptor limit from %llu to %llu",
			         (unsigned long long)before, (unsigned long long)rl.rlim_max);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

int
http_conn_plan(size_t n_api, size_t n_unix_api, size_t n_authz, unsigned max_conn,
               unsigned per_peer, struct conn_caps *api, struct conn_caps *authz)
{
	struct rlimit rl;
	long nofile, avail;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	nofile = rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
	memset(authz, 0, sizeof(*authz));
	memset(api, 0, sizeof(*api));
	authz->hard = authz->soft = authz->per_peer = HTTP_AUTHZ_CONNECTIONS;
	authz->authz = 1;
	avail = nofile - HTTP_FD_RESERVE_INTERNAL - (long)n_authz * HTTP_AUTHZ_CONNECTIONS -
	        (long)n_unix_api * HTTP_ADMIN_RESERVE;
	if (n_api == 0)
		return 0;
	if (avail / (long)n_api < 32) {
		log_warnx("a descriptor limit of %ld leaves too little for %zu REST listener%s: "
		          "raise it (LimitNOFILE=)",
		          nofile, n_api, n_api == 1 ? "" : "s");
		return -1;
	}
	api->hard = (unsigned)(avail / (long)n_api);
	if (max_conn > 0 && max_conn + max_conn / 16 + 4 < api->hard)
		api->hard = max_conn + max_conn / 16 + 4;
	/* The last slots take the excess long enough to be told "503". */
	api->soft = api->hard - (api->hard / 16 > 4 ? api->hard / 16 : 4);
	api->per_peer = per_peer > 0 && per_peer < api->soft ? per_peer : api->soft;
	api->admin = HTTP_ADMIN_RESERVE;
	log_info("connections: %ld descriptors; each REST listener serves %u (%u per peer, "
	         "%u more for root on Unix sockets), each plugin socket %u",
	         nofile, api->soft, api->per_peer, api->admin, authz->hard);
	return 0;
}

struct conn_limits *
http_conn_limits_new(struct conn_registry *r, const char *spec, const struct conn_caps *caps)
{
	struct conn_limits *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->spec = strdup(spec)) == NULL) {
		free(l);
		return NULL;
	}
	l->reg = r;
	l->caps = *caps;
	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	if (r->nall < MAX_LIMITS)
		r->all[r->nall++] = l;
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
	return l;
}

void
http_conn_limits_free(struct conn_limits *l)
{
	struct conn_registry *r;

	if (l == NULL)
		return;
	r = l->reg;
	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	for (size_t i = 0; i < r->nall; i++) {
		if (r->all[i] == l) {
			r->all[i] = r->all[--r->nall];
			break;
		}
	}
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
	for (size_t i = 0; i < PEER_BUCKETS; i++) {
		while (l->peers[i] != NULL) {
			struct peer_count *p = l->peers[i];
			l->peers[i] = p->next;
			free(p);
		}
	}
	free(l->spec);
	free(l);
}

unsigned
http_conn_mhd_limit(const struct conn_limits *l)
{
	return l->caps.hard + l->caps.admin;
}

unsigned
http_conn_rest_capacity(struct conn_registry *r)
{
	unsigned n = 0;

	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	for (size_t i = 0; i < r->nall; i++)
		n += r->all[i]->caps.authz ? 0 : r->all[i]->caps.soft;
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Admission */

static unsigned
peer_hash(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % PEER_BUCKETS;
}

/* The count of key (created at 0). Caller holds l->reg->lock. NULL on ENOMEM. */
static struct peer_count *
peer_find(struct conn_limits *l, const char *key, int create)
{
	unsigned h = peer_hash(key);
	struct peer_count *p;

	for (p = l->peers[h]; p != NULL; p = p->next)
		if (strcmp(p->key, key) == 0)
			return p;
	if (!create || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->next = l->peers[h];
	l->peers[h] = p;
	return p;
}

static void
peer_release(struct conn_limits *l, struct peer_count *pc)
{
	struct peer_count **pp;

	if (--pc->n != 0)
		return;
	for (pp = &l->peers[peer_hash(pc->key)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == pc) {
			*pp = pc->next;
			free(pc);
			return;
		}
	}
}

/* The refusal, in the JSON error shape, written before the client has said
 * anything: a flood is answered at the rate connections are accepted, and
 * a slot is free again as soon as the client goes. Only the write side is
 * shut, so a request already sent is read (and dropped), not reset. */
static void
tell_refused(struct conn_info *ci)
{
	static const char peer_full[] =
	    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
	    "Cache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\n"
	    "Content-Length: 82\r\n\r\n"
	    "{\"error\":{\"code\":\"rate_limited\",\"message\":\"too many connections from "
	    "this peer\"}}\n";
	static const char listener_full[] =
	    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	    "Cache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\n"
	    "Content-Length: 83\r\n\r\n"
	    "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections: try "
	    "again later\"}}\n";
	const char *msg = ci->refused == CONN_PEER_FULL ? peer_full : listener_full;
	size_t len =
	    ci->refused == CONN_PEER_FULL ? sizeof(peer_full) - 1 : sizeof(listener_full) - 1;

	if (send(ci->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len) {
		shutdown(ci->fd, SHUT_WR);
		ci->told = 1;
	}
}

void
http_conn_opened(struct conn_limits *l, struct conn_info *ci, struct MHD_Connection *conn)
{
	struct conn_registry *r = l->reg;
	struct peer_count *pc = NULL;
	char key[64] = "";

	ci->limits = l;
	ci->root = ci->peer.is_unix && ci->peer.uid == 0;
	ci->since = mono_now();
	/* A plugin socket's one peer may hold all its connections (per_peer is
	 * its cap): its connections, one a decision, skip the peer table. */
	if (!l->caps.authz)
		auth_peer_key(&ci->peer, key, sizeof(key));
	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	l->open++;
	if (ci->root) {
		l->root++;
	} else if (l->served >= l->caps.soft) {
		ci->refused = CONN_LISTENER_FULL;
		l->refused_listener++;
	} else if (l->caps.authz) {
		l->served++;
	} else if ((pc = peer_find(l, key, 1)) == NULL || pc->n >= l->caps.per_peer) {
		ci->refused = CONN_PEER_FULL;
		l->refused_peer++;
	} else {
		pc->n++;
		ci->counted = pc;
		l->served++;
	}
	ci->prev = NULL;
	ci->next = r->open;
	if (r->open != NULL)
		r->open->prev = ci;
	r->open = ci;
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
	if (ci->refused == CONN_SERVED)
		return;
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, REFUSED_IDLE_S);
	if (l->caps.plain && ci->fd >= 0)
		tell_refused(ci);
}

void
http_conn_closed(struct conn_info *ci)
{
	struct conn_limits *l = ci->limits;

	if (l == NULL)
		return;
	lockorder_lock(&l->reg->lock, LOCK_HTTP_CONNS);
	l->open--;
	if (ci->root)
		l->root--;
	if (ci->counted != NULL)
		peer_release(l, ci->counted);
	if (!ci->root && ci->refused == CONN_SERVED)
		l->served--;
	if (ci->prev != NULL)
		ci->prev->next = ci->next;
	else if (l->reg->open == ci)
		l->reg->open = ci->next;
	if (ci->next != NULL)
		ci->next->prev = ci->prev;
	lockorder_unlock(&l->reg->lock, LOCK_HTTP_CONNS);
	ci->limits = NULL;
}

void
http_conn_busy(struct conn_info *ci, int busy)
{
	if (!busy)
		__atomic_store_n(&ci->since, mono_now(), __ATOMIC_RELAXED);
	__atomic_store_n(&ci->busy, busy, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------ */
/* The request deadline */

/* Cut every connection whose request is overdue. Caller holds r->lock; the
 * descriptors stay open until libmicrohttpd, seeing the shutdown, closes
 * them and tells http_conn_closed (which needs the lock: no reuse races). */
static void
cut_overdue(struct conn_registry *r, long long now)
{
	for (struct conn_info *ci = r->open; ci != NULL; ci = ci->next) {
		long long limit =
		    ci->refused != CONN_SERVED ? REFUSED_IDLE_S : (long long)r->deadline_s;

		if (ci->cut || __atomic_load_n(&ci->busy, __ATOMIC_ACQUIRE) ||
		    now - __atomic_load_n(&ci->since, __ATOMIC_RELAXED) <= limit || ci->fd < 0)
			continue;
		if (shutdown(ci->fd, SHUT_RDWR) == 0 || errno == ENOTCONN) {
			ci->cut = 1;
			ci->limits->cut++;
		}
	}
}

static void *
janitor_main(void *arg)
{
	struct conn_registry *r = arg;

	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	while (!r->janitor_stop) {
		struct timespec ts;

		cut_overdue(r, mono_now());
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&r->janitor_cond, &r->lock, &ts);
	}
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
	return NULL;
}

int
http_conn_start(struct conn_registry *r, unsigned timeout)
{
	r->deadline_s = timeout;
	r->janitor_stop = 0;
	if (pthread_create(&r->janitor, NULL, janitor_main, r) != 0)
		return -1;
	r->janitor_running = 1;
	return 0;
}

void
http_conn_stop(struct conn_registry *r)
{
	if (r == NULL || !r->janitor_running)
		return;
	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	r->janitor_stop = 1;
	pthread_cond_signal(&r->janitor_cond);
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
	pthread_join(r->janitor, NULL);
	r->janitor_running = 0;
}

/* ------------------------------------------------------------------------ */
/* Metrics */

/* One metric family: its samples, one per listener, grouped. */
static void
metric_family(const struct conn_registry *r, FILE *out, const char *name, const char *type,
              const char *help, const char *label,
              unsigned long long (*value)(const struct conn_limits *))
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (size_t i = 0; i < r->nall; i++)
		fprintf(out, "%s{listener=\"%s\"%s} %llu\n", name, r->all[i]->spec, label,
		        value(r->all[i]));
}

static unsigned long long
v_open(const struct conn_limits *l)
{
	return l->open;
}

static unsigned long long
v_cap(const struct conn_limits *l)
{
	return l->caps.soft;
}

static unsigned long long
v_per_peer(const struct conn_limits *l)
{
	return l->caps.per_peer;
}

static unsigned long long
v_admin(const struct conn_limits *l)
{
	return l->caps.admin;
}

static unsigned long long
v_refused_listener(const struct conn_limits *l)
{
	return l->refused_listener;
}

static unsigned long long
v_refused_peer(const struct conn_limits *l)
{
	return l->refused_peer;
}

static unsigned long long
v_cut(const struct conn_limits *l)
{
	return l->cut;
}

void
http_conn_metrics(struct conn_registry *r, FILE *out)
{
	lockorder_lock(&r->lock, LOCK_HTTP_CONNS);
	metric_family(r, out, "lockset_connections", "gauge", "Open connections per listener.", "",
	              v_open);
	fprintf(out, "# HELP lockset_connections_limit Connections a listener serves at most "
	             "(cap), per peer, and more for root (admin).\n"
	             "# TYPE lockset_connections_limit gauge\n");
	for (size_t i = 0; i < r->nall; i++) {
		unsigned long long (*const fns[])(const struct conn_limits *) = {v_cap, v_per_peer,
		                                                                 v_admin};
		static const char *const what[] = {"cap", "per_peer", "admin"};

		for (size_t k = 0; k < 3; k++)
			fprintf(out,
			        "lockset_connections_limit{listener=\"%s\",what=\"%s\"} %llu\n",
			        r->all[i]->spec, what[k], fns[k](r->all[i]));
	}
	fprintf(out, "# HELP lockset_connections_refused_total Connections refused, by reason.\n"
	             "# TYPE lockset_connections_refused_total counter\n");
	for (size_t i = 0; i < r->nall; i++)
		fprintf(out,
		        "lockset_connections_refused_total{listener=\"%s\",reason=\"listener\"} "
		        "%llu\n"
		        "lockset_connections_refused_total{listener=\"%s\",reason=\"peer\"} %llu\n",
		        r->all[i]->spec, v_refused_listener(r->all[i]), r->all[i]->spec,
		        v_refused_peer(r->all[i]));
	metric_family(r, out, "lockset_connections_cut_total", "counter",
	              "Connections closed for not sending a whole request within the connection "
	              "timeout.",
	              "", v_cut);
	lockorder_unlock(&r->lock, LOCK_HTTP_CONNS);
}
