#!/bin/bash
# The bash completion of sriovctl: verbs, options, and PF addresses for the verbs that take one.
# shellcheck source=tests/programs/lib.sh
. "$(dirname "$0")/lib.sh"
completion=$1
testbed=$2
hw=$3

complete_line() {
        # complete_line WORD...: what bash would offer for the last word
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _sriovctl
        out=$(printf '%s\n' "${COMPREPLY[@]}")
        err=""
}

# shellcheck source=/dev/null
. "$completion"
complete -p sriovctl >/dev/null || fail "no completion registered for sriovctl"

complete_line sriovctl ""
for v in status explain apply reload monitor check plan; do expect_line "$v"; done
complete_line sriovctl st
[ "$out" = status ] || fail "st completes to: $out"
complete_line sriovctl --js
expect_line "--json="
complete_line sriovctl --json=p
[ "$out" = pretty ] || fail "--json=p completes to: $out"
complete_line sriovctl --no-legend rel
[ "$out" = reload ] || fail "rel after an option completes to: $out"
complete_line sriovctl reload ""
[ -z "$out" ] || fail "reload takes no arguments, but offers: $out"

# check offers policy files
mkdir -p "$tmp/pol" && touch "$tmp/pol/50-a.conf" "$tmp/pol/notes.txt"
complete_line sriovctl check "$tmp/pol/"
expect_line "$tmp/pol/50-a.conf"
expect_not_in "notes.txt"

# PF addresses come from sysfs: on the simulated host, the SR-IOV PFs and nothing else
if [ "$(id -u)" -eq 0 ]; then
        run 0 "$testbed" --hw "$hw" -- bash -c ". '$completion'; COMP_WORDS=(sriovctl status ''); COMP_CWORD=2; _sriovctl; printf '%s\n' \"\${COMPREPLY[@]}\""
        [ "$out" = "$(printf '0000:3b:00.0\n0000:5e:00.0\n0000:86:00.0\n0000:af:00.0')" ] || fail "PF addresses offered: $out"
        run 0 "$testbed" --hw "$hw" -- bash -c ". '$completion'; COMP_WORDS=(sriovctl explain 0000:8); COMP_CWORD=2; _sriovctl; printf '%s\n' \"\${COMPREPLY[@]}\""
        [ "$out" = 0000:86:00.0 ] || fail "0000:8 completes to: $out"
fi

finish
