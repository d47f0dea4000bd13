#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The admin web UI end to end: start the real daemon with an admin token, then
# drive /ui/ in Debian's headless Chromium through playwright-core, with
# axe-core for the accessibility checks (both pinned in
# tests/ui/package-lock.json, installed with npm ci into the build tree; never a
# downloaded browser). Screenshots are kept in <builddir>/tests/ui/screenshots/.
# Skips (77) when chromium or node/npm is not installed.
. "${LOCKSET_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/api/lib.sh"

CHROMIUM=${LOCKSET_UI_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM is not installed (Debian package chromium)"; exit 77; }
for c in node npm; do
	command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c is not installed"; exit 77; }
done

# The npm packages into the build tree (node_modules never lands in git); kept
# between runs while the installed tree is the one the lock file pins.
UI_SRC="$LOCKSET_SRCDIR/tests/ui"
UI_RUN="$LOCKSET_BUILDDIR/tests/ui-run"
mkdir -p "$UI_RUN"
cp "$UI_SRC/package.json" "$UI_SRC/package-lock.json" "$UI_SRC/ui.test.mjs" "$UI_RUN/"
if ! cmp -s "$UI_SRC/package-lock.json" "$UI_RUN/node_modules/.lockset-installed" 2>/dev/null; then
	echo "# npm ci ($(jq -r '.packages | to_entries | map(select(.key != "")) | map(.key[13:] + " " + .value.version) | join(", ")' "$UI_SRC/package-lock.json"))"
	if ! (cd "$UI_RUN" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
		--loglevel=error >"$T/npm.log" 2>&1); then
		cat "$T/npm.log"
		echo "not ok - npm ci failed"
		exit 1
	fi
	cp "$UI_SRC/package-lock.json" "$UI_RUN/node_modules/.lockset-installed"
fi

TOKEN=$("$LOCKSETD" --state-dir "$STATE" --create-token ui --role admin 2>"$T/create-token.log" | tail -n1)
[ -n "$TOKEN" ] || { cat "$T/create-token.log"; echo "not ok - --create-token"; exit 1; }
lockset_start || exit 1

SHOTS="$T/shots"
mkdir -p "$SHOTS"
rc=0
(cd "$UI_RUN" && LOCKSET_UI_URL="http://127.0.0.1:$PORT" LOCKSET_UI_TOKEN="$TOKEN" LOCKSET_UI_STATE="$STATE" \
	LOCKSET_UI_OUT="$SHOTS" LOCKSET_UI_CHROMIUM="$CHROMIUM" \
	timeout 300 node --test --test-reporter=tap ui.test.mjs) || rc=$?

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
