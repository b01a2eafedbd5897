/* The fake kernel's udevd: its control socket and database entries, which sd_device_get_is_initialized() reads. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fake-kernel-private.h"

/* The database entry's name, as sd-device derives it: "n<ifindex>" for a netdev, "+pci:<bdf>"
 * for a PCI device (the only two kinds the fake kernel makes). */
static char *db_path(FakeKernel *k, const char *syspath) {
        g_autofree char *dir = kernel_path(k, syspath);
        g_autofree char *ifindex_file = g_build_filename(dir, "ifindex", NULL);
        g_autofree char *ifindex = NULL;
        g_autofree char *name = g_path_get_basename(syspath);

        if (g_file_get_contents(ifindex_file, &ifindex, NULL, NULL))
                return g_strdup_printf("%s/run/udev/data/n%u", k->root, (unsigned) g_ascii_strtoull(ifindex, NULL, 10));
        return g_strdup_printf("%s/run/udev/data/+pci:%s", k->root, name);
}

static int db_write(FakeKernel *k, const char *syspath) {
        g_autofree char *path = db_path(k, syspath);
        g_autofree char *content = g_strdup_printf("I:%" G_GUINT64_FORMAT "\n", g_get_monotonic_time());

        return g_file_set_contents(path, content, -1, NULL) ? 0 : -EIO;
}

static void db_remove(FakeKernel *k, const char *syspath) {
        g_autofree char *path = db_path(k, syspath);

        (void) unlink(path);
}

/* The syspath of a PCI device (by BDF) or of a PF's netdev (by name). */
static const char *find_syspath(FakeKernel *k, const char *name) {
        Device *d = kernel_find_device(k, name);

        if (d)
                return d->syspath;
        for (guint i = 0; i < k->pfs->len; i++) {
                Device *pf = g_ptr_array_index(k->pfs, i);
                g_autofree char *base = pf->net_syspath ? g_path_get_basename(pf->net_syspath) : NULL;

                if (base && streq(base, name))
                        return pf->net_syspath;
        }
        return NULL;
}

static bool held(FakeKernel *k, const char *syspath) {
        g_autofree char *name = g_path_get_basename(syspath);

        return k->udev_held && g_hash_table_contains(k->udev_held, name);
}

void kernel_udev_added(FakeKernel *k, const char *syspath) {
        if (k->udev_running && !held(k, syspath))
                (void) db_write(k, syspath);
}

void kernel_udev_removed(FakeKernel *k, const char *syspath) {
        if (k->udev_running)
                db_remove(k, syspath);
}

int fake_kernel_set_udev(FakeKernel *k, bool running) {
        g_autofree char *data = g_strdup_printf("%s/run/udev/data", k->root);
        g_autofree char *control = g_strdup_printf("%s/run/udev/control", k->root);

        k->udev_running = running;
        if (!running)
                return unlink(control) < 0 && errno != ENOENT ? -errno : 0;
        if (g_mkdir_with_parents(data, 0755) < 0)
                return -errno;
        /* udevd's socket; only its existence is looked at */
        if (!g_file_set_contents(control, "", 0, NULL))
                return -EIO;
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, k->devices);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Device *d = value;

                kernel_udev_added(k, d->syspath);
                if (d->net_syspath)
                        kernel_udev_added(k, d->net_syspath);
        }
        return 0;
}

/* udevd's queue file exists while it has events to process: here, while a device is held. */
static void queue_update(FakeKernel *k) {
        g_autofree char *queue = g_strdup_printf("%s/run/udev/queue", k->root);

        if (k->udev_held && g_hash_table_size(k->udev_held) > 0)
                (void) g_file_set_contents(queue, "", 0, NULL);
        else
                (void) unlink(queue);
}

int fake_kernel_udev_hold(FakeKernel *k, const char *name) {
        const char *syspath = find_syspath(k, name);

        if (!syspath)
                return -ENODEV;
        if (!k->udev_held)
                k->udev_held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_add(k->udev_held, g_strdup(name));
        db_remove(k, syspath);
        queue_update(k);
        return 0;
}

int fake_kernel_udev_finish(FakeKernel *k, const char *name) {
        const char *syspath = find_syspath(k, name);
        int r;

        if (!syspath)
                return -ENODEV;
        if (k->udev_held)
                g_hash_table_remove(k->udev_held, name);
        queue_update(k);
        r = db_write(k, syspath);
        if (r < 0)
                return r;
        /* udevd broadcasts the kernel's event once its rules have run and the entry is written */
        kernel_uevent(k, syspath, "add");
        return 0;
}
