/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities and the seccomp allowlist (confine.h). The allowlist is what
 * the daemon does: files, sockets, threads, memory, time, signals, inotify
 * and the identity lookups of the C library. Left out on purpose, among
 * others: execve and fork (the daemon starts no program), ptrace and
 * process_vm_*, mount, namespaces (unshare, setns), module and kexec calls,
 * bpf, keyrings, the clock setters, set*id and capset, and
 * open_by_handle_at, which CAP_DAC_READ_SEARCH would otherwise turn into a
 * way out of any mount namespace. */
#include "build-config.h"

#include "confine.h"

#include "log.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>
#endif
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT                 (1 << 0)
#define SECBIT_NOROOT_LOCKED          (1 << 1)
#define SECBIT_NO_SETUID_FIXUP        (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#endif

#define KEEP_CAP   CAP_DAC_READ_SEARCH
#define CAPMASK(c) (1ULL << (c))

/* The calling thread's permitted and effective sets become exactly keep
 * (where it has them); inheritable is emptied. */
static int
set_thread_caps(unsigned long long keep)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0) {
		log_warn("confine: capget");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		unsigned k = (unsigned)(keep >> (32 * i));
		data[i].permitted &= k;
		data[i].effective &= k;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		log_warn("confine: capset");
		return -1;
	}
	return 0;
}

int
confine_thread_keep_setid(void)
{
	return set_thread_caps(CAPMASK(CAP_SETUID) | CAPMASK(CAP_SETGID));
}

int
confine_drop_setid(void)
{
	return set_thread_caps(CAPMASK(KEEP_CAP));
}

static int fsids_allowed; /* the docker proxy's access thread switches fsuid */

int
confine_capabilities(int keep_setid)
{
	int privileged = prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1 && geteuid() == 0;
	unsigned long long keep = CAPMASK(KEEP_CAP);

	if (privileged && prctl(PR_SET_SECUREBITS,
	                        SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                            SECBIT_NO_SETUID_FIXUP_LOCKED,
	                        0, 0, 0) != 0)
		log_warn("confine: securebits");
	if (keep_setid)
		keep |= CAPMASK(CAP_SETUID) | CAPMASK(CAP_SETGID);
	fsids_allowed = keep_setid;
	for (int cap = 0; cap <= 63; cap++) {
		if (keep & CAPMASK(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL)
			break; /* past the last capability the kernel knows */
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* Keep those only where the process already has them. */
	if (set_thread_caps(keep) != 0)
		return -1;
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1) {
		log_warnx("confine: CAP_SYS_ADMIN is still in the bounding set");
		return -1;
	}
	return 0;
}

#ifdef HAVE_LIBSECCOMP
/* Everything the daemon, the C library, SQLite, OpenSSL, libmicrohttpd and
 * libsystemd call while serving. */
static const char *const allowed[] = {
    /* files */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "open",
    "openat",
    "close",
    "close_range",
    "lseek",
    "fstat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "fstatfs",
    "statfs",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getxattr", /* a directory's access ACL (swappable-path) */
    "lgetxattr",
    "getdents",
    "getdents64",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "fsync",
    "fdatasync",
    "ftruncate",
    "truncate",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "fchownat",
    "lchown",
    "flock",
    "fallocate",
    "fadvise64",
    "getcwd",
    "chdir",
    "fchdir",
    "umask",
    "utimensat",
    "sendfile",
    "ioctl",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    /* memory */
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "brk",
    "madvise",
    "membarrier",
    "mincore",
    /* threads, processes, time */
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "gettid",
    "getpid",
    "getppid",
    "tgkill",
    "tkill",
    "sched_yield",
    "sched_getaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "exit",
    "exit_group",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "getrandom",
    "prctl",
    "arch_prctl",
    "uname",
    "sysinfo",
    "getrlimit",
    "prlimit64",
    "getrusage",
    "restart_syscall",
    /* signals */
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigtimedwait",
    "rt_sigsuspend",
    "sigaltstack",
    "kill",
    /* waiting */
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    /* sockets */
    "socket",
    "socketpair",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "getsockname",
    "getpeername",
    "getsockopt",
    "setsockopt",
    "shutdown",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    /* identity (SO_PEERCRED roles, user and group lookups) */
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getgroups",
    "getresuid",
    "getresgid",
#if defined(__SANITIZE_ADDRESS__)
    /* LeakSanitizer stops the world with ptrace at exit. */
    "ptrace",
    "wait4",
    "waitid",
    "sched_setaffinity",
#endif
};

/* SIGSYS from the filter: name the call on standard error, then die of it. */
static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char msg[96];
	int n =
	    snprintf(msg, sizeof(msg),
	             "locksetd: seccomp: system call %d is not allowed; exiting\n", si->si_syscall);

	(void)ctx;
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static int
add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
			rc = -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0);
#else
	/* Threads only: a clone without CLONE_THREAD would be a new process. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	                       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
#endif
	/* clone3's flags are behind a pointer: refuse it so that the C library
	 * falls back to clone, whose flags the filter can see. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* The docker proxy's access thread takes the caller's file-system ids
	 * (it alone holds CAP_SETUID and CAP_SETGID). */
	if (fsids_allowed) {
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setfsuid), 0);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setfsgid), 0);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setgroups), 0);
	}
	return rc;
}
#endif

int
confine_syscalls(void)
{
#ifdef HAVE_LIBSECCOMP
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int rc = -1;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_warn("confine: no_new_privs");
		return -1;
	}
#ifdef HAVE_VALGRIND_VALGRIND_H
	/* valgrind makes system calls of its own on the daemon's behalf, which
	 * the allowlist refuses (make check-valgrind); natively this is 0. */
	if (RUNNING_ON_VALGRIND) {
		log_warnx("confine: running under valgrind: no system call filter");
		return 0;
	}
#endif
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		log_warnx("confine: seccomp_init failed");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 || add_rules(ctx) != 0)
		log_warnx("confine: building the seccomp filter failed");
	else if (seccomp_load(ctx) != 0)
		log_warnx("confine: loading the seccomp filter failed");
	else
		rc = 0;
	seccomp_release(ctx);
	return rc;
#else
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_warn("confine: no_new_privs");
		return -1;
	}
	log_warnx("confine: built without libseccomp: no system call filter");
	return 0;
#endif
}

void
confine_debug_trigger(void)
{
#ifdef LOCKSET_DEBUG_TRIGGERS
	log_warnx("debug trigger: calling acct(2), which the allowlist does not hold");
	syscall(SYS_acct, NULL);
	log_warnx("debug trigger: acct(2) returned: the filter did not stop it");
#endif
}
