/* The fake kernel's tests: every kernel rule, driven by real writes through the shim. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "fake-kernel.h"

#define USEC_PER_SEC 1000000ULL
#define NOT_REACHED INT_MIN     /* the write never got to the kernel (open() failed) */

#define ICE   "0000:3b:00.0"
#define ICE2  "0000:3b:00.1"
#define NVME  "0000:5e:00.0"
#define GPU   "0000:af:00.0"

/* Two E810 ports, VFs at 3b:01.x and 3b:02.x. */
#define HW_ICE \
        "pf " ICE " vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf netdev=ens1f0 msix=64\n"
#define HW_ICE2 \
        "pf " ICE2 " vendor=8086 device=1592 driver=ice totalvfs=8 offset=15 vf-device=1889 vf-driver=iavf netdev=ens1f1\n"

/* ---- helpers ---- */

static int setup(void **state) {
        FakeKernel *k = NULL;
        int r = fake_kernel_new(&k);
        if (r < 0)
                return -1;
        *state = k;
        return 0;
}

static int teardown(void **state) {
        fake_kernel_free(*state);
        return 0;
}

static void load(FakeKernel *k, const char *hw) {
        assert_int_equal(fake_kernel_load(k, hw), 0);
}

static char *dev_path(const char *bdf, const char *attribute) {
        return g_strdup_printf("/sys/bus/pci/devices/%s/%s", bdf, attribute);
}

static int run_program(FakeKernel *k, char **argv) {
        pid_t pid;
        int status = -1;
        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &pid), 0);
        assert_int_equal(fake_kernel_wait(k, pid, 30 * USEC_PER_SEC, &status), 0);
        return status;
}

/* One write by an outside program, through the shim; the kernel's answer. */
static int write_path(FakeKernel *k, const char *path, const char *value) {
        g_autofree char *arg = g_strconcat(path, "=", value, NULL);
        char *argv[] = { (char *) SYSFS_WRITE, arg, NULL };
        size_t before = fake_kernel_n_writes(k);
        int status = run_program(k, argv);
        size_t after = fake_kernel_n_writes(k);
        if (after == before) {
                assert_int_equal(status, 1);
                return NOT_REACHED;
        }
        assert_int_equal(after, before + 1);
        int result = fake_kernel_write_at(k, after - 1)->result;
        assert_int_equal(status, result >= 0 ? 0 : 1);
        return result;
}

static int write_attr(FakeKernel *k, const char *bdf, const char *attribute, const char *value) {
        g_autofree char *path = dev_path(bdf, attribute);
        return write_path(k, path, value);
}

static char *read_file(FakeKernel *k, const char *path) {
        g_autofree char *full = g_strconcat(fake_kernel_root(k), path, NULL);
        char *contents = NULL;
        if (!g_file_get_contents(full, &contents, NULL, NULL))
                return NULL;
        return contents;
}

static char *read_attr(FakeKernel *k, const char *bdf, const char *attribute) {
        g_autofree char *path = dev_path(bdf, attribute);
        return read_file(k, path);
}

static bool testbed_exists(FakeKernel *k, const char *path) {
        g_autofree char *full = g_strconcat(fake_kernel_root(k), path, NULL);
        struct stat st;
        return lstat(full, &st) == 0;
}

static char *link_name(FakeKernel *k, const char *bdf, const char *link) {
        g_autofree char *full = g_strconcat(fake_kernel_root(k), "/sys/bus/pci/devices/", bdf, "/", link, NULL);
        g_autofree char *target = g_file_read_link(full, NULL);
        return target ? g_path_get_basename(target) : NULL;
}

static char *uevents_since(FakeKernel *k, size_t start) {
        GString *s = g_string_new(NULL);
        for (size_t i = start; i < fake_kernel_n_uevents(k); i++)
                g_string_append_printf(s, "%s%s", s->len ? ", " : "", fake_kernel_uevent_at(k, i));
        return g_string_free(s, FALSE);
}

static void assert_driver(FakeKernel *k, const char *bdf, const char *driver) {
        g_autofree char *link = link_name(k, bdf, "driver");
        if (driver) {
                assert_non_null(fake_kernel_driver(k, bdf));
                assert_string_equal(fake_kernel_driver(k, bdf), driver);
                assert_non_null(link);
                assert_string_equal(link, driver);
        } else {
                assert_null(fake_kernel_driver(k, bdf));
                assert_null(link);
        }
}

static void assert_attr(FakeKernel *k, const char *bdf, const char *attribute, const char *expected) {
        g_autofree char *value = read_attr(k, bdf, attribute);
        assert_non_null(value);
        assert_string_equal(value, expected);
}

/* A monitor program under the testbed, with its ready marker and output in a private directory. */
typedef struct Monitor {
        char *dir, *ready, *output;
        pid_t pid;
} Monitor;

static bool monitor_ready(FakeKernel *k, void *userdata) {
        return g_file_test(((Monitor *) userdata)->ready, G_FILE_TEST_EXISTS);
}

static void monitor_start(FakeKernel *k, Monitor *m, unsigned count, bool wait_signal) {
        m->dir = g_dir_make_tmp("fake-kernel-test.XXXXXX", NULL);
        assert_non_null(m->dir);
        m->ready = g_build_filename(m->dir, "ready", NULL);
        m->output = g_build_filename(m->dir, "events", NULL);
        g_autofree char *count_s = g_strdup_printf("%u", count);
        char *argv[] = { (char *) UEVENT_MONITOR, (char *) "--count", count_s, (char *) "--timeout", (char *) "20",
                         (char *) "--ready", m->ready, (char *) "--output", m->output,
                         wait_signal ? (char *) "--wait-signal" : NULL, NULL };
        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &m->pid), 0);
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, monitor_ready, m), 0);
}

static char *monitor_finish(FakeKernel *k, Monitor *m, int expected_status) {
        int status = -1;
        assert_int_equal(fake_kernel_wait(k, m->pid, 30 * USEC_PER_SEC, &status), 0);
        assert_int_equal(status, expected_status);
        char *events = NULL;
        assert_true(g_file_get_contents(m->output, &events, NULL, NULL));
        (void) g_unlink(m->ready);
        (void) g_unlink(m->output);
        (void) g_rmdir(m->dir);
        g_free(m->dir);
        g_free(m->ready);
        g_free(m->output);
        return events;
}

static bool one_hung(FakeKernel *k, void *userdata) {
        return fake_kernel_n_hung(k) >= 1;
}

static bool one_violation(FakeKernel *k, void *userdata) {
        return fake_kernel_n_violations(k) >= 1;
}

static bool write_logged_for(FakeKernel *k, void *userdata) {
        for (size_t i = 0; i < fake_kernel_n_writes(k); i++) {
                const FakeWrite *w = fake_kernel_write_at(k, i);
                if (w->device && strcmp(w->device, userdata) == 0)
                        return true;
        }
        return false;
}

/* ---- sriov_numvfs ---- */

static void test_numvfs_enable_uevent_order(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        size_t start = fake_kernel_n_uevents(k);

        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "2"), 1);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 2);
        assert_attr(k, ICE, "sriov_numvfs", "2\n");
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events,
                            "add 0000:3b:01.0, change 0000:3b:01.0, bind 0000:3b:01.0, "
                            "add 0000:3b:01.1, change 0000:3b:01.1, bind 0000:3b:01.1, "
                            "change 0000:3b:00.0");

        g_autofree char *virtfn0 = link_name(k, ICE, "virtfn0");
        g_autofree char *physfn = link_name(k, "0000:3b:01.1", "physfn");
        assert_string_equal(virtfn0, "0000:3b:01.0");
        assert_string_equal(physfn, ICE);
        assert_driver(k, "0000:3b:01.0", "iavf");
        assert_attr(k, "0000:3b:01.0", "device", "0x1889\n");
        assert_attr(k, "0000:3b:01.0", "driver_override", "(null)\n");
        g_autofree char *uevent = read_attr(k, "0000:3b:01.0", "uevent");
        assert_non_null(strstr(uevent, "DRIVER=iavf\n"));
        assert_non_null(strstr(uevent, "PCI_ID=8086:1889\n"));
        assert_non_null(strstr(uevent, "PCI_SLOT_NAME=0000:3b:01.0\n"));
        g_autofree char *group = link_name(k, "0000:3b:01.0", "iommu_group");
        assert_non_null(group);
}

static void test_numvfs_disable_removes_highest_first(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "2"), 1);
        size_t start = fake_kernel_n_uevents(k);

        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "0\n"), 2);
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "unbind 0000:3b:01.1, remove 0000:3b:01.1, unbind 0000:3b:01.0, remove 0000:3b:01.0");
        assert_false(testbed_exists(k, "/sys/bus/pci/devices/0000:3b:01.0"));
        assert_false(testbed_exists(k, "/sys/bus/pci/devices/" ICE "/virtfn0"));
        assert_attr(k, ICE, "sriov_numvfs", "0\n");
}

static void test_numvfs_nonzero_to_nonzero_ebusy(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "2"), 1);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "3"), -EBUSY);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 2);
        assert_attr(k, ICE, "sriov_numvfs", "2\n");
}

static void test_numvfs_above_total_erange(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "9"), -ERANGE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "70000"), -ERANGE);   /* kstrtou16 overflow */
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 0);
}

static void test_numvfs_bad_value_einval(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "abc"), -EINVAL);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "-1"), -EINVAL);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", " 1"), -EINVAL);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "1\n\n"), -EINVAL);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 0);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "0x2\n"), 4);          /* base 0, like the kernel */
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 2);
}

static void test_numvfs_same_value_noop_without_driver(void **state) {
        FakeKernel *k = *state;
        load(k, "pf " NVME " vendor=1b36 device=0010 driver=none totalvfs=4 numvfs=2 vf-driver=nvme\n");
        size_t start = fake_kernel_n_uevents(k);
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "2"), 1);
        assert_int_equal(fake_kernel_n_uevents(k), start);
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "0"), -ENOENT);
        assert_int_equal(fake_kernel_num_vfs(k, NVME), 2);
}

static void test_numvfs_no_driver_enoent(void **state) {
        FakeKernel *k = *state;
        load(k, "driver e1000e sriov=no\n"
                "pf " NVME " vendor=1b36 device=0010 driver=none totalvfs=4\n"
                "pf 0000:3d:00.0 vendor=8086 device=10d3 driver=e1000e totalvfs=2\n");
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "1"), -ENOENT);
        assert_int_equal(write_attr(k, "0000:3d:00.0", "sriov_numvfs", "1"), -ENOENT);
        assert_driver(k, "0000:3d:00.0", "e1000e");
        /* the attribute of the patched kernel exists only where the hardware says so */
        assert_false(testbed_exists(k, "/sys/bus/pci/devices/" NVME "/sriov_unmanaged_autoprobe"));
}

static void test_unmanaged_generic_enable_latches_autoprobe(void **state) {
        FakeKernel *k = *state;
        load(k, "pf " NVME " vendor=1b36 device=0010 driver=none totalvfs=4 vf-driver=nvme unmanaged=yes unmanaged-autoprobe=0\n");
        assert_attr(k, NVME, "sriov_unmanaged_autoprobe", "0\n");

        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "2"), 1);
        assert_int_equal(fake_kernel_num_vfs(k, NVME), 2);
        assert_driver(k, "0000:5e:00.1", NULL);

        /* a new value counts from the next enable; the VFs keep the one latched */
        assert_int_equal(write_attr(k, NVME, "sriov_unmanaged_autoprobe", "1"), 1);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", "0000:5e:00.1"), 12);
        assert_driver(k, "0000:5e:00.1", NULL);

        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "0"), 1);
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "2"), 1);
        assert_driver(k, "0000:5e:00.1", "nvme");
        assert_driver(k, "0000:5e:00.2", "nvme");
}

static void test_vfio_pf_without_enable_sriov_enoent(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci\n"
                "pf " GPU " vendor=10de device=2236 driver=vfio-pci totalvfs=16\n");
        assert_driver(k, GPU, "vfio-pci");
        g_autofree char *param = read_file(k, "/sys/module/vfio_pci/parameters/enable_sriov");
        assert_string_equal(param, "N\n");
        assert_int_equal(write_attr(k, GPU, "sriov_numvfs", "2"), -ENOENT);

        assert_int_equal(fake_kernel_set_vfio_enable_sriov(k, true), 0);
        g_autofree char *param2 = read_file(k, "/sys/module/vfio_pci/parameters/enable_sriov");
        assert_string_equal(param2, "Y\n");
        assert_int_equal(write_attr(k, GPU, "sriov_numvfs", "2"), 1);
}

static void test_vfio_pf_with_enable_sriov_captures_vfs(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci enable_sriov=1\n"
                "pf " GPU " vendor=10de device=2236 driver=vfio-pci totalvfs=16\n");
        assert_int_equal(write_attr(k, GPU, "sriov_numvfs", "2"), 1);
        for (unsigned i = 1; i <= 2; i++) {
                g_autofree char *vf = g_strdup_printf("0000:af:00.%u", i);
                assert_attr(k, vf, "driver_override", "vfio-pci\n");
                assert_driver(k, vf, "vfio-pci");
                g_autofree char *group = link_name(k, vf, "iommu_group");
                g_autofree char *node = g_strdup_printf("/dev/vfio/%s", group);
                assert_true(testbed_exists(k, node));
        }
}

static void test_vfio_unmanaged_pf_ebusy(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci enable_sriov=1\n"
                "pf " NVME " vendor=1b36 device=0010 driver=vfio-pci totalvfs=4 unmanaged=yes\n");
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "1"), -EBUSY);
}

static void test_autoprobe_off_vfs_unbound_probe_with_override(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci\n" HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "0"), 1);
        assert_attr(k, ICE, "sriov_drivers_autoprobe", "0\n");
        size_t start = fake_kernel_n_uevents(k);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "2"), 1);
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "add 0000:3b:01.0, change 0000:3b:01.0, add 0000:3b:01.1, change 0000:3b:01.1, "
                                    "change 0000:3b:00.0");
        assert_driver(k, "0000:3b:01.0", NULL);

        /* pci_device_can_probe(): with autoprobe off a VF needs an override to probe at all */
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", "0000:3b:01.0"), 12);
        assert_driver(k, "0000:3b:01.0", NULL);
        assert_int_equal(write_attr(k, "0000:3b:01.0", "driver_override", "vfio-pci"), 8);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", "0000:3b:01.0"), 12);
        assert_driver(k, "0000:3b:01.0", "vfio-pci");

        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "1"), 1);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", "0000:3b:01.1\n"), 13);
        assert_driver(k, "0000:3b:01.1", "iavf");
}

static void test_autoprobe_invalid_einval(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "2"), -EINVAL);
        assert_attr(k, ICE, "sriov_drivers_autoprobe", "1\n");
        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "no\n"), 3);
        assert_attr(k, ICE, "sriov_drivers_autoprobe", "0\n");
        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "On"), 2);
        assert_attr(k, ICE, "sriov_drivers_autoprobe", "1\n");
        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "OFF"), 3);
        assert_attr(k, ICE, "sriov_drivers_autoprobe", "0\n");
}

/* ---- driver_override, binding ---- */

static void test_driver_override_zero_length_noop(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "driver_override", "pci-pf-stub"), 11);
        assert_attr(k, ICE, "driver_override", "pci-pf-stub\n");
        assert_int_equal(write_attr(k, ICE, "driver_override", ""), 0);
        assert_attr(k, ICE, "driver_override", "pci-pf-stub\n");
}

static void test_driver_override_newline_clears(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "driver_override", "vfio-pci\n"), 9);
        assert_attr(k, ICE, "driver_override", "vfio-pci\n");
        assert_int_equal(write_attr(k, ICE, "driver_override", "\n"), 1);
        assert_attr(k, ICE, "driver_override", "(null)\n");
}

static void test_driver_override_probe_binds_vfio(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci\n"
                "pf " ICE " vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf autoprobe=0 numvfs=1\n");
        const char *vf = "0000:3b:01.0";
        g_autofree char *group = link_name(k, vf, "iommu_group");
        g_autofree char *node = g_strdup_printf("/dev/vfio/%s", group);
        assert_false(testbed_exists(k, node));

        assert_int_equal(write_attr(k, vf, "driver_override", "vfio-pci"), 8);
        size_t start = fake_kernel_n_uevents(k);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", vf), 12);
        assert_driver(k, vf, "vfio-pci");
        assert_true(testbed_exists(k, node));
        assert_true(testbed_exists(k, "/dev/vfio/devices/vfio0"));
        assert_true(testbed_exists(k, "/sys/bus/pci/devices/0000:3b:01.0/vfio-dev/vfio0"));
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "bind 0000:3b:01.0");

        /* the group and the cdev go with the last vfio-pci device of the group */
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/vfio-pci/unbind", vf), 12);
        assert_driver(k, vf, NULL);
        assert_false(testbed_exists(k, node));
        assert_false(testbed_exists(k, "/dev/vfio/devices/vfio0"));
}

static void test_vfio_without_iommu_einval(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci\n"
                "pf " ICE " vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-driver=iavf autoprobe=0 numvfs=1 iommu=no\n");
        const char *vf = "0000:3b:01.0";
        assert_null(link_name(k, vf, "iommu_group"));
        assert_int_equal(write_attr(k, vf, "driver_override", "vfio-pci"), 8);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/vfio-pci/bind", vf), -EINVAL);
        assert_driver(k, vf, NULL);
        /* drivers_probe ignores probe errors: success, and nothing bound */
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", vf), 12);
        assert_driver(k, vf, NULL);
}

static void test_msix(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE HW_ICE2);
        assert_attr(k, ICE, "sriov_vf_total_msix", "64\n");
        assert_attr(k, ICE2, "sriov_vf_total_msix", "0\n");
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "1"), 1);
        assert_int_equal(write_attr(k, ICE2, "sriov_numvfs", "1"), 1);
        const char *vf = "0000:3b:01.0", *vf2 = "0000:3b:02.0";

        assert_int_equal(write_attr(k, vf2, "sriov_vf_msix_count", "4"), -EOPNOTSUPP);
        assert_int_equal(write_attr(k, vf, "sriov_vf_msix_count", "4"), -EBUSY);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/iavf/unbind", vf), 12);
        assert_int_equal(write_attr(k, vf, "sriov_vf_msix_count", "65"), -EINVAL);
        assert_int_equal(write_attr(k, vf, "sriov_vf_msix_count", "x"), -EINVAL);
        assert_attr(k, vf, "sriov_vf_msix_count", "0\n");
        assert_int_equal(write_attr(k, vf, "sriov_vf_msix_count", "8\n"), 2);
        assert_attr(k, vf, "sriov_vf_msix_count", "8\n");
}

static void test_unbind(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "2"), 1);
        size_t start = fake_kernel_n_uevents(k);

        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/iavf/unbind", "0000:3b:01.0\n"), 13);
        assert_driver(k, "0000:3b:01.0", NULL);
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "unbind 0000:3b:01.0");
        assert_false(testbed_exists(k, "/sys/bus/pci/drivers/iavf/0000:3b:01.0"));
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/iavf/unbind", "0000:3b:01.0"), -ENODEV);

        /* <device>/driver/unbind is the driver's own file */
        assert_int_equal(write_attr(k, "0000:3b:01.1", "driver/unbind", "0000:3b:01.1"), 12);
        const FakeWrite *w = fake_kernel_write_at(k, fake_kernel_n_writes(k) - 1);
        assert_string_equal(w->path, "/sys/bus/pci/drivers/iavf/unbind");
        assert_null(w->device);
        assert_string_equal(w->attribute, "drivers/iavf/unbind");
        assert_driver(k, "0000:3b:01.1", NULL);

        /* bind to a driver that matches, then again: EBUSY; an unknown device: ENODEV */
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/iavf/bind", "0000:3b:01.1"), 12);
        assert_driver(k, "0000:3b:01.1", "iavf");
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/iavf/bind", "0000:3b:01.1"), -EBUSY);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/iavf/bind", "0000:3b:07.0"), -ENODEV);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", "0000:3b:07.0"), -ENODEV);

        /* a PF driver goes and leaves its VFs enabled; its netdev goes with it */
        assert_true(testbed_exists(k, "/sys/class/net/ens1f0"));
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers/ice/unbind", ICE), 12);
        assert_driver(k, ICE, NULL);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 2);
        assert_false(testbed_exists(k, "/sys/class/net/ens1f0"));
        /* and the PF's own driver comes back on a probe */
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", ICE), 12);
        assert_driver(k, ICE, "ice");
        assert_true(testbed_exists(k, "/sys/class/net/ens1f0"));
}

static void test_pci_pf_stub_makes_pf_sriov_capable(void **state) {
        FakeKernel *k = *state;
        load(k, "module pci-pf-stub\n"
                "pf " NVME " vendor=1b36 device=0010 driver=none totalvfs=4 vf-driver=nvme\n");
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "1"), -ENOENT);
        assert_int_equal(write_attr(k, NVME, "driver_override", "pci-pf-stub"), 11);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", NVME), 12);
        assert_driver(k, NVME, "pci-pf-stub");
        assert_int_equal(write_attr(k, NVME, "sriov_numvfs", "1"), 1);
        assert_driver(k, "0000:5e:00.1", "nvme");
}

/* ---- faults ---- */

static void test_inject_errno_with_count(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(fake_kernel_inject(k, "0000:3b:*", "driver_override", EIO, 2), 0);
        assert_int_equal(write_attr(k, ICE, "driver_override", "vfio-pci"), -EIO);
        assert_attr(k, ICE, "driver_override", "(null)\n");
        assert_int_equal(write_attr(k, ICE, "driver_override", "vfio-pci"), -EIO);
        assert_int_equal(write_attr(k, ICE, "driver_override", "vfio-pci"), 8);
        assert_attr(k, ICE, "driver_override", "vfio-pci\n");

        const FakeWrite *w = fake_kernel_write_at(k, 0);
        assert_string_equal(w->path, "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/driver_override");
        assert_string_equal(w->device, ICE);
        assert_string_equal(w->attribute, "driver_override");
        assert_string_equal(w->value, "vfio-pci");
        assert_int_equal(w->result, -EIO);
        assert_true(w->usec > 0);

        /* every write until cleared, on a bus file; another errno on the write it does not match */
        assert_int_equal(fake_kernel_inject(k, NULL, "drivers_probe", EAGAIN, 0), 0);
        assert_int_equal(fake_kernel_inject(k, ICE, "sriov_*", ENOSPC, 0), 0);
        for (int i = 0; i < 3; i++)
                assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", ICE), -EAGAIN);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "1"), -ENOSPC);
        assert_int_equal(write_attr(k, ICE, "numa_node", "0"), 1);
        fake_kernel_clear_faults(k);
        assert_int_equal(write_path(k, "/sys/bus/pci/drivers_probe", ICE), 12);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "1"), 1);
        assert_int_equal(fake_kernel_inject(k, ICE, "sriov_numvfs", 0, 1), -EINVAL);
}

static void test_hung_write_released_while_other_pf_answers(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE HW_ICE2);
        assert_int_equal(fake_kernel_inject(k, ICE, "sriov_numvfs", FAKE_KERNEL_HANG, 1), 0);

        char *hung_argv[] = { (char *) SYSFS_WRITE, (char *) "/sys/bus/pci/devices/" ICE "/sriov_numvfs=2", NULL };
        pid_t hung;
        assert_int_equal(fake_kernel_spawn(k, hung_argv, NULL, &hung), 0);
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, one_hung, NULL), 0);
        assert_int_equal(fake_kernel_n_hung(k), 1);
        assert_attr(k, ICE, "sriov_numvfs", "0\n");   /* shown while pending, not left truncated */

        assert_int_equal(write_attr(k, ICE2, "sriov_numvfs", "1"), 1);
        int status;
        assert_int_equal(fake_kernel_wait(k, hung, 200 * 1000, &status), -ETIMEDOUT);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 0);

        fake_kernel_release_hangs(k);
        assert_int_equal(fake_kernel_n_hung(k), 0);
        assert_int_equal(fake_kernel_wait(k, hung, 10 * USEC_PER_SEC, &status), 0);
        assert_int_equal(status, 0);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 2);
        const FakeWrite *last = fake_kernel_write_at(k, fake_kernel_n_writes(k) - 1);
        assert_string_equal(last->device, ICE);
        assert_int_equal(last->result, 1);
}

static void test_concurrent_writes_from_threads(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE HW_ICE2);
        assert_int_equal(fake_kernel_inject(k, ICE, "sriov_numvfs", FAKE_KERNEL_HANG, 1), 0);
        char *argv[] = { (char *) SYSFS_WRITE, (char *) "-j",
                         (char *) "/sys/bus/pci/devices/" ICE "/sriov_numvfs=3",
                         (char *) "/sys/bus/pci/devices/" ICE2 "/sriov_numvfs=2",
                         (char *) "/sys/bus/pci/devices/" ICE2 "/driver_override=pci-pf-stub",
                         NULL };
        pid_t pid;
        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &pid), 0);
        /* one thread of the writer hangs; the others are answered meanwhile */
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, write_logged_for, (void *) ICE2), 0);
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, one_hung, NULL), 0);
        while (fake_kernel_n_writes(k) < 2)
                assert_int_equal(fake_kernel_run(k, 10 * 1000, NULL, NULL), 0);
        assert_int_equal(fake_kernel_num_vfs(k, ICE2), 2);
        fake_kernel_release_hangs(k);
        int status;
        assert_int_equal(fake_kernel_wait(k, pid, 10 * USEC_PER_SEC, &status), 0);
        assert_int_equal(status, 0);
        assert_int_equal(fake_kernel_n_writes(k), 3);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 3);
}

static void test_latency_delays_one_store_while_others_answer(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE HW_ICE2);
        assert_int_equal(fake_kernel_set_latency(k, ICE, "sriov_numvfs", 0), -EINVAL);
        assert_int_equal(fake_kernel_set_latency(k, ICE, "sriov_numvfs", 300 * 1000), 0);
        char *argv[] = { (char *) SYSFS_WRITE, (char *) "-j",
                         (char *) "/sys/bus/pci/devices/" ICE "/sriov_numvfs=3",
                         (char *) "/sys/bus/pci/devices/" ICE2 "/sriov_numvfs=2",
                         NULL };
        uint64_t start = (uint64_t) g_get_monotonic_time();
        pid_t pid;
        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &pid), 0);
        /* the other PF's store is answered while the slow one waits, which has no effect yet */
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, write_logged_for, (void *) ICE2), 0);
        assert_int_equal(fake_kernel_n_writes(k), 1);
        assert_int_equal(fake_kernel_num_vfs(k, ICE2), 2);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 0);
        int status;
        assert_int_equal(fake_kernel_wait(k, pid, 10 * USEC_PER_SEC, &status), 0);
        assert_int_equal(status, 0);
        const FakeWrite *w = fake_kernel_write_at(k, 1);
        assert_string_equal(w->device, ICE);
        assert_int_equal(w->result, 1);
        assert_true(w->usec - start >= 300 * 1000);
        assert_true(w->received_usec >= start && w->usec - w->received_usec >= 300 * 1000);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 3);

        /* cleared with the faults: the next store is answered at once */
        fake_kernel_clear_faults(k);
        assert_int_equal(write_attr(k, ICE2, "sriov_numvfs", "0"), 1);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "0"), 1);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 0);
}

static void test_held_vf_blocks_disable_until_released(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci enable_sriov=1\n"
                "pf " GPU " vendor=10de device=2236 driver=vfio-pci totalvfs=16 numvfs=2\n");
        pid_t holder;
        assert_int_equal(fake_kernel_hold(k, "0000:af:00.2", "qemu-test", &holder), 0);
        assert_int_equal(fake_kernel_hold(k, GPU "x", "qemu-test", NULL), -ENODEV);

        char *argv[] = { (char *) SYSFS_WRITE, (char *) "/sys/bus/pci/devices/" GPU "/sriov_numvfs=0", NULL };
        pid_t writer;
        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &writer), 0);
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, one_violation, NULL), 0);
        int status;
        assert_int_equal(fake_kernel_wait(k, writer, 300 * 1000, &status), -ETIMEDOUT);
        assert_int_equal(fake_kernel_num_vfs(k, GPU), 2);
        assert_int_equal(fake_kernel_n_violations(k), 1);
        g_autofree char *expected = g_strdup_printf("sriov_numvfs written on PF " GPU " while VF 0000:af:00.2 is held open by pid %d (qemu-test)",
                                                    (int) holder);
        assert_string_equal(fake_kernel_violation_at(k, 0), expected);

        assert_int_equal(fake_kernel_release_hold(k, holder), 0);
        assert_int_equal(fake_kernel_release_hold(k, holder), -ESRCH);
        assert_int_equal(fake_kernel_wait(k, writer, 10 * USEC_PER_SEC, &status), 0);
        assert_int_equal(status, 0);
        assert_int_equal(fake_kernel_num_vfs(k, GPU), 0);
        assert_int_equal(fake_kernel_n_violations(k), 1);
}

static void test_held_vf_blocks_unbind(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci enable_sriov=1\n"
                "pf " GPU " vendor=10de device=2236 driver=vfio-pci totalvfs=16 numvfs=1\n");
        const char *vf = "0000:af:00.1";
        assert_int_equal(fake_kernel_hold(k, GPU, NULL, NULL), 0);   /* holding the PF does not hold its VF */
        pid_t holder;
        assert_int_equal(fake_kernel_hold(k, vf, "qemu-vf", &holder), 0);
        assert_int_equal(fake_kernel_unbind(k, vf), -EBUSY);

        char *argv[] = { (char *) SYSFS_WRITE, (char *) "/sys/bus/pci/drivers/vfio-pci/unbind=0000:af:00.1", NULL };
        pid_t writer;
        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &writer), 0);
        assert_int_equal(fake_kernel_run(k, 10 * USEC_PER_SEC, one_violation, NULL), 0);
        assert_driver(k, vf, "vfio-pci");
        assert_int_equal(fake_kernel_release_hold(k, holder), 0);
        int status;
        assert_int_equal(fake_kernel_wait(k, writer, 10 * USEC_PER_SEC, &status), 0);
        assert_int_equal(status, 0);
        assert_driver(k, vf, NULL);

        assert_int_equal(fake_kernel_hold(k, vf, "qemu-vf", NULL), -ENOENT);
}

/* ---- uevents ---- */

static void test_hot_add_pf_sends_add(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        Monitor m = {};
        monitor_start(k, &m, 4, false);
        size_t start = fake_kernel_n_uevents(k);

        load(k, "pf 0000:d8:00.0 vendor=8086 device=1592 driver=ice totalvfs=4 vf-driver=iavf netdev=ens7f0\n");
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "add 0000:d7:00.0, add 0000:d8:00.0, add ens7f0, bind 0000:d8:00.0");
        g_autofree char *received = monitor_finish(k, &m, 0);
        assert_string_equal(received, "add 0000:d7:00.0\nadd 0000:d8:00.0\nadd ens7f0\nbind 0000:d8:00.0\n");
}

static void test_remove_pf_sends_vf_removes_first(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "2"), 1);
        size_t start = fake_kernel_n_uevents(k);
        assert_int_equal(fake_kernel_remove_pf(k, ICE), 0);
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "unbind 0000:3b:01.1, remove 0000:3b:01.1, unbind 0000:3b:01.0, remove 0000:3b:01.0, "
                                    "remove ens1f0, unbind 0000:3b:00.0, remove 0000:3b:00.0");
        assert_false(testbed_exists(k, "/sys/bus/pci/devices/" ICE));
        assert_int_equal(fake_kernel_num_vfs(k, ICE), -ENODEV);
        assert_int_equal(fake_kernel_remove_pf(k, ICE), -ENODEV);
        /* the address is free again */
        load(k, HW_ICE);
        assert_driver(k, ICE, "ice");
}

static void test_uevent_burst_without_abort_or_drop(void **state) {
        FakeKernel *k = *state;
        load(k, "pf " ICE " vendor=8086 device=1592 driver=ice totalvfs=64 offset=8 vf-device=1889 vf-driver=iavf\n");
        /* 64 x (add, change, bind) + the PF's change, all queued before the monitor reads one */
        Monitor m = {};
        monitor_start(k, &m, 193, true);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "64"), 2);
        assert_int_equal(kill(m.pid, SIGUSR1), 0);
        g_autofree char *received = monitor_finish(k, &m, 0);
        g_auto(GStrv) lines = g_strsplit(received, "\n", -1);
        assert_int_equal(g_strv_length(lines), 194);   /* 193 and the empty tail */
        assert_string_equal(lines[0], "add 0000:3b:01.0");
        assert_string_equal(lines[191], "bind 0000:3b:08.7");
        assert_string_equal(lines[192], "change 0000:3b:00.0");
}

static void test_uevent_attribute_synthesizes_event(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        size_t start = fake_kernel_n_uevents(k);
        assert_int_equal(write_attr(k, ICE, "uevent", "change\n"), 7);
        assert_int_equal(write_attr(k, ICE, "uevent", "explode"), -EINVAL);
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "change 0000:3b:00.0");
        g_autofree char *uevent = read_attr(k, ICE, "uevent");
        assert_non_null(strstr(uevent, "DRIVER=ice\n"));
}

/* ---- the files ---- */

static void test_files_rerendered_after_failed_write(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "abc"), -EINVAL);
        assert_attr(k, ICE, "sriov_numvfs", "0\n");
        assert_int_equal(write_attr(k, ICE, "sriov_totalvfs", "4"), -EACCES);
        assert_attr(k, ICE, "sriov_totalvfs", "8\n");
        assert_int_equal(fake_kernel_inject(k, ICE, "sriov_drivers_autoprobe", EPERM, 1), 0);
        assert_int_equal(write_attr(k, ICE, "sriov_drivers_autoprobe", "0"), -EPERM);
        assert_attr(k, ICE, "sriov_drivers_autoprobe", "1\n");
        g_autofree char *big = g_strnfill(5000, '1');
        assert_int_equal(write_attr(k, ICE, "driver_override", big), -E2BIG);
        assert_attr(k, ICE, "driver_override", "(null)\n");
}

static void test_unmodeled_file_passes_through(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        g_autofree char *file = g_strconcat(fake_kernel_root(k), "/sys/bus/pci/devices/" ICE "/reset_method", NULL);
        assert_true(g_file_set_contents(file, "flr\n", -1, NULL));
        assert_int_equal(write_attr(k, ICE, "reset_method", "bus"), 3);
        assert_attr(k, ICE, "reset_method", "bus");
        assert_int_equal(write_attr(k, ICE, "no_such_file", "1"), NOT_REACHED);
}

static void test_shim_pwrite_and_writev(void **state) {
        FakeKernel *k = *state;
        load(k, HW_ICE);
        char *pwrite_argv[] = { (char *) SYSFS_WRITE, (char *) "-p", (char *) "/sys/bus/pci/devices/" ICE "/driver_override=vfio-pci", NULL };
        assert_int_equal(run_program(k, pwrite_argv), 0);
        assert_attr(k, ICE, "driver_override", "vfio-pci\n");
        char *writev_argv[] = { (char *) SYSFS_WRITE, (char *) "-v", (char *) "/sys/bus/pci/devices/" ICE "/sriov_numvfs=3\n", NULL };
        assert_int_equal(run_program(k, writev_argv), 0);
        assert_int_equal(fake_kernel_num_vfs(k, ICE), 3);
        const FakeWrite *w = fake_kernel_write_at(k, 1);
        assert_string_equal(w->value, "3");
        assert_int_equal(w->result, 2);
}

static void test_tree_layout(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci\n" HW_ICE "pf 0000:00:05.0 vendor=1b36 device=0010 class=0x010802 numa=1 id-path=pci-custom\n");
        assert_true(testbed_exists(k, "/sys/devices/pci0000:3a/0000:3a:00.0/" ICE "/sriov_totalvfs"));
        assert_true(testbed_exists(k, "/sys/devices/pci0000:00/0000:00:05.0/uevent"));
        assert_attr(k, ICE, "vendor", "0x8086\n");
        assert_attr(k, ICE, "device", "0x1592\n");
        assert_attr(k, ICE, "class", "0x020000\n");
        assert_attr(k, ICE, "sriov_vf_device", "1889\n");
        assert_attr(k, ICE, "sriov_offset", "8\n");
        assert_attr(k, ICE, "sriov_stride", "1\n");
        assert_attr(k, ICE, "driver_override", "(null)\n");
        assert_attr(k, "0000:00:05.0", "numa_node", "1\n");
        assert_attr(k, "0000:00:05.0", "class", "0x010802\n");
        g_autofree char *uevent = read_attr(k, "0000:00:05.0", "uevent");
        assert_string_equal(uevent, "PCI_CLASS=10802\nPCI_ID=1B36:0010\nPCI_SUBSYS_ID=1B36:0000\nPCI_SLOT_NAME=0000:00:05.0\n"
                                    "MODALIAS=pci:v00001B36d00000010sv00001B36sd00000000bc01sc08i02\nID_PATH=pci-custom\n");
        g_autofree char *ifindex = read_file(k, "/sys/class/net/ens1f0/ifindex");
        assert_non_null(ifindex);
        assert_true(testbed_exists(k, "/sys/bus/pci/drivers/ice/bind"));
        assert_true(testbed_exists(k, "/sys/bus/pci/drivers/ice/" ICE));
        assert_true(testbed_exists(k, "/sys/bus/pci/drivers/vfio-pci/new_id"));
        assert_true(testbed_exists(k, "/sys/bus/pci/drivers_probe"));
        assert_true(testbed_exists(k, "/sys/bus/pci/rescan"));
        g_autofree char *group = link_name(k, ICE, "iommu_group");
        g_autofree char *member = g_strdup_printf("/sys/kernel/iommu_groups/%s/devices/" ICE "/sriov_numvfs", group);
        assert_true(testbed_exists(k, member));

        char vf[13];
        assert_int_equal(fake_kernel_vf_address(k, ICE, 0, vf), 0);
        assert_string_equal(vf, "0000:3b:01.0");
        assert_int_equal(fake_kernel_vf_address(k, ICE, 7, vf), 0);
        assert_string_equal(vf, "0000:3b:01.7");
        assert_int_equal(fake_kernel_vf_address(k, ICE, 8, vf), -ERANGE);
        assert_int_equal(fake_kernel_vf_address(k, "0000:99:00.0", 0, vf), -ENODEV);
}

static void test_vf_address_crosses_bus(void **state) {
        FakeKernel *k = *state;
        load(k, "pf 0000:3b:00.0 driver=ice totalvfs=4 offset=254 stride=2\n");
        char vf[13];
        assert_int_equal(fake_kernel_vf_address(k, "0000:3b:00.0", 0, vf), 0);
        assert_string_equal(vf, "0000:3b:1f.6");
        assert_int_equal(fake_kernel_vf_address(k, "0000:3b:00.0", 1, vf), 0);
        assert_string_equal(vf, "0000:3c:00.0");
        assert_int_equal(write_attr(k, "0000:3b:00.0", "sriov_numvfs", "2"), 1);
        g_autofree char *virtfn1 = link_name(k, "0000:3b:00.0", "virtfn1");
        assert_string_equal(virtfn1, "0000:3c:00.0");
        /* VFs are siblings of their PF, whatever bus number they carry */
        assert_true(testbed_exists(k, "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3c:00.0/physfn"));
}

/* ---- descriptions and helpers ---- */

static char *load_capturing_stderr(FakeKernel *k, const char *hw, int *ret) {
        fflush(stderr);
        FILE *tmp = tmpfile();
        assert_non_null(tmp);
        int saved = dup(STDERR_FILENO);
        dup2(fileno(tmp), STDERR_FILENO);
        *ret = fake_kernel_load(k, hw);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(tmp);
        char buf[4096] = "";
        size_t n = fread(buf, 1, sizeof(buf) - 1, tmp);
        buf[n] = '\0';
        fclose(tmp);
        return g_strdup(buf);
}

static void test_hw_errors(void **state) {
        FakeKernel *k = *state;
        int r;
        g_autofree char *m1 = load_capturing_stderr(k, "# ports\npf 0000:3b:00.0 totalvf=8\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(m1, "<description>:2: unknown key 'totalvf'\n");
        g_autofree char *m2 = load_capturing_stderr(k, "pf 0000:3b:00.8\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(m2, "invalid PCI address '0000:3b:00.8'"));
        g_autofree char *m3 = load_capturing_stderr(k, "pf 0000:3b:00.0 totalvfs=2 numvfs=3\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(m3, "numvfs 3 is above totalvfs 2"));
        g_autofree char *m4 = load_capturing_stderr(k, "nic 0000:3b:00.0\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(m4, "unknown item 'nic'"));
        g_autofree char *m5 = load_capturing_stderr(k, "module vfio-pci enable=1\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(m5, "unknown parameter 'enable' for module vfio-pci"));
        g_autofree char *m6 = load_capturing_stderr(k, "pf 0000:3b:00.0 vendor=8086 vendor=8086\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(m6, "duplicate key 'vendor'"));
        g_autofree char *m7 = load_capturing_stderr(k, "pf 0000:3b:00.0 netdev=eth0\n", &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(m7, "netdev needs a driver"));

        load(k, HW_ICE);
        g_autofree char *m8 = load_capturing_stderr(k, "pf 0000:3b:01.2 driver=ice\n", &r);
        assert_int_equal(r, -EEXIST);
        assert_non_null(strstr(m8, "is taken by VF 2 of pf 0000:3b:00.0"));
        assert_int_equal(fake_kernel_load_file(k, "/nonexistent.hw"), -ENOENT);
}

static void test_demo_hw(void **state) {
        FakeKernel *k = *state;
        assert_int_equal(fake_kernel_load_file(k, DEMO_HW), 0);
        assert_driver(k, "0000:3b:00.0", "ice");
        assert_driver(k, "0000:5e:00.0", NULL);
        assert_driver(k, "0000:86:00.0", NULL);
        assert_driver(k, GPU, "vfio-pci");
        assert_int_equal(fake_kernel_num_vfs(k, GPU), 4);
        assert_driver(k, "0000:af:00.4", "vfio-pci");
        assert_attr(k, "0000:86:00.0", "sriov_unmanaged_autoprobe", "1\n");
        assert_false(testbed_exists(k, "/sys/bus/pci/devices/0000:5e:00.0/sriov_unmanaged_autoprobe"));
        g_autofree char *param = read_file(k, "/sys/module/vfio_pci/parameters/enable_sriov");
        assert_string_equal(param, "Y\n");
        assert_true(testbed_exists(k, "/sys/bus/pci/drivers/pci-pf-stub/bind"));
        /* coldplug: the boot sent nothing */
        assert_int_equal(fake_kernel_n_uevents(k), 0);
        assert_int_equal(write_attr(k, "0000:86:00.0", "sriov_numvfs", "4"), 1);
        assert_driver(k, "0000:86:00.4", "nvme");
}

static void test_admin_bind_unbind(void **state) {
        FakeKernel *k = *state;
        load(k, "module vfio-pci\n" HW_ICE);
        assert_int_equal(write_attr(k, ICE, "sriov_numvfs", "1"), 1);
        const char *vf = "0000:3b:01.0";
        size_t start = fake_kernel_n_uevents(k);
        assert_int_equal(fake_kernel_bind(k, vf, "vfio-pci"), -EBUSY);
        assert_int_equal(fake_kernel_unbind(k, vf), 0);
        assert_int_equal(fake_kernel_unbind(k, vf), -ENODEV);
        assert_int_equal(fake_kernel_bind(k, vf, "nosuchdriver"), -ENOENT);
        assert_int_equal(fake_kernel_bind(k, vf, "vfio-pci"), 0);
        assert_driver(k, vf, "vfio-pci");
        assert_int_equal(fake_kernel_bind(k, "0000:3b:05.0", "vfio-pci"), -ENODEV);
        g_autofree char *events = uevents_since(k, start);
        assert_string_equal(events, "unbind 0000:3b:01.0, bind 0000:3b:01.0");
        pid_t pid;
        assert_int_equal(fake_kernel_hold(k, ICE, NULL, &pid), -ENOENT);
}

int main(void) {
        if (geteuid() != 0) {
                fprintf(stderr, "test-fake-kernel: needs root (a private network namespace for the uevent queues); skipping\n");
                return 77;
        }
        /* a crashed test leaves nothing behind outside one directory */
        const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
                T(test_numvfs_enable_uevent_order),
                T(test_numvfs_disable_removes_highest_first),
                T(test_numvfs_nonzero_to_nonzero_ebusy),
                T(test_numvfs_above_total_erange),
                T(test_numvfs_bad_value_einval),
                T(test_numvfs_same_value_noop_without_driver),
                T(test_numvfs_no_driver_enoent),
                T(test_unmanaged_generic_enable_latches_autoprobe),
                T(test_vfio_pf_without_enable_sriov_enoent),
                T(test_vfio_pf_with_enable_sriov_captures_vfs),
                T(test_vfio_unmanaged_pf_ebusy),
                T(test_autoprobe_off_vfs_unbound_probe_with_override),
                T(test_autoprobe_invalid_einval),
                T(test_driver_override_zero_length_noop),
                T(test_driver_override_newline_clears),
                T(test_driver_override_probe_binds_vfio),
                T(test_vfio_without_iommu_einval),
                T(test_msix),
                T(test_unbind),
                T(test_pci_pf_stub_makes_pf_sriov_capable),
                T(test_inject_errno_with_count),
                T(test_hung_write_released_while_other_pf_answers),
                T(test_concurrent_writes_from_threads),
                T(test_latency_delays_one_store_while_others_answer),
                T(test_held_vf_blocks_disable_until_released),
                T(test_held_vf_blocks_unbind),
                T(test_hot_add_pf_sends_add),
                T(test_remove_pf_sends_vf_removes_first),
                T(test_uevent_burst_without_abort_or_drop),
                T(test_uevent_attribute_synthesizes_event),
                T(test_files_rerendered_after_failed_write),
                T(test_unmodeled_file_passes_through),
                T(test_shim_pwrite_and_writev),
                T(test_tree_layout),
                T(test_vf_address_crosses_bus),
                T(test_hw_errors),
                T(test_demo_hw),
                T(test_admin_bind_unbind),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
