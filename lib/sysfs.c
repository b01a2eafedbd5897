/* Reads PF and VF state from sysfs with openat()/readlinkat() below one directory fd per device. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-device.h>

#include "sriovd/parse-util.h"
#include "sriovd/pci-info.h"
#include "sriovd/sysfs.h"

/* sysfs attributes are at most a page. */
#define ATTRIBUTE_SIZE_MAX 4096

void holder_clear(Holder *h) {
        free(h->comm);
        free(h->node);
        *h = (Holder) {};
}

static void holders_free(Holder *h, size_t n) {
        for (size_t i = 0; i < n; i++)
                holder_clear(&h[i]);
        free(h);
}

static void vf_snapshot_clear(VfSnapshot *v) {
        free(v->driver);
        free(v->driver_override);
        free(v->vfio_cdev);
        strv_free(v->netdevs);
        holders_free(v->holders, v->n_holders);
}

PfSnapshot *pf_snapshot_free(PfSnapshot *s) {
        if (!s)
                return NULL;
        free(s->syspath);
        free(s->driver);
        free(s->driver_override);
        free(s->id_path);
        free(s->serial);
        free(s->vfio_cdev);
        strv_free(s->netdevs);
        for (size_t i = 0; i < s->n_vfs; i++)
                vf_snapshot_clear(&s->vfs[i]);
        free(s->vfs);
        holders_free(s->holders, s->n_holders);
        return mfree(s);
}

const VfSnapshot *pf_snapshot_vf(const PfSnapshot *s, unsigned index) {
        for (size_t i = 0; i < s->n_vfs; i++)
                if (s->vfs[i].index == index)
                        return &s->vfs[i];
        return NULL;
}

const VfSnapshot *pf_snapshot_vf_by_address(const PfSnapshot *s, const char *address) {
        for (size_t i = 0; i < s->n_vfs; i++)
                if (streq(s->vfs[i].address, address))
                        return &s->vfs[i];
        return NULL;
}

/* ---- reading ---- */

static int read_at(int dfd, const char *name, char **ret) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char buf[ATTRIBUTE_SIZE_MAX];
        ssize_t n;
        char *s;

        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, sizeof(buf) - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = '\0';
        s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int read_unsigned_at(int dfd, const char *name, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_at(dfd, name, &s);
        if (r < 0)
                return r;
        return parse_u32(s, UINT_MAX, ret) < 0 ? -EBADMSG : 0;
}

static int read_hex_at(int dfd, const char *name, unsigned long *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = read_at(dfd, name, &s);
        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoul(s, &end, 16);
        return errno || end == s || *end ? -EBADMSG : 0;
}

static uint16_t read_id_at(int dfd, const char *name) {
        unsigned long v;
        return read_hex_at(dfd, name, &v) < 0 ? 0 : (uint16_t) v;
}

/* Optional attributes default to def when they are absent or unreadable. */
static int read_int_or(int dfd, const char *name, int def) {
        _cleanup_free_ char *s = NULL;
        char *end;
        long v;

        if (read_at(dfd, name, &s) < 0)
                return def;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
                return def;
        return (int) v;
}

/* The last path component of a symlink: the driver name, the IOMMU group number, the device. */
static int read_link_name_at(int dfd, const char *name, char **ret) {
        char buf[PATH_MAX];
        const char *base;
        ssize_t n;
        char *s;

        n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        base = strrchr(buf, '/');
        s = strdup(base ? base + 1 : buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int read_optional_link_at(int dfd, const char *name, char **ret) {
        int r = read_link_name_at(dfd, name, ret);

        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

static int read_iommu_group_at(int dfd) {
        _cleanup_free_ char *g = NULL;
        unsigned n;

        if (read_link_name_at(dfd, "iommu_group", &g) < 0 || parse_u32(g, INT_MAX, &n) < 0)
                return -1;
        return (int) n;
}

static int read_driver_override_at(int dfd, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_at(dfd, "driver_override", &s);
        if (r == -ENOENT || (r >= 0 && (streq(s, "(null)") || isempty(s)))) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Names of the entries of a subdirectory (net/, vfio-dev/), sorted; empty when it does not exist. */
static int read_dir_names_at(int dfd, const char *name, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int fd;

        if (!l)
                return -ENOMEM;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT && errno != ENOTDIR)
                        return -errno;
                *ret = TAKE_PTR(l);
                return 0;
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d)))
                if (de->d_name[0] != '.' && strv_extend(&l, de->d_name) < 0)
                        return -ENOMEM;
        if (errno > 0)
                return -errno;
        qsort(l, strv_length(l), sizeof(char *), (int (*)(const void *, const void *)) strcmpp);
        *ret = TAKE_PTR(l);
        return 0;
}

static int read_first_dir_name_at(int dfd, const char *name, char **ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = read_dir_names_at(dfd, name, &l);
        if (r < 0)
                return r;
        *ret = l[0] ? strdup(l[0]) : NULL;
        return l[0] && !*ret ? -ENOMEM : 0;
}

/* The bus link of a PCI device points into /sys/devices; one that leads elsewhere is not followed. */
static int check_device_link(const char *address) {
        char path[sizeof(SYSFS_PCI_DEVICES) + PCI_ADDRESS_MAX + 1], target[PATH_MAX];
        const char *rest;
        ssize_t n;

        snprintf(path, sizeof(path), SYSFS_PCI_DEVICES "/%s", address);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return errno == ENOENT ? -ENODEV : -errno;
        target[n] = '\0';
        rest = startswith(target, "../../../devices/");
        if (!rest || strstr(rest, "/..") || strstr(rest, "//") || startswith(rest, ".."))
                return -EPERM;
        return 0;
}

static int open_device(const char *address) {
        char path[sizeof(SYSFS_PCI_DEVICES) + PCI_ADDRESS_MAX + 1];
        int fd, r;

        if (!pci_address_is_valid(address))
                return -EINVAL;
        r = check_device_link(address);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), SYSFS_PCI_DEVICES "/%s", address);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENODEV : -errno;
        return fd;
}

static int read_vf(int pf_fd, const char *link, unsigned index, VfSnapshot *v) {
        _cleanup_free_ char *address = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        *v = (VfSnapshot) { .index = index, .iommu_group = -1, .msix_count = -1 };

        r = read_link_name_at(pf_fd, link, &address);
        if (r < 0)
                return r == -ENOENT ? -EAGAIN : r;
        if (!pci_address_is_valid(address))
                return -EBADMSG;
        memcpy(v->address, address, PCI_ADDRESS_MAX);

        fd = openat(pf_fd, link, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -EAGAIN : -errno;

        v->vendor = read_id_at(fd, "vendor");
        v->device = read_id_at(fd, "device");
        v->iommu_group = read_iommu_group_at(fd);
        v->msix_count = read_int_or(fd, "sriov_vf_msix_count", -1);
        r = read_optional_link_at(fd, "driver", &v->driver);
        if (r < 0)
                return r;
        r = read_driver_override_at(fd, &v->driver_override);
        if (r < 0)
                return r;
        r = read_first_dir_name_at(fd, "vfio-dev", &v->vfio_cdev);
        if (r < 0)
                return r;
        return read_dir_names_at(fd, "net", &v->netdevs);
}

static int vf_cmp(const void *a, const void *b) {
        const VfSnapshot *x = a, *y = b;
        return x->index < y->index ? -1 : x->index > y->index;
}

static int read_vfs(int pf_fd, PfSnapshot *s) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int fd, r;

        fd = openat(pf_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d))) {
                const char *n = startswith(de->d_name, "virtfn");
                VfSnapshot *t;
                unsigned index;

                if (!n || parse_u32(n, PCI_SRIOV_VFS_MAX - 1, &index) < 0)
                        continue;
                t = reallocarray(s->vfs, s->n_vfs + 1, sizeof(VfSnapshot));
                if (!t)
                        return -ENOMEM;
                s->vfs = t;
                r = read_vf(pf_fd, de->d_name, index, &s->vfs[s->n_vfs]);
                s->n_vfs++; /* counted even on failure, so pf_snapshot_free() releases what was read */
                if (r < 0)
                        return r;
        }
        if (errno > 0)
                return -errno;
        if (s->n_vfs > 0)
                qsort(s->vfs, s->n_vfs, sizeof(VfSnapshot), vf_cmp);
        return 0;
}

/* udev's ID_PATH of the PF or, as udev only computes it for some subsystems, of its first netdev. */
static int read_id_path(PfSnapshot *s) {
        _cleanup_(sd_device_unrefp) sd_device *dev = NULL;
        const char *v = NULL;

        if (sd_device_new_from_subsystem_sysname(&dev, "pci", s->address) >= 0) {
                const char *syspath;

                if (sd_device_get_syspath(dev, &syspath) >= 0) {
                        s->syspath = strdup(syspath);
                        if (!s->syspath)
                                return -ENOMEM;
                }
                (void) sd_device_get_property_value(dev, "ID_PATH", &v);
        }
        if (!v && s->netdevs[0]) {
                _cleanup_(sd_device_unrefp) sd_device *net = NULL;

                if (sd_device_new_from_subsystem_sysname(&net, "net", s->netdevs[0]) >= 0 &&
                    sd_device_get_property_value(net, "ID_PATH", &v) >= 0)
                        return (s->id_path = strdup(v)) ? 0 : -ENOMEM;
        }
        if (v)
                s->id_path = strdup(v);
        else if (asprintf(&s->id_path, "pci-%s", s->address) < 0)
                s->id_path = NULL;
        return s->id_path ? 0 : -ENOMEM;
}

int sysfs_read_pf(const char *address, PfSnapshot **ret) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *s = NULL;
        _cleanup_close_ int fd = open_device(address);
        int r;

        if (fd < 0)
                return fd;
        r = sysfs_read_pf_at(fd, address, &s);
        if (r < 0)
                return r;
        /* Only Serial= needs it, and a device without the capability simply has none. */
        r = pci_read_serial(address, &s->serial);
        if (r == -ENOMEM)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int sysfs_read_pf_at(int fd, const char *address, PfSnapshot **ret) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *s = NULL;
        unsigned long class = 0;
        int r;

        if (!pci_address_is_valid(address))
                return -EINVAL;
        s = calloc(1, sizeof(PfSnapshot));
        if (!s)
                return -ENOMEM;
        memcpy(s->address, address, PCI_ADDRESS_MAX);

        r = read_unsigned_at(fd, "sriov_totalvfs", &s->total_vfs);
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        r = read_unsigned_at(fd, "sriov_numvfs", &s->num_vfs);
        if (r < 0)
                return r;

        s->vendor = read_id_at(fd, "vendor");
        s->device = read_id_at(fd, "device");
        s->subsystem_vendor = read_id_at(fd, "subsystem_vendor");
        s->subsystem_device = read_id_at(fd, "subsystem_device");
        if (read_hex_at(fd, "class", &class) >= 0)
                s->class = (uint32_t) class;
        s->vf_device = read_id_at(fd, "sriov_vf_device");
        s->offset = (unsigned) read_int_or(fd, "sriov_offset", 0);
        s->stride = (unsigned) read_int_or(fd, "sriov_stride", 0);
        s->vf_total_msix = (unsigned) read_int_or(fd, "sriov_vf_total_msix", 0);
        s->numa_node = read_int_or(fd, "numa_node", -1);
        s->drivers_autoprobe = read_int_or(fd, "sriov_drivers_autoprobe", 1) != 0;
        s->unmanaged_autoprobe = read_int_or(fd, "sriov_unmanaged_autoprobe", -1);
        if (s->unmanaged_autoprobe > 1)
                s->unmanaged_autoprobe = 1;
        s->iommu_group = read_iommu_group_at(fd);

        r = read_optional_link_at(fd, "driver", &s->driver);
        if (r < 0)
                return r;
        r = read_driver_override_at(fd, &s->driver_override);
        if (r < 0)
                return r;
        r = read_first_dir_name_at(fd, "vfio-dev", &s->vfio_cdev);
        if (r < 0)
                return r;
        r = read_dir_names_at(fd, "net", &s->netdevs);
        if (r < 0)
                return r;
        r = read_vfs(fd, s);
        if (r < 0)
                return r;
        r = read_id_path(s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

int sysfs_read_driver(const char *address, char **ret) {
        _cleanup_close_ int fd = open_device(address);

        if (fd < 0)
                return fd;
        return read_optional_link_at(fd, "driver", ret);
}

int sysfs_read_vf_addresses(const char *pf, unsigned n, char ***ret) {
        _cleanup_close_ int fd = open_device(pf);
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (fd < 0)
                return fd;
        if (!l)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                char name[32], *address;
                int r;

                snprintf(name, sizeof(name), "virtfn%u", i);
                r = read_link_name_at(fd, name, &address);
                if (r < 0)
                        return r;
                r = strv_consume(&l, address);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int sysfs_read_attribute(const char *address, const char *attribute, char **ret) {
        _cleanup_close_ int fd = open_device(address);

        if (fd < 0)
                return fd;
        return read_at(fd, attribute, ret);
}

/* A directory listing and one faccessat() per device, not sd-device's enumerator: that builds a
 * device object per PCI function, some ten system calls each, which on a host with 16,384 VFs was
 * most of the time coldplug spent before reading the first PF. */
int sysfs_list_pfs(char ***ret) {
        _cleanup_(closedirp) DIR *d = opendir(SYSFS_PCI_DEVICES);
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        struct dirent *de;

        if (!l)
                return -ENOMEM;
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TAKE_PTR(l);
                return 0;
        }
        while ((errno = 0, de = readdir(d))) {
                char path[sizeof(de->d_name) + sizeof("/sriov_totalvfs")];

                if (!pci_address_is_valid(de->d_name))
                        continue;
                snprintf(path, sizeof(path), "%s/sriov_totalvfs", de->d_name);
                if (faccessat(dirfd(d), path, F_OK, 0) < 0)
                        continue;
                if (strv_extend(&l, de->d_name) < 0)
                        return -ENOMEM;
        }
        if (errno > 0)
                return -errno;
        qsort(l, strv_length(l), sizeof(char *), (int (*)(const void *, const void *)) strcmpp);
        *ret = TAKE_PTR(l);
        return 0;
}

int sysfs_list_pci_drivers(char ***ret) {
        _cleanup_close_ int fd = open(SYSFS_PCI_DRIVERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        return read_dir_names_at(fd, ".", ret);
}

int sysfs_vfio_enable_sriov(void) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_at(AT_FDCWD, "/sys/module/vfio_pci/parameters/enable_sriov", &s);
        if (r < 0)
                return r;
        return parse_boolean(s) > 0;
}

/* ---- writing ---- */

static bool is_attribute_name(const char *s) {
        if (isempty(s) || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
        return true;
}

int sysfs_check_path(const char *path) {
        const char *rest;
        char name[64];
        size_t n;

        if (streq(path, SYSFS_PCI_DRIVERS_PROBE))
                return 0;
        if ((rest = startswith(path, SYSFS_PCI_DEVICES "/"))) {
                n = strcspn(rest, "/");
                if (n != PCI_ADDRESS_MAX - 1 || rest[n] != '/')
                        return -EPERM;
                memcpy(name, rest, n);
                name[n] = '\0';
                if (!pci_address_is_valid(name) || !is_attribute_name(rest + n + 1))
                        return -EPERM;
                return check_device_link(name) == -EPERM ? -EPERM : 0;
        }
        if ((rest = startswith(path, SYSFS_PCI_DRIVERS "/"))) {
                n = strcspn(rest, "/");
                if (n == 0 || n >= sizeof(name) || rest[n] != '/')
                        return -EPERM;
                memcpy(name, rest, n);
                name[n] = '\0';
                if (!driver_name_is_valid(name) || !(streq(rest + n + 1, "bind") || streq(rest + n + 1, "unbind")))
                        return -EPERM;
                return 0;
        }
        return -EPERM;
}

int sysfs_write(const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(value);
        ssize_t k;

        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* No retry on EINTR: a sysfs store either ran or did not, and running it twice is not safe. */
        k = write(fd, value, n);
        if (k < 0)
                return -errno;
        if ((size_t) k != n)
                return -EIO;
        return 0;
}

int sysfs_write_attribute(const char *address, const char *attribute, const char *value) {
        _cleanup_free_ char *path = NULL;

        if (!pci_address_is_valid(address))
                return -EINVAL;
        if (asprintf(&path, SYSFS_PCI_DEVICES "/%s/%s", address, attribute) < 0)
                return -ENOMEM;
        return sysfs_write(path, value);
}
