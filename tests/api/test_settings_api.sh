#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The foundation's REST surface against the real daemon: health, settings,
# ETag/304, long-poll wake-up on SIGHUP, refused reloads, limits, 404/405.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

VALID="$LOCKSET_SRCDIR/tests/cases/policy/valid"
put_policy "$VALID/minimal-eci.json"
lockset_start || exit 1

# --- health, over both listeners, no credentials needed
api GET /v1/health
expect_status "health over the unix socket" 200
expect_json "health status" .status ok
expect_json "health policy version" .policyVersion 1
check "health carries a version" test -n "$(jqb .version)"
check "health carries uptime" jq_holds '.uptimeSeconds >= 0' "$BODY" >/dev/null
tcp GET /v1/health
expect_status "health over loopback TCP" 200

# --- the unix socket is 0660
check "unix socket mode is 0660" test "$(stat -c %a "$SOCK")" = 660

# --- settings: every documented key, lock and source
api GET /v1/settings
expect_status "settings for a root peer" 200
ETAG=$(header ETag)
check "settings has a strong ETag" bash -c "[[ '$ETAG' == \\\"*\\\" ]]"
for key in configurationFileVersion analyticsEnabled disableUpdate silentModulesUpdate \
	extensionsEnabled blockDockerLoad displayedOnboarding desktopTerminalEnabled \
	exposeDockerAPIOnTCP2375 enhancedContainerIsolation filesharingAllowedDirectories \
	useVirtualizationFrameworkVirtioFS useGrpcfuse useVirtualizationFrameworkRosetta scout proxy \
	containersProxy linuxVM windowsContainers kubernetes defaultNetworkingMode dnsInhibition \
	allowBetaFeatures allowExperimentalFeatures enableDockerAI enableDockerMCPToolkit \
	enableInference enableInferenceTCP enableInferenceTCPPort enableInferenceCORS \
	enableInferenceGPUVariant enableCloud containerPolicy; do
	check "settings has key $key" jq_holds "has(\"$key\")" "$BODY" >/dev/null
done
expect_json "ECI value from the org policy" .enhancedContainerIsolation.value true
expect_json "ECI is locked" .enhancedContainerIsolation.locked true
expect_json "ECI source is org" .enhancedContainerIsolation.source org
expect_json "analytics default value" .analyticsEnabled.value true
expect_json "analytics default is unlocked" .analyticsEnabled.locked false
expect_json "analytics source is default" .analyticsEnabled.source default
expect_json "containerPolicy mode" .containerPolicy.mode enforce
expect_json "containerPolicy group lock" .containerPolicy.locked true
expect_json "policy version in settings" .policyVersion 1

# --- conditional GET
api GET /v1/settings -H "If-None-Match: $ETAG"
expect_status "If-None-Match with the current ETag" 304
check "304 carries the ETag" test "$(header ETag)" = "$ETAG"
api GET /v1/settings -H "If-None-Match: W/$ETAG"
expect_status "weak comparison of If-None-Match" 304
api GET /v1/settings -H 'If-None-Match: "0000"'
expect_status "If-None-Match with another ETag" 200

# --- long-poll that times out
api GET '/v1/settings?wait=1' -H "If-None-Match: $ETAG"
expect_status "long-poll without a change ends in 304" 304
api GET '/v1/settings?wait=abc'
expect_error "wait must be a number" 400 invalid_parameter

# --- long-poll woken by SIGHUP after the file changes
BODY_LP="$T/lp.body"
curl -s --unix-socket "$SOCK" -o "$BODY_LP" -D "$T/lp.headers" -w '%{http_code}' \
	-H "If-None-Match: $ETAG" 'http://lockset/v1/settings?wait=60' >"$T/lp.status" &
LP_PID=$!
EXTRA_PIDS="$LP_PID"
check "the long-poll waits" wait_until 20 long_polls_are org 1
jq '.blockDockerLoad.value = false' "$VALID/minimal-eci.json" >"$T/changed.json"
put_policy "$T/changed.json"
kill -HUP "$DAEMON_PID"
check "long-poll returned before its 60 s wait" wait_until 10 gone "$LP_PID"
wait "$LP_PID" 2>/dev/null
check "woken long-poll answers 200" test "$(cat "$T/lp.status")" = 200
NEW_ETAG=$(grep -i '^etag:' "$T/lp.headers" | sed 's/^[^:]*: *//; s/\r$//')
check "woken long-poll carries a new ETag" test -n "$NEW_ETAG" -a "$NEW_ETAG" != "$ETAG"
check "woken long-poll has the new value" test "$(jq -r .blockDockerLoad.value "$BODY_LP")" = false
check "woken long-poll has the new version" test "$(jq -r .policyVersion "$BODY_LP")" = 2

# --- a broken file is refused on SIGHUP; the old policy keeps serving
printf '{"configurationFileVersion": 2,\n "blockDockerLoad": {"locked": true, "value": true},\n}\n' >"$T/broken.json"
put_policy "$T/broken.json"
kill -HUP "$DAEMON_PID"
check "the broken file is refused" wait_until 20 grep -q 'trailing comma' "$T/daemon.log"
api GET /v1/settings
expect_status "settings still served after a refused reload" 200
check "ETag unchanged after a refused reload" test "$(header ETag)" = "$NEW_ETAG"
expect_json "old value still served" .blockDockerLoad.value false
check "refusal is logged with the file and line" grep -q "refused" "$T/daemon.log"
check "refusal names line and column of the trailing comma" grep -q 'admin-settings.json:2:52: error: trailing comma' "$T/daemon.log"

# --- a world-writable file is refused on SIGHUP too. It arrives with its
# mode (a rename), so that no reload can see it safe in between.
cp "$VALID/minimal-eci.json" "$SETTINGS.tmp"
chmod 666 "$SETTINGS.tmp"
mv "$SETTINGS.tmp" "$SETTINGS"
kill -HUP "$DAEMON_PID"
check "the world-writable file is refused" wait_until 20 grep -q "0666" "$T/daemon.log"
api GET /v1/settings
check "world-writable file not loaded" test "$(header ETag)" = "$NEW_ETAG"
check "world-writable refusal names the mode" grep -q "0666" "$T/daemon.log"
chmod 644 "$SETTINGS"

# --- generic HTTP errors, all in the one JSON error shape
api GET /v1/nope
expect_error "unknown route" 404 not_found
expect_json "a caller's error carries no request id" '.error.requestId // "none"' none
check "the log tells a caller's error from an internal one" \
	grep -q "caller error 404 not_found: GET /v1/nope" "$T/daemon.log"
# A caller's path is logged as text: CR LF, C1 controls (CSI, OSC, ST as
# UTF-8), U+202E, U+2028 and a byte that is not UTF-8 each become one '?'.
api GET '/v1/x%C2%9B2J%C2%9D0;t%C2%9C%E2%80%AEabc%E2%80%A8%FF%0D%0AFAKE'
expect_error "a path with controls in it" 404 not_found
check "its log line shows each as '?', on one line" \
	grep -qF 'caller error 404 not_found: GET /v1/x?2J?0;t??abc????FAKE' "$T/daemon.log"
check "... and none of them as it is" \
	bash -c "! LC_ALL=C grep -qaP '\xc2[\x80-\x9f]|\xe2\x80[\xa8\xae]|\xff' '$T/daemon.log'"
api POST /v1/settings -d '{}'
expect_error "wrong method" 405 method_not_allowed
check "405 lists the allowed methods" test "$(header Allow)" = "GET, HEAD"
api PATCH /v1/policy/users/alice -d '{}'
expect_error "a method no route of the path has" 405 method_not_allowed
check "405 lists every method of a path with several routes" \
	test "$(header Allow)" = "PUT, GET, HEAD, DELETE"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/big"
api GET /v1/health --data-binary "@$T/big" -X GET
expect_error "body over the limit" 413 payload_too_large
api GET "/v1/health?x=$(head -c 8150 /dev/zero | tr '\0' 'a')"
expect_status "URI just within the limit (8192 bytes) is served" 200
api GET /v1/health -H "X-Big: $(head -c 8100 /dev/zero | tr '\0' 'a')"
expect_status "headers just within the limit (8192 bytes) are served" 200
api GET "/v1/health?x=$(head -c 9000 /dev/zero | tr '\0' 'a')"
expect_error "URI over the limit" 414 uri_too_long
api GET /v1/health -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' 'a')"
expect_error "headers over the limit" 431 headers_too_large
tcp GET /v1/settings
expect_error "settings over TCP without a token" 401 unauthorized
check "401 asks for a bearer token" bash -c "grep -qi '^www-authenticate: Bearer' '$HEADERS'"
tcp GET /v1/settings -H 'Authorization: Bearer nonsense'
expect_error "settings over TCP with an unknown token" 401 unauthorized

# --- the daemon survived all of it
api GET /v1/health
expect_status "daemon still healthy" 200

# --- SIGTERM: clean exit, sockets removed
lockset_stop
check "SIGTERM exits 0" test "$LAST_EXIT" = 0
check "API socket removed" test ! -e "$SOCK"
check "authz socket removed" test ! -e "$AUTHZ_SOCK"

finish
