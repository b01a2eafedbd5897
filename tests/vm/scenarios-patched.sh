#!/bin/bash
# The VM scenarios on the project's own kernel (tests/vm/kernel: linux-source-6.1 with the unmanaged
# SR-IOV patch, netdevsim built in). First the patch's behaviour, through sysfs alone; then sriovd on
# it, with udevd and a system bus as on a host. Runs in the guest, in a chroot of the host root, and
# prints "@@ PASS name" or "@@ FAIL name: why". The kernel decides: every check reads the real sysfs.
set -u
source=$1
build=$2
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
netlink_apply=$build/tests/vm/netlink-apply

# write VALUE FILE: one write, as sriovd makes it; prints "ok" or the kernel's error, e.g.
# "Device or resource busy".
write() {
        local out
        if out=$( (printf '%s\n' "$1" >"$2") 2>&1); then
                echo ok
        else
                echo "${out##*: }"
        fi
}
# How many times a driver probed a VF: nvme says "pci function BDF" when it does. QEMU's NVMe VFs
# are offline until given resources, so nvme lets go of them about 0.5 s later: the driver link
# alone would miss a probe.
probes() { dmesg | grep -c "pci function $1\$" || true; }
unbind() { echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"; }
bind_to() {
        echo "$2" >"$(dev "$1")/driver_override"
        echo "$1" >/sys/bus/pci/drivers_probe
        [ "$(driver "$1")" = "$2" ] || die "$1 is on $(driver "$1"), not $2"
}
expect() { [ "$2" = "$3" ] || die "$1: $2, not $3"; }
static_warnings() { dmesg | grep -c "SR-IOV configuration is static while vfio-pci owns the PF" || true; }

# ---- the kernel's own behaviour, before sriovd starts ----
echo "== the patched kernel $(uname -r) (t=$(uptime_s)s)"

generic_enable() {
        unbind $PF1
        expect "PF1's driver" "$(driver $PF1)" none
        [ -e "$(dev $PF1)/sriov_unmanaged_autoprobe" ] || die "no sriov_unmanaged_autoprobe"
        expect "sriov_unmanaged_autoprobe at boot" "$(attr $PF1 sriov_unmanaged_autoprobe)" 0
        expect "enabling 2 VFs with no driver" "$(write 2 "$(dev $PF1)/sriov_numvfs")" ok
        expect "sriov_numvfs" "$(attr $PF1 sriov_numvfs)" 2
        expect "virtfn links" "$(vfs $PF1 | wc -l)" 2
        for vf in $(vfs $PF1); do
                expect "the physfn of $vf" "$(basename "$(readlink "$(dev "$vf")/physfn")")" $PF1
                expect "the driver of $vf" "$(driver "$vf")" none
                expect "probes of $vf" "$(probes "$vf")" 0
        done
        # the kernel's other rules stand
        expect "2 -> 3" "$(write 3 "$(dev $PF1)/sriov_numvfs")" "Device or resource busy"
        expect "5, above sriov_totalvfs" "$(write 5 "$(dev $PF1)/sriov_numvfs")" "Numerical result out of range"
        expect "disabling" "$(write 0 "$(dev $PF1)/sriov_numvfs")" ok
        expect "virtfn links after disabling" "$(vfs $PF1 | wc -l)" 0

        # a driver without sriov_configure: pci-stub
        bind_to $PF1 pci-stub
        expect "enabling 1 VF under pci-stub" "$(write 1 "$(dev $PF1)/sriov_numvfs")" ok
        expect "sriov_numvfs under pci-stub" "$(attr $PF1 sriov_numvfs)" 1
        expect "disabling under pci-stub" "$(write 0 "$(dev $PF1)/sriov_numvfs")" ok
        unbind $PF1
        echo >"$(dev $PF1)/driver_override"
}

autoprobe_latched() {
        local vf
        expect "PF1's driver" "$(driver $PF1)" none
        # enabled with 0 in force; 1 written while the VFs exist does not reach them
        echo 0 >"$(dev $PF1)/sriov_unmanaged_autoprobe"
        expect "enabling" "$(write 1 "$(dev $PF1)/sriov_numvfs")" ok
        vf=$(vfs $PF1)
        expect "writing 1 while a VF exists" "$(write 1 "$(dev $PF1)/sriov_unmanaged_autoprobe")" ok
        expect "sriov_unmanaged_autoprobe read back" "$(attr $PF1 sriov_unmanaged_autoprobe)" 1
        echo "$vf" >/sys/bus/pci/drivers_probe
        sleep 1
        expect "probes of $vf, enabled with 0 in force, after drivers_probe" "$(probes "$vf")" 0
        expect "the driver of $vf" "$(driver "$vf")" none
        # the next enable takes 1
        expect "disabling" "$(write 0 "$(dev $PF1)/sriov_numvfs")" ok
        expect "enabling again" "$(write 1 "$(dev $PF1)/sriov_numvfs")" ok
        vf=$(vfs $PF1)
        wait_for 10 test "$(probes "$vf")" -ge 1 || die "$vf was not probed with 1 in force"
        echo "$vf probed $(probes "$vf") time(s) with 1 in force"
        # and 0 written now still leaves the VF probeable until the next enable
        echo 0 >"$(dev $PF1)/sriov_unmanaged_autoprobe"
        wait_for 10 is none driver "$vf" || die "nvme kept $vf"
        echo "$vf" >/sys/bus/pci/drivers_probe
        wait_for 10 test "$(probes "$vf")" -ge 2 || die "$vf, enabled with 1 in force, was not probed again"
        expect "disabling" "$(write 0 "$(dev $PF1)/sriov_numvfs")" ok
        # a bad value is refused as sriov_drivers_autoprobe refuses it
        expect "writing 2" "$(write 2 "$(dev $PF1)/sriov_unmanaged_autoprobe")" "Invalid argument"
}

vfio_static() {
        local before
        expect "vfio-pci's enable_sriov" "$(cat /sys/module/vfio_pci/parameters/enable_sriov)" Y
        unbind $PF5
        bind_to $PF5 vfio-pci
        before=$(static_warnings)
        # with enable_sriov=1 an unpatched kernel lets vfio-pci enable them: this one refuses
        expect "enabling 2 VFs under vfio-pci" "$(write 2 "$(dev $PF5)/sriov_numvfs")" "Device or resource busy"
        expect "sriov_numvfs" "$(attr $PF5 sriov_numvfs)" 0
        expect "warnings" "$(static_warnings)" $((before + 1))
        dmesg | grep "SR-IOV configuration is static" | tail -n 1
        dmesg | grep -q "$PF5: SR-IOV configuration is static while vfio-pci owns the PF: 0 VFs enabled, 2 requested" ||
                die "the warning does not name the PF and the VF counts"
        # writing the count in force changes nothing, and is not refused
        expect "writing 0" "$(write 0 "$(dev $PF5)/sriov_numvfs")" ok
}

scenario "kernel: sriov_numvfs enables and disables VFs on a PF without a driver, and under a driver without sriov_configure" generic_enable
scenario "kernel: sriov_unmanaged_autoprobe is taken when VFs are enabled; a change applies to the next enable" autoprobe_latched
scenario "kernel: while vfio-pci owns a PF, sriov_numvfs refuses changes with EBUSY and a warning naming the VF counts" vfio_static

# ---- sriovd on it ----
echo "== setting up sriovd (t=$(uptime_s)s)"
start_host
# PF2 and PF3 have no driver; PF5 stays with vfio-pci; PF1 and PF4 have no policy.
unbind $PF2
unbind $PF3
vfio_warnings=$(static_warnings)
policy 20-pf2.conf "[Match]\nPCIAddress=$PF2\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\nUnmanagedAutoprobe=no\n"
policy 30-pf3.conf "[Match]\nPCIAddress=$PF3\n[PhysicalFunction]\nNumVFs=2\nUnmanagedAutoprobe=yes\n"
policy 50-pf5.conf "[Match]\nPCIAddress=$PF5\n[PhysicalFunction]\nNumVFs=2\n"
# what sriovd is about to do, computed offline from the same sysfs
"$sriovctl" plan --config-path="$policies" --json=short >$work/plan.json
start_sriovd
echo "sriovd ready at t=$(uptime_s)s"

planned() { /usr/bin/python3 "$source/tests/vm/jq.py" "$1" <$work/plan.json; }

unmanaged_no_probe() {
        # the kernel's path, not pci-pf-stub's, although the policy allows it
        planned "pf('$PF2')['enable_path'] == 'kernel'"
        wait_for 30 is 2 attr $PF2 sriov_numvfs || die "PF2 has $(attr $PF2 sriov_numvfs) VFs"
        expect "PF2's driver" "$(driver $PF2)" none
        expect "PF2's driver_override" "$(attr $PF2 driver_override)" "(null)"
        expect "sriov_unmanaged_autoprobe" "$(attr $PF2 sriov_unmanaged_autoprobe)" 0
        for vf in $(vfs $PF2); do
                expect "the driver of $vf" "$(driver "$vf")" none
                expect "probes of $vf" "$(probes "$vf")" 0
        done
        if grep -E ": (set|clear|probe|unbind) " "$log" | grep "$PF2" | grep -v sriov_numvfs; then
                die "sriovd wrote more than sriov_numvfs to PF2"
        fi
        wait_for 10 status "pf('$PF2')['state'] == 'applied' and pf('$PF2')['num_vfs'] == 2"
        status "pf('$PF2')['driver'] is None and pf('$PF2')['unmanaged_autoprobe'] == False"
}

unmanaged_probe() {
        planned "pf('$PF3')['enable_path'] == 'kernel'"
        wait_for 30 is 2 attr $PF3 sriov_numvfs || die "PF3 has $(attr $PF3 sriov_numvfs) VFs"
        expect "PF3's driver" "$(driver $PF3)" none
        expect "sriov_unmanaged_autoprobe" "$(attr $PF3 sriov_unmanaged_autoprobe)" 1
        for vf in $(vfs $PF3); do
                wait_for 10 test "$(probes "$vf")" -ge 1 || die "$vf was not probed"
        done
        # the autoprobe value went in before the VFs were enabled: that is when the kernel takes it
        grep -E ": set $PF3 " "$log" >$work/pf3-writes
        cat $work/pf3-writes
        head -n 1 $work/pf3-writes | grep -q "sriov_unmanaged_autoprobe=1" || die "the first write was not sriov_unmanaged_autoprobe=1"
        tail -n 1 $work/pf3-writes | grep -q "sriov_numvfs=2" || die "the last write was not sriov_numvfs=2"
        wait_for 10 status "pf('$PF3')['state'] == 'applied' and pf('$PF3')['num_vfs'] == 2 and pf('$PF3')['unmanaged_autoprobe'] == True"
}

vfio_locked() {
        expect "PF5's driver" "$(driver $PF5)" vfio-pci
        expect "sriov_numvfs" "$(attr $PF5 sriov_numvfs)" 0
        status "pf('$PF5')['state'] == 'pending' and pf('$PF5')['locked_by'] == 'vfio-pci' and pf('$PF5')['desired_num_vfs'] == 2"
        "$sriovctl" status $PF5 | tee $work/pf5-status
        grep -q "locked by: *vfio-pci" $work/pf5-status || die "sriovctl status does not show the lock"
        if grep -E ": (set|clear|probe|unbind) " "$log" | grep -q "0000:05:"; then
                grep -E ": (set|clear|probe|unbind) " "$log" | grep "0000:05:"
                die "sriovd wrote to PF5 or its VFs"
        fi
        # the kernel saw no attempt either: no new warning
        expect "the kernel's warnings since sriovd started" "$(static_warnings)" "$vfio_warnings"
}

# The netlink layer against netdevsim's VFs and devlink instance. netdevsim is not a PCI device: this
# proves the layer's requests and readings on a real kernel, not the matching of PFs.
netdevsim() {
        local nsim=/sys/bus/netdevsim/devices/netdevsim1 nd
        echo "1 1" >/sys/bus/netdevsim/new_device
        wait_for 10 test -d $nsim/net || die "no netdevsim1"
        echo 2 >$nsim/sriov_numvfs
        # udevd renames the netdev: take its name once it has
        udevadm settle --timeout=20
        nd=$(ls $nsim/net)
        echo "netdevsim1: $nd with $(cat $nsim/sriov_numvfs) VFs"
        # iproute2's own line for VF $1 must hold $2
        vf() {
                /sbin/ip -d link show dev "$nd" | grep "^ *vf $1 " >$work/vf-line
                grep -qF "$2" $work/vf-line || die "VF $1 has not \"$2\": $(cat $work/vf-line)"
        }
        apply() { "$netlink_apply" "$nd" "$@"; }

        apply 0 mac 02:00:00:00:5e:01
        vf 0 "link/ether 02:00:00:00:5e:01 "
        apply 1 vlan 100 3
        vf 1 ", vlan 100, qos 3,"
        apply 1 rate 10 100
        vf 1 "max_tx_rate 100Mbps, min_tx_rate 10Mbps"
        apply 0 spoofchk on
        vf 0 "spoof checking on"
        apply 0 spoofchk off
        vf 0 "spoof checking off"
        apply 1 trust on
        vf 1 "trust on"
        apply 0 state disable
        vf 0 "link-state disable"
        apply 1 state enable
        vf 1 "link-state enable"
        # each request set its attribute alone: the earlier ones are still there
        vf 0 "link/ether 02:00:00:00:5e:01 "
        vf 1 ", vlan 100, qos 3,"
        /sbin/ip -d link show dev "$nd" | grep " vf "

        eswitch() { /sbin/devlink dev eswitch show netdevsim/netdevsim1 | grep -qE " mode $1( |\$)" || die "the eswitch is not in $1 mode"; }
        eswitch legacy
        "$netlink_apply" --devlink netdevsim/netdevsim1 switchdev
        eswitch switchdev
        # switchdev gives each VF a representor port
        [ "$(/sbin/devlink port show | grep -c "flavour pcivf")" = 2 ] || die "not two VF representor ports: $(/sbin/devlink port show)"
        "$netlink_apply" --devlink netdevsim/netdevsim1 legacy
        eswitch legacy
}

scenario "sriovd: a PF without a driver, UnmanagedAutoprobe=no: the kernel's path over pci-pf-stub, VFs enabled, none probed" unmanaged_no_probe
scenario "sriovd: a PF without a driver, UnmanagedAutoprobe=yes: written before the enable, VFs probed" unmanaged_probe
scenario "sriovd: a PF owned by vfio-pci: the kernel would refuse, sriovd never tries, sriovctl reports the lock" vfio_locked
scenario "netlink: MAC, VLAN with QoS, rates, spoof check, trust and link state on netdevsim VFs, and its eswitch mode, read back with iproute2" netdevsim

stop_sriovd >/dev/null
echo "@@ DONE t=$(uptime_s)s"
