/* One evaluation of a PF, as its worker thread runs it: the result it hands back, and the stages
 * (job.c runs them: snapshot, match, plan; guard.c; execute.c; netdev-apply.c) with what they share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sriovd/apply-record.h"
#include "sriovd/match.h"
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

/* What a job needs from the thread that runs it; the worker provides these, so the stages know
 * nothing of its lock or its queue. */
typedef struct JobHooks {
        /* The daemon asked the job to stop before its next action. */
        bool (*cancelled)(void *userdata);
        /* Sleeps until a VF uevent, a cancel or until_usec (CLOCK_MONOTONIC). */
        void (*wait)(void *userdata, uint64_t until_usec);
        /* Has udev announced every VF in present, and none of those in gone? */
        bool (*vfs_announced)(void *userdata, char * const *present, char * const *gone);
        /* The action in flight, for a report when it takes too long; NULL when none. */
        void (*set_current)(void *userdata, const char *what);
        /* The job is about to make its first write. */
        void (*writing)(void *userdata);
        /* The job found an apply the last sriovd did not finish; text says what it found. */
        void (*interrupted)(void *userdata, const char *text);
} JobHooks;

typedef struct Job {
        const char *address;
        const JobHooks *hooks;
        void *userdata;
        PolicySet *policies;
        const Policy *policy;   /* the match of the last evaluation; policies keeps it alive. NULL
                                 * while only an unfinished apply's leftovers are put back */
        PlanFlags flags;
        uint64_t deadline;
        const char *netlink_relay;
        Netlink *netlink;       /* opened on first use */
        JobResult *result;
        ApplyRecord *record;    /* the PF's apply record, while there is one */
        bool record_foreign;    /* it is another sriovd's: that one stopped mid-apply */
        bool record_reported;
        bool record_save_failed;
} Job;

/* Runs the job until the PF is in sync or cannot be: evaluate, guard, execute and verify, again until
 * the plan is empty, then the netdev settings. j->result holds the outcome. */
void job_run(Job *j);

/* ---- shared by the stages ---- */

uint64_t now_usec(void);

/* Ends the job with this outcome and reason; returns 1, a stage's "the job is over". */
_printf_(4, 5)
int job_finish(Job *j, JobOutcome outcome, int error, const char *format, ...);
bool job_cancelled(Job *j);
/* Sleeps until something changed or deadline; false once the deadline has passed. */
bool job_wait(Job *j, uint64_t deadline);
void job_set_current(Job *j, const char *what);
/* Counts a write; the first one tells the daemon the PF is now applying. */
void job_count_write(Job *j);
/* sysfs, then who holds what: the snapshot the planner needs. */
int job_read_snapshot(Job *j, PfSnapshot **ret);
/* Matches a snapshot against the job's policies and, when one matches, plans for it (*ret_plan is
 * NULL when none does). The caller clears ret_match. */
int job_match_and_plan(Job *j, const PfSnapshot *s, MatchResult *ret_match, Plan **ret_plan);

/* ---- job-record.c: the apply record (sriovd/apply-record.h) ---- */

/* Where the records are kept (the runtime directory, created when missing); NULL: nowhere. */
int job_records_init(const char *dir);
/* At the job's start: the PF's record, if it has one. */
void job_record_load(Job *j);
/* A record another sriovd left names its writer process as still in the kernel: waits for it.
 * 0 to go on, 1 when the job is over. */
int job_record_wait_writer(Job *j);
/* After the first evaluation with another sriovd's record: says what that apply left, once. */
void job_record_found(Job *j);
/* Before a round's writes: what they change for the time being (the autoprobe before it, the
 * overrides), saved. */
void job_record_update(Job *j);
/* A writer process was started for this write. */
void job_record_writer(Job *j, pid_t pid, const char *path, const char *value);
/* At the job's end: the record goes once the PF is as its policy says, or no policy matches and
 * nothing it recorded is left to put back. */
void job_record_end(Job *j);

/* ---- the stages: each returns 0 to go on, 1 when the job is over (result set) ---- */

/* guard.c: right before sriov_numvfs destroys VFs, has anyone taken one since the plan was made? */
int job_guard_resize(Job *j, const Action *a);
/* execute.c: one action, verified; -EAGAIN asks for a new plan now. */
int job_execute(Job *j, const Action *a, char * const *vfs_before);
/* netdev-apply.c: the eswitch mode before VFs are created, the VFs' netdev settings after. */
int job_apply_eswitch(Job *j);
int job_apply_vf_net(Job *j);
/* The same settings ahead, while the VFs wait unbound for their drivers: a NIC's VF driver takes
 * its MAC address from the PF when it probes (igbvf, iavf), so the netdev it creates starts with
 * the policy's. Nothing fails here; what is refused fails in job_apply_vf_net(). */
int job_apply_vf_net_ahead(Job *j);
