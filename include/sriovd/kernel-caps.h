/* What the running kernel offers for enabling VFs: loaded PCI drivers and vfio-pci's enable_sriov. */
#pragma once

#include <stdbool.h>

typedef struct KernelCaps {
        char **pci_drivers;     /* loaded PCI drivers, sorted */
        bool vfio_enable_sriov; /* vfio-pci may enable VFs on a PF it owns */
} KernelCaps;

/* Reads /sys/bus/pci/drivers and vfio-pci's module parameter. */
int kernel_caps_read(KernelCaps *ret);
void kernel_caps_clear(KernelCaps *c);
bool kernel_caps_has_driver(const KernelCaps *c, const char *driver);
