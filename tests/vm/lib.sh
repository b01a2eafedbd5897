#!/bin/bash
# What the VM scenario files share (sourced, in the guest, after they set source and build): paths,
# sysfs readers, the scenario runner, sriovd's start and stop, and the host's udevd and system bus.
# shellcheck disable=SC2034,SC2154  # set by the scenario files, or used by them
sriovd=$build/daemon/sriovd
sriovctl=$build/daemon/sriovctl
vfio_hold=$build/tests/vm/vfio-hold
work=/tmp/sriovd-vm
policies=$work/policies
log=$work/sriovd.log
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/sriovd-vm-bus
mkdir -p "$policies"
# The console, for requests to the host while a scenario's own output goes to a file.
exec 5>&1
request() { echo "@@ REQUEST qmp $*" >&5; }

PF1=0000:01:00.0 PF2=0000:02:00.0 PF3=0000:03:00.0 PF4=0000:04:00.0 PF5=0000:05:00.0
dev() { echo "/sys/bus/pci/devices/$1"; }
attr() { cat "$(dev "$1")/$2" 2>/dev/null; }
driver() { local l; l=$(readlink "$(dev "$1")/driver" 2>/dev/null) && basename "$l" || echo none; }
vfs() { local l; for l in "$(dev "$1")"/virtfn*; do [ -e "$l" ] && basename "$(readlink "$l")"; done; }
group() { basename "$(readlink "$(dev "$1")/iommu_group")"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
policy() { printf '%b' "$2" >"$policies/$1"; }

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
        local deadline=$(($(date +%s) + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -ge "$deadline" ] && return 1
                sleep 0.2
        done
}
status() { "$sriovctl" status --json=short | /usr/bin/python3 "$source/tests/vm/jq.py" "$1"; }
is() { [ "$("${@:2}")" = "$1" ]; }
# The writes sriovd made since log line $1 (at debug level it names each one before making it).
writes_since() { tail -n +"$(($1 + 1))" "$log" | grep -E ": (set|clear|probe|unbind) " || true; }
log_lines() { wc -l <"$log"; }
die() { echo "$*"; exit 1; }

scenario() {
        local name=$1 out=$work/scenario.out status
        shift
        echo "== $name (t=$(uptime_s)s)"
        # Not in an if: bash ignores set -e in a condition, and so in every command the scenario runs.
        ( set -e; "$@" ) >"$out" 2>&1
        status=$?
        if [ $status -eq 0 ]; then
                echo "@@ PASS $name"
        else
                echo "@@ FAIL $name: $(tail -n 1 "$out")"
                sed 's/^/   | /' "$out"
                echo "   sriovd's log, last lines:"
                tail -n 25 "$log" | sed 's/^/   | /'
        fi
}

# unplug_and_rescan PF: the kernel's own removal of the PF's root port, what pciehp does on an
# unplug (the VFs removed before their PF, with the same remove and add uevents), checked gone from
# sysfs and from sriovd; then a rescan finds it again. QEMU's device_del cannot be used: its NVMe
# model asserts when it unrealizes an SR-IOV PF (hw/nvme/subsys.c, nvme_subsys_unreserve_cntlids,
# seen on 7.2 and 10.0).
unplug_and_rescan() {
        local port
        port=$(readlink -f "$(dev "$1")/..")
        echo 1 >"$port/remove"
        wait_for 30 test ! -e "$(dev "$1")" || die "$1 is still there"
        wait_for 20 status "all(p['address'] != '$1' for p in j['pfs'])" || die "sriovd still shows $1"
        echo 1 >/sys/bus/pci/rescan
        wait_for 30 test -e "$(dev "$1")" || die "$1 did not come back"
}

readies_above() { [ "$(grep -c "ready:" "$log")" -gt "$1" ]; }
# sriovd runs under a shell that records its exit status, so any scenario can stop it and check,
# and with no capabilities but those sriovd.service leaves it (units/sriovd.service.in): the real
# kernel shows them to be enough.
start_sriovd() {
        rm -f $work/sriovd.exit
        local ready
        ready=$(grep -c "ready:" "$log" 2>/dev/null)
        ready=${ready:-0}
        (
                setpriv --bounding-set=-all,+dac_read_search,+sys_ptrace,+net_admin --no-new-privs \
                        "$sriovd" --config-path="$policies" --config=/dev/null --log-level=debug 2>>"$log" &
                echo $! >$work/sriovd.pid
                wait $!
                echo $? >$work/sriovd.exit
        ) &
        wait_for 60 readies_above "$ready" || die "sriovd did not get ready: $(tail -n 5 "$log")"
}
stop_sriovd() {
        kill -TERM "$(cat $work/sriovd.pid)"
        wait_for 30 test -e $work/sriovd.exit || die "sriovd did not stop"
        cat $work/sriovd.exit
}

# start_host: udevd and a system bus, as on a host.
start_host() {
        /lib/systemd/systemd-udevd --daemon || echo "@@ FAIL setup: udevd does not start"
        sed -e "s|@SOCKET@|/run/sriovd-vm-bus|g" -e "s|@POLICY@|$source/units/org.sriovd1.conf|g" \
                "$source/tests/dbus/system-bus.conf.in" >$work/bus.conf
        dbus-daemon --config-file=$work/bus.conf --fork || echo "@@ FAIL setup: dbus-daemon does not start"
}
