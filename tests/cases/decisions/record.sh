#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerate the recorded decision cases (rec-*.case) with the real docker
# CLI talking to tests/tools/fake-engine.py; no Docker Engine is needed.
# Not run by make check: the recorded files are committed.
#   usage: tests/cases/decisions/record.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tools=$here/../../tools
tmp=$(mktemp -d /tmp/lockset-record-XXXXXX)
sock=$tmp/engine.sock
python3 "$tools/fake-engine.py" serve --socket "$sock" --record "$tmp/rec.jsonl" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "record: fake engine did not start" >&2; exit 1; }
	sleep 0.1
done
mkdir -p "$tmp/ctx"
printf 'FROM scratch\nCOPY Dockerfile /\n' > "$tmp/ctx/Dockerfile"
printf 'not really a tar' > "$tmp/img.tar"
export DOCKER_HOST="unix://$sock" DOCKER_CONFIG="$tmp/cfg" DOCKER_BUILDKIT=0 DOCKER_CLI_HINTS=false

# The command line as a shell would read it back: arguments holding a space
# in single quotes (locksetctl check's corpus test splits it with xargs).
quote_args() {
	local a out=
	for a in "$@"; do
		case $a in *" "*) out="$out '$a'" ;; *) out="$out $a" ;; esac
	done
	printf '%s' "${out# }"
}

# rec NAME SETTINGS EXPECT "RULES" MATCH docker ARGS...
rec() {
	name=$1 settings=$2 expect=$3 rules=$4 match=$5
	shift 5
	: > "$tmp/rec.jsonl"
	if ! "$@" > "$tmp/out" 2>&1 < /dev/null; then
		echo "record: $name: '$*' failed:" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	python3 "$tools/fake-engine.py" emit --record "$tmp/rec.jsonl" --match "$match" \
		--out "$here/rec-$name.case" --settings "$settings" --expect "$expect" \
		--rules "$rules" --source "$(quote_args "$@" | sed "s|$tmp/||g")" --title "$name"
	echo "recorded rec-$name.case"
}
C='^POST /v[0-9.]+/containers/create'
X='^POST /v[0-9.]+/containers/.*/exec$'
P='^POST /v[0-9.]+/images/create'
V='^POST /v[0-9.]+/volumes/create'
create="docker create --pull=never"

# --- benign: must stay allowed under the ECI policy -------------------------
rec allow-alpine eci.json allow "" "$C" $create alpine:3.20 echo hi
rec allow-nginx-port eci.json allow "" "$C" $create -p 127.0.0.1:8080:80 --name web nginx:1.27-alpine
rec allow-bind-home-ro eci.json allow "" "$C" $create -v /home/alice/projects/site:/usr/share/nginx/html:ro nginx:1.27-alpine
rec allow-bind-tmp eci.json allow "" "$C" $create -v /tmp/data:/data alpine
rec allow-mount-bind-home eci.json allow "" "$C" $create --mount type=bind,source=/home/alice/src,target=/src,readonly alpine
rec allow-named-volume eci.json allow "" "$C" $create -v data:/data -v /anon alpine
rec allow-tmpfs eci.json allow "" "$C" $create --tmpfs /run --mount type=tmpfs,target=/cache alpine
rec allow-network-bridge eci.json allow "" "$C" $create --network bridge alpine
rec deny-pid-container-unknown eci.json deny "unknown-container" "$C" $create --pid container:abc123 --network container:abc123 alpine
rec allow-ipc-shareable eci.json allow "" "$C" $create --ipc shareable alpine
rec allow-hardened eci.json allow "" "$C" $create --security-opt no-new-privileges --read-only --cap-drop ALL --user 1000:1000 --pids-limit 100 alpine
rec allow-capdrop-only eci.json allow "" "$C" $create --cap-drop NET_RAW --cap-drop MKNOD alpine
rec allow-socket-ryuk eci.json allow "" "$C" $create -v /var/run/docker.sock:/var/run/docker.sock testcontainers/ryuk:0.8.1
rec allow-socket-docker-cli eci.json allow "" "$C" $create -v /var/run/docker.sock:/var/run/docker.sock docker:cli docker ps
rec allow-exec eci.json allow "" "$X" docker exec -d abc123 true
rec allow-exec-root eci.json allow "" "$X" docker exec -d -u root abc123 id
rec allow-pull-hub eci.json allow "" "$P" docker pull alpine:3.20
rec allow-pull-ghcr eci.json allow "" "$P" docker pull ghcr.io/org/app:1.2
rec allow-volume-plain eci.json allow "" "$V" docker volume create cache
rec allow-volume-bind-tmp eci.json allow "" "$V" docker volume create -o type=none -o o=bind -o device=/tmp/vol tmpvol
rec allow-build eci.json allow "" '^POST /v[0-9.]+/build' docker build -t demo:1 "$tmp/ctx"
rec allow-update eci.json allow "" '/update$' docker update --memory 1g --memory-swap 2g abc123
rec allow-permissive-privileged permissive.json allow "" "$C" $create --privileged --pid host --network host -v /:/host alpine
rec allow-permissive-load permissive.json allow "" '/images/load' docker load -i "$tmp/img.tar"
rec allow-permissive-cap-add permissive.json allow "" "$C" $create --cap-add NET_ADMIN alpine
rec allow-strict-socket-star strict.json allow "" "$C" $create -v /var/run/docker.sock:/var/run/docker.sock alpine
rec allow-strict-cap-net-bind strict.json allow "" "$C" $create --cap-add NET_BIND_SERVICE nginx
rec allow-audit-privileged audit.json allow "privileged" "$C" $create --privileged alpine
rec allow-audit-multi audit.json allow "privileged host-network" "$C" $create --privileged --network host alpine

# --- denied: one rule at a time ---------------------------------------------
rec deny-privileged eci.json deny "privileged" "$C" $create --privileged alpine
rec deny-pid-host eci.json deny "host-pid" "$C" $create --pid host alpine
rec deny-ipc-host eci.json deny "host-ipc" "$C" $create --ipc host alpine
rec deny-uts-host eci.json deny "host-uts" "$C" $create --uts host alpine
rec deny-userns-host eci.json deny "host-userns" "$C" $create --userns host alpine
rec deny-network-host eci.json deny "host-network" "$C" $create --network host alpine
rec deny-cgroupns-host strict.json deny "host-cgroupns" "$C" $create --cgroupns host alpine
rec deny-cap-sys-admin eci.json deny "cap-add" "$C" $create --cap-add SYS_ADMIN alpine
rec deny-cap-all eci.json deny "cap-add" "$C" $create --cap-add ALL alpine
rec deny-cap-any-under-all eci.json deny "cap-add" "$C" $create --cap-add NET_BIND_SERVICE alpine
rec deny-strict-cap-all strict.json deny "cap-add" "$C" $create --cap-add all alpine
rec deny-strict-cap-ptrace strict.json deny "cap-add" "$C" $create --cap-add sys_ptrace alpine
rec deny-device eci.json deny "device" "$C" $create --device /dev/sda:/dev/xvda alpine
rec deny-gpus eci.json deny "device" "$C" $create --gpus all alpine
rec deny-device-cgroup-rule eci.json deny "device" "$C" $create --device-cgroup-rule 'c 1:3 rwm' alpine
rec deny-seccomp eci.json deny "security-opt" "$C" $create --security-opt seccomp=unconfined alpine
rec deny-apparmor eci.json deny "security-opt" "$C" $create --security-opt apparmor=unconfined alpine
rec deny-label-disable strict.json deny "security-opt" "$C" $create --security-opt label=disable alpine
rec deny-systempaths strict.json deny "security-opt" "$C" $create --security-opt systempaths=unconfined alpine
rec deny-sysctl strict.json deny "sysctl" "$C" $create --sysctl net.ipv4.ip_forward=1 alpine
rec deny-bind-etc eci.json deny "bind-outside-shares" "$C" $create -v /etc:/host-etc:ro alpine
rec deny-bind-dotdot eci.json deny "bind-outside-shares" "$C" $create -v /home/alice/../../etc:/x alpine
rec deny-mount-dotdot eci.json deny "bind-outside-shares" "$C" $create --mount type=bind,source=/home/alice/../../root/.ssh,target=/mnt/ssh,readonly alpine
rec deny-bind-sibling eci.json deny "bind-outside-shares" "$C" $create -v /home/alicex/data:/data alpine
rec deny-bind-tmp-prefix eci.json deny "bind-outside-shares" "$C" $create -v /tmpfoo:/data alpine
rec deny-protected-ssh eci.json deny "protected-path" "$C" $create -v /home/alice/.ssh:/root/.ssh:ro alpine
rec deny-protected-ssh-subdir eci.json deny "protected-path" "$C" $create --mount type=bind,source=/home/alice/.ssh/keys,target=/k alpine
rec deny-protected-parent eci.json deny "protected-path" "$C" $create -v /home/alice:/home/alice alpine
rec deny-protected-outside-shares eci.json deny "bind-outside-shares protected-path" "$C" $create -v /etc/docker:/d alpine
rec deny-socket eci.json deny "docker-socket" "$C" $create -v /var/run/docker.sock:/var/run/docker.sock alpine
rec deny-socket-run eci.json deny "docker-socket" "$C" $create -v /run/docker.sock:/var/run/docker.sock alpine
rec deny-socket-parent eci.json deny "docker-socket bind-outside-shares" "$C" $create -v /var/run:/host-run alpine
rec deny-socket-root eci.json deny "docker-socket bind-outside-shares" "$C" $create -v /:/host alpine
rec deny-socket-mount eci.json deny "docker-socket" "$C" $create --mount type=bind,source=/var/run/docker.sock,target=/s alpine
rec deny-socket-wrong-registry eci.json deny "docker-socket" "$C" $create -v /var/run/docker.sock:/s ghcr.io/testcontainers/ryuk:0.8.1
rec deny-socket-wrong-tag eci.json deny "docker-socket" "$C" $create -v /var/run/docker.sock:/s docker:27-cli
rec deny-volume-opt-mount eci.json deny "bind-outside-shares" "$C" $create --mount type=volume,source=etcvol,target=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc alpine
rec deny-volume-create-bind eci.json deny "bind-outside-shares" "$V" docker volume create -o type=none -o o=bind -o device=/etc etcvol
rec deny-exec-privileged eci.json deny "privileged" "$X" docker exec -d --privileged abc123 sh
rec deny-pull-quay eci.json deny "registry" "$P" docker pull quay.io/org/app:1
rec deny-pull-localhost eci.json deny "registry" "$P" docker pull localhost:5000/app
rec deny-load eci.json deny "docker-load" '/images/load' docker load -i "$tmp/img.tar"
rec deny-import eci.json deny "docker-load" "$P" docker import "$tmp/img.tar" imported:1
rec deny-build-network-host eci.json deny "build-network-host" '^POST /v[0-9.]+/build' docker build --network host -t demo:1 "$tmp/ctx"
rec deny-plugin-install eci.json deny "plugin-install" '/plugins/pull' docker plugin install --grant-all-permissions --disable vieux/sshfs
rec deny-example-02 eci.json deny "privileged host-pid cap-add" "$C" $create -it --rm --privileged --pid=host --cap-add SYS_ADMIN alpine:3.20 nsenter -t 1 -m -u -n -i sh
rec deny-example-03 eci.json deny "docker-socket bind-outside-shares" "$C" $create --restart unless-stopped -v /var/run/docker.sock:/var/run/docker.sock -v /etc:/host-etc:ro --mount type=bind,source=/home/alice/../../root/.ssh,target=/mnt/ssh,readonly -e DOCKER_HOST=unix:///var/run/docker.sock docker:27-cli sleep infinity
