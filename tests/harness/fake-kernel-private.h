/* The fake kernel's internal model, shared by its source files and by nothing else. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <glib.h>
#include <umockdev.h>

#include "fake-kernel.h"

/* Answers on the shim socket. Anything >= 0 is write()'s return value, anything else
 * above INT32_MIN is -errno. */
#define KERNEL_PASS INT32_MIN           /* the shim lets umockdev write the file itself */
#define KERNEL_BLOCKED (INT32_MIN + 1)  /* internal: the write waits (a vfio user holds a device) */

/* sysfs stores take at most one page (kernfs atomic_write_len). */
#define SYSFS_PAGE_SIZE 4096

#define VFIO_PCI "vfio-pci"

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

typedef enum DeviceKind {
        DEVICE_BRIDGE,          /* the root port a PF sits under */
        DEVICE_PF,
        DEVICE_VF,
} DeviceKind;

typedef struct Driver {
        char *name;
        bool sriov_configure;   /* the driver implements .sriov_configure */
        bool loaded;
        GArray *dynids;         /* uint32_t vendor << 16 | device, from new_id */
} Driver;

/* One "pf" line of a hardware description. */
typedef struct HwPf {
        char *where;            /* "file:line", for messages */
        unsigned domain, bus, devfn;
        uint16_t vendor, device, vf_device;
        uint32_t class;
        char *driver;           /* NULL: none */
        char *vf_driver;        /* NULL: none */
        char *netdev;
        char *id_path;
        unsigned totalvfs, numvfs, offset, stride, msix;
        unsigned enables;       /* the PF driver enables at most this many VFs and still succeeds; 0: no limit */
        uint64_t serial;        /* the Device Serial Number capability, when has_serial */
        bool has_serial;
        bool autoprobe, iommu, unmanaged, unmanaged_autoprobe;
        int numa;
} HwPf;

typedef struct Device Device;
struct Device {
        DeviceKind kind;
        char *bdf;
        char *syspath;          /* /sys/devices/... */
        uint16_t vendor, device, subsystem_vendor, subsystem_device;
        uint32_t class;
        int numa_node;
        char *id_path;
        char *driver;           /* bound driver, NULL when unbound */
        char *driver_override;  /* NULL when unset */
        int iommu_group;        /* -1: no IOMMU group */
        int vfio_index;         /* vfio cdev number while bound to vfio-pci, else -1 */

        /* PF */
        HwPf *hw;
        unsigned numvfs;
        bool drivers_autoprobe;
        bool unmanaged_autoprobe;
        GPtrArray *vfs;         /* Device*, indexed by VF number, while enabled */
        char *net_syspath;      /* the net child while it exists */
        int ifindex;            /* its ifindex then, else 0 */

        /* VF */
        Device *physfn;
        unsigned vf_index;
        unsigned msix_count;
        bool generic;           /* enabled by the unmanaged (driverless) path */
        bool latched_autoprobe; /* that path's sriov_unmanaged_autoprobe at enable time */
};

/* Only the PF driver declared for the hardware manages VF MSI-X (sriov_set_msix_vec_count). */
static inline bool pf_msix_supported(const Device *pf) {
        return pf->hw->msix > 0 && pf->driver && pf->hw->driver && streq(pf->driver, pf->hw->driver);
}

typedef struct Request Request;
typedef struct Child Child;
typedef struct Holder Holder;

typedef struct Fault {
        char *bdf;              /* fnmatch glob, or NULL for files that belong to no device */
        char *attribute;        /* fnmatch glob */
        int error;              /* 0 for a latency */
        unsigned remaining;     /* 0: until cleared */
        uint64_t delay_usec;    /* a latency: the write is answered this much later, and only then takes effect */
} Fault;

typedef struct PendingUevent {
        char *socket_path;
        GByteArray *message;
} PendingUevent;

struct FakeKernel {
        UMockdevTestbed *testbed;
        char *root;             /* canonical testbed root */
        bool mock_env;          /* this process runs under umockdev's preload */
        bool booted;            /* a program ran: loads are hot-adds, uevents flow */
        sd_event *event;

        int listen_fd;
        sd_event_source *listen_source;
        GPtrArray *requests;    /* Request*, connections being answered */
        sd_event_source *blocked_timer;

        GHashTable *devices;    /* bdf -> Device* (owned) */
        GHashTable *iommu_groups;       /* the group numbers in use, each + 1 */
        int iommu_free_hint;            /* no group below this one is free */
        GPtrArray *pfs;         /* Device*, in declaration order */
        GHashTable *reserved;   /* bdf -> owner description: every address a PF may use */
        GHashTable *drivers;    /* name -> Driver* (owned) */
        bool vfio_enable_sriov;
        unsigned next_ifindex;
        uint64_t seqnum;
        unsigned tmp_counter;

        GPtrArray *faults;      /* Fault* */
        GPtrArray *latencies;   /* Fault*, with delay_usec */
        GPtrArray *writes;      /* FakeWrite* */
        GPtrArray *violations;  /* char* */
        size_t n_received;      /* writes that reached request_start */
        bool kill_armed, killed;
        size_t kill_index;
        FakeKernelKill kill_when;
        pid_t kill_pid;
        GPtrArray *uevents;     /* char* */
        GQueue backlog;         /* PendingUevent*: datagrams a full receive queue refused */
        sd_event_source *backlog_timer;

        bool udev_running;      /* run/udev/control exists; devices get database entries */
        GHashTable *udev_held;  /* names of devices udev has not processed yet */

        GPtrArray *children;    /* Child* */
        GPtrArray *holders;     /* Holder* */
};

/* fake-kernel-sysfs.c: the testbed tree. */
char *kernel_path(FakeKernel *k, const char *relative);
int sysfs_write_file(FakeKernel *k, const char *relative, const char *content);
int sysfs_symlink(FakeKernel *k, const char *relative, const char *target);
void sysfs_remove(FakeKernel *k, const char *relative);
char *sysfs_relative_to_sys(const char *syspath, const char *sys_relative_target);
int device_add_to_testbed(FakeKernel *k, Device *d);
void device_remove_from_testbed(FakeKernel *k, Device *d);
void device_render(FakeKernel *k, Device *d);
char *device_attribute_value(FakeKernel *k, Device *d, const char *attribute);
bool device_attribute_is_modeled(Device *d, const char *attribute);
bool device_attribute_is_writable(Device *d, const char *attribute);
int iommu_group_allocate(FakeKernel *k);
void iommu_group_release(FakeKernel *k, Device *d);     /* the number is free again */
int iommu_group_create(FakeKernel *k, Device *d);
void iommu_group_destroy(FakeKernel *k, Device *d);
int vfio_files_create(FakeKernel *k, Device *d);
void vfio_files_destroy(FakeKernel *k, Device *d);
char *vfio_group_path(FakeKernel *k, Device *d);
char *vfio_cdev_path(FakeKernel *k, Device *d);
int netdev_create(FakeKernel *k, Device *pf);
void netdev_destroy(FakeKernel *k, Device *pf);
int driver_files_create(FakeKernel *k, Driver *drv);
void module_files_render(FakeKernel *k);
int bus_files_create(FakeKernel *k);

/* fake-kernel-uevent.c */
void kernel_uevent(FakeKernel *k, const char *syspath, const char *action);
void kernel_uevent_added(FakeKernel *k, const char *syspath);
void kernel_uevent_flush(FakeKernel *k);
void kernel_uevent_backlog_free(FakeKernel *k);

/* fake-kernel-udev.c */
void kernel_udev_added(FakeKernel *k, const char *syspath);
void kernel_udev_removed(FakeKernel *k, const char *syspath);

/* fake-kernel-pci.c: the PCI core, its drivers and SR-IOV. */
Device *kernel_find_device(FakeKernel *k, const char *bdf);
Device *kernel_device_for_path(FakeKernel *k, const char *path, const char **ret_attribute);
Driver *kernel_load_driver(FakeKernel *k, const char *name, int sriov);
int kernel_add_pf(FakeKernel *k, HwPf *hw);
int kernel_write(FakeKernel *k, const char *path, const char *data, size_t size, char **ret_blocked_by);
void device_free(Device *d);
void driver_free(Driver *d);
void hw_pf_free(HwPf *hw);
int bdf_parse(const char *s, unsigned *ret_domain, unsigned *ret_bus, unsigned *ret_devfn);
char *bdf_format(unsigned domain, unsigned bus, unsigned devfn);
pid_t vfio_holder(FakeKernel *k, Device * const *devices, size_t n, Device **ret_device);

/* fake-kernel-hw.c */
int hw_load(FakeKernel *k, const char *text, const char *name);

/* fake-kernel-spawn.c */
void children_free(FakeKernel *k);
void holders_free(FakeKernel *k);

/* fake-kernel.c */
uint64_t now_usec(void);
void kernel_recheck_blocked(FakeKernel *k);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwPf, hw_pf_free)
