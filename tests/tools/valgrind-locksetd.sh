#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make check-valgrind: stands in for locksetd and runs the real one
# ($LOCKSET_VALGRIND_REAL) under valgrind memcheck, in the same process (exec:
# the tests stop the daemon by this pid). Each run writes one log to
# $LOCKSET_VALGRIND_LOGS, which tests/api/lib.sh checks when the test ends.
: "${LOCKSET_VALGRIND_REAL:?the real locksetd}"
: "${LOCKSET_VALGRIND_LOGS:?a directory for the logs}"
# --max-threads: the docker proxy runs a thread per client, up to 1,024
# (PROXY_MAX_CONNS), beside the workers and lockset's own threads; valgrind's
# default of 500 aborts the daemon at the 500th.
mkdir -p "$LOCKSET_VALGRIND_LOGS"
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 --max-threads=2048 \
	--log-file="$LOCKSET_VALGRIND_LOGS/locksetd.%p.log" \
	"$LOCKSET_VALGRIND_REAL" "$@"
