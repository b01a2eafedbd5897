/* libpci behind negative errno: config space reads and pci.ids lookups, with libpci's exit() caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <pci/pci.h>

#include "sriovd/macro.h"
#include "sriovd/pci-address.h"
#include "sriovd/pci-info.h"

/* libpci's error callback must not return (its default calls exit()): jump back to the caller. */
static _Thread_local jmp_buf *error_jump;

_printf_(1, 2) __attribute__((noreturn))
static void on_error(char *msg, ...) {
        longjmp(*error_jump, 1);
}

_printf_(1, 2)
static void on_warning(char *msg, ...) {
}

_printf_(1, 2)
static void on_debug(char *msg, ...) {
}

static struct pci_access *access_new(void) {
        struct pci_access *a = pci_alloc();

        if (!a)
                return NULL;
        a->error = on_error;
        a->warning = on_warning;
        a->debug = on_debug;
        a->method = PCI_ACCESS_SYS_BUS_PCI;
        return a;
}

/* Finds extended capability id of the device at address and hands it to read. -ENODEV when libpci
 * cannot reach its config space, -EOPNOTSUPP when it has no such capability. */
static int read_ext_cap(const char *address, int id, void (*read)(struct pci_dev *dev, struct pci_cap *cap, void *userdata),
                        void *userdata) {
        volatile struct pci_access *acc = NULL;
        jmp_buf jump;
        PciAddress pa;
        struct pci_dev *dev;
        struct pci_cap *cap;
        int r;

        r = pci_address_parse(address, &pa);
        if (r < 0)
                return r;
        /* libpci reads zeros from a device that is not there; ask sysfs first. */
        {
                char path[64];

                snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", address);
                if (access(path, R_OK) < 0)
                        return errno == ENOENT ? -ENODEV : -errno;
        }

        error_jump = &jump;
        if (setjmp(jump) != 0) {
                /* What libpci allocated before it gave up is lost; that beats an exit(). */
                error_jump = NULL;
                return -EIO;
        }
        acc = access_new();
        if (!acc) {
                error_jump = NULL;
                return -ENOMEM;
        }
        pci_init((struct pci_access *) acc);
        dev = pci_get_dev((struct pci_access *) acc, pa.domain, pa.bus, pa.device, pa.function);
        if (!dev)
                r = -ENODEV;
        else if (!(pci_fill_info(dev, PCI_FILL_EXT_CAPS) & PCI_FILL_EXT_CAPS))
                r = -ENODEV;
        else if (!(cap = pci_find_cap(dev, id, PCI_CAP_EXTENDED)))
                r = -EOPNOTSUPP;
        else {
                read(dev, cap, userdata);
                r = 0;
        }
        if (dev)
                pci_free_dev(dev);
        pci_cleanup((struct pci_access *) acc);
        error_jump = NULL;
        return r;
}

static void read_sriov(struct pci_dev *dev, struct pci_cap *cap, void *userdata) {
        *(SriovCapability *) userdata = (SriovCapability) {
                .initial_vfs = pci_read_word(dev, cap->addr + PCI_IOV_INITIALVF),
                .total_vfs = pci_read_word(dev, cap->addr + PCI_IOV_TOTALVF),
                .num_vfs = pci_read_word(dev, cap->addr + PCI_IOV_NUMVF),
                .offset = pci_read_word(dev, cap->addr + PCI_IOV_OFFSET),
                .stride = pci_read_word(dev, cap->addr + PCI_IOV_STRIDE),
                .vf_device = pci_read_word(dev, cap->addr + PCI_IOV_DID),
        };
}

int pci_read_sriov_capability(const char *address, SriovCapability *ret) {
        SriovCapability c;
        int r;

        r = read_ext_cap(address, PCI_EXT_CAP_ID_SRIOV, read_sriov, &c);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

static void read_dsn(struct pci_dev *dev, struct pci_cap *cap, void *userdata) {
        /* The lower dword first, at offset 4 past the header; then the upper one. */
        *(uint64_t *) userdata = (uint64_t) pci_read_long(dev, cap->addr + 8) << 32 | pci_read_long(dev, cap->addr + 4);
}

int pci_format_serial(uint64_t serial, char **ret) {
        char *s;

        if (asprintf(&s, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
                     (unsigned) (serial >> 56) & 0xff, (unsigned) (serial >> 48) & 0xff,
                     (unsigned) (serial >> 40) & 0xff, (unsigned) (serial >> 32) & 0xff,
                     (unsigned) (serial >> 24) & 0xff, (unsigned) (serial >> 16) & 0xff,
                     (unsigned) (serial >> 8) & 0xff, (unsigned) serial & 0xff) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int pci_read_serial(const char *address, char **ret) {
        uint64_t serial = 0;
        int r;

        r = read_ext_cap(address, PCI_EXT_CAP_ID_DSN, read_dsn, &serial);
        if (r < 0)
                return r;
        return pci_format_serial(serial, ret);
}

struct PciNames {
        struct pci_access *access;
        char vendor[256];
        char device[256];
};

int pci_names_new(PciNames **ret) {
        PciNames *n = calloc(1, sizeof(PciNames));

        if (!n)
                return -ENOMEM;
        n->access = access_new();
        if (!n->access) {
                free(n);
                return -ENOMEM;
        }
        /* pci.ids only: libpci would also ask udev's hwdb, and leaks a udev context each time. */
        (void) pci_set_param(n->access, (char *) "hwdb.disable", (char *) "1");
        /* No pci_init(): names need no device access, and the database loads on first lookup. */
        *ret = n;
        return 0;
}

PciNames *pci_names_free(PciNames *n) {
        if (!n)
                return NULL;
        pci_cleanup(n->access);
        return mfree(n);
}

void pci_names_lookup(PciNames *n, uint16_t vendor, uint16_t device, const char **ret_vendor, const char **ret_device) {
        jmp_buf jump;
        const char * volatile v = NULL, * volatile d = NULL;

        error_jump = &jump;
        if (setjmp(jump) == 0) {
                v = pci_lookup_name(n->access, n->vendor, sizeof(n->vendor), PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, vendor);
                d = pci_lookup_name(n->access, n->device, sizeof(n->device), PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, vendor, device);
        }
        error_jump = NULL;
        *ret_vendor = v;
        *ret_device = d;
}
