#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): a fleet. One central locksetd signing bundles, nginx
# in front of it configured with tests/api/fleet/nginx-lockset.conf, and
# BENCH_FLEET_HOSTS (10,000) simulated hosts (tests/tools/fleetsim, one epoll
# loop) long-polling /v1/bundle through nginx. Once every host waits, the
# policy changes once; the fleet then polls on through the end of a slot
# (BENCH_FLEET_WAIT seconds, default 10), as a fleet at rest does. Reports the time until 50%, 99% and 100% of the hosts
# hold the new bundle, the central's CPU seconds and peak RSS, the requests
# that reached the central against those nginx answered, and 304s against
# 200s. Target on 2 cores: 100% within 10 s, the central under 256 MiB.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${LOCKSETD:=$SRC/daemon/locksetd}"
: "${LOCKSET_BUILDDIR:=$(cd "$(dirname "$LOCKSETD")/.." && pwd)}"
FLEETSIM="$LOCKSET_BUILDDIR/tests/tools/fleetsim"
HOSTS=${BENCH_FLEET_HOSTS:-10000}
WAIT=${BENCH_FLEET_WAIT:-10}
for c in nginx curl jq openssl ss; do
	command -v "$c" >/dev/null || { echo "bench-fleet: $c not installed"; exit 77; }
done
if [ ! -x "$FLEETSIM" ]; then
	make -C "$LOCKSET_BUILDDIR" tests/tools/fleetsim >/dev/null ||
		{ echo "bench-fleet: cannot build tests/tools/fleetsim"; exit 77; }
fi
[ "$(ulimit -n)" -ge $((HOSTS + 200)) ] || ulimit -n $((HOSTS + 200)) 2>/dev/null ||
	{ echo "bench-fleet: needs $((HOSTS + 200)) open files (ulimit -n)"; exit 77; }

D=$(mktemp -d /tmp/lockset-bench.XXXXXX)
LPID= NPID= SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
port() { # a free loopback port below the ephemeral range the fleet's 10,000 connections use
	local p
	for _ in $(seq 50); do
		p=$(( (RANDOM % 10000) + 20000 ))
		ss -tanH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
until_ok() { for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# --- the central
mkdir -p "$D/etc" "$D/nginx/cache" "$D/nginx/tmp"
chmod 755 "$D" "$D/etc"
cp "$SRC/schema/examples/admin-settings.json" "$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
openssl genpkey -algorithm ed25519 -out "$D/sign.pem" 2>/dev/null
TOKEN=$("$LOCKSETD" --state-dir "$D/state" --create-token fleet --role runtime) || exit 1
LP=$(port)
"$LOCKSETD" --settings "$D/etc/admin-settings.json" --state-dir "$D/state" \
	--listen "unix:$D/api.sock" --listen "127.0.0.1:$LP" --authz-socket "" --foreground \
	--log-level warn --bundle-signing-key "$D/sign.pem" --allowed-host lockset_central \
	2>"$D/daemon.log" &
LPID=$!
until_ok curl -sf --unix-socket "$D/api.sock" http://l/v1/health ||
	{ echo "central did not start"; cat "$D/daemon.log"; exit 1; }

# --- nginx with the tested snippet
NP=$(port)
cat >"$D/nginx/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
daemon off;
user root;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections $(ulimit -n); }
http {
	log_format lockset '\$status \$upstream_cache_status \$upstream_addr \$request_uri';
	access_log $D/nginx/access.log lockset buffer=256k flush=1s;
	client_body_temp_path $D/nginx/tmp/body;
	proxy_temp_path $D/nginx/tmp/proxy;
	fastcgi_temp_path $D/nginx/tmp/fastcgi;
	uwsgi_temp_path $D/nginx/tmp/uwsgi;
	scgi_temp_path $D/nginx/tmp/scgi;
	keepalive_timeout 300s;
	keepalive_requests 100000;
	proxy_cache_path $D/nginx/cache keys_zone=lockset:10m inactive=10m;
	upstream lockset_central { server 127.0.0.1:$LP; keepalive 16; }
	server {
		listen 127.0.0.1:$NP backlog=4096;
		include $SRC/tests/api/fleet/nginx-lockset.conf;
	}
}
CONF
nginx -p "$D/nginx" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" &
NPID=$!
until_ok curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$NP/v1/bundle" ||
	{ echo "nginx did not start"; cat "$D/nginx/error.log"; exit 1; }
curl -s -D "$D/h" -o "$D/b" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$NP/v1/bundle"
V0=$(jq -r .bundle.version "$D/b")
ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$D/h" | tr -d '\r')

cpu_ticks() { awk '{print $14 + $15}' "/proc/$LPID/stat"; }
TICKS0=$(cpu_ticks)

# --- the fleet: every host holds V0 and waits
echo "fleet: $HOSTS simulated hosts via nginx, long-poll ${WAIT}s, $(nproc) cores"
"$FLEETSIM" -a "127.0.0.1:$NP" -n "$HOSTS" -t "$TOKEN" -v "$V0" -e "$ETAG" -T $((V0 + 1)) \
	-w "$WAIT" -l 120 -k $((WAIT + 2)) -o "$D/times" >"$D/sim.out" 2>"$D/sim.err" &
SPID=$!
until_ok grep -q READY "$D/sim.out" || { echo "the fleet did not connect"; cat "$D/sim.err"; exit 1; }
waiting() { [ "$(ss -tnH state established "sport = :$NP" | wc -l)" -ge "$HOSTS" ]; }
until_ok waiting || echo "(not every host is connected: $(ss -tnH state established "sport = :$NP" | wc -l))"

# --- one change: flip analyticsEnabled
FLIP=$(curl -s --unix-socket "$D/api.sock" http://l/v1/policy | jq '.analyticsEnabled.value != true')
T0=$(date +%s.%N)
curl -s --unix-socket "$D/api.sock" -X PATCH -H 'Content-Type: application/merge-patch+json' \
	-d "{\"analyticsEnabled\": {\"locked\": true, \"value\": $FLIP}}" http://l/v1/policy >"$D/patch"
wait "$SPID"
SIM_RC=$?
SPID=
TICKS1=$(cpu_ticks)
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$LPID/status")
kill -USR1 "$NPID" 2>/dev/null # reopen logs: flushes the access log buffer
until_ok test -s "$D/nginx/access.log"

# --- figures
pct() { # P: seconds after the change until P% of the hosts had the new bundle
	sort -n "$D/times" | awk -v t0="$T0" -v p="$1" -v n="$HOSTS" \
		'{ a[NR] = $1 } END { k = int((p * n + 99) / 100); if (k < 1) k = 1;
		   if (k > NR) { print "n/a"; exit } printf "%.3f s", a[k] - t0 }'
}
HZ=$(getconf CLK_TCK)
cp "$D/nginx/access.log" "${BENCH_FLEET_LOG:-/dev/null}" 2>/dev/null
# The hosts' polls (after=) that were answered; those still open when the
# fleet stopped (499) aside.
awk '($1 == 200 || $1 == 304) && $4 ~ /after=/' "$D/nginx/access.log" >"$D/polls"
TOTAL=$(wc -l <"$D/polls")
UPSTREAM=$(awk '$3 != "-"' "$D/polls" | wc -l)
echo "change: $(jq -c '{version, changed}' "$D/patch"); fleetsim: $(tail -n1 "$D/sim.out")"
echo "hosts holding the new bundle: 50% $(pct 50), 99% $(pct 99), 100% $(pct 100) (target: 100% within 10 s)"
echo "central CPU: $(awk -v a="$TICKS0" -v b="$TICKS1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }') s, peak RSS $((HWM / 1024)) MiB (target < 256 MiB)"
echo "requests: $TOTAL answered by nginx, $UPSTREAM reached the central, $((TOTAL - UPSTREAM)) absorbed by the cache"
echo "replies to hosts: $(awk '$1 == 200' "$D/polls" | wc -l) x 200, $(awk '$1 == 304' "$D/polls" | wc -l) x 304 (the change, then the end of a slot)"
[ "$SIM_RC" = 0 ] || echo "(not every host reached the new bundle within the limit)"
