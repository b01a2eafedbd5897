/* Fixtures the fuzz targets share: a few hosts' PFs as plain snapshots, and the input split in parts. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sriovd/kernel-caps.h"
#include "sriovd/sysfs.h"

/* A NIC PF with VFs on iavf and vfio-pci, one held by qemu; a driverless PF with the unmanaged
 * attribute; a PF owned by vfio-pci. Built once, never freed: the fuzzer runs until it stops. */
PfSnapshot **fuzz_snapshots(size_t *ret_n);
KernelCaps *fuzz_caps(void);

/* Splits data at each separator; parts point into data (not NUL-terminated). Returns the count. */
size_t fuzz_split(const uint8_t *data, size_t size, const char *separator, const uint8_t **parts, size_t *sizes, size_t max);
