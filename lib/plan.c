/* Computes the ordered actions that take a PF to its policy, guarded by who uses the devices. */
#include <stdio.h>
#include <stdlib.h>

#include "plan-steps.h"

static const char * const plan_state_table[_PLAN_STATE_MAX] = {
        [PLAN_IN_SYNC] = "in-sync",
        [PLAN_APPLY] = "apply",
        [PLAN_PENDING] = "pending",
        [PLAN_REFUSED] = "refused",
};

static const char * const enable_path_table[_ENABLE_PATH_MAX] = {
        [ENABLE_PATH_DRIVER] = "driver",
        [ENABLE_PATH_KERNEL] = "kernel",
        [ENABLE_PATH_PF_STUB] = "pf-stub",
        [ENABLE_PATH_VFIO_PCI] = "vfio-pci",
};

static const char * const action_kind_table[_ACTION_KIND_MAX] = {
        [ACTION_SET_DRIVERS_AUTOPROBE] = "set-drivers-autoprobe",
        [ACTION_SET_UNMANAGED_AUTOPROBE] = "set-unmanaged-autoprobe",
        [ACTION_SET_NUM_VFS] = "set-num-vfs",
        [ACTION_WAIT_VFS] = "wait-vfs",
        [ACTION_UNBIND] = "unbind",
        [ACTION_SET_DRIVER_OVERRIDE] = "set-driver-override",
        [ACTION_PROBE] = "probe",
        [ACTION_VERIFY_DRIVER] = "verify-driver",
        [ACTION_SET_MSIX_VECTORS] = "set-msix-vectors",
};

const char *plan_state_to_string(PlanState s) {
        return s >= 0 && s < _PLAN_STATE_MAX ? plan_state_table[s] : NULL;
}

const char *enable_path_to_string(EnablePath p) {
        return p >= 0 && p < _ENABLE_PATH_MAX ? enable_path_table[p] : NULL;
}

const char *action_kind_to_string(ActionKind k) {
        return k >= 0 && k < _ACTION_KIND_MAX ? action_kind_table[k] : NULL;
}

Plan *plan_free(Plan *p) {
        if (!p)
                return NULL;
        free(p->reason);
        strv_free(p->blockers);
        strv_free(p->notes);
        for (size_t i = 0; i < p->n_actions; i++)
                free(p->actions[i].driver);
        free(p->actions);
        return mfree(p);
}

/* ---- building ---- */

/* In order: each step reads what the ones before it decided, and any of them may end planning. */
static int (* const plan_steps[])(Planner *pl) = {
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

/* What the PF had before an apply begun earlier changed it is what the record says, not what it has now. */
static void use_record(Planner *pl, const ApplyRecord *record) {
        pl->record = record;
        if (record && record->drivers_autoprobe >= 0)
                pl->orig_ap = record->drivers_autoprobe;
        if (record && record->unmanaged_autoprobe >= 0)
                pl->orig_uap = record->unmanaged_autoprobe;
}

/* Runs steps in order until one ends planning; the plan is the caller's on success. */
static int run_steps(Planner *pl, int (* const *steps)(Planner *pl), size_t n, Plan **ret) {
        for (size_t i = 0; i < n && !pl->done; i++) {
                int r = steps[i](pl);

                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(pl->plan);
        return 0;
}

int plan_compute_resuming(const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags,
                          const ApplyRecord *record, Plan **ret) {
        _cleanup_(planner_done) Planner pl = {};
        int r;

        r = planner_init(&pl, pf, policy, caps, flags);
        if (r < 0)
                return r;
        use_record(&pl, record);
        return run_steps(&pl, plan_steps, ELEMENTSOF(plan_steps), ret);
}

/* A policy that sets nothing leaves the count, the drivers and the MSI-X counts alone; the record
 * alone decides what changes. */
static int (* const leftover_steps[])(Planner *pl) = {
        plan_step_guard,
        plan_step_autoprobe,
        plan_step_leftovers,
        plan_step_finish,
};

int plan_compute_leftovers(const PfSnapshot *pf, const KernelCaps *caps, PlanFlags flags, const ApplyRecord *record,
                           Plan **ret) {
        _cleanup_(planner_done) Planner pl = {};
        _cleanup_(policy_freep) Policy *none = NULL;
        int r;

        if (!record)
                return -EINVAL;
        r = policy_new("", &none);
        if (r < 0)
                return r;
        r = planner_init(&pl, pf, none, caps, flags | PLAN_RESUMING);
        if (r < 0)
                return r;
        use_record(&pl, record);
        return run_steps(&pl, leftover_steps, ELEMENTSOF(leftover_steps), ret);
}

int plan_compute(const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags, Plan **ret) {
        return plan_compute_resuming(pf, policy, caps, flags, NULL, ret);
}

/* ---- presenting and executing actions ---- */

int action_to_string(const Action *a, char **ret) {
        int r = -EINVAL;

        switch (a->kind) {
        case ACTION_SET_DRIVERS_AUTOPROBE:
                r = asprintf(ret, "set %s sriov_drivers_autoprobe=%u", a->device, a->number);
                break;
        case ACTION_SET_UNMANAGED_AUTOPROBE:
                r = asprintf(ret, "set %s sriov_unmanaged_autoprobe=%u", a->device, a->number);
                break;
        case ACTION_SET_NUM_VFS:
                r = asprintf(ret, "set %s sriov_numvfs=%u", a->device, a->number);
                break;
        case ACTION_WAIT_VFS:
                r = asprintf(ret, "wait until %s has %u VF%s", a->device, a->number, a->number == 1 ? "" : "s");
                break;
        case ACTION_UNBIND:
                r = asprintf(ret, "unbind %s from %s", a->device, strna(a->driver));
                break;
        case ACTION_SET_DRIVER_OVERRIDE:
                r = a->driver ? asprintf(ret, "set %s driver_override=%s", a->device, a->driver)
                              : asprintf(ret, "clear %s driver_override", a->device);
                break;
        case ACTION_PROBE:
                r = asprintf(ret, "probe %s", a->device);
                break;
        case ACTION_VERIFY_DRIVER:
                r = asprintf(ret, "check %s is bound to %s", a->device, strna(a->driver));
                break;
        case ACTION_SET_MSIX_VECTORS:
                r = asprintf(ret, "set %s sriov_vf_msix_count=%u", a->device, a->number);
                break;
        default:
                return -EINVAL;
        }
        return r < 0 ? -ENOMEM : 0;
}

int action_sysfs_write(const Action *a, char **ret_path, char **ret_value) {
        _cleanup_free_ char *path = NULL, *value = NULL;
        const char *attribute = NULL;
        int r;

        switch (a->kind) {
        case ACTION_SET_DRIVERS_AUTOPROBE:
                attribute = "sriov_drivers_autoprobe";
                break;
        case ACTION_SET_UNMANAGED_AUTOPROBE:
                attribute = "sriov_unmanaged_autoprobe";
                break;
        case ACTION_SET_NUM_VFS:
                attribute = "sriov_numvfs";
                break;
        case ACTION_SET_MSIX_VECTORS:
                attribute = "sriov_vf_msix_count";
                break;
        case ACTION_SET_DRIVER_OVERRIDE:
                /* A lone newline clears the override; an empty write would change nothing. */
                if (asprintf(&path, SYSFS_PCI_DEVICES "/%s/driver_override", a->device) < 0 ||
                    !(value = strdup(a->driver ?: "\n")))
                        return -ENOMEM;
                goto done;
        case ACTION_PROBE:
                if (!(path = strdup(SYSFS_PCI_DRIVERS_PROBE)) || !(value = strdup(a->device)))
                        return -ENOMEM;
                goto done;
        case ACTION_UNBIND:
                /* Through the driver's own unbind file, so a device that moved to another driver
                 * in the meantime is left alone (ENODEV) instead of being torn off it. */
                if (!a->driver || !driver_name_is_valid(a->driver))
                        return -EINVAL;
                if (asprintf(&path, SYSFS_PCI_DRIVERS "/%s/unbind", a->driver) < 0 || !(value = strdup(a->device)))
                        return -ENOMEM;
                goto done;
        default:
                return -EOPNOTSUPP;
        }
        r = asprintf(&path, SYSFS_PCI_DEVICES "/%s/%s", a->device, attribute);
        if (r < 0 || asprintf(&value, "%u", a->number) < 0)
                return -ENOMEM;
done:
        *ret_path = TAKE_PTR(path);
        *ret_value = TAKE_PTR(value);
        return 0;
}
