/* The kernel's view of a PF and its VFs, read from sysfs into plain structs, and the one sysfs writer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sriovd/macro.h"
#include "sriovd/pci-address.h"

#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define SYSFS_PCI_DRIVERS "/sys/bus/pci/drivers"
#define SYSFS_PCI_DRIVERS_PROBE "/sys/bus/pci/drivers_probe"

/* A process with a device's vfio group or cdev open: a VM, or anything else using the device. */
typedef struct Holder {
        pid_t pid;
        char *comm;
        char *node;             /* "/dev/vfio/42" */
} Holder;

typedef struct VfSnapshot {
        unsigned index;
        char address[PCI_ADDRESS_MAX];
        uint16_t vendor;
        uint16_t device;
        char *driver;           /* NULL when unbound */
        char *driver_override;  /* NULL when unset ("(null)") */
        int iommu_group;        /* -1 when there is none */
        char *vfio_cdev;        /* "vfio3" when the device has a vfio cdev, else NULL */
        int msix_count;         /* sriov_vf_msix_count, -1 when absent */
        char **netdevs;
        Holder *holders;
        size_t n_holders;
} VfSnapshot;

typedef struct PfSnapshot {
        char address[PCI_ADDRESS_MAX];
        char *syspath;
        uint16_t vendor;
        uint16_t device;
        uint16_t subsystem_vendor;
        uint16_t subsystem_device;
        uint32_t class;
        char *driver;
        char *driver_override;
        char *id_path;          /* udev's ID_PATH; "pci-<address>" when udev has none */
        char *serial;           /* Device Serial Number capability, "00-11-22-ff-fe-33-44-55"; NULL without one */
        char **netdevs;
        int iommu_group;
        char *vfio_cdev;
        int numa_node;
        unsigned total_vfs;
        unsigned num_vfs;
        unsigned offset;
        unsigned stride;
        uint16_t vf_device;
        int drivers_autoprobe;
        int unmanaged_autoprobe; /* -1 when the kernel has no sriov_unmanaged_autoprobe */
        unsigned vf_total_msix;  /* 0: the PF cannot resize VF MSI-X tables */
        VfSnapshot *vfs;         /* by index, from the virtfnN links */
        size_t n_vfs;
        Holder *holders;
        size_t n_holders;
} PfSnapshot;

PfSnapshot *pf_snapshot_free(PfSnapshot *s);
static inline void pf_snapshot_freep(PfSnapshot **s) {
        pf_snapshot_free(*s);
}

/* Reads a PF and its VFs, and the PF's serial number from config space. -ENODEV when the device
 * does not exist, -EOPNOTSUPP when it is not an SR-IOV PF, -EAGAIN when a VF vanished while it was
 * being read (read again). */
int sysfs_read_pf(const char *address, PfSnapshot **ret);
/* The same from an open device directory, wherever it is (fuzzers build one from their input),
 * without the serial number: libpci finds devices by address only. */
int sysfs_read_pf_at(int dfd, const char *address, PfSnapshot **ret);

/* The addresses of every SR-IOV PF (devices with sriov_totalvfs), sorted. */
int sysfs_list_pfs(char ***ret);

/* NULL-terminated, sorted names of the loaded PCI drivers. */
int sysfs_list_pci_drivers(char ***ret);

/* vfio-pci's enable_sriov module parameter: 1, 0, or -ENOENT when vfio-pci is not loaded. */
int sysfs_vfio_enable_sriov(void);

/* The driver a device is bound to; *ret is NULL when it has none. -ENODEV when it is gone. */
int sysfs_read_driver(const char *address, char **ret);

/* The addresses of VFs 0..n-1 from the PF's virtfnN links; -ENOENT when one of them is missing. */
int sysfs_read_vf_addresses(const char *pf, unsigned n, char ***ret);

/* Reads one attribute of a device, trailing newline stripped. */
int sysfs_read_attribute(const char *address, const char *attribute, char **ret);

/* Is path one sriovd may write to? Only a device attribute /sys/bus/pci/devices/<address>/<name>
 * whose device link points into /sys/devices, /sys/bus/pci/drivers/<driver>/{bind,unbind}, or
 * /sys/bus/pci/drivers_probe; no "..", nothing else. -EPERM otherwise. */
int sysfs_check_path(const char *path);

/* The one writer for every sysfs attribute: open(O_WRONLY|O_TRUNC|O_CLOEXEC), then one write().
 * Returns 0 or the kernel's exact negative errno; a short write is -EIO. */
int sysfs_write(const char *path, const char *value);

/* sysfs_write() to /sys/bus/pci/devices/<address>/<attribute>. */
int sysfs_write_attribute(const char *address, const char *attribute, const char *value);

/* Looks up a VF of the snapshot by index or address; NULL when absent. */
const VfSnapshot *pf_snapshot_vf(const PfSnapshot *s, unsigned index);
const VfSnapshot *pf_snapshot_vf_by_address(const PfSnapshot *s, const char *address);

void holder_clear(Holder *h);
