/* SPDX-License-Identifier: Apache-2.0 */
/* The steps of start-up that main() runs in order (main.c): the audit log,
 * access, the home group, recorded inputs, containers, the docker proxy,
 * capabilities, upstream mode, listeners; readiness and reload. */
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

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Tell the service manager the daemon serves, and which policy. */
void
startup_notify_ready(struct server *srv)
{
	struct served *s = served_acquire(srv->served);
	char status[64];

	snprintf(status, sizeof(status), "serving policy v%lld", s ? s->version : 0);
	served_release(s);
	service_notify_ready(status);
}

/* SIGHUP and the file watch: re-read the settings file. A changed document
 * becomes a new version (actor "file", audited by policylife.c); an invalid
 * one is refused, logged and audited, and the current policy keeps serving. */
void
startup_reload(void *arg)
{
	struct server *srv = arg;
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	struct served *before = served_acquire(srv->served), *after;
	int changed = 0;

	service_notify_reloading();
	if (policylife_reload(srv->policylife, &errs, &warns, &changed) != 0) {
		log_warnx("reload of %s refused (%zu problem%s); still serving policy v%lld",
		          srv->cfg->settings, errs.n, errs.n == 1 ? "" : "s",
		          before ? before->version : 0);
		process_log_problems(srv->cfg->settings, errs.v, errs.n, "error");
	} else {
		process_log_problems(srv->cfg->settings, warns.v, warns.n, "warning");
		after = served_acquire(srv->served);
		if (changed)
			log_info("policy v%lld loaded from %s", after->version, srv->cfg->settings);
		else
			log_info("policy file %s unchanged (v%lld)", srv->cfg->settings,
			         after->version);
		served_release(after);
	}
	served_release(before);
	problems_clear(&errs);
	problems_clear(&warns);
	startup_notify_ready(srv);
}

/* Is the host of the URL rest (after "http://") a loopback name or
 * address: localhost, 127.0.0.0/8, [::1]? */
static int
upstream_host_loopback(const char *rest)
{
	size_t n = strcspn(rest, "/:?#");
	char host[16];
	struct in_addr a;

	if (rest[0] == '[')
		return strncmp(rest, "[::1]", 5) == 0;
	if (n == 9 && strncasecmp(rest, "localhost", 9) == 0)
		return 1;
	if (n >= sizeof(host))
		return 0;
	memcpy(host, rest, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* The directory that holds path, and for each symbolic link on the way to
 * its file the directory that holds what the link names, each resolved
 * and judged by the trust rule: whoever could write one of them could
 * swap the file after this check. 0, or -1 with a problem in one. */
static int
check_link_chain(const char *path, struct problems *one)
{
	char cur[4096], target[4096], *copy, *dir;
	struct stat st;
	ssize_t n;

	snprintf(cur, sizeof(cur), "%s", path);
	for (int hops = 0; hops <= 40; hops++) {
		if ((copy = strdup(cur)) == NULL)
			return -1;
		dir = realpath(dirname(copy), NULL);
		free(copy);
		if (dir == NULL || trust_check_path(dir, TRUST_DIR, 0, one) != 0 ||
		    lstat(cur, &st) != 0) {
			free(dir);
			return -1;
		}
		if (!S_ISLNK(st.st_mode)) {
			free(dir);
			return 0;
		}
		if ((n = readlink(cur, target, sizeof(target) - 1)) < 0) {
			free(dir);
			return -1;
		}
		target[n] = '\0';
		/* An absolute target stands for itself; a relative one is in dir. */
		if (target[0] == '/') {
			memcpy(cur, target, (size_t)n + 1);
		} else if (strlen(dir) + 1 + (size_t)n < sizeof(cur)) {
			size_t dl = strlen(dir);

			memcpy(cur, dir, dl);
			cur[dl] = '/';
			memcpy(cur + dl + 1, target, (size_t)n + 1);
		} else {
			free(dir);
			return -1;
		}
		free(dir);
	}
	return -1;
}

/* One file an option names, judged by the trust rule after symbolic links
 * (a certificate manager's live/ links are links), it and the directories
 * on its way (check_link_chain): whoever could write one could change what
 * this host enforces or who it talks to, now or after this check. A secret
 * may be read by its group (Debian's ssl-cert), by nobody else. A file that
 * is missing is left to the code that reads it. */
static void
check_option_file(const char *opt, const char *path, int secret, struct problems *errs)
{
	struct problems one = PROBLEMS_INIT;
	struct stat st;

	if (path == NULL || path[0] == '\0' || stat(path, &st) != 0)
		return;
	if (trust_check_stat(path, &st, TRUST_FILE, &one) != 0 || check_link_chain(path, &one) != 0)
		problems_add(errs, opt, "%s",
		             one.n > 0 ? one.v[0].message
		                       : "cannot be resolved to a file through its links");
	else if (secret && (st.st_mode & S_IROTH))
		problems_add(
		    errs, opt,
		    "%s is readable by others (mode %04o): it holds a secret; chmod o-r it", path,
		    (unsigned)(st.st_mode & 07777));
	problems_clear(&one);
}

int
startup_check_files(const struct config *c, struct problems *errs)
{
	size_t before = errs->n;

	check_option_file("--config", c->config_file, 0, errs);
	check_option_file("--bundle-key", c->bundle_key, 0, errs);
	check_option_file("--bundle-signing-key", c->bundle_signing_key, 1, errs);
	check_option_file("--upstream-token-file", c->upstream_token_file, 1, errs);
	check_option_file("--upstream-cacert", c->upstream_cacert, 0, errs);
	check_option_file("--tls-cert", c->tls_cert, 0, errs);
	check_option_file("--tls-key", c->tls_key, 1, errs);
	check_option_file("--syslog-cacert", c->syslog_cacert, 0, errs);
	return errs->n == before ? 0 : -1;
}

struct audit *
startup_open_audit(const struct config *cfg, char **err)
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
	/* The name the host reports under is the one its rows and checkpoints
	 * carry: a central takes a checkpoint only as the reporting host's. */
	aopts.host = cfg->host_name[0] != '\0' ? cfg->host_name : NULL;
	return audit_open(cfg->state_dir, &aopts, err);
}

/* The home group (--home-group): its peers may read decisions by id, and
 * $HOME stands for its members' homes when no user is named. Resolved at
 * start-up and on every SIGHUP; a group that is missing or empty is logged
 * once (when that becomes so). Returns 1 when the homes changed. */
int
startup_home_group_resolve(struct server *srv, const char *name)
{
	struct group gr, *res = NULL;
	struct homes homes = {0};
	char buf[16384];
	int found, changed, state;

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
		auth_set_home_group(srv->auth, gr.gr_gid, 1);
	else
		auth_set_home_group(srv->auth, 0, 0);
	found = homes_of_group(&homes_nss_system, name, &homes);
	state = found <= 0 ? 1 : (homes.n == 0 ? 2 : 0);
	if (state != srv->home_group_logged && state == 1)
		log_warnx("--home-group %s: no such group: $HOME in policies stands for no one, "
		          "and no one reads decisions by group membership",
		          name);
	else if (state != srv->home_group_logged && state == 2)
		log_warnx("--home-group %s: the group has no members with a home: $HOME in "
		          "policies stands for no one",
		          name);
	srv->home_group_logged = state;
	changed = served_set_homes(srv->served, &homes);
	if (changed > 0)
		log_info("$HOME stands for %zu home%s (members of %s)", homes.n,
		         homes.n == 1 ? "" : "s", name);
	homes_clear(&homes);
	return changed > 0;
}

/* Who may do what: srv->auth with the role maps and --prefs-any-user, the
 * events limit. Refuses to start on a bad entry. */
void
startup_access_configure(struct server *srv, const struct config *c)
{
	char *err = NULL;

	if (c->events_rate > 0 &&
	    ((srv->events_limit = ratelimit_new(c->events_rate, c->events_burst, NULL)) == NULL ||
	     (srv->reports_limit = ratelimit_new(c->events_rate, c->events_burst, NULL)) == NULL))
		fatalx("out of memory");
	if (c->decisions_rate > 0 && (srv->decisions_limit = ratelimit_new(
	                                  c->decisions_rate, c->decisions_burst, NULL)) == NULL)
		fatalx("out of memory");
	if ((srv->auth = auth_new()) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < c->role_map.n; i++) {
		if (auth_role_map_add(srv->auth, c->role_map.v[i], &err) != 0)
			fatalx("%s", err);
	}
	for (size_t i = 0; i < c->prefs_any_user.n; i++) {
		if (auth_prefs_any_user_add(srv->auth, c->prefs_any_user.v[i], &err) != 0)
			fatalx("%s", err);
	}
}

/* The limits of the recorded inputs: their own, the rows and the age
 * tightened by the audit retention when that is stricter. */
void
startup_inputs_limits_of(const struct config *c, struct inputs_limits *l)
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
int
startup_start_containers(struct server *srv, const struct config *cfg)
{
	struct containers_opts copts = {cfg->container_days, cfg->container_max};

	srv->containers = containers_open(audit_db(srv->audit), &copts);
	if (srv->containers == NULL)
		log_warnx("container records are not available: containers are looked up "
		          "through the engine");
	else
		containers_prune(srv->containers, time(NULL));
	srv->lookup = lookup_new(srv->containers, cfg->engine_socket, 0);
	if (srv->lookup == NULL) {
		log_warnx("cannot start the container lookups");
		return -1;
	}
	return 0;
}

/* The docker proxy's socket, opened with the listeners (its group needs
 * CAP_CHOWN); its threads start later (proxy.h). */
void
startup_open_proxy(struct server *srv, const struct config *c)
{
	struct proxy_opts po = {c->docker_proxy, c->docker_proxy_group, c->engine_socket};
	char *err = NULL;

	if (c->docker_proxy[0] == '\0')
		return;
	if (strncmp(c->docker_proxy, "unix:", 5) == 0)
		process_ensure_parent_dir(c->docker_proxy + 5, 0755);
	if ((srv->proxy = proxy_open(&po, &err)) == NULL)
		fatalx("%s", err != NULL ? err : "cannot open the docker proxy's socket");
}

/* Capabilities: CAP_DAC_READ_SEARCH for every thread, CAP_SETUID and
 * CAP_SETGID for the proxy's access thread alone. */
void
startup_confine_caps(struct server *srv)
{
	char *err = NULL;

	if (confine_capabilities(srv->proxy != NULL) != 0)
		fatalx("confine: cannot drop capabilities");
	if (srv->proxy == NULL)
		return;
	if (proxy_start_access(srv->proxy, &err) != 0)
		fatalx("%s", err != NULL ? err : "cannot start the docker proxy");
	if (confine_drop_setid() != 0)
		fatalx("confine: cannot drop the set-id capabilities");
}

/* --create-token: bootstrap a token without a running daemon or socket access. */
int
startup_create_token(const struct config *cfg)
{
	struct problems errs = PROBLEMS_INIT;
	struct audit_event ev = {.policy_version = -1};
	enum role role = ROLE_ADMIN;
	char *err = NULL, *secret = NULL, actor[64];
	struct audit *audit;
	struct tokens *tokens = NULL;
	int rc = 1;

	audit = startup_open_audit(cfg, &err);
	if (audit == NULL || (tokens = tokens_open(audit_db(audit), audit, &err)) == NULL) {
		fprintf(stderr, "locksetd: %s\n", err ? err : "cannot open the state database");
		goto out;
	}
	auth_role_parse(cfg->token_role, &role);
	snprintf(actor, sizeof(actor), "cli:uid=%ld", (long)getuid());
	switch (
	    tokens_create(tokens, cfg->create_token, role, cfg->token_ttl, actor, &secret, &errs)) {
	case 0:
		break;
	case -2:
		fprintf(stderr, "locksetd: a token named \"%s\" exists\n", cfg->create_token);
		goto out;
	default:
		process_print_problems(stderr, "locksetd: --create-token ", &errs);
		goto out;
	}
	ev.action = "token.created";
	ev.actor = actor;
	ev.component = "cli";
	ev.subject = cfg->create_token;
	ev.decision = "allow";
	if (audit_append(audit, &ev) < 0) {
		tokens_revoke(tokens, cfg->create_token);
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
	tokens_close(tokens);
	audit_close(audit);
	free(err);
	problems_clear(&errs);
	return rc;
}

/* Upstream mode: install the saved bundle and start fetching (srv->upstream). */
int
startup_start_upstream(struct server *srv, const struct config *c, char **err)
{
	struct upstream_opts o = {
	    .audit = srv->audit,
	    .judge = srv->judge,
	    .policy = {srv->served, srv->policylife, srv->userpolicy, srv->policystore},
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

	/* Bundles are signed, so plain HTTP cannot change a policy; it can show
	 * the token, hold updates back, or replay an older signed bundle to a
	 * host that has none yet. Said once, at start. */
	if (strncasecmp(c->upstream, "http://", 7) == 0 && !upstream_host_loopback(c->upstream + 7))
		log_warnx("--upstream %s is plain HTTP: the upstream token travels in clear, and "
		          "whoever is on the path can hold updates back or give a new host an "
		          "older signed bundle; use https://",
		          c->upstream);
	srv->upstream = upstream_start(&o, err);
	return srv->upstream != NULL ? 0 : -1;
}

/* A listener: the socket the service manager passed for spec, else a new one. */
void
startup_open_listener(struct http *h, const char *spec, enum listener_kind kind)
{
	char *err = NULL;
	int fd = service_take_fd(spec);

	if (fd < 0 && strncmp(spec, "unix:", 5) == 0)
		process_ensure_parent_dir(spec + 5, 0755);
	if ((fd >= 0 ? http_listen_fd(h, spec, kind, fd, &err)
	             : http_listen(h, spec, kind, &err)) != 0)
		fatalx("%s", err);
}

/* Passed sockets no option names are served too: the "authz" one as the
 * plugin socket, the others as API sockets. */
void
startup_open_unclaimed_listeners(struct http *h)
{
	char spec[256], *err = NULL;
	int fd, authz;

	while ((fd = service_take_unclaimed(&authz, spec, sizeof(spec))) >= 0) {
		if (http_listen_fd(h, spec, authz ? LISTEN_AUTHZ : LISTEN_API, fd, &err) != 0)
			fatalx("%s", err);
	}
}
