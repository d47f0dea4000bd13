#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make bench: every benchmark in turn, with the machine's load before and
# after each (the figures of a shared machine mean little without it).
# Benchmarks print figures next to their reference and the ratio; they never
# fail the build on a number.
cd "$(dirname "$0")"
SRC=$(cd ../.. && pwd)
: "${LOCKSET_BUILDDIR:=$SRC}"
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }
echo "=== decision_cpu"
load before
"$LOCKSET_BUILDDIR/tests/bench/decision_cpu" "$SRC"
load after
echo
for b in bench-*.sh; do
	echo "=== $b"
	load before
	bash "$b"
	load after
	echo
done
