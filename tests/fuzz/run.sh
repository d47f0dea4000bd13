#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `make fuzz`: run each libFuzzer target named on the command line for
# FUZZ_SECONDS (default 60) under ASan+UBSan, FUZZ_PARALLEL (default 1) at a
# time. Corpora live in the build directory (tests/fuzz/corpus/TARGET), seeded
# from tests/cases/ (seeds.py), the committed seeds and the regression inputs;
# crashes go to tests/fuzz/artifacts/. Prints "PASS: fuzz-TARGET" or
# "FAIL: fuzz-TARGET" per target with libFuzzer's final figures; exits 1 when
# any target crashed, leaked, hit a sanitizer report or timed out.
set -u
: "${LOCKSET_SRCDIR:?}" "${LOCKSET_BUILDDIR:?}"
seconds=${FUZZ_SECONDS:-60}
parallel=${FUZZ_PARALLEL:-1}
work="$LOCKSET_BUILDDIR/tests/fuzz"
export LOCKSET_SRCDIR
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() { # $1 = target
	local t=$1 bin="$work/fuzz_$1" corpus="$work/corpus/$1" gen="$work/gen/$1"
	local log="$work/fuzz-$1.log" dirs=()
	mkdir -p "$corpus" "$gen" "$work/artifacts"
	python3 "$LOCKSET_SRCDIR/tests/fuzz/seeds.py" "$LOCKSET_SRCDIR" "$t" "$gen" || return 1
	dirs=("$corpus" "$gen")
	for d in seeds regressions; do
		[ -d "$LOCKSET_SRCDIR/tests/fuzz/$d/$t" ] && dirs+=("$LOCKSET_SRCDIR/tests/fuzz/$d/$t")
	done
	"$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" \
		${FUZZ_EXTRA_ARGS:-} "${dirs[@]}" >"$log" 2>&1
}

report() { # $1 = target, $2 = exit status
	local log="$work/fuzz-$1.log" runs rss cov stats
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
	stats="${runs:-?} runs, ${cov:-cov: ?}, peak RSS ${rss:-?} MB"
	if [ "$2" -eq 0 ]; then
		echo "PASS: fuzz-$1 ($stats)"
	else
		echo "FAIL: fuzz-$1 (exit $2; $stats)"
		grep -E 'ERROR: |SUMMARY: |runtime error|Test unit written|fuzz_[a-z_]+: ' "$log" |
			head -n 20
	fi
}

failed=0
targets=("$@")
i=0
while [ $i -lt ${#targets[@]} ]; do
	pids=() names=()
	for ((j = 0; j < parallel && i < ${#targets[@]}; j++, i++)); do
		t=${targets[$i]}
		if [ ! -x "$work/fuzz_$t" ]; then
			echo "FAIL: fuzz-$t (not built)"; failed=1; continue
		fi
		run_one "$t" & pids+=($!) names+=("$t")
	done
	for k in "${!pids[@]}"; do
		wait "${pids[$k]}"; rc=$?
		report "${names[$k]}" $rc
		[ $rc -eq 0 ] || failed=1
	done
done
exit $failed
