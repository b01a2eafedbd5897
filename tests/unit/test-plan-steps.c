/* The planner's steps one by one: each is run on a planner the steps before it have filled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "plan-steps.h"
#include "snapshot-builder.h"

#define ALL_DRIVERS "ice iavf vfio-pci pci-pf-stub nvme"
#define PF "pf 0000:3b:00.0 driver=ice total=8 "
#define POLICY "[Match]\nDriver=ice\n[PhysicalFunction]\n"

typedef int (*Step)(Planner *pl);

/* The steps in plan_compute's order, so a test can run those before the one it is about. */
static const Step steps[] = {
        plan_step_count,
        plan_step_capabilities,
        plan_step_enable_path,
        plan_step_vf_drivers,
        plan_step_guard,
        plan_step_pf_bind,
        plan_step_autoprobe,
        plan_step_count_change,
        plan_step_vfs,
        plan_step_leftovers,
        plan_step_restore,
        plan_step_finish,
};

typedef struct Bench {
        PfSnapshot *pf;
        Policy *policy;
        KernelCaps caps;
        Planner pl;
} Bench;

static void bench_close(Bench *b) {
        planner_done(&b->pl);
        kernel_caps_clear(&b->caps);
        policy_free(b->policy);
        pf_snapshot_free(b->pf);
}

/* Runs the steps before `step`, which must not end planning, and returns with `step` not yet run. */
static void bench_open(Bench *b, const char *hardware, const char *policy, const char *caps, Step step) {
        b->pf = build_pf(hardware);
        b->policy = build_policy(policy);
        b->caps = build_caps(caps ?: ALL_DRIVERS);
        assert_int_equal(planner_init(&b->pl, b->pf, b->policy, &b->caps, 0), 0);
        for (size_t i = 0; steps[i] != step; i++) {
                assert_true(i + 1 < ELEMENTSOF(steps));
                assert_int_equal(steps[i](&b->pl), 0);
                assert_false(b->pl.done);
        }
}

/* The step's actions, as action_to_string() shows them, against a NULL-ended list. */
static void check_actions(const Plan *p, const char * const *want) {
        size_t n = 0;

        while (want[n])
                n++;
        for (size_t i = 0; i < p->n_actions; i++) {
                _cleanup_free_ char *s = NULL;

                assert_int_equal(action_to_string(&p->actions[i], &s), 0);
                if (i >= n || !streq(s, want[i]))
                        fail_msg("action %zu is \"%s\", expected \"%s\"", i, s, i < n ? want[i] : "(none)");
        }
        assert_int_equal(p->n_actions, n);
}

static bool has_note(const Plan *p, const char *phrase) {
        for (char **s = p->notes; *s; s++)
                if (strstr(*s, phrase))
                        return true;
        return false;
}

#define ACTIONS(...) ((const char * const[]) { __VA_ARGS__, NULL })
#define NO_ACTIONS ((const char * const[]) { NULL })

/* ---- count ---- */

static void test_count(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=2", POLICY "NumVFs=6\n", NULL, plan_step_count);
        assert_int_equal(plan_step_count(&b.pl), 0);
        assert_false(b.pl.done);
        assert_int_equal(b.pl.want, 6);
        assert_true(b.pl.resize);
        assert_int_equal(b.pl.plan->desired_num_vfs, 6);
        bench_close(&b);

        bench_open(&b, PF "num=2", POLICY "NumVFs=max\n", NULL, plan_step_count);
        assert_int_equal(plan_step_count(&b.pl), 0);
        assert_int_equal(b.pl.want, 8);
        assert_int_equal(b.pl.plan->desired_num_vfs, 8);
        bench_close(&b);

        /* without NumVFs= the count stays, and none is asked for */
        bench_open(&b, PF "num=3", POLICY "DriversAutoprobe=no\n", NULL, plan_step_count);
        assert_int_equal(plan_step_count(&b.pl), 0);
        assert_int_equal(b.pl.want, 3);
        assert_false(b.pl.resize);
        assert_int_equal(b.pl.plan->desired_num_vfs, -1);
        bench_close(&b);
}

static void test_count_above_total_is_refused(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=2", POLICY "NumVFs=9\n", NULL, plan_step_count);
        assert_int_equal(plan_step_count(&b.pl), 0);
        assert_true(b.pl.done);
        assert_int_equal(b.pl.plan->state, PLAN_REFUSED);
        assert_non_null(strstr(b.pl.plan->reason, "NumVFs=9 is more than the 8 VFs"));
        bench_close(&b);
}

/* ---- capabilities ---- */

static void test_capabilities_notes(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=0 unmanaged=-1 msix=0",
                   POLICY "NumVFs=2\nUnmanagedAutoprobe=no\n[VirtualFunction]\nIndex=0\nMSIXVectors=8\n", NULL,
                   plan_step_capabilities);
        assert_int_equal(b.pl.uap, 0);
        assert_int_equal(plan_step_capabilities(&b.pl), 0);
        assert_int_equal(b.pl.uap, -1);
        assert_false(b.pl.msix_supported);
        assert_true(has_note(b.pl.plan, "UnmanagedAutoprobe= has no effect"));
        assert_true(has_note(b.pl.plan, "MSIXVectors= has no effect"));
        /* an MSI-X count this PF cannot set is no VF setup */
        assert_false(b.pl.setup_vfs);
        bench_close(&b);
}

static void test_capabilities_setup_vfs(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=0", POLICY "NumVFs=2\nVFDriver=vfio-pci\n", NULL, plan_step_capabilities);
        assert_int_equal(plan_step_capabilities(&b.pl), 0);
        assert_true(b.pl.setup_vfs);
        assert_null(b.pl.plan->notes[0]);
        bench_close(&b);

        /* without a resize no VF is created, so none is set up as it is */
        bench_open(&b, PF "num=2", POLICY "NumVFs=2\nVFDriver=vfio-pci\n", NULL, plan_step_capabilities);
        assert_int_equal(plan_step_capabilities(&b.pl), 0);
        assert_false(b.pl.setup_vfs);
        bench_close(&b);
}

/* ---- enable path ---- */

static void check_path(const char *hardware, const char *policy, const char *caps, EnablePath want, const char *refusal) {
        Bench b = {};

        bench_open(&b, hardware, policy, caps, plan_step_enable_path);
        assert_int_equal(plan_step_enable_path(&b.pl), 0);
        if (refusal) {
                assert_true(b.pl.done);
                assert_int_equal(b.pl.plan->state, PLAN_REFUSED);
                if (!strstr(b.pl.plan->reason, refusal))
                        fail_msg("reason \"%s\" does not say \"%s\"", b.pl.plan->reason, refusal);
        } else {
                assert_false(b.pl.done);
                assert_string_equal(enable_path_to_string(b.pl.plan->path), enable_path_to_string(want));
        }
        bench_close(&b);
}

static void test_enable_path(void **state) {
        const char *driverless = "pf 0000:5e:00.0 driver=none total=4 num=0 group=7";
        const char *unmanaged = "pf 0000:5e:00.0 driver=none total=4 num=0 unmanaged=1";
        const char *p = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\n";

        check_path(PF "num=0", POLICY "NumVFs=2\n", NULL, ENABLE_PATH_DRIVER, NULL);
        check_path(unmanaged, p, NULL, ENABLE_PATH_KERNEL, NULL);
        check_path(unmanaged, "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n",
                   NULL, ENABLE_PATH_KERNEL, NULL);
        check_path(driverless, "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n",
                   NULL, ENABLE_PATH_PF_STUB, NULL);
        check_path(driverless, "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=vfio-pci\n",
                   "vfio-pci enable_sriov", ENABLE_PATH_VFIO_PCI, NULL);

        check_path(driverless, p, NULL, 0, "no generic SR-IOV path");
        check_path(unmanaged, "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=no\n",
                   NULL, 0, "the policy says Unmanaged=no");
        check_path(driverless, "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n",
                   "vfio-pci", 0, "pci-pf-stub is not loaded");
        check_path(driverless, "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=vfio-pci\n",
                   "vfio-pci", 0, "enable_sriov parameter is off");
        check_path("pf 0000:5e:00.0 driver=none total=4 num=0 group=-1",
                   "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=vfio-pci\n",
                   "vfio-pci enable_sriov", 0, "the PF has no IOMMU group");
}

static void test_enable_path_only_for_a_resize(void **state) {
        Bench b = {};

        /* a driverless PF that keeps its count is not refused for lacking a way to change it */
        bench_open(&b, "pf 0000:5e:00.0 driver=none total=4 num=2",
                   "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\n", NULL,
                   plan_step_enable_path);
        assert_int_equal(plan_step_enable_path(&b.pl), 0);
        assert_false(b.pl.done);
        assert_int_equal(b.pl.plan->path, _ENABLE_PATH_INVALID);
        bench_close(&b);
}

/* ---- VF drivers ---- */

static void test_vf_drivers(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=0", POLICY "NumVFs=2\nVFDriver=iavf\n", "ice vfio-pci", plan_step_vf_drivers);
        assert_int_equal(plan_step_vf_drivers(&b.pl), 0);
        assert_int_equal(b.pl.plan->state, PLAN_REFUSED);
        assert_non_null(strstr(b.pl.plan->reason, "VF 0 should be bound to iavf, but that driver is not loaded (modprobe iavf)"));
        bench_close(&b);

        bench_open(&b, PF "num=0 group=-1", POLICY "NumVFs=2\nVFDriver=vfio-pci\n", NULL, plan_step_vf_drivers);
        assert_int_equal(plan_step_vf_drivers(&b.pl), 0);
        assert_int_equal(b.pl.plan->state, PLAN_REFUSED);
        assert_non_null(strstr(b.pl.plan->reason, "VF 0 should be bound to vfio-pci, but it has no IOMMU group"));
        bench_close(&b);

        bench_open(&b, PF "num=0", POLICY "NumVFs=2\nVFDriver=vfio-pci\n", NULL, plan_step_vf_drivers);
        assert_int_equal(plan_step_vf_drivers(&b.pl), 0);
        assert_false(b.pl.done);
        bench_close(&b);
}

/* ---- guard ---- */

static void test_guard_held_vf_holds_the_resize(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=2; vf 1 driver=vfio-pci holder=4242:qemu-system-x86", POLICY "NumVFs=4\n", NULL,
                   plan_step_guard);
        assert_int_equal(plan_step_guard(&b.pl), 0);
        assert_true(b.pl.done);
        assert_int_equal(b.pl.plan->state, PLAN_PENDING);
        assert_int_equal(b.pl.plan->n_actions, 0);
        assert_string_equal(b.pl.plan->reason, "VF 1 (0000:3b:01.1) is held open by qemu-system-x86 (pid 4242)");
        bench_close(&b);
}

static void test_guard_locked_pf_comes_first(void **state) {
        Bench b = {};

        bench_open(&b, "pf 0000:af:00.0 driver=vfio-pci total=16 num=4 holder=99:qemu-kvm; vf 0 driver=vfio-pci",
                   "[Match]\nPCIAddress=0000:af:00.0\n[PhysicalFunction]\nNumVFs=8\n", NULL, plan_step_guard);
        assert_int_equal(plan_step_guard(&b.pl), 0);
        assert_true(b.pl.pf_locked);
        assert_int_equal(b.pl.plan->state, PLAN_PENDING);
        assert_string_equal(b.pl.plan->blockers[0], "the PF is owned by vfio-pci and held open by qemu-kvm (pid 99)");
        assert_non_null(strstr(b.pl.plan->blockers[1], "VF 0 ("));
        assert_non_null(strstr(b.pl.plan->blockers[1], ") is assigned (bound to vfio-pci)"));
        assert_null(b.pl.plan->blockers[2]);
        assert_non_null(strstr(b.pl.plan->reason, ", and 1 more device is in use"));
        bench_close(&b);
}

static void test_guard_lets_other_changes_through(void **state) {
        Bench b = {};

        /* no resize: a VF in use does not stop the guard, plan_step_vfs leaves that VF alone */
        bench_open(&b, PF "num=2; vf 1 driver=vfio-pci holder=4242:qemu-system-x86", POLICY "NumVFs=2\nDriversAutoprobe=no\n",
                   NULL, plan_step_guard);
        assert_int_equal(plan_step_guard(&b.pl), 0);
        assert_false(b.pl.done);
        assert_null(b.pl.plan->blockers[0]);
        bench_close(&b);
}

/* ---- PF bind ---- */

static void test_pf_bind(void **state) {
        const char *policy = "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n";
        Bench b = {};

        bench_open(&b, "pf 0000:5e:00.0 driver=none total=4 num=0", policy, NULL, plan_step_pf_bind);
        assert_int_equal(plan_step_pf_bind(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("set 0000:5e:00.0 driver_override=pci-pf-stub", "probe 0000:5e:00.0",
                                         "check 0000:5e:00.0 is bound to pci-pf-stub"));
        bench_close(&b);

        /* an override already in place is not written again */
        bench_open(&b, "pf 0000:5e:00.0 driver=none total=4 num=0 override=pci-pf-stub", policy, NULL, plan_step_pf_bind);
        assert_int_equal(plan_step_pf_bind(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("probe 0000:5e:00.0", "check 0000:5e:00.0 is bound to pci-pf-stub"));
        bench_close(&b);

        /* a PF with its own driver is not rebound */
        bench_open(&b, PF "num=0", POLICY "NumVFs=2\nUnmanaged=pf-stub\n", NULL, plan_step_pf_bind);
        assert_int_equal(plan_step_pf_bind(&b.pl), 0);
        check_actions(b.pl.plan, NO_ACTIONS);
        bench_close(&b);
}

/* ---- autoprobe ---- */

static void test_autoprobe_without_resize(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=2 autoprobe=1 unmanaged=1", POLICY "DriversAutoprobe=no\nUnmanagedAutoprobe=no\n", NULL,
                   plan_step_autoprobe);
        assert_int_equal(plan_step_autoprobe(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=0", "set 0000:3b:00.0 sriov_unmanaged_autoprobe=0"));
        bench_close(&b);
}

static void test_autoprobe_held_off_while_vfs_are_created(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=0 autoprobe=1", POLICY "NumVFs=2\nVFDriver=vfio-pci\n", NULL, plan_step_autoprobe);
        assert_int_equal(plan_step_autoprobe(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=0"));
        bench_close(&b);

        /* on the kernel's path the unmanaged autoprobe is the one held off; the other is set as asked */
        bench_open(&b, "pf 0000:5e:00.0 driver=none total=4 num=0 autoprobe=1 unmanaged=1",
                   "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nVFDriver=vfio-pci\nDriversAutoprobe=no\n",
                   NULL, plan_step_autoprobe);
        assert_int_equal(plan_step_autoprobe(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("set 0000:5e:00.0 sriov_unmanaged_autoprobe=0", "set 0000:5e:00.0 sriov_drivers_autoprobe=0"));
        bench_close(&b);

        /* nothing to set up: the policy's value, and only if it differs */
        bench_open(&b, PF "num=0 autoprobe=1", POLICY "NumVFs=2\nDriversAutoprobe=yes\n", NULL, plan_step_autoprobe);
        assert_int_equal(plan_step_autoprobe(&b.pl), 0);
        check_actions(b.pl.plan, NO_ACTIONS);
        bench_close(&b);
}

/* ---- count change ---- */

static void check_count_change(unsigned now, unsigned want, const char * const *actions) {
        char hw[64], policy[128];
        Bench b = {};

        snprintf(hw, sizeof(hw), PF "num=%u", now);
        snprintf(policy, sizeof(policy), POLICY "NumVFs=%u\n", want);
        bench_open(&b, hw, policy, NULL, plan_step_count_change);
        assert_int_equal(plan_step_count_change(&b.pl), 0);
        check_actions(b.pl.plan, actions);
        bench_close(&b);
}

static void test_count_change_goes_through_zero(void **state) {
        check_count_change(2, 6, ACTIONS("set 0000:3b:00.0 sriov_numvfs=0", "wait until 0000:3b:00.0 has 0 VFs",
                                         "set 0000:3b:00.0 sriov_numvfs=6", "wait until 0000:3b:00.0 has 6 VFs"));
        check_count_change(0, 1, ACTIONS("set 0000:3b:00.0 sriov_numvfs=1", "wait until 0000:3b:00.0 has 1 VF"));
        check_count_change(4, 0, ACTIONS("set 0000:3b:00.0 sriov_numvfs=0", "wait until 0000:3b:00.0 has 0 VFs"));
        check_count_change(4, 4, NO_ACTIONS);
}

/* ---- VFs ---- */

static void test_vfs_in_order(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=2 msix=64; vf 0 driver=iavf msix=4; vf 1 driver=vfio-pci override=vfio-pci",
                   POLICY "VFDriver=vfio-pci\n[VirtualFunction]\nIndex=0\nMSIXVectors=16\n", NULL, plan_step_vfs);
        assert_int_equal(plan_step_vfs(&b.pl), 0);
        /* VF 1 already is where the policy wants it */
        check_actions(b.pl.plan, ACTIONS("unbind 0000:3b:01.0 from iavf", "set 0000:3b:01.0 sriov_vf_msix_count=16",
                                         "set 0000:3b:01.0 driver_override=vfio-pci", "probe 0000:3b:01.0",
                                         "check 0000:3b:01.0 is bound to vfio-pci"));
        bench_close(&b);
}

static void test_vfs_in_use_or_missing_are_left_alone(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=3; vf 0 driver=iavf holder=7:dpdk; vf 1 missing", POLICY "VFDriver=vfio-pci\n", NULL,
                   plan_step_vfs);
        assert_int_equal(plan_step_vfs(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("set 0000:3b:01.2 driver_override=vfio-pci", "probe 0000:3b:01.2",
                                         "check 0000:3b:01.2 is bound to vfio-pci"));
        assert_string_equal(b.pl.plan->blockers[0], "VF 0 (0000:3b:01.0) is held open by dpdk (pid 7)");
        assert_true(has_note(b.pl.plan, "VF 1 is counted in sriov_numvfs but has no virtfn1 link"));
        bench_close(&b);
}

static void test_vfs_created_with_msix_only_probe_later(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=0 autoprobe=1 msix=64", POLICY "NumVFs=1\n[VirtualFunction]\nIndex=0\nMSIXVectors=8\n",
                   NULL, plan_step_vfs);
        assert_int_equal(plan_step_vfs(&b.pl), 0);
        assert_non_null(b.pl.probe_later);
        assert_string_equal(b.pl.probe_later[0], "0000:3b:01.0");
        assert_null(b.pl.probe_later[1]);
        bench_close(&b);
}

static void test_vfs_msix_steer_is_not_kept(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=1 msix=64; vf 0 driver=iavf msix=4", POLICY "[VirtualFunction]\nIndex=0\nMSIXVectors=16\n",
                   NULL, plan_step_vfs);
        assert_int_equal(plan_step_vfs(&b.pl), 0);
        /* back to iavf through an override for the bind, then the VF has none again, as before */
        check_actions(b.pl.plan, ACTIONS("unbind 0000:3b:01.0 from iavf", "set 0000:3b:01.0 sriov_vf_msix_count=16",
                                         "set 0000:3b:01.0 driver_override=iavf", "probe 0000:3b:01.0",
                                         "check 0000:3b:01.0 is bound to iavf", "clear 0000:3b:01.0 driver_override"));
        bench_close(&b);
}

/* Autoprobe is held off while VF 0 gets its driver: the VFs the policy gives none are probed once
 * it is back, as the kernel would have probed them. */
static void test_vfs_created_without_a_driver_are_probed_after(void **state) {
        _cleanup_(plan_freep) Plan *p = NULL;
        PfSnapshot *pf = build_pf(PF "num=0 autoprobe=1");
        Policy *pol = build_policy(POLICY "NumVFs=3\n[VirtualFunction]\nIndex=0\nDriver=vfio-pci\n");
        KernelCaps caps = build_caps(ALL_DRIVERS);

        assert_int_equal(plan_compute(pf, pol, &caps, 0, &p), 0);
        check_actions(p, ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=0", "set 0000:3b:00.0 sriov_numvfs=3",
                                 "wait until 0000:3b:00.0 has 3 VFs", "set 0000:3b:01.0 driver_override=vfio-pci",
                                 "probe 0000:3b:01.0", "check 0000:3b:01.0 is bound to vfio-pci",
                                 "set 0000:3b:00.0 sriov_drivers_autoprobe=1", "probe 0000:3b:01.1", "probe 0000:3b:01.2"));
        kernel_caps_clear(&caps);
        policy_free(pol);
        pf_snapshot_free(pf);
}

/* ---- an interrupted apply ---- */

static ApplyRecord *build_record(int autoprobe, const char *override_device, const char *override) {
        ApplyRecord *r;

        assert_int_equal(apply_record_new(4242, 1, "/etc/sriovd.d/50-nic.conf", &r), 0);
        r->drivers_autoprobe = autoprobe;
        if (override_device)
                assert_int_equal(apply_record_add_override(r, override_device, override, NULL), 1);
        return r;
}

static void check_resumed(const char *hardware, const char *policy, const ApplyRecord *record, const char * const *want) {
        _cleanup_(plan_freep) Plan *p = NULL;
        PfSnapshot *pf = build_pf(hardware);
        Policy *pol = build_policy(policy);
        KernelCaps caps = build_caps(ALL_DRIVERS);

        assert_int_equal(plan_compute_resuming(pf, pol, &caps, 0, record, &p), 0);
        check_actions(p, want);
        kernel_caps_clear(&caps);
        policy_free(pol);
        pf_snapshot_free(pf);
}

/* Killed after the VFs were created with autoprobe held off: the policy, silent about autoprobe,
 * gets the PF's value from before the apply back, which the PF alone no longer shows. */
static void test_resume_puts_autoprobe_back(void **state) {
        _cleanup_(apply_record_freep) ApplyRecord *r = build_record(1, NULL, NULL);
        const char *hw = PF "num=2 autoprobe=0; vf 0 override=vfio-pci; vf 1";

        check_resumed(hw, POLICY "NumVFs=2\nVFDriver=vfio-pci\n", r,
                      ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=1", "probe 0000:3b:01.0",
                              "check 0000:3b:01.0 is bound to vfio-pci", "set 0000:3b:01.1 driver_override=vfio-pci",
                              "probe 0000:3b:01.1", "check 0000:3b:01.1 is bound to vfio-pci"));
        /* without the record, 0 is the PF's own value */
        check_resumed(hw, POLICY "NumVFs=2\nVFDriver=vfio-pci\n", NULL,
                      ACTIONS("probe 0000:3b:01.0", "check 0000:3b:01.0 is bound to vfio-pci",
                              "set 0000:3b:01.1 driver_override=vfio-pci", "probe 0000:3b:01.1",
                              "check 0000:3b:01.1 is bound to vfio-pci"));
}

/* The policy changed meanwhile and no longer names a VF driver: the override the interrupted
 * apply wrote goes, and the VFs it left unprobed are probed, as the kernel would have. A VF on a
 * driver, in use, or with an override of somebody else's is not touched. */
static void test_resume_undoes_leftover_overrides(void **state) {
        _cleanup_(apply_record_freep) ApplyRecord *r = build_record(1, "0000:3b:01.0", "vfio-pci");

        check_resumed(PF "num=4 autoprobe=0; vf 0 override=vfio-pci; vf 1; vf 2 driver=iavf; vf 3 override=igbvf",
                      POLICY "NumVFs=4\n", r,
                      ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=1", "clear 0000:3b:01.0 driver_override",
                              "probe 0000:3b:01.0", "probe 0000:3b:01.1"));
        check_resumed(PF "num=4 autoprobe=0; vf 0 override=vfio-pci; vf 1; vf 2 driver=iavf; vf 3 override=igbvf",
                      POLICY "NumVFs=4\n", NULL, NO_ACTIONS);
        /* DriversAutoprobe=no: the override goes, nothing is probed */
        check_resumed(PF "num=2 autoprobe=0; vf 0 override=vfio-pci; vf 1", POLICY "NumVFs=2\nDriversAutoprobe=no\n", r,
                      ACTIONS("clear 0000:3b:01.0 driver_override"));
}

/* The same for a driverless PF the interrupted apply was binding to pci-pf-stub. */
static void test_resume_undoes_pf_override(void **state) {
        _cleanup_(apply_record_freep) ApplyRecord *r = build_record(-1, "0000:5e:00.0", "pci-pf-stub");

        check_resumed("pf 0000:5e:00.0 total=8 num=0 override=pci-pf-stub", "[Match]\nPCIAddress=0000:5e:00.0\n", r,
                      ACTIONS("clear 0000:5e:00.0 driver_override"));
        /* still wanted: the bind goes on */
        check_resumed("pf 0000:5e:00.0 total=8 num=0 override=pci-pf-stub",
                      "[Match]\nPCIAddress=0000:5e:00.0\n[PhysicalFunction]\nNumVFs=2\nUnmanaged=pf-stub\n", r,
                      ACTIONS("probe 0000:5e:00.0", "check 0000:5e:00.0 is bound to pci-pf-stub",
                              "set 0000:5e:00.0 sriov_numvfs=2", "wait until 0000:5e:00.0 has 2 VFs"));
}

static void check_leftovers(const char *hardware, const ApplyRecord *record, PlanState state, const char * const *want) {
        _cleanup_(plan_freep) Plan *p = NULL;
        PfSnapshot *pf = build_pf(hardware);
        KernelCaps caps = build_caps(ALL_DRIVERS);

        assert_int_equal(plan_compute_leftovers(pf, &caps, 0, record, &p), 0);
        check_actions(p, want);
        assert_int_equal(p->state, state);
        assert_int_equal(p->desired_num_vfs, -1);
        kernel_caps_clear(&caps);
        pf_snapshot_free(pf);
}

/* The policy is gone since the apply that was interrupted: what that apply held off or wrote for
 * the time being goes back; the count, the drivers and anything in use stay. */
static void test_leftovers_without_a_policy(void **state) {
        _cleanup_(apply_record_freep) ApplyRecord *r = build_record(1, "0000:3b:01.0", "vfio-pci");
        _cleanup_(apply_record_freep) ApplyRecord *none = build_record(-1, NULL, NULL);

        check_leftovers(PF "num=4 autoprobe=0; vf 0 override=vfio-pci; vf 1; vf 2 driver=vfio-pci override=vfio-pci; vf 3 override=igbvf",
                        r, PLAN_APPLY,
                        ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=1", "clear 0000:3b:01.0 driver_override",
                                "probe 0000:3b:01.0", "probe 0000:3b:01.1"));
        /* all put back already: nothing to do */
        check_leftovers(PF "num=4; vf 0 driver=iavf; vf 1 driver=iavf; vf 2 driver=iavf; vf 3 driver=iavf", r,
                        PLAN_IN_SYNC, NO_ACTIONS);
        /* a record with nothing held off leaves the PF's autoprobe as it is */
        check_leftovers(PF "num=2 autoprobe=0; vf 0 driver=iavf; vf 1 driver=iavf", none, PLAN_IN_SYNC, NO_ACTIONS);
        /* a VF a VM holds keeps its override */
        check_leftovers(PF "num=2 autoprobe=0; vf 0 driver=vfio-pci override=vfio-pci holder=qemu:77; vf 1 driver=iavf", r, PLAN_APPLY,
                        ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=1"));
        /* the PF on vfio-pci: nothing at all while it is */
        check_leftovers("pf 0000:3b:00.0 driver=vfio-pci total=8 num=2 autoprobe=0; vf 0; vf 1", r, PLAN_PENDING, NO_ACTIONS);
}

/* ---- restore ---- */

static void test_restore(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=0 autoprobe=1 msix=64", POLICY "NumVFs=1\n[VirtualFunction]\nIndex=0\nMSIXVectors=8\n",
                   NULL, plan_step_restore);
        b.pl.plan->n_actions = 0; /* only what this step adds */
        free(b.pl.plan->actions);
        b.pl.plan->actions = NULL;
        assert_int_equal(plan_step_restore(&b.pl), 0);
        check_actions(b.pl.plan, ACTIONS("set 0000:3b:00.0 sriov_drivers_autoprobe=1", "probe 0000:3b:01.0"));
        bench_close(&b);

        /* DriversAutoprobe=no stays off, and the new VF stays unbound */
        bench_open(&b, PF "num=0 autoprobe=1 msix=64",
                   POLICY "NumVFs=1\nDriversAutoprobe=no\n[VirtualFunction]\nIndex=0\nMSIXVectors=8\n", NULL, plan_step_restore);
        {
                size_t before = b.pl.plan->n_actions;

                assert_int_equal(plan_step_restore(&b.pl), 0);
                assert_int_equal(b.pl.plan->n_actions, before);
        }
        bench_close(&b);
}

/* ---- finish ---- */

static void test_finish(void **state) {
        Bench b = {};

        bench_open(&b, PF "num=8 autoprobe=0", POLICY "NumVFs=8\nDriversAutoprobe=no\n", NULL, plan_step_finish);
        assert_int_equal(plan_step_finish(&b.pl), 0);
        assert_true(b.pl.done);
        assert_int_equal(b.pl.plan->state, PLAN_IN_SYNC);
        bench_close(&b);

        bench_open(&b, PF "num=8 autoprobe=1", POLICY "NumVFs=8\nDriversAutoprobe=no\n", NULL, plan_step_finish);
        assert_int_equal(plan_step_finish(&b.pl), 0);
        assert_int_equal(b.pl.plan->state, PLAN_APPLY);
        assert_null(b.pl.plan->reason);
        bench_close(&b);
}

static void test_finish_pending(void **state) {
        Bench b = {};

        /* a VF in use keeps only its own actions out: the rest is done now */
        bench_open(&b, PF "num=2; vf 0 driver=iavf holder=7:dpdk", POLICY "VFDriver=vfio-pci\n", NULL, plan_step_finish);
        assert_int_equal(plan_step_finish(&b.pl), 0);
        assert_int_equal(b.pl.plan->state, PLAN_PENDING);
        assert_int_equal(b.pl.plan->n_actions, 3);
        assert_string_equal(b.pl.plan->reason, "VF 0 (0000:3b:01.0) is held open by dpdk (pid 7)");
        bench_close(&b);

        /* a PF vfio-pci owns gets nothing done at all */
        bench_open(&b, "pf 0000:af:00.0 driver=vfio-pci total=16 num=4 autoprobe=1",
                   "[Match]\nPCIAddress=0000:af:00.0\n[PhysicalFunction]\nDriversAutoprobe=no\n", NULL, plan_step_finish);
        assert_int_equal(b.pl.plan->n_actions, 1);
        assert_int_equal(plan_step_finish(&b.pl), 0);
        assert_int_equal(b.pl.plan->state, PLAN_PENDING);
        assert_int_equal(b.pl.plan->n_actions, 0);
        assert_string_equal(b.pl.plan->reason, "the PF is owned by vfio-pci");
        bench_close(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_count),
                cmocka_unit_test(test_count_above_total_is_refused),
                cmocka_unit_test(test_capabilities_notes),
                cmocka_unit_test(test_capabilities_setup_vfs),
                cmocka_unit_test(test_enable_path),
                cmocka_unit_test(test_enable_path_only_for_a_resize),
                cmocka_unit_test(test_vf_drivers),
                cmocka_unit_test(test_guard_held_vf_holds_the_resize),
                cmocka_unit_test(test_guard_locked_pf_comes_first),
                cmocka_unit_test(test_guard_lets_other_changes_through),
                cmocka_unit_test(test_pf_bind),
                cmocka_unit_test(test_autoprobe_without_resize),
                cmocka_unit_test(test_autoprobe_held_off_while_vfs_are_created),
                cmocka_unit_test(test_count_change_goes_through_zero),
                cmocka_unit_test(test_vfs_in_order),
                cmocka_unit_test(test_vfs_in_use_or_missing_are_left_alone),
                cmocka_unit_test(test_vfs_created_with_msix_only_probe_later),
                cmocka_unit_test(test_vfs_msix_steer_is_not_kept),
                cmocka_unit_test(test_vfs_created_without_a_driver_are_probed_after),
                cmocka_unit_test(test_resume_puts_autoprobe_back),
                cmocka_unit_test(test_resume_undoes_leftover_overrides),
                cmocka_unit_test(test_resume_undoes_pf_override),
                cmocka_unit_test(test_leftovers_without_a_policy),
                cmocka_unit_test(test_restore),
                cmocka_unit_test(test_finish),
                cmocka_unit_test(test_finish_pending),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
