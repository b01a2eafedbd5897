#!/bin/bash
# What the chroot guests' scenario files share (sourced, in the guest, after they set source and
# build): paths, sriovd's start, stop and log, and the host's udevd and system bus (common.sh has the
# sysfs readers and the scenario runner).
# shellcheck disable=SC2034,SC2154  # set by the scenario files, or used by them
sriovd=$build/daemon/sriovd
sriovctl=$build/daemon/sriovctl
vfio_hold=$build/tests/vm/vfio-hold
work=/tmp/sriovd-vm
policies=$work/policies
log=$work/sriovd.log
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/sriovd-vm-bus
mkdir -p "$policies"
# shellcheck source=tests/vm/common.sh
. "$source/tests/vm/common.sh"
policy() { printf '%b' "$2" >"$policies/$1"; }
status() { "$sriovctl" status --json=short | /usr/bin/python3 "$source/tests/vm/jq.py" "$1"; }
# The writes sriovd made since log line $1 (at debug level it names each one before making it).
writes_since() { tail -n +"$(($1 + 1))" "$log" | grep -E ": (set|clear|probe|unbind) " || true; }
log_lines() { wc -l <"$log"; }
sriovd_log_tail() { tail -n 25 "$log"; }

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
