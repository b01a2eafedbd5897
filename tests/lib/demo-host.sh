#!/bin/bash
# The part of tests/demo that runs on simulated hardware, also run by tests/programs/test-demo.sh.
# Run as "demo-host.sh BUILDDIR", it runs itself again under sriov-testbed on tests/data/demo.hw with
# --control, so that it can change the hardware as it goes. There it starts a private system bus and
# the real sriovd with a copy of the example policies, and shows with sriovctl what an operator sees
# while a PF is hot-added and while a VM holds a VF the policy wants to resize. Everything it starts
# it stops, and everything it makes it removes, also when it is interrupted.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [ "${1:-}" != --on-testbed ]; then
        builddir=$(cd "${1:?usage: demo-host.sh BUILDDIR}" && pwd)
        if [ "$(id -u)" -ne 0 ]; then
                echo "demo-host.sh: needs root: only root may own sriovd's bus name, org.sriovd1" >&2
                exit 1
        fi
        control=$(mktemp -d "${TMPDIR:-/tmp}/sriovd-demo.XXXXXX")
        trap 'rm -rf "$control"' EXIT
        "$builddir/tests/harness/sriov-testbed" --hw "$top/tests/data/demo.hw" --control "$control/fifo" -- \
                bash "${BASH_SOURCE[0]}" --on-testbed "$builddir" &
        testbed_pid=$!
        # An interrupt is passed on: sriov-testbed stops the demo, which stops what it started.
        trap 'kill -TERM "$testbed_pid" 2>/dev/null || true' INT TERM
        while :; do
                status=0
                wait "$testbed_pid" || status=$?
                # a trap ends the wait early; the status is sriov-testbed's once it is gone
                kill -0 "$testbed_pid" 2>/dev/null || break
        done
        exit "$status"
fi
: "${SRIOV_TESTBED_CONTROL:?--on-testbed: run by sriov-testbed --control}"
sriovd=$2/daemon/sriovd
sriovctl=$2/daemon/sriovctl

nic=0000:3b:00.0        # the E810 port: 50-nic.conf
vf=0000:3b:01.0         # its VF 0, which 50-nic.conf parks on vfio-pci: the VM takes it
nvme=0000:d8:00.0       # the NVMe controller that is hot-added: 60-nvme.conf
gpu=0000:af:00.0        # the GPU on vfio-pci: 70-gpu.conf, locked
bold=$(printf '\033[1m') plain=$(printf '\033[0m')

work=$(mktemp -d "${TMPDIR:-/tmp}/sriovd-demo.XXXXXX")
bus_pid='' sriovd_pid=''

stop() {
        # a second signal must not cut this short and leave sriovd running
        trap '' INT TERM
        if [ -n "$sriovd_pid" ]; then
                kill -TERM "$sriovd_pid" 2>/dev/null || true
                wait "$sriovd_pid" 2>/dev/null || true
        fi
        if [ -n "$bus_pid" ]; then
                kill -TERM "$bus_pid" 2>/dev/null || true
                wait "$bus_pid" 2>/dev/null || true
        fi
        sriovd_pid='' bus_pid=''
        rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
        printf '\n%s==> %s%s\n' "$bold" "$1" "$plain"
        shift
        printf '%s\n' "$@"
}

die() {
        printf 'demo: %s\n' "$*" >&2
        exit 1
}

# Clients talk to sriovd over the bus, not to sysfs: they run without the testbed's preload.
ctl() {
        LD_PRELOAD='' "$sriovctl" "$@"
}

# testbed COMMAND...: asks sriov-testbed to change the hardware (see its --help); prints the reply's
# detail ("hold" answers with the holder's pid).
testbed() {
        local reply
        echo "$*" >"$SRIOV_TESTBED_CONTROL"
        read -r reply <"$SRIOV_TESTBED_CONTROL.reply"
        case $reply in
        ok*) reply=${reply#ok} && echo "${reply# }" ;;
        *) die "sriov-testbed: $*: ${reply#error }" ;;
        esac
}

# log_since: sriovd's log lines since the last call, indented.
logged=0
log_since() {
        tail -n "+$((logged + 1))" "$work/sriovd.log" | sed 's/^/    /'
        logged=$(wc -l <"$work/sriovd.log")
}

# wait_for PF JSON-TEXT: until sriovctl status PF --json=short contains the text (20 s at most).
wait_for() {
        for _ in $(seq 200); do
                ctl status "$1" --json=short 2>/dev/null | grep -qF -- "$2" && return 0
                sleep 0.1
        done
        die "$1 never reported $2"
}

start_bus() {
        # the tests' private system bus, with sriovd's own policy file as it is installed
        sed -e "s|@SOCKET@|$work/bus|" -e "s|@POLICY@|$top/units/org.sriovd1.conf|" \
                "$top/tests/dbus/system-bus.conf.in" >"$work/bus.conf"
        LD_PRELOAD='' dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile 2>"$work/bus.log" &
        bus_pid=$!
        export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/bus"
        for _ in $(seq 100); do
                [ -S "$work/bus" ] && return 0
                sleep 0.1
        done
        cat "$work/bus.log" >&2
        die "dbus-daemon did not start"
}

start_sriovd() {
        cp "$top"/conf/examples/*.conf "$work/policies/"
        "$sriovd" --config-path="$work/policies" --config=/dev/null 2>"$work/sriovd.log" &
        sriovd_pid=$!
        for _ in $(seq 300); do
                grep -q "ready:" "$work/sriovd.log" && ctl status >/dev/null 2>&1 && return 0
                kill -0 "$sriovd_pid" 2>/dev/null || break
                sleep 0.1
        done
        cat "$work/sriovd.log" >&2
        die "sriovd did not get ready"
}

mkdir "$work/policies"
step "Starting a private system bus and sriovd with the example policies" \
     "sriovd (with a copy of conf/examples in a temp dir) finds the PFs and configures each by its policy:"
start_bus
start_sriovd
log_since
echo "(sriovd is pid $sriovd_pid, dbus-daemon pid $bus_pid)"

step "sriovctl status" \
     "Every PF with its VFs (now/wanted/possible), its state, and what locks it, as sriovd reports it over D-Bus:"
ctl status

step "sriovctl status $nic" \
     "One PF in detail: the policy that matched, its settings, and each VF with its driver and IOMMU group:"
ctl status "$nic"

step "sriovctl explain $gpu" \
     "Why a PF is as it is: the policy, the state and its reason, and what sriovd would do:"
ctl explain "$gpu"

step "Hot-add: an NVMe controller appears at $nvme" \
     "The kernel announces a new PF; sriovd matches 60-nvme.conf and gives it 2 VFs on vfio-pci, unasked:"
testbed load "pf $nvme vendor=1b36 device=0010 class=010802 driver=nvme totalvfs=4 vf-driver=nvme" >/dev/null
wait_for "$nvme" '"state":"applied"'
log_since
echo
ctl status

step "A VM takes VF $vf, then the policy asks for 6 VFs instead of 4" \
     "Resizing would pull the VF out from under the VM: sriovd refuses and keeps the change pending."
qemu=$(testbed hold "$vf" qemu-system-x86)
echo "qemu-system-x86 (pid $qemu) holds /dev/vfio of $vf open."
sed -i 's/^NumVFs=4$/NumVFs=6/' "$work/policies/50-nic.conf"
grep -qx NumVFs=6 "$work/policies/50-nic.conf" || die "50-nic.conf has no NumVFs=4 to change"
echo "50-nic.conf now says NumVFs=6; sriovctl reload:"
ctl reload
wait_for "$nic" '"state":"pending"'
log_since
echo
ctl status "$nic"

step "The VM exits" \
     "sriovd sees the VF closed and applies the pending change by itself: the PF now has 6 VFs."
testbed release "$vf" >/dev/null
wait_for "$nic" '"num_vfs":6,'
wait_for "$nic" '"state":"applied"'
log_since
echo
ctl status

step "Stopping sriovd and the bus" \
     "On SIGTERM sriovd stops without writing anything: the VFs stay as they are."
kill -TERM "$sriovd_pid"
wait "$sriovd_pid"
sriovd_pid=''
log_since
