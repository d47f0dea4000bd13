# SPDX-License-Identifier: Apache-2.0
# bash completion for locksetctl: commands, subcommands, options and their
# fixed values; files where a command takes a file.

_locksetctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local global="--socket --url --token-file --token --cacert --proxy --json --help --version"

	case $prev in
	--socket | --cacert | --token-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--url | --token | --proxy | --comment | --if-match | --limit | --since | --until | --user | \
		--action | --actor | --subject | --rule | --expires-in) return ;;
	--role) COMPREPLY=($(compgen -W "runtime auditor admin" -- "$cur")); return ;;
	--format) COMPREPLY=($(compgen -W "table json ndjson csv" -- "$cur")); return ;;
	--decision) COMPREPLY=($(compgen -W "deny allow audit" -- "$cur")); return ;;
	--bucket) COMPREPLY=($(compgen -W "minute hour day" -- "$cur")); return ;;
	--by) COMPREPLY=($(compgen -W "rule action actor" -- "$cur")); return ;;
	esac

	# The command and its first argument, skipping global options.
	local cmd= sub= i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--socket | --url | --token | --token-file | --cacert | --proxy) ((i++)) ;;
		--) break ;;
		-*) ;;
		*) if [ -z "$cmd" ]; then cmd=${words[i]}; elif [ -z "$sub" ]; then sub=${words[i]}; fi ;;
		esac
	done

	case $cmd in
	"") COMPREPLY=($(compgen -W "status policy users settings audit tokens check $global" -- "$cur")) ;;
	status) COMPREPLY=($(compgen -W "$global" -- "$cur")) ;;
	policy)
		case $sub in
		"") COMPREPLY=($(compgen -W "get set patch validate versions show rollback impact" -- "$cur")) ;;
		set | validate | impact)
			COMPREPLY=($(compgen -W "--comment --if-match --dry-run --since $global" -- "$cur"))
			[[ $cur == -* ]] || COMPREPLY+=($(compgen -f -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "--comment --if-match --dry-run --limit $global" -- "$cur")) ;;
		esac ;;
	users)
		case $sub in
		"") COMPREPLY=($(compgen -W "policy" -- "$cur")) ;;
		policy) [ "${words[cword - 1]}" = policy ] && COMPREPLY=($(compgen -W "get set delete" -- "$cur")) ;;
		esac
		[ "${words[cword - 2]}" = set ] && COMPREPLY=($(compgen -f -- "$cur")) ;;
	settings) COMPREPLY=($(compgen -W "--user --watch $global" -- "$cur")) ;;
	audit)
		if [ -z "$sub" ] && [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -W "verify stats" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--action --actor --subject --rule --decision --since --until --limit --follow --format --bucket --by $global" -- "$cur"))
		fi ;;
	tokens)
		case $sub in
		"") COMPREPLY=($(compgen -W "create list revoke" -- "$cur")) ;;
		create) COMPREPLY=($(compgen -W "--role --expires-in $global" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$global" -- "$cur")) ;;
		esac ;;
	check)
		local after=0
		for ((i = 1; i < cword; i++)); do [ "${words[i]}" = -- ] && after=$i; done
		if [ "$after" = 0 ]; then
			COMPREPLY=($(compgen -W "--user -- $global" -- "$cur"))
		elif [ $((cword - after)) = 1 ]; then
			COMPREPLY=($(compgen -W "docker" -- "$cur"))
		elif [ $((cword - after)) = 2 ]; then
			COMPREPLY=($(compgen -W "run create exec update service volume pull build tag load import plugin container image" -- "$cur"))
		fi ;;
	esac
}
complete -F _locksetctl locksetctl
