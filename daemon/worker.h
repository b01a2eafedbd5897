/* A PF's worker: the one thread that reads and writes that PF's sysfs and its netlink settings, so a write that hangs in the
 * kernel (or a read behind it: sriov_numvfs takes the device lock) holds back that PF alone. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sriovd/netlink.h"
#include "sriovd/pci-info.h"
#include "sriovd/plan.h"
#include "sriovd/policy.h"
#include "sriovd/sysfs.h"

typedef enum JobOutcome {
        JOB_IN_SYNC,            /* nothing had to be done */
        JOB_APPLIED,            /* writes were made and the PF now matches its policy */
        JOB_PENDING,            /* waiting for a device in use to be released */
        JOB_REFUSED,            /* the policy cannot be applied as it is */
        JOB_FAILED,             /* the kernel refused a write, or did not do what it said */
        JOB_UNMANAGED,          /* no policy matches the PF */
        JOB_GONE,               /* the PF does not exist any more */
        JOB_CANCELLED,          /* the daemon is stopping */
        _JOB_OUTCOME_MAX,
} JobOutcome;

typedef struct JobResult {
        JobOutcome outcome;
        int error;              /* JOB_FAILED: the errno */
        bool no_retry;          /* JOB_FAILED: trying again by itself would only repeat the damage */
        char *reason;           /* for PENDING, REFUSED and FAILED */
        PfSnapshot *snapshot;   /* the last snapshot read, NULL when none could be */
        Plan *plan;             /* the last plan computed */
        char *policy;           /* path of the matching policy */
        uint64_t policy_fingerprint;
        char **shadowed;
        SriovCapability capability;     /* from config space */
        int capability_error;           /* < 0 when it could not be read */
        unsigned n_writes;
        uint64_t duration_usec;
        VfNetSettings *vf_net;          /* the VFs' netdev settings as the PF reported them last */
        size_t n_vf_net;
        bool has_vf_net;                /* they were read (the policy has netdev settings and the PF a netdev) */
        char *net_warning;              /* netdev settings that cannot take effect, with file:line */
        EswitchMode eswitch_mode;       /* as read, _ESWITCH_MODE_INVALID when not asked */
} JobResult;

JobResult *job_result_free(JobResult *r);
static inline void job_result_freep(JobResult **r) {
        job_result_free(*r);
}
const char *job_outcome_to_string(JobOutcome o);

typedef struct Worker Worker;

/* notify_fd is written (an eventfd increment) whenever a result is ready. */
int worker_new(const char *address, int notify_fd, Worker **ret);
/* Stops the thread after its current job and frees the worker. A thread stuck in the kernel is
 * left to finish on its own; the worker is then freed by the thread itself. */
void worker_free(Worker *w);

/* Starts a job: snapshot, match against policies, plan, execute, verify, until the PF is in sync or
 * cannot be, then the eswitch mode and the VFs' netdev settings through netlink (netlink_relay, when
 * not NULL, names the socket of a program that plays the kernel); waits inside it end after timeout_usec. What the kernel teaches during a job (a PF
 * driver without sriov_configure) is learned afresh by each job. -EBUSY when a job is running. The
 * worker keeps a reference to policies until the job ends. */
int worker_start(Worker *w, PolicySet *policies, uint64_t timeout_usec, const char *netlink_relay);
/* A job is queued, running, or its result has not been taken yet. */
bool worker_busy(Worker *w);
/* The running job has started writing (notify_fd was written when it did). */
bool worker_writing(Worker *w);
/* The finished job's result, or NULL when there is none. */
JobResult *worker_take_result(Worker *w);
/* What the running job is doing ("writing 4 to .../sriov_numvfs"), for a report when it takes too long. */
char *worker_current_action(Worker *w);
/* Asks the running job to stop before its next action. */
void worker_cancel(Worker *w);

/* udev announced VF address (add, change, bind) or took it away (remove). The worker waits for
 * these after creating or removing VFs, so that it binds only devices udev has seen. */
void worker_vf_present(Worker *w, const char *vf, bool present);
bool worker_has_vf(Worker *w, const char *vf);
