#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as CI runs it: format and function-length checks, then
# a -Werror build and `make check`, then the same under AddressSanitizer +
# UndefinedBehaviorSanitizer, then, when clang is installed, a libFuzzer build
# and a FUZZ_SECONDS (60 s) run of each fuzz target under ASan+UBSan (any
# crash, leak or sanitizer report fails it). Every build is out of tree
# (build/, build-asan/, build-fuzz/). The last line is
# "N passed, N failed, N skipped" over every test of every run.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0

count_suite() { # $1 = build dir
	local log="$1/test-suite.log" p f s
	if [ ! -f "$log" ]; then failed=$((failed + 1)); return; fi
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -n1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -n1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -n1)
	x=$(sed -n 's/^# XPASS: *//p' "$log" | head -n1)
	s=$(sed -n 's/^# SKIP: *//p' "$log" | head -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
	# Say why each skip happened, so a skip is never silent.
	grep -h '^SKIP' "$1"/tests/*/*.log 2>/dev/null | sort -u | sed 's/^/  /'
}

run_build() { # $1 = dir, rest = configure flags
	local dir=$1; shift
	echo "=== build $dir ($*)"
	rm -rf "$dir" && mkdir -p "$dir"
	if ! (cd "$dir" && "$top/configure" "$@" >configure.out 2>&1); then
		tail -n 30 "$dir/configure.out"; failed=$((failed + 1)); return
	fi
	if ! make -C "$dir" -j"$jobs" >"$dir/make.out" 2>&1; then
		tail -n 40 "$dir/make.out"; failed=$((failed + 1)); return
	fi
	make -C "$dir" -j"$jobs" check >"$dir/check.out" 2>&1
	grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$dir/check.out"
	for t in $(grep -lE '^:test-result: (FAIL|ERROR)' "$dir"/tests/*/*.trs 2>/dev/null); do
		echo "--- ${t%.trs}.log"; tail -n 60 "${t%.trs}.log"
	done
	count_suite "$dir"
}

# The fuzz smoke run: build-fuzz with clang, then make fuzz (two targets at a
# time); each target is one PASS or FAIL line.
fuzz_smoke() {
	local dir=build-fuzz
	if ! command -v clang >/dev/null 2>&1; then
		echo "SKIP: fuzz smoke run (clang is not installed)"; skipped=$((skipped + 1)); return
	fi
	echo "=== build $dir (CC=clang --enable-werror --enable-fuzzing)"
	rm -rf "$dir" && mkdir -p "$dir"
	if ! (cd "$dir" && "$top/configure" CC=clang --enable-werror --enable-fuzzing \
		>configure.out 2>&1); then
		tail -n 30 "$dir/configure.out"; failed=$((failed + 1)); return
	fi
	if ! make -C "$dir" -j"$jobs" >"$dir/make.out" 2>&1; then
		tail -n 40 "$dir/make.out"; failed=$((failed + 1)); return
	fi
	make -s -C "$dir" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" FUZZ_PARALLEL=2 >"$dir/fuzz.out" 2>&1
	head -n 200 "$dir/fuzz.out"
	passed=$((passed + $(grep -c '^PASS: fuzz-' "$dir/fuzz.out")))
	failed=$((failed + $(grep -c '^FAIL: fuzz-' "$dir/fuzz.out")))
	grep -qE '^(PASS|FAIL): fuzz-' "$dir/fuzz.out" || { tail -n 20 "$dir/fuzz.out"; failed=$((failed + 1)); }
}

./autogen.sh >/dev/null 2>&1 || { echo "autogen.sh failed"; echo "0 passed, 1 failed"; exit 1; }

echo "=== format check"
if find daemon tests/unit tests/tools tests/fuzz tests/bench -name '*.[ch]' -print0 |
	xargs -0 clang-format --dry-run --Werror; then
	echo "PASS: format-check"; passed=$((passed + 1))
else
	echo "FAIL: format-check"; failed=$((failed + 1))
fi

echo "=== function length (at most 80 lines)"
if tests/tools/funclen.sh $(find daemon tests -name '*.c' ! -name embedded_data.c ! -path '*/node_modules/*' | sort); then
	echo "PASS: function-length"; passed=$((passed + 1))
else
	echo "FAIL: function-length"; failed=$((failed + 1))
fi

run_build build --enable-werror --enable-debug-triggers
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_build build-asan --enable-werror --enable-sanitizers
fuzz_smoke

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
