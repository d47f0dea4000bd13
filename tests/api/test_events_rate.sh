#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# POST /v1/events is rate-limited per caller (--events-rate, --events-burst):
# the burst is accepted, the next event gets 429 rate_limited with Retry-After
# and is not recorded, another caller keeps its own budget, the drop is
# counted in /metrics, and the caller is served again once a token is back.
# POST /v1/decisions is limited the same way (--decisions-rate,
# --decisions-burst), and the plugin socket is not.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3

DB="$STATE/lockset.db"
RT=$("$LOCKSETD" --state-dir "$STATE" --create-token rt --role runtime) || exit 1
lockset_start --events-rate 1/s --events-burst 3 || exit 1
JSON=(-H 'Content-Type: application/json')
rows() { sqlite3 "$DB" "SELECT count(*) FROM events WHERE action LIKE 'runtime.%'"; }
dropped() {
	curl -s --unix-socket "$SOCK" http://lockset/metrics |
		sed -n 's/^lockset_events_dropped_total{reason="rate_limited"} //p'
}

check "no event dropped yet" test "$(dropped)" = 0
# The burst and one more, back to back on one keep-alive connection (one
# curl): a busy machine cannot stretch them over the second a token takes.
: >"$T/burst.cfg"
for s in b-1 b-2 b-3 over; do
	[ "$s" = b-1 ] || echo next >>"$T/burst.cfg"
	printf '%s\n' "url = \"http://lockset/v1/events\"" "unix-socket = \"$SOCK\"" \
		"header = \"Content-Type: application/json\"" \
		"data = \"{\\\"action\\\":\\\"runtime.exec.denied\\\",\\\"subject\\\":\\\"$s\\\"}\"" \
		"output = \"$T/burst-$s.json\"" "write-out = \"%{http_code} %header{retry-after}\\\\n\"" >>"$T/burst.cfg"
done
curl -s -K "$T/burst.cfg" >"$T/burst.out"
for i in 1 2 3; do
	check "event $i of the burst is recorded" test "$(sed -n "${i}p" "$T/burst.out")" = "201 "
done
check "the event past the burst is refused: 429" test "$(sed -n 4p "$T/burst.out" | cut -d' ' -f1)" = 429
check "... rate_limited" test "$(jq -r .error.code "$T/burst-over.json")" = rate_limited
check "429 carries Retry-After in whole seconds" test "$(sed -n 4p "$T/burst.out" | cut -d' ' -f2)" = 1
check "the refused event is not recorded" test "$(rows)" = 3
check "the drop is counted in /metrics" test "$(dropped)" = 1
api POST /v1/events "${JSON[@]}" -d '{"action":"not runtime"}'
expect_error "an invalid event is still answered as invalid, not limited" 400 invalid_request
check "invalid events do not count as drops" test "$(dropped)" = 1

tcp POST /v1/events -H "Authorization: Bearer $RT" "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"rt"}'
expect_status "another caller (token:rt) has its own bucket" 201
api GET "/v1/audit?subject=rt"
expect_json "its event is recorded under its identity" '.events[0].component' token:rt

# Decisions are not events: a flood of events does not stop a deny from being
# recorded.
api POST /v1/decisions "${JSON[@]}" -d '{"method":"POST","uri":"/containers/create","body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
expect_json "a deny is still judged and recorded while events are limited" .allow false
check "the deny has its audit row" test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='container.create.denied'")" = 1

# The bucket refills at 1/s: wait (bounded) until the caller is served again.
served=0
for _ in $(seq 40); do
	api POST /v1/events "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"later"}'
	[ "$STATUS" = 201 ] && { served=1; break; }
	[ "$STATUS" = 429 ] || break
	sleep 0.1
done
check "the caller is served again once a token is back" test "$served" = 1

# POST /v1/decisions likewise (--decisions-rate, --decisions-burst): each deny
# is an audit row. The plugin socket is not limited.
lockset_stop
lockset_start --decisions-rate 1/s --decisions-burst 2 || exit 1
DENY='{\"method\":\"POST\",\"uri\":\"/containers/create\",\"body\":{\"Image\":\"alpine\",\"HostConfig\":{\"Privileged\":true}}}'
: >"$T/dburst.cfg"
for s in d-1 d-2 over; do
	[ "$s" = d-1 ] || echo next >>"$T/dburst.cfg"
	printf '%s\n' "url = \"http://lockset/v1/decisions\"" "unix-socket = \"$SOCK\"" \
		"header = \"Content-Type: application/json\"" "data = \"$DENY\"" \
		"output = \"$T/dburst-$s.json\"" "write-out = \"%{http_code} %header{retry-after}\\\\n\"" >>"$T/dburst.cfg"
done
BEFORE=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='container.create.denied'")
curl -s -K "$T/dburst.cfg" >"$T/dburst.out"
check "the burst of decisions is judged" test "$(sed -n 1,2p "$T/dburst.out" | tr '\n' ' ')" = "200  200  "
check "the decision past the burst is refused: 429 with Retry-After" \
	test "$(sed -n 3p "$T/dburst.out")" = "429 1"
check "... rate_limited" test "$(jq -r .error.code "$T/dburst-over.json")" = rate_limited
check "... and neither judged nor recorded" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='container.create.denied'")" = $((BEFORE + 2))
check "... counted in /metrics" bash -c "curl -s --unix-socket '$SOCK' http://lockset/metrics |
	grep -q '^lockset_decision_requests_refused_total{reason=\"rate_limited\"} 1\$'"
PLUGIN_DENY="{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\",\"RequestBody\":\"$(printf '%s' '{"Image":"alpine","HostConfig":{"Privileged":true}}' | base64 -w0)\",\"RequestHeaders\":{\"Content-Type\":\"application/json\"}}"
for i in 1 2 3 4; do
	curl -s --unix-socket "$AUTHZ_SOCK" -o "$T/p$i.json" -d "$PLUGIN_DENY" http://plugin/AuthZPlugin.AuthZReq
done
check "the plugin socket answers every call meanwhile" \
	test "$(cat "$T"/p[1-4].json | jq -r .Allow | sort -u)" = false
finish
