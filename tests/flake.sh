#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The suite under load, run after run: builds once (out of tree, build-flake/),
# then runs `make -j4 check` 5 times in a row while two busy loops keep the CPUs
# busy. Prints each run's result and the tests that failed in it (their logs are
# kept in build-flake/flake-logs/run-N/); exits 1 if any run failed.
# Usage: tests/flake.sh [RUNS]   (environment: FLAKE_JOBS, default 4)
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
runs=${1:-5}
jobs=${FLAKE_JOBS:-4}
dir="$top/build-flake"
busy=()

stop_busy() {
	local pid
	for pid in "${busy[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	busy=()
}
trap stop_busy EXIT
trap 'exit 130' INT TERM

echo "=== build $dir"
./autogen.sh >/dev/null 2>&1 || { echo "autogen.sh failed"; exit 1; }
mkdir -p "$dir"
(cd "$dir" && "$top/configure" --enable-werror --enable-debug-triggers >configure.out 2>&1) ||
	{ tail -n 30 "$dir/configure.out"; exit 1; }
# Everything make check needs, built before the load starts: no run rebuilds.
make -C "$dir" -j2 all >"$dir/make.out" 2>&1 && make -C "$dir" -j2 check TESTS= >>"$dir/make.out" 2>&1 ||
	{ tail -n 40 "$dir/make.out"; exit 1; }

for _ in 1 2; do
	sh -c 'while :; do :; done' &
	busy+=($!)
done
echo "=== $runs runs of make -j$jobs check beside two busy loops (pids ${busy[*]})"

bad=0
for run in $(seq "$runs"); do
	start=$(date +%s)
	make -C "$dir" -j"$jobs" check >"$dir/check-$run.out" 2>&1
	rc=$?
	failed=$(grep -lE '^:test-result: (FAIL|ERROR|XPASS)' "$dir"/tests/*/*.trs 2>/dev/null)
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ] && [ -z "$failed" ]; then
		echo "run $run: pass (${secs}s, $(grep -c '^PASS:' "$dir/check-$run.out") passed," \
			"$(grep -c '^SKIP:' "$dir/check-$run.out") skipped)"
		continue
	fi
	bad=$((bad + 1))
	echo "run $run: FAIL (${secs}s, make exit $rc)"
	mkdir -p "$dir/flake-logs/run-$run"
	for t in $failed; do
		echo "  failed: ${t#"$dir"/}" | sed 's/\.trs$//'
		cp "${t%.trs}.log" "$dir/flake-logs/run-$run/"
	done
	[ -n "$failed" ] || tail -n 20 "$dir/check-$run.out" | sed 's/^/  /'
done
stop_busy

echo "$((runs - bad)) of $runs runs passed"
[ "$bad" -eq 0 ]
