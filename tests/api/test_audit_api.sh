#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The audit REST surface against the real daemon: POST /v1/events (strict
# validation, the caller recorded as component), every filter of GET /v1/audit,
# keyset paging with no duplicates or gaps, JSON/NDJSON/CSV, stats, verify and
# its detection of rows edited or deleted with the sqlite3 CLI, bad parameters,
# and which roles may write and read.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need sqlite3 python3

DB="$STATE/lockset.db"
RT=$("$LOCKSETD" --state-dir "$STATE" --create-token rt --role runtime) || exit 1
AUD=$("$LOCKSETD" --state-dir "$STATE" --create-token aud --role auditor) || exit 1
lockset_start || exit 1
JSON=(-H 'Content-Type: application/json')

# post_event NAME JSON: POST /v1/events, expect 201, leave the id in ID.
post_event() {
	api POST /v1/events "${JSON[@]}" -d "$2"
	ID=$(jq -r '.id // empty' "$BODY" 2>/dev/null)
	if [ "$STATUS" = 201 ] && [[ "$ID" =~ ^[0-9]+$ ]]; then :; else
		not_ok "$1: expected 201 with an id, got $STATUS: $(head -c 300 "$BODY")"; ID=0; fi
}
# ids: the ids of the last JSON page, comma-separated.
ids() { jq -r '[.events[].id] | join(",")' "$BODY"; }
# expect_ids NAME QUERY EXPECTED: GET /v1/audit?QUERY returns exactly these ids.
expect_ids() {
	api GET "/v1/audit?$2"
	if [ "$STATUS" != 200 ]; then not_ok "$1: status $STATUS: $(head -c 300 "$BODY")"; return; fi
	local got; got=$(ids)
	if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1: ids '$got', expected '$3'"; fi
}
# all_ids [ORDER]: every id in the log, via an NDJSON export (no limit).
all_ids() {
	curl -s --unix-socket "$SOCK" "http://lockset/v1/audit?format=ndjson&order=${1:-desc}" |
		jq -r .id | paste -sd, -
}

# ---------------------------------------------------------------------------
# POST /v1/events: accepted events, the caller's identity as component

post_event "a full event" '{"action":"runtime.container.create.denied","actor":"t-alice","subject":"img/a","decision":"deny","rules":["privileged","cap-add"],"data":{"z":1,"a":{"n":[1,2]}},"policy_version":1}'
E1=$ID
expect_status "a full event is recorded" 201
post_event "event 2" '{"action":"runtime.container.create.denied","actor":"t-bob","subject":"img/b","decision":"deny","rules":["host-pid"],"policy_version":2}'
E2=$ID
post_event "event 3" '{"action":"runtime.container.exec.denied","actor":"t-alice","subject":"c/1","decision":"deny","rules":["privileged"],"policy_version":2}'
E3=$ID
post_event "event 4" '{"action":"runtime.container.create.audited","actor":"t-carol","subject":"img/c","decision":"audit","rules":["device"],"policy_version":3}'
E4=$ID
post_event "event 5" '{"action":"runtime.image.pull.denied","actor":"t-bob","subject":"docker.io/evil","decision":"deny","rules":["registry"],"policy_version":3}'
E5=$ID
post_event "event 6" '{"action":"runtime.container.start.allowed","actor":"t-alice","subject":"c/2","decision":"allow"}'
E6=$ID
post_event "event 7" '{"action":"runtime.containerd.task.denied","actor":"t-carol","subject":"task/1","decision":"deny"}'
E7=$ID
post_event "a minimal event" '{"action":"runtime.exec.denied"}'
E8=$ID
check "ids increase by one per event" test "$E2,$E3,$E4,$E5,$E6,$E7,$E8" = \
	"$((E1 + 1)),$((E1 + 2)),$((E1 + 3)),$((E1 + 4)),$((E1 + 5)),$((E1 + 6)),$((E1 + 7))"

expect_ids "the newest event first" "limit=1" "$E8"
expect_json "component is the caller's identity (uid:0 over the Unix socket)" '.events[0].component' uid:0
expect_json "absent actor is null" '.events[0].actor' null
expect_json "absent rules are an empty array" '.events[0].rules | length' 0
expect_json "absent data is an empty object" '.events[0].data' '{}'
expect_json "absent policy_version is null" '.events[0].policy_version' null
api GET "/v1/audit?subject=img/a"
expect_json "stored event keeps every field" \
	'.events[0] | [.id, .action, .actor, .subject, .decision, (.rules | join(";")), .policy_version] | map(tostring) | join(" ")' \
	"$E1 runtime.container.create.denied t-alice img/a deny privileged;cap-add 1"
expect_json "data is returned as the object sent" '.events[0].data | tojson' '{"a":{"n":[1,2]},"z":1}'
expect_json "time is RFC 3339 UTC with microseconds" \
	'.events[0].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' true
expect_json "each row carries its chain link" '.events[0] | (.hash | test("^[0-9a-f]{64}$")) and (.prev_hash | test("^[0-9a-f]{64}$"))' true

# Strict validation: each problem with its exact JSON pointer, nothing written.
before=$(sqlite3 "$DB" 'SELECT count(*) FROM events')
bad_event() { # NAME JSON EXPECTED-PATHS
	api POST /v1/events "${JSON[@]}" -d "$2"
	expect_error "$1" 400 invalid_request
	expect_json "$1: paths" '[.error.details[].path] | sort | join(",")' "$3"
}
bad_event "unknown field is refused" '{"action":"runtime.exec.denied","colour":"red"}' /colour
bad_event "actor of the wrong type" '{"action":"runtime.exec.denied","actor":5}' /actor
bad_event "rules that are not an array" '{"action":"runtime.exec.denied","rules":"privileged"}' /rules
bad_event "a bad rule id is pointed at by index" '{"action":"runtime.exec.denied","rules":["ok","Bad Rule"]}' /rules/1
bad_event "data that is not an object" '{"action":"runtime.exec.denied","data":[1]}' /data
bad_event "policy_version that is negative" '{"action":"runtime.exec.denied","policy_version":-1}' /policy_version
bad_event "policy_version that is a string" '{"action":"runtime.exec.denied","policy_version":"3"}' /policy_version
bad_event "an action that is not lowercase dotted" '{"action":"Container Create"}' /action
bad_event "an action with one segment" '{"action":"denied"}' /action
bad_event "a decision outside deny/allow/audit" '{"action":"runtime.exec.denied","decision":"maybe"}' /decision
bad_event "action is required" '{"actor":"x"}' /action
bad_event "every problem is listed at once" '{"action":"x","actor":[],"decision":"no","extra":1}' /action,/actor,/decision,/extra
bad_event "the body must be an object" '[]' ''
api POST /v1/events "${JSON[@]}" -d '{"action":'
expect_error "a body that is not JSON" 400 invalid_json

# Reported events live under runtime.*: lockset's own namespaces and anything
# else are refused with 422, the pointer at /action, and nothing written.
own_event() { # NAME ACTION
	api POST /v1/events "${JSON[@]}" -d "{\"action\":\"$2\",\"decision\":\"deny\"}"
	expect_error "$1" 422 invalid_policy
	expect_json "$1: the pointer is /action" '[.error.details[].path] | join(",")' /action
}
for a in policy.updated token.created container.create.denied settings.locked_override \
	auth.failed audit.pruned exec.denied image.pull.denied build.denied plugin.install.denied \
	volume.create.denied service.create.denied swarm.join.denied commit.denied unknown.denied \
	other.denied user_policy.updated preferences.updated upstream.bundle.applied host.status; do
	own_event "$a is lockset's own namespace" "$a"
done
expect_json "the refusal says why" '.error.details[0].message | test("lockset.s own")' true
own_event "anything outside runtime.* is refused" containerd.task.denied
expect_json "the refusal names the runtime.* form" '.error.details[0].message | test("runtime.containerd.task.denied")' true
own_event "runtimex.* is not runtime.*" runtimex.a.b
# ... and cannot borrow the actors lockset writes: its components, and the
# callers as it names them.
for actor in dockerd DockerD locksetd upstream uid:0 token:ci-bot Token:admin anonymous@127.0.0.1; do
	api POST /v1/events "${JSON[@]}" \
		-d "{\"action\":\"runtime.container.create.denied\",\"actor\":\"$actor\",\"decision\":\"deny\"}"
	expect_error "actor $actor is lockset's own" 422 invalid_policy
	expect_json "... the pointer is /actor" '[.error.details[].path] | join(",")' /actor
done
# ... nor look like them: an invisible character (zero-width, soft hyphen,
# combining grapheme joiner, fillers, blank braille), white space other than
# U+0020 anywhere, or a space at either end.
for actor in 'dockerd\u200b' ' uid:0' 'uid:0 ' 'a\u0007b' 'dockerd\u00a0' 'dockerd\u3000' \
	'\u00a0uid:0' 'dockerd\u2800' 'dockerd\u115f' 'dockerd\u034f' 'dockerd\u00ad' \
	'docker\u2009d' 'dockerd\ufe0f' 'dockerd\udb40\udc01'; do
	api POST /v1/events "${JSON[@]}" \
		-d "{\"action\":\"runtime.container.create.denied\",\"actor\":\"$actor\",\"decision\":\"deny\"}"
	expect_error "actor '$actor' is no user's name" 422 invalid_policy
	expect_json "... the pointer is /actor" '[.error.details[].path] | join(",")' /actor
done
check "refused events write nothing" test "$(sqlite3 "$DB" 'SELECT count(*) FROM events')" = "$before"

# ---------------------------------------------------------------------------
# Filters of GET /v1/audit

expect_ids "action, exact" "action=runtime.container.create.denied" "$E2,$E1"
expect_ids "action prefix container.* (not containerd.*)" "action=runtime.container.*" "$E6,$E4,$E3,$E2,$E1"
expect_ids "action prefix container.create.*" "action=runtime.container.create.*" "$E4,$E2,$E1"
expect_ids "action prefix containerd.*" "action=runtime.containerd.*" "$E7"
expect_ids "actor" "actor=t-bob" "$E5,$E2"
expect_ids "subject" "subject=docker.io/evil" "$E5"
expect_ids "rule" "rule=privileged" "$E3,$E1"
expect_ids "rule given second in the event" "rule=cap-add" "$E1"
expect_ids "decision=deny" "decision=deny&actor=t-alice" "$E3,$E1"
expect_ids "decision=allow" "decision=allow&actor=t-alice" "$E6"
expect_ids "decision=allow alone (token rows are allow too)" "decision=allow" \
	"$(sqlite3 "$DB" "SELECT group_concat(id) FROM (SELECT id FROM events WHERE decision='allow' ORDER BY id DESC)")"
expect_ids "decision=audit" "decision=audit" "$E4"
expect_ids "policy_version" "policy_version=2" "$E3,$E2"
expect_ids "filters combine (AND)" "actor=t-alice&rule=privileged&action=runtime.container.exec.*" "$E3"
expect_ids "a filter nothing matches" "actor=nobody" ""
api GET "/v1/audit?actor=nobody"
expect_json "an empty page has next null" .next null
expect_ids "order=asc" "actor=t-alice&order=asc" "$E1,$E3,$E6"

# since <= time < until, from the stored times; bounds in UTC and with an offset.
time_of() { api GET "/v1/audit?subject=$1"; jqb '.events[0].time'; }
T2=$(time_of img/b)
T5=$(time_of docker.io/evil)
expect_ids "since is inclusive, until exclusive" "since=$T2&until=$T5" "$E4,$E3,$E2"
expect_ids "since alone" "since=$T5" "$E8,$E7,$E6,$E5"
OLDER=$(all_ids asc | tr , '\n' | awk -v e="$E2" '$1 < e' | sort -rn | paste -sd, -)
expect_ids "until alone" "until=$T2" "$OLDER"
T2P=$(TZ=Etc/GMT-2 date -d "$T2" +%Y-%m-%dT%H:%M:%S.%6N+02:00)
expect_ids "since with a +02:00 offset is the same instant" "since=${T2P/+/%2B}&until=$T5" "$E4,$E3,$E2"
expect_ids "since in the future" "since=2999-01-01T00:00:00Z" ""
expect_ids "until before every event" "until=2000-01-01T00:00:00Z" ""

# ---------------------------------------------------------------------------
# Paging: 57 events, 10 per page, both orders, with and without a filter

PAGER=()
for i in $(seq 57); do
	api POST /v1/events "${JSON[@]}" -d "{\"action\":\"runtime.container.start.denied\",\"actor\":\"pager\",\"subject\":\"p-$i\",\"decision\":\"deny\",\"rules\":[\"privileged\"]}"
	[ "$STATUS" = 201 ] && PAGER+=("$(jqb .id)")
done
check "57 paging events recorded" test "${#PAGER[@]}" = 57
PAGER_ASC=$(printf '%s\n' "${PAGER[@]}" | paste -sd, -)
PAGER_DESC=$(printf '%s\n' "${PAGER[@]}" | sort -rn | paste -sd, -)

# page QUERY [PARAM [CURSOR]]: from CURSOR (default: the first page), follow
# next (passed as PARAM, default cursor) to the end. Sets PAGES, LAST_PAGE
# (rows on the last page) and COLLECTED.
page() {
	local query=$1 param=${2:-cursor} next=${3:-} all=()
	PAGES=0
	while [ "$PAGES" -lt 200 ]; do
		api GET "/v1/audit?$query${next:+&$param=$next}"
		[ "$STATUS" = 200 ] || { echo "# page $PAGES: status $STATUS"; break; }
		PAGES=$((PAGES + 1))
		LAST_PAGE=$(jqb '.events | length')
		mapfile -t -O "${#all[@]}" all < <(jqb '.events[].id')
		next=$(jqb '.next // empty')
		[ -n "$next" ] || break
	done
	COLLECTED=$(printf '%s\n' "${all[@]}" | paste -sd, -)
}
page "actor=pager&limit=10"
check "desc pages cover every event once, in order" test "$COLLECTED" = "$PAGER_DESC"
check "57 events make 6 pages of 10" test "$PAGES,$LAST_PAGE" = "6,7"
page "actor=pager&limit=10&order=asc"
check "asc pages cover every event once, in order" test "$COLLECTED" = "$PAGER_ASC"
check "asc: 6 pages" test "$PAGES,$LAST_PAGE" = "6,7"

# A desc walk is not disturbed by events appended while it runs.
api GET "/v1/audit?actor=pager&limit=10"
first=$(ids); next=$(jqb .next)
post_event "an event appended mid-walk" '{"action":"runtime.container.start.denied","actor":"pager","subject":"late"}'
LATE=$ID
page "actor=pager&limit=10" cursor "$next"
check "a desc walk skips rows appended after it began" test "$first,$COLLECTED" = "$PAGER_DESC"
api GET "/v1/audit?actor=pager&limit=10&order=asc&cursor=$next"
expect_error "a desc cursor used with order=asc" 400 invalid_parameter

# The whole log, paged with the alias next=, equals the full export.
page "limit=10&order=asc" next
check "paging the whole log (alias next=) equals the NDJSON export" test "$COLLECTED" = "$(all_ids asc)"
page "limit=7"
check "paging the whole log desc by 7 equals the export" test "$COLLECTED" = "$(all_ids desc)"
expect_ids "limit=1000 is accepted" "actor=pager&limit=1000&order=asc" "$PAGER_ASC,$LATE"

# ---------------------------------------------------------------------------
# Formats

api GET "/v1/audit?limit=2"
check "JSON by default" bash -c "grep -qi '^content-type: application/json' '$HEADERS'"
expect_json "JSON: an object with events and next" '(.events | type) + " " + (.next | type)' "array string"
api GET "/v1/audit?format=ndjson&actor=pager"
check "NDJSON content type" bash -c "grep -qi '^content-type: application/x-ndjson' '$HEADERS'"
check "NDJSON without limit exports every matching row, one per line" test "$(wc -l <"$BODY")" = 58
check "every NDJSON line is one JSON object" test "$(jq -c 'select(type == "object") | .id' "$BODY" | wc -l)" = 58
api GET "/v1/audit?format=ndjson&actor=pager&limit=5"
check "NDJSON honours an explicit limit" test "$(wc -l <"$BODY")" = 5
api GET "/v1/audit?format=ndjson" -H 'Accept: text/csv'
check "format= wins over Accept" bash -c "grep -qi '^content-type: application/x-ndjson' '$HEADERS'"
api GET "/v1/audit?limit=1" -H 'Accept: application/x-ndjson'
check "Accept: application/x-ndjson selects NDJSON" bash -c "grep -qi '^content-type: application/x-ndjson' '$HEADERS' && [ \$(wc -l <'$BODY') = 1 ]"
api GET "/v1/audit?limit=1" -H 'Accept: text/csv'
check "Accept: text/csv selects CSV" bash -c "grep -qi '^content-type: text/csv' '$HEADERS' && head -c 3 '$BODY' | grep -q '^id,'"

WEIRD=$'x,y "q"\nz'
post_event "an event whose subject needs CSV quoting" "$(jq -cn --arg s "$WEIRD" '{action:"runtime.exec.denied",actor:"csv",subject:$s,rules:["a","b"]}')"
api GET "/v1/audit?format=csv&actor=csv"
check "CSV header names the columns" test "$(head -n1 "$BODY")" = \
	$'id,time,action,actor,host,component,subject,decision,rules,data,policy_version,prev_hash,hash\r'
check "CSV: a field with comma and quote is quoted, quotes doubled, the newline shown as \\x0a" \
	grep -qF ',"x,y ""q""\x0az",' "$BODY"
check "CSV records end in CRLF" test "$(tail -c 2 "$BODY" | od -An -c | tr -d ' ')" = '\r\n'
check "CSV parses back (RFC 4180) to the stored values, as text" python3 - "$BODY" "$WEIRD" "$ID" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == 2, rows
r = dict(zip(rows[0], rows[1]))
assert r["subject"] == sys.argv[2].replace("\n", "\\x0a"), r
assert r["id"] == sys.argv[3] and r["rules"] == "a;b" and r["data"] == "{}", r
PY

post_event "an event whose subject is a spreadsheet formula" '{"action":"runtime.exec.denied","actor":"formula","subject":"=HYPERLINK(\"http://x\",\"y\")"}'
api GET "/v1/audit?format=csv&actor=formula"
check "CSV: a formula-like field is neutralised with a leading apostrophe" python3 - "$BODY" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
r = dict(zip(rows[0], rows[1]))
assert r["subject"] == "'=HYPERLINK(\"http://x\",\"y\")", r
PY
api GET "/v1/audit?format=ndjson&actor=formula"
expect_json "NDJSON keeps the formula-like value unchanged" .subject '=HYPERLINK("http://x","y")'

# Spreadsheets in European locales split on ';': a trigger after ';', ',' or
# '|' starts a cell there, and so does a full-width one; each gets the
# apostrophe. Controls, C1 and CR are shown as escapes, in no cell raw.
post_event "an event whose subject hides a formula after ';'" \
	'{"action":"runtime.exec.denied","actor":"formula2","subject":"x;=cmd|'"'"' /C calc'"'"'!A0;","data":{"k":"a;=1\u009b"}}'
post_event "an event whose subject starts with a full-width =" \
	'{"action":"runtime.exec.denied","actor":"formula2","subject":"\uff1d1+1,\u001b[2J\r\u009b"}'
api GET "/v1/audit?format=csv&actor=formula2"
check "CSV: no control, C1, CR or LF inside a row" python3 - "$BODY" <<'PY'
import re, sys
rows = open(sys.argv[1], "rb").read().split(b"\r\n")
assert len(rows) == 4 and rows[3] == b"", rows
assert not any(re.search(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]", r) for r in rows), rows
PY
check "CSV: every cell a ';'-splitting spreadsheet would see starts without a formula" \
	python3 - "$BODY" <<'PY'
import csv, sys
text = open(sys.argv[1], newline="", encoding="utf-8").read()
for delim in ",;|":
    for row in csv.reader(text.splitlines(), delimiter=delim):
        for cell in row:
            c = cell.lstrip(" \"")
            assert not c or c[0] not in "=+-@\uff1d\uff0b\uff0d\uff20", (delim, cell)
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
subj = [dict(zip(rows[0], r))["subject"] for r in rows[1:]]
assert subj == ["'\uff1d1+1,\\x1b[2J\\x0d\\u009b", "x;'=cmd|' /C calc'!A0;"], subj
data = dict(zip(rows[0], rows[2]))["data"]
assert data == '{"k":"a;\\u003d1\\u009b"}', data
PY

# ---------------------------------------------------------------------------
# Stats

TOTAL=$(sqlite3 "$DB" 'SELECT count(*) FROM events')
RULE_ROWS=$(sqlite3 "$DB" 'SELECT count(*) FROM event_rules')
sum() { jqb '[.series[].count] | add // 0'; }
api GET "/v1/audit/stats?bucket=day&by=action"
expect_status "stats by day and action" 200
expect_json "stats echo bucket and by" '.bucket + "/" + .by' day/action
check "by action: counts add up to every row" test "$(sum)" = "$TOTAL"
expect_json "day buckets start at midnight" '[.series[].t | test("T00:00:00Z$")] | all' true
api GET "/v1/audit/stats?bucket=minute&by=actor"
check "by actor per minute: counts add up" test "$(sum)" = "$TOTAL"
expect_json "minute buckets" '[.series[].t | test(":[0-9]{2}:00Z$")] | all' true
expect_json "the pager actor counts 58" '[.series[] | select(.key == "pager") | .count] | add' 58
api GET "/v1/audit/stats?bucket=hour&by=rule"
check "by rule per hour: counts add up to every rule of every event" test "$(sum)" = "$RULE_ROWS"
expect_json "hour buckets" '[.series[].t | test(":00:00Z$")] | all' true
api GET "/v1/audit/stats?by=rule&actor=t-alice"
expect_json "stats honour filters (t-alice by rule)" \
	'[.series | group_by(.key)[] | "\(.[0].key)=\(map(.count) | add)"] | join(",")' "cap-add=1,privileged=2"
expect_json "default bucket is hour" .bucket hour
api GET "/v1/audit/stats?by=action&action=runtime.container.*"
expect_json "stats with an action prefix" '[.series[].count] | add' $((5 + 58))

# ---------------------------------------------------------------------------
# Bad parameters: 400 invalid_parameter naming the parameter

bad_param() { # PATH-AND-QUERY PARAM
	api GET "$1"
	expect_error "$1 is refused" 400 invalid_parameter
	expect_json "$1 names $2" '.error.details[0].path' "$2"
}
bad_param "/v1/audit?since=yesterday" since
bad_param "/v1/audit?until=2026-13-01T00:00:00Z" until
bad_param "/v1/audit?limit=5000" limit
bad_param "/v1/audit?limit=0" limit
bad_param "/v1/audit?limit=ten" limit
bad_param "/v1/audit?order=sideways" order
bad_param "/v1/audit?cursor=garbage" cursor
bad_param "/v1/audit?next=garbage" cursor
bad_param "/v1/audit?format=xml" format
bad_param "/v1/audit?policy_version=-1" policy_version
bad_param "/v1/audit?decision=maybe" decision
bad_param "/v1/audit?action=Container" action
bad_param "/v1/audit/stats?bucket=week" bucket
bad_param "/v1/audit/stats?by=colour" by
bad_param "/v1/audit/stats?since=yesterday" since

# ---------------------------------------------------------------------------
# Roles: runtime may report events, not read the log

tcp POST /v1/events -H "Authorization: Bearer $RT" "${JSON[@]}" -d '{"action":"runtime.exec.denied","subject":"from-runtime"}'
expect_status "a runtime token may POST /v1/events" 201
tcp GET /v1/audit -H "Authorization: Bearer $RT"
expect_error "a runtime token may not GET /v1/audit" 403 forbidden
tcp GET /v1/audit/stats -H "Authorization: Bearer $RT"
expect_error "a runtime token may not read stats" 403 forbidden
tcp GET /v1/audit/verify -H "Authorization: Bearer $RT"
expect_error "a runtime token may not verify" 403 forbidden
tcp GET "/v1/audit?subject=from-runtime" -H "Authorization: Bearer $AUD"
expect_status "an auditor token reads the log" 200
expect_json "component is the token's identity" '.events[0].component' token:rt
tcp POST /v1/events "${JSON[@]}" -d '{"action":"runtime.exec.denied"}'
expect_error "no token over TCP" 401 unauthorized

# ---------------------------------------------------------------------------
# Verify, and tampering with the real sqlite3 CLI

api GET /v1/audit/verify
expect_status "verify answers" 200
expect_json "an untouched chain verifies" .ok true
expect_json "verify counts every row" .rows "$(sqlite3 "$DB" 'SELECT count(*) FROM events')"
sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE events SET actor='mallory' WHERE id=$E3"
api GET /v1/audit/verify
expect_json "an edited row is detected" .ok false
expect_json "first_bad_id is the edited row" .first_bad_id "$E3"
expect_json "the reason is a hash mismatch" .reason "hash mismatch"

# A fresh daemon and state: deleted rows, at the end and in the middle.
lockset_stop
rm -rf "$STATE"
lockset_start || exit 1
F=()
for i in 1 2 3 4 5; do post_event "fresh event $i" "{\"action\":\"runtime.exec.denied\",\"subject\":\"f-$i\"}"; F+=("$ID"); done
api GET /v1/audit/verify
expect_json "the fresh chain verifies" '"\(.ok) \(.rows)"' "true $(sqlite3 "$DB" 'SELECT count(*) FROM events')"
sqlite3 -cmd '.timeout 10000' "$DB" "DELETE FROM events WHERE id=${F[4]}"
api GET /v1/audit/verify
expect_json "deleting the newest row is detected" '"\(.ok) \(.first_bad_id) \(.reason)"' "false ${F[4]} missing rows"
sqlite3 -cmd '.timeout 10000' "$DB" "DELETE FROM events WHERE id=${F[2]}"
api GET /v1/audit/verify
expect_json "deleting a middle row is detected" '"\(.ok) \(.first_bad_id) \(.reason)"' "false ${F[2]} missing rows"

finish
