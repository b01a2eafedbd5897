/* The fake kernel's PCI core: drivers, binding, SR-IOV and the semantics of every sysfs store. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-kernel-private.h"

/* PF drivers that implement .sriov_configure; vfio-pci has it only with enable_sriov=1. */
static const char *const sriov_drivers[] = {
        "ice", "i40e", "ixgbe", "igb", "mlx5_core", "bnxt_en", "nvme", "pci-pf-stub", NULL,
};

/* Drivers whose ID table matches nothing by itself: they bind through driver_override or new_id. */
static bool driver_is_override_only(const char *name) {
        return streq(name, VFIO_PCI) || streq(name, "pci-pf-stub");
}

void device_free(Device *d) {
        if (!d)
                return;
        g_free(d->bdf);
        g_free(d->syspath);
        g_free(d->id_path);
        g_free(d->driver);
        g_free(d->driver_override);
        if (d->vfs)
                g_ptr_array_unref(d->vfs);
        g_free(d->net_syspath);
        hw_pf_free(d->hw);
        g_free(d);
}

void driver_free(Driver *d) {
        if (!d)
                return;
        g_free(d->name);
        g_array_unref(d->dynids);
        g_free(d);
}

void hw_pf_free(HwPf *hw) {
        if (!hw)
                return;
        g_free(hw->where);
        g_free(hw->driver);
        g_free(hw->vf_driver);
        g_free(hw->netdev);
        g_free(hw->id_path);
        g_free(hw);
}

static int hex_field(const char *s, size_t len, size_t max_digits, unsigned max, unsigned *ret) {
        if (len == 0 || len > max_digits)
                return -EINVAL;
        unsigned v = 0;
        for (size_t i = 0; i < len; i++) {
                if (!isxdigit((unsigned char) s[i]))
                        return -EINVAL;
                v = v * 16 + (unsigned) g_ascii_xdigit_value(s[i]);
        }
        if (v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "DDDD:BB:DD.F", or "BB:DD.F" in domain 0. */
int bdf_parse(const char *s, unsigned *ret_domain, unsigned *ret_bus, unsigned *ret_devfn) {
        if (!s)
                return -EINVAL;
        const char *dot = strrchr(s, '.');
        const char *c2 = dot ? memrchr(s, ':', (size_t) (dot - s)) : NULL;
        if (!dot || !c2)
                return -EINVAL;
        const char *c1 = c2 > s ? memrchr(s, ':', (size_t) (c2 - s)) : NULL;
        unsigned domain = 0, bus, dev, fn;
        const char *bus_start = c1 ? c1 + 1 : s;
        if (c1 && hex_field(s, (size_t) (c1 - s), 4, 0xffff, &domain) < 0)
                return -EINVAL;
        if (hex_field(bus_start, (size_t) (c2 - bus_start), 2, 0xff, &bus) < 0 ||
            hex_field(c2 + 1, (size_t) (dot - c2 - 1), 2, 0x1f, &dev) < 0 ||
            hex_field(dot + 1, strlen(dot + 1), 1, 7, &fn) < 0)
                return -EINVAL;
        *ret_domain = domain;
        *ret_bus = bus;
        *ret_devfn = dev << 3 | fn;
        return 0;
}

char *bdf_format(unsigned domain, unsigned bus, unsigned devfn) {
        return g_strdup_printf("%04x:%02x:%02x.%x", domain, bus, devfn >> 3, devfn & 7);
}

Device *kernel_find_device(FakeKernel *k, const char *bdf) {
        unsigned domain, bus, devfn;
        if (bdf_parse(bdf, &domain, &bus, &devfn) < 0)
                return NULL;
        g_autofree char *canonical = bdf_format(domain, bus, devfn);
        return g_hash_table_lookup(k->devices, canonical);
}

/* What bus_find_device_by_name() finds: the exact name, one trailing newline ignored. */
static Device *find_device_by_name(FakeKernel *k, const char *buf) {
        g_autofree char *name = g_strdup(buf);
        size_t len = strlen(name);
        if (len > 0 && name[len - 1] == '\n')
                name[len - 1] = '\0';
        return g_hash_table_lookup(k->devices, name);
}

Device *kernel_device_for_path(FakeKernel *k, const char *path, const char **ret_attribute) {
        Device *best = NULL;
        size_t best_len = 0;
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, k->devices);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Device *d = value;
                size_t len = strlen(d->syspath);
                if (len > best_len && strncmp(path, d->syspath, len) == 0 && path[len] == '/' && path[len + 1]) {
                        best = d;
                        best_len = len;
                }
        }
        if (best && ret_attribute)
                *ret_attribute = path + best_len + 1;
        return best;
}

static gint compare_devices(gconstpointer a, gconstpointer b) {
        const Device *x = *(Device * const *) a, *y = *(Device * const *) b;
        return strcmp(x->bdf, y->bdf);
}

static GPtrArray *sorted_devices(FakeKernel *k) {
        GPtrArray *all = g_ptr_array_new();
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, k->devices);
        while (g_hash_table_iter_next(&it, NULL, &value))
                g_ptr_array_add(all, value);
        g_ptr_array_sort(all, compare_devices);
        return all;
}

/* ---- kernel string parsing, as lib/kstrtox.c does it ---- */

static int parse_kstrtoull(const char *s, unsigned long long max, unsigned long long *ret) {
        unsigned base = 10;
        if (*s == '+')
                s++;
        if (s[0] == '0') {
                if ((s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char) s[2])) {
                        base = 16;
                        s += 2;
                } else
                        base = 8;
        }
        unsigned long long v = 0;
        const char *start = s;
        for (; *s; s++) {
                int digit = g_ascii_xdigit_value(*s);
                if (digit < 0 || (unsigned) digit >= base)
                        break;
                if (v > (ULLONG_MAX - (unsigned) digit) / base)
                        return -ERANGE;
                v = v * base + (unsigned) digit;
        }
        if (s == start)
                return -EINVAL;
        if (*s == '\n')
                s++;
        if (*s)
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_kstrtoint(const char *s, int *ret) {
        unsigned long long v;
        int r;
        if (s[0] == '-') {
                r = parse_kstrtoull(s + 1, (unsigned long long) INT_MAX + 1, &v);
                if (r < 0)
                        return r;
                *ret = (int) -(long long) v;
                return 0;
        }
        r = parse_kstrtoull(s, INT_MAX, &v);
        if (r < 0)
                return r;
        *ret = (int) v;
        return 0;
}

static int parse_kstrtobool(const char *s, bool *ret) {
        switch (s[0]) {
        case 'y': case 'Y': case 't': case 'T': case '1':
                *ret = true;
                return 0;
        case 'n': case 'N': case 'f': case 'F': case '0':
                *ret = false;
                return 0;
        case 'o': case 'O':
                if (s[1] == 'n' || s[1] == 'N') {
                        *ret = true;
                        return 0;
                }
                if (s[1] == 'f' || s[1] == 'F') {
                        *ret = false;
                        return 0;
                }
                return -EINVAL;
        default:
                return -EINVAL;
        }
}

/* ---- drivers and binding ---- */

static Driver *loaded_driver(FakeKernel *k, const char *name) {
        Driver *drv = name ? g_hash_table_lookup(k->drivers, name) : NULL;
        return drv && drv->loaded ? drv : NULL;
}

static const char *native_driver(Device *d) {
        switch (d->kind) {
        case DEVICE_PF:
                return d->hw->driver;
        case DEVICE_VF:
                return d->physfn->hw->vf_driver;
        case DEVICE_BRIDGE:
                return NULL;
        }
        return NULL;
}

static bool driver_has_dynid(Driver *drv, Device *d) {
        uint32_t id = (uint32_t) d->vendor << 16 | d->device;
        for (guint i = 0; i < drv->dynids->len; i++)
                if (g_array_index(drv->dynids, uint32_t, i) == id)
                        return true;
        return false;
}

/* pci_bus_match(): driver_override decides alone; otherwise dynamic IDs, then the ID table. */
static bool driver_matches(Driver *drv, Device *d) {
        if (d->kind == DEVICE_BRIDGE)
                return false;
        if (d->driver_override)
                return streq(d->driver_override, drv->name);
        if (driver_has_dynid(drv, d))
                return true;
        const char *native = native_driver(d);
        return native && streq(native, drv->name) && !driver_is_override_only(drv->name);
}

/* pci_device_can_probe(): a VF probes only while its PF allows autoprobe, or with an override. */
static bool device_can_probe(Device *d) {
        if (d->kind != DEVICE_VF)
                return true;
        if (d->driver_override)
                return true;
        return d->generic ? d->latched_autoprobe : d->physfn->drivers_autoprobe;
}

static void driver_device_link(FakeKernel *k, Device *d, const char *driver, bool present) {
        g_autofree char *dir = g_strdup_printf("/sys/bus/pci/drivers/%s", driver);
        g_autofree char *link = g_strdup_printf("%s/%s", dir, d->bdf);
        if (present) {
                g_autofree char *target = sysfs_relative_to_sys(dir, d->syspath + 5);
                (void) sysfs_symlink(k, link, target);
        } else
                sysfs_remove(k, link);
}

/* really_probe(): the probe either binds the device or fails with the driver's error. */
static int driver_probe(FakeKernel *k, Driver *drv, Device *d, bool check_can_probe) {
        if (d->driver)
                return -EBUSY;
        if (check_can_probe && !device_can_probe(d))
                return -ENODEV;
        bool vfio = streq(drv->name, VFIO_PCI);
        if (vfio) {
                if (d->iommu_group < 0)
                        return -EINVAL;   /* vfio_iommu_group_get(): no IOMMU, no VFIO_NOIOMMU */
                if (d->kind == DEVICE_PF && d->numvfs > 0)
                        return -EBUSY;    /* "Cannot bind to PF with SR-IOV enabled" */
        }

        d->driver = g_strdup(drv->name);
        if (vfio) {
                int r = vfio_files_create(k, d);
                if (r < 0)
                        g_warning("fake-kernel: cannot create vfio nodes for %s: %s", d->bdf, g_strerror(-r));
        }
        if (d->kind == DEVICE_PF && d->hw->netdev && streq_ptr(d->hw->driver, drv->name)) {
                int r = netdev_create(k, d);
                if (r < 0)
                        g_warning("fake-kernel: cannot create netdev %s: %s", d->hw->netdev, g_strerror(-r));
        }
        driver_device_link(k, d, drv->name, true);
        device_render(k, d);
        kernel_uevent(k, d->syspath, "bind");
        return 0;
}

/* device_attach(): the first matching driver whose probe succeeds; probe errors are ignored. */
static bool device_attach(FakeKernel *k, Device *d) {
        if (d->driver)
                return true;
        if (d->kind == DEVICE_BRIDGE)
                return false;
        if (d->driver_override) {
                Driver *drv = loaded_driver(k, d->driver_override);
                return drv && driver_probe(k, drv, d, true) == 0;
        }

        Driver *native = loaded_driver(k, native_driver(d));
        if (native && driver_matches(native, d) && driver_probe(k, native, d, true) == 0)
                return true;

        g_autoptr(GList) names = g_hash_table_get_keys(k->drivers);
        names = g_list_sort(names, (GCompareFunc) strcmp);
        for (GList *l = names; l; l = l->next) {
                Driver *drv = loaded_driver(k, l->data);
                if (drv && driver_has_dynid(drv, d) && driver_probe(k, drv, d, true) == 0)
                        return true;
        }
        return false;
}

/* driver_attach(): a driver that appears, or learns a new ID, probes every unbound device it matches. */
static void driver_attach(FakeKernel *k, Driver *drv) {
        g_autoptr(GPtrArray) all = sorted_devices(k);
        for (guint i = 0; i < all->len; i++) {
                Device *d = all->pdata[i];
                if (!d->driver && driver_matches(drv, d))
                        (void) driver_probe(k, drv, d, true);
        }
}

static void sriov_disable(FakeKernel *k, Device *pf);

static void device_release_driver(FakeKernel *k, Device *d) {
        if (!d->driver)
                return;
        /* vfio-pci's remove disables SR-IOV; other drivers may leave it enabled */
        if (d->kind == DEVICE_PF && streq(d->driver, VFIO_PCI) && d->numvfs > 0)
                sriov_disable(k, d);
        if (d->kind == DEVICE_PF)
                netdev_destroy(k, d);
        if (streq(d->driver, VFIO_PCI))
                vfio_files_destroy(k, d);
        driver_device_link(k, d, d->driver, false);
        g_clear_pointer(&d->driver, g_free);
        device_render(k, d);
        kernel_uevent(k, d->syspath, "unbind");
}

Driver *kernel_load_driver(FakeKernel *k, const char *name, int sriov) {
        Driver *drv = g_hash_table_lookup(k->drivers, name);
        if (!drv) {
                drv = g_new0(Driver, 1);
                drv->name = g_strdup(name);
                drv->dynids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
                for (const char *const *s = sriov_drivers; *s; s++)
                        if (streq(*s, name))
                                drv->sriov_configure = true;
                g_hash_table_insert(k->drivers, drv->name, drv);
        }
        if (sriov >= 0)
                drv->sriov_configure = sriov;
        if (!drv->loaded) {
                drv->loaded = true;
                int r = driver_files_create(k, drv);
                if (r < 0)
                        g_warning("fake-kernel: cannot create driver %s: %s", name, g_strerror(-r));
                driver_attach(k, drv);
        }
        return drv;
}

static void driver_add_dynid(Driver *drv, uint16_t vendor, uint16_t device) {
        uint32_t id = (uint32_t) vendor << 16 | device;
        for (guint i = 0; i < drv->dynids->len; i++)
                if (g_array_index(drv->dynids, uint32_t, i) == id)
                        return;
        g_array_append_val(drv->dynids, id);
}

/* ---- vfio users ---- */

typedef struct HeldNode {
        dev_t dev;
        ino_t ino;
        Device *device;
} HeldNode;

static void add_node(GArray *nodes, const char *path, Device *d) {
        struct stat st;
        if (!path || stat(path, &st) < 0)
                return;
        HeldNode n = { .dev = st.st_dev, .ino = st.st_ino, .device = d };
        g_array_append_val(nodes, n);
}

/* Any process, not only the harness's own holders, that has a vfio group or cdev of one of
 * DEVICES open, found like lsof does it: stat() every /proc/PID/fd entry. */
pid_t vfio_holder(FakeKernel *k, Device * const *devices, size_t n, Device **ret_device) {
        g_autoptr(GArray) nodes = g_array_new(FALSE, FALSE, sizeof(HeldNode));
        for (size_t i = 0; i < n; i++) {
                Device *d = devices[i];
                if (!d->driver || !streq(d->driver, VFIO_PCI))
                        continue;
                g_autofree char *group = vfio_group_path(k, d);
                g_autofree char *cdev = vfio_cdev_path(k, d);
                add_node(nodes, group, d);
                add_node(nodes, cdev, d);
        }
        if (nodes->len == 0)
                return 0;

        DIR *proc = opendir("/proc");
        if (!proc)
                return 0;
        pid_t found = 0;
        struct dirent *de;
        while (!found && (de = readdir(proc))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0)
                        continue;
                char fd_dir[64];
                snprintf(fd_dir, sizeof(fd_dir), "/proc/%ld/fd", pid);
                int dfd = open(fd_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        continue;
                DIR *fds = fdopendir(dfd);
                if (!fds) {
                        close(dfd);
                        continue;
                }
                struct dirent *fe;
                while (!found && (fe = readdir(fds))) {
                        struct stat st;
                        if (fe->d_name[0] == '.' || fstatat(dirfd(fds), fe->d_name, &st, 0) < 0)
                                continue;
                        for (guint i = 0; i < nodes->len; i++) {
                                HeldNode *node = &g_array_index(nodes, HeldNode, i);
                                if (node->dev == st.st_dev && node->ino == st.st_ino) {
                                        found = (pid_t) pid;
                                        if (ret_device)
                                                *ret_device = node->device;
                                        break;
                                }
                        }
                }
                closedir(fds);
        }
        closedir(proc);
        return found;
}

static char *process_comm(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int) pid);
        char *comm = NULL;
        if (!g_file_get_contents(path, &comm, NULL, NULL))
                return g_strdup("?");
        return g_strchomp(comm);
}

static char *held_description(pid_t pid) {
        g_autofree char *comm = process_comm(pid);
        return g_strdup_printf("pid %d (%s)", (int) pid, comm);
}

/* ---- SR-IOV ---- */

static Device *vf_new(FakeKernel *k, Device *pf, unsigned index, bool generic, bool autoprobe) {
        HwPf *hw = pf->hw;
        unsigned rid = (hw->bus << 8 | hw->devfn) + hw->offset + index * hw->stride;
        Device *vf = g_new0(Device, 1);
        vf->kind = DEVICE_VF;
        vf->bdf = bdf_format(hw->domain, rid >> 8, rid & 0xff);
        g_autofree char *parent = g_path_get_dirname(pf->syspath);
        vf->syspath = g_strdup_printf("%s/%s", parent, vf->bdf);
        vf->vendor = pf->vendor;
        vf->device = hw->vf_device;
        vf->class = pf->class;
        vf->subsystem_vendor = pf->subsystem_vendor;
        vf->subsystem_device = pf->subsystem_device;
        vf->numa_node = pf->numa_node;
        vf->id_path = g_strdup_printf("pci-%s", vf->bdf);
        vf->iommu_group = hw->iommu ? iommu_group_allocate(k) : -1;
        vf->vfio_index = -1;
        vf->physfn = pf;
        vf->vf_index = index;
        vf->generic = generic;
        vf->latched_autoprobe = autoprobe;
        /* vfio_pci_bus_notifier() captures the VFs of a PF it owns */
        if (pf->driver && streq(pf->driver, VFIO_PCI))
                vf->driver_override = g_strdup(VFIO_PCI);
        return vf;
}

static void sriov_enable(FakeKernel *k, Device *pf, unsigned n, bool generic) {
        bool autoprobe = generic ? pf->unmanaged_autoprobe : pf->drivers_autoprobe;
        for (unsigned i = 0; i < n; i++) {
                Device *vf = vf_new(k, pf, i, generic, autoprobe);
                g_hash_table_insert(k->devices, vf->bdf, vf);
                g_ptr_array_add(pf->vfs, vf);
                int r = device_add_to_testbed(k, vf);
                if (r < 0) {
                        g_warning("fake-kernel: cannot add VF %s: %s", vf->bdf, g_strerror(-r));
                        continue;
                }
                g_autofree char *physfn = g_strdup_printf("%s/physfn", vf->syspath);
                g_autofree char *physfn_target = g_strdup_printf("../%s", pf->bdf);
                g_autofree char *virtfn = g_strdup_printf("%s/virtfn%u", pf->syspath, i);
                g_autofree char *virtfn_target = g_strdup_printf("../%s", vf->bdf);
                (void) sysfs_symlink(k, physfn, physfn_target);
                (void) sysfs_symlink(k, virtfn, virtfn_target);
                kernel_uevent(k, vf->syspath, "change");   /* pci_iov_sysfs_link() */
                (void) device_attach(k, vf);               /* pci_bus_add_device() */
        }
        pf->numvfs = n;
        device_render(k, pf);
        kernel_uevent(k, pf->syspath, "change");
}

static void sriov_disable(FakeKernel *k, Device *pf) {
        for (guint i = pf->vfs->len; i-- > 0;) {
                Device *vf = pf->vfs->pdata[i];
                device_release_driver(k, vf);
                device_remove_from_testbed(k, vf);
                g_autofree char *virtfn = g_strdup_printf("%s/virtfn%u", pf->syspath, i);
                sysfs_remove(k, virtfn);
                iommu_group_release(k, vf);
                g_hash_table_remove(k->devices, vf->bdf);
        }
        g_ptr_array_set_size(pf->vfs, 0);
        pf->numvfs = 0;
        device_render(k, pf);
}

static pid_t vfs_holder(FakeKernel *k, Device *pf, Device **ret_vf) {
        return vfio_holder(k, (Device * const *) pf->vfs->pdata, pf->vfs->len, ret_vf);
}

/* ---- stores ---- */

static int store_sriov_numvfs(FakeKernel *k, Device *pf, const char *buf, size_t size, char **blocked_by) {
        unsigned long long n;
        int r = parse_kstrtoull(buf, UINT16_MAX, &n);
        if (r < 0)
                return r;
        if (n > pf->hw->totalvfs)
                return -ERANGE;
        if (n == pf->numvfs)
                return (int) size;

        bool generic = false;
        if (!pf->driver) {
                if (!pf->hw->unmanaged)
                        return -ENOENT;
                generic = true;
        } else if (streq(pf->driver, VFIO_PCI)) {
                if (pf->hw->unmanaged)
                        return -EBUSY;    /* SR-IOV is static while vfio owns an unmanaged PF */
                if (!k->vfio_enable_sriov)
                        return -ENOENT;
        } else {
                Driver *drv = g_hash_table_lookup(k->drivers, pf->driver);
                if (!drv || !drv->sriov_configure)
                        return -ENOENT;
        }

        if (n == 0) {
                Device *vf = NULL;
                pid_t pid = vfs_holder(k, pf, &vf);
                if (pid > 0) {
                        g_autofree char *who = held_description(pid);
                        *blocked_by = g_strdup_printf("sriov_numvfs written on PF %s while VF %s is held open by %s",
                                                      pf->bdf, vf->bdf, who);
                        return KERNEL_BLOCKED;
                }
                sriov_disable(k, pf);
                return (int) size;
        }
        if (pf->numvfs > 0)
                return -EBUSY;
        /* Some drivers enable fewer VFs than asked (resources ran short) and still return success. */
        if (!generic && pf->hw->enables > 0 && n > pf->hw->enables)
                n = pf->hw->enables;
        sriov_enable(k, pf, (unsigned) n, generic);
        return (int) size;
}

static int store_driver_override(FakeKernel *k, Device *d, const char *buf, size_t size) {
        /* driver_set_override() */
        if (size >= SYSFS_PAGE_SIZE - 1)
                return -EINVAL;
        size_t len = strlen(buf);
        const char *nl = strchr(buf, '\n');
        g_clear_pointer(&d->driver_override, g_free);
        if (len > 0 && nl != buf)
                d->driver_override = g_strndup(buf, nl ? (size_t) (nl - buf) : len);
        device_render(k, d);
        return (int) size;
}

static int store_msix_count(FakeKernel *k, Device *vf, const char *buf, size_t size) {
        int val;
        if (parse_kstrtoint(buf, &val) < 0 || val < 0)
                return -EINVAL;
        if (!pf_msix_supported(vf->physfn))
                return -EOPNOTSUPP;
        if (vf->driver)
                return -EBUSY;
        if ((unsigned) val > vf->physfn->hw->msix)
                return -EINVAL;
        vf->msix_count = (unsigned) val;
        device_render(k, vf);
        return (int) size;
}

static int store_uevent(FakeKernel *k, Device *d, const char *buf, size_t size) {
        static const char *const actions[] = { "add", "remove", "change", "move", "online", "offline", "bind", "unbind", NULL };
        size_t len = strcspn(buf, " \n");
        for (const char *const *a = actions; *a; a++)
                if (strlen(*a) == len && strncmp(buf, *a, len) == 0) {
                        g_autofree char *action = g_strndup(buf, len);
                        kernel_uevent(k, d->syspath, action);
                        return (int) size;
                }
        return -EINVAL;
}

static int device_store(FakeKernel *k, Device *d, const char *attr, const char *buf, size_t size, char **blocked_by) {
        if (streq(attr, "sriov_numvfs"))
                return store_sriov_numvfs(k, d, buf, size, blocked_by);
        if (streq(attr, "driver_override"))
                return store_driver_override(k, d, buf, size);
        if (streq(attr, "sriov_vf_msix_count"))
                return store_msix_count(k, d, buf, size);
        if (streq(attr, "uevent"))
                return store_uevent(k, d, buf, size);
        if (streq(attr, "sriov_drivers_autoprobe") || streq(attr, "sriov_unmanaged_autoprobe")) {
                bool v;
                if (parse_kstrtobool(buf, &v) < 0)
                        return -EINVAL;
                if (streq(attr, "sriov_drivers_autoprobe"))
                        d->drivers_autoprobe = v;
                else
                        d->unmanaged_autoprobe = v;
                device_render(k, d);
                return (int) size;
        }
        if (streq(attr, "numa_node")) {
                int node;
                if (parse_kstrtoint(buf, &node) < 0 || node < -1 || node >= 8)
                        return -EINVAL;
                d->numa_node = node;
                device_render(k, d);
                return (int) size;
        }
        return -EACCES;
}

static int bus_drivers_probe(FakeKernel *k, const char *buf, size_t size) {
        Device *d = find_device_by_name(k, buf);
        if (!d)
                return -ENODEV;
        (void) device_attach(k, d);   /* success even when nothing binds */
        return (int) size;
}

static int driver_store(FakeKernel *k, Driver *drv, const char *file, const char *buf, size_t size, char **blocked_by) {
        if (streq(file, "bind")) {
                Device *d = find_device_by_name(k, buf);
                if (!d || !driver_matches(drv, d))
                        return -ENODEV;
                int r = driver_probe(k, drv, d, true);
                return r < 0 ? r : (int) size;
        }
        if (streq(file, "unbind")) {
                Device *d = find_device_by_name(k, buf);
                if (!d || !streq_ptr(d->driver, drv->name))
                        return -ENODEV;
                if (streq(drv->name, VFIO_PCI)) {
                        /* vfio_unregister_group_dev() waits for users; a vfio PF's VFs go too */
                        Device *held = NULL;
                        pid_t pid = vfio_holder(k, &d, 1, &held);
                        if (pid <= 0 && d->kind == DEVICE_PF)
                                pid = vfs_holder(k, d, &held);
                        if (pid > 0) {
                                g_autofree char *who = held_description(pid);
                                *blocked_by = g_strdup_printf("unbind of %s from vfio-pci while %s is held open by %s",
                                                              d->bdf, held->bdf, who);
                                return KERNEL_BLOCKED;
                        }
                }
                device_release_driver(k, d);
                return (int) size;
        }
        if (streq(file, "new_id") || streq(file, "remove_id")) {
                unsigned vendor, device;
                if (sscanf(buf, "%x %x", &vendor, &device) < 2 || vendor > 0xffff || device > 0xffff)
                        return -EINVAL;
                if (streq(file, "new_id")) {
                        driver_add_dynid(drv, (uint16_t) vendor, (uint16_t) device);
                        driver_attach(k, drv);
                        return (int) size;
                }
                uint32_t id = vendor << 16 | device;
                for (guint i = 0; i < drv->dynids->len; i++)
                        if (g_array_index(drv->dynids, uint32_t, i) == id) {
                                g_array_remove_index(drv->dynids, i);
                                return (int) size;
                        }
                return -ENODEV;
        }
        return KERNEL_PASS;
}

int kernel_write(FakeKernel *k, const char *path, const char *data, size_t size, char **ret_blocked_by) {
        const char *attr = NULL;
        Device *d = kernel_device_for_path(k, path, &attr);
        Driver *drv = NULL;
        const char *driver_file = NULL;
        bool module_param = streq(path, "/sys/module/vfio_pci/parameters/enable_sriov");
        bool bus_file = false;

        if (!d && g_str_has_prefix(path, "/sys/bus/pci/")) {
                const char *rel = path + strlen("/sys/bus/pci/");
                if (streq(rel, "drivers_probe") || streq(rel, "rescan"))
                        bus_file = true;
                else if (g_str_has_prefix(rel, "drivers/")) {
                        g_autofree char *name = g_strdup(rel + strlen("drivers/"));
                        char *slash = strchr(name, '/');
                        if (slash) {
                                *slash = '\0';
                                drv = loaded_driver(k, name);
                                driver_file = rel + strlen("drivers/") + (slash - name) + 1;
                                bus_file = drv != NULL;
                        }
                }
        }

        if (d && !device_attribute_is_modeled(d, attr))
                return KERNEL_PASS;
        if (!d && !bus_file && !module_param) {
                /* a file of a device that is gone answers like kernfs after removal */
                g_autofree char *file = kernel_path(k, path);
                if (g_str_has_prefix(path, "/sys/devices/") && !g_file_test(file, G_FILE_TEST_EXISTS))
                        return -ENODEV;
                return KERNEL_PASS;
        }

        /* kernfs and sysfs_kf_write() rules, before any attribute sees the data */
        if (size > SYSFS_PAGE_SIZE)
                return -E2BIG;
        if (size == 0)
                return 0;

        if (d) {
                if (!device_attribute_is_writable(d, attr))
                        return -EACCES;
                return device_store(k, d, attr, data, size, ret_blocked_by);
        }
        if (module_param) {
                bool v;
                if (parse_kstrtobool(data, &v) < 0)
                        return -EINVAL;
                k->vfio_enable_sriov = v;
                module_files_render(k);
                return (int) size;
        }
        if (drv)
                return driver_store(k, drv, driver_file, data, size, ret_blocked_by);
        if (streq(path, "/sys/bus/pci/drivers_probe"))
                return bus_drivers_probe(k, data, size);
        /* rescan: every device is present already */
        unsigned long long v;
        if (parse_kstrtoull(data, ULLONG_MAX, &v) < 0)
                return -EINVAL;
        return (int) size;
}

/* ---- hardware ---- */

static int reserve_addresses(FakeKernel *k, HwPf *hw, const char *pf_bdf, const char *bridge_bdf) {
        g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(wanted, g_strdup(pf_bdf));
        for (unsigned i = 0; i < hw->totalvfs; i++) {
                unsigned rid = (hw->bus << 8 | hw->devfn) + hw->offset + i * hw->stride;
                g_ptr_array_add(wanted, bdf_format(hw->domain, rid >> 8, rid & 0xff));
        }
        for (guint i = 0; i < wanted->len; i++) {
                const char *owner = g_hash_table_lookup(k->reserved, wanted->pdata[i]);
                if (owner) {
                        fprintf(stderr, "%s: pf %s: address %s is taken by %s\n", hw->where, pf_bdf,
                                (char *) wanted->pdata[i], owner);
                        return -EEXIST;
                }
        }
        if (bridge_bdf) {
                const char *owner = g_hash_table_lookup(k->reserved, bridge_bdf);
                if (owner && !g_str_has_prefix(owner, "the root port")) {
                        fprintf(stderr, "%s: pf %s: its root port %s is taken by %s\n", hw->where, pf_bdf, bridge_bdf, owner);
                        return -EEXIST;
                }
                for (guint i = 0; i < wanted->len; i++)
                        if (streq(wanted->pdata[i], bridge_bdf)) {
                                fprintf(stderr, "%s: pf %s: a VF address collides with its root port %s\n", hw->where, pf_bdf, bridge_bdf);
                                return -EEXIST;
                        }
                g_hash_table_insert(k->reserved, g_strdup(bridge_bdf), g_strdup("the root port of bus"));
        }
        g_hash_table_insert(k->reserved, g_strdup(pf_bdf), g_strdup_printf("pf %s", pf_bdf));
        for (guint i = 1; i < wanted->len; i++)
                g_hash_table_insert(k->reserved, g_strdup(wanted->pdata[i]), g_strdup_printf("VF %u of pf %s", i - 1, pf_bdf));
        return 0;
}

static gboolean reserved_by(gpointer key, gpointer value, gpointer userdata) {
        const char *owner = value, *pf = userdata;
        const char *suffix = strrchr(owner, ' ');
        return !g_str_has_prefix(owner, "the root port") && suffix && streq(suffix + 1, pf);
}

static Device *bridge_for(FakeKernel *k, HwPf *hw, const char *bridge_bdf) {
        Device *b = g_hash_table_lookup(k->devices, bridge_bdf);
        if (b)
                return b;
        b = g_new0(Device, 1);
        b->kind = DEVICE_BRIDGE;
        b->bdf = g_strdup(bridge_bdf);
        b->syspath = g_strdup_printf("/sys/devices/pci%04x:%02x/%s", hw->domain, hw->bus - 1, bridge_bdf);
        b->vendor = 0x8086;
        b->device = 0x347a;
        b->subsystem_vendor = 0x8086;
        b->class = 0x060400;
        b->numa_node = hw->numa;
        b->id_path = g_strdup_printf("pci-%s", bridge_bdf);
        b->iommu_group = -1;
        b->vfio_index = -1;
        g_hash_table_insert(k->devices, b->bdf, b);
        int r = device_add_to_testbed(k, b);
        if (r < 0)
                g_warning("fake-kernel: cannot add root port %s: %s", bridge_bdf, g_strerror(-r));
        return b;
}

/* Takes HW, also on failure. */
int kernel_add_pf(FakeKernel *k, HwPf *hw_owned) {
        g_autoptr(HwPf) owned = hw_owned;
        HwPf *hw = hw_owned;
        g_autofree char *bdf = bdf_format(hw->domain, hw->bus, hw->devfn);
        g_autofree char *bridge_bdf = hw->bus > 0 ? bdf_format(hw->domain, hw->bus - 1, 0) : NULL;

        if (g_hash_table_contains(k->devices, bdf)) {
                fprintf(stderr, "%s: pf %s: a device with this address exists already\n", hw->where, bdf);
                return -EEXIST;
        }
        int r = reserve_addresses(k, hw, bdf, bridge_bdf);
        if (r < 0)
                return r;

        if (hw->driver) {
                Driver *drv = kernel_load_driver(k, hw->driver, -1);
                /* how such PFs get there on a real host: vfio-pci.ids= or pci-pf-stub.ids= */
                if (driver_is_override_only(hw->driver))
                        driver_add_dynid(drv, hw->vendor, hw->device);
        }
        if (hw->vf_driver)
                (void) kernel_load_driver(k, hw->vf_driver, -1);

        Device *pf = g_new0(Device, 1);
        pf->kind = DEVICE_PF;
        pf->bdf = g_steal_pointer(&bdf);
        if (bridge_bdf) {
                Device *bridge = bridge_for(k, hw, bridge_bdf);
                pf->syspath = g_strdup_printf("%s/%s", bridge->syspath, pf->bdf);
        } else
                pf->syspath = g_strdup_printf("/sys/devices/pci%04x:00/%s", hw->domain, pf->bdf);
        pf->vendor = hw->vendor;
        pf->device = hw->device;
        pf->class = hw->class;
        pf->subsystem_vendor = hw->vendor;
        pf->subsystem_device = 0;
        pf->numa_node = hw->numa;
        pf->id_path = g_strdup(hw->id_path);
        pf->iommu_group = hw->iommu ? iommu_group_allocate(k) : -1;
        pf->vfio_index = -1;
        pf->drivers_autoprobe = hw->autoprobe;
        pf->unmanaged_autoprobe = hw->unmanaged_autoprobe;
        pf->vfs = g_ptr_array_new();
        pf->hw = g_steal_pointer(&owned);
        g_hash_table_insert(k->devices, pf->bdf, pf);
        g_ptr_array_add(k->pfs, pf);

        r = device_add_to_testbed(k, pf);
        if (r < 0) {
                fprintf(stderr, "%s: pf %s: cannot add it to the testbed: %s\n", hw->where, pf->bdf, g_strerror(-r));
                return r;
        }
        if (hw->driver && !device_attach(k, pf))
                fprintf(stderr, "%s: pf %s: driver %s did not bind (no IOMMU for vfio-pci?)\n", hw->where, pf->bdf, hw->driver);
        if (hw->numvfs > 0)
                sriov_enable(k, pf, hw->numvfs, !pf->driver);
        return 0;
}

/* ---- the public face of the model ---- */

int fake_kernel_remove_pf(FakeKernel *k, const char *bdf) {
        if (!k || !bdf)
                return -EINVAL;
        Device *pf = kernel_find_device(k, bdf);
        if (!pf || pf->kind != DEVICE_PF)
                return -ENODEV;
        if (vfio_holder(k, &pf, 1, NULL) > 0 || vfs_holder(k, pf, NULL) > 0)
                return -EBUSY;

        if (pf->numvfs > 0)
                sriov_disable(k, pf);
        device_release_driver(k, pf);
        device_remove_from_testbed(k, pf);
        g_hash_table_foreach_remove(k->reserved, reserved_by, pf->bdf);
        g_ptr_array_remove(k->pfs, pf);
        iommu_group_release(k, pf);
        g_hash_table_remove(k->devices, pf->bdf);
        return 0;
}

int fake_kernel_bind(FakeKernel *k, const char *bdf, const char *driver) {
        if (!k || !bdf || !driver)
                return -EINVAL;
        Device *d = kernel_find_device(k, bdf);
        if (!d)
                return -ENODEV;
        Driver *drv = loaded_driver(k, driver);
        if (!drv)
                return -ENOENT;
        if (d->driver)
                return streq(d->driver, driver) ? 0 : -EBUSY;
        /* forced, like an admin who knows the device: no ID table, no autoprobe */
        return driver_probe(k, drv, d, false);
}

int fake_kernel_unbind(FakeKernel *k, const char *bdf) {
        if (!k || !bdf)
                return -EINVAL;
        Device *d = kernel_find_device(k, bdf);
        if (!d || !d->driver)
                return -ENODEV;
        if (streq(d->driver, VFIO_PCI) &&
            (vfio_holder(k, &d, 1, NULL) > 0 || (d->kind == DEVICE_PF && vfs_holder(k, d, NULL) > 0)))
                return -EBUSY;
        device_release_driver(k, d);
        return 0;
}

const char *fake_kernel_pf_by_ifindex(FakeKernel *k, int ifindex) {
        for (guint i = 0; k && ifindex > 0 && i < k->pfs->len; i++) {
                Device *pf = k->pfs->pdata[i];
                if (pf->net_syspath && pf->ifindex == ifindex)
                        return pf->bdf;
        }
        return NULL;
}

int fake_kernel_uevent(FakeKernel *k, const char *bdf, const char *action) {
        if (!k || !bdf || !action)
                return -EINVAL;
        Device *d = kernel_find_device(k, bdf);
        if (!d)
                return -ENODEV;
        kernel_uevent(k, d->syspath, action);
        return 0;
}

int fake_kernel_set_vfio_enable_sriov(FakeKernel *k, bool enable) {
        if (!k)
                return -EINVAL;
        k->vfio_enable_sriov = enable;
        (void) kernel_load_driver(k, VFIO_PCI, -1);
        module_files_render(k);
        return 0;
}

int fake_kernel_num_vfs(FakeKernel *k, const char *pf) {
        Device *d = k && pf ? kernel_find_device(k, pf) : NULL;
        if (!d || d->kind != DEVICE_PF)
                return -ENODEV;
        return (int) d->numvfs;
}

const char *fake_kernel_driver(FakeKernel *k, const char *bdf) {
        Device *d = k && bdf ? kernel_find_device(k, bdf) : NULL;
        return d ? d->driver : NULL;
}

int fake_kernel_vf_address(FakeKernel *k, const char *pf, unsigned index, char ret[static 13]) {
        Device *d = k && pf ? kernel_find_device(k, pf) : NULL;
        if (!d || d->kind != DEVICE_PF)
                return -ENODEV;
        if (index >= d->hw->totalvfs)
                return -ERANGE;
        unsigned rid = (d->hw->bus << 8 | d->hw->devfn) + d->hw->offset + index * d->hw->stride;
        g_autofree char *s = bdf_format(d->hw->domain, rid >> 8, rid & 0xff);
        g_strlcpy(ret, s, 13);
        return 0;
}
