/* The guard: the last look at who uses the VFs before a write that would destroy them. */
#include "job.h"

/* The plan's own guard was a moment ago; this closes most of the gap, as a write now would block in
 * the kernel until a holder lets go. Re-plans from a fresh snapshot: a plan that is now pending or
 * refused ends the job, and reports the PF as the guard saw it. */
int job_guard_resize(Job *j, const Action *a) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *now = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        MatchResult match = {};
        JobResult *res = j->result;
        int r;

        if (a->kind != ACTION_SET_NUM_VFS || a->number != 0 || res->snapshot->num_vfs == 0)
                return 0;
        r = job_read_snapshot(j, &now);
        if (r < 0)
                return job_finish(j, r == -ENODEV ? JOB_GONE : JOB_FAILED, r, "cannot read the PF from sysfs: %s", strerror(-r));
        r = job_match_and_plan(j, now, &match, &plan);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot check who uses the VFs: %s", strerror(-r));
        match_result_clear(&match);
        if (plan && plan->state != PLAN_PENDING && plan->state != PLAN_REFUSED)
                return 0;

        pf_snapshot_free(res->snapshot);
        res->snapshot = TAKE_PTR(now);
        plan_free(res->plan);
        res->plan = TAKE_PTR(plan);
        if (!res->plan)
                return job_finish(j, JOB_UNMANAGED, 0, NULL);
        return job_finish(j, res->plan->state == PLAN_PENDING ? JOB_PENDING : JOB_REFUSED, 0, "%s", res->plan->reason);
}
