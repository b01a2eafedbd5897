/* The planner's building blocks: actions, notes, blockers, and the two ways planning ends early. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "plan-steps.h"
#include "sriovd/ownership.h"

int planner_init(Planner *pl, const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags) {
        _cleanup_(plan_freep) Plan *p = calloc(1, sizeof(Plan));

        if (!p)
                return -ENOMEM;
        p->desired_num_vfs = -1;
        p->path = pf->driver && !(flags & PLAN_PF_DRIVER_CANNOT_SRIOV) ? ENABLE_PATH_DRIVER : _ENABLE_PATH_INVALID;
        p->blockers = calloc(1, sizeof(char *));
        p->notes = calloc(1, sizeof(char *));
        if (!p->blockers || !p->notes)
                return -ENOMEM;

        *pl = (Planner) {
                .pf = pf,
                .policy = policy,
                .caps = caps,
                .flags = flags,
                .plan = TAKE_PTR(p),
                .want = pf->num_vfs,
                .ap = policy->drivers_autoprobe,
                .uap = policy->unmanaged_autoprobe,
                .orig_ap = pf->drivers_autoprobe,
                .orig_uap = pf->unmanaged_autoprobe,
        };
        return 0;
}

void planner_done(Planner *pl) {
        pl->plan = plan_free(pl->plan);
        pl->probe_later = strv_free(pl->probe_later);
}

int planner_add_action(Planner *pl, ActionKind kind, const char *device, unsigned number, const char *driver) {
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

_printf_(2, 0)
static int strv_add_vprintf(char ***l, const char *format, va_list ap) {
        char *s;

        if (vasprintf(&s, format, ap) < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int planner_add_note(Planner *pl, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = strv_add_vprintf(&pl->plan->notes, format, ap);
        va_end(ap);
        return r;
}

int planner_add_blocker(Planner *pl, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = strv_add_vprintf(&pl->plan->blockers, format, ap);
        va_end(ap);
        return r;
}

static void drop_actions(Plan *p) {
        for (size_t i = 0; i < p->n_actions; i++)
                free(p->actions[i].driver);
        p->actions = mfree(p->actions);
        p->n_actions = 0;
}

int planner_refuse(Planner *pl, const char *format, ...) {
        Plan *p = pl->plan;
        va_list ap;
        int r;

        drop_actions(p);
        p->state = PLAN_REFUSED;
        pl->done = true;
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
int planner_vf_blocker(Planner *pl, const VfSnapshot *v, bool *ret_blocked) {
        const char *want = policy_vf_driver(pl->policy, v->index);

        if (v->n_holders > 0) {
                _cleanup_free_ char *who = NULL;
                int r = describe_holders(v->holders, v->n_holders, &who);
                if (r < 0)
                        return r;
                *ret_blocked = true;
                return planner_add_blocker(pl, "VF %u (%s) is held open by %s", v->index, v->address, who);
        }
        if (streq_ptr(v->driver, VFIO_PCI_DRIVER) && !streq_ptr(want, VFIO_PCI_DRIVER)) {
                *ret_blocked = true;
                return planner_add_blocker(pl, "VF %u (%s) is assigned (bound to vfio-pci)", v->index, v->address);
        }
        *ret_blocked = false;
        return 0;
}

/* One sentence for the plan: the first blocker, and how many more there are. */
static int pending_reason(Plan *p) {
        size_t n = strv_length(p->blockers);

        free(p->reason);
        if (n == 1)
                p->reason = strdup(p->blockers[0]);
        else if (asprintf(&p->reason, "%s, and %zu more device%s in use", p->blockers[0], n - 1, n - 1 == 1 ? " is" : "s are") < 0)
                p->reason = NULL;
        return p->reason ? 0 : -ENOMEM;
}

int planner_pending(Planner *pl, bool keep_actions) {
        const PfSnapshot *pf = pl->pf;
        Plan *p = pl->plan;
        _cleanup_free_ char *who = NULL;
        char *b;
        int r;

        p->state = PLAN_PENDING;
        pl->done = true;
        if (keep_actions)
                return pending_reason(p);
        drop_actions(p);
        if (!pl->pf_locked)
                return pending_reason(p);

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
        return pending_reason(p);
}

int planner_final_autoprobe(const Planner *pl) {
        if (pl->plan->path == ENABLE_PATH_KERNEL)
                return pl->uap >= 0 ? pl->uap : pl->orig_uap;
        return pl->ap >= 0 ? pl->ap : pl->orig_ap;
}

int planner_wanted_autoprobe(const Planner *pl, bool unmanaged) {
        int policy = unmanaged ? pl->uap : pl->ap;

        if (policy >= 0 || !pl->record)
                return policy;
        /* A policy silent about it leaves it as the PF had it before the interrupted apply. */
        return unmanaged ? pl->orig_uap : pl->orig_ap;
}
