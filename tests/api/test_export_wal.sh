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
audit_fill 20000
lockset_start --events-rate 0/s || exit 1

# Two exports read at 2 KB/s (hours for the whole log), one each way.
curl -s --unix-socket "$SOCK" --limit-rate 2k -o "$T/slow.asc" \
	'http://lockset/v1/audit?format=ndjson&order=asc' 2>/dev/null &
SLOW="$!"
curl -s --unix-socket "$SOCK" --limit-rate 2k -o "$T/slow.desc" \
	'http://lockset/v1/audit?format=ndjson' 2>/dev/null &
SLOW="$SLOW $!"
EXTRA_PIDS="$SLOW"
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

# A snapshot held by the sqlite3 CLI while some 20 MB of rows are written
# (the exports are over: they would not hold one, but the CLI does).
for p in $SLOW; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
mkfifo "$T/cli.in"
sqlite3 "$STATE/lockset.db" <"$T/cli.in" >"$T/cli.out" 2>&1 &
CLI=$!
EXTRA_PIDS="$EXTRA_PIDS $CLI"
exec 3>"$T/cli.in"
echo "BEGIN; SELECT count(*) FROM events;" >&3
check "the sqlite3 CLI holds a snapshot" wait_until 10 test -s "$T/cli.out"
printf '{"action":"runtime.test.big","data":{"pad":"%s"}}' "$(head -c 7500 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/big.json"
urls=()
for i in $(seq 600); do urls+=("http://lockset/v1/events"); done
curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' -d @"$T/big.json" \
	-o /dev/null -w '%{http_code}\n' "${urls[@]}" >"$T/big.status"
check "600 large rows are written" test "$(grep -c '^201$' "$T/big.status")" = 600
WAL=$(stat -c %s "$STATE/lockset.db-wal")
check "meanwhile the WAL has grown past 8 MiB ($WAL bytes)" test "$WAL" -gt 8388608
exec 3>&-
wait "$CLI"
# Once nobody holds a snapshot, the next checkpoint and reset cut it back.
wal_cut_back() {
	curl -s --unix-socket "$SOCK" -o /dev/null -H 'Content-Type: application/json' \
		-d @"$T/big.json" http://lockset/v1/events
	[ "$(stat -c %s "$STATE/lockset.db-wal")" -le 8388608 ]
}
check "then writes cut it back to 8 MiB" wait_until 20 wal_cut_back
finish
