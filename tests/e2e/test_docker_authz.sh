#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end with the real Docker Engine: a stock dockerd (vfs storage, no
# bridge, no iptables, its own data and exec roots) configured with
# --authorization-plugin pointing at locksetd's plugin socket. Asserts that
# policy violations are refused with lockset's message, that benign requests
# go through, and that the denies are in the audit log (read with the sqlite3 CLI).
# No registry is ever reached: the image comes from `docker import` of a local
# tarball, creates use --pull=never, and the one pull names localhost.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"
mkdir -p "$T/home/.ssh" "$T/home/project"

# Start with image loading allowed (import counts as a load), and nothing that
# reads an import's parameters (a plugin is not shown an import's headers
# whole, so an import is refused while the socket-mount list names images or
# registries are listed), bring the image in, then switch to the real policy
# with SIGHUP. $HOME in the policy stands
# for the home group's members, none of whom lives in $T: the shares name
# the test's own home directory instead.
export HOME="$T/home" TMP="$T/tmp"
# ECI is on but not locked: locked on, it needs an engine with user namespaces
# (tests/e2e/test_docker_userns.sh); the rules here are ECI's all the same.
# Volume plugins: one is listed; the tests name only others, which dockerd
# never gets to look up. Networks: bridge and overlay. Logs: kept on the host.
sed "s|\\\$HOME|$HOME|g" "$LOCKSET_SRCDIR/tests/e2e/policy.json" |
	jq '.enhancedContainerIsolation.locked = false
		| .containerPolicy.allowedVolumeDrivers = ["vieux/sshfs:latest"]
		| .containerPolicy.allowedNetworkDrivers = ["bridge", "overlay"]
		| .containerPolicy.allowedLogDrivers = ["json-file", "local"]
		| .containerPolicy.allowedCommands = ["swarm init"]' >"$T/policy.json"
# The setup policy allows no swarm init: lockset's default.
# It denies neither --privileged nor SYS_ADMIN: containers made with them
# before the real policy must not start under it.
jq '.blockDockerLoad.value = false | del(.containerPolicy.allowedRegistries)
	| del(.containerPolicy.allowedVolumeDrivers) | del(.containerPolicy.allowedCommands)
	| .containerPolicy.deniedFlags -= ["--privileged", "--cap-add=SYS_ADMIN"]
	| .enhancedContainerIsolation.dockerSocketMount.imageList.images = []' \
	"$T/policy.json" >"$T/setup.json"
put_policy "$T/setup.json"
mkdir -p "$TMP"
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" || exit 1

dockerd_start

# A volume plugin serving host directories, as local-persist does, which the
# policy does not list; dockerd finds it by its socket's name.
VPLUG="lockset-dirvol-$$"
E2E_SOCKS="/run/docker/plugins/$VPLUG.sock"
python3 "$LOCKSET_SRCDIR/tests/tools/dirvolume.py" "$E2E_SOCKS" "$T/vols" 2>>"$T/dirvolume.log" &
EXTRA_PIDS="$!"
wait_until 10 test -S "$E2E_SOCKS" || { echo "FAIL: the volume plugin did not start"; exit 1; }

# A tiny local image: one file, imported from a tarball.
check "docker import of a local tarball is allowed by the setup policy" \
	e2e_file_image lockset-e2e:latest
dk save lockset-e2e:latest -o "$T/image.tar" 2>/dev/null
# Volumes made before the policy: one by the plugin, over a host directory
# outside the shares, and one local.
mkdir -p "$T/outside"
dk volume create -d "$VPLUG" -o mountpoint="$T/outside" hostdir >/dev/null 2>"$T/err"
check "the setup policy lets the plugin make a volume" test $? = 0 || cat "$T/err"
dk volume create localdata >/dev/null 2>"$T/err"
check "the setup policy lets the local driver make a volume" test $? = 0 || cat "$T/err"
# Containers made before the policy: one mounts the plugin's volume by name
# (not recorded: its start asks the engine), one has an anonymous volume the
# plugin makes (recorded with the plugin's name), one a local volume.
dk create --pull=never --name oldnamed -v hostdir:/x lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "the setup policy lets a container mount the plugin's volume" test $? = 0 || cat "$T/err"
dk create --pull=never --name oldanon --volume-driver "$VPLUG" -v /data lockset-e2e /bin/true \
	>/dev/null 2>"$T/err"
check "... and have the plugin make an anonymous volume" test $? = 0 || cat "$T/err"
dk create --pull=never --name oldlocal -v localdata:/x lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "... and mount a local volume" test $? = 0 || cat "$T/err"
OLDANON_ID=$(dk inspect -f '{{.Id}}' oldanon)
# Two made with flags the real policy denies, recorded with what they run with.
dk create --pull=never --name oldpriv --privileged lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "the setup policy lets a container be made --privileged" test $? = 0 || cat "$T/err"
dk create --pull=never --name oldcaps --cap-add sys_admin lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "... and one with --cap-add sys_admin" test $? = 0 || cat "$T/err"
OLDPRIV_ID=$(dk inspect -f '{{.Id}}' oldpriv)
OLDCAPS_ID=$(dk inspect -f '{{.Id}}' oldcaps)
check "the privileged container is recorded with what it runs with" \
	test "$(sqlite3 "$STATE/lockset.db" "SELECT json_extract(flags, '\$[0][0]') FROM containers WHERE id = '$OLDPRIV_ID'")" = privileged
check "the anonymous volume's driver is recorded with the container" \
	test "$(sqlite3 "$STATE/lockset.db" "SELECT drivers FROM containers WHERE id = '$OLDANON_ID'")" = "[\"$VPLUG\"]"
# swarm init is refused unless allowedCommands names it: a swarm this node
# manages takes other managers (docker swarm join-token manager is open to
# any docker user), whose services run here unseen.
if dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$(free_port)" \
	>"$T/out" 2>"$T/err"; then
	not_ok "docker swarm init is refused by default: docker succeeded"
	dk swarm leave --force >/dev/null 2>&1
else
	check "docker swarm init is refused by default (swarm-init)" bash -c \
		"grep -qF '  docker swarm init: ' '$T/err' && grep -qF '[swarm-init]' '$T/err'" ||
		cat "$T/err"
fi
check "... and this node is in no swarm" \
	test "$(dk info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = inactive

# Load policy FILE as version N with SIGHUP; denied() expects that version.
PV=1
reload_policy() { # FILE N
	put_policy "$1"
	reload_to "$2"
	PV=$2
}
reload_policy "$T/policy.json" 2
expect_json "the real policy is loaded by SIGHUP" .policyVersion 2

# The refusal the developer sees: the policy version, then a line naming the
# flag as typed and the rule id, and the decision id last.
denied() { # NAME FLAG RULE docker-args...
	local name=$1 flag=$2 rule=$3; shift 3
	if dk "$@" >"$T/out" 2>"$T/err"; then
		not_ok "$name: expected a refusal, docker succeeded"
		return
	fi
	if grep -q "authorization denied by plugin $PLUGIN: lockset: denied by policy v$PV:\$" "$T/err" &&
		grep -F -- "  $flag: " "$T/err" | grep -qF -- "[$rule]" &&
		grep -Eq "; decision [0-9a-f]{32}\$" "$T/err"; then
		ok "$name"
	else
		not_ok "$name: unexpected error: $(cat "$T/err")"
	fi
}

denied "docker create --privileged is refused" "--privileged" privileged \
	create --pull=never --privileged lockset-e2e /bin/true
# A container made before the policy denied its flags takes no start: judged
# by its record of the create (read by full id), or by the engine's
# HostConfig (a name, or no record).
denied "docker start of a container made --privileged before the policy is refused" \
	"--privileged" privileged start "$OLDPRIV_ID"
denied "... and docker restart by name (the engine's HostConfig)" "--privileged" privileged \
	restart oldpriv
denied "docker start of one made with --cap-add sys_admin is refused" "--cap-add sys_admin" \
	cap-add start "$OLDCAPS_ID"
sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "DELETE FROM containers WHERE id = '$OLDPRIV_ID'"
denied "... without its record, from the engine's HostConfig" "--privileged" privileged \
	start "$OLDPRIV_ID"
sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "UPDATE containers SET flags = NULL WHERE id = '$OLDCAPS_ID'"
dk start "$OLDCAPS_ID" >/dev/null 2>"$T/err"
check "... and from a record written before flags were kept (the engine tells them)" \
	grep -qF '[cap-add]' "$T/err" || cat "$T/err"
dk start oldlocal >/dev/null 2>"$T/err"
check "an ordinary container the engine describes (defaults filled in) is not refused" \
	bash -c "! grep -q 'authorization denied' '$T/err'" || cat "$T/err"
denied "docker socket mount is refused" "-v /var/run/docker.sock:..." docker-socket \
	create --pull=never -v /var/run/docker.sock:/var/run/docker.sock lockset-e2e /bin/true
denied "docker create --pid=host is refused" "--pid=host" host-pid \
	create --pull=never --pid=host lockset-e2e /bin/true
denied "--cap-add sys_admin is refused" "--cap-add sys_admin" cap-add \
	create --pull=never --cap-add sys_admin lockset-e2e /bin/true
denied "a bind outside the shares is refused" "-v /etc:..." bind-outside-shares \
	create --pull=never -v /etc:/host-etc:ro lockset-e2e /bin/true
denied "a protected path inside a share is refused" "--mount type=bind,source=$HOME/.ssh" protected-path \
	create --pull=never --mount "type=bind,source=$HOME/.ssh,target=/ssh" lockset-e2e /bin/true
denied "a .. escape from a share is refused" "-v $HOME/project/../../..:..." bind-outside-shares \
	create --pull=never -v "$HOME/project/../../..:/x" lockset-e2e /bin/true
denied "docker import is refused (blockDockerLoad)" "docker import" docker-load \
	import "$T/rootfs.tar" lockset-e2e:other
denied "docker load is refused (blockDockerLoad)" "docker load" docker-load load -i "$T/image.tar"
denied "a pull from a registry not allowed is refused" "docker pull localhost:5999/x" registry pull localhost:5999/x:1

denied "a local volume of type proc is refused" "docker volume create -o type=proc" volume-options \
	volume create -o type=proc -o device=proc procvol
denied "a bind volume of /etc is refused" "docker volume create -o device=/etc" bind-outside-shares \
	volume create -o type=none -o o=bind -o device=/etc etcvol
dk volume create -o type=tmpfs -o device=tmpfs scratch >/dev/null 2>"$T/err"
check "a tmpfs volume is allowed (the local driver, with allowedVolumeDrivers set)" test $? = 0
denied "a volume plugin allowedVolumeDrivers does not list is refused" \
	"docker volume create --driver local-persist" volume-driver \
	volume create --driver local-persist -o mountpoint=/etc etcvol2
denied "--volume-driver naming an unlisted plugin is refused" "--volume-driver local-persist" \
	volume-driver create --pull=never --volume-driver local-persist -v data:/data lockset-e2e /bin/true
denied "a volume mount's unlisted driver is refused" \
	"--mount type=volume,volume-driver=local-persist" volume-driver \
	create --pull=never --mount type=volume,source=data,target=/data,volume-driver=local-persist \
	lockset-e2e /bin/true
denied "docker volume create with the unlisted plugin is refused" \
	"docker volume create --driver $VPLUG" volume-driver volume create --driver "$VPLUG" another
denied "a volume the unlisted plugin made is refused when mounted by name (looked up)" \
	"-v hostdir:..." volume-driver create --pull=never -v hostdir:/x lockset-e2e /bin/true
denied "... and as a --mount source" "--mount source=hostdir" volume-driver \
	create --pull=never --mount source=hostdir,target=/x lockset-e2e /bin/true
dk create --pull=never -v localdata:/x lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "a local volume mounted by name is allowed (looked up)" test $? = 0 || cat "$T/err"
# What a container made before the policy holds is judged at its start and
# by --volumes-from: the plugin serves a directory outside the shares.
denied "docker start of a container holding the unlisted plugin's volume is refused (engine)" \
	"docker start oldnamed" volume-driver start oldnamed
denied "--volumes-from that container is refused" "--volumes-from oldnamed" volume-driver \
	create --pull=never --volumes-from oldnamed lockset-e2e /bin/true
denied "docker start of one whose anonymous volume the plugin made is refused (record)" \
	"docker start $OLDANON_ID" volume-driver start "$OLDANON_ID"
sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "UPDATE containers SET drivers = NULL WHERE id = '$OLDANON_ID'"
denied "... and from a record written before drivers were kept (the engine tells them)" \
	"docker start $OLDANON_ID" volume-driver start "$OLDANON_ID"
dk create --pull=never --volumes-from oldlocal lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "--volumes-from a container holding a local volume is allowed" test $? = 0 || cat "$T/err"
dk create --pull=never -v "fresh$$:/x" lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "a volume that does not exist yet is allowed (the local driver makes it)" test $? = 0 ||
	cat "$T/err"
api GET /metrics
check "the lookups are counted" bash -c \
	"grep -q '^lockset_engine_lookups_total{kind=\"volume\",result=\"found\"} [1-9]' '$T/body' &&
	grep -q '^lockset_engine_lookups_total{kind=\"volume\",result=\"absent\"} [1-9]' '$T/body'"
denied "a macvlan network is refused (allowedNetworkDrivers)" "docker network create --driver macvlan" \
	network-driver network create --driver macvlan -o parent=lo lan
denied "a bridge network taking over a host interface is refused" \
	"docker network create -o com.docker.network.bridge.name=lo" network-options \
	network create -o com.docker.network.bridge.name=lo lan2
denied "tagging an image as a socket-list name is refused" "docker tag" socket-image-name \
	tag lockset-e2e docker:cli
dk tag lockset-e2e myapp:v1 >/dev/null 2>"$T/err"
check "tagging onto an ordinary name is allowed" test $? = 0
# A push leaves for the registry its name says: an unlisted one is refused
# before dockerd dials it (nothing listens on port 5999).
dk tag lockset-e2e localhost:5999/exfil:1 >/dev/null 2>"$T/err"
check "tagging onto an unlisted registry's name is allowed" test $? = 0
denied "a push to a registry not allowed is refused" "docker push localhost:5999/exfil" registry \
	push localhost:5999/exfil:1
# So is every other call that has dockerd talk to an unlisted registry: a
# login (the user's credentials would go there) and a search.
denied "a login to a registry not allowed is refused" "docker login localhost:5999" registry \
	login -u alice -p not-a-secret localhost:5999
denied "a search of a registry not allowed is refused" "docker search localhost:5999/tools" \
	registry search localhost:5999/tools
# dockerd reads a tag's parameters from the query alone when the body is
# JSON: text in that body that reads as "&repo=x&tag=y&" is no parameter.
STATUS=$(curl -s --unix-socket "$DOCKER_SOCK" -o "$T/body" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' -d '{"x":"&repo=myapp&tag=v2&"}' \
	'http://docker/v1.41/images/lockset-e2e/tag?repo=docker&tag=cli')
check "a tag onto a socket-list name is refused whatever its JSON body says ($STATUS)" \
	test "$STATUS" = 403
check "... as socket-image-name" grep -q 'socket-image-name' "$T/body"
dk image inspect docker:cli >/dev/null 2>&1
check "... and dockerd made no docker:cli" test $? != 0
# Two Content-Type headers, a form's first: dockerd reads the form body (the
# first header), forwards no body and shows the plugin only the last header.
STATUS=$(curl -s --unix-socket "$DOCKER_SOCK" -o "$T/body" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' -H 'Content-Type: application/json' \
	-d 'repo=docker&tag=cli' 'http://docker/v1.41/images/lockset-e2e/tag?repo=myapp&tag=v3')
check "a tag whose unseen form body names docker:cli is refused ($STATUS)" test "$STATUS" = 403
check "... as missing-body" grep -q 'missing-body' "$T/body"
dk image inspect docker:cli >/dev/null 2>&1
check "... and dockerd made no docker:cli" test $? != 0

# Swarm: dockerd creates task containers itself, without asking the plugin,
# so a service is judged when it is created.
# A free port for the swarm's listener: ask the kernel, and try again if a
# parallel test takes it first.
swarm_init() {
	local port
	for _ in 1 2 3 4 5; do
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" >/dev/null 2>"$T/swarm.err" && return 0
		grep -q "address already in use" "$T/swarm.err" || return 1
	done
	return 1
}
if swarm_init; then
	ok "docker swarm init is allowed where allowedCommands names it"
	denied "a service with the host's root and SYS_ADMIN is refused" \
		"--mount type=bind,source=/" bind-outside-shares \
		service create --detach --no-resolve-image --name evil \
		--mount type=bind,src=/,dst=/host --cap-add CAP_SYS_ADMIN lockset-e2e /bin/true
	check "the refused service does not exist" \
		bash -c "! '$DOCKER' -H 'unix://$DROOT/docker.sock' service inspect evil >/dev/null 2>&1"
	check "no task container was created for it" test -z \
		"$(dk ps -aq --filter label=com.docker.swarm.service.name=evil)"
	# Swarm's agent pulls a service's image itself, with no images/create.
	denied "a service whose image comes from a registry not allowed is refused" \
		"docker service create localhost:5999/x:1" registry \
		service create --detach --no-resolve-image --name evilreg localhost:5999/x:1 /bin/true
	dk service create --detach --no-resolve-image --restart-condition none --name okay \
		--mount "type=bind,src=$HOME/project,dst=/src" lockset-e2e /bin/true >/dev/null 2>"$T/err"
	check "a service binding a share is allowed" test $? = 0 || cat "$T/err"
	dk service rm okay >/dev/null 2>&1
	# With the host network denied (ECI), a service's networks are looked up:
	# one of its own is allowed, the host's named by its id is not.
	dk network create -d overlay lockset-ov >/dev/null 2>"$T/err"
	check "an overlay network is allowed (allowedNetworkDrivers lists it)" test $? = 0 ||
		cat "$T/err"
	dk service create --detach --no-resolve-image --restart-condition none --name onnet \
		--network lockset-ov lockset-e2e /bin/true >/dev/null 2>"$T/err"
	check "a service on a network of its own is allowed (looked up)" test $? = 0 || cat "$T/err"
	dk service rm onnet >/dev/null 2>&1
	# The CLI resolves --network itself; a raw client names the id.
	hostnet=$(dk network inspect -f '{{.Id}}' host 2>/dev/null)
	curl -s --unix-socket "$DOCKER_SOCK" -o "$T/out" -w '%{http_code}' \
		-H 'Content-Type: application/json' -X POST http://docker/v1.41/services/create \
		-d "{\"Name\":\"hostnet\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"lockset-e2e\"},
			\"Networks\":[{\"Target\":\"$hostnet\"}]}}" >"$T/code"
	check "a service on the host network named by its id is refused (looked up)" \
		bash -c "[ \"\$(cat '$T/code')\" = 403 ] && grep -qF -- '--network $hostnet: ' '$T/out' &&
			grep -qF '[host-network]' '$T/out'" || cat "$T/out"
	# swarmkit makes a mount with no Type a bind (its zero type), and reads
	# the type upper-cased the Go way ("bınd", with U+0131, is BIND).
	for m in '{"Source":"/","Target":"/host"}' \
		'{"Type":"b\u0131nd","Source":"/","Target":"/host"}'; do
		code=$(curl -s --unix-socket "$DOCKER_SOCK" -o "$T/out" -w '%{http_code}' \
			-H 'Content-Type: application/json' -X POST http://docker/v1.41/services/create \
			-d "{\"Name\":\"notype\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"lockset-e2e\",
				\"Mounts\":[$m]}}}")
		check "a service mount $m is judged as a bind ($code)" \
			bash -c "[ '$code' = 403 ] && grep -qF '[bind-outside-shares]' '$T/out'" ||
			cat "$T/out"
		check "... and dockerd made no such service" \
			bash -c "! '$DOCKER' -H 'unix://$DROOT/docker.sock' service inspect notype >/dev/null 2>&1"
	done
	# Making a node a manager is swarm init by other means: with swarm init
	# no longer allowed, even a label update of this manager is refused (the
	# CLI sends the node's whole spec, Role included).
	jq 'del(.containerPolicy.allowedCommands)' "$T/policy.json" >"$T/noswarm.json"
	reload_policy "$T/noswarm.json" 3
	expect_json "a policy without swarm init is loaded" .policyVersion 3
	NODE=$(dk info -f '{{.Swarm.NodeID}}' 2>/dev/null)
	denied "a node update that keeps a manager is refused" "docker node update --role manager" \
		swarm-init node update --label-add lockset=1 "$NODE"
	check "... and the node has no new label" \
		test -z "$(dk node inspect -f '{{index .Spec.Labels "lockset"}}' "$NODE" 2>/dev/null)"
	denied "docker swarm join is refused" "docker swarm join" swarm-join \
		swarm join --token SWMTKN-1-0000000000000000000000000000000000000000000000000-0000000000000000000000000 127.0.0.1:1
	dk swarm leave --force >/dev/null 2>&1
else
	not_ok "docker swarm init: $(tail -n 3 "$T/swarm.err")"
fi

denied "a logging driver allowedLogDrivers does not list is refused" "--log-driver syslog" \
	log-driver create --pull=never --log-driver syslog --log-opt syslog-address=tcp://127.0.0.1:1 \
	lockset-e2e /bin/true
dk create --pull=never --log-driver local --log-opt max-size=1m lockset-e2e /bin/true \
	>/dev/null 2>"$T/err"
check "a listed logging driver, with options, is allowed" test $? = 0 || cat "$T/err"
dk create --pull=never --name benign lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "a benign docker create succeeds" test $? = 0 || cat "$T/err"
dk create --pull=never -v "$HOME/project:/src:ro" lockset-e2e /bin/true >/dev/null 2>"$T/err"
check "a bind inside a share succeeds" test $? = 0
dk ps -a --format '{{.Names}}' >"$T/out" 2>"$T/err"
check "container list goes through the plugin" grep -qx benign "$T/out"

# The denies are in the audit log, read with the real sqlite3 CLI.
DB="$STATE/lockset.db"
n=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action = 'container.create.denied' AND component = 'authz'")
check "container create denies are audited ($n rows)" test "${n:-0}" -ge 7
check "the privileged deny is audited with its rule" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM event_rules WHERE rule = 'privileged'")" -ge 1
check "the socket mount deny is audited with its rule" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM event_rules WHERE rule = 'docker-socket'")" -ge 1
check "the load deny is audited" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action = 'image.load.denied'")" -ge 1
check "allowed requests are not logged" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE decision = 'allow' AND component = 'authz'")" = 0
# What the setup policy let be made and the real one refuses is named, and
# degrades lockset for as long as it exists; nothing else does.
named_old() {
	api GET /v1/health
	jq_holds '.checks.containers | test("oldpriv \\[privileged\\]") and test("oldcaps \\[cap-add\\]")' \
		"$BODY"
}
check "the containers made under the setup policy are named with their rules" \
	wait_until 30 named_old
expect_json "... the daemon's policy and audit log are healthy" \
	'.checks.policy + " " + .checks.audit' "loaded ok"
check "... exactly those whose start it refuses: the privileged, SYS_ADMIN and plugin-volume ones" \
	jq_holds '[.engine.policyContainerList[] | .name + " " + (.rules | join(","))] | sort ==
		["oldanon volume-driver", "oldcaps cap-add", "oldnamed volume-driver", "oldpriv privileged"]' \
	"$BODY"
expect_json "... so lockset says it is degraded" .status degraded

finish
