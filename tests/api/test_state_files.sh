#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Files and start-up: the state directory, its database (and WAL and SHM
# files) and its keys are trusted only when root could alone have written
# them; the pid file is never written through a planted symbolic link, and a
# pid file in a shared directory is refused; a database missing or emptied
# beside an existing signing key is refused unless --audit-reset, which says
# so in the new log; whatever PUT or PATCH /v1/policy accepts, the next start
# accepts (nesting under a kept unknown key, a body that indentation turns
# into a file over 1 MiB). Needs root (to hand files to another uid).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3 python3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to give files to another uid"; exit 77; }

# start_refused NAME PATTERN [args]: the daemon refuses to start, saying PATTERN.
start_refused() {
	local name=$1 pattern=$2; shift 2
	# A refused start exits at once, with what it allocated still held: under
	# LeakSanitizer that is not a leak this test is about.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	timeout 30 "$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" \
		--authz-socket "" --foreground "$@" >"$T/out" 2>&1; local rc=$?
	check "$name: refused at start-up (exit $rc)" test "$rc" = 1
	check "$name: the refusal says why" grep -q -- "$pattern" "$T/out"
	[ "$rc" = 1 ] && grep -q -- "$pattern" "$T/out" || tail -n 3 "$T/out"
}

lockset_start || exit 1
lockset_stop
DB="$STATE/lockset.db"
check "a first start leaves the database, its WAL and the keys" \
	test -f "$DB" -a -f "$STATE/audit-signing.key" -a -f "$STATE/inputs-hmac.key"

# --- the state directory and its files
chown 65534 "$STATE"
start_refused "a state directory owned by another user" "$STATE: directory owned by uid 65534"
chown 0 "$STATE"; chmod 0770 "$STATE"
start_refused "a group-writable state directory" "$STATE: directory owned by uid 0 (root), mode 0770"
chmod 0700 "$STATE"
for f in lockset.db audit-signing.key inputs-hmac.key; do
	chown 65534 "$STATE/$f"
	start_refused "$f owned by another user" "$STATE/$f: owned by uid 65534"
	chown 0 "$STATE/$f"; chmod 0666 "$STATE/$f"
	start_refused "a world-writable $f" "$STATE/$f: owned by uid 0 (root), mode 0666"
	chmod 0600 "$STATE/$f"
done
rm -f "$DB-wal" "$DB-shm"
echo planted >"$T/elsewhere"
ln -s "$T/elsewhere" "$DB-wal"
start_refused "a WAL file that is a symbolic link" "$DB-wal: is a symbolic link"
rm -f "$DB-wal"
install -m 0620 /dev/null "$DB-shm"
start_refused "a group-writable SHM file" "$DB-shm: owned by uid 0 (root), mode 0620"
rm -f "$DB-shm"
chown 65534 "$DB"
"$LOCKSETD" --state-dir "$STATE" --create-token t1 --role admin >"$T/out" 2>&1; rc=$?
check "--create-token refuses an untrusted database too (exit $rc)" test "$rc" = 1
check "... saying why" grep -q "$DB: owned by uid 65534" "$T/out"
chown 0 "$DB"
lockset_start || exit 1
api GET /v1/audit/verify
expect_json "after the refusals the log is whole" .ok true
lockset_stop

# --- the pid file
mkdir -m 0755 "$T/run"
echo "keep me" >"$T/victim"
ln -s "$T/victim" "$T/run/locksetd.pid"
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" --authz-socket "" \
	--pid-file "$T/run/locksetd.pid" >"$T/out" 2>&1; rc=$?
check "the daemon forks and reports ready (exit $rc)" test "$rc" = 0
BGPID=$(cat "$T/run/locksetd.pid" 2>/dev/null)
check "the pid file is a new regular file, not the planted link" test -f "$T/run/locksetd.pid" -a ! -L "$T/run/locksetd.pid"
check "... holding the daemon's pid ($BGPID)" kill -0 "${BGPID:-0}"
check "... and the link's target is untouched" test "$(cat "$T/victim")" = "keep me"
[ -n "$BGPID" ] && kill -TERM "$BGPID" 2>/dev/null
check "the daemon stopped" wait_until 10 gone "${BGPID:-0}"
mkdir -m 1777 "$T/shared"
"$LOCKSETD" --settings "$SETTINGS" --state-dir "$STATE" --listen "unix:$SOCK" --authz-socket "" \
	--pid-file "$T/shared/locksetd.pid" >"$T/out" 2>&1; rc=$?
check "a pid file in a shared (1777) directory is refused (exit $rc)" test "$rc" = 1
check "... before anything is written" test ! -e "$T/shared/locksetd.pid"

# --- a lost database beside its signing key
mv "$DB" "$T/lockset.db.saved"; rm -f "$DB-wal" "$DB-shm"
start_refused "a deleted database beside the signing key" "lockset.db is missing, but the signing key"
check "... and no fresh log was started" test ! -e "$DB"
: >"$DB"; chmod 600 "$DB"
start_refused "a zero-length database beside the signing key" "lockset.db is empty, but the signing key"
lockset_start --audit-reset || exit 1
api GET '/v1/audit?order=asc&limit=1'
expect_json "--audit-reset starts a new log whose first row says so" '.events[0].action' audit.reset
expect_json "... and why" '.events[0].data.database' empty
api GET /v1/audit/verify
expect_json "the new log verifies" .ok true
lockset_stop
check "the reset is logged" grep -q "a new log starts at row 1 (audit.reset)" "$T/daemon.log"

# --- what the API accepts, the next start accepts
lockset_start || exit 1
api GET /v1/policy
ETAG=$(header ETag)
deep() { python3 -c "import json,sys; d=json.load(open('$SETTINGS')); v=0
for _ in range($1): v=[v]
d['futureSetting']=v; print(json.dumps(d))"; }
deep 32 >"$T/deep32.json"; deep 31 >"$T/deep31.json"
api PUT /v1/policy -H 'Content-Type: application/json' --data-binary @"$T/deep32.json"
expect_error "33 levels of nesting under a kept unknown key are refused" 422 invalid_policy
expect_json "... saying why" '.error.details[0].message' "nesting deeper than 32 levels"
api PUT /v1/policy -H 'Content-Type: application/json' --data-binary @"$T/deep31.json"
expect_status "32 levels are accepted" 200
python3 -c "import json; d=json.load(open('$SETTINGS')); v=list(range(10))*2000
for _ in range(29): v=[v]
d['futureList']=v; print(json.dumps(d, separators=(',',':')))" >"$T/wide.json"
check "the wide document is about 40 KB ($(stat -c %s "$T/wide.json") bytes)" test "$(stat -c %s "$T/wide.json")" -lt 65536
api PUT /v1/policy -H 'Content-Type: application/json' --data-binary @"$T/wide.json"
expect_error "a body that would be a settings file over 1 MiB is refused" 422 invalid_policy
expect_json "... saying so" '.error.details[0].message | test("larger than the 1048576 byte")' true
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' \
	-d "{\"futurePatch\": $(python3 -c 'v=0
for _ in range(40): v=[v]
import json; print(json.dumps(v))')}"
expect_error "PATCH is held to the same limit" 422 invalid_policy
"$LOCKSETD" --settings "$SETTINGS" --check-config >"$T/out" 2>&1
check "the file the daemon wrote passes --check-config" grep -q "configuration is valid" "$T/out"
lockset_stop
lockset_start || { not_ok "the daemon starts again on what it wrote"; finish; }
ok "the daemon starts again on what it wrote"
api GET /v1/policy
expect_json "... and serves it" '.futureSetting | flatten | length' 1
finish
