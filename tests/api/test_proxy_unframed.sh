#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The docker socket proxy and an engine response it cannot frame (no
# Content-Length, not chunked, not a 101): Go's server answers so only when
# it closes the connection after (an HTTP/1.0 stream, a request it refused),
# so the proxy relays it to the engine's close and closes the client's side:
# nothing the client sent after the request goes on unjudged. Only attach
# and exec start, answered with a docker stream type, become a byte pipe
# without an upgrade. A small engine stand-in (python3) answers unframed,
# half-closes, and records every byte that reaches it after the first
# request.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
PROXY="$T/proxy.sock"
ENGINE="$T/engine.sock"

# engine: one connection at a time; the first request's head is answered
# with TYPE (text/plain or a docker stream type) and no framing, then the
# engine half-closes and records what arrives until the proxy closes.
python3 - "$ENGINE" "$T/after" <<'PY' 2>>"$T/engine.log" &
import os, socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(4)
while True:
    c, _ = srv.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        b = c.recv(65536)
        if not b:
            break
        data += b
    head, _, rest = data.partition(b"\r\n\r\n")
    typ = (b"application/vnd.docker.raw-stream" if b"/attach" in head.split(b"\r\n")[0]
           else b"text/plain")
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + typ + b"\r\n\r\nunframed body")
    c.shutdown(socket.SHUT_WR)
    after = rest
    while True:
        b = c.recv(65536)
        if not b:
            break
        after += b
    c.close()
    with open(sys.argv[2] + ".tmp", "wb") as f:
        f.write(after)
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
PY
EXTRA_PIDS="$!"
wait_until 10 test -S "$ENGINE" || { echo "FAIL: the engine stand-in did not start"; exit 1; }
# No ECI: under it an attach is judged by its container's user namespace,
# which this stand-in does not describe.
put_policy "$LOCKSET_SRCDIR/tests/cases/policy/valid/version-only.json"
lockset_start --docker-proxy "unix:$PROXY" --docker-proxy-group "" --engine-socket "$ENGINE" || exit 1

# send BYTES (printf format): rawhttp.py's report of what the proxy answers
# ("status CODE BODY" lines, then "closed" once it closed, within 20 s).
send() {
	# shellcheck disable=SC2059
	printf "$1" | python3 "$LOCKSET_SRCDIR/tests/tools/rawhttp.py" "unix:$PROXY" 20
}
PRIV='{"Image":"alpine","HostConfig":{"Privileged":true}}'
CREATE="POST /v1.45/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${#PRIV}\r\n\r\n$PRIV"

rm -f "$T/after"
out=$(send "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n$CREATE")
check "the unframed response is relayed to its end, and the connection closes after it" \
	test "$out" = "$(printf 'status 200 unframed body\nclosed')"
wait_until 10 test -f "$T/after"
check "the create sent after the request never reached the engine" test ! -s "$T/after"

rm -f "$T/after"
out=$(send "POST /v1.45/containers/c1/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\nstdin bytes")
wait_until 10 test -f "$T/after"
check "an attach answered as a docker raw stream is a byte pipe: stdin reaches the engine" \
	test "$(cat "$T/after")" = "stdin bytes"
finish
