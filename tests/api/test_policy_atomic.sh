#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Atomic policy writes: kill -9 the daemon in the middle of a stream of PUTs,
# several times. The settings file must always be one complete, valid
# document (the old or the new one, never torn), and after a restart the
# daemon serves exactly what the file holds.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

VALID="$LOCKSET_SRCDIR/tests/cases/policy/valid"
put_policy "$VALID/docker-desktop-full.json"
jq '.analyticsEnabled = {"locked": true, "value": false}' "$VALID/docker-desktop-full.json" >"$T/a.json"
jq '.analyticsEnabled = {"locked": true, "value": true}' "$VALID/docker-desktop-full.json" >"$T/b.json"
A=$(jq -cS . "$T/a.json")
B=$(jq -cS . "$T/b.json")
ORIG=$(jq -cS . "$VALID/docker-desktop-full.json")

# The writer stops when told, after its current PUT, and is waited for: a
# curl left running past the kill (killing the loop's shell does not end
# its child) could reach the restarted daemon and change the policy while
# it is being compared with the file.
writer() {
	local i=0
	while [ ! -e "$T/writer.stop" ]; do
		i=$((i + 1))
		curl -s -m 10 --unix-socket "$SOCK" -X PUT -o /dev/null \
			-H 'Content-Type: application/json' \
			--data-binary "@$T/$([ $((i % 2)) = 0 ] && echo a || echo b).json" \
			-w '%{http_code}\n' http://lockset/v1/policy >>"$T/puts" 2>/dev/null
	done
}

# puts_accepted N: the writer has had N PUTs accepted in this cycle.
puts_accepted() { [ "$(grep -c '^200$' "$T/puts" 2>/dev/null)" -ge "$1" ]; }

for cycle in 1 2 3 4 5 6; do
	: >"$T/puts"
	lockset_start || exit 1
	rm -f "$T/writer.stop"
	writer &
	WRITER=$!
	EXTRA_PIDS="$WRITER"
	# Kill it mid-write at a varying moment: after 1 to 10 accepted PUTs.
	wait_until 30 puts_accepted $((RANDOM % 10 + 1))
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	touch "$T/writer.stop"
	wait "$WRITER" 2>/dev/null
	EXTRA_PIDS=
	got=$(jq -cS . "$SETTINGS" 2>/dev/null)
	check "cycle $cycle: the file is complete, valid JSON" test -n "$got"
	check "cycle $cycle: the file is one of the written documents" \
		bash -c '[ "$1" = "$2" ] || [ "$1" = "$3" ] || [ "$1" = "$4" ]' _ "$got" "$A" "$B" "$ORIG"
	check "cycle $cycle: the file kept its mode" test "$(stat -c %a "$SETTINGS")" = 644
	lockset_start || exit 1
	api GET /v1/policy
	check "cycle $cycle: after a restart the daemon serves the file" \
		test "$(jq -cS . "$BODY")" = "$got"
	api GET /v1/settings
	V=$(jqb .policyVersion)
	check "cycle $cycle: the served version is the newest in the history" \
		test "$V" = "$(sqlite3 "$STATE/lockset.db" 'SELECT max(version) FROM policy_versions')"
	check "cycle $cycle: that version holds the file's document" \
		test "$(sqlite3 "$STATE/lockset.db" "SELECT document FROM policy_versions WHERE version=$V" | jq -cS .)" = "$got"
	lockset_stop
done
check "stale temp files are cleaned up at start-up" \
	test "$(find "$T/etc" -name '.*lockset-*' | wc -l)" = 0
check "some writes went through" \
	test "$(sqlite3 "$STATE/lockset.db" "SELECT count(*) FROM policy_versions WHERE source='api'")" -gt 0
finish
