#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The plugin socket serves one request per connection. dockerd's plugin
# client, when a kept connection fails under a request it has written, sends
# that request again without its body (the body was spent on the first try):
# the body-less AuthZReq is refused, and the docker call fails. So no plugin
# connection is ever kept for a second request: each reply closes it. A
# request whose body is still arriving when the daemon is told to stop is
# read whole and answered; one that comes without a body is refused.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
RAW="$LOCKSET_SRCDIR/tests/tools/rawhttp.py"
lockset_start || exit 1

ENV='{"User":"","UserAuthNMethod":"","RequestMethod":"GET","RequestUri":"/v1.41/containers/json","RequestHeaders":{}}'
HEAD=$'POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/json\r\n'
req() { printf '%sContent-Length: %d\r\n\r\n%s' "$HEAD" "${#ENV}" "$ENV"; }
nresp() { grep -c '^status ' <<<"$OUT"; }
first() { grep -m1 '^status ' <<<"$OUT"; }

# --- one request per connection
OUT=$(python3 "$RAW" "unix:$AUTHZ_SOCK" 10 < <(req; req))
check "an AuthZReq is answered: 200 and allowed ($(first))" \
	grep -q '^status 200 {"Allow":true,' <<<"$OUT"
check "... the only reply: a second request on the connection is not read" test "$(nresp)" = 1
check "... and the connection is closed after the reply" test "$(tail -n1 <<<"$OUT")" = closed

OUT=$(python3 "$RAW" "unix:$AUTHZ_SOCK" 10 < <(printf '%sContent-Length: 0\r\n\r\n' "$HEAD"))
check "an AuthZReq without a body is refused: 400 invalid_json ($(first))" \
	grep -q '^status 400 {"error":{"code":"invalid_json"' <<<"$OUT"
check "... and its connection closed too" test "$(tail -n1 <<<"$OUT")" = closed

# --- a body in two parts, the daemon told to stop between them
FIFO="$T/body.fifo"
mkfifo "$FIFO"
python3 "$RAW" "unix:$AUTHZ_SOCK" 20 --stream <"$FIFO" >"$T/split.out" &
RAWPID=$!
EXTRA_PIDS=$RAWPID
exec 3>"$FIFO"
printf '%sContent-Length: %d\r\n\r\n%s' "$HEAD" "${#ENV}" "${ENV:0:20}" >&3
# The connection is open (it is counted) before the daemon hears of the stop.
conn_open() {
	curl -s --unix-socket "$SOCK" http://lockset/metrics |
		grep -q "^lockset_connections{listener=\"unix:$AUTHZ_SOCK\"} 1$"
}
check "the first part of the body is on an open plugin connection" wait_until 10 conn_open
kill -TERM "$DAEMON_PID"
check "the daemon is stopping" wait_until 10 grep -q 'shutting down' "$T/daemon.log"
printf '%s' "${ENV:20}" >&3
exec 3>&-
wait "$RAWPID"
OUT=$(cat "$T/split.out")
check "the body's second part is read: 200 and allowed, not invalid_json ($(first))" \
	grep -q '^status 200 {"Allow":true,' <<<"$OUT"
check "... and the connection closed" test "$(tail -n1 <<<"$OUT")" = closed
wait "$DAEMON_PID"
check "the daemon stopped cleanly" test $? = 0
DAEMON_PID=
finish
