#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Recorded decision inputs keep no secret: a create with -e TOKEN=s3cret (denied
# and allowed), an exec with an Env, and a build with a build argument are
# decided; the database (every table, and the raw files) then holds none of
# the secrets, only "KEY=lockset-hmac:..." tokens, the same value giving the
# same token; the per-daemon key is 0600 in the state directory; and the
# impact preview still replays the rows (a looser policy newly allows the
# privileged create).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3

jq 'del(.filesharingAllowedDirectories)' "$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json" >"$T/policy.json"
put_policy "$T/policy.json"
lockset_start || exit 1
DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')
decide() { # URI BODY-JSON-OR-null
	api POST /v1/decisions "${J[@]}" -d "{\"method\":\"POST\",\"uri\":\"$1\",\"user\":\"alice\",\"body\":$2}"
}

decide /v1.47/containers/create '{"Image":"alpine","Env":["TOKEN=s3cret-create","HOME=/root"],"HostConfig":{"Privileged":true}}'
expect_json "the privileged create with a secret in Env is denied" .allow false
decide /v1.47/containers/create '{"Image":"alpine","ENV":["TOKEN=s3cret-create"],"Config":{"Env":["PW=s3cret-config"]}}'
expect_json "a benign create with secrets is allowed" .allow true
decide /v1.47/containers/c1/exec '{"Cmd":["sh"],"Env":["TOKEN=s3cret-exec"]}'
expect_json "an exec with a secret in Env is judged" .route exec.create
BA=$(printf '{"TOKEN":"s3cret-build"}' | jq -sRr @uri)
decide "/v1.47/build?t=app&networkmode=host&buildargs=$BA" null
expect_json "a host-network build with a build argument is denied" .allow false
check "the denied build's audit row names the build" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='build.denied'")" = 1

# The impact preview flushes the recorder and replays every row.
jq '.containerPolicy.deniedFlags -= ["--privileged"]' "$T/policy.json" >"$T/looser.json"
api POST /v1/policy/impact "${J[@]}" --data-binary "@$T/looser.json"
expect_status "impact preview" 200
expect_json "every recorded input is replayed, none skipped" '"\(.replayed) \(.skipped)"' "4 0"
expect_json "the redacted privileged create is newly allowed" '.newlyAllowed.byRule.privileged' 1

lockset_stop
check "the database holds no secret (sqlite3 .dump)" \
	test "$(sqlite3 "$DB" .dump | grep -c s3cret)" = 0
check "nor do the raw database files" bash -c "! grep -aq s3cret '$DB' '$DB'-wal '$DB'-shm 2>/dev/null"
check "Env keys are kept with a keyed hash as value (both creates and the exec)" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM input_bodies WHERE instr(CAST(body AS TEXT), '\"TOKEN=lockset-hmac:') > 0")" = 3
check "every Env value is hashed, not only secret-looking ones" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM input_bodies WHERE instr(CAST(body AS TEXT), '\"HOME=lockset-hmac:') > 0")" = 1
TOKS=$(sqlite3 "$DB" "SELECT CAST(body AS TEXT) FROM input_bodies" | grep -o 'TOKEN=lockset-hmac:[0-9a-f]*' | sort | uniq -c | awk '{print $1}' | sort | paste -sd, -)
check "the same value gives the same token in different bodies (create twice, exec once)" test "$TOKS" = 1,2
check "the build's keys are kept, its values hashed" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE instr(uri, 'buildargs=%7B%22TOKEN%22%3A%22lockset-hmac%3A') > 0")" = 1
check "the key is in the state directory, 0600" test "$(stat -c %a "$STATE/inputs-hmac.key")" = 600
check "the key is 32 bytes" test "$(stat -c %s "$STATE/inputs-hmac.key")" = 32
finish
