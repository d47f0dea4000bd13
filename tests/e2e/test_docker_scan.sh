#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end with the real Docker Engine: containers made before the policy
# (or in audit mode) keep what they were made with, and dockerd restarts one
# with a restart policy where no plugin sees it. lockset judges the engine's
# containers as their starts after every engine check and names those the
# policy would refuse: /v1/health's checks.containers (status degraded while
# the policy enforces), engine.policyContainers and policyContainerList (with
# the rules a start breaks, the same a start is refused by), and /metrics.
# The scan follows policy changes; in audit mode the containers are named
# without degrading lockset. The console's overview shows them as a table, in
# real headless Chromium (tests/ui/scan.test.mjs; that part alone is skipped,
# saying why, where Chromium or node is not installed).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/e2e/lib.sh"
. "$LOCKSET_SRCDIR/tests/ui/lib.sh"

SHARE="$T/share"
mkdir -p "$SHARE"
policy() { # MODE DENIED-FLAGS (a JSON list)
	jq -n --arg share "$SHARE" --arg mode "$1" --argjson denied "$2" '{
	configurationFileVersion: 2,
	filesharingAllowedDirectories: [{path: $share, sharedByDefault: true}],
	containerPolicy: {locked: true, mode: $mode, deniedFlags: $denied}}' >"$T/policy.json"
	put_policy "$T/policy.json"
}
running() { [ "$(dk inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
listed() { # NAME: the rules policyContainerList gives NAME, comma-separated
	jqb --arg n "$1" '.engine.policyContainerList[] | select(.name == $n) | .rules | join(",")'
}

policy enforce '["--privileged", "--cap-add=SYS_ADMIN"]'

# --- before the plugin: three containers the policy refuses, one it allows
dockerd_start noplugin
e2e_busybox_image lockset-bb
dk create --pull=never --network none --name oldpriv --privileged lockset-bb true >/dev/null
dk run -d --pull=never --network none --name oldcap --cap-add SYS_ADMIN --restart always \
	lockset-bb sleep 600 >/dev/null
dk create --pull=never --network none --name oldbind -v /etc:/hostetc lockset-bb true >/dev/null
dk create --pull=never --network none --name benign -v "$SHARE:/s" lockset-bb true >/dev/null
dockerd_stop

TOKEN=$("$LOCKSETD" --state-dir "$STATE" --create-token ui --role admin 2>"$T/create-token.log" | tail -n1)
[ -n "$TOKEN" ] || { cat "$T/create-token.log"; not_ok "--create-token"; }
lockset_start --authz-socket "$PLUGIN_SOCK" --engine-socket "$DOCKER_SOCK" || exit 1
api GET /v1/health
check "before the engine answers, the containers are not checked, and say why" \
	jq_holds '.checks.containers | startswith("not checked: ")' "$BODY"
expect_json "... nor counted" .engine.policyContainers -1
dockerd_start
check "dockerd restarted the container with a restart policy by itself" \
	wait_until 30 running oldcap

wait_health "the three containers the policy refuses are counted" .engine.policyContainers 3
expect_json "... of the four containers judged" .engine.policyContainersJudged 4
expect_json "... and lockset is degraded" .status degraded
check "checks.containers names them with their rules and says what to do" \
	jq_holds '.checks.containers | test("^3 containers of the engine at .* would be refused a start by policy v1 .*oldpriv \\[privileged\\].*remove or recreate them")' "$BODY"
check "... the running one with a restart policy too" \
	jq_holds '.checks.containers | test("oldcap \\[cap-add\\]")' "$BODY"
check "the list gives the privileged one's rule" test "$(listed oldpriv)" = privileged
check "... the capability's" test "$(listed oldcap)" = cap-add
check "... the bind outside the shares'" test "$(listed oldbind)" = bind-outside-shares
check "... not the container the policy allows" test -z "$(listed benign)"
check "... with each one's state and short id" jq_holds --arg id \
	"$(dk inspect -f '{{.Id}}' oldcap | cut -c1-12)" \
	'.engine.policyContainerList[] | select(.name == "oldcap") | .state == "running" and .id == $id' \
	"$BODY"
LISTED=$(jq -c .engine.policyContainerList "$BODY")
api GET /metrics
check "the metric counts them" grep -q '^lockset_engine_policy_containers 3$' "$BODY"
why=$(ui_missing)
if [ -n "$why" ]; then
	echo "# the console's table is not checked here: $why"
elif ! ui_prepare; then
	not_ok "npm ci for the browser check failed"
else
	check "the console's overview shows them as a table, row for row, in Chromium" \
		ui_passes scan.test.mjs LOCKSET_UI_TOKEN="$TOKEN" LOCKSET_UI_CONTAINERS="$LISTED"
	# Kept for a human to look at.
	rm -rf "$LOCKSET_BUILDDIR/tests/ui/screenshots-scan"
	mkdir -p "$LOCKSET_BUILDDIR/tests/ui"
	cp -r "$T/shots" "$LOCKSET_BUILDDIR/tests/ui/screenshots-scan" &&
		echo "# screenshots in $LOCKSET_BUILDDIR/tests/ui/screenshots-scan"
fi
# rows ACTION [SUBJECT]: audit rows of the action (about the subject), once
# the rows the scan queued are written: a synchronous append (POST
# /v1/events) commits after every row queued before it.
rows() {
	api POST /v1/events -H 'Content-Type: application/json' -d '{"action":"runtime.e2e.barrier"}'
	[ "$STATUS" = 201 ] || echo "the barrier event was refused: $STATUS" >&2
	sqlite3 -cmd '.timeout 10000' "$STATE/lockset.db" "SELECT count(*) FROM events
		WHERE action = '$1' AND ('${2:-}' = '' OR subject = '${2:-}')"
}
PRIV_ID=$(dk inspect -f '{{.Id}}' oldpriv)
check "each is in the audit log once, as refused" test "$(rows container.existing.refused)" = 3
check "... the privileged one by its full id, with its rule, name and the policy version" \
	test "$(sqlite3 "$STATE/lockset.db" "SELECT e.actor || ' ' || e.component || ' ' ||
		e.decision || ' ' || r.rule || ' ' || json_extract(e.data, '\$.name') || ' ' ||
		e.policy_version FROM events e JOIN event_rules r ON r.event_id = e.id
		WHERE e.action = 'container.existing.refused' AND e.subject = '$PRIV_ID'")" = \
	"lockset scan deny privileged oldpriv 1"
denied "a start of one is refused by the rule health named" privileged start oldpriv
denied "... as is a restart of the running one" cap-add restart oldcap

# --- audit mode: named, as what enforcing would refuse, lockset not degraded
policy audit '["--privileged", "--cap-add=SYS_ADMIN"]'
reload_to 2 || not_ok "the audit policy was not served"
wait_health "audit mode: judged by the new policy" \
	'.checks.containers | test("policy v2")' true
expect_json "... the same three are named" .engine.policyContainers 3
expect_json "... and lockset is not degraded for them" .status ok
check "... named already, they are not written to the audit log again" \
	test "$(rows container.existing.refused)/$(rows container.existing.audited)" = 3/0

# --- the policy no longer denies the flags: only the bind is left
policy enforce '[]'
reload_to 3 || not_ok "the third policy was not served"
wait_health "flags allowed again: only the bind outside the shares is counted" \
	.engine.policyContainers 1
check "... by name" test "$(listed oldbind)" = bind-outside-shares
expect_json "... and lockset is degraded for it" .status degraded

# --- once it is removed (and the engine asked again), all is well
dk rm oldbind >/dev/null
policy enforce '["--privileged"]'
reload_to 4 || not_ok "the fourth policy was not served"
wait_health "removed, with --privileged denied again: the privileged one alone" \
	.engine.policyContainers 1
check "... named anew, it is written again" test "$(rows container.existing.refused "$PRIV_ID")" = 2
dk rm -f oldpriv oldcap >/dev/null
policy enforce '["--privileged", "--cap-add=SYS_ADMIN"]'
reload_to 5 || not_ok "the fifth policy was not served"
wait_health "with every such container removed, none is counted" .engine.policyContainers 0
expect_json "... checks.containers is ok" .checks.containers ok
expect_json "... and so is lockset" .status ok
api GET /metrics
check "... as the metric says" grep -q '^lockset_engine_policy_containers 0$' "$BODY"
check "... and the scan's time" grep -Eq '^lockset_engine_policy_scan_seconds [0-9]+\.[0-9]{3}$' "$BODY"

# --- more containers than a scan judges: health does not claim they are fine
seq 500 | xargs -P 4 -I{} curl -sf --unix-socket "$DOCKER_SOCK" -o /dev/null \
	-H 'Content-Type: application/json' \
	-d '{"Image":"lockset-bb","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}' \
	"http://d/v1.41/containers/create?name=many{}"
check "500 more containers are made (501 with the benign one)" test "$(dk ps -aq | wc -l)" = 501
policy enforce '["--privileged"]'
reload_to 6 || not_ok "the sixth policy was not served"
wait_health "past 500 containers the others are said not to be judged" \
	'.checks.containers | test("^not checked: the engine at .* holds 501 containers, of which the first 500 .* the others are not judged")' \
	true
expect_json "... 500 of them were judged" .engine.policyContainersJudged 500
expect_json "... and lockset is not degraded for it" .status ok
finish
