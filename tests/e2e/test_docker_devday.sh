#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A developer's day under a locked policy, with the real dockerd and CLI:
# run, run --rm, attach with stdin, exec, logs, cp both ways, top, stats,
# pause, restart, stop and start, rename, named volumes, --volumes-from, a
# classic build and a run of its image, tag, commit, export, save, inspect,
# prune. None of it may be refused (no false denial), while the same policy
# still refuses --privileged. ECI is locked on, and dockerd runs with
# --userns-remap=default as ECI requires. The image is busybox (Debian's static build)
# imported from a tarball: no registry is ever reached.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"

BUSYBOX=$(command -v busybox) || { echo "SKIP: no busybox (Debian busybox-static)"; exit 77; }
file -L "$BUSYBOX" 2>/dev/null | grep -q "statically linked" ||
	ldd "$BUSYBOX" 2>&1 | grep -q "not a dynamic" ||
	{ echo "SKIP: $BUSYBOX is not statically linked"; exit 77; }

HOMEDIR="$T/home/dev"
PROJ="$HOMEDIR/project"
mkdir -p "$PROJ/data" "$HOMEDIR/.ssh"
echo "hello from the host" >"$PROJ/notes.txt"
jq -n --arg home "$HOMEDIR" '{
	configurationFileVersion: 2,
	enhancedContainerIsolation: {locked: true, value: true,
		dockerSocketMount: {imageList: {images: ["docker:cli"]}}},
	blockDockerLoad: {locked: true, value: true},
	filesharingAllowedDirectories: [{path: $home, sharedByDefault: true},
		{path: "/tmp", sharedByDefault: false}],
	containerPolicy: {locked: true, mode: "enforce",
		deniedFlags: ["--privileged", "--pid=host", "--ipc=host", "--uts=host",
			"--userns=host", "--network=host", "--cgroupns=host", "--cap-add=SYS_ADMIN",
			"--device", "--security-opt=seccomp=unconfined",
			"--security-opt=apparmor=unconfined", "--security-opt=label=disable",
			"--security-opt=systempaths=unconfined", "--sysctl"],
		protectedHostPaths: [($home + "/.ssh")],
		allowedRegistries: ["docker.io", "ghcr.io"]}}' >"$T/policy.json"
put_policy "$T/policy.json"
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" || exit 1
# ECI is locked on, so the engine must run containers in user namespaces
# (the remapped root must be able to traverse to its data root and the share).
chmod 711 "$T" "$DROOT" "$T/home"
# --cgroupns=host is denied: the engine gives containers a private cgroup
# namespace by default, as a cgroup v1 host's engine must be told to.
dockerd_start plugin --userns-remap=default --default-cgroupns-mode=private

# The image: busybox and its applets, one tarball.
mkdir -p "$T/rootfs/bin" "$T/rootfs/tmp" "$T/rootfs/etc"
cp "$BUSYBOX" "$T/rootfs/bin/busybox"
for a in sh echo cat ls sleep touch mkdir rm true; do ln -s busybox "$T/rootfs/bin/$a"; done
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
# A load is what this policy blocks; an import to an ordinary name goes first,
# under a policy that allows it, as an admin would seed a base image, and a
# monitoring agent on the host's network and PID namespaces, as an admin
# would run one before the policy (ECI and the host namespaces allowed).
# (An import is refused while registries are listed: a plugin is not shown
# its headers whole, and a form body could make it a pull.)
jq '.blockDockerLoad.value = false | .enhancedContainerIsolation.value = false |
	.containerPolicy.deniedFlags = [] | del(.containerPolicy.allowedRegistries)' \
	"$T/policy.json" >"$T/seed.json"
put_policy "$T/seed.json"
policy_version() { # N: wait (20 s at most) until policy version N is served
	reload_to "$1"
	expect_json "policy v$1 is loaded" .policyVersion "$1"
}
policy_version 2
allowed "seed: import the busybox image" import "$T/rootfs.tar" dev:latest
allowed "seed: an agent on the host's network and PID namespaces" create --pull=never \
	--name agent --network host --pid host --userns host dev sleep 600
put_policy "$T/policy.json"
policy_version 3
# Joining the agent's namespaces is joining the host's: refused as --network
# host and --pid host are (the engine tells lockset what the agent shares).
denied "--network container:agent (on the host's network) is refused" host-network \
	create --pull=never --network container:agent dev true
denied "--pid container:agent (on the host's PID namespace) is refused" host-pid \
	create --pull=never --pid container:agent dev true
# By its full id (compose's way) lockset has the agent's record; one written
# before records kept namespaces says nothing of them, and the engine is
# asked for them alone.
AGENT_ID=$(dk inspect -f '{{.Id}}' agent)
check "the agent's record keeps its namespaces (PID, network and user: the host's)" \
	test "$(sqlite3 "$STATE/lockset.db" "SELECT ns FROM containers WHERE id = '$AGENT_ID'")" = $((15 | (1 | 2 | 8) << 4))
sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "UPDATE containers SET ns = 0 WHERE id = '$AGENT_ID'"
denied "--network container:<its id>, an old record: the engine says it is the host's" \
	host-network create --pull=never --network "container:$AGENT_ID" dev true

# Every step must succeed; a refusal by lockset is a false denial.
step() { # NAME docker-args...
	local name=$1; shift
	if dk "$@" >"$T/out" 2>"$T/err"; then
		ok "$name"
	elif grep -q "authorization denied" "$T/err"; then
		not_ok "$name: FALSE DENIAL: $(cat "$T/err")"
	else
		not_ok "$name: $(cat "$T/err")"
	fi
}
# out_is NAME TEXT: the last step printed exactly TEXT.
out_is() { check "$1" test "$(cat "$T/out")" = "$2"; }

step "run --rm" run --rm --pull=never --network none dev echo hello
out_is "... and it printed" hello
step "run -i with stdin (attach)" run --rm -i --pull=never --network none dev cat <<<"piped in"
out_is "... and it echoed stdin" "piped in"
step "run -d with the project bound" run -d --pull=never --network none --name web \
	-v "$PROJ:/src" --cap-add NET_BIND_SERVICE dev sleep 600
step "run in web's network namespace (compose's network_mode: service:web)" \
	run --rm --pull=never --network container:web dev true
WEB_ID=$(dk inspect -f '{{.Id}}' web)
sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "UPDATE containers SET ns = 0 WHERE id = '$WEB_ID'"
step "... by its full id, from a record written before namespaces were kept" \
	run --rm --pull=never --network "container:$WEB_ID" dev true
step "exec" exec web cat /src/notes.txt
out_is "... reads the bound file" "hello from the host"
step "exec -i" exec -i web sh -c 'cat > /tmp/in' <<<"via exec"
step "logs" logs web
step "cp into the container" cp "$PROJ/notes.txt" web:/tmp/notes.txt
step "cp out of the container" cp web:/tmp/in "$T/from-container"
check "... brought the file back" grep -qx "via exec" "$T/from-container"
step "top" top web
step "stats" stats --no-stream web
step "inspect" inspect web
step "diff" diff web
step "pause" pause web
step "unpause" unpause web
step "restart" restart -t 1 web
step "stop" stop -t 1 web
step "start again" start web
step "rename" rename web web2
step "start by the new name" start web2
step "export" export -o "$T/web.tar" web2
step "commit" commit web2 dev:snapshot
step "rm -f" rm -f web2

step "volume create" volume create data
step "write into a named volume" run --rm --pull=never --network none -v data:/data dev \
	sh -c 'echo kept > /data/x'
step "read it read-only" run --rm --pull=never --network none -v data:/data:ro dev cat /data/x
out_is "... the volume kept it" kept
step "create a data container (compose style)" create --pull=never --name db \
	-v "$PROJ/data:/data" dev true
step "--volumes-from it" run --rm --pull=never --network none --volumes-from db dev ls /data
step "a tmpfs mount" run --rm --pull=never --network none --tmpfs /scratch dev ls /scratch

mkdir -p "$T/ctx"
printf 'FROM dev\nRUN echo built > /built\n' >"$T/ctx/Dockerfile"
DOCKER_BUILDKIT=0 step "classic build" build --network none -t devapp "$T/ctx"
step "run the built image" run --rm --pull=never --network none devapp cat /built
out_is "... it has the built file" built
step "tag" tag devapp devapp:v2
step "save" save -o "$T/devapp.tar" devapp:v2
step "rmi" rmi devapp:v2
step "ps -a" ps -a
step "images" images
step "info" info
step "events (a bounded window)" events --since 1s --until 0s
step "container prune" container prune -f
step "volume prune" volume prune -f
step "image prune" image prune -f
step "system df" system df

# The same policy still refuses what it must.
denied "--privileged is still refused" privileged \
	run --rm --pull=never --network none --privileged dev true
denied "a bind of the protected .ssh is still refused" protected-path \
	run --rm --pull=never --network none -v "$HOMEDIR/.ssh:/k" dev true
# The agent runs in the host's user namespace (host network and PID need
# it under userns-remap): while ECI is locked on, health names it.
api GET /v1/health
expect_json "with the agent in the host's user namespace, health is degraded" .status degraded
check "... naming it" jq_holds '.checks.userns | test("agent")' "$BODY"
dk rm -f agent >/dev/null
jq '.containerPolicy.deniedFlags += ["--runtime"]' "$T/policy.json" >"$T/policy4.json"
put_policy "$T/policy4.json"
policy_version 4
healthy() { api GET /v1/health; [ "$(jqb .status)" = ok ]; }
check "daemon healthy after the day, the agent removed" wait_until 15 healthy
finish
