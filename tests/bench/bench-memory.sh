#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): locksetd's memory with many connections open.
#  1. RSS with 1,000 idle keep-alive connections to the loopback REST port,
#     each after one answered GET /v1/health (target: at most 32 MiB).
#  2. RSS with 10,000 long-poll waiters on GET /v1/settings (If-None-Match:
#     the current ETag, ?wait=300), spread over three Unix listeners, since
#     one listener takes 4,096 connections (target: at most 64 MiB); then
#     the same waiters held by libmicrohttpd alone (tests/tools/waitfloor),
#     the reference: what the library costs before lockset adds anything.
# tests/tools/holdconns holds the connections; the daemon's open descriptors
# are counted as well, so a connection the daemon refused is not counted as
# held (all of them come from one peer, whose cap is raised to hold them).
# The start-up time with a 1-million-row audit log is in
# bench-audit.sh, which builds that log. Prints each figure next to its
# target and the ratio, the cost of one connection above the idle RSS, and
# how much of the RSS is anonymous memory and how much mapped files (the
# binary and its libraries), and the PSS (shared pages counted in part);
# never fails on a number.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${LOCKSET_BUILDDIR:=$SRC}"
: "${LOCKSETD:=$LOCKSET_BUILDDIR/daemon/locksetd}"
IDLE=${BENCH_IDLE_CONNS:-1000}
WAITERS=${BENCH_WAITERS:-10000}
HOLD=$LOCKSET_BUILDDIR/tests/tools/holdconns
FLOORBIN=$LOCKSET_BUILDDIR/tests/tools/waitfloor
# BENCH_DAEMON_ARGS: more locksetd options (to compare settings)
command -v curl >/dev/null || { echo "bench-memory: curl not installed"; exit 77; }
if [ ! -x "$HOLD" ] || [ ! -x "$FLOORBIN" ]; then
	make -s -C "$LOCKSET_BUILDDIR" tests/tools/holdconns tests/tools/waitfloor >/dev/null ||
		{ echo "bench-memory: cannot build tests/tools/holdconns"; exit 77; }
fi
# One descriptor per connection on both sides, and some to spare.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)

D=$(mktemp -d /tmp/lockset-bench-mem.XXXXXX)
PID= HPID=
cleanup() {
	[ -n "$HPID" ] && { kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null; }
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D/etc"
chmod 755 "$D/etc"
cp "$SRC/schema/examples/admin-settings.json" "$D/etc/admin-settings.json"
chmod 644 "$D/etc/admin-settings.json"
PORT=$(((RANDOM % 20000) + 30000))

start() {
	"$LOCKSETD" --settings "$D/etc/admin-settings.json" --state-dir "$D/state" \
		--listen "unix:$D/a.sock" --listen "unix:$D/b.sock" --listen "unix:$D/c.sock" \
		--listen "127.0.0.1:$PORT" --authz-socket "" --foreground --log-level warn \
		--role-map "uid:$(id -u)=admin" --max-connections-per-peer "$((IDLE + WAITERS))" \
		${BENCH_DAEMON_ARGS:-} 2>>"$D/daemon.log" &
	PID=$!
	for _ in $(seq 100); do
		curl -sf --unix-socket "$D/a.sock" -o /dev/null http://l/v1/health && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-memory: the daemon did not start"; cat "$D/daemon.log"; exit 1
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
# RSS split: anonymous memory (heap, malloc arenas, stacks) and mapped files
# (the binary and its libraries, shared with other processes but counted).
rss_split() { awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
	END { printf "anon %.1f MiB, files %.1f MiB", a / 1024, f / 1024 }' "/proc/$PID/status"; }
# PSS: the RSS with each page shared with other processes counted in part
# (the libraries' pages mostly), what the process adds to the machine.
pss() { awk '/^Pss_Anon/ { a = $2 } /^Pss_File/ { f = $2 } /^Pss:/ { p = $2 }
	END { printf "PSS %.1f MiB (anon %.1f MiB, files %.1f MiB)", p / 1024, a / 1024, f / 1024 }' \
	"/proc/$PID/smaps_rollup" 2>/dev/null; }
nfds() { find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# hold ARGS...: start holdconns, wait (60 s at most) for its report line.
hold() {
	: >"$D/hold.out"
	"$HOLD" "$@" <"$D/fifo" >"$D/hold.out" 2>&1 &
	HPID=$!
	exec 3>"$D/fifo" # holdconns keeps its connections while this stays open
	for _ in $(seq 600); do
		grep -q '^held=' "$D/hold.out" && return 0
		kill -0 "$HPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-memory: holdconns did not report:"; cat "$D/hold.out"
	return 1
}
release() { exec 3>&-; wait "$HPID" 2>/dev/null; HPID=; }
mkfifo "$D/fifo"

report() { # label held daemon-fds rss-before rss target-mib
	awk -v l="$1" -v h="$2" -v f="$3" -v b="$4" -v r="$5" -v t="$6" 'BEGIN {
		printf "  %-36s held %6d (daemon fds +%d)  RSS %6.1f MiB (idle %.1f MiB)  target <= %d MiB  %.2f x  %s\n",
			l, h, f, r / 1024, b / 1024, t, r / 1024 / t, (r / 1024 <= t ? "met" : "MISSED")
		if (h > 0)
			printf "  %-36s %.2f KiB a connection above idle\n", "", (r - b) / h }'
	echo "  $(printf '%-36s' '') idle: $IDLE_SPLIT; held: $(rss_split)"
	echo "  $(printf '%-36s' '') held: $(pss)"
}

echo "locksetd RSS with many connections open; descriptors allowed: $NOFILE; $(nproc) cores"
start
F0=$(nfds)
R0=$(rss_kib)
IDLE_SPLIT=$(rss_split)
if hold -n "$IDLE" -a "127.0.0.1:$PORT" -r /v1/health; then
	HELD=$(sed -n 's/^held=\([0-9]*\).*/\1/p' "$D/hold.out")
	report "$IDLE idle keep-alive (loopback TCP)" "$HELD" $(($(nfds) - F0)) "$R0" "$(rss_kib)" 32
	release
fi
stop

start
ETAG=$(curl -sI --unix-socket "$D/a.sock" http://l/v1/settings | tr -d '\r' |
	awk -F': ' 'tolower($1) == "etag" { print $2 }')
F0=$(nfds)
R0=$(rss_kib)
IDLE_SPLIT=$(rss_split)
if hold -n "$WAITERS" -u "$D/a.sock" -u "$D/b.sock" -u "$D/c.sock" \
	-H "If-None-Match: $ETAG" "/v1/settings?wait=300"; then
	HELD=$(sed -n 's/^held=\([0-9]*\).*/\1/p' "$D/hold.out")
	L_RSS=$(rss_kib) L_HELD=$HELD L_IDLE=$R0
	report "$WAITERS long-poll waiters (3 Unix sockets)" "$HELD" $(($(nfds) - F0)) "$R0" \
		"$L_RSS" 64
	sed -n 's/^held=[0-9]* \(.*\)/  (holdconns: \1)/p' "$D/hold.out"
	release
fi
stop

# The reference: libmicrohttpd alone (tests/tools/waitfloor) in locksetd's
# threading mode, with the pool locksetd gives a REST listener at the default
# limits (the larger of --max-url and --max-headers, 8 KiB, plus 4 KiB), and
# one worker per core on each of three sockets, holding the same waiters.
# Above it is lockset's own cost: its process at idle (libraries, policy,
# audit log, threads) and what it keeps for each waiter.
if [ -n "${L_RSS:-}" ] && [ -x "$FLOORBIN" ]; then
	"$FLOORBIN" 12288 "$(nproc)" "$D/fa.sock" "$D/fb.sock" "$D/fc.sock" 2>>"$D/daemon.log" &
	PID=$!
	for _ in $(seq 100); do
		[ -S "$D/fa.sock" ] && [ -S "$D/fb.sock" ] && [ -S "$D/fc.sock" ] && break
		sleep 0.1
	done
	R0=$(rss_kib)
	if hold -n "$WAITERS" -u "$D/fa.sock" -u "$D/fb.sock" -u "$D/fc.sock" \
		-H 'If-None-Match: "x"' "/v1/settings?wait=300"; then
		HELD=$(sed -n 's/^held=\([0-9]*\).*/\1/p' "$D/hold.out")
		awk -v h="$HELD" -v b="$R0" -v r="$(rss_kib)" -v lr="$L_RSS" -v lh="$L_HELD" \
			-v li="$L_IDLE" 'BEGIN {
			printf "  %-36s held %6d  RSS %6.1f MiB (idle %.1f MiB)  locksetd / floor %.2f x\n",
				"libmicrohttpd alone (waitfloor)", h, r / 1024, b / 1024, lr / r
			if (h > 0 && lh > 0)
				printf "  %-36s %.2f KiB a connection; locksetd adds %.2f KiB a waiter (%.1f MiB) and %.1f MiB at idle; the 64 MiB target leaves it %.1f MiB\n",
					"", (r - b) / h, (lr - li) / lh - (r - b) / h,
					((lr - li) / lh - (r - b) / h) * lh / 1024, (li - b) / 1024, 64 - r / 1024 }'
		echo "  $(printf '%-36s' '') held: $(pss)"
		release
	fi
	stop
fi
