#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): GET /v1/settings under wrk with 64 connections,
# side by side with nginx serving the same bytes as a static file, plus the
# daemon's idle and loaded RSS. Prints both figures and the ratio.
set -u
: "${LOCKSETD:=$(cd "$(dirname "$0")/../.." && pwd)/daemon/locksetd}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${BENCH_DURATION:-10}
for c in wrk nginx curl; do
	command -v "$c" >/dev/null || { echo "bench-settings: $c not installed (apt-get install wrk nginx-light)"; exit 77; }
done
D=$(mktemp -d /tmp/lockset-bench.XXXXXX)
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$D"; }
trap cleanup EXIT
port() { echo $(( (RANDOM % 20000) + 30000 )); }

mkdir -p "$D/etc" "$D/www" "$D/nginx"
cp "$SRC/schema/examples/admin-settings.json" "$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
TOKEN=$("$LOCKSETD" --state-dir "$D/state" --create-token bench --role runtime) || exit 1
LP=$(port)
"$LOCKSETD" --settings "$D/etc/admin-settings.json" --state-dir "$D/state" \
	--listen "127.0.0.1:$LP" --authz-socket "" --foreground --log-level warn 2>"$D/daemon.log" &
LPID=$!; PIDS="$PIDS $LPID"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$LP/v1/health" >/dev/null && break; sleep 0.1; done
sleep 1
IDLE_RSS=$(awk '/VmRSS/ {print $2}' "/proc/$LPID/status")
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$LP/v1/settings" >"$D/www/settings.json" || { echo "cannot fetch settings"; exit 1; }
BYTES=$(stat -c %s "$D/www/settings.json")

NP=$(port)
cat >"$D/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$NP;
		root $D/www;
		location / { default_type application/json; }
	}
}
CONF
nginx -c "$D/nginx/nginx.conf" -p "$D/nginx" &
NPID=$!; PIDS="$PIDS $NPID"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$NP/settings.json" >/dev/null && break; sleep 0.1; done

rps() { wrk -t2 -c64 -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
echo "GET /v1/settings, $BYTES bytes, wrk -t2 -c64 -d${DURATION}s, $(nproc) cores"
# Warm both, then measure alternately so neither gets the quieter machine.
wrk -t2 -c64 -d2s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$LP/v1/settings" >/dev/null
wrk -t2 -c64 -d2s "http://127.0.0.1:$NP/settings.json" >/dev/null
L1=$(rps -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$LP/v1/settings")
N1=$(rps "http://127.0.0.1:$NP/settings.json")
L2=$(rps -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$LP/v1/settings")
N2=$(rps "http://127.0.0.1:$NP/settings.json")
LOAD_RSS=$(awk '/VmRSS/ {print $2}' "/proc/$LPID/status")
awk -v l1="$L1" -v l2="$L2" -v n1="$N1" -v n2="$N2" -v idle="$IDLE_RSS" -v load="$LOAD_RSS" 'BEGIN {
	l = (l1 + l2) / 2; n = (n1 + n2) / 2;
	printf "  lockset  %10.0f req/s  (runs: %.0f, %.0f)\n", l, l1, l2;
	printf "  nginx    %10.0f req/s  (runs: %.0f, %.0f)\n", n, n1, n2;
	printf "  ratio lockset/nginx: %.2f  (target >= 1.00)\n", l / n;
	printf "  locksetd RSS: idle %.1f MiB (target <= 16 MiB), after load %.1f MiB\n", idle / 1024, load / 1024;
}'
