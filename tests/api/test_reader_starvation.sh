#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Slow audit exports cannot starve the daemon of SQLite readers: 40 exports
# read at a trickle; no more than 24 of the 32 readers go to them (the rest
# are refused with 503 at once), and meanwhile tokens are listed, and a
# revoked token stops working at once: DELETE /v1/tokens/X either takes
# effect or fails, it never answers 204 with the token still valid.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3
NEXP=40
EXTRA_PIDS=

# An audit log big enough that an export outlasts the socket buffers: rows
# written straight into the table (the chain is not what is tested here).
lockset_start || exit 1
lockset_stop
audit_fill 20000
SECRET=$("$LOCKSETD" --state-dir "$STATE" --create-token victim --role auditor) || exit 1
lockset_start || exit 1
tcp GET /v1/policy -H "Authorization: Bearer $SECRET"
expect_status "the token works before" 200

# 40 exports read at 1 KB/s over the Unix socket (each holds a reader while
# its stream is open).
mkdir "$T/exp"
for i in $(seq "$NEXP"); do
	curl -s --unix-socket "$SOCK" --limit-rate 1k -o /dev/null -w '%{http_code}' \
		'http://lockset/v1/audit?format=ndjson' >"$T/exp/$i" 2>/dev/null &
	EXTRA_PIDS="$EXTRA_PIDS $!"
done
# Wait (20 s at most) until the refused ones have all answered.
wait_until 20 eval '[ "$(grep -l 503 "$T/exp/"* | wc -l)" -ge $(( NEXP - 24 )) ]'
refused=$(grep -l 503 "$T/exp/"* | wc -l)
check "exports beyond 24 are refused with 503 at once ($refused of $NEXP)" test "$refused" = $(( NEXP - 24 ))
api GET '/v1/audit?format=ndjson&limit=1'
expect_error "... with the JSON error shape" 503 unavailable

api GET /v1/tokens
expect_status "listing tokens still gets a reader" 200
api DELETE /v1/tokens/victim
expect_status "the revoke answers 204" 204
tcp GET /v1/policy -H "Authorization: Bearer $SECRET"
expect_error "... and the revoked token stops working at once" 401 unauthorized
api POST /v1/tokens -H 'Content-Type: application/json' -d '{"name": "fresh", "role": "auditor"}'
expect_status "a token can still be created" 201
FRESH=$(jqb .secret)
tcp GET /v1/policy -H "Authorization: Bearer $FRESH"
expect_status "... and works at once" 200
api GET /v1/health
expect_status "health answers" 200
finish
