#!/bin/bash
# sriovctl check validates the policy files: every problem with file:line, exit 1 on errors.
# shellcheck source=tests/programs/lib.sh
. "$(dirname "$0")/lib.sh"
sriovctl=$1
examples=$2

# The example policies that ship are clean, even by --strict.
run 0 "$sriovctl" --config-path="$examples" --strict check
expect_line "4 policy files: 4 valid, 0 rejected, 0 masked (0 errors, 0 warnings)."

root=$tmp/root
write "$root/etc/sriovd.d/50-e810.conf" <<'CONF'
[Match]
Driver=ice
[PhysicalFunction]
NumVFs=eight
DriversAutoprobe=sometimes
VFDriver=vfio-pci
CONF
write "$root/usr/lib/sriovd.d/60-nvme.conf" <<'CONF'
[Match]
Vendor=0x1b36
[PhysicalFunction]
NumVF=4
[VirtualFunction]
MSIXVectors=16
CONF
write "$root/usr/lib/sriovd.d/70-good.conf" <<'CONF'
[Match]
PCIAddress=0000:af:00.*
[PhysicalFunction]
NumVFs=max
CONF
write "$root/usr/lib/sriovd.d/80-masked.conf" <<'CONF'
[Match]
PCIAddress=*
CONF
ln -s /dev/null "$root/etc/sriovd.d/80-masked.conf"

# Every error of every file, with its file and line, and exit 1.
run 1 "$sriovctl" --root="$root" check
expect_line "$root/etc/sriovd.d/50-e810.conf:4: error: NumVFs=: \"eight\" is not a number or \"max\""
expect_line "$root/etc/sriovd.d/50-e810.conf:5: error: DriversAutoprobe=: \"sometimes\" is not a boolean (yes/no, true/false, on/off, 1/0)"
expect_line "$root/usr/lib/sriovd.d/60-nvme.conf:4: warning: unknown key NumVF= in [PhysicalFunction] (did you mean NumVFs=?), ignoring it"
expect_line "$root/usr/lib/sriovd.d/60-nvme.conf:5: error: [VirtualFunction] has no Index=; say which VFs it configures (like Index=0-3)"
expect_line "4 policy files: 1 valid, 2 rejected, 1 masked (3 errors, 1 warning)."

# JSON says the same.
run 1 "$sriovctl" --root="$root" check --json=short
expect_json 'j["errors"] == 3 and j["warnings"] == 1'
expect_json '[f["status"] for f in j["files"]] == ["rejected", "rejected", "valid", "masked"]'
expect_json 'j["diagnostics"][0]["line"] == 4 and j["diagnostics"][0]["level"] == "error"'

# Good files: exit 0. A warning fails only with --strict.
rm "$root/etc/sriovd.d/50-e810.conf"
write "$root/usr/lib/sriovd.d/60-nvme.conf" <<'CONF'
[Match]
Vendor=0x1b36
[PhysicalFunction]
NumVFs=4
Flavour=vanilla
CONF
run 0 "$sriovctl" --root="$root" check
expect_line "3 policy files: 2 valid, 0 rejected, 1 masked (0 errors, 1 warning)."
run 1 "$sriovctl" --root="$root" --strict check
run 0 "$sriovctl" --root="$root" --no-legend check
expect_not_in "policy files:"

# Files named on the command line are checked on their own.
write "$tmp/new.conf" <<'CONF'
[Match]
PCIAddress=0000:3b:00.0
[VirtualFunction]
Index=0-1
MACAddress=02:00:00:00:00:01
CONF
run 1 "$sriovctl" check "$tmp/new.conf" "$root/usr/lib/sriovd.d/70-good.conf"
expect_line "$tmp/new.conf:3: error: [VirtualFunction] sets MACAddress= for 2 VFs; a MAC address can be given to one VF only"
expect_line "2 files checked: 1 valid, 1 rejected (1 error, 0 warnings)."
run 1 "$sriovctl" check "$tmp/does-not-exist.conf"
expect_in "$tmp/does-not-exist.conf: error: cannot read the file: No such file or directory"

# The search path comes from SRIOVD_CONFIG_PATH, or --config-path.
write "$tmp/alt/10-x.conf" <<'CONF'
[Match]
Driver=
CONF
run 1 env SRIOVD_CONFIG_PATH="$tmp/alt" "$sriovctl" check
expect_in "$tmp/alt/10-x.conf:1: error: [Match] has no conditions"
run 1 "$sriovctl" --config-path="$tmp/alt" check
expect_in "1 policy file: 0 valid, 1 rejected"

# An empty search path is not an error.
run 0 "$sriovctl" --config-path="$tmp/empty" check
expect_line "No policy files found; sriovd leaves every PF alone."

# Usage errors exit 2.
run 2 "$sriovctl" frobnicate
run 2 "$sriovctl" --json=yaml check
run 2 "$sriovctl"
run 2 "$sriovctl" plan not-an-address
run 0 "$sriovctl" --version
expect_in "sriovctl "

finish
