/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon as a process: problems printed at start-up, --check-config,
 * going into the background with a readiness pipe, and the pid file. */
#include "build-config.h"

#include "process.h"
#include "startup.h"
#include "audit/audit.h"
#include "audit/audit_syslog.h"
#include "http/auth.h"
#include "fleet/bundleserve.h"
#include "config.h"
#include "api/handlers.h"
#include "policy/homes.h"
#include "containers/containers.h"
#include "fleet/fleetstore.h"
#include "system/confine.h"
#include "containers/engineinfo.h"
#include "http/http.h"
#include "decisions/inputs.h"
#include "log.h"
#include "decisions/lookup.h"
#include "policy/policy.h"
#include "policy/policylife.h"
#include "policy/policystore.h"
#include "proxy/proxy.h"
#include "util/ratelimit.h"
#include "decisions/redact.h"
#include "policy/served.h"
#include "system/service.h"
#include "policy/settings.h"
#include "http/tokens.h"
#include "store/trust.h"
#include "fleet/upstream.h"
#include "policy/userpolicy.h"
#include "policy/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
process_print_problems(FILE *out, const char *prefix, const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct problem *e = &p->v[i];
		if (e->line > 0)
			fprintf(out, "%s%s:%d:%d: %s\n", prefix, e->path[0] ? e->path : "", e->line,
			        e->column, e->message);
		else
			fprintf(out, "%s%s%s%s\n", prefix, e->path, e->path[0] ? ": " : "",
			        e->message);
	}
}

void
process_log_problems(const char *what, const struct problem *v, size_t n, const char *kind)
{
	for (size_t i = 0; i < n; i++) {
		const struct problem *e = &v[i];
		if (e->line > 0)
			log_warnx("%s:%d:%d: %s: %s", what, e->line, e->column, kind, e->message);
		else
			log_warnx("%s: %s at %s: %s", what, kind, e->path[0] ? e->path : "/",
			          e->message);
	}
}

/* Validate everything --check-config can check without side effects. */
int
process_check_config(const struct config *cfg)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc;
	int rc;

	doc = policy_load_file(cfg->settings, &errs, &warns);
	process_print_problems(stdout, "warning: ", &warns);
	if (doc == NULL) {
		printf("%s: invalid policy (%zu problem%s):\n", cfg->settings, errs.n,
		       errs.n == 1 ? "" : "s");
		process_print_problems(stdout, "  ", &errs);
		rc = 1;
	} else {
		printf("configuration is valid (policy %s)\n", cfg->settings);
		rc = 0;
	}
	json_decref(doc);
	problems_clear(&errs);
	problems_clear(&warns);
	return rc;
}

/* mkdir -p for the directory that will hold path, with mode for new parts. */
int
process_ensure_parent_dir(const char *path, mode_t mode)
{
	char *copy = strdup(path), *dir;
	int rc = 0;

	if (copy == NULL)
		return -1;
	dir = dirname(copy);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, mode) != 0 && errno != EEXIST)
				rc = -1;
			*p = '/';
		}
	}
	if (mkdir(dir, mode) != 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

/* Fork into the background. The parent waits until the child reports that
 * start-up finished (exit 0) or failed (exit 1). Returns the pipe's write end. */
int
process_daemonize(void)
{
	int fds[2];
	pid_t pid;
	char status = 1;

	if (pipe(fds) != 0)
		fatal("pipe");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(fds[0]);
	if (setsid() < 0)
		fatal("setsid");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		fatal("chdir /");
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > 2)
			close(null);
	}
	return fds[1];
}

void
process_report_ready(int fd, char status)
{
	if (fd >= 0) {
		ssize_t w = write(fd, &status, 1);
		(void)w;
		close(fd);
	}
}

/* The pid file's directory must be one only root can write to: in a shared
 * one, another user could plant a symbolic link for root to write through,
 * or swap the file. Checked before start-up goes any further. */
int
process_pid_dir_check(const char *path)
{
	struct problems p = PROBLEMS_INIT;
	char *copy = strdup(path);
	int rc = -1;

	if (copy == NULL)
		return -1;
	if (process_ensure_parent_dir(path, 0755) != 0)
		log_warn("cannot create the directory of %s", path);
	if (trust_check_path(dirname(copy), TRUST_DIR, 0, &p) == 0)
		rc = 0;
	else
		log_warnx("pid file %s: %s", path, p.v[0].message);
	problems_clear(&p);
	free(copy);
	return rc;
}

/* A fresh file, never one that was there: whatever is at path (a stale pid
 * file) is removed, and O_EXCL|O_NOFOLLOW refuse anything that appears in
 * between. */
void
process_write_pid_file(const char *path)
{
	char buf[32];
	int fd, n;

	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot remove the old pid file %s", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("cannot write pid file %s", path);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		log_warn("cannot write pid file %s", path);
	close(fd);
}
