#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# GET /v1/decisions/{id}: a recorded decision read back from its audit row,
# exactly as POST /v1/decisions answered it; 404 for an id never recorded
# (allowed requests are not) or only named by a reported event, 400 for a
# malformed one. Decision ids are
# unguessable (consecutive ids share nothing). A Unix peer in --home-group may
# read a decision by id without any role, and nothing else; a peer outside
# the group may not (needs root and setpriv; else that part is skipped).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

EX="$LOCKSET_SRCDIR/tests/e2e/requests"
J=(-H 'Content-Type: application/json')
GROUP=$(getent group 100 | cut -d: -f1)
RT=$("$LOCKSETD" --state-dir "$STATE" --create-token reader --role runtime) || exit 1
lockset_start ${GROUP:+--home-group "$GROUP"} || exit 1

# --- a deny, read back
api POST /v1/decisions "${J[@]}" \
	-d "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/create\",\"user\":\"alice\",\"body\":$(cat "$EX/03-dockersock-and-host-path-outside-shares.json")}"
expect_json "the request is denied" .allow false
cp "$BODY" "$T/posted"
ID=$(jqb .id)
api GET "/v1/decisions/$ID"
expect_status "the decision is read back by id" 200
check "id, allow, mode, route, policyVersion, violations and message as POST answered them" \
	test "$(jq -cS '{id, allow, mode, route, policyVersion, violations, message}' "$BODY")" = \
	"$(jq -cS '{id, allow, mode, route, policyVersion, violations, message}' "$T/posted")"
expect_json "the route is named" .route container.create
expect_json "the message is the one the client saw" '.message | startswith("lockset: denied by policy v1")' true

# --- a deny too large to record whole is recorded cut, never left out: 700
# binds refused (a row of over 256 KiB whole) and a URI of 300 KB
BINDS=$(python3 -c 'import json; print(json.dumps(["/etc/x%03d:/m%03d" % (i, i) for i in range(700)]))')
ROWS_BEFORE=$(sqlite3 "$STATE/lockset.db" 'SELECT count(*) FROM events')
api POST /v1/decisions "${J[@]}" \
	-d "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/create\",\"body\":{\"Image\":\"alpine\",\"HostConfig\":{\"Privileged\":true,\"Binds\":$BINDS}}}"
expect_json "a create refused for 700 binds is denied" .allow false
BIG_ID=$(jqb .id)
check "... with no word of the audit log failing" bash -c '! grep -q "audit log is unavailable" "$1"' _ "$BODY"
api GET "/v1/decisions/$BIG_ID"
expect_status "... and its row is there, read back by id" 200
expect_json "... keeping the first violations" '.violations | length' 16
check "... and saying what was cut" test "$(sqlite3 "$STATE/lockset.db" \
	"SELECT json_extract(data, '\$.cut.violations') FROM events WHERE json_extract(data, '\$.decisionId') = '$BIG_ID'")" -ge 700
# (through the plugin: dockerd takes request lines of up to 1 MiB)
python3 - "$T/long.json" <<'PY'
import base64, json, sys
body = base64.b64encode(b'{"Image":"alpine","HostConfig":{"Privileged":true}}').decode()
json.dump({"RequestMethod": "POST", "RequestUri": "/v1.47/containers/create?x=" + "a" * 300000,
           "RequestBody": body, "RequestHeaders": {"Content-Type": "application/json"}},
          open(sys.argv[1], "w"))
PY
curl -s --unix-socket "$AUTHZ_SOCK" -o "$T/long.out" -d @"$T/long.json" http://plugin/AuthZPlugin.AuthZReq
check "a deny whose URI is 300 KB is denied" test "$(jq -r .Allow "$T/long.out")" = false
LONG_ID=$(jq -r .Msg "$T/long.out" | grep -o 'decision [0-9a-f]\{32\}' | cut -d' ' -f2)
api GET "/v1/decisions/$LONG_ID"
expect_status "... and recorded ($LONG_ID)" 200
check "... its URI's size kept" test "$(sqlite3 "$STATE/lockset.db" \
	"SELECT json_extract(data, '\$.cut.uriBytes') FROM events WHERE json_extract(data, '\$.decisionId') = '$LONG_ID'")" -gt 300000
check "two more rows than before" test "$(sqlite3 "$STATE/lockset.db" 'SELECT count(*) FROM events')" -ge $((ROWS_BEFORE + 2))

# --- a reported event is not lockset's word: it cannot stand in for a decision
tcp POST /v1/events -H "Authorization: Bearer $RT" "${J[@]}" \
	-d "{\"action\":\"runtime.note.x\",\"decision\":\"allow\",\"data\":{\"decisionId\":\"$ID\",\"mode\":\"audit\",\"violations\":[],\"message\":\"approved\"}}"
expect_status "a runtime caller reports an event naming the decision's id" 201
api GET "/v1/decisions/$ID"
expect_json "the decision read back is still the deny lockset recorded" .allow false
expect_json "... with lockset's own message" '.message | startswith("lockset: denied by policy v1")' true
tcp POST /v1/events -H "Authorization: Bearer $RT" "${J[@]}" \
	-d '{"action":"runtime.note.x","decision":"deny","data":{"decisionId":"00000000000000000000000000000abc","message":"planted"}}'
expect_status "a runtime caller reports an event with an id lockset never issued" 201
api GET /v1/decisions/00000000000000000000000000000abc
expect_error "... which reads back as no decision" 404 not_found

# --- audit mode: allowed, but violations were recorded, so it can be read
api POST /v1/decisions "${J[@]}" -d '{"method":"POST","uri":"/containers/create","body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
PRIV_ID=$(jqb .id)

# --- ids nobody has, and malformed ones
api POST /v1/decisions "${J[@]}" -d '{"method":"POST","uri":"/containers/create","body":{"Image":"alpine"}}'
expect_json "a benign request is allowed" .allow true
api GET "/v1/decisions/$(jqb .id)"
expect_error "an allowed decision left no row to read" 404 not_found
api GET /v1/decisions/0123456789abcdef0123456789abcdef
expect_error "an id never issued" 404 not_found
api GET /v1/decisions/not-an-id
expect_error "a malformed id" 400 invalid_parameter
api GET "/v1/decisions/${ID^^}"
expect_error "ids are lowercase hex" 400 invalid_parameter

# --- ids are unguessable: a keyed PRF of a counter, not a prefix and a count
for i in $(seq 20); do
	api POST /v1/decisions "${J[@]}" -d '{"method":"GET","uri":"/containers/json"}'
	jqb .id
done >"$T/ids"
check "20 ids, all distinct, 32 hex digits" test "$(grep -Ec '^[0-9a-f]{32}$' "$T/ids"),$(sort -u "$T/ids" | wc -l)" = 20,20
check "consecutive ids share no prefix of 4 hex digits" test "$(awk 'NR > 1 && substr($0, 1, 4) == substr(p, 1, 4) { n++ } { p = $0 } END { print n + 0 }' "$T/ids")" -le 1
check "consecutive ids are not consecutive numbers" test "$(awk 'NR > 1 && substr($0, 1, 28) == substr(p, 1, 28) { n++ } { p = $0 } END { print n + 0 }' "$T/ids")" = 0

# --- roles: runtime+ for everyone; the docker group by Unix peer credentials
tcp GET "/v1/decisions/$ID" -H "Authorization: Bearer $RT"
expect_status "a runtime token reads a decision by id" 200
tcp GET "/v1/decisions/$ID"
expect_error "no credentials over TCP" 401 unauthorized

as() { # UID GID METHOD PATH: over the Unix socket as another uid and primary gid
	local uid=$1 gid=$2 method=$3 path=$4
	BODY="$T/body"
	STATUS=$({ setpriv --reuid="$uid" --regid="$gid" --clear-groups curl -s --unix-socket "$SOCK" \
		-X "$method" -o - -w '%{stderr}%{http_code}' "http://lockset$path" >"$BODY"; } 2>&1)
}
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1 || [ -z "$GROUP" ]; then
	echo "# skipping the --home-group checks: needs root, setpriv and a group with gid 100"
else
	chmod 711 "$T"
	chmod 666 "$SOCK" # any uid may connect; SO_PEERCRED says who it is
	as 65534 100 GET "/v1/decisions/$ID"
	expect_status "a Unix peer in --home-group ($GROUP) reads a decision by id without a role" 200
	expect_json "... the whole decision" .id "$ID"
	as 65534 100 GET "/v1/decisions/$PRIV_ID"
	expect_json "... any decision whose id it holds" .violations[0].rule privileged
	as 65534 100 GET /v1/settings
	expect_error "the group grants that route only" 401 unauthorized
	as 65534 100 POST /v1/decisions
	expect_error "... not even deciding" 401 unauthorized
	as 65534 65534 GET "/v1/decisions/$ID"
	expect_error "a Unix peer outside the group has no role" 401 unauthorized
fi
finish
