/* Faults: every sysfs write sriovd makes fails with each errno or hangs; PFs and VFs vanish mid-apply.
 * Throughout, the daemon must stay up, answer `sriovctl status`, say why, converge once the fault is
 * gone, and never remove a VF the policy keeps. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "bus-harness.h"
#include "daemon-harness.h"
#include "status-client.h"
#include "sriovd/macro.h"

#define HANG 0          /* in the error lists below: the write hangs instead */
#define NIC_HW "vendor=8086 device=1592 driver=ice totalvfs=4 offset=8 vf-device=1889 vf-driver=iavf"
#define NIC_POLICY "NumVFs=2\nDriversAutoprobe=no\nVFDriver=vfio-pci\n"

static const int errors[] = { EBUSY, ENOENT, EINVAL, ERANGE, EIO, ENODEV, EPERM, ENOMEM, HANG };

typedef struct Test {
        FakeKernel *kernel;
        Daemon *daemon;
        TestBus *bus;
} Test;

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        t->bus = test_bus_start(BUS_SYSTEM_CONFIG);
        t->daemon = daemon_new(t->kernel);
        /* A hung write is reported after this; the suite waits for it 9 times. */
        daemon_write_config(t->daemon, "[Daemon]\nApplyTimeoutSec=2s\n");
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        fake_kernel_release_hangs(t->kernel);
        daemon_free(t->daemon);
        test_bus_stop(t->bus);
        fake_kernel_free(t->kernel);
        free(t);
        return 0;
}

#define check(t, cond)                                                  \
        do {                                                            \
                if (!(cond)) {                                          \
                        daemon_dump((t)->daemon);                       \
                        fail_msg("%s", #cond);                          \
                }                                                       \
        } while (0)

static const char *error_name(int e) {
        return e == HANG ? "hang" : strerrorname_np(e);
}

/* The faulted write was the one that failed, or, for ENOENT from sriov_numvfs, what it taught. */
static bool reason_fits(const char *reason, const char *attribute, int error) {
        if (!reason)
                return false;
        if (error == HANG)
                return strstr(reason, "applying has not finished") && strstr(reason, attribute) && strstr(reason, "has not returned");
        if (error == ENOENT && streq(attribute, "sriov_numvfs"))
                return strstr(reason, "cannot enable VFs");
        return strstr(reason, attribute) && strstr(reason, strerrorname_np(error));
}

/* A PF driver's sriov_configure saying no to a count: the same write gets the same answer, so
 * sriovd waits for a reload instead of trying again by itself. */
static bool driver_refusal(const char *attribute, int error) {
        return streq(attribute, "sriov_numvfs") && (error == EPERM || error == EINVAL || error == ERANGE);
}

/* Polls `sriovctl status` until every PF in want[] has been seen failed with a reason that fits.
 * A PF on its retry shows "applying" for a moment, so each only has to be seen so once. */
typedef struct Want {
        const char *pf;
        const char *attribute;
        int error;
        bool seen;
} Want;

static unsigned wait_reported(Test *t, Want *want, size_t n, unsigned attempts) {
        unsigned calls = 0;
        size_t left = n;

        for (unsigned a = 0; a < attempts && left > 0; a++) {
                json_object *status = status_json(t->kernel, t->daemon);

                calls++;
                for (size_t i = 0; i < n; i++) {
                        json_object *pf = status_find_pf(status, want[i].pf);
                        const char *error = status_field(pf, "error");

                        if (want[i].seen || !streq_ptr(status_field(pf, "state"), "failed") ||
                            !reason_fits(status_field(pf, "reason"), want[i].attribute, want[i].error))
                                continue;
                        /* a hang has no errno; anything else names the one the kernel gave */
                        if (want[i].error != HANG && !streq_ptr(error, strerrorname_np(want[i].error)))
                                continue;
                        want[i].seen = true;
                        left--;
                }
                json_object_put(status);
                if (left > 0)
                        daemon_settle(t->daemon, SECOND / 4);
        }
        if (left > 0) {
                json_object *status = status_json(t->kernel, t->daemon);

                daemon_dump(t->daemon);
                for (size_t i = 0; i < n; i++)
                        if (!want[i].seen)
                                print_message("not reported: %s %s %s: state %s, error %s, reason %s\n", want[i].pf,
                                              want[i].attribute, error_name(want[i].error),
                                              strna(status_field(status_find_pf(status, want[i].pf), "state")),
                                              strna(status_field(status_find_pf(status, want[i].pf), "error")),
                                              strna(status_field(status_find_pf(status, want[i].pf), "reason")));
                fail_msg("%zu of %zu faults not reported", left, n);
        }
        return calls;
}

/* Writes the kernel failed, so far. */
static size_t count_faults(FakeKernel *k) {
        size_t n = 0;

        for (size_t i = 0; i < fake_kernel_n_writes(k); i++)
                n += fake_kernel_write_at(k, i)->result < 0;
        return n;
}

/* No sriov_numvfs=0 anywhere, and no VF of these PFs ever removed. */
static void check_no_vf_destroyed(Test *t, const char * const *pfs, size_t n) {
        for (size_t i = 0; i < fake_kernel_n_writes(t->kernel); i++) {
                const FakeWrite *w = fake_kernel_write_at(t->kernel, i);

                if (streq_ptr(w->attribute, "sriov_numvfs") && streq_ptr(w->value, "0"))
                        fail_msg("VFs were removed: %s sriov_numvfs=0", w->device);
        }
        for (size_t i = 0; i < fake_kernel_n_uevents(t->kernel); i++) {
                const char *u = fake_kernel_uevent_at(t->kernel, i);

                for (size_t p = 0; p < n; p++)
                        for (unsigned v = 0; v < 4; v++) {
                                _cleanup_free_ char *removed = NULL;
                                char address[13];

                                if (fake_kernel_vf_address(t->kernel, pfs[p], v, address) < 0)
                                        continue;
                                assert_true(asprintf(&removed, "remove %s", address) > 0);
                                if (streq(u, removed))
                                        fail_msg("VF %s of %s was removed", address, pfs[p]);
                        }
        }
}

/* ---- every device attribute sriovd writes × every error ---- */

typedef struct Attribute {
        const char *name;
        bool on_vf;             /* the fault is on VF 0's attribute, not the PF's */
        const char *hw;         /* the PF, after its address */
        const char *policy;     /* [PhysicalFunction] and what follows */
} Attribute;

static const Attribute attributes[] = {
        { "sriov_drivers_autoprobe", false, NIC_HW " numvfs=2", NIC_POLICY },
        { "sriov_numvfs", false, NIC_HW, NIC_POLICY },
        { "driver_override", true, NIC_HW " numvfs=2", NIC_POLICY },
        { "sriov_vf_msix_count", true, NIC_HW " numvfs=2 msix=64", NIC_POLICY "[VirtualFunction]\nIndex=0\nMSIXVectors=16\n" },
        /* the patched kernel's path for a PF without a driver */
        { "sriov_unmanaged_autoprobe", false, "vendor=1b36 device=0010 totalvfs=4 unmanaged=yes",
          "NumVFs=2\nUnmanaged=pf-stub\nUnmanagedAutoprobe=no\n" },
        /* mainline's: the PF bound to pci-pf-stub through its driver_override */
        { "driver_override", false, "vendor=1b36 device=0011 totalvfs=4", "NumVFs=2\nUnmanaged=pf-stub\n" },
};

#define N_CASES (ELEMENTSOF(attributes) * ELEMENTSOF(errors))

static void test_every_write_every_error(void **state) {
        Test *t = *state;
        char pfs[N_CASES][13];
        const char *names[N_CASES];
        Want want[N_CASES];
        unsigned calls;
        size_t n = 0, faults;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\nmodule pci-pf-stub\n"), 0);
        for (size_t a = 0; a < ELEMENTSOF(attributes); a++) {
                _cleanup_free_ char *policy = NULL, *match = NULL, *name = NULL;

                match = strdup("[Match]\nPCIAddress=");
                for (size_t e = 0; e < ELEMENTSOF(errors); e++, n++) {
                        _cleanup_free_ char *line = NULL, *m = NULL;
                        const char *device;

                        /* even buses: each PF's root port sits on the odd one below it */
                        snprintf(pfs[n], sizeof(pfs[n]), "0000:%02zx:00.0", 0x10 + 2 * n);
                        names[n] = pfs[n];
                        assert_true(asprintf(&line, "pf %s %s", pfs[n], attributes[a].hw) > 0);
                        assert_int_equal(fake_kernel_load(t->kernel, line), 0);
                        device = attributes[a].on_vf ? vf_address(t->kernel, pfs[n], 0) : pfs[n];
                        /* every write of that attribute fails (or hangs) until the fault is lifted */
                        assert_int_equal(fake_kernel_inject(t->kernel, device, attributes[a].name,
                                                            errors[e] == HANG ? FAKE_KERNEL_HANG : errors[e], 0), 0);
                        want[n] = (Want) { .pf = pfs[n], .attribute = attributes[a].name, .error = errors[e] };
                        assert_true(asprintf(&m, "%s %s", match, pfs[n]) > 0);
                        free(match);
                        match = TAKE_PTR(m);
                }
                assert_true(asprintf(&policy, "%s\n[PhysicalFunction]\n%s", match, attributes[a].policy) > 0);
                assert_true(asprintf(&name, "%02zu-%s.conf", 10 + a, attributes[a].name) > 0);
                daemon_write_policy(t->daemon, name, policy);
        }

        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 30 * SECOND));
        calls = wait_reported(t, want, n, 40);
        check(t, daemon_running(t->daemon));
        faults = count_faults(t->kernel) + fake_kernel_n_hung(t->kernel);
        check(t, fake_kernel_n_hung(t->kernel) == ELEMENTSOF(attributes));
        check_no_vf_destroyed(t, names, n);

        /* the faults are lifted; hung writes now return: each PF gets where its policy says by
         * itself, but for the driver's refusals of the count, which wait for a reload */
        fake_kernel_clear_faults(t->kernel);
        fake_kernel_release_hangs(t->kernel);
        check(t, daemon_wait_status(t->daemon, "54 PFs, 102 VFs, 3 failed", 60 * SECOND));
        {
                json_object *status = status_json(t->kernel, t->daemon);
                unsigned refused = 0;

                for (size_t i = 0; i < n; i++) {
                        json_object *pf = status_find_pf(status, pfs[i]);

                        if (!driver_refusal(want[i].attribute, want[i].error))
                                continue;
                        check(t, streq_ptr(status_field(pf, "state"), "failed"));
                        check(t, strstr(strna(status_field(pf, "reason")), "the PF driver ice refused 2 VFs"));
                        refused++;
                }
                json_object_put(status);
                assert_int_equal(refused, 3);
        }
        daemon_signal(t->daemon, SIGHUP);
        check(t, daemon_wait_status(t->daemon, "54 PFs, 108 VFs", 60 * SECOND));
        for (size_t i = 0; i < n; i++) {
                const Attribute *a = &attributes[i / ELEMENTSOF(errors)];

                assert_int_equal(fake_kernel_num_vfs(t->kernel, pfs[i]), 2);
                if (strstr(a->policy, "VFDriver=vfio-pci")) {
                        check(t, streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, pfs[i], 0)), "vfio-pci"));
                        check(t, streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, pfs[i], 1)), "vfio-pci"));
                }
                if (strstr(a->policy, "MSIXVectors=16")) {
                        _cleanup_free_ char *msix = read_attribute(t->kernel, vf_address(t->kernel, pfs[i], 0), "sriov_vf_msix_count");
                        if (!streq_ptr(msix, "16"))
                                fail_msg("%s: sriov_vf_msix_count is %s", vf_address(t->kernel, pfs[i], 0), strna(msix));
                }
                if (strstr(a->policy, "Unmanaged=pf-stub") && !strstr(a->hw, "unmanaged=yes"))
                        check(t, streq_ptr(fake_kernel_driver(t->kernel, pfs[i]), "pci-pf-stub"));
        }
        {
                json_object *status = status_json(t->kernel, t->daemon);

                for (size_t i = 0; i < n; i++)
                        check(t, streq_ptr(status_field(status_find_pf(status, pfs[i]), "state"), "applied"));
                json_object_put(status);
        }
        check_no_vf_destroyed(t, names, n);
        assert_int_equal(fake_kernel_n_violations(t->kernel), 0);
        print_message("fault matrix: %zu (attribute, error) pairs on 54 PFs, %zu faults injected, "
                      "%u status calls while faulted, all converged\n", n, faults, calls);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- the bus files: drivers/X/unbind and drivers_probe, one PF, × every error ---- */

static bool vfs_on(Test *t, const char *pf, const char *driver) {
        return streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, pf, 0)), driver) &&
               streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, pf, 1)), driver);
}

static void test_bus_files_every_error(void **state) {
        static const char * const files[] = { "drivers/*/unbind", "drivers_probe" };
        Test *t = *state;
        const char *pf = "0000:3b:00.0";
        const char *driver = "iavf";
        size_t faults = 0;
        unsigned calls = 0;

        assert_int_equal(fake_kernel_load(t->kernel, "driver igbvf\npf 0000:3b:00.0 " NIC_HW "\n"), 0);
        daemon_write_policy(t->daemon, "50-nic.conf",
                            "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\nVFDriver=iavf\n");
        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 20 * SECOND));
        check(t, vfs_on(t, pf, driver));

        /* Each round moves the VFs between two host drivers (a VF on vfio-pci that the policy no
         * longer asks for is a VM's and stays), which takes an unbind and a probe each. */
        for (size_t f = 0; f < ELEMENTSOF(files); f++)
                for (size_t e = 0; e < ELEMENTSOF(errors); e++) {
                        _cleanup_free_ char *policy = NULL;
                        const char *attribute = f == 0 ? "unbind" : "probe";
                        Want want = { .pf = pf, .attribute = attribute, .error = errors[e] };
                        size_t before = count_faults(t->kernel);

                        driver = streq(driver, "iavf") ? "igbvf" : "iavf";
                        assert_int_equal(fake_kernel_inject(t->kernel, NULL, files[f],
                                                            errors[e] == HANG ? FAKE_KERNEL_HANG : errors[e], 0), 0);
                        assert_true(asprintf(&policy, "[Match]\nDriver=ice\n[PhysicalFunction]\n"
                                             "NumVFs=2\nDriversAutoprobe=no\nVFDriver=%s\n", driver) > 0);
                        daemon_write_policy(t->daemon, "50-nic.conf", policy);
                        daemon_signal(t->daemon, SIGHUP);
                        calls += wait_reported(t, &want, 1, 40);
                        faults += count_faults(t->kernel) - before + fake_kernel_n_hung(t->kernel);

                        fake_kernel_clear_faults(t->kernel);
                        fake_kernel_release_hangs(t->kernel);
                        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 30 * SECOND));
                        check(t, vfs_on(t, pf, driver));
                        assert_int_equal(fake_kernel_num_vfs(t->kernel, pf), 2);
                }
        check_no_vf_destroyed(t, &pf, 1);
        print_message("bus files: %zu (file, error) pairs, %zu faults injected, %u status calls while faulted\n",
                      ELEMENTSOF(files) * ELEMENTSOF(errors), faults, calls);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* ---- devices that vanish mid-apply ---- */

static bool one_hung(FakeKernel *k, void *userdata) {
        return fake_kernel_n_hung(k) == 1;
}

/* The PF leaves between sriovd's snapshot and its write: the write answers for a device that is gone. */
static void test_pf_removed_mid_write(void **state) {
        Test *t = *state;
        json_object *status;

        assert_int_equal(fake_kernel_load(t->kernel,
                "module vfio-pci\npf 0000:3b:00.0 " NIC_HW "\npf 0000:5e:00.0 " NIC_HW "\n"), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, "0000:3b:00.0", "sriov_drivers_autoprobe", FAKE_KERNEL_HANG, 1), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\n" NIC_POLICY);
        daemon_start(t->daemon);
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);

        assert_int_equal(fake_kernel_remove_pf(t->kernel, "0000:3b:00.0"), 0);
        fake_kernel_release_hangs(t->kernel);
        check(t, daemon_wait_log(t->daemon, "0000:3b:00.0: the PF is gone", 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 10 * SECOND));
        status = status_json(t->kernel, t->daemon);
        check(t, status_find_pf(status, "0000:3b:00.0") == NULL);
        check(t, streq_ptr(status_field(status_find_pf(status, "0000:5e:00.0"), "state"), "applied"));
        json_object_put(status);

        /* it comes back: configured as if new */
        assert_int_equal(fake_kernel_load(t->kernel, "pf 0000:3b:00.0 " NIC_HW "\n"), 0);
        check(t, daemon_wait_status(t->daemon, "2 PFs, 4 VFs", 10 * SECOND));
        check(t, vfs_on(t, "0000:3b:00.0", "vfio-pci"));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* A VF is removed (the admin disables the VFs) while sriovd binds it: the probe answers for a VF
 * that is gone. The PF is then brought back to its policy, not left half done. */
static void test_vf_removed_while_binding(void **state) {
        Test *t = *state;
        char *argv[] = { (char *) SYSFS_WRITE, (char *) "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs=0", NULL };
        json_object *status;
        pid_t pid;
        int exit_status;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\npf 0000:3b:00.0 " NIC_HW "\n"), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, NULL, "drivers_probe", FAKE_KERNEL_HANG, 1), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\n" NIC_POLICY);
        daemon_start(t->daemon);
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);

        assert_int_equal(fake_kernel_spawn(t->kernel, argv, NULL, &pid), 0);
        assert_int_equal(fake_kernel_wait(t->kernel, pid, 10 * SECOND, &exit_status), 0);
        assert_int_equal(exit_status, 0);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 0);
        fake_kernel_release_hangs(t->kernel);

        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 20 * SECOND));
        check(t, vfs_on(t, "0000:3b:00.0", "vfio-pci"));
        status = status_json(t->kernel, t->daemon);
        check(t, streq_ptr(status_field(status_find_pf(status, "0000:3b:00.0"), "state"), "applied"));
        json_object_put(status);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* The PF is removed while sriovd writes a VF's driver_override: PF and VFs go, sriovd lets go of them. */
static void test_pf_removed_while_binding_vf(void **state) {
        Test *t = *state;
        char address[13];

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\npf 0000:3b:00.0 " NIC_HW "\n"), 0);
        assert_int_equal(fake_kernel_vf_address(t->kernel, "0000:3b:00.0", 1, address), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, address, "driver_override", FAKE_KERNEL_HANG, 1), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\n" NIC_POLICY);
        daemon_start(t->daemon);
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);

        assert_int_equal(fake_kernel_remove_pf(t->kernel, "0000:3b:00.0"), 0);
        fake_kernel_release_hangs(t->kernel);
        check(t, daemon_wait_log(t->daemon, "0000:3b:00.0: the PF is gone", 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "0 PFs, 0 VFs", 10 * SECOND));
        check(t, daemon_running(t->daemon));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* A write slower than ApplyTimeoutSec returns and the next one hangs: the status names the write
 * in the kernel now, not the one the timeout caught. */
static void test_timed_out_apply_names_the_write_it_waits_on(void **state) {
        Test *t = *state;
        const char *pf = "0000:3b:00.0", *reason = NULL;
        char *vf0;

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\npf 0000:3b:00.0 " NIC_HW " numvfs=2"), 0);
        vf0 = strdupa(vf_address(t->kernel, pf, 0));
        assert_int_equal(fake_kernel_set_latency(t->kernel, pf, "sriov_drivers_autoprobe", 4 * SECOND), 0);
        assert_int_equal(fake_kernel_inject(t->kernel, vf0, "driver_override", FAKE_KERNEL_HANG, 0), 0);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\n" NIC_POLICY);
        daemon_start(t->daemon);
        check(t, daemon_wait_log(t->daemon, "applying has not finished after 2s; set 0000:3b:00.0 sriov_drivers_autoprobe=0 has not returned",
                                 10 * SECOND));
        check(t, fake_kernel_run(t->kernel, 10 * SECOND, one_hung, NULL) >= 0);
        for (unsigned a = 0; a < 40; a++) {
                json_object *status = status_json(t->kernel, t->daemon);

                reason = strdupa(strna(status_field(status_find_pf(status, pf), "reason")));
                json_object_put(status);
                if (strstr(reason, "driver_override"))
                        break;
                daemon_settle(t->daemon, SECOND / 4);
        }
        if (!streq(reason, "applying has not finished after 2s; set 0000:3b:01.0 driver_override=vfio-pci has not returned"))
                fail_msg("reason: %s", reason);
        fake_kernel_release_hangs(t->kernel);
        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 10 * SECOND));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_every_write_every_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timed_out_apply_names_the_write_it_waits_on, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_files_every_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pf_removed_mid_write, setup, teardown),
                cmocka_unit_test_setup_teardown(test_vf_removed_while_binding, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pf_removed_while_binding_vf, setup, teardown),
        };

        /* e.g. SRIOVD_TEST_FILTER='test_bus_*' to run one while working on it */
        if (getenv("SRIOVD_TEST_FILTER"))
                cmocka_set_test_filter(getenv("SRIOVD_TEST_FILTER"));
        return cmocka_run_group_tests(tests, NULL, NULL);
}
