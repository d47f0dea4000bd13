#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): the scan of the engine's containers against the
# policy (README, "Containers the policy would refuse now"). A real stock
# dockerd (vfs, no bridge, its own roots) with lockset as its authorization
# plugin holds N containers (BENCH_SCAN_CONTAINERS, 200 by default), every
# other one --privileged, made while the policy allows it; then the policy
# denies --privileged and is reloaded R times (BENCH_SCAN_RUNS, 5), each
# reload a new version, each followed by a scan that must name N/2 of them.
# Prints the scan's time (lockset_engine_policy_scan_seconds) per container
# next to the reference: `docker inspect` of every container by the real
# CLI, which fetches what the scan's inspections fetch (both pass through
# the plugin), and the ratio. Never fails on a number. Needs root.
set -u
: "${LOCKSETD:=$(cd "$(dirname "$0")/../.." && pwd)/daemon/locksetd}"
N=${BENCH_SCAN_CONTAINERS:-200}
RUNS=${BENCH_SCAN_RUNS:-5}

. "$(dirname "$0")/lib-dockerd.sh"
bench_setup bench-scan awk jq tar
API=$D/api.sock
dk() { "$DOCKER" -H "unix://$DS" "$@"; }

policy() { # DENIED-FLAGS (a JSON list)
	jq -n --argjson denied "$1" '{configurationFileVersion: 2,
		containerPolicy: {locked: true, mode: "enforce", deniedFlags: $denied}}' \
		>"$D/etc/admin-settings.json.tmp"
	chmod 644 "$D/etc/admin-settings.json.tmp"
	mv "$D/etc/admin-settings.json.tmp" "$D/etc/admin-settings.json"
}
metric() { curl -s --unix-socket "$API" http://l/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
mkdir -p "$D/etc"
chmod 755 "$D/etc"
policy '[]'
"$LOCKSETD" --settings "$D/etc/admin-settings.json" --state-dir "$D/state" \
	--listen "unix:$API" --authz-socket "$LSOCK" --engine-socket "$DS" \
	--role-map "uid:0=admin" --foreground --log-level warn 2>"$D/locksetd.log" &
LPID=$!
bench_dockerd "$D" "$DS" "$LNAME"
bench_dockerd_ready "$DS" ||
	{ echo "bench-scan: skipped: dockerd did not start"; tail -n 5 "$D"/*.log; exit 0; }

mkdir -p "$D/rootfs"
echo "lockset bench" >"$D/rootfs/README"
tar -C "$D/rootfs" -cf "$D/rootfs.tar" .
dk import "$D/rootfs.tar" lockset-bench-scan:latest >/dev/null
for i in $(seq "$N"); do
	priv=false
	[ $((i % 2)) = 0 ] && priv=true
	curl -sf --unix-socket "$DS" -H 'Content-Type: application/json' -o /dev/null \
		-d "{\"Image\":\"lockset-bench-scan:latest\",\"Cmd\":[\"/README\"],
		     \"HostConfig\":{\"Privileged\":$priv,\"NetworkMode\":\"none\"}}" \
		"http://d/v1.41/containers/create?name=c$i" ||
		{ echo "bench-scan: the create of c$i failed"; exit 1; }
done

echo "The scan of $N containers ($((N / 2)) --privileged) against a policy denying"
echo "  --privileged, after each of $RUNS reloads; $(nproc) cores"
WANT=$((N / 2))
sum=0 done=0
for r in $(seq "$RUNS"); do
	# Versions 2, 3, ...: the same rule, listed with a different second one.
	if [ $((r % 2)) = 1 ]; then policy '["--privileged"]'; else
		policy '["--privileged", "--pid=host"]'; fi
	kill -HUP "$LPID"
	v=$((r + 1)) ok=
	for _ in $(seq 600); do
		if curl -s --unix-socket "$API" http://l/v1/health |
			jq -e --arg v "policy v$v " --argjson n "$WANT" \
				'.engine.policyContainers == $n and (.checks.containers | contains($v))' \
				>/dev/null; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[ -n "$ok" ] || { echo "bench-scan: the scan after reload $r never named $WANT"; exit 0; }
	s=$(metric lockset_engine_policy_scan_seconds)
	printf '  run %d: %.3f s\n' "$r" "$s"
	sum=$(awk -v a="$sum" -v b="$s" 'BEGIN { print a + b }')
	done=$((done + 1))
done
ids=$(dk ps -aq)
t0=$(date +%s.%N)
dk inspect $ids >/dev/null
t1=$(date +%s.%N)
awk -v s="$sum" -v k="$done" -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN {
	scan = s / k; ref = b - a
	printf "  scan, mean of %d        %8.3f s  %6.2f ms a container\n", k, scan, scan * 1000 / n
	printf "  docker inspect of all  %8.3f s  %6.2f ms a container  (the reference)\n", ref, ref * 1000 / n
	printf "  scan / docker inspect  %8.2f x\n", scan / ref }'
