#!/bin/bash
# tests/demo's part on simulated hardware (tests/lib/demo-host.sh) does what it shows: the real sriovd
# on a private bus configures every PF, takes a hot-added one, keeps a resize pending while a VM holds
# a VF and names the holder, completes the resize once the VM lets go, and exits 0. Whether it ends
# or is interrupted, no process it started is left running and no file it made is left behind.
# shellcheck source=tests/programs/lib.sh
. "$(dirname "$0")/lib.sh"
top=$1
builddir=$2

if [ "$(id -u)" -ne 0 ]; then
        echo "the demo needs root: sriovd owns its bus name as root only"
        exit 77
fi
[ -x "$builddir/tests/harness/sriov-testbed" ] || { echo "build sriov-testbed first (ninja -C $builddir)"; exit 1; }

# Everything the demo makes goes below its own TMPDIR, so what is left there afterwards is a leftover.
run_dir=$tmp/run
mkdir "$run_dir"

# pid_of NAME: the pid the demo said NAME has: "(sriovd is pid N, dbus-daemon pid M)",
# "qemu-system-x86 (pid N) holds ...".
pid_of() {
        sed -n -e "s/.*[( ]$1 is pid \([0-9]*\).*/\1/p" -e "s/.*[( ]$1 pid \([0-9]*\).*/\1/p" \
                -e "s/^$1 (pid \([0-9]*\)) holds .*/\1/p" <<<"$out" | head -n 1
}

# running PID NAME: PID is NAME and has not exited (an exited child nobody reaped is a zombie).
running() {
        [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

# nothing_left WHAT: no process of this run is still there, and its TMPDIR is empty.
nothing_left() {
        local pid name p left
        for name in sriovd dbus-daemon; do
                pid=$(pid_of "$name")
                if [ -z "$pid" ]; then
                        fail "$1: the demo never said which pid $name has"
                elif running "$pid" "$name"; then
                        fail "$1: $name (pid $pid) is still running"
                        kill "$pid"
                fi
        done
        if [ -n "${qemu:-}" ] && running "$qemu" qemu-system-x86; then
                fail "$1: the VM's stand-in (pid $qemu) is still running"
                kill "$qemu"
        fi
        # whatever was started with a path of this run on its command line: sriovd, dbus-daemon, the testbed
        for p in /proc/[0-9]*; do
                if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$run_dir/"; then
                        fail "$1: still running: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"
                        kill "${p#/proc/}" 2>/dev/null
                fi
        done
        left=$(find "$run_dir" -mindepth 1 -maxdepth 1 -printf '%f ')
        if [ -n "$left" ]; then
                fail "$1: left behind in TMPDIR: $left"
                rm -rf "${run_dir:?}"/*
        fi
}

# without the bold of the headings
plain() {
        sed 's/\x1b\[[0-9;]*m//g'
}

# ---- the whole demo ----
# Into a file, not a pipe: a process the demo leaves behind would hold a pipe open, and the test
# would wait for it instead of reporting it.
status=0
TMPDIR="$run_dir" timeout 120 bash "$top/tests/lib/demo-host.sh" "$builddir" >"$tmp/output" 2>&1 || status=$?
out=$(plain <"$tmp/output")
[ "$status" -eq 0 ] || fail "the demo exited $status: $out"

# every step, in order
headings=$(grep '^==> ' <<<"$out")
[ "$(wc -l <<<"$headings")" -eq 8 ] || fail "expected 8 steps, got: $headings"

# the first table: the four PFs of demo.hw, each in the state its policy leads to
table=$(sed -n '/^==> sriovctl status$/,/^==> /p' <<<"$out")
grep -qE '^0000:3b:00\.0 .* ice +4/4/8 +applied +-$' <<<"$table" || fail "the E810 port is not at 4 VFs: $table"
grep -qE '^0000:5e:00\.0 .* pci-pf-stub +2/2/4 +applied +-$' <<<"$table" || fail "the driverless NVMe is not on pci-pf-stub with 2 VFs: $table"
grep -qE '^0000:86:00\.0 .* - +2/2/4 +applied +-$' <<<"$table" || fail "the NVMe on the unmanaged kernel is not at 2 VFs: $table"
grep -qE '^0000:af:00\.0 .* vfio-pci +4/8/16 +pending +vfio-pci$' <<<"$table" || fail "the vfio-pci GPU is not locked: $table"
grep -qx '4 PFs, 12 VFs, 1 pending' <<<"$table" || fail "no summary line for 4 PFs: $table"

# the tree of the E810 port: VF 0 on vfio-pci, as the policy parks it
tree=$(sed -n '/^==> sriovctl status 0000:3b:00.0$/,/^==> /p' <<<"$out")
grep -qE '^ +\|- 0 +0000:3b:01\.0 +vfio-pci +IOMMU group [0-9]+$' <<<"$tree" || fail "the tree does not show VF 0 on vfio-pci: $tree"
# and VFs 2 and 3 with the VLAN, spoof check and rate of its [VirtualFunction] section, as read back
[ "$(grep -cE '^ +(\| )? +mac .*, vlan 100 qos 0 802\.1Q, spoof check on, .*, rate 0-10000 Mbit/s,' <<<"$tree")" -eq 2 ] ||
        fail "VFs 2 and 3 do not show VLAN 100 and their rate: $tree"
grep -qE '^ +\| +mac .*, vlan none, ' <<<"$tree" || fail "VF 0 does not show its untouched settings: $tree"

# the hot-added NVMe reached the VF count of 60-nvme.conf
hotadd=$(sed -n '/^==> Hot-add/,/^==> /p' <<<"$out")
grep -qE 'sriovd: 0000:d8:00\.0: applied .*/60-nvme\.conf: 2 VFs' <<<"$hotadd" || fail "sriovd did not log the hot-added PF applied: $hotadd"
grep -qE '^0000:d8:00\.0 .* nvme +2/2/4 +applied +-$' <<<"$hotadd" || fail "the hot-added PF is not at 2 VFs: $hotadd"
grep -qx '5 PFs, 14 VFs, 1 pending' <<<"$hotadd" || fail "no summary line for 5 PFs: $hotadd"

# the resize waits for the VM, and the reason names the VM's pid and command
held=$(sed -n '/^==> A VM takes/,/^==> /p' <<<"$out")
qemu=$(pid_of qemu-system-x86)
if [ -z "$qemu" ]; then
        fail "the demo did not say the holder's pid: $held"
else
        grep -qE "^  \|- state: +pending: VF 0 \(0000:3b:01\.0\) is held open by qemu-system-x86 \(pid $qemu\)" <<<"$held" ||
                fail "the pending reason does not name qemu-system-x86 (pid $qemu): $held"
        grep -qE "^ +\|- 0 +0000:3b:01\.0 +vfio-pci +IOMMU group [0-9]+ +held by qemu-system-x86 \(pid $qemu\)$" <<<"$held" ||
                fail "VF 0 is not shown held by pid $qemu: $held"
fi
grep -qE '^  \|- VFs: +4 of 8 \(the policy wants 6\)$' <<<"$held" || fail "the PF was resized while the VF was held: $held"

# once the VM is gone the resize completes by itself
released=$(sed -n '/^==> The VM exits/,/^==> /p' <<<"$out")
grep -qE 'sriovd: 0000:3b:00\.0: applied .*/50-nic\.conf: 6 VFs' <<<"$released" || fail "sriovd did not log the resize: $released"
grep -qE '^0000:3b:00\.0 .* ice +6/6/8 +applied +-$' <<<"$released" || fail "the E810 port is not at 6 VFs: $released"

# and it stops cleanly
grep -qx '    sriovd: stopping on Terminated; nothing more is written' <<<"$out" || fail "sriovd did not stop on SIGTERM"
nothing_left "after the demo"

# ---- interrupted ----
# interrupted DESCRIPTION TEXT SIGNAL GROUP: runs the demo in a session of its own until it prints
# TEXT, then sends SIGNAL to the whole session (GROUP=yes, as ^C at a terminal does) or to the
# demo's script alone (as a supervisor does).
interrupted() {
        local pid status
        out='' qemu=''
        TMPDIR="$run_dir" setsid bash "$top/tests/lib/demo-host.sh" "$builddir" >"$tmp/output" 2>&1 &
        pid=$!
        for _ in $(seq 1200); do
                grep -qF -- "$2" "$tmp/output" && break
                sleep 0.05
        done
        out=$(plain <"$tmp/output")
        grep -qF -- "$2" <<<"$out" || fail "$1: the demo never printed $2: $out"
        qemu=$(pid_of qemu-system-x86)
        if [ "$4" = yes ]; then
                kill "-$3" -- "-$pid"
        else
                kill "-$3" "$pid"
        fi
        status=0
        wait "$pid" || status=$?
        out=$(plain <"$tmp/output")
        # the demo has more than a second to go after either point: it cannot have finished
        [ "$status" -ne 0 ] || fail "$1: the demo exited 0: $out"
        nothing_left "$1"
}
interrupted "interrupted by ^C while a VF is held" "qemu-system-x86 (pid" INT yes
interrupted "terminated during the hot-add" "==> Hot-add" TERM no

finish
