/* Builds PfSnapshot, Policy and KernelCaps values from short text, so planner tests read as tables. */
#pragma once

#include "sriovd/kernel-caps.h"
#include "sriovd/policy.h"
#include "sriovd/sysfs.h"

/* "pf ADDRESS key=value..." then "vf INDEX key=value..." lines, ';' or newline separated.
 * pf keys: driver (or none), total, num, autoprobe, unmanaged (-1 = no attribute), offset, stride,
 *          group (-1 = none), msix (sriov_vf_total_msix), override, netdev, path, vendor, device, holder.
 * vf keys: driver, override, group, msix (sriov_vf_msix_count), holder=PID:COMM, missing (no link).
 * VFs 0..num-1 exist unbound, in IOMMU groups 100+index, at the addresses offset/stride give. */
PfSnapshot *build_pf(const char *description);

/* Parses policy text that must be free of errors. */
Policy *build_policy(const char *text);

/* "iavf vfio-pci pci-pf-stub enable_sriov": loaded drivers, and enable_sriov for vfio-pci's parameter. */
KernelCaps build_caps(const char *description);
