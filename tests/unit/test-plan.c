/* The planner, table driven: each case is hardware, a policy and what the kernel offers -> the plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sriovd/plan.h"
#include "snapshot-builder.h"

#define ALL_DRIVERS "ice iavf vfio-pci pci-pf-stub nvme"

typedef struct PlanCase {
        const char *name;
        const char *hardware;
        const char *policy;
        const char *caps;               /* NULL: ALL_DRIVERS */
        PlanFlags flags;
        PlanState state;
        const char *actions[40];        /* expected, in order; NULL ends the list */
        const char *reason;             /* a phrase the reason must contain */
        const char *note;               /* a phrase one note must contain */
        EnablePath path;                /* checked when state is APPLY and the count changes */
} PlanCase;

#define PF "pf 0000:3b:00.0 driver=ice total=8 "

static const PlanCase cases[] = {
        {
                .name = "nothing when the state already matches",
                .hardware = PF "num=8 autoprobe=0",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\nDriversAutoprobe=no\n",
                .state = PLAN_IN_SYNC,
        },
        {
                .name = "enabling 0 -> 4 sets autoprobe before the VFs exist",
                .hardware = PF "num=0 autoprobe=1",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=4\nDriversAutoprobe=no\n",
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_DRIVER,
                .actions = {
                        "set 0000:3b:00.0 sriov_drivers_autoprobe=0",
                        "set 0000:3b:00.0 sriov_numvfs=4",
                        "wait until 0000:3b:00.0 has 4 VFs",
                },
        },
        {
                .name = "lowering 8 -> 4 goes through 0",
                .hardware = PF "num=8",
                .policy = "[Match]\nPCIAddress=0000:3b:00.*\n[PhysicalFunction]\nNumVFs=4\n",
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_DRIVER,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=0",
                        "wait until 0000:3b:00.0 has 0 VFs",
                        "set 0000:3b:00.0 sriov_numvfs=4",
                        "wait until 0000:3b:00.0 has 4 VFs",
                },
        },
        {
                .name = "raising 2 -> 8 goes through 0",
                .hardware = PF "num=2",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=0",
                        "wait until 0000:3b:00.0 has 0 VFs",
                        "set 0000:3b:00.0 sriov_numvfs=8",
                        "wait until 0000:3b:00.0 has 8 VFs",
                },
        },
        {
                .name = "NumVFs=0 disables the VFs",
                .hardware = PF "num=8",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=0\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=0",
                        "wait until 0000:3b:00.0 has 0 VFs",
                },
        },
        {
                .name = "a count above sriov_totalvfs is refused with the reason",
                .hardware = PF "num=0",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=16\n",
                .state = PLAN_REFUSED,
                .reason = "NumVFs=16 is more than the 8 VFs this PF supports (sriov_totalvfs)",
        },
        {
                .name = "NumVFs=max takes sriov_totalvfs",
                .hardware = "pf 0000:3b:00.0 driver=ice total=64 num=0",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=max\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=64",
                        "wait until 0000:3b:00.0 has 64 VFs",
                },
        },
        {
                .name = "an autoprobe change alone does not recreate the VFs",
                .hardware = PF "num=4 autoprobe=1",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=4\nDriversAutoprobe=no\n",
                .state = PLAN_APPLY,
                .actions = { "set 0000:3b:00.0 sriov_drivers_autoprobe=0" },
        },
        {
                .name = "without NumVFs the count is left alone",
                .hardware = PF "num=3",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nDriversAutoprobe=yes\n",
                .state = PLAN_IN_SYNC,
        },
        {
                .name = "VFDriver=vfio-pci holds autoprobe off while VFs are created, binds each, restores autoprobe",
                .hardware = PF "num=0 autoprobe=1",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nVFDriver=vfio-pci\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_drivers_autoprobe=0",
                        "set 0000:3b:00.0 sriov_numvfs=2",
                        "wait until 0000:3b:00.0 has 2 VFs",
                        "set 0000:3b:01.0 driver_override=vfio-pci",
                        "probe 0000:3b:01.0",
                        "check 0000:3b:01.0 is bound to vfio-pci",
                        "set 0000:3b:01.1 driver_override=vfio-pci",
                        "probe 0000:3b:01.1",
                        "check 0000:3b:01.1 is bound to vfio-pci",
                        "set 0000:3b:00.0 sriov_drivers_autoprobe=1",
                },
        },
        {
                .name = "VFDriver with DriversAutoprobe=no leaves autoprobe off",
                .hardware = PF "num=0 autoprobe=1",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=1\nVFDriver=vfio-pci\nDriversAutoprobe=no\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_drivers_autoprobe=0",
                        "set 0000:3b:00.0 sriov_numvfs=1",
                        "wait until 0000:3b:00.0 has 1 VF",
                        "set 0000:3b:01.0 driver_override=vfio-pci",
                        "probe 0000:3b:01.0",
                        "check 0000:3b:01.0 is bound to vfio-pci",
                },
        },
        {
                .name = "VFs bound to iavf are unbound and rebound to the policy's driver",
                .hardware = PF "num=2; vf 0 driver=iavf; vf 1 driver=iavf",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nVFDriver=vfio-pci\n",
                .state = PLAN_APPLY,
                .actions = {
                        "unbind 0000:3b:01.0 from iavf",
                        "set 0000:3b:01.0 driver_override=vfio-pci",
                        "probe 0000:3b:01.0",
                        "check 0000:3b:01.0 is bound to vfio-pci",
                        "unbind 0000:3b:01.1 from iavf",
                        "set 0000:3b:01.1 driver_override=vfio-pci",
                        "probe 0000:3b:01.1",
                        "check 0000:3b:01.1 is bound to vfio-pci",
                },
        },
        {
                .name = "[VirtualFunction] Driver= overrides VFDriver= for its indexes",
                .hardware = PF "num=3; vf 0 driver=iavf; vf 1 driver=iavf; vf 2 driver=iavf",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nVFDriver=iavf\n[VirtualFunction]\nIndex=1\nDriver=vfio-pci\n",
                .state = PLAN_APPLY,
                .actions = {
                        "unbind 0000:3b:01.1 from iavf",
                        "set 0000:3b:01.1 driver_override=vfio-pci",
                        "probe 0000:3b:01.1",
                        "check 0000:3b:01.1 is bound to vfio-pci",
                },
        },
        {
                .name = "VFs already on their driver need nothing",
                .hardware = PF "num=2; vf 0 driver=vfio-pci override=vfio-pci; vf 1 driver=vfio-pci override=vfio-pci",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nVFDriver=vfio-pci\n",
                .state = PLAN_IN_SYNC,
        },
        {
                .name = "MSI-X is set while the VF is unbound, before its driver binds",
                .hardware = "pf 0000:3b:00.0 driver=ice total=8 num=1 msix=64; vf 0 driver=iavf msix=8",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nVFDriver=iavf\n[VirtualFunction]\nIndex=0\nMSIXVectors=16\n",
                .state = PLAN_APPLY,
                .actions = {
                        "unbind 0000:3b:01.0 from iavf",
                        "set 0000:3b:01.0 sriov_vf_msix_count=16",
                        "set 0000:3b:01.0 driver_override=iavf",
                        "probe 0000:3b:01.0",
                        "check 0000:3b:01.0 is bound to iavf",
                },
        },
        {
                /* the kernel probes a VF only while autoprobe is on or it has a driver_override */
                .name = "a new VF with only an MSI-X count is probed after autoprobe is back on",
                .hardware = "pf 0000:3b:00.0 driver=ice total=8 num=0 msix=64 autoprobe=1",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=1\n[VirtualFunction]\nIndex=0\nMSIXVectors=8\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_drivers_autoprobe=0",
                        "set 0000:3b:00.0 sriov_numvfs=1",
                        "wait until 0000:3b:00.0 has 1 VF",
                        "set 0000:3b:01.0 sriov_vf_msix_count=8",
                        "set 0000:3b:00.0 sriov_drivers_autoprobe=1",
                        "probe 0000:3b:01.0",
                },
        },
        {
                .name = "a new VF with only an MSI-X count stays unbound when autoprobe is off",
                .hardware = "pf 0000:3b:00.0 driver=ice total=8 num=0 msix=64 autoprobe=0",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=1\n[VirtualFunction]\nIndex=0\nMSIXVectors=8\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=1",
                        "wait until 0000:3b:00.0 has 1 VF",
                        "set 0000:3b:01.0 sriov_vf_msix_count=8",
                },
        },
        {
                .name = "MSIXVectors= on a PF without dynamic MSI-X is a note, not a write",
                .hardware = PF "num=1 msix=0",
                .policy = "[Match]\nDriver=ice\n[VirtualFunction]\nIndex=0\nMSIXVectors=16\n",
                .state = PLAN_IN_SYNC,
                .note = "sriov_vf_total_msix is 0",
        },
        {
                .name = "a driverless PF on a kernel with the unmanaged patch uses the kernel's path",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0 unmanaged=1",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=4\nUnmanagedAutoprobe=no\n",
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_KERNEL,
                .actions = {
                        "set 0000:5e:00.0 sriov_unmanaged_autoprobe=0",
                        "set 0000:5e:00.0 sriov_numvfs=4",
                        "wait until 0000:5e:00.0 has 4 VFs",
                },
        },
        {
                .name = "the kernel's path is preferred over pci-pf-stub where it exists",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0 unmanaged=0",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=4\nUnmanaged=pf-stub\n",
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_KERNEL,
                .actions = {
                        "set 0000:5e:00.0 sriov_numvfs=4",
                        "wait until 0000:5e:00.0 has 4 VFs",
                },
        },
        {
                .name = "a driverless PF without the patch is refused, naming what the kernel lacks",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=4\n",
                .state = PLAN_REFUSED,
                .reason = "no sriov_unmanaged_autoprobe",
        },
        {
                .name = "Unmanaged=pf-stub binds the driverless PF to pci-pf-stub first",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=4\nUnmanaged=pf-stub\n",
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_PF_STUB,
                .actions = {
                        "set 0000:5e:00.0 driver_override=pci-pf-stub",
                        "probe 0000:5e:00.0",
                        "check 0000:5e:00.0 is bound to pci-pf-stub",
                        "set 0000:5e:00.0 sriov_numvfs=4",
                        "wait until 0000:5e:00.0 has 4 VFs",
                },
        },
        {
                .name = "Unmanaged=pf-stub without pci-pf-stub loaded is refused",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=4\nUnmanaged=pf-stub\n",
                .caps = "ice iavf vfio-pci",
                .state = PLAN_REFUSED,
                .reason = "pci-pf-stub is not loaded",
        },
        {
                .name = "Unmanaged=vfio-pci with enable_sriov binds the PF to vfio-pci first",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=vfio-pci\n",
                .caps = "vfio-pci enable_sriov",
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_VFIO_PCI,
                .actions = {
                        "set 0000:5e:00.0 driver_override=vfio-pci",
                        "probe 0000:5e:00.0",
                        "check 0000:5e:00.0 is bound to vfio-pci",
                        "set 0000:5e:00.0 sriov_numvfs=2",
                        "wait until 0000:5e:00.0 has 2 VFs",
                },
        },
        {
                .name = "Unmanaged=vfio-pci without enable_sriov is refused",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=vfio-pci\n",
                .caps = "vfio-pci",
                .state = PLAN_REFUSED,
                .reason = "enable_sriov parameter is off",
        },
        {
                .name = "Unmanaged=no refuses a driverless PF",
                .hardware = "pf 0000:5e:00.0 driver=none total=4 num=0 unmanaged=1",
                .policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=no\n",
                .state = PLAN_REFUSED,
                .reason = "Unmanaged=no",
        },
        {
                .name = "a PF driver without sriov_configure takes the kernel's path where it exists",
                .hardware = "pf 0000:3b:00.0 driver=e1000e total=4 num=0 unmanaged=1",
                .policy = "[Match]\nPCIAddress=0000:3b:00.0\n[PhysicalFunction]\nNumVFs=2\n",
                .flags = PLAN_PF_DRIVER_CANNOT_SRIOV,
                .state = PLAN_APPLY,
                .path = ENABLE_PATH_KERNEL,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=2",
                        "wait until 0000:3b:00.0 has 2 VFs",
                },
        },
        {
                .name = "a PF driver without sriov_configure is never unbound for pci-pf-stub",
                .hardware = "pf 0000:3b:00.0 driver=e1000e total=4 num=0",
                .policy = "[Match]\nPCIAddress=0000:3b:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n",
                .flags = PLAN_PF_DRIVER_CANNOT_SRIOV,
                .state = PLAN_REFUSED,
                .reason = "unbind the driver",
        },
        {
                .name = "UnmanagedAutoprobe= on a kernel without the attribute is a note",
                .hardware = PF "num=2",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nUnmanagedAutoprobe=no\n",
                .state = PLAN_IN_SYNC,
                .note = "this kernel has no sriov_unmanaged_autoprobe",
        },
        {
                .name = "a PF owned by vfio-pci is never written",
                .hardware = "pf 0000:af:00.0 driver=vfio-pci total=16 num=4",
                .policy = "[Match]\nPCIAddress=0000:af:00.0\n[PhysicalFunction]\nNumVFs=8\n",
                .state = PLAN_PENDING,
                .reason = "the PF is owned by vfio-pci",
        },
        {
                .name = "a PF owned by vfio-pci refuses even autoprobe writes",
                .hardware = "pf 0000:af:00.0 driver=vfio-pci total=16 num=4 autoprobe=1",
                .policy = "[Match]\nPCIAddress=0000:af:00.0\n[PhysicalFunction]\nDriversAutoprobe=no\n",
                .state = PLAN_PENDING,
                .reason = "owned by vfio-pci",
        },
        {
                .name = "a PF owned by vfio-pci that already matches is in sync",
                .hardware = "pf 0000:af:00.0 driver=vfio-pci total=16 num=4",
                .policy = "[Match]\nPCIAddress=0000:af:00.0\n[PhysicalFunction]\nNumVFs=4\n",
                .state = PLAN_IN_SYNC,
        },
        {
                .name = "a VF held by qemu refuses a resize and names the holder",
                .hardware = PF "num=4; vf 0 driver=vfio-pci override=vfio-pci; vf 1 driver=vfio-pci holder=4242:qemu-system-x86",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\nVFDriver=vfio-pci\n",
                .state = PLAN_PENDING,
                .reason = "VF 1 (0000:3b:01.1) is held open by qemu-system-x86 (pid 4242)",
        },
        {
                .name = "a holder of both the VF's group and device node is named once, other holders too",
                .hardware = PF "num=4; vf 1 driver=vfio-pci holder=4242:qemu-system-x86 holder=4242:qemu-system-x86 holder=77:vfio-test",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\n",
                .state = PLAN_PENDING,
                .reason = "VF 1 (0000:3b:01.1) is held open by qemu-system-x86 (pid 4242), vfio-test (pid 77)",
        },
        {
                .name = "an assigned VF (on vfio-pci without the policy asking) refuses a resize",
                .hardware = PF "num=4; vf 2 driver=vfio-pci",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\n",
                .state = PLAN_PENDING,
                .reason = "VF 2 (0000:3b:01.2) is assigned (bound to vfio-pci)",
        },
        {
                .name = "VFs parked on vfio-pci by the policy and not held do not block a resize",
                .hardware = PF "num=2 autoprobe=0; vf 0 driver=vfio-pci override=vfio-pci; vf 1 driver=vfio-pci override=vfio-pci",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=1\nVFDriver=vfio-pci\nDriversAutoprobe=no\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=0",
                        "wait until 0000:3b:00.0 has 0 VFs",
                        "set 0000:3b:00.0 sriov_numvfs=1",
                        "wait until 0000:3b:00.0 has 1 VF",
                        "set 0000:3b:01.0 driver_override=vfio-pci",
                        "probe 0000:3b:01.0",
                        "check 0000:3b:01.0 is bound to vfio-pci",
                },
        },
        {
                .name = "a held VF blocks its own rebind while the others proceed",
                .hardware = PF "num=2; vf 0 driver=vfio-pci holder=77:qemu-kvm",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nVFDriver=iavf\n",
                .state = PLAN_PENDING,
                .reason = "held open by qemu-kvm (pid 77)",
                .actions = {
                        "set 0000:3b:01.1 driver_override=iavf",
                        "probe 0000:3b:01.1",
                        "check 0000:3b:01.1 is bound to iavf",
                },
        },
        {
                .name = "a VF driver that is not loaded is refused before anything is written",
                .hardware = PF "num=0",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nVFDriver=vfio-pci\n",
                .caps = "ice iavf",
                .state = PLAN_REFUSED,
                .reason = "vfio-pci, but that driver is not loaded",
        },
        {
                .name = "vfio-pci for VFs without an IOMMU is refused",
                .hardware = PF "num=0 group=-1",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nVFDriver=vfio-pci\n",
                .state = PLAN_REFUSED,
                .reason = "no IOMMU group",
        },
        {
                .name = "VF addresses of new VFs follow sriov_offset and sriov_stride across buses",
                .hardware = "pf 0000:3b:00.0 driver=ice total=4 num=0 offset=0xfe stride=2 autoprobe=0",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nVFDriver=iavf\nDriversAutoprobe=no\n",
                .state = PLAN_APPLY,
                .actions = {
                        "set 0000:3b:00.0 sriov_numvfs=2",
                        "wait until 0000:3b:00.0 has 2 VFs",
                        "set 0000:3b:1f.6 driver_override=iavf",
                        "probe 0000:3b:1f.6",
                        "check 0000:3b:1f.6 is bound to iavf",
                        "set 0000:3c:00.0 driver_override=iavf",
                        "probe 0000:3c:00.0",
                        "check 0000:3c:00.0 is bound to iavf",
                },
        },
        {
                .name = "a VF counted by the kernel but without its link is left alone with a note",
                .hardware = PF "num=2; vf 1 missing",
                .policy = "[Match]\nDriver=ice\n[PhysicalFunction]\nVFDriver=iavf\n",
                .state = PLAN_APPLY,
                .note = "VF 1 is counted in sriov_numvfs but has no virtfn1 link",
                .actions = {
                        "set 0000:3b:01.0 driver_override=iavf",
                        "probe 0000:3b:01.0",
                        "check 0000:3b:01.0 is bound to iavf",
                },
        },
};

static Plan *compute(const char *hardware, const char *policy_text, const char *caps_text, PlanFlags flags) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *pf = build_pf(hardware);
        _cleanup_(policy_freep) Policy *policy = build_policy(policy_text);
        KernelCaps caps = build_caps(caps_text ?: ALL_DRIVERS);
        Plan *plan = NULL;

        assert_int_equal(plan_compute(pf, policy, &caps, flags, &plan), 0);
        kernel_caps_clear(&caps);
        return plan;
}

static void print_plan(const Plan *p) {
        print_message("  state %s, reason: %s\n", plan_state_to_string(p->state), strna(p->reason));
        for (size_t i = 0; i < p->n_actions; i++) {
                _cleanup_free_ char *s = NULL;
                assert_int_equal(action_to_string(&p->actions[i], &s), 0);
                print_message("  %2zu. %s\n", i + 1, s);
        }
}

static void run_case(void **state) {
        const PlanCase *c = *state;
        _cleanup_(plan_freep) Plan *p = compute(c->hardware, c->policy, c->caps, c->flags);
        size_t n = 0;

        while (c->actions[n])
                n++;
        if (p->state != c->state || p->n_actions != n)
                print_plan(p);
        assert_string_equal(plan_state_to_string(p->state), plan_state_to_string(c->state));
        assert_int_equal(p->n_actions, n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s = NULL;

                assert_int_equal(action_to_string(&p->actions[i], &s), 0);
                assert_string_equal(s, c->actions[i]);
        }
        if (c->reason) {
                assert_non_null(p->reason);
                if (!strstr(p->reason, c->reason))
                        fail_msg("reason \"%s\" does not say \"%s\"", p->reason, c->reason);
        } else if (p->state == PLAN_IN_SYNC || p->state == PLAN_APPLY)
                assert_null(p->reason);
        if (c->note) {
                bool found = false;
                for (char **s = p->notes; *s; s++)
                        found = found || strstr(*s, c->note);
                if (!found)
                        fail_msg("no note says \"%s\"", c->note);
        }
        if (p->state == PLAN_APPLY && c->path != ENABLE_PATH_DRIVER)
                assert_int_equal(p->path, c->path);
}

/* ---- properties, over every combination of counts ---- */

static void check_num_vfs_writes(const Plan *p, unsigned current, unsigned total) {
        unsigned now = current;

        for (size_t i = 0; i < p->n_actions; i++) {
                const Action *a = &p->actions[i];

                if (a->kind != ACTION_SET_NUM_VFS)
                        continue;
                if (a->number > total)
                        fail_msg("writes sriov_numvfs=%u above sriov_totalvfs=%u", a->number, total);
                if (a->number != 0 && now != 0)
                        fail_msg("writes sriov_numvfs=%u over %u", a->number, now);
                now = a->number;
        }
}

static void test_never_non_zero_over_non_zero_nor_above_total(void **state) {
        for (unsigned total = 1; total <= 9; total++)
                for (unsigned current = 0; current <= total; current++)
                        for (unsigned want = 0; want <= total + 2; want++)
                                for (int vfdriver = 0; vfdriver < 2; vfdriver++) {
                                        char hw[128], policy[256];
                                        _cleanup_(plan_freep) Plan *p = NULL;

                                        snprintf(hw, sizeof(hw), "pf 0000:3b:00.0 driver=ice total=%u num=%u", total, current);
                                        snprintf(policy, sizeof(policy), "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=%u\n%s",
                                                 want, vfdriver ? "VFDriver=vfio-pci\n" : "");
                                        p = compute(hw, policy, NULL, 0);
                                        check_num_vfs_writes(p, current, total);
                                        if (want > total)
                                                assert_int_equal(p->state, PLAN_REFUSED);
                                        else if (want == current && (!vfdriver || want == 0))
                                                assert_int_equal(p->state, PLAN_IN_SYNC);
                                        else
                                                assert_int_equal(p->state, PLAN_APPLY);
                                }
}

static void test_vfio_owned_pf_never_touched(void **state) {
        static const char * const settings[] = {
                "", "DriversAutoprobe=no\n", "VFDriver=iavf\n", "VFDriver=vfio-pci\n",
        };

        for (unsigned current = 0; current <= 4; current++)
                for (unsigned want = 0; want <= 4; want++)
                        for (size_t s = 0; s < ELEMENTSOF(settings); s++) {
                                char hw[128], policy[256];
                                _cleanup_(plan_freep) Plan *p = NULL;

                                snprintf(hw, sizeof(hw), "pf 0000:af:00.0 driver=vfio-pci total=4 num=%u", current);
                                snprintf(policy, sizeof(policy), "[Match]\nPCIAddress=0000:af:00.0\n[PhysicalFunction]\nNumVFs=%u\n%s",
                                         want, settings[s]);
                                p = compute(hw, policy, NULL, 0);
                                assert_int_equal(p->n_actions, 0);
                                assert_true(p->state == PLAN_IN_SYNC || p->state == PLAN_PENDING);
                        }
}

static bool action_touches(const Action *a, const char *address) {
        return streq(a->device, address);
}

static void test_assigned_vf_never_touched(void **state) {
        static const char * const holders[] = { "", " holder=4242:qemu-system-x86" };
        static const char * const drivers[] = { "", "VFDriver=iavf\n", "VFDriver=vfio-pci\n" };

        for (unsigned busy = 0; busy < 4; busy++)
                for (unsigned want = 0; want <= 6; want++)
                        for (size_t h = 0; h < ELEMENTSOF(holders); h++)
                                for (size_t d = 0; d < ELEMENTSOF(drivers); d++) {
                                        char hw[256], policy[256], address[PCI_ADDRESS_MAX];
                                        _cleanup_(plan_freep) Plan *p = NULL;
                                        bool parked = d == 2 && h == 0;

                                        snprintf(hw, sizeof(hw), "pf 0000:3b:00.0 driver=ice total=8 num=4; vf %u driver=vfio-pci%s",
                                                 busy, holders[h]);
                                        snprintf(policy, sizeof(policy), "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=%u\n%s",
                                                 want, drivers[d]);
                                        p = compute(hw, policy, NULL, 0);
                                        assert_int_equal(pci_vf_address("0000:3b:00.0", 8, 1, busy, address), 0);
                                        if (parked)
                                                continue; /* the policy put it there and nobody holds it */
                                        for (size_t i = 0; i < p->n_actions; i++) {
                                                assert_int_not_equal(p->actions[i].kind, ACTION_SET_NUM_VFS);
                                                assert_false(action_touches(&p->actions[i], address));
                                        }
                                        if (want != 4)
                                                assert_int_equal(p->state, PLAN_PENDING);
                                }
}

static void test_action_sysfs_writes(void **state) {
        static const struct {
                Action action;
                const char *path;
                const char *value;
        } table[] = {
                { { ACTION_SET_NUM_VFS, "0000:3b:00.0", 4, NULL }, "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs", "4" },
                { { ACTION_SET_DRIVERS_AUTOPROBE, "0000:3b:00.0", 0, NULL }, "/sys/bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe", "0" },
                { { ACTION_SET_UNMANAGED_AUTOPROBE, "0000:3b:00.0", 1, NULL }, "/sys/bus/pci/devices/0000:3b:00.0/sriov_unmanaged_autoprobe", "1" },
                { { ACTION_SET_MSIX_VECTORS, "0000:3b:01.0", 16, NULL }, "/sys/bus/pci/devices/0000:3b:01.0/sriov_vf_msix_count", "16" },
                { { ACTION_SET_DRIVER_OVERRIDE, "0000:3b:01.0", 0, (char *) "vfio-pci" }, "/sys/bus/pci/devices/0000:3b:01.0/driver_override", "vfio-pci" },
                { { ACTION_SET_DRIVER_OVERRIDE, "0000:3b:01.0", 0, NULL }, "/sys/bus/pci/devices/0000:3b:01.0/driver_override", "\n" },
                { { ACTION_PROBE, "0000:3b:01.0", 0, NULL }, "/sys/bus/pci/drivers_probe", "0000:3b:01.0" },
                { { ACTION_UNBIND, "0000:3b:01.0", 0, (char *) "iavf" }, "/sys/bus/pci/drivers/iavf/unbind", "0000:3b:01.0" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_free_ char *path = NULL, *value = NULL;

                assert_int_equal(action_sysfs_write(&table[i].action, &path, &value), 0);
                assert_string_equal(path, table[i].path);
                assert_string_equal(value, table[i].value);
        }

        Action wait = { ACTION_WAIT_VFS, "0000:3b:00.0", 4, NULL };
        Action bad = { ACTION_UNBIND, "0000:3b:01.0", 0, (char *) "../../x" };
        char *path = NULL, *value = NULL;
        assert_int_equal(action_sysfs_write(&wait, &path, &value), -EOPNOTSUPP);
        assert_int_equal(action_sysfs_write(&bad, &path, &value), -EINVAL);
        assert_null(path);
}

int main(void) {
        struct CMUnitTest tests[ELEMENTSOF(cases) + 4];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = cases[i].name,
                        .test_func = run_case,
                        .initial_state = (void *) &cases[i],
                };
        tests[n++] = (struct CMUnitTest) { "never a non-zero count over another, never above sriov_totalvfs (every count 0-11 of 1-9)",
                                           test_never_non_zero_over_non_zero_nor_above_total, NULL, NULL, NULL };
        tests[n++] = (struct CMUnitTest) { "a PF owned by vfio-pci gets no action, whatever the policy",
                                           test_vfio_owned_pf_never_touched, NULL, NULL, NULL };
        tests[n++] = (struct CMUnitTest) { "an assigned or held VF is never touched and blocks every resize",
                                           test_assigned_vf_never_touched, NULL, NULL, NULL };
        tests[n++] = (struct CMUnitTest) { "each action writes the right sysfs file and text",
                                           test_action_sysfs_writes, NULL, NULL, NULL };
        return _cmocka_run_group_tests("plan", tests, n, NULL, NULL);
}
