/* The planner's working state and its steps, in the order plan_compute runs them (lib/ only). */
#pragma once

#include "sriovd/macro.h"
#include "sriovd/plan.h"

#define PF_STUB_DRIVER "pci-pf-stub"

/* What the steps decide, each from the ones before it; the plan being built is in plan. */
typedef struct Planner {
        const PfSnapshot *pf;
        const Policy *policy;
        const KernelCaps *caps;
        PlanFlags flags;
        Plan *plan;

        unsigned want;          /* the VF count the plan ends with */
        bool resize;            /* want differs from the count the PF has */
        int ap, uap;            /* the autoprobe values the policy sets, -1 to leave them */
        int orig_ap, orig_uap;  /* what the PF had before sriovd changed them: now, or as recorded */
        const ApplyRecord *record; /* an apply begun before this plan, NULL when none */
        bool msix_supported;    /* the PF can resize VF MSI-X tables */
        bool setup_vfs;         /* a resize creates VFs that get a driver or an MSI-X count */
        bool pf_locked;         /* vfio-pci owns the PF, or a process holds it */
        char **probe_later;     /* new VFs to probe once the autoprobe is restored */
        bool done;              /* a step ended planning: the plan is refused or pending */
} Planner;

/* A planner with an empty plan (no actions, no count asked for); planner_done frees what is left. */
int planner_init(Planner *pl, const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags);
void planner_done(Planner *pl);

/* Building blocks: each returns 0 or -ENOMEM. */
int planner_add_action(Planner *pl, ActionKind kind, const char *device, unsigned number, const char *driver);
_printf_(2, 3) int planner_add_note(Planner *pl, const char *format, ...);
_printf_(2, 3) int planner_add_blocker(Planner *pl, const char *format, ...);
/* Ends planning with a refusal: no actions at all, the PF keeps its state. */
_printf_(2, 3) int planner_refuse(Planner *pl, const char *format, ...);
/* Ends planning as pending, with the blockers found so far. Without keep_actions nothing is done
 * while the PF or a VF a resize would destroy is in use, and a locked PF is named first; with it,
 * what does not touch a device in use is still done now. */
int planner_pending(Planner *pl, bool keep_actions);
/* Adds a blocker when VF v is in use or assigned; *ret_blocked says whether it did. */
int planner_vf_blocker(Planner *pl, const VfSnapshot *v, bool *ret_blocked);
/* The autoprobe the VFs are left with: the policy's, or what the PF had before sriovd changed it. */
int planner_final_autoprobe(const Planner *pl);
/* The value to set when no VFs are created: the policy's; when it is silent, -1 (leave it), or,
 * finishing an interrupted apply, the one the PF had before it. */
int planner_wanted_autoprobe(const Planner *pl, bool unmanaged);

/* The steps. Each returns negative errno on failure; one that ends planning sets pl->done. */
int plan_step_count(Planner *pl);             /* want, resize and the desired count, or refused */
int plan_step_capabilities(Planner *pl);      /* notes for settings this PF cannot honour */
int plan_step_enable_path(Planner *pl);       /* how a resize enables VFs, or refused */
int plan_step_vf_drivers(Planner *pl);        /* the VF drivers are loaded and vfio-pci has an IOMMU */
int plan_step_guard(Planner *pl);             /* a resize waits while a device is in use */
int plan_step_pf_bind(Planner *pl);           /* a driverless PF to pci-pf-stub or vfio-pci */
int plan_step_autoprobe(Planner *pl);         /* the autoprobe in force while VFs are created */
int plan_step_count_change(Planner *pl);      /* sriov_numvfs, through 0 */
int plan_step_vfs(Planner *pl);               /* each VF's MSI-X count and driver, in VF order */
int plan_step_leftovers(Planner *pl);         /* what an interrupted apply left: its overrides, unprobed VFs */
int plan_step_restore(Planner *pl);           /* the autoprobe put back, then the held-off probes */
int plan_step_finish(Planner *pl);            /* in sync, apply or pending */
