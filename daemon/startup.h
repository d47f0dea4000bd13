/* SPDX-License-Identifier: Apache-2.0 */
/* The steps of start-up, in the order main() runs them (startup.c). */
#ifndef LOCKSET_STARTUP_H
#define LOCKSET_STARTUP_H

#include "config.h"
#include "decisions/inputs.h"
#include "http/http.h"

struct audit;
struct server;
struct served_hub;

/* Tell the service manager the daemon serves, and which policy. */
void startup_notify_ready(struct server *srv);
/* SIGHUP and the file watch: re-read the settings file. A changed document
 * becomes a new version (actor "file", audited by policylife.c); an invalid
 * one is refused, logged and audited, and the current policy keeps serving.
 * srv: the struct server (a watch callback's argument). */
void startup_reload(void *srv);
/* The audit log in the state directory, after the trust check of its files. */
struct audit *startup_open_audit(const struct config *cfg, char **err);
/* The files options name that decide what this host enforces or prove who
 * it is (--config, the bundle keys, the upstream token, CA certificates,
 * the TLS key and certificate): each held to the trust rule (store/trust.h)
 * after symbolic links, and a secret readable by others refused. Every
 * problem is appended to errs (its path the option). 0, or -1. */
int startup_check_files(const struct config *c, struct problems *errs);
/* The home group (--home-group): its peers may read decisions by id, and
 * $HOME stands for its members' homes when no user is named. Resolved at
 * start-up and on every SIGHUP; a group that is missing or empty is logged
 * once (when that becomes so). Returns 1 when the homes changed. */
int startup_home_group_resolve(struct server *srv, const char *name);
/* Who may do what: srv->auth with the role maps and --prefs-any-user, the
 * events limit. Refuses to start on a bad entry. */
void startup_access_configure(struct server *srv, const struct config *c);
/* The limits of the recorded inputs: their own, the rows and the age
 * tightened by the audit retention when that is stricter. */
void startup_inputs_limits_of(const struct config *c, struct inputs_limits *l);
/* Container records (pruned once now, then as they are written) and the
 * lookup threads that ask the engine about containers without one. */
int startup_start_containers(struct server *srv, const struct config *cfg);
/* The docker proxy's socket, opened with the listeners (its group needs
 * CAP_CHOWN); its threads start later (proxy.h). */
void startup_open_proxy(struct server *srv, const struct config *c);
/* Capabilities: CAP_DAC_READ_SEARCH for every thread, CAP_SETUID and
 * CAP_SETGID for the proxy's access thread alone. */
void startup_confine_caps(struct server *srv);
/* --create-token: bootstrap a token without a running daemon or socket access. */
int startup_create_token(const struct config *cfg);
/* Upstream mode: install the saved bundle and start fetching (srv->upstream). */
int startup_start_upstream(struct server *srv, const struct config *c, char **err);
/* A listener of h: the socket the service manager passed for spec, else a
 * new one. */
void startup_open_listener(struct http *h, const char *spec, enum listener_kind kind);
/* Passed sockets no option names are served too: the "authz" one as the
 * plugin socket, the others as API sockets. */
void startup_open_unclaimed_listeners(struct http *h);

#endif
