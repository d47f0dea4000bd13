#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end with the real Docker Engine and CLI: paths are judged again at
# start. (a) A bind source that is a directory at `docker create` and a
# symlink to / at `docker start` is refused at start, by id and by name.
# (b) `--volumes-from` a container that holds the host's /run (and so the
# Docker socket), created while dockerd ran without the plugin, is refused:
# lockset looks it up through the Engine API (whose own request comes back
# to the plugin while the first one waits: lockset runs with one server
# thread here to prove it does not deadlock). (c) The records survive a
# restart of lockset: with no engine to ask, the swapped start is still
# refused from the record, and a container it has no record of is unknown.
# (d) What dockerd mounts again where no plugin sees it (a restart policy, a
# Swarm service's tasks) must be a path only root can change: a source below
# a directory another user owns is refused with --restart, docker update
# --restart and in a service, and allowed without a restart policy.
#
# Checks marked "engine:" need the decision engine to judge container starts
# and VolumesFrom through the container lookup (decide.h, decide_container_fn,
# rule unknown-container).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"

engine_denied() { denied "engine: $1" "${@:2}"; }   # NAME RULE docker-args...
engine_check() { check "engine: $1" "${@:2}"; }     # NAME COMMAND...
row() { sqlite3 "$STATE/lockset.db" "SELECT $1 FROM containers WHERE $2"; }
never_started() { test "$(dk inspect -f '{{.State.StartedAt}}' "$1")" = 0001-01-01T00:00:00Z; }
swap_for_root() { rmdir "$1" && ln -s / "$1"; }

SHARE="$T/share"
mkdir -p "$SHARE/a" "$SHARE/c" "$SHARE/ok"
# ECI on, not locked: locked on, it needs an engine with user namespaces
# (tests/e2e/test_docker_userns.sh); its socket rule applies all the same.
jq -n --arg share "$SHARE" '{
	configurationFileVersion: 2,
	enhancedContainerIsolation: {locked: false, value: true,
		dockerSocketMount: {imageList: {images: ["docker:cli"]}}},
	blockDockerLoad: {locked: true, value: false},
	filesharingAllowedDirectories: [{path: $share, sharedByDefault: true}],
	containerPolicy: {locked: true, mode: "enforce", deniedFlags: ["--privileged"],
		allowedCommands: ["swarm init"]}}' \
	>"$T/policy.json"
put_policy "$T/policy.json"

# --- before the plugin: an image, a container holding /run, a benign one
dockerd_start noplugin
e2e_image lockset-e2e:latest
dk create --pull=never --name sockholder -v /run:/hostrun lockset-e2e /bin/true >/dev/null
dk create --pull=never --name benignholder -v "$SHARE/ok:/ok" lockset-e2e /bin/true >/dev/null
# Local volumes made before the policy: one binds /etc, one is an overlay
# whose lower layer is /etc (and a container holding it), one a tmpfs.
mkdir -p "$T/ovl/u" "$T/ovl/w"
dk volume create -o type=none -o o=bind -o device=/etc oldetc >/dev/null
dk volume create -o type=overlay -o device=overlay \
	-o "o=lowerdir=/etc,upperdir=$T/ovl/u,workdir=$T/ovl/w" oldovl >/dev/null
dk volume create -o type=tmpfs -o device=tmpfs oldtmp >/dev/null
dk create --pull=never --name ovlholder -v oldovl:/x lockset-e2e /bin/true >/dev/null
dockerd_stop

lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" --threads 1 || exit 1
dockerd_start

# --- (a) the swap between create and start
allowed "docker create with a bind to a directory in the share" \
	create --pull=never --name swap-a -v "$SHARE/a:/x" lockset-e2e /bin/true
ID_A=$(cat "$T/out")
check "the create is recorded with its bind source" \
	test "$(row sources "id = '$ID_A'")" = "[\"$SHARE/a\"]"
check "... and its name" test "$(row name "id = '$ID_A'")" = swap-a
swap_for_root "$SHARE/a"
engine_denied "start by id after the directory became a symlink to / is refused" \
	bind-outside-shares start "$ID_A"
engine_denied "start by name after the swap is refused" bind-outside-shares start swap-a
engine_check "the swapped container never ran" never_started swap-a
# docker cp mounts the container's volumes again, through the swapped link:
# it would read / and write into it, running or not.
engine_denied "docker cp out of the swapped container is refused" bind-outside-shares \
	cp swap-a:/x/etc/hostname "$T/hostname-copy"
# (The docker CLI stats the destination first, a HEAD, refused as well; the
# PUT itself, as a raw client sends it:)
echo pwned >"$T/payload"
STATUS=$(tar -C "$T" -cf - payload | curl -s --unix-socket "$DOCKER_SOCK" -o "$T/put.out" \
	-w '%{http_code}' -X PUT -H 'Content-Type: application/x-tar' --data-binary @- \
	"http://docker/v1.41/containers/swap-a/archive?path=/x")
engine_check "docker cp into it is refused ($STATUS)" test "$STATUS" = 403
engine_check "... as bind-outside-shares" grep -q bind-outside-shares "$T/put.out"
engine_check "... and wrote nothing at the host's root" test ! -e /payload

allowed "docker create with a bind to another directory in the share" \
	create --pull=never -v "$SHARE/ok:/ok" lockset-e2e /bin/true
allowed "its start, with the directory unchanged, is allowed" start "$(cat "$T/out")"
allowed "docker run with a bind in the share runs" \
	run --rm --pull=never --network none -v "$SHARE/ok:/ok" lockset-e2e /bin/true

# --- (b) VolumesFrom a container created before the plugin was on
engine_denied "--volumes-from a container holding /run is refused" docker-socket \
	run --rm --pull=never --network none --volumes-from sockholder lockset-e2e /bin/true
engine_denied "starting that container itself is refused" docker-socket start sockholder
engine_check "it was looked up through the engine and recorded" \
	test "$(row "origin || ' ' || sources" "name = 'sockholder'")" = 'engine ["/run"]'
allowed "--volumes-from a benign container created before the plugin runs" \
	run --rm --pull=never --network none --volumes-from benignholder:ro lockset-e2e /bin/true
# Local volumes made before the policy are judged by what their options mount.
engine_denied "starting a container holding an overlay volume over /etc is refused" \
	volume-options start ovlholder
engine_denied "--volumes-from that container is refused" volume-options \
	create --pull=never --volumes-from ovlholder lockset-e2e /bin/true
engine_check "it was not recorded (a record keeps no volume options)" \
	test "$(row "count(*)" "name = 'ovlholder'")" = 0
allowed "a create mounting the volume that binds /etc, with no restart policy (its start is judged)" \
	create --pull=never --name etcholder -v oldetc:/x lockset-e2e /bin/true
engine_denied "... and its start is refused" bind-outside-shares start etcholder
denied "--restart always mounting the volume that binds /etc is refused at create" \
	bind-outside-shares create --pull=never --restart always -v oldetc:/x lockset-e2e /bin/true

# --- (d) sources mounted again unseen: only paths root alone can change
mkdir -p "$SHARE/dev/w"
chown 65534 "$SHARE/dev"
denied "--restart always, binding a directory another user can swap, is refused" \
	swappable-path create --pull=never --restart always -v "$SHARE/dev/w:/x" lockset-e2e /bin/true
check "... and the message names the directory and its owner" \
	grep -q "$SHARE/dev belongs to uid 65534" "$T/err"
allowed "--restart always, binding a directory only root can change, is allowed" \
	create --pull=never --restart always -v "$SHARE/ok:/x" lockset-e2e /bin/true
allowed "the swappable bind without a restart policy is allowed (every start is judged)" \
	create --pull=never --name rs-none -v "$SHARE/dev/w:/x" lockset-e2e /bin/true
denied "docker update --restart always of that container is refused" swappable-path \
	update --restart always rs-none
allowed "docker update of its memory is allowed" update --memory 64m --memory-swap 128m rs-none
SWARM_PORT=$(((RANDOM % 20000) + 30000))
allowed "a single-node swarm on loopback" swarm init --advertise-addr 127.0.0.1 \
	--listen-addr "127.0.0.1:$SWARM_PORT"
denied "a service binding the swappable directory is refused" swappable-path \
	service create --detach --no-resolve-image --name svc-dev \
	--mount "type=bind,src=$SHARE/dev/w,dst=/x" lockset-e2e /bin/true
allowed "a service binding a directory only root can change is allowed" \
	service create --detach --no-resolve-image --name svc-ok \
	--mount "type=bind,src=$SHARE/ok,dst=/x" lockset-e2e /bin/true
denied "a service mounting the volume that binds /etc is refused" bind-outside-shares \
	service create --detach --no-resolve-image --name svc-etc \
	--mount "type=volume,src=oldetc,dst=/x" lockset-e2e /bin/true
allowed "a service mounting the tmpfs volume is allowed" \
	service create --detach --no-resolve-image --name svc-tmp \
	--mount "type=volume,src=oldtmp,dst=/x" lockset-e2e /bin/true
allowed "leaving the swarm" swarm leave --force
# ECI's socket rule knows the engine's socket wherever it is (--engine-socket).
denied "the engine's own socket at another path is the Docker socket" docker-socket \
	create --pull=never -v "$DOCKER_SOCK:/var/run/docker.sock" lockset-e2e /bin/true

# --- (c) a restart of lockset between create and start
allowed "docker create before the restart" \
	create --pull=never --name swap-c -v "$SHARE/c:/x" lockset-e2e /bin/true
ID_C=$(cat "$T/out")
lockset_stop
swap_for_root "$SHARE/c"
# No engine to ask now: only the record can describe swap-c.
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$T/no-engine.sock" --threads 1 ||
	exit 1
check "the record is still there" test "$(row sources "id = '$ID_C'")" = "[\"$SHARE/c\"]"
engine_denied "after the restart the swapped start is refused from the record" \
	bind-outside-shares start "$ID_C"
engine_denied "a container that has no record and cannot be looked up is unknown" \
	unknown-container start benignholder
engine_check "the start denies are audited" test "$(sqlite3 "$STATE/lockset.db" \
	"SELECT count(*) FROM events WHERE action = 'container.start.denied'")" -ge 4
api GET /v1/health
expect_json "daemon healthy after the run" .status ok
finish
