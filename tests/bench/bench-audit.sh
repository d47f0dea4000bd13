#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): durable audit appends (POST /v1/events, synchronous=
# FULL) at 1, 8 and 64 concurrent keep-alive writers through the real daemon,
# next to two ceilings measured on the same disk with the sqlite3 CLI (one
# commit per row; every row in one transaction), with the CPU time an event
# costs the daemon and the load generator (which share the machine's cores,
# and so bound the rate whatever the disk) and, as a check of that bound, the
# rate at 64 writers without any fsync (synchronous=NORMAL), and the HTTP
# floor: the rate of a server that answers each event unread; then, over a 1-million-row
# log, the latency of filtered pages and locksetd's RSS during a full NDJSON
# export, and the start-up time to the first answered request with that log.
# Prints each figure with its reference and the ratio; never fails on a
# number.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${LOCKSET_BUILDDIR:=$SRC}"
: "${LOCKSETD:=$LOCKSET_BUILDDIR/daemon/locksetd}"
DURATION=${BENCH_DURATION:-10}   # seconds per writer count
ROWS=${BENCH_ROWS:-1000000}      # rows in the large log (BENCH_LARGE=0: no large log)
PER_ROW=${BENCH_PER_ROW_N:-3000} # rows for the commit-per-row ceiling
BULK=${BENCH_BULK_N:-200000}     # rows for the one-transaction ceiling
LOADGEN="$LOCKSET_BUILDDIR/tests/tools/loadgen"
ALLOWALL="$LOCKSET_BUILDDIR/tests/tools/allowall"
for c in sqlite3 curl; do
	command -v "$c" >/dev/null || { echo "bench-audit: $c not installed"; exit 77; }
done
if [ ! -x "$LOADGEN" ] || [ ! -x "$ALLOWALL" ]; then
	make -s -C "$LOCKSET_BUILDDIR" tests/tools/loadgen tests/tools/allowall >/dev/null ||
		{ echo "bench-audit: cannot build tests/tools/loadgen and allowall"; exit 77; }
fi
# State on the same filesystem as the build (not /tmp, which may be tmpfs),
# so that fsync costs what it costs on a real disk.
D=$(mktemp -d "${BENCH_DIR:-$LOCKSET_BUILDDIR}/lockset-bench-audit.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; rm -rf "$D"; }
trap cleanup EXIT
mkdir -p "$D/etc"
chmod 755 "$D/etc"
cp "$SRC/schema/examples/admin-settings.json" "$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
SOCK="$D/api.sock"

# Start the daemon; STARTUP is the time from exec to the first answered
# request (GET /v1/health), in seconds, polled every 10 ms.
start() { # extra daemon options
	local t0
	rm -f "$SOCK"
	t0=$(date +%s.%N)
	"$LOCKSETD" --settings "$D/etc/admin-settings.json" --state-dir "$D/state" \
		--listen "unix:$SOCK" --authz-socket "" --foreground --log-level warn \
		--audit-sync full --events-rate 0 --role-map "uid:$(id -u)=admin" "$@" 2>>"$D/daemon.log" &
	PID=$!
	for _ in $(seq 6000); do
		if [ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://l/v1/health >/dev/null; then
			STARTUP=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.01
	done
	echo "bench-audit: the daemon did not start"; cat "$D/daemon.log"; exit 1
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }
rate() { sed -n 's/.*rps=\([0-9.]*\).*/\1/p'; }
field() { sed -n "s/.* $1=\\([0-9.]*\\).*/\\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
secs() { date +%s.%N; }

# ---------------------------------------------------------------------------
# 1. Durable appends through the daemon

cat >"$D/event.json" <<'EOF'
{"action":"runtime.container.create.denied","actor":"bench-user","subject":"docker.io/library/alpine:latest","decision":"deny","rules":["privileged","cap-add"],"data":{"method":"POST","uri":"/v1.47/containers/create","user":"bench-user","violations":[{"field":"HostConfig.Privileged","rule":"privileged"}]},"policy_version":1}
EOF
echo "Durable appends: POST /v1/events over the Unix socket, synchronous=FULL, WAL,"
echo "  ${DURATION}s per run, $(nproc) cores, state on $(df --output=source,fstype "$D" | tail -n1 | tr -s ' ')"
declare -A EPS
# "rows commits seconds" of the daemon's group commits so far (GET /metrics).
commits() {
	curl -s --unix-socket "$SOCK" http://l/metrics | awk '
		$1 == "lockset_audit_events_total" { r = $2 }
		$1 == "lockset_audit_commits_total" { c = $2 }
		$1 == "lockset_audit_commit_duration_seconds_sum" { s = $2 }
		END { print r + 0, c + 0, s + 0 }'
}
# The daemon's CPU time so far, in clock ticks (user + system, all threads).
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
TICK=$(getconf CLK_TCK)
declare -A CPU_D CPU_G
run_writers() { # label, writer counts, daemon options...
	local label=$1 counts=$2; shift 2
	rm -rf "$D/state"
	start "$@"
	for c in $counts; do
		local out r0 c0 s0 r1 c1 s1 t0 t1 n
		read -r r0 c0 s0 < <(commits)
		t0=$(ticks)
		# TIMEFORMAT: the generator's own user + system seconds, on stderr.
		out=$( { TIMEFORMAT='gen_cpu=%U+%S'; time "$LOADGEN" -u "$SOCK" -c "$c" -w 1 \
			-d "$DURATION" -H 'Content-Type: application/json' -b "$D/event.json" \
			/v1/events; } 2>&1)
		t1=$(ticks)
		read -r r1 c1 s1 < <(commits)
		EPS[$label,$c]=$(echo "$out" | rate)
		n=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
		# Microseconds of CPU an event: the daemon's, the generator's.
		CPU_D[$label,$c]=$(awk -v t=$((t1 - t0)) -v hz="$TICK" -v n="${n:-0}" \
			'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
		CPU_G[$label,$c]=$(echo "$out" | sed -n 's/.*gen_cpu=\([0-9.]*\)+\([0-9.]*\).*/\1 \2/p' |
			awk -v n="${n:-0}" '{ printf "%.1f", (n > 0 ? ($1 + $2) * 1e6 / n : 0) }')
		printf '  %-22s %3d writers: %9.0f events/s  p50 %7s ms  p99 %7s ms  %5.1f rows/commit  commit %6.2f ms  CPU a event: daemon %5s us, generator %5s us  (%s non-2xx, %s errors)\n' \
			"$label" "$c" "${EPS[$label,$c]}" "$(echo "$out" | field p50_ms)" \
			"$(echo "$out" | field p99_ms)" \
			"$(awk -v r=$((r1 - r0)) -v c=$((c1 - c0)) 'BEGIN { print (c > 0 ? r / c : 0) }')" \
			"$(awk -v s0="$s0" -v s1="$s1" -v c=$((c1 - c0)) 'BEGIN { print (c > 0 ? (s1 - s0) * 1000 / c : 0) }')" \
			"${CPU_D[$label,$c]}" "${CPU_G[$label,$c]}" \
			"$(echo "$out" | field non2xx)" "$(echo "$out" | field errors)"
	done
	stop
}
run_writers "default threads" "1 8 64"
run_writers "--threads 64" "1 8 64" --threads 64
# The same appends with no fsync at all: what an infinitely fast disk would
# leave, the rate the machine's CPU allows.
run_writers "synchronous=NORMAL" "64" --audit-sync normal

# The same appends to a server that does nothing with them: allowall
# (libmicrohttpd in locksetd's threading mode, a worker per core) reads each
# body and answers at once. What it reaches is what HTTP and this generator
# leave of the machine before anything is parsed, hashed or stored: the most
# any daemon answering each event over HTTP could reach here.
rm -f "$D/floor.sock"
"$ALLOWALL" "$D/floor.sock" 2>>"$D/daemon.log" &
PID=$!
for _ in $(seq 500); do
	[ -S "$D/floor.sock" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.01
done
FLOOR_OUT=$("$LOADGEN" -u "$D/floor.sock" -c 64 -w 1 -d "$DURATION" \
	-H 'Content-Type: application/json' -b "$D/event.json" /v1/events 2>&1)
stop
FLOOR_EPS=$(echo "$FLOOR_OUT" | rate)
printf '  %-22s %3d writers: %9.0f events/s  p50 %7s ms  p99 %7s ms  (HTTP alone: allowall answers without reading the event)\n' \
	"HTTP floor" 64 "${FLOOR_EPS:-0}" "$(echo "$FLOOR_OUT" | field p50_ms)" \
	"$(echo "$FLOOR_OUT" | field p99_ms)"

# ---------------------------------------------------------------------------
# 2. Ceilings on the same disk, same schema, same row, with the sqlite3 CLI

sqlite3 "$D/state/lockset.db" \
	"SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'" >"$D/schema.sql"
ROW=$(sqlite3 "$D/state/lockset.db" "SELECT quote(time)||','||quote(action)||','||quote(actor)||','||
	quote(host)||','||quote(component)||','||quote(subject)||','||quote(decision)||','||
	quote(rules)||','||quote(data)||','||quote(policy_version)||','||quote(prev_hash)||','||
	quote(hash) FROM events ORDER BY id DESC LIMIT 1")
COLS="time, action, actor, host, component, subject, decision, rules, data, policy_version, prev_hash, hash"
RULES="INSERT INTO event_rules VALUES ('privileged', last_insert_rowid()), ('cap-add', last_insert_rowid());"
ceiling_db() {
	rm -f "$D/ceil.db"*
	sqlite3 "$D/ceil.db" "PRAGMA journal_mode=WAL;" >/dev/null
	sqlite3 "$D/ceil.db" <"$D/schema.sql"
}
ceiling_db
{
	echo "PRAGMA synchronous=FULL;"
	for _ in $(seq "$PER_ROW"); do
		echo "BEGIN; INSERT INTO events ($COLS) VALUES ($ROW); $RULES COMMIT;"
	done
} >"$D/per-row.sql"
t0=$(secs); sqlite3 "$D/ceil.db" <"$D/per-row.sql"; t1=$(secs)
PER_ROW_EPS=$(awk -v n="$PER_ROW" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
ceiling_db
t0=$(secs)
sqlite3 "$D/ceil.db" <<SQL
PRAGMA synchronous=FULL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BULK)
INSERT INTO events ($COLS) SELECT $ROW FROM n;
INSERT INTO event_rules SELECT r.value, e.id FROM events e, json_each(e.rules) r;
COMMIT;
SQL
t1=$(secs)
BULK_EPS=$(awk -v n="$BULK" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
rm -f "$D/ceil.db"* "$D/per-row.sql"
echo "Ceilings (sqlite3 CLI, same schema and row, WAL, synchronous=FULL):"
echo "  (a) one commit per row      $PER_ROW_EPS rows/s  ($PER_ROW rows)"
echo "  (b) every row in one commit $BULK_EPS rows/s  ($BULK rows)"
echo "Ratios:"
for l in "default threads" "--threads 64"; do
	for c in 1 8 64; do
		printf '  %-16s %2d writers: %6s x (a) one-commit-per-row, %5s x (b) one-transaction\n' \
			"$l" "$c" "$(ratio "${EPS[$l,$c]}" "$PER_ROW_EPS")" "$(ratio "${EPS[$l,$c]}" "$BULK_EPS")"
	done
done
for l in "default threads" "--threads 64"; do
	awk -v l="$l" -v e="${EPS[$l,64]}" -v b="$BULK_EPS" 'BEGIN {
		printf "  target at 64 writers, %s: >= 0.30 x (b): %.2f x (%s)\n", l,
			(b > 0 ? e / b : 0), (b > 0 && e / b >= 0.3 ? "met" : "MISSED") }'
done
# Both sides of an append run on this machine's cores: their CPU time an
# event bounds the rate whatever the disk does.
l="default threads"
awk -v d="${CPU_D[$l,64]}" -v g="${CPU_G[$l,64]}" -v cores="$(nproc)" -v b="$BULK_EPS" \
	-v nf="${EPS[synchronous=NORMAL,64]}" 'BEGIN {
	cap = (d + g > 0) ? cores * 1e6 / (d + g) : 0
	printf "  CPU bound at 64 writers: %.1f us (daemon) + %.1f us (generator) an event on %d cores: at most %.0f events/s, %.2f x (b)\n", d, g, cores, cap, (b > 0 ? cap / b : 0)
	printf "  without fsync (synchronous=NORMAL), 64 writers: %.0f events/s, %.2f x (b)\n", nf, (b > 0 ? nf / b : 0) }'
# Where the target sits between the HTTP floor and the ceiling.
awk -v f="${FLOOR_EPS:-0}" -v b="$BULK_EPS" -v d="${EPS[default threads,64]}" \
	-v t="${EPS[--threads 64,64]}" 'BEGIN {
	if (f > 0 && b > 0)
		printf "  HTTP floor at 64 writers: %.0f events/s, %.2f x (b); the 0.30 x (b) target is %.2f x the floor; lockset reaches %.2f x the floor (default threads), %.2f x (--threads 64)\n", f, f / b, 0.3 * b / f, d / f, t / f }'
if [ "${BENCH_LARGE:-1}" = 0 ]; then
	echo "Large log skipped (BENCH_LARGE=0)"
	exit 0
fi

# ---------------------------------------------------------------------------
# 3. A 1-million-row log: made through the daemon's own schema (the daemon
# creates and migrates the database), rows generated by a recursive CTE in
# place of the few rows the daemon wrote at start-up. The hashes are random, so
# this chain does NOT verify; it serves latency and RSS only.

rm -rf "$D/state"
start
stop
start
EMPTY_STARTUP=$STARTUP
stop
t0=$(secs)
sqlite3 "$D/state/lockset.db" >/dev/null <<SQL
PRAGMA synchronous=OFF;
BEGIN;
DELETE FROM event_rules;
DELETE FROM events;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS),
g AS (SELECT i, i % 10 AS k FROM n)
INSERT INTO events (id, time, action, actor, host, component, subject, decision, rules, data,
                    policy_version, prev_hash, hash)
SELECT i,
  strftime('%Y-%m-%dT%H:%M:%S', 1700000000 + i * 2, 'unixepoch') || printf('.%06dZ', (i * 7919) % 1000000),
  CASE WHEN k < 4 THEN 'container.create.denied' WHEN k = 4 THEN 'container.exec.denied'
       WHEN k = 5 THEN 'image.pull.denied' WHEN k = 6 THEN 'container.create.audited'
       WHEN k = 7 THEN 'auth.failed' WHEN k = 8 THEN 'policy.updated' ELSE 'token.created' END,
  'user-' || (i % 1000), 'bench-host', 'authz',
  'docker.io/library/img-' || (i % 5000),
  CASE WHEN k < 6 THEN 'deny' WHEN k = 6 THEN 'audit' ELSE '' END,
  CASE WHEN k < 7 THEN (CASE i % 7 WHEN 0 THEN '["privileged"]' WHEN 1 THEN '["privileged","cap-add"]'
       WHEN 2 THEN '["host-pid"]' WHEN 3 THEN '["docker-socket"]' WHEN 4 THEN '["registry"]'
       WHEN 5 THEN '["device"]' ELSE '["bind-outside-shares"]' END) ELSE '[]' END,
  '{"decisionId":"' || lower(hex(randomblob(16))) || '","method":"POST","mode":"enforce",' ||
  '"uri":"/v1.47/containers/create","user":"user-' || (i % 1000) || '"}',
  1 + i / 100000, lower(hex(randomblob(32))), lower(hex(randomblob(32)))
FROM g;
INSERT INTO event_rules SELECT r.value, e.id FROM events e, json_each(e.rules) r;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
t1=$(secs)
HAVE=$(sqlite3 "$D/state/lockset.db" "SELECT count(*) FROM events")
[ "$HAVE" = "$ROWS" ] || { echo "bench-audit: generated $HAVE rows, not $ROWS"; exit 1; }
echo "Large log: $ROWS rows generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
	"($(du -m "$D/state/lockset.db" | cut -f1) MiB; random hashes: latency only, the chain does not verify)"
start
printf 'Start-up to the first answered request (GET /v1/health): %s s with %d rows, %s s with an empty log\n' \
	"$STARTUP" "$ROWS" "$EMPTY_STARTUP"
MID=$(sqlite3 "$D/state/lockset.db" "SELECT time FROM events WHERE id = $((ROWS / 2))")
END=$(sqlite3 "$D/state/lockset.db" "SELECT time FROM events WHERE id = $((ROWS / 2 + 43200))")
echo "Filtered pages (limit=100) over $ROWS rows, 50 requests each, 1 connection (target p99 <= 50 ms):"
for q in "rule=privileged" "actor=user-42" "since=$MID&until=$END" "action=container.*" \
	"decision=audit" "rule=docker-socket&actor=user-3" "subject=docker.io/library/img-17&order=asc" \
	"action=image.pull.denied&policy_version=2"; do
	out=$("$LOADGEN" -u "$SOCK" -c 1 -w 0.2 -d 60 -n 50 "/v1/audit?$q&limit=100")
	n=$(curl -s --unix-socket "$SOCK" "http://l/v1/audit?$q&limit=100&format=ndjson" | wc -l)
	printf '  %-48s %3d rows  p50 %7s ms  p99 %7s ms  (%s of the 50 ms target)%s\n' "$q" "$n" \
		"$(echo "$out" | field p50_ms)" "$(echo "$out" | field p99_ms)" \
		"$(ratio "$(echo "$out" | field p99_ms)" 50)" \
		"$([ "$(echo "$out" | field non2xx)" = 0 ] || echo "  NON-2xx: $out")"
done

# RSS while a client exports every row as NDJSON.
rss() { awk '/VmRSS/ { print $2 }' "/proc/$PID/status"; }
RSS0=$(rss)
t0=$(secs)
curl -s --unix-socket "$SOCK" -o "$D/export.size" -w '%{size_download}' \
	"http://l/v1/audit?format=ndjson" >"$D/export.bytes" &
CPID=$!
: >"$D/rss"
while kill -0 "$CPID" 2>/dev/null; do rss >>"$D/rss"; sleep 0.05; done
wait "$CPID"
t1=$(secs)
LINES=$(wc -l <"$D/export.size")
rm -f "$D/export.size"
sort -n "$D/rss" | awk -v idle="$RSS0" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	-v bytes="$(cat "$D/export.bytes")" -v lines="$LINES" '
	NR == 1 { min = $1 } { max = $1; n++ }
	END {
		printf "NDJSON export of every row: %d lines, %.0f MiB in %.1f s (%.0f rows/s)\n", lines, bytes / 1048576, t, lines / t;
		printf "  locksetd RSS before %.1f MiB; during the export min %.1f MiB, max %.1f MiB over %d samples (max/min %.2f; target: flat)\n", idle / 1024, min / 1024, max / 1024, n, max / min;
	}'
stop
