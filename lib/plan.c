/* Computes the ordered actions that take a PF to its policy, guarded by who uses the devices. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd/ownership.h"
#include "sriovd/plan.h"

#define PF_STUB_DRIVER "pci-pf-stub"

typedef struct Planner {
        const PfSnapshot *pf;
        const Policy *policy;
        const KernelCaps *caps;
        PlanFlags flags;
        Plan *plan;
} Planner;

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

static int add_action(Planner *pl, ActionKind kind, const char *device, unsigned number, const char *driver) {
        Plan *p = pl->plan;
        Action *t = reallocarray(p->actions, p->n_actions + 1, sizeof(Action));

        if (!t)
                return -ENOMEM;
        p->actions = t;
        t = &t[p->n_actions];
        *t = (Action) { .kind = kind, .number = number };
        memcpy(t->device, device, PCI_ADDRESS_MAX);
        if (driver) {
                t->driver = strdup(driver);
                if (!t->driver)
                        return -ENOMEM;
        }
        p->n_actions++;
        return 0;
}

_printf_(2, 3)
static int add_note(Planner *pl, const char *format, ...) {
        char *s;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(&pl->plan->notes, s);
}

_printf_(2, 3)
static int add_blocker(Planner *pl, const char *format, ...) {
        char *s;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(&pl->plan->blockers, s);
}

/* Ends planning with a refusal: no actions at all, the PF keeps its state. */
_printf_(2, 3)
static int refuse(Planner *pl, const char *format, ...) {
        Plan *p = pl->plan;
        va_list ap;
        int r;

        for (size_t i = 0; i < p->n_actions; i++)
                free(p->actions[i].driver);
        p->actions = mfree(p->actions);
        p->n_actions = 0;
        p->state = PLAN_REFUSED;
        free(p->reason);
        va_start(ap, format);
        r = vasprintf(&p->reason, format, ap);
        va_end(ap);
        if (r < 0) {
                p->reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

static bool holder_listed_before(const Holder *h, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (h[j].pid == h[i].pid)
                        return true;
        return false;
}

/* Each process once: qemu holds both the group and the device node of the VF it uses. */
static int describe_holders(const Holder *h, size_t n, char **ret) {
        _cleanup_free_ char *s = NULL;

        for (size_t i = 0; i < n; i++) {
                char *t;

                if (holder_listed_before(h, i))
                        continue;
                if (asprintf(&t, "%s%s%s (pid %d)", strempty(s), s ? ", " : "", strna(h[i].comm), (int) h[i].pid) < 0)
                        return -ENOMEM;
                free(s);
                s = t;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* A VF is in use when a process holds its vfio node; it is assigned when it is bound to vfio-pci
 * without the policy asking for that (libvirt or an operator put it there). sriovd does not
 * remove, rebind or resize either. A VF the policy parks on vfio-pci and nobody holds is free. */
static int vf_blocker(Planner *pl, const VfSnapshot *v, bool *ret_blocked) {
        const char *want = policy_vf_driver(pl->policy, v->index);

        if (v->n_holders > 0) {
                _cleanup_free_ char *who = NULL;
                int r = describe_holders(v->holders, v->n_holders, &who);
                if (r < 0)
                        return r;
                *ret_blocked = true;
                return add_blocker(pl, "VF %u (%s) is held open by %s", v->index, v->address, who);
        }
        if (streq_ptr(v->driver, VFIO_PCI_DRIVER) && !streq_ptr(want, VFIO_PCI_DRIVER)) {
                *ret_blocked = true;
                return add_blocker(pl, "VF %u (%s) is assigned (bound to vfio-pci)", v->index, v->address);
        }
        *ret_blocked = false;
        return 0;
}

static int pending_reason(Planner *pl) {
        Plan *p = pl->plan;
        size_t n = strv_length(p->blockers);

        free(p->reason);
        if (n == 1)
                p->reason = strdup(p->blockers[0]);
        else if (asprintf(&p->reason, "%s, and %zu more device%s in use", p->blockers[0], n - 1, n - 1 == 1 ? " is" : "s are") < 0)
                p->reason = NULL;
        return p->reason ? 0 : -ENOMEM;
}

/* Decides how VFs get enabled on this PF, or refuses and says what is missing. */
static int choose_enable_path(Planner *pl, bool *ret_refused) {
        const PfSnapshot *pf = pl->pf;
        UnmanagedMode mode = policy_unmanaged(pl->policy);
        bool lacks = pf->driver && (pl->flags & PLAN_PF_DRIVER_CANNOT_SRIOV);
        bool has_kernel_path = pf->unmanaged_autoprobe >= 0;
        int r = 0;

        *ret_refused = true;
        if (pf->driver && !lacks) {
                pl->plan->path = ENABLE_PATH_DRIVER;
                *ret_refused = false;
                return 0;
        }

        if (mode == UNMANAGED_NO) {
                if (lacks)
                        return refuse(pl, "the PF driver %s cannot enable VFs (it has no sriov_configure) and the policy says Unmanaged=no", pf->driver);
                return refuse(pl, "the PF has no driver and the policy says Unmanaged=no");
        }
        if (has_kernel_path) {
                pl->plan->path = ENABLE_PATH_KERNEL;
                *ret_refused = false;
                return 0;
        }
        if (lacks)
                /* pf-stub and vfio-pci need the PF unbound first; sriovd does not take a PF from its driver. */
                return refuse(pl, "the PF driver %s cannot enable VFs (it has no sriov_configure) and this kernel has no sriov_unmanaged_autoprobe; unbind the driver to use Unmanaged=pf-stub or Unmanaged=vfio-pci", pf->driver);

        switch (mode) {
        case UNMANAGED_KERNEL:
                r = refuse(pl, "the PF has no driver and this kernel has no generic SR-IOV path (no sriov_unmanaged_autoprobe); set Unmanaged=pf-stub or Unmanaged=vfio-pci");
                break;
        case UNMANAGED_PF_STUB:
                if (!kernel_caps_has_driver(pl->caps, PF_STUB_DRIVER)) {
                        r = refuse(pl, "Unmanaged=pf-stub, but pci-pf-stub is not loaded (modprobe pci-pf-stub)");
                        break;
                }
                pl->plan->path = ENABLE_PATH_PF_STUB;
                *ret_refused = false;
                break;
        case UNMANAGED_VFIO_PCI:
                if (!kernel_caps_has_driver(pl->caps, VFIO_PCI_DRIVER))
                        r = refuse(pl, "Unmanaged=vfio-pci, but vfio-pci is not loaded (modprobe vfio-pci enable_sriov=1)");
                else if (!pl->caps->vfio_enable_sriov)
                        r = refuse(pl, "Unmanaged=vfio-pci, but vfio-pci's enable_sriov parameter is off (modprobe vfio-pci enable_sriov=1)");
                else if (pf->iommu_group < 0)
                        r = refuse(pl, "Unmanaged=vfio-pci, but the PF has no IOMMU group (enable the IOMMU, e.g. intel_iommu=on)");
                else {
                        pl->plan->path = ENABLE_PATH_VFIO_PCI;
                        *ret_refused = false;
                }
                break;
        default:
                r = -EINVAL;
        }
        return r;
}

/* Every driver the policy gives VFs must be loaded, and vfio-pci needs an IOMMU. */
static int check_vf_drivers(Planner *pl, unsigned want, bool *ret_refused) {
        const PfSnapshot *pf = pl->pf;

        *ret_refused = true;
        for (unsigned i = 0; i < want; i++) {
                const char *d = policy_vf_driver(pl->policy, i);
                const VfSnapshot *v;
                int group;

                if (!d)
                        continue;
                if (!kernel_caps_has_driver(pl->caps, d))
                        return refuse(pl, "VF %u should be bound to %s, but that driver is not loaded (modprobe %s)", i, d, d);
                if (!streq(d, VFIO_PCI_DRIVER))
                        continue;
                v = pf_snapshot_vf(pf, i);
                group = v ? v->iommu_group : pf->iommu_group;
                if (group < 0)
                        return refuse(pl, "VF %u should be bound to vfio-pci, but it has no IOMMU group (enable the IOMMU, e.g. intel_iommu=on)", i);
        }
        *ret_refused = false;
        return 0;
}

/* What a VF looks like when the planner acts on it: as read, or as the kernel will create it. */
typedef struct VfView {
        char address[PCI_ADDRESS_MAX];
        const char *driver;
        const char *driver_override;
        int msix_count;
        const VfSnapshot *snapshot; /* NULL when the VF is created by this plan */
} VfView;

/* probe_later collects new VFs that only get an MSI-X count: the kernel probes them only once
 * autoprobe is back on, so their probe goes after the autoprobe is restored. */
static int plan_vf(Planner *pl, unsigned index, bool recreated, bool msix_supported, int final_autoprobe, char ***probe_later) {
        const PfSnapshot *pf = pl->pf;
        const char *want = policy_vf_driver(pl->policy, index);
        int want_msix = msix_supported ? policy_vf_msix_vectors(pl->policy, index) : -1;
        bool needs_driver, needs_msix, blocked;
        const char *target;
        VfView v = { .msix_count = -1 };
        int r;

        if (!want && want_msix < 0)
                return 0;

        if (recreated) {
                r = pci_vf_address(pf->address, pf->offset, pf->stride, index, v.address);
                if (r < 0)
                        return r;
                /* vfio-pci with enable_sriov sets driver_override on the VFs it creates. */
                if (pl->plan->path == ENABLE_PATH_VFIO_PCI)
                        v.driver_override = VFIO_PCI_DRIVER;
        } else {
                v.snapshot = pf_snapshot_vf(pf, index);
                if (!v.snapshot)
                        return add_note(pl, "VF %u is counted in sriov_numvfs but has no virtfn%u link; it is left alone", index, index);
                memcpy(v.address, v.snapshot->address, PCI_ADDRESS_MAX);
                v.driver = v.snapshot->driver;
                v.driver_override = v.snapshot->driver_override;
                v.msix_count = v.snapshot->msix_count;
        }

        needs_driver = want && !streq_ptr(v.driver, want);
        needs_msix = want_msix >= 0 && v.msix_count != want_msix;
        if (!needs_driver && !needs_msix)
                return 0;

        if (v.snapshot) {
                r = vf_blocker(pl, v.snapshot, &blocked);
                if (r < 0 || blocked)
                        return r;
        }

        if (v.driver) {
                r = add_action(pl, ACTION_UNBIND, v.address, 0, v.driver);
                if (r < 0)
                        return r;
        }
        if (needs_msix) {
                r = add_action(pl, ACTION_SET_MSIX_VECTORS, v.address, (unsigned) want_msix, NULL);
                if (r < 0)
                        return r;
        }
        /* After an MSI-X change the VF goes back to the driver it had, unless the policy names one. */
        target = want ?: v.driver;
        if (target) {
                if (!streq_ptr(v.driver_override, target)) {
                        r = add_action(pl, ACTION_SET_DRIVER_OVERRIDE, v.address, 0, target);
                        if (r < 0)
                                return r;
                }
                r = add_action(pl, ACTION_PROBE, v.address, 0, NULL);
                if (r < 0)
                        return r;
                return add_action(pl, ACTION_VERIFY_DRIVER, v.address, 0, target);
        }
        /* A VF that had autoprobe held off for its MSI-X: probe it as the kernel would have. */
        if (final_autoprobe <= 0)
                return 0;
        if (recreated)
                return strv_extend(probe_later, v.address);
        return add_action(pl, ACTION_PROBE, v.address, 0, NULL);
}

static bool policy_wants_msix(const Policy *p) {
        for (size_t i = 0; i < p->n_vfs; i++)
                if (p->vfs[i].msix_vectors >= 0)
                        return true;
        return false;
}

static int plan_build(Planner *pl) {
        const PfSnapshot *pf = pl->pf;
        const Policy *policy = pl->policy;
        _cleanup_strv_free_ char **probe_later = NULL;
        Plan *p = pl->plan;
        bool resize, refused, msix_supported, setup_vfs = false, pf_locked;
        unsigned want = pf->num_vfs;
        int ap = policy->drivers_autoprobe, uap = policy->unmanaged_autoprobe;
        int r;

        if (policy->num_vfs_max)
                want = pf->total_vfs;
        else if (policy->num_vfs >= 0) {
                want = (unsigned) policy->num_vfs;
                if (want > pf->total_vfs)
                        return refuse(pl, "NumVFs=%u is more than the %u VFs this PF supports (sriov_totalvfs)", want, pf->total_vfs);
        }
        if (policy->num_vfs_max || policy->num_vfs >= 0)
                p->desired_num_vfs = (int) want;
        resize = want != pf->num_vfs;

        if (uap >= 0 && pf->unmanaged_autoprobe < 0) {
                r = add_note(pl, "UnmanagedAutoprobe= has no effect: this kernel has no sriov_unmanaged_autoprobe");
                if (r < 0)
                        return r;
                uap = -1;
        }
        msix_supported = pf->vf_total_msix > 0;
        if (policy_wants_msix(policy) && !msix_supported) {
                r = add_note(pl, "MSIXVectors= has no effect: this PF cannot resize VF MSI-X tables (sriov_vf_total_msix is 0)");
                if (r < 0)
                        return r;
        }

        if (resize) {
                r = choose_enable_path(pl, &refused);
                if (r < 0 || refused)
                        return r;
        }
        r = check_vf_drivers(pl, want, &refused);
        if (r < 0 || refused)
                return r;

        /* A PF owned by vfio-pci is in a VM or a user space driver: its SR-IOV setup is read-only. */
        pf_locked = streq_ptr(pf->driver, VFIO_PCI_DRIVER) || pf->n_holders > 0;

        if (resize) {
                bool blocked = false;

                for (size_t i = 0; i < pf->n_vfs; i++) {
                        bool b;

                        r = vf_blocker(pl, &pf->vfs[i], &b);
                        if (r < 0)
                                return r;
                        blocked = blocked || b;
                }
                if (blocked || pf_locked)
                        goto pending;

                for (unsigned i = 0; i < want; i++)
                        if (policy_vf_driver(policy, i) || (msix_supported && policy_vf_msix_vectors(policy, i) >= 0))
                                setup_vfs = true;

                if (p->path == ENABLE_PATH_PF_STUB || p->path == ENABLE_PATH_VFIO_PCI) {
                        const char *d = p->path == ENABLE_PATH_PF_STUB ? PF_STUB_DRIVER : VFIO_PCI_DRIVER;

                        if (!streq_ptr(pf->driver_override, d)) {
                                r = add_action(pl, ACTION_SET_DRIVER_OVERRIDE, pf->address, 0, d);
                                if (r < 0)
                                        return r;
                        }
                        r = add_action(pl, ACTION_PROBE, pf->address, 0, NULL);
                        if (r < 0)
                                return r;
                        r = add_action(pl, ACTION_VERIFY_DRIVER, pf->address, 0, d);
                        if (r < 0)
                                return r;
                }

                /* VFs that get a driver from the policy must not be probed by another one first, so
                 * the autoprobe in force while they are created is off; the policy's value (or the
                 * old one) is put back once they are bound. */
                if (p->path == ENABLE_PATH_KERNEL) {
                        int during = setup_vfs && want > 0 ? 0 : uap;

                        if (during >= 0 && during != pf->unmanaged_autoprobe) {
                                r = add_action(pl, ACTION_SET_UNMANAGED_AUTOPROBE, pf->address, (unsigned) during, NULL);
                                if (r < 0)
                                        return r;
                        }
                        if (ap >= 0 && ap != pf->drivers_autoprobe) {
                                r = add_action(pl, ACTION_SET_DRIVERS_AUTOPROBE, pf->address, (unsigned) ap, NULL);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        int during = setup_vfs && want > 0 ? 0 : ap;

                        if (during >= 0 && during != pf->drivers_autoprobe) {
                                r = add_action(pl, ACTION_SET_DRIVERS_AUTOPROBE, pf->address, (unsigned) during, NULL);
                                if (r < 0)
                                        return r;
                        }
                }

                /* The kernel answers EBUSY to a change between two non-zero counts. */
                if (pf->num_vfs > 0) {
                        r = add_action(pl, ACTION_SET_NUM_VFS, pf->address, 0, NULL);
                        if (r < 0)
                                return r;
                        r = add_action(pl, ACTION_WAIT_VFS, pf->address, 0, NULL);
                        if (r < 0)
                                return r;
                }
                if (want > 0) {
                        r = add_action(pl, ACTION_SET_NUM_VFS, pf->address, want, NULL);
                        if (r < 0)
                                return r;
                        r = add_action(pl, ACTION_WAIT_VFS, pf->address, want, NULL);
                        if (r < 0)
                                return r;
                }
        } else {
                if (ap >= 0 && ap != pf->drivers_autoprobe) {
                        r = add_action(pl, ACTION_SET_DRIVERS_AUTOPROBE, pf->address, (unsigned) ap, NULL);
                        if (r < 0)
                                return r;
                }
                if (uap >= 0 && uap != pf->unmanaged_autoprobe) {
                        r = add_action(pl, ACTION_SET_UNMANAGED_AUTOPROBE, pf->address, (unsigned) uap, NULL);
                        if (r < 0)
                                return r;
                }
        }

        for (unsigned i = 0; i < want; i++) {
                int final_autoprobe = p->path == ENABLE_PATH_KERNEL ? (uap >= 0 ? uap : pf->unmanaged_autoprobe)
                                                                    : (ap >= 0 ? ap : pf->drivers_autoprobe);
                r = plan_vf(pl, i, resize, msix_supported, final_autoprobe, &probe_later);
                if (r < 0)
                        return r;
        }

        if (resize && setup_vfs && want > 0) {
                if (p->path == ENABLE_PATH_KERNEL) {
                        int final = uap >= 0 ? uap : pf->unmanaged_autoprobe;
                        if (final > 0) {
                                r = add_action(pl, ACTION_SET_UNMANAGED_AUTOPROBE, pf->address, (unsigned) final, NULL);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        int final = ap >= 0 ? ap : pf->drivers_autoprobe;
                        if (final > 0) {
                                r = add_action(pl, ACTION_SET_DRIVERS_AUTOPROBE, pf->address, (unsigned) final, NULL);
                                if (r < 0)
                                        return r;
                        }
                }
        }

        for (char **a = probe_later; a && *a; a++) {
                r = add_action(pl, ACTION_PROBE, *a, 0, NULL);
                if (r < 0)
                        return r;
        }

        if (pf_locked && p->n_actions > 0)
                goto pending;
        if (p->blockers && p->blockers[0]) {
                p->state = PLAN_PENDING;
                return pending_reason(pl);
        }
        p->state = p->n_actions > 0 ? PLAN_APPLY : PLAN_IN_SYNC;
        return 0;

pending:
        /* Nothing is done while the PF or a VF that a resize would destroy is in use. */
        for (size_t i = 0; i < p->n_actions; i++)
                free(p->actions[i].driver);
        p->actions = mfree(p->actions);
        p->n_actions = 0;
        p->state = PLAN_PENDING;
        if (pf_locked) {
                _cleanup_free_ char *who = NULL;
                char *b;

                if (pf->n_holders > 0) {
                        r = describe_holders(pf->holders, pf->n_holders, &who);
                        if (r < 0)
                                return r;
                }
                if (asprintf(&b, "the PF is owned by vfio-pci%s%s", who ? " and held open by " : "", strempty(who)) < 0)
                        return -ENOMEM;
                /* The PF's own lock comes first: it is what the operator has to release. */
                r = strv_consume(&p->blockers, b);
                if (r < 0)
                        return r;
                memmove(p->blockers + 1, p->blockers, (strv_length(p->blockers) - 1) * sizeof(char *));
                p->blockers[0] = b;
        }
        return pending_reason(pl);
}

int plan_compute(const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags, Plan **ret) {
        _cleanup_(plan_freep) Plan *p = calloc(1, sizeof(Plan));
        Planner pl = { .pf = pf, .policy = policy, .caps = caps, .flags = flags, .plan = p };
        int r;

        if (!p)
                return -ENOMEM;
        p->desired_num_vfs = -1;
        p->path = pf->driver && !(flags & PLAN_PF_DRIVER_CANNOT_SRIOV) ? ENABLE_PATH_DRIVER : _ENABLE_PATH_INVALID;
        p->blockers = calloc(1, sizeof(char *));
        p->notes = calloc(1, sizeof(char *));
        if (!p->blockers || !p->notes)
                return -ENOMEM;

        r = plan_build(&pl);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
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
