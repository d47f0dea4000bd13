#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Durability across a crash: 8 concurrent keep-alive clients flood POST
# /v1/events, each logging every subject that got a 2xx; the daemon is killed
# with SIGKILL mid-flood and restarted on the same state dir. Every
# acknowledged event must then be in the log, none twice, and the hash chain
# must verify. Three cycles, each bounded in time and request count.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

CLIENTS=8
CYCLES=3
BATCH=25       # requests per curl process (one keep-alive connection)
MAX_BATCHES=80 # per client per cycle: at most 2000 requests
DEADLINE=15    # seconds a client may run in one cycle

lockset_start --events-rate 0 || exit 1

# client ID CYCLE: POST batches of events until the stop file appears, the
# deadline passes or MAX_BATCHES is reached; log "status subject" per request.
client() {
	local id=$1 cycle=$2 cfg="$T/c$1.cfg" end=$((SECONDS + DEADLINE)) b=0 i s
	while [ ! -e "$T/stop" ] && [ "$SECONDS" -lt "$end" ] && [ "$b" -lt "$MAX_BATCHES" ]; do
		: >"$cfg"
		for i in $(seq "$BATCH"); do
			s="crash-$cycle-$id-$b-$i"
			[ "$i" -gt 1 ] && echo next >>"$cfg"
			printf '%s\n' "url = \"http://lockset/v1/events?s=$s\"" \
				"unix-socket = \"$SOCK\"" "header = \"Content-Type: application/json\"" \
				"data = \"{\\\"action\\\":\\\"runtime.flood.event\\\",\\\"subject\\\":\\\"$s\\\",\\\"actor\\\":\\\"client-$id\\\"}\"" \
				"write-out = \"%{http_code} %{url_effective}\\\\n\"" "output = /dev/null" \
				"max-time = 5" >>"$cfg"
		done
		curl -s -K "$cfg" >>"$T/acks.$id" 2>/dev/null
		b=$((b + 1))
	done
}

# acked_at_least N: the clients have logged N acknowledged events so far.
acked_at_least() { [ "$(cat "$T"/acks.* 2>/dev/null | awk '$1 ~ /^2/' | wc -l)" -ge "$1" ]; }

for cycle in $(seq "$CYCLES"); do
	rm -f "$T/stop" "$T"/acks.*
	CPIDS=
	for id in $(seq "$CLIENTS"); do
		client "$id" "$cycle" &
		CPIDS="$CPIDS $!"
	done
	EXTRA_PIDS=$CPIDS
	# Let the flood build up, then kill the daemon at a varying moment: once
	# a random number of events (1 to 100) has been acknowledged.
	wait_until 30 acked_at_least $((RANDOM % 100 + 1))
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	touch "$T/stop"
	for p in $CPIDS; do wait "$p"; done
	EXTRA_PIDS=

	cat "$T"/acks.* | awk '$1 ~ /^2/ { sub(/.*[?]s=/, "", $2); print $2 }' | sort >"$T/acked"
	cat "$T"/acks.* | awk '$1 !~ /^(2|000)/' >"$T/odd"
	ACKED=$(wc -l <"$T/acked")
	check "cycle $cycle: the flood got acknowledgements before the kill ($ACKED)" test "$ACKED" -gt 0
	check "cycle $cycle: no request got an answer other than 2xx or none" test ! -s "$T/odd"

	lockset_start --events-rate 0 || exit 1
	curl -s --unix-socket "$SOCK" "http://lockset/v1/audit?format=ndjson&action=runtime.flood.event" |
		jq -r .subject | sort >"$T/stored"
	LOST=$(comm -23 "$T/acked" "$T/stored" | wc -l)
	check "cycle $cycle: every acknowledged event survived the crash ($LOST of $ACKED lost)" test "$LOST" = 0
	check "cycle $cycle: no event is stored twice" test -z "$(uniq -d "$T/stored")"
	api GET /v1/audit/verify
	expect_json "cycle $cycle: the chain verifies after the crash" .ok true
	echo "# cycle $cycle: $ACKED acknowledged, $(grep -c "^crash-$cycle-" "$T/stored") stored"
done

finish
