#!/bin/bash
# What every VM scenario file shares, in the chroot guests and in the systemd guest alike: the
# console, the sysfs readers, polling, and the scenario runner. Sourced; the file that sources it
# sets work (a scratch directory) and may define sriovd_log_tail, shown when a scenario fails.
# shellcheck disable=SC2034,SC2154  # used by, or set by, the files that source this one
# The console, for requests to the host while a scenario's own output goes to a file.
exec 5>&1
request() { echo "@@ REQUEST qmp $*" >&5; }

PF1=0000:01:00.0 PF2=0000:02:00.0 PF3=0000:03:00.0 PF4=0000:04:00.0 PF5=0000:05:00.0
PF6=0000:06:00.0 PF7=0000:07:00.0
dev() { echo "/sys/bus/pci/devices/$1"; }
attr() { cat "$(dev "$1")/$2" 2>/dev/null; }
driver() { local l; l=$(readlink "$(dev "$1")/driver" 2>/dev/null) && basename "$l" || echo none; }
vfs() { local l; for l in "$(dev "$1")"/virtfn*; do [ -e "$l" ] && basename "$(readlink "$l")"; done; }
group() { basename "$(readlink "$(dev "$1")/iommu_group")"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
        local deadline=$(($(date +%s) + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -ge "$deadline" ] && return 1
                sleep 0.2
        done
}
is() { [ "$("${@:2}")" = "$1" ]; }
die() { echo "$*"; exit 1; }

scenario() {
        local name=$1 out=$work/scenario.out status
        shift
        echo "== $name (t=$(uptime_s)s)"
        # Not in an if: bash ignores set -e in a condition, and so in every command the scenario runs.
        ( set -e; "$@" ) >"$out" 2>&1
        status=$?
        if [ $status -eq 0 ]; then
                # what a scenario measured ("figure: ..." lines) is shown on success too
                sed -n 's/^figure: /   figure: /p' "$out"
                echo "@@ PASS $name"
        else
                echo "@@ FAIL $name: $(tail -n 1 "$out")"
                sed 's/^/   | /' "$out"
                if declare -F sriovd_log_tail >/dev/null; then
                        echo "   sriovd's log, last lines:"
                        sriovd_log_tail | sed 's/^/   | /'
                fi
        fi
}
