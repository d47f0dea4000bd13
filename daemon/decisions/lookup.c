/* SPDX-License-Identifier: Apache-2.0 */
/* Container, volume and network lookups for judgements: a memo per
 * judgement, the records read on the judging thread, and a queue of
 * judgements waiting for the engine, served by a few lookup threads. */
#include "lookup.h"

#include "containers/containers.h"
#include "containers/engineclient.h"
#include "log.h"
#include "util/lockorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* MEMO_ABSENT: the engine has no such object (volumes only). */
enum memo_state { MEMO_FOUND, MEMO_ABSENT, MEMO_UNKNOWN, MEMO_MISSING };

/* What one judgement learnt about one container. */
struct memo {
	char *ref;
	enum memo_state state;
	struct decide_mounts mounts;
	/* A record's mounts, missing its namespaces, volume drivers or what it
	 * runs with (written before lockset kept them), which the engine is
	 * asked for. */
	int partial;
};

/* What one judgement learnt about one volume it mounts by name, one network
 * a service attaches to, or one exec instance it starts. */
enum object_kind { OBJ_VOLUME, OBJ_NETWORK, OBJ_EXEC, OBJ_KINDS };
static const char *const object_names[OBJ_KINDS] = {"volume", "network", "exec"};

struct omemo {
	enum object_kind kind;
	char *name;
	enum memo_state state;
	/* MEMO_FOUND: its driver (and a volume's options); an exec's container
	 * id in driver. */
	struct decide_volume v;
};

struct lookup_set {
	struct lookup *l;
	decide_container_fn given;
	void *given_arg;
	struct memo v[LOOKUP_MAX_REFS];
	size_t n, missing; /* missing: containers, volumes and networks */
	struct omemo obj[LOOKUP_MAX_OBJECTS];
	size_t nobj;
	int final;  /* handed to the engine: given is not asked, nothing more is queued */
	int rounds; /* lookup_set_resolve calls so far */
	long long policy_version;
	void (*done)(void *arg);
	void *done_arg;
	struct lookup_set *next; /* queue link */
};

struct lookup {
	struct containers *records;
	char *socket; /* NULL: no engine */
	int timeout_ms;
	pthread_t threads[LOOKUP_THREADS];
	int nthreads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct lookup_set *head, *tail; /* queue (lock) */
	size_t queued;                  /* (lock) */
	int stopping;                   /* (lock) */
	/* Counters (atomic). */
	unsigned long long record_hits, engine_found, engine_unknown, engine_refused, queue_full;
	unsigned long long obj_found[OBJ_KINDS], obj_absent[OBJ_KINDS], obj_unknown[OBJ_KINDS];
};

/* ------------------------------------------------------------------------ */
/* Sets                                                                     */

struct lookup_set *
lookup_set_new(struct lookup *l, decide_container_fn given, void *given_arg)
{
	struct lookup_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->l = l;
	s->given = given;
	s->given_arg = given_arg;
	return s;
}

void
lookup_set_free(struct lookup_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].ref);
		decide_mounts_clear(&s->v[i].mounts);
	}
	for (size_t i = 0; i < s->nobj; i++) {
		free(s->obj[i].name);
		decide_volume_clear(&s->obj[i].v);
	}
	free(s);
}

void
lookup_set_seal(struct lookup_set *s)
{
	if (s == NULL)
		return;
	s->final = 1;
	s->given = NULL;
}

size_t
lookup_set_missing(const struct lookup_set *s)
{
	return s != NULL ? s->missing : 0;
}

/* The record of a full id: 1 with its mounts moved into *m, else 0. A
 * record that cannot be read is a miss: the engine is asked instead. */
static int
from_records(struct lookup *l, const char *ref, struct decide_mounts *m)
{
	struct containers_entry e;

	if (l == NULL || l->records == NULL || !containers_is_id(ref) ||
	    containers_lookup(l->records, ref, CONTAINERS_BY_ID, &e) != 1)
		return 0;
	decide_mounts_move(m, &e.mounts);
	free(m->image);
	m->image = e.image; /* the socket-mount list judges by the container's image */
	e.image = NULL;
	containers_entry_clear(&e);
	__atomic_add_fetch(&l->record_hits, 1, __ATOMIC_RELAXED);
	return 1;
}

int
lookup_set_container(void *arg, const char *ref, struct decide_mounts *out)
{
	struct lookup_set *s = arg;
	struct memo *m;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].ref, ref) == 0)
			return s->v[i].state == MEMO_FOUND
			           ? (decide_mounts_copy(out, &s->v[i].mounts) == 0 ? 1 : -1)
			           : 0;
	if (s->n == LOOKUP_MAX_REFS)
		return 0; /* more containers than anyone names: unknown */
	m = &s->v[s->n];
	memset(m, 0, sizeof(*m));
	if (!s->final && s->given != NULL && (rc = s->given(s->given_arg, ref, &m->mounts)) == -1) {
		decide_mounts_clear(&m->mounts);
		return -1;
	}
	if (rc == 0) {
		decide_mounts_clear(&m->mounts);
		rc = from_records(s->l, ref, &m->mounts);
		/* A record from before namespaces (migrations 0007, 0012),
		 * volume drivers (0009) or what it runs with (0013) were kept has
		 * its mounts but says nothing of those, nor does one of a
		 * container that joined another the records did not know of its
		 * user namespace: the engine is asked for them alone, and the
		 * record's mounts stay what is judged. */
		m->partial = rc == 1 &&
		             (!(m->mounts.ns_known & DECIDE_NS_USER) || !m->mounts.drivers_known ||
		              m->mounts.flags == NULL) &&
		             !s->final && s->l != NULL && s->l->socket != NULL;
	}
	if ((m->ref = strdup(ref)) == NULL) {
		decide_mounts_clear(&m->mounts);
		return -1;
	}
	s->n++;
	m->state = m->partial ? MEMO_MISSING
	           : rc == 1  ? MEMO_FOUND
	           : s->final ? MEMO_UNKNOWN
	                      : MEMO_MISSING;
	if (m->state == MEMO_MISSING)
		s->missing++;
	return rc == 1 && !m->partial ? (decide_mounts_copy(out, &m->mounts) == 0 ? 1 : -1) : 0;
}

/* What the set knows of the kind object called name: 1 with it in *out
 * (zeroed first), 2 when it does not exist, 0 unknown (noted for the engine
 * unless final), -1 ENOMEM. */
static int
set_object(struct lookup_set *s, enum object_kind kind, const char *name, struct decide_volume *out)
{
	struct omemo *m;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nobj; i++) {
		const struct decide_volopts *o = &s->obj[i].v.opts;

		if (s->obj[i].kind != kind || strcmp(s->obj[i].name, name) != 0)
			continue;
		if (s->obj[i].state == MEMO_ABSENT)
			return 2;
		if (s->obj[i].state != MEMO_FOUND)
			return 0;
		memcpy(out->driver, s->obj[i].v.driver, sizeof(out->driver));
		return decide_volopts_set(&out->opts, o->name, o->type, o->o, o->device) == 0 ? 1
		                                                                              : -1;
	}
	if (s->nobj == LOOKUP_MAX_OBJECTS)
		return 0; /* more than anyone names: unknown */
	m = &s->obj[s->nobj];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	if ((m->name = strdup(name)) == NULL)
		return -1;
	s->nobj++;
	m->state = s->final ? MEMO_UNKNOWN : MEMO_MISSING;
	if (m->state == MEMO_MISSING)
		s->missing++;
	return 0;
}

int
lookup_set_volume(void *arg, const char *name, struct decide_volume *out)
{
	return set_object(arg, OBJ_VOLUME, name, out);
}

/* What the set knows of a network or an exec: its driver, its container. */
static int
set_named(void *arg, enum object_kind kind, const char *ref, char *buf, size_t bufsz)
{
	struct decide_volume v;
	int rc = set_object(arg, kind, ref, &v);

	if (rc == 1)
		snprintf(buf, bufsz, "%s", v.driver);
	decide_volume_clear(&v);
	return rc == 2 ? 0 : rc;
}

int
lookup_set_network(void *arg, const char *ref, char *drv, size_t drvsz)
{
	return set_named(arg, OBJ_NETWORK, ref, drv, drvsz);
}

int
lookup_set_exec(void *arg, const char *id, char *container, size_t sz)
{
	return set_named(arg, OBJ_EXEC, id, container, sz);
}

/* ------------------------------------------------------------------------ */
/* The engine, on lookup threads                                            */

static void
resolve_object(struct lookup *l, struct omemo *m)
{
	char err[256] = "";
	int rc = m->kind == OBJ_VOLUME ? engineclient_volume(l->socket, l->timeout_ms, m->name,
	                                                     &m->v, err, sizeof(err))
	         : m->kind == OBJ_NETWORK
	             ? engineclient_network(l->socket, l->timeout_ms, m->name, m->v.driver,
	                                    sizeof(m->v.driver), err, sizeof(err))
	             : engineclient_exec(l->socket, l->timeout_ms, m->name, m->v.driver,
	                                 sizeof(m->v.driver), err, sizeof(err));

	m->state = rc == 1 ? MEMO_FOUND : rc == 2 ? MEMO_ABSENT : MEMO_UNKNOWN;
	if (rc == 0) {
		__atomic_add_fetch(&l->obj_unknown[m->kind], 1, __ATOMIC_RELAXED);
		log_info("%s %s is unknown: %s", object_names[m->kind], m->name, err);
	} else
		__atomic_add_fetch(rc == 1 ? &l->obj_found[m->kind] : &l->obj_absent[m->kind], 1,
		                   __ATOMIC_RELAXED);
}

static void
resolve_one(struct lookup *l, struct lookup_set *s, struct memo *m)
{
	struct containers_entry e;
	unsigned long gen = l->records != NULL ? containers_generation(l->records) : 0;
	char err[256] = "";
	int cacheable = 0, rc;

	rc = engineclient_container(l->socket, l->timeout_ms, m->ref, &e, &cacheable, err,
	                            sizeof(err));
	if (m->partial) {
		/* The record stands; the engine adds what it shares and the
		 * drivers of its volumes, if it can, and (a record from before
		 * 0009, which may have been the engine's answer then) the local
		 * volumes that mount a file system of the host's. */
		m->state = MEMO_FOUND;
		if (rc == 1 && !(m->mounts.ns_known & DECIDE_NS_USER)) {
			m->mounts.ns_known = e.mounts.ns_known;
			m->mounts.ns_host = e.mounts.ns_host;
		}
		if (rc == 1 && m->mounts.flags == NULL) {
			m->mounts.flags = e.mounts.flags;
			e.mounts.flags = NULL;
		}
		if (rc == 1 && !m->mounts.drivers_known) {
			m->mounts.drivers_known = e.mounts.drivers_known;
			for (size_t i = 0; i < e.mounts.ndrivers; i++)
				if (decide_mounts_add_driver(&m->mounts, e.mounts.drivers[i]) != 0)
					m->state = MEMO_UNKNOWN;
			for (size_t i = 0; i < e.mounts.nvols; i++)
				if (decide_mounts_add_vol(&m->mounts, &e.mounts.vols[i]) != 0)
					m->state = MEMO_UNKNOWN;
		}
		containers_entry_clear(&e);
		return;
	}
	if (rc != 1) {
		m->state = MEMO_UNKNOWN;
		__atomic_add_fetch(&l->engine_unknown, 1, __ATOMIC_RELAXED);
		log_info("container %s is unknown: %s", m->ref, rc == 0 ? err : "out of memory");
		return;
	}
	__atomic_add_fetch(&l->engine_found, 1, __ATOMIC_RELAXED);
	if (l->records != NULL && cacheable) {
		e.policy_version = s->policy_version;
		if (containers_record(l->records, &e, gen) == 1)
			log_debug("container %.12s: not recorded, records changed meanwhile", e.id);
	}
	m->state = MEMO_FOUND;
	decide_mounts_move(&m->mounts, &e.mounts);
	if (m->mounts.image == NULL) {
		m->mounts.image = e.image;
		e.image = NULL;
	}
	containers_entry_clear(&e);
}

static void *
lookup_main(void *arg)
{
	struct lookup *l = arg;

	for (;;) {
		struct lookup_set *s;

		lockorder_lock(&l->lock, LOCK_LOOKUP);
		while (l->head == NULL && !l->stopping)
			pthread_cond_wait(&l->cond, &l->lock);
		if ((s = l->head) == NULL) {
			lockorder_unlock(&l->lock, LOCK_LOOKUP);
			return NULL;
		}
		if ((l->head = s->next) == NULL)
			l->tail = NULL;
		l->queued--;
		lockorder_unlock(&l->lock, LOCK_LOOKUP);
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i].state == MEMO_MISSING)
				resolve_one(l, s, &s->v[i]);
		for (size_t i = 0; i < s->nobj; i++)
			if (s->obj[i].state == MEMO_MISSING)
				resolve_object(l, &s->obj[i]);
		s->missing = 0;
		/* Another round may follow: what is asked about next is noted. */
		s->final = s->rounds >= LOOKUP_ROUNDS;
		/* The set belongs to the judgement again: no touching it after. */
		s->done(s->done_arg);
	}
}

int
lookup_set_resolve(struct lookup_set *s, long long policy_version, void (*done)(void *arg),
                   void *arg)
{
	struct lookup *l = s->l;
	int rc = -1;

	if (l == NULL || l->socket == NULL) {
		if (l != NULL)
			__atomic_add_fetch(&l->engine_refused, 1, __ATOMIC_RELAXED);
		return -1;
	}
	s->final = 1;
	s->given = NULL;
	s->rounds++;
	s->policy_version = policy_version;
	s->done = done;
	s->done_arg = arg;
	s->next = NULL;
	lockorder_lock(&l->lock, LOCK_LOOKUP);
	if (l->queued < LOOKUP_MAX_QUEUE && !l->stopping) {
		if (l->tail != NULL)
			l->tail->next = s;
		else
			l->head = s;
		l->tail = s;
		l->queued++;
		pthread_cond_signal(&l->cond);
		rc = 0;
	}
	lockorder_unlock(&l->lock, LOCK_LOOKUP);
	if (rc != 0) {
		__atomic_add_fetch(&l->queue_full, 1, __ATOMIC_RELAXED);
		log_warnx("container lookups: queue full; the containers stay unknown");
	}
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Start, stop, metrics                                                     */

struct lookup *
lookup_new(struct containers *records, const char *engine_socket, int timeout_ms)
{
	struct lookup *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->records = records;
	l->timeout_ms = timeout_ms > 0 ? timeout_ms : ENGINECLIENT_TIMEOUT_MS;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	if (engine_socket != NULL && engine_socket[0] != '\0' &&
	    (l->socket = strdup(engine_socket)) == NULL)
		goto fail;
	for (; l->socket != NULL && l->nthreads < LOOKUP_THREADS; l->nthreads++)
		if (pthread_create(&l->threads[l->nthreads], NULL, lookup_main, l) != 0) {
			log_warnx("container lookups: cannot start a thread");
			goto fail;
		}
	return l;
fail:
	lookup_free(l);
	return NULL;
}

void
lookup_stop(struct lookup *l)
{
	if (l == NULL)
		return;
	lockorder_lock(&l->lock, LOCK_LOOKUP);
	l->stopping = 1;
	pthread_cond_broadcast(&l->cond);
	lockorder_unlock(&l->lock, LOCK_LOOKUP);
	for (int i = 0; i < l->nthreads; i++)
		pthread_join(l->threads[i], NULL);
	l->nthreads = 0;
}

void
lookup_free(struct lookup *l)
{
	if (l == NULL)
		return;
	lookup_stop(l);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l->socket);
	free(l);
}

void
lookup_metrics(const struct lookup *l, FILE *out)
{
	if (l == NULL)
		return;
	fprintf(out,
	        "# HELP lockset_container_lookups_total Containers looked up for a start or "
	        "VolumesFrom, by source and result.\n"
	        "# TYPE lockset_container_lookups_total counter\n"
	        "lockset_container_lookups_total{source=\"record\",result=\"found\"} %llu\n"
	        "lockset_container_lookups_total{source=\"engine\",result=\"found\"} %llu\n"
	        "lockset_container_lookups_total{source=\"engine\",result=\"unknown\"} %llu\n"
	        "lockset_container_lookups_total{source=\"engine\",result=\"not_asked\"} %llu\n",
	        __atomic_load_n(&l->record_hits, __ATOMIC_RELAXED),
	        __atomic_load_n(&l->engine_found, __ATOMIC_RELAXED),
	        __atomic_load_n(&l->engine_unknown, __ATOMIC_RELAXED),
	        __atomic_load_n(&l->engine_refused, __ATOMIC_RELAXED) +
	            __atomic_load_n(&l->queue_full, __ATOMIC_RELAXED));
	fprintf(out, "# HELP lockset_engine_lookups_total Volumes mounted by name "
	             "(allowedVolumeDrivers), service networks (while the host network is "
	             "denied) and the containers of started execs (while the host's user "
	             "namespace is refused) looked up in the engine, by kind and result.\n"
	             "# TYPE lockset_engine_lookups_total counter\n");
	for (int k = 0; k < OBJ_KINDS; k++)
		fprintf(out,
		        "lockset_engine_lookups_total{kind=\"%s\",result=\"found\"} %llu\n"
		        "lockset_engine_lookups_total{kind=\"%s\",result=\"absent\"} %llu\n"
		        "lockset_engine_lookups_total{kind=\"%s\",result=\"unknown\"} %llu\n",
		        object_names[k], __atomic_load_n(&l->obj_found[k], __ATOMIC_RELAXED),
		        object_names[k], __atomic_load_n(&l->obj_absent[k], __ATOMIC_RELAXED),
		        object_names[k], __atomic_load_n(&l->obj_unknown[k], __ATOMIC_RELAXED));
}
