# The NIC scenarios of the VM tier (sourced by scenarios.sh): sriovd on QEMU's igb (an Intel 82576)
# with the kernel's igb and igbvf drivers. Every check reads the real sysfs, the PF's VF table as
# `ip -j link show` gives it, or `sriovctl status --json`.
# shellcheck shell=bash disable=SC2154  # set by scenarios.sh and lib.sh

MAC0=02:00:00:00:06:10 MAC1=02:00:00:00:06:11

netdev() { local n; for n in "$(dev "$1")"/net/*; do [ -e "$n" ] && basename "$n" && return; done; }
# A new PF netdev is renamed by udev's rules a moment after it appears: up once that is done.
netdev_up() {
        udevadm settle --timeout=30
        ip link set dev "$(netdev "$1")" up
}
# vf_table PF EXPRESSION: true when EXPRESSION holds of the PF's `ip -j link show`, with
# t(i) for VF i's entry of its VF table.
vf_table() {
        ip -j link show dev "$(netdev "$1")" >$work/iplink.json || return 1
        /usr/bin/python3 - "$2" $work/iplink.json <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
def t(i):
    return next(v for v in j[0]["vfinfo_list"] if v["vf"] == i)
def vlan(i):
    v = t(i)
    e = v["vlan_list"][0] if v.get("vlan_list") else v
    return (e.get("vlan", 0), e.get("qos", 0))
try:
    ok = eval(sys.argv[1])
except Exception as e:
    ok, why = False, repr(e)
else:
    why = "false"
if not ok:
    print(f"not true ({why}): {sys.argv[1]}")
    print(json.dumps(j[0].get("vfinfo_list"), indent=1)[:3000])
    sys.exit(1)
PY
}
vf_of() { vfs "$1" | sed -n "$(($2 + 1))p"; }
vf_netdev() { netdev "$(vf_of "$1" "$2")"; }
mac_of() { cat "/sys/class/net/$1/address"; }

# igb_policy COUNT [VF0-DRIVER [VF1-EXTRA]]
igb_policy() {
        policy 60-igb6.conf "[Match]\nPCIAddress=$PF6\n[PhysicalFunction]\nNumVFs=$1\n\
[VirtualFunction]\nIndex=0\nDriver=${2:-igbvf}\nMACAddress=$MAC0\nVLANId=100\nQualityOfService=3\nMaxTxRate=100\nMACSpoofCheck=no\nTrust=yes\n\
[VirtualFunction]\nIndex=1\nDriver=igbvf\nMACAddress=$MAC1\n${3:-}\n\
[VirtualFunction]\nIndex=2-6\nDriver=vfio-pci\n"
}

# Before sriovd starts: the PF netdevs up, as networkd would leave them (igb sets a VF's rate only
# while the link is up), and the policy for PF6. PF7 has none: sriovd leaves it alone.
nic_setup() {
        local pf
        for pf in $PF6 $PF7; do
                [ "$(driver $pf)" = igb ] || echo "@@ FAIL setup: $pf is on $(driver $pf), not igb"
                ip link set dev "$(netdev $pf)" up || echo "@@ FAIL setup: cannot bring up $(netdev $pf)"
        done
        # with two keys igb refuses: a minimum rate (EINVAL) and the link state (no ndo_set_vf_link_state)
        igb_policy 4 igbvf "MinTxRate=10\nLinkState=enable"
}

# The VF settings of the policy, in the PF's VF table; VF 1's refused ones fail alone.
igb_settings_in_place() {
        vf_table $PF6 "t(0)['address'] == '$MAC0' and vlan(0) == (100, 3)"
        vf_table $PF6 "t(0)['rate']['max_tx'] == 100 and t(0)['spoofchk'] is False and t(0)['trust'] is True"
        vf_table $PF6 "t(1)['address'] == '$MAC1' and t(1)['rate']['min_tx'] == 0 and t(1)['link_state'] == 'auto'"
}

nic_coldplug() {
        [ "$(attr $PF6 sriov_numvfs)" = 4 ] || die "PF6 has $(attr $PF6 sriov_numvfs) VFs"
        [ "$(attr $PF7 sriov_numvfs)" = 0 ] || die "PF7 (no policy) has $(attr $PF7 sriov_numvfs) VFs"
        wait_for 20 is igbvf driver "$(vf_of $PF6 0)" || die "VF 0 is on $(driver "$(vf_of $PF6 0)")"
        is igbvf driver "$(vf_of $PF6 1)" || die "VF 1 is on $(driver "$(vf_of $PF6 1)")"
        is vfio-pci driver "$(vf_of $PF6 2)" || die "VF 2 is on $(driver "$(vf_of $PF6 2)")"
        is vfio-pci driver "$(vf_of $PF6 3)" || die "VF 3 is on $(driver "$(vf_of $PF6 3)")"
        wait_for 20 test -n "$(vf_netdev $PF6 0)" || die "VF 0 has no netdev"
        wait_for 20 test -n "$(vf_netdev $PF6 1)" || die "VF 1 has no netdev"
        status "pf('$PF6')['driver'] == 'igb' and pf('$PF6')['num_vfs'] == 4 and pf('$PF6')['netdevs'] == ['$(netdev $PF6)']"
        status "[v['driver'] for v in pf('$PF6')['vfs']] == ['igbvf', 'igbvf', 'vfio-pci', 'vfio-pci']"
        # the VF netdevs igbvf made are reported; the vfio-pci VFs have none
        wait_for 20 status "[v['netdevs'] for v in pf('$PF6')['vfs']] == [['$(vf_netdev $PF6 0)'], ['$(vf_netdev $PF6 1)'], [], []]" ||
                status "[v['netdevs'] for v in pf('$PF6')['vfs']] == [['$(vf_netdev $PF6 0)'], ['$(vf_netdev $PF6 1)'], [], []]"
        status "pf('$PF7')['state'] == 'unmanaged' and pf('$PF7')['total_vfs'] == $(attr $PF7 sriov_totalvfs)"
}

nic_vf_settings() {
        igb_settings_in_place
        status "pf('$PF6')['state'] == 'failed'"
        status "'VF 1' in pf('$PF6')['reason'] and 'Invalid argument' in pf('$PF6')['reason'] and 'Operation not supported' in pf('$PF6')['reason']"
        status "'VF 0' not in pf('$PF6')['reason']"
        # read back over D-Bus as the driver reports them
        status "pf('$PF6')['vfs'][0]['network']['mac'] == '$MAC0' and pf('$PF6')['vfs'][0]['network']['vlan'] == 100"
        status "pf('$PF6')['vfs'][0]['network']['trust'] is True and pf('$PF6')['vfs'][0]['network']['spoof_check'] is False"
        # a refusal that lasts is not retried into a loop
        local n
        n=$(grep -c "netdev settings failed" "$log")
        sleep 5
        [ "$(grep -c "netdev settings failed" "$log")" = "$n" ] || die "the refused settings were tried again by themselves"
        # without them the PF is applied, nothing else changed
        igb_policy 4
        "$sriovctl" reload
        wait_for 20 status "pf('$PF6')['state'] == 'applied'" || die "PF6 not applied without the refused keys"
        igb_settings_in_place
}

# The VF's netdev comes up with the policy's MAC: set before igbvf probed it, no rebind after.
nic_mac_before_netdev() {
        local n0 n1
        n0=$(vf_netdev $PF6 0) n1=$(vf_netdev $PF6 1)
        [ "$(mac_of "$n0")" = $MAC0 ] || die "VF 0's netdev $n0 has $(mac_of "$n0"), not $MAC0"
        [ "$(mac_of "$n1")" = $MAC1 ] || die "VF 1's netdev $n1 has $(mac_of "$n1"), not $MAC1"
}

# A VF that the policy moves from igbvf to vfio-pci keeps its settings. Moved back, it stays on
# vfio-pci: sriovd keeps no memory of what it bound, so the VF counts as assigned to a VM, until
# someone unbinds it; then the policy's driver takes it.
nic_vf_to_vfio() {
        igb_policy 4 vfio-pci
        "$sriovctl" reload
        wait_for 30 is vfio-pci driver "$(vf_of $PF6 0)" || die "VF 0 is on $(driver "$(vf_of $PF6 0)")"
        [ "$(attr $PF6 sriov_numvfs)" = 4 ] || die "PF6 was resized to $(attr $PF6 sriov_numvfs)"
        igb_settings_in_place
        igb_policy 4
        "$sriovctl" reload
        wait_for 20 status "pf('$PF6')['state'] == 'pending' and 'assigned' in pf('$PF6')['reason']" ||
                die "PF6 is not pending on the assigned VF 0"
        is vfio-pci driver "$(vf_of $PF6 0)" || die "VF 0 was taken from vfio-pci: $(driver "$(vf_of $PF6 0)")"
        echo "$(vf_of $PF6 0)" >/sys/bus/pci/drivers/vfio-pci/unbind
        wait_for 30 is igbvf driver "$(vf_of $PF6 0)" || die "VF 0 is not back on igbvf: $(driver "$(vf_of $PF6 0)")"
        wait_for 20 status "pf('$PF6')['state'] == 'applied'" || die "PF6 is not applied again"
        igb_settings_in_place
}

nic_held_vf() {
        local vf2 holder mark
        vf2=$(vf_of $PF6 2)
        "$vfio_hold" "$vf2" >$work/holder.out 2>&1 &
        holder=$!
        held=$holder
        trap 'kill "${held:-}" 2>/dev/null || true' EXIT
        wait_for 10 grep -q holding $work/holder.out || die "cannot hold $vf2: $(cat $work/holder.out)"
        igb_policy 3
        "$sriovctl" reload
        wait_for 20 status "pf('$PF6')['state'] == 'pending'" || die "PF6 not pending"
        status "'held open by' in pf('$PF6')['reason'] and pf('$PF6')['vfs'][2]['holder']['pid'] == $holder"
        sleep 1
        [ "$(attr $PF6 sriov_numvfs)" = 4 ] || die "PF6 was resized while its VF 2 was held"
        mark=$(log_lines)
        kill $holder
        wait $holder 2>/dev/null || true
        wait_for 40 is 3 attr $PF6 sriov_numvfs || die "PF6 has $(attr $PF6 sriov_numvfs) VFs after the release"
        head -n "$mark" "$log" | grep -E ": set $PF6 sriov_numvfs=0" && die "sriov_numvfs was written while the VF was held"
        # the new VFs get the policy again
        wait_for 30 is igbvf driver "$(vf_of $PF6 0)" || die "VF 0 is on $(driver "$(vf_of $PF6 0)")"
        wait_for 20 igb_settings_in_place || igb_settings_in_place
}

nic_rename() {
        local old new=sriovtest6
        old=$(netdev $PF6)
        ip link set dev "$old" down
        ip link set dev "$old" name $new
        ip link set dev $new up
        wait_for 20 status "pf('$PF6')['netdevs'] == ['$new']" || die "sriovd still shows $old"
        igb_settings_in_place
}

nic_rebind() {
        echo $PF6 >/sys/bus/pci/drivers/igb/unbind
        wait_for 20 status "pf('$PF6')['num_vfs'] == 0" || die "the VFs are still reported after the unbind"
        echo $PF6 >/sys/bus/pci/drivers/igb/bind
        wait_for 20 test -n "$(netdev $PF6)" || die "igb did not take PF6 back"
        netdev_up $PF6
        wait_for 40 is 3 attr $PF6 sriov_numvfs || die "PF6 has $(attr $PF6 sriov_numvfs) VFs after the bind"
        wait_for 30 is igbvf driver "$(vf_of $PF6 0)" || die "VF 0 is on $(driver "$(vf_of $PF6 0)")"
        is vfio-pci driver "$(vf_of $PF6 2)" || die "VF 2 is on $(driver "$(vf_of $PF6 2)")"
        wait_for 20 igb_settings_in_place || igb_settings_in_place
}

nic_hotplug() {
        unplug_and_rescan $PF6
        wait_for 30 test -n "$(netdev $PF6)" || die "PF6 did not come back with a netdev"
        netdev_up $PF6
        wait_for 40 is 3 attr $PF6 sriov_numvfs || die "PF6 has $(attr $PF6 sriov_numvfs) VFs after the plug"
        wait_for 30 is igbvf driver "$(vf_of $PF6 0)" || die "VF 0 is on $(driver "$(vf_of $PF6 0)")"
        wait_for 20 igb_settings_in_place || igb_settings_in_place
}

# release_pf7 [EXTRA]: PF7's VFs removed by its policy (with EXTRA sections), then the policy
# removed: PF7 back to no VFs and no policy for the next scenario.
release_pf7() {
        policy 70-igb7.conf "[Match]\nPCIAddress=$PF7\n[PhysicalFunction]\nNumVFs=0\n${1:-}"
        "$sriovctl" reload
        wait_for 40 is 0 attr $PF7 sriov_numvfs || die "PF7 has $(attr $PF7 sriov_numvfs) VFs, not 0"
        rm "$policies/70-igb7.conf"
        "$sriovctl" reload
}

# NumVFs=max is what the PF offers: the 82576's 7, every VF on igbvf with its netdev; a policy that
# goes away leaves the VFs as they are, and NumVFs=0 removes them.
nic_max() {
        local total
        total=$(attr $PF7 sriov_totalvfs)
        policy 70-igb7.conf "[Match]\nPCIAddress=$PF7\n[PhysicalFunction]\nNumVFs=max\n"
        "$sriovctl" reload
        wait_for 60 is "$total" attr $PF7 sriov_numvfs || die "PF7 has $(attr $PF7 sriov_numvfs) VFs, not $total"
        wait_for 30 status "pf('$PF7')['state'] == 'applied' and all(v['driver'] == 'igbvf' and len(v['netdevs']) == 1 for v in pf('$PF7')['vfs'])" ||
                status "pf('$PF7')['state'] == 'applied' and all(v['driver'] == 'igbvf' and len(v['netdevs']) == 1 for v in pf('$PF7')['vfs'])"
        rm "$policies/70-igb7.conf"
        "$sriovctl" reload
        wait_for 20 status "pf('$PF7')['state'] == 'unmanaged'" || die "PF7 is not left alone"
        [ "$(attr $PF7 sriov_numvfs)" = "$total" ] || die "PF7's VFs changed without a policy"
        release_pf7
}

# The same intent as a systemd-udevd .link file (systemd 252: [Link] SR-IOVVirtualFunctions=, an
# [SR-IOV] section per VF) on PF7, which no sriovd policy matches; then as a sriovd policy on the
# same PF. What each does on coldplug, on a count change, and with a VF held open through vfio.
link_file=/run/systemd/network/70-sriovd-compare.link
write_link() {
        mkdir -p /run/systemd/network
        printf '[Match]\nMACAddress=52:54:00:00:07:00\n[Link]\nSR-IOVVirtualFunctions=%s\n[SR-IOV]\nVirtualFunction=0\nMACAddress=02:00:00:00:07:10\nVLANId=200\n' \
                "$1" >$link_file
        udevadm control --reload
}
# udevd applies a .link when the netdev's add event runs (coldplug, or a trigger)
udev_add() { timeout "$1" udevadm trigger --action=add --settle "/sys/class/net/$(netdev $PF7)"; }
udevd_wchans() {
        local p
        for p in $(pgrep udev); do echo "$(cat /proc/$p/comm) $p: $(cat /proc/$p/wchan 2>/dev/null)"; done
}

nic_link_file() {
        local mark vf1 holder code
        mark=$(log_lines)
        [ "$(attr $PF7 sriov_numvfs)" = 0 ] || die "PF7 starts with $(attr $PF7 sriov_numvfs) VFs"

        # coldplug: VFs made, VF 0's MAC and VLAN set, after igbvf probed the VFs
        write_link 3
        udev_add 60 || die "udevd did not finish the add event"
        [ "$(attr $PF7 sriov_numvfs)" = 3 ] || die "udevd made $(attr $PF7 sriov_numvfs) VFs"
        vf_table $PF7 "t(0)['address'] == '02:00:00:00:07:10' and vlan(0)[0] == 200"
        wait_for 20 test -n "$(vf_netdev $PF7 0)" || die "VF 0 of PF7 has no netdev"
        echo "udevd: VF 0's netdev $(vf_netdev $PF7 0) has $(mac_of "$(vf_netdev $PF7 0)")"
        [ "$(mac_of "$(vf_netdev $PF7 0)")" != 02:00:00:00:07:10 ] ||
                die "VF 0's netdev has the .link's MAC: udevd set it before igbvf probed, unlike what this scenario records"

        # a count change: through 0 as well, and VF 0 set again
        write_link 2
        udev_add 60 || die "udevd did not finish the count change"
        [ "$(attr $PF7 sriov_numvfs)" = 2 ] || die "udevd left $(attr $PF7 sriov_numvfs) VFs"
        vf_table $PF7 "t(0)['address'] == '02:00:00:00:07:10'"

        # a VF that a VM holds through vfio, and a count change: udevd's write blocks in the kernel,
        # the event does not end, nothing says why; once the VM lets go the VF is destroyed
        vf1=$(vf_of $PF7 1)
        echo vfio-pci >"$(dev "$vf1")/driver_override"
        [ "$(driver "$vf1")" = none ] || echo "$vf1" >"/sys/bus/pci/drivers/$(driver "$vf1")/unbind"
        echo "$vf1" >/sys/bus/pci/drivers_probe
        wait_for 10 is vfio-pci driver "$vf1" || die "$vf1 is not on vfio-pci"
        "$vfio_hold" "$vf1" >$work/holder.out 2>&1 &
        holder=$!
        held=$holder
        trap 'kill "${held:-}" 2>/dev/null || true' EXIT
        wait_for 10 grep -q holding $work/holder.out || die "cannot hold $vf1: $(cat $work/holder.out)"
        write_link 3
        code=0
        udev_add 15 || code=$?
        udevd_wchans
        [ "$code" = 124 ] || die "udevd's event ended ($code) while the VF was held"
        kill $holder
        wait $holder 2>/dev/null || true
        udevadm settle --timeout=60 || die "udevd's event did not end after the release"
        wait_for 30 is 3 attr $PF7 sriov_numvfs || die "PF7 has $(attr $PF7 sriov_numvfs) VFs after the release"
        [ "$(driver "$(vf_of $PF7 1)")" != vfio-pci ] || die "the held VF survived"
        echo "udevd: after the release, VF 1 is $(vf_of $PF7 1) on $(driver "$(vf_of $PF7 1)"): the VM's VF was destroyed"
        rm -f $link_file
        udevadm control --reload
        # sriovd had no policy for PF7: it wrote nothing to it
        if writes_since "$mark" | grep -q "0000:07:"; then
                writes_since "$mark" | grep "0000:07:"
                die "sriovd wrote to PF7 without a policy"
        fi
        status "pf('$PF7')['state'] == 'unmanaged' and pf('$PF7')['num_vfs'] == 3"

        # the same intent as a sriovd policy, VF 1 on vfio-pci as the VM needs it
        policy 70-igb7.conf "[Match]\nPCIAddress=$PF7\n[PhysicalFunction]\nNumVFs=2\n\
[VirtualFunction]\nIndex=0\nDriver=igbvf\nMACAddress=02:00:00:00:07:10\nVLANId=200\n[VirtualFunction]\nIndex=1\nDriver=vfio-pci\n"
        "$sriovctl" reload
        wait_for 40 status "pf('$PF7')['state'] == 'applied' and pf('$PF7')['num_vfs'] == 2" || die "PF7 not applied"
        vf_table $PF7 "t(0)['address'] == '02:00:00:00:07:10' and vlan(0)[0] == 200"
        wait_for 20 test -n "$(vf_netdev $PF7 0)" || die "VF 0 of PF7 has no netdev"
        [ "$(mac_of "$(vf_netdev $PF7 0)")" = 02:00:00:00:07:10 ] || die "sriovd: VF 0's netdev has $(mac_of "$(vf_netdev $PF7 0)")"
        vf1=$(vf_of $PF7 1)
        is vfio-pci driver "$vf1" || die "$vf1 is on $(driver "$vf1")"
        "$vfio_hold" "$vf1" >$work/holder.out 2>&1 &
        holder=$!
        held=$holder
        wait_for 10 grep -q holding $work/holder.out || die "cannot hold $vf1: $(cat $work/holder.out)"
        mark=$(log_lines)
        policy 70-igb7.conf "$(sed 's/^NumVFs=2$/NumVFs=3/' "$policies/70-igb7.conf")\n"
        "$sriovctl" reload
        wait_for 20 status "pf('$PF7')['state'] == 'pending' and pf('$PF7')['vfs'][1]['holder']['pid'] == $holder" || die "PF7 not pending"
        is 2 attr $PF7 sriov_numvfs || die "sriovd resized PF7 while its VF was held"
        writes_since "$mark" | grep -E ": set $PF7 sriov_numvfs" && die "sriov_numvfs was written while the VF was held"
        kill $holder
        wait $holder 2>/dev/null || true
        wait_for 40 status "pf('$PF7')['state'] == 'applied' and pf('$PF7')['num_vfs'] == 3" || die "PF7 not applied after the release"
        # shrinking keeps the vfio-pci line: without it VF 1 would count as assigned to a VM
        release_pf7 "[VirtualFunction]\nIndex=1\nDriver=vfio-pci\n"
}

# bind_igb PF: the PF bound to igb, its netdev up; rebind_igb PF: unbound first.
bind_igb() {
        echo "$1" >/sys/bus/pci/drivers/igb/bind || { dmesg | tail -n 20; die "igb does not bind $1"; }
        wait_for 20 test -n "$(netdev "$1")" || die "igb did not take $1 back"
        netdev_up "$1"
}
rebind_igb() {
        echo "$1" >/sys/bus/pci/drivers/igb/unbind
        bind_igb "$1"
}

# A PF driver that refuses the count: igb probed without MSI-X (the PF's msi_bus set to 0 first)
# answers EPERM from sriov_configure. Reported as the driver's answer, not retried; once igb has
# MSI-X again the bind that brings it back applies the policy.
nic_driver_refuses() {
        local n
        echo 0 >"$(dev $PF7)/msi_bus"
        rebind_igb $PF7
        policy 70-igb7.conf "[Match]\nPCIAddress=$PF7\n[PhysicalFunction]\nNumVFs=2\n"
        "$sriovctl" reload
        wait_for 30 status "pf('$PF7')['state'] == 'failed'" || die "PF7 is not failed"
        status "'the PF driver igb refused 2 VFs' in pf('$PF7')['reason'] and 'Operation not permitted' in pf('$PF7')['reason']"
        "$sriovctl" status $PF7 | grep -F "refused 2 VFs" || die "sriovctl status does not say it"
        [ "$(attr $PF7 sriov_numvfs)" = 0 ] || die "PF7 has $(attr $PF7 sriov_numvfs) VFs"
        n=$(grep -c ": set $PF7 sriov_numvfs=2" "$log")
        sleep 5
        [ "$(grep -c ": set $PF7 sriov_numvfs=2" "$log")" = "$n" ] || die "the refused count was tried again by itself"
        status "pf('$PF6')['state'] == 'applied'"
        echo 1 >"$(dev $PF7)/msi_bus"
        rebind_igb $PF7
        wait_for 40 status "pf('$PF7')['state'] == 'applied' and pf('$PF7')['num_vfs'] == 2" || die "PF7 not applied once igb has MSI-X"
        [ "$(attr $PF7 sriov_numvfs)" = 2 ] || die "PF7 has $(attr $PF7 sriov_numvfs) VFs"
        release_pf7
}

# in_numvfs_store PID: one of the process's threads, or of its children (sriovd makes count writes
# in a writer process), is inside a sriov_numvfs write.
in_numvfs_store() {
        local f line kids="" p
        # the children files, read with builtins: a pgrep per poll costs tens of ms under TCG
        for f in /proc/"$1"/task/*/children; do
                read -r line <"$f" 2>/dev/null && kids="$kids $line"
        done
        for p in "$1" $kids; do
                grep -qs sriov_numvfs_store /proc/"$p"/task/*/stack && return 0
        done
        return 1
}

# The PF's netdev and VFs go away while sriovd applies to it: igb unbound while the count write is
# in the kernel (the unbind waits for the device lock the write holds, then takes the netdev and
# the VFs with it), so every later write of the apply finds its device gone. sriovd keeps serving,
# reports the PF as it is, and applies the policy when igb is bound again.
nic_netdev_gone() {
        local pid i caught=no mark
        pid=$(cat $work/sriovd.pid)
        mark=$(log_lines)
        policy 70-igb7.conf "[Match]\nPCIAddress=$PF7\n[PhysicalFunction]\nNumVFs=3\n\
[VirtualFunction]\nIndex=0\nDriver=igbvf\nMACAddress=02:00:00:00:07:20\nVLANId=300\n[VirtualFunction]\nIndex=1-2\nDriver=igbvf\n"
        "$sriovctl" reload
        # polled for 30 s at most: the unbind is made either way, and the scenario's assertions
        # hold whether or not it came during the write
        i=0
        local until=$((SECONDS + 30))
        while [ $SECONDS -lt $until ]; do
                i=$((i + 1))
                in_numvfs_store "$pid" && caught=yes && break
        done
        echo "   mid-apply: the unbind came while sriov_numvfs was in the kernel: $caught (after $i polls)" >&5
        echo $PF7 >/sys/bus/pci/drivers/igb/unbind
        [ "$(driver $PF7)" = none ] || die "PF7 is still on $(driver $PF7)"
        wait_for 30 status "pf('$PF7')['driver'] is None and pf('$PF7')['num_vfs'] == 0 and pf('$PF7')['state'] != 'applying'" ||
                die "sriovd does not show PF7 without its driver: $("$sriovctl" status $PF7)"
        kill -0 "$pid" || die "sriovd is gone"
        "$sriovctl" status $PF7
        # what it says is about the PF as it now is: no driver, and no half-done apply left running;
        # the apply that lost its PF says so, and does not blame igb for the kernel's answer after it
        status "pf('$PF7')['state'] != 'failed' or len(pf('$PF7')['reason']) > 0"
        # on the console as well, for the record of what the kernel's timing gave this run
        tail -n +"$((mark + 1))" "$log" | grep -E "$PF7: (failed|refused):" | sed 's/^/   mid-apply: /' >&5 || true
        if tail -n +"$((mark + 1))" "$log" | grep -E "$PF7: .*(cannot enable VFs|refused 3 VFs)"; then
                die "the unbind was taken for the driver's answer"
        fi
        [ "$(attr $PF7 sriov_numvfs)" = 0 ] || die "PF7 has $(attr $PF7 sriov_numvfs) VFs without its driver"
        status "pf('$PF6')['state'] == 'applied'"
        bind_igb $PF7
        wait_for 60 status "pf('$PF7')['state'] == 'applied' and pf('$PF7')['num_vfs'] == 3" ||
                die "PF7 not applied once igb is back: $("$sriovctl" status $PF7)"
        wait_for 20 vf_table $PF7 "t(0)['address'] == '02:00:00:00:07:20' and vlan(0)[0] == 300" ||
                vf_table $PF7 "t(0)['address'] == '02:00:00:00:07:20' and vlan(0)[0] == 300"
        wait_for 30 is igbvf driver "$(vf_of $PF7 2)" || die "VF 2 is on $(driver "$(vf_of $PF7 2)")"
        release_pf7
}

nic_scenarios() {
        scenario "igb: coldplug enables the VFs, some on igbvf with their netdevs, some on vfio-pci" nic_coldplug
        scenario "igb: per-VF MAC, VLAN+QoS, MaxTxRate, spoof check and trust read back; refused keys fail alone" nic_vf_settings
        scenario "igb: a VF's netdev comes up with the policy's MAC" nic_mac_before_netdev
        scenario "igb: a VF moved from igbvf to vfio-pci and back keeps its settings" nic_vf_to_vfio
        scenario "igb: a VF held open blocks a resize, which completes after the release with the settings" nic_held_vf
        scenario "igb: the PF netdev renamed: reported, settings in place" nic_rename
        scenario "igb: the PF driver unbound and bound again: VFs, drivers and settings re-applied" nic_rebind
        scenario "igb: the PF unplugged with its root port and found again: re-applied" nic_hotplug
        scenario "igb: NumVFs=max enables the driver's 7 VFs on igbvf; without a policy they stay" nic_max
        scenario "igb: the same intent as a systemd-udevd .link file and as a policy, on coldplug, a count change and a held VF" nic_link_file
        scenario "igb: a driver that refuses the count (no MSI-X): the driver's answer, not retried; applied once it can" nic_driver_refuses
        scenario "igb: the PF's netdev and VFs gone mid-apply (igb unbound during the count write): reported, applied when back" nic_netdev_gone
}
