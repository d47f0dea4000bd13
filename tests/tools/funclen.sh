#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Lists every C function whose body is longer than MAX lines (default 80) and
# exits 1 if there is one. It reads clang-format's layout (.clang-format): a
# definition's name starts a line, its braces stand alone at column 0.
# Usage: tests/tools/funclen.sh [-m MAX] FILE.c...
max=80
if [ "${1:-}" = -m ]; then
	max=$2
	shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [-m MAX] FILE.c..." >&2; exit 2; }
awk -v max="$max" '
FNR == 1 { name = ""; open = 0 }
!open && /^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); at = FNR; next }
!open && /^\{/ && name != "" { open = 1; start = FNR; next }
open && /^\}/ {
	if (FNR - start - 1 > max) {
		printf "%s:%d: %s() is %d lines long (at most %d)\n", FILENAME, at, name, FNR - start - 1, max
		long++
	}
	open = 0; name = ""
}
END { exit long > 0 }
' "$@"
