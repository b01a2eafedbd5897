/* The sysfs snapshot and the writer, run as programs on the fake kernel, checked against kernel truth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "fake-kernel.h"
#include "sriovd/macro.h"

#define SECOND 1000000ULL

static const char hardware[] =
        "module vfio-pci\n"
        "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 numvfs=3 autoprobe=0 offset=8 stride=1 "
        "vf-device=1889 vf-driver=iavf netdev=ens1f0 msix=64\n"
        "pf 0000:5e:00.0 vendor=1b36 device=0010 class=0x010802 totalvfs=4 unmanaged=yes unmanaged-autoprobe=0 "
        "id-path=pci-0000:5e:00.0-nvme\n";

static int run_program(FakeKernel *k, char **argv) {
        pid_t pid;
        int status = -1;

        assert_int_equal(fake_kernel_spawn(k, argv, NULL, &pid), 0);
        assert_int_equal(fake_kernel_wait(k, pid, 30 * SECOND, &status), 0);
        return status;
}

static json_object *dump(FakeKernel *k, const char *address) {
        _cleanup_free_ char *out = NULL;
        json_object *j;

        assert_true(asprintf(&out, "%s/.snapshot.json", fake_kernel_root(k)) > 0);
        assert_int_equal(run_program(k, (char *[]) { (char *) SNAPSHOT_DUMP, out, (char *) address, NULL }), 0);
        j = json_object_from_file(out);
        assert_non_null(j);
        return j;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("no key %s in %s", key, json_object_to_json_string(o));
        return v;
}

static int get_int(json_object *o, const char *key) {
        return json_object_get_int(get(o, key));
}

static const char *get_str(json_object *o, const char *key) {
        return json_object_get_string(get(o, key));
}

static json_object *find_pf(json_object *root, const char *address) {
        json_object *pfs = get(root, "pfs");

        for (size_t i = 0; i < json_object_array_length(pfs); i++) {
                json_object *pf = json_object_array_get_idx(pfs, i);
                if (streq(get_str(pf, "address"), address))
                        return pf;
        }
        fail_msg("no PF %s in the snapshot", address);
        return NULL;
}

static int setup(void **state) {
        FakeKernel *k = NULL;

        if (geteuid() != 0) {
                print_message("the fake kernel needs root (a private network namespace); skipping\n");
                return -1;
        }
        assert_int_equal(fake_kernel_new(&k), 0);
        assert_int_equal(fake_kernel_load(k, hardware), 0);
        *state = k;
        return 0;
}

static int teardown(void **state) {
        fake_kernel_free(*state);
        return 0;
}

static void test_enumeration(void **state) {
        FakeKernel *k = *state;
        json_object *j = dump(k, NULL);
        json_object *pfs = get(j, "pfs");

        /* the root ports are PCI devices too, but not SR-IOV PFs */
        assert_int_equal(json_object_array_length(pfs), 2);
        assert_string_equal(get_str(json_object_array_get_idx(pfs, 0), "address"), "0000:3b:00.0");
        assert_string_equal(get_str(json_object_array_get_idx(pfs, 1), "address"), "0000:5e:00.0");
        json_object_put(j);
}

static void test_pf_attributes(void **state) {
        FakeKernel *k = *state;
        json_object *j = dump(k, NULL);
        json_object *nic = find_pf(j, "0000:3b:00.0"), *nvme = find_pf(j, "0000:5e:00.0");

        assert_int_equal(get_int(nic, "vendor"), 0x8086);
        assert_int_equal(get_int(nic, "device"), 0x1592);
        assert_int_equal(get_int(nic, "class"), 0x020000);
        assert_string_equal(get_str(nic, "driver"), "ice");
        assert_null(get(nic, "driver_override"));
        assert_int_equal(get_int(nic, "total_vfs"), 8);
        assert_int_equal(get_int(nic, "num_vfs"), 3);
        assert_int_equal(get_int(nic, "offset"), 8);
        assert_int_equal(get_int(nic, "stride"), 1);
        assert_int_equal(get_int(nic, "vf_device"), 0x1889);
        assert_int_equal(get_int(nic, "drivers_autoprobe"), 0);
        assert_int_equal(get_int(nic, "unmanaged_autoprobe"), -1);
        assert_int_equal(get_int(nic, "vf_total_msix"), 64);
        assert_true(get_int(nic, "iommu_group") >= 0);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(get(nic, "netdevs"), 0)), "ens1f0");
        assert_string_equal(get_str(nic, "id_path"), "pci-0000:3b:00.0");
        assert_true(strstr(get_str(nic, "syspath"), "/0000:3b:00.0") != NULL);

        assert_null(get(nvme, "driver"));
        assert_int_equal(get_int(nvme, "class"), 0x010802);
        assert_int_equal(get_int(nvme, "num_vfs"), 0);
        assert_int_equal(get_int(nvme, "unmanaged_autoprobe"), 0);
        assert_int_equal(json_object_array_length(get(nvme, "vfs")), 0);
        assert_int_equal(json_object_array_length(get(nvme, "netdevs")), 0);
        assert_string_equal(get_str(nvme, "id_path"), "pci-0000:5e:00.0-nvme");

        /* the SR-IOV capability in config space, as the hardware states it, read through libpci */
        json_object *cap = get(nic, "capability");
        assert_int_equal(get_int(cap, "total_vfs"), 8);
        assert_int_equal(get_int(cap, "num_vfs"), 3);
        assert_int_equal(get_int(cap, "offset"), 8);
        assert_int_equal(get_int(cap, "stride"), 1);
        assert_int_equal(get_int(cap, "vf_device"), 0x1889);
        assert_int_equal(get_int(get(nvme, "capability"), "total_vfs"), 4);
        /* a libpci failure is an errno, not the end of the process */
        assert_string_equal(get_str(j, "missing_capability"), "ENODEV");
        json_object_put(j);
}

static void test_vfs_and_ownership(void **state) {
        FakeKernel *k = *state;
        json_object *j, *vfs, *vf0, *vf1, *vf2, *holder;
        char address[13];
        pid_t qemu;

        /* one VF on iavf, one on vfio-pci held open by a VM, one left without a driver */
        assert_int_equal(fake_kernel_bind(k, "0000:3b:01.0", "iavf"), 0);
        assert_int_equal(fake_kernel_bind(k, "0000:3b:01.1", "vfio-pci"), 0);
        assert_int_equal(fake_kernel_hold(k, "0000:3b:01.1", "qemu-system-x86", &qemu), 0);

        j = dump(k, "0000:3b:00.0");
        vfs = get(find_pf(j, "0000:3b:00.0"), "vfs");
        assert_int_equal(json_object_array_length(vfs), 3);
        for (unsigned i = 0; i < 3; i++) {
                json_object *v = json_object_array_get_idx(vfs, i);

                assert_int_equal(fake_kernel_vf_address(k, "0000:3b:00.0", i, address), 0);
                assert_int_equal(get_int(v, "index"), (int) i);
                assert_string_equal(get_str(v, "address"), address);
                assert_int_equal(get_int(v, "device"), 0x1889);
                assert_true(get_int(v, "iommu_group") >= 0);
                assert_int_equal(get_int(v, "msix_count"), 0);
        }
        vf0 = json_object_array_get_idx(vfs, 0);
        vf1 = json_object_array_get_idx(vfs, 1);
        vf2 = json_object_array_get_idx(vfs, 2);
        assert_string_equal(get_str(vf0, "driver"), "iavf");
        assert_int_equal(json_object_array_length(get(vf0, "holders")), 0);
        assert_string_equal(get_str(vf1, "driver"), "vfio-pci");
        assert_null(get(vf2, "driver"));
        assert_int_not_equal(get_int(vf0, "iommu_group"), get_int(vf1, "iommu_group"));

        /* the holder is found through /proc, with its pid and command, for the group and the cdev */
        assert_true(json_object_array_length(get(vf1, "holders")) >= 1);
        holder = json_object_array_get_idx(get(vf1, "holders"), 0);
        assert_int_equal(get_int(holder, "pid"), qemu);
        assert_string_equal(get_str(holder, "comm"), "qemu-system-x86");
        assert_true(startswith(get_str(holder, "node"), "/dev/vfio/"));
        json_object_put(j);

        /* after the VM lets go, nobody holds it */
        assert_int_equal(fake_kernel_release_hold(k, qemu), 0);
        j = dump(k, "0000:3b:00.0");
        vf1 = json_object_array_get_idx(get(find_pf(j, "0000:3b:00.0"), "vfs"), 1);
        assert_int_equal(json_object_array_length(get(vf1, "holders")), 0);
        json_object_put(j);
}

static void test_missing_devices(void **state) {
        FakeKernel *k = *state;
        json_object *j = dump(k, "0000:99:00.0");

        assert_string_equal(get_str(get(j, "errors"), "0000:99:00.0"), "ENODEV");
        assert_int_equal(json_object_array_length(get(j, "pfs")), 0);
        json_object_put(j);
}

/* The writer hands back exactly the errno the kernel gave, whatever it is. */
static void test_writer_errno(void **state) {
        static const int errors[] = { EBUSY, EIO, ENOENT, EINVAL, ERANGE, ENODEV, EPERM, ENOMEM, EOPNOTSUPP };
        FakeKernel *k = *state;
        const char *path = "/sys/bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe";

        for (size_t i = 0; i < ELEMENTSOF(errors); i++) {
                _cleanup_free_ char *arg = NULL;
                size_t before = fake_kernel_n_writes(k);

                assert_int_equal(fake_kernel_inject(k, "0000:3b:00.0", "sriov_drivers_autoprobe", errors[i], 1), 0);
                assert_true(asprintf(&arg, "%s=1", path) > 0);
                assert_int_equal(run_program(k, (char *[]) { (char *) SYSFS_WRITE, arg, NULL }), 1);
                assert_int_equal(fake_kernel_n_writes(k), before + 1);
                assert_int_equal(fake_kernel_write_at(k, before)->result, -errors[i]);
        }
        /* the fault was for one write only; the next one goes through and changes the value */
        assert_int_equal(run_program(k, (char *[]) { (char *) SYSFS_WRITE, (char *) "/sys/bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe=1", NULL }), 0);
        assert_int_equal(fake_kernel_write_at(k, fake_kernel_n_writes(k) - 1)->result, 1);
}

/* A device link that leads out of /sys/devices is neither read nor written through. */
static void test_link_escape(void **state) {
        FakeKernel *k = *state;
        _cleanup_free_ char *link = NULL, *out = NULL;
        json_object *j, *checks;

        assert_true(asprintf(&link, "%s/sys/bus/pci/devices/0000:66:00.0", fake_kernel_root(k)) > 0);
        assert_int_equal(symlink("../../../../tmp", link), 0);
        assert_true(asprintf(&out, "%s/.escape.json", fake_kernel_root(k)) > 0);
        assert_int_equal(run_program(k, (char *[]) { (char *) SNAPSHOT_DUMP, out, (char *) "0000:66:00.0",
                                                     (char *) "/sys/bus/pci/devices/0000:66:00.0/sriov_numvfs",
                                                     (char *) "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs", NULL }), 0);
        j = json_object_from_file(out);
        assert_non_null(j);
        assert_string_equal(get_str(get(j, "errors"), "0000:66:00.0"), "EPERM");
        checks = get(j, "path_checks");
        assert_string_equal(get_str(checks, "/sys/bus/pci/devices/0000:66:00.0/sriov_numvfs"), "EPERM");
        assert_string_equal(get_str(checks, "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs"), "ok");
        json_object_put(j);
        unlink(link);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "every SR-IOV PF is listed, and only PFs", test_enumeration, NULL, NULL, NULL },
                { "PF attributes, driver, netdev and ID_PATH are read as the kernel shows them", test_pf_attributes, NULL, NULL, NULL },
                { "VFs from virtfnN links, with drivers, IOMMU groups and who holds them open", test_vfs_and_ownership, NULL, NULL, NULL },
                { "a PF that does not exist is ENODEV", test_missing_devices, NULL, NULL, NULL },
                { "the one writer returns the kernel's exact errno", test_writer_errno, NULL, NULL, NULL },
                { "a device link out of /sys/devices is neither read nor written through", test_link_escape, NULL, NULL, NULL },
        };

        if (geteuid() != 0) {
                printf("the fake kernel needs root for its private network namespace; skipping\n");
                return 77;
        }
        return cmocka_run_group_tests_name("snapshot", tests, setup, teardown);
}
