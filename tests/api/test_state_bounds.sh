#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# User preferences are bounded by size, count and age: an oversized decision
# URI or preferences document is refused with a clear error, preferences are
# held to --prefs-max-users users and --prefs-max-days of age (audited);
# /metrics shows the limits and the use.
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
check "/metrics shows the preferences' limits" grep -q '^lockset_preferences_limit{what="users"} 10000$' "$BODY"
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
