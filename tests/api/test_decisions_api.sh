#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# POST /v1/decisions and the authorization-plugin protocol on its own socket,
# against the real daemon: verdicts, violations, the deny message, Err on a
# malformed envelope, audit rows for denies, and counters in /metrics.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

EX="$LOCKSET_SRCDIR/tests/e2e/requests"
# The example's $HOME share and protected path, for a home these requests use.
# ECI on but not locked: locked on, it needs an engine that runs containers in
# user namespaces, and here curl plays dockerd with no engine behind it
# (tests/e2e/test_docker_userns.sh has a real one).
jq '.filesharingAllowedDirectories[0].path = "/home/alice" |
	.containerPolicy.protectedHostPaths[0] = "/home/alice/.ssh" |
	.enhancedContainerIsolation.locked = false' \
	"$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json" >"$T/policy.json"
put_policy "$T/policy.json"
lockset_start || exit 1

authz() { # PATH [curl args]
	local path=$1; shift
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(curl -s --unix-socket "$AUTHZ_SOCK" -X POST -o "$BODY" -D "$HEADERS" \
		-w '%{http_code}' "$@" "http://plugin$path")
}

# --- the plugin handshake
authz /Plugin.Activate
expect_status "Plugin.Activate" 200
expect_json "implements authz" '.Implements | join(",")' authz
check "plugin content type" bash -c "grep -qi '^content-type: application/vnd.docker.plugins.v1' '$HEADERS'"

# --- AuthZReq with the worked envelope (privileged + pid=host + CAP_SYS_ADMIN)
authz /AuthZPlugin.AuthZReq -H 'Content-Type: application/json' \
	--data-binary "@$EX/04-authzreq-envelope-for-02.json"
expect_status "AuthZReq answers" 200
expect_json "privileged request is denied" .Allow false
expect_json "no Err on a well-formed envelope" .Err ""
MSG=$(jqb .Msg)
check "deny message starts with the policy version" bash -c \
	"printf '%s\n' \"\$1\" | head -n1 | grep -qx 'lockset: denied by policy v1:'" _ "$MSG"
check "deny message names --privileged on a line of its own" bash -c \
	"printf '%s\n' \"\$1\" | grep -qx '  --privileged: privileged mode is not allowed \[privileged\]'" _ "$MSG"
check "deny message names --pid=host" bash -c \
	"printf '%s\n' \"\$1\" | grep -q '^  --pid=host: .*\[host-pid\]\$'" _ "$MSG"
check "deny message names the capability as typed" bash -c \
	"printf '%s\n' \"\$1\" | grep -q '^  --cap-add CAP_SYS_ADMIN: adding capability SYS_ADMIN is not allowed \[cap-add\]\$'" _ "$MSG"
check "deny message ends with the decision id" bash -c \
	"printf '%s\n' \"\$1\" | tail -n1 | grep -Eq '; decision [0-9a-f]{32}\$'" _ "$MSG"
check "deny message has a line per violation plus two" test "$(printf '%s\n' "$MSG" | wc -l)" = 5

# --- a benign create through the plugin
B64=$(base64 -w0 "$EX/01-benign-create.json")
authz /AuthZPlugin.AuthZReq -d "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.47/containers/create?name=docs\",\"RequestBody\":\"$B64\",\"RequestHeaders\":{\"Content-Type\":\"application/json\"}}"
expect_json "benign create is allowed" .Allow true
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"GET","RequestUri":"/v1.47/containers/json"}'
expect_json "an uninspected route is allowed" .Allow true

# --- missing body on an inspected route: denied
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"POST","RequestUri":"/v1.47/containers/create"}'
expect_json "create without a body is denied" .Allow false
check "missing-body is named" bash -c "jq -r .Msg '$BODY' | grep -q missing-body"

# --- malformed envelopes get Err (dockerd then fails the call: closed)
authz /AuthZPlugin.AuthZReq -d '{"RequestUri":"/v1.47/containers/create"}'
expect_status "envelope without RequestMethod" 500
check "Err names the missing field" bash -c "jq -r .Err '$BODY' | grep -q RequestMethod"
expect_json "malformed envelope is not allowed" .Allow false
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"POST","RequestUri":"/v1.47/containers/create","RequestBody":"***"}'
expect_status "RequestBody that is not base64" 500
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"POST","RequestUri":"/v1.47/containers/create","RequestBody":"e30=e30="}'
expect_status "padding inside RequestBody" 500
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"POST","RequestUri":"/v1.47/containers/create","RequestBody":"e30"}'
expect_status "RequestBody of a length that is not a multiple of 4" 500
for b in e30= eyJhIjoxfQ== eyJhYiI6MX0=; do # {}, {"a":1}, {"ab":1}: all padding forms
	authz /AuthZPlugin.AuthZReq -d "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.47/containers/create\",\"RequestBody\":\"$b\"}"
	expect_json "base64 body $b decodes to a benign create" .Allow true
done
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"POST","RequestUri":"/v1.47/containers/create\u0000/../../build","RequestBody":"e30="}'
expect_status "a RequestUri holding U+0000" 500
check "Err says why" bash -c "jq -r .Err '$BODY' | grep -q 'U+0000'"
expect_json "... and it is not allowed" .Allow false
authz /AuthZPlugin.AuthZReq -d '{"RequestMethod":"POST","RequestUri":"/v1.47/containers/create","RequestBody":"eyJJbWFnZSI6ImFscGluZSIsIkhvc3RDb25maWciOnsiQmluZHMiOlsiL3RtcFx1MDAwMC8uLi9ldGM6L3giXX19"}'
expect_json "a body whose bind source holds \\u0000 is denied" .Allow false
check "... as nul-byte" bash -c "jq -r .Msg '$BODY' | grep -q nul-byte"
authz /AuthZPlugin.AuthZReq -d 'not json'
expect_error "envelope that is not JSON" 400 invalid_json
authz /AuthZPlugin.AuthZRes -d '{"RequestMethod":"GET","RequestUri":"/_ping","ResponseStatusCode":200}'
expect_json "AuthZRes allows" .Allow true

# --- the REST surface is not on the plugin socket, and vice versa
authz /v1/decisions -d '{}'
expect_error "REST routes are not served on the plugin socket" 404 not_found
api POST /AuthZPlugin.AuthZReq -d '{}'
expect_error "plugin routes are not served on the API socket" 404 not_found

# --- POST /v1/decisions
api POST /v1/decisions -H 'Content-Type: application/json' \
	-d "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/create\",\"user\":\"alice\",\"body\":$(cat "$EX/03-dockersock-and-host-path-outside-shares.json")}"
expect_status "decision answered" 200
expect_json "socket + outside-share request denied" .allow false
expect_json "decision has an id" '.id | test("^[0-9a-f]{32}$")' true
expect_json "mode reported" .mode enforce
expect_json "three violations" '.violations | length' 3
expect_json "socket bind field" '.violations[] | select(.rule=="docker-socket") | .field' 'HostConfig.Binds[0]'
expect_json "outside-share fields" '[.violations[] | select(.rule=="bind-outside-shares") | .field] | sort | join(",")' 'HostConfig.Binds[1],HostConfig.Mounts[0].Source'
api POST /v1/decisions -d "{\"method\":\"POST\",\"uri\":\"/containers/create\",\"body\":$(cat "$EX/01-benign-create.json")}"
expect_json "benign request allowed natively" .allow true
expect_json "no violations" '.violations | length' 0
api POST /v1/decisions -d '{"method":"POST","uri":"/v1.47/containers/create","body":"{\"HostConfig\":{\"Privileged\":true,\"privileged\":false,\"Privileged\":true}}"}'
expect_json "raw body string read as dockerd reads it" .allow false
api POST /v1/decisions -d '{"method":"POST"}'
expect_error "uri missing" 400 invalid_request
expect_json "error path names uri" '.error.details[0].path' /uri
api POST /v1/decisions -d '{"method":"POST","uri":"/containers/create","extra":1}'
expect_json "unknown field named" '.error.details[0].path' /extra
api POST /v1/decisions -d '[1,2]'
expect_error "not an object" 400 invalid_request

# --- denies are audited (component authz and api); allowed ones are not
DB="$STATE/lockset.db"
check "authz denies are in the audit log" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE component='authz' AND decision='deny'")" = 3
check "api denies are in the audit log" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE component='api' AND decision='deny'")" = 2
check "the caller is the actor, not the user the request names" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE actor='alice'")" = 0
check "alice's decision row: actor is the Unix caller, data.user is alice" \
	test "$(sqlite3 "$DB" "SELECT actor || ' ' || json_extract(data, '\$.user') FROM events WHERE json_extract(data, '\$.user') = 'alice'")" = "uid:$(id -u) alice"
check "plugin rows name dockerd as the caller" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE component='authz' AND actor='dockerd'")" = 3
api GET "/v1/audit?user=alice"
expect_status "GET /v1/audit?user= filters by the request's user" 200
expect_json "exactly alice's decision" '[.events[] | .data.user] | join(",")' alice
expect_json "its row says who asked" '.events[0].actor' "uid:$(id -u)"
api GET "/v1/audit?user=alice&actor=uid:$(id -u)&rule=docker-socket"
expect_json "user combines with the other filters" '.events | length' 1
api GET "/v1/audit?user=nobody-at-all"
expect_json "a user with no decisions has none" '.events | length' 0

# --- audit mode: allowed, violations recorded
jq '.containerPolicy.mode = "audit" | .enhancedContainerIsolation.value = false' \
	"$T/policy.json" >"$T/audit.json"
api GET /v1/health
V0=$(jqb .policyVersion)
put_policy "$T/audit.json"
kill -HUP "$DAEMON_PID"
check "the audit-mode policy is served" wait_until 20 policy_version_above "$V0"
authz /AuthZPlugin.AuthZReq --data-binary "@$EX/04-authzreq-envelope-for-02.json"
expect_json "audit mode allows" .Allow true
check "audit mode records the violations" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE decision='audit' AND action='container.create.audited'")" = 1

# --- metrics
api GET /metrics
expect_status "metrics" 200
check "metrics count denies" grep -q '^lockset_decisions_total{outcome="denied"} 5$' "$BODY"
check "metrics count per rule" grep -q '^lockset_violations_total{rule="privileged"} ' "$BODY"
ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM events")
check "metrics count the audit rows committed" \
	grep -q "^lockset_audit_events_total $ROWS\$" "$BODY"
COMMITS=$(awk '$1 == "lockset_audit_commits_total" { print $2 }' "$BODY")
check "every row came with a group commit, at most one commit a row" \
	test "${COMMITS:-0}" -ge 1 -a "${COMMITS:-0}" -le "$ROWS"
check "metrics give the time spent committing" \
	grep -Eq '^lockset_audit_commit_duration_seconds_sum [0-9]' "$BODY"
tcp GET /metrics
expect_error "metrics need a role" 401 unauthorized

finish
