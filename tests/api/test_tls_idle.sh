#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# TLS handshakes that never happen: clients that connect to the TLS listener
# and send nothing cost no CPU, are closed once --connection-timeout passes,
# and every descriptor is released when they go (no CLOSE-WAIT left behind),
# under a 1,024-descriptor limit.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl python3 ss
ulimit -n 1024
HOLD="$LOCKSET_SRCDIR/tests/tools/holdconn.py"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=localhost' \
	-addext 'subjectAltName=IP:127.0.0.1' -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
chmod 600 "$T/key.pem"
# With a certificate every TCP listener speaks TLS, lockset_start's own too.
lockset_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --connection-timeout 2 || exit 1
TLS_PORT=$PORT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }
# The daemon's descriptors for connections to the TLS port (the listener aside).
held() { ss -Htanp "( sport = :$TLS_PORT )" | grep -v LISTEN | grep -c "pid=$DAEMON_PID,"; }
close_wait() { ss -Htan state close-wait "( sport = :$TLS_PORT )" | wc -l; }
HZ=$(getconf CLK_TCK)

# 50 clients connect and say nothing; they wait (at most 20 s) to be closed.
python3 "$HOLD" "127.0.0.1:$TLS_PORT" 50 --until-closed 20 --bind 127.0.0.2 >"$T/hold.out" &
HOLD_PID=$!; EXTRA_PIDS="$HOLD_PID"
wait_until 10 grep -q opened "$T/hold.out"
check "50 idle TLS clients connected ($(head -n1 "$T/hold.out"))" grep -q "opened 50 refused 0" "$T/hold.out"
before=$(cpu_ticks)
# One second of wall time while the handshakes are pending: a spinning
# worker would burn about one second of CPU; allow a tenth.
python3 -c 'import time; time.sleep(1)'
spent=$(( $(cpu_ticks) - before ))
# Under valgrind (make check-valgrind) its own thread scheduling costs some
# CPU; a spinning worker would still burn the whole second.
limit=$(( HZ / 10 ))
[ -n "${LOCKSET_VALGRIND:-}" ] && limit=$(( HZ / 2 ))
check "pending handshakes cost no CPU ($spent ticks in 1 s at $HZ/s)" test "$spent" -le "$limit"
wait "$HOLD_PID"; EXTRA_PIDS=
check "the daemon closed every idle handshake after the timeout ($(tail -n1 "$T/hold.out"))" \
	grep -q "^closed 50 of 50" "$T/hold.out"
released() { [ "$(held)" = 0 ] && [ "$(close_wait)" = 0 ]; }
wait_until 10 released
check "every descriptor is released ($(held) still held)" test "$(held)" = 0
check "no connection is left in CLOSE-WAIT ($(close_wait))" test "$(close_wait)" = 0

# Clients that give up first (close before the timeout) are released too.
python3 "$HOLD" "127.0.0.1:$TLS_PORT" 50 --until-closed 0.5 --bind 127.0.0.2 >"$T/hold.out"
wait_until 10 released
check "clients that close first leave no descriptor ($(held) still held)" test "$(held)" = 0
check "... and no CLOSE-WAIT ($(close_wait))" test "$(close_wait)" = 0
# A handshake the daemon is slow to answer (under valgrind, on a busy
# machine) can outlast the 2 s timeout: ask again until it serves.
serves() {
	S=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" \
		"https://127.0.0.1:$TLS_PORT/v1/health")
	[ "$S" = 200 ]
}
check "the TLS listener still serves" wait_until 10 serves
finish
