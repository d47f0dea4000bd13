#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Signed audit checkpoints leave the host: a host in fleet mode records one
# every --audit-checkpoint-interval as an audit.checkpoint row, which its
# syslog forwarder sends off, and its status report carries to the central,
# which records it in its own log (host.audit_checkpoint). Then root on the
# host rewrites a row and recomputes the chain after it (with sqlite3 and
# SHA-256, as anyone can): GET /v1/audit/verify still says ok, but POST
# /v1/audit/verify with the checkpoint the central kept says the log was
# rewritten. GET /v1/audit/checkpoint hands out a fresh one.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl python3 sqlite3

ed25519_pair "$T/sign.pem" "$T/pub.pem"

# --- the central
"$LOCKSETD" --state-dir "$STATE" --create-token fleet --role runtime >"$T/token"
chmod 600 "$T/token"
# One caller's reports are bounded as its events are (a burst of 20 here).
lockset_start --bundle-signing-key "$T/sign.pem" --events-rate 1/s --events-burst 20 || exit 1

# --- a syslog receiver on a unix datagram socket
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
' "$T/syslog.sock" "$T/syslog.out" &
EXTRA_PIDS="$!"
wait_until 10 test -S "$T/syslog.sock"

# --- the host
H="$T/host"
HSOCK="$H/api.sock"
mkdir -p "$H/etc"
chmod 755 "$H" "$H/etc"
cp "$LOCKSET_SRCDIR/tests/cases/policy/valid/version-only.json" "$H/etc/admin-settings.json"
chmod 644 "$H/etc/admin-settings.json"
HOST_PID=
host_start() {
	"$LOCKSETD" --settings "$H/etc/admin-settings.json" --state-dir "$H/state" \
		--listen "unix:$HSOCK" --authz-socket '' --foreground --host-name dev-1 \
		--upstream "http://127.0.0.1:$PORT" --bundle-key "$T/pub.pem" \
		--upstream-token-file "$T/token" --upstream-wait 5 --upstream-retry-max 1 \
		--upstream-report-interval 1 --audit-checkpoint-interval 1 \
		--syslog "unix:$T/syslog.sock" >>"$H/daemon.log" 2>&1 &
	HOST_PID=$!
	EXTRA_PIDS="$HOST_PID $EXTRA_PIDS"
	wait_until 10 curl -s --unix-socket "$HSOCK" -o /dev/null http://lockset/v1/health
}
h() { # METHOD PATH [curl args]: a request to the host
	local method=$1 path=$2; shift 2
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(curl -s --unix-socket "$HSOCK" -X "$method" -o "$BODY" -D "$HEADERS" \
		-w '%{http_code}' "$@" "http://lockset$path")
}
host_start || { echo "the host did not start"; tail "$H/daemon.log"; exit 1; }
PRIV='{"method":"POST","uri":"/v1.43/containers/create","user":"alice","body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
for _ in 1 2 3; do h POST /v1/decisions -H 'Content-Type: application/json' -d "$PRIV"; done

central_cp() { # the newest checkpoint the central recorded for dev-1, or nothing
	api GET '/v1/audit?action=host.audit_checkpoint&subject=dev-1&limit=1'
	jq -c '.events[0].data.checkpoint // empty' "$BODY"
}
# A checkpoint may have been taken before the three decisions were written:
# wait for one that covers them (the host takes one a second).
has_central_cp() {
	local cp
	cp=$(central_cp)
	jq_holds_on "$cp" '.id > 3' 2>/dev/null
}
wait_until 30 has_central_cp
CP=$(central_cp)
check "the central recorded the host's checkpoint ($CP)" test -n "$CP"
# The host checkpoints every second from its first rows on, so on a busy
# machine the first one may come before the decisions: it need only cover
# row 2, which the rewrite below changes.
check "... for a row of the host's log" jq_holds_on "$CP" '.id >= 2 and .host != null and (.signature | length) == 88'
h GET '/v1/audit?action=audit.checkpoint&limit=1'
check "the host recorded it as an audit.checkpoint row" jq_holds '.events[0].data.hash | length == 64' "$BODY"
wait_until 10 grep -q 'audit.checkpoint' "$T/syslog.out"
check "the syslog forwarder sent the checkpoint row off the host" grep -q 'audit.checkpoint' "$T/syslog.out"

h POST /v1/audit/verify -H 'Content-Type: application/json' -d "{\"checkpoint\": $CP}"
expect_status "verify against the central's checkpoint" 200
expect_json "... holds" .checkpoint.ok true
expect_json "... and the chain too" .ok true
h GET /v1/audit/checkpoint
expect_status "a fresh checkpoint on demand" 200
check "... signed with the log's key" jq_holds '(.public_key | length) == 64 and (.signature | length) == 88' "$BODY"
h POST /v1/audit/verify -H 'Content-Type: application/json' -d '{"checkpoint": {"id": 1}}'
expect_error "a checkpoint without a valid signature is refused" 400 invalid_request

# --- what a reporting host is pinned to: its first reporter and checkpoint key
api POST /v1/tokens -H 'Content-Type: application/json' -d '{"name":"intruder","role":"runtime"}'
jqb .secret >"$T/intruder"
report() { # HOST TOKEN-FILE [CHECKPOINT-JSON]: a status report to the central
	jq -n --argjson cp "${3:-null}" '{locksetVersion: "0.1.0", bundleVersion: 1,
		mode: "enforce", status: "ok"} + (if $cp == null then {} else {auditCheckpoint: $cp} end)' \
		>"$T/report.json"
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(curl -s -o "$BODY" -D "$HEADERS" -w '%{http_code}' -H "Authorization: Bearer $(cat "$2")" \
		-H 'Content-Type: application/json' --data-binary "@$T/report.json" \
		"http://127.0.0.1:$PORT/v1/hosts/$1/status")
}
refusals() { api GET "/v1/audit?action=host.report.refused&subject=$1"; jqb '.events | length'; }
report dev-1 "$T/intruder"
expect_error "a report for dev-1 from another token is refused" 409 conflict
expect_json "... naming dev-1's reporter" '.error.details[0].message | test("token:fleet")' true
check "... and audited as host.report.refused" test "$(refusals dev-1)" = 1
# A checkpoint of dev-1's head, well signed, but by another key.
ed25519_pair "$T/other.pem" "$T/other.pub"
OTHER_HEX=$(openssl pkey -in "$T/other.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
printf 'lockset-audit-checkpoint-v1:dev-1:%s:%s:%s' "$(jq -r .id <<<"$CP")" \
	"$(jq -r .hash <<<"$CP")" "$(jq -r .time <<<"$CP")" >"$T/forged.msg"
SIG=$(openssl pkeyutl -sign -inkey "$T/other.pem" -rawin -in "$T/forged.msg" | base64 -w0)
FORGED=$(jq -c --arg k "$OTHER_HEX" --arg s "$SIG" '.public_key = $k | .signature = $s' <<<"$CP")
report dev-1 "$T/token" "$FORGED"
expect_error "dev-1's own token with a checkpoint signed by another key is refused" 409 conflict
expect_json "... at /auditCheckpoint/public_key" '.error.details[0].path' /auditCheckpoint/public_key
check "... and audited" test "$(refusals dev-1)" = 2
# A checkpoint behind the last one the central took: a log wiped or rewritten
# with the same key. (A new deny on the host, and its next checkpoint and
# report, a second later, take the central past $CP.)
h POST /v1/decisions -H 'Content-Type: application/json' -d "$PRIV"
newer_cp() { jq_holds_on "$(central_cp)" --argjson old "$(jq .id <<<"$CP")" '.id > $old' 2>/dev/null; }
wait_until 30 newer_cp
report dev-1 "$T/token" "$CP"
expect_error "dev-1's own older checkpoint, well signed, is refused" 409 conflict
expect_json "... as not continuing its log" '.error.message | test("does not continue its last one")' true
check "... and audited" test "$(refusals dev-1)" = 3
report lab-2 "$T/token" "$CP"
expect_error "dev-1's checkpoint in another host's report is refused" 400 invalid_request
expect_json "... at /auditCheckpoint/host" '.error.details[0].path' /auditCheckpoint/host
report lab-9 "$T/intruder"
expect_status "a first report pins lab-9 to its caller" 200
report lab-9 "$T/token"
expect_error "... so another caller's report for lab-9 is refused" 409 conflict
api DELETE /v1/hosts/lab-9
expect_status "an admin forgets lab-9" 204
api GET '/v1/audit?action=host.forgotten&subject=lab-9'
expect_json "... audited as host.forgotten" '.events | length' 1
report lab-9 "$T/token"
expect_status "... and the next report pins it afresh" 200
api GET '/v1/hosts?host=lab-9'
expect_json "... to its new reporter" '.hosts[0].reporter' token:fleet
api DELETE /v1/hosts/no-such-host
expect_error "forgetting a host that never reported" 404 not_found
# Each refused report is an audit row: a flood of them is cut off once the
# caller's burst is spent (at 1/s it cannot refill faster than it is sent).
BEFORE=$(refusals dev-1) REFUSED=0 LIMITED=
for _ in $(seq 60); do
	report dev-1 "$T/intruder"
	case $STATUS in
	409) REFUSED=$((REFUSED + 1)) ;;
	429) LIMITED=1; break ;;
	*) break ;;
	esac
done
expect_error "a flood of refused reports is cut off" 429 rate_limited
check "... with Retry-After" test -n "$(header Retry-After)"
check "... after the caller's burst ($REFUSED refused)" test "$REFUSED" -ge 10 -a -n "$LIMITED"
check "... and only the refused ones are audited" test "$(refusals dev-1)" = $((BEFORE + REFUSED))
api GET /metrics
check "... counted in lockset_host_reports_dropped_total" \
	grep -q '^lockset_host_reports_dropped_total{reason="rate_limited"} [1-9]' "$BODY"
report lab-9 "$T/token"
expect_status "another caller still reports" 200

# --- root rewrites row 2 and recomputes every hash after it, and the head
# recorded beside the database, then restarts
kill -TERM "$HOST_PID"; wait "$HOST_PID" 2>/dev/null
python3 - "$H/state/lockset.db" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def ns(b):
    return str(len(b)).encode() + b":" + b + b","
cols = "id, time, action, actor, host, component, subject, decision, rules, data, policy_version, prev_hash"
db.execute("UPDATE events SET actor = 'nobody-was-here' WHERE id = 2")
prev = None
for row in db.execute("SELECT " + cols + " FROM events WHERE id >= 2 ORDER BY id").fetchall():
    fields = [b"lockset-audit-v1", str(row[0]).encode()] + [str(v).encode() for v in row[1:10]]
    fields.append(b"" if row[10] is None else str(row[10]).encode())
    link = row[11] if prev is None else prev
    h = hashlib.sha256(link.encode() + b"".join(ns(f) for f in fields)).hexdigest()
    db.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (link, h, row[0]))
    prev, last = h, row[0]
db.commit()
import os
with open(os.path.join(os.path.dirname(sys.argv[1]), "audit-head"), "w") as f:
    f.write("%020d %s\n" % (last, prev))
PY
host_start || { echo "the host did not start again"; tail "$H/daemon.log"; exit 1; }
h GET /v1/audit/verify
expect_json "the recomputed chain verifies on its own" .ok true
h POST /v1/audit/verify -H 'Content-Type: application/json' -d "{\"checkpoint\": $CP}"
expect_json "the checkpoint kept off the host shows the rewrite" .checkpoint.ok false
expect_json "... saying so" '.checkpoint.reason | test("rewritten")' true
expect_json "... and verify is not ok" .ok false
finish
