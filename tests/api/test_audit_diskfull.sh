#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A full disk under the audit log: with the state dir on a small tmpfs filled
# to the last byte, events are refused with 503 audit_unavailable, a decision
# that must be recorded is denied even in audit mode (fail closed, on both the
# REST API and the authz plugin socket), health reports degraded with the
# reason, and reads keep working. Once space is freed the next write succeeds,
# health is ok again and the chain verifies. Needs root (mount); else skips.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: mounting a tmpfs needs root"; exit 77; }
mkdir -p "$STATE"
if ! mount -t tmpfs -o size=4m,mode=0700 lockset-test "$STATE" 2>"$T/mount.err"; then
	echo "SKIP: cannot mount a tmpfs: $(cat "$T/mount.err")"
	exit 77
fi
# Unmount before lib.sh's cleanup removes $T (the daemon is stopped first).
diskfull_cleanup() {
	if [ -n "$DAEMON_PID" ]; then kill -KILL "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; fi
	umount "$STATE" 2>/dev/null || umount -l "$STATE" 2>/dev/null
	cleanup
}
trap diskfull_cleanup EXIT

# The policy in audit mode: violations are allowed, but each must be recorded.
jq '.containerPolicy.mode = "audit"' "$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json" >"$T/audit-mode.json"
put_policy "$T/audit-mode.json"
lockset_start || exit 1
JSON=(-H 'Content-Type: application/json')
PRIV='{"method":"POST","uri":"/v1.47/containers/create","user":"alice","body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
ENVELOPE=$(jq -cn --arg b "$(printf '{"Image":"alpine","HostConfig":{"Privileged":true}}' | base64 -w0)" \
	'{RequestMethod:"POST",RequestUri:"/v1.47/containers/create",RequestBody:$b,RequestHeaders:{"Content-Type":"application/json"}}')
authz() {
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(curl -s --unix-socket "$AUTHZ_SOCK" -X POST -o "$BODY" -D "$HEADERS" \
		-w '%{http_code}' "$@" "http://plugin/AuthZPlugin.AuthZReq")
}

# Before: audit mode allows the privileged create and records it.
api POST /v1/events "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"before"}'
expect_status "an event is recorded while there is space" 201
api POST /v1/decisions "${JSON[@]}" -d "$PRIV"
expect_json "audit mode allows a privileged create while it can be recorded" '"\(.allow) \(.mode)"' "true audit"
api GET /v1/health
expect_json "health is ok before the disk fills" .status ok
api PUT /v1/users/alice/settings "${JSON[@]}" -d '{"allowBetaFeatures": {"value": true}}'
expect_status "a preference is stored while there is space" 200

# Fill the filesystem to the last block (bounded: the tmpfs is 4 MiB).
dd if=/dev/zero of="$STATE/fill" bs=64k count=200 2>/dev/null
dd if=/dev/zero of="$STATE/fill2" bs=4k count=200 2>/dev/null
check "the state filesystem is full" test "$(df --output=avail -B1 "$STATE" | tail -n1 | tr -d ' ')" -lt 4096

# Writes fail, with the documented status and code, and nothing is half-written.
api POST /v1/events "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"while-full"}'
expect_error "POST /v1/events on a full disk" 503 audit_unavailable
RID=$(jq -r '.error.requestId // ""' "$BODY")
check "a 5xx reply carries a request id" bash -c "[[ '$RID' =~ ^[0-9a-f]{12}$ ]]"
check "the log names that request id as an internal error" \
	grep -q "internal error 503 audit_unavailable \\[request $RID\\] POST /v1/events" "$T/daemon.log"
api POST /v1/events "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"while-full-2"}'
expect_error "POST /v1/events keeps failing while full" 503 audit_unavailable
api POST /v1/decisions "${JSON[@]}" -d "$PRIV"
expect_status "a decision is still answered" 200
expect_json "a decision that cannot be recorded is denied, even in audit mode" .allow false
expect_json "the reply says the audit record failed" .auditFailed true
check "the deny message names the audit log" bash -c "jq -r .message '$BODY' | grep -q 'audit log is unavailable'"
authz -H 'Content-Type: application/json' -d "$ENVELOPE"
expect_status "the authz plugin answers" 200
expect_json "the authz plugin denies what it cannot record" .Allow false
check "the plugin's message names the audit log" bash -c "jq -r .Msg '$BODY' | grep -q 'audit log is unavailable'"
api GET /v1/health
expect_status "health answers while the disk is full" 200
expect_json "health is degraded" .status degraded
expect_json "health names the audit failure" .checks.audit "database or disk is full"
expect_json "the policy check is unaffected" .checks.policy loaded

api PUT /v1/users/alice/settings "${JSON[@]}" -d '{"allowBetaFeatures": {"value": false}}'
expect_error "a preference write that cannot be audited is refused" 503 audit_unavailable

# Reads keep working.
api GET /v1/settings
expect_status "settings are served while the disk is full" 200
api GET "/v1/audit?subject=before"
expect_status "the audit log can be read while the disk is full" 200
expect_json "rows written before are there" '.events | length' 1
api GET "/v1/audit?subject=while-full"
expect_json "the refused event was not recorded" '.events | length' 0
api GET /v1/audit/verify
expect_json "the chain verifies while the disk is full" .ok true

# Free the space: the next write succeeds and health recovers.
rm -f "$STATE/fill" "$STATE/fill2"
api POST /v1/events "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"after"}'
expect_status "the first write after freeing space succeeds" 201
api GET /v1/health
expect_json "health is ok again" .status ok
expect_json "the audit check is ok again" .checks.audit ok
api POST /v1/decisions "${JSON[@]}" -d "$PRIV"
expect_json "audit mode allows again once it can record" .allow true
api GET /v1/audit/verify
expect_json "the chain verifies after recovery" .ok true
api GET "/v1/audit?subject=after"
expect_json "the event after recovery is stored" '.events | length' 1
api GET /v1/users/alice/settings
expect_json "the refused preference changed nothing" .preferences.allowBetaFeatures.value true

# The state survives a restart on the same filesystem.
lockset_stop
check "the daemon stops cleanly after the episode" test "${LAST_EXIT:-1}" = 0
lockset_start || exit 1
api GET /v1/audit/verify
expect_json "the chain verifies after a restart" .ok true

finish
