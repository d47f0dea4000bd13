#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): the docker socket proxy's own cost. A real stock
# dockerd (vfs, no bridge, its own roots) with lockset as its authorization
# plugin; the same calls go straight to dockerd's socket and through
# lockset's --docker-proxy, interleaved call by call so neither path gets the
# quieter machine:
#  1. the real docker CLI, `docker ps` and `docker create` (each run a new
#     process and connection, as developers run them);
#  2. the Engine API on one keep-alive connection (curl): GET
#     /containers/json and POST /containers/create, without the CLI's own
#     start-up, which dwarfs everything else.
# Prints mean and p50 of both paths, the ratio and the time added per call
# next to the target (ratio <= 1.10 and <= 0.3 ms added). Never fails on a
# number. Needs root (dockerd, /run/docker/plugins).
set -u
: "${LOCKSETD:=$(cd "$(dirname "$0")/../.." && pwd)/daemon/locksetd}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CLI_RUNS=${BENCH_CLI_RUNS:-100} # per command and path
API_CALLS=${BENCH_API_CALLS:-300}
API=v1.41

. "$(dirname "$0")/lib-dockerd.sh"
bench_setup bench-proxy awk sort jq tar
PS=$D/proxy.sock

# lockset: plugin and proxy, on tests/e2e/policy.json with ECI unlocked (this
# dockerd runs without user namespaces), loads allowed (the image is
# imported) and $HOME, $TMP under $D.
mkdir -p "$D/etc" "$D/home" "$D/tmp"
chmod 755 "$D/etc"
jq '.enhancedContainerIsolation.locked = false | .blockDockerLoad.value = false' \
	"$SRC/tests/e2e/policy.json" \
	>"$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
HOME="$D/home" TMP="$D/tmp" "$LOCKSETD" --settings "$D/etc/admin-settings.json" \
	--state-dir "$D/state" --listen "unix:$D/api.sock" --authz-socket "$LSOCK" \
	--engine-socket "$DS" --docker-proxy "unix:$PS" --docker-proxy-group "" \
	--foreground --log-level warn 2>"$D/locksetd.log" &
LPID=$!
bench_dockerd "$D" "$DS" "$LNAME"
bench_dockerd_ready "$DS"
for _ in $(seq 50); do [ -S "$PS" ] && break; sleep 0.2; done
curl -sf --unix-socket "$PS" -o /dev/null "http://d/_ping" ||
	{ echo "bench-proxy: skipped: dockerd or lockset did not start"; tail -n 5 "$D"/*.log; exit 0; }

mkdir -p "$D/rootfs"
echo "lockset bench" >"$D/rootfs/README"
tar -C "$D/rootfs" -cf "$D/rootfs.tar" .
# Through the proxy, which reads an import's body itself: the plugin alone
# is not shown it, and refuses the import straight to dockerd.
"$DOCKER" -H "unix://$PS" import "$D/rootfs.tar" lockset-bench:latest >/dev/null ||
	{ echo "bench-proxy: skipped: docker import failed"; exit 0; }
sed '1,/^body:$/d' "$SRC/tests/cases/decisions/rec-allow-alpine.case" |
	sed 's/"Image":"alpine:3.20"/"Image":"lockset-bench:latest"/' >"$D/create.json"
prune() { curl -sf --unix-socket "$DS" -o /dev/null -X POST "http://d/$API/containers/prune"; }

# --- 1. the docker CLI, call by call: "ms" lines into $D/cli-<what>-<path>
cli() { # WHAT SOCKET
	local s e
	s=$EPOCHREALTIME
	case $1 in
	ps) "$DOCKER" -H "unix://$2" ps >/dev/null ;;
	create) "$DOCKER" -H "unix://$2" create --pull=never lockset-bench:latest true >/dev/null ;;
	esac || echo "error" >>"$D/errors"
	e=$EPOCHREALTIME
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }'
}
for what in ps create; do
	cli "$what" "$DS" >/dev/null
	cli "$what" "$PS" >/dev/null
	for i in $(seq "$CLI_RUNS"); do
		cli "$what" "$DS" >>"$D/cli-$what-direct"
		cli "$what" "$PS" >>"$D/cli-$what-proxy"
		[ $((i % 50)) = 0 ] && prune
	done
	prune
done

# --- 2. the API on one connection: "http_code seconds" lines
calls() { # SOCKET N METHOD PATH [BODY-FILE]
	local s=$1 n=$2 m=$3 p=$4 cfg=$D/curl.cfg
	: >"$cfg"
	for _ in $(seq "$n"); do printf 'url = "http://d%s"\noutput = "/dev/null"\n' "$p" >>"$cfg"; done
	if [ -n "${5:-}" ]; then
		curl -s --unix-socket "$s" -X "$m" -H 'Content-Type: application/json' \
			--data-binary @"$5" -w '%{http_code} %{time_total}\n' -K "$cfg"
	else
		curl -s --unix-socket "$s" -X "$m" -w '%{http_code} %{time_total}\n' -K "$cfg"
	fi
}
ROUNDS=6
for r in $(seq "$ROUNDS"); do
	for path in direct proxy; do
		s=$DS
		[ "$path" = proxy ] && s=$PS
		calls "$s" 3 GET "/$API/containers/json" >/dev/null
		calls "$s" $((API_CALLS / ROUNDS)) GET "/$API/containers/json" >>"$D/api-list-$path"
		calls "$s" $((API_CALLS / ROUNDS)) POST "/$API/containers/create" "$D/create.json" \
			>>"$D/api-create-$path"
		prune
	done
done

# "mean p50 n" of a file of milliseconds
stats() { sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END {
	if (NR == 0) { print "0 0 0"; exit } printf "%.3f %.3f %d\n", s / NR, v[int((NR - 1) / 2) + 1], NR }'; }
for f in "$D"/api-*; do awk '{ print $2 * 1000 }' "$f" >"$f.ms"; done
line() { # LABEL DIRECT-FILE PROXY-FILE
	local dm dp pm pp n
	read -r dm dp n < <(stats "$2")
	read -r pm pp _ < <(stats "$3")
	awk -v l="$1" -v dm="$dm" -v dp="$dp" -v pm="$pm" -v pp="$pp" -v n="$n" 'BEGIN {
		r = pp / dp; a = pp - dp;
		printf "  %-30s %4d %8.3f %8.3f %8.3f %8.3f  %6.3f %+7.3f %+7.3f  %s\n", l, n, dm, dp, pm,
			pp, r, a, pm - dm, (r <= 1.10 && a <= 0.3 ? "met" : "MISSED") }'
}
echo "real dockerd $(dockerd --version | awk '{print $3}' | tr -d ,) (vfs, --bridge=none) with lockset as its"
echo "authorization plugin; the docker CLI $("$DOCKER" version -f '{{.Client.Version}}' 2>/dev/null)"
echo "straight to dockerd's socket, and through lockset's --docker-proxy; interleaved; times in ms;"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work shares them)"
echo "(ratio and added: of the medians, which the shared machine's noise moves least; the"
echo "mean's difference next to them; target: ratio <= 1.10 and <= 0.3 ms added)"
printf '  %-30s %4s %8s %8s %8s %8s  %6s %7s %7s\n' "" runs direct p50 proxy p50 ratio added \
	"(mean)"
line "docker ps (CLI)" "$D/cli-ps-direct" "$D/cli-ps-proxy"
line "docker create (CLI)" "$D/cli-create-direct" "$D/cli-create-proxy"
line "GET /containers/json (API)" "$D/api-list-direct.ms" "$D/api-list-proxy.ms"
line "POST /containers/create (API)" "$D/api-create-direct.ms" "$D/api-create-proxy.ms"
errors=$(cat "$D/errors" 2>/dev/null | wc -l)
bad=$(cat "$D"/api-list-direct "$D"/api-list-proxy "$D"/api-create-direct \
	"$D"/api-create-proxy | awk '$1 != 200 && $1 != 201' | wc -l)
echo "  errors: $errors CLI runs, $bad API calls"
