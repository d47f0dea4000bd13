#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Per-user policies and user preferences: precedence per key (user-policy lock
# > org lock > unlocked values; preferences only where nothing locks), the
# source layer in GET /v1/settings?user=, per-user ETags, 409 locked_setting
# with every locked pointer and an audit row, versions and audit of user
# policies, persistence across restarts, and decisions judged by the user's
# own policy.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

VALID="$LOCKSET_SRCDIR/tests/cases/policy/valid"
put_policy "$VALID/layered.json"   # analyticsEnabled locked false; disableUpdate unlocked true
lockset_start || exit 1
DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')

# --- a per-user policy: validated, versioned, audited
api PUT /v1/policy/users/alice "${J[@]}" -d '{"configurationFileVersion": 2, "disableUpdate": {"locked": "x"}}'
expect_error "an invalid user policy" 422 invalid_policy
expect_json "with its pointer" '.error.details[0].path' /disableUpdate/locked
# The org policy's own limits hold for a user's policy too.
python3 -c "import json; v=0
for _ in range(32): v=[v]
print(json.dumps({'configurationFileVersion': 2, 'futureSetting': v}))" >"$T/deep.json"
api PUT /v1/policy/users/alice "${J[@]}" --data-binary "@$T/deep.json"
expect_error "a user policy nested deeper than the loader takes is refused" 422 invalid_policy
expect_json "... saying why" '.error.details[0].message' "nesting deeper than 32 levels"
cat >"$T/alice.json" <<'JSON'
{"configurationFileVersion": 2,
 "disableUpdate": {"locked": true, "value": false},
 "analyticsEnabled": {"locked": false, "value": true},
 "containerPolicy": {"locked": true, "deniedFlags": []}}
JSON
api PUT /v1/policy/users/alice "${J[@]}" --data-binary "@$T/alice.json"
expect_status "set alice's policy" 200
expect_json "first user version" .version 1
api GET /v1/policy/users/alice
expect_json "read it back" .document.disableUpdate.locked true
api GET /v1/policy/users/bob
expect_error "a user without a policy" 404 not_found

# --- precedence, with the winning layer in source
api GET '/v1/settings?user=alice'
expect_status "settings for alice" 200
expect_json "user-policy lock beats an unlocked org value" .disableUpdate.value false
expect_json "... and says so" .disableUpdate.source user-policy
expect_json "org lock beats an unlocked user-policy value" .analyticsEnabled.value false
expect_json "... and says so" .analyticsEnabled.source org
expect_json "the user is named" .user alice
expect_json "the user policy version is named" .userPolicyVersion 1
ETAG_A=$(header ETag)
api GET '/v1/settings?user=bob'
expect_json "bob gets the org's unlocked value" .disableUpdate.value true
expect_json "bob's source is org" .disableUpdate.source org
ETAG_B=$(header ETag)
check "per-user ETags differ" test -n "$ETAG_A" -a "$ETAG_A" != "$ETAG_B"
api GET '/v1/settings?user=alice' -H "If-None-Match: $ETAG_A"
expect_status "per-user If-None-Match" 304
api GET /v1/settings
expect_json "no ?user=: the org view" .disableUpdate.value true
check "the org view has no user" test "$(jqb 'has("user")')" = false

# --- preferences: unlocked keys stored, any locked key refuses the whole request
api PUT /v1/users/alice/settings "${J[@]}" -d '{"kubernetes": {"enabled": false}, "allowBetaFeatures": {"value": true}}'
expect_status "unlocked preferences are stored" 200
api GET /v1/users/alice/settings
expect_json "read back" .preferences.kubernetes.enabled false
api GET '/v1/settings?user=alice'
expect_json "a preference applies to an unlocked key" .kubernetes.enabled false
expect_json "with source user" .kubernetes.source user
expect_json "another preference" .allowBetaFeatures.value true
check "preferences change the per-user ETag" test "$(header ETag)" != "$ETAG_A"
api PUT /v1/users/alice/settings "${J[@]}" \
	-d '{"kubernetes": {"enabled": true}, "analyticsEnabled": {"value": true}, "disableUpdate": {"value": true}, "proxy": {"mode": "system"}}'
expect_error "a locked key refuses the request" 409 locked_setting
expect_json "every locked key is listed" '[.error.details[].path] | join(",")' \
	/analyticsEnabled,/disableUpdate,/proxy/mode
api GET /v1/users/alice/settings
expect_json "nothing was stored" .preferences.kubernetes.enabled false
check "the attempt is audited" \
	test "$(sqlite3 "$DB" "SELECT subject||'|'||decision||'|'||json_extract(data,'\$.lockedKeys[0]') FROM events WHERE action='settings.locked_override'")" = "alice|deny|/analyticsEnabled"
api PUT /v1/users/bob/settings "${J[@]}" -d '{"disableUpdate": {"value": false}}'
expect_status "the same key is free for a user whose policy does not lock it" 200
api GET '/v1/settings?user=bob'
expect_json "bob's preference applies" .disableUpdate.value false
expect_json "bob's source" .disableUpdate.source user
api PUT /v1/users/bob/settings "${J[@]}" -d '{"configurationFileVersion": 2, "nope": {"value": 1}, "kubernetes": {"enabled": "yes"}}'
expect_error "bad preferences" 400 invalid_request
expect_json "every problem listed" '[.error.details[].path] | sort | join(",")' \
	/configurationFileVersion,/kubernetes/enabled,/nope
api PUT /v1/users/bob/settings "${J[@]}" -d '[]'
expect_error "preferences must be an object" 400 invalid_request

# --- decisions use the user's policy
create() { # USER BODY
	api POST /v1/decisions "${J[@]}" -d "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/create\",\"user\":\"$1\",\"body\":$2}"
}
PRIV='{"Image":"alpine","HostConfig":{"Privileged":true}}'
HOSTNET='{"Image":"alpine","HostConfig":{"NetworkMode":"host"}}'
create dave "$PRIV"
expect_json "org policy denies --privileged" .allow false
create alice "$PRIV"
expect_json "alice's policy (no denied flags) allows it" .allow true
create carol "$HOSTNET"
expect_json "carol without a policy: host network allowed" .allow true
api PUT /v1/policy/users/carol "${J[@]}" \
	-d '{"configurationFileVersion": 2, "containerPolicy": {"locked": true, "deniedFlags": ["--privileged", "--network=host"]}}'
expect_status "set carol's policy" 200
api GET /v1/policy/users
expect_json "every user with a policy, sorted by name" '[.users[].user] | join(",")' alice,carol
create carol "$HOSTNET"
expect_json "carol's own policy denies host network" .allow false
expect_json "by rule host-network" '.violations[0].rule' host-network
create dave "$HOSTNET"
expect_json "others are not affected" .allow true
api PUT /v1/policy "${J[@]}" --data-binary @<(jq '.analyticsEnabled.value = true' "$VALID/layered.json")
expect_status "an org change" 200
create carol "$HOSTNET"
expect_json "carol's policy survives an org change" .allow false

# --- delete: versioned (a null document), audited
api DELETE /v1/policy/users/carol
expect_status "delete carol's policy" 204
create carol "$HOSTNET"
expect_json "after the delete carol follows the org policy" .allow true
api DELETE /v1/policy/users/carol
expect_error "delete twice" 404 not_found
api GET /v1/policy/users
expect_json "the list of user policies leaves out a deleted one" '[.users[].user] | join(",")' alice
expect_json "... and gives each its version" '.users[0].version' 1
check "a delete is recorded as a null document" \
	test "$(sqlite3 "$DB" "SELECT version||'|'||(document IS NULL) FROM user_policies WHERE user='carol' ORDER BY version DESC LIMIT 1")" = "2|1"
check "user policy changes are audited" \
	test "$(sqlite3 "$DB" "SELECT group_concat(action) FROM (SELECT action FROM events WHERE action LIKE 'policy.user.%' ORDER BY id)")" = "policy.user.updated,policy.user.updated,policy.user.deleted"
api PUT /v1/policy/users/alice "${J[@]}" --data-binary "@$T/alice.json"
expect_json "alice's second version" .version 2

# --- persistence across a restart; a pending user long-poll is answered at shutdown
api GET '/v1/settings?user=alice'
AETAG=$(header ETag)
curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' -H "If-None-Match: $AETAG" \
	'http://lockset/v1/settings?user=alice&wait=30' >"$T/lp4.status" &
LP4=$!
check "the user long-poll waits" wait_until 20 long_polls_are user 1
t0=$SECONDS
lockset_stop
check "SIGTERM with a pending user long-poll exits cleanly" test "$LAST_EXIT" = 0
check "and promptly" test $((SECONDS - t0)) -le 5
wait "$LP4"
check "the pending long-poll was answered 304" test "$(cat "$T/lp4.status")" = 304
lockset_start || exit 1
api GET '/v1/settings?user=alice'
expect_json "alice's policy survives a restart" .disableUpdate.source user-policy
expect_json "her preferences too" .kubernetes.source user
create alice "$PRIV"
expect_json "and decisions still use it" .allow true
api GET '/v1/settings?user=%01bad'
expect_error "a control character in ?user" 400 invalid_parameter

# --- long-poll on one user's settings
api GET '/v1/settings?user=alice'
AETAG=$(header ETag)
t0=$(date +%s%N)
api GET '/v1/settings?user=alice&wait=1' -H "If-None-Match: $AETAG"
t1=$(date +%s%N)
expect_status "a user long-poll without a change ends in 304" 304
check "it waited for its deadline instead of answering at once" test $(( (t1 - t0) / 1000000 )) -ge 900
# Another user's change wakes every waiter; alice's must go back to sleep,
# and her own change then answers it: a 200 with the new settings proves that
# it slept through dave's.
curl -s --unix-socket "$SOCK" -o "$T/lp2.body" -D "$T/lp2.headers" -w '%{http_code}' \
	-H "If-None-Match: $AETAG" 'http://lockset/v1/settings?user=alice&wait=60' >"$T/lp2.status" &
LP2=$!
EXTRA_PIDS="$LP2"
check "alice's long-poll waits" wait_until 20 long_polls_are user 1
api PUT /v1/users/dave/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_status "dave's preferences" 200
api PUT /v1/users/alice/settings "${J[@]}" -d '{"kubernetes": {"enabled": true}}'
expect_status "alice changes a preference" 200
check "alice's long-poll returns on her change" wait_until 20 bash -c "! kill -0 $LP2 2>/dev/null"
wait "$LP2" 2>/dev/null
check "alice's long-poll slept through dave's change: 200" test "$(cat "$T/lp2.status")" = 200
check "with the new value" test "$(jq -r .kubernetes.enabled "$T/lp2.body")" = true
check "and a new ETag" bash -c "! grep -qiF 'etag: $AETAG' '$T/lp2.headers'"

# A long-poll on the org settings sleeps through per-user changes too: it
# ends at its deadline, in 304, although erin's change came while it waited.
api GET /v1/settings
OETAG=$(header ETag)
t0=$(date +%s%N)
curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code} %{time_total}' -H "If-None-Match: $OETAG" \
	'http://lockset/v1/settings?wait=5' >"$T/lp3.out" &
LP3=$!
check "the org long-poll waits" wait_until 20 long_polls_are org 1
api PUT /v1/users/erin/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
t_put=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$LP3"
read -r LP3_STATUS LP3_SECS <"$T/lp3.out"
LP3_MS=$(awk -v s="$LP3_SECS" 'BEGIN { printf "%d", s * 1000 }')
check "erin's change came while it waited (${t_put} ms of ${LP3_MS} ms)" test "$t_put" -lt "$LP3_MS"
check "an org long-poll sleeps through a user's change (${LP3_MS} ms)" test "$LP3_MS" -ge 4900
check "and ends in 304 at its deadline" test "$LP3_STATUS" = 304

# --- per-user history, newest first, deletions included
api GET /v1/policy/users/carol/versions
expect_status "carol's policy history" 200
expect_json "two versions, newest first" '[.versions[].version] | join(",")' 2,1
expect_json "the newest is the deletion" '.versions[0].deleted' true
expect_json "a deletion has no document" '.versions[0].document' null
expect_json "the first carries its document" '.versions[1].document.configurationFileVersion' 2
api GET '/v1/policy/users/carol/versions?limit=1'
expect_json "limit applies" '.versions | length' 1
api GET /v1/policy/users
expect_json "the list follows the change" '.users[0].version' 2

api GET /v1/policy/users/nobody-yet/versions
expect_json "a user never given a policy has an empty history" '.versions | length' 0
api GET '/v1/policy/users/carol/versions?limit=0'
expect_error "bad limit" 400 invalid_parameter
finish
