#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: built from a copy of the source tree with
# "dpkg-buildpackage -us -uc -b", lintian-clean (pedantic and info tags
# included, apart from the overrides debian/ documents), installed on this
# machine with dpkg -i; the installed locksetd validates the installed
# configuration and example policy, runs confined, and the installed
# locksetctl reaches it; systemd-analyze verify accepts the installed units;
# dpkg --purge removes every file, the configuration and the state.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: dpkg -i needs root"; exit 77; }
need dpkg-buildpackage dh lintian dpkg
if dpkg-query -W -f='${Status}' lockset 2>/dev/null | grep -q 'installed'; then
	echo "SKIP: a lockset package is installed on this machine; not touching it"; exit 77
fi
if nm "$LOCKSETD" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: the package is built and tested once, in the run without sanitizers"; exit 77
fi

INSTALLED=
deb_cleanup() {
	[ -n "$INSTALLED" ] && dpkg --purge lockset >/dev/null 2>&1
	cleanup
}
trap deb_cleanup EXIT

# --- build from a copy of the tracked sources
mkdir -p "$T/src/lockset"
if git -C "$LOCKSET_SRCDIR" ls-files --error-unmatch debian/control >/dev/null 2>&1; then
	(cd "$LOCKSET_SRCDIR" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - -cf -) | tar -C "$T/src/lockset" -xf -
else
	tar -C "$LOCKSET_SRCDIR" --exclude=./build --exclude=./build-asan --exclude=node_modules \
		-cf - . | tar -C "$T/src/lockset" -xf -
fi
(cd "$T/src/lockset" && dpkg-buildpackage -us -uc -b -j2) >"$T/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || { tail -n 30 "$T/build.log"; finish; }
DEB=$(ls "$T"/src/lockset_*_*.deb | grep -v dbgsym | head -n1)
check "it made lockset_*.deb" test -s "$DEB"

lintian --pedantic -I "$DEB" 2>&1 | grep -v 'running with root privileges' >"$T/lintian"
check "lintian has nothing to say (pedantic, info)" test ! -s "$T/lintian"
[ -s "$T/lintian" ] && sed 's/^/#   /' "$T/lintian"

# --- install
dpkg -i "$DEB" >"$T/install.log" 2>&1
rc=$?
INSTALLED=1
check "dpkg -i (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$T/install.log"
for f in /usr/sbin/locksetd /usr/bin/locksetctl /lib/systemd/system/locksetd.service \
	/lib/systemd/system/locksetd.socket /etc/lockset/locksetd.conf \
	/etc/lockset/admin-settings.json /usr/share/lockset/admin-settings.schema.json \
	/usr/share/lockset/openapi.json /usr/share/man/man8/locksetd.8.gz \
	/usr/share/man/man5/locksetd.conf.5.gz /usr/share/man/man5/lockset-policy.5.gz \
	/usr/share/man/man1/locksetctl.1.gz /usr/share/bash-completion/completions/locksetctl; do
	check "installed: $f" test -e "$f"
done
check "/var/lib/lockset is 0700 root" test "$(stat -c '%a %U' /var/lib/lockset)" = "700 root"
check "/etc/lockset is 0755 root" test "$(stat -c '%a %U' /etc/lockset)" = "755 root"
check "the units name the installed daemon and configuration" \
	grep -q '^ExecStart=/usr/sbin/locksetd --config /etc/lockset/locksetd.conf --foreground$' \
	/lib/systemd/system/locksetd.service
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify /lib/systemd/system/locksetd.service /lib/systemd/system/locksetd.socket \
		>"$T/verify" 2>&1
	check "systemd-analyze verify accepts the installed units" test $? = 0 -a ! -s "$T/verify"
fi

# --- the installed daemon on the installed configuration
/usr/sbin/locksetd --config /etc/lockset/locksetd.conf --check-config >"$T/cc" 2>&1
rc=$?
check "locksetd --check-config accepts the installed configuration and example (exit $rc)" \
	test "$rc" = 0
/usr/sbin/locksetd --config /etc/lockset/locksetd.conf --foreground --state-dir "$T/pkg-state" \
	--listen "unix:$T/pkg.sock" --authz-socket "" >"$T/pkg.log" 2>&1 &
PKG_PID=$!
EXTRA_PIDS=$PKG_PID
wait_until 10 test -S "$T/pkg.sock"
/usr/bin/locksetctl --socket "$T/pkg.sock" status >"$T/status" 2>&1
rc=$?
check "the installed locksetctl reaches the installed daemon (exit $rc)" test "$rc" = 0
check "status is ok" grep -qP '^status\tok$' "$T/status"
check "the installed daemon runs confined" \
	bash -c "grep -qP '^Seccomp:\t2$' /proc/$PKG_PID/status && grep -qP '^CapEff:\t0000000000000004$' /proc/$PKG_PID/status"
kill -TERM "$PKG_PID"; wait "$PKG_PID"
check "and stops cleanly" test $? = 0

# --- purge
dpkg --purge lockset >"$T/purge.log" 2>&1
rc=$?
check "dpkg --purge (exit $rc)" test "$rc" = 0
INSTALLED=
for f in /usr/sbin/locksetd /usr/bin/locksetctl /lib/systemd/system/locksetd.service \
	/etc/lockset /var/lib/lockset; do
	check "purged: $f" test ! -e "$f"
done
finish
