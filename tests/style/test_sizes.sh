#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# No daemon source file over 600 lines (STYLE.md: a file is 100-600 lines):
# fails listing every .c file under daemon/ that is longer, with its length.
set -u
src=${LOCKSET_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 99
max=600

# Files allowed over the limit: none. Split a file rather than add it here.
declare -A exempt=(
)

fail=0
n=0
while IFS= read -r f; do
	# daemon/embed writes this one from the embedded files (an in-tree build).
	[ "$f" = daemon/embedded_data.c ] && continue
	n=$((n + 1))
	lines=$(wc -l <"$f")
	if [ -n "${exempt[$f]+set}" ]; then
		[ "$lines" -le "$max" ] &&
			echo "# $f is $lines lines now: drop it from the exceptions in $0"
		continue
	fi
	if [ "$lines" -gt "$max" ]; then
		echo "not ok: $f is $lines lines (max $max)"
		fail=1
	fi
done < <(find daemon -name '*.c' -type f | LC_ALL=C sort)

if [ "$n" = 0 ]; then
	echo "not ok: no .c files found under $src/daemon"
	exit 1
fi
[ "$fail" = 0 ] && echo "ok: $n daemon .c files, none over $max lines but the exceptions"
exit "$fail"
