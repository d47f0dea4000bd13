#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Protocol edges: request framing that two parsers could read differently
# (two Content-Length values, Content-Length with Transfer-Encoding, an
# unknown transfer coding) is answered 400 and the connection closed, so
# nothing after it is read as a second request; too many query arguments
# get a JSON 414; a NUL in the target (%00 or a raw byte) is refused before
# it can cut a user name short; user names with bidirectional, zero-width or
# other invisible characters or white space other than U+0020 are refused,
# letters of any script are not; since= past the year 9999 is refused, not
# wrapped.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3 sqlite3
RAW="$LOCKSET_SRCDIR/tests/tools/rawhttp.py"
lockset_start || exit 1

# raw NAME: send stdin to the Unix socket; OUT holds rawhttp.py's report.
raw() { OUT=$(python3 "$RAW" "unix:$SOCK" 10); }
nresp() { grep -c '^status ' <<<"$OUT"; }
first() { grep -m1 '^status ' <<<"$OUT"; }

DEC='{"method":"GET","uri":"/v1.41/containers/json","user":"alice"}'
HEALTH=$'GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n'
POL='{"configurationFileVersion": 2, "analyticsEnabled": {"locked": true, "value": false}}'

# --- framing
raw < <(printf 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: 2\r\n\r\n%s%s' "${#DEC}" "$DEC" "$HEALTH")
check "two different Content-Length values: 400 ($(first))" grep -q '^status 400 .*"bad_request".*Content-Length' <<<"$OUT"
check "... the only reply: the bytes after it are not a second request" test "$(nresp)" = 1
check "... and the connection is closed" test "$(tail -n1 <<<"$OUT")" = closed

raw < <(printf 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#DEC}" "${#DEC}" "$DEC")
check "the same Content-Length twice is one length: 200 ($(first))" grep -q '^status 200 ' <<<"$OUT"

raw < <(printf 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n%s' "${#DEC}" "$DEC" "$HEALTH")
check "Content-Length with Transfer-Encoding: 400 ($(first))" grep -q '^status 400 .*"bad_request".*Transfer-Encoding' <<<"$OUT"
check "... the only reply" test "$(nresp)" = 1
check "... and the connection is closed" test "$(tail -n1 <<<"$OUT")" = closed

raw < <(printf 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\nabc')
check "an unknown Transfer-Encoding gets an answer at once: 400 ($(first))" grep -q '^status 400 .*"bad_request".*Transfer-Encoding' <<<"$OUT"
check "... and the connection is closed" test "$(tail -n1 <<<"$OUT")" = closed

raw < <(printf 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' "${#DEC}" "$DEC")
check "a chunked body alone is fine: 200 ($(first))" grep -q '^status 200 ' <<<"$OUT"

# --- query arguments
Q=$(python3 -c 'print("&".join("a%d=1" % i for i in range(400)))')
raw < <(printf 'GET /v1/health?%s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$Q")
check "400 query arguments: a JSON 414 ($(first))" grep -q '^status 414 .*"uri_too_long"' <<<"$OUT"
Q=$(python3 -c 'print("&".join("a%d=1" % i for i in range(100)))')
raw < <(printf 'GET /v1/health?%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$Q")
check "100 query arguments are served ($(first))" grep -q '^status 200 ' <<<"$OUT"

# --- NUL in the target
api PUT '/v1/policy/users/a%00b' -H 'Content-Type: application/json' -d "$POL"
expect_error "%00 in the path is refused" 400 bad_request
api GET /v1/policy/users/a
expect_error "... and user a got no policy" 404 not_found
api GET '/v1/settings?user=a%00b'
expect_error "%00 in a query argument is refused" 400 bad_request
raw < <(printf 'PUT /v1/policy/users/a\0b HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "${#POL}" "$POL")
check "a raw NUL byte in the request line is refused ($(first))" grep -q '^status 400 .*"bad_request".*NUL' <<<"$OUT"
raw < <(printf 'GET /v1/policy/users/a\0HTTP/1.1\0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "... also when what follows it looks like the end of the line ($(first))" grep -q '^status 400 .*NUL' <<<"$OUT"
api GET /v1/policy/users/a
expect_error "... and user a still has no policy" 404 not_found
raw < <(printf 'GET /v1/policy/users/a%%2500b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "an escaped percent sign (%2500) is not a NUL ($(first))" grep -q '^status 404 ' <<<"$OUT"

# --- user names
for name in 'a%E2%80%AEb' '%E2%80%8Fx' 'x%E2%81%A6y' 'zero%E2%80%8Bwidth' 'bom%EF%BB%BF' 'c1%C2%85' 'bad%C0%AF' 'bad%FF' \
	'nbsp%C2%A0' '%C2%A0alice' 'ideo%E3%80%80' 'braille%E2%A0%80' 'filler%E1%85%9F' 'cgj%CD%8F' 'shy%C2%AD' \
	'thin%E2%80%89space' 'vs%EF%B8%8F' 'tag%F3%A0%80%81'; do
	api PUT "/v1/policy/users/$name" -H 'Content-Type: application/json' -d "$POL"
	expect_error "per-user policy for user name $name is refused" 400 invalid_parameter
done
api PUT '/v1/users/a%E2%80%AEb/settings' -H 'Content-Type: application/json' -d '{"allowBetaFeatures": {"value": true}}'
expect_error "preferences for a name with U+202E are refused" 400 invalid_parameter
api GET '/v1/settings?user=a%E2%80%AEb'
expect_error "effective settings for a name with U+202E are refused" 400 invalid_parameter
api POST /v1/decisions -H 'Content-Type: application/json' -d '{"method":"GET","uri":"/v1.41/info","user":"a\u202eb"}'
expect_error "a decision about a user name with U+202E is refused" 400 invalid_request
api PUT '/v1/policy/users/J%C3%BCrgen' -H 'Content-Type: application/json' -d "$POL"
expect_status "a user name with ordinary non-ASCII letters is fine" 200
# Letters of any script stay valid, combining marks and a space inside too.
for name in '%D0%98%D0%B2%D0%B0%D0%BD' '%E5%B1%B1%E7%94%B0' '%D8%B9%D9%84%D9%8A' '%EA%B9%80' \
	'%E0%A4%B0%E0%A4%BE%E0%A4%AE' 'Ren%C3%A9e%20N' 'e%CC%81mile'; do
	api PUT "/v1/users/$name/settings" -H 'Content-Type: application/json' -d '{"allowBetaFeatures": {"value": true}}'
	expect_status "preferences for user name $name are fine" 200
done
check "no policy was stored under a hidden name" test \
	"$(sqlite3 "$STATE/lockset.db" "SELECT count(*) FROM events WHERE action LIKE 'policy.user%' AND subject <> 'Jürgen'")" = 0

# --- since= at the end of time
api GET '/v1/audit?since=9999-12-31T23:59:59-23:59'
expect_error "since= that is the year 10000 in UTC is refused" 400 invalid_parameter
api GET '/v1/audit?until=0000-01-01T00:00:00%2B01:00'
expect_error "until= before the year 0000 in UTC is refused" 400 invalid_parameter
api POST '/v1/policy/impact?since=9999-12-31T23:59:59-23:59' -H 'Content-Type: application/json' \
	-d '{"configurationFileVersion": 2}'
expect_error "the impact preview's since= past 9999 in UTC is refused too" 400 invalid_parameter
api GET '/v1/audit?since=9999-12-31T23:59:59Z'
expect_status "since= at the last second of 9999 is fine" 200
expect_json "... and matches no row" '.events | length' 0
# A caller's path cannot write a line of its own into the daemon's log: the
# 404 names the path, percent-decoded, with its line end made harmless.
curl -s -o /dev/null --path-as-is "http://127.0.0.1:$PORT/v1/nothing%0a2026-01-01T00:00:00.000Z%20locksetd[1]%20error:%20FORGED"
wait_until 10 grep -q 'v1/nothing?2026-01-01' "$T/daemon.log"
check "the daemon log shows the path on its own line, the newline as ?" \
	bash -c '! grep -q "^2026-01-01T00:00:00.000Z locksetd\[1\] error: FORGED" "$1"' _ "$T/daemon.log"
# A path that is not UTF-8 still gets the error shape: the message names it
# with '?' for the bytes that are not, and the connection stays usable.
api GET "/v1/nothing%ff%c3"
expect_error "a path of bytes that are not UTF-8: 404 in the error shape" 404 not_found
expect_json "... naming it as far as it is text" .error.message "no such resource: /v1/nothing??"
check "JSON replies say nosniff" grep -qi '^x-content-type-options: nosniff' "$HEADERS"
finish
