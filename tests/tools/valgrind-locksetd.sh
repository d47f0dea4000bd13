#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make check-valgrind: stands in for locksetd and runs the real one
# ($LOCKSET_VALGRIND_REAL) under valgrind memcheck, in the same process (exec:
# the tests stop the daemon by this pid). Each run writes one log to
# $LOCKSET_VALGRIND_LOGS, which tests/api/lib.sh checks when the test ends.
: "${LOCKSET_VALGRIND_REAL:?the real locksetd}"
: "${LOCKSET_VALGRIND_LOGS:?a directory for the logs}"
mkdir -p "$LOCKSET_VALGRIND_LOGS"
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
	--log-file="$LOCKSET_VALGRIND_LOGS/locksetd.%p.log" \
	"$LOCKSET_VALGRIND_REAL" "$@"
