# SPDX-License-Identifier: Apache-2.0
# Shared by the benchmarks that run a real dockerd (sourced, not run):
# stopping what they started, by pid, and a stock dockerd (vfs storage, no
# bridge, no iptables, its own roots) started with or without an
# authorization plugin.

# stop_pid PID [SECONDS]: TERM, then KILL after SECONDS (5) if still there.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq $((${2:-5} * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# bench_dockerd DIR SOCKET [PLUGIN]: start dockerd in the background, its
# roots, pid file and log (dockerd.log) under DIR, its API on SOCKET, with
# PLUGIN as its authorization plugin when given; its pid in DOCKERD_PID.
bench_dockerd() {
	local auth=()
	[ -n "${3:-}" ] && auth=(--authorization-plugin="$3")
	dockerd --storage-driver=vfs --bridge=none --iptables=false --ip-masq=false \
		--data-root "$1/data" --exec-root "$1/exec" --pidfile "$1/docker.pid" \
		--host "unix://$2" "${auth[@]}" >>"$1/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
}

# bench_dockerd_ready SOCKET: wait (30 s at most) until it answers; 1 if not.
bench_dockerd_ready() {
	for _ in $(seq 150); do
		curl -sf --unix-socket "$1" -o /dev/null "http://d/_ping" && return 0
		sleep 0.2
	done
	return 1
}

# bench_setup NAME COMMAND...: what a benchmark with one dockerd and lockset
# as its plugin needs: root and the commands (exit 77 without them), DOCKER
# (the CLI), D (a fresh directory, removed at exit), LNAME and LSOCK (the
# plugin's name and socket), DS (dockerd's API socket), and a cleanup at exit
# that stops DOCKERD_PID and LPID (lockset) when set.
bench_setup() {
	local name=$1 c
	shift
	[ "$(id -u)" = 0 ] || { echo "$name: needs root (dockerd)"; exit 77; }
	for c in dockerd docker curl "$@"; do
		command -v "$c" >/dev/null || { echo "$name: $c not installed"; exit 77; }
	done
	DOCKER=/usr/bin/docker
	[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
	D=$(mktemp -d /tmp/lockset-bench.XXXXXX)
	chmod 755 "$D"
	mkdir -p /run/docker/plugins
	LNAME=lockset-$name-$$
	LSOCK=/run/docker/plugins/$LNAME.sock
	DS=$D/docker.sock
	LPID=
	DOCKERD_PID=
	trap bench_cleanup EXIT
}
bench_cleanup() {
	[ -n "$DOCKERD_PID" ] && stop_pid "$DOCKERD_PID" 20
	[ -n "$LPID" ] && stop_pid "$LPID"
	rm -f "$LSOCK"
	rm -rf "$D"
}
