/* A job's loop: snapshot, match, plan, then the plan's actions, again until nothing is left to do. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "job.h"
#include "sriovd/ownership.h"

/* A plan is re-computed after it ran; it should be empty by the second round, and a third that is
 * not means the kernel keeps undoing something. */
#define ROUNDS_MAX 3
#define SNAPSHOT_ATTEMPTS 5

static const char * const outcome_table[_JOB_OUTCOME_MAX] = {
        [JOB_IN_SYNC] = "in-sync",
        [JOB_APPLIED] = "applied",
        [JOB_PENDING] = "pending",
        [JOB_REFUSED] = "refused",
        [JOB_FAILED] = "failed",
        [JOB_UNMANAGED] = "unmanaged",
        [JOB_GONE] = "gone",
        [JOB_CANCELLED] = "cancelled",
};

const char *job_outcome_to_string(JobOutcome o) {
        return o < _JOB_OUTCOME_MAX ? outcome_table[o] : NULL;
}

JobResult *job_result_free(JobResult *r) {
        if (!r)
                return NULL;
        free(r->reason);
        pf_snapshot_free(r->snapshot);
        plan_free(r->plan);
        free(r->policy);
        strv_free(r->shadowed);
        free(r->vf_net);
        free(r->net_warning);
        return mfree(r);
}

uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int job_finish(Job *j, JobOutcome outcome, int error, const char *format, ...) {
        JobResult *r = j->result;
        va_list ap;

        r->outcome = outcome;
        r->error = error < 0 ? -error : error;
        free(r->reason);
        r->reason = NULL;
        if (format) {
                va_start(ap, format);
                if (vasprintf(&r->reason, format, ap) < 0)
                        r->reason = NULL;
                va_end(ap);
        }
        return 1;
}

bool job_cancelled(Job *j) {
        return j->hooks->cancelled(j->userdata);
}

bool job_wait(Job *j, uint64_t deadline) {
        if (now_usec() >= deadline)
                return false;
        j->hooks->wait(j->userdata, deadline);
        return true;
}

void job_set_current(Job *j, const char *what) {
        j->hooks->set_current(j->userdata, what);
}

void job_count_write(Job *j) {
        if (j->result->n_writes++ == 0)
                j->hooks->writing(j->userdata);
}

int job_read_snapshot(Job *j, PfSnapshot **ret) {
        int r = -EAGAIN;

        for (unsigned i = 0; i < SNAPSHOT_ATTEMPTS && r == -EAGAIN; i++)
                r = sysfs_read_pf(j->address, ret);
        if (r >= 0)
                r = ownership_scan(ret, 1, NULL);
        return r;
}

int job_match_and_plan(Job *j, const PfSnapshot *s, MatchResult *ret_match, Plan **ret_plan) {
        MatchResult match = {};
        KernelCaps caps = {};
        Plan *plan = NULL;
        int r;

        r = policy_match(j->policies->policies, j->policies->n_policies, s, &match);
        if (r >= 0 && (match.policy || j->record))
                r = kernel_caps_read(&caps);
        if (r >= 0 && match.policy)
                r = plan_compute_resuming(s, match.policy, &caps,
                                          j->flags | (j->record && j->record_foreign ? PLAN_RESUMING : 0), j->record, &plan);
        else if (r >= 0 && j->record)
                /* the policy went while an apply of it was unfinished: what it held off goes back */
                r = plan_compute_leftovers(s, &caps, j->flags, j->record, &plan);
        kernel_caps_clear(&caps);
        if (r < 0) {
                match_result_clear(&match);
                return r;
        }
        *ret_match = match;
        *ret_plan = plan;
        return 0;
}

/* Snapshot, match and plan; the result keeps the latest of each. Returns 1 when the job is over. */
static int evaluate(Job *j) {
        JobResult *res = j->result;
        _cleanup_(pf_snapshot_freep) PfSnapshot *snapshot = NULL;
        MatchResult match = {};
        Plan *plan = NULL;
        int r;

        r = job_read_snapshot(j, &snapshot);
        if (r == -ENODEV)
                return job_finish(j, JOB_GONE, 0, NULL);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot read the PF from sysfs: %s", strerror(-r));

        r = job_match_and_plan(j, snapshot, &match, &plan);

        pf_snapshot_free(res->snapshot);
        res->snapshot = TAKE_PTR(snapshot);
        res->capability_error = pci_read_sriov_capability(j->address, &res->capability);
        free(res->policy);
        res->policy = NULL;
        res->shadowed = strv_free(res->shadowed);
        plan_free(res->plan);
        res->plan = plan;
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot match the policies and plan: %s", strerror(-r));

        j->policy = match.policy;
        if (!match.policy) {
                match_result_clear(&match);
                /* what an unfinished apply left goes back; nothing else is done without a policy */
                return plan && plan->state == PLAN_APPLY ? 0 : job_finish(j, JOB_UNMANAGED, 0, NULL);
        }
        res->policy = strdup(match.policy->path);
        res->policy_fingerprint = match.policy->fingerprint;
        res->shadowed = calloc(1, sizeof(char *));
        for (size_t i = 0; res->shadowed && i < match.n_shadowed; i++)
                if (strv_extend(&res->shadowed, match.shadowed[i]->path) < 0)
                        res->shadowed = strv_free(res->shadowed);
        match_result_clear(&match);
        if (!res->policy || !res->shadowed)
                return job_finish(j, JOB_FAILED, -ENOMEM, "out of memory");
        return 0;
}

static char **vf_addresses(const PfSnapshot *s) {
        char **l = calloc(s->n_vfs + 1, sizeof(char *));

        for (size_t i = 0; l && i < s->n_vfs; i++)
                l[i] = strdup(s->vfs[i].address);
        return l;
}

/* Action i is the plan's first driver_override of a VF, with no count change after it: the VFs
 * exist and wait unbound, the moment for their netdev settings to go ahead of their drivers. */
static bool settings_go_ahead(const Plan *plan, size_t i, const char *pf) {
        if (plan->actions[i].kind != ACTION_SET_DRIVER_OVERRIDE || streq(plan->actions[i].device, pf))
                return false;
        for (size_t k = 0; k < i; k++)
                if (plan->actions[k].kind == ACTION_SET_DRIVER_OVERRIDE && !streq(plan->actions[k].device, pf))
                        return false;
        for (size_t k = i + 1; k < plan->n_actions; k++)
                if (plan->actions[k].kind == ACTION_SET_NUM_VFS)
                        return false;
        return true;
}

void job_run(Job *j) {
        uint64_t start = now_usec();
        JobResult *res = j->result;
        unsigned rounds = 0;
        bool settings_ahead = false;

        job_record_load(j);
        if (job_record_wait_writer(j) > 0)
                goto finish;
        for (;;) {
                _cleanup_strv_free_ char **vfs_before = NULL;
                const Plan *plan;
                int r;

                if (evaluate(j) > 0)
                        break;
                plan = res->plan;
                job_record_found(j);

                if (plan->state == PLAN_REFUSED) {
                        /* A refusal that rests on an ENOENT the kernel just gave is tried again
                         * later: the kernel may answer differently then. */
                        if (j->flags & PLAN_PF_DRIVER_CANNOT_SRIOV)
                                job_finish(j, JOB_FAILED, -ENOENT, "%s", plan->reason);
                        else
                                job_finish(j, JOB_REFUSED, 0, "%s", plan->reason);
                        break;
                }
                /* The eswitch mode first: VFs are created in the mode they will live in. */
                if (j->policy && job_apply_eswitch(j) > 0)
                        break;
                if (plan->n_actions == 0) {
                        /* VFs in use keep their count, and still get their netdev settings. */
                        if (job_apply_vf_net(j) > 0)
                                break;
                        if (plan->state == PLAN_PENDING)
                                job_finish(j, JOB_PENDING, 0, "%s", plan->reason);
                        else
                                job_finish(j, res->n_writes > 0 ? JOB_APPLIED : JOB_IN_SYNC, 0, NULL);
                        break;
                }
                if (rounds++ >= ROUNDS_MAX) {
                        job_finish(j, JOB_FAILED, -ELOOP, "the PF does not stay as planned: after %u rounds there is still work to do",
                                   ROUNDS_MAX);
                        break;
                }

                vfs_before = vf_addresses(res->snapshot);
                job_record_update(j);
                r = 0;
                for (size_t i = 0; i < plan->n_actions && r == 0; i++) {
                        if (!settings_ahead && j->policy && settings_go_ahead(plan, i, j->address)) {
                                settings_ahead = true;
                                r = job_apply_vf_net_ahead(j);
                                if (r != 0)
                                        break;
                        }
                        r = job_execute(j, &plan->actions[i], vfs_before);
                }
                if (r > 0)
                        break;
                /* r == -EAGAIN or all done: plan again from a fresh snapshot */
        }
finish:
        /* After writes that did not end in sync, report the PF as the writes left it. */
        if (res->n_writes > 0 && (res->outcome == JOB_FAILED || res->outcome == JOB_PENDING)) {
                PfSnapshot *after = NULL;

                if (job_read_snapshot(j, &after) >= 0) {
                        pf_snapshot_free(res->snapshot);
                        res->snapshot = after;
                }
        }
        job_record_end(j);
        job_set_current(j, NULL);
        netlink_free(j->netlink);
        j->netlink = NULL;
        res->duration_usec = now_usec() - start;
}
