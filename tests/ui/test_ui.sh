#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The admin web UI end to end: start the real daemon with an admin token, then
# drive /ui/ in Debian's headless Chromium through playwright-core, with
# axe-core for the accessibility checks (tests/ui/lib.sh installs them).
# Screenshots are kept in <builddir>/tests/ui/screenshots/.
# Skips (77) when chromium or node/npm is not installed.
. "${LOCKSET_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/api/lib.sh"
. "$LOCKSET_SRCDIR/tests/ui/lib.sh"

why=$(ui_missing)
[ -z "$why" ] || { echo "SKIP: $why"; exit 77; }
ui_prepare || { echo "not ok - npm ci failed"; exit 1; }

TOKEN=$("$LOCKSETD" --state-dir "$STATE" --create-token ui --role admin 2>"$T/create-token.log" | tail -n1)
[ -n "$TOKEN" ] || { cat "$T/create-token.log"; echo "not ok - --create-token"; exit 1; }
lockset_start || exit 1

SHOTS="$T/shots"
rc=0
ui_run ui.test.mjs LOCKSET_UI_TOKEN="$TOKEN" LOCKSET_UI_STATE="$STATE" || rc=$?

# Keep the screenshots for a human to look at.
SHOTS_KEEP="$LOCKSET_BUILDDIR/tests/ui/screenshots"
mkdir -p "$LOCKSET_BUILDDIR/tests/ui"
rm -rf "$SHOTS_KEEP"
cp -r "$SHOTS" "$SHOTS_KEEP" 2>/dev/null && echo "# screenshots in $SHOTS_KEEP"
if [ "$rc" -ne 0 ]; then
	FAILS=1
	echo "not ok - the UI test failed (node exit $rc)"
fi
exit "$rc"
