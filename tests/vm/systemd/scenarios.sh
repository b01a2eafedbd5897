#!/bin/bash
# The systemd guest's scenarios: sriovd installed as README says and enabled, started at boot by
# systemd as PID 1, then reloaded, watched, stopped and sandboxed by it, as on a host. Runs in the
# guest as sriovd-vmtest.service once the boot is done; prints "@@ PASS name" or "@@ FAIL name: why".
# Every check asks the guest's own tools: systemctl, journalctl, busctl, sriovctl, and sysfs.
set -u
here=$(dirname "$(readlink -f "$0")")
work=/run/sriovd-vmtest
mkdir -p $work
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"
nvme_policy=/etc/sriovd.d/60-nvme.conf
tracing=/sys/kernel/tracing

sriovd_log_tail() { journalctl -b -u sriovd --no-pager -n 25 -o short-monotonic; }
prop() { systemctl show -P "$2" "$1"; }
status() { sriovctl status --json=short | jq -e "$1"; }
vf_drivers() { local vf; for vf in $(vfs "$1"); do driver "$vf"; done | tr '\n' ' ' | sed 's/ $//'; }
# The journal's cursor now, and sriovd's lines after it.
cursor() { journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'; }
journal_since() { journalctl -u sriovd --no-pager -o cat --after-cursor="$1"; }
denials() { grep -E "EPERM|EROFS|EACCES|Operation not permitted|Read-only file system|Permission denied"; }

# The kernel's own record of writes, whoever makes them: every sysfs store (kernfs), every rtnetlink
# link change and devlink eswitch change, with the writing task's name. sriovd's threads are all
# "sriovd"; sriovctl is not.
trace_start() {
        [ -e $tracing/trace ] || mount -t tracefs tracefs $tracing
        echo 0 >$tracing/tracing_on
        echo nop >$tracing/current_tracer
        echo 4096 >$tracing/saved_cmdlines_size
        echo kernfs_fop_write_iter >$tracing/set_ftrace_filter
        echo rtnl_setlink >>$tracing/set_ftrace_filter
        echo '*eswitch_set_doit' >>$tracing/set_ftrace_filter 2>/dev/null || true
        echo function >$tracing/current_tracer
        echo >$tracing/trace
        echo 1 >$tracing/tracing_on
}
trace_writes() { grep -E '^ *sriovd-[0-9]+ ' $tracing/trace || true; }
# Stops recording and keeps what was recorded (another tracer would clear it): trace_start resets.
trace_stop() { echo 0 >$tracing/tracing_on; }

echo "== the guest is up (t=$(uptime_s)s): $(systemctl is-system-running)"

# ---- the scenarios ----

# Enabled, started by systemd at boot after udevd, ready before network-pre.target and the VM
# manager, and what the VM manager saw when it started: every VF there, on its driver.
boot() {
        local udevd start ready netpre libvirt
        is enabled systemctl is-enabled sriovd || die "sriovd is $(systemctl is-enabled sriovd) at boot"
        is active systemctl is-active sriovd || die "sriovd is $(systemctl is-active sriovd) after boot"
        udevd=$(prop systemd-udevd.service ActiveEnterTimestampMonotonic)
        start=$(prop sriovd.service InactiveExitTimestampMonotonic)
        ready=$(prop sriovd.service ActiveEnterTimestampMonotonic)
        netpre=$(prop network-pre.target ActiveEnterTimestampMonotonic)
        libvirt=$(prop libvirtd.service InactiveExitTimestampMonotonic)
        echo "monotonic µs: udevd active $udevd, sriovd started $start, ready $ready; network-pre.target $netpre, libvirtd started $libvirt"
        [ "$udevd" -gt 0 ] && [ "$start" -ge "$udevd" ] || die "sriovd started before systemd-udevd was up"
        [ "$netpre" -ge "$ready" ] || die "network-pre.target was reached before sriovd was ready"
        [ "$libvirt" -ge "$ready" ] || die "libvirtd started before sriovd was ready"
        cat /run/libvirtd-standin.seen
        for pf in $PF1 $PF2 $PF3 $PF4 $PF5; do
                grep -qx "$pf 2 vfio-pci vfio-pci" /run/libvirtd-standin.seen || die "libvirtd found $pf otherwise"
        done
        for pf in $PF6 $PF7; do
                grep -qx "$pf 4 vfio-pci vfio-pci igbvf igbvf" /run/libvirtd-standin.seen || die "libvirtd found $pf otherwise"
        done
        # udev renames the NICs' eth0 after sriovd may have started: a NIC is evaluated once, after
        # udev is done with it, and so matches Interface=en*
        journalctl -b -u sriovd --no-pager -o cat | grep -E "found|waiting for udev|udev has not|ready:|$PF6|$PF7" | head -n 20
        for pf in $PF6 $PF7; do
                [ "$(journalctl -b -u sriovd --no-pager -o cat | grep -c "^$pf: applied ")" = 1 ] ||
                        die "$pf was applied $(journalctl -b -u sriovd --no-pager -o cat | grep -c "^$pf: applied ") times at boot"
                if journalctl -b -u sriovd --no-pager -o cat | grep -E "^$pf: (no policy matches|udev has not)"; then
                        die "$pf was evaluated before udev was done with it"
                fi
        done
        [ "$(prop sriovd.service StatusText)" = "7 PFs, 18 VFs" ] || die "STATUS= is '$(prop sriovd.service StatusText)'"
        systemctl status sriovd --no-pager | grep -F 'Status: "7 PFs, 18 VFs"' || die "systemctl status shows no status"
        status '[.pfs[] | .state] | all(. == "applied")' || die "not every PF is applied"
        if journalctl -b -u sriovd --no-pager -o cat | denials; then
                die "sriovd's writes were refused under its sandbox"
        fi
}

# systemctl start returns once READY=1 is sent, which is after the coldplug's writes: a PF put back
# to 0 VFs while sriovd was stopped has its VFs again, on vfio-pci, the moment start returns.
start_ready() {
        systemctl stop sriovd
        echo 0 >"$(dev $PF1)/sriov_numvfs"
        [ "$(attr $PF1 sriov_numvfs)" = 0 ] || die "PF1 kept its VFs"
        systemctl start sriovd
        [ "$(attr $PF1 sriov_numvfs)" = 2 ] || die "start returned with $(attr $PF1 sriov_numvfs) VFs on PF1"
        [ "$(vf_drivers $PF1)" = "vfio-pci vfio-pci" ] || die "start returned with PF1's VFs on: $(vf_drivers $PF1)"
        is active systemctl is-active sriovd || die "sriovd is $(systemctl is-active sriovd)"
        # the varlink socket, made under the sandbox in the unit's RuntimeDirectory=
        [ -S /run/sriovd/io.sriovd ] || die "sriovd made no varlink socket: $(journalctl -u sriovd -b --no-pager | grep -F varlink)"
}

# systemctl reload with a changed policy applies it; the kernel saw sriovd's writes (which shows
# that the tracer the watchdog scenario trusts sees them); with a broken policy the reload fails,
# the journal names file:line, and the policies in force stay.
reload() {
        local mark line writes
        mark=$(cursor)
        trace_start
        sed -i 's/^NumVFs=2$/NumVFs=3/' $nvme_policy
        systemctl reload sriovd || die "systemctl reload failed"
        for pf in $PF1 $PF2 $PF3 $PF4 $PF5; do
                wait_for 60 is 3 attr $pf sriov_numvfs || die "$pf has $(attr $pf sriov_numvfs) VFs, not 3"
                wait_for 20 is "vfio-pci vfio-pci vfio-pci" vf_drivers $pf || die "$pf's VFs are on: $(vf_drivers $pf)"
        done
        wait_for 20 status '[.pfs[] | .state] | all(. == "applied")' || die "not every PF is applied"
        trace_stop
        writes=$(trace_writes | wc -l)
        echo "the kernel saw $writes writes by sriovd"
        [ "$writes" -ge 10 ] || { head -n 30 $tracing/trace; die "the tracer saw $writes writes by sriovd for five count changes"; }
        journal_since "$mark" | grep -F "applied $nvme_policy" || die "no apply line in the journal"

        mark=$(cursor)
        echo "NumVFs=many" >>$nvme_policy
        line=$(wc -l <$nvme_policy)
        if systemctl reload sriovd; then
                die "systemctl reload succeeded with a broken policy"
        fi
        journal_since "$mark" | grep -F "$nvme_policy:$line" || die "the journal does not name $nvme_policy:$line"
        sed -i '$d' $nvme_policy
        status "[.pfs[] | select(.address == \"$PF1\") | .desired_num_vfs] == [3]" || die "the policy in force was dropped"
        systemctl reload sriovd || die "systemctl reload failed once the policy was mended"
        is active systemctl is-active sriovd || die "sriovd is $(systemctl is-active sriovd)"
}

# The journal carries sriovd's fields: the PF's address, the policy file, a MESSAGE_ID.
journal_fields() {
        journalctl -b -u sriovd -o json --no-pager |
                jq -e -s "[.[] | select(.SRIOV_PF == \"$PF1\" and .SRIOV_POLICY == \"$nvme_policy\" and (.MESSAGE_ID | length) == 32)] | length > 0" ||
                die "no journal entry with SRIOV_PF=$PF1, SRIOV_POLICY=$nvme_policy and a MESSAGE_ID"
        journalctl -b -u sriovd -o json --no-pager | jq -r 'select(.SRIOV_PF != null) | "\(.SRIOV_PF) \(.SRIOV_POLICY) \(.MESSAGE_ID) \(.MESSAGE)"' | tail -n 3
        journalctl -b -u sriovd --no-pager | grep -E "sriovd\[[0-9]+\]: $PF6: applied /etc/sriovd.d/50-nic.conf" ||
                die "journalctl -u sriovd shows no apply line for $PF6"
}

restarted_since() { [ "$(prop sriovd.service NRestarts)" -gt "$1" ]; }
# A daemon that stops answering (SIGSTOP) is killed and restarted by systemd after WatchdogSec; the
# new one finds everything applied and writes nothing, as the kernel's trace shows.
watchdog() {
        local pid restarts stopped took new last_ping fired waited
        pid=$(prop sriovd.service MainPID)
        restarts=$(prop sriovd.service NRestarts)
        [ "$(prop sriovd.service WatchdogUSec)" = 30s ] || die "WatchdogSec is $(prop sriovd.service WatchdogUSec)"
        trace_start
        kill -STOP "$pid"
        stopped=$(date +%s)
        # the daemon pings at a half to three quarters of WatchdogSec: the limit runs from its last ping
        last_ping=$(prop sriovd.service WatchdogTimestampMonotonic)
        wait_for 90 restarted_since "$restarts" || die "no restart within 90 s"
        wait_for 60 is active systemctl is-active sriovd || die "sriovd is $(systemctl is-active sriovd) after the restart"
        took=$(($(date +%s) - stopped))
        new=$(prop sriovd.service MainPID)
        echo "restarted after ${took}s: pid $pid -> $new, NRestarts $(prop sriovd.service NRestarts)"
        [ "$new" != "$pid" ] && [ ! -e "/proc/$pid" ] || die "the stopped sriovd ($pid) is still there"
        journalctl -b -u sriovd --no-pager | grep -i "watchdog timeout" || die "systemd logged no watchdog timeout"
        fired=$(journalctl -b -u sriovd -o json --no-pager |
                jq -r 'select(.MESSAGE | test("Watchdog timeout")) | .__MONOTONIC_TIMESTAMP' | tail -n 1)
        waited=$(( (fired - last_ping) / 1000 ))
        echo "figure: the watchdog fired ${waited} ms after the last ping"
        [ "$waited" -ge 29500 ] && [ "$waited" -le 40000 ] || die "the watchdog fired ${waited} ms after the last ping, not after WatchdogSec"
        sleep 2
        trace_stop
        if [ -n "$(trace_writes)" ]; then
                trace_writes | head -n 20
                die "the restarted sriovd wrote $(trace_writes | wc -l) times"
        fi
        status '[.pfs[] | .state] | all(. == "applied")' || die "not every PF is applied after the restart"
}

# systemd-analyze rates the running unit as it rates the file: the sandbox it reports is the one
# sriovd runs in. Nothing in the kernel log was denied or killed by seccomp.
security() {
        local online offline
        online=$(systemd-analyze security --no-pager sriovd.service | sed -n 's/.*Overall exposure level for sriovd.service: \([0-9.]*\).*/\1/p')
        offline=$(systemd-analyze security --no-pager --offline=true /usr/lib/systemd/system/sriovd.service |
                sed -n 's/.*Overall exposure level for sriovd.service: \([0-9.]*\).*/\1/p')
        echo "exposure: $online online, $offline offline"
        [ -n "$online" ] && [ "$online" = "$offline" ] || die "online $online, offline $offline"
        if journalctl -k -b --no-pager | grep -E "type=1326|seccomp|apparmor=\"DENIED\""; then
                die "the kernel logged a denial"
        fi
}

# A user without privileges reads the state on the system bus, and is refused Apply and Reload by
# the shipped bus policy.
unprivileged() {
        local out
        runuser -u tenant -- sriovctl status >$work/status.out 2>&1 || die "tenant cannot read the status: $(cat $work/status.out)"
        grep -F "$PF1" $work/status.out || die "tenant's status shows no $PF1"
        runuser -u tenant -- busctl call org.sriovd1 /org/sriovd1 org.sriovd1.Manager ListPhysicalFunctions ||
                die "tenant cannot list the PFs over the bus"
        for verb in "apply $PF1" reload; do
                # shellcheck disable=SC2086  # the verb and its argument
                if out=$(runuser -u tenant -- sriovctl $verb 2>&1); then
                        die "tenant's sriovctl $verb succeeded: $out"
                fi
                echo "sriovctl $verb as tenant: $out"
                echo "$out" | grep -qi "denied\|privilege\|permission" || die "sriovctl $verb was refused, but not for privilege: $out"
        done
        for call in "Apply s $PF1" Reload; do
                # shellcheck disable=SC2086
                if out=$(runuser -u tenant -- busctl call org.sriovd1 /org/sriovd1 org.sriovd1.Manager $call 2>&1); then
                        die "tenant's $call succeeded: $out"
                fi
                echo "busctl $call as tenant: $out"
                echo "$out" | grep -q "Access denied" || die "$call was refused, but not by the bus: $out"
        done
}

writer_of() { pgrep -f "^sriovd-write $(dev "$1")/sriov_numvfs" || true; }
# Every task in D state, with its kernel stack.
blocked_tasks() {
        local t
        for t in /proc/[0-9]*/task/[0-9]*; do
                [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "$t/status" 2>/dev/null)" = D ] || continue
                echo "D: ${t#/proc/} $(cat "$t/comm" 2>/dev/null)"
                sed 's/^/    /' "$t/stack" 2>/dev/null | head -n 12
        done
}
has_writer() { [ -n "$(writer_of "$1")" ]; }
task_state() { sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
# A VM holds a VF through its vfio device fd alone (group and container closed, so no /dev/vfio
# node is open and sriovd's guard cannot see it). A count change for its PF then waits in the
# kernel, in vfio_unregister_group_dev, until the VM lets go: uninterruptibly once signalled.
# systemctl stop still returns within StopTimeoutSec: the write is in sriovd's writer process,
# which sriovd leaves behind, naming the write. Once the VM lets go, the writer finishes the store
# and exits, and the next start converges. Last: journald stops reading the kernel log first,
# since vfio's notice about the VF makes journald read the VF's uevent file, whose device lock
# the removal holds, and every logger on the guest would then block behind journald.
stop_hung() {
        local vf holder writer t0 took state
        mkdir -p /run/systemd/journald.conf.d
        printf '[Journal]\nReadKMsg=no\n' >/run/systemd/journald.conf.d/sriovd-vmtest.conf
        systemctl restart systemd-journald
        vf=$(vfs "$PF1" | head -n 1)
        [ "$(driver "$vf")" = vfio-pci ] || die "$vf is on $(driver "$vf"), not vfio-pci"
        "$here/vfio-hold" --device-only "$vf" >$work/holder.out 2>&1 &
        holder=$!
        wait_for 10 grep -q holding $work/holder.out || die "vfio-hold: $(cat $work/holder.out)"
        sed -i 's/^NumVFs=3$/NumVFs=2/' $nvme_policy
        systemctl reload sriovd || die "systemctl reload failed"
        wait_for 30 has_writer "$PF1" || die "no writer for $PF1's count"
        writer=$(writer_of "$PF1")
        sleep 2
        state=$(task_state "$writer")
        echo "writer $writer ($(tr '\0' ' ' <"/proc/$writer/cmdline")) is in state $state"
        blocked_tasks
        # sriov_numvfs itself is not read here: reading it takes the device lock the removal holds

        t0=$(date +%s%N)
        systemctl stop sriovd
        took=$(( ($(date +%s%N) - t0) / 1000000 ))
        echo "figure: systemctl stop took $took ms with the count write in the kernel"
        [ "$took" -le 15000 ] || die "systemctl stop took $took ms, StopTimeoutSec is 10 s"
        [ "$(systemctl is-active sriovd)" = inactive ] || die "sriovd is $(systemctl is-active sriovd) after the stop"
        journalctl -b -u sriovd --no-pager -o cat | grep -F "$PF1: exiting with a write still in the kernel: set $PF1 sriov_numvfs=0" ||
                die "the exit does not name the write left behind"
        [ -d "/proc/$writer" ] || die "the writer is gone before the VM let go"
        echo "figure: after the stop the writer is in state $(task_state "$writer") ($(head -n 1 "/proc/$writer/stack" 2>/dev/null))"

        kill "$holder"
        wait "$holder" 2>/dev/null || true
        wait_for 60 test ! -d "/proc/$writer" || die "the writer did not finish once the VF was released"
        [ "$(attr "$PF1" sriov_numvfs)" = 0 ] || die "$PF1 has $(attr "$PF1" sriov_numvfs) VFs after the writer's store"

        systemctl start sriovd
        [ "$(attr "$PF1" sriov_numvfs)" = 2 ] || die "the start left $PF1 with $(attr "$PF1" sriov_numvfs) VFs"
        [ "$(vf_drivers "$PF1")" = "vfio-pci vfio-pci" ] || die "$PF1's VFs are on: $(vf_drivers "$PF1")"
        wait_for 20 status '[.pfs[] | .state] | all(. == "applied")' || die "not every PF is applied after the start"
}

scenario "enabled at boot: after udevd, ready before network-pre.target and libvirtd, which finds every VF on its driver" boot
scenario "systemctl start returns once the coldplug has applied the policies" start_ready
scenario "systemctl reload applies a changed policy; with a broken one it fails, naming file:line" reload
scenario "the journal carries the PF, the policy file and a MESSAGE_ID" journal_fields
scenario "a daemon stopped with SIGSTOP is restarted after WatchdogSec, and the restart writes nothing" watchdog
scenario "systemd-analyze security online matches offline; no denial in the kernel log" security
scenario "an unprivileged user reads the status and is refused Apply and Reload on the system bus" unprivileged
scenario "systemctl stop returns within StopTimeoutSec while the kernel holds a count write for a VM" stop_hung

echo "@@ DONE t=$(uptime_s)s"
