#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): a flood on the REST listeners must not delay the
# plugin socket. AuthZReq latency (tests/tools/loadgen, keep-alive, 1 and 16
# clients) quiet, then while 5,000 idle connections are held open on the
# loopback REST port (tests/tools/holdconn.py), then quiet again; prints p50
# and p99 side by side and the ratio flooded / quiet (target: p99 within 2x).
# Also the daemon's RSS and descriptors with the 5,000 connections, and with
# 10,000 long-polls waiting on GET /v1/settings.
set -u
: "${LOCKSETD:=$(cd "$(dirname "$0")/../.." && pwd)/daemon/locksetd}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${LOCKSET_BUILDDIR:=$(cd "$(dirname "$LOCKSETD")/.." && pwd)}"
DURATION=${BENCH_DURATION:-5}
IDLE=${BENCH_IDLE:-5000}
WAITERS=${BENCH_WAITERS:-10000}
GEN=$LOCKSET_BUILDDIR/tests/tools/loadgen
HOLD=$SRC/tests/tools/holdconn.py

for c in curl base64 awk python3; do
	command -v "$c" >/dev/null || { echo "bench-flood: $c not installed"; exit 77; }
done
[ -x "$GEN" ] || make -C "$LOCKSET_BUILDDIR" tests/tools/loadgen >/dev/null ||
	{ echo "bench-flood: cannot build tests/tools/loadgen"; exit 77; }
ulimit -n "$(ulimit -Hn)"
NEED=$((WAITERS + IDLE + 2000))
[ "$(ulimit -n)" -ge "$NEED" ] ||
	{ echo "bench-flood: needs $NEED descriptors (the hard limit is $(ulimit -Hn))"; exit 77; }

D=$(mktemp -d /tmp/lockset-bench.XXXXXX)
chmod 755 "$D"
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT

mkdir -p "$D/etc"
chmod 755 "$D/etc"
cp "$SRC/tests/e2e/policy.json" "$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
PORT=$(( (RANDOM % 20000) + 30000 ))
TOKEN=$("$LOCKSETD" --state-dir "$D/state" --create-token bench --role runtime) || exit 1
"$LOCKSETD" --settings "$D/etc/admin-settings.json" --state-dir "$D/state" \
	--listen "unix:$D/api.sock" --listen "127.0.0.1:$PORT" --authz-socket "$D/authz.sock" \
	--max-connections-per-peer $((WAITERS + IDLE)) --long-poll-max-waiters "$WAITERS" \
	--long-poll-per-caller "$WAITERS" --long-poll-max 3600 --foreground --log-level warn \
	2>"$D/locksetd.log" &
LPID=$!; PIDS="$PIDS $LPID"
for _ in $(seq 100); do
	curl -sf --unix-socket "$D/api.sock" -o /dev/null http://l/v1/health && break
	sleep 0.1
done
curl -sf --unix-socket "$D/authz.sock" -o /dev/null -X POST http://p/Plugin.Activate ||
	{ echo "bench-flood: locksetd did not start:"; cat "$D/locksetd.log"; exit 1; }

# An allowed create, as dockerd sends it.
B64=$(printf '{"Image":"alpine:3.20","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}' | base64 -w0)
printf '{"User":"","RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestBody":"%s","RequestHeaders":{"Content-Type":"application/json"}}' \
	"$B64" >"$D/env.json"
curl -sf --unix-socket "$D/authz.sock" -X POST --data-binary @"$D/env.json" \
	http://p/AuthZPlugin.AuthZReq | grep -q '"Allow": *true' ||
	{ echo "bench-flood: the create is not allowed"; exit 1; }

gen() { # CONNS -> "p50_ms p99_ms rps errors"
	"$GEN" -u "$D/authz.sock" -c "$1" -d "$DURATION" -w 1 -H 'Content-Type: application/json' \
		-b "$D/env.json" /AuthZPlugin.AuthZReq | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.3f %.3f %.0f %d\n", v["p50_ms"], v["p99_ms"], v["rps"], v["errors"] + v["non2xx"] }'
}
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$LPID/status"; }
fds() { ls "/proc/$LPID/fd" | wc -l; }
conns() {
	curl -s --unix-socket "$D/api.sock" http://l/metrics |
		awk -v l="lockset_connections{listener=\"127.0.0.1:$PORT\"}" 'index($0, l " ") == 1 { print $2 }'
}

echo "AuthZReq over the plugin socket (tests/tools/loadgen, keep-alive, ${DURATION}s per run),"
echo "quiet, then with $IDLE idle connections held open on the loopback REST port, then quiet"
echo "again; descriptor limit $(awk '/Max open files/ { print $4 }' "/proc/$LPID/limits");" \
	"$(nproc) cores shared by generator, flood and daemon"
declare -A P50 P99 RPS
for c in 1 16; do read -r P50[q$c] P99[q$c] RPS[q$c] _ < <(gen "$c"); done
IDLE_RSS=$(rss)
python3 "$HOLD" "127.0.0.1:$PORT" "$IDLE" >"$D/hold.out" &
HPID=$!; PIDS="$PIDS $HPID"
for _ in $(seq 600); do [ "$(conns)" = "$IDLE" ] && break; sleep 0.1; done
HELD=$(conns)
FLOOD_RSS=$(rss)
FLOOD_FDS=$(fds)
for c in 1 16; do read -r P50[f$c] P99[f$c] RPS[f$c] _ < <(gen "$c"); done
kill "$HPID"; wait "$HPID" 2>/dev/null
for _ in $(seq 100); do [ "$(conns)" = 0 ] && break; sleep 0.1; done
for c in 1 16; do read -r P50[r$c] P99[r$c] RPS[r$c] _ < <(gen "$c"); done
printf '  %-8s %-24s %-24s %-24s %s\n' clients "quiet p50/p99 ms" "flooded p50/p99 ms" \
	"quiet again p50/p99 ms" "p99 flooded/quiet"
for c in 1 16; do
	awk -v c="$c" -v q50="${P50[q$c]}" -v q99="${P99[q$c]}" -v f50="${P50[f$c]}" \
		-v f99="${P99[f$c]}" -v r50="${P50[r$c]}" -v r99="${P99[r$c]}" 'BEGIN {
		base = (q99 + r99) / 2
		printf "  %-8s %-24s %-24s %-24s %.2f (<= 2: %s)\n", c, q50 " / " q99, f50 " / " f99,
			r50 " / " r99, f99 / base, (f99 / base <= 2 ? "met" : "MISSED") }'
done
echo "  (the ratio divides by the mean of both quiet runs; $HELD connections were held)"
echo "  RSS: ${IDLE_RSS} MiB idle, ${FLOOD_RSS} MiB with $HELD idle connections ($FLOOD_FDS descriptors)"

# 10,000 long-polls for the org settings, half over the Unix socket (as root),
# half over the loopback port (with a runtime token): no one listener's share
# of the descriptors holds them all.
ETAG=$(curl -s --unix-socket "$D/api.sock" -D - -o /dev/null http://l/v1/settings |
	sed -n 's/^ETag: *//Ip' | tr -d '\r')
python3 "$HOLD" "unix:$D/api.sock" $((WAITERS / 2)) \
	--send "GET /v1/settings?wait=3600 HTTP/1.1\\r\\nHost: l\\r\\nIf-None-Match: $ETAG\\r\\n\\r\\n" \
	>"$D/poll.out" &
WPID=$!; PIDS="$PIDS $WPID"
python3 "$HOLD" "127.0.0.1:$PORT" $((WAITERS - WAITERS / 2)) \
	--send "GET /v1/settings?wait=3600 HTTP/1.1\\r\\nHost: l\\r\\nAuthorization: Bearer $TOKEN\\r\\nIf-None-Match: $ETAG\\r\\n\\r\\n" \
	>"$D/poll2.out" &
WPID2=$!; PIDS="$PIDS $WPID2"
waiting() {
	curl -s --unix-socket "$D/api.sock" http://l/metrics |
		awk 'index($0, "lockset_longpoll_waiters{kind=\"org\"} ") == 1 { print $2 }'
}
for _ in $(seq 1200); do [ "$(waiting)" = "$WAITERS" ] && break; sleep 0.1; done
W=$(waiting)
WRSS=$(rss)
echo "  RSS with $W long-polls waiting on GET /v1/settings: $WRSS MiB ($(fds) descriptors)"
kill "$WPID" "$WPID2"; wait "$WPID" "$WPID2" 2>/dev/null
