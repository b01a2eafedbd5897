/* The fake kernel's testbed tree: devices, attribute files, links, IOMMU groups, vfio and net nodes. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fake-kernel-private.h"

#define SYS_DEVICES "/sys/devices/"

char *kernel_path(FakeKernel *k, const char *relative) {
        return g_strconcat(k->root, relative, NULL);
}

static int mkdir_parents_of(const char *path) {
        g_autofree char *dir = g_path_get_dirname(path);
        if (g_mkdir_with_parents(dir, 0755) < 0)
                return -errno;
        return 0;
}

/* Reads a small file; NULL when it does not exist or is not a regular file. */
static char *read_small_file(const char *path) {
        char *contents = NULL;
        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return NULL;
        return contents;
}

/* Replaces the file only when its content differs, and atomically: readers never see
 * the empty file a writer's O_TRUNC left behind, and unchanged files cause no inotify noise. */
int sysfs_write_file(FakeKernel *k, const char *relative, const char *content) {
        g_autofree char *path = kernel_path(k, relative);
        g_autofree char *current = read_small_file(path);
        if (current && streq(current, content))
                return 0;

        int r = mkdir_parents_of(path);
        if (r < 0)
                return r;

        g_autofree char *tmp = g_strdup_printf("%s/.tmp/%u", k->root, k->tmp_counter++);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        size_t len = strlen(content);
        ssize_t n = write(fd, content, len);
        r = n < 0 ? -errno : (size_t) n != len ? -EIO : 0;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int sysfs_symlink(FakeKernel *k, const char *relative, const char *target) {
        g_autofree char *path = kernel_path(k, relative);
        g_autofree char *current = g_file_read_link(path, NULL);
        if (current && streq(current, target))
                return 0;
        if (unlink(path) < 0 && errno != ENOENT) {
                /* a directory or file where a link belongs: remove it */
                sysfs_remove(k, relative);
        }
        int r = mkdir_parents_of(path);
        if (r < 0)
                return r;
        if (symlink(target, path) < 0)
                return -errno;
        return 0;
}

static void remove_recursive(const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return;
        if (S_ISDIR(st.st_mode)) {
                DIR *d = opendir(path);
                if (d) {
                        struct dirent *de;
                        while ((de = readdir(d))) {
                                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                        continue;
                                g_autofree char *child = g_build_filename(path, de->d_name, NULL);
                                remove_recursive(child);
                        }
                        closedir(d);
                }
                (void) rmdir(path);
        } else
                (void) unlink(path);
}

void sysfs_remove(FakeKernel *k, const char *relative) {
        g_autofree char *path = kernel_path(k, relative);
        remove_recursive(path);
}

/* The relative link target, seen from the directory DIR (a /sys path), of SYS_RELATIVE_TARGET
 * (a path below /sys without the leading "/sys/"). */
char *sysfs_relative_to_sys(const char *dir, const char *sys_relative_target) {
        GString *s = g_string_new(NULL);
        g_assert(g_str_has_prefix(dir, "/sys/"));
        for (const char *p = dir + 4; *p; p++)
                if (*p == '/')
                        g_string_append(s, "../");
        g_string_append(s, sys_relative_target);
        return g_string_free(s, FALSE);
}

static const char *const common_attributes[] = {
        "vendor", "device", "class", "subsystem_vendor", "subsystem_device",
        "driver_override", "numa_node", "uevent", NULL,
};
static const char *const pf_attributes[] = {
        "sriov_totalvfs", "sriov_numvfs", "sriov_drivers_autoprobe", "sriov_offset", "sriov_stride",
        "sriov_vf_device", "sriov_vf_total_msix", "sriov_unmanaged_autoprobe", NULL,
};
static const char *const writable_attributes[] = {
        "driver_override", "numa_node", "uevent", "sriov_numvfs", "sriov_drivers_autoprobe",
        "sriov_unmanaged_autoprobe", "sriov_vf_msix_count", NULL,
};

static bool strv_has(const char *const *v, const char *s) {
        for (; *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

bool device_attribute_is_modeled(Device *d, const char *attribute) {
        if (strv_has(common_attributes, attribute))
                return true;
        switch (d->kind) {
        case DEVICE_PF:
                if (streq(attribute, "sriov_unmanaged_autoprobe"))
                        return d->hw->unmanaged;
                return strv_has(pf_attributes, attribute);
        case DEVICE_VF:
                /* real VFs have an MSI-X capability, so the attribute always exists */
                return streq(attribute, "sriov_vf_msix_count");
        case DEVICE_BRIDGE:
                return false;
        }
        return false;
}

bool device_attribute_is_writable(Device *d, const char *attribute) {
        return device_attribute_is_modeled(d, attribute) && strv_has(writable_attributes, attribute);
}

static void append_property(GPtrArray *props, const char *key, char *value) {
        g_ptr_array_add(props, g_strdup(key));
        g_ptr_array_add(props, value);
}

/* The device's uevent variables as alternating key, value strings. */
static GPtrArray *device_properties(Device *d) {
        GPtrArray *props = g_ptr_array_new_with_free_func(g_free);
        if (d->driver)
                append_property(props, "DRIVER", g_strdup(d->driver));
        append_property(props, "PCI_CLASS", g_strdup_printf("%X", d->class));
        append_property(props, "PCI_ID", g_strdup_printf("%04X:%04X", d->vendor, d->device));
        append_property(props, "PCI_SUBSYS_ID", g_strdup_printf("%04X:%04X", d->subsystem_vendor, d->subsystem_device));
        append_property(props, "PCI_SLOT_NAME", g_strdup(d->bdf));
        append_property(props, "MODALIAS",
                        g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
                                        d->vendor, d->device, d->subsystem_vendor, d->subsystem_device,
                                        (d->class >> 16) & 0xff, (d->class >> 8) & 0xff, d->class & 0xff));
        append_property(props, "ID_PATH", g_strdup(d->id_path));
        return props;
}

char *device_attribute_value(FakeKernel *k, Device *d, const char *a) {
        if (!device_attribute_is_modeled(d, a))
                return NULL;

        if (streq(a, "vendor"))
                return g_strdup_printf("0x%04x\n", d->vendor);
        if (streq(a, "device"))
                return g_strdup_printf("0x%04x\n", d->device);
        if (streq(a, "class"))
                return g_strdup_printf("0x%06x\n", d->class);
        if (streq(a, "subsystem_vendor"))
                return g_strdup_printf("0x%04x\n", d->subsystem_vendor);
        if (streq(a, "subsystem_device"))
                return g_strdup_printf("0x%04x\n", d->subsystem_device);
        if (streq(a, "driver_override"))
                return g_strdup_printf("%s\n", d->driver_override ? d->driver_override : "(null)");
        if (streq(a, "numa_node"))
                return g_strdup_printf("%d\n", d->numa_node);
        if (streq(a, "uevent")) {
                g_autoptr(GPtrArray) props = device_properties(d);
                GString *s = g_string_new(NULL);
                for (guint i = 0; i + 1 < props->len; i += 2)
                        g_string_append_printf(s, "%s=%s\n", (char *) props->pdata[i], (char *) props->pdata[i + 1]);
                return g_string_free(s, FALSE);
        }
        if (streq(a, "sriov_vf_msix_count"))
                return g_strdup_printf("%u\n", d->msix_count);
        if (streq(a, "sriov_totalvfs"))
                return g_strdup_printf("%u\n", d->hw->totalvfs);
        if (streq(a, "sriov_numvfs"))
                return g_strdup_printf("%u\n", d->numvfs);
        if (streq(a, "sriov_drivers_autoprobe"))
                return g_strdup_printf("%d\n", d->drivers_autoprobe);
        if (streq(a, "sriov_unmanaged_autoprobe"))
                return g_strdup_printf("%d\n", d->unmanaged_autoprobe);
        if (streq(a, "sriov_offset"))
                return g_strdup_printf("%u\n", d->hw->offset);
        if (streq(a, "sriov_stride"))
                return g_strdup_printf("%u\n", d->hw->stride);
        if (streq(a, "sriov_vf_device"))
                return g_strdup_printf("%x\n", d->hw->vf_device);
        if (streq(a, "sriov_vf_total_msix"))
                return g_strdup_printf("%u\n", pf_msix_supported(d) ? d->hw->msix : 0);
        (void) k;
        return NULL;
}

static GPtrArray *device_attribute_names(Device *d) {
        GPtrArray *names = g_ptr_array_new();
        for (const char *const *a = common_attributes; *a; a++)
                g_ptr_array_add(names, (char *) *a);
        if (d->kind == DEVICE_PF) {
                for (const char *const *a = pf_attributes; *a; a++)
                        if (device_attribute_is_modeled(d, *a))
                                g_ptr_array_add(names, (char *) *a);
        } else if (d->kind == DEVICE_VF)
                g_ptr_array_add(names, (char *) "sriov_vf_msix_count");
        return names;
}

/* The Device Serial Number extended capability at offset at: the lower dword first. */
static void config_dsn(uint8_t *c, unsigned at, uint64_t serial) {
        c[at] = 0x03;                                   /* DSN, version 1, last extended cap */
        c[at + 2] = 0x01;
        for (unsigned i = 0; i < 8; i++)
                c[at + 4 + i] = (uint8_t) (serial >> (8 * i));
}

/* 4 KiB of config space, enough for libpci to find the SR-IOV capability: a type 0 header, a PCI
 * Express capability (without it extended capabilities are not scanned) and, on a PF, the SR-IOV
 * extended capability at 0x100 with the counts of the hardware description, followed by the
 * Device Serial Number capability at 0x140 when the description gives a serial. */
static void config_space(const Device *d, uint8_t c[static 4096]) {
        memset(c, 0, 4096);
        c[0x00] = (uint8_t) d->vendor;
        c[0x01] = (uint8_t) (d->vendor >> 8);
        c[0x02] = (uint8_t) d->device;
        c[0x03] = (uint8_t) (d->device >> 8);
        c[0x06] = 0x10;                                 /* status: capabilities list */
        c[0x09] = (uint8_t) d->class;
        c[0x0a] = (uint8_t) (d->class >> 8);
        c[0x0b] = (uint8_t) (d->class >> 16);
        c[0x34] = 0x40;                                 /* first capability */
        c[0x40] = 0x10;                                 /* PCI Express, last in the list */
        c[0x42] = 0x02;                                 /* version 2, endpoint */
        if (d->kind != DEVICE_PF || !d->hw)
                return;
        if (d->hw->totalvfs == 0) {
                if (d->hw->has_serial)
                        config_dsn(c, 0x100, d->hw->serial);
                return;
        }
        c[0x100] = 0x10;                                /* SR-IOV, version 1 */
        c[0x102] = 0x01;
        if (d->hw->has_serial) {
                c[0x103] = 0x140 >> 4;                  /* next extended cap at 0x140 */
                config_dsn(c, 0x140, d->hw->serial);
        }
        c[0x10c] = (uint8_t) d->hw->totalvfs;           /* InitialVFs */
        c[0x10d] = (uint8_t) (d->hw->totalvfs >> 8);
        c[0x10e] = (uint8_t) d->hw->totalvfs;           /* TotalVFs */
        c[0x10f] = (uint8_t) (d->hw->totalvfs >> 8);
        c[0x110] = (uint8_t) d->numvfs;                 /* NumVFs */
        c[0x111] = (uint8_t) (d->numvfs >> 8);
        c[0x114] = (uint8_t) d->hw->offset;
        c[0x115] = (uint8_t) (d->hw->offset >> 8);
        c[0x116] = (uint8_t) d->hw->stride;
        c[0x117] = (uint8_t) (d->hw->stride >> 8);
        c[0x11a] = (uint8_t) d->hw->vf_device;
        c[0x11b] = (uint8_t) (d->hw->vf_device >> 8);
}

static int sysfs_write_binary(FakeKernel *k, const char *relative, const void *data, size_t size) {
        g_autofree char *path = kernel_path(k, relative);
        g_autofree char *tmp = g_strdup_printf("%s/.tmp/%u", k->root, k->tmp_counter++);
        int fd, r;
        ssize_t n;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        n = write(fd, data, size);
        r = n < 0 ? -errno : (size_t) n != size ? -EIO : 0;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

void device_render(FakeKernel *k, Device *d) {
        g_autoptr(GPtrArray) names = device_attribute_names(d);
        for (guint i = 0; i < names->len; i++) {
                const char *a = names->pdata[i];
                g_autofree char *value = device_attribute_value(k, d, a);
                g_autofree char *rel = g_strdup_printf("%s/%s", d->syspath, a);
                int r = sysfs_write_file(k, rel, value);
                if (r < 0)
                        g_warning("fake-kernel: cannot render %s: %s", rel, g_strerror(-r));
        }

        uint8_t config[4096];
        g_autofree char *config_path = g_strdup_printf("%s/config", d->syspath);
        config_space(d, config);
        int r = sysfs_write_binary(k, config_path, config, sizeof(config));
        if (r < 0)
                g_warning("fake-kernel: cannot render %s: %s", config_path, g_strerror(-r));

        g_autofree char *driver_link = g_strdup_printf("%s/driver", d->syspath);
        if (d->driver) {
                g_autofree char *where = g_strdup_printf("bus/pci/drivers/%s", d->driver);
                g_autofree char *target = sysfs_relative_to_sys(d->syspath, where);
                (void) sysfs_symlink(k, driver_link, target);
        } else
                sysfs_remove(k, driver_link);
}

int device_add_to_testbed(FakeKernel *k, Device *d) {
        g_autofree char *uevent = g_strdup_printf("%s%s/uevent", k->root, d->syspath);
        if (g_file_test(uevent, G_FILE_TEST_EXISTS))
                return -EEXIST;   /* umockdev would abort */
        g_assert(g_str_has_prefix(d->syspath, SYS_DEVICES));

        g_autoptr(GPtrArray) names = device_attribute_names(d);
        g_autoptr(GPtrArray) attributes = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < names->len; i++) {
                if (streq(names->pdata[i], "uevent"))
                        continue;
                g_ptr_array_add(attributes, g_strdup(names->pdata[i]));
                g_ptr_array_add(attributes, device_attribute_value(k, d, names->pdata[i]));
        }
        g_ptr_array_add(attributes, NULL);
        g_autoptr(GPtrArray) props = device_properties(d);
        g_ptr_array_add(props, NULL);

        /* No parent argument: 0.17.16 checks the parent with a real stat(), which only sees the
         * testbed under the preload; a nested name builds the same tree without it. */
        g_autofree char *syspath = umockdev_testbed_add_devicev(k->testbed, "pci", d->syspath + strlen(SYS_DEVICES), NULL,
                                                                 (char **) attributes->pdata, (char **) props->pdata);
        if (!syspath)
                return -EIO;

        if (d->iommu_group >= 0) {
                int r = iommu_group_create(k, d);
                if (r < 0)
                        return r;
        }
        device_render(k, d);
        kernel_uevent_added(k, d->syspath);
        return 0;
}

void device_remove_from_testbed(FakeKernel *k, Device *d) {
        /* 0.17.16 sends no "remove" itself, and the event is built from the device's files */
        kernel_uevent(k, d->syspath, "remove");
        umockdev_testbed_remove_device(k->testbed, d->syspath);
        sysfs_remove(k, d->syspath);
        if (d->iommu_group >= 0)
                iommu_group_destroy(k, d);
}

int iommu_group_allocate(FakeKernel *k) {
        /* like the kernel's ida: the lowest free number; the hint keeps a host of thousands of VFs
         * from scanning every group for each new one */
        int n = k->iommu_free_hint;

        while (g_hash_table_contains(k->iommu_groups, GINT_TO_POINTER(n + 1)))
                n++;
        g_hash_table_add(k->iommu_groups, GINT_TO_POINTER(n + 1));
        k->iommu_free_hint = n + 1;
        return n;
}

void iommu_group_release(FakeKernel *k, Device *d) {
        if (d->iommu_group < 0)
                return;
        g_hash_table_remove(k->iommu_groups, GINT_TO_POINTER(d->iommu_group + 1));
        if (d->iommu_group < k->iommu_free_hint)
                k->iommu_free_hint = d->iommu_group;
}

int iommu_group_create(FakeKernel *k, Device *d) {
        g_autofree char *group_dir = g_strdup_printf("/sys/kernel/iommu_groups/%d", d->iommu_group);
        g_autofree char *devices_dir = g_strdup_printf("%s/devices", group_dir);
        g_autofree char *member = g_strdup_printf("%s/%s", devices_dir, d->bdf);
        g_autofree char *member_target = sysfs_relative_to_sys(devices_dir, d->syspath + 5);
        g_autofree char *type = g_strdup_printf("%s/type", group_dir);
        g_autofree char *link = g_strdup_printf("%s/iommu_group", d->syspath);
        g_autofree char *link_target = sysfs_relative_to_sys(d->syspath, group_dir + 5);

        int r = sysfs_symlink(k, member, member_target);
        if (r >= 0)
                r = sysfs_write_file(k, type, "DMA\n");
        if (r >= 0)
                r = sysfs_symlink(k, link, link_target);
        return r;
}

void iommu_group_destroy(FakeKernel *k, Device *d) {
        g_autofree char *group_dir = g_strdup_printf("/sys/kernel/iommu_groups/%d", d->iommu_group);
        sysfs_remove(k, group_dir);
}

char *vfio_group_path(FakeKernel *k, Device *d) {
        return g_strdup_printf("%s/dev/vfio/%d", k->root, d->iommu_group);
}

char *vfio_cdev_path(FakeKernel *k, Device *d) {
        if (d->vfio_index < 0)
                return NULL;
        return g_strdup_printf("%s/dev/vfio/devices/vfio%d", k->root, d->vfio_index);
}

int vfio_files_create(FakeKernel *k, Device *d) {
        g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, g_direct_equal);
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, k->devices);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Device *other = value;
                if (other->vfio_index >= 0)
                        g_hash_table_add(used, GINT_TO_POINTER(other->vfio_index + 1));
        }
        int index = 0;
        while (g_hash_table_contains(used, GINT_TO_POINTER(index + 1)))
                index++;
        d->vfio_index = index;

        g_autofree char *group = g_strdup_printf("/dev/vfio/%d", d->iommu_group);
        g_autofree char *cdev = g_strdup_printf("/dev/vfio/devices/vfio%d", index);
        g_autofree char *sys_cdev = g_strdup_printf("%s/vfio-dev/vfio%d/dev", d->syspath, index);
        g_autofree char *devnum = g_strdup_printf("511:%d\n", index);
        int r = sysfs_write_file(k, group, "");
        if (r >= 0)
                r = sysfs_write_file(k, cdev, "");
        if (r >= 0)
                r = sysfs_write_file(k, sys_cdev, devnum);
        return r;
}

void vfio_files_destroy(FakeKernel *k, Device *d) {
        /* every device has a group of its own, so the group goes with its only member */
        g_autofree char *group = g_strdup_printf("/dev/vfio/%d", d->iommu_group);
        sysfs_remove(k, group);
        if (d->vfio_index >= 0) {
                g_autofree char *cdev = g_strdup_printf("/dev/vfio/devices/vfio%d", d->vfio_index);
                g_autofree char *sys_cdev = g_strdup_printf("%s/vfio-dev", d->syspath);
                sysfs_remove(k, cdev);
                sysfs_remove(k, sys_cdev);
        }
        d->vfio_index = -1;
}

int netdev_create(FakeKernel *k, Device *pf) {
        const char *name = pf->hw->netdev;
        g_autofree char *syspath = g_strdup_printf("%s/net/%s", pf->syspath, name);
        unsigned ifindex = k->next_ifindex++;
        unsigned bus = pf->hw->bus, slot = pf->hw->devfn >> 3, fn = pf->hw->devfn & 7;
        g_autofree char *address = g_strdup_printf("02:%02x:%02x:%02x:%02x:00\n", pf->hw->domain & 0xff, bus, slot, fn);
        g_autofree char *ifindex_attr = g_strdup_printf("%u\n", ifindex);
        g_autofree char *ifindex_prop = g_strdup_printf("%u", ifindex);
        const char *attributes[] = { "address", address, "ifindex", ifindex_attr, "type", "1\n", "addr_len", "6\n", NULL };
        const char *props[] = { "INTERFACE", name, "IFINDEX", ifindex_prop, NULL };

        g_autofree char *uevent = g_strdup_printf("%s%s/uevent", k->root, syspath);
        if (g_file_test(uevent, G_FILE_TEST_EXISTS))
                return -EEXIST;
        g_autofree char *created = umockdev_testbed_add_devicev(k->testbed, "net", syspath + strlen(SYS_DEVICES), NULL,
                                                                 (char **) attributes, (char **) props);
        if (!created)
                return -EIO;
        pf->net_syspath = g_steal_pointer(&syspath);
        pf->ifindex = (int) ifindex;
        kernel_uevent_added(k, pf->net_syspath);
        return 0;
}

void netdev_destroy(FakeKernel *k, Device *pf) {
        if (!pf->net_syspath)
                return;
        kernel_uevent(k, pf->net_syspath, "remove");
        umockdev_testbed_remove_device(k->testbed, pf->net_syspath);
        sysfs_remove(k, pf->net_syspath);
        g_clear_pointer(&pf->net_syspath, g_free);
}

int driver_files_create(FakeKernel *k, Driver *drv) {
        static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };
        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
                g_autofree char *rel = g_strdup_printf("/sys/bus/pci/drivers/%s/%s", drv->name, files[i]);
                int r = sysfs_write_file(k, rel, "");
                if (r < 0)
                        return r;
        }
        if (streq(drv->name, VFIO_PCI)) {
                int r = sysfs_write_file(k, "/dev/vfio/vfio", "");
                if (r < 0)
                        return r;
                module_files_render(k);
        }
        return 0;
}

void module_files_render(FakeKernel *k) {
        Driver *vfio = g_hash_table_lookup(k->drivers, VFIO_PCI);
        if (vfio && vfio->loaded)
                (void) sysfs_write_file(k, "/sys/module/vfio_pci/parameters/enable_sriov",
                                        k->vfio_enable_sriov ? "Y\n" : "N\n");
}

int bus_files_create(FakeKernel *k) {
        int r = sysfs_write_file(k, "/sys/bus/pci/drivers_probe", "");
        if (r >= 0)
                r = sysfs_write_file(k, "/sys/bus/pci/rescan", "");
        if (r < 0)
                return r;
        static const char *const dirs[] = { "/sys/bus/pci/drivers", "/sys/bus/pci/devices", "/sys/kernel/iommu_groups", "/sys/module" };
        for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
                g_autofree char *path = kernel_path(k, dirs[i]);
                if (g_mkdir_with_parents(path, 0755) < 0)
                        return -errno;
        }
        return 0;
}
