#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make bench: every benchmark in turn, with the machine's load before and
# after each (the figures of a shared machine mean little without it), then
# every target's line again, met or MISSED, in one list at the end.
# Benchmarks print figures next to their reference and the ratio; they never
# fail the build on a number.
cd "$(dirname "$0")"
SRC=$(cd ../.. && pwd)
: "${LOCKSET_BUILDDIR:=$SRC}"
OUT=$(mktemp)
trap 'rm -f "$OUT" "$OUT.one"' EXIT
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }
# Run one benchmark, its output shown and kept, each line after its name.
run() { # name, command...
	local name=$1; shift
	echo "=== $name"
	load before
	"$@" 2>&1 | tee "$OUT.one"
	sed "s|^|$name: |" "$OUT.one" >>"$OUT"
	load after
	echo
}
run decision_cpu "$LOCKSET_BUILDDIR/tests/bench/decision_cpu" "$SRC"
for b in bench-*.sh; do
	run "$b" bash "$b"
done
echo "=== targets"
grep -E '[^a-z](met|MISSED)([^a-z]|$)' "$OUT"
