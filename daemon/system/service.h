/* SPDX-License-Identifier: Apache-2.0 */
/* locksetd under a service manager: listening sockets handed over by systemd
 * socket activation (LISTEN_FDS, so that calls made while the daemon
 * restarts wait in the socket's backlog instead of failing) and readiness
 * notifications (sd_notify READY, RELOADING, STOPPING). Without a service
 * manager every call here does nothing. */
#ifndef LOCKSET_SERVICE_H
#define LOCKSET_SERVICE_H

/* Take over the sockets passed by the service manager (once, before any
 * listener is opened); clears LISTEN_* from the environment. Returns how
 * many were passed, or -1 when one is not a listening stream socket. */
int service_listen_fds(void);
/* The passed socket bound to spec ("unix:PATH", "HOST:PORT"), now owned by
 * the caller, or -1 when none is. */
int service_take_fd(const char *spec);
/* A passed socket no spec claimed, now owned by the caller: its fd, or -1
 * when none is left. *authz is set when the manager named it "authz". */
int service_take_unclaimed(int *authz, char *spec, unsigned long specsz);
/* Tell the service manager (no-op without one). */
void service_notify_ready(const char *status);
void service_notify_reloading(void);
void service_notify_stopping(void);

#endif
