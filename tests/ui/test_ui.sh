#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The admin web UI end to end: start the real daemon with an admin token, then
# drive /ui/ in Debian's headless Chromium through playwright-core (pinned in
# tests/ui/package-lock.json, installed with npm ci into the build tree; never a
# downloaded browser). Screenshots are kept in <builddir>/tests/ui-run/screenshots/.
# Skips (77) when chromium or node/npm is not installed.
. "${LOCKSET_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/api/lib.sh"

CHROMIUM=${LOCKSET_UI_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM is not installed (Debian package chromium)"; exit 77; }
for c in node npm; do
	command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c is not installed"; exit 77; }
done

# playwright-core into the build tree (node_modules never lands in git); kept
# between runs while the installed version is the one the lock file pins.
UI_SRC="$LOCKSET_SRCDIR/tests/ui"
UI_RUN="$LOCKSET_BUILDDIR/tests/ui-run"
mkdir -p "$UI_RUN"
cp "$UI_SRC/package.json" "$UI_SRC/package-lock.json" "$UI_SRC/ui.test.mjs" "$UI_RUN/"
want=$(jq -r '.packages["node_modules/playwright-core"].version' "$UI_SRC/package-lock.json")
have=$(jq -r '.version' "$UI_RUN/node_modules/playwright-core/package.json" 2>/dev/null)
if [ "$have" != "$want" ]; then
	echo "# npm ci (playwright-core $want)"
	if ! (cd "$UI_RUN" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
		--loglevel=error >"$T/npm.log" 2>&1); then
		cat "$T/npm.log"
		echo "not ok - npm ci failed"
		exit 1
	fi
fi

TOKEN=$("$LOCKSETD" --state-dir "$STATE" --create-token ui --role admin 2>"$T/create-token.log" | tail -n1)
[ -n "$TOKEN" ] || { cat "$T/create-token.log"; echo "not ok - --create-token"; exit 1; }
lockset_start || exit 1

SHOTS="$T/shots"
mkdir -p "$SHOTS"
rc=0
(cd "$UI_RUN" && LOCKSET_UI_URL="http://127.0.0.1:$PORT" LOCKSET_UI_TOKEN="$TOKEN" \
	LOCKSET_UI_OUT="$SHOTS" LOCKSET_UI_CHROMIUM="$CHROMIUM" \
	timeout 300 node --test --test-reporter=tap ui.test.mjs) || rc=$?

# Keep the screenshots for a human to look at.
rm -rf "$UI_RUN/screenshots"
cp -r "$SHOTS" "$UI_RUN/screenshots" 2>/dev/null && echo "# screenshots in $UI_RUN/screenshots"
if [ "$rc" -ne 0 ]; then
	FAILS=1
	echo "not ok - the UI test failed (node exit $rc)"
fi
exit "$rc"
