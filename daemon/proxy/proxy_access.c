/* SPDX-License-Identifier: Apache-2.0 */
/* The caller's own access to host paths (promise 3), checked with the
 * caller's credentials on a thread that does nothing else. The kernel keeps
 * fsuid, fsgid and supplementary groups per thread; glibc's setgroups()
 * would change them in every thread of the process, so the raw system calls
 * are used, and the thread checks that it became the caller and became
 * itself again (if it cannot, it refuses every later check). The thread holds
 * CAP_SETUID and CAP_SETGID alone (securebits keep the kernel from adjusting
 * capabilities on fsuid changes, so it drops CAP_DAC_READ_SEARCH itself), so
 * faccessat2(AT_EACCESS) answers exactly what the caller may do; the path is
 * first looked up as the caller too, so a directory the caller cannot search
 * hides what is below it. No server thread ever changes credentials. */
#include "proxy_int.h"

#include "system/confine.h"
#include "log.h"
#include "util/lockorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ACCESS_TIMEOUT_S 5 /* a check that takes longer (a hung NFS server) is refused */

struct job {
	struct proxy_caller who; /* a copy: the job may outlive a caller that gave up */
	char *path;
	int write, rc, done, refs;
	char why[256];
	struct job *next;
};

struct proxy_access {
	pthread_mutex_t lock;
	pthread_cond_t cond, answered;
	int ready;               /* (lock) the thread has set its capabilities */
	struct job *head, *tail; /* (lock) */
	pthread_t thread;
	int stopping;                   /* (lock) */
	int broken;                     /* the thread could not become itself again */
	gid_t groups[PROXY_MAX_GROUPS]; /* the thread's own, restored after each check */
	int ngroups;
};

static void
job_release(struct job *j)
{
	if (--j->refs > 0)
		return;
	free(j->path);
	free(j);
}

/* ------------------------------------------------------------------------ */
/* On the access thread                                                     */

static int
set_ids(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	if (syscall(SYS_setgroups, (size_t)ngroups, groups) != 0)
		return -1;
	syscall(SYS_setfsgid, gid);
	syscall(SYS_setfsuid, uid);
	/* An invalid id changes nothing and returns the current one. */
	return (uid_t)syscall(SYS_setfsuid, (uid_t)-1) == uid &&
	               (gid_t)syscall(SYS_setfsgid, (gid_t)-1) == gid
	           ? 0
	           : -1;
}

static int
may(const char *path, int mode)
{
	return syscall(SYS_faccessat2, AT_FDCWD, path, mode, AT_EACCESS) == 0;
}

/* A path that does not exist: the caller could have made it when they may
 * write (and search) the nearest directory above it that does. */
static int
check_missing(const char *path, char *why, size_t whysz)
{
	char dir[4096];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		char *slash = strrchr(dir, '/');

		if (slash == NULL)
			break;
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) == 0) {
			if (S_ISDIR(st.st_mode) && may(dir, W_OK | X_OK))
				return 1;
			snprintf(why, whysz,
			         "it does not exist, and you may not create it in %.160s", dir);
			return 0;
		}
		if (errno != ENOENT || slash == dir)
			break;
	}
	snprintf(why, whysz, "%s", strerror(errno));
	return 0;
}

/* As the caller: readable (and writable), searchable when a directory. */
static int
check_path(const char *path, int write, char *why, size_t whysz)
{
	struct stat st;
	int mode = R_OK | (write ? W_OK : 0);

	if (path[0] != '/') {
		snprintf(why, whysz, "not an absolute path");
		return -1;
	}
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return check_missing(path, why, whysz);
		snprintf(why, whysz, "%s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		mode |= X_OK;
	if (may(path, mode))
		return 1;
	if (errno == ENOSYS) {
		snprintf(why, whysz, "faccessat2 is not available");
		return -1;
	}
	/* A read-only file system gives nobody write access to gain. */
	if (errno == EROFS && may(path, mode & ~W_OK))
		return 1;
	snprintf(why, whysz, "%s", strerror(errno));
	return 0;
}

static void
run(struct proxy_access *acc, struct job *j)
{
	const struct proxy_caller *who = &j->who;
	uid_t me = geteuid();

	if (acc->broken) {
		j->rc = -1;
		snprintf(j->why, sizeof(j->why), "the access check cannot switch credentials");
		return;
	}
	if (me != 0) {
		/* Not root: only a caller who is this very user can be checked. */
		if (who->uid != me) {
			j->rc = -1;
			snprintf(j->why, sizeof(j->why), "lockset cannot take your credentials");
		} else {
			j->rc = check_path(j->path, j->write, j->why, sizeof(j->why));
		}
		return;
	}
	if (who->ngroups < 0 || set_ids(who->uid, who->gid, who->ngroups, who->groups) != 0) {
		j->rc = -1;
		snprintf(j->why, sizeof(j->why), "lockset cannot take your credentials");
	} else {
		j->rc = check_path(j->path, j->write, j->why, sizeof(j->why));
	}
	if (set_ids(0, getegid(), acc->ngroups, acc->groups) != 0) {
		acc->broken = 1;
		log_warnx("proxy: the access thread cannot restore its credentials; "
		          "every later bind is refused");
	}
}

static void *
access_main(void *arg)
{
	struct proxy_access *acc = arg;

	/* CAP_SETUID and CAP_SETGID alone: with the caller's fsuid, no other
	 * capability (CAP_DAC_READ_SEARCH) may widen what the caller can read. */
	if (geteuid() == 0 && confine_thread_keep_setid() != 0) {
		acc->broken = 1;
		log_warnx("proxy: the access thread cannot narrow its capabilities; every "
		          "bind is refused");
	}
	lockorder_lock(&acc->lock, LOCK_PROXY_ACCESS);
	acc->ready = 1;
	pthread_cond_broadcast(&acc->answered);
	for (;;) {
		struct job *j;

		while (acc->head == NULL && !acc->stopping)
			pthread_cond_wait(&acc->cond, &acc->lock);
		if ((j = acc->head) == NULL)
			break;
		if ((acc->head = j->next) == NULL)
			acc->tail = NULL;
		/* A caller that gave up (refs 1) is not waiting any more. */
		if (j->refs == 2) {
			lockorder_unlock(&acc->lock, LOCK_PROXY_ACCESS);
			run(acc, j);
			lockorder_lock(&acc->lock, LOCK_PROXY_ACCESS);
		} else {
			j->rc = -1;
		}
		j->done = 1;
		pthread_cond_broadcast(&acc->answered);
		job_release(j);
	}
	lockorder_unlock(&acc->lock, LOCK_PROXY_ACCESS);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start, stop, ask                                                         */

struct proxy_access *
proxy_access_new(void)
{
	struct proxy_access *acc = calloc(1, sizeof(*acc));
	int n;

	if (acc == NULL)
		return NULL;
	if ((n = getgroups(PROXY_MAX_GROUPS, acc->groups)) < 0) {
		log_warn("proxy: getgroups");
		free(acc);
		return NULL;
	}
	acc->ngroups = n;
	pthread_mutex_init(&acc->lock, NULL);
	pthread_cond_init(&acc->cond, NULL);
	pthread_cond_init(&acc->answered, NULL);
	if (pthread_create(&acc->thread, NULL, access_main, acc) != 0) {
		log_warnx("proxy: cannot start the access thread");
		pthread_cond_destroy(&acc->answered);
		pthread_cond_destroy(&acc->cond);
		pthread_mutex_destroy(&acc->lock);
		free(acc);
		return NULL;
	}
	/* The caller drops its own set-id capabilities once this thread holds them. */
	lockorder_lock(&acc->lock, LOCK_PROXY_ACCESS);
	while (!acc->ready)
		pthread_cond_wait(&acc->answered, &acc->lock);
	lockorder_unlock(&acc->lock, LOCK_PROXY_ACCESS);
	return acc;
}

void
proxy_access_free(struct proxy_access *acc)
{
	if (acc == NULL)
		return;
	lockorder_lock(&acc->lock, LOCK_PROXY_ACCESS);
	acc->stopping = 1;
	pthread_cond_broadcast(&acc->cond);
	lockorder_unlock(&acc->lock, LOCK_PROXY_ACCESS);
	pthread_join(acc->thread, NULL);
	pthread_cond_destroy(&acc->answered);
	pthread_cond_destroy(&acc->cond);
	pthread_mutex_destroy(&acc->lock);
	free(acc);
}

int
proxy_access_check(void *arg, const char *path, int write, char *why, size_t whysz)
{
	const struct proxy_caller *who = arg;
	struct proxy_access *acc = who->access;
	struct job *j;
	struct timespec deadline;
	int rc = -1;

	if (who->uid == 0)
		return 1; /* root may read and write every path already */
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	j->who = *who;
	j->write = write;
	j->refs = 2;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ACCESS_TIMEOUT_S;
	if (acc == NULL) {
		free(j->path);
		free(j);
		snprintf(why, whysz, "the access check is not running");
		return -1;
	}
	lockorder_lock(&acc->lock, LOCK_PROXY_ACCESS);
	if (acc->stopping) {
		lockorder_unlock(&acc->lock, LOCK_PROXY_ACCESS);
		free(j->path);
		free(j);
		snprintf(why, whysz, "the access check is not running");
		return -1;
	}
	if (acc->tail != NULL)
		acc->tail->next = j;
	else
		acc->head = j;
	acc->tail = j;
	pthread_cond_signal(&acc->cond);
	while (!j->done && pthread_cond_timedwait(&acc->answered, &acc->lock, &deadline) == 0)
		;
	if (j->done) {
		rc = j->rc;
		snprintf(why, whysz, "%s", j->why);
	} else {
		snprintf(why, whysz, "the access check did not finish in %d s", ACCESS_TIMEOUT_S);
	}
	job_release(j);
	lockorder_unlock(&acc->lock, LOCK_PROXY_ACCESS);
	return rc;
}
