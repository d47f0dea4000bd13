#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A log truncated, or rolled back to an older copy, while lockset is stopped
# is found at the next start: <state>/audit-head holds the last committed
# row, and a log that ends before it (or holds another row there) gets an
# audit.rollback row first, and GET /v1/audit/verify reports it from then
# on. A plain restart is not taken for one.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3
J=(-H 'Content-Type: application/json')
DENY='{"method":"POST","uri":"/v1.41/containers/create","user":"alice","body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
DB="$STATE/lockset.db"
deny() { for _ in $(seq "$1"); do api POST /v1/decisions "${J[@]}" -d "$DENY"; done; }
max_id() { sqlite3 "$DB" 'SELECT max(id) FROM events'; }
rollbacks() { sqlite3 "$DB" "SELECT count(*) FROM events WHERE action = 'audit.rollback'"; }

lockset_start || exit 1
deny 3
sqlite3 "$DB" ".backup '$T/older.db'"
deny 3
HEAD=$(max_id)
check "the head is recorded beside the database" \
	grep -qx "0*$HEAD $(sqlite3 "$DB" "SELECT hash FROM events WHERE id = $HEAD")" "$STATE/audit-head"
api GET /v1/audit/verify
expect_json "the log verifies" .ok true

lockset_stop
lockset_start || exit 1
api GET /v1/audit/verify
expect_json "a plain restart is no rollback" .ok true
check "... and writes no audit.rollback row" test "$(rollbacks)" = 0

# Truncated while stopped: the last three rows go.
HEAD=$(max_id)
lockset_stop
sqlite3 -cmd '.timeout 10000' "$DB" "DELETE FROM event_rules WHERE event_id > $HEAD - 3; DELETE FROM events WHERE id > $HEAD - 3"
lockset_start || exit 1
check "the truncation is found at start" test "$(rollbacks)" = 1
ROW=$(sqlite3 "$DB" "SELECT id FROM events WHERE action = 'audit.rollback'")
check "... recorded as the new log's first row" test "$ROW" = $((HEAD - 2))
check "... with the head that was committed" test "$(sqlite3 "$DB" \
	"SELECT json_extract(data, '\$.recordedId') || ' ' || json_extract(data, '\$.foundId') FROM events WHERE id = $ROW")" = "$HEAD $((HEAD - 3))"
check "... and logged" grep -q "truncated or rolled back while lockset was stopped" "$T/daemon.log"
api GET /v1/audit/verify
expect_json "verify reports it" .ok false
expect_json "... at the audit.rollback row" .first_bad_id "$ROW"
expect_json "... saying why" .reason "rolled back"
deny 1
api GET /v1/audit/verify
expect_json "... from then on" .ok false

# An older copy restored while stopped: its last row is not the head's.
lockset_stop
rm -f "$DB-wal" "$DB-shm"
cp "$T/older.db" "$DB"
lockset_start || exit 1
check "a restored older copy is found too" test "$(rollbacks)" = 1
api GET /v1/audit/verify
expect_json "... and verify reports it" .ok false
finish
