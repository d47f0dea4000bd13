#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# locksetctl shows what others wrote as text: an audit subject or data from a
# developer's image name or a reported event, a user's preference value, the
# server's error messages, problems and verify reasons reach the admin's
# terminal with every control (C0, DEL, C1), line separator and bidirectional
# control as a visible escape (\x1b, \u009b, \u202e), in tables, --follow,
# --json and CSV alike. Checked on the bytes locksetctl writes.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
CTL=${LOCKSETCTL:-$LOCKSET_BUILDDIR/daemon/ctl/locksetctl}
[ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }
lockset_start || exit 1
ctl() { "$CTL" --socket "$SOCK" "$@"; }
JSON=(-H 'Content-Type: application/json')

# clean FILE: none of the bytes a terminal acts on (TAB and LF are the
# tables' own), no C1 control, U+2028/9 or bidirectional control in UTF-8.
clean() {
	[ -s "$1" ] && ! LC_ALL=C grep -qaP \
		'[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}
# shows FILE TEXT: the escapes are there to read.
shows() { grep -qF -- "$2" "$1"; }

# Every kind of character that acts, in a subject and the data.
EVIL='x\u001b[2K\u001b]0;t\u0007\b\r\u001b[1A\u009b31m\u009d0;c1\u009c\u202eab\u2066\u2028\u061c\u007fy'
api POST /v1/events "${JSON[@]}" \
	-d "{\"action\":\"runtime.text.denied\",\"subject\":\"$EVIL\",\"decision\":\"deny\",\"data\":{\"k\":\"$EVIL\"}}"
expect_status "a reported event with controls in its subject is stored" 201

ctl audit --action runtime.text.denied >"$T/table" 2>&1
check "audit table: nothing a terminal acts on" clean "$T/table"
check "... the escapes are shown" shows "$T/table" 'x\x1b[2K\x1b]0;t\x07\x08\x0d\x1b[1A\u009b31m\u009d0;c1\u009c\u202eab\u2066\u2028\u061c\x7fy'
if command -v script >/dev/null 2>&1; then
	script -qec "$CTL --socket $SOCK audit --action runtime.text.denied" /dev/null >"$T/tty" 2>&1
	tr -d '\r' <"$T/tty" >"$T/tty.lf" # the terminal's own line ends
	check "audit on a terminal: nothing it acts on" clean "$T/tty.lf"
fi
ctl audit --action runtime.text.denied --format json >"$T/json" 2>&1
check "audit --format json: nothing a terminal acts on" clean "$T/json"
check "... C1 and bidi controls as \\u escapes" shows "$T/json" '\u009b31m\u009d0;c1\u009c\u202eab\u2066\u2028\u061c'
check "... and the same text" jq_holds --arg s "$(printf 'x\e[2K\e]0;t\a\b\r\e[1A\u009b31m\u009d0;c1\u009c\u202eab\u2066\u2028\u061c\x7fy')" \
	'.events[0].subject == $s and .events[0].data.k == $s' "$T/json"
ctl --json audit --action runtime.text.denied >"$T/json2" 2>&1
check "--json audit: nothing a terminal acts on" clean "$T/json2"
ctl audit --action runtime.text.denied --format ndjson >"$T/ndjson" 2>&1
check "audit --format ndjson: nothing a terminal acts on" clean "$T/ndjson"
ctl audit --action runtime.text.denied --format csv | tr -d '\r' >"$T/csv" # CRLF is CSV's
check "audit --format csv: nothing a terminal acts on" clean "$T/csv"
check "... the escapes are shown" shows "$T/csv" 'x\x1b[2K\x1b]0;t\x07\x08\x0d\x1b[1A\u009b31m'

for form in table ndjson; do
	ctl audit --follow --format "$form" --action runtime.text.follow >"$T/follow.$form" 2>&1 &
	EXTRA_PIDS="${EXTRA_PIDS:-} $!"
done
api POST /v1/events "${JSON[@]}" -d "{\"action\":\"runtime.text.follow\",\"subject\":\"$EVIL\"}"
check "audit --follow: the event arrives" wait_until 10 grep -qs 'runtime.text.follow' "$T/follow.table"
check "audit --follow --format ndjson: the event arrives" wait_until 10 grep -qs 'runtime.text.follow' "$T/follow.ndjson"
check "audit --follow: nothing a terminal acts on" clean "$T/follow.table"
check "audit --follow --format ndjson: nothing a terminal acts on" clean "$T/follow.ndjson"

# A user's preference value, shown by settings --user.
api PUT /v1/users/alice/settings "${JSON[@]}" -d "{\"proxy\":{\"http\":\"http://p$EVIL\"}}"
expect_status "alice stores a preference with controls in it" 200
ctl settings --user alice >"$T/settings" 2>&1
check "settings --user: the value is there" grep -q 'proxy.http' "$T/settings"
check "settings --user: nothing a terminal acts on" clean "$T/settings"
check "... the escapes are shown" shows "$T/settings" 'http://px\x1b[2K'
ctl --json settings --user alice >"$T/settings.json" 2>&1
check "settings --user --json: nothing a terminal acts on" clean "$T/settings.json"

# What a server says about itself: errors, problems, verify reasons, a
# reply that is not JSON (a server that is not lockset, or one in the middle).
FPORT=$(free_port)
cat >"$T/fake.py" <<'PY'
import http.server, json, sys
E = "\u001b[2J\u001b]0;t\u0007\u009b31m\u202e\u2028"
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body, ctype="application/json"):
        b = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        if self.path.startswith("/v1/audit/verify"):
            self.reply(200, {"ok": False, "first_bad_id": 3, "rows": 5, "reason": "hash" + E})
        elif self.path.startswith("/v1/health"):
            self.reply(200, b"\x1b[2J\xc2\x9b31m not json", "text/plain")
        else:
            self.reply(404, {"error": {"code": "not_found" + E, "message": "no" + E}})
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if "dry_run" in self.path:
            self.reply(400, {"error": {"code": "invalid_policy", "message": "bad" + E,
                "details": [{"path": "/a" + E, "message": "m" + E},
                            {"path": "", "line": 1, "column": 2, "message": "l" + E}]}})
        else:
            self.reply(200, {"version": 2, "changed": True,
                "diff": {"added": ["/x" + E], "removed": [], "changed": []},
                "warnings": [{"path": "/w" + E, "message": "w" + E}]})
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$T/fake.py" "$FPORT" &
EXTRA_PIDS="${EXTRA_PIDS:-} $!"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$FPORT/" || not_ok "the fake server did not start"
fake() { "$CTL" --url "http://127.0.0.1:$FPORT" --token t "$@" >"$T/fake.out" 2>&1; cat "$T/fake.out"; }
echo '{}' >"$T/p.json"
fake status >"$T/f1"
check "a reply that is not JSON: said, nothing a terminal acts on" \
	bash -c "grep -q 'not JSON' '$T/f1' && ! LC_ALL=C grep -qaP '\x1b|\xc2\x9b' '$T/f1'"
fake users policy get bob >"$T/f2"
check "an error message and code: shown" grep -qF 'no\x1b[2J\x1b]0;t\x07\u009b31m\u202e\u2028' "$T/f2"
check "... nothing a terminal acts on" clean "$T/f2"
fake audit verify >"$T/f3"
check "a verify reason: shown" grep -qF 'BROKEN at id 3: hash\x1b[2J' "$T/f3"
check "... nothing a terminal acts on" clean "$T/f3"
fake policy validate "$T/p.json" >"$T/f4"
check "problems: shown" bash -c "grep -qF '/a\\x1b[2J' '$T/f4' && grep -qF 'l\\x1b[2J' '$T/f4'"
check "... nothing a terminal acts on" clean "$T/f4"
fake policy set "$T/p.json" >"$T/f5"
check "a change's diff and warnings: shown" bash -c "grep -qF '+ /x\\x1b[2J' '$T/f5' && grep -qF '/w\\x1b[2J' '$T/f5'"
check "... nothing a terminal acts on" clean "$T/f5"
finish
