/* SPDX-License-Identifier: Apache-2.0 */
/* Option table, command-line and config-file parsing. The table is the only
 * place an option is described: adding a row adds the flag, the config-file
 * key, its validation, its --help line and its --print-config line. */
#include "config.h"

#include "audit/audit_syslog.h"
#include "fleet/bundle.h"
#include "http/http.h"
#include "http/http_guard.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
	OPT_STRING,     /* free text */
	OPT_PATH,       /* absolute path */
	OPT_LISTEN,     /* repeatable listen spec */
	OPT_LIST,       /* repeatable free text */
	OPT_BOOL,       /* flag on the command line, true/false in the file */
	OPT_INT,        /* integer within [min, max] */
	OPT_RATE,       /* "N/s" or N: an integer within [min, max] per second */
	OPT_ENUM,       /* one of choices */
	OPT_ACTION,     /* command-line only flag that selects a one-shot action */
	OPT_ACTION_ARG, /* command-line only, with an argument */
};

#define OPT_CLI_ONLY 0x1

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *defval;
	long min, max;
	const char *choices; /* "a|b|c" for OPT_ENUM */
	unsigned flags;
	const char *arg;
	const char *help;
};

#define OFF(field) offsetof(struct config, field)

static const struct option_def options[] = {
    {"settings", OPT_PATH, OFF(settings), "/etc/lockset/admin-settings.json", 0, 0, NULL, 0, "FILE",
     "the organisation policy file (Docker Desktop admin-settings.json format)"},
    {"state-dir", OPT_PATH, OFF(state_dir), "/var/lib/lockset", 0, 0, NULL, 0, "DIR",
     "state directory: audit database, signing key"},
    {"listen", OPT_LISTEN, OFF(listen), "unix:/run/lockset/lockset.sock", 0, 0, NULL, 0, "ADDR",
     "REST listener: unix:PATH or HOST:PORT ([::1]:PORT for IPv6); repeatable"},
    {"authz-socket", OPT_PATH, OFF(authz_socket), "/run/docker/plugins/lockset.sock", 0, 0, NULL, 0,
     "PATH", "Docker authorization plugin socket (empty: no plugin)"},
    {"engine-socket", OPT_PATH, OFF(engine_socket), "/var/run/docker.sock", 0, 0, NULL, 0, "PATH",
     "Docker Engine API socket, asked about containers lockset has no record of (empty: "
     "never asked; they are then unknown)"},
    {"container-records-days", OPT_INT, OFF(container_days), "0", 0, 36500, NULL, 0, "DAYS",
     "prune container records older than this (0: keep)"},
    {"container-records-max", OPT_INT, OFF(container_max), "100000", 1, 100000, NULL, 0, "N",
     "keep at most this many container records (oldest pruned first)"},
    {"docker-proxy", OPT_STRING, OFF(docker_proxy), "", 0, 0, NULL, 0, "unix:PATH",
     "serve the Docker API to users here (e.g. unix:/var/run/docker.sock), judging each "
     "request as its caller before forwarding it to --engine-socket (empty: no proxy)"},
    {"docker-proxy-group", OPT_STRING, OFF(docker_proxy_group), "docker", 0, 0, NULL, 0, "NAME",
     "group of the --docker-proxy socket (0660 root:NAME; empty: root only)"},
    {"foreground", OPT_BOOL, OFF(foreground), "false", 0, 0, NULL, 0, NULL,
     "stay in the foreground and log to stderr"},
    {"config", OPT_PATH, OFF(config_file), "", 0, 0, NULL, OPT_CLI_ONLY, "FILE",
     "read options from a \"key = value\" file; the command line wins"},
    {"pid-file", OPT_PATH, OFF(pid_file), "/run/lockset/locksetd.pid", 0, 0, NULL, 0, "FILE",
     "pid file written when daemonised"},
    {"log-level", OPT_ENUM, OFF(log_level), "info", 0, 0, "error|warn|info|debug", 0, "LEVEL",
     "log verbosity"},
    {"max-body", OPT_INT, OFF(max_body), "1048576", 1024, 64L * 1024 * 1024, NULL, 0, "BYTES",
     "largest request body accepted (413 beyond)"},
    {"max-url", OPT_INT, OFF(max_url), "8192", 256, 65536, NULL, 0, "BYTES",
     "longest request URI accepted (414 beyond)"},
    {"max-headers", OPT_INT, OFF(max_headers), "8192", 1024, 65536, NULL, 0, "BYTES",
     "largest total request header size accepted (431 beyond)"},
    {"connection-timeout", OPT_INT, OFF(conn_timeout), "30", 1, 3600, NULL, 0, "SECONDS",
     "close a connection idle this long, or whose request has not arrived whole after this "
     "long"},
    {"max-connections", OPT_INT, OFF(max_connections), "0", 0, 1000000, NULL, 0, "N",
     "connections each REST listener serves at once; more get 503 (0: as many as the "
     "descriptor limit allows, after what the plugin socket and root are kept)"},
    {"max-connections-per-peer", OPT_INT, OFF(max_conn_peer), "256", 1, 1000000, NULL, 0, "N",
     "connections one peer (a local uid, over a Unix socket or loopback TCP; else a TCP "
     "address) may hold on a REST listener; more get "
     "429 (root on a Unix socket: no limit)"},
    {"threads", OPT_INT, OFF(threads), "0", 0, 256, NULL, 0, "N",
     "worker threads per listener (0: one per core)"},
    {"long-poll-max", OPT_INT, OFF(long_poll_max), "300", 1, 3600, NULL, 0, "SECONDS",
     "cap on GET /v1/settings?wait="},
    {"long-poll-max-waiters", OPT_INT, OFF(longpoll_total), "0", 0, 1000000, NULL, 0, "N",
     "GET /v1/settings?wait= requests waiting at once; more get 503 (0: three quarters of the "
     "REST connections; admins may exceed it by a few)"},
    {"long-poll-per-caller", OPT_INT, OFF(longpoll_caller), "64", 1, 1000000, NULL, 0, "N",
     "long-polls one caller (uid or token) may have waiting; more get 429 (admins: no limit)"},
    {"audit-sync", OPT_ENUM, OFF(audit_sync), "full", 0, 0, "full|normal", 0, "MODE",
     "SQLite synchronous mode for the audit log"},
    {"audit-retention-days", OPT_INT, OFF(retention_days), "0", 0, 36500, NULL, 0, "DAYS",
     "prune audit events older than this (0: keep)"},
    {"audit-retention-rows", OPT_INT, OFF(retention_rows), "0", 0, LONG_MAX, NULL, 0, "N",
     "keep at most this many audit events (0: no limit)"},
    {"audit-checkpoint-interval", OPT_INT, OFF(checkpoint_interval), "3600", 0, 86400 * 7, NULL, 0,
     "SECONDS",
     "record a signed checkpoint of the audit chain's head this often, as an audit.checkpoint "
     "row (forwarded to syslog and the central lockset) (0: never)"},
    {"audit-reset", OPT_BOOL, OFF(audit_reset), "false", 0, 0, NULL, OPT_CLI_ONLY, NULL,
     "start a new audit log when lockset.db is missing or empty beside its signing key "
     "(refused otherwise; the new log's first row says so)"},
    {"inputs-max-rows", OPT_INT, OFF(inputs_max_rows), "100000", 1, 10000000, NULL, 0, "N",
     "recorded decision inputs (impact preview): rows kept at most, oldest pruned first"},
    {"inputs-max-bytes", OPT_INT, OFF(inputs_max_bytes), "67108864", 65536, 64L << 30, NULL, 0,
     "BYTES",
     "recorded decision inputs: bytes of URI and body kept at most (each body once), oldest "
     "pruned first"},
    {"inputs-max-days", OPT_INT, OFF(inputs_max_days), "30", 0, 36500, NULL, 0, "DAYS",
     "recorded decision inputs: pruned after this many days (0: by the other limits only)"},
    {"inputs-max-uri", OPT_INT, OFF(inputs_max_uri), "16384", 256, 1048576, NULL, 0, "BYTES",
     "longest request URI a decision's input is recorded with (the decision is made all "
     "the same); POST /v1/decisions refuses longer ones (400)"},
    {"prefs-max-bytes", OPT_INT, OFF(prefs_max_bytes), "65536", 1024, 1048576, NULL, 0, "BYTES",
     "largest preferences document of one user (PUT /v1/users/{user}/settings; 413 beyond)"},
    {"prefs-max-users", OPT_INT, OFF(prefs_max_users), "10000", 1, 10000000, NULL, 0, "N",
     "users with stored preferences at most (a new user beyond gets 409)"},
    {"prefs-max-users-per-caller", OPT_INT, OFF(prefs_max_users_per_caller), "100", 1, 10000000,
     NULL, 0, "N",
     "users whose preferences one caller (a token acts for any user) last wrote, at most; "
     "admins are not bound (a new user beyond gets 409)"},
    {"prefs-max-days", OPT_INT, OFF(prefs_max_days), "365", 0, 36500, NULL, 0, "DAYS",
     "preferences unchanged this long are removed, audited (0: kept)"},
    {"role-map", OPT_LIST, OFF(role_map), "", 0, 0, NULL, 0, "SPEC",
     "Unix peer role: uid:N=ROLE, user:NAME=ROLE or group:NAME=ROLE; repeatable"},
    {"prefs-any-user", OPT_LIST, OFF(prefs_any_user), "", 0, 0, NULL, 0, "SPEC",
     "Unix peer that may read and write every user's preferences (others: only their "
     "own): uid:N, user:NAME or group:NAME; repeatable"},
    {"home-group", OPT_STRING, OFF(home_group), "docker", 0, 0, NULL, 0, "NAME",
     "the group of docker users: $HOME in policies expands to its members' homes, and its "
     "Unix peers may read decisions by id"},
    {"events-rate", OPT_RATE, OFF(events_rate), "100/s", 0, 1000000, NULL, 0, "N/s",
     "events one caller may report per second (POST /v1/events; 0/s: no limit)"},
    {"events-burst", OPT_INT, OFF(events_burst), "200", 1, 1000000, NULL, 0, "N",
     "events one caller may report at once before --events-rate applies"},
    {"decisions-rate", OPT_RATE, OFF(decisions_rate), "1000/s", 0, 10000000, NULL, 0, "N/s",
     "decisions one caller may ask for per second (POST /v1/decisions; 0/s: no limit)"},
    {"decisions-burst", OPT_INT, OFF(decisions_burst), "2000", 1, 10000000, NULL, 0, "N",
     "decisions one caller may ask for at once before --decisions-rate applies"},
    {"tls-cert", OPT_PATH, OFF(tls_cert), "", 0, 0, NULL, 0, "FILE",
     "PEM certificate for TCP listeners"},
    {"tls-key", OPT_PATH, OFF(tls_key), "", 0, 0, NULL, 0, "FILE",
     "PEM private key for TCP listeners"},
    {"allow-insecure-tcp", OPT_BOOL, OFF(allow_insecure_tcp), "false", 0, 0, NULL, 0, NULL,
     "allow a non-loopback TCP listener without TLS"},
    {"allowed-host", OPT_LIST, OFF(allowed_hosts), "", 0, 0, NULL, 0, "NAME",
     "a name TCP listeners answer to in the Host header, besides localhost and loopback "
     "addresses (a reverse proxy's, or this host's); other names get 421, so that no web page "
     "can rebind its own name to the daemon. Without one, a listener on a non-loopback "
     "address answers any Host; repeatable"},
    {"bundle-signing-key", OPT_PATH, OFF(bundle_signing_key), "", 0, 0, NULL, 0, "FILE",
     "Ed25519 private key (PEM) to sign GET /v1/bundle with (empty: serve no bundle)"},
    {"bundle-validity", OPT_INT, OFF(bundle_validity), "604800", 0, BUNDLE_VALIDITY_MAX, NULL, 0,
     "SECONDS",
     "how long a bundle's signature vouches that it is the newest; signed again at half "
     "(0: v1 bundles, which never expire)"},
    {"hosts-stale-after", OPT_INT, OFF(hosts_stale_after), "900", 1, 10L * 366 * 86400, NULL, 0,
     "SECONDS", "GET /v1/hosts calls a host stale when it has not reported for this long"},
    {"hosts-max", OPT_INT, OFF(hosts_max), "100000", 1, 100000000, NULL, 0, "N",
     "hosts a central keeps reports of at most (a new host beyond gets 409)"},
    {"upstream", OPT_STRING, OFF(upstream), "", 0, 0, NULL, 0, "URL",
     "take the policy from this central lockset's signed bundles (local edits are refused)"},
    {"upstream-token-file", OPT_PATH, OFF(upstream_token_file), "", 0, 0, NULL, 0, "FILE",
     "file holding the bearer token (runtime role) for --upstream"},
    {"bundle-key", OPT_PATH, OFF(bundle_key), "", 0, 0, NULL, 0, "FILE",
     "Ed25519 public key (PEM) every bundle from --upstream must be signed with"},
    {"upstream-cacert", OPT_PATH, OFF(upstream_cacert), "", 0, 0, NULL, 0, "FILE",
     "CA certificates (PEM) to check an https --upstream with (default: the system's)"},
    {"upstream-wait", OPT_INT, OFF(upstream_wait), "30", 1, 3600, NULL, 0, "SECONDS",
     "long-poll length for --upstream; hosts behind one cache should use one value"},
    {"upstream-retry-max", OPT_INT, OFF(upstream_retry_max), "60", 1, 3600, NULL, 0, "SECONDS",
     "longest wait between attempts while --upstream is unreachable"},
    {"upstream-report-interval", OPT_INT, OFF(upstream_report_interval), "60", 1, 86400, NULL, 0,
     "SECONDS", "how often to report status to --upstream"},
    {"host-name", OPT_STRING, OFF(host_name), "", 0, 0, NULL, 0, "NAME",
     "this host's name in status reports, audit rows and checkpoints (default: the system "
     "host name)"},
    {"syslog", OPT_STRING, OFF(syslog), "", 0, 0, NULL, 0, "TARGET",
     "forward every audit row to syslog: udp:HOST:PORT, tcp:HOST:PORT, tls:HOST:PORT, unix:PATH"},
    {"syslog-cacert", OPT_PATH, OFF(syslog_cacert), "", 0, 0, NULL, 0, "FILE",
     "CA certificates (PEM) to check a tls: --syslog receiver with (default: the system's)"},
    {"check-config", OPT_ACTION, OFF(check_config), NULL, 0, 0, NULL, OPT_CLI_ONLY, NULL,
     "validate the configuration and the policy file, print every problem, exit 0/1"},
    {"print-config", OPT_ACTION, OFF(print_config), NULL, 0, 0, NULL, OPT_CLI_ONLY, NULL,
     "print the effective configuration and exit"},
    {"create-token", OPT_ACTION_ARG, OFF(create_token), NULL, 0, 0, NULL, OPT_CLI_ONLY, "NAME",
     "create an API token in the state database, print its secret, exit"},
    {"role", OPT_ENUM, OFF(token_role), "admin", 0, 0, "runtime|auditor|admin", OPT_CLI_ONLY,
     "ROLE", "role of the token made by --create-token"},
    {"expires-in", OPT_INT, OFF(token_ttl), "0", 0, 10L * 366 * 86400, NULL, OPT_CLI_ONLY,
     "SECONDS", "lifetime of the token made by --create-token (0: no expiry)"},
    {"version", OPT_ACTION, OFF(version), NULL, 0, 0, NULL, OPT_CLI_ONLY, NULL,
     "print the version and exit"},
    {"help", OPT_ACTION, OFF(help), NULL, 0, 0, NULL, OPT_CLI_ONLY, NULL,
     "print this help and exit"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option_def *
option_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
			return &options[i];
	}
	return NULL;
}

static int
option_takes_value(const struct option_def *o)
{
	return o->type != OPT_BOOL && o->type != OPT_ACTION;
}

static void
strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
strlist_add(struct strlist *l, const char *s)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	l->v = v;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static int
choice_valid(const char *choices, const char *value)
{
	size_t len = strlen(value);
	const char *c = choices;

	while (c != NULL && *c != '\0') {
		const char *bar = strchr(c, '|');
		size_t clen = bar ? (size_t)(bar - c) : strlen(c);
		if (clen == len && strncmp(c, value, len) == 0)
			return 1;
		c = bar ? bar + 1 : NULL;
	}
	return 0;
}

/* Validate value for o and store it. where names the source for messages. */
static int
option_set(struct config *cfg, const struct option_def *o, const char *value, const char *where,
           struct problems *errs)
{
	void *field = (char *)cfg + o->offset;
	char *err = NULL;

	switch (o->type) {
	case OPT_PATH:
		if (value[0] != '\0' && value[0] != '/') {
			problems_add(errs, where, "--%s: expected an absolute path, got \"%s\"",
			             o->name, value);
			return -1;
		}
		/* fall through */
	case OPT_STRING:
	case OPT_ENUM:
	case OPT_ACTION_ARG:
		if (o->type == OPT_ENUM && !choice_valid(o->choices, value)) {
			problems_add(errs, where, "--%s: expected one of %s, got \"%s\"", o->name,
			             o->choices, value);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = strdup(value);
		return 0;
	case OPT_LISTEN:
		if (http_listen_spec_valid(value, &err) != 0) {
			problems_add(errs, where, "--%s: %s", o->name, err ? err : "invalid");
			free(err);
			return -1;
		}
		/* fall through */
	case OPT_LIST:
		if (value[0] == '\0')
			return 0;
		return strlist_add(field, value);
	case OPT_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0)
			*(int *)field = 1;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		         strcmp(value, "0") == 0)
			*(int *)field = 0;
		else {
			problems_add(errs, where, "--%s: expected true or false, got \"%s\"",
			             o->name, value);
			return -1;
		}
		return 0;
	case OPT_INT:
	case OPT_RATE: {
		char *end;
		long v;
		errno = 0;
		v = strtol(value, &end, 10);
		if (o->type == OPT_RATE && strcmp(end, "/s") == 0)
			end += 2;
		if (errno != 0 || end == value || *end != '\0' || v < o->min || v > o->max) {
			problems_add(errs, where, "--%s: expected %s from %ld to %ld, got \"%s\"",
			             o->name,
			             o->type == OPT_RATE ? "a rate N/s with N" : "an integer",
			             o->min, o->max, value);
			return -1;
		}
		*(long *)field = v;
		return 0;
	}
	case OPT_ACTION:
		*(int *)field = 1;
		return 0;
	}
	return -1;
}

static void
config_defaults(struct config *cfg, struct problems *errs)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (options[i].defval != NULL)
			option_set(cfg, &options[i], options[i].defval, "default", errs);
	}
}

/* Trim leading and trailing blanks in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int
config_read_file(struct config *cfg, const char *path, struct problems *errs)
{
	FILE *f = fopen(path, "r");
	char line[4096], where[512];
	int lineno = 0, rc = 0;
	int list_seen[NOPTIONS] = {0};

	if (f == NULL) {
		problems_add(errs, "config", "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = trim(line), *eq, *key, *value;
		const struct option_def *o;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			problems_add(errs, where, "expected \"key = value\"");
			rc = -1;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		if (value[0] == '"' && strlen(value) >= 2 && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		o = option_find(key, strlen(key));
		if (o == NULL || (o->flags & OPT_CLI_ONLY)) {
			problems_add(errs, where, "unknown option \"%s\"", key);
			rc = -1;
			continue;
		}
		/* A list given in the file replaces the default list. */
		if ((o->type == OPT_LIST || o->type == OPT_LISTEN) && !list_seen[o - options]) {
			strlist_clear((struct strlist *)((char *)cfg + o->offset));
			list_seen[o - options] = 1;
		}
		if (option_set(cfg, o, value, where, errs) != 0)
			rc = -1;
	}
	fclose(f);
	return rc;
}

int
config_load(struct config *cfg, int argc, char **argv, struct problems *errs)
{
	int list_seen[NOPTIONS] = {0};
	const char *config_path = NULL;
	size_t before = errs->n;

	config_defaults(cfg, errs);
	/* The file is read first so that the command line wins over it. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config_path = argv[i] + 9;
	}
	if (config_path != NULL && config_read_file(cfg, config_path, errs) != 0)
		return -1;

	/* Each message names the argument it is about: no path before it. */
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *value = NULL;
		const struct option_def *o;

		if (strncmp(arg, "--", 2) != 0) {
			problems_add(errs, NULL, "unexpected argument \"%s\"", arg);
			continue;
		}
		eq = strchr(arg + 2, '=');
		o = option_find(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (o == NULL) {
			problems_add(errs, NULL, "unknown option \"%s\" (see --help)", arg);
			continue;
		}
		if (eq != NULL) {
			if (!option_takes_value(o)) {
				problems_add(errs, NULL, "--%s takes no value", o->name);
				continue;
			}
			value = eq + 1;
		} else if (option_takes_value(o)) {
			if (i + 1 >= argc) {
				problems_add(errs, NULL, "--%s needs a value (%s)", o->name,
				             o->arg);
				continue;
			}
			value = argv[++i];
		} else {
			value = "true";
		}
		if ((o->type == OPT_LIST || o->type == OPT_LISTEN) && !list_seen[o - options]) {
			strlist_clear((struct strlist *)((char *)cfg + o->offset));
			list_seen[o - options] = 1;
		}
		option_set(cfg, o, value, NULL, errs);
	}
	if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0'))
		problems_add(errs, NULL, "--tls-cert and --tls-key go together");
	if (cfg->upstream[0] != '\0' && strncmp(cfg->upstream, "http://", 7) != 0 &&
	    strncmp(cfg->upstream, "https://", 8) != 0)
		problems_add(errs, NULL, "--upstream: expected an http:// or https:// URL");
	if (cfg->upstream[0] != '\0' && cfg->bundle_key[0] == '\0')
		problems_add(errs, NULL, "--upstream needs --bundle-key");
	if (cfg->bundle_validity > 0 && cfg->bundle_validity < BUNDLE_VALIDITY_MIN)
		problems_add(errs, NULL,
		             "--bundle-validity: expected 0 (bundles that never expire) or at "
		             "least %ld seconds",
		             BUNDLE_VALIDITY_MIN);
	for (size_t i = 0; i < cfg->allowed_hosts.n; i++) {
		if (!http_guard_host_name_valid(cfg->allowed_hosts.v[i]))
			problems_add(
			    errs, NULL,
			    "--allowed-host: \"%s\" is not a host name (letters, digits, '-', "
			    "'_' and '.')",
			    cfg->allowed_hosts.v[i]);
	}
	if (cfg->syslog[0] != '\0') {
		struct audit_syslog_target t;
		char *err = NULL;
		if (audit_syslog_parse_target(cfg->syslog, &t, &err) != 0)
			problems_add(errs, NULL, "%s", err ? err : "--syslog: invalid");
		free(err);
	}
	return errs->n == before ? 0 : -1;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		void *field = (char *)cfg + options[i].offset;
		switch (options[i].type) {
		case OPT_PATH:
		case OPT_STRING:
		case OPT_ENUM:
		case OPT_ACTION_ARG:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case OPT_LIST:
		case OPT_LISTEN:
			strlist_clear(field);
			break;
		default:
			break;
		}
	}
}

void
config_print_help(FILE *out)
{
	fprintf(out, "usage: locksetd [OPTIONS]\n\n"
	             "Holds locked container-security settings, serves them over REST, decides\n"
	             "on Docker Engine API requests and keeps a tamper-evident audit log.\n\n"
	             "Options (also \"key = value\" lines in a --config file):\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option_def *o = &options[i];
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s", left, o->help);
		if (o->type == OPT_ENUM)
			fprintf(out, " (%s", o->choices);
		if (o->defval != NULL && o->defval[0] != '\0' && o->type != OPT_BOOL)
			fprintf(out, "%sdefault %s)", o->type == OPT_ENUM ? "; " : " (", o->defval);
		else if (o->type == OPT_ENUM)
			fprintf(out, ")");
		fprintf(out, "\n");
	}
}

void
config_print(const struct config *cfg, FILE *out)
{
	fprintf(out, "# locksetd configuration (--print-config)\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option_def *o = &options[i];
		const void *field = (const char *)cfg + o->offset;

		if (o->flags & OPT_CLI_ONLY)
			continue;
		fprintf(out, "# %s\n", o->help);
		switch (o->type) {
		case OPT_PATH:
		case OPT_STRING:
		case OPT_ENUM:
			fprintf(out, "%s = %s\n", o->name,
			        *(char *const *)field ? *(char *const *)field : "");
			break;
		case OPT_LIST:
		case OPT_LISTEN: {
			const struct strlist *l = field;
			if (l->n == 0)
				fprintf(out, "# %s =\n", o->name);
			for (size_t j = 0; j < l->n; j++)
				fprintf(out, "%s = %s\n", o->name, l->v[j]);
			break;
		}
		case OPT_BOOL:
			fprintf(out, "%s = %s\n", o->name, *(const int *)field ? "true" : "false");
			break;
		case OPT_INT:
			fprintf(out, "%s = %ld\n", o->name, *(const long *)field);
			break;
		case OPT_RATE:
			fprintf(out, "%s = %ld/s\n", o->name, *(const long *)field);
			break;
		default:
			break;
		}
	}
}
