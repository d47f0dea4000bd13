#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# GET /metrics passes "promtool check metrics" (Debian's prometheus package)
# and carries the latency histograms: requests by route, decisions, and the
# audit writer's commits, with its queue depth. Counts follow the traffic
# this test makes, so a histogram that stops being fed fails here.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need promtool
lockset_start || exit 1

JSON=(-H 'Content-Type: application/json')
for _ in 1 2 3; do api GET /v1/settings; done
api POST /v1/decisions "${JSON[@]}" -d '{"method":"POST","uri":"/v1.41/containers/create","body":{"Image":"alpine"}}'
expect_json "an allowed create" .allow true
api POST /v1/decisions "${JSON[@]}" -d '{"method":"POST","uri":"/v1.41/containers/create","body":{"Image":"alpine","HostConfig":{"Privileged":true}}}'
expect_json "a denied create" .allow false
api POST /v1/events "${JSON[@]}" -d '{"action":"runtime.metrics.test","subject":"x"}'
expect_status "an event" 201
api GET /v1/no-such-thing
expect_status "an unmatched path" 404

api GET /metrics
expect_status "GET /metrics" 200
cp "$BODY" "$T/metrics"
if promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1; then
	ok "promtool check metrics passes"
else
	not_ok "promtool check metrics: $(head -c 600 "$T/promtool.out")"
fi
check "promtool has nothing to say" test ! -s "$T/promtool.out"

# value NAME{LABELS}: the sample's value.
value() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"; }
check "GET /v1/settings: 3 requests in its histogram" \
	test "$(value 'lockset_http_request_duration_seconds_count{method="GET",route="/v1/settings"}')" = 3
check "its +Inf bucket equals its count" \
	test "$(value 'lockset_http_request_duration_seconds_bucket{method="GET",route="/v1/settings",le="+Inf"}')" = 3
check "POST /v1/decisions: 2 requests" \
	test "$(value 'lockset_http_request_duration_seconds_count{method="POST",route="/v1/decisions"}')" = 2
check "the unmatched path is counted" \
	test "$(value 'lockset_http_request_duration_seconds_count{method="",route="unmatched"}')" = 1
check "buckets are cumulative" awk '
	/^lockset_http_request_duration_seconds_bucket\{method="GET",route="\/v1\/settings"/ {
		if ($2 < last) bad = 1; last = $2 }
	END { exit bad }' "$T/metrics"
check "decisions: 2 in the decision latency histogram" \
	test "$(value lockset_decision_duration_seconds_count)" = 2
check "the decision latency sum is positive" \
	awk '$1 == "lockset_decision_duration_seconds_sum" { exit !($2 > 0) }' "$T/metrics"
check "the audit queue is empty at rest" test "$(value lockset_audit_queue_depth)" = 0
commits=$(value lockset_audit_commit_duration_seconds_count)
check "audit commits are timed (start-up, the deny, the event: $commits)" test "${commits:-0}" -ge 3
check "and counted the same" test "$(value lockset_audit_commits_total)" = "$commits"
check "audit events are counted" test "$(value lockset_audit_events_total)" -ge 3

# The check can fail: a counter without its _total suffix.
sed 's/lockset_audit_events_total/lockset_audit_events/' "$T/metrics" >"$T/broken"
if promtool check metrics <"$T/broken" >/dev/null 2>&1; then
	not_ok "promtool rejects a broken exposition"
else
	ok "promtool rejects a broken exposition"
fi
finish
