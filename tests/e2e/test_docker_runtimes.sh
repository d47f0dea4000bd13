#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end with the real Docker Engine: its runtimes besides runc. A
# runtime can add to a container what its request does not show (NVIDIA's
# gives it the host's GPUs when its environment names them, whether or not
# --device is denied), and lockset judges the request, so /v1/health's
# checks.runtimes names the engine's other runtimes and how a container gets
# one: with --runtime while the policy allows it, or as the engine's
# default. Informational, as checks.shares: lockset is not degraded for it,
# and logs what it found when it changes.
# The runtime here is runc under the name of NVIDIA's runtime's binary: a real
# runtime, which dockerd runs containers with.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"

RUNC=$(command -v runc) || { echo "SKIP: runc is not installed"; exit 77; }
NV="$T/bin/nvidia-container-runtime"
mkdir -p "$T/bin"
ln -s "$RUNC" "$NV"
policy() { # DENIED-FLAGS (a JSON list)
	jq -n --argjson denied "$1" \
		'{configurationFileVersion: 2, containerPolicy: {locked: true, deniedFlags: $denied}}' \
		>"$T/policy.json"
	put_policy "$T/policy.json"
}
says() { jq_holds --arg re "$1" '.checks.runtimes | test($re)' "$BODY"; }

policy '["--device"]'
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" || exit 1
api GET /v1/health
check "before the engine answers, the runtimes are not checked, and say why" \
	jq_holds '.checks.runtimes | startswith("not checked: the engine at ")' "$BODY"
check "... nor listed" jq_holds '.engine.otherRuntimes == null and .engine.defaultRuntime == null' "$BODY"

# --- a runtime besides runc, runc the default, --runtime allowed
dockerd_start plugin --add-runtime "nvidia=$NV"
wait_health "the engine's runtime besides runc is listed with its path" .engine.otherRuntimes \
	"nvidia ($NV)"
expect_json "... runc is its default" .engine.defaultRuntime runc
check "the daemon's log says so once" wait_until 10 grep -qF \
	"offers runtimes besides runc: nvidia ($NV); its default is runc; " "$T/daemon.log"
check "checks.runtimes names it, and that a container may choose it with --runtime" \
	says "^the engine at $DOCKER_SOCK offers runtimes besides runc \\(nvidia \\(.*\\)\\), and a container may choose one with --runtime, which the policy allows: "
check "... says what such a runtime adds that lockset does not see (GPUs by the environment)" \
	says "NVIDIA_VISIBLE_DEVICES, which an image can set, whether or not --device is denied"
check "... and what to do" says "deny --runtime and keep runc the engine's default"
expect_json "... informational: lockset is not degraded for it" .status ok
e2e_busybox_image lockset-bb
allowed "a container runs with it, a real runtime" \
	run --rm --pull=never --network none --runtime nvidia lockset-bb true
denied "--device is denied all the same" device \
	run --rm --pull=never --network none --device /dev/null lockset-bb true

# --- --runtime denied, runc the default: nothing to say
policy '["--device", "--runtime"]'
reload_to 2 || not_ok "the second policy was not served"
wait_health "with --runtime denied and runc the default, the check is ok" .checks.runtimes ok
denied "... and the runtime cannot be chosen" runtime \
	run --rm --pull=never --network none --runtime nvidia lockset-bb true
CTL=${LOCKSETCTL:-$LOCKSET_BUILDDIR/daemon/ctl/locksetctl}
"$CTL" --socket "$SOCK" status >"$T/status" 2>&1
check "locksetctl status shows the check" grep -qxP 'runtimes\tok' "$T/status"

# --- the other runtime the engine's default: every container gets it
dockerd_stop
dockerd_start plugin --add-runtime "nvidia=$NV" --default-runtime nvidia
wait_health "the engine's default runtime is read" .engine.defaultRuntime nvidia
check "... and logged" wait_until 10 grep -qF "; its default is nvidia; " "$T/daemon.log"
check "checks.runtimes says every container that names none runs with it" \
	says "^the engine at $DOCKER_SOCK runs every container that names no runtime with its default, nvidia, and offers runtimes besides runc \\(nvidia "
check "... and not that --runtime chooses one (it is denied)" \
	jq_holds '.checks.runtimes | test("may choose one with --runtime") | not' "$BODY"
expect_json "... lockset is not degraded" .status ok
allowed "a container that names no runtime is made" \
	create --pull=never --network none --name bydefault lockset-bb true
check "... and the engine gave it the default runtime" \
	test "$(dk inspect -f '{{.HostConfig.Runtime}}' bydefault)" = nvidia
allowed "... it starts (what lockset judged: a request naming no runtime)" start bydefault
# A policy change has the engine's containers judged again, this one among them.
policy '["--device", "--runtime", "--privileged"]'
reload_to 3 || not_ok "the third policy was not served"
wait_health "the engine's containers are judged by the new policy" .engine.policyScannedVersion 3
expect_json "... the one container among them" .engine.policyContainersJudged 1
expect_json "... and not refused: the engine's own default is no choice of the container's" \
	.engine.policyContainers 0

# --- no runtime but runc: ok whatever the policy
dk rm -f bydefault >/dev/null
dockerd_stop
policy '["--device"]'
reload_to 4 || not_ok "the fourth policy was not served"
dockerd_start
wait_health "an engine with runc only lists no other runtime" .engine.otherRuntimes ""
expect_json "... and the check is ok, --runtime allowed or not" .checks.runtimes ok
check "... and the log says runc only" wait_until 10 grep -q "runs containers with runc only" \
	"$T/daemon.log"
check "each change was logged once" test "$(grep -c "offers runtimes besides runc" "$T/daemon.log")" = 2
finish
