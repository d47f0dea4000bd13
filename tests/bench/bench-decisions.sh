#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): the authorization plugin.
#  1. AuthZReq over the Unix socket: p50/p99 latency and decisions/s at 1 and
#     16 clients (tests/tools/loadgen, closed loop, keep-alive), sending the
#     container-create bodies recorded from the docker CLI in
#     tests/cases/decisions, side by side with the same generator against
#     tests/tools/allowall (a libmicrohttpd plugin that allows everything
#     unread: the round-trip floor) twice: keeping its connections (the
#     floor the targets are stated against) and with "Connection: close"
#     after each reply (allowall -c), the protocol locksetd's plugin socket
#     speaks (one request per connection: see http.c, close_after_reply), so
#     that the second ratio compares like with like.
#  2. Four real stock dockerds at once (vfs, no bridge, no iptables, each
#     with its own roots and API socket): no plugin, lockset, allowall and
#     allowall -c as --authorization-plugin. The time of 200 POST
#     /containers/create and 300 GET /containers/json through each one's API
#     socket (curl, one connection per block of calls), the blocks taken in
#     turn from each dockerd, so that a machine busier at one moment slows
#     all four alike.
# Prints the figures next to their reference and the ratio; never fails on a
# number. Root is needed for part 2 (and for /run/docker/plugins).
set -u
: "${LOCKSETD:=$(cd "$(dirname "$0")/../.." && pwd)/daemon/locksetd}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${LOCKSET_BUILDDIR:=$(cd "$(dirname "$LOCKSETD")/.." && pwd)}"
DURATION=${BENCH_DURATION:-5}     # seconds per generator run (after 1 s warm-up)
DENY_EVERY=${BENCH_DENY_EVERY:-10} # the realistic mix: 1 request in 10 denied
# BENCH_LOADGEN=0 skips part 1, BENCH_DOCKER=0 part 2
CREATES=${BENCH_CREATES:-200}
LISTS=${BENCH_LISTS:-300}
BLOCK=${BENCH_BLOCK:-10}           # creates in a row on one dockerd before the next one's turn
# BENCH_DAEMON_ARGS: more locksetd options (to compare settings)
API=v1.41
GEN=$LOCKSET_BUILDDIR/tests/tools/loadgen
FLOOR=$LOCKSET_BUILDDIR/tests/tools/allowall

for c in curl base64 awk sort jq; do
	command -v "$c" >/dev/null || { echo "bench-decisions: $c not installed"; exit 77; }
done
if [ ! -x "$GEN" ] || [ ! -x "$FLOOR" ]; then
	make -C "$LOCKSET_BUILDDIR" tests/tools/loadgen tests/tools/allowall >/dev/null ||
		{ echo "bench-decisions: cannot build tests/tools/loadgen and allowall"; exit 77; }
fi

D=$(mktemp -d /tmp/lockset-bench.XXXXXX)
chmod 755 "$D"
PIDS=
DOCKERD_PIDS=
SOCKS=
. "$(dirname "$0")/lib-dockerd.sh"
dockerds_stop() {
	for p in $DOCKERD_PIDS; do stop_pid "$p" 20; done
	DOCKERD_PIDS=
}
cleanup() {
	dockerds_stop
	for p in $PIDS; do stop_pid "$p"; done
	for s in $SOCKS; do rm -f "$s"; done
	rm -rf "$D"
}
trap cleanup EXIT

# Plugin sockets: where dockerd looks for them when we are root.
if [ "$(id -u)" = 0 ]; then
	mkdir -p /run/docker/plugins
	PLUGDIR=/run/docker/plugins
else
	PLUGDIR=$D
fi
LNAME=lockset-bench-$$
ANAME=allowall-bench-$$
CNAME=allowall-close-bench-$$
LSOCK=$PLUGDIR/$LNAME.sock
ASOCK=$PLUGDIR/$ANAME.sock
CSOCK=$PLUGDIR/$CNAME.sock
SOCKS="$LSOCK $ASOCK $CSOCK"

# ---------------------------------------------------------------------------
# locksetd on tests/e2e/policy.json (ECI, shares $HOME and $TMP, denied flags)
mkdir -p "$D/etc" "$D/home/project" "$D/tmp" "$D/env"
chmod 755 "$D/etc"
# ECI on but not locked: locked on, it needs an engine that runs containers in
# user namespaces, and the generator plays dockerd here with no engine behind.
jq '.enhancedContainerIsolation.locked = false' "$SRC/tests/e2e/policy.json" \
	>"$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
HOME="$D/home" TMP="$D/tmp" "$LOCKSETD" --settings "$D/etc/admin-settings.json" \
	--state-dir "$D/state" --listen "unix:$D/api.sock" --authz-socket "$LSOCK" \
	--foreground --log-level warn ${BENCH_DAEMON_ARGS:-} 2>"$D/locksetd.log" &
LPID=$!; PIDS="$PIDS $LPID"
"$FLOOR" "$ASOCK" 2>"$D/allowall.log" &
APID=$!; PIDS="$PIDS $APID"
"$FLOOR" -c "$CSOCK" 2>"$D/allowall-close.log" &
CPID=$!; PIDS="$PIDS $CPID"
for _ in $(seq 100); do
	[ -S "$LSOCK" ] && [ -S "$ASOCK" ] && [ -S "$CSOCK" ] &&
		curl -sf --unix-socket "$D/api.sock" -o /dev/null http://l/v1/health && break
	sleep 0.1
done
curl -sf --unix-socket "$LSOCK" -o /dev/null -X POST http://p/Plugin.Activate ||
	{ echo "bench-decisions: locksetd did not start:"; cat "$D/locksetd.log"; exit 1; }

# AuthZReq envelopes, as dockerd builds them, from every recorded create body.
n=0
for f in "$SRC"/tests/cases/decisions/rec-*.case; do
	grep -qx 'uri: /v1.41/containers/create' "$f" || continue
	n=$((n + 1))
	sed '1,/^body:$/d' "$f" >"$D/body"
	printf '{"User":"","UserAuthNMethod":"","RequestMethod":"POST","RequestUri":"/%s/containers/create","RequestBody":"%s","RequestHeaders":{"Content-Length":"%s","Content-Type":"application/json","User-Agent":"Docker-Client/28.2.2 (linux)"}}' \
		"$API" "$(base64 -w0 <"$D/body")" "$(stat -c %s "$D/body")" >"$D/env/$n.json"
done
ALLOWED=() DENIED=()
for e in "$D"/env/*.json; do
	if curl -sf --unix-socket "$LSOCK" -X POST --data-binary @"$e" \
		http://p/AuthZPlugin.AuthZReq | grep -q '"Allow": *true'; then
		ALLOWED+=("$e")
	else
		DENIED+=("$e")
	fi
done
CORPUS=("${ALLOWED[@]}" "${DENIED[@]}")
# The realistic mix: one request in DENY_EVERY denied, the rest allowed.
MIX=()
for i in $(seq 0 $((20 * DENY_EVERY - 1))); do
	if [ $((i % DENY_EVERY)) = 0 ]; then
		MIX+=("${DENIED[$((i / DENY_EVERY % ${#DENIED[@]}))]}")
	else
		MIX+=("${ALLOWED[$((i % ${#ALLOWED[@]}))]}")
	fi
done
[ "${#ALLOWED[@]}" -gt 0 ] && [ "${#DENIED[@]}" -gt 0 ] ||
	{ echo "bench-decisions: corpus gave ${#ALLOWED[@]} allowed, ${#DENIED[@]} denied"; exit 1; }

# CPU time of a process (all its threads) so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
gen() { # SOCKET SERVER-PID CONNS FILES... -> "rps p50_ms p99_ms errors server_us_per_request"
	local s=$1 pid=$2 c=$3; shift 3
	local bodies=() f t0 t1 out
	for f in "$@"; do bodies+=(-b "$f"); done
	t0=$(ticks "$pid")
	out=$("$GEN" -u "$s" -c "$c" -d "$DURATION" -w 1 -H 'Content-Type: application/json' \
		"${bodies[@]}" /AuthZPlugin.AuthZReq)
	t1=$(ticks "$pid")
	echo "$out" | awk -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" -v d="$DURATION" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		# The warm-up second is in the ticks too: count its requests at the measured rate.
		printf "%s %.3f %.3f %s %.1f\n", v["rps"], v["p50_ms"], v["p99_ms"], v["errors"] + v["non2xx"],
			(v["rps"] > 0 ? (t1 - t0) / hz * 1e6 / (v["rps"] * (d + 1)) : 0) }'
}

if [ "${BENCH_LOADGEN:-1}" = 0 ]; then
	echo "generator part skipped (BENCH_LOADGEN=0)"
else
echo "AuthZReq over the Unix socket: tests/tools/loadgen, closed loop, reconnecting"
echo "whenever the server says Connection: close; ${DURATION}s per run after 1s warm-up;"
echo "generator and servers share $(nproc) cores."
echo "bodies: the ${#CORPUS[@]} container-create bodies recorded from the docker CLI in"
echo "tests/cases/decisions; tests/e2e/policy.json allows ${#ALLOWED[@]} and denies ${#DENIED[@]} (each deny"
echo "is an audit row, committed with fsync before the answer). 'mix' sends 1 denied body in"
echo "$DENY_EVERY, 'allow-only' only allowed bodies, 'corpus' every recorded body equally often."
echo "'cpu us' is the server's CPU time (all threads, user and system) per request: what a"
echo "busy shared machine changes least."
echo "Floors: 'keep-alive' is allowall keeping its connections (the reference the targets"
echo "are stated against); 'close' is allowall -c, one request per connection like"
echo "locksetd's plugin socket (every request pays a connect, accept and close)."
echo "ratio = lockset / floor, for dec/s and for p99."
printf '  %-26s | %-27s | %-27s | %-27s | %-11s | %-11s\n' "" lockset "floor: keep-alive" \
	"floor: close" "vs keep" "vs close"
HDR='  %-22s %-3s | %7s %6s %6s %5s | %7s %6s %6s %5s | %7s %6s %6s %5s | %5s %5s | %5s %5s\n'
printf "$HDR" bodies c "dec/s" p50ms p99ms cpuus "req/s" p50ms p99ms cpuus "req/s" p50ms \
	p99ms cpuus dec/s p99 dec/s p99
TARGET_LINE=
for set in mix allow corpus; do
	case $set in
	mix) FILES=("${MIX[@]}"); label="mix ($((100 / DENY_EVERY))% denied)" ;;
	allow) FILES=("${ALLOWED[@]}"); label="allow-only" ;;
	corpus) FILES=("${CORPUS[@]}"); label="corpus ($((100 * ${#DENIED[@]} / ${#CORPUS[@]}))% denied)" ;;
	esac
	for c in 1 16; do
		read -r lr l50 l99 le lcpu < <(gen "$LSOCK" "$LPID" "$c" "${FILES[@]}")
		read -r ar a50 a99 ae acpu < <(gen "$ASOCK" "$APID" "$c" "${FILES[@]}")
		read -r cr c50 c99 ce ccpu < <(gen "$CSOCK" "$CPID" "$c" "${FILES[@]}")
		awk -v lab="$label" -v c="$c" -v lr="$lr" -v l50="$l50" -v l99="$l99" -v le="$le" \
			-v lc="$lcpu" -v ar="$ar" -v a50="$a50" -v a99="$a99" -v ae="$ae" -v ac="$acpu" \
			-v cr="$cr" -v c50="$c50" -v c99="$c99" -v ce="$ce" -v cc="$ccpu" 'BEGIN {
			printf "  %-22s %-3s | %7.0f %6.3f %6.3f %5.1f | %7.0f %6.3f %6.3f %5.1f | %7.0f %6.3f %6.3f %5.1f | %5.2f %5.2f | %5.2f %5.2f%s\n",
				lab, c, lr, l50, l99, lc, ar, a50, a99, ac, cr, c50, c99, cc,
				(ar > 0 ? lr / ar : 0), (a99 > 0 ? l99 / a99 : 0),
				(cr > 0 ? lr / cr : 0), (c99 > 0 ? l99 / c99 : 0),
				(le + ae + ce > 0 ? sprintf("  (errors: lockset %d, keep-alive %d, close %d)", le, ae, ce) : "") }'
		if [ "$c" = 16 ] && [ "$set" != corpus ]; then
			TARGET_LINE="$TARGET_LINE$(awk -v lab="$label" -v lr="$lr" -v l99="$l99" \
				-v ar="$ar" -v a99="$a99" -v cr="$cr" -v c99="$c99" 'BEGIN {
				r = (ar > 0 ? lr / ar : 0); p = (a99 > 0 ? l99 / a99 : 0);
				printf "  targets at 16 clients, %s, against the keep-alive floor: %.2f x its dec/s (>= 0.6: %s), p99 %.2f x its p99 (<= 2: %s)\n",
					lab, r, (r >= 0.6 ? "met" : "MISSED"), p, (p <= 2 ? "met" : "MISSED");
				r = (cr > 0 ? lr / cr : 0); p = (c99 > 0 ? l99 / c99 : 0);
				printf "  the same against the close floor (same protocol): %.2f x its dec/s (>= 0.6: %s), p99 %.2f x its p99 (<= 2: %s)\n",
					r, (r >= 0.6 ? "met" : "MISSED"), p, (p <= 2 ? "met" : "MISSED") }')
"
		fi
	done
done
printf '%s' "$TARGET_LINE"
fi

# ---------------------------------------------------------------------------
# Part 2: a real dockerd
echo
if [ "${BENCH_DOCKER:-1}" = 0 ]; then
	echo "dockerd part skipped (BENCH_DOCKER=0)"
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null || ! command -v tar >/dev/null; then
	echo "dockerd part skipped: needs root, dockerd and tar"
	exit 0
fi
mkdir -p "$D/rootfs/bin"
echo "lockset bench" >"$D/rootfs/README"
tar -C "$D/rootfs" -cf "$D/rootfs.tar" .
# The create body: the CLI's own `docker create` body, with the local image.
sed '1,/^body:$/d' "$SRC/tests/cases/decisions/rec-allow-alpine.case" |
	sed 's/"Image":"alpine:3.20"/"Image":"lockset-bench:latest"/' >"$D/create.json"
grep -q lockset-bench "$D/create.json" || { echo "bench-decisions: no create body"; exit 1; }

CASES="none lockset allowall allowall-c"
declare -A PLUGIN=([none]="" [lockset]="$LNAME" [allowall]="$ANAME" [allowall-c]="$CNAME")
dsock() { echo "$D/dk/$1.sock"; }
dockerd_start() { # CASE [bare: without its plugin]
	local r=$D/dk/$1 auth=()
	mkdir -p "$r"
	[ -n "${PLUGIN[$1]}" ] && [ "${2:-}" != bare ] && auth=(--authorization-plugin="${PLUGIN[$1]}")
	dockerd --storage-driver=vfs --bridge=none --iptables=false --ip-masq=false \
		--data-root "$r/data" --exec-root "$r/exec" --pidfile "$r/docker.pid" \
		--host "unix://$(dsock "$1")" "${auth[@]}" >>"$D/dockerd-$1.log" 2>&1 &
	DOCKERD_PIDS="$DOCKERD_PIDS $!"
}
dockerd_ready() { # CASE
	for _ in $(seq 300); do
		curl -sf --unix-socket "$(dsock "$1")" -o /dev/null "http://d/_ping" && return 0
		sleep 0.2
	done
	echo "dockerd part skipped: dockerd ($1) could not start here:"
	tail -n 5 "$D/dockerd-$1.log"
	return 1
}
prune() { curl -sf --unix-socket "$(dsock "$1")" -o /dev/null -X POST "http://d/$API/containers/prune"; }
# N calls on one connection; one line per call: "http_code seconds".
calls() { # CASE N METHOD PATH [BODY-FILE] >TIMES
	local s n=$2 m=$3 p=$4 cfg=$D/curl.cfg
	s=$(dsock "$1")
	: >"$cfg"
	for _ in $(seq "$n"); do printf 'url = "http://d%s"\noutput = "/dev/null"\n' "$p" >>"$cfg"; done
	if [ -n "${5:-}" ]; then
		curl -s --unix-socket "$s" -X "$m" -H 'Content-Type: application/json' \
			--data-binary @"$5" -w '%{http_code} %{time_total}\n' -K "$cfg"
	else
		curl -s --unix-socket "$s" -X "$m" -w '%{http_code} %{time_total}\n' -K "$cfg"
	fi
}
# "mean p50 p99 count" in ms from calls' output on stdin.
stats() {
	awk '{ print $2 * 1000 }' | sort -n | awk '{ v[NR] = $1; s += $1 } END {
		if (NR == 0) { print "0 0 0 0"; exit }
		printf "%.3f %.3f %.3f %d\n", s / NR, v[int((NR - 1) * 0.50) + 1],
			v[int((NR - 1) * 0.99) + 1], NR }'
}
# The mean of a block's times, in ms.
block_mean() { awk '{ s += $2 } END { printf "%.4f\n", NR ? s * 1000 / NR : 0 }'; }

# The image goes in with no plugin in the way (the policy blocks imports).
for c in $CASES; do dockerd_start "$c" bare; done
for c in $CASES; do
	dockerd_ready "$c" || exit 0
	curl -sf --unix-socket "$(dsock "$c")" -o /dev/null -X POST \
		-H 'Content-Type: application/x-tar' --data-binary @"$D/rootfs.tar" \
		"http://d/$API/images/create?fromSrc=-&repo=lockset-bench&tag=latest" ||
		{ echo "dockerd part skipped: docker import failed"; exit 0; }
done
dockerds_stop
for c in $CASES; do dockerd_start "$c"; done
for c in $CASES; do
	dockerd_ready "$c" || exit 0
	# Warm up (the plugin is activated on the first call).
	calls "$c" 5 POST "/$API/containers/create" "$D/create.json" >/dev/null
	calls "$c" 5 GET "/$API/containers/json" >/dev/null
	prune "$c"
done
# Blocks: BLOCK creates on each dockerd in turn, then the lists likewise,
# then prune; the order of the dockerds turns by one every block.
NBLOCKS=$(((CREATES + BLOCK - 1) / BLOCK))
LBLOCK=$(((LISTS + NBLOCKS - 1) / NBLOCKS))
read -r -a ORDER <<<"$CASES"
for b in $(seq 0 $((NBLOCKS - 1))); do
	turn=()
	for i in 0 1 2 3; do turn+=("${ORDER[$(((i + b) % 4))]}"); done
	for c in "${turn[@]}"; do
		calls "$c" "$BLOCK" POST "/$API/containers/create" "$D/create.json" >"$D/block"
		cat "$D/block" >>"$D/create-$c.times"
		block_mean <"$D/block" >>"$D/create-$c.blocks"
	done
	for c in "${turn[@]}"; do
		calls "$c" "$LBLOCK" GET "/$API/containers/json" >"$D/block"
		cat "$D/block" >>"$D/list-$c.times"
		block_mean <"$D/block" >>"$D/list-$c.blocks"
	done
	for c in "${turn[@]}"; do prune "$c"; done
done
# The median over blocks of lockset's block mean over another's, same block.
block_ratio() { # KIND OTHER
	paste "$D/$1-lockset.blocks" "$D/$1-$2.blocks" | awk '$2 > 0 { print $1 / $2 }' |
		sort -n | awk '{ v[NR] = $1 } END { printf "%.3f\n", NR ? v[int((NR - 1) / 2) + 1] : 0 }'
}
declare -A CM C50 C99 LM L50 L99 ERR
for name in $CASES; do
	ERR[$name]="$(awk '$1 != 201' "$D/create-$name.times" | wc -l)/$(awk '$1 != 200' "$D/list-$name.times" | wc -l)"
	read -r CM[$name] C50[$name] C99[$name] _ < <(stats <"$D/create-$name.times")
	read -r LM[$name] L50[$name] L99[$name] _ < <(stats <"$D/list-$name.times")
done

echo "four real dockerds $(dockerd --version | awk '{print $3}' | tr -d ,) at once (vfs, --bridge=none), each"
echo "with its own API socket: no plugin, lockset, allow-all keeping its connections,"
echo "allow-all closing each (allowall -c). $NBLOCKS blocks; in each, $BLOCK x POST"
echo "/$API/containers/create on every dockerd in turn (the CLI's body for 'docker create"
echo "alpine echo hi', image from a local tarball; allowed: no audit row), then $LBLOCK x GET"
echo "/$API/containers/json (docker ps: no container runs, so []); curl, one connection"
echo "per block of calls; times in ms"
printf '  %-10s %9s %9s %9s   %9s %9s %9s   %s\n' plugin "create" p50 p99 "list" p50 p99 \
	"errors (create/list)"
for name in $CASES; do
	printf '  %-10s %9.3f %9.3f %9.3f   %9.3f %9.3f %9.3f   %s\n' "$name" "${CM[$name]}" \
		"${C50[$name]}" "${C99[$name]}" "${LM[$name]}" "${L50[$name]}" "${L99[$name]}" \
		"${ERR[$name]}"
done
echo "  median over blocks of lockset's block mean / the other's in the same block:"
echo "    allow-all: create $(block_ratio create allowall), list $(block_ratio list allowall);" \
	"allow-all -c: create $(block_ratio create allowall-c), list $(block_ratio list allowall-c);" \
	"no plugin: create $(block_ratio create none), list $(block_ratio list none)"
awk -v cn="${CM[none]}" -v cl="${CM[lockset]}" -v ca="${CM[allowall]}" -v ln="${LM[none]}" \
	-v ll="${LM[lockset]}" -v la="${LM[allowall]}" -v c50l="${C50[lockset]}" \
	-v c50a="${C50[allowall]}" -v l50l="${L50[lockset]}" -v l50a="${L50[allowall]}" \
	-v cc="${CM[allowall-c]}" -v lc="${LM[allowall-c]}" -v c50c="${C50[allowall-c]}" \
	-v l50c="${L50[allowall-c]}" 'BEGIN {
	printf "  mean ratio lockset/allow-all: create %.3f, list %.3f (target <= 1.03 on both: %s)\n",
		cl / ca, ll / la, (cl / ca <= 1.03 && ll / la <= 1.03 ? "met" : "MISSED");
	printf "  median ratio lockset/allow-all: create %.3f, list %.3f (a busy machine moves the means)\n",
		c50l / c50a, l50l / l50a;
	printf "  mean ratio lockset/allow-all -c (same protocol): create %.3f, list %.3f (<= 1.03: %s)\n",
		cl / cc, ll / lc, (cl / cc <= 1.03 && ll / lc <= 1.03 ? "met" : "MISSED");
	printf "  median ratio lockset/allow-all -c: create %.3f, list %.3f\n", c50l / c50c, l50l / l50c;
	printf "  mean ratio lockset/no plugin: create %.3f, list %.3f\n", cl / cn, ll / ln;
	printf "  added per call over no plugin: lockset %+.3f / %+.3f ms, allow-all %+.3f / %+.3f ms (create / list)\n",
		cl - cn, ll - ln, ca - cn, la - ln }'
