#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fleet mode with two real daemons on loopback: a central lockset signing
# bundles and a host started with --upstream. Changes reach the host; the host
# keeps denying --privileged with the central killed and after its own
# restart; it refuses a bundle signed with another key (keeping the previous
# one, reporting degraded) and a replayed older bundle; local edits answer 409
# managed_by_upstream and a hand-edited settings file is ignored with an audit
# row; /v1/hosts on the central shows the host and its version; over https
# the host trusts only --upstream-cacert (or the system's store).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl python3

ed25519_pair "$T/sign.pem" "$T/pub.pem"
ed25519_pair "$T/other.pem" "$T/other-pub.pem"

# --- the central: a runtime token for the host, then start it
"$LOCKSETD" --state-dir "$STATE" --create-token fleet --role runtime >"$T/token"
chmod 600 "$T/token"
lockset_start --bundle-signing-key "$T/sign.pem" || exit 1
CENTRAL_PORT=$PORT
CENTRAL_ARGS=(--settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK"
	--listen "127.0.0.1:$CENTRAL_PORT" --authz-socket '' --foreground
	--bundle-signing-key "$T/sign.pem")
api GET /v1/bundle
cp "$BODY" "$T/bundle-v1.json"
check "the central serves bundle 1" test "$(jqb .bundle.version)" = 1

# --- the host
. "$LOCKSET_SRCDIR/tests/api/fleet/host.sh"
use_host dev-1

UPSTREAM="http://127.0.0.1:$CENTRAL_PORT"
host_start --upstream "$UPSTREAM" --bundle-key "$T/pub.pem" || { echo "host did not start"; tail "$H/daemon.log"; exit 1; }
check "the host installs bundle 1" wait_until 10 host_has 1
# libcurl is opened only by a daemon with an upstream (daemon/fleet/curl_load.h).
maps_curl() { grep -q '/libcurl\.so' "/proc/$1/maps"; }
no_curl() { [ -r "/proc/$1/maps" ] && ! maps_curl "$1"; }
check "the host has opened libcurl" maps_curl "$HOST_PID"
check "a loopback http:// upstream is not warned about" bash -c "! grep -q 'is plain HTTP' '$H/daemon.log'"
check "the central, with no upstream, has not" no_curl "$DAEMON_PID"
h GET /v1/policy
expect_json "the host serves the central's org policy" .containerPolicy.mode enforce
check "the host denies --privileged under the central's policy" denies_privileged
h GET /v1/health
expect_json "health shows upstream ok" .upstream.status ok
expect_json "health names the upstream" .upstream.url "$UPSTREAM"
check "health shows the bundle's age" jq_holds '.upstream.bundleAgeSeconds >= 0' "$BODY"
check "health shows the last sync" jq_holds '.upstream.lastSync | test("Z$")' "$BODY"
h GET /metrics
check "metrics: the upstream is up" grep -q '^lockset_upstream_up 1$' "$BODY"
check "metrics: the bundle version" grep -q '^lockset_upstream_bundle_version 1$' "$BODY"
check "metrics: the bundle age" grep -q '^lockset_upstream_bundle_age_seconds [0-9]' "$BODY"

# --- /v1/hosts on the central shows the host with its version
host_listed() { api GET /v1/hosts; [ "$(jqb '.hosts[] | select(.host == "dev-1") | .bundleVersion')" = "$1" ]; }
check "the central lists dev-1 on bundle 1" wait_until 10 host_listed 1
expect_json "the host reports its lockset version" '.hosts[0].locksetVersion | length > 0' true
expect_json "and its mode" '.hosts[0].mode' enforce
expect_json "and that it is in sync" '.hosts[0].status' ok
# A report of a bundle this central never issued (found by an attacker's
# review: it was stored, and counted as not behind).
S=$(curl -s -o "$T/forged" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")" \
	-X POST "$UPSTREAM/v1/hosts/forged-1/status" \
	-d '{"locksetVersion":"0.1.0","bundleVersion":999,"mode":"upstream","status":"ok"}')
check "a report of a bundle never issued is refused ($S)" test "$S" = 400
check "... naming /bundleVersion" jq_holds '.error.details[0].path == "/bundleVersion"' "$T/forged"
api GET /v1/hosts
expect_json "... and not stored" '[.hosts[] | select(.host == "forged-1")] | length' 0

# --- a change on the central reaches the host (org and per-user policy)
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' \
	-d '{"analyticsEnabled": {"locked": true, "value": false}}'
expect_status "org policy change on the central" 200
check "the host installs bundle 2" wait_until 10 host_has 2
h GET /v1/policy
expect_json "the change is in force on the host" .analyticsEnabled.value false
jq -n '{configurationFileVersion: 2, containerPolicy: {locked: true, mode: "audit",
	deniedFlags: ["--privileged"]}}' >"$T/bob.json"
api PUT /v1/policy/users/bob --data-binary "@$T/bob.json"
check "the host installs bundle 3" wait_until 10 host_has 3
h GET /v1/policy/users/bob
expect_json "bob's policy reached the host" .document.containerPolicy.mode audit
h GET '/v1/audit?actor=upstream&action=policy.updated'
expect_json "the org change is audited as actor upstream" '.events[0].component' upstream
h GET '/v1/audit?action=policy.bundle.installed'
expect_json "each installed bundle is audited" '[.events[].data.bundleVersion] | sort | join(",")' "1,2,3"
h GET /v1/policy/versions
expect_json "the org policy is versioned on the host" '.versions[0].source' upstream
check "the central lists dev-1 on bundle 3" wait_until 10 host_listed 3

# --- local edits are refused while upstream is set
h PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' -d '{"analyticsEnabled": {"locked": false, "value": true}}'
expect_error "PATCH /v1/policy on the host" 409 managed_by_upstream
h PUT /v1/policy --data-binary "@$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json"
expect_error "PUT /v1/policy on the host" 409 managed_by_upstream
h POST /v1/policy/rollback -d '{"version": 1}'
expect_error "a rollback on the host" 409 managed_by_upstream
h PUT /v1/policy/users/carol --data-binary "@$T/bob.json"
expect_error "a per-user policy on the host" 409 managed_by_upstream
h DELETE /v1/policy/users/bob
expect_error "deleting a per-user policy on the host" 409 managed_by_upstream

# --- a settings file changed by hand is ignored, with an audit row, and put back
cp "$LOCKSET_SRCDIR/tests/cases/policy/valid/version-only.json" "$HSETTINGS.tmp"
chmod 644 "$HSETTINGS.tmp"
mv "$HSETTINGS.tmp" "$HSETTINGS"
file_ignored() { h GET '/v1/audit?action=policy.file_ignored'; [ "$(jqb '.events | length')" -ge 1 ]; }
check "the hand edit is audited as policy.file_ignored" wait_until 10 file_ignored
expect_json "the row says why" '.events[0].data.detail' "the policy is managed by an upstream lockset"
check "the file is put back" wait_until 10 jq_holds '.analyticsEnabled.value == false' "$HSETTINGS"
h GET /v1/policy
expect_json "the central's policy is still in force" .analyticsEnabled.value false
check "and --privileged is still denied" denies_privileged

# --- the central killed: the host keeps enforcing, and after its own restart
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
check "with the central killed the host denies --privileged" denies_privileged
degraded() { h GET /v1/health; [ "$(jqb .upstream.status)" = degraded ]; }
check "and reports degraded" wait_until 10 degraded
check "naming the upstream that failed" jq_holds --arg u "$UPSTREAM" '.upstream.lastError | startswith($u + ": ")' "$BODY"
host_stop
host_start --upstream "$UPSTREAM" --bundle-key "$T/pub.pem" || exit 1
check "after its restart, the central still down, it denies --privileged" denies_privileged
expect_json "from the saved bundle" '.policyVersion > 0' true
check "it holds bundle 3" host_has 3
check "the restart logged the saved bundle" grep -q "enforcing the saved bundle v3" "$H/daemon.log"

# --- the central back: the host reconnects (backoff capped at 1 s here)
"$LOCKSETD" "${CENTRAL_ARGS[@]}" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_until 10 curl -s --unix-socket "$SOCK" -o /dev/null http://lockset/v1/health
api DELETE /v1/policy/users/bob
check "after the outage the host installs bundle 4" wait_until 15 host_has 4
synced() { h GET /v1/health; [ "$(jqb .upstream.status)" = ok ]; }
check "and is in sync again" wait_until 10 synced

# --- another key: refused, the previous bundle stays, degraded
host_stop
host_start --upstream "$UPSTREAM" --bundle-key "$T/other-pub.pem" || exit 1
check "with the wrong key the host reports degraded" wait_until 10 degraded
check "because the signature does not verify" jq_holds '.upstream.lastError | test("signature does not verify")' "$BODY"
check "it keeps denying --privileged (previous policy kept)" denies_privileged
h GET /v1/policy
expect_json "the previous org policy is kept" .analyticsEnabled.value false
h GET '/v1/audit?action=policy.bundle.refused'
expect_json "the refusal is audited" '.events[0].decision' deny
reported_degraded() { api GET '/v1/hosts?status=degraded'; [ "$(jqb '.hosts[0].host')" = dev-1 ]; }
check "the central sees dev-1 degraded" wait_until 10 reported_degraded
check "with the reason" jq_holds '.hosts[0].lastError | test("signature")' "$BODY"

# --- a replayed older bundle (validly signed) is refused
host_stop
host_start --upstream "$UPSTREAM" --bundle-key "$T/pub.pem" || exit 1
check "back on the right key: bundle 4" wait_until 10 host_has 4
host_stop
mkdir -p "$T/replay/v1"
cp "$T/bundle-v1.json" "$T/replay/v1/bundle"
RPORT=$(free_port)
python3 -m http.server "$RPORT" --bind 127.0.0.1 --directory "$T/replay" >"$T/replay.log" 2>&1 &
EXTRA_PIDS="$! ${EXTRA_PIDS:-}"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$RPORT/v1/bundle"
host_start --upstream "http://127.0.0.1:$RPORT" --bundle-key "$T/pub.pem" || exit 1
rollback_refused() { h GET /v1/health; jq_holds '.upstream.lastError | test("older than the installed v4")' "$BODY" >/dev/null; }
check "a replayed bundle 1 is refused as older than bundle 4" wait_until 10 rollback_refused
check "bundle 4 stays installed" host_has 4
h GET /v1/policy
expect_json "its policy stays in force" .analyticsEnabled.value false
h GET '/v1/audit?action=policy.bundle.refused'
check "the rollback refusal is audited" jq_holds '[.events[].data.detail] | any(test("older"))' "$BODY"
host_stop
# ... and so it is with the saved bundle lost: the host's audit log says it
# installed bundle 4
rm -f "$H/state/upstream-bundle.json"
host_start --upstream "http://127.0.0.1:$RPORT" --bundle-key "$T/pub.pem" || exit 1
floor_refused() { h GET /v1/health; jq_holds '.upstream.lastError | test("older than v4, which this host installed before")' "$BODY" >/dev/null; }
check "with upstream-bundle.json gone, bundle 1 is refused still (the audit log's v4)" \
	wait_until 10 floor_refused
h GET /v1/policy
expect_json "... and bundle 4's policy stays in force" .analyticsEnabled.value false
host_stop
# ... and with audit retention pruning the rows that said so: the anchor
# retention leaves in their place carries the floor on.
host_start --upstream "http://127.0.0.1:$RPORT" --bundle-key "$T/pub.pem" \
	--audit-retention-rows 5 || exit 1
for _ in $(seq 12); do
	h POST /v1/decisions -H 'Content-Type: application/json' \
		-d '{"method":"POST","uri":"/v1.43/containers/create","body":{"Image":"x"}}'
done
pruned() { h GET '/v1/audit?action=policy.bundle.installed'; [ "$(jqb '.events | length')" = 0 ]; }
check "retention pruned the host's bundle installs" wait_until 10 pruned
h GET '/v1/audit?action=audit.pruned'
check "... its anchor carries bundle 4 on" jq_holds '[.events[].data.bundleFloor] | max == 4' "$BODY"
host_stop
rm -f "$H/state/upstream-bundle.json"
host_start --upstream "http://127.0.0.1:$RPORT" --bundle-key "$T/pub.pem" \
	--audit-retention-rows 5 || exit 1
check "with both gone, bundle 1 is refused still (the anchor's v4)" wait_until 10 floor_refused
host_stop

# --- https: the central behind TLS, checked against --upstream-cacert
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=localhost' \
	-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	-keyout "$T/tls-key.pem" -out "$T/tls-cert.pem" >/dev/null 2>&1
chmod 600 "$T/tls-key.pem"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
"$LOCKSETD" "${CENTRAL_ARGS[@]}" --tls-cert "$T/tls-cert.pem" --tls-key "$T/tls-key.pem" \
	>>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_until 10 curl -s --unix-socket "$SOCK" -o /dev/null http://lockset/v1/health
host_start --upstream "https://127.0.0.1:$CENTRAL_PORT" --bundle-key "$T/pub.pem" || exit 1
check "an untrusted certificate: degraded" wait_until 10 degraded
# The first poll may fail otherwise while the central daemon is still
# slow to start (under valgrind): the certificate is what every poll meets.
cert_refused() { h GET /v1/health; jq_holds '.upstream.lastError | test("certificate|SSL")' "$BODY" >/dev/null; }
check "naming the certificate" wait_until 10 cert_refused
host_stop
host_start --upstream "https://127.0.0.1:$CENTRAL_PORT" --bundle-key "$T/pub.pem" \
	--upstream-cacert "$T/tls-cert.pem" || exit 1
check "with --upstream-cacert the host syncs over https" wait_until 10 synced
check "and holds bundle 4" host_has 4
host_stop

# A libcurl the host cannot use stops its start, with the reason: never a
# host that runs on without its upstream. stub_host SOURCE LOG: a host whose
# libcurl.so.4 is built from SOURCE (exit status 125 when no C compiler can).
stub_host() {
	"${CC:-cc}" -shared -fPIC -Wl,-soname,libcurl.so.4 -o "$T/badcurl/libcurl.so.4" "$1" \
		2>"$T/badcurl/cc.log" || return 125
	LD_LIBRARY_PATH="$T/badcurl" timeout $((30 * WAIT_SCALE)) "$LOCKSETD" \
		--settings "$HSETTINGS" --state-dir "$H/state" --listen "unix:$H/bad.sock" \
		--authz-socket '' --foreground --upstream "$UPSTREAM" \
		--upstream-token-file "$T/token" --bundle-key "$T/pub.pem" >"$2" 2>&1
}
mkdir -p "$T/badcurl"
echo 'int lockset_not_curl;' >"$T/badcurl/none.c"
# Every function, but a libcurl older than 7.85: it would ignore the option
# that keeps the client to HTTP and HTTPS.
{
	echo 'struct v { int age; const char *version; unsigned num; } v = {10, "7.64.0", 0x074000};'
	echo 'struct v *curl_version_info(int n) { (void)n; return &v; }'
	for f in global_init global_cleanup easy_init easy_cleanup easy_reset easy_setopt \
		easy_getinfo easy_strerror multi_init multi_cleanup multi_add_handle \
		multi_remove_handle multi_perform multi_info_read multi_poll multi_wakeup \
		slist_append slist_free_all; do
		echo "void curl_$f(void) {}"
	done
} >"$T/badcurl/old.c"
stub_host "$T/badcurl/none.c" "$T/badcurl/none.log"; rc=$?
if [ "$rc" = 125 ]; then
	ok "# SKIP no C compiler here to build a broken libcurl: $(head -c 200 "$T/badcurl/cc.log")"
else
	check "a libcurl without its functions: the host does not start" \
		test "$rc" != 0 -a "$rc" != 124
	check "and says why" grep -q "libcurl.so.4 has no curl_global_init" "$T/badcurl/none.log"
	stub_host "$T/badcurl/old.c" "$T/badcurl/old.log"; rc=$?
	check "a libcurl older than 7.85: the host does not start" \
		test "$rc" != 0 -a "$rc" != 124 -a "$rc" != 125
	check "and says why" grep -q "libcurl.so.4 is 7.64.0: 7.85.0 or later is needed" \
		"$T/badcurl/old.log"
	# The warning comes before the client starts, so the stand-in ends it quickly.
	UPSTREAM=http://192.0.2.1:9 stub_host "$T/badcurl/none.c" "$T/badcurl/plain.log"
	check "a plain http:// upstream off this host is warned about at start" \
		grep -q "upstream http://192.0.2.1:9 is plain HTTP: the upstream token travels in clear" \
		"$T/badcurl/plain.log"
	UPSTREAM=http://127.lockset.invalid:9 stub_host "$T/badcurl/none.c" "$T/badcurl/plain2.log"
	check "... so is a host name that only starts like a loopback address" \
		grep -q "upstream http://127.lockset.invalid:9 is plain HTTP" "$T/badcurl/plain2.log"
fi

# --- the files that decide what a host enforces are held to the trust rule
# (--check-config: an accepted file ends the run too, with 0, not a daemon.)
trust_start() { # TOKEN-FILE BUNDLE-KEY: a host's check with them; its exit code
	"$LOCKSETD" --settings "$HSETTINGS" --state-dir "$H/state" --listen "unix:$H/t.sock" \
		--authz-socket '' --foreground --upstream "$UPSTREAM" --upstream-token-file "$1" \
		--bundle-key "$2" --check-config >"$T/trust.log" 2>&1
}
install -m 644 "$T/token" "$T/token-644"
trust_start "$T/token-644" "$T/pub.pem"
check "an upstream token others can read stops the start (exit 2)" test $? = 2
check "... saying so" grep -q -- "--upstream-token-file: $T/token-644 is readable by others" "$T/trust.log"
install -m 666 "$T/pub.pem" "$T/pub-666.pem"
trust_start "$T/token" "$T/pub-666.pem"
check "a bundle key anyone may write stops the start (exit 2)" test $? = 2
check "... by the trust rule" grep -q -- "--bundle-key: $T/pub-666.pem: .*not writable by group or others" "$T/trust.log"
mkdir -m 777 "$T/open"
install -m 644 "$T/pub.pem" "$T/open/pub.pem"
trust_start "$T/token" "$T/open/pub.pem"
check "so does a bundle key in a directory anyone may write (exit 2)" test $? = 2
check "... naming the directory" grep -q -- "--bundle-key: $T/open: .*not writable by group or others" "$T/trust.log"
# A symbolic link is followed (a certificate manager's live/ links), and the
# directory each link sits in is judged too: one anyone may write could be
# pointed elsewhere after the check.
ln -s "$T/pub.pem" "$T/open/link.pem"
trust_start "$T/token" "$T/open/link.pem"
check "a bundle key through a link in a directory anyone may write stops the start (exit 2)" \
	test $? = 2
mkdir -m 700 "$T/live"
ln -s ../open/link.pem "$T/live/chain.pem"
trust_start "$T/token" "$T/live/chain.pem"
check "... also as the second link of a chain (exit 2)" test $? = 2
ln -s "$T/pub.pem" "$T/live/bundle.pub"
trust_start "$T/token" "$T/live/bundle.pub"
check "a bundle key through a link in a trusted directory is accepted" test $? = 0

finish
