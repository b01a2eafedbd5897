# Runs on a simulated host (under sriov-testbed) whose PFs have no VFs yet: takes every PF to VFS VFs
# on vfio-pci, either with sriovd (start to the last PF applied) or with apply-floor (the same writes,
# one after the other, no daemon). Prints "apply_us N" and "writes N", and checks the result.
# shellcheck shell=bash
set -eu
builddir=$1
mode=$2
vfs=$3
shift 3
pfs=("$@")
dir=$(mktemp -d)
daemon=''
trap '[ -z "$daemon" ] || kill $daemon 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
now_us() { echo $(($(date +%s%N) / 1000)); }

case $mode in
floor)
        start=$(now_us)
        "$builddir/tests/bench/apply-floor" "$vfs" vfio-pci "${pfs[@]}" >"$dir/out"
        echo "apply_us $(($(now_us) - start))"
        echo "writes $(awk '{ print $1 }' "$dir/out")"
        ;;
daemon)
        mkdir "$dir/policies"
        printf '[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=%s\nDriversAutoprobe=no\nVFDriver=vfio-pci\n' "$vfs" \
                >"$dir/policies/50-nic.conf"
        start=$(now_us)
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent "$builddir/daemon/sriovd" --config-path="$dir/policies" \
                --config=/dev/null 2>"$dir/log" & daemon=$!
        until [ "$(grep -c ': applied ' "$dir/log")" -ge ${#pfs[@]} ]; do
                kill -0 $daemon 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
                if grep -q ': failed: \|: refused: ' "$dir/log"; then cat "$dir/log" >&2; exit 1; fi
                sleep 0.005
        done
        echo "apply_us $(($(now_us) - start))"
        echo "writes $(sed -n 's/.*: applied .*(\([0-9]*\) writes.*/\1/p' "$dir/log" | awk '{ n += $1 } END { print n }')"
        ;;
esac
# what the kernel has now: every VF there and on vfio-pci
bound=$(find /sys/bus/pci/drivers/vfio-pci -maxdepth 1 -name '0000:*' | wc -l)
if [ "$bound" -ne $((${#pfs[@]} * vfs)) ]; then
        echo "apply ($mode): $bound VFs on vfio-pci, not $((${#pfs[@]} * vfs))" >&2
        exit 1
fi
