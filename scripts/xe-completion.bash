# Bash completion for xe (xapi-java's scripts/xe, or any xe): `. scripts/xe-completion.bash`, or copy it to
# /etc/bash_completion.d/xe. Everything comes from the server, as with Xapi's completion:
#   command names       xe help --minimal --all           (grouped by their first word: vm-, host-, ...)
#   parameter names     xe help <command>                 (its "reqd params" and "optional params" lines)
#   field names         xe <class>-list params=all        (params=, and param-name= of *-param-add/-remove: (SRW)/(MRW))
#   values              xe <class>-list --minimal params=<field>   (uuids, names, other fields of *-list and vm-*)
# XE_COMPLETION_DEBUG_FILE=<file> logs what it does.

_xe_debug() {
    [[ -n ${XE_COMPLETION_DEBUG_FILE-} ]] && printf '%s\n' "$*" >>"$XE_COMPLETION_DEBUG_FILE"
    return 0
}

# runs the xe being completed, quietly
_xe_run() {
    _xe_debug "run: $_xe_bin $*"
    "$_xe_bin" "$@" 2>/dev/null
}

# a --minimal answer (commas separate, "\," and "\\" escape) as one value a line
_xe_split_minimal() {
    local s="$1" out="" c i esc=0
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        if ((esc)); then
            out+="$c"
            esc=0
        elif [[ $c == '\' ]]; then
            esc=1
        elif [[ $c == ',' ]]; then
            out+=$'\n'
        else
            out+="$c"
        fi
    done
    [[ -n $out ]] && printf '%s\n' "$out"
}

# COMPREPLY from the candidates (one a line) that start with $2; $3 = "space" ends a full word with a space
_xe_reply() {
    local cands="$1" prefix="$2" space="${3-}" w
    local IFS=$'\n'
    COMPREPLY=()
    for w in $cands; do
        [[ -z $w || $w == "<not in database>" ]] && continue
        [[ $w == "$prefix"* ]] || continue
        if [[ $space == space && $w != *[=:] && $w != *- ]]; then
            COMPREPLY+=("$(printf '%q' "$w") ")
        else
            COMPREPLY+=("$(printf '%q' "$w")")
        fi
    done
}

# the class whose list command serves a command's uuid= (vm-start -> vm, host-cpu-info -> host, gpu-group-list -> gpu-group)
_xe_class_of() {
    local cmd="$1"
    case "$cmd" in
        diagnostic-vm-status) echo vm ;;
        diagnostic-vdi-status) echo vdi ;;
        host-cpu-info) echo host ;;
        pvs-cache-storage-*) echo "$cmd" | cut -d- -f1-3 ;;
        host-cpu-* | host-crashdump-* | gpu-group-* | vgpu-type-* | pvs-server-* | pvs-proxy-* | pvs-site-* | \
            sdn-controller-* | network-sriov-* | vm-group-* | cluster-host-* | rate-limit-*)
            echo "$cmd" | cut -d- -f1-2 ;;
        *) echo "${cmd%%-*}" ;;
    esac
}

# the parameter names of a command (with their "=" or ":"), from its help
_xe_params_of() {
    local help line list p
    help="$(_xe_run help "$1")"
    while IFS= read -r line; do
        case "$line" in
            *"reqd params"*:* | *"optional params"*:*)
                list="${line#*: }"
                [[ $line == *: ]] && list=""
                local IFS=','
                for p in $list; do
                    p="${p# }"
                    p="${p% }"
                    case "$p" in
                        "") ;;
                        "<vm-selectors>") echo "vm=" ;;
                        "<host-selectors>") echo "host=" ;;
                        "<sr-selectors>") echo "sr=" ;;
                        *: | *-) echo "$p" ;;
                        *) echo "$p=" ;;
                    esac
                done
                ;;
        esac
    done <<<"$help"
}

# the field names of a class's records; $2 = "rw" for the maps and sets that can be added to (SRW, MRW)
_xe_fields_of() {
    local class="$1" which="${2-}" uuid line key
    uuid="$(_xe_run "$class-list" params=uuid --minimal)"
    uuid="${uuid%%,*}"
    while IFS= read -r line; do
        [[ $line == *:* ]] || continue
        [[ $line == *"[DEPRECATED]"* ]] && continue
        key="${line%%:*}"
        if [[ $which == rw && $key != *"(SRW)"* && $key != *"(MRW)"* ]]; then continue; fi
        key="${key%%(*}"
        key="${key// /}"
        [[ -n $key ]] && echo "$key"
    done < <(_xe_run "$class-list" params=all ${uuid:+uuid="$uuid"})
}

# the values of one field of a list command
_xe_values() {
    _xe_split_minimal "$(_xe_run "$@" --minimal)"
}

_xe_complete() {
    local _xe_bin="${COMP_WORDS[0]}"
    # bash splits words at "=" and ":" (COMP_WORDBREAKS): join them back
    local -a words=()
    local i j=-1 joined=0
    for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
        local w="${COMP_WORDS[i]}"
        if [[ $w == "=" || $w == ":" ]] || ((joined)); then
            words[j]+="$w"
            joined=0
            [[ $w == "=" || $w == ":" ]] && joined=1
            ((i == COMP_CWORD)) && joined=0
        else
            j=$((j + 1))
            words[j]="$w"
        fi
    done
    local cword=$j cur="${words[j]-}" cmd="${words[1]-}"
    _xe_debug "words=(${words[*]}) cword=$cword cur='$cur'"

    # the command, or the command to help with
    if ((cword == 1)) || { ((cword == 2)) && [[ $cmd == help ]]; }; then
        local all
        all="$(_xe_split_minimal "$(_xe_run help --minimal --all)")"
        local groups
        groups="$(grep -- "^$cur" <<<"$all" | sed -e 's/-.*/-/' | sort -u)"
        if [[ $(grep -c . <<<"$groups") -gt 1 ]]; then
            _xe_reply "$groups" "$cur" space
        else
            _xe_reply "$all" "$cur" space
        fi
        return 0
    fi

    if [[ $cur == *=* ]]; then
        local param="${cur%%=*}" value="${cur#*=}" class
        class="$(_xe_class_of "$cmd")"
        local cands=""
        case "$param" in
            filename | file-name | license-file | *-filename | *file | certificate | private-key | certificate-chain)
                cands="$(compgen -f -- "$value")"
                _xe_reply "$cands" "$value"
                [[ ${#COMPREPLY[@]} -eq 1 && ! -d ${value} && -f ${COMPREPLY[0]} ]] && COMPREPLY[0]+=" "
                return 0
                ;;
            uuid) cands="$(_xe_values "$class-list" params=uuid)" ;;
            vm | template) cands="$(_xe_values "${param}-list" params=name-label)" ;;
            host | on) cands="$(_xe_values host-list params=name-label)" ;;
            sr | sr-name-label) cands="$(_xe_values sr-list params=name-label)" ;;
            params)
                # the last of a comma-separated list
                local done_part="" last="$value"
                [[ $value == *,* ]] && done_part="${value%,*}," && last="${value##*,}"
                cands="$(printf '%s\n' $(_xe_fields_of "$class") all)"
                _xe_reply "$cands" "$last"
                local k
                for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]="$done_part${COMPREPLY[k]}"; done
                return 0
                ;;
            param-name)
                case "$cmd" in
                    *-param-add | *-param-remove) cands="$(_xe_fields_of "${cmd%-param-*}" rw)" ;;
                    *-param-get) cands="$(_xe_fields_of "${cmd%-param-get}")" ;;
                esac
                ;;
            level) cands=$'debug\ninfo\nwarning\nerror' ;;
            locking-mode) cands=$'network_default\nlocked\nunlocked\ndisabled' ;;
            mode)
                case "$cmd" in
                    pif-reconfigure-ip | vif-configure-ipv4) cands=$'dhcp\nstatic\nnone' ;;
                    pif-reconfigure-ipv6) cands=$'dhcp\nstatic\nnone\nautoconf' ;;
                    vif-configure-ipv6) cands=$'static\nnone\nautoconf' ;;
                    bond-*) cands=$'balance-slb\nactive-backup\nlacp' ;;
                esac
                ;;
            type)
                case "$class" in
                    vbd) cands=$'Disk\nCD\nFloppy' ;;
                    vdi) cands=$'system\nuser\nsuspend\ncrashdump' ;;
                    sr) cands="$(_xe_values sm-list params=type)" ;;
                esac
                ;;
            *-vendor-device | *allow-* | disallow* | *enabled | *disabled | is-* | is_* | ha-always-run | \
                shared | bootable | unpluggable | physical | currently-attached | live | force | progress | \
                preserve-power-state | include-snapshots | metadata | dry-run | copy | read-only | sharable | missing)
                cands=$'true\nfalse'
                ;;
            *-uuid | *-uuids)
                local prefix="${param%-uuid*}"
                case "$prefix" in
                    into-vdi | base-vdi | vdi-from | vdi-to | suspend-VDI | ignore-vdi) prefix=vdi ;;
                    suspend-SR | crash-dump-SR | default-SR) prefix=sr ;;
                    pif) prefix=pif ;;
                esac
                local last="$value" done_part=""
                [[ $param == *-uuids && $value == *,* ]] && done_part="${value%,*}," && last="${value##*,}"
                if [[ $prefix == snapshot ]]; then
                    cands="$(_xe_values snapshot-list params=uuid)"
                else
                    cands="$(_xe_values "$prefix-list" --all params=uuid)"
                fi
                _xe_reply "$cands" "$last" space
                local k
                for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]="$done_part${COMPREPLY[k]}"; done
                return 0
                ;;
            *)
                # a field of the listed class (vm-list power-state=, vm-* with vm fields)
                if [[ $cmd == *-list || $cmd == vm-* ]]; then
                    cands="$(_xe_values "${cmd%%-*}-list" params="$param")"
                fi
                ;;
        esac
        _xe_reply "$cands" "$value" space
        return 0
    fi

    # (readline replaces only the text after the last "=" or ":", so values are offered alone)
    if [[ $cur == *:* ]]; then
        case "${cur%%:*}" in
            VCPUs-params) _xe_reply $'weight=\ncap=\nmask=' "${cur##*:}" ;;
            schedule) _xe_reply $'min=\nhour=\ndays=' "${cur##*:}" ;;
        esac
        return 0
    fi

    # a parameter name not given yet
    local params given p
    params="$(_xe_params_of "$cmd")"
    given=" "
    for ((i = 2; i < cword; i++)); do
        p="${words[i]%%=*}"
        given+="${p%%:*} "
    done
    local left=""
    while IFS= read -r p; do
        [[ -z $p ]] && continue
        local name="${p%%[=:]*}"
        [[ $given == *" $name "* ]] && continue
        left+="$p"$'\n'
    done <<<"$params"
    _xe_reply "$left" "$cur" space
    return 0
}

complete -o nospace -F _xe_complete xe
