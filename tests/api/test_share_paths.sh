#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A policy cannot quietly share the whole host: file shares (and protected
# paths) that are "/" once cleaned, or whose ".." climbs out of $TMP or
# $HOME, are refused with 422 through the API, by the file loader and for a
# per-user policy; a share of a whole top-level directory is accepted with a
# warning; and a $TMP that is "/" in the daemon's environment stands for no
# share at all, so a bind of /var/lib stays denied. /v1/health's checks.shares
# names the shares whose file system is not mounted nosuid,nodev (the
# engine runs no user namespaces here): as root, a tmpfs mounted so is not
# named, and a share elsewhere is named exactly when findmnt says its mount
# lacks either option. A share in a directory another user owns is not
# widened when its owner links it to "/".
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
J=(-H 'Content-Type: application/json')
BIND='{"method":"POST","uri":"/v1.41/containers/create","user":"alice","body":{"Image":"alpine","HostConfig":{"Binds":["/var/lib:/x"]}}}'

policy_with_share() {
	printf '{"configurationFileVersion": 2, "filesharingAllowedDirectories": [{"path": "%s"}], "containerPolicy": {"locked": true, "mode": "enforce"}}' "$1"
}

lockset_start || exit 1
api PUT /v1/policy "${J[@]}" -d "$(policy_with_share /srv/builds)"
expect_status "a narrow share is accepted" 200
api POST /v1/decisions "${J[@]}" -d "$BIND"
expect_json "... and a bind of /var/lib is denied" .allow false

for share in / // /.. '$TMP/../..' '$HOME/../../' '/srv/../..'; do
	api PUT /v1/policy "${J[@]}" -d "$(policy_with_share "$share")"
	expect_error "share $share is refused" 422 invalid_policy
	expect_json "... at its pointer" '.error.details[0].path' /filesharingAllowedDirectories/0/path
done
api POST /v1/decisions "${J[@]}" -d "$BIND"
expect_json "after the refusals a bind of /var/lib is still denied" .allow false
api PUT /v1/policy "${J[@]}" -d '{"configurationFileVersion": 2}'
api GET /v1/health
expect_json "health: no share list, the shares check says so" .checks.shares "not restricted"
mkdir -p "$T/plain" "$T/safe"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o nosuid,nodev,size=1m lockset-test "$T/safe" 2>/dev/null; then
	trap 'umount "$T/safe" 2>/dev/null; cleanup' EXIT
	printf '{"configurationFileVersion": 2, "filesharingAllowedDirectories": [{"path": "%s"}, {"path": "%s"}]}' \
		"$T/safe" "$T/plain" >"$T/two.json"
	api PUT /v1/policy "${J[@]}" --data-binary "@$T/two.json"
	expect_status "two shares, one on a nosuid,nodev tmpfs" 200
	api GET /v1/health
	opts=$(findmnt -no OPTIONS --target "$T/plain")
	if [[ ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* ]]; then
		expect_json "... neither is named (both file systems are nosuid,nodev)" .checks.shares ok
	else
		expect_json "... the other is named, and why" '.checks.shares | startswith("'"$T/plain"': on a file system mounted without nosuid,nodev")' true
	fi
	expect_json "... which is no reason to be degraded" .status ok
	umount "$T/safe"
else
	echo "# not root, or no tmpfs mount here: the nosuid,nodev share is not tried"
fi
api PUT /v1/policy "${J[@]}" -d '{"configurationFileVersion": 2, "containerPolicy": {"protectedHostPaths": ["$HOME/.."]}}'
expect_error "a protected path climbing out of \$HOME is refused" 422 invalid_policy
api PUT /v1/policy/users/alice "${J[@]}" -d "$(policy_with_share '$TMP/../..')"
expect_error "a per-user policy sharing the whole host is refused" 422 invalid_policy
api PUT /v1/users/alice/settings "${J[@]}" -d '{"filesharingAllowedDirectories": [{"path": "/"}]}'
expect_error "so are preferences sharing it" 400 invalid_request

api PUT /v1/policy "${J[@]}" -d "$(policy_with_share /home)"
expect_status "a share of all of /home is accepted" 200
expect_json "... with a warning at its pointer" '.warnings[0].path' /filesharingAllowedDirectories/0/path
expect_json "... that says what it shares" '.warnings[0].message | startswith("shares all of /home")' true

# A share whose directory someone other than root owns cannot be pointed at
# "/" by its owner: the link is taken as written, so a bind of /root is
# outside it, also after the policy is compiled again with the link in place.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/owned"
	chmod 755 "$T" "$T/owned"
	chown 65534:65534 "$T/owned"
	mkdir "$T/owned/projects"
	api PUT /v1/policy "${J[@]}" -d "$(policy_with_share "$T/owned/projects")"
	expect_status "a share in a directory uid 65534 owns" 200
	bind() { printf '{"method":"POST","uri":"/v1.41/containers/create","user":"alice","body":{"Image":"alpine","HostConfig":{"Binds":["%s:/x"]}}}' "$1"; }
	api POST /v1/decisions "${J[@]}" -d "$(bind "$T/owned/projects/src")"
	expect_json "... a bind inside it is allowed" .allow true
	rmdir "$T/owned/projects"
	ln -s / "$T/owned/projects"
	printf '{"configurationFileVersion": 2, "filesharingAllowedDirectories": [{"path": "%s"}, {"path": "/srv/lockset-other"}]}' \
		"$T/owned/projects" >"$T/relinked.json"
	api PUT /v1/policy "${J[@]}" --data-binary "@$T/relinked.json"
	expect_status "its owner links it to / and the policy is compiled again" 200
	for p in /root /var/lib/docker "$T/owned/projects/etc"; do
		api POST /v1/decisions "${J[@]}" -d "$(bind "$p")"
		expect_json "... a bind of $p is still outside the share" \
			'[.violations[].rule] | index("bind-outside-shares") != null' true
	done
	rm "$T/owned/projects"
else
	echo "# not root: a share in another user's directory is not tried"
fi

# The file loader refuses the same documents (SIGHUP keeps the last good one).
policy_with_share '$TMP/../..' >"$T/whole.json"
"$LOCKSETD" --settings "$T/whole.json" --check-config >"$T/out" 2>&1; rc=$?
check "--check-config refuses a file sharing \$TMP/../.. (exit $rc)" test "$rc" = 1
check "... naming the share" grep -q '/filesharingAllowedDirectories/0/path.*climbs out of \$TMP' "$T/out"
lockset_stop

# $TMP is "/" in the daemon's environment: "$TMP" stands for no share.
policy_with_share '$TMP' >"$T/tmp.json"
put_policy "$T/tmp.json"
TMP=/ lockset_start || exit 1
api GET /v1/settings
expect_json "a \$TMP of \"/\" expands to no path" '.filesharingAllowedDirectories[0].expandedPaths | length' 0
api POST /v1/decisions "${J[@]}" -d "$BIND"
expect_json "... so a bind of /var/lib is denied" .allow false
finish
