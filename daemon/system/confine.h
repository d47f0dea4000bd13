/* SPDX-License-Identifier: Apache-2.0 */
/* locksetd narrows itself once it has what it needs: capabilities down to
 * what path resolution needs (CAP_DAC_READ_SEARCH: reading any host path to
 * resolve symlinks is its job), no new privileges, and a seccomp allowlist
 * (libseccomp) under which any other system call kills the process. */
#ifndef LOCKSET_CONFINE_H
#define LOCKSET_CONFINE_H

/* Drop every capability but CAP_DAC_READ_SEARCH from the bounding, permitted,
 * effective, inheritable and ambient sets, and lock root's special treatment
 * away (securebits), so even an execve could not regain them. Capabilities
 * are per thread: call before the first thread starts. Returns 0, or -1
 * (logged) when a capability could not be dropped. */
int confine_capabilities(int keep_setid);
/* keep_setid (the docker proxy): CAP_SETUID and CAP_SETGID stay too, for the
 * one thread that takes callers' file-system ids. That thread calls
 * confine_thread_keep_setid() (it keeps those two alone, so the caller's
 * access is not widened by CAP_DAC_READ_SEARCH), then the main thread calls
 * confine_drop_setid() before it starts any other thread. Both 0 or -1. */
int confine_thread_keep_setid(void);
int confine_drop_setid(void);

/* Set no_new_privs and load the system call allowlist (with setfsuid,
 * setfsgid and setgroups when confine_capabilities kept the set-id
 * capabilities) into every thread of
 * the process (TSYNC). A call outside it is logged (its number, on standard
 * error) and kills the process with SIGSYS. Returns 0, or -1 (logged). */
int confine_syscalls(void);

/* Debug builds (--enable-debug-triggers) only: make a system call outside the
 * allowlist, acct(2), to show that the filter kills the process. */
void confine_debug_trigger(void);

#endif
