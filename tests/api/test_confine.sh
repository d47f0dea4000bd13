#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The daemon confines itself once its sockets, files and database are open:
# every thread has no_new_privs, a seccomp filter, and no capability but
# CAP_DAC_READ_SEARCH (bounding set included); the rest of the API suite runs
# under that filter. In a debug build (--enable-debug-triggers) SIGUSR2 makes
# it call acct(2), outside the allowlist: the process must die of SIGSYS and
# say which call it was.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
if [ -n "${LOCKSET_VALGRIND:-}" ]; then
	echo "SKIP: under valgrind the daemon runs without its system call filter (valgrind's own system calls are not on the allowlist)"
	exit 77
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: the capability checks need a root daemon"; exit 77; }
lockset_start || exit 1
api GET /v1/settings
expect_status "the confined daemon serves" 200

# field TASK NAME: a field of /proc/PID/task/TASK/status.
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$DAEMON_PID/task/$1/status"; }
tasks=$(ls "/proc/$DAEMON_PID/task")
check "the daemon runs threads ($(echo $tasks | wc -w))" test "$(echo $tasks | wc -w)" -gt 2
bad=
for t in $tasks; do
	[ "$(field "$t" NoNewPrivs)" = 1 ] || bad="$bad $t:NoNewPrivs=$(field "$t" NoNewPrivs)"
	[ "$(field "$t" Seccomp)" = 2 ] || bad="$bad $t:Seccomp=$(field "$t" Seccomp)"
	for c in CapEff CapPrm CapBnd; do
		# CAP_DAC_READ_SEARCH is capability 2: the mask 0x4.
		[ "$(field "$t" $c)" = 0000000000000004 ] || bad="$bad $t:$c=$(field "$t" $c)"
	done
	for c in CapInh CapAmb; do
		[ "$(field "$t" $c)" = 0000000000000000 ] || bad="$bad $t:$c=$(field "$t" $c)"
	done
done
check "every thread: no_new_privs, seccomp filter, only CAP_DAC_READ_SEARCH${bad:+ (not:$bad)}" test -z "$bad"

if "$LOCKSETD" --version | grep -q '(debug triggers)'; then
	kill -USR2 "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=
	check "a system call outside the allowlist kills the daemon with SIGSYS (exit $rc)" \
		test "$rc" = $((128 + 31))
	check "it names the call" grep -q 'seccomp: system call [0-9]* is not allowed' "$T/daemon.log"
	check "and acct(2) never returned" bash -c "! grep -q 'acct(2) returned' '$T/daemon.log'"
else
	echo "# skipping the trigger: this locksetd is not a debug build (--enable-debug-triggers)"
fi
finish
