# Runs on the simulated host (under sriov-testbed): a private bus, sriovd, then N timed runs of a
# sriovctl command. Prints "median_ms p90_ms max_ms" and the size of one answer.
# shellcheck shell=bash
set -eu
sriovd=$1
sriovctl=$2
runs=$3
shift 3

dir=$(mktemp -d)
trap 'kill $daemon $bus 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$dir/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy></busconfig>
CONF
LD_PRELOAD= dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile & bus=$!
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus
until [ -S "$dir/bus" ]; do sleep 0.05; done

mkdir "$dir/policies"
printf '[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=max\nDriversAutoprobe=no\n' >"$dir/policies/50-nic.conf"
"$sriovd" --config-path="$dir/policies" --config=/dev/null 2>"$dir/log" & daemon=$!
until grep -q "ready:" "$dir/log"; do
        kill -0 $daemon || { cat "$dir/log" >&2; exit 1; }
        sleep 0.1
done

# The client runs as an operator runs it: outside the testbed.
LD_PRELOAD= "$sriovctl" "$@" >"$dir/out"
bytes=$(wc -c <"$dir/out")
times=()
for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        LD_PRELOAD= "$sriovctl" "$@" >/dev/null
        times+=($(( ($(date +%s%N) - start) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$((runs / 2))]}
p90=${sorted[$((runs * 9 / 10))]}
max=${sorted[$((runs - 1))]}
printf '%d.%03d %d.%03d %d.%03d %d\n' $((median / 1000)) $((median % 1000)) $((p90 / 1000)) $((p90 % 1000)) \
        $((max / 1000)) $((max % 1000)) "$bytes"
