#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Recorded decision inputs and user preferences are bounded by size, count
# and age: an oversized decision URI or preferences document is refused with
# a clear error; a decision from dockerd whose URI is over --inputs-max-uri is
# judged but its input is not recorded (counted), one whose body is over the
# cap is recorded without it; the inputs are held to --inputs-max-bytes and
# --inputs-max-rows (oldest pruned first, also at start-up), preferences to
# --prefs-max-users users and --prefs-max-days of age (audited); /metrics
# shows the limits and the use.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3 python3
DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')
long() { python3 -c "print('$1' * $2)"; }
rows() { sqlite3 "$DB" 'SELECT count(*) FROM decision_inputs'; }
# Bytes of URI and body stored, each body once (what --inputs-max-bytes bounds).
stored_bytes() { sqlite3 "$DB" 'SELECT (SELECT COALESCE(SUM(length(CAST(uri AS BLOB))), 0) FROM decision_inputs) + (SELECT COALESCE(SUM(length(body)), 0) FROM input_bodies)'; }
has_row() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE uri LIKE '%name=$1'")" = 1 ]; }
metric() { curl -s --unix-socket "$SOCK" http://lockset/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
decide() { # URI: a create on an inspected route
	api POST /v1/decisions "${J[@]}" -d "{\"method\":\"POST\",\"uri\":\"$1\",\"body\":{\"Image\":\"alpine\"}}"
}
plugin() { # URI BODY: dockerd asks the plugin; the reply in $T/plugin
	curl -s --unix-socket "$AUTHZ_SOCK" -o "$T/plugin" -X POST -d @- http://plugin/AuthZPlugin.AuthZReq <<-EOF
	{"RequestMethod":"POST","RequestUri":"$1","RequestBody":"$(printf '%s' "$2" | base64 -w0)","RequestHeaders":{"Content-Type":"application/json"}}
	EOF
}

lockset_start || exit 1
decide "/v1.41/containers/create?name=$(long a 20000)"
expect_error "a decision URI over 16 KiB (the default) is refused" 400 invalid_request
expect_json "... saying which limit" '.error.details[0].message' "longer than 16384 bytes (--inputs-max-uri)"
decide "/v1.41/containers/create?name=$(long b 15000)"
expect_status "one under the limit is judged" 200
api PUT /v1/users/alice/settings "${J[@]}" -d "{\"proxy\": {\"exclude\": \"$(long x 70000)\"}}"
expect_error "preferences over 64 KiB (the default) are refused" 413 payload_too_large
expect_json "... saying which limit" '.error.message | test("larger than the 65536 byte limit")' true
api GET /metrics
check "/metrics shows the preferences' limits" grep -q '^lockset_preferences_limit{what="users"} 10000$' "$BODY"
for m in 'max_rows 100000' 'max_bytes 67108864' 'max_age_seconds 2592000' 'max_uri_bytes 16384'; do
	check "/metrics shows the inputs' limit: $m (the default)" grep -q "^lockset_decision_inputs_$m\$" "$BODY"
done
lockset_stop

# Over the caps: judged all the same; not recorded (URI) or recorded without the body.
lockset_start --inputs-max-uri 1024 || exit 1
plugin "/v1.41/containers/create?name=$(long c 2000)" '{"Image":"alpine","HostConfig":{"Privileged":true}}'
check "dockerd's create with a URI over --inputs-max-uri is judged: denied" test "$(jq .Allow "$T/plugin")" = false
check "... by the rule it breaks" grep -q '\[privileged\]' "$T/plugin"
plugin "/v1.41/containers/create?name=bigbody" "{\"Image\":\"alpine\",\"Labels\":{\"pad\":\"$(long p 70000)\"},\"HostConfig\":{\"Privileged\":true}}"
check "one with a body over 64 KiB is judged: denied" grep -q '\[privileged\]' "$T/plugin"
plugin "/v1.41/containers/create?name=notjson" 'not json'
check "one with a body that is not JSON is judged: denied" test "$(jq .Allow "$T/plugin")" = false
decide "/v1.41/containers/create?name=marker1"
expect_status "a decision after them" 200
check "... is recorded" wait_until 20 has_row marker1
check "the input with the long URI is not recorded" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE uri LIKE '%name=cccc%'")" = 0
check "the input with the large body is recorded without it (the preview skips it)" test \
	"$(sqlite3 "$DB" "SELECT body_truncated || '/' || length(body_hash) FROM decision_inputs WHERE uri LIKE '%name=bigbody'")" = 1/0
check "/metrics counts the input not recorded" \
	test "$(metric 'lockset_decision_inputs_dropped_total{reason="uri_too_long"}')" = 1
check "... and the body not kept" \
	wait_until 20 eval '[ "$(metric '"'"'lockset_decision_input_bodies_dropped_total{reason="too_large"}'"'"')" = 1 ]'
check "... and the one not JSON" \
	test "$(metric 'lockset_decision_input_bodies_dropped_total{reason="not_json"}')" = 1
check "... which is recorded without it" test \
	"$(sqlite3 "$DB" "SELECT body_truncated FROM decision_inputs WHERE uri LIKE '%name=notjson'")" = 1
lockset_stop

# 200 distinct inputs of about 1 KB each (one body), under a 64 KiB bound.
lockset_start --inputs-max-bytes 65536 || exit 1
PAD=$(long p 1000)
ARGS=()
for i in $(seq 200); do
	ARGS+=(-s -o /dev/null --unix-socket "$SOCK" "${J[@]}" http://lockset/v1/decisions -d \
		"{\"method\":\"POST\",\"uri\":\"/v1.41/containers/create?$PAD&name=c$i\",\"body\":{\"Image\":\"alpine\"}}" --next)
done
curl "${ARGS[@]}" -s -o /dev/null --unix-socket "$SOCK" http://lockset/v1/health
check "the last of 200 inputs is recorded" wait_until 20 has_row c200
# Retention runs between batches, after the one that wrote c200 commits.
wait_until 20 eval '[ "$(stored_bytes)" -le 65536 ]'
check "--inputs-max-bytes 65536 holds: $(stored_bytes) bytes in $(rows) rows" \
	test "$(stored_bytes)" -le 65536 -a "$(rows)" -ge 40
check "... the oldest were pruned" test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE uri LIKE '%name=c1'")" = 0
check "/metrics shows the bytes stored" wait_until 20 eval '[ "$(metric lockset_decision_inputs_bytes)" = "$(stored_bytes)" ]'
check "... and the rows" test "$(metric lockset_decision_inputs_rows)" = "$(rows)"
check "... and the limit" test "$(metric lockset_decision_inputs_max_bytes)" = 65536
lockset_stop

# Lower limits apply at start-up, to what is stored already.
before=$(rows)
lockset_start --inputs-max-bytes 65536 --inputs-max-rows 10 || exit 1
check "--inputs-max-rows 10 prunes the $before rows at start-up" wait_until 20 eval '[ "$(rows)" -le 10 ]'
check "... the newest stay" has_row c200
check "/metrics shows the rows stored" wait_until 20 eval '[ "$(metric lockset_decision_inputs_rows)" = "$(rows)" ]'
lockset_stop
sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE decision_inputs SET last = '2020-01-01T00:00:00.000000Z' WHERE uri NOT LIKE '%name=c200'"
lockset_start --inputs-max-days 1 || exit 1
check "--inputs-max-days 1 prunes the rows last seen in 2020 at start-up" wait_until 20 eval '[ "$(rows)" = 1 ]'
check "... the bodies no row refers to go with them; the bytes are counted anew" \
	wait_until 20 eval '[ "$(metric lockset_decision_inputs_bytes)" = "$(stored_bytes)" ]'
lockset_stop

# Preferences: at most --prefs-max-users users, pruned by age.
lockset_start --prefs-max-users 3 || exit 1
for u in u1 u2 u3; do
	api PUT "/v1/users/$u/settings" "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
	expect_status "preferences for $u" 200
done
api PUT /v1/users/u4/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_error "a fourth user's preferences are refused" 409 conflict
expect_json "... saying which limit" '.error.message | test("--prefs-max-users")' true
api PUT /v1/users/u1/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": false}}'
expect_status "a user who has some may still change them" 200
check "no row for the refused user" test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE subject = 'u4'")" = 0
lockset_stop
sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE user_prefs SET time = '2020-01-01T00:00:00Z' WHERE user IN ('u1', 'u2')"
lockset_start --prefs-max-days 30 || exit 1
check "preferences unchanged for 30 days are removed at start-up" \
	test "$(sqlite3 "$DB" "SELECT group_concat(user) FROM user_prefs")" = u3
check "... audited first, naming the users" test \
	"$(sqlite3 "$DB" "SELECT json_extract(data, '\$.users') FROM events WHERE action = 'preferences.expired'")" = '["u1","u2"]'
api GET /metrics
check "/metrics shows the users with preferences" grep -q '^lockset_preferences_users 1$' "$BODY"
finish
