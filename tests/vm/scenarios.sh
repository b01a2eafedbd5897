#!/bin/bash
# The VM scenarios: sriovd on Debian's real kernel, with udevd and a system bus, as on a host. Runs in
# the guest, in a chroot of the host root. Prints "@@ PASS name" or "@@ FAIL name: why", and asks the
# host for hot-plug with "@@ REQUEST qmp ...". The kernel decides: every check reads the real sysfs.
set -u
source=$1
build=$2
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/nic.sh
. "$(dirname "${BASH_SOURCE[0]}")/nic.sh"

# ---- the host: udevd, a system bus, sriovd ----
echo "== setting up (t=$(uptime_s)s)"
start_host

# PF4 is a user space driver's: vfio-pci owns it and has enabled two VFs (enable_sriov=1).
echo "$PF4" >/sys/bus/pci/drivers/nvme/unbind
echo vfio-pci >"$(dev $PF4)/driver_override"
echo "$PF4" >/sys/bus/pci/drivers_probe
echo 2 >"$(dev $PF4)/sriov_numvfs"
[ "$(driver $PF4)" = vfio-pci ] && [ "$(attr $PF4 sriov_numvfs)" = 2 ] || echo "@@ FAIL setup: PF4 is not on vfio-pci with 2 VFs"

policy 10-pf1.conf "[Match]\nPCIAddress=$PF1\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\n"
policy 20-pf2.conf "[Match]\nPCIAddress=$PF2\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\nVFDriver=vfio-pci\n"
policy 30-pf3.conf "[Match]\nPCIAddress=$PF3\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\nUnmanaged=no\n"
policy 40-pf4.conf "[Match]\nPCIAddress=$PF4\n[PhysicalFunction]\nNumVFs=4\n"
policy 50-pf5.conf "[Match]\nPCIAddress=$PF5\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\n"
nic_setup
start_sriovd
echo "sriovd ready at t=$(uptime_s)s"

# ---- the scenarios ----

coldplug() {
        for pf in $PF1 $PF5; do
                [ "$(attr $pf sriov_numvfs)" = 2 ] || die "$pf has $(attr $pf sriov_numvfs) VFs"
                [ "$(attr $pf sriov_drivers_autoprobe)" = 0 ] || die "$pf autoprobe is $(attr $pf sriov_drivers_autoprobe)"
                for vf in $(vfs $pf); do
                        [ "$(driver "$vf")" = none ] || die "VF $vf was probed by $(driver "$vf")"
                done
        done
        status "pf('$PF1')['state'] == 'applied' and pf('$PF1')['num_vfs'] == 2 and not pf('$PF1')['drivers_autoprobe']"
        status "len(j['pfs']) == 7"
}

vfio_vfs() {
        [ "$(attr $PF2 sriov_numvfs)" = 2 ] || die "PF2 has $(attr $PF2 sriov_numvfs) VFs"
        for vf in $(vfs $PF2); do
                [ "$(driver "$vf")" = vfio-pci ] || die "VF $vf is on $(driver "$vf")"
                [ -e "/dev/vfio/$(group "$vf")" ] || die "no /dev/vfio/$(group "$vf") for $vf"
        done
        status "all(v['driver'] == 'vfio-pci' and v['iommu_group'] is not None for v in pf('$PF2')['vfs'])"
}

count_through_zero() {
        local mark
        mark=$(log_lines)
        policy 10-pf1.conf "[Match]\nPCIAddress=$PF1\n[PhysicalFunction]\nNumVFs=3\nDriversAutoprobe=no\n"
        "$sriovctl" reload
        wait_for 30 is 3 attr $PF1 sriov_numvfs || die "PF1 has $(attr $PF1 sriov_numvfs) VFs, not 3"
        writes_since "$mark" | grep "sriov_numvfs" >$work/numvfs
        cat $work/numvfs
        [ "$(grep -c "set $PF1 sriov_numvfs" $work/numvfs)" = 2 ] || die "not two sriov_numvfs writes"
        head -n 1 $work/numvfs | grep -q "sriov_numvfs=0" || die "the first write was not 0"
        tail -n 1 $work/numvfs | grep -q "sriov_numvfs=3" || die "the last write was not 3"
        wait_for 10 status "pf('$PF1')['num_vfs'] == 3 and pf('$PF1')['state'] == 'applied'"
}

unmanaged() {
        # nvme leaves the PF, and its VFs stay, as the kernel does
        echo "$PF3" >/sys/bus/pci/drivers/nvme/unbind
        [ "$(driver $PF3)" = none ] || die "PF3 still on $(driver $PF3)"
        policy 30-pf3.conf "[Match]\nPCIAddress=$PF3\n[PhysicalFunction]\nNumVFs=3\nDriversAutoprobe=no\nUnmanaged=no\n"
        "$sriovctl" reload
        wait_for 20 status "pf('$PF3')['state'] == 'refused'" || die "PF3 not refused"
        status "'Unmanaged=no' in pf('$PF3')['reason'] and pf('$PF3')['num_vfs'] == 2"
        [ "$(attr $PF3 sriov_numvfs)" = 2 ] || die "PF3 was resized to $(attr $PF3 sriov_numvfs)"

        policy 30-pf3.conf "[Match]\nPCIAddress=$PF3\n[PhysicalFunction]\nNumVFs=3\nDriversAutoprobe=no\nUnmanaged=pf-stub\n"
        "$sriovctl" reload
        wait_for 30 is 3 attr $PF3 sriov_numvfs || die "PF3 has $(attr $PF3 sriov_numvfs) VFs, not 3"
        [ "$(driver $PF3)" = pci-pf-stub ] || die "PF3 is on $(driver $PF3)"
        wait_for 10 status "pf('$PF3')['state'] == 'applied' and pf('$PF3')['driver'] == 'pci-pf-stub'"
}

vfio_pf_locked() {
        [ "$(driver $PF4)" = vfio-pci ] || die "PF4 is on $(driver $PF4)"
        [ "$(attr $PF4 sriov_numvfs)" = 2 ] || die "PF4 has $(attr $PF4 sriov_numvfs) VFs"
        status "pf('$PF4')['state'] == 'pending' and pf('$PF4')['locked_by'] == 'vfio-pci' and pf('$PF4')['desired_num_vfs'] == 4"
        if grep -E ": (set|clear|probe|unbind) " "$log" | grep -q "0000:04:"; then
                grep -E ": (set|clear|probe|unbind) " "$log" | grep "0000:04:"
                die "sriovd wrote to PF4 or its VFs"
        fi
}

held_vf() {
        local vf0 holder mark group
        vf0=$(vfs $PF2 | head -n 1)
        # a VM takes VF 0, as qemu under libvirt does: as a user of its own, given the group's node;
        # then group, container, IOMMU, device fd
        group=$(basename "$(readlink "/sys/bus/pci/devices/$vf0/iommu_group")")
        chown nobody "/dev/vfio/$group"
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$vfio_hold" "$vf0" >$work/holder.out 2>&1 &
        holder=$!
        # a failed check must not leave the VF held: everything after it would wait on the kernel
        held=$holder
        trap 'kill "${held:-}" 2>/dev/null || true' EXIT
        wait_for 10 grep -q holding $work/holder.out || die "cannot hold $vf0: $(cat $work/holder.out)"
        policy 20-pf2.conf "[Match]\nPCIAddress=$PF2\n[PhysicalFunction]\nNumVFs=3\nDriversAutoprobe=no\nVFDriver=vfio-pci\n"
        "$sriovctl" reload
        wait_for 20 status "pf('$PF2')['state'] == 'pending'" || die "PF2 not pending"
        status "'held open by qemu-system-x86 (pid $holder)' in pf('$PF2')['reason']"
        status "pf('$PF2')['vfs'][0]['holder']['pid'] == $holder"
        sleep 1
        [ "$(attr $PF2 sriov_numvfs)" = 2 ] || die "PF2 was resized while a VF was held"

        # the VM exits: the resize happens by itself
        mark=$(log_lines)
        kill $holder
        wait $holder 2>/dev/null || true   # killed: its status is the signal's
        wait_for 30 is 3 attr $PF2 sriov_numvfs || die "PF2 has $(attr $PF2 sriov_numvfs) VFs after the release"
        for vf in $(vfs $PF2); do
                wait_for 10 is vfio-pci driver "$vf" || die "VF $vf is on $(driver "$vf")"
        done
        # and sriovd had not written sriov_numvfs before that
        if head -n "$mark" "$log" | grep -E ": set $PF2 sriov_numvfs=3"; then
                die "sriov_numvfs was written while the VF was held"
        fi
        wait_for 10 status "pf('$PF2')['state'] == 'applied' and pf('$PF2')['num_vfs'] == 3"
}

direct_write_blocks() {
        local vf0 holder writer state
        vf0=$(vfs $PF2 | head -n 1)
        "$vfio_hold" "$vf0" >$work/holder.out 2>&1 &
        holder=$!
        held=$holder
        trap 'kill "${held:-}" 2>/dev/null || true' EXIT
        wait_for 10 grep -q holding $work/holder.out || die "cannot hold $vf0: $(cat $work/holder.out)"
        # what sriovd never does: write sriov_numvfs while a VF is held open
        (echo 0 >"$(dev $PF2)/sriov_numvfs") &
        writer=$!
        sleep 3
        # vfio waits for the device in an interruptible sleep: S, or D, but still in the write
        state=$(awk '/^State:/ { print $2 }' /proc/$writer/status 2>/dev/null)
        echo "the writer after 3s: state ${state:-exited}, in $(cat /proc/$writer/wchan 2>/dev/null)"
        [ -n "$state" ] || die "the write returned at once: it did not block"
        kill $holder
        wait $holder 2>/dev/null || true   # killed: its status is the signal's
        wait $writer
        echo "the write returned once the holder let go"
        # sriovd puts back what its policy says
        wait_for 30 is 3 attr $PF2 sriov_numvfs || die "PF2 has $(attr $PF2 sriov_numvfs) VFs, not 3 again"
        for vf in $(vfs $PF2); do
                wait_for 10 is vfio-pci driver "$vf" || die "VF $vf is on $(driver "$vf")"
        done
}

hotplug() {
        unplug_and_rescan $PF5
        wait_for 30 is 2 attr $PF5 sriov_numvfs || die "PF5 has $(attr $PF5 sriov_numvfs) VFs"
        wait_for 20 status "len(j['pfs']) == 7 and pf('$PF5')['state'] == 'applied' and pf('$PF5')['num_vfs'] == 2"
}

snapshot() {
        local pf vf
        for pf in $PF1 $PF2 $PF3 $PF4 $PF5 $PF6 $PF7; do
                echo "$pf $(driver $pf) $(attr $pf sriov_numvfs) $(attr $pf sriov_drivers_autoprobe)"
                for vf in $(vfs $pf); do echo "  $vf $(driver "$vf")"; done
        done
}

restart_writes_nothing() {
        local code mark
        snapshot >$work/before
        code=$(stop_sriovd)
        [ "$code" = 0 ] || die "sriovd exited $code on SIGTERM"
        mark=$(log_lines)
        start_sriovd
        sleep 2
        if [ -n "$(writes_since "$mark")" ]; then
                writes_since "$mark"
                die "the restart wrote to sysfs"
        fi
        snapshot >$work/after
        diff $work/before $work/after || die "the hardware changed across the restart"
        status "len(j['pfs']) == 7"
}

scenario "coldplug applies NumVFs and DriversAutoprobe=no" coldplug
scenario "VFDriver=vfio-pci binds the VFs to vfio-pci and /dev/vfio/N exists" vfio_vfs
scenario "a changed count goes through 0" count_through_zero
scenario "a PF without a driver: refused with Unmanaged=no, bound to pci-pf-stub with Unmanaged=pf-stub" unmanaged
scenario "a PF owned by vfio-pci (enable_sriov=1) is locked and never written" vfio_pf_locked
scenario "a VF held open blocks a resize, reported with its PID; the resize completes after the holder exits" held_vf
scenario "a direct sriov_numvfs write while a VF is held open blocks in the kernel" direct_write_blocks
scenario "a PF unplugged with its root port and found again by a rescan is forgotten, then applied" hotplug
nic_scenarios
scenario "restarting sriovd writes nothing" restart_writes_nothing

stop_sriovd >/dev/null
echo "@@ DONE t=$(uptime_s)s"
