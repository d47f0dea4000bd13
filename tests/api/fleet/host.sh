# SPDX-License-Identifier: Apache-2.0
# Sourced by the fleet tests after lib.sh: a host in upstream mode (a second
# locksetd), started and stopped by its pid and asked over its own socket.
# The caller makes the runtime token ($T/token) the host pulls with.

# use_host NAME: the host that host_start starts and h asks, with its state,
# settings and log in $T/NAME.
use_host() {
	HNAME=$1
	H="$T/$1"
	HSOCK="$H/api.sock"
	HSETTINGS="$H/etc/admin-settings.json"
	[ -d "$H/etc" ] && return
	mkdir -p "$H/etc"
	chmod 755 "$H" "$H/etc"
	cp "$LOCKSET_SRCDIR/tests/cases/policy/valid/version-only.json" "$HSETTINGS"
	chmod 644 "$HSETTINGS"
}
HOST_PID=
# host_start ARGS: start it with its upstream options (--upstream,
# --bundle-key, ...), long-polling for HOST_WAIT seconds (5); waits until it
# answers.
host_start() {
	"$LOCKSETD" --settings "$HSETTINGS" --state-dir "$H/state" --listen "unix:$HSOCK" \
		--authz-socket '' --foreground --log-level debug --host-name "$HNAME" \
		--upstream-token-file "$T/token" --upstream-wait "${HOST_WAIT:-5}" \
		--upstream-retry-max 1 --upstream-report-interval 1 "$@" >>"$H/daemon.log" 2>&1 &
	HOST_PID=$!
	EXTRA_PIDS="$HOST_PID ${EXTRA_PIDS:-}"
	wait_until 10 curl -s --unix-socket "$HSOCK" -o /dev/null http://lockset/v1/health
}
host_stop() {
	kill -TERM "$HOST_PID" 2>/dev/null
	wait "$HOST_PID" 2>/dev/null
}
# h METHOD PATH [curl args]: a request to the host over its socket.
h() {
	local method=$1 path=$2; shift 2
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(curl -s --unix-socket "$HSOCK" -X "$method" -o "$BODY" -D "$HEADERS" \
		-w '%{http_code}' "$@" "http://lockset$path")
}
host_bundle() { h GET /v1/health; jqb .upstream.bundleVersion; }
host_has() { [ "$(host_bundle)" = "$1" ]; }
PRIV='{"method":"POST","uri":"/v1.43/containers/create","user":"alice",
	"body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
# The host's policy refuses --privileged, by that rule.
denies_privileged() {
	h POST /v1/decisions -d "$PRIV"
	[ "$STATUS" = 200 ] && [ "$(jqb .allow)" = false ] &&
		[ "$(jqb '[.violations[].rule] | index("privileged") != null')" = true ]
}
