/* What libpci knows: vendor and device names from pci.ids, the SR-IOV and serial number capabilities in config space. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The SR-IOV extended capability as the hardware states it, independent of the driver. */
typedef struct SriovCapability {
        uint16_t initial_vfs;
        uint16_t total_vfs;
        uint16_t num_vfs;
        uint16_t offset;
        uint16_t stride;
        uint16_t vf_device;
} SriovCapability;

/* Reads the capability of the device at address. -ENODEV when libpci cannot reach its config space,
 * -EOPNOTSUPP when it has none; libpci's own fatal errors are turned into -EIO, never an exit().
 * Thread-safe: every call has its own libpci context. */
int pci_read_sriov_capability(const char *address, SriovCapability *ret);

/* The Device Serial Number extended capability, formatted as lspci shows it, most significant byte
 * first: "00-11-22-ff-fe-33-44-55". -EOPNOTSUPP when the device has none, else as above. */
int pci_read_serial(const char *address, char **ret);
int pci_format_serial(uint64_t serial, char **ret);

/* Names from the PCI ID database. Not thread-safe; one per thread. */
typedef struct PciNames PciNames;

int pci_names_new(PciNames **ret);
PciNames *pci_names_free(PciNames *n);
static inline void pci_names_freep(PciNames **n) {
        pci_names_free(*n);
}
/* "Intel Corporation" and "Ethernet Controller E810-C for QSFP"; NULL where the database has no
 * entry (or there is no database). The strings live until the next call. */
void pci_names_lookup(PciNames *n, uint16_t vendor, uint16_t device, const char **ret_vendor, const char **ret_device);
