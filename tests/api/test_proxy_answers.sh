#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The docker socket proxy's own answers, with no engine behind it, are the
# ones schema/openapi.json documents for it, in the engine's error shape
# ({"message"}), each body whole (its Content-Length right): 403 for a
# request the policy denies, 400 for one it cannot frame, 413 for a body too
# large to judge, 502 when an allowed request finds no engine, 503 past
# 1,024 connections or past 256 of one user's, 429 past 64 MiB of one
# user's bodies being read to be judged. lib.sh's finish validates every
# reply against the spec.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
PROXY="$T/proxy.sock"

# proxy NAME BYTES...: send the raw request (printf format) to the proxy and
# read one reply; its status in STATUS, its body in $BODY, recorded for the
# spec check as a docker-proxy reply to the request line's method and path.
proxy() {
	local name=$1 req out; shift
	# shellcheck disable=SC2059
	req=$(printf "$@"; echo .) # the dot keeps the final CRLF
	req=${req%.}
	BODY="$T/body"
	out=$(python3 - "$PROXY" "$BODY" "$req" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(20)
	s.connect(sys.argv[1])
	s.sendall(sys.argv[3].encode())
	f = s.makefile("rb")
	status = f.readline().split()[1].decode()
	headers = {}
	while True:
	    line = f.readline().decode().rstrip("\r\n")
	    if not line:
	        break
	    k, v = line.split(":", 1)
	    headers[k.strip().lower()] = v.strip()
	body = f.read(int(headers.get("content-length", "0")))
	open(sys.argv[2], "wb").write(body)
	print(status, headers.get("content-type", ""), headers.get("connection", ""))
	EOF
	)
	STATUS=${out%% *}
	CONNECTION=${out##* }
	read -r method target _ <<<"${req%%$'\r'*}"
	record_reply "$method" "docker-proxy:$target" "${out% *}"
	echo "# $name: $out $(head -c 200 "$BODY")"
}
message() { jq -r .message "$BODY"; }

lockset_start --docker-proxy "unix:$PROXY" --docker-proxy-group "" \
	--engine-socket "$T/no-engine.sock" || exit 1

proxy "a privileged create" 'POST /v1.45/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 51\r\n\r\n{"Image":"alpine","HostConfig":{"Privileged":true}}'
check "a request the policy denies: 403 ($STATUS)" test "$STATUS" = 403
check "... the message names the rule" grep -q '\[privileged\]' <(message)

proxy "a ping" 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'
check "an allowed request and no engine: 502 ($STATUS)" test "$STATUS" = 502
check "... saying so" test "$(message)" = \
	"lockset: cannot reach the Docker engine at $T/no-engine.sock: No such file or directory"
check "... and closing the connection" test "$CONNECTION" = close

proxy "two lengths" 'POST /v1.45/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'
check "conflicting Content-Length headers: 400 ($STATUS)" test "$STATUS" = 400
check "... saying why" test "$(message)" = "conflicting Content-Length headers"
check "... and closing the connection" test "$CONNECTION" = close

proxy "a huge create" 'POST /v1.45/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n'
check "a body over 16 MiB to judge: 413 ($STATUS)" test "$STATUS" = 413
check "... saying why" test "$(message)" = "the request body is too large to be judged"

# 1,024 connections held open, then one more.
python3 - "$PROXY" "$T/busy" <<-'EOF' >"$T/busy.out" 2>&1
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < 1100:
    print("skip: the descriptor limit (%d) is below 1,100" % hard)
    sys.exit(0)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard) if hard != resource.RLIM_INFINITY else 4096, hard))
def connect():
    """A connection, waiting (20 s at most) while the listen queue is full."""
    deadline = time.monotonic() + 20
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sys.argv[1])
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
held = [connect() for _ in range(1024)]
# Connections are taken in order: this one comes after the 1,024 held.
s = connect()
s.settimeout(20)
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
open(sys.argv[2], "wb").write(body)
print("reply", head.split(b"\r\n")[0].decode().split()[1],
      int(length[0].split(b":")[1]) if length else -1, len(body))
EOF
read -r _ BUSY_STATUS BUSY_LEN BUSY_GOT _ <"$T/busy.out"
if grep -q '^skip:' "$T/busy.out"; then
	echo "# $(cat "$T/busy.out")"
else
	check "the 1,025th connection: 503 ($(head -c 200 "$T/busy.out"))" test "$BUSY_STATUS" = 503
	check "... its Content-Length is its body's ($BUSY_LEN, $BUSY_GOT bytes)" test "$BUSY_LEN" = "$BUSY_GOT"
	check "... a whole JSON message" test \
		"$(jq -r .message "$T/busy")" = "lockset: too many connections to the docker proxy"
	cp "$T/busy" "$T/body"
	BODY="$T/body"
	record_reply GET "docker-proxy:/_ping" "$BUSY_STATUS application/json"
	api GET /metrics
	check "... counted" grep -q '^lockset_proxy_connections_total{result="busy"} 1$' "$BODY"
fi

# One user (not root) holds 256 connections: the next of theirs gets 503,
# another user's (root's here) is served.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && [ -x /usr/bin/python3 ] &&
	getent group nogroup >/dev/null; then
	lockset_stop
	# nobody must reach the socket: through $T (traversed, not listed).
	chmod 0711 "$T"
	lockset_start --docker-proxy "unix:$PROXY" --docker-proxy-group nogroup \
		--engine-socket "$T/no-engine.sock" || exit 1
	NOBODY=(setpriv --reuid=65534 --regid="$(getent group nogroup | cut -d: -f3)" --clear-groups
		/usr/bin/python3)
	"${NOBODY[@]}" "$LOCKSET_SRCDIR/tests/tools/holdconn.py" "unix:$PROXY" 256 \
		>"$T/user.hold" 2>&1 &
	HOLDER=$!
	wait_until 60 grep -q '^opened 256' "$T/user.hold"
	# Connections are taken in order: this one comes after the 256 held. It
	# sends nothing: the refusal comes before any request is read.
	out=$("${NOBODY[@]}" "$LOCKSET_SRCDIR/tests/tools/rawhttp.py" "unix:$PROXY" 20 </dev/null)
	check "the 257th connection of one user: 503 ($out)" grep -q '^status 503 ' <<<"$out"
	check "... saying so" grep -q '"lockset: too many connections to the docker proxy from this user"' \
		<<<"$out"
	proxy "root, while that user holds 256" 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'
	check "another user is served meanwhile (no engine: 502, $STATUS)" test "$STATUS" = 502
	kill "$HOLDER"
	wait "$HOLDER"
	# Bodies read whole to be judged hold memory until they come: one
	# user's may hold 64 MiB at once. Two creates of 16 MB each (32 MB held
	# for each: its bytes and its copy) that never finish, then a third.
	BIG='POST /v1.45/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 16000000\r\n\r\n{'
	"${NOBODY[@]}" "$LOCKSET_SRCDIR/tests/tools/holdconn.py" "unix:$PROXY" 2 \
		--send "$(printf "$BIG")" >"$T/big.hold" 2>&1 &
	HOLDER=$!
	wait_until 60 grep -q '^opened 2' "$T/big.hold"
	# The two are read in their own threads: until both hold their share,
	# a third may still be let in (its body never comes, so it is given up
	# after 2 s and tried again).
	third() {
		printf "$BIG" | "${NOBODY[@]}" "$LOCKSET_SRCDIR/tests/tools/rawhttp.py" \
			"unix:$PROXY" 2 >"$T/third" 2>&1
		grep -q '^status 429 ' "$T/third"
	}
	wait_until 60 third
	check "a third large body of the same user's: 429 ($(head -c 200 "$T/third"))" \
		grep -q '^status 429 ' "$T/third"
	check "... saying why" grep -qF 'too many large request bodies of yours are being read at once' \
		"$T/third"
	record_reply POST "docker-proxy:/v1.45/containers/create" "429 application/json"
	proxy "root's large body meanwhile" 'POST /v1.45/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 51\r\n\r\n{"Image":"alpine","HostConfig":{"Privileged":true}}'
	check "root is judged meanwhile (403, $STATUS)" test "$STATUS" = 403
	kill "$HOLDER"
	wait "$HOLDER"
else
	echo "# skipped the per-user cap: needs root, setpriv, /usr/bin/python3 and the nogroup group"
fi
finish
