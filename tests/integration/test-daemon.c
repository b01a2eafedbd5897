/* The real sriovd on the fake kernel: coldplug, hot-add, ordering, locks, unmanaged PFs, faults, hangs, reload, restart. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon-harness.h"
#include "sriovd/macro.h"

#define NIC "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf netdev=ens1f0"
#define NIC_POLICY(settings) "[Match]\nDriver=ice\n[PhysicalFunction]\n" settings

typedef struct Test {
        FakeKernel *kernel;
        Daemon *daemon;
} Test;

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        t->daemon = daemon_new(t->kernel);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        daemon_free(t->daemon);
        fake_kernel_free(t->kernel);
        free(t);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * SECOND + (uint64_t) ts.tv_nsec / 1000;
}

/* Fails the test with the daemon's log when cond does not hold. */
#define check(t, cond)                                                  \
        do {                                                            \
                if (!(cond)) {                                          \
                        daemon_dump((t)->daemon);                       \
                        fail_msg("%s", #cond);                          \
                }                                                       \
        } while (0)

static void start_ready(Test *t) {
        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 20 * SECOND));
}

/* ---- coldplug and hot-add ---- */

static void test_coldplug_and_hot_add(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel,
                NIC "\n"
                "pf 0000:86:00.0 vendor=1b36 device=0010 totalvfs=4 unmanaged=yes\n"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        daemon_write_policy(t->daemon, "60-nvme.conf", "[Match]\nVendor=0x1b36\n[PhysicalFunction]\nNumVFs=2\n");

        start_ready(t);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:86:00.0"), 2);
        check(t, daemon_wait_status(t->daemon, "2 PFs, 6 VFs", 5 * SECOND));
        check(t, daemon_log_contains(t->daemon, "0000:3b:00.0: applied"));

        /* a PF that appears later is configured by itself */
        assert_int_equal(fake_kernel_load(t->kernel,
                "pf 0000:5e:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf\n"), 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:5e:00.0", 4, 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "3 PFs, 10 VFs", 5 * SECOND));
        check(t, daemon_log_contains(t->daemon, "0000:5e:00.0: new SR-IOV PF"));

        /* and one that goes away is forgotten */
        assert_int_equal(fake_kernel_remove_pf(t->kernel, "0000:5e:00.0"), 0);
        check(t, daemon_wait_status(t->daemon, "2 PFs, 6 VFs", 10 * SECOND));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* A PF arrives without a driver, and its driver binds a moment later, as nvme's asynchronous probe
 * does: sriovd must not take it for a driverless PF and bind it to pci-pf-stub in between. */
static void test_hot_added_pf_waits_for_its_driver(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel, "module pci-pf-stub\ndriver nvme\n"), 0);
        daemon_write_policy(t->daemon, "60-nvme.conf",
                            "[Match]\nVendor=0x1b36\nDriver=nvme\n[PhysicalFunction]\nNumVFs=2\n");
        daemon_write_policy(t->daemon, "80-driverless.conf",
                            "[Match]\nVendor=0x1b36\nDriver=none pci-pf-stub\n[PhysicalFunction]\nNumVFs=3\nUnmanaged=pf-stub\n");
        start_ready(t);

        assert_int_equal(fake_kernel_load(t->kernel, "pf 0000:d8:00.0 vendor=1b36 device=0010 driver=none totalvfs=4\n"), 0);
        check(t, daemon_wait_log(t->daemon, "0000:d8:00.0: new SR-IOV PF", 5 * SECOND));
        daemon_settle(t->daemon, SECOND / 2);
        assert_int_equal(fake_kernel_bind(t->kernel, "0000:d8:00.0", "nvme"), 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:d8:00.0", 2, 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 5 * SECOND));
        assert_int_equal(count_writes(t->kernel, 0, "0000:d8:00.0", "driver_override"), 0);
        assert_string_equal(fake_kernel_driver(t->kernel, "0000:d8:00.0"), "nvme");

        /* one that no driver takes is driverless after all: pci-pf-stub, once the wait is over */
        assert_int_equal(fake_kernel_load(t->kernel, "pf 0000:5e:00.0 vendor=1b36 device=0010 driver=none totalvfs=4\n"), 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:5e:00.0", 3, 10 * SECOND));
        assert_string_equal(fake_kernel_driver(t->kernel, "0000:5e:00.0"), "pci-pf-stub");
        check(t, daemon_wait_status(t->daemon, "2 PFs, 5 VFs", 5 * SECOND));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- ordering ---- */

static void test_resize_goes_through_zero_autoprobe_first(void **state) {
        Test *t = *state;
        size_t autoprobe_at = SIZE_MAX, zero_at = SIZE_MAX, four_at = SIZE_MAX;

        assert_int_equal(fake_kernel_load(t->kernel, NIC " numvfs=8 autoprobe=1"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\nDriversAutoprobe=no\n"));
        start_ready(t);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);

        for (size_t i = 0; i < fake_kernel_n_writes(t->kernel); i++) {
                const FakeWrite *w = fake_kernel_write_at(t->kernel, i);

                if (!streq_ptr(w->device, "0000:3b:00.0"))
                        continue;
                if (streq(w->attribute, "sriov_drivers_autoprobe")) {
                        assert_string_equal(w->value, "0");
                        autoprobe_at = i;
                } else if (streq(w->attribute, "sriov_numvfs")) {
                        assert_true(w->result > 0);
                        if (streq(w->value, "0"))
                                zero_at = i;
                        else if (streq(w->value, "4"))
                                four_at = i;
                        else
                                fail_msg("sriov_numvfs=%s written", w->value);
                }
        }
        /* 8 -> 0 -> 4, with autoprobe off before the new VFs exist */
        check(t, autoprobe_at < zero_at && zero_at < four_at && four_at != SIZE_MAX);
        assert_int_equal(count_writes(t->kernel, 0, "0000:3b:00.0", "sriov_numvfs"), 2);
        /* so the new VFs came up without a driver */
        for (unsigned i = 0; i < 4; i++)
                assert_null(fake_kernel_driver(t->kernel, vf_address(t->kernel, "0000:3b:00.0", i)));
        assert_int_equal(fake_kernel_n_violations(t->kernel), 0);
}

static void test_vfdriver_binds_without_other_driver_first(void **state) {
        Test *t = *state;
        _cleanup_free_ char *autoprobe = NULL;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\n" NIC " autoprobe=1"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\nVFDriver=vfio-pci\n"));
        start_ready(t);

        for (unsigned i = 0; i < 4; i++) {
                const char *v = vf_address(t->kernel, "0000:3b:00.0", i);
                _cleanup_free_ char *bind = NULL;
                size_t binds = 0;

                check(t, streq_ptr(fake_kernel_driver(t->kernel, v), "vfio-pci"));
                /* one bind per VF, and it was vfio-pci's: iavf never probed it */
                assert_true(asprintf(&bind, "bind %s", v) > 0);
                for (size_t j = 0; j < fake_kernel_n_uevents(t->kernel); j++)
                        binds += streq(fake_kernel_uevent_at(t->kernel, j), bind);
                assert_int_equal(binds, 1);
        }
        /* the policy did not ask for autoprobe off: it is back on */
        autoprobe = read_attribute(t->kernel, "0000:3b:00.0", "sriov_drivers_autoprobe");
        assert_string_equal(autoprobe, "1");
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- locks ---- */

static void test_held_vf_refuses_resize_until_released(void **state) {
        Test *t = *state;
        pid_t qemu;
        size_t before;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\n" NIC), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=2\nVFDriver=vfio-pci\n"));
        start_ready(t);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 2);

        /* a VM takes VF 1, then the policy asks for 4 VFs */
        assert_int_equal(fake_kernel_hold(t->kernel, vf_address(t->kernel, "0000:3b:00.0", 1), "qemu-system-x86", &qemu), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\nVFDriver=vfio-pci\n"));
        before = fake_kernel_n_writes(t->kernel);
        daemon_signal(t->daemon, SIGHUP);
        check(t, daemon_wait_log(t->daemon, "is held open by qemu-system-x86", 10 * SECOND));
        check(t, daemon_wait_status_contains(t->daemon, "1 pending", 5 * SECOND));
        daemon_settle(t->daemon, SECOND / 2);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 2);
        assert_int_equal(count_writes(t->kernel, before, "0000:3b:00.0", "sriov_numvfs"), 0);

        /* the VM lets go: the resize happens by itself */
        assert_int_equal(fake_kernel_release_hold(t->kernel, qemu), 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:3b:00.0", 4, 15 * SECOND));
        check(t, daemon_wait_status(t->daemon, "1 PF, 4 VFs", 10 * SECOND));
        for (unsigned i = 0; i < 4; i++)
                check(t, streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, "0000:3b:00.0", i)), "vfio-pci"));
        /* and sriov_numvfs was never written while the VF was held */
        if (fake_kernel_n_violations(t->kernel) > 0)
                fail_msg("%s", fake_kernel_violation_at(t->kernel, 0));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_vfio_owned_pf_never_written(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel,
                "module vfio-pci enable_sriov=1\n"
                "pf 0000:af:00.0 vendor=10de device=2236 driver=vfio-pci totalvfs=16 numvfs=4\n"), 0);
        daemon_write_policy(t->daemon, "70-gpu.conf",
                            "[Match]\nVendor=0x10de\n[PhysicalFunction]\nNumVFs=8\nDriversAutoprobe=no\nVFDriver=vfio-pci\n");
        start_ready(t);
        check(t, daemon_wait_status_contains(t->daemon, "1 pending", 5 * SECOND));
        check(t, daemon_log_contains(t->daemon, "the PF is owned by vfio-pci"));
        daemon_settle(t->daemon, SECOND / 2);
        assert_int_equal(fake_kernel_n_writes(t->kernel), 0);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:af:00.0"), 4);
        assert_int_equal(daemon_stop(t->daemon), 0);
        assert_int_equal(fake_kernel_n_writes(t->kernel), 0);
}

static void test_assigned_vf_released_by_unbind(void **state) {
        Test *t = *state;
        const char *assigned;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\n" NIC " numvfs=2"), 0);
        /* libvirt put VF 1 on vfio-pci for a VM; the policy never asked for that */
        assigned = vf_address(t->kernel, "0000:3b:00.0", 1);
        assert_int_equal(fake_kernel_unbind(t->kernel, assigned), 0);
        assert_int_equal(fake_kernel_bind(t->kernel, assigned, "vfio-pci"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        start_ready(t);
        check(t, daemon_log_contains(t->daemon, "pending: VF 1 (0000:3b:01.1) is assigned (bound to vfio-pci)"));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 2);
        assert_int_equal(count_writes(t->kernel, 0, "0000:3b:", NULL), 0);

        /* the VM is gone and libvirt unbinds the VF: the resize goes ahead by itself */
        assert_int_equal(fake_kernel_unbind(t->kernel, assigned), 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:3b:00.0", 4, 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "1 PF, 4 VFs", 5 * SECOND));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_driver_enabling_fewer_vfs_is_reported(void **state) {
        Test *t = *state;
        size_t before;

        assert_int_equal(fake_kernel_load(t->kernel, NIC " enables=6"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=8\n"));
        start_ready(t);
        check(t, daemon_log_contains(t->daemon, "0000:3b:00.0: failed: asked for 8 VFs, but the kernel enabled 6"));
        check(t, daemon_wait_status(t->daemon, "1 PF, 6 VFs, 1 failed", 5 * SECOND));
        /* the six VFs the driver did enable are not torn down again and again */
        before = fake_kernel_n_writes(t->kernel);
        daemon_settle(t->daemon, 3 * SECOND);
        check(t, fake_kernel_n_writes(t->kernel) == before);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 6);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_driver_refusing_the_count_is_reported(void **state) {
        Test *t = *state;
        size_t before;

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        /* igb without MSI-X answers EPERM from sriov_configure, every time */
        assert_int_equal(fake_kernel_inject(t->kernel, "0000:3b:00.0", "sriov_numvfs", EPERM, 0), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        start_ready(t);
        check(t, daemon_wait_log(t->daemon,
                                 "0000:3b:00.0: failed: the PF driver ice refused 4 VFs (sriov_numvfs: EPERM, Operation not permitted); "
                                 "not retried by itself", 5 * SECOND));
        check(t, daemon_wait_status(t->daemon, "1 PF, 0 VFs, 1 failed", 5 * SECOND));
        before = fake_kernel_n_writes(t->kernel);
        daemon_settle(t->daemon, 3 * SECOND);
        check(t, fake_kernel_n_writes(t->kernel) == before);

        /* the driver is fixed (for igb: MSI-X back); a reload tries again */
        fake_kernel_clear_faults(t->kernel);
        daemon_signal(t->daemon, SIGHUP);
        check(t, daemon_wait_status(t->daemon, "1 PF, 4 VFs", 10 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_watchdog(void **state) {
        Test *t = *state;
        unsigned n;

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=2\n"));
        start_ready(t);
        daemon_settle(t->daemon, SECOND);
        /* no WatchdogSec: the daemon stays idle */
        assert_int_equal(daemon_n_watchdog(t->daemon), 0);
        assert_int_equal(daemon_stop(t->daemon), 0);

        daemon_setenv(t->daemon, "WATCHDOG_USEC=200000");
        start_ready(t);
        n = daemon_n_watchdog(t->daemon);
        daemon_settle(t->daemon, SECOND);
        check(t, daemon_n_watchdog(t->daemon) >= n + 3);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- PFs without a capable driver ---- */

static void test_unmanaged_pfs(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel,
                "module pci-pf-stub\n"
                "module vfio-pci enable_sriov=1\n"
                "pf 0000:3b:00.0 vendor=1b36 device=0010 totalvfs=4 unmanaged=yes\n"
                "pf 0000:5e:00.0 vendor=1b36 device=0011 totalvfs=4\n"
                "pf 0000:86:00.0 vendor=1b36 device=0012 totalvfs=4\n"
                "pf 0000:af:00.0 vendor=1b36 device=0013 totalvfs=4\n"), 0);
        daemon_write_policy(t->daemon, "10-patched.conf",
                            "[Match]\nDevice=0x0010\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\nUnmanagedAutoprobe=no\n");
        daemon_write_policy(t->daemon, "20-stub.conf", "[Match]\nDevice=0x0011\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n");
        daemon_write_policy(t->daemon, "30-vfio.conf", "[Match]\nDevice=0x0012\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=vfio-pci\n");
        daemon_write_policy(t->daemon, "40-none.conf", "[Match]\nDevice=0x0013\n[PhysicalFunction]\nNumVFs=2\n");
        start_ready(t);

        /* the patched kernel's own path: no driver bound, VFs enabled, autoprobe taken from the attribute */
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 2);
        assert_null(fake_kernel_driver(t->kernel, "0000:3b:00.0"));
        assert_int_equal(count_writes(t->kernel, 0, "0000:3b:00.0", "sriov_unmanaged_autoprobe"), 1);
        assert_null(fake_kernel_driver(t->kernel, vf_address(t->kernel, "0000:3b:00.0", 0)));
        /* pci-pf-stub */
        assert_string_equal(fake_kernel_driver(t->kernel, "0000:5e:00.0"), "pci-pf-stub");
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:5e:00.0"), 2);
        /* vfio-pci with enable_sriov */
        assert_string_equal(fake_kernel_driver(t->kernel, "0000:86:00.0"), "vfio-pci");
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:86:00.0"), 2);
        /* nothing the kernel offers, nothing allowed: refused with what is missing, never written */
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:af:00.0"), 0);
        assert_int_equal(count_writes(t->kernel, 0, "0000:af:00.0", NULL), 0);
        check(t, daemon_log_contains(t->daemon, "0000:af:00.0: refused: the PF has no driver and this kernel has no generic SR-IOV path"));
        check(t, daemon_wait_status(t->daemon, "4 PFs, 6 VFs, 1 refused", 5 * SECOND));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- faults ---- */

typedef struct Fault {
        const char *pf;
        const char *device;     /* NULL: the PF itself */
        const char *attribute;
        int error;
} Fault;

static void test_faults_reported_then_converge(void **state) {
        static const char * const attributes[] = { "sriov_drivers_autoprobe", "sriov_numvfs", "driver_override" };
        static const int errors[] = { EBUSY, EIO, ENOENT };
        Test *t = *state;
        char pfs[9][13];
        unsigned n = 0;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\n"), 0);
        for (size_t a = 0; a < ELEMENTSOF(attributes); a++)
                for (size_t e = 0; e < ELEMENTSOF(errors); e++, n++) {
                        _cleanup_free_ char *line = NULL;

                        snprintf(pfs[n], sizeof(pfs[n]), "0000:%02x:00.0", 0x10 + n * 0x10);
                        assert_true(asprintf(&line, "pf %s vendor=8086 device=1592 driver=ice totalvfs=4 offset=8 vf-device=1889 vf-driver=iavf",
                                             pfs[n]) > 0);
                        assert_int_equal(fake_kernel_load(t->kernel, line), 0);
                        /* one fault per PF: the first write of that attribute fails */
                        assert_int_equal(fake_kernel_inject(t->kernel,
                                                            streq(attributes[a], "driver_override") ? vf_address(t->kernel, pfs[n], 0) : pfs[n],
                                                            attributes[a], errors[e], 1), 0);
                }
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=2\nDriversAutoprobe=no\nVFDriver=vfio-pci\n"));
        start_ready(t);

        n = 0;
        for (size_t a = 0; a < ELEMENTSOF(attributes); a++)
                for (size_t e = 0; e < ELEMENTSOF(errors); e++, n++) {
                        _cleanup_free_ char *expected = NULL;

                        /* an ENOENT from sriov_numvfs means "this driver cannot enable VFs" */
                        if (errors[e] == ENOENT && streq(attributes[a], "sriov_numvfs"))
                                assert_true(asprintf(&expected, "%s: failed: the PF driver ice cannot enable VFs", pfs[n]) > 0);
                        else
                                assert_true(asprintf(&expected, "%s: failed: set %s %s=", pfs[n],
                                                     streq(attributes[a], "driver_override") ? vf_address(t->kernel, pfs[n], 0) : pfs[n],
                                                     attributes[a]) > 0);
                        check(t, daemon_log_contains(t->daemon, expected));
                        if (!(errors[e] == ENOENT && streq(attributes[a], "sriov_numvfs")))
                                check(t, daemon_log_contains(t->daemon, strerrorname_np(errors[e])));
                }
        check(t, daemon_running(t->daemon));

        /* each fault was for one write: the retries converge, to the end state the policy wants */
        check(t, daemon_wait_status(t->daemon, "9 PFs, 18 VFs", 30 * SECOND));
        for (unsigned i = 0; i < 9; i++) {
                assert_int_equal(fake_kernel_num_vfs(t->kernel, pfs[i]), 2);
                check(t, streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, pfs[i], 0)), "vfio-pci"));
                check(t, streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, pfs[i], 1)), "vfio-pci"));
        }

        /* the bind step: a VF loses its driver, and the probe that should bring it back fails once */
        for (size_t e = 0; e < ELEMENTSOF(errors); e++) {
                const char *v = vf_address(t->kernel, pfs[e], 1);
                _cleanup_free_ char *expected = NULL;

                assert_int_equal(fake_kernel_inject(t->kernel, NULL, "drivers_probe", errors[e], 1), 0);
                assert_int_equal(fake_kernel_unbind(t->kernel, v), 0);
                assert_true(asprintf(&expected, "%s: failed: probe %s failed: %s", pfs[e], v, strerrorname_np(errors[e])) > 0);
                check(t, daemon_wait_log(t->daemon, expected, 10 * SECOND));
                check(t, daemon_running(t->daemon));
                /* statuses arrive in order: first the failure, then the retry's success */
                check(t, daemon_wait_status(t->daemon, "9 PFs, 18 VFs, 1 failed", 10 * SECOND));
                check(t, daemon_wait_status(t->daemon, "9 PFs, 18 VFs", 15 * SECOND));
                check(t, streq_ptr(fake_kernel_driver(t->kernel, v), "vfio-pci"));
        }
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static bool one_hung(FakeKernel *k, void *userdata) {
        return fake_kernel_n_hung(k) == 1;
}

static void test_hung_write_holds_back_its_pf_alone(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, "0000:3b:00.0", "sriov_numvfs", FAKE_KERNEL_HANG, 1), 0);
        daemon_write_config(t->daemon, "[Daemon]\nApplyTimeoutSec=3s\n");
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        daemon_start(t->daemon);
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);

        /* with that write stuck in the kernel, a PF that appears now is configured all the same */
        assert_int_equal(fake_kernel_load(t->kernel,
                "pf 0000:5e:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf\n"), 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:5e:00.0", 4, 10 * SECOND));
        check(t, fake_kernel_n_hung(t->kernel) == 1);
        check(t, !daemon_log_contains(t->daemon, "applying has not finished"));

        /* the hung PF is reported failed once the apply timeout passes, naming the write */
        check(t, daemon_wait_log(t->daemon, "0000:3b:00.0: applying has not finished after 3s; set 0000:3b:00.0 sriov_numvfs=4 has not returned", 10 * SECOND));
        check(t, daemon_wait_ready(t->daemon, 5 * SECOND));
        check(t, daemon_wait_status(t->daemon, "2 PFs, 4 VFs, 1 failed", 5 * SECOND));

        /* the kernel lets go: the daemon recovers by itself */
        fake_kernel_release_hangs(t->kernel);
        check(t, daemon_wait_log(t->daemon, "the stuck apply returned", 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "2 PFs, 8 VFs", 10 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_pf_driver_unbound_mid_write_is_reported(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, "0000:3b:00.0", "sriov_numvfs", FAKE_KERNEL_HANG, 1), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        daemon_start(t->daemon);
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);

        /* the PF's driver (and its netdev) goes away while the count write is in the kernel, which
         * then answers for a PF without a driver: that is said, not blamed on ice */
        assert_int_equal(fake_kernel_unbind(t->kernel, "0000:3b:00.0"), 0);
        fake_kernel_release_hangs(t->kernel);
        check(t, daemon_wait_log(t->daemon, "0000:3b:00.0: failed: the PF driver ice went away during set 0000:3b:00.0 sriov_numvfs=4 "
                                            "(the PF is now on no driver)", 10 * SECOND));
        check(t, !daemon_log_contains(t->daemon, "cannot enable VFs"));
        check(t, daemon_wait_ready(t->daemon, 10 * SECOND));
        check(t, daemon_running(t->daemon));

        /* bound again: applied, as for any PF whose driver comes */
        assert_int_equal(fake_kernel_bind(t->kernel, "0000:3b:00.0", "ice"), 0);
        check(t, daemon_wait_status(t->daemon, "1 PF, 4 VFs", 10 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static bool no_hung(FakeKernel *k, void *userdata) {
        return fake_kernel_n_hung(k) == 0;
}

static void test_sigterm_during_hung_write_ends_at_the_timeout(void **state) {
        Test *t = *state;
        size_t before;
        uint64_t asked, took;

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, "0000:3b:00.0", "sriov_numvfs", FAKE_KERNEL_HANG, 1), 0);
        daemon_write_config(t->daemon, "[Daemon]\nApplyTimeoutSec=30s\nStopTimeoutSec=2s\n");
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        daemon_start(t->daemon);
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);

        /* asked to stop while the write is in the kernel: the process ends after StopTimeoutSec=,
         * long before the apply timeout, naming the write it leaves behind, and writes nothing
         * more on the way out */
        before = fake_kernel_n_writes(t->kernel);
        asked = now_usec();
        daemon_signal(t->daemon, SIGTERM);
        assert_int_equal(daemon_wait_exit(t->daemon, 10 * SECOND), 0);
        took = now_usec() - asked;
        check(t, took >= 2 * SECOND && took < 8 * SECOND);
        check(t, daemon_log_contains(t->daemon, "still waiting for the kernel after StopTimeoutSec=2s; exiting"));
        check(t, daemon_log_contains(t->daemon, "0000:3b:00.0: exiting with a write still in the kernel: set 0000:3b:00.0 sriov_numvfs=4"));
        check(t, !daemon_log_contains(t->daemon, "ready:"));
        assert_int_equal(fake_kernel_n_writes(t->kernel), before);

        /* the write stays the kernel's, in the writer process the daemon left: it still waits, and
         * takes effect when the kernel answers, as a real store would */
        daemon_settle(t->daemon, SECOND / 2);
        assert_int_equal(fake_kernel_n_hung(t->kernel), 1);
        fake_kernel_release_hangs(t->kernel);
        check(t, fake_kernel_run(t->kernel, 5 * SECOND, no_hung, NULL) >= 0);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:3b:00.0", 4, 5 * SECOND));
        for (size_t i = before; i < fake_kernel_n_writes(t->kernel); i++) {
                const FakeWrite *w = fake_kernel_write_at(t->kernel, i);

                if (!streq(w->attribute, "sriov_numvfs") || !streq(w->value, "4") || i > before)
                        fail_msg("wrote %s=%s after SIGTERM", w->path, w->value);
        }
}

/* ---- reload ---- */

static void test_sighup_broken_file_keeps_old_policy(void **state) {
        Test *t = *state;
        size_t before;

        assert_int_equal(fake_kernel_load(t->kernel,
                NIC "\n"
                "pf 0000:5e:00.0 vendor=8086 device=1593 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf\n"), 0);
        daemon_write_policy(t->daemon, "50-a.conf", "[Match]\nDevice=0x1592\n[PhysicalFunction]\nNumVFs=4\n");
        daemon_write_policy(t->daemon, "60-b.conf", "[Match]\nDevice=0x1593\n[PhysicalFunction]\nNumVFs=2\n");
        start_ready(t);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);

        /* a typo: the whole new set is refused, every error logged with file:line, nothing changes */
        daemon_write_policy(t->daemon, "50-a.conf", "[Match]\nDevice=0x1592\n[PhysicalFunction]\nNumVFs=many\n");
        before = fake_kernel_n_writes(t->kernel);
        daemon_signal(t->daemon, SIGHUP);
        check(t, daemon_wait_log(t->daemon, "keeping the 2 policies in force", 10 * SECOND));
        check(t, daemon_log_contains(t->daemon, "50-a.conf:4: NumVFs=: \"many\" is not a number or \"max\""));
        daemon_settle(t->daemon, SECOND / 2);
        assert_int_equal(fake_kernel_n_writes(t->kernel), before);

        /* fixed: only the PF whose policy changed is touched */
        daemon_write_policy(t->daemon, "50-a.conf", "[Match]\nDevice=0x1592\n[PhysicalFunction]\nNumVFs=2\n");
        daemon_signal(t->daemon, SIGHUP);
        check(t, daemon_wait_num_vfs(t->daemon, "0000:3b:00.0", 2, 10 * SECOND));
        check(t, daemon_wait_log(t->daemon, "1 PF to evaluate again", 5 * SECOND));
        daemon_settle(t->daemon, SECOND / 2);
        assert_int_equal(count_writes(t->kernel, before, "0000:5e:", NULL), 0);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- udev ---- */

/* Where udev runs, a PF whose netdev udev has not processed yet (its rules may rename it, as
 * eth0 becomes ens1f0) is evaluated once udev's event says it is done, and READY=1 waits for it.
 * Without udev, or for an initialized PF, nothing waits. */
static void test_coldplug_waits_for_udev(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel,
                NIC "\n"
                "pf 0000:86:00.0 vendor=1b36 device=0010 driver=nvme totalvfs=4\n"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nInterface=ens1f*\n[PhysicalFunction]\nNumVFs=4\n");
        daemon_write_policy(t->daemon, "60-nvme.conf", "[Match]\nVendor=0x1b36\n[PhysicalFunction]\nNumVFs=2\n");
        assert_int_equal(fake_kernel_set_udev(t->kernel, true), 0);
        assert_int_equal(fake_kernel_udev_hold(t->kernel, "ens1f0"), 0);

        daemon_start(t->daemon);
        check(t, daemon_wait_log(t->daemon, "0000:3b:00.0: waiting for udev to initialize ens1f0", 10 * SECOND));
        check(t, daemon_wait_num_vfs(t->daemon, "0000:86:00.0", 2, 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "2 PFs, 2 VFs, 1 waiting for udev", 5 * SECOND));
        /* the NIC is neither read for a plan nor written, and sriovd is not ready */
        check(t, !daemon_wait_ready(t->daemon, SECOND));
        assert_int_equal(count_writes(t->kernel, 0, "0000:3b:00.0", NULL), 0);
        check(t, !daemon_log_contains(t->daemon, "0000:3b:00.0: applied"));

        assert_int_equal(fake_kernel_udev_finish(t->kernel, "ens1f0"), 0);
        check(t, daemon_wait_ready(t->daemon, 10 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        check(t, daemon_wait_status(t->daemon, "2 PFs, 6 VFs", 5 * SECOND));
        /* evaluated once: one count write, one apply line */
        assert_int_equal(count_writes(t->kernel, 0, "0000:3b:00.0", "sriov_numvfs"), 1);
        {
                _cleanup_free_ char *log = daemon_log(t->daemon);
                const char *first = strstr(log, "0000:3b:00.0: applied");
                check(t, first && !strstr(first + 1, "0000:3b:00.0: applied"));
        }
        assert_int_equal(daemon_stop(t->daemon), 0);

        /* a restart with udev done waits for nothing */
        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "2 PFs, 6 VFs", 5 * SECOND));
        assert_int_equal(daemon_stop(t->daemon), 0);
        {
                _cleanup_free_ char *log = daemon_log(t->daemon);
                const char *first = strstr(log, "waiting for udev to initialize");
                check(t, first && !strstr(first + 1, "waiting for udev to initialize"));
        }
}

/* At boot a PF can be found between udev's event and its driver's bind (nvme probes
 * asynchronously; igb creates its netdev before the driver link): where udev runs, one that udev
 * has just processed and that has no driver gets the time a new PF gets for a driver. */
static void test_coldplug_waits_for_a_probing_driver(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel,
                "module pci-pf-stub\ndriver nvme\n"
                "pf 0000:d8:00.0 vendor=1b36 device=0010 driver=none totalvfs=4\n"), 0);
        daemon_write_policy(t->daemon, "60-nvme.conf",
                            "[Match]\nVendor=0x1b36\nDriver=nvme\n[PhysicalFunction]\nNumVFs=2\n");
        daemon_write_policy(t->daemon, "80-driverless.conf",
                            "[Match]\nVendor=0x1b36\nDriver=none pci-pf-stub\n[PhysicalFunction]\nNumVFs=3\nUnmanaged=pf-stub\n");
        assert_int_equal(fake_kernel_set_udev(t->kernel, true), 0);
        daemon_start(t->daemon);
        check(t, daemon_wait_log(t->daemon, "found 1 SR-IOV PF", 5 * SECOND));
        daemon_settle(t->daemon, SECOND / 2);
        check(t, !daemon_log_contains(t->daemon, "ready:"));
        assert_int_equal(fake_kernel_bind(t->kernel, "0000:d8:00.0", "nvme"), 0);
        check(t, daemon_wait_ready(t->daemon, 10 * SECOND));
        check(t, daemon_wait_num_vfs(t->daemon, "0000:d8:00.0", 2, 5 * SECOND));
        assert_int_equal(count_writes(t->kernel, 0, "0000:d8:00.0", "driver_override"), 0);
        assert_string_equal(fake_kernel_driver(t->kernel, "0000:d8:00.0"), "nvme");
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* udev never gets to a PF: after UdevTimeoutSec= it is evaluated as it is, with a warning. */
static void test_udev_timeout(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel, NIC "\n"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\n"));
        daemon_write_config(t->daemon, "[Daemon]\nApplyTimeoutSec=10s\nUdevTimeoutSec=1s\n");
        assert_int_equal(fake_kernel_set_udev(t->kernel, true), 0);
        assert_int_equal(fake_kernel_udev_hold(t->kernel, "0000:3b:00.0"), 0);

        daemon_start(t->daemon);
        check(t, daemon_wait_log(t->daemon, "0000:3b:00.0: waiting for udev to initialize 0000:3b:00.0", 10 * SECOND));
        check(t, daemon_wait_ready(t->daemon, 10 * SECOND));
        check(t, daemon_log_contains(t->daemon,
                "0000:3b:00.0: udev has not initialized 0000:3b:00.0 after 1s (UdevTimeoutSec=); evaluating the PF as it is"));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        assert_int_equal(daemon_stop(t->daemon), 0);

        /* UdevTimeoutSec=0 does not wait at all */
        daemon_write_config(t->daemon, "[Daemon]\nApplyTimeoutSec=10s\nUdevTimeoutSec=0\n");
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=2\n"));
        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 10 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 2);
        {
                _cleanup_free_ char *log = daemon_log(t->daemon);
                const char *first = strstr(log, "waiting for udev");
                check(t, first && !strstr(first + 1, "waiting for udev"));
        }
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- restart ---- */

static void test_restart_in_place_writes_nothing(void **state) {
        Test *t = *state;
        size_t before;

        assert_int_equal(fake_kernel_load(t->kernel,
                "module vfio-pci\nmodule pci-pf-stub\n" NIC "\n"
                "pf 0000:5e:00.0 vendor=1b36 device=0010 totalvfs=4\n"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=4\nDriversAutoprobe=no\nVFDriver=iavf\n[VirtualFunction]\nIndex=0\nDriver=vfio-pci\n"));
        daemon_write_policy(t->daemon, "60-nvme.conf", "[Match]\nVendor=0x1b36\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n");
        start_ready(t);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 4);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:5e:00.0"), 2);

        /* SIGTERM exits 0 without writing */
        before = fake_kernel_n_writes(t->kernel);
        assert_int_equal(daemon_stop(t->daemon), 0);
        assert_int_equal(fake_kernel_n_writes(t->kernel), before);

        /* a restart with everything in place makes no write at all */
        fake_kernel_reset_writes(t->kernel);
        start_ready(t);
        check(t, daemon_wait_status(t->daemon, "2 PFs, 6 VFs", 5 * SECOND));
        daemon_settle(t->daemon, SECOND / 2);
        if (fake_kernel_n_writes(t->kernel) > 0) {
                const FakeWrite *w = fake_kernel_write_at(t->kernel, 0);
                daemon_dump(t->daemon);
                fail_msg("restart wrote %s=%s", w->path, w->value);
        }
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_command_line(void **state) {
        Test *t = *state;
        _cleanup_free_ char *log = NULL;
        pid_t pid;
        int status;

        assert_int_equal(fake_kernel_spawn(t->kernel, (char *[]) { (char *) SRIOVD, (char *) "--version", NULL }, NULL, &pid), 0);
        assert_int_equal(fake_kernel_wait(t->kernel, pid, 5 * SECOND, &status), 0);
        assert_int_equal(status, 0);
        assert_int_equal(fake_kernel_spawn(t->kernel, (char *[]) { (char *) SRIOVD, (char *) "--log-level=chatty", NULL }, NULL, &pid), 0);
        assert_int_equal(fake_kernel_wait(t->kernel, pid, 5 * SECOND, &status), 0);
        assert_int_equal(status, 2);

        /* a broken sriovd.conf stops the start with file:line */
        daemon_write_config(t->daemon, "[Daemon]\nApplyTimeoutSec=never\n");
        daemon_start(t->daemon);
        assert_int_equal(daemon_wait_exit(t->daemon, 10 * SECOND), 1);
        log = daemon_log(t->daemon);
        check(t, strstr(log, "sriovd.conf:2: ApplyTimeoutSec=: \"never\" is not a time span"));
        check(t, !daemon_running(t->daemon));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "coldplug applies policies to several PFs; a PF added later is configured, one removed forgotten",
                  test_coldplug_and_hot_add, setup, teardown, NULL },
                { "a PF added without a driver waits for the driver that is probing it", test_hot_added_pf_waits_for_its_driver,
                  setup, teardown, NULL },
                { "8 -> 4 goes through 0, and autoprobe is off before the new VFs appear",
                  test_resize_goes_through_zero_autoprobe_first, setup, teardown, NULL },
                { "VFDriver=vfio-pci binds every VF without another driver probing it first",
                  test_vfdriver_binds_without_other_driver_first, setup, teardown, NULL },
                { "a VF held open refuses a resize, which completes by itself once the holder closes",
                  test_held_vf_refuses_resize_until_released, setup, teardown, NULL },
                { "an assigned VF refuses a resize, which goes ahead once it is unbound",
                  test_assigned_vf_released_by_unbind, setup, teardown, NULL },
                { "a driver that enables fewer VFs than asked is reported, and not retried into a loop",
                  test_driver_enabling_fewer_vfs_is_reported, setup, teardown, NULL },
                { "a PF driver refusing the count is reported as its answer, not retried; a reload tries again",
                  test_driver_refusing_the_count_is_reported, setup, teardown, NULL },
                { "WATCHDOG=1 when WatchdogSec is set, nothing otherwise",
                  test_watchdog, setup, teardown, NULL },
                { "a PF owned by vfio-pci is never written",
                  test_vfio_owned_pf_never_written, setup, teardown, NULL },
                { "PFs without a capable driver: patched kernel, pci-pf-stub, vfio-pci, refused",
                  test_unmanaged_pfs, setup, teardown, NULL },
                { "EBUSY, EIO and ENOENT at each step: reported with the reason, the daemon stays up, retries converge",
                  test_faults_reported_then_converge, setup, teardown, NULL },
                { "a PF driver unbound while the count write is in the kernel is reported as such; bound again, applied",
                  test_pf_driver_unbound_mid_write_is_reported, setup, teardown, NULL },
                { "a hung write holds back its PF alone, is reported after the timeout, and the daemon recovers",
                  test_hung_write_holds_back_its_pf_alone, setup, teardown, NULL },
                { "SIGTERM while a write hangs ends the process after StopTimeoutSec=, naming the write, which its writer finishes",
                  test_sigterm_during_hung_write_ends_at_the_timeout, setup, teardown, NULL },
                { "SIGHUP with a broken file keeps the old policies; a good reload touches only changed PFs",
                  test_sighup_broken_file_keeps_old_policy, setup, teardown, NULL },
                { "where udev runs, a PF udev has not initialized is evaluated once, after udev's event; READY waits for it",
                  test_coldplug_waits_for_udev, setup, teardown, NULL },
                { "where udev runs, a driverless PF found as the host comes up waits for the driver that is probing it",
                  test_coldplug_waits_for_a_probing_driver, setup, teardown, NULL },
                { "a PF udev never initializes is evaluated after UdevTimeoutSec=; 0 does not wait",
                  test_udev_timeout, setup, teardown, NULL },
                { "SIGTERM exits 0 without writing; a restart with everything in place writes nothing",
                  test_restart_in_place_writes_nothing, setup, teardown, NULL },
                { "command line and sriovd.conf errors",
                  test_command_line, setup, teardown, NULL },
        };

        if (geteuid() != 0) {
                printf("the fake kernel needs root for its private network namespace; skipping\n");
                return 77;
        }
        return cmocka_run_group_tests_name("sriovd", tests, NULL, NULL);
}
