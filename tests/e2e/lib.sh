# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the end-to-end tests: a stock dockerd (vfs storage, no
# bridge, no iptables, its own data and exec roots under $T) started and
# stopped by pid, with or without lockset as its authorization plugin, the
# docker CLI against it, and a tiny local image with a static /bin/true
# (imported from a tarball: no registry is ever reached).
# Usage: . "$LOCKSET_SRCDIR/tests/api/lib.sh"; . "$LOCKSET_SRCDIR/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: dockerd needs root"; exit 77; }
need dockerd sqlite3 tar
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker) || { echo "SKIP: no docker client"; exit 77; }

PLUGIN="lockset-e2e-$$"
PLUGIN_SOCK="/run/docker/plugins/$PLUGIN.sock"
E2E_SOCKS= # more plugin sockets a test makes (a volume plugin): removed at exit
DROOT="$T/docker"
DOCKER_SOCK="$DROOT/docker.sock"
DOCKERD_PID=
mkdir -p "$DROOT"

dk() { "$DOCKER" -H "unix://$DOCKER_SOCK" "$@"; }

dockerd_stop() {
	[ -n "$DOCKERD_PID" ] || return 0
	kill -TERM "$DOCKERD_PID" 2>/dev/null
	wait_until 15 gone "$DOCKERD_PID"
	kill -KILL "$DOCKERD_PID" 2>/dev/null
	wait "$DOCKERD_PID" 2>/dev/null
	DOCKERD_PID=
}

e2e_cleanup() {
	dockerd_stop
	rm -f "$PLUGIN_SOCK" ${E2E_SOCKS:-}
	# What a dockerd that died midway left mounted under the test's
	# directory (its data root, under --userns-remap), deepest first, so
	# that the directory can be removed.
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	cleanup
}
trap e2e_cleanup EXIT

# dockerd_start [plugin|noplugin] [dockerd-args...]: start dockerd (with
# lockset as its authorization plugin unless told otherwise) and wait until
# it answers. Exits 77 when dockerd cannot run here at all.
dockerd_start() {
	local authz=--authorization-plugin="$PLUGIN"
	[ "${1:-plugin}" = noplugin ] && authz=
	[ $# -gt 0 ] && shift
	dockerd --storage-driver=vfs --bridge=none --iptables=false --ip-masq=false \
		--data-root "$DROOT/data" --exec-root "$DROOT/exec" --pidfile "$DROOT/docker.pid" \
		--host "unix://$DOCKER_SOCK" $authz "$@" >>"$T/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	for _ in $(seq 150); do
		dk version >/dev/null 2>&1 && return 0
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.2
	done
	# dockerd refusing lockset as its plugin is a failure of the test, not
	# a machine where dockerd cannot run.
	if grep -q "authorization plugin" "$T/dockerd.log"; then
		echo "FAIL: dockerd did not take lockset as its authorization plugin:"
		tail -n 5 "$T/dockerd.log"
		exit 1
	fi
	echo "SKIP: dockerd could not start here:"; tail -n 5 "$T/dockerd.log"
	exit 77
}

# e2e_image NAME: import a one-binary image (a static /bin/true) as NAME.
e2e_image() {
	mkdir -p "$T/rootfs/bin"
	printf 'int main(void) { return 0; }\n' >"$T/true.c"
	cc -static -O2 -o "$T/rootfs/bin/true" "$T/true.c" 2>"$T/cc.err" ||
		{ echo "SKIP: cannot build a static binary: $(head -n 3 "$T/cc.err")"; exit 77; }
	tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
	dk import "$T/rootfs.tar" "$1" >/dev/null
}

# e2e_file_image NAME: import an image of one file (a README, nothing to
# run) as NAME; fails as docker import does.
e2e_file_image() {
	mkdir -p "$T/rootfs/bin"
	echo "lockset e2e" >"$T/rootfs/README"
	tar -C "$T/rootfs" -cf "$T/rootfs.tar" . && dk import "$T/rootfs.tar" "$1" >/dev/null 2>"$T/err"
}

# e2e_busybox_image NAME: import an image holding the host's static busybox
# (busybox-static) as /bin/busybox, with sh, cat, echo, sleep, ... as links.
e2e_busybox_image() {
	local bb a
	bb=$(command -v busybox) || { echo "SKIP: busybox-static is not installed"; exit 77; }
	ldd "$bb" >/dev/null 2>&1 && { echo "SKIP: $bb is not static (install busybox-static)"; exit 77; }
	mkdir -p "$T/bbroot/bin" "$T/bbroot/tmp"
	cp "$bb" "$T/bbroot/bin/busybox"
	for a in sh cat echo sleep true ls id touch stat; do ln -sf busybox "$T/bbroot/bin/$a"; done
	tar -C "$T/bbroot" -cf "$T/bbroot.tar" .
	# E2E_IMPORT_WITH: the docker command to import with (default dk).
	"${E2E_IMPORT_WITH:-dk}" import --change 'CMD ["/bin/sh"]' "$T/bbroot.tar" "$1" >/dev/null
}

# refused NAME RULE PREFIX COMMAND...: the docker command fails with
# lockset's deny message, after PREFIX (who passed it on), naming RULE.
refused() {
	local name=$1 want=$2 prefix=$3; shift 3
	if "$@" >"$T/out" 2>"$T/err"; then
		not_ok "$name: expected a refusal, docker succeeded"
	elif grep -q "$prefix: lockset: denied by policy v[0-9]*:\$" "$T/err" &&
		grep -q "^  .*\[$want\]\$" "$T/err" && grep -Eq "; decision [0-9a-f]{32}" "$T/err"; then
		ok "$name"
	else
		not_ok "$name: unexpected error: $(cat "$T/err")"
	fi
}

# wait_health NAME JQ VALUE: /v1/health's JQ becomes VALUE within 15 s
# (times WAIT_SCALE).
wait_health() {
	local got
	for _ in $(seq $((150 * WAIT_SCALE))); do
		api GET /v1/health
		got=$(jqb "$2")
		[ "$got" = "$3" ] && { ok "$1"; return; }
		sleep 0.1
	done
	not_ok "$1: $2 = '$got', expected '$3'"
}

# reload_to N: SIGHUP the daemon and wait (20 s at most) until /v1/health
# serves policy version N; 1 if it never does.
policy_served() { api GET /v1/health; [ "$(jqb .policyVersion)" = "$1" ]; }
reload_to() { kill -HUP "$DAEMON_PID"; wait_until 20 policy_served "$1"; }

# denied NAME RULE docker-args...: refused through the plugin, naming RULE.
denied() {
	local name=$1 want=$2; shift 2
	refused "$name" "$want" "authorization denied by plugin $PLUGIN" dk "$@"
}

# allowed NAME docker-args...: the docker command succeeds.
allowed() {
	local name=$1; shift
	if dk "$@" >"$T/out" 2>"$T/err"; then ok "$name"; else
		not_ok "$name: $(cat "$T/err")"; fi
}
