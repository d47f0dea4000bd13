#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Container records and container lookups, against the real daemon: the
# "containers" and "headers" members of POST /v1/decisions (strictly
# validated), creates recorded from the plugin's AuthZRes (rows read with the
# sqlite3 CLI), kept across a restart and forgotten when a DELETE comes, and a
# start judged by the paths as they resolve at start (a directory swapped for
# a symlink to / between create and start is refused). No engine runs here:
# --engine-socket names a socket nobody listens on, so a container without a
# record is unknown.
#
# Checks marked "engine:" need the decision engine to judge container starts
# and VolumesFrom through the container lookup (decide.h, decide_container_fn,
# rule unknown-container); until daemon/engine/decide.c does, they are skipped.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3 base64

# engine_expect NAME JQ-EXPR EXPECTED: what the engine makes of the containers.
engine_expect() { expect_json "engine: $1" "$2" "$3"; }

SHARE="$T/share"
mkdir -p "$SHARE/dir" "$SHARE/dir2" "$SHARE/secret" "$SHARE/ok"
# ECI on, not locked: locked on, it would need an engine that runs containers
# in user namespaces, and here curl plays dockerd with no engine behind it.
jq -n --arg share "$SHARE" '{
	configurationFileVersion: 2,
	enhancedContainerIsolation: {locked: false, value: true},
	filesharingAllowedDirectories: [{path: $share, sharedByDefault: true}],
	containerPolicy: {locked: true, mode: "enforce", deniedFlags: ["--privileged", "--security-opt=systempaths=unconfined"],
		protectedHostPaths: [($share + "/secret")]}}' >"$T/policy.json"
put_policy "$T/policy.json"
ENGINE_SOCK="$T/no-engine.sock"
lockset_start --engine-socket "$ENGINE_SOCK" || exit 1
DB="$STATE/lockset.db"

decide() { # JSON
	api POST /v1/decisions -H 'Content-Type: application/json' -d "$1"
}
authz() { # PATH JSON
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(curl -s --unix-socket "$AUTHZ_SOCK" -X POST -o "$BODY" -D "$HEADERS" \
		-w '%{http_code}' -d "$2" "http://plugin$1")
}
b64() { printf '%s' "$1" | base64 -w0; }
# "bind-outside-shares" when the last decision broke that rule (a symlink to /
# also contains the Docker socket, so docker-socket comes with it).
RULES='[.violations[].rule] | unique | map(select(. == "bind-outside-shares")) | join(",")'

row() { sqlite3 "$DB" "SELECT $1 FROM containers WHERE id = '$2'"; }

# --- "containers" and "headers" are validated strictly
decide '{"method":"POST","uri":"/containers/x/start","containers":["/a"]}'
expect_error "containers that is not an object" 400 invalid_request
expect_json "the member is named" '.error.details[0].path' /containers
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":"/a"}}'
expect_error "host paths that are not an array" 400 invalid_request
expect_json "the container is named" '.error.details[0].path' /containers/x
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":["/a","relative"]}}'
expect_error "a relative host path" 400 invalid_request
expect_json "the path is named" '.error.details[0].path' /containers/x/1
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":["/a\u0000/b"]}}'
expect_error "a host path with a NUL byte" 400 invalid_json
decide '{"method":"POST","uri":"/containers/x/start","containers":{"":["/a"]}}'
expect_error "an empty container reference" 400 invalid_request
decide '{"method":"POST","uri":"/containers/x/start","containers":{"a/b":[1]}}'
expect_error "a host path that is not a string" 400 invalid_request
expect_json "the pointer escapes /" '.error.details[0].path' '/containers/a~1b/0'
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":{"sources":["/a"],"volumeDrivers":[""]}}}'
expect_error "an empty volume driver's name" 400 invalid_request
expect_json "the driver is named" '.error.details[0].path' /containers/x/volumeDrivers/0
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":{"volumeDrivers":[]}}}'
expect_error "a container described without its sources" 400 invalid_request
expect_json "... named" '.error.details[0].path' /containers/x
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":{"sources":[],"drivers":[]}}}'
expect_error "an unknown member of a container" 400 invalid_request
expect_json "... named" '.error.details[0].path' /containers/x/drivers
decide '{"method":"POST","uri":"/images/create?fromImage=alpine","headers":{"Content-Type":1}}'
expect_error "a header value that is not a string" 400 invalid_request
expect_json "the header is named" '.error.details[0].path' /headers/Content-Type
decide '{"method":"POST","uri":"/images/create?fromImage=alpine","headers":[]}'
expect_error "headers that are not an object" 400 invalid_request
decide "{\"method\":\"POST\",\"uri\":\"/containers/x/start\",\"containers\":{\"x\":[\"$SHARE/dir\"]},\"headers\":{\"content-type\":\"application/json\"}}"
expect_status "a well-formed request is judged" 200

# --- a start is judged by its container's paths as they resolve now, and
# under ECI by its user namespace, known when the caller lists the
# namespaces it shares with the host (none here)
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"/web\":{\"sources\":[\"$SHARE/dir\"],\"hostNamespaces\":[],\"hostConfig\":{}}}}"
expect_json "a start whose bind is a directory in the share is allowed" .allow true
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"/web\":[\"$SHARE/dir\"]}}"
expect_json "... described by its paths alone, its user namespace and flags are not known: refused" \
	'[.violations[].rule] | unique | join(",")' unknown-container
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"/web\":{\"sources\":[\"$SHARE/dir\"],\"hostNamespaces\":[],\"hostConfig\":{\"Privileged\":true,\"NetworkMode\":\"bridge\"}}}}"
expect_json "a start of a container whose hostConfig says privileged is refused" \
	'[.violations[].rule] | join(",")' privileged
expect_json "... its field named as the engine shows it" '.violations[0].field' HostConfig.Privileged
# HostConfig as a Docker 20.10 engine shows it: its default system paths
MASKED='["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"]'
RO='["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]'
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"/web\":{\"sources\":[],\"hostNamespaces\":[],\"hostConfig\":{\"MaskedPaths\":$MASKED,\"ReadonlyPaths\":$RO,\"Privileged\":false}}}}"
expect_json "a hostConfig with an engine's default system paths is allowed" .allow true
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"/web\":{\"sources\":[],\"hostNamespaces\":[],\"hostConfig\":{\"MaskedPaths\":[],\"ReadonlyPaths\":[]}}}}"
expect_json "... with none (systempaths=unconfined), refused" \
	'[.violations[].rule] | unique | join(",")' security-opt
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":{"sources":[],"hostConfig":[]}}}'
expect_error "a hostConfig that is not an object" 400 invalid_request
expect_json "... is named" '.error.details[0].path' /containers/x/hostConfig
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/exec\",\"body\":{\"Cmd\":[\"sh\"]},\"containers\":{\"web\":{\"sources\":[],\"hostNamespaces\":[\"user\",\"pid\"]}}}"
expect_json "an exec into one that runs in the host's user namespace is refused" \
	'[.violations[].rule] | join(",")' host-userns
decide '{"method":"POST","uri":"/containers/x/start","containers":{"x":{"sources":[],"hostNamespaces":["uts"]}}}'
expect_error "a namespace that cannot be shared this way" 400 invalid_request
expect_json "... is named" '.error.details[0].path' /containers/x/hostNamespaces/0
rmdir "$SHARE/dir" && ln -s / "$SHARE/dir"
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"/web\":[\"$SHARE/dir\"]}}"
engine_expect "the same start once the directory is a symlink to / is refused" .allow false
engine_expect "... as a bind outside the shares" "$RULES" bind-outside-shares
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"web\":[\"$SHARE/secret\"]}}"
engine_expect "a start into a protected path is refused" '.violations[0].rule' protected-path
decide '{"method":"POST","uri":"/v1.47/containers/nobody/start"}'
engine_expect "a start of an unknown container is refused" .allow false
engine_expect "... as unknown-container" '.violations[0].rule' unknown-container
decide '{"method":"POST","uri":"/v1.47/containers/create","body":{"Image":"alpine","HostConfig":{"VolumesFrom":["ghost:ro"]}}}'
engine_expect "VolumesFrom an unknown container is refused" '.violations[0].rule' unknown-container
decide '{"method":"POST","uri":"/v1.47/containers/create","body":{"Image":"alpine","HostConfig":{"VolumesFrom":["holder"]}},"containers":{"holder":["/var/run/docker.sock"]}}'
engine_expect "VolumesFrom a container holding the Docker socket is refused" '.violations[0].rule' docker-socket
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/create\",\"body\":{\"Image\":\"alpine\",\"HostConfig\":{\"VolumesFrom\":[\"ok\"]}},\"containers\":{\"ok\":[\"$SHARE/dir2\"]}}"
expect_json "VolumesFrom a container with binds in the share is allowed" .allow true

# --- creates are recorded from their AuthZRes
ID=$(printf 'c%.0s' $(seq 64))
CREATE="{\"Image\":\"alpine\",\"HostConfig\":{\"Binds\":[\"$SHARE/dir2:/data\"]}}"
URI='/v1.47/containers/create?name=web2'
authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"POST\",\"RequestUri\":\"$URI\",\"RequestBody\":\"$(b64 "$CREATE")\",\"RequestHeaders\":{\"Content-Type\":\"application/json\"}}"
expect_json "the create is allowed" .Allow true
authz /AuthZPlugin.AuthZRes "{\"RequestMethod\":\"POST\",\"RequestUri\":\"$URI\",\"RequestBody\":\"$(b64 "$CREATE")\",\"ResponseStatusCode\":201,\"ResponseBody\":\"$(b64 "{\"Id\":\"$ID\",\"Warnings\":[]}")\"}"
expect_status "AuthZRes answers" 200
expect_json "AuthZRes allows" .Allow true
check "the create is recorded with its bind source" test "$(row sources "$ID")" = "[\"$SHARE/dir2\"]"
check "... its name from the query" test "$(row name "$ID")" = web2
check "... its image and origin" test "$(row "image || ' ' || origin" "$ID")" = "alpine create"
check "... and the policy version" test "$(row policy_version "$ID")" = 1
creator() { sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "SELECT user FROM container_creators WHERE id = '$1'"; }
check "... with no User in the envelope, no one is recorded as having made it" test -z "$(creator "$ID")"
# dockerd's AuthZ User (a TLS client's name): who made it, whose policy
# judges it in the scan of the engine's containers. A ticket header, which
# any client can send, changes nothing (the proxy's own creates come with no
# User, and the proxy names its caller itself).
IDU=$(printf 'd%.0s' $(seq 64))
IDT=$(printf 'e%.0s' $(seq 64))
for pair in "$IDU:" "$IDT:,\"RequestHeaders\":{\"x-lockset-ticket\":\"t\"}"; do
	authz /AuthZPlugin.AuthZRes "{\"User\":\"tls-user\",\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.47/containers/create\",\"RequestBody\":\"$(b64 '{"Image":"alpine"}')\",\"ResponseStatusCode\":201,\"ResponseBody\":\"$(b64 "{\"Id\":\"${pair%%:*}\"}")\"${pair#*:}}"
done
check "a create's AuthZRes names dockerd's User as who made it" test "$(creator "$IDU")" = tls-user
check "... also when the envelope shows a ticket header" test "$(creator "$IDT")" = tls-user
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID/start\"}"
expect_json "its start is allowed while the source is a directory" .allow true
rmdir "$SHARE/dir2" && ln -s / "$SHARE/dir2"
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID/start\"}"
engine_expect "its start, once the source is a symlink to /, is refused" .allow false
engine_expect "... as a bind outside the shares" "$RULES" bind-outside-shares

# --- what a container runs with is recorded too: one created with
# --cap-add SYS_ADMIN while the policy allowed it takes no start once the
# policy denies the flag
IDP=$(printf 'b%.0s' $(seq 64))
CAPS='{"Image":"alpine","HostConfig":{"CapAdd":["SYS_ADMIN"]}}'
authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.47/containers/create\",\"RequestBody\":\"$(b64 "$CAPS")\"}"
expect_json "a create adding SYS_ADMIN is allowed while the policy allows it" .Allow true
authz /AuthZPlugin.AuthZRes "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.47/containers/create\",\"RequestBody\":\"$(b64 "$CAPS")\",\"ResponseStatusCode\":201,\"ResponseBody\":\"$(b64 "{\"Id\":\"$IDP\"}")\"}"
check "it is recorded with what it runs with" \
	test "$(row "json_extract(flags, '\$[0][2]')" "$IDP")" = SYS_ADMIN
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$IDP/start\"}"
expect_json "its start is allowed" .allow true
jq '.containerPolicy.deniedFlags += ["--cap-add=SYS_ADMIN"]' "$T/policy.json" >"$T/caps.json"
lockset_stop
put_policy "$T/caps.json"
lockset_start --engine-socket "$ENGINE_SOCK" || exit 1
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$IDP/start\"}"
expect_json "once the policy denies the flag, its start is refused as its create would be" \
	'[.violations[].rule] | join(",")' cap-add
sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE containers SET flags = NULL WHERE id = '$IDP'"
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$IDP/start\"}"
expect_json "a record from before flags were kept, no engine to ask: refused" \
	'[.violations[].rule] | join(",")' unknown-container
lockset_stop
put_policy "$T/policy.json"
lockset_start --engine-socket "$ENGINE_SOCK" || exit 1

lockset_stop
lockset_start --engine-socket "$ENGINE_SOCK" || exit 1
check "the record survives a restart" test "$(row sources "$ID")" = "[\"$SHARE/dir2\"]"
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID/start\"}"
engine_expect "after the restart the swapped start is still refused" "$RULES" bind-outside-shares
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/${ID:0:12}/start\"}"
engine_expect "a short id is not answered from the records (no engine here: unknown)" '.violations[0].rule' unknown-container

# --- a network connect gives a container endpoint options (sysctls) its
# record does not hold; the body names it by any name: no record is kept
# past it, and the container's start asks the engine (none here: unknown)
check "web2 is recorded before the connect" test "$(row "count(*)" "$ID")" = 1
CONNECT='{"Container":"web2","EndpointConfig":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.log_martians=1"}}}'
authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.47/networks/n1/connect\",\"RequestBody\":\"$(b64 "$CONNECT")\",\"RequestHeaders\":{\"Content-Type\":\"application/json\"}}"
expect_status "the connect is answered" 200
check "no record is kept past a network connect" test "$(row "count(*)" "$ID")" = 0
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID/start\"}"
engine_expect "... and the start asks the engine" '.violations[0].rule' unknown-container

# --- what is not recorded
ID2=$(printf 'd%.0s' $(seq 64))
for body in "{\"Image\":\"a\",\"HostConfig\":{\"AutoRemove\":true,\"Binds\":[\"$SHARE/x:/x\"]}}" \
	'{"Image":"a","HostConfig":{"Binds":["myvolume:/x"]}}'; do
	authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\",\"RequestBody\":\"$(b64 "$body")\"}"
	authz /AuthZPlugin.AuthZRes "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\",\"RequestBody\":\"$(b64 "$body")\",\"ResponseStatusCode\":201,\"ResponseBody\":\"$(b64 "{\"Id\":\"$ID2\"}")\"}"
	check "not recorded: $body" test "$(row count\(*\) "$ID2")" = 0
done
authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"POST\",\"RequestUri\":\"$URI\",\"RequestBody\":\"$(b64 "$CREATE")\"}"
ID3=$(printf 'e%.0s' $(seq 64))
authz /AuthZPlugin.AuthZRes "{\"RequestMethod\":\"POST\",\"RequestUri\":\"$URI\",\"RequestBody\":\"$(b64 "$CREATE")\",\"ResponseStatusCode\":409,\"ResponseBody\":\"$(b64 "{\"Id\":\"$ID3\"}")\"}"
check "not recorded: a create that failed" test "$(row count\(*\) "$ID3")" = 0

# --- AuthZRes never blocks a response, whatever it is sent
for env in 'not json' '{}' '[]' '{"RequestMethod":"POST","RequestUri":"/containers/create","ResponseStatusCode":"x","ResponseBody":"***"}'; do
	authz /AuthZPlugin.AuthZRes "$env"
	expect_json "AuthZRes allows: $env" .Allow true
done
api GET /v1/health
expect_json "the daemon is healthy after malformed responses" .status ok

# --- a DELETE forgets the record before dockerd removes the container
authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"DELETE\",\"RequestUri\":\"/v1.47/containers/$ID?force=1\"}"
expect_json "the DELETE is allowed" .Allow true
check "its record is gone" test "$(row count\(*\) "$ID")" = 0

api GET /metrics
check "container lookups from records are counted" grep -q \
	'^lockset_container_lookups_total{source="record",result="found"} [1-9]' "$BODY"

# --- allowedVolumeDrivers: a container's volume drivers are judged too
jq '.containerPolicy.allowedVolumeDrivers = ["rexray"]' "$T/policy.json" >"$T/drivers.json"
put_policy "$T/drivers.json"
lockset_stop
lockset_start --engine-socket "$ENGINE_SOCK" || exit 1
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"web\":{\"sources\":[\"$SHARE/ok\"],\"volumeDrivers\":[\"local\",\"rexray\"],\"hostNamespaces\":[],\"hostConfig\":{}}}}"
expect_json "a start whose volumes come from listed drivers is allowed" .allow true
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"web\":{\"sources\":[],\"volumeDrivers\":[\"local-persist\"]}}}"
expect_json "one holding an unlisted plugin's volume is refused" '.violations[0].rule' volume-driver
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/web/start\",\"containers\":{\"web\":[\"$SHARE/ok\"]}}"
expect_json "one described by its host paths alone (drivers not known) is refused" \
	'.violations[0].rule' unknown-container
ID4=$(printf 'f%.0s' $(seq 64))
CREATE4='{"Image":"alpine","Volumes":{"/data":{}},"HostConfig":{"VolumeDriver":"rexray"}}'
authz /AuthZPlugin.AuthZReq "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\",\"RequestBody\":\"$(b64 "$CREATE4")\"}"
expect_json "a create with a listed volume driver is allowed" .Allow true
authz /AuthZPlugin.AuthZRes "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\",\"RequestBody\":\"$(b64 "$CREATE4")\",\"ResponseStatusCode\":201,\"ResponseBody\":\"$(b64 "{\"Id\":\"$ID4\"}")\"}"
check "it is recorded with its volume driver" test "$(row drivers "$ID4")" = '["rexray"]'
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID4/start\"}"
expect_json "its start is allowed" .allow true
sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE containers SET drivers = '[\"local-persist\"]' WHERE id = '$ID4'"
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID4/start\"}"
expect_json "a record naming an unlisted driver refuses the start" '.violations[0].rule' volume-driver
sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE containers SET drivers = NULL WHERE id = '$ID4'"
decide "{\"method\":\"POST\",\"uri\":\"/v1.47/containers/$ID4/start\"}"
expect_json "a record from before drivers were kept, no engine to ask: refused" \
	'.violations[0].rule' unknown-container
finish
