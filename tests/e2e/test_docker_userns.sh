#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end with the real Docker Engine: Enhanced Container Isolation means
# user namespaces. lockset asks the engine (GET /info on --engine-socket)
# whether it runs containers in user namespaces, when it starts, when dockerd
# activates the plugin (every dockerd start) and after every policy change.
#  - ECI not locked: nothing changes with an engine without user namespaces.
#  - ECI locked on, dockerd without --userns-remap: creates and execs are
#    refused with rule engine-userns and the fix in the message; listing is
#    not; /v1/health is degraded and says why, and so does locksetctl
#    status; audit mode reports, allows.
#    The docker socket proxy judges its requests by the same answer.
#  - dockerd restarted with --userns-remap=default (vfs): lockset learns it
#    from the plugin's activation; creates run; --userns=host stays refused.
#    A container made with --userns=host in audit mode takes no start, exec
#    or attach once ECI is enforced, and no container may join it.
#  - The same answer says which cgroup namespace a container that names none
#    gets (--default-cgroupns-mode): while --cgroupns=host is denied, a
#    create that leaves the mode out is refused on an engine whose default is
#    the host's (a cgroup v1 host's), and allowed on one whose default is
#    private; --cgroupns=private is allowed on both.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"

# policy ECI-LOCKED MODE [DENIED-FLAG]: write the policy and apply it
# (SIGHUP), waiting for the new version. --privileged is denied, and the flag
# given.
VERSION=0
policy() {
	jq -n --argjson locked "$1" --arg mode "$2" --arg flag "${3:---privileged}" '{
		configurationFileVersion: 2,
		enhancedContainerIsolation: {locked: $locked, value: true},
		blockDockerLoad: {locked: true, value: false},
		containerPolicy: {locked: true, mode: $mode,
			deniedFlags: (["--privileged", $flag] | unique)}}' \
		>"$T/policy.json"
	put_policy "$T/policy.json"
	if [ -n "$DAEMON_PID" ]; then
		kill -HUP "$DAEMON_PID"
		VERSION=$((VERSION + 1))
		wait_health "policy v$VERSION is served" .policyVersion "$VERSION"
	else
		VERSION=1
	fi
}
events() { sqlite3 "$STATE/lockset.db" "SELECT count(*) FROM events e JOIN event_rules r ON r.event_id = e.id WHERE r.rule = 'engine-userns' AND $1"; }

# dockerd's remapped root must traverse the directories above its data root.
chmod 711 "$T" "$DROOT"
policy false enforce
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" \
	--docker-proxy "unix:$T/proxy.sock" --docker-proxy-group "" || exit 1
api GET /v1/health
expect_json "before dockerd runs, the engine cannot be asked" .engine.userns unknown
expect_json "... which ECI not locked does not require" .checks.userns "not required"
expect_json "... so lockset is healthy" .status ok

# --- ECI not locked, an engine without user namespaces: nothing changes
dockerd_start
wait_health "the plugin's activation makes lockset ask the engine" .engine.userns no
expect_json "the engine's isolation is shown" .engine.isolation none
check "... with its security options" grep -q 'name=seccomp' "$BODY"
e2e_busybox_image lockset-bb:latest
allowed "ECI not locked: docker create is allowed" create --pull=never --name idle \
	--network none lockset-bb sleep 600
allowed "ECI not locked: docker start is allowed" start idle
allowed "ECI not locked: docker exec is allowed" exec idle true

# --- ECI locked on: refused, with the fix
policy true enforce
wait_health "ECI locked on and no user namespaces: health is degraded" .status degraded
check "health says why and how to fix it" grep -q 'userns-remap.*daemon.json' "$BODY"
expect_json "... in checks.userns" '.checks.userns | startswith("the engine at ")' true
CTL=${LOCKSETCTL:-$LOCKSET_BUILDDIR/daemon/ctl/locksetctl}
if [ -x "$CTL" ]; then
	"$CTL" --socket "$SOCK" status >"$T/status" 2>&1
	rc=$?
	check "locksetctl status: degraded, exit 1 ($rc)" grep -qxF "status	degraded" "$T/status"
	check "... exit 1 ($rc)" test "$rc" = 1
	check "... and says why and how to fix it" \
		grep -qP '^userns\tthe engine at .*"userns-remap": "default" in /etc/docker/daemon.json' "$T/status"
	check "... with what the engine said" grep -qxF "engine userns	no (isolation: none)" "$T/status"
fi
denied "ECI locked: docker create is refused" engine-userns \
	create --pull=never --network none lockset-bb true
check "the message names the fix" grep -q '"userns-remap": "default" in /etc/docker/daemon.json' "$T/err"
denied "ECI locked: docker run is refused" engine-userns \
	run --rm --pull=never --network none lockset-bb true
denied "ECI locked: docker exec is refused" engine-userns exec idle true
"$DOCKER" -H "unix://$T/proxy.sock" create --pull=never --network none lockset-bb true \
	>"$T/out" 2>"$T/err"
check "ECI locked: a create through the docker proxy is refused the same way" \
	grep -q '^  Enhanced Container Isolation needs .*\[engine-userns\]$' "$T/err"
allowed "ECI locked: docker ps is not refused" ps -a
allowed "ECI locked: stopping a container is not refused" stop -t 1 idle
check "the refusals are audited with the rule" test "$(events "e.decision = 'deny'")" -ge 3

# --- audit mode: reported, nothing refused
policy true audit
wait_health "audit mode: health is still degraded" .status degraded
check "... and says the requests are reported, not refused" grep -q 'reported (audit mode)' "$BODY"
allowed "audit mode: docker create is allowed" create --pull=never --network none lockset-bb true
check "... and audited with the rule" test "$(events "e.decision = 'audit'")" -ge 1

# --- dockerd restarted with user namespaces: lockset learns it on activation.
# Its containers get the host's cgroup namespace by default, as on a cgroup
# v1 host, while the policy denies --cgroupns=host.
policy true enforce --cgroupns=host
dockerd_stop
dockerd_start plugin --userns-remap=default --default-cgroupns-mode=host
wait_health "after dockerd restarts with --userns-remap, lockset sees user namespaces" \
	.engine.userns yes
expect_json "the engine's isolation is userns" .engine.isolation userns
expect_json "its containers' default cgroup namespace is the host's" .engine.cgroupns host
e2e_busybox_image lockset-bb:latest
denied "--cgroupns=host denied: a create that names no mode gets the host's, refused" \
	host-cgroupns create --pull=never --network none lockset-bb true
check "... and the message says how to get a private one" grep -q "default-cgroupns-mode" "$T/err"
allowed "... --cgroupns=private is allowed" \
	run --rm --pull=never --network none --cgroupns=private lockset-bb true
dockerd_stop
dockerd_start plugin --userns-remap=default --default-cgroupns-mode=private
wait_health "dockerd restarted with --default-cgroupns-mode=private: lockset sees it" \
	.engine.cgroupns private
expect_json "ECI locked on and user namespaces: healthy" .status ok
expect_json "checks.userns is ok" .checks.userns ok
allowed "user namespaces: docker run is allowed under ECI" \
	run --rm --pull=never --network none lockset-bb true
check "... and runs as the remapped root" test "$(dk run --rm --pull=never --network none \
	lockset-bb cat /proc/self/uid_map | awk '{print $2}')" -gt 0
denied "--userns=host, the way out, stays refused" host-userns \
	create --pull=never --network none --userns=host lockset-bb true

# --- a container planted in the host's user namespace while the policy was
# in audit mode: once ECI is enforced, nothing may run in it or reach what
# runs in it (its processes are the host's root).
policy true audit
allowed "audit mode: a --userns=host create is reported, not refused" \
	create --pull=never --network none --name planted --userns=host lockset-bb sleep 600
allowed "... and started" start planted
check "... it runs in the host's user namespace" \
	test "$(dk exec planted cat /proc/self/uid_map | awk '{print $2}')" = 0
# An exec instance made now and started later (the API makes and starts
# them in two requests).
EID=$(curl -s --unix-socket "$DOCKER_SOCK" -X POST -H 'Content-Type: application/json' \
	-d '{"Cmd":["touch","/tmp/ran"]}' http://d/v1.41/containers/planted/exec | jq -r .Id)
check "... and an exec instance is made in it" test "${#EID}" = 64
policy true enforce
code=$(curl -s -o "$T/exec-start" -w '%{http_code}' --unix-socket "$DOCKER_SOCK" -X POST \
	-H 'Content-Type: application/json' -d '{"Detach":true}' "http://d/v1.41/exec/$EID/start")
wait_health "ECI enforced with such a container: health is degraded" .status degraded
check "... checks.userns names it and says to remove it" \
	jq_holds '.checks.userns | test("run[s]? in the host.s user namespace.*planted.*remove them")' "$BODY"
expect_json "... engine.hostUsernsContainers counts it" .engine.hostUsernsContainers 1
check "ECI enforced: starting the exec made earlier is refused (403)" test "$code" = 403
check "... as host-userns" grep -q 'host-userns' "$T/exec-start"
denied "ECI enforced: an exec into it is refused" host-userns exec planted true
check "... saying it runs as the host's root" grep -q "runs in the host's user namespace" "$T/err"
# The CLI shows only the 403 of an attach (its connection is upgraded), so
# the audit log says why. (Were it allowed, the attach would wait for sleep
# to end: 30 s at most.)
check "... attaching to it is refused (403)" bash -c "! timeout -k 5 30 '$DOCKER' -H 'unix://$DOCKER_SOCK' \
	attach --no-stdin --sig-proxy=false planted 2>'$T/err' && grep -q 'received 403' '$T/err'"
check "... as host-userns, in the audit log" test "$(sqlite3 "$STATE/lockset.db" \
	"SELECT count(*) FROM events e JOIN event_rules r ON r.event_id = e.id
	 WHERE e.action = 'container.attach.denied' AND r.rule = 'host-userns'")" -ge 1
allowed "... stopping it is not" stop -t 1 planted
denied "... starting it again is refused" host-userns start planted
denied "... and so is joining its IPC namespace" host-userns \
	create --pull=never --network none --ipc container:planted lockset-bb true
allowed "a container in its own user namespace still starts" \
	run -d --pull=never --network none --ipc shareable --name own lockset-bb sleep 600
allowed "... takes an exec" exec own true
allowed "... and may be joined" \
	run --rm --pull=never --network none --ipc container:own lockset-bb true
dk rm -f planted own >/dev/null 2>&1
policy true enforce --uts=host
wait_health "once it is removed (and the engine asked again), health is ok" .status ok
expect_json "... and counts none" .engine.hostUsernsContainers 0
api GET /metrics
check "... as does the metric" grep -q '^lockset_engine_host_userns_containers 0$' "$BODY"

# --- and back: a restart without user namespaces is noticed at once
dockerd_stop
dockerd_start
denied "dockerd restarted without user namespaces: the first create is refused" engine-userns \
	create --pull=never --network none lockset-bb true
api GET /metrics
check "the engine checks are counted" grep -q '^lockset_engine_checks_total{result="userns"} [1-9]' "$BODY"
finish
