/* SPDX-License-Identifier: Apache-2.0 */
/* locksetd: options, start-up order, signals. Start-up opens everything
 * privileged and fails loudly (invalid policy, unusable state dir, busy
 * socket) before it reports ready; afterwards nothing a client sends can stop it. */
#include "build-config.h"

#include "app.h"
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

static void
print_problems(FILE *out, const char *prefix, const struct problems *p)
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

static void
log_problems(const char *what, const struct problem *v, size_t n, const char *kind)
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
static int
check_config(const struct config *cfg)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc;
	int rc;

	doc = policy_load_file(cfg->settings, &errs, &warns);
	print_problems(stdout, "warning: ", &warns);
	if (doc == NULL) {
		printf("%s: invalid policy (%zu problem%s):\n", cfg->settings, errs.n,
		       errs.n == 1 ? "" : "s");
		print_problems(stdout, "  ", &errs);
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
static int
ensure_parent_dir(const char *path, mode_t mode)
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
static int
daemonize(void)
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

static void
report_ready(int fd, char status)
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
static int
pid_dir_check(const char *path)
{
	struct problems p = PROBLEMS_INIT;
	char *copy = strdup(path);
	int rc = -1;

	if (copy == NULL)
		return -1;
	if (ensure_parent_dir(path, 0755) != 0)
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
static void
write_pid_file(const char *path)
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

static void
audit_policy_event(const char *action, long long version, const char *detail)
{
	struct audit_event ev = {.policy_version = -1};
	json_t *data;

	if (app.audit == NULL)
		return;
	data = json_pack("{s:s, s:s}", "file", app.cfg->settings, "detail", detail);
	ev.action = action;
	ev.actor = "file";
	ev.component = "locksetd";
	ev.subject = app.cfg->settings;
	ev.decision = strcmp(action, "policy.reload_failed") == 0 ? "deny" : "allow";
	ev.data = data;
	ev.policy_version = version;
	if (audit_append(app.audit, &ev) < 0)
		log_warnx("audit: could not record %s", action);
	json_decref(data);
}

/* SIGHUP and the file watch: re-read the settings file. A changed document
 * becomes a new version (actor "file", audited by policylife.c); an invalid
 * one is refused, logged and audited, and the current policy keeps serving. */
/* Tell the service manager the daemon serves, and which policy. */
static void
notify_ready(void)
{
	struct served *s = served_acquire();
	char status[64];

	snprintf(status, sizeof(status), "serving policy v%lld", s ? s->version : 0);
	served_release(s);
	service_notify_ready(status);
}

static void
reload(void)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	struct served *before = served_acquire(), *after;
	int changed = 0;

	service_notify_reloading();
	if (policylife_reload(&errs, &warns, &changed) != 0) {
		log_warnx("reload of %s refused (%zu problem%s); still serving policy v%lld",
		          app.cfg->settings, errs.n, errs.n == 1 ? "" : "s",
		          before ? before->version : 0);
		log_problems(app.cfg->settings, errs.v, errs.n, "error");
		audit_policy_event("policy.reload_failed", before ? before->version : 0,
		                   errs.n > 0 ? errs.v[0].message : "invalid policy");
	} else {
		log_problems(app.cfg->settings, warns.v, warns.n, "warning");
		after = served_acquire();
		if (changed)
			log_info("policy v%lld loaded from %s", after->version, app.cfg->settings);
		else
			log_info("policy file %s unchanged (v%lld)", app.cfg->settings,
			         after->version);
		served_release(after);
	}
	served_release(before);
	problems_clear(&errs);
	problems_clear(&warns);
	notify_ready();
}

static struct audit *
open_audit(const struct config *cfg, char **err)
{
	struct audit_opts aopts;

	struct problems p = PROBLEMS_INIT;

	if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
		if (asprintf(err, "state dir %s: %s", cfg->state_dir, strerror(errno)) < 0)
			*err = NULL;
		return NULL;
	}
	/* Another user's database or key would be adopted as lockset's own. */
	if (trust_check_state_dir(cfg->state_dir, &p) != 0) {
		for (size_t i = 1; i < p.n; i++)
			log_warnx("%s", p.v[i].message);
		if (asprintf(err, "%s", p.n > 0 ? p.v[0].message : "untrusted") < 0)
			*err = NULL;
		problems_clear(&p);
		return NULL;
	}
	memset(&aopts, 0, sizeof(aopts));
	aopts.allow_reset = cfg->audit_reset;
	aopts.synchronous_full = strcmp(cfg->audit_sync, "full") == 0;
	aopts.retention_days = cfg->retention_days;
	aopts.retention_rows = cfg->retention_rows;
	return audit_open(cfg->state_dir, &aopts, err);
}

/* The home group (--home-group): its peers may read decisions by id, and
 * $HOME stands for its members' homes when no user is named. Resolved at
 * start-up and on every SIGHUP; a group that is missing or empty is logged
 * once (when that becomes so). Returns 1 when the homes changed. */
static int
home_group_resolve(const char *name)
{
	static int warned = -1;
	struct group gr, *res = NULL;
	struct homes homes = {0};
	char buf[16384];
	int found, changed, state;

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
		auth_set_home_group(gr.gr_gid, 1);
	else
		auth_set_home_group(0, 0);
	found = homes_of_group(&homes_nss_system, name, &homes);
	state = found <= 0 ? 1 : (homes.n == 0 ? 2 : 0);
	if (state != warned && state == 1)
		log_warnx("--home-group %s: no such group: $HOME in policies stands for no one, "
		          "and no one reads decisions by group membership",
		          name);
	else if (state != warned && state == 2)
		log_warnx("--home-group %s: the group has no members with a home: $HOME in "
		          "policies stands for no one",
		          name);
	warned = state;
	changed = served_set_homes(&homes);
	if (changed > 0)
		log_info("$HOME stands for %zu home%s (members of %s)", homes.n,
		         homes.n == 1 ? "" : "s", name);
	homes_clear(&homes);
	return changed > 0;
}

/* Who may do what: role maps, --prefs-any-user, the events limit. Refuses to
 * start on a bad entry. */
static void
access_configure(const struct config *c)
{
	char *err = NULL;

	if (c->events_rate > 0 &&
	    (app.events_limit = ratelimit_new(c->events_rate, c->events_burst, NULL)) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < c->role_map.n; i++) {
		if (auth_role_map_add(c->role_map.v[i], &err) != 0)
			fatalx("%s", err);
	}
	for (size_t i = 0; i < c->prefs_any_user.n; i++) {
		if (auth_prefs_any_user_add(c->prefs_any_user.v[i], &err) != 0)
			fatalx("%s", err);
	}
}

/* The limits of the recorded inputs: their own, the rows and the age
 * tightened by the audit retention when that is stricter. */
static void
inputs_limits_of(const struct config *c, struct inputs_limits *l)
{
	*l = (struct inputs_limits){c->inputs_max_rows, c->inputs_max_bytes, c->inputs_max_days,
	                            c->inputs_max_uri};
	if (c->retention_rows > 0 && c->retention_rows < l->max_rows)
		l->max_rows = c->retention_rows;
	if (c->retention_days > 0 && (l->max_days == 0 || c->retention_days < l->max_days))
		l->max_days = c->retention_days;
}

/* Container records (pruned once now, then as they are written) and the
 * lookup threads that ask the engine about containers without one. */
static int
start_containers(const struct config *cfg)
{
	struct containers_opts copts = {cfg->container_days, cfg->container_max};

	app.containers = containers_open(audit_db(app.audit), &copts);
	if (app.containers == NULL)
		log_warnx("container records are not available: containers are looked up "
		          "through the engine");
	else
		containers_prune(app.containers, time(NULL));
	app.lookup = lookup_new(app.containers, cfg->engine_socket, 0);
	if (app.lookup == NULL) {
		log_warnx("cannot start the container lookups");
		return -1;
	}
	return 0;
}

/* The docker socket proxy (--docker-proxy), set in app before the plugin
 * socket, which redeems its tickets, serves a request. 0, or -1 (logged). */
/* The docker proxy's socket, opened with the listeners (its group needs
 * CAP_CHOWN); its threads start later (proxy.h). */
static void
open_proxy(const struct config *c)
{
	struct proxy_opts po = {c->docker_proxy, c->docker_proxy_group, c->engine_socket};
	char *err = NULL;

	if (c->docker_proxy[0] == '\0')
		return;
	if (strncmp(c->docker_proxy, "unix:", 5) == 0)
		ensure_parent_dir(c->docker_proxy + 5, 0755);
	if ((app.proxy = proxy_open(&po, &err)) == NULL)
		fatalx("%s", err != NULL ? err : "cannot open the docker proxy's socket");
}

/* Capabilities: CAP_DAC_READ_SEARCH for every thread, CAP_SETUID and
 * CAP_SETGID for the proxy's access thread alone. */
static void
confine_caps(void)
{
	char *err = NULL;

	if (confine_capabilities(app.proxy != NULL) != 0)
		fatalx("confine: cannot drop capabilities");
	if (app.proxy == NULL)
		return;
	if (proxy_start_access(app.proxy, &err) != 0)
		fatalx("%s", err != NULL ? err : "cannot start the docker proxy");
	if (confine_drop_setid() != 0)
		fatalx("confine: cannot drop the set-id capabilities");
}

/* --create-token: bootstrap a token without a running daemon or socket access. */
static int
create_token(const struct config *cfg)
{
	struct problems errs = PROBLEMS_INIT;
	struct audit_event ev = {.policy_version = -1};
	enum role role = ROLE_ADMIN;
	char *err = NULL, *secret = NULL, actor[64];
	int rc = 1;

	app.audit = open_audit(cfg, &err);
	if (app.audit == NULL || tokens_open(audit_db(app.audit), &err) != 0) {
		fprintf(stderr, "locksetd: %s\n", err ? err : "cannot open the state database");
		goto out;
	}
	auth_role_parse(cfg->token_role, &role);
	snprintf(actor, sizeof(actor), "cli:uid=%ld", (long)getuid());
	switch (tokens_create(cfg->create_token, role, cfg->token_ttl, actor, &secret, &errs)) {
	case 0:
		break;
	case -2:
		fprintf(stderr, "locksetd: a token named \"%s\" exists\n", cfg->create_token);
		goto out;
	default:
		print_problems(stderr, "locksetd: --create-token ", &errs);
		goto out;
	}
	ev.action = "token.created";
	ev.actor = actor;
	ev.component = "cli";
	ev.subject = cfg->create_token;
	ev.decision = "allow";
	if (audit_append(app.audit, &ev) < 0) {
		tokens_revoke(cfg->create_token);
		fprintf(stderr, "locksetd: the token could not be audited; revoked\n");
		goto out;
	}
	printf("%s\n", secret);
	rc = 0;
out:
	if (secret != NULL) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	tokens_close();
	audit_close(app.audit);
	app.audit = NULL;
	free(err);
	problems_clear(&errs);
	return rc;
}

/* Upstream mode: install the saved bundle and start fetching. */
static int
start_upstream(const struct config *c, char **err)
{
	struct upstream_opts o = {
	    .url = c->upstream,
	    .token_file = c->upstream_token_file[0] ? c->upstream_token_file : NULL,
	    .bundle_key = c->bundle_key,
	    .cacert = c->upstream_cacert[0] ? c->upstream_cacert : NULL,
	    .state_dir = c->state_dir,
	    .host_name = c->host_name,
	    .wait = c->upstream_wait,
	    .retry_max = c->upstream_retry_max,
	    .report_interval = c->upstream_report_interval,
	};

	return upstream_start(&o, err);
}

/* A listener: the socket the service manager passed for spec, else a new one. */
static void
open_listener(const char *spec, enum listener_kind kind)
{
	char *err = NULL;
	int fd = service_take_fd(spec);

	if (fd < 0 && strncmp(spec, "unix:", 5) == 0)
		ensure_parent_dir(spec + 5, 0755);
	if ((fd >= 0 ? http_listen_fd(spec, kind, fd, &err) : http_listen(spec, kind, &err)) != 0)
		fatalx("%s", err);
}

/* Passed sockets no option names are served too: the "authz" one as the
 * plugin socket, the others as API sockets. */
static void
open_unclaimed_listeners(void)
{
	char spec[256], *err = NULL;
	int fd, authz;

	while ((fd = service_take_unclaimed(&authz, spec, sizeof(spec))) >= 0) {
		if (http_listen_fd(spec, authz ? LISTEN_AUTHZ : LISTEN_API, fd, &err) != 0)
			fatalx("%s", err);
	}
}

/* Everything main() allocates for its whole life, released at exit whichever
 * way the process ends (one-shot actions and start-up failures included). */
static struct config cfg;
static struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;

/* What main holds during start-up, released at exit: a refused start frees
 * it too. */
static json_t *start_doc; /* the validated policy, until policylife_start steals it */
static char *start_err;   /* why a start-up step failed */

static void
release_at_exit(void)
{
	problems_clear(&errs);
	problems_clear(&warns);
	config_free(&cfg);
	json_decref(start_doc);
	free(start_err);
}

/* The policy for policylife_start, which steals it. */
static json_t *
take_start_doc(void)
{
	json_t *doc = start_doc;

	start_doc = NULL;
	return doc;
}

/* What runs beside the policy once the database is open: secret redaction,
 * fleet mode (bundles, upstream, syslog), decision inputs, container records
 * and lookups. Returns 0, or -1 after telling the parent (ready_fd). */
static int
start_services(const struct config *c, int ready_fd)
{
	char *err = NULL;
	struct inputs_limits lim;

	if ((app.redact = redact_open(c->state_dir, &err)) == NULL) {
		log_warnx("%s", err ? err : "out of memory");
		goto fail;
	}
	fleetstore_open(audit_db(app.audit));
	if (c->syslog[0] != '\0' &&
	    audit_syslog_start(app.audit, c->syslog, c->syslog_cacert[0] ? c->syslog_cacert : NULL,
	                       &err) != 0) {
		log_warnx("%s", err ? err : "--syslog: cannot start");
		goto fail;
	}
	if (c->bundle_signing_key[0] != '\0' &&
	    bundleserve_open(c->bundle_signing_key, &err) != 0) {
		log_warnx("--bundle-signing-key: %s", err ? err : "cannot sign bundles");
		goto fail;
	}
	if (audit_checkpoint_start(app.audit, c->checkpoint_interval) != 0) {
		log_warnx("cannot start the audit checkpoints");
		goto fail;
	}
	if (c->upstream[0] != '\0' && start_upstream(c, &err) != 0) {
		log_warnx("--upstream: %s", err ? err : "cannot start");
		goto fail;
	}
	inputs_limits_of(c, &lim);
	if (inputs_start(audit_db(app.audit), &lim, app.redact) != 0)
		log_warnx("decision inputs are not recorded: impact previews will be empty");
	if (start_containers(c) != 0)
		goto fail;
	return 0;
fail:
	free(err);
	report_ready(ready_fd, 1);
	return -1;
}

/* --help, --version and --print-config: the exit code, or -1 when none was given. */
static int
print_and_exit(void)
{
	if (cfg.help) {
		config_print_help(stdout);
		return 0;
	}
	if (cfg.version) {
#ifdef LOCKSET_DEBUG_TRIGGERS
		printf("locksetd %s (debug triggers)\n", PACKAGE_VERSION);
#else
		printf("locksetd %s\n", PACKAGE_VERSION);
#endif
		return 0;
	}
	if (cfg.print_config) {
		config_print(&cfg, stdout);
		return 0;
	}
	return -1;
}

/* The signals the main thread takes with sigwait, blocked in every thread. */
static void
block_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGHUP);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
#ifdef LOCKSET_DEBUG_TRIGGERS
	sigaddset(sigs, SIGUSR2);
#endif
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Every socket, while the process still has the capabilities to bind them;
 * then the capabilities go. */
static void
open_sockets(void)
{
	access_configure(&cfg);
	if (service_listen_fds() < 0)
		fatalx("socket activation: a passed socket cannot be served");
	for (size_t i = 0; i < cfg.listen.n; i++)
		open_listener(cfg.listen.v[i], LISTEN_API);
	if (cfg.authz_socket[0] != '\0') {
		char spec[4200];
		snprintf(spec, sizeof(spec), "unix:%s", cfg.authz_socket);
		open_listener(spec, LISTEN_AUTHZ);
	}
	open_unclaimed_listeners();
	open_proxy(&cfg);
	/* The sockets are open: no capability but CAP_DAC_READ_SEARCH is needed
	 * from here on, and no thread runs yet (capabilities are per thread). */
	confine_caps();
}

/* The database, tokens, the policy history (start_doc, the loaded policy,
 * is stolen) and the services beside them. 0, or -1 after telling the
 * parent. */
static int
open_state(int ready_fd)
{
	app.audit = open_audit(&cfg, &start_err);
	if (app.audit == NULL || tokens_open(audit_db(app.audit), &start_err) != 0) {
		log_warnx("state database in %s: %s", cfg.state_dir,
		          start_err ? start_err : "cannot open");
		report_ready(ready_fd, 1);
		return -1;
	}
	home_group_resolve(cfg.home_group);
	/* Versions come from the policy history: the file keeps the newest
	 * version's number when its content matches, else it becomes a new one. */
	policystore_open(audit_db(app.audit));
	policylife_set_managed(cfg.upstream[0] != '\0');
	h_users_prefs_expire();
	if (userpolicy_open(&start_err) != 0 || policylife_start(take_start_doc(), &errs) != 0) {
		log_warnx("%s: %s", cfg.settings,
		          start_err
		              ? start_err
		              : (errs.n > 0 ? errs.v[0].message : "cannot version the policy"));
		report_ready(ready_fd, 1);
		return -1;
	}
	return start_services(&cfg, ready_fd);
}

static void
http_options(struct http_opts *hopts)
{
	memset(hopts, 0, sizeof(*hopts));
	hopts->max_body = (size_t)cfg.max_body;
	hopts->max_url = (size_t)cfg.max_url;
	hopts->max_headers = (size_t)cfg.max_headers;
	hopts->conn_timeout = (unsigned)cfg.conn_timeout;
	hopts->threads = (unsigned)cfg.threads;
	hopts->tls_cert = cfg.tls_cert[0] ? cfg.tls_cert : NULL;
	hopts->tls_key = cfg.tls_key[0] ? cfg.tls_key : NULL;
	hopts->allow_insecure_tcp = cfg.allow_insecure_tcp;
	hopts->max_connections = (unsigned)cfg.max_connections;
	hopts->max_per_peer = (unsigned)cfg.max_conn_peer;
}

/* Announce policy changes, ask the engine, start the proxy, confine the
 * process and start serving. 0 once ready (the parent told), else -1. */
static int
go_live(int ready_fd)
{
	struct http_opts hopts;
	struct served *s;

	http_options(&hopts);
	/* The engine's user namespaces, which ECI locked on requires: asked
	 * once policy changes are announced (served_start), before any request. */
	if (served_start() != 0 ||
	    (app.engineinfo = engineinfo_new(cfg.engine_socket, 0)) == NULL ||
	    (app.proxy != NULL && proxy_start(app.proxy, &start_err) != 0)) {
		log_warnx("%s", start_err != NULL ? start_err : "cannot start");
		report_ready(ready_fd, 1);
		http_stop(0);
		return -1;
	}
	/* Sockets, files and database are open: only the allowlist from here. */
	if (confine_syscalls() != 0)
		fatalx("confine: cannot load the system call filter");
	if (http_start(&hopts) != 0) {
		report_ready(ready_fd, 1);
		http_stop(0);
		return -1;
	}
	watch_start(cfg.settings, reload);
	if (!cfg.foreground)
		write_pid_file(cfg.pid_file);
	s = served_acquire();
	log_info("locksetd %s ready: policy v%lld from %s", PACKAGE_VERSION, s->version,
	         cfg.settings);
	served_release(s);
	report_ready(ready_fd, 0);
	notify_ready();
	return 0;
}

/* Until SIGTERM or SIGINT: SIGHUP reloads the policy and the home group. */
static void
serve_signals(const sigset_t *sigs)
{
	int sig;

	for (;;) {
		if (sigwait(sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (home_group_resolve(cfg.home_group) && policylife_rebuild() != 0)
				log_warnx("out of memory applying the new homes of %s",
				          cfg.home_group);
			reload();
			continue;
		}
#ifdef LOCKSET_DEBUG_TRIGGERS
		if (sig == SIGUSR2) {
			confine_debug_trigger();
			continue;
		}
#endif
		log_info("signal %d: shutting down", sig);
		return;
	}
}

/* Stop in the order the comments give, then close what start-up opened. */
static void
shut_down(void)
{
	service_notify_stopping();
	proxy_stop(app.proxy); /* its connections may wait for judgements: first */
	watch_stop();
	served_wake_all();
	lookup_stop(app.lookup); /* no request may wait for the engine past this */
	engineinfo_stop(app.engineinfo);
	http_stop(3000);
	upstream_stop();       /* after the HTTP threads, which read its state */
	proxy_free(app.proxy); /* the plugin redeemed its tickets until http_stop */
	app.proxy = NULL;
	audit_checkpoint_stop();
	lookup_free(app.lookup);
	engineinfo_free(app.engineinfo);
	containers_close(app.containers);
	served_stop();
	inputs_stop();
	bundleserve_close();
	fleetstore_close();
	audit_syslog_stop();
	userpolicy_close();
	policystore_close();
	tokens_close();
	audit_close(app.audit);
	ratelimit_free(app.events_limit);
	app.events_limit = NULL;
	redact_free(app.redact);
	app.redact = NULL;
	if (!cfg.foreground)
		unlink(cfg.pid_file);
}

int
main(int argc, char **argv)
{
	struct settings_env env;
	enum log_level level = LOG_LVL_INFO;
	sigset_t sigs;
	int ready_fd = -1, rc;

	atexit(release_at_exit);
	if (config_load(&cfg, argc, argv, &errs) != 0) {
		print_problems(stderr, "locksetd: ", &errs);
		fprintf(stderr, "locksetd: see --help\n");
		return 2;
	}
	app.cfg = &cfg;
	if ((rc = print_and_exit()) >= 0)
		return rc;
	log_level_parse(cfg.log_level, &level);
	log_init(cfg.foreground || cfg.check_config, level);
	settings_env_default(&env);
	served_configure(cfg.settings, &env);
	if (cfg.check_config)
		return check_config(&cfg);
	if (cfg.create_token != NULL)
		return create_token(&cfg);

	/* Every descriptor the hard limit allows: the caps are planned from it. */
	http_raise_fd_limit();
	if (!cfg.foreground) {
		if (pid_dir_check(cfg.pid_file) != 0)
			return 1;
		ready_fd = daemonize();
	}

	/* The policy first: an invalid file stops the daemon with every error. */
	if ((start_doc = served_load(&errs, &warns)) == NULL) {
		log_warnx("%s: invalid policy, not starting (%zu problem%s)", cfg.settings, errs.n,
		          errs.n == 1 ? "" : "s");
		log_problems(cfg.settings, errs.v, errs.n, "error");
		report_ready(ready_fd, 1);
		return 1;
	}
	log_problems(cfg.settings, warns.v, warns.n, "warning");

	block_signals(&sigs);
	open_sockets();
	if (open_state(ready_fd) != 0 || go_live(ready_fd) != 0)
		return 1;
	serve_signals(&sigs);
	shut_down();
	log_info("stopped");
	return 0;
}
