#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the docker socket proxy (--docker-proxy) in front of a real
# dockerd (whose own socket only root reaches), with lockset also its
# authorization plugin, driven by the real docker CLI as root and as a
# non-root user that this test creates, in the proxy's docker group (a group
# of the test's own, --docker-proxy-group and --home-group, so that tests
# running beside this one see no new member of the system's docker group).
#  - run, exec -i and -it, attach, logs -f, BuildKit and classic builds, an
#    import (a streamed body) and compose-style named volumes work;
#  - the user's bind of a root-only 0700 directory inside a share is refused
#    (caller-access), root's is allowed; a read-only bind needs only read;
#  - the audit row names the user; their per-user policy and $HOME apply to
#    plain docker commands, loosening too (the plugin trusts the proxy's
#    ticket) and tightening;
#  - a form-encoded images/create to a registry not allowed is refused;
#  - the plugin still judges what reaches dockerd another way, a forged
#    ticket included; container records are kept from proxied creates.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"
need useradd userdel groupadd groupdel runuser script

U="lsproxy$$"
G="lsdocker$$"
PROXY="$T/proxy.sock"
SHARE="$T/share"
UHOME="$T/home/$U"
# The user must reach the proxy socket and the share: $T is traversable.
chmod 711 "$T"
mkdir -p "$SHARE/rootonly" "$SHARE/docs" "$SHARE/mine" "$T/home" "$T/ctx"
chmod 755 "$SHARE" "$SHARE/docs" "$T/home"
chmod 700 "$SHARE/rootonly"
groupadd "$G" 2>"$T/useradd.err" && useradd -M -d "$UHOME" -s /bin/sh -G "$G" "$U" 2>"$T/useradd.err" ||
	{ echo "SKIP: cannot create a user and a group: $(cat "$T/useradd.err")"; groupdel "$G" 2>/dev/null; exit 77; }
proxy_cleanup() {
	userdel "$U" 2>/dev/null
	groupdel "$G" 2>/dev/null
	e2e_cleanup
}
trap proxy_cleanup EXIT
mkdir -p "$UHOME/proj" "$UHOME/.docker"
chown -R "$U:" "$UHOME" "$SHARE/mine"
UID_U=$(id -u "$U")

pk() { "$DOCKER" -H "unix://$PROXY" "$@"; } # as root, through the proxy
uk() {                                        # as the user, through the proxy
	runuser -u "$U" -- env HOME="$UHOME" DOCKER_CONFIG="$UHOME/.docker" \
		"$DOCKER" -H "unix://$PROXY" "$@"
}
# pdenied NAME RULE WHO docker-args...: refused by the proxy, naming RULE.
pdenied() {
	local name=$1 want=$2 who=$3; shift 3
	refused "$name" "$want" "Error response from daemon" "$who" "$@"
}
pallowed() {
	local name=$1 who=$2; shift 2
	if $who "$@" >"$T/out" 2>"$T/err"; then ok "$name"; else not_ok "$name: $(cat "$T/err")"; fi
}
row() { sqlite3 "$STATE/lockset.db" "$1"; }

jq -n --arg share "$SHARE" '{
	configurationFileVersion: 2,
	blockDockerLoad: {locked: true, value: false},
	filesharingAllowedDirectories: [{path: $share, sharedByDefault: true},
		{path: "$HOME", sharedByDefault: true}],
	containerPolicy: {locked: true, mode: "enforce", deniedFlags: ["--privileged", "--sysctl"],
		allowedRegistries: ["docker.io"]}}' >"$T/policy.json"
put_policy "$T/policy.json"
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" \
	--docker-proxy "unix:$PROXY" --docker-proxy-group "$G" --home-group "$G" || exit 1
check "the proxy socket is root:<docker group> 0660" test "$(stat -c '%U:%G %a' "$PROXY")" = "root:$G 660"
# dockerd's own socket: root only, so the proxy is the users' way in.
dockerd_start plugin --group root

# --- as root: everything a developer does works through the proxy
# (An import straight to dockerd would be refused by the plugin while
# registries are listed: it is not shown an import's headers whole. The
# proxy sees them, and judges the import by what it is.)
E2E_IMPORT_WITH=pk e2e_busybox_image lockset-bb:latest
pallowed "an image import (a streamed tarball body) through the proxy" pk \
	import --change 'CMD ["/bin/sh"]' "$T/bbroot.tar" lockset-bb:2
pallowed "docker run through the proxy" pk run --rm --pull=never --network none lockset-bb \
	echo hello-proxy
check "... prints what the container wrote" grep -qx hello-proxy "$T/out"
pallowed "docker run -d" pk run -d --pull=never --network none --name idle lockset-bb \
	sh -c 'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.1; done'
echo 'echo "stdin:$(cat)"' >"$T/script.sh"
pk exec -i idle sh -c 'cat' <"$T/script.sh" >"$T/out" 2>"$T/err"
check "docker exec -i (a hijacked stream both ways)" grep -qxF 'echo "stdin:$(cat)"' "$T/out"
script -qec "$DOCKER -H unix://$PROXY exec -it idle sh -c 'tty; echo it-works'" /dev/null \
	</dev/null >"$T/out" 2>&1
check "docker exec -it (a terminal)" grep -q "it-works" "$T/out"
check "... on a pty" grep -q "/dev/pts/" "$T/out"
timeout 20 "$DOCKER" -H "unix://$PROXY" logs -f idle 2>/dev/null | head -n 3 >"$T/out"
check "docker logs -f streams" test "$(wc -l <"$T/out")" = 3
# attach's stdin stays open (a FIFO this shell holds) until the container
# answered and exited: the CLI stops at stdin's EOF, output or not.
pk run -d -i --pull=never --network none --name reader lockset-bb \
	sh -c 'read x; echo "got:$x"' >/dev/null 2>"$T/err"
mkfifo "$T/stdin"
exec 7<>"$T/stdin"
echo attached >&7
timeout 20 "$DOCKER" -H "unix://$PROXY" attach reader <"$T/stdin" >"$T/out" 2>"$T/err"
exec 7>&-
check "docker attach: stdin in, output out" grep -qx "got:attached" "$T/out"
script -qec "$DOCKER -H unix://$PROXY run -it --rm --pull=never --network none lockset-bb sh -c 'tty; echo run-it'" \
	/dev/null </dev/null >"$T/out" 2>&1
check "docker run -it" grep -q "run-it" "$T/out"
printf 'FROM lockset-bb\nCOPY msg /msg\nRUN cat /msg > /built\n' >"$T/ctx/Dockerfile"
echo built-by-proxy >"$T/ctx/msg"
DOCKER_BUILDKIT=1 pallowed "a BuildKit build (/session and /grpc upgrades)" pk \
	build --network none -q -t lockset-built:bk "$T/ctx"
pallowed "... its image runs" pk run --rm --pull=never --network none lockset-built:bk cat /built
check "... with what the build wrote" grep -qx built-by-proxy "$T/out"
DOCKER_BUILDKIT=0 pallowed "a classic build (the context streamed)" pk \
	build --network none -q -t lockset-built:classic "$T/ctx"
pallowed "compose-style: a labelled named volume" pk volume create \
	--label com.docker.compose.project=demo --label com.docker.compose.volume=data demo_data
pallowed "... written by one container" pk run --rm --pull=never --network none \
	-v demo_data:/data lockset-bb sh -c 'echo kept > /data/f'
pallowed "... read by another" pk run --rm --pull=never --network none \
	-v demo_data:/data:ro lockset-bb cat /data/f
check "... which sees the data" grep -qx kept "$T/out"
pdenied "root: --privileged is refused by the proxy" privileged pk \
	create --pull=never --privileged lockset-bb true

# --- as a user in the docker group
check "the user cannot reach dockerd's own socket" \
	bash -c "! runuser -u $U -- $DOCKER -H unix://$DOCKER_SOCK ps >/dev/null 2>&1"
pallowed "the user: docker ps" uk ps
pallowed "the user: docker run" uk run --rm --pull=never --network none lockset-bb id -u
pdenied "the user: a bind of a root-only 0700 directory in the share is refused" caller-access \
	uk create --pull=never -v "$SHARE/rootonly:/x" lockset-bb true
check "... and says whose access" grep -q "$SHARE/rootonly is not readable and writable to you" "$T/err"
pallowed "root: the same bind is allowed" pk create --pull=never -v "$SHARE/rootonly:/x" lockset-bb true
pdenied "the user: a --mount of it is refused too" caller-access \
	uk create --pull=never --mount "type=bind,source=$SHARE/rootonly,target=/x,readonly" lockset-bb true
pallowed "the user: a read-only bind of a directory they may only read" uk \
	create --pull=never -v "$SHARE/docs:/docs:ro" lockset-bb true
pdenied "the user: a read-write bind of it is refused" caller-access \
	uk create --pull=never -v "$SHARE/docs:/docs" lockset-bb true
pallowed "the user: a bind of their own directory in the share" uk \
	run --rm --pull=never --network none -v "$SHARE/mine:/mine" lockset-bb touch /mine/x
pdenied "the user: a local volume binding the root-only directory is refused" caller-access \
	uk volume create -o type=none -o o=bind -o "device=$SHARE/rootonly" sneaky
# A source swapped for a root-only directory (still in the share) after the
# create: the start is judged again, with the caller's access.
mkdir "$SHARE/swap" && chown "$U:" "$SHARE/swap"
pallowed "the user: create with a bind of their own directory" uk \
	create --pull=never --network none -v "$SHARE/swap:/s" lockset-bb true
SWAPPED=$(cat "$T/out")
rmdir "$SHARE/swap" && ln -s rootonly "$SHARE/swap"
pdenied "the user: its start after the source became the root-only directory is refused" \
	caller-access uk start "$SWAPPED"
pdenied "the user: --volumes-from a container now holding it is refused" caller-access \
	uk run --rm --pull=never --network none --volumes-from "$SWAPPED" lockset-bb true
# Swapped for a directory the user may read but not write: a read-write
# bind's start asks to write it (the record keeps which binds are), a
# read-only one's only to read it.
mkdir "$SHARE/swaprw" "$SHARE/swapro" && chown "$U:" "$SHARE/swaprw" "$SHARE/swapro"
pallowed "the user: create with a read-write bind of their own directory" uk \
	create --pull=never --network none -v "$SHARE/swaprw:/s" lockset-bb touch /s/written
SWAPRW=$(cat "$T/out")
pallowed "the user: create with a read-only bind of another" uk \
	create --pull=never --network none -v "$SHARE/swapro:/s:ro" lockset-bb ls /s
SWAPRO=$(cat "$T/out")
rmdir "$SHARE/swaprw" "$SHARE/swapro" && ln -s docs "$SHARE/swaprw" && ln -s docs "$SHARE/swapro"
pdenied "the user: the read-write one's start, its source now a directory they may only read, is refused" \
	caller-access uk start "$SWAPRW"
check "... and nothing was written there" test ! -e "$SHARE/docs/written"
pallowed "the user: the read-only one's start is allowed" uk start "$SWAPRO"
# dockerd mounts a bind's source cleaned: the caller's access is asked of
# that path too, not only of the path as written (which the kernel walks
# from the missing directory's parent).
pdenied "the user: a bind through a missing directory and '..' to the root-only directory is refused" \
	caller-access uk create --pull=never -v "$SHARE/nothere/../rootonly:/x:ro" lockset-bb true
# An exec or attach hands the caller what the container holds.
pallowed "root: a running container holding the root-only directory" pk \
	run -d --pull=never --network none --name rootsvc -v "$SHARE/rootonly:/x" lockset-bb sleep 600
pdenied "the user: docker exec into it is refused" caller-access uk exec rootsvc ls /x
pallowed "root: docker exec into it is allowed" pk exec rootsvc ls /x
pk rm -f rootsvc >/dev/null 2>&1
check "the user's refusal is audited with their uid as actor and their name as user" \
	test "$(row "SELECT count(*) FROM events e JOIN event_rules r ON r.event_id = e.id
		WHERE r.rule = 'caller-access' AND e.component = 'proxy' AND e.actor = 'uid:$UID_U'
		AND json_extract(e.data, '$.user') = '$U'")" -ge 3

# $HOME is the user's own home for the user's requests.
pallowed "the user: a bind in their own \$HOME share" uk \
	create --pull=never -v "$UHOME/proj:/proj" lockset-bb true
pdenied "root: the same path is outside root's shares" bind-outside-shares pk \
	create --pull=never -v "$UHOME/proj:/proj" lockset-bb true

# Per-user policy: tighter for the user ...
J=(-H 'Content-Type: application/json')
api PUT "/v1/policy/users/$U" "${J[@]}" -d '{"configurationFileVersion": 2,
	"containerPolicy": {"locked": true, "deniedFlags": ["--privileged", "--cap-add=SYS_PTRACE"]}}'
expect_status "a per-user policy for the user" 200
pdenied "the user's policy applies to their plain docker run" cap-add uk \
	run --rm --pull=never --network none --cap-add SYS_PTRACE lockset-bb true
pallowed "... not to root's" pk create --pull=never --cap-add SYS_PTRACE lockset-bb true
# ... and looser: the proxy allows, and the plugin takes its ticket.
api PUT "/v1/policy/users/$U" "${J[@]}" -d '{"configurationFileVersion": 2,
	"containerPolicy": {"locked": true, "deniedFlags": []}}'
expect_status "a looser per-user policy" 200
pallowed "the user's looser policy lets their create through proxy and plugin" uk \
	create --pull=never --privileged lockset-bb true
UPRIV=$(cat "$T/out")
pdenied "root is still refused --privileged" privileged pk \
	create --pull=never --privileged lockset-bb true

# --- who made a container decides the policy the scan of the engine's
# containers judges it by (README, "Containers the policy would refuse now")
check "the proxy records who made the user's container" \
	test "$(row "SELECT user FROM container_creators WHERE id = '$UPRIV'")" = "$U"
scanned() { api GET /v1/health; [ "$(jqb .engine.policyScannedVersion)" = "$1" ]; }
bump() { # another harmless denied flag: a new policy version, and a scan
	local v
	api GET /v1/health
	v=$(($(jqb .policyVersion) + 1))
	jq --arg f "$1" '.containerPolicy.deniedFlags += [$f]' "$T/policy.json" >"$T/bumped.json"
	put_policy "$T/bumped.json"
	reload_to "$v" && wait_until 30 scanned "$v"
}
uprivnamed() { jq_holds --arg id "${UPRIV:0:12}" --arg u "$U" \
	'.engine.policyContainerList | map(select(.id == $id and .user == $u and .rules == ["privileged"])) | length == 1' \
	"$BODY"; }
check "a scan follows a new version of the policy" bump --cap-add=SYS_MODULE
check "... and judges the user's privileged container by their looser policy: not named" \
	jq_holds --arg id "${UPRIV:0:12}" '[.engine.policyContainerList[]?.id] | index($id) == null' \
	"$BODY"
expect_json "... nothing is" .checks.containers ok
api PUT "/v1/policy/users/$U" "${J[@]}" -d '{"configurationFileVersion": 2,
	"containerPolicy": {"locked": true, "deniedFlags": ["--privileged"]}}'
expect_status "the user's policy denies --privileged again" 200
check "after the next scan" bump --cap-add=SYS_RAWIO
check "... their container is named, as theirs, by the rule of their policy" uprivnamed
expect_json "... and lockset is degraded" .status degraded
pallowed "they remove it" uk rm "$UPRIV"
check "after the next scan" bump --cap-add=SYS_TIME
expect_json "... nothing is named" .checks.containers ok

# --- the whole request: a form-encoded pull
FORM=(-s --unix-socket "$PROXY" -o "$T/body" -w '%{http_code}' -X POST
	-H 'Content-Type: application/x-www-form-urlencoded')
STATUS=$(curl "${FORM[@]}" --data 'fromImage=quay.io/evil/miner&tag=1' http://docker/v1.41/images/create)
check "a form-encoded images/create to a registry not allowed is refused (403)" test "$STATUS" = 403
check "... by the registry rule, read from the form" grep -q '\[registry\]' "$T/body"
STATUS=$(curl "${FORM[@]}" --data 'tag=1' 'http://docker/v1.41/images/create?fromImage=docker.io/library/x&fromImage=quay.io/evil/y')
check "every fromImage value is judged" test "$STATUS" = 403
check "the proxy's refusals are audited as the proxy's" \
	test "$(row "SELECT count(*) FROM events e JOIN event_rules r ON r.event_id = e.id
		WHERE r.rule = 'registry' AND e.component = 'proxy'")" -ge 2

# --- framing: what lockset and dockerd could read differently is refused;
# requests sent together are each judged
raw() { # BYTES (printf format) -> the status lines of every response
	python3 - "$PROXY" "$1" <<'PY'
import re, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print("\n".join(re.findall(r"HTTP/1\.[01] [0-9]{3}[^\r\n]*", data.decode("latin-1"))))
PY
}
PRIV='{"Image":"lockset-bb","HostConfig":{"Privileged":true}}'
check "a folded header line is refused (400)" test "$(raw 'GET /_ping HTTP/1.1\r\nHost: d\r\n X: y\r\n\r\n')" = "HTTP/1.1 400 Bad Request"
check "two Content-Type headers are refused (400)" test "$(raw 'POST /v1.41/images/lockset-bb/tag?repo=myapp&tag=v1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\nrepo=docker&tag=cli')" = "HTTP/1.1 400 Bad Request"
check "Content-Length with Transfer-Encoding is refused (400)" test "$(raw 'POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" = "HTTP/1.1 400 Bad Request"
out=$(raw "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\nPOST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${#PRIV}\r\n\r\n$PRIV")
check "two requests in one write: the ping goes through, the create is judged and refused" \
	test "$out" = "$(printf 'HTTP/1.1 200 OK\nHTTP/1.1 403 Forbidden')"
out=$(raw "POST x:/v1.41/containers/create?a=://h/containers/abc/stop HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${#PRIV}\r\n\r\n$PRIV")
check "a target with a scheme and a decoy in its query is judged as the create Go routes (403)" \
	test "$out" = "HTTP/1.1 403 Forbidden"
# The media type as Go reads it: U+0130 lower-cases to i, U+00A0 is trimmed;
# a type Go cannot parse is no form, and the query is what dockerd reads.
check "a form body whose Content-Type has a U+0130 is read as the form it is (403)" test "$(raw 'POST /v1.41/images/create?fromImage=docker.io/library/x&tag=1 HTTP/1.1\r\nHost: d\r\nContent-Type: appl\xc4\xb0cation/x-www-form-urlencoded\r\nContent-Length: 30\r\n\r\nfromImage=quay.io/evil/miner12')" = "HTTP/1.1 403 Forbidden"
check "... and one after a no-break space (403)" test "$(raw 'POST /v1.41/images/create?fromImage=docker.io/library/x&tag=1 HTTP/1.1\r\nHost: d\r\nContent-Type: \xc2\xa0application/x-www-form-urlencoded\r\nContent-Length: 30\r\n\r\nfromImage=quay.io/evil/miner12')" = "HTTP/1.1 403 Forbidden"
check "a Content-Type Go cannot parse makes no form: the query's registry is judged (403)" test "$(raw 'POST /v1.41/images/create?fromImage=quay.io/evil/y&tag=1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-www-form-urlencoded x\r\nContent-Length: 30\r\n\r\nfromImage=docker.io/library/x1')" = "HTTP/1.1 403 Forbidden"
out=$(raw "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n$(printf '%x' 32)\r\n${PRIV:0:32}\r\n$(printf '%x' $((${#PRIV} - 32)))\r\n${PRIV:32}\r\n0\r\n\r\n")
check "a chunked create body is read whole and judged" test "$out" = "HTTP/1.1 403 Forbidden"

# --- every route whose body the engine judges has its body read
JSON=(-s --unix-socket "$PROXY" -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json')
STATUS=$(curl "${JSON[@]}" -X POST http://docker/v1.41/networks/no-such-net/connect \
	-d '{"Container":"x","EndpointConfig":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.forwarding=1"}}}')
check "a network connect's endpoint sysctls are read from its body and refused (403)" \
	test "$STATUS" = 403
check "... by the sysctl rule" grep -q '\[sysctl\]' "$T/body"
STATUS=$(curl "${JSON[@]}" -X POST http://docker/v1.41/networks/no-such-net/connect -d '{"Container":"x"}')
check "a plain network connect goes to dockerd (which knows no such network: $STATUS)" \
	test "$STATUS" = 404
STATUS=$(curl "${JSON[@]}" -X POST http://docker/v1.41/containers/no-such/checkpoints \
	-d '{"CheckpointID":"c1","CheckpointDir":"/etc"}')
check "a checkpoint create into /etc is refused (403)" test "$STATUS" = 403
check "... as a host path outside the shares" grep -q '\[bind-outside-shares\]' "$T/body"
STATUS=$(curl "${JSON[@]}" 'http://docker/v1.41/containers/no-such/checkpoints?dir=/etc')
check "a checkpoint list that would make a directory in /etc is refused (403)" test "$STATUS" = 403

# --- defence in depth: the plugin judges what comes another way
pdenied_direct() { denied "$@"; } # the plugin's message, straight to dockerd
pdenied_direct "straight to dockerd, --privileged is still refused by the plugin" privileged \
	create --pull=never --privileged lockset-bb true
STATUS=$(curl -s --unix-socket "$DOCKER_SOCK" -o "$T/body" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' -H "X-Lockset-Ticket: 0001$(printf '0%.0s' $(seq 32))" \
	-d '{"Image":"lockset-bb","HostConfig":{"Privileged":true}}' \
	http://docker/v1.41/containers/create)
check "a forged ticket is not taken by the plugin" test "$STATUS" = 403
check "... which judged the request itself" grep -q '\[privileged\]' "$T/body"

# --- container records from the proxy alone (dockerd without the plugin)
dockerd_stop
dockerd_start noplugin --group root
pk create --pull=never -v "$SHARE/docs:/docs:ro" lockset-bb true >"$T/out" 2>"$T/err"
ID=$(cat "$T/out")
check "a create through the proxy is recorded without the plugin" \
	test "$(row "SELECT sources FROM containers WHERE id = '$ID'")" = "[\"$SHARE/docs\"]"
pdenied "without the plugin, the proxy still refuses" privileged pk \
	create --pull=never --privileged lockset-bb true
api GET /metrics
check "proxied requests are counted" grep -q '^lockset_proxy_requests_total{result="forwarded"} [1-9]' "$BODY"
check "upgrades are counted" grep -q '^lockset_proxy_requests_total{result="upgraded"} [1-9]' "$BODY"
api GET /v1/health
expect_json "healthy after the run" .status ok
finish
