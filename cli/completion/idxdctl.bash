# bash completion for idxdctl(1)                             -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Names of parents, types and mdevs come from the daemon through
# "idxdctl --json ..."; when it does not answer, only options complete.

# Prints the values of one key of "idxdctl --json VERB" (pretty JSON: one key a line).
_idxdctl_values()
{
    local verb=$1 key=$2
    command idxdctl "${_idxdctl_bus[@]}" --json "$verb" 2>/dev/null |
        sed -n 's/^ *"'"$key"'": "\(.*\)",\{0,1\}$/\1/p' | sort -u
}

# Sets COMPREPLY to the words in $1 that start with the word being completed.
_idxdctl_reply()
{
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

_idxdctl()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local global_opts='--help --version --system --address --json --no-ask-password'
    local verbs='create list destroy define undefine modify start stop monitor types parents status reload policy import'
    local -A verb_opts=(
        [create]='--type --parent --uuid --count --domain --persistent --autostart'
        [list]='--parent --type --domain --wide'
        [destroy]='--force --keep-definition'
        [define]='--parent --type --uuid --domain --autostart --attr --jsonfile'
        [undefine]='--parent'
        [modify]='--parent --type --autostart --manual --domain --no-domain --add-attr --remove-attr --index'
        [start]='--parent'
        [stop]='--force'
        [monitor]='--count'
        [types]='--parent'
        [parents]=''
        [status]=''
        [reload]=''
        [policy]=''
        [import]='--mdevctl --check'
    )

    # The verb, and the bus options to reach the same daemon for names.
    local i verb='' _idxdctl_bus=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --address)
                _idxdctl_bus=(--address "${words[i + 1]}")
                ((i++))
                ;;
            --system)
                _idxdctl_bus=()
                ;;
            --parent | --type | --uuid | --domain | --count | --attr | --add-attr | --index | --jsonfile | \
                -p | -t | -u | -d | -n) ((i++)) ;;
            -*) ;;
            *)
                [[ -z $verb ]] && verb=${words[i]}
                ;;
        esac
    done

    local candidates
    case $prev in
        --address | --uuid | -u | --domain | -d | --count | -n | --attr | --add-attr | --index)
            return
            ;;
        --jsonfile)
            _filedir 2>/dev/null || COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --parent | -p)
            candidates=$(_idxdctl_values parents parent)
            ;;
        --type | -t)
            candidates=$(_idxdctl_values types type)
            ;;
    esac
    if [[ -n ${candidates+set} ]]; then
        _idxdctl_reply "$candidates"
        declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
        return
    fi

    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            _idxdctl_reply "$global_opts"
        else
            _idxdctl_reply "$verbs"
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        _idxdctl_reply "${verb_opts[$verb]} --help --json --system --address --no-ask-password"
    elif [[ $verb == @(destroy|undefine|modify|start|stop) ]]; then
        _idxdctl_reply "$(_idxdctl_values list uuid)"
    elif [[ $verb == policy && $prev == policy ]]; then
        _idxdctl_reply check
    elif [[ $verb == policy || $verb == import ]]; then
        _filedir 2>/dev/null || COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

complete -F _idxdctl idxdctl
