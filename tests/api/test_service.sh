#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# locksetd as a systemd service, without systemd as PID 1: the units pass
# "systemd-analyze verify" and keep their exposure score; sd_notify sends
# READY (with the policy version), RELOADING then READY on SIGHUP, STOPPING on
# SIGTERM to a real NOTIFY_SOCKET; and under systemd-socket-activate, which
# holds the sockets the way locksetd.socket does, requests made while the
# daemon restarts wait in the backlog and all succeed, and the socket files
# outlive each instance.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3 systemd-analyze

# --- the units
mkdir -p "$T/units" "$T/man/man1" "$T/man/man5" "$T/man/man8"
sed -e "s|@sbindir@|$(dirname "${LOCKSET_VALGRIND_REAL:-$LOCKSETD}")|g" -e "s|@sysconfdir@|/etc|g" \
	"$LOCKSET_SRCDIR/systemd/locksetd.service.in" >"$T/units/locksetd.service"
cp "$LOCKSET_SRCDIR/systemd/locksetd.socket" "$T/units/"
for p in "$LOCKSET_SRCDIR"/man/*.[158]; do cp "$p" "$T/man/man${p##*.}/"; done
(cd "$T/units" && MANPATH="$T/man" systemd-analyze verify ./locksetd.service ./locksetd.socket) \
	>"$T/verify" 2>&1
rc=$?
check "systemd-analyze verify passes (exit $rc)" test "$rc" = 0
check "and has nothing to say" test ! -s "$T/verify"
[ -s "$T/verify" ] && sed 's/^/#   /' "$T/verify"
(cd "$T/units" && systemd-analyze security --offline=true ./locksetd.service) >"$T/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for locksetd.service: \([0-9.]*\).*/\1/p' "$T/security")
echo "# systemd-analyze security --offline=true: exposure $score"
check "the exposure score stays at or below 2.5 ($score)" \
	awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'

# --- sd_notify to a real notification socket
NOTIFY="$T/notify.sock"
python3 - "$NOTIFY" "$T/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
EOF
NOTIFY_PID=$!
EXTRA_PIDS=$NOTIFY_PID
wait_until 10 test -S "$NOTIFY"
# wait_line N PATTERN: until line N of the log matches (10 s).
line_is() { sed -n "${1}p" "$T/notify.log" 2>/dev/null | grep -q -- "$2"; }
wait_line() { wait_until 10 line_is "$@"; }
NOTIFY_SOCKET="$NOTIFY" lockset_start || exit 1
check "READY=1 with the policy version once serving" wait_line 1 'READY=1 STATUS=serving policy v1'
kill -HUP "$DAEMON_PID"
check "SIGHUP: RELOADING=1" wait_line 2 '^RELOADING=1'
check "then READY=1 again" wait_line 3 '^READY=1'
lockset_stop
check "SIGTERM: STOPPING=1" wait_line 4 '^STOPPING=1'
kill "$NOTIFY_PID" 2>/dev/null; wait "$NOTIFY_PID" 2>/dev/null

# --- socket activation: restarts without failed requests
need systemd-socket-activate
SA="$T/sa"
supervise "$SA/authz.sock"
EXTRA_PIDS="$SUPERVISOR"
sa() { curl -s -m $((20 * WAIT_SCALE)) --unix-socket "$SA/api.sock" -o /dev/null -w '%{http_code}\n' "$@"; }
check "the first request starts the daemon" test "$(sa http://lockset/v1/health)" = 200
check "the passed API socket is served" grep -q 'socket activation: unix:.*/api.sock passed as fd 3 (api)' "$SA/log"
S=$(curl -s -m $((20 * WAIT_SCALE)) --unix-socket "$SA/authz.sock" -X POST http://plugin/Plugin.Activate)
check "the passed plugin socket is the plugin listener" test "$S" = '{"Implements":["authz"]}'

# Requests in a loop while the daemon is restarted three times.
# Each line: the status, curl's exit code and the time the request ended.
( for _ in $(seq 300); do
	curl -s -m $((20 * WAIT_SCALE)) --unix-socket "$SA/api.sock" -o /dev/null \
		-w '%{http_code} %{exitcode} ' http://lockset/v1/settings
	date -u +%T.%3N
done >"$SA/codes" ) &
CLIENT=$!
EXTRA_PIDS="$SUPERVISOR $CLIENT"
restarts=0
# A stop lets in-flight requests finish (up to 3 s) and a start may be slow
# on a busy machine: each is waited for, 30 s at the most.
# The next restart signals a daemon that handles the signal, not one still
# loading its policy, which the signal's default action would end.
for n in 1 2 3; do
	old=$(supervised)
	kill -TERM "$old" 2>/dev/null && restarts=$((restarts + 1))
	check "restart $n: the daemon stopped" wait_until 30 gone "$old"
	check "the socket file outlives the stopped daemon" test -S "$SA/api.sock"
	check "restart $n: a new daemon runs" wait_until 30 supervised_new "$old"
done
wait "$CLIENT"
check "three restarts happened" test "$restarts" = 3
check "300 requests answered" test "$(wc -l <"$SA/codes")" = 300
bad=$(grep -cv '^200 0 ' "$SA/codes")
check "none failed across the restarts ($bad did)" test "$bad" = 0
if [ "$bad" != 0 ]; then
	grep -v '^200 0 ' "$SA/codes" | sed 's/^/#   status, curl exit, time: /'
	grep -E 'signal|stopped|ready|error' "$SA/log" | sed 's/^/#   /'
fi
check "each instance stopped cleanly" test "$(grep -c 'info: stopped' "$SA/log")" -ge 3
supervise_end
finish
