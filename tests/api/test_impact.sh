#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Impact preview: decisions are recorded (each distinct body once, capped:
# larger bodies flagged and skipped; identical decisions of a minute in one
# counted row), then a stricter and a looser proposed policy are replayed
# against them and the newly denied / newly allowed requests are counted by
# rule, a repeated request as often as it was made. Invalid proposals get 422;
# nothing is stored or changed.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

VALID="$LOCKSET_SRCDIR/tests/cases/policy/valid"
export HOME=/home/alice
# The example policy without --cap-add=ALL, so that NET_ADMIN is allowed.
jq '.containerPolicy.deniedFlags -= ["--cap-add=ALL"]' "$VALID/minimal-eci.json" >"$T/base.json"
put_policy "$T/base.json"
lockset_start || exit 1
DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')

decide() { # USER BODY
	api POST /v1/decisions "${J[@]}" -d "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/create\",\"user\":\"$1\",\"body\":$2}"
}
PRIV='{"Image":"alpine","HostConfig":{"Privileged":true}}'
HOSTNET='{"Image":"alpine","HostConfig":{"NetworkMode":"host"}}'
BENIGN='{"Image":"alpine","HostConfig":{"CapAdd":["NET_ADMIN"]}}'
for _ in 1 2 3; do decide alice "$PRIV"; done
expect_json "privileged is denied now" .allow false
for _ in 1 2; do decide bob "$HOSTNET"; done
expect_json "host network is denied now" .allow false
for _ in 1 2; do decide bob "$BENIGN"; done
expect_json "a benign create is allowed now" .allow true
api POST /v1/decisions "${J[@]}" -d '{"method":"GET","uri":"/v1.47/containers/json"}'
expect_json "an uninspected route" .allow true
# a body over the 64 KiB cap is not kept
BIG=$(head -c 70000 /dev/zero | tr '\0' 'x')
printf '{"method":"POST","uri":"/v1.47/containers/create","user":"bob","body":{"Image":"alpine","Env":["X=%s"]}}' "$BIG" >"$T/big.json"
api POST /v1/decisions "${J[@]}" --data-binary "@$T/big.json"
expect_json "a big benign create is allowed" .allow true

# --- a stricter proposal: NET_ADMIN denied too
jq '.containerPolicy.deniedFlags += ["--cap-add=NET_ADMIN"]' "$T/base.json" >"$T/strict.json"
api POST /v1/policy/impact "${J[@]}" --data-binary "@$T/strict.json"
expect_status "impact of a stricter policy" 200
expect_json "every recorded inspected decision is replayed" .replayed 7
expect_json "the big body is skipped" .skipped 1
expect_json "benign creates would newly be denied" .newlyDenied.count 2
expect_json "by the cap-add rule" '.newlyDenied.byRule["cap-add"]' 2
expect_json "nothing newly allowed" .newlyAllowed.count 0
expect_json "examples name before and after" '.examples[0] | "\(.before)>\(.after) \(.user) \(.rules|join(","))"' "allow>deny bob cap-add"
expect_json "an example stands for its identical requests" '.examples[0].count' 2
check "decision inputs are stored" test "$(sqlite3 "$DB" 'SELECT sum(count) FROM decision_inputs')" = 8
# 4 kinds of input; a minute boundary may split one kind in two rows
check "identical decisions of a minute share a row" \
	test "$(sqlite3 "$DB" 'SELECT count(*) FROM decision_inputs')" -le 5
check "each distinct body is stored once" \
	test "$(sqlite3 "$DB" 'SELECT count(*) FROM input_bodies')" = 3
check "the big body is flagged, not kept" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE body_truncated = 1 AND body_hash = X''")" = 1

# --- a looser proposal: no denied flags, ECI off
jq '.containerPolicy.deniedFlags = [] | .enhancedContainerIsolation.value = false' \
	"$T/base.json" >"$T/loose.json"
api POST /v1/policy/impact "${J[@]}" --data-binary "@$T/loose.json"
expect_status "impact of a looser policy" 200
expect_json "privileged and host-network creates would newly be allowed" .newlyAllowed.count 5
expect_json "3 by privileged" .newlyAllowed.byRule.privileged 3
expect_json "2 by host-network" '.newlyAllowed.byRule["host-network"]' 2
expect_json "nothing newly denied" .newlyDenied.count 0

# --- the window
api POST '/v1/policy/impact?since=2999-01-01T00:00:00Z' "${J[@]}" --data-binary "@$T/loose.json"
expect_json "a window in the future replays nothing" .replayed 0
api POST '/v1/policy/impact?since=2000-01-01T00:00:00%2B02:00' "${J[@]}" --data-binary "@$T/loose.json"
expect_json "an offset time is accepted" .replayed 7
expect_json "since is reported in UTC" .since 1999-12-31T22:00:00.000000Z
api POST '/v1/policy/impact?since=yesterday' "${J[@]}" --data-binary "@$T/loose.json"
expect_error "a bad since" 400 invalid_parameter
expect_json "the parameter is named" '.error.details[0].path' since

# --- repeated requests: each one counts
REPEAT='{"Image":"busybox","HostConfig":{"CapAdd":["NET_ADMIN"]}}'
n=0
for _ in $(seq 100); do
	decide carol "$REPEAT"
	[ "$STATUS" = 200 ] && [ "$(jqb .allow)" = true ] && n=$((n + 1))
done
check "100 identical benign creates are allowed" test "$n" = 100
api POST /v1/policy/impact "${J[@]}" --data-binary "@$T/strict.json"
expect_status "impact after 100 identical decisions" 200
expect_json "they are replayed as 100 requests" .replayed 107
expect_json "and counted as 100 newly denied" .newlyDenied.count 102
expect_json "by rule too" '.newlyDenied.byRule["cap-add"]' 102
expect_json "one example counts them" '[.examples[] | select(.user == "carol") | .count] | "\(length) \(add)"' "1 100"
# One row a minute: on a busy machine the 100 decisions may span more than
# one minute boundary, so the rows are counted against their minutes.
check "they are stored in one row a minute" \
	test "$(sqlite3 "$DB" "SELECT count(*) = count(DISTINCT bucket) FROM decision_inputs
		WHERE user = 'carol'")" = 1
check "with a count of 100" \
	test "$(sqlite3 "$DB" "SELECT sum(count) FROM decision_inputs WHERE user = 'carol'")" = 100
check "their body is stored once" test "$(sqlite3 "$DB" 'SELECT count(*) FROM input_bodies')" = 4

# --- an invalid proposal: 422 with every error; nothing changes
api POST /v1/policy/impact "${J[@]}" -d '{"configurationFileVersion": 2, "containerPolicy": {"deniedFlags": ["--x", "--y"]}}'
expect_error "an invalid proposal" 422 invalid_policy
expect_json "both errors listed" '[.error.details[].path] | join(",")' \
	/containerPolicy/deniedFlags/0,/containerPolicy/deniedFlags/1
api GET /v1/settings
expect_json "a preview changes nothing" .policyVersion 1
finish
