#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bundle expiry, with two real daemons on loopback: a central signing with a
# short --bundle-validity and a host taking its bundles. The central signs the
# same bundle again at half its validity (a long-poll gets the new signature
# at once); the host takes it without installing anything. Then a path that
# holds the central's updates back (a server replaying the host's own bundle)
# is seen for what it is: once the bundle expires the host says so in its
# health, metrics, audit log (once, across restarts) and reports, refuses the
# replayed bundle, and keeps enforcing. The central lists hosts whose bundle
# expired or that report none. A central run with --bundle-validity 0 serves
# v1 bundles, which never expire: a new host takes them, but no host that
# has held a bundle that expires does.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl python3

VALIDITY=20
ed25519_pair "$T/sign.pem" "$T/pub.pem"
"$LOCKSETD" --settings "$LOCKSET_SRCDIR/tests/cases/policy/valid/version-only.json" \
	--bundle-validity 5 --check-config >"$T/short.out" 2>&1; rc=$?
check "a validity under 10 seconds is refused (exit $rc)" test "$rc" = 2
check "... naming the option" grep -q 'bundle-validity.*at least 10 seconds' "$T/short.out"
"$LOCKSETD" --state-dir "$STATE" --create-token fleet --role runtime >"$T/token"
chmod 600 "$T/token"
lockset_start --bundle-signing-key "$T/sign.pem" --bundle-validity "$VALIDITY" || exit 1
UPSTREAM="http://127.0.0.1:$PORT"

# --- the central: v2 bundles, signed again at half their validity
api GET /v1/bundle
expect_status "the central serves its bundle" 200
expect_json "in format v2" .bundle.format lockset-bundle-v2
check "expiring within --bundle-validity" jq_holds --argjson now "$(date +%s)" --argjson v "$VALIDITY" \
	'(.bundle.expires | fromdateiso8601) - $now | . > 0 and . <= $v' "$BODY"
FIRST_EXPIRES=$(jqb .bundle.expires)
FIRST_ISSUED=$(jqb .bundle.issued)
FIRST_ETAG=$(header ETag)
resigned() { api GET /v1/bundle; [ "$(jqb .bundle.version)" = 1 ] && [ "$(jqb .bundle.expires)" != "$FIRST_EXPIRES" ]; }
check "the central signs bundle 1 again before it expires" wait_until $((VALIDITY + 10)) resigned
check "... expiring later" jq_holds --arg e "$FIRST_EXPIRES" '.bundle.expires > $e' "$BODY"
expect_json "... issued when it was numbered, as before" .bundle.issued "$FIRST_ISSUED"
check "... under a new ETag" test "$(header ETag)" != "$FIRST_ETAG"
# A long-poll on the current signature is not held past the next one: its
# answer is that signature (200), not a 304 after the whole minute.
ETAG=$(header ETag)
EXPIRES=$(jqb .bundle.expires)
api GET '/v1/bundle?wait=60' -H "If-None-Match: $ETAG"
expect_status "a long-poll is answered by the next signature" 200
expect_json "... which expires later still" ".bundle.expires > \"$EXPIRES\"" true
expect_json "... of the same bundle" .bundle.version 1
# So is one through a shared cache's slot URL: a slot ahead of the clock is
# held for the whole wait (300 s), unless the next signature comes first.
EXPIRES=$(jqb .bundle.expires)
api GET "/v1/bundle?after=1&slot=$(($(date +%s) / 300 + 5))&wait=300" --max-time $((60 * WAIT_SCALE))
expect_status "a slot poll is answered by the next signature" 200
expect_json "... which expires later" ".bundle.expires > \"$EXPIRES\"" true

# --- a host takes each new signature, and changes nothing for it
. "$LOCKSET_SRCDIR/tests/api/fleet/host.sh"
use_host dev-1
HOST_WAIT=2
metric() { h GET /metrics; grep -q "^$1\$" "$BODY"; }

host_start --upstream "$UPSTREAM" --bundle-key "$T/pub.pem" || { echo "host did not start"; tail "$H/daemon.log"; exit 1; }
check "the host installs bundle 1" wait_until 10 host_has 1
h GET /v1/health
expect_json "its health shows when the bundle expires" '.upstream.bundleExpires | test("^[0-9-]{10}T[0-9:]{8}Z$")' true
expect_json "... that it has not" .upstream.bundleExpired false
expect_json "... and that all is well" .status ok
HELD=$(jqb .upstream.bundleExpires)
check "metrics: when it expires" metric "lockset_upstream_bundle_expires_timestamp_seconds $(date -ud "$HELD" +%s)"
check "metrics: not expired" metric 'lockset_upstream_bundle_expired 0'
refreshed() { h GET /v1/health; [ "$(jqb .upstream.bundleExpires)" != "$HELD" ]; }
check "the host takes the next signature" wait_until $((VALIDITY + 10)) refreshed
check "... counted as refreshed" metric 'lockset_upstream_fetches_total{result="refreshed"} [1-9][0-9]*'
check "... and saved, for its next start" jq_holds --arg e "$HELD" '.bundle.expires > $e' \
	"$H/state/upstream-bundle.json"
h GET '/v1/audit?action=policy.bundle.installed'
expect_json "a new signature installs nothing" '.events | length' 1
h GET '/v1/policy/versions'
expect_json "... and changes no policy" '[.versions[] | select(.actor == "upstream")] | length' 1
reported_expiry() {
	api GET /v1/hosts
	jq_holds '.hosts[] | select(.host == "dev-1") | .bundleExpires != null and .expired == false' "$BODY"
}
check "the central lists dev-1 with its bundle's expiry" wait_until 10 reported_expiry
host_stop

# --- updates held back: a server replays the host's own bundle forever
mkdir -p "$T/reports"
cp "$H/state/upstream-bundle.json" "$T/held.json"
HELD=$(jq -r .bundle.expires "$T/held.json")
cat >"$T/replay.py" <<'EOF'
# Answers every GET with one recorded bundle and every POST (a host's status
# report) with 200, keeping the last report: a path that holds updates back.
# Its ETag is the central's (a quoted 32-digit hex digest), or argv[4].
import hashlib, http.server, sys
body = open(sys.argv[2], 'rb').read()
etag = sys.argv[4] if len(sys.argv) > 4 else '"%s"' % hashlib.sha256(body).hexdigest()[:32]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('ETag', etag)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        open(sys.argv[3], 'wb').write(self.rfile.read(n))
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'{}')
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
RPORT=$(free_port)
python3 "$T/replay.py" "$RPORT" "$T/held.json" "$T/reports/last.json" >"$T/replay.log" 2>&1 &
EXTRA_PIDS="$! ${EXTRA_PIDS:-}"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$RPORT/v1/bundle"
host_start --upstream "http://127.0.0.1:$RPORT" --bundle-key "$T/pub.pem" || exit 1
check "the held bundle is the installed one" wait_until 10 host_has 1
expired() { h GET /v1/health; [ "$(jqb .upstream.bundleExpired)" = true ]; }
check "once it expires, the host's health says so" wait_until $((VALIDITY + 10)) expired
expect_json "... its upstream expired (or degraded, once the replay is refused)" \
	'.upstream.status | IN("expired", "degraded")' true
expect_json "... the daemon degraded" .status degraded
expect_json "... naming the expiry" .upstream.bundleExpires "$HELD"
expired_row() {
	h GET '/v1/audit?action=policy.bundle.expired'
	[ "$(jqb '.events | length')" = 1 ]
}
check "it is audited once" wait_until 10 expired_row
expect_json "... with the bundle and its expiry" '.events[0].data | "\(.bundleVersion) \(.expires)"' "1 $HELD"
expect_json "... neither allowed nor denied" '.events[0].decision' null
refused_expired() { h GET /v1/health; jq_holds '.upstream.lastError | test("expired at")' "$BODY"; }
check "the replayed bundle is refused as expired" wait_until 10 refused_expired
h GET '/v1/audit?action=policy.bundle.refused'
check "... and the refusal audited" jq_holds '[.events[].data.detail] | any(test("held back"))' "$BODY"
check "metrics: expired" metric 'lockset_upstream_bundle_expired 1'
check "the host keeps enforcing the bundle it holds" denies_privileged
report_says() {
	jq_holds --arg e "$HELD" '.bundleExpires == $e and .status == "degraded"' "$T/reports/last.json"
}
check "its status reports say so" wait_until 10 report_says
host_stop
# Restarted, still held back: the expiry is on record already.
host_start --upstream "http://127.0.0.1:$RPORT" --bundle-key "$T/pub.pem" || exit 1
check "restarted, the host refuses the replay again" wait_until 10 refused_expired
h GET '/v1/audit?action=policy.bundle.expired'
expect_json "... and writes no second row for the same expiry" '.events | length' 1
host_stop

# A reply whose ETag is "*" would be sent back as If-None-Match, which
# matches every bundle to come: the host would hold its bundle for good,
# its polls all succeeding. The host refuses such a reply...
SPORT=$(free_port)
python3 "$T/replay.py" "$SPORT" "$T/held.json" "$T/reports/star.json" '*' >"$T/star.log" 2>&1 &
EXTRA_PIDS="$! ${EXTRA_PIDS:-}"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$SPORT/v1/bundle"
host_start --upstream "http://127.0.0.1:$SPORT" --bundle-key "$T/pub.pem" || exit 1
star_refused() { h GET /v1/health; jq_holds '.upstream.lastError | test("ETag")' "$BODY"; }
check "a bundle whose ETag is * is refused" wait_until 10 star_refused
expect_json "... the upstream degraded" .upstream.status degraded
host_stop
# A host that holds no bundle yet, answered 304 to every poll, is not in
# sync with anything: degraded, not ok.
NPORT=$(free_port)
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(304)
        self.end_headers()
    def do_POST(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$NPORT" >"$T/notmod.log" 2>&1 &
EXTRA_PIDS="$! ${EXTRA_PIDS:-}"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$NPORT/v1/bundle"
use_host dev-3
host_start --upstream "http://127.0.0.1:$NPORT" --bundle-key "$T/pub.pem" || exit 1
notmod() { h GET /v1/health; jq_holds '.upstream.lastError | test("304 to a poll that named no bundle")' "$BODY"; }
check "a new host answered 304 with no bundle held is degraded" wait_until 10 notmod
expect_json "... its upstream degraded" .upstream.status degraded
host_stop
use_host dev-1
# ... and the central never takes "*" for a bundle held.
api GET '/v1/bundle?wait=30' -H 'If-None-Match: *'
expect_status "the central answers If-None-Match: * with its bundle, at once" 200

# --- the central's view of expired hosts
report() { # HOST BODY
	STATUS=$(curl -s -o "$T/report" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")" \
		-X POST "$UPSTREAM/v1/hosts/$1/status" -d "$2")
}
# dev-1 last reported to the central a bundle that has expired since: it is
# listed as expired, and so is a host reporting an expired bundle itself.
report frozen-1 '{"bundleVersion":1,"status":"degraded","bundleExpires":"2020-01-01T00:00:00Z"}'
check "a report of an expired bundle is taken ($STATUS)" test "$STATUS" = 200
api GET /v1/bundle
CURRENT=$(jqb .bundle.expires)
report fresh-1 "{\"bundleVersion\":1,\"bundleExpires\":\"$CURRENT\"}"
check "a report of the current signature is taken ($STATUS)" test "$STATUS" = 200
# A host that reports no expiry while this central signs bundles that
# expire holds one that never does (a replayed v1 signature), or cannot
# take this central's bundles: it counts as expired too.
report old-1 '{"bundleVersion":1,"status":"ok"}'
check "a report without an expiry is taken ($STATUS)" test "$STATUS" = 200
api GET '/v1/hosts?expired=true'
expect_json "?expired=true lists the hosts whose bundle expired, or has none" \
	'[.hosts[].host] | join(",")' dev-1,frozen-1,old-1
expect_json "... as expired" '[.hosts[].expired] | all' true
expect_json "the summary counts them" .summary.expired 3
api GET '/v1/hosts?expired=false'
expect_json "?expired=false lists the others" '[.hosts[].host] | join(",")' fresh-1
expect_json "... with the expiry they reported" '.hosts[0].bundleExpires' "$CURRENT"
api GET '/v1/hosts?expired=maybe'
expect_error "?expired=maybe" 400 invalid_parameter
report frozen-2 '{"bundleVersion":1,"bundleExpires":"2026-02-30T00:00:00Z"}'
check "a report of a day that does not exist is refused ($STATUS)" test "$STATUS" = 400
check "... naming /bundleExpires" jq_holds '.error.details[0].path == "/bundleExpires"' "$T/report"
report frozen-2 '{"bundleVersion":1,"bundleExpires":"2099-01-01T00:00:00Z"}'
check "so is an expiry further ahead than any signature reaches ($STATUS)" test "$STATUS" = 400
check "... naming /bundleExpires" jq_holds '.error.details[0].path == "/bundleExpires"' "$T/report"
# One further ahead than this central's own signature is a host's older,
# longer one (before a shorter --bundle-validity, or a clock stepped back).
report longer-1 "{\"bundleVersion\":1,\"bundleExpires\":\"$(date -ud '+30 days' +%FT%TZ)\"}"
check "an expiry a month ahead is taken ($STATUS)" test "$STATUS" = 200

# --- --bundle-validity 0: v1 bundles, which never expire
lockset_stop
lockset_start --bundle-signing-key "$T/sign.pem" --bundle-validity 0 || exit 1
api GET /v1/bundle
expect_json "with --bundle-validity 0 the central serves v1" .bundle.format lockset-bundle-v1
expect_json "... with no expiry" '.bundle | has("expires")' false
expect_json "... of the same bundle" .bundle.version 1
refused_v1() { h GET /v1/health; jq_holds '.upstream.lastError | test("never expires")' "$BODY"; }
host_start --upstream "http://127.0.0.1:$PORT" --bundle-key "$T/pub.pem" || exit 1
check "dev-1, which held bundles that expire, refuses it" wait_until 10 refused_v1
h GET '/v1/audit?action=policy.bundle.refused'
check "... and the refusal is audited" jq_holds '[.events[].data.detail] | any(test("switch expiry off"))' "$BODY"
host_stop
# A new host takes v1 bundles until it holds one that expires; from then on
# it refuses them, across restarts.
use_host dev-2
host_start --upstream "http://127.0.0.1:$PORT" --bundle-key "$T/pub.pem" || exit 1
never() { h GET /v1/health; [ "$(jqb .upstream.bundleVersion)" = 1 ] && [ "$(jqb .upstream.bundleExpires)" = null ] && [ "$(jqb .upstream.status)" = ok ]; }
check "a new host takes the v1 bundle" wait_until 10 never
host_stop
lockset_stop
lockset_start --bundle-signing-key "$T/sign.pem" --bundle-validity "$VALIDITY" || exit 1
host_start --upstream "http://127.0.0.1:$PORT" --bundle-key "$T/pub.pem" || exit 1
expiring() { h GET /v1/health; [ "$(jqb .upstream.bundleExpires)" != null ] && [ "$(jqb .upstream.status)" = ok ]; }
check "the central back on v2: the host takes its signature in place of the v1 one" wait_until 10 expiring
host_stop
lockset_stop
lockset_start --bundle-signing-key "$T/sign.pem" --bundle-validity 0 || exit 1
host_start --upstream "http://127.0.0.1:$PORT" --bundle-key "$T/pub.pem" || exit 1
check "from then on, restarted, it refuses v1" wait_until 10 refused_v1
host_stop
# The v2 signature that replaced the v1 one is in its audit log: without
# its saved bundle too, the host still refuses v1.
rm "$H/state/upstream-bundle.json"
host_start --upstream "http://127.0.0.1:$PORT" --bundle-key "$T/pub.pem" || exit 1
check "without its saved bundle, it still refuses v1 (its audit log)" wait_until 10 refused_v1
h GET '/v1/audit?action=policy.bundle.installed'
check "... which holds the new signature as an install" \
	jq_holds '[.events[].data.detail] | any(. == "signed again: the bundle held now expires")' "$BODY"
host_stop

finish
