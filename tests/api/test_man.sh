#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages (man/*.[158], mdoc) are lint-clean under mandoc and complete
# against the code they document: locksetd(8) has every option of
# "locksetd --help", locksetd.conf(5) every key of --print-config,
# lockset-policy(5) every rule id of the README's deny tables and every entry
# of the deniedFlags vocabulary (the schema's enum), locksetctl(1) every
# command and exit code. A new option, key, rule or flag fails here until it
# is documented.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need mandoc col
MAN="$LOCKSET_SRCDIR/man"
render() { mandoc -Tutf8 "$MAN/$1" | col -bx >"$T/$1.txt"; }

for page in locksetd.8 locksetd.conf.5 locksetctl.1 lockset-policy.5; do
	mandoc -Tlint -W warning "$MAN/$page" >"$T/lint" 2>&1
	check "$page is lint-clean under mandoc" test ! -s "$T/lint"
	[ -s "$T/lint" ] && sed 's/^/#   /' "$T/lint"
	render "$page"
done

missing=
for opt in $("$LOCKSETD" --help | grep -o '^  --[a-z-]*' | tr -d ' '); do
	grep -q -- "$opt" "$T/locksetd.8.txt" || missing="$missing $opt"
done
check "locksetd(8) documents every option of --help${missing:+ (missing:$missing)}" test -z "$missing"

missing=
for key in $("$LOCKSETD" --print-config | sed -n 's/^#* *\([a-z-]*\) =.*/\1/p'); do
	grep -qE "^ +$key( |$)|, $key " "$T/locksetd.conf.5.txt" || missing="$missing $key"
done
check "locksetd.conf(5) documents every key of --print-config${missing:+ (missing:$missing)}" test -z "$missing"

missing=
for rule in $(awk -F'|' 'NF > 4 && $3 ~ /`[a-z-]+`/ {print $3}' "$LOCKSET_SRCDIR/README.md" | grep -o '`[a-z-]*`' | tr -d '`' | sort -u); do
	grep -qw -- "$rule" "$T/lockset-policy.5.txt" || missing="$missing $rule"
done
check "lockset-policy(5) documents every rule id of the README${missing:+ (missing:$missing)}" test -z "$missing"

missing=
for flag in $(jq -r '."$defs".deniedFlag.enum[]' "$LOCKSET_SRCDIR/schema/admin-settings.schema.json"); do
	case $flag in
	--cap-add=*) grep -qw -- "${flag#--cap-add=}" "$T/lockset-policy.5.txt" || missing="$missing $flag" ;;
	*) grep -q -- "$flag" "$T/lockset-policy.5.txt" || missing="$missing $flag" ;;
	esac
done
check "lockset-policy(5) documents the whole deniedFlags vocabulary${missing:+ (missing:$missing)}" test -z "$missing"
check "lockset-policy(5) says what a plugin cannot see" grep -q '^WHAT A PLUGIN CANNOT SEE' "$T/lockset-policy.5.txt"

missing=
for cmd in status "policy get" "policy set" "policy patch" "policy validate" "policy versions" \
	"policy show" "policy rollback" "policy impact" "users policy" settings audit "audit verify" \
	"audit stats" "tokens create" "tokens list" "tokens revoke" check; do
	grep -q "^     $cmd" "$T/locksetctl.1.txt" || missing="$missing '$cmd'"
done
check "locksetctl(1) documents every command${missing:+ (missing:$missing)}" test -z "$missing"
check "locksetctl(1) documents exit codes 0 to 4" \
	bash -c "sed -n '/^EXIT STATUS/,/^EXAMPLES/p' '$T/locksetctl.1.txt' | grep -cE '^     [0-4] ' | grep -qx 5"
finish
