#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A stop answers every connection the daemon accepted. Under
# systemd-socket-activate, which holds the sockets the way locksetd.socket
# does, a client that connects as the daemon stops is served by it or left in
# the backlog for the next one: never accepted and then closed unanswered.
# A libmicrohttpd worker can be inside accept() at the moment the stop
# quiesces the listener, and that connection is not yet in libmicrohttpd's
# count. That moment lasts microseconds on its own: tests/tools/holdaccept.so
# holds one accepted connection until the stop has begun, so that each stop
# here meets it.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need systemd-socket-activate
HOLD="$LOCKSET_BUILDDIR/tests/tools/holdaccept.so"
[ -f "$HOLD" ] || { echo "SKIP: $HOLD is not built (make check builds it)"; exit 77; }

put_policy "$EXAMPLES/minimal-eci.json"
SA="$T/sa"
mkdir -p "$T/hold"
# The library comes before the sanitizers' runtime in an ASan build.
SUPERVISE_ENV="LD_PRELOAD=$HOLD HOLDACCEPT_DIR=$T/hold ASAN_OPTIONS=verify_asan_link_order=0"
supervise "$SA/authz.sock"
EXTRA_PIDS=$SUPERVISOR
sa() {
	curl -s -m $((30 * WAIT_SCALE)) --unix-socket "$SA/api.sock" -o /dev/null \
		-w '%{http_code} %{exitcode}' "http://lockset$1"
}
check "the first request starts the daemon" test "$(sa /v1/health)" = "200 0"

for n in 1 2 3; do
	old=$(supervised)
	rm -f "$T/hold/held"
	touch "$T/hold/arm"
	sa /v1/settings >"$T/reply.$n" &
	client=$!
	check "stop $n: the daemon holds a connection it accepted" \
		wait_until 20 test -e "$T/hold/held"
	kill -TERM "$old"
	wait "$client"
	reply=$(cat "$T/reply.$n")
	check "stop $n: that connection is answered (status, curl exit: $reply)" \
		test "$reply" = "200 0"
	check "stop $n: the daemon stopped" wait_until 30 gone "$old"
	check "stop $n: a new daemon answers" wait_until 30 supervised_new "$old"
done
check "each instance stopped cleanly" test "$(grep -c 'info: stopped' "$SA/log")" -ge 3
check "and never stopped without knowing" bash -c "! grep 'without knowing' '$SA/log'"
supervise_end
finish
