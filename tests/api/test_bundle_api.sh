#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The central side of fleet mode against the real daemon: GET /v1/bundle
# (Ed25519 signature checked with openssl over `jq -cS .bundle`, ETag/304,
# ?wait= long-polls woken by org and per-user policy changes, cache slots
# with Link and Cache-Control, numbers that survive a restart) and the
# compliance reports (POST /v1/hosts/{host}/status, on a central only and for
# at most --hosts-max hosts; GET /v1/hosts filters, staleness and paging).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl sqlite3

ed25519_pair "$T/sign.pem" "$T/pub.pem"
ed25519_pair "$T/other.pem" "$T/other-pub.pem"

# verify BODY PUBKEY: the body's signature over canonical(bundle), by openssl.
verify() {
	jq -cS .bundle "$1" | tr -d '\n' >"$T/canon"
	jq -r .signature.value "$1" | base64 -d >"$T/sig"
	openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in "$T/canon" -sigfile "$T/sig" \
		>/dev/null 2>&1
}

not() { ! "$@"; }
# connected: a client (the long-poll) is connected to the API socket.
connected() { ss -xH state established 2>/dev/null | grep -q "$SOCK"; }

# --- without a signing key there is no bundle
lockset_start || exit 1
api GET /v1/bundle
expect_error "no bundle without --bundle-signing-key" 404 not_found
api POST /v1/hosts/web-1/status -d '{"bundleVersion": 0}'
expect_error "... and no host reports: it is not a central" 404 not_found
check "the refusal names the option" grep -q -- "--bundle-signing-key" "$BODY"
check "nothing is stored" test "$(sqlite3 "$STATE/lockset.db" 'SELECT count(*) FROM hosts')" = 0
lockset_stop

# --- a key that is not an Ed25519 private key stops the daemon at start-up
install -m 600 "$T/pub.pem" "$T/pub-600.pem"
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" --authz-socket '' \
	--foreground --bundle-signing-key "$T/pub-600.pem" >"$T/badkey.log" 2>&1
check "a public key as signing key is refused (exit 1)" test $? = 1
check "the refusal names the option" grep -q -- "--bundle-signing-key" "$T/badkey.log"
# --- a signing key others may read, or write, stops it before anything opens
# (--check-config: were it accepted, the run would end with 0, not a daemon)
install -m 644 "$T/sign.pem" "$T/sign-644.pem"
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" --authz-socket '' \
	--foreground --bundle-signing-key "$T/sign-644.pem" --check-config >"$T/badkey.log" 2>&1
check "a signing key readable by others is refused (exit 2)" test $? = 2
check "... naming the option and the mode" \
	grep -q -- "--bundle-signing-key: $T/sign-644.pem is readable by others (mode 0644)" "$T/badkey.log"
install -m 620 "$T/sign.pem" "$T/sign-620.pem"
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" --authz-socket '' \
	--foreground --bundle-signing-key "$T/sign-620.pem" --check-config >"$T/badkey.log" 2>&1
check "a signing key its group may write is refused (exit 2)" test $? = 2
check "... by the trust rule" grep -q -- "--bundle-signing-key: .*not writable by group or others" "$T/badkey.log"

lockset_start --bundle-signing-key "$T/sign.pem" || exit 1

# --- the bundle, its signature and headers
api GET /v1/bundle
expect_status "GET /v1/bundle" 200
cp "$BODY" "$T/b1.json"
ETAG1=$(header ETag)
expect_json "bundle format" .bundle.format lockset-bundle-v2
check "it expires within --bundle-validity's default week" jq_holds --argjson now "$(date +%s)" \
	'(.bundle.expires | fromdateiso8601) - $now | . > 604000 and . <= 604800' "$BODY"
expect_json "first bundle number" .bundle.version 1
expect_json "org policy version inside" .bundle.policyVersion 1
expect_json "the org policy document inside" .bundle.policy.configurationFileVersion 2
expect_json "no per-user policies yet" '.bundle.users | length' 0
expect_json "signature algorithm" .signature.algorithm Ed25519
check "issued is an RFC 3339 UTC time" bash -c "jq -r .bundle.issued '$BODY' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'"
check "the signature verifies with openssl over jq -cS .bundle" verify "$T/b1.json" "$T/pub.pem"
check "it does not verify with another key" not verify "$T/b1.json" "$T/other-pub.pem"
check "the key id is 16 hex digits" bash -c "jq -r .signature.keyId '$BODY' | grep -Eq '^[0-9a-f]{16}$'"
check "ETag is strong" bash -c "[[ '$ETAG1' == \\\"*\\\" ]]"
check "plain replies are not stored by shared caches" test "$(header Cache-Control)" = no-cache
check "the version is in a header" test "$(header Lockset-Bundle-Version)" = 1

# --- conditional GET and the settings-style long-poll
api GET /v1/bundle -H "If-None-Match: $ETAG1"
expect_status "If-None-Match with the current ETag" 304
check "304 carries the ETag" test "$(header ETag)" = "$ETAG1"
api GET '/v1/bundle?wait=1' -H "If-None-Match: $ETAG1"
expect_status "long-poll without a change ends in 304" 304
check "a long-poll reply links to the next poll" bash -c "grep -Eqi '^link: <bundle\\?after=1&slot=[0-9]+&wait=1>; rel=\"next\"' '$HEADERS'"
api GET '/v1/bundle?wait=abc'
expect_error "wait must be a number" 400 invalid_parameter
api GET '/v1/bundle?wait=5&after=1'
expect_error "after without slot" 400 invalid_parameter
api GET '/v1/bundle?after=1&slot=3'
expect_error "a slot without wait" 400 invalid_parameter

curl -s --unix-socket "$SOCK" -o "$T/lp.body" -D "$T/lp.headers" -w '%{http_code}' \
	-H "If-None-Match: $ETAG1" 'http://lockset/v1/bundle?wait=60' >"$T/lp.status" &
LP=$!
EXTRA_PIDS="$LP"
wait_until 5 connected # the long-poll is waiting
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' \
	-d '{"analyticsEnabled": {"locked": true, "value": false}}'
expect_status "org policy change" 200
check "the long-poll returned before its 60 s wait" wait_until 10 bash -c "! kill -0 $LP 2>/dev/null"
wait "$LP" 2>/dev/null
check "woken long-poll answers 200" test "$(cat "$T/lp.status")" = 200
check "woken long-poll has bundle 2" test "$(jq -r .bundle.version "$T/lp.body")" = 2
check "bundle 2 carries the change" test "$(jq -r .bundle.policy.analyticsEnabled.value "$T/lp.body")" = false
check "bundle 2 verifies" verify "$T/lp.body" "$T/pub.pem"

# --- cache slots: held while the version is current and the slot lasts
now=$(date +%s); slot=$((now / 2))
api GET "/v1/bundle?wait=2&after=2&slot=$slot"
expect_status "a slot ends with the current bundle" 200
check "slot replies may be held by shared caches for a slot" test "$(header Cache-Control)" = "public, max-age=0, s-maxage=2"
next=$(grep -i '^link:' "$HEADERS" | sed -n 's/.*slot=\([0-9]*\).*/\1/p')
check "after the slot the next poll asks for the next slot" test "$next" -gt "$slot"
api GET "/v1/bundle?wait=30&after=1&slot=$((now / 30))"
expect_status "a host holding an older bundle gets the current one at once" 200
expect_json "the current one" .bundle.version 2
check "its link names the version it now holds" bash -c "grep -qi '^link: <bundle?after=2&' '$HEADERS'"

curl -s --unix-socket "$SOCK" -o "$T/slot.body" -w '%{http_code}' \
	"http://lockset/v1/bundle?wait=60&after=2&slot=$(($(date +%s) / 60))" >"$T/slot.status" &
LP=$!
EXTRA_PIDS="$LP"
wait_until 5 connected
jq -n '{configurationFileVersion: 2, blockDockerLoad: {locked: true, value: false}}' >"$T/alice.json"
api PUT /v1/policy/users/alice --data-binary "@$T/alice.json"
expect_status "per-user policy set" 200
check "the slot poll returned on the per-user change" wait_until 10 bash -c "! kill -0 $LP 2>/dev/null"
wait "$LP" 2>/dev/null
check "it answers 200" test "$(cat "$T/slot.status")" = 200
check "bundle 3 carries alice's policy" test "$(jq -r '.bundle.users.alice.policy.blockDockerLoad.value' "$T/slot.body")" = false
check "with her policy's version" test "$(jq -r '.bundle.users.alice.version' "$T/slot.body")" = 1
check "as bundle 3" test "$(jq -r .bundle.version "$T/slot.body")" = 3

# --- numbers survive a restart; an unchanged policy keeps its number
ISSUED3=$(jq -r .bundle.issued "$T/slot.body")
lockset_stop
lockset_start --bundle-signing-key "$T/sign.pem" --hosts-max 3 || exit 1
api GET /v1/bundle
expect_json "same content after a restart: same number" .bundle.version 3
expect_json "and the same issue time" .bundle.issued "$ISSUED3"
api DELETE /v1/policy/users/alice
api GET /v1/bundle
expect_json "a change after the restart gets the next number" .bundle.version 4

# --- compliance reports
api POST /v1/hosts/web-1/status -d '{"locksetVersion": "0.1.0", "bundleVersion": 4,
	"lastSync": "2026-11-29T12:00:00Z", "mode": "enforce", "status": "ok", "decisions": 10, "denies": 2}'
expect_status "a host reports" 200
expect_json "the reply names the current bundle" .currentBundleVersion 4
api POST /v1/hosts/web-1/status -d '{"bundleVersion": 4, "decisions": 5, "denies": 1, "status": "ok"}'
api POST /v1/hosts/web-2/status -d '{"bundleVersion": 2, "decisions": 1, "denies": 1, "status": "degraded",
	"lastError": "the signature does not verify with the bundle key"}'
api POST /v1/hosts/db-1/status -d '{"bundleVersion": 4, "decisions": 0, "denies": 0, "mode": "audit"}'
api POST '/v1/hosts/bad%20name/status' -d '{"bundleVersion": 1}'
expect_error "a host name with a space" 400 invalid_parameter
api POST /v1/hosts/web-3/status -d '{"bundleVersion": -1, "denies": "x", "extra": 1}'
expect_error "an invalid report" 400 invalid_request
check "every problem is listed" test "$(jqb '.error.details | length')" -ge 2
api POST /v1/hosts/web-3/status -d '{"bundleVersion": 1, "status": "fine"}'
expect_error "an unknown status" 400 invalid_request

api GET /v1/hosts
expect_status "GET /v1/hosts" 200
expect_json "current bundle version" .bundleVersion 4
expect_json "three hosts" '.summary.hosts' 3
expect_json "two on the current version" '.summary.current' 2
expect_json "one behind" '.summary.behind' 1
expect_json "hosts per version" '.summary.versions | tojson' '{"2":1,"4":2}'
expect_json "denies over every host" '.summary.denies' 4
expect_json "sorted by name" '[.hosts[].host] | join(",")' "db-1,web-1,web-2"
expect_json "counts are totals of the reports" '.hosts[1] | "\(.decisions)/\(.denies)"' "15/3"
expect_json "and the last report's deltas" '.hosts[1].lastReport | "\(.decisions)/\(.denies)"' "5/1"
expect_json "the degraded host's error" '.hosts[2].lastError' "the signature does not verify with the bundle key"
expect_json "web-2 is behind" '.hosts[2].behind' true
expect_json "nobody is stale yet" '[.hosts[].stale] | any' false

api GET '/v1/hosts?behind=true'
expect_json "filter: behind" '[.hosts[].host] | join(",")' web-2
api GET '/v1/hosts?version=4&host=web*'
expect_json "filter: version and host prefix" '[.hosts[].host] | join(",")' web-1
api GET '/v1/hosts?mode=audit'
expect_json "filter: mode" '[.hosts[].host] | join(",")' db-1
api GET '/v1/hosts?status=degraded'
expect_json "filter: status" '[.hosts[].host] | join(",")' web-2
api GET '/v1/hosts?limit=2'
expect_json "first page" '[.hosts[].host] | join(",")' "db-1,web-1"
expect_json "a next token" .next web-1
api GET "/v1/hosts?limit=2&next=$(jqb .next)"
expect_json "second page" '[.hosts[].host] | join(",")' web-2
expect_json "no further page" .next null
api GET '/v1/hosts?limit=0&stale=maybe&version=x'
expect_error "bad filters" 400 invalid_parameter
check "each bad filter is named" test "$(jqb '[.error.details[].path] | sort | join(",")')" = "limit,stale,version"

stale_web2() {
	api POST /v1/hosts/web-1/status -d '{"bundleVersion": 4}'
	api GET '/v1/hosts?stale=true&stale_after=1'
	[ "$(jqb '[.hosts[].host] | join(",")')" = "db-1,web-2" ]
}
check "hosts that stopped reporting turn stale" wait_until 10 stale_web2
expect_json "the summary counts them" .summary.stale 2

# --- at most --hosts-max hosts (3 here)
api POST /v1/hosts/web-4/status -d '{"bundleVersion": 4}'
expect_error "a fourth host is refused" 409 conflict
check "the refusal names the limit and the way out" \
	grep -q -- "the limit (--hosts-max): no new host can be added; an admin may forget hosts" "$BODY"
api GET '/v1/audit?action=host.report.refused&subject=web-4'
expect_json "the refusal is audited" '.events[0].data | "\(.reason) \(.limit)"' "hosts limit 3"
api POST /v1/hosts/web-2/status -d '{"bundleVersion": 4}'
expect_status "a known host still reports" 200
api DELETE /v1/hosts/db-1
expect_status "an admin forgets a host" 204
api POST /v1/hosts/web-4/status -d '{"bundleVersion": 4}'
expect_status "... and a new one has room" 200

# --- bundle long-polls count against the same caps as the settings' ones:
# a runtime caller past --long-poll-per-caller (2 here) gets 429
lockset_stop
FLEET=$("$LOCKSETD" --state-dir "$STATE" --create-token fleet-lp --role runtime) || exit 1
lockset_start --bundle-signing-key "$T/sign.pem" --long-poll-per-caller 2 || exit 1
BETAG=$(curl -s --unix-socket "$SOCK" -D - -o /dev/null http://lockset/v1/bundle |
	sed -n 's/^ETag: *//Ip' | tr -d '\r')
POLL="GET /v1/bundle?wait=300 HTTP/1.1\\r\\nHost: localhost\\r\\nAuthorization: Bearer $FLEET\\r\\nIf-None-Match: $BETAG\\r\\n\\r\\n"
python3 "$LOCKSET_SRCDIR/tests/tools/holdconn.py" "127.0.0.1:$PORT" 2 --send "$POLL" >"$T/lp.hold" 2>&1 &
EXTRA_PIDS="$!"
wait_until 30 bash -c "curl -s --unix-socket '$SOCK' http://lockset/metrics |
	grep -q '^lockset_longpoll_waiters{kind=\"org\"} 2\$'"
out=$(printf "$POLL" | python3 "$LOCKSET_SRCDIR/tests/tools/rawhttp.py" "127.0.0.1:$PORT" 20)
check "a third bundle long-poll of the same caller: 429 ($out)" grep -q '^status 429 ' <<<"$out"
kill "$EXTRA_PIDS"
wait "$EXTRA_PIDS" 2>/dev/null
EXTRA_PIDS=

finish
