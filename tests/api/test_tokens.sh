#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bearer tokens for TCP callers: bootstrap with --create-token, create over the
# API (secret shown once, only a hash stored), use, role limits, revoke
# (effective at once), expiry, rate limiting of failed attempts, audit rows.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

# Bootstrap: an admin token without a running daemon.
ADMIN=$("$LOCKSETD" --state-dir "$STATE" --create-token boot --role admin); rc=$?
check "--create-token exits 0" test "$rc" = 0
check "--create-token prints a secret" bash -c "[[ '$ADMIN' == lst_* ]]"
"$LOCKSETD" --state-dir "$STATE" --create-token boot --role admin >/dev/null 2>"$T/err"; rc=$?
check "a taken name is refused" test "$rc" = 1
check "the refusal says why" grep -q exists "$T/err"
"$LOCKSETD" --state-dir "$STATE" --create-token 'bad name' >/dev/null 2>"$T/err"; rc=$?
check "a bad name is refused" test "$rc" = 1
check "no secret is stored" bash -c "! sqlite3 '$STATE/lockset.db' 'SELECT hash FROM tokens' | grep -q '$ADMIN'"

lockset_start || exit 1
A=(-H "Authorization: Bearer $ADMIN")

tcp GET /v1/tokens "${A[@]}"
expect_status "admin token lists tokens over TCP" 200
expect_json "the bootstrap token is listed" '.tokens[0].name' boot
check "no secret or hash in the list" bash -c "! grep -q 'lst_\|hash' '$BODY'"

tcp POST /v1/tokens "${A[@]}" -d '{"name":"ci","role":"runtime"}'
expect_status "create a runtime token" 201
RT=$(jqb .secret)
check "the secret is returned once" bash -c "[[ '$RT' == lst_* ]]"
tcp POST /v1/tokens "${A[@]}" -d '{"name":"ci","role":"runtime"}'
expect_error "duplicate name" 409 conflict
tcp POST /v1/tokens "${A[@]}" -d '{"name":"x","role":"root","colour":1}'
expect_error "bad role and unknown field" 400 invalid_request
expect_json "unknown field path" '[.error.details[].path] | sort | join(",")' '/colour'
tcp POST /v1/tokens "${A[@]}" -d '{"name":"x","role":"root"}'
expect_json "bad role path" '.error.details[0].path' /role
# Expiry itself is tested on an injected clock (tests/unit/test_tokens.c):
# here a token with an expiry is created, works, and lists its expiry.
tcp POST /v1/tokens "${A[@]}" -d '{"name":"short","role":"auditor","expiresIn":3600}'
expect_status "create an expiring auditor token" 201
SHORT=$(jqb .secret)

R=(-H "Authorization: Bearer $RT")
tcp GET /v1/settings "${R[@]}"
expect_status "runtime token reads settings" 200
tcp GET /v1/tokens "${R[@]}"
expect_error "runtime token cannot list tokens" 403 forbidden
tcp GET /metrics -H "Authorization: Bearer $SHORT"
expect_status "auditor token reads metrics" 200
tcp GET /v1/tokens "${A[@]}"
expect_json "the expiring token lists its expiry" \
	'.tokens[] | select(.name == "short") | (.expires | type)' number

# One keep-alive connection: a verified token is remembered per connection,
# and a revocation must still take effect on the next request.
ka_get() { # read one response to "GET $1" on fd 3; prints the status code
	local line len=0
	printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n\r\n' "$1" "$RT" >&3
	IFS= read -r line <&3
	echo "$line" | awk '{print $2}'
	while IFS= read -r line <&3; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case "${line,,}" in content-length:*) len=${line#*: } ;; esac
	done
	[ "$len" -gt 0 ] && dd bs=1 count="$len" <&3 >/dev/null 2>&1
}
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
check "keep-alive request with the runtime token" test "$(ka_get /v1/settings)" = 200
check "a second request on the same connection" test "$(ka_get /v1/settings)" = 200
tcp DELETE /v1/tokens/ci "${A[@]}"
expect_status "revoke" 204
check "revocation applies at once on an open connection" test "$(ka_get /v1/settings)" = 401
exec 3<&-
tcp GET /v1/settings "${R[@]}"
expect_error "revoked token is refused at once" 401 unauthorized
tcp DELETE /v1/tokens/ci "${A[@]}"
expect_error "revoking twice" 404 not_found
tcp GET /v1/tokens "${A[@]}"
expect_json "revoked token listed as inactive" '.tokens[] | select(.name=="ci") | .active' false

# Failed attempts are audited, then rate-limited per caller. Callers that
# share a key (one address for many users) must never have a valid token
# refused: one user's guesses cannot lock another out.
DB="$STATE/lockset.db"
auth_rows() { sqlite3 "$DB" "SELECT count(*) FROM events WHERE action LIKE 'auth.%'"; }
for i in $(seq 12); do tcp GET /v1/settings -H "Authorization: Bearer lst_wrong$i"; done
expect_error "too many failures" 429 rate_limited
check "the first ten failures are audited, the tenth as the lockout" \
	test "$(sqlite3 "$DB" "SELECT group_concat(action || '=' || n) FROM (SELECT action, count(*) AS n FROM events WHERE action LIKE 'auth.%' GROUP BY action ORDER BY action)")" = "auth.failed=9,auth.rate_limited=1"
tcp GET /v1/settings "${A[@]}"
expect_status "a valid token from the locked-out address still authenticates" 200
for i in $(seq 20); do tcp GET /v1/settings -H "Authorization: Bearer lst_again$i"; done
expect_error "failures after a valid request are still refused (the lockout holds)" 429 rate_limited
check "failures during the lockout are not audited one by one" test "$(auth_rows)" = 10
# A local caller is the uid that owns its socket, whichever address of
# 127.0.0.0/8 it connects from.
tcp GET /v1/settings --interface 127.0.0.9 -H "Authorization: Bearer lst_elsewhere"
expect_error "the same uid from another loopback address is still locked out" 429 rate_limited
check "... and not audited" test "$(auth_rows)" = 10
S=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' \
	--interface 127.0.0.9 -H "Authorization: Bearer lst_nobody" "http://127.0.0.1:$PORT/v1/settings")
check "another local user's failure is its own: 401 ($S)" test "$S" = 401
check "... audited with the uid that made it" test "$(sqlite3 "$DB" \
	"SELECT actor FROM events WHERE action = 'auth.failed' ORDER BY id DESC LIMIT 1" | sed 's/.* //')" = uid:65534
tcp GET /v1/tokens "${A[@]}"
expect_status "the valid token keeps working during the lockout" 200
api GET /v1/settings
expect_status "the unix socket is not affected" 200
check "token changes are audited" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action IN ('token.created','token.revoked')")" = 4

# A long-poll whose token is revoked, or expires, while it waits is woken by
# the next change into a 401, not the new settings. (A fresh daemon: the
# lockout above holds for this uid's loopback connections.)
lockset_stop
lockset_start || exit 1
api GET /v1/settings
LP_ETAG=$(header ETag)
VERSION=$(jqb .policyVersion)
long_poll() { # NAME TOKEN: start a long-poll as TOKEN; its status goes to $T/NAME.status
	curl -s -o "$T/$1.body" -w '%{http_code}' -H "Authorization: Bearer $2" \
		-H "If-None-Match: $LP_ETAG" "http://127.0.0.1:$PORT/v1/settings?wait=60" >"$T/$1.status" &
	EXTRA_PIDS="${EXTRA_PIDS:-} $!"
	eval "${1}_PID=$!"
}
tcp POST /v1/tokens "${A[@]}" -d '{"name":"lp-revoked","role":"runtime"}'
LP_REVOKED=$(jqb .secret)
tcp POST /v1/tokens "${A[@]}" -d '{"name":"lp-expiring","role":"runtime","expiresIn":2}'
LP_EXPIRING=$(jqb .secret)
tcp POST /v1/tokens "${A[@]}" -d '{"name":"lp-kept","role":"runtime"}'
LP_KEPT=$(jqb .secret)
long_poll revoked "$LP_REVOKED"
long_poll expiring "$LP_EXPIRING"
long_poll kept "$LP_KEPT"
check "three long-polls wait" wait_until 20 long_polls_are org 3
tcp DELETE /v1/tokens/lp-revoked "${A[@]}"
expect_status "one's token is revoked while it waits" 204
token_refused() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
	"http://127.0.0.1:$PORT/v1/settings")" = 401 ]; }
check "another's expires while it waits" wait_until 20 token_refused "$LP_EXPIRING"
api PATCH /v1/policy -H 'Content-Type: application/json' -d '{"analyticsEnabled": {"locked": true, "value": false}}'
expect_status "a change wakes them" 200
for lp in revoked expiring kept; do
	pid_var="${lp}_PID"
	wait "${!pid_var}" 2>/dev/null
done
check "the revoked token's long-poll gets 401" test "$(cat "$T/revoked.status")" = 401
check "the expired token's long-poll gets 401" test "$(cat "$T/expiring.status")" = 401
check "... and neither the new settings" bash -c "! grep -q policyVersion '$T/revoked.body' '$T/expiring.body'"
check "the kept token's long-poll gets them" test "$(cat "$T/kept.status")" = 200
check "... at the new version" test "$(jq -r .policyVersion "$T/kept.body")" -gt "$VERSION"

finish
