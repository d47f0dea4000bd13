#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Audit forwarding to a real rsyslog on loopback (--syslog tcp:): RFC 5424
# messages with the row's id, hash, action, rules, actor and subject in
# structured data, octet-counted framing on the wire; the receiver killed
# (SIGKILL) mid-stream while denies go on: the local record is complete and
# every row arrives once it is back, duplicates only from the resend point
# and identical; a lockset restart resumes at the saved cursor; TLS checks the
# receiver against --syslog-cacert; a unix datagram receiver gets the rows too.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3 sqlite3 openssl
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { echo "SKIP: rsyslogd is not installed (Debian package rsyslog)"; exit 77; }

RS="$T/rsyslog"
mkdir -p "$RS"
OUT="$RS/out.log"
RPORT=$(free_port)
TPORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=localhost' \
	-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	-keyout "$RS/key.pem" -out "$RS/cert.pem" >/dev/null 2>&1
# The rsyslog configuration the README shows, with test ports and paths.
cat >"$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS" maxMessageSize="64k"
	DefaultNetstreamDriverCAFile="$RS/cert.pem"
	DefaultNetstreamDriverCertFile="$RS/cert.pem" DefaultNetstreamDriverKeyFile="$RS/key.pem")
module(load="imtcp")
module(load="imuxsock" SysSock.Use="off")
input(type="imtcp" address="127.0.0.1" port="$RPORT" ruleset="lockset")
input(type="imtcp" address="127.0.0.1" port="$TPORT" ruleset="lockset-tls"
	streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imuxsock" Socket="$RS/log.sock" ruleset="lockset-unix")
template(name="lockset-raw" type="string" string="%rawmsg%\n")
ruleset(name="lockset" queue.type="Direct") {
	action(type="omfile" file="$OUT" template="lockset-raw" flushOnTXEnd="on" asyncWriting="off")
}
ruleset(name="lockset-tls" queue.type="Direct") {
	action(type="omfile" file="$RS/tls.log" template="lockset-raw" flushOnTXEnd="on")
}
ruleset(name="lockset-unix" queue.type="Direct") {
	action(type="omfile" file="$RS/unix.log" template="lockset-raw" flushOnTXEnd="on")
}
EOF
RS_PID=
rsyslog_start() {
	"$RSYSLOGD" -n -f "$RS/rsyslog.conf" -i "$RS/rsyslogd.pid" >>"$RS/rsyslogd.log" 2>&1 &
	RS_PID=$!
	EXTRA_PIDS="$RS_PID ${EXTRA_PIDS:-}"
	wait_until 10 bash -c "ss -ltnH 'sport = :$RPORT' | grep -q LISTEN" &&
		wait_until 10 bash -c "ss -ltnH 'sport = :$TPORT' | grep -q LISTEN"
}
rsyslog_start || { echo "rsyslogd did not start:"; cat "$RS/rsyslogd.log"; exit 1; }

lockset_start --syslog "tcp:127.0.0.1:$RPORT" || exit 1

DENY='{"method":"POST","uri":"/v1.43/containers/create","user":"alice",
	"body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
deny() { curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code}\n' -X POST -d "$DENY" \
	http://lockset/v1/decisions; }
head_id() { api GET '/v1/audit?limit=1'; jqb '.events[0].id'; }
ids() { sed -n 's/.*\[lockset@32473 id="\([0-9]*\)".*/\1/p' "$1"; }
all_arrived() { # FILE N: ids 1..N each at least once
	[ "$(ids "$1" | sort -nu | awk -v n="$2" '$1 >= 1 && $1 <= n' | wc -l)" = "$2" ]
}

# --- the message format
deny >/dev/null
check "the first rows arrive" wait_until 10 all_arrived "$OUT" 2
LINE=$(grep 'id="2"' "$OUT" | head -n1)
HASH2=$(sqlite3 "$STATE/lockset.db" 'SELECT hash FROM events WHERE id = 2')
check "RFC 5424 header: PRI (log audit, warning), version, time, host, app, pid, msgid" \
	bash -c "[[ '$LINE' =~ ^\<108\>1\ [0-9T:.-]+Z\ [^\ ]+\ lockset\ [0-9]+\ container\.create\.denied\ \\[ ]]"
check "structured data: id and the row's hash" \
	bash -c "[[ '$LINE' == *'[lockset@32473 id=\"2\" hash=\"$HASH2\" action=\"container.create.denied\"'* ]]"
check "structured data: actor, subject, decision, rule ids" \
	bash -c "[[ '$LINE' == *'actor=\"uid:0\" subject=\"alpine\" component=\"api\" decision=\"deny\" rules=\"privileged\" policyVersion=\"1\"]'* ]]"
check "the message is the row's data" jq_holds_on "${LINE#*\] }" '.violations[0].rule == "privileged"'
check "the policy row is a notice" grep -q '^<109>1 .* policy.updated \[lockset@32473 id="1"' "$OUT"

# --- the receiver killed mid-stream while denies go on
( for _ in $(seq 300); do deny; done >"$T/codes" ) &
LOOP=$!
EXTRA_PIDS="$LOOP $EXTRA_PIDS"
metric() { api GET /metrics; sed -n "s/^$1 //p" "$BODY"; }
confirmed_some() { [ "$(metric lockset_syslog_confirmed_id)" -ge 20 ]; }
check "forwarding is under way and confirmed" wait_until 20 confirmed_some
check "the denies are still going on" kill -0 "$LOOP"
kill -KILL "$RS_PID"
wait "$RS_PID" 2>/dev/null
wait "$LOOP"
check "every deny was answered while the receiver was down" \
	test "$(grep -c '^200$' "$T/codes")" = 300
HEAD=$(head_id)
check "the local record is complete" test "$HEAD" = 302
lagging() { [ "$(metric lockset_syslog_up)" = 0 ] && [ "$(metric lockset_syslog_lag_rows)" -gt 0 ]; }
check "metrics show the receiver down and the lag" wait_until 10 lagging
api GET /metrics
check "metrics count the failures" grep -Eq 'lockset_syslog_failures_total\{stage="(connect|write)"\} [1-9]' "$BODY"
rsyslog_start || exit 1
check "after the receiver is back every row arrives" wait_until 60 all_arrived "$OUT" "$HEAD"
RESEND=$(grep 'syslog: connected to' "$T/daemon.log" | tail -n1 | sed -n 's/.*sending from row \([0-9]*\).*/\1/p')
check "the daemon logged where it resumed" test -n "$RESEND"
ids "$OUT" | sort -n | uniq -d >"$T/dups"
check "it resumed after the rows confirmed before the kill" test "$RESEND" -gt 20
check "duplicates are only rows at or after the resend point ($RESEND)" \
	bash -c "[ ! -s '$T/dups' ] || [ \$(head -n1 '$T/dups') -ge '$RESEND' ]"
check "no row arrived more than twice" test -z "$(ids "$OUT" | sort -n | uniq -c | awk '$1 > 2')"
check "duplicates are byte-identical (recognisable by id)" \
	test "$(sort -u "$OUT" | wc -l)" = "$(ids "$OUT" | sort -nu | wc -l)"
caught_up() { [ "$(metric lockset_syslog_lag_rows)" = 0 ] && [ "$(metric lockset_syslog_up)" = 1 ]; }
check "metrics: caught up" wait_until 10 caught_up

# --- a lockset restart resumes at the saved cursor
lockset_stop
CURSOR=$(sqlite3 "$STATE/lockset.db" "SELECT last_id FROM syslog_cursor WHERE target = 'tcp:127.0.0.1:$RPORT'")
check "the cursor was saved at shutdown ($CURSOR)" test "$CURSOR" = "$HEAD"
LINES=$(wc -l <"$OUT")
lockset_start --syslog "tcp:127.0.0.1:$RPORT" || exit 1
deny >/dev/null
NEW=$(head_id)
check "rows after the restart arrive" wait_until 10 all_arrived "$OUT" "$NEW"
check "nothing before the cursor was sent again" \
	test "$(tail -n +"$((LINES + 1))" "$OUT" | ids /dev/stdin | sort -n | head -n1)" -gt "$HEAD"

# --- a caller's newline cannot forge a line: a denied create's image is the
# row's subject, and any docker user chooses it. rsyslog itself turns the
# controls it receives into #012 and the like, so its file cannot show a
# broken line either way; what lockset sent is the escape it arrives with
# (tests/unit/test_audit_syslog checks the bytes themselves).
FORGE='{"method":"POST","uri":"/v1.43/containers/create","user":"alice",
	"body":{"Image":"alpine\n<109>1 2026-01-01T00:00:00Z forged lockset 1 policy.updated [lockset@32473 id=\"9\"] {}",
	"HostConfig":{"Privileged":true}}}'
curl -s --unix-socket "$SOCK" -o /dev/null -X POST -d "$FORGE" http://lockset/v1/decisions
FID=$(head_id)
check "the row with a newline in its image arrives" wait_until 10 all_arrived "$OUT" "$FID"
check "... the newline escaped in the subject" \
	bash -c "grep -F 'id=\"$FID\"' '$OUT' | grep -qF 'subject=\"alpine\\u000a<109>1 2026-01-01T00:00:00Z forged'"

# --- octet-counted framing on the wire, seen by a capturing listener
CPORT=$(free_port)
python3 - "$CPORT" "$T/wire" <<'EOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); data = b""
c.settimeout(10)
while data.count(b"lockset@32473") < 4:
    chunk = c.recv(65536)
    if not chunk: break
    data += chunk
open(sys.argv[2], "wb").write(data)
EOF
CAP=$!
EXTRA_PIDS="$CAP $EXTRA_PIDS"
wait_until 10 bash -c "ss -ltnH 'sport = :$CPORT' | grep -q LISTEN"
lockset_stop
lockset_start --syslog "tcp:127.0.0.1:$CPORT" || exit 1
wait "$CAP"
check "frames are LEN SP MSG with LEN the message's octets" python3 - "$T/wire" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read(); n = 0
while b" " in d[:8]:
    sp = d.index(b" "); ln = int(d[:sp]); msg = d[sp + 1:sp + 1 + ln]
    if len(msg) < ln: break  # the capture ended inside this frame
    assert msg.startswith(b"<") and b"[lockset@32473 id=" in msg, msg[:40]
    d = d[sp + 1 + ln:]; n += 1
assert n >= 2, n
EOF

# --- TLS: the receiver's certificate is checked against --syslog-cacert
lockset_stop
lockset_start --syslog "tls:127.0.0.1:$TPORT" || exit 1
tls_failed() { api GET /metrics; grep -Eq 'lockset_syslog_failures_total\{stage="connect"\} [1-9]' "$BODY"; }
check "an untrusted receiver: the connection fails" wait_until 10 tls_failed
check "tls: not connected" grep -q '^lockset_syslog_up 0$' "$BODY"
check "tls: the log names the certificate" grep -q 'TLS: certificate verify failed' "$T/daemon.log"
check "tls: nothing was sent" test ! -s "$RS/tls.log"
lockset_stop
lockset_start --syslog "tls:127.0.0.1:$TPORT" --syslog-cacert "$RS/cert.pem" || exit 1
check "with --syslog-cacert rows arrive over TLS" wait_until 20 all_arrived "$RS/tls.log" "$(head_id)"

# --- a unix datagram receiver
lockset_stop
lockset_start --syslog "unix:$RS/log.sock" || exit 1
check "rows arrive over a unix datagram socket" wait_until 20 all_arrived "$RS/unix.log" "$(head_id)"

finish
