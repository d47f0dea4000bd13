#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Who may read and write whose preferences (GET/PUT /v1/users/{user}/settings,
# and GET /v1/settings?user=, which shows them):
# a Unix peer mapped to runtime only its own user's (by getpwuid_r), 403 for
# anyone else's; a peer named by --prefs-any-user and the admin (uid 0) every
# user's; a runtime token (a service) every user's. Every write is audited as
# preferences.updated with the caller as actor. One caller (not an admin)
# adds at most --prefs-max-users-per-caller users; an admin forgets a user's
# preferences (DELETE, audited as preferences.deleted). Needs root and
# setpriv to connect as other uids; else skips.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 ||
	{ echo "SKIP: needs root and setpriv to connect as other uids"; exit 77; }
NOBODY=$(getent passwd 65534 | cut -d: -f1)
[ -n "$NOBODY" ] || { echo "SKIP: uid 65534 has no passwd entry"; exit 77; }
getent passwd 65533 >/dev/null && { echo "SKIP: uid 65533 must have no passwd entry"; exit 77; }

DB="$STATE/lockset.db"
J=(-H 'Content-Type: application/json')
RT=$("$LOCKSETD" --state-dir "$STATE" --create-token desktop --role runtime) || exit 1
chmod 711 "$T"
lockset_start --role-map uid:65534=runtime --role-map uid:65533=runtime \
	--role-map uid:65532=runtime --prefs-any-user uid:65532 --prefs-max-users-per-caller 3 ||
	exit 1
chgrp 65534 "$SOCK"

# as UID METHOD PATH [curl args]: over the Unix socket as another uid.
as() {
	local uid=$1 method=$2 path=$3; shift 3
	BODY="$T/body"; HEADERS="$T/headers"
	# The body goes to stdout (the other uid cannot write in $T), the status to stderr.
	STATUS=$({ setpriv --reuid="$uid" --regid=65534 --clear-groups curl -s --unix-socket "$SOCK" \
		-X "$method" -o - -w '%{stderr}%{http_code}' "$@" "http://lockset$path" >"$BODY"; } 2>&1)
}
prefs_rows() { sqlite3 "$DB" "SELECT count(*) FROM events WHERE action='preferences.updated'"; }

api PUT /v1/users/alice/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_status "the admin (uid 0) writes alice's preferences" 200

as 65534 PUT "/v1/users/$NOBODY/settings" "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_status "uid 65534 writes its own user's ($NOBODY) preferences" 200
as 65534 GET "/v1/users/$NOBODY/settings"
expect_status "uid 65534 reads its own preferences" 200
expect_json "... and gets them" .preferences.allowBetaFeatures.value true
as 65534 PUT /v1/users/alice/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": false}}'
expect_error "uid 65534 may not write alice's preferences" 403 forbidden
as 65534 GET /v1/users/alice/settings
expect_error "uid 65534 may not read alice's preferences" 403 forbidden
api GET /v1/users/alice/settings
expect_json "alice's preferences are unchanged" .preferences.allowBetaFeatures.value true

# The effective settings carry the preferences ("source": "user"): the same rule.
as 65534 GET '/v1/settings?user=alice'
expect_error "uid 65534 may not read alice's effective settings either" 403 forbidden
check "... which names the rule" grep -q "may only read its own user's settings" "$BODY"
as 65534 GET '/v1/settings?user=alice&wait=30'
expect_error "... nor wait for them to change" 403 forbidden
as 65534 GET "/v1/settings?user=$NOBODY"
expect_status "uid 65534 reads its own user's effective settings" 200
expect_json "... preferences included" .allowBetaFeatures.source user
as 65534 GET /v1/settings
expect_status "... and the org's" 200

as 65533 GET /v1/users/65533/settings
expect_error "a uid with no passwd entry has no user: nothing is its own" 403 forbidden
as 65532 PUT /v1/users/alice/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": false}}'
expect_status "a peer named by --prefs-any-user writes alice's preferences" 200
as 65532 GET /v1/users/alice/settings
expect_json "... and reads them" .preferences.allowBetaFeatures.value false

tcp PUT /v1/users/bob/settings -H "Authorization: Bearer $RT" "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_status "a runtime token (a service) writes any user's preferences" 200
tcp GET /v1/users/alice/settings -H "Authorization: Bearer $RT"
expect_status "... and reads them" 200
tcp GET '/v1/settings?user=alice' -H "Authorization: Bearer $RT"
expect_status "... and any user's effective settings" 200
as 65532 GET '/v1/settings?user=alice'
expect_status "so does a peer named by --prefs-any-user" 200

check "every write is audited, refused ones are not" test "$(prefs_rows)" = 4
check "the caller is the actor of each preferences.updated row" test \
	"$(sqlite3 "$DB" "SELECT group_concat(actor || '>' || subject, ' ') FROM (SELECT actor, subject FROM events WHERE action='preferences.updated' ORDER BY id)")" = \
	"uid:0>alice uid:65534>$NOBODY uid:65532>alice token:desktop>bob"
check "the row says what changed, never the values" test \
	"$(sqlite3 "$DB" "SELECT json_extract(data, '\$.diff.changed') FROM events WHERE action='preferences.updated' AND actor='uid:65532'")" = '["/allowBetaFeatures/value"]'

# One caller adds at most 3 users (bob is its first): a token cannot fill
# --prefs-max-users with made-up names and lock every real user out.
tput() { tcp PUT "/v1/users/$1/settings" -H "Authorization: Bearer $RT" "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'; }
tput made-up-1
expect_status "the token adds a second user" 200
tput made-up-2
expect_status "... and a third" 200
tput made-up-3
expect_error "... but not a fourth (--prefs-max-users-per-caller)" 409 conflict
expect_json "... saying whose limit it is" '.error.message | test("token:desktop stores the preferences of 3 users")' true
tput bob
expect_status "... while it still updates one it has" 200
api PUT /v1/users/carol/settings "${J[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_status "the admin is not held to it" 200
tcp DELETE /v1/users/made-up-1/settings -H "Authorization: Bearer $RT"
expect_error "a runtime token cannot forget a user's preferences" 403 forbidden
api DELETE /v1/users/made-up-1/settings
expect_status "the admin forgets made-up-1's" 204
check "... audited as preferences.deleted" test "$(sqlite3 "$DB" \
	"SELECT actor || '>' || subject FROM events WHERE action='preferences.deleted'")" = "uid:0>made-up-1"
api GET /v1/users/made-up-1/settings
expect_json "... which are gone" '.preferences | length' 0
api DELETE /v1/users/made-up-1/settings
expect_error "forgetting a user with none" 404 not_found
tput made-up-3
expect_status "the token may add a user again" 200
finish
