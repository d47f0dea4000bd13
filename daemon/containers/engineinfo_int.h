/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the engine checks (engineinfo.c): the state the checker thread and
 * the scan of the engine's containers (engineinfo_scan.c) share. */
#ifndef LOCKSET_ENGINEINFO_INT_H
#define LOCKSET_ENGINEINFO_INT_H

#include "engineclient.h"
#include "engineinfo.h"
#include "enginescan.h"
#include "policy/served.h"

#include <pthread.h>
#include <time.h>

struct waiter {
	void (*done)(void *arg);
	void *arg;
	unsigned long long need; /* released once done_gen reaches it */
	struct waiter *next;
};

struct engineinfo {
	struct served_hub *served; /* the policy whose changes it follows */
	char *socket;              /* NULL: no engine configured */
	int timeout_ms;
	pthread_t thread;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Checks (lock). */
	unsigned long long wanted, done_gen;
	int stopping, armed;
	struct waiter *waiters;
	size_t nwaiters;
	struct served_waiter policy; /* fires on every policy change */
	/* The last answer (lock). */
	enum decide_userns userns;
	struct engineclient_info info;
	char error[256];
	time_t checked_at;
	long long failed_ms; /* CLOCK_MONOTONIC ms of the last failed check, 0: none */
	/* While ECI is locked on: the containers in the host's user namespace
	 * (made before, or in audit mode), counted by the scan; -1 when they
	 * could not be listed. */
	int host_userns, host_userns_scanned;
	char host_userns_names[512];
	/* Its containers judged as their starts (enginescan.h), after every
	 * check the engine answered, once the sockets are known (sockets set). */
	char **sockets;
	size_t nsockets;
	struct containers *records; /* who made each container (borrowed) */
	struct userpolicy *up;      /* the users' own policies (borrowed) */
	engineinfo_found_fn found;  /* told of containers named anew */
	void *found_arg;
	json_t *reported; /* the last successful scan's list (checker thread) */
	int scan_ready;
	struct enginescan scan; /* count -1: not scanned, or the list failed */
	long long scan_version; /* the policy version it was judged by */
	long long scan_ms;      /* how long the last finished scan took */
	char scan_error[256];   /* why not, when count is -1 */
	int logged_scan;        /* scan.count at the last log line (checker thread) */
	int logged_required;    /* ECI required at the last log line (checker thread) */
	int logged_host_userns; /* host_userns at the last log line (checker thread) */
	/* The runtimes of the last log line about them (checker thread). */
	char logged_default_runtime[sizeof(((struct engineclient_info *)0)->default_runtime)];
	char logged_runtimes[sizeof(((struct engineclient_info *)0)->runtimes)];
	/* Counters (lock). */
	unsigned long long n_yes, n_no, n_failed;
};

/* After a check the engine answered: judge its containers as their starts
 * (enginescan.h), each by the policy of whoever made it, unless a check is
 * wanted meanwhile. Only the checker thread calls it, without the lock. */
void engineinfo_scan_containers(struct engineinfo *e);
/* Log what changed since before (the answer, whether ECI requires it, the
 * containers in the host's user namespace): a warning when ECI is locked on
 * and the engine does not (or cannot be asked), or such containers exist;
 * information otherwise. Only the checker thread calls it. */
void engineinfo_log_change(struct engineinfo *e, enum decide_userns before);
/* The first ENGINESCAN_LIST_MAX of the last scan's containers as
 * /v1/health lists them (without "fullId"); NULL when not scanned. Called
 * with the lock. New reference. */
json_t *engineinfo_scan_list_json(const struct engineinfo *e);

#endif
