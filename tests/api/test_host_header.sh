#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# DNS rebinding: a web page whose own name the attacker points at 127.0.0.1
# can make the browser of anyone on this host read a loopback port as that
# page's origin, and the browser still sends the page's name as Host. A
# loopback TCP listener therefore answers only requests for localhost, a
# loopback address, or a name given with --allowed-host (421
# misdirected_request otherwise, before any route, token or body is looked
# at); a Unix socket answers any Host. --allowed-host takes host names only.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

lockset_start --listen "[::1]:{port}" || exit 1

tcp GET /v1/health
expect_status "curl's own Host (127.0.0.1:PORT) is answered" 200
for host in localhost "localhost:$PORT" "LocalHost" "127.0.0.1" "127.9.8.7:80" "[::1]:$PORT"; do
	tcp GET /v1/health -H "Host: $host"
	expect_status "Host: $host is answered" 200
done
for host in evil.example "evil.example:$PORT" "localhost.evil.example" "127.0.0.1.evil.example" \
	"localhost:" "localhost:80x" "127.1" "0.0.0.0" "[::1" "[::ffff:127.0.0.1]" "::1"; do
	tcp GET /v1/health -H "Host: $host"
	expect_error "Host: $host is refused" 421 misdirected_request
done
tcp GET /v1/health -H "Host: evil.example"
expect_json "... naming the Host and the way to allow one" \
	'.error.message | test("Host \"evil.example\" is not a name this listener answers for .*--allowed-host")' \
	true
# Before any route or caller check: a token changes nothing, nor does a path
# that does not exist.
tcp GET /v1/policy -H "Host: evil.example" -H "Authorization: Bearer nothing"
expect_error "an authenticated route is refused the same" 421 misdirected_request
tcp GET /v1/nothing -H "Host: evil.example"
expect_error "... and a path that does not exist" 421 misdirected_request
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example" "http://[::1]:$XPORT/v1/health")
check "the IPv6 loopback listener refuses it too" test "$code" = 421
code=$(curl -s -o /dev/null -w '%{http_code}' --http1.0 -H "Host:" "http://127.0.0.1:$PORT/v1/health")
check "an HTTP/1.0 request without Host (no browser sends one) is answered" test "$code" = 200
api GET /v1/health -H "Host: evil.example"
expect_status "the Unix socket answers any Host" 200
lockset_stop

lockset_start --allowed-host central.example --allowed-host lockset_central || exit 1
for host in central.example "CENTRAL.example:8765" lockset_central localhost; do
	tcp GET /v1/health -H "Host: $host"
	expect_status "with --allowed-host: Host: $host is answered" 200
done
tcp GET /v1/health -H "Host: evil.example"
expect_error "... and another name is still refused" 421 misdirected_request
tcp GET /v1/health -H "Host: central.example.evil.example"
expect_error "... even one that starts with an allowed one" 421 misdirected_request
lockset_stop

for bad in "a b" "evil/x" "a:80" "$(printf 'x%.0s' $(seq 254))"; do
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 30 "$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
		--authz-socket "" --foreground --allowed-host "$bad" >"$T/out" 2>&1
	rc=$?
	check "--allowed-host '${bad:0:20}' is refused at start-up, as a usage error (exit $rc)" test "$rc" = 2
	check "... saying why" grep -q -- "--allowed-host: \"$bad\" is not a host name" "$T/out"
done
finish
