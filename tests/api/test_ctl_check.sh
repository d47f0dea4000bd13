#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# locksetctl check against the decision corpus recorded from the real docker
# CLI (tests/cases/decisions/rec-*.case). For every case, the docker command
# line of its source: line goes through "locksetctl check", and the request
# locksetctl builds must reach the same decision (allow and rule set) from
# the real daemon as the recorded request posted to POST /v1/decisions, under
# the case's settings (installed as the org policy with locksetctl policy set,
# HOME=/home/alice as the settings files were expanded for). The URI must be
# the recorded one, and the body the same JSON value, except where the CLI
# sends what only a registry knows (plugin privileges).
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need xargs
CTL=${LOCKSETCTL:-$LOCKSET_BUILDDIR/daemon/ctl/locksetctl}
[ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }
CASES="$LOCKSET_SRCDIR/tests/cases/decisions"

# The settings files are effective settings; a policy drops what the daemon derives.
mkdir -p "$T/policies"
for f in "$CASES"/settings/*.json; do
	jq 'walk(if type == "object" then del(.source, .expandedPath, .expandedProtectedHostPaths)
	         | with_entries(select(.value != null)) else . end)
	    | if .filesharingAllowedDirectories then
	        .filesharingAllowedDirectories |= map(del(.locked)) else . end
	    | .containerPolicy.deniedFlags |= map(if startswith("--cap-add=")
	        then "--cap-add=" + (.[10:] | ascii_upcase) else . end)' \
		"$f" >"$T/policies/$(basename "$f")"
done

export HOME=/home/alice
lockset_start || exit 1
ctl() { "$CTL" --socket "$SOCK" "$@"; }

# The rule set of a decision, sorted, space-separated.
rules_of() { jq -r '[.violations[].rule] | unique | join(" ")' "$1"; }

current=
same=0 total=0 uri_same=0 body_same=0
for case in "$CASES"/rec-*.case; do
	name=$(basename "$case" .case)
	src=$(sed -n 's/^source: //p' "$case")
	settings=$(sed -n 's/^settings: //p' "$case")
	method=$(sed -n 's/^method: //p' "$case")
	uri=$(sed -n 's/^uri: //p' "$case")
	user=$(sed -n 's/^user: //p' "$case")
	[ -n "$src" ] || { not_ok "$name: no source line"; continue; }
	if [ "$settings" != "$current" ]; then
		ctl policy set "$T/policies/$settings" --comment "corpus $settings" >"$T/set.out" 2>&1 \
			|| { cat "$T/set.out"; not_ok "policy $settings installed"; continue; }
		current=$settings
	fi
	total=$((total + 1))

	# The recorded request, as dockerd forwarded it.
	if grep -q '^body:$' "$case"; then
		sed '1,/^body:$/d' "$case" | jq -Rs --arg m "$method" --arg u "$uri" --arg us "$user" \
			'{method: $m, uri: $u, user: $us, body: .}' >"$T/recorded.json"
		sed '1,/^body:$/d' "$case" >"$T/recorded.body"
	else
		jq -n --arg m "$method" --arg u "$uri" --arg us "$user" \
			'{method: $m, uri: $u, user: $us}' >"$T/recorded.json"
		echo null >"$T/recorded.body"
	fi
	api POST /v1/decisions -H 'Content-Type: application/json' --data-binary "@$T/recorded.json"
	cp "$BODY" "$T/want.json"

	# The same docker command line through locksetctl.
	mapfile -t argv < <(printf '%s' "$src" | xargs printf '%s\n')
	ctl --json check --user "$user" -- "${argv[@]}" >"$T/check.json" 2>"$T/check.err"
	rc=$?
	path=${uri%%\?*}
	jq --arg p "${path#/v1.41}" 'first(.requests[] | select((.uri | split("?")[0]) == "/v1.41" + $p))' \
		"$T/check.json" >"$T/got.req" 2>/dev/null
	if [ ! -s "$T/got.req" ] || [ "$(cat "$T/got.req")" = null ]; then
		not_ok "$name: locksetctl check built no $method $path for: $src ($(cat "$T/check.err"))"
		continue
	fi
	jq '.decision' "$T/got.req" >"$T/got.json"
	want="$(jq -r .allow "$T/want.json") [$(rules_of "$T/want.json")]"
	got="$(jq -r .allow "$T/got.json") [$(rules_of "$T/got.json")]"
	if [ "$want" = "$got" ]; then
		same=$((same + 1))
		ok "$name: $got, as recorded"
	else
		not_ok "$name: recorded request gets $want, locksetctl's gets $got: $src"
	fi
	want_rc=0
	[ "$(jq -r .allow "$T/check.json")" = true ] || want_rc=1
	[ "$rc" = "$want_rc" ] || not_ok "$name: exit code $rc, expected $want_rc"
	if [ "$(jq -r .uri "$T/got.req")" = "$uri" ]; then uri_same=$((uri_same + 1)); else
		not_ok "$name: URI $(jq -r .uri "$T/got.req"), recorded $uri"; fi
	case $name in rec-deny-plugin-install) continue ;; esac # privileges come from a registry
	if jq_holds --slurpfile w "$T/recorded.body" '.body == $w[0]' "$T/got.req" >/dev/null 2>&1; then
		body_same=$((body_same + 1))
	else
		not_ok "$name: body differs from the recorded one: $(jq -cS .body "$T/got.req" | head -c 300)"
	fi
done
check "at least 70 recorded cases with a source line" test "$total" -ge 70
echo "# $same of $total recorded command lines reach the recorded decision; $uri_same URIs and $body_same bodies identical"

# test_check_usage_errors_exit_2
ctl check -- docker run >/dev/null 2>"$T/err"
check "docker run without an image is a usage error (2)" test $? = 2
ctl check -- docker run --no-such-flag alpine >/dev/null 2>"$T/err"
check "an unknown docker flag is a usage error (2)" test $? = 2
check "and says which" grep -q 'unknown flag: --no-such-flag' "$T/err"
ctl check -- docker swarm join x >/dev/null 2>"$T/err"
check "an uncovered docker command is a usage error (2)" test $? = 2

# How the engine runs a container: each flag reaches the field the engine
# judges (strict.json denies all five).
ctl policy set "$T/policies/strict.json" --comment "engine choices" >/dev/null 2>&1
# rules_for PATH-SUFFIX docker-args...: the rules of the request to PATH-SUFFIX.
rules_for() {
	local suffix=$1; shift
	ctl --json check --user alice -- "$@" >"$T/check.json" 2>"$T/check.err"
	jq -r --arg s "$suffix" '[.requests[] | select((.uri | split("?")[0]) | endswith($s))
		| .decision.violations[].rule] | unique | join(" ")' "$T/check.json"
}
check "docker run --runtime is judged as runtime" \
	test "$(rules_for /containers/create docker run --runtime=other alpine)" = runtime
check "docker run --cgroup-parent is judged as cgroup-parent" \
	test "$(rules_for /containers/create docker run --cgroup-parent /x alpine)" = cgroup-parent
check "docker run --log-driver --log-opt are judged" \
	test "$(rules_for /containers/create docker run --log-driver syslog \
		--log-opt syslog-address=unix:///run/x.sock alpine)" = "log-driver log-opt"
check "docker run --annotation is judged as annotation" \
	test "$(rules_for /containers/create docker run --annotation org.systemd.property.X=y alpine)" \
	= annotation
check "docker service create --log-driver --log-opt are judged" \
	test "$(rules_for /services/create docker service create --log-driver gelf \
		--log-opt gelf-address=udp://10.0.0.1:12201 alpine)" = "log-driver log-opt"
finish
