/* Reads which PCI drivers are loaded and whether vfio-pci may enable SR-IOV. */
#include <stdlib.h>

#include "sriovd/kernel-caps.h"
#include "sriovd/sysfs.h"

int kernel_caps_read(KernelCaps *ret) {
        char **drivers;
        int r;

        r = sysfs_list_pci_drivers(&drivers);
        if (r < 0)
                return r;
        *ret = (KernelCaps) {
                .pci_drivers = drivers,
                .vfio_enable_sriov = sysfs_vfio_enable_sriov() > 0,
        };
        return 0;
}

void kernel_caps_clear(KernelCaps *c) {
        strv_free(c->pci_drivers);
        *c = (KernelCaps) {};
}

bool kernel_caps_has_driver(const KernelCaps *c, const char *driver) {
        return strv_contains(c->pci_drivers, driver);
}
