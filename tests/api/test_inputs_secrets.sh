#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Recorded decision inputs keep no secret: a create with -e TOKEN=s3cret (denied
# and allowed), an exec with an Env, a build with a build argument and a
# remote's password, a swarm join with its token, a plugin's settings, a swarm
# init with the CA's key, a CIFS volume with its password and a registry login
# are decided; the database (every table, and the raw files) then holds none
# of the secrets, only "KEY=lockset-hmac:..." tokens, the same value giving the
# same token; the per-daemon key is 0600 in the state directory; and the
# impact preview still replays the rows (a looser policy newly allows the
# privileged create).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3

# swarm init is judged (and so recorded) only when the policy denies it.
jq 'del(.filesharingAllowedDirectories) | .containerPolicy.deniedCommands = ["swarm init"]' \
	"$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json" >"$T/policy.json"
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
REMOTE=$(printf 'https://alice:s3cret-remote@github.com/o/r.git' | jq -sRr @uri)
decide "/v1.47/build?t=app&networkmode=host&remote=$REMOTE&buildargs=$BA" null
expect_json "a host-network build with a build argument is denied" .allow false
check "the denied build's audit row names the build" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='build.denied'")" = 1
decide /v1.47/swarm/join '{"ListenAddr":"0.0.0.0:2377","RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-s3cret-join"}'
expect_json "a swarm join is judged" .route swarm.join
decide /v1.47/plugins/vieux/sshfs:latest/set '["PASSWORD=s3cret-plugin","DEBUG=1"]'
expect_json "a plugin's settings are judged" .route plugin.set
decide /v1.47/swarm/init '{"ListenAddr":"0.0.0.0:2377","Spec":{"CAConfig":{"SigningCACert":"CERT","SigningCAKey":"s3cret-ca-key"}}}'
expect_json "a swarm init, a denied command, is denied" .allow false
decide /v1.47/volumes/create '{"Name":"share","DriverOpts":{"type":"cifs","device":"//nas/share","o":"addr=nas,username=alice,password=s3cret-cifs"}}'
expect_json "a CIFS volume with its password is judged" .route volume.create
decide /v1.47/auth '{"username":"alice","password":"s3cret-login","serveraddress":"https://index.docker.io/v1/"}'
expect_json "a registry login is allowed" .allow true

# The impact preview flushes the recorder and replays every row.
jq '.containerPolicy.deniedFlags -= ["--privileged"]' "$T/policy.json" >"$T/looser.json"
api POST /v1/policy/impact "${J[@]}" --data-binary "@$T/looser.json"
expect_status "impact preview" 200
# Nine inputs, the login among them (allowedRegistries judges its server).
expect_json "every recorded input is replayed, none skipped" '"\(.replayed) \(.skipped)"' "9 0"
expect_json "the redacted privileged create is newly allowed" '.newlyAllowed.byRule.privileged' 1

lockset_stop
check "the database holds no secret (sqlite3 .dump)" \
	test "$(sqlite3 "$DB" .dump | grep -c s3cret)" = 0
# .dump shows a body (a BLOB) in hex: read the bodies as text too.
check "no recorded body holds one" \
	test "$(sqlite3 "$DB" "SELECT CAST(body AS TEXT) FROM input_bodies" | grep -c s3cret)" = 0
check "nor do the raw database files" bash -c "! grep -aq s3cret '$DB' '$DB'-wal '$DB'-shm 2>/dev/null"
check "Env keys are kept with a keyed hash as value (both creates and the exec)" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM input_bodies WHERE instr(CAST(body AS TEXT), '\"TOKEN=lockset-hmac:') > 0")" = 3
check "every Env value is hashed, not only secret-looking ones" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM input_bodies WHERE instr(CAST(body AS TEXT), '\"HOME=lockset-hmac:') > 0")" = 1
TOKS=$(sqlite3 "$DB" "SELECT CAST(body AS TEXT) FROM input_bodies" | grep -o 'TOKEN=lockset-hmac:[0-9a-f]*' | sort | uniq -c | awk '{print $1}' | sort | paste -sd, -)
check "the same value gives the same token in different bodies (create twice, exec once)" test "$TOKS" = 1,2
check "the build's keys are kept, its values hashed" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE instr(uri, 'buildargs=%7B%22TOKEN%22%3A%22lockset-hmac%3A') > 0")" = 1
check "the build remote's user information is hashed, its host and path kept" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM decision_inputs WHERE instr(uri, 'remote=https%3A%2F%2Flockset-hmac%3A') > 0 AND instr(uri, '%40github.com%2Fo%2Fr.git&') > 0")" = 1
body_has() { # TEXT: how many recorded bodies contain it
	sqlite3 "$DB" "SELECT count(*) FROM input_bodies WHERE instr(CAST(body AS TEXT), '$1') > 0"
}
check "the swarm join's token is a keyed hash" test "$(body_has '"JoinToken":"lockset-hmac:')" = 1
check "the plugin's setting keys are kept, every value hashed" \
	test "$(body_has '["PASSWORD=lockset-hmac:')$(body_has '"DEBUG=lockset-hmac:')" = 11
check "the swarm init's CA key is hashed, its certificate kept" \
	test "$(body_has '"SigningCACert":"CERT","SigningCAKey":"lockset-hmac:')" = 1
check "the volume's password is hashed, its other options kept" \
	test "$(body_has '"o":"addr=nas,username=alice,password=lockset-hmac:')" = 1
check "the registry login's password is hashed, its user and server kept" \
	test "$(body_has '"username":"alice","password":"lockset-hmac:')$(body_has '"serveraddress":"https://index.docker.io/v1/"')" = 11
check "the key is in the state directory, 0600" test "$(stat -c %a "$STATE/inputs-hmac.key")" = 600
check "the key is 32 bytes" test "$(stat -c %s "$STATE/inputs-hmac.key")" = 32
finish
