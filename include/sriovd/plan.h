/* The planner: (PF snapshot, policy, kernel capabilities) -> ordered actions, or why not. No I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sriovd/apply-record.h"
#include "sriovd/kernel-caps.h"
#include "sriovd/pci-address.h"
#include "sriovd/policy.h"
#include "sriovd/sysfs.h"

typedef enum ActionKind {
        ACTION_SET_DRIVERS_AUTOPROBE,   /* PF sriov_drivers_autoprobe = number */
        ACTION_SET_UNMANAGED_AUTOPROBE, /* PF sriov_unmanaged_autoprobe = number */
        ACTION_SET_NUM_VFS,             /* PF sriov_numvfs = number */
        ACTION_WAIT_VFS,                /* until the PF has number VFs (virtfnN links and uevents) */
        ACTION_UNBIND,                  /* device leaves driver (drivers/<driver>/unbind) */
        ACTION_SET_DRIVER_OVERRIDE,     /* device driver_override = driver, NULL clears */
        ACTION_PROBE,                   /* drivers_probe for device */
        ACTION_VERIFY_DRIVER,           /* device is bound to driver: the kernel may bind nothing */
        ACTION_SET_MSIX_VECTORS,        /* VF sriov_vf_msix_count = number (VF unbound) */
        _ACTION_KIND_MAX,
        _ACTION_KIND_INVALID = -EINVAL,
} ActionKind;

typedef struct Action {
        ActionKind kind;
        char device[PCI_ADDRESS_MAX];
        unsigned number;
        char *driver;
} Action;

typedef enum PlanState {
        PLAN_IN_SYNC,           /* the hardware already is what the policy says */
        PLAN_APPLY,             /* actions take it there */
        PLAN_PENDING,           /* a device is in use; what waits is done when it is released */
        PLAN_REFUSED,           /* cannot be done as the policy asks, for the reason given */
        _PLAN_STATE_MAX,
        _PLAN_STATE_INVALID = -EINVAL,
} PlanState;

/* How VFs are enabled when the count changes. */
typedef enum EnablePath {
        ENABLE_PATH_DRIVER,     /* the PF driver's sriov_configure */
        ENABLE_PATH_KERNEL,     /* the kernel's generic path for unmanaged PFs (sriov_unmanaged_autoprobe) */
        ENABLE_PATH_PF_STUB,    /* bind the driverless PF to pci-pf-stub first */
        ENABLE_PATH_VFIO_PCI,   /* bind the driverless PF to vfio-pci (enable_sriov=1) first */
        _ENABLE_PATH_MAX,
        _ENABLE_PATH_INVALID = -EINVAL,
} EnablePath;

typedef struct Plan {
        PlanState state;
        char *reason;           /* PENDING and REFUSED: one sentence */
        char **blockers;        /* PENDING: each device in use, and by whom */
        char **notes;           /* settings that have no effect on this PF, and why */
        Action *actions;        /* APPLY and PENDING: what can be done now, in order */
        size_t n_actions;
        int desired_num_vfs;    /* -1 when the policy leaves the count alone */
        EnablePath path;
} Plan;

/* Hints the executor learned from the kernel that sysfs does not show. */
typedef enum PlanFlags {
        PLAN_PF_DRIVER_CANNOT_SRIOV = 1 << 0, /* sriov_numvfs answered ENOENT: no sriov_configure */
        PLAN_RESUMING = 1 << 1,               /* the first plan after another sriovd's unfinished apply */
} PlanFlags;

Plan *plan_free(Plan *p);
static inline void plan_freep(Plan **p) {
        plan_free(*p);
}

/* The snapshot carries ownership (holders) already filled in. VF addresses for VFs that do not
 * exist yet are predicted from sriov_offset/stride; the executor re-plans once they exist. */
int plan_compute(const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags, Plan **ret);
/* The same, finishing an apply that record says was begun (by a sriovd that may have been killed
 * half way): the autoprobe it held off goes back to what the PF had before it, not what it has
 * now, and a driver_override it wrote that the policy no longer wants is put back. NULL record:
 * plan_compute(). */
int plan_compute_resuming(const PfSnapshot *pf, const Policy *policy, const KernelCaps *caps, PlanFlags flags,
                          const ApplyRecord *record, Plan **ret);
/* A PF that no policy matches any more, with the record of an apply that did not finish: only
 * what that apply changed for the time being goes back (the autoprobe values it held off, the
 * driver_overrides it wrote on devices without a driver), and VFs it left unprobed are probed
 * once. The count and every driver stay as they are. Pending while the PF is in use. */
int plan_compute_leftovers(const PfSnapshot *pf, const KernelCaps *caps, PlanFlags flags, const ApplyRecord *record,
                           Plan **ret);

const char *plan_state_to_string(PlanState s);
const char *enable_path_to_string(EnablePath p);
const char *action_kind_to_string(ActionKind k);

/* "set 0000:3b:00.0 sriov_numvfs=4", "probe 0000:3b:01.0", ... */
int action_to_string(const Action *a, char **ret);

/* The sysfs file and the text a write action writes; -EOPNOTSUPP for WAIT_VFS and VERIFY_DRIVER. */
int action_sysfs_write(const Action *a, char **ret_path, char **ret_value);

/* The eswitch step: 0 when the PF's mode (now) already is what the policy wants (want, negative when
 * it does not ask), 1 when it can be set now, -EBUSY with ret_refusal saying why while the PF has VFs. */
int plan_eswitch(const PfSnapshot *pf, EswitchMode want, EswitchMode now, char **ret_refusal);

/* The netdev settings to send, one attribute each, so that VFs 0..num_vfs-1 are as the policy says:
 * the policy's values against those the PF reports (current, from its VF table). What already holds
 * is left out, so a PF in sync gets no request at all. In VF order, attributes in VfNetAttribute order. */
int plan_vf_net(const Policy *p, unsigned num_vfs, const VfNetSettings *current, size_t n_current,
                VfNetSettings **ret, size_t *ret_n);
