/* The planner's steps, from the VF count to the final state; plan_compute runs them in order. */
#include <stdio.h>
#include <stdlib.h>

#include "plan-steps.h"
#include "sriovd/ownership.h"

int plan_step_count(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        const Policy *policy = pl->policy;

        if (policy->num_vfs_max)
                pl->want = pf->total_vfs;
        else if (policy->num_vfs >= 0) {
                pl->want = (unsigned) policy->num_vfs;
                if (pl->want > pf->total_vfs)
                        return planner_refuse(pl, "NumVFs=%u is more than the %u VFs this PF supports (sriov_totalvfs)",
                                              pl->want, pf->total_vfs);
        }
        if (policy->num_vfs_max || policy->num_vfs >= 0)
                pl->plan->desired_num_vfs = (int) pl->want;
        pl->resize = pl->want != pf->num_vfs;
        return 0;
}

static bool policy_wants_msix(const Policy *p) {
        for (size_t i = 0; i < p->n_vfs; i++)
                if (p->vfs[i].msix_vectors >= 0)
                        return true;
        return false;
}

int plan_step_capabilities(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        int r;

        if (pl->uap >= 0 && pf->unmanaged_autoprobe < 0) {
                r = planner_add_note(pl, "UnmanagedAutoprobe= has no effect: this kernel has no sriov_unmanaged_autoprobe");
                if (r < 0)
                        return r;
                pl->uap = -1;
        }
        pl->msix_supported = pf->vf_total_msix > 0;
        if (policy_wants_msix(pl->policy) && !pl->msix_supported) {
                r = planner_add_note(pl, "MSIXVectors= has no effect: this PF cannot resize VF MSI-X tables (sriov_vf_total_msix is 0)");
                if (r < 0)
                        return r;
        }
        if (pl->resize)
                for (unsigned i = 0; i < pl->want; i++)
                        if (policy_vf_driver(pl->policy, i) ||
                            (pl->msix_supported && policy_vf_msix_vectors(pl->policy, i) >= 0))
                                pl->setup_vfs = true;
        return 0;
}

/* Decides how VFs get enabled on this PF, or refuses and says what is missing. */
int plan_step_enable_path(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        UnmanagedMode mode = policy_unmanaged(pl->policy);
        bool lacks = pf->driver && (pl->flags & PLAN_PF_DRIVER_CANNOT_SRIOV);

        if (!pl->resize)
                return 0;
        if (pf->driver && !lacks) {
                pl->plan->path = ENABLE_PATH_DRIVER;
                return 0;
        }

        if (mode == UNMANAGED_NO) {
                if (lacks)
                        return planner_refuse(pl, "the PF driver %s cannot enable VFs (it has no sriov_configure) and the policy says Unmanaged=no", pf->driver);
                return planner_refuse(pl, "the PF has no driver and the policy says Unmanaged=no");
        }
        if (pf->unmanaged_autoprobe >= 0) {
                pl->plan->path = ENABLE_PATH_KERNEL;
                return 0;
        }
        if (lacks)
                /* pf-stub and vfio-pci need the PF unbound first; sriovd does not take a PF from its driver. */
                return planner_refuse(pl, "the PF driver %s cannot enable VFs (it has no sriov_configure) and this kernel has no sriov_unmanaged_autoprobe; unbind the driver to use Unmanaged=pf-stub or Unmanaged=vfio-pci", pf->driver);

        switch (mode) {
        case UNMANAGED_KERNEL:
                return planner_refuse(pl, "the PF has no driver and this kernel has no generic SR-IOV path (no sriov_unmanaged_autoprobe); set Unmanaged=pf-stub or Unmanaged=vfio-pci");
        case UNMANAGED_PF_STUB:
                if (!kernel_caps_has_driver(pl->caps, PF_STUB_DRIVER))
                        return planner_refuse(pl, "Unmanaged=pf-stub, but pci-pf-stub is not loaded (modprobe pci-pf-stub)");
                pl->plan->path = ENABLE_PATH_PF_STUB;
                return 0;
        case UNMANAGED_VFIO_PCI:
                if (!kernel_caps_has_driver(pl->caps, VFIO_PCI_DRIVER))
                        return planner_refuse(pl, "Unmanaged=vfio-pci, but vfio-pci is not loaded (modprobe vfio-pci enable_sriov=1)");
                if (!pl->caps->vfio_enable_sriov)
                        return planner_refuse(pl, "Unmanaged=vfio-pci, but vfio-pci's enable_sriov parameter is off (modprobe vfio-pci enable_sriov=1)");
                if (pf->iommu_group < 0)
                        return planner_refuse(pl, "Unmanaged=vfio-pci, but the PF has no IOMMU group (enable the IOMMU, e.g. intel_iommu=on)");
                pl->plan->path = ENABLE_PATH_VFIO_PCI;
                return 0;
        default:
                return -EINVAL;
        }
}

/* Every driver the policy gives VFs must be loaded, and vfio-pci needs an IOMMU. */
int plan_step_vf_drivers(Planner *pl) {
        const PfSnapshot *pf = pl->pf;

        for (unsigned i = 0; i < pl->want; i++) {
                const char *d = policy_vf_driver(pl->policy, i);
                const VfSnapshot *v;
                int group;

                if (!d)
                        continue;
                if (!kernel_caps_has_driver(pl->caps, d))
                        return planner_refuse(pl, "VF %u should be bound to %s, but that driver is not loaded (modprobe %s)", i, d, d);
                if (!streq(d, VFIO_PCI_DRIVER))
                        continue;
                v = pf_snapshot_vf(pf, i);
                group = v ? v->iommu_group : pf->iommu_group;
                if (group < 0)
                        return planner_refuse(pl, "VF %u should be bound to vfio-pci, but it has no IOMMU group (enable the IOMMU, e.g. intel_iommu=on)", i);
        }
        return 0;
}

/* A PF owned by vfio-pci is in a VM or a user space driver: its SR-IOV setup is read-only. A resize
 * destroys every VF, so any VF in use holds it back; each one is named. */
int plan_step_guard(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        bool blocked = false;
        int r;

        pl->pf_locked = streq_ptr(pf->driver, VFIO_PCI_DRIVER) || pf->n_holders > 0;
        if (!pl->resize)
                return 0;
        for (size_t i = 0; i < pf->n_vfs; i++) {
                bool b;

                r = planner_vf_blocker(pl, &pf->vfs[i], &b);
                if (r < 0)
                        return r;
                blocked = blocked || b;
        }
        if (blocked || pl->pf_locked)
                return planner_pending(pl, false);
        return 0;
}

int plan_step_pf_bind(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        EnablePath path = pl->plan->path;
        const char *d;
        int r;

        if (!pl->resize || (path != ENABLE_PATH_PF_STUB && path != ENABLE_PATH_VFIO_PCI))
                return 0;
        d = path == ENABLE_PATH_PF_STUB ? PF_STUB_DRIVER : VFIO_PCI_DRIVER;
        if (!streq_ptr(pf->driver_override, d)) {
                r = planner_add_action(pl, ACTION_SET_DRIVER_OVERRIDE, pf->address, 0, d);
                if (r < 0)
                        return r;
        }
        r = planner_add_action(pl, ACTION_PROBE, pf->address, 0, NULL);
        if (r < 0)
                return r;
        return planner_add_action(pl, ACTION_VERIFY_DRIVER, pf->address, 0, d);
}

static int set_autoprobe(Planner *pl, ActionKind kind, int value, int now) {
        if (value < 0 || value == now)
                return 0;
        return planner_add_action(pl, kind, pl->pf->address, (unsigned) value, NULL);
}

/* Without a resize the policy's values are set as they are. With one, VFs that get a driver from
 * the policy must not be probed by another one first, so the autoprobe in force while they are
 * created is off; plan_step_restore puts the policy's value (or the old one) back once they are bound. */
int plan_step_autoprobe(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        bool hold_off = pl->setup_vfs && pl->want > 0;
        int r;

        int ap = planner_wanted_autoprobe(pl, false), uap = planner_wanted_autoprobe(pl, true);

        if (!pl->resize) {
                r = set_autoprobe(pl, ACTION_SET_DRIVERS_AUTOPROBE, ap, pf->drivers_autoprobe);
                if (r < 0)
                        return r;
                return set_autoprobe(pl, ACTION_SET_UNMANAGED_AUTOPROBE, uap, pf->unmanaged_autoprobe);
        }
        if (pl->plan->path == ENABLE_PATH_KERNEL) {
                r = set_autoprobe(pl, ACTION_SET_UNMANAGED_AUTOPROBE, hold_off ? 0 : uap, pf->unmanaged_autoprobe);
                if (r < 0)
                        return r;
                return set_autoprobe(pl, ACTION_SET_DRIVERS_AUTOPROBE, ap, pf->drivers_autoprobe);
        }
        return set_autoprobe(pl, ACTION_SET_DRIVERS_AUTOPROBE, hold_off ? 0 : ap, pf->drivers_autoprobe);
}

static int set_num_vfs(Planner *pl, unsigned n) {
        int r = planner_add_action(pl, ACTION_SET_NUM_VFS, pl->pf->address, n, NULL);
        if (r < 0)
                return r;
        return planner_add_action(pl, ACTION_WAIT_VFS, pl->pf->address, n, NULL);
}

/* The kernel answers EBUSY to a change between two non-zero counts. */
int plan_step_count_change(Planner *pl) {
        int r;

        if (!pl->resize)
                return 0;
        if (pl->pf->num_vfs > 0) {
                r = set_num_vfs(pl, 0);
                if (r < 0)
                        return r;
        }
        return pl->want > 0 ? set_num_vfs(pl, pl->want) : 0;
}

/* What a VF looks like when the planner acts on it: as read, or as the kernel will create it. */
typedef struct VfView {
        char address[PCI_ADDRESS_MAX];
        const char *driver;
        const char *driver_override;
        int msix_count;
        const VfSnapshot *snapshot; /* NULL when the VF is created by this plan */
} VfView;

static int vf_view(Planner *pl, unsigned index, VfView *ret) {
        const PfSnapshot *pf = pl->pf;
        VfView v = { .msix_count = -1 };
        int r;

        if (pl->resize) {
                r = pci_vf_address(pf->address, pf->offset, pf->stride, index, v.address);
                if (r < 0)
                        return r;
                /* vfio-pci with enable_sriov sets driver_override on the VFs it creates. */
                if (pl->plan->path == ENABLE_PATH_VFIO_PCI)
                        v.driver_override = VFIO_PCI_DRIVER;
        } else {
                v.snapshot = pf_snapshot_vf(pf, index);
                if (!v.snapshot)
                        return 0;
                memcpy(v.address, v.snapshot->address, PCI_ADDRESS_MAX);
                v.driver = v.snapshot->driver;
                v.driver_override = v.snapshot->driver_override;
                v.msix_count = v.snapshot->msix_count;
        }
        *ret = v;
        return 1;
}

/* One VF: unbound, given its MSI-X count, bound to the policy's driver (or back to its own). */
static int plan_vf(Planner *pl, unsigned index) {
        const char *want = policy_vf_driver(pl->policy, index);
        int want_msix = pl->msix_supported ? policy_vf_msix_vectors(pl->policy, index) : -1;
        bool needs_driver, needs_msix, blocked;
        const char *target;
        VfView v;
        int r;

        if (!want && want_msix < 0) {
                /* Created while autoprobe was held off for the VFs that get a driver: probed
                 * once it is back on, as the kernel would have. */
                if (!pl->resize || !pl->setup_vfs || planner_final_autoprobe(pl) <= 0)
                        return 0;
                r = vf_view(pl, index, &v);
                if (r <= 0)
                        return r;
                return strv_extend(&pl->probe_later, v.address);
        }
        r = vf_view(pl, index, &v);
        if (r < 0)
                return r;
        if (r == 0)
                return planner_add_note(pl, "VF %u is counted in sriov_numvfs but has no virtfn%u link; it is left alone", index, index);

        needs_driver = want && !streq_ptr(v.driver, want);
        needs_msix = want_msix >= 0 && v.msix_count != want_msix;
        if (!needs_driver && !needs_msix)
                return 0;

        if (v.snapshot) {
                r = planner_vf_blocker(pl, v.snapshot, &blocked);
                if (r < 0 || blocked)
                        return r;
        }

        if (v.driver) {
                r = planner_add_action(pl, ACTION_UNBIND, v.address, 0, v.driver);
                if (r < 0)
                        return r;
        }
        if (needs_msix) {
                r = planner_add_action(pl, ACTION_SET_MSIX_VECTORS, v.address, (unsigned) want_msix, NULL);
                if (r < 0)
                        return r;
        }
        /* After an MSI-X change the VF goes back to the driver it had, unless the policy names one. */
        target = want ?: v.driver;
        if (target) {
                bool steer = !streq_ptr(v.driver_override, target);

                if (steer) {
                        r = planner_add_action(pl, ACTION_SET_DRIVER_OVERRIDE, v.address, 0, target);
                        if (r < 0)
                                return r;
                }
                r = planner_add_action(pl, ACTION_PROBE, v.address, 0, NULL);
                if (r < 0)
                        return r;
                r = planner_add_action(pl, ACTION_VERIFY_DRIVER, v.address, 0, target);
                /* An override only there to take the VF back to its own driver is not kept: the
                 * policy did not ask for one, and it would decide the VF's next bind. */
                if (r < 0 || !steer || want)
                        return r;
                return planner_add_action(pl, ACTION_SET_DRIVER_OVERRIDE, v.address, 0, v.driver_override);
        }
        /* A VF that had autoprobe held off for its MSI-X: probe it as the kernel would have. A new
         * one is probed only once autoprobe is back on, after plan_step_restore. */
        if (planner_final_autoprobe(pl) <= 0)
                return 0;
        if (pl->resize)
                return strv_extend(&pl->probe_later, v.address);
        return planner_add_action(pl, ACTION_PROBE, v.address, 0, NULL);
}

int plan_step_vfs(Planner *pl) {
        for (unsigned i = 0; i < pl->want; i++) {
                int r = plan_vf(pl, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether plan_vf() acts on this VF: the policy gives it a driver or an MSI-X count it lacks. */
static bool vf_planned(const Planner *pl, const VfSnapshot *v) {
        int msix = pl->msix_supported ? policy_vf_msix_vectors(pl->policy, v->index) : -1;

        return policy_vf_driver(pl->policy, v->index) || (msix >= 0 && v->msix_count != msix);
}

/* An interrupted apply's leftovers on a device the policy no longer steers: a driver_override it
 * wrote goes back to what was there, and the VFs it created while autoprobe was held off are
 * probed, once, as the kernel would have probed them: when this plan turns autoprobe back on, or
 * in the first plan after another sriovd's unfinished apply.
 * Devices bound to a driver, or in use, are left as they are. */
int plan_step_leftovers(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        const RecordedOverride *o;
        EnablePath path = pl->plan->path;
        /* once: a VF no driver takes stays unbound, and is not probed again each round */
        bool reprobe = planner_final_autoprobe(pl) > 0 && (pf->drivers_autoprobe == 0 || (pl->flags & PLAN_RESUMING));
        int r;

        if (!pl->record)
                return 0;
        o = apply_record_override(pl->record, pf->address);
        if (o && !pf->driver && streq_ptr(pf->driver_override, o->value) &&
            !(pl->resize && (path == ENABLE_PATH_PF_STUB || path == ENABLE_PATH_VFIO_PCI))) {
                r = planner_add_action(pl, ACTION_SET_DRIVER_OVERRIDE, pf->address, 0, o->previous);
                if (r < 0)
                        return r;
        }
        if (pl->resize)
                return 0;       /* the VFs there are now go */
        for (size_t i = 0; i < pf->n_vfs; i++) {
                const VfSnapshot *v = &pf->vfs[i];
                const char *override = v->driver_override;
                bool blocked;

                if (v->driver || vf_planned(pl, v))
                        continue;
                r = planner_vf_blocker(pl, v, &blocked);
                if (r < 0)
                        return r;
                if (blocked)
                        continue;
                o = apply_record_override(pl->record, v->address);
                if (o && streq_ptr(override, o->value)) {
                        r = planner_add_action(pl, ACTION_SET_DRIVER_OVERRIDE, v->address, 0, o->previous);
                        if (r < 0)
                                return r;
                        override = o->previous;
                }
                if (reprobe && !override) {
                        r = planner_add_action(pl, ACTION_PROBE, v->address, 0, NULL);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int plan_step_restore(Planner *pl) {
        int final = planner_final_autoprobe(pl);
        int r;

        if (pl->resize && pl->setup_vfs && pl->want > 0 && final > 0) {
                r = planner_add_action(pl,
                                       pl->plan->path == ENABLE_PATH_KERNEL ? ACTION_SET_UNMANAGED_AUTOPROBE
                                                                            : ACTION_SET_DRIVERS_AUTOPROBE,
                                       pl->pf->address, (unsigned) final, NULL);
                if (r < 0)
                        return r;
        }
        for (char **a = pl->probe_later; a && *a; a++) {
                r = planner_add_action(pl, ACTION_PROBE, *a, 0, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A locked PF gets nothing done at all; a VF in use only keeps its own actions out. */
int plan_step_finish(Planner *pl) {
        Plan *p = pl->plan;

        if (pl->pf_locked && p->n_actions > 0)
                return planner_pending(pl, false);
        if (p->blockers && p->blockers[0])
                return planner_pending(pl, true);
        p->state = p->n_actions > 0 ? PLAN_APPLY : PLAN_IN_SYNC;
        pl->done = true;
        return 0;
}
