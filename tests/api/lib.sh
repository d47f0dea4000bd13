# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the API tests: start the real locksetd on a Unix socket
# and a loopback port in a private temp dir, drive it with curl, assert with
# jq, and clean up everything the test started (by pid) on exit.
# Usage in a test: . "$LOCKSET_SRCDIR/tests/api/lib.sh"; lockset_start; ...; finish

set -u
: "${LOCKSET_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${LOCKSET_BUILDDIR:=$LOCKSET_SRCDIR}"
: "${LOCKSETD:=$LOCKSET_BUILDDIR/daemon/locksetd}"
EXAMPLES="$LOCKSET_SRCDIR/tests/cases/policy/valid"
# WAIT_SCALE multiplies the waits for the daemon (start, stop); valgrind
# (make check-valgrind, LOCKSET_VALGRIND=1) makes it some twenty times slower.
: "${WAIT_SCALE:=1}"

FAILS=0
CHECKS=0
DAEMON_PID=
T=$(mktemp -d /tmp/lockset-test.XXXXXX)
chmod 700 "$T"
SOCK="$T/api.sock"
AUTHZ_SOCK="$T/authz.sock"
STATE="$T/state"
SETTINGS="$T/etc/admin-settings.json"
mkdir -p "$T/etc"
chmod 755 "$T/etc"
if [ -n "${LOCKSET_VALGRIND:-}" ]; then
	command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind is not installed"; exit 77; }
	LOCKSET_VALGRIND_REAL=$LOCKSETD
	LOCKSETD="$LOCKSET_SRCDIR/tests/tools/valgrind-locksetd.sh"
	LOCKSET_VALGRIND_LOGS="$T/valgrind"
	export LOCKSET_VALGRIND_REAL LOCKSET_VALGRIND_LOGS LOCKSETD
	[ "$WAIT_SCALE" = 1 ] && WAIT_SCALE=20
fi

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c is not installed"; exit 77; }
	done
}
need curl jq

# Under valgrind: every daemon run's memcheck verdict (a run ended by SIGKILL
# leaves no summary and is not judged; one valgrind itself gave up on is).
# Prints the errors; 1 when any.
valgrind_verdict() {
	local f bad=0
	for f in "${LOCKSET_VALGRIND_LOGS:-/nonexistent}"/locksetd.*.log; do
		[ -f "$f" ] || continue
		if grep -q "ERROR SUMMARY: [1-9]" "$f"; then
			echo "not ok - valgrind: memcheck errors in a daemon run:"
			grep -v "^==[0-9]*== *$" "$f" | head -n 80
			bad=1
		elif grep -q "^valgrind: the 'impossible' happened" "$f"; then
			echo "not ok - valgrind: it gave up on a daemon run:"
			grep -B 3 -A 3 "^valgrind: the 'impossible' happened" "$f"
			bad=1
		fi
	done
	return "$bad"
}

cleanup() {
	local vg=0
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq $((50 * WAIT_SCALE))); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	if [ -n "${EXTRA_PIDS:-}" ]; then
		for p in $EXTRA_PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	fi
	if [ "$FAILS" -ne 0 ] && [ -f "$T/daemon.log" ]; then
		echo "--- daemon log (last 40 lines) ---"; tail -n 40 "$T/daemon.log"
	fi
	valgrind_verdict || vg=1
	rm -rf "$T"
	# Only memcheck's verdict changes the exit status (callers' traps run
	# commands of their own before this).
	[ "$vg" -eq 0 ] || exit 1
}
trap cleanup EXIT

# Install a policy file with safe ownership and mode (root or our uid, 0644).
put_policy() {
	cp "$1" "$SETTINGS.tmp"
	chmod 644 "$SETTINGS.tmp"
	mv "$SETTINGS.tmp" "$SETTINGS"
}

# Pick a free loopback TCP port.
free_port() {
	local p lo=32768
	# Below the kernel's range for outgoing connections: a port in it may be
	# held by another test's client socket, or by one in TIME_WAIT, and a
	# server without SO_REUSEADDR (openssl s_server) then cannot bind it.
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=12000
	for _ in $(seq 50); do
		p=$(( (RANDOM % (lo - 10000)) + 10000 ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	echo 0
}

# Start the daemon in the foreground (as a child we can stop by pid). Extra
# arguments are passed through; "{port}" in one stands for a second free port,
# picked again on every attempt and left in XPORT. Waits until /v1/health
# answers.
lockset_start() {
	[ -f "$SETTINGS" ] || put_policy "$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json"
	local attempt before a args
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port)
		XPORT=$(free_port)
		args=()
		for a in "$@"; do args+=("${a//\{port\}/$XPORT}"); done
		before=$(cat "$T/daemon.log" 2>/dev/null | wc -l)
		"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
			--listen "127.0.0.1:$PORT" --authz-socket "$AUTHZ_SOCK" --foreground \
			--log-level debug "${args[@]}" >>"$T/daemon.log" 2>&1 &
		DAEMON_PID=$!
		for _ in $(seq $((100 * WAIT_SCALE))); do
			if curl -s --unix-socket "$SOCK" -o /dev/null http://lockset/v1/health 2>/dev/null; then
				return 0
			fi
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
		# A test running beside this one took the port between free_port and
		# the bind: try another one; any other failure is final.
		tail -n +"$((before + 1))" "$T/daemon.log" | grep -q "Address already in use" || break
	done
	echo "daemon did not become ready:"; tail -n 20 "$T/daemon.log"; return 1
}

lockset_stop() {
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		LAST_EXIT=$?
		DAEMON_PID=
	fi
}

# Every reply that api and tcp receive is kept (replies.tsv + replies/ID) and
# validated against schema/openapi.json when the test finishes.
REPLIES="$T/replies"
NREPLY=0
mkdir -p "$REPLIES"

# record_reply METHOD PATH CURL-W-OUTPUT: keep the last reply; sets STATUS.
record_reply() {
	local id
	STATUS=${3%% *}
	NREPLY=$((NREPLY + 1))
	id="$BASHPID.$NREPLY"
	cp "$BODY" "$REPLIES/$id" 2>/dev/null || : >"$REPLIES/$id"
	printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$1" "$2" "$STATUS" "${3#* }" >>"$REPLIES.tsv"
}

# api METHOD PATH [curl args...]: request over the Unix socket as this uid.
# Sets STATUS, BODY (file), HEADERS (file).
api() {
	local method=$1 path=$2 out; shift 2
	BODY="$T/body"; HEADERS="$T/headers"
	: >"$BODY" # a reply without a body leaves it empty, not the previous one
	out=$(curl -s --unix-socket "$SOCK" -X "$method" -o "$BODY" -D "$HEADERS" \
		-w '%{http_code} %{content_type}' "$@" "http://lockset$path")
	record_reply "$method" "$path" "$out"
}

# tcp METHOD PATH [curl args...]: the same over loopback TCP.
tcp() {
	local method=$1 path=$2 out; shift 2
	BODY="$T/body"; HEADERS="$T/headers"
	: >"$BODY"
	out=$(curl -s -X "$method" -o "$BODY" -D "$HEADERS" -w '%{http_code} %{content_type}' \
		"$@" "http://127.0.0.1:$PORT$path")
	record_reply "$method" "$path" "$out"
}

# Validate every kept reply against schema/openapi.json (needs python3-jsonschema).
check_replies() {
	local out rc
	[ -s "$REPLIES.tsv" ] || return 0
	out=$(python3 "$LOCKSET_SRCDIR/tests/tools/openapi-check.py" replies \
		"$LOCKSET_SRCDIR/schema/openapi.json" "$REPLIES.tsv" "$REPLIES" 2>&1)
	rc=$?
	case $rc in
	0) ok "every reply matches schema/openapi.json" ;;
	77) echo "# replies not validated: python3-jsonschema is not installed" ;;
	*) echo "$out" | grep -v '^# not in' | head -n 20
	   not_ok "every reply matches schema/openapi.json" ;;
	esac
}

header() { grep -i "^$1:" "$HEADERS" | head -n1 | sed 's/^[^:]*: *//; s/\r$//'; }
jqb() { jq -r "$@" "$BODY"; }
# jq_holds [JQ ARGS] FILTER FILE: the filter's last output on FILE is neither
# false nor null. Unlike jq -e alone, an empty or missing FILE does not hold.
jq_holds() { [ -s "${*: -1}" ] && jq -e "$@" >/dev/null; }
# jq_holds_on VALUE [JQ ARGS] FILTER: the same on a string; an empty one does
# not hold.
jq_holds_on() { local v=$1; shift; [ -n "$v" ] && jq -e "$@" >/dev/null <<<"$v"; }

ok() { CHECKS=$((CHECKS + 1)); echo "ok - $1"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok - $1"; }

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds (0) or the
# time is up (1); the time is multiplied by WAIT_SCALE. Tests wait for a
# condition this way, never for a time.
wait_until() {
	local limit=$(($1 * 10 * WAIT_SCALE)); shift
	for _ in $(seq "$limit"); do "$@" && return 0; sleep 0.1; done
	return 1
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_status NAME CODE: the last request's status.
expect_status() {
	if [ "$STATUS" = "$2" ]; then ok "$1 (status $2)"; else
		not_ok "$1: expected status $2, got $STATUS: $(head -c 400 "$BODY")"; fi
}

# expect_json NAME JQ-EXPR EXPECTED: jq -r of the last body equals EXPECTED.
expect_json() {
	local got
	got=$(jq -r "$2" "$BODY" 2>/dev/null)
	if [ "$got" = "$3" ]; then ok "$1"; else
		not_ok "$1: $2 = '$got', expected '$3'"; fi
}

# expect_error NAME CODE ERROR-CODE: status and error code of the last reply.
expect_error() {
	expect_status "$1" "$2"
	expect_json "$1: error code" .error.code "$3"
}

# supervise AUTHZ-SOCKET: locksetd as locksetd.socket runs it: its API socket
# ($SA/api.sock) and AUTHZ-SOCKET held by systemd-socket-activate, and a loop
# that starts the daemon again whenever it exits (touch $SA/stop to end it).
# SUPERVISOR is the loop's pid; returns once the API socket is bound (10 s).
# SUPERVISE_ENV: more NAME=VALUE words for the daemon's environment.
supervise() {
	mkdir -p "$SA"
	cat >"$SA/loop.sh" <<EOF
while [ ! -e "$SA/stop" ]; do
	( export LISTEN_PID=\$BASHPID ${SUPERVISE_ENV:-}; exec "$LOCKSETD" --settings "$SETTINGS" \
		--state-dir "$STATE" --listen "unix:$SA/api.sock" \
		--authz-socket "$1" --foreground )
done
EOF
	# systemd-socket-activate passes on no environment but what it is told to.
	local vg_env=()
	[ -n "${LOCKSET_VALGRIND:-}" ] && vg_env=(-E LOCKSET_VALGRIND_REAL -E LOCKSET_VALGRIND_LOGS)
	systemd-socket-activate -l "$SA/api.sock" -l "$1" --fdname=api:authz \
		"${vg_env[@]}" bash "$SA/loop.sh" >"$SA/log" 2>&1 &
	SUPERVISOR=$!
	wait_until 10 test -S "$SA/api.sock"
}

# supervised: the pid of the daemon supervise runs now (empty: none).
supervised() { pgrep -f "listen unix:$SA/api.sock" | head -n1; }

# gone PID: the process has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }

# supervise_end: stop the loop and its daemon; returns once the loop exited.
supervise_end() {
	touch "$SA/stop"
	kill -TERM $(pgrep -f "listen unix:$SA/api.sock") 2>/dev/null
	wait_until 10 gone "$SUPERVISOR"
}

# supervised_new OLD: a daemon other than OLD runs and answers /v1/health
# (the socket holds requests until it does).
supervised_new() {
	local new
	new=$(supervised)
	[ -n "$new" ] && [ "$new" != "$1" ] && [ "$(curl -s -m $((20 * WAIT_SCALE)) \
		--unix-socket "$SA/api.sock" -o /dev/null -w '%{http_code}' \
		http://lockset/v1/health)" = 200 ]
}

# audit_fill N: append N deny rows straight into the stopped daemon's audit
# table, some 200 bytes each (a log big enough that an export outlasts the
# socket buffers; the chain is not what such a test is about).
audit_fill() {
	sqlite3 "$STATE/lockset.db" "WITH RECURSIVE n(i) AS (SELECT (SELECT max(id) FROM events) + 1
	UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT max(id) FROM events) + $1)
	INSERT INTO events (id, time, action, actor, host, component, subject, decision, rules,
	data, policy_version, prev_hash, hash) SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
	'container.create.denied', 'dockerd', 'h', 'authz', printf('image-%d', i), 'deny',
	'[\"privileged\"]', printf('{\"pad\":\"%s\"}', hex(randomblob(100))), 1,
	'0000000000000000000000000000000000000000000000000000000000000000',
	'0000000000000000000000000000000000000000000000000000000000000000' FROM n"
}

# long_polls KIND: how many long-polls of KIND (org or user) wait in the
# daemon now; long_polls_are KIND N: whether that is N (for wait_until).
long_polls() {
	curl -s --unix-socket "$SOCK" http://lockset/metrics |
		awk -v m="lockset_longpoll_waiters{kind=\"$1\"}" 'index($0, m " ") == 1 { print $2 }'
}
long_polls_are() { [ "$(long_polls "$1")" = "$2" ]; }

# policy_version_above V: the daemon serves a policy version newer than V.
policy_version_above() {
	[ "$(curl -s --unix-socket "$SOCK" http://lockset/v1/health | jq -r .policyVersion)" -gt "$1" ] 2>/dev/null
}

# ed25519_pair PRIVATE PUBLIC: a new Ed25519 key (PEM) and its public half.
ed25519_pair() {
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null && openssl pkey -in "$1" -pubout -out "$2"
}

finish() {
	check_replies
	echo "# $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}
