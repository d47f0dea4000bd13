#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A restart of locksetd does not break docker. The plugin and API sockets are
# held by systemd-socket-activate (as locksetd.socket holds them under
# systemd) and a supervisor loop restarts the daemon with them; a real
# dockerd uses the plugin. docker ps and docker create run in three loops at
# once while the daemon is restarted six times: none may fail, and dockerd
# never has to send a plugin call again. Without the held sockets dockerd retries a
# missing plugin for 30 s and then fails.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"
need systemd-socket-activate

SA="$T/sa"
mkdir -p "$SA" /run/docker/plugins
SUPERVISOR=
restart_cleanup() {
	[ -n "$SUPERVISOR" ] && supervise_end
	dockerd_stop
	[ -n "$SUPERVISOR" ] && { kill "$SUPERVISOR" 2>/dev/null; wait "$SUPERVISOR" 2>/dev/null; }
	e2e_cleanup
}
trap restart_cleanup EXIT

# ECI unlocked: this test is about restarts; the engine here has no user namespaces.
# Images come in by import, which a plugin judges only while nothing reads its
# parameters (no registry list, no socket-mount names): see test_docker_authz.
jq '.blockDockerLoad.value = false | .enhancedContainerIsolation.locked = false |
	del(.containerPolicy.allowedRegistries) |
	.enhancedContainerIsolation.dockerSocketMount.imageList.images = []' \
	"$LOCKSET_SRCDIR/tests/e2e/policy.json" >"$T/policy.json"
put_policy "$T/policy.json"
export HOME="$T/home"
mkdir -p "$HOME"
supervise "$PLUGIN_SOCK"
S=$(curl -s -m 20 --unix-socket "$SA/api.sock" -o /dev/null -w '%{http_code}' http://lockset/v1/health)
check "the daemon starts on the first request" test "$S" = 200

dockerd_start
check "an image imported through the plugin" e2e_file_image lockset-restart:latest

# docker calls in three loops, each call timed, while the daemon restarts.
: >"$T/calls"
CALLS=
for loop in 1 2 3; do (
	i=$loop
	while [ ! -e "$T/calls.stop" ]; do
		i=$((i + 1))
		start=$(date +%s%N)
		if [ $((i % 2)) = 0 ]; then
			dk ps -a -q >/dev/null 2>>"$T/calls.err"
		else
			dk create --pull=never lockset-restart /bin/true >/dev/null 2>>"$T/calls.err"
		fi
		echo "$? $(( ($(date +%s%N) - start) / 1000000 ))" >>"$T/calls"
	done
) & CALLS="$CALLS $!"; done
EXTRA_PIDS=$CALLS
calls() { cat "$T/calls" 2>/dev/null | wc -l; }
wait_calls() { # until N more calls finished (20 s)
	local want=$(($(calls) + $1))
	wait_until 20 eval '[ "$(calls)" -ge '"$want"' ]'
}
check "docker calls are running" wait_calls 3
for n in 1 2 3 4 5 6; do
	old=$(supervised)
	kill -TERM "$old"
	check "restart $n: the daemon stopped" wait_until 5 gone "$old"
	check "restart $n: docker calls go on" wait_calls 4
done
touch "$T/calls.stop"
wait $CALLS
total=$(wc -l <"$T/calls")
failed=$(awk '$1 != 0' "$T/calls" | wc -l)
slowest=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$T/calls")
echo "# $total docker calls across 6 restarts: $failed failed; the slowest took $slowest ms"
check "no docker call failed across the restarts" test "$failed" = 0
[ "$failed" = 0 ] || head -n 5 "$T/calls.err"
# A plugin call cut under dockerd is sent again without its body: an AuthZReq
# then fails the docker call, an AuthZRes loses its container's record. Each
# plugin connection carries one request, so a restart never cuts one.
retried=$(grep -c 'Unable to connect to plugin' "$T/dockerd.log")
check "no plugin call was cut and sent again by dockerd ($retried)" test "$retried" = 0
[ "$retried" = 0 ] || grep 'Unable to connect to plugin' "$T/dockerd.log" | head -n 5 | sed 's/^/#   /'
check "each restart was a new daemon" test "$(grep -c 'info: stopped' "$SA/log")" -ge 6
finish
