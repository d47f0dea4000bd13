#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# $HOME in shares and protected paths, against the real user database: with
# no user named it stands for the homes of the --home-group members (listed
# or by primary group), never the daemon's own HOME; GET /v1/settings?user=U
# and decisions about U use U's home alone; an unknown user, or a missing
# group, leaves $HOME standing for no one (a share of no one, a protected
# path of no one), logged once.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need getent

# homes_of GROUP: the homes of its members, as the daemon reads them.
homes_of() {
	local gid members
	gid=$(getent group "$1" | cut -d: -f3)
	members=$(getent group "$1" | cut -d: -f4 | tr , ' ')
	{
		for m in $members; do getent passwd "$m" | cut -d: -f6; done
		getent passwd | awk -F: -v g="$gid" '$4 == g { print $6 }'
	} | awk '/^\// && $0 != "/"' | sed 's|/*$||' | sort -u
}
GROUP=
for g in mail man daemon sys; do
	[ -n "$(homes_of "$g")" ] && { GROUP=$g; break; }
done
[ -n "$GROUP" ] || { echo "SKIP: no group here has members with a home"; exit 77; }
GHOMES=$(homes_of "$GROUP")
GHOME=$(echo "$GHOMES" | head -n1)
# A user outside the group, with a home of its own.
U=$(getent passwd | awk -F: -v skip="$GHOMES" '$1 != "root" && $6 ~ /^\/./ && index("\n" skip "\n", "\n" $6 "\n") == 0 { print $1; exit }')
UHOME=$(getent passwd "$U" | cut -d: -f6)
[ -n "$U" ] && [ -n "$UHOME" ] || { echo "SKIP: no second user with a home"; exit 77; }
echo "# home group $GROUP: $(echo $GHOMES); user $U: $UHOME"

export HOME=/nonexistent/lockset-daemon-home # must never be what $HOME means
put_policy "$LOCKSET_SRCDIR/tests/cases/policy/valid/minimal-eci.json" # $HOME, /tmp; $HOME/.ssh
lockset_start --home-group "$GROUP" || exit 1
J=(-H 'Content-Type: application/json')
list() { jqb "$1 | join(\" \")"; }
want_list() { echo "$@" | tr ' ' '\n' | sed '/^$/d' | paste -sd' ' -; }

# --- no user named: the home group's members
api GET /v1/settings
expect_json "the \$HOME share lists every member's home" \
	'.filesharingAllowedDirectories[0].expandedPaths | join(" ")' "$(want_list $GHOMES)"
expect_json "expandedPath is the first of them" '.filesharingAllowedDirectories[0].expandedPath' "$GHOME"
expect_json "protected paths: each member's .ssh, then /etc/docker" \
	'.containerPolicy.expandedProtectedHostPaths | join(" ")' \
	"$(want_list $(for h in $GHOMES; do echo "$h/.ssh"; done) /etc/docker)"
check "the daemon's own HOME appears nowhere" bash -c "! grep -q lockset-daemon-home '$BODY'"

# decide NAME USER SOURCE ALLOW [RULE]: a bind of SOURCE, judged for USER.
decide() {
	local name=$1 user=$2 src=$3 allow=$4 rule=${5:-}
	api POST /v1/decisions "${J[@]}" -d "$(jq -cn --arg u "$user" --arg s "$src" \
		'{method: "POST", uri: "/v1.47/containers/create", user: (if $u == "" then null else $u end),
		  body: {Image: "alpine", HostConfig: {Binds: [$s + ":/x"]}}}')"
	expect_json "$name" .allow "$allow"
	[ -n "$rule" ] && expect_json "$name: $rule" '[.violations[].rule] | join(",")' "$rule"
}
decide "no user: a bind in a member's home is inside the shares" "" "$GHOME/work" true
decide "no user: a member's .ssh is protected" "" "$GHOME/.ssh" false protected-path
decide "no user: another user's home is outside the shares" "" "$UHOME/work" false bind-outside-shares
decide "no user: the daemon's HOME is outside the shares" "" "$HOME/work" false bind-outside-shares

# --- a user named: that user's home alone
api GET "/v1/settings?user=$U"
expect_json "GET /v1/settings?user=$U: \$HOME is $UHOME" \
	'.filesharingAllowedDirectories[0].expandedPaths | join(" ")' "$UHOME"
expect_json "... and protects $UHOME/.ssh" '.containerPolicy.expandedProtectedHostPaths | join(" ")' \
	"$UHOME/.ssh /etc/docker"
decide "$U: a bind in $U's home is inside the shares" "$U" "$UHOME/work" true
decide "$U: $U's .ssh is protected" "$U" "$UHOME/.ssh" false protected-path
decide "$U: a member's home is not $U's to mount" "$U" "$GHOME/work" false bind-outside-shares
decide "$U: /tmp is still shared" "$U" /tmp/x true

# --- an unknown user: $HOME is no one
api GET /v1/settings?user=no-such-user-lockset
expect_json "an unknown user's \$HOME share lists no path" \
	'.filesharingAllowedDirectories[0].expandedPaths | length' 0
expect_json "... expandedPath is null" '.filesharingAllowedDirectories[0].expandedPath' null
decide "an unknown user mounts no home" no-such-user-lockset "$GHOME/work" false bind-outside-shares
decide "an unknown user still mounts /tmp" no-such-user-lockset /tmp/x true

# --- a group that does not exist: $HOME stands for no one, logged once
lockset_stop
lockset_start --home-group no-such-group-lockset || exit 1
api GET /v1/settings
expect_json "a missing group: the \$HOME share lists no path" \
	'.filesharingAllowedDirectories[0].expandedPaths | length' 0
expect_json "a missing group: only /etc/docker is protected" \
	'.containerPolicy.expandedProtectedHostPaths | join(" ")' /etc/docker
decide "a missing group: no home is shared" "" "$GHOME/work" false bind-outside-shares
kill -HUP "$DAEMON_PID"
wait_until 5 grep -q "policy file .* unchanged" "$T/daemon.log"
check "the missing group is logged once, not on every reload" \
	test "$(grep "locksetd\[$DAEMON_PID\]" "$T/daemon.log" | grep -c 'no-such-group-lockset: no such group')" = 1
finish
