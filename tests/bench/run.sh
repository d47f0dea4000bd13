#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make bench: every benchmark in turn. Benchmarks print figures next to their
# reference and the ratio; they never fail the build on a number.
cd "$(dirname "$0")"
for b in bench-*.sh; do
	echo "=== $b"
	bash "$b"
	echo
done
