#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The role matrix, generated from the route table (tests/tools/routes prints
# it), so a new route cannot escape: every API route is called over TCP with
# no credentials and with runtime, auditor and admin tokens, and must answer
# 401 / 403 / neither exactly as its minimum role says. Bodies are harmless
# ("[]" is invalid for every JSON route), so nothing changes. Authz-plugin
# routes must not exist on the API listener. A Unix peer mapped by
# --role-map gets its mapped role (needs root to switch uid).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

ROUTES_TOOL="$LOCKSET_BUILDDIR/tests/tools/routes"
[ -x "$ROUTES_TOOL" ] || { echo "SKIP: $ROUTES_TOOL not built"; exit 77; }
"$ROUTES_TOOL" >"$T/routes" || exit 1
check "the route table is not empty" test "$(wc -l <"$T/routes")" -gt 10

ADMIN=$("$LOCKSETD" --state-dir "$STATE" --create-token matrix-admin --role admin)
chmod 711 "$T"
lockset_start --role-map uid:65534=auditor || exit 1
tcp POST /v1/tokens -H "Authorization: Bearer $ADMIN" -d '{"name":"matrix-runtime","role":"runtime"}'
RUNTIME=$(jqb .secret)
tcp POST /v1/tokens -H "Authorization: Bearer $ADMIN" -d '{"name":"matrix-auditor","role":"auditor"}'
AUDITOR=$(jqb .secret)
check "test tokens created" test -n "$RUNTIME" -a -n "$AUDITOR" -a "$RUNTIME" != null

rank() { case $1 in none) echo 0 ;; runtime) echo 1 ;; auditor) echo 2 ;; admin) echo 3 ;; esac; }

# call METHOD PATH BODYKIND [curl args...] over the current transport function
call() {
	local fn=$1 method=$2 path=$3 kind=$4; shift 4
	if [ "$kind" = json ]; then
		"$fn" "$method" "$path" -H 'Content-Type: application/json' -d '[]' "$@"
	else
		"$fn" "$method" "$path" "$@"
	fi
}

# expect_role ROUTE-DESC MIN CALLER-ROLE
expect_role() {
	local desc=$1 min=$2 who=$3 want
	if [ "$(rank "$who")" -ge "$(rank "$min")" ]; then
		if [ "$STATUS" != 401 ] && [ "$STATUS" != 403 ] && [ "$STATUS" != 000 ]; then
			ok "$desc as $who: allowed ($STATUS)"
		else
			not_ok "$desc as $who: expected neither 401 nor 403, got $STATUS: $(head -c 200 "$BODY")"
		fi
		return
	fi
	[ "$who" = none ] && want=401 || want=403
	expect_status "$desc as $who (needs $min)" "$want"
}

while read -r method path min listener kind; do
	if [ "$listener" = authz ]; then
		call api "$method" "$path" "$kind"
		expect_status "$method $path is not served on the API socket" 404
		continue
	fi
	call tcp "$method" "$path" "$kind"
	expect_role "$method $path" "$min" none
	for who in runtime auditor admin; do
		case $who in runtime) tok=$RUNTIME ;; auditor) tok=$AUDITOR ;; admin) tok=$ADMIN ;; esac
		call tcp "$method" "$path" "$kind" -H "Authorization: Bearer $tok"
		expect_role "$method $path" "$min" "$who"
	done
done <"$T/routes"

api GET /v1/policy
check "the matrix changed no policy" test "$(jqb .configurationFileVersion)" = 2
api GET /v1/settings
expect_json "still version 1 after the matrix" .policyVersion 1

# --- a Unix peer mapped by --role-map
asuser() { # UID METHOD PATH [curl args]: over the unix socket as another uid
	local uid=$1 method=$2 path=$3; shift 3
	BODY="$T/body"; HEADERS="$T/headers"
	STATUS=$(setpriv --reuid="$uid" --regid=65534 --clear-groups \
		curl -s --unix-socket "$SOCK" -X "$method" -o /dev/null -w '%{http_code}' \
		"$@" "http://lockset$path")
}
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	echo "# skipping the Unix-peer role-map checks: needs root and setpriv"
else
	# Let uid 65534 reach the socket: it is 0660; give it the nogroup group.
	chgrp 65534 "$SOCK"
	asuser 65534 GET /v1/audit
	expect_status "uid 65534 mapped to auditor reads the audit log" 200
	asuser 65534 GET /v1/policy
	expect_status "uid 65534 (auditor) reads the policy" 200
	asuser 65534 PUT /v1/policy -H 'Content-Type: application/json' -d '[]'
	expect_status "uid 65534 (auditor) cannot write the policy" 403
	asuser 65534 GET /v1/tokens
	expect_status "uid 65534 (auditor) cannot list tokens" 403
	asuser 65533 GET /v1/settings
	expect_status "an unmapped uid has no role" 401
fi
finish
