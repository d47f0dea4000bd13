#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# TCP listeners and TLS: a TLS listener with a certificate made by the
# openssl CLI serves HTTPS to a client that trusts it, refuses plain HTTP and
# TLS 1.1, and in TLS 1.2 offers only forward-secret AEAD suites (ECDHE with
# AES-GCM or ChaCha20-Poly1305: no static RSA, no CBC); a non-loopback TCP listener without TLS is refused at start-up
# unless --allow-insecure-tcp.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl

# ctl_server ARGS...: the control, openssl s_server with ARGS on a free port
# (CTL_PORT), once it says it accepts. A port another test took meanwhile
# makes it exit (with status 0, and a prober would then reach the other
# test's server): then another port.
ctl_server() {
	for _ in 1 2 3 4 5; do
		CTL_PORT=$(free_port)
		: >"$T/ctl.out"
		openssl s_server -accept "127.0.0.1:$CTL_PORT" -cert "$T/cert.pem" -key "$T/key.pem" \
			"$@" >"$T/ctl.out" 2>&1 &
		EXTRA_PIDS="$!"
		wait_until 30 ctl_settled
		grep -q '^ACCEPT' "$T/ctl.out" && return 0
		ctl_stop
	done
	echo "openssl s_server did not start: $(head -c 300 "$T/ctl.out")"
	return 1
}
ctl_settled() { grep -q '^ACCEPT' "$T/ctl.out" || ! kill -0 "$EXTRA_PIDS" 2>/dev/null; }
ctl_stop() { kill "$EXTRA_PIDS" 2>/dev/null; wait "$EXTRA_PIDS" 2>/dev/null; EXTRA_PIDS=; }
# suite PORT CIPHER: the TLS 1.2 suite a client offering only CIPHER gets
# (OpenSSL's name), or "(NONE)" when the handshake fails.
suite() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_2 \
		-cipher "$2@SECLEVEL=0" 2>/dev/null | sed -n 's/.*Cipher is \(.*\)$/\1/p' | head -n1
}

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=localhost' \
	-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
check "openssl made a certificate" test -s "$T/cert.pem" -a -s "$T/key.pem"
chmod 600 "$T/key.pem"
put_policy "$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json"

# --- the TLS listener: with a certificate every TCP listener speaks TLS, the
# one lockset_start opens too (which picks another port when one is taken)
lockset_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" || exit 1
TLS_PORT=$PORT
S=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/cert.pem" "https://127.0.0.1:$TLS_PORT/v1/health")
check "HTTPS with the CA certificate works ($S)" test "$S" = 200
check "the health reply came over TLS" jq_holds '.status == "ok"' "$T/body"
S=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "https://127.0.0.1:$TLS_PORT/v1/settings")
check "TLS does not replace credentials ($S)" test "$S" = 401
S=$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/v1/health")
check "an untrusted certificate is rejected by the client" test "$S" = 000
S=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TLS_PORT/v1/health")
check "plain HTTP on the TLS port fails ($S)" test "$S" != 200
# The client must be willing to speak TLS 1.1 (OpenSSL's default security
# level forbids it), so the refusal is the daemon's; a control server proves it.
OLD_TLS=(--tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT@SECLEVEL=0' --max-time 5)
curl -s -o /dev/null --cacert "$T/cert.pem" "${OLD_TLS[@]}" \
	"https://127.0.0.1:$TLS_PORT/v1/health"; rc=$?
check "TLS 1.1 is refused (curl exit $rc)" test "$rc" != 0
ctl_server -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -www || exit 1
# The control's time limit is not the daemon's: a machine busy enough may
# take long, and only a failure to speak TLS 1.1 at all matters here.
curl -s -o /dev/null -k "${OLD_TLS[@]}" --max-time $((30 * WAIT_SCALE)) \
	"https://127.0.0.1:$CTL_PORT/"; rc=$?
check "control: this curl does speak TLS 1.1 to a server that allows it (curl exit $rc)" \
	test "$rc" = 0
ctl_stop
curl -s -o /dev/null --cacert "$T/cert.pem" --tlsv1.2 --tls-max 1.2 --max-time 5 \
	"https://127.0.0.1:$TLS_PORT/v1/health"; rc=$?
check "TLS 1.2 is accepted" test "$rc" = 0
curl -s -o /dev/null --cacert "$T/cert.pem" --tlsv1.3 --max-time 5 \
	"https://127.0.0.1:$TLS_PORT/v1/health"; rc=$?
check "TLS 1.3 is accepted" test "$rc" = 0
check "the log names the TLS listener" grep -q "listening on 127.0.0.1:$TLS_PORT (TLS)" "$T/daemon.log"

# TLS 1.2 suites. Each refused suite is one this openssl does negotiate with
# a server that allows it (the control), so the refusal is the daemon's.
ctl_server -tls1_2 -cipher 'ALL@SECLEVEL=0' -www || exit 1
for c in AES128-SHA AES256-SHA AES128-GCM-SHA256 AES256-GCM-SHA384 ECDHE-RSA-AES128-SHA \
	ECDHE-RSA-AES256-SHA ECDHE-RSA-AES128-SHA256 ECDHE-RSA-AES256-SHA384; do
	got=$(suite "$CTL_PORT" "$c")
	check "control: this openssl negotiates $c with a server that offers it ($got)" test "$got" = "$c"
	got=$(suite "$TLS_PORT" "$c")
	check "TLS 1.2 $c (no forward secrecy or not AEAD) is refused ($got)" test "$got" = "(NONE)" -o -z "$got"
done
ctl_stop
for c in ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305; do
	got=$(suite "$TLS_PORT" "$c")
	check "TLS 1.2 $c is offered ($got)" test "$got" = "$c"
done
lockset_stop

# --- a non-loopback listener without TLS
# (a port another test takes between free_port and the bind: another one)
for _ in 1 2 3 4 5; do
	P=$(free_port)
	"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
		--listen "0.0.0.0:$P" --authz-socket "" --foreground >"$T/out" 2>&1; rc=$?
	grep -q "Address already in use" "$T/out" || break
done
check "0.0.0.0 without TLS is refused at start-up" test "$rc" != 0
check "the refusal says why" grep -q "refusing a non-loopback TCP listener without TLS" "$T/out"
lockset_start --listen "0.0.0.0:{port}" --allow-insecure-tcp || exit 1
S=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$XPORT/v1/health")
check "--allow-insecure-tcp permits it ($S)" test "$S" = 200
lockset_stop
lockset_start --listen "0.0.0.0:{port}" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" || exit 1
S=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "https://127.0.0.1:$XPORT/v1/health")
check "0.0.0.0 with TLS starts and serves HTTPS ($S)" test "$S" = 200
lockset_stop
finish
