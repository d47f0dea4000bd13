#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Recorded decision inputs and user preferences are bounded by size, count
# and age whatever the audit retention says: an oversized decision URI or
# preferences document is refused with a clear error, URIs over the cap are
# not recorded, the rows are pruned to --inputs-max-rows, --inputs-max-bytes
# and --inputs-max-days, preferences to --prefs-max-users new users and
# --prefs-max-days of age (audited); /metrics shows the limits and the use.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3 python3
DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')
long() { python3 -c "print('$1' * $2)"; }
rows() { sqlite3 "$DB" 'SELECT count(*) FROM decision_inputs'; }
stored_bytes() { sqlite3 "$DB" 'SELECT COALESCE(SUM(length(d.uri) + COALESCE(length(b.body), 0)), 0) FROM decision_inputs d LEFT JOIN input_bodies b ON b.hash = d.body_hash'; }
# wait_for SECONDS 'CONDITION': until the shell condition (evaluated anew each time) holds.
wait_for() { local n=$(( $1 * 10 )); for _ in $(seq "$n"); do eval "$2" && return 0; sleep 0.1; done; return 1; }
decide() { # URI: a create on an inspected route
	api POST /v1/decisions "${J[@]}" -d "{\"method\":\"POST\",\"uri\":\"$1\",\"body\":{\"Image\":\"alpine\"}}"
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
check "/metrics shows the inputs' limits" grep -q '^lockset_decision_inputs_limit{what="rows"} 100000$' "$BODY"
check "... and the preferences' limits" grep -q '^lockset_preferences_limit{what="users"} 10000$' "$BODY"
lockset_stop

# 200 distinct inputs of about 1 KB each, recorded with no limit in reach.
lockset_start || exit 1
PAD=$(long p 1000)
ARGS=()
for i in $(seq 200); do
	ARGS+=(-s -o /dev/null --unix-socket "$SOCK" "${J[@]}" http://lockset/v1/decisions -d \
		"{\"method\":\"POST\",\"uri\":\"/v1.41/containers/create?name=c$i-$PAD\",\"body\":{\"Image\":\"alpine\"}}" --next)
done
curl "${ARGS[@]}" -s -o /dev/null --unix-socket "$SOCK" http://lockset/v1/health
lockset_stop
check "200 inputs were recorded ($(rows))" test "$(rows)" -ge 200

# The limits apply at the next prune (the first runs at start-up).
lockset_start --inputs-max-bytes 65536 || exit 1
wait_for 20 '[ "$(stored_bytes)" -le 65536 ]'
check "--inputs-max-bytes 65536 keeps at most that many bytes ($(stored_bytes) in $(rows) rows)" \
	test "$(stored_bytes)" -le 65536 -a "$(rows)" -ge 20
lockset_stop
lockset_start --inputs-max-rows 50 || exit 1
wait_for 20 '[ "$(rows)" = 50 ]'
check "--inputs-max-rows 50 keeps the newest 50 rows ($(rows))" test "$(rows)" = 50
check "... the newest ones" test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE uri LIKE '%name=c200-%'")" = 1
api GET /metrics
check "/metrics shows the rows kept" grep -q '^lockset_decision_inputs_stored_rows 50$' "$BODY"
lockset_stop
sqlite3 "$DB" "UPDATE decision_inputs SET last = '2020-01-01T00:00:00.000000Z' WHERE id % 2 = 0"
before=$(rows)
lockset_start --inputs-max-days 1 --inputs-max-uri 1024 || exit 1
wait_for 20 '[ "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE last < '"'2021'"'")" = 0 ]'
check "--inputs-max-days 1 removes the rows last seen in 2020 ($before -> $(rows))" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE last < '2021'")" = 0 -a "$(rows)" -gt 0
BODY64=$(printf '{"Image":"alpine"}' | base64 -w0)
STATUS=$(curl -s --unix-socket "$AUTHZ_SOCK" -o "$T/body" -w '%{http_code}' -X POST \
	-d "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.41/containers/create?name=$(long c 2000)\",\"RequestBody\":\"$BODY64\",\"RequestHeaders\":{\"Content-Type\":\"application/json\"}}" \
	http://plugin/AuthZPlugin.AuthZReq)
check "dockerd's request with a URI over --inputs-max-uri is still judged ($STATUS)" \
	jq -e '.Allow == true' "$T/body"
api GET /metrics
check "... but not recorded, and counted" grep -q '^lockset_decision_inputs_too_large_total 1$' "$BODY"
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
sqlite3 "$DB" "UPDATE user_prefs SET time = '2020-01-01T00:00:00Z' WHERE user IN ('u1', 'u2')"
lockset_start --prefs-max-days 30 || exit 1
check "preferences unchanged for 30 days are removed at start-up" \
	test "$(sqlite3 "$DB" "SELECT group_concat(user) FROM user_prefs")" = u3
check "... audited first, naming the users" test \
	"$(sqlite3 "$DB" "SELECT json_extract(data, '\$.users') FROM events WHERE action = 'preferences.expired'")" = '["u1","u2"]'
api GET /metrics
check "/metrics shows the users with preferences" grep -q '^lockset_preferences_users 1$' "$BODY"
finish
