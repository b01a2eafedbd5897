/* PCI addresses (DDDD:BB:DD.F): validation, parsing, and where the kernel puts VF N of a PF. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* TotalVFs is a 16-bit field of the SR-IOV capability, and sriov_numvfs a u16. */
#define PCI_SRIOV_VFS_MAX 65535U

/* "0000:3b:00.0" and its NUL */
#define PCI_ADDRESS_MAX 13

typedef struct PciAddress {
        uint16_t domain;
        uint8_t bus;
        uint8_t device;         /* 0-31 */
        uint8_t function;       /* 0-7 */
} PciAddress;

/* Only the canonical lower-case form the kernel uses for sysfs names; anything else is -EINVAL,
 * so an address from a client can be used in a path without further checks. */
int pci_address_parse(const char *s, PciAddress *ret);
bool pci_address_is_valid(const char *s);
void pci_address_format(const PciAddress *a, char ret[static PCI_ADDRESS_MAX]);

/* VF index lives at routing ID(PF) + offset + index * stride (PCIe SR-IOV 3.3.10-11, as the
 * kernel's pci_iov_virtfn_bus()/devfn() compute it). -ERANGE when it runs past bus 255. */
int pci_vf_address(const char *pf, unsigned offset, unsigned stride, unsigned index, char ret[static PCI_ADDRESS_MAX]);
