#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Long-polls (GET /v1/settings?wait=) cannot pile up: a caller that parks
# long-polls and exits frees them at once (closed clients are detected, not
# kept until the deadline); each caller may wait at most
# --long-poll-per-caller times (429 beyond) and everyone together at most
# --long-poll-max-waiters (503 beyond), while an admin still may; and a change
# to one user's preferences wakes only that user's waiters, with their
# settings built once for all of them. Needs root (setpriv, other uids).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 ||
	{ echo "SKIP: needs root and setpriv to connect as other uids"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: other uids need $PY"; exit 77; }
HOLD="$LOCKSET_SRCDIR/tests/tools/holdconn.py"
EXTRA_PIDS=
chmod 711 "$T"
lockset_start --role-map uid:65534=runtime --role-map uid:65533=runtime \
	--role-map uid:65532=runtime --long-poll-per-caller 10 --long-poll-max-waiters 20 || exit 1
chgrp 65534 "$SOCK"

metric() { curl -s --unix-socket "$SOCK" http://lockset/metrics | awk -v m="$1" 'index($0, m " ") == 1 { print $2 }'; }
waiters() { echo $(( $(metric 'lockset_longpoll_waiters{kind="org"}') + $(metric 'lockset_longpoll_waiters{kind="user"}') )); }
conns() { metric "lockset_connections{listener=\"unix:$SOCK\"}"; }
etag_of() { curl -s --unix-socket "$SOCK" -D - -o /dev/null "http://lockset/v1/settings$1" | sed -n 's/^ETag: *//Ip' | tr -d '\r'; }
ORG=$(etag_of "")
poll_req() { printf 'GET /v1/settings?wait=300%s HTTP/1.1\\r\\nHost: localhost\\r\\nIf-None-Match: %s\\r\\n\\r\\n' "$1" "$2"; }
# as UID N [holdconn options]: N long-polls for the org settings as UID. It
# becomes holdconn (exec), so run it in the background or in a subshell.
as() { local uid=$1 n=$2; shift 2
	exec setpriv --reuid="$uid" --regid=65534 --clear-groups "$PY" "$HOLD" "unix:$SOCK" "$n" \
		--send "$(poll_req "" "$ORG")" "$@"; }

# --- a caller parks long-polls and exits: they go at once, not in 300 s
BASE=$(conns)
as 65534 10 >"$T/ghost.out" &
GHOST=$!; EXTRA_PIDS="$GHOST"
wait_until 20 eval '[ "$(waiters)" = 10 ]'
check "10 long-polls wait ($(waiters))" test "$(waiters)" = 10
kill "$GHOST"; wait "$GHOST" 2>/dev/null; EXTRA_PIDS=
wait_until 10 eval '[ "$(waiters)" = 0 ] && [ "$(conns)" -le "$BASE" ]'
check "once the caller exits, its long-polls are gone within seconds ($(waiters) waiting)" test "$(waiters)" = 0
check "... and so are its connections ($(conns) open, $BASE before)" test "$(conns)" -le "$BASE"

# --- caps: 10 per caller, 20 in all, admins beyond. Each holder stays until
# it is killed, so every step begins from the waiters the last one counted.
as 65534 10 >"$T/c1.out" &
C1=$!; EXTRA_PIDS="$C1"
wait_until 20 eval '[ "$(waiters)" = 10 ]'
(as 65534 5 --until-replies 5 --until-closed 20) >"$T/c1b.out"
check "a caller's 11th to 15th long-polls get 429 ($(tail -n1 "$T/c1b.out"))" grep -q '^statuses 429=5$' "$T/c1b.out"
as 65533 10 >"$T/c2.out" &
C2=$!; EXTRA_PIDS="$C1 $C2"
wait_until 20 eval '[ "$(waiters)" = 20 ]'
(as 65532 3 --until-replies 3 --until-closed 20) >"$T/c3.out"
check "past 20 waiting in all, another caller's get 503 ($(tail -n1 "$T/c3.out"))" grep -q '^statuses 503=3$' "$T/c3.out"
kill "$C1"; wait "$C1" 2>/dev/null; EXTRA_PIDS="$C2"
wait_until 20 eval '[ "$(waiters)" = 10 ]'
(as 65532 3 --until-closed 2) >"$T/c4.out"
check "below the total again, it may wait ($(tail -n1 "$T/c4.out"))" grep -q '^statuses none=3$' "$T/c4.out"
curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' -H "If-None-Match: $ORG" --max-time 20 \
	'http://lockset/v1/settings?wait=1' >"$T/admin.out"
check "an admin may always wait (got $(cat "$T/admin.out") at the deadline)" test "$(cat "$T/admin.out")" = 304
kill "$C2"; wait "$C2" 2>/dev/null; EXTRA_PIDS=
wait_until 10 eval '[ "$(waiters)" = 0 ]'

# --- per-user long-polls: a change to bob wakes only bob's, built once
lockset_stop
lockset_start --long-poll-per-caller 1000 --long-poll-max-waiters 1000 || exit 1
A_ETAG=$(etag_of "?user=alice"); B_ETAG=$(etag_of "?user=bob")
# Both hold until told (bob's once all 50 have their reply, alice's by SIGTERM
# after the checks), 60 s at the most.
python3 "$HOLD" "unix:$SOCK" 50 --send "$(poll_req '&user=alice' "$A_ETAG")" --until-closed 60 >"$T/alice.out" &
A=$!
python3 "$HOLD" "unix:$SOCK" 50 --send "$(poll_req '&user=bob' "$B_ETAG")" --until-closed 60 \
	--until-replies 50 >"$T/bob.out" &
B=$!; EXTRA_PIDS="$A $B"
wait_until 20 eval '[ "$(metric "lockset_longpoll_waiters{kind=\"user\"}")" = 100 ]'
check "100 per-user long-polls wait" test "$(metric 'lockset_longpoll_waiters{kind="user"}')" = 100
BUILDS=$(metric lockset_longpoll_user_builds_total)
api PUT /v1/users/bob/settings -H 'Content-Type: application/json' -d '{"allowBetaFeatures": {"value": true}}'
expect_status "bob's preferences change" 200
wait_until 20 eval '[ "$(metric "lockset_longpoll_waiters{kind=\"user\"}")" = 50 ]'
check "bob's settings were built once for his 50 waiters ($BUILDS -> $(metric lockset_longpoll_user_builds_total))" \
	test "$(( $(metric lockset_longpoll_user_builds_total) - BUILDS ))" = 1
check "alice's 50 still wait ($(metric 'lockset_longpoll_waiters{kind="user"}'))" \
	test "$(metric 'lockset_longpoll_waiters{kind="user"}')" = 50
wait "$B"
kill -TERM "$A"; wait "$A"; EXTRA_PIDS=
check "bob's waiters got 200 ($(tail -n1 "$T/bob.out"))" grep -q '^statuses 200=50$' "$T/bob.out"
check "alice's were not woken ($(tail -n1 "$T/alice.out"))" grep -q '^statuses none=50$' "$T/alice.out"
finish
