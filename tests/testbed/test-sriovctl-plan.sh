#!/bin/bash
# sriovctl plan on simulated hardware: per PF the policy, the shadowed ones, and the actions or why not.
# shellcheck source=tests/programs/lib.sh
. "$(dirname "$0")/../programs/lib.sh"
testbed=$1
sriovctl=$2
examples=$3
hw=$(dirname "$0")/plan.hw

[ "$(id -u)" -eq 0 ] || { echo "the fake kernel needs root; skipping"; exit 77; }

policies=$tmp/policies
mkdir -p "$policies"
cp "$examples"/*.conf "$policies/"
write "$policies/90-catch-all.conf" <<'CONF'
# every NVMe controller: shadowed by 60-nvme.conf and 80-driverless.conf for QEMU's
[Match]
Driver=none nvme pci-pf-stub
[PhysicalFunction]
NumVFs=1
CONF

plan() {
        run "$1" "$testbed" --hw "$hw" --writes "$tmp/writes" -- "$sriovctl" --config-path="$policies" plan "${@:2}"
}

# Human output, one block per PF.
plan 0
expect_line "0000:3b:00.0  8086:1592  driver ice  VFs 8/8  ens1f0"
expect_line "  policy:   $policies/50-nic.conf"
expect_line "  plan:     apply (8 -> 4 VFs, enabled by the PF driver)"
expect_line "     1. set 0000:3b:00.0 sriov_drivers_autoprobe=0"
expect_line "     2. set 0000:3b:00.0 sriov_numvfs=0"
expect_line "     4. set 0000:3b:00.0 sriov_numvfs=4"
expect_line "     6. set 0000:3b:01.0 sriov_vf_msix_count=16"
expect_line "     7. set 0000:3b:01.0 driver_override=vfio-pci"
expect_line "0000:5e:00.0  1b36:0010  no driver  VFs 0/4"
expect_line "  shadowed: $policies/90-catch-all.conf"
expect_line "  plan:     apply (0 -> 2 VFs, enabled by pci-pf-stub)"
expect_line "     1. set 0000:5e:00.0 driver_override=pci-pf-stub"
expect_line "  plan:     apply (0 -> 2 VFs, enabled by the kernel's unmanaged SR-IOV path)"
expect_line "     1. set 0000:86:00.0 sriov_unmanaged_autoprobe=0"
expect_line "0000:af:00.0  10de:2236  driver vfio-pci  VFs 4/16"
expect_line "  plan:     pending: the PF is owned by vfio-pci"
expect_line "0000:d8:00.0  15b3:101d  driver mlx5_core  VFs 0/16  enp216s0f0np0"
expect_line "  policy:   none (sriovd leaves this PF alone)"
# plan is offline and read-only: the kernel saw no write at all
[ ! -s "$tmp/writes" ] || fail "sriovctl plan wrote to sysfs: $(cat "$tmp/writes")"

# The same in JSON.
plan 0 --json=short
expect_json '[p["address"] for p in j["pfs"]] == ["0000:3b:00.0", "0000:5e:00.0", "0000:86:00.0", "0000:af:00.0", "0000:d8:00.0"]'
expect_json '[p["state"] for p in j["pfs"]] == ["apply", "apply", "apply", "pending", "unmanaged"]'
expect_json '[p.get("enable_path") for p in j["pfs"][:3]] == ["driver", "pf-stub", "kernel"]'
expect_json 'j["pfs"][0]["actions"][1] == {"action": "set-num-vfs", "device": "0000:3b:00.0", "path": "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs", "value": "0", "description": "set 0000:3b:00.0 sriov_numvfs=0"}'
expect_json 'j["pfs"][1]["shadowed"] == ["'"$policies"'/90-catch-all.conf"]'
expect_json 'j["pfs"][3]["actions"] == [] and j["pfs"][3]["desired_num_vfs"] == 8 and "vfio-pci" in j["pfs"][3]["reason"]'
expect_json 'j["pfs"][4]["policy"] is None'

# One PF by address; a PF that is not there is an error.
plan 0 --json=short 0000:86:00.0
expect_json 'len(j["pfs"]) == 1 and j["pfs"][0]["enable_path"] == "kernel"'
plan 1 0000:42:00.0
expect_in "0000:42:00.0  cannot be read: No such device"

# Without pci-pf-stub the driverless PF is refused with what is missing.
run 0 "$testbed" --line "pf 0000:5e:00.0 vendor=1b36 device=0010 totalvfs=4" -- "$sriovctl" --config-path="$policies" plan
expect_line "  plan:     refused: Unmanaged=pf-stub, but pci-pf-stub is not loaded (modprobe pci-pf-stub)"

# A policy file with errors is skipped with a warning, as sriovd would do.
write "$policies/55-broken.conf" <<'CONF'
[Match]
PCIAddress=*
[PhysicalFunction]
NumVFs=many
CONF
plan 0 0000:d8:00.0
expect_in "$policies/55-broken.conf has errors and is ignored"
expect_line "  policy:   none (sriovd leaves this PF alone)"

finish
