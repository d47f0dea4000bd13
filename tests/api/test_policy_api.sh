#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The org policy over the API: GET with a strong ETag, PUT and PATCH (merge
# patch) with If-Match, 422 listing every error with its pointer, dry runs,
# comments, persistent versions (same file = same version across restarts),
# history and rollback, concurrent writers, audit rows, and the file watch
# (an MDM rewrite is picked up without SIGHUP; a broken one is refused).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

VALID="$LOCKSET_SRCDIR/tests/cases/policy/valid"
put_policy "$VALID/minimal-eci.json"
lockset_start || exit 1
DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')

# --- GET: the document as stored, with a strong ETag
api GET /v1/policy
expect_status "GET /v1/policy" 200
check "the document is the file's" test "$(jq -S . "$BODY")" = "$(jq -S . "$SETTINGS")"
E1=$(header ETag)
check "a strong ETag" bash -c "[[ '$E1' == \\\"*\\\" ]]"
api GET /v1/policy -H "If-None-Match: $E1"
expect_status "If-None-Match on the policy" 304

# --- 422: every error, each with its pointer; nothing changes
cat >"$T/bad.json" <<'JSON'
{"configurationFileVersion": 3,
 "blockDockerLoad": {"locked": "yes", "value": 1},
 "containerPolicy": {"locked": true, "deniedFlags": ["--privileged", "--bogus"], "colour": 1}}
JSON
api PUT /v1/policy "${J[@]}" --data-binary "@$T/bad.json"
expect_error "an invalid policy is refused" 422 invalid_policy
for p in /configurationFileVersion /blockDockerLoad/locked /blockDockerLoad/value \
	/containerPolicy/deniedFlags/1 /containerPolicy/colour; do
	check "422 lists $p" jq_holds --arg p "$p" '[.error.details[].path] | index($p)' "$BODY" >/dev/null
done
api PUT /v1/policy "${J[@]}" -d '[1,2]'
expect_error "a non-object document" 422 invalid_policy
api PUT /v1/policy "${J[@]}" -d '{"configurationFileVersion": '
expect_error "malformed JSON" 400 invalid_json
api GET /v1/policy
check "nothing changed after refusals" test "$(header ETag)" = "$E1"
check "no version was recorded for refusals" \
	test "$(sqlite3 "$DB" 'SELECT count(*) FROM policy_versions')" = 1

# --- dry run: validates and shows the effective settings, stores nothing
jq '.blockDockerLoad.value = false' "$VALID/minimal-eci.json" >"$T/v2.json"
api PUT '/v1/policy?dry_run=true' "${J[@]}" --data-binary "@$T/v2.json"
expect_status "dry run" 200
expect_json "dry run says so" .dryRun true
expect_json "dry run shows the effective value" .effective.blockDockerLoad.value false
expect_json "dry run diff" '.diff.changed | join(",")' /blockDockerLoad/value
api GET /v1/policy
check "dry run stored nothing" test "$(header ETag)" = "$E1"
api PUT '/v1/policy?dry_run=maybe' "${J[@]}" --data-binary "@$T/v2.json"
expect_error "dry_run must be a boolean" 400 invalid_parameter

# --- PUT with If-Match and a comment
api PUT /v1/policy "${J[@]}" -H 'If-Match: "stale"' --data-binary "@$T/v2.json"
expect_error "a stale If-Match" 412 precondition_failed
api PUT '/v1/policy?comment=unblock%20load' "${J[@]}" -H "If-Match: $E1" --data-binary "@$T/v2.json"
expect_status "PUT with the current If-Match" 200
expect_json "new version" .version 2
expect_json "changed" .changed true
E2=$(header ETag)
check "PUT returns the new ETag" test -n "$E2" -a "$E2" != "$E1"
check "the file holds the new document" test "$(jq -r .blockDockerLoad.value "$SETTINGS")" = false
check "the file keeps its mode" test "$(stat -c %a "$SETTINGS")" = 644
check "no temp file is left behind" test "$(ls -A "$T/etc" | wc -l)" = 1
api GET /v1/settings
expect_json "settings serve the new version" .policyVersion 2
expect_json "settings serve the new value" .blockDockerLoad.value false
check "the version records actor, source and comment" \
	test "$(sqlite3 "$DB" "SELECT actor||'|'||source||'|'||comment FROM policy_versions WHERE version=2")" = "uid:$(id -u)|api|unblock load"
check "policy.updated audited with the caller and a diff" \
	test "$(sqlite3 "$DB" "SELECT json_extract(data,'\$.diff.changed[0]') FROM events WHERE action='policy.updated' AND policy_version=2 AND actor='uid:$(id -u)'")" = /blockDockerLoad/value
api PUT /v1/policy "${J[@]}" --data-binary "@$T/v2.json"
expect_json "an identical PUT is not a new version" .version 2
expect_json "an identical PUT changed nothing" .changed false

# --- PATCH: RFC 7396 merge patch, with If-Match and X-Lockset-Comment
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' -H "If-Match: $E1" \
	-d '{"analyticsEnabled": {"locked": true, "value": false}}'
expect_error "PATCH with a stale If-Match" 412 precondition_failed
api PATCH /v1/policy -H 'Content-Type: text/plain' -d '{}'
expect_error "PATCH with another media type" 415 unsupported_media_type
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' -H 'If-Match: *' \
	-H 'X-Lockset-Comment: lock analytics' \
	-d '{"analyticsEnabled": {"locked": true, "value": false}, "blockDockerLoad": null}'
expect_status "PATCH" 200
expect_json "PATCH is version 3" .version 3
expect_json "PATCH diff: added" '.diff.added | join(",")' /analyticsEnabled
expect_json "PATCH diff: removed" '.diff.removed | join(",")' /blockDockerLoad
check "PATCH result in the file" test "$(jq -c '[.analyticsEnabled.value, has("blockDockerLoad")]' "$SETTINGS")" = '[false,false]'
check "PATCH kept the rest" test "$(jq -r .containerPolicy.mode "$SETTINGS")" = enforce
api PATCH /v1/policy "${J[@]}" -d '{"containerPolicy": {"deniedFlags": ["--nope"]}}'
expect_error "a PATCH that makes the policy invalid" 422 invalid_policy
expect_json "the pointer is into the patched document" '.error.details[0].path' /containerPolicy/deniedFlags/0
check "comment from the header" \
	test "$(sqlite3 "$DB" "SELECT comment FROM policy_versions WHERE version=3")" = "lock analytics"

# --- history
api GET /v1/policy/versions
expect_status "versions" 200
expect_json "newest first" '[.versions[].version] | join(",")' 3,2,1
expect_json "first version came from the file" '.versions[2].source' file
expect_json "no documents in the list" '.versions[0] | has("document")' false
api GET '/v1/policy/versions?limit=1'
expect_json "?limit" '.versions | length' 1
api GET '/v1/policy/versions?limit=0'
expect_error "bad limit" 400 invalid_parameter
api GET /v1/policy/versions/2
expect_status "one version" 200
expect_json "with its document" .document.blockDockerLoad.value false
api GET /v1/policy/versions/42
expect_error "unknown version" 404 not_found
api GET /v1/policy/versions/abc
expect_error "non-numeric version" 400 invalid_parameter

# --- rollback: a new version with source rollback
api POST /v1/policy/rollback "${J[@]}" -d '{"version": 42}'
expect_error "rollback to an unknown version" 404 not_found
api POST /v1/policy/rollback "${J[@]}" -d '{"version": "one"}'
expect_error "rollback with a bad body" 400 invalid_request
expect_json "rollback error path" '.error.details[0].path' /version
api POST /v1/policy/rollback "${J[@]}" -d '{"version": 1}'
expect_status "rollback to v1" 200
expect_json "rollback is a new version" .version 4
check "rolled-back file equals v1" test "$(jq -S . "$SETTINGS")" = "$(jq -S . "$VALID/minimal-eci.json")"
check "rollback recorded as such" \
	test "$(sqlite3 "$DB" "SELECT source||'|'||comment FROM policy_versions WHERE version=4")" = "rollback|rollback to v1"
api GET /v1/settings
expect_json "settings after rollback" .blockDockerLoad.value true

# --- versions persist: a restart with the same file keeps the number
lockset_stop
lockset_start || exit 1
api GET /v1/settings
expect_json "same file after a restart: same version" .policyVersion 4
lockset_stop
jq '.disableUpdate = {"locked": true, "value": true}' "$VALID/minimal-eci.json" >"$T/offline.json"
put_policy "$T/offline.json"
lockset_start || exit 1
api GET /v1/settings
expect_json "file changed while stopped: a new version" .policyVersion 5
check "that version is by file" \
	test "$(sqlite3 "$DB" "SELECT actor||'|'||source FROM policy_versions WHERE version=5")" = "file|file"

# --- concurrent writers with the same If-Match: exactly one wins
api GET /v1/policy
E5=$(header ETag)
jq '.analyticsEnabled = {"locked": true, "value": false}' "$T/offline.json" >"$T/ra.json"
jq '.analyticsEnabled = {"locked": true, "value": true}' "$T/offline.json" >"$T/rb.json"
RACE_PIDS=
for r in a b; do
	curl -s --unix-socket "$SOCK" -X PUT -o /dev/null -w '%{http_code}\n' "${J[@]}" \
		-H "If-Match: $E5" --data-binary "@$T/r$r.json" http://lockset/v1/policy >"$T/race.$r" &
	RACE_PIDS="$RACE_PIDS $!"
done
for p in $RACE_PIDS; do wait "$p"; done
codes=$(cat "$T/race.a" "$T/race.b" | sort | tr '\n' ' ')
check "two PUTs with one If-Match: one 200, one 412 ($codes)" test "$codes" = "200 412 "
check "exactly one version was added" \
	test "$(sqlite3 "$DB" 'SELECT max(version) FROM policy_versions')" = 6

# --- the file watch: an MDM rewrite (rename into place) is picked up without SIGHUP
jq '.allowBetaFeatures = {"locked": true, "value": false}' "$T/offline.json" >"$T/mdm.json"
put_policy "$T/mdm.json"
served() { api GET /v1/settings; [ "$(jqb "$1")" = "$2" ]; }
wait_until 5 served .allowBetaFeatures.locked true
expect_json "inotify: the rewrite is served" .allowBetaFeatures.locked true
expect_json "inotify: as a new version" .policyVersion 7
check "inotify version is by file" \
	test "$(sqlite3 "$DB" "SELECT actor FROM policy_versions WHERE version=7")" = file
check "the daemon's own writes made no extra versions" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM policy_versions WHERE source='file'")" = 3
# an in-place rewrite (IN_CLOSE_WRITE) too
jq '.allowBetaFeatures.value = true' "$T/mdm.json" >"$SETTINGS"
wait_until 5 served .allowBetaFeatures.value true
expect_json "inotify: an in-place rewrite is served" .policyVersion 8
# a broken rewrite is refused and logged; the policy keeps serving
api GET /v1/settings
ETAG8=$(header ETag)
printf '{"configurationFileVersion": 2, "blockDockerLoad": {"locked": true, "value": "no"}}\n' >"$T/broken.json"
put_policy "$T/broken.json"
check "inotify: a broken rewrite is refused and logged" wait_until 5 grep -q "reload of .* refused" "$T/daemon.log"
check "the refusal names the pointer" grep -q "/blockDockerLoad/value" "$T/daemon.log"
api GET /v1/settings
check "inotify: still serving the last good version" test "$(header ETag)" = "$ETAG8"
check "policy.reload_failed audited" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='policy.reload_failed'")" -ge 1
# PUT over a broken file repairs it
api PUT /v1/policy "${J[@]}" --data-binary "@$T/v2.json"
expect_status "PUT replaces a broken file" 200
check "the file is valid again" jq_holds '.blockDockerLoad.value == false' "$SETTINGS"

api GET /v1/audit/verify
expect_json "the audit chain verifies" .ok true
finish
