#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Browser tests of the admin UI, sourced by tests/ui/test_ui.sh and
# tests/e2e/test_docker_scan.sh (after tests/api/lib.sh): Debian's headless
# Chromium driven by playwright-core, with axe-core, both pinned in
# tests/ui/package-lock.json and installed with npm ci into the build tree
# (never a downloaded browser; node_modules never lands in git).

CHROMIUM=${LOCKSET_UI_CHROMIUM:-/usr/bin/chromium}
UI_SRC="$LOCKSET_SRCDIR/tests/ui"
UI_RUN="$LOCKSET_BUILDDIR/tests/ui-run"

# Why a browser test cannot run here (on stdout), or nothing.
ui_missing() {
	[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is not installed (Debian package chromium)"; return; }
	local c
	for c in node npm; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c is not installed"; return; }
	done
}

# The npm packages and the test scripts into $UI_RUN; the packages are kept
# between runs while the installed tree is the one the lock file pins. Tests
# running side by side take turns (flock). Returns 1 when npm ci failed.
ui_prepare() {
	mkdir -p "$UI_RUN"
	(
		flock 9
		# Replaced whole (rename), and only when changed: another test's node
		# may be reading them.
		for f in "$UI_SRC/package.json" "$UI_SRC/package-lock.json" "$UI_SRC"/*.mjs; do
			cmp -s "$f" "$UI_RUN/${f##*/}" && continue
			cp "$f" "$UI_RUN/${f##*/}.new" && mv -f "$UI_RUN/${f##*/}.new" "$UI_RUN/${f##*/}" ||
				exit 1
		done
		cmp -s "$UI_SRC/package-lock.json" "$UI_RUN/node_modules/.lockset-installed" 2>/dev/null &&
			exit 0
		echo "# npm ci ($(jq -r '.packages | to_entries | map(select(.key != "")) | map(.key[13:] + " " + .value.version) | join(", ")' "$UI_SRC/package-lock.json"))"
		if ! (cd "$UI_RUN" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
			--loglevel=error >"$T/npm.log" 2>&1); then
			cat "$T/npm.log"
			exit 1
		fi
		cp "$UI_SRC/package-lock.json" "$UI_RUN/node_modules/.lockset-installed"
	) 9>"$LOCKSET_BUILDDIR/tests/ui-run.lock"
}

# ui_run SCRIPT [VAR=VALUE...]: run one node test script of $UI_RUN in the
# browser against the daemon's TCP listener, with the environment the scripts
# read (LOCKSET_UI_URL, LOCKSET_UI_OUT: where its screenshots go) and the
# variables given. Returns node's exit status.
ui_run() {
	local script=$1
	shift
	mkdir -p "$T/shots"
	(cd "$UI_RUN" && env LOCKSET_UI_URL="http://127.0.0.1:$PORT" LOCKSET_UI_OUT="$T/shots" \
		LOCKSET_UI_CHROMIUM="$CHROMIUM" "$@" \
		timeout 300 node --test --test-reporter=tap "$script")
}

# ui_passes SCRIPT [VAR=VALUE...]: ui_run, its output kept in $T/ui-SCRIPT.log
# and shown (as comments) only when it fails: for a check among others.
ui_passes() {
	local log="$T/ui-$1.log"
	ui_run "$@" >"$log" 2>&1 && return 0
	sed 's/^/# /' "$log"
	return 1
}
