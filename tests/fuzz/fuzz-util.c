/* The fuzz targets' fixtures: snapshots of a few kinds of PF, built by hand as plain structs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sriovd/macro.h"

static char **strv_of(const char *a) {
        char **l = calloc(2, sizeof(char *));

        if (l && a)
                l[0] = strdup(a);
        return l;
}

static PfSnapshot *pf(const char *address, const char *driver, unsigned total, unsigned num, int unmanaged, unsigned msix) {
        PfSnapshot *s = calloc(1, sizeof(PfSnapshot));

        memcpy(s->address, address, PCI_ADDRESS_MAX);
        s->vendor = 0x8086;
        s->device = 0x1592;
        s->driver = driver ? strdup(driver) : NULL;
        s->id_path = strdup("pci-fuzz");
        s->netdevs = strv_of(driver ? "ens1f0" : NULL);
        s->iommu_group = 10;
        s->total_vfs = total;
        s->num_vfs = num;
        s->offset = 8;
        s->stride = 1;
        s->drivers_autoprobe = 1;
        s->unmanaged_autoprobe = unmanaged;
        s->vf_total_msix = msix;
        s->vfs = calloc(num + 1, sizeof(VfSnapshot));
        s->n_vfs = num;
        for (unsigned i = 0; i < num; i++) {
                VfSnapshot *v = &s->vfs[i];

                v->index = i;
                (void) pci_vf_address(address, s->offset, s->stride, i, v->address);
                v->driver = strdup(i % 3 == 0 ? "vfio-pci" : "iavf");
                v->iommu_group = 100 + (int) i;
                v->msix_count = msix ? 8 : -1;
                v->netdevs = strv_of(NULL);
        }
        if (num > 0) {
                s->vfs[0].holders = calloc(1, sizeof(Holder));
                s->vfs[0].holders[0] = (Holder) { .pid = 4242, .comm = strdup("qemu-system-x86"), .node = strdup("/dev/vfio/100") };
                s->vfs[0].n_holders = 1;
        }
        return s;
}

PfSnapshot **fuzz_snapshots(size_t *ret_n) {
        static PfSnapshot *all[3];

        if (!all[0]) {
                all[0] = pf("0000:3b:00.0", "ice", 8, 4, -1, 64);
                all[1] = pf("0000:5e:00.0", NULL, 4, 0, 1, 0);
                all[2] = pf("0000:af:00.0", "vfio-pci", 16, 3, -1, 0);
        }
        *ret_n = ELEMENTSOF(all);
        return all;
}

KernelCaps *fuzz_caps(void) {
        static KernelCaps caps;

        if (!caps.pci_drivers) {
                static const char * const drivers[] = { "iavf", "ice", "pci-pf-stub", "vfio-pci", NULL };
                caps.pci_drivers = strv_copy((char * const *) drivers);
                caps.vfio_enable_sriov = true;
        }
        return &caps;
}

size_t fuzz_split(const uint8_t *data, size_t size, const char *separator, const uint8_t **parts, size_t *sizes, size_t max) {
        size_t n = 0, seplen = strlen(separator);
        const uint8_t *p = data, *end = data + size;

        while (n < max) {
                const uint8_t *next = n + 1 < max ? memmem(p, (size_t) (end - p), separator, seplen) : NULL;

                parts[n] = p;
                sizes[n] = (size_t) ((next ? next : end) - p);
                n++;
                if (!next)
                        break;
                p = next + seplen;
        }
        return n;
}
