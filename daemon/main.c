/* SPDX-License-Identifier: Apache-2.0 */
/* locksetd: options, start-up order, signals. Start-up opens everything
 * privileged and fails loudly (invalid policy, unusable state dir, busy
 * socket) before it reports ready; afterwards nothing a client sends can stop it. */
#include "build-config.h"

#include "server.h"
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
#include "decisions/judge.h"
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

/* Everything main() allocates for its whole life, released at exit whichever
 * way the process ends (one-shot actions and start-up failures included). */
static struct config cfg;
static struct server srv; /* the only one: passed in wherever it is needed */
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

static void
scan_audited(void *arg, long long id)
{
	(void)arg;
	if (id < 0)
		log_warnx("audit: a container the policy refuses could not be recorded");
}

/* A container the scan of the engine's containers names anew (engineinfo.h):
 * one audit row, refused (the policy enforces) or audited (audit mode), with
 * the rules a start of it breaks; who made it, its name and state in data. */
static void
scan_found(void *arg, const json_t *c, long long version)
{
	const char *rules[16];
	const json_t *r;
	size_t i, n = 0;
	int refused = json_is_true(json_object_get(c, "refused"));
	struct audit_event ev = {.action = refused ? "container.existing.refused"
	                                           : "container.existing.audited",
	                         .actor = "lockset",
	                         .component = "scan",
	                         .subject = json_string_value(json_object_get(c, "fullId")),
	                         .decision = refused ? "deny" : "audit",
	                         .policy_version = version};

	json_array_foreach(json_object_get(c, "rules"), i, r)
	{
		if (n < sizeof(rules) / sizeof(rules[0]) && json_is_string(r))
			rules[n++] = json_string_value(r);
	}
	ev.rules = rules;
	ev.nrules = n;
	ev.data = json_pack("{s:O?, s:O?, s:O*}", "name", json_object_get(c, "name"), "state",
	                    json_object_get(c, "state"), "user", json_object_get(c, "user"));
	if (ev.data == NULL || audit_append_async(arg, &ev, scan_audited, NULL) != 0)
		scan_audited(NULL, -1);
	json_decref(ev.data);
}

/* The decision path: container records and lookups, the engine's user
 * namespaces (asked once policy changes are announced by served_start,
 * before any request) and the judge that uses them. 0, or -1 (logged). */
static int
start_judge(const struct config *c)
{
	struct judge_deps deps;

	if (startup_start_containers(&srv, c) != 0)
		return -1;
	if (served_start(srv.served, srv.userpolicy) != 0 ||
	    (srv.engineinfo = engineinfo_new(srv.served, c->engine_socket, 0)) == NULL) {
		log_warnx("cannot start the engine checks");
		return -1;
	}
	deps = (struct judge_deps){srv.audit,
	                           srv.redact,
	                           srv.lookup,
	                           srv.engineinfo,
	                           srv.served,
	                           srv.userpolicy,
	                           srv.inputs,
	                           c->engine_socket,
	                           strncmp(c->docker_proxy, "unix:", 5) == 0 ? c->docker_proxy + 5
	                                                                     : NULL};
	if ((srv.judge = judge_new(&deps)) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	{
		const char *const *sockets;
		size_t n = judge_sockets(srv.judge, &sockets);

		if (engineinfo_scan_with(srv.engineinfo, sockets, n, srv.containers, srv.userpolicy,
		                         scan_found, srv.audit) != 0) {
			log_warnx("out of memory");
			return -1;
		}
	}
	return 0;
}

/* What runs beside the policy once the database is open: secret redaction,
 * fleet mode (bundles, upstream, syslog), the decision path and its inputs.
 * Returns 0, or -1 after telling the parent (ready_fd). */
static int
start_services(const struct config *c, int ready_fd)
{
	char *err = NULL;
	struct inputs_limits lim;

	if ((srv.redact = redact_open(c->state_dir, &err)) == NULL) {
		log_warnx("%s", err ? err : "out of memory");
		goto fail;
	}
	if ((srv.fleetstore = fleetstore_open(audit_db(srv.audit))) == NULL) {
		log_warnx("out of memory");
		goto fail;
	}
	if (c->syslog[0] != '\0' &&
	    audit_syslog_start(srv.audit, c->syslog, c->syslog_cacert[0] ? c->syslog_cacert : NULL,
	                       &err) != 0) {
		log_warnx("%s", err ? err : "--syslog: cannot start");
		goto fail;
	}
	if (c->bundle_signing_key[0] != '\0' &&
	    (srv.bundles = bundleserve_open(srv.fleetstore, srv.served, srv.policystore,
	                                    c->bundle_signing_key, c->bundle_validity, &err)) ==
	        NULL) {
		log_warnx("--bundle-signing-key: %s", err ? err : "cannot sign bundles");
		goto fail;
	}
	if (audit_checkpoint_start(srv.audit, c->checkpoint_interval) != 0) {
		log_warnx("cannot start the audit checkpoints");
		goto fail;
	}
	startup_inputs_limits_of(c, &lim);
	if ((srv.inputs = inputs_start(audit_db(srv.audit), &lim, srv.redact)) == NULL)
		log_warnx("decision inputs are not recorded: impact previews will be empty");
	if (start_judge(c) != 0)
		goto fail;
	if (c->upstream[0] != '\0' && startup_start_upstream(&srv, c, &err) != 0) {
		log_warnx("--upstream: %s", err ? err : "cannot start");
		goto fail;
	}
	return 0;
fail:
	free(err);
	process_report_ready(ready_fd, 1);
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
	startup_access_configure(&srv, &cfg);
	if (service_listen_fds() < 0)
		fatalx("socket activation: a passed socket cannot be served");
	for (size_t i = 0; i < cfg.listen.n; i++)
		startup_open_listener(srv.http, cfg.listen.v[i], LISTEN_API);
	if (cfg.authz_socket[0] != '\0') {
		char spec[4200];
		snprintf(spec, sizeof(spec), "unix:%s", cfg.authz_socket);
		startup_open_listener(srv.http, spec, LISTEN_AUTHZ);
	}
	startup_open_unclaimed_listeners(srv.http);
	startup_open_proxy(&srv, &cfg);
	/* The sockets are open: no capability but CAP_DAC_READ_SEARCH is needed
	 * from here on, and no thread runs yet (capabilities are per thread). */
	startup_confine_caps(&srv);
}

/* The database, tokens, the policy history (start_doc, the loaded policy,
 * is stolen) and the services beside them. 0, or -1 after telling the
 * parent. */
static int
open_state(int ready_fd)
{
	srv.audit = startup_open_audit(&cfg, &start_err);
	if (srv.audit == NULL ||
	    (srv.tokens = tokens_open(audit_db(srv.audit), srv.audit, &start_err)) == NULL) {
		log_warnx("state database in %s: %s", cfg.state_dir,
		          start_err ? start_err : "cannot open");
		process_report_ready(ready_fd, 1);
		return -1;
	}
	auth_set_tokens(srv.auth, srv.tokens);
	startup_home_group_resolve(&srv, cfg.home_group);
	/* Versions come from the policy history: the file keeps the newest
	 * version's number when its content matches, else it becomes a new one. */
	if ((srv.policystore = policystore_open(audit_db(srv.audit))) == NULL ||
	    (srv.policylife = policylife_new(srv.served, srv.policystore, srv.audit,
	                                     cfg.upstream[0] != '\0')) == NULL)
		fatalx("out of memory");
	h_users_prefs_expire(&srv);
	if ((srv.userpolicy =
	         userpolicy_open(srv.served, srv.policystore, srv.audit, &start_err)) == NULL ||
	    policylife_start(srv.policylife, take_start_doc(), &errs) != 0) {
		log_warnx("%s: %s", cfg.settings,
		          start_err
		              ? start_err
		              : (errs.n > 0 ? errs.v[0].message : "cannot version the policy"));
		process_report_ready(ready_fd, 1);
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
	hopts->allowed_hosts = cfg.allowed_hosts.v;
	hopts->n_allowed_hosts = cfg.allowed_hosts.n;
	hopts->auth = srv.auth;
}

/* Announce policy changes, ask the engine, start the proxy, confine the
 * process and start serving. 0 once ready (the parent told), else -1. */
static int
go_live(int ready_fd)
{
	struct http_opts hopts;
	struct served *s;

	http_options(&hopts);
	if (srv.proxy != NULL &&
	    proxy_start(srv.proxy, srv.judge, srv.containers, &start_err) != 0) {
		log_warnx("%s", start_err != NULL ? start_err : "cannot start");
		process_report_ready(ready_fd, 1);
		http_stop(srv.http, 0);
		return -1;
	}
	/* Sockets, files and database are open: only the allowlist from here. */
	if (confine_syscalls() != 0)
		fatalx("confine: cannot load the system call filter");
	if (http_start(srv.http, &hopts, &srv) != 0) {
		process_report_ready(ready_fd, 1);
		http_stop(srv.http, 0);
		return -1;
	}
	srv.watch = watch_start(cfg.settings, startup_reload, &srv);
	if (!cfg.foreground)
		process_write_pid_file(cfg.pid_file);
	s = served_acquire(srv.served);
	log_info("locksetd %s ready: policy v%lld from %s", PACKAGE_VERSION, s->version,
	         cfg.settings);
	served_release(s);
	process_report_ready(ready_fd, 0);
	startup_notify_ready(&srv);
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
			if (startup_home_group_resolve(&srv, cfg.home_group) &&
			    policylife_rebuild(srv.policylife) != 0)
				log_warnx("out of memory applying the new homes of %s",
				          cfg.home_group);
			startup_reload(&srv);
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
	server_stop(&srv);
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

	/* First of all: a stop or a reload asked for while starting waits for
	 * sigwait (serve_signals) instead of taking the signal's default
	 * action, which would end the process uncleanly (SIGHUP's included). */
	block_signals(&sigs);
	atexit(release_at_exit);
	if (config_load(&cfg, argc, argv, &errs) != 0) {
		process_print_problems(stderr, "locksetd: ", &errs);
		fprintf(stderr, "locksetd: see --help\n");
		return 2;
	}
	srv.cfg = &cfg;
	if ((rc = print_and_exit()) >= 0)
		return rc;
	if (startup_check_files(&cfg, &errs) != 0) {
		process_print_problems(stderr, "locksetd: ", &errs);
		return 2;
	}
	log_level_parse(cfg.log_level, &level);
	log_init(cfg.foreground || cfg.check_config, level);
	settings_env_default(&env);
	if ((srv.served = served_hub_new(cfg.settings, &env)) == NULL ||
	    (srv.settings = settings_api_new()) == NULL || (srv.http = http_new()) == NULL)
		fatalx("out of memory");
	if (cfg.check_config)
		return process_check_config(&cfg);
	if (cfg.create_token != NULL)
		return startup_create_token(&cfg);

	/* Every descriptor the hard limit allows: the caps are planned from it. */
	http_raise_fd_limit();
	if (!cfg.foreground) {
		if (process_pid_dir_check(cfg.pid_file) != 0)
			return 1;
		ready_fd = process_daemonize();
	}

	/* The policy first: an invalid file stops the daemon with every error. */
	if ((start_doc = served_load(srv.served, &errs, &warns)) == NULL) {
		log_warnx("%s: invalid policy, not starting (%zu problem%s)", cfg.settings, errs.n,
		          errs.n == 1 ? "" : "s");
		process_log_problems(cfg.settings, errs.v, errs.n, "error");
		process_report_ready(ready_fd, 1);
		return 1;
	}
	process_log_problems(cfg.settings, warns.v, warns.n, "warning");

	open_sockets();
	if (open_state(ready_fd) != 0 || go_live(ready_fd) != 0)
		return 1;
	serve_signals(&sigs);
	shut_down();
	log_info("stopped");
	return 0;
}
