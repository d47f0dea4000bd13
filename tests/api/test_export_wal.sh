#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A slow audit export holds no SQLite snapshot while its client reads: the
# rows go out in blocks, each read in a short transaction of its own, so the
# WAL can be reset (and does not grow with every write) for as long as the
# export lasts; and the export is still every row, in id order, each once.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3
EXTRA_PIDS=

# An audit log big enough that an export outlasts the socket buffers: rows
# written straight into the table (the chain is not what is tested here).
lockset_start || exit 1
lockset_stop
sqlite3 "$STATE/lockset.db" "WITH RECURSIVE n(i) AS (SELECT (SELECT max(id) FROM events) + 1
	UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT max(id) FROM events) + 20000)
	INSERT INTO events (id, time, action, actor, host, component, subject, decision, rules,
	data, policy_version, prev_hash, hash) SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
	'container.create.denied', 'dockerd', 'h', 'authz', printf('image-%d', i), 'deny',
	'[\"privileged\"]', printf('{\"pad\":\"%s\"}', hex(randomblob(100))), 1,
	'0000000000000000000000000000000000000000000000000000000000000000',
	'0000000000000000000000000000000000000000000000000000000000000000' FROM n"
lockset_start || exit 1

# Two exports read at 2 KB/s (hours for the whole log), one each way.
curl -s --unix-socket "$SOCK" --limit-rate 2k -o "$T/slow.asc" \
	'http://lockset/v1/audit?format=ndjson&order=asc' 2>/dev/null &
EXTRA_PIDS="$EXTRA_PIDS $!"
curl -s --unix-socket "$SOCK" --limit-rate 2k -o "$T/slow.desc" \
	'http://lockset/v1/audit?format=ndjson' 2>/dev/null &
EXTRA_PIDS="$EXTRA_PIDS $!"
check "both slow exports have begun" wait_until 10 test -s "$T/slow.asc" -a -s "$T/slow.desc"
api POST /v1/events -H 'Content-Type: application/json' -d '{"action":"runtime.test.write"}'
expect_status "a row is written while they read" 201

# TRUNCATE must wait for every reader that holds a snapshot: with one held,
# the first column is 1 (busy), however often it is tried.
truncated() { [ "$(sqlite3 "$STATE/lockset.db" 'PRAGMA wal_checkpoint(TRUNCATE)' 2>/dev/null)" = "0|0|0" ]; }
check "the WAL can be reset while the exports read on" wait_until 10 truncated

# The export itself: every row, in id order, once, although it read them in
# many transactions with writes between them (rows written after it began
# may or may not be in it; the unit test pins that they are not).
BEFORE=$(sqlite3 "$STATE/lockset.db" "SELECT max(id) FROM events")
curl -s --unix-socket "$SOCK" --limit-rate 4m -o "$T/full" 'http://lockset/v1/audit?format=ndjson&order=asc' &
FULL=$!
EXTRA_PIDS="$EXTRA_PIDS $FULL"
for i in $(seq 20); do
	api POST /v1/events -H 'Content-Type: application/json' -d "{\"action\":\"runtime.test.during\",\"subject\":\"$i\"}"
done
wait "$FULL"
check "an export with writes under way has ids 1 to at least $BEFORE, each once, in order" \
	test "$(jq -r .id "$T/full" | awk -v least="$BEFORE" 'NR != $1 { bad = 1 } END { print (bad || NR < least ? "bad " NR : "ok") }')" = ok
finish
