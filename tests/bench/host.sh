# Runs on the simulated host (under sriov-testbed): the floor, then sriovd from start to READY, its
# memory, its system calls while idle, and timed `sriovctl status --json`. Prints "name value" lines.
# shellcheck shell=bash
set -eu
builddir=$1
runs=$2
idle_seconds=$3
sriovd=$builddir/daemon/sriovd
sriovctl=$builddir/daemon/sriovctl

dir=$(mktemp -d)
daemon='' bus=''
trap 'kill $daemon $bus 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
now_us() { echo $(($(date +%s%N) / 1000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# the floor: the same reads, once, by a program that does nothing else (best of 3)
for _ in 1 2 3; do
        start=$(now_us)
        "$builddir/tests/bench/sysfs-floor" >"$dir/floor"
        echo $(($(now_us) - start))
done | sort -n | head -n 1 | sed 's/^/floor_us /'
echo "floor_vfs $(awk '{ print $3 }' "$dir/floor")"

cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$dir/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy></busconfig>
CONF
LD_PRELOAD='' dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile & bus=$!
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus
until [ -S "$dir/bus" ]; do sleep 0.01; done

# every PF already as its policy says: coldplug reads and writes nothing
mkdir "$dir/policies"
printf '[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=max\nDriversAutoprobe=no\n' >"$dir/policies/50-nic.conf"
start=$(now_us)
"$sriovd" --config-path="$dir/policies" --config=/dev/null 2>"$dir/log" & daemon=$!
until grep -q "ready:" "$dir/log"; do
        kill -0 $daemon 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
        sleep 0.005
done
echo "coldplug_us $(($(now_us) - start))"
grep -q " writes" "$dir/log" && { echo "sriovd wrote at coldplug:" >&2; grep " writes" "$dir/log" >&2; exit 1; }
sleep 1
echo "rss_kib $(awk '/^VmRSS:/ { print $2 }' /proc/$daemon/status)"

# idle: the context switches of every thread (each wakeup is one), read from /proc without
# disturbing it; then every system call, counted by strace, whose attaching interrupts the
# threads' blocking calls once (each comes back as restart_syscall, which is not counted)
switches() { cat /proc/$daemon/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'; }
before=$(switches)
sleep "$idle_seconds"
echo "idle_wakeups $(($(switches) - before))"
LD_PRELOAD='' timeout -s INT "$idle_seconds" strace -f -c -o "$dir/strace" -p $daemon 2>/dev/null || true
calls=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && $NF != "restart_syscall" { n += $4 } END { print n + 0 }' "$dir/strace")
echo "idle_syscalls $calls"

# clients run as an operator runs them: outside the testbed
LD_PRELOAD='' "$sriovctl" status --json=short >"$dir/out"
echo "status_bytes $(wc -c <"$dir/out")"
for ((i = 0; i < runs; i++)); do
        start=$(now_us)
        LD_PRELOAD='' "$sriovctl" status --json=short >/dev/null
        echo $(($(now_us) - start))
done | median | sed 's/^/status_us /'
