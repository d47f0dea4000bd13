/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon configuration. One table (config.c) describes every option: its
 * name, type, default and validation; it drives command-line parsing, the
 * commented "key = value" config file, --help and --print-config. */
#ifndef LOCKSET_CONFIG_H
#define LOCKSET_CONFIG_H

#include "util/problems.h"

#include <stdio.h>

struct strlist {
	char **v;
	size_t n;
};

struct config {
	char *settings;  /* the org policy file (admin-settings.json) */
	char *state_dir; /* SQLite database, keys, pid file default */
	struct strlist listen;
	char *authz_socket;       /* Docker authorization plugin socket */
	char *engine_socket;      /* Docker Engine API, for containers without a record */
	long container_days;      /* container records: prune after this many days (0: keep) */
	long container_max;       /* container records: at most this many rows */
	char *docker_proxy;       /* "unix:PATH": the docker socket proxy; "": none */
	char *docker_proxy_group; /* its socket's group; "": root only */
	int foreground;
	char *config_file;
	char *pid_file;
	char *log_level;
	long max_body;
	long max_url;
	long max_headers;
	long conn_timeout;
	long max_connections; /* per REST listener; 0: from the descriptor limit */
	long max_conn_peer;   /* per peer (uid, TCP address) on a REST listener */
	long longpoll_total;  /* long-poll waiters at most; 0: from the connection caps */
	long longpoll_caller; /* ... of one caller */
	long threads;
	long long_poll_max;
	char *audit_sync;
	long retention_days;
	long retention_rows;
	int audit_reset;          /* start a new log when the database was lost (audited) */
	long checkpoint_interval; /* seconds between signed audit checkpoints (0: none) */
	long inputs_max_rows;     /* recorded decision inputs: rows, */
	long inputs_max_bytes;    /* ... bytes of URI and body, */
	long inputs_max_days;     /* ... age, */
	long inputs_max_uri;      /* ... longest URI recorded (and judged by POST /v1/decisions) */
	long prefs_max_bytes;     /* user preferences: one user's document, */
	long prefs_max_users;     /* ... users with preferences, */
	long prefs_max_users_per_caller; /* ... of them last written by one caller, */
	long prefs_max_days;             /* ... days since a user's last change (0: keep) */
	struct strlist role_map;
	struct strlist prefs_any_user; /* Unix peers that act on every user's preferences */
	struct strlist allowed_hosts;  /* Host names TCP listeners answer to (besides loopback) */
	char *home_group;              /* the docker users: $HOME, reading decisions by id */
	long events_rate;              /* POST /v1/events per caller per second; 0: no limit */
	long events_burst;             /* ... and at once */
	long decisions_rate;           /* POST /v1/decisions per caller per second; 0: no limit */
	long decisions_burst;          /* ... and at once */
	char *tls_cert;
	char *tls_key;
	int allow_insecure_tcp;
	/* Fleet: a central lockset signs bundles; hosts report to it. */
	char *bundle_signing_key;
	long bundle_validity; /* seconds a bundle signature vouches for; 0: v1, none */
	long hosts_stale_after;
	long hosts_max; /* hosts a central keeps reports of, at most */
	char *upstream; /* URL of the central lockset; "" = standalone */
	char *upstream_token_file;
	char *bundle_key;
	char *upstream_cacert;
	long upstream_wait;
	long upstream_retry_max;
	long upstream_report_interval;
	char *host_name;
	char *syslog;        /* audit forwarding target; "" = none */
	char *syslog_cacert; /* CA certificates for a tls: target */
	/* One-shot actions. */
	int check_config;
	int print_config;
	int version;
	int help;
	char *create_token;
	char *token_role;
	long token_ttl;
};

/* Fill cfg from defaults, then the config file (--config), then the command
 * line, which wins. Every problem is appended to errs (path = option name or
 * "FILE:LINE"). Returns 0 when errs stayed empty. */
int config_load(struct config *cfg, int argc, char **argv, struct problems *errs);
/* Release everything config_load allocated. */
void config_free(struct config *cfg);
/* --help text, generated from the table. */
void config_print_help(FILE *out);
/* --print-config: every option as "key = value", loadable with --config. */
void config_print(const struct config *cfg, FILE *out);

#endif
