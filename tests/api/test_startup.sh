#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The start-up contract: --check-config, --version, --help, --print-config,
# --config files, refusing invalid or unsafe policy files, IPv6 listeners.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"

VALID="$LOCKSET_SRCDIR/tests/cases/policy/valid"
put_policy "$VALID/docker-desktop-full.json"

out=$("$LOCKSETD" --version); rc=$?
check "--version exits 0" test "$rc" = 0
check "--version prints the version" bash -c "[[ '$out' == 'locksetd '* ]]"
"$LOCKSETD" --help >"$T/help"; rc=$?
check "--help exits 0" test "$rc" = 0
for opt in settings state-dir listen authz-socket foreground config check-config version help print-config; do
	check "--help documents --$opt" grep -q -- "--$opt" "$T/help"
done
"$LOCKSETD" --bogus 2>"$T/err"; rc=$?
check "unknown option exits 2" test "$rc" = 2
check "unknown option is named" grep -q -- "--bogus" "$T/err"
"$LOCKSETD" --listen 'nonsense' 2>"$T/err"; rc=$?
check "bad listen spec is refused" test "$rc" = 2
check "bad listen spec is named" grep -q "nonsense" "$T/err"
# Each message names its option once, right after the program's name.
"$LOCKSETD" --settings relative.json --foreground=yes --bundle-validity 5 2>"$T/err"; rc=$?
check "bad values exit 2" test "$rc" = 2
check "a relative path is refused once, by its option" \
	grep -qx 'locksetd: --settings: expected an absolute path, got "relative.json"' "$T/err"
check "a value given to a switch is refused by its name" \
	grep -qx 'locksetd: --foreground takes no value' "$T/err"
check "a check after the loop names its option" \
	grep -q '^locksetd: --bundle-validity: expected 0' "$T/err"
check "no message repeats its option" sh -c '! grep -q -- "--[a-z-]*[:=][^ ]*: --" "$1"' _ "$T/err"

# --- --check-config
"$LOCKSETD" --settings "$SETTINGS" --check-config >"$T/out" 2>&1; rc=$?
check "--check-config on Docker's full example exits 0" test "$rc" = 0
check "--check-config says valid" grep -q "configuration is valid" "$T/out"
printf '{"configurationFileVersion": 2, "blockDockerLoad": {"locked": "yes", "value": 1},\n "containerPolicy": {"deniedFlags": ["--privileged", "--bogus"]}}\n' >"$T/bad.json"
put_policy "$T/bad.json"
"$LOCKSETD" --settings "$SETTINGS" --check-config >"$T/out" 2>&1; rc=$?
check "--check-config on an invalid file exits 1" test "$rc" = 1
check "--check-config reports the locked type error" grep -q "/blockDockerLoad/locked" "$T/out"
check "--check-config reports the value type error" grep -q "/blockDockerLoad/value" "$T/out"
check "--check-config reports the unknown flag" grep -q "/containerPolicy/deniedFlags/1" "$T/out"

# --- an invalid policy stops the daemon at start-up, with the errors
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
	--authz-socket "" --foreground >"$T/out" 2>&1; rc=$?
check "invalid policy at start-up exits 1" test "$rc" = 1
check "start-up refusal lists the error path" grep -q "/containerPolicy/deniedFlags/1" "$T/out"

# --- unsafe file ownership or mode is refused, naming file, owner and mode
put_policy "$VALID/minimal-eci.json"
chmod 666 "$SETTINGS"
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
	--authz-socket "" --foreground >"$T/out" 2>&1; rc=$?
check "world-writable policy refused at start-up" test "$rc" = 1
check "refusal names the file" grep -q "$SETTINGS" "$T/out"
check "refusal names the mode" grep -q "0666" "$T/out"
chmod 644 "$SETTINGS"
chmod 777 "$T/etc"
"$LOCKSETD" --settings "$SETTINGS" --check-config >"$T/out" 2>&1; rc=$?
check "world-writable policy directory refused" test "$rc" = 1
check "directory refusal names the directory" grep -q "$T/etc" "$T/out"
chmod 755 "$T/etc"

# --- a config file supplies options; the command line wins
cat >"$T/locksetd.conf" <<CONF
# a comment
settings = $SETTINGS
state-dir = $STATE
listen = unix:$T/from-file.sock
log-level = warn
CONF
"$LOCKSETD" --config "$T/locksetd.conf" --log-level debug --print-config >"$T/out"; rc=$?
check "--print-config exits 0" test "$rc" = 0
check "config file value used" grep -q "^listen = unix:$T/from-file.sock\$" "$T/out"
check "command line wins over the file" grep -q "^log-level = debug\$" "$T/out"
check "defaults are printed" grep -q "^max-body = 1048576\$" "$T/out"
echo "no-such-key = 1" >>"$T/locksetd.conf"
"$LOCKSETD" --config "$T/locksetd.conf" --print-config >/dev/null 2>"$T/err"; rc=$?
check "unknown config-file key is refused" test "$rc" = 2
check "unknown key reported with file and line" grep -q "locksetd.conf:6" "$T/err"
"$LOCKSETD" --print-config >"$T/printed"
"$LOCKSETD" --config "$T/printed" --print-config >"$T/printed2"
check "--print-config output loads back unchanged" cmp -s "$T/printed" "$T/printed2"

# --- IPv6 loopback listener
if ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
	P6=$(free_port)
	lockset_start --listen "[::1]:$P6" || exit 1
	STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$P6/v1/health")
	expect_status "health over IPv6 loopback" 200
	lockset_stop
else
	echo "# no IPv6 loopback here: IPv6 listener not checked"
fi

# --- an idle connection is closed after --connection-timeout
lockset_start --connection-timeout 1 || exit 1
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
start=$SECONDS
closed=no
if ! IFS= read -r -t 8 _ <&3; then
	# read returns non-zero both on EOF and on its own timeout (>128): tell them apart
	[ $((SECONDS - start)) -lt 8 ] && closed=yes
fi
exec 3<&-
check "an idle connection is closed by the server within its timeout" test "$closed" = yes
lockset_stop

# --- daemonised: pid file, readiness, SIGTERM
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
	--authz-socket "" --pid-file "$T/locksetd.pid" --log-level warn; rc=$?
check "daemonised start exits 0 once ready" test "$rc" = 0
check "pid file written" test -s "$T/locksetd.pid"
if [ -s "$T/locksetd.pid" ]; then
	DPID=$(cat "$T/locksetd.pid")
	api GET /v1/health
	expect_status "daemonised locksetd answers" 200
	kill -TERM "$DPID"
	check "daemonised locksetd stops on SIGTERM" wait_until 5 gone "$DPID"
	check "pid file removed" test ! -e "$T/locksetd.pid"
	kill -KILL "$DPID" 2>/dev/null
fi

finish
