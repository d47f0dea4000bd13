#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The plugin socket keeps its connections, as dockerd expects, and lets one go
# only in a way that loses no request: dockerd's plugin client, when a kept
# connection fails under a request it has written, sends that request again
# without its body (the body was spent on the first try), and the body-less
# AuthZReq is refused: the docker call fails. So lockset never closes a
# plugin connection under a request (http_conn_retire): an idle one is let go
# by shutting its read side, after which dockerd's next write fails whole and
# Go sends it again on a new connection; a request under way is answered
# first. Here: two requests on one connection; an idle connection let go
# when the daemon stops and when it has sat idle past the connection
# timeout; a request whose body is still arriving when the daemon is told to
# stop is read whole and answered.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
RAW="$LOCKSET_SRCDIR/tests/tools/rawhttp.py"
lockset_start || exit 1

ENV='{"User":"","UserAuthNMethod":"","RequestMethod":"GET","RequestUri":"/v1.41/containers/json","RequestHeaders":{}}'
HEAD=$'POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/json\r\n'
req() { printf '%sContent-Length: %d\r\n\r\n%s' "$HEAD" "${#ENV}" "$ENV"; }
nresp() { grep -c '^status ' <<<"$OUT"; }
first() { grep -m1 '^status ' <<<"$OUT"; }
metric() { # NAME: its value for the plugin socket
	curl -s --unix-socket "$SOCK" http://lockset/metrics |
		sed -n "s/^$1{listener=\"unix:${AUTHZ_SOCK//\//\\/}\"} //p"
}

# --- keep-alive
OUT=$(python3 "$RAW" "unix:$AUTHZ_SOCK" 0.5 < <(req; req))
check "an AuthZReq is answered: 200 and allowed ($(first))" \
	grep -q '^status 200 {"Allow":true,' <<<"$OUT"
check "... and so is a second one on the same connection ($(nresp) replies)" test "$(nresp)" = 2
check "... which stays open" test "$(tail -n1 <<<"$OUT")" = open

OUT=$(python3 "$RAW" "unix:$AUTHZ_SOCK" 0.5 < <(printf '%sContent-Length: 0\r\n\r\n' "$HEAD"))
check "an AuthZReq without a body is refused: 400 invalid_json ($(first))" \
	grep -q '^status 400 {"error":{"code":"invalid_json"' <<<"$OUT"

# --- the daemon told to stop: an idle kept connection, and a body in two parts
python3 "$RAW" "unix:$AUTHZ_SOCK" 20 --mark "$T/idle.answered" < <(req) >"$T/idle.out" &
IDLEPID=$!
FIFO="$T/body.fifo"
mkfifo "$FIFO"
python3 "$RAW" "unix:$AUTHZ_SOCK" 20 --stream <"$FIFO" >"$T/split.out" &
RAWPID=$!
EXTRA_PIDS="$IDLEPID $RAWPID"
exec 3>"$FIFO"
printf '%sContent-Length: %d\r\n\r\n%s' "$HEAD" "${#ENV}" "${ENV:0:20}" >&3
check "a kept connection is answered and idle" wait_until 10 test -e "$T/idle.answered"
# Both connections are open (counted) before the daemon hears of the stop.
check "the first part of the body is on a second plugin connection" \
	wait_until 10 test "$(metric lockset_connections)" = 2
kill -TERM "$DAEMON_PID"
check "the daemon is stopping" wait_until 10 grep -q 'shutting down' "$T/daemon.log"
wait "$IDLEPID"
OUT=$(cat "$T/idle.out")
check "the idle connection is let go: its one reply, then closed" \
	test "$(nresp) $(tail -n1 <<<"$OUT")" = "1 closed"
printf '%s' "${ENV:20}" >&3
exec 3>&-
wait "$RAWPID"
OUT=$(cat "$T/split.out")
check "the body's second part is read: 200 and allowed, not invalid_json ($(first))" \
	grep -q '^status 200 {"Allow":true,' <<<"$OUT"
check "... and then its connection closed" test "$(tail -n1 <<<"$OUT")" = closed
wait "$DAEMON_PID"
check "the daemon stopped cleanly" test $? = 0
DAEMON_PID=
EXTRA_PIDS=

# --- idle past the connection timeout
lockset_start --connection-timeout 1 || exit 1
OUT=$(python3 "$RAW" "unix:$AUTHZ_SOCK" 20 < <(req))
check "a connection idle past --connection-timeout is let go: its reply, then closed" \
	test "$(nresp) $(tail -n1 <<<"$OUT")" = "1 closed"
check "... counted as cut ($(metric lockset_connections_cut_total))" \
	test "$(metric lockset_connections_cut_total)" = 1
finish
