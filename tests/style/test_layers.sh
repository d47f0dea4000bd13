#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The daemon's rooms and the direction of their includes (DESIGN.md's
# architecture, as the tree shows it): a room may include only the rooms
# listed for it, the pure engine includes no other room and nothing of the
# daemon's process (server, config, log), only the API handlers and the top
# level see the server object (every other part is given what it uses), no
# header shares a mutable global, and no header below the HTTP layer
# includes libmicrohttpd.
set -u
src=${LOCKSET_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src/daemon" || exit 99
fail=0

# room: the rooms it may include (lower layers only, so there is no cycle).
declare -A may=(
	[util]=""
	[engine]="util"
	[store]="util"
	[audit]="util store"
	[policy]="util store audit engine"
	[containers]="util store engine policy"
	[decisions]="util store audit engine policy containers"
	[http]="util store audit"
	[system]="util"
	[fleet]="util store audit engine policy decisions"
	[proxy]="util engine policy containers decisions http system"
	[api]="util store audit engine policy containers decisions http system fleet proxy"
	[ctl]="util"
)

for dir in */; do
	room=${dir%/}
	if [ -z "${may[$room]+set}" ]; then
		echo "not ok: daemon/$room/ is not a known room (add it to this test with its layer)"
		fail=1
		continue
	fi
	for f in "$room"/*.[ch]; do
		while IFS= read -r inc; do
			other=${inc%%/*}
			case " ${may[$room]} " in
			*" $other "*) ;;
			*)
				echo "not ok: daemon/$f includes \"$inc\": $room may include only: ${may[$room]:-nothing}"
				fail=1
				;;
			esac
		done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([a-z]*\/[^"]*\)".*/\1/p' "$f")
	done
done

# The engine is pure: no process state, no logging, no I/O libraries.
if grep -nE '^#[[:space:]]*include[[:space:]]*[<"](server|config|log)\.h[">]|microhttpd|sqlite3|curl' \
	engine/*.[ch]; then
	echo "not ok: the engine room must stay pure (lines above)"
	fail=1
fi
# Nothing below the HTTP layer knows libmicrohttpd.
for room in util engine store audit policy containers decisions; do
	if grep -ln 'microhttpd' "$room"/*.h; then
		echo "not ok: a $room header includes microhttpd.h (above)"
		fail=1
	fi
done
# Rooms below the process level do not reach up to its configuration.
for room in util engine store audit containers system; do
	if grep -nE '^#[[:space:]]*include[[:space:]]*"config\.h"' "$room"/*.[ch]; then
		echo "not ok: $room includes the process's configuration (above)"
		fail=1
	fi
done
# The server object is handed to the handlers (rq->srv) and nowhere else:
# every other room is given the parts it uses when it is made.
for room in util engine store audit policy containers decisions http fleet proxy system ctl; do
	if grep -nE '^#[[:space:]]*include[[:space:]]*"server\.h"' "$room"/*.[ch]; then
		echo "not ok: $room includes server.h (above): pass it what it uses instead"
		fail=1
	fi
done
if [ -e app.h ] || grep -rnE '\bstruct app\b' --include='*.[ch]' .; then
	echo "not ok: the process-wide app object is back (above)"
	fail=1
fi
# Nor does any room share state through a global: a daemon header declares
# no extern object that can change (constant tables such as http_routes[]
# stay allowed; a pointer must be const itself), and no function is declared
# extern, so that a mutable object cannot hide among them.
if grep -rnP '^\s*extern\b(?!\s+const\b)|^\s*extern\s+const\b.*\*(?!\s*const\b)' \
	--include='*.h' .; then
	echo "not ok: a daemon header declares a global that can change (above): make it a field"
	echo "        of the object that owns it (server.h) and pass that in"
	fail=1
fi

[ "$fail" = 0 ] && echo "ok: every include follows the layers"
exit "$fail"
