/* Who holds PFs and VFs: vfio-pci bindings and the processes with their vfio nodes open. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sriovd/sysfs.h"

#define VFIO_PCI_DRIVER "vfio-pci"

/* The vfio nodes of a device bound to vfio-pci: its group node and, on kernels with vfio cdevs, its
 * cdev. Returns how many were written to ret (at most 2), 0 when the device is not bound to vfio-pci. */
size_t ownership_device_nodes(const char *driver, int iommu_group, const char *vfio_cdev, char ret[2][64]);

/* Fills the holders of every PF and VF in pfs by matching /proc/PID/fd entries against the vfio
 * nodes (by device and inode, so it works wherever /dev is mounted). ret_unreadable (optional)
 * gets the number of processes whose fds could not be inspected, which is not 0 without root. */
int ownership_scan(PfSnapshot * const *pfs, size_t n_pfs, unsigned *ret_unreadable);
