/* The per-PF worker thread: snapshot, match, plan, guard, execute, verify, repeat until in sync. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "sriovd/match.h"
#include "sriovd/ownership.h"
#include "worker.h"

/* A plan is re-computed after it ran; it should be empty by the second round, and a third that is
 * not means the kernel keeps undoing something. */
#define ROUNDS_MAX 3
#define SNAPSHOT_ATTEMPTS 5
/* A driver can take a moment to show up in the driver link after drivers_probe returned. */
#define BIND_SETTLE_USEC (2 * UINT64_C(1000000))
#define WAIT_POLL_USEC (200 * UINT64_C(1000))
#define WORKER_STACK_SIZE (256 * 1024)

struct Worker {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;            /* a job, a VF uevent, cancel or quit */
        char address[PCI_ADDRESS_MAX];
        int notify_fd;

        /* the job, set by the event loop, read by the thread */
        bool has_job;
        bool running;
        PolicySet *policies;
        uint64_t timeout_usec;
        char *netlink_relay;
        bool cancel;
        bool quit;
        bool orphaned;                  /* worker_free() was called while the thread was busy */

        bool writing;                   /* the running job made its first write */
        char **present;                 /* VFs udev announced */
        char *current;                  /* the action in flight */
        JobResult *result;
};

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

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* ---- what the thread does ---- */

typedef struct Job {
        Worker *worker;
        PolicySet *policies;
        const Policy *policy;   /* the match of the last evaluation; policies keeps it alive */
        PlanFlags flags;
        uint64_t deadline;
        char *netlink_relay;
        Netlink *netlink;       /* opened on first use */
        JobResult *result;
} Job;

static bool job_cancelled(Job *j) {
        Worker *w = j->worker;
        bool c;

        pthread_mutex_lock(&w->lock);
        c = w->cancel || w->quit;
        pthread_mutex_unlock(&w->lock);
        return c;
}

static void set_current(Worker *w, const char *what) {
        char *s = what ? strdup(what) : NULL;

        pthread_mutex_lock(&w->lock);
        free(w->current);
        w->current = s;
        pthread_mutex_unlock(&w->lock);
}

_printf_(4, 5)
static int finish(Job *j, JobOutcome outcome, int error, const char *format, ...) {
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

static int read_snapshot(Job *j, PfSnapshot **ret) {
        int r = -EAGAIN;

        for (unsigned i = 0; i < SNAPSHOT_ATTEMPTS && r == -EAGAIN; i++)
                r = sysfs_read_pf(j->worker->address, ret);
        if (r >= 0)
                r = ownership_scan(ret, 1, NULL);
        return r;
}

/* Snapshot, match and plan; the result keeps the latest of each. Returns 1 when the job is over. */
static int evaluate(Job *j) {
        JobResult *res = j->result;
        _cleanup_(pf_snapshot_freep) PfSnapshot *snapshot = NULL;
        MatchResult match = {};
        KernelCaps caps = {};
        Plan *plan = NULL;
        int r;

        r = read_snapshot(j, &snapshot);
        if (r == -ENODEV)
                return finish(j, JOB_GONE, 0, NULL);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot read the PF from sysfs: %s", strerror(-r));

        r = policy_match(j->policies->policies, j->policies->n_policies, snapshot, &match);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot match the policies: %s", strerror(-r));

        pf_snapshot_free(res->snapshot);
        res->snapshot = TAKE_PTR(snapshot);
        res->capability_error = pci_read_sriov_capability(j->worker->address, &res->capability);
        free(res->policy);
        res->policy = NULL;
        res->shadowed = strv_free(res->shadowed);
        plan_free(res->plan);
        res->plan = NULL;

        j->policy = NULL;
        if (!match.policy) {
                match_result_clear(&match);
                return finish(j, JOB_UNMANAGED, 0, NULL);
        }
        j->policy = match.policy;
        res->policy = strdup(match.policy->path);
        res->policy_fingerprint = match.policy->fingerprint;
        res->shadowed = calloc(1, sizeof(char *));
        for (size_t i = 0; res->shadowed && i < match.n_shadowed; i++)
                if (strv_extend(&res->shadowed, match.shadowed[i]->path) < 0)
                        res->shadowed = strv_free(res->shadowed);
        if (!res->policy || !res->shadowed) {
                match_result_clear(&match);
                return finish(j, JOB_FAILED, -ENOMEM, "out of memory");
        }

        r = kernel_caps_read(&caps);
        if (r >= 0)
                r = plan_compute(res->snapshot, match.policy, &caps, j->flags, &plan);
        kernel_caps_clear(&caps);
        match_result_clear(&match);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot compute a plan: %s", strerror(-r));
        res->plan = plan;
        return 0;
}

/* Sleeps until a VF uevent, cancel, or the deadline (polling as a backstop). false at the deadline. */
static bool wait_for_change(Job *j, uint64_t deadline) {
        Worker *w = j->worker;
        uint64_t now = now_usec(), until;
        struct timespec ts;

        if (now >= deadline)
                return false;
        /* The condition variable runs on CLOCK_MONOTONIC, as now_usec() does. */
        until = now + WAIT_POLL_USEC < deadline ? now + WAIT_POLL_USEC : deadline;
        ts.tv_sec = (time_t) (until / 1000000);
        ts.tv_nsec = (long) (until % 1000000) * 1000;
        pthread_mutex_lock(&w->lock);
        if (!w->cancel && !w->quit)
                (void) pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        pthread_mutex_unlock(&w->lock);
        return true;
}

/* After sriov_numvfs=n: the kernel says n, the n virtfn links exist, and udev has announced each
 * VF (or, for 0, none of the old ones is left). */
static int wait_vfs(Job *j, unsigned n, char * const *before) {
        Worker *w = j->worker;

        for (;;) {
                _cleanup_strv_free_ char **vfs = NULL;
                _cleanup_free_ char *num = NULL;
                unsigned actual = 0;
                bool ready;
                int r;

                if (job_cancelled(j))
                        return finish(j, JOB_CANCELLED, 0, NULL);
                r = sysfs_read_attribute(w->address, "sriov_numvfs", &num);
                if (r < 0)
                        return finish(j, r == -ENODEV ? JOB_GONE : JOB_FAILED, r, "cannot read sriov_numvfs: %s", strerror(-r));
                if (parse_u32(num, PCI_SRIOV_VFS_MAX, &actual) < 0)
                        return finish(j, JOB_FAILED, -EBADMSG, "sriov_numvfs reads \"%s\"", num);
                if (actual != n) {
                        /* The write succeeded, so this is the driver's answer, not a race; doing it
                         * again would tear down the VFs it did enable for the same answer. */
                        j->result->no_retry = true;
                        return finish(j, JOB_FAILED, -EIO, "asked for %u VFs, but the kernel enabled %u", n, actual);
                }

                r = sysfs_read_vf_addresses(w->address, n, &vfs);
                ready = r >= 0;
                pthread_mutex_lock(&w->lock);
                for (char **v = vfs; ready && v && *v; v++)
                        ready = strv_contains(w->present, *v);
                for (char * const *v = before; ready && n == 0 && v && *v; v++)
                        ready = !strv_contains(w->present, *v);
                pthread_mutex_unlock(&w->lock);
                if (ready)
                        return 0;
                if (wait_for_change(j, j->deadline))
                        continue;
                if (n > 0)
                        return finish(j, JOB_FAILED, -ETIMEDOUT, "the %u VFs did not all appear (virtfn links and udev events)", n);
                return finish(j, JOB_FAILED, -ETIMEDOUT, "the VFs did not all go away (virtfn links and udev events)");
        }
}

static int verify_driver(Job *j, const Action *a) {
        uint64_t deadline = now_usec() + BIND_SETTLE_USEC;

        for (;;) {
                _cleanup_free_ char *driver = NULL;
                int r;

                r = sysfs_read_driver(a->device, &driver);
                if (r < 0)
                                return finish(j, JOB_FAILED, r, "cannot read the driver of %s: %s", a->device, strerror(-r));
                if (streq_ptr(driver, a->driver))
                        return 0;
                if (job_cancelled(j))
                        return finish(j, JOB_CANCELLED, 0, NULL);
                if (!wait_for_change(j, deadline)) {
                        if (driver)
                                return finish(j, JOB_FAILED, -EIO, "%s was probed for %s, but %s took it", a->device, a->driver, driver);
                        return finish(j, JOB_FAILED, -EIO, "%s was probed for %s, but no driver bound it", a->device, a->driver);
                }
        }
}

/* Right before sriov_numvfs destroys VFs: has anyone taken one since the plan was made? The plan's
 * own guard was a moment ago; this closes most of the gap, as a write now would block on a holder. */
static int guard_resize(Job *j, const Action *a) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *now = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        const Policy *policy = NULL;
        MatchResult match = {};
        KernelCaps caps = {};
        int r;

        if (j->result->snapshot->num_vfs == 0 || a->number != 0)
                return 0;
        r = read_snapshot(j, &now);
        if (r < 0)
                return finish(j, r == -ENODEV ? JOB_GONE : JOB_FAILED, r, "cannot read the PF from sysfs: %s", strerror(-r));
        r = policy_match(j->policies->policies, j->policies->n_policies, now, &match);
        policy = match.policy;
        if (r >= 0 && policy)
                r = kernel_caps_read(&caps);
        if (r >= 0 && policy)
                r = plan_compute(now, policy, &caps, j->flags, &plan);
        kernel_caps_clear(&caps);
        match_result_clear(&match);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot check who uses the VFs: %s", strerror(-r));
        if (!plan || plan->state == PLAN_PENDING || plan->state == PLAN_REFUSED) {
                /* Report what the guard saw: that is the state the PF is in now. */
                pf_snapshot_free(j->result->snapshot);
                j->result->snapshot = TAKE_PTR(now);
                plan_free(j->result->plan);
                j->result->plan = TAKE_PTR(plan);
                if (!j->result->plan)
                        return finish(j, JOB_UNMANAGED, 0, NULL);
                return finish(j, j->result->plan->state == PLAN_PENDING ? JOB_PENDING : JOB_REFUSED, 0, "%s",
                              j->result->plan->reason);
        }
        return 0;
}

/* Runs one action. 0: done, go on; 1: the job is over (result set); -EAGAIN: re-plan now. */
static int execute(Job *j, const Action *a, char * const *vfs_before) {
        _cleanup_free_ char *path = NULL, *value = NULL, *what = NULL;
        int r;

        if (job_cancelled(j))
                return finish(j, JOB_CANCELLED, 0, NULL);
        if (action_to_string(a, &what) < 0)
                return finish(j, JOB_FAILED, -ENOMEM, "out of memory");

        switch (a->kind) {
        case ACTION_WAIT_VFS:
                set_current(j->worker, what);
                return wait_vfs(j, a->number, vfs_before);
        case ACTION_VERIFY_DRIVER:
                set_current(j->worker, what);
                return verify_driver(j, a);
        default:
                break;
        }

        if (a->kind == ACTION_SET_NUM_VFS) {
                r = guard_resize(j, a);
                if (r != 0)
                        return r;
        }
        r = action_sysfs_write(a, &path, &value);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot %s: %s", what, strerror(-r));
        /* Whatever a plan was built from, it only ever writes PCI attributes sriovd owns. */
        r = sysfs_check_path(path);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "refusing to %s: %s is not a PCI attribute sriovd writes", what, path);

        set_current(j->worker, what);
        if (j->result->n_writes == 0) {
                Worker *w = j->worker;

                pthread_mutex_lock(&w->lock);
                w->writing = true;
                if (!w->orphaned)
                        (void) write(w->notify_fd, &(uint64_t) { 1 }, sizeof(uint64_t));
                pthread_mutex_unlock(&w->lock);
        }
        log_internal(LOG_DEBUG, 0, j->worker->address, NULL, NULL, "%s", what);
        r = sysfs_write(path, value);
        j->result->n_writes++;
        set_current(j->worker, NULL);
        if (r >= 0)
                return 0;

        /* ENOENT from sriov_numvfs on a PF with a driver: that driver has no sriov_configure.
         * Plan again knowing that, so Unmanaged= decides. */
        if (a->kind == ACTION_SET_NUM_VFS && r == -ENOENT && j->result->snapshot->driver &&
            !(j->flags & PLAN_PF_DRIVER_CANNOT_SRIOV)) {
                log_internal(LOG_INFO, 0, j->worker->address, NULL, NULL,
                             "the PF driver %s cannot enable VFs (sriov_numvfs: ENOENT); planning for a PF without one",
                             j->result->snapshot->driver);
                j->flags |= PLAN_PF_DRIVER_CANNOT_SRIOV;
                return -EAGAIN;
        }
        return finish(j, JOB_FAILED, r, "%s failed: %s (%s)", what, errno_name(r) ?: "error", strerror(-r));
}

/* ---- netlink: the eswitch mode and the VFs' netdev settings ---- */

static int job_netlink(Job *j, Netlink **ret) {
        int r;

        if (!j->netlink) {
                r = j->netlink_relay ? netlink_new_relay(j->netlink_relay, &j->netlink) : netlink_new_kernel(&j->netlink);
                if (r < 0)
                        return r;
        }
        *ret = j->netlink;
        return 0;
}

static void mark_writing(Job *j) {
        Worker *w = j->worker;

        if (j->result->n_writes > 0)
                return;
        pthread_mutex_lock(&w->lock);
        w->writing = true;
        if (!w->orphaned)
                (void) write(w->notify_fd, &(uint64_t) { 1 }, sizeof(uint64_t));
        pthread_mutex_unlock(&w->lock);
}

/* Before VFs are created: switchdev changes what a VF is (it gets a representor), so the mode is
 * only changed while the PF has none. Returns 1 when the job is over. */
static int apply_eswitch(Job *j) {
        const PfSnapshot *pf = j->result->snapshot;
        EswitchMode want = j->policy->eswitch_mode, now;
        _cleanup_free_ char *message = NULL;
        Netlink *nl;
        int r;

        if (want < 0)
                return 0;
        r = job_netlink(j, &nl);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot open netlink: %s", strerror(-r));
        r = netlink_get_eswitch_mode(nl, pf->address, &now);
        if (r < 0) {
                (void) devlink_error_message(want, r, &message);
                /* No devlink or no eswitch: the kernel will say the same until the driver changes. */
                j->result->no_retry = r == -EOPNOTSUPP || r == -ENODEV || r == -ENOENT;
                return finish(j, JOB_FAILED, r, "%s", strna(message));
        }
        j->result->eswitch_mode = now;
        if (now == want)
                return 0;
        if (pf->num_vfs > 0) {
                for (size_t i = 0; i < pf->n_vfs; i++)
                        if (pf->vfs[i].n_holders > 0)
                                return finish(j, JOB_REFUSED, 0,
                                              "EswitchMode=%s: the PF is in %s mode and VF %u is in use by %s (pid %d); the mode changes only while the PF has no VFs",
                                              eswitch_mode_to_string(want), eswitch_mode_to_string(now), pf->vfs[i].index,
                                              strna(pf->vfs[i].holders[0].comm), (int) pf->vfs[i].holders[0].pid);
                return finish(j, JOB_REFUSED, 0,
                              "EswitchMode=%s: the PF is in %s mode and has %u VF%s; the mode changes only while it has none (remove them with NumVFs=0 first)",
                              eswitch_mode_to_string(want), eswitch_mode_to_string(now), pf->num_vfs, pf->num_vfs == 1 ? "" : "s");
        }
        mark_writing(j);
        log_internal(LOG_DEBUG, 0, j->worker->address, NULL, NULL, "set eswitch mode %s", eswitch_mode_to_string(want));
        r = netlink_set_eswitch_mode(nl, pf->address, want);
        j->result->n_writes++;
        if (r < 0) {
                (void) devlink_error_message(want, r, &message);
                j->result->no_retry = r == -EOPNOTSUPP || r == -ENODEV || r == -EINVAL;
                return finish(j, JOB_FAILED, r, "%s", strna(message));
        }
        j->result->eswitch_mode = want;
        return 0;
}

static bool error_is_lasting(int error) {
        return error == -EOPNOTSUPP || error == -EPROTONOSUPPORT || error == -EINVAL || error == -EPERM;
}

static int read_ifindex(const char *address, const char *netdev, int *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        unsigned ifindex;
        int r;

        if (asprintf(&path, "net/%s/ifindex", netdev) < 0)
                return -ENOMEM;
        r = sysfs_read_attribute(address, path, &text);
        if (r < 0)
                return r;
        r = parse_u32(text, INT32_MAX, &ifindex);
        if (r < 0 || ifindex == 0)
                return -EBADMSG;
        *ret = (int) ifindex;
        return 0;
}

/* After the VFs have their drivers and MSI-X counts: every netdev setting that differs, one
 * attribute per request, so that one the driver refuses fails alone and the others still go.
 * Returns 1 when the job is over (some failed). */
static int apply_vf_net(Job *j) {
        JobResult *res = j->result;
        const PfSnapshot *pf = res->snapshot;
        const VfPolicy *section = policy_vf_net_section(j->policy);
        _cleanup_free_ VfNetSettings *current = NULL, *changes = NULL;
        _cleanup_strv_free_ char **failures = NULL;
        size_t n_current = 0, n_changes = 0;
        int ifindex, r, first_error = 0;
        bool lasting = true;
        Netlink *nl;

        if (!section)
                return 0;
        if (!pf->netdevs || !pf->netdevs[0]) {
                /* An NVMe or GPU PF: the policy's other settings still apply. */
                if (asprintf(&res->net_warning,
                             "%s:%u: [VirtualFunction] netdev settings have no effect: the PF has no network interface, ignoring them",
                             section->file, section->net_line) < 0)
                        res->net_warning = NULL;
                return 0;
        }
        r = read_ifindex(pf->address, pf->netdevs[0], &ifindex);
        if (r < 0)
                return finish(j, r == -ENODEV ? JOB_GONE : JOB_FAILED, r, "cannot read the ifindex of %s: %s", pf->netdevs[0], strerror(-r));
        r = job_netlink(j, &nl);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot open netlink: %s", strerror(-r));
        r = netlink_read_vfs(nl, ifindex, &current, &n_current);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot read the VF settings of %s: %s", pf->netdevs[0], strerror(-r));
        r = plan_vf_net(j->policy, pf->num_vfs, current, n_current, &changes, &n_changes);
        if (r < 0)
                return finish(j, JOB_FAILED, r, "cannot plan the VF netdev settings: %s", strerror(-r));

        for (size_t i = 0; i < n_changes; i++) {
                VfNetAttribute a = (VfNetAttribute) __builtin_ctz(changes[i].mask);
                _cleanup_free_ char *what = NULL, *setting = NULL;

                if (job_cancelled(j))
                        return finish(j, JOB_CANCELLED, 0, NULL);
                if (vf_net_setting_to_string(&changes[i], a, &setting) < 0 ||
                    asprintf(&what, "set %s VF %u %s", pf->netdevs[0], changes[i].index, setting) < 0)
                        return finish(j, JOB_FAILED, -ENOMEM, "out of memory");
                mark_writing(j);
                set_current(j->worker, what);
                log_internal(LOG_DEBUG, 0, j->worker->address, NULL, NULL, "%s", what);
                r = netlink_set_vf(nl, ifindex, &changes[i], a);
                res->n_writes++;
                set_current(j->worker, NULL);
                if (r < 0) {
                        char *m = NULL;

                        if (vf_netlink_error_message(changes[i].index, a, r, &m) < 0 || strv_consume(&failures, m) < 0)
                                return finish(j, JOB_FAILED, -ENOMEM, "out of memory");
                        log_internal(LOG_ERR, r, j->worker->address, j->policy->path, NULL, "%s", m);
                        if (first_error == 0)
                                first_error = r;
                        lasting = lasting && error_is_lasting(r);
                }
        }

        /* Status shows what the PF reports, not what was asked. */
        if (n_changes > 0) {
                _cleanup_free_ VfNetSettings *after = NULL;
                size_t n_after = 0;

                if (netlink_read_vfs(nl, ifindex, &after, &n_after) >= 0) {
                        free(current);
                        current = TAKE_PTR(after);
                        n_current = n_after;
                }
        }
        free(res->vf_net);
        res->vf_net = TAKE_PTR(current);
        res->n_vf_net = n_current;
        res->has_vf_net = true;
        if (!failures)
                return 0;
        {
                _cleanup_free_ char *joined = NULL;
                size_t n = strv_length(failures);

                for (char **f = failures; *f; f++) {
                        char *t;

                        if (asprintf(&t, "%s%s%s", strempty(joined), joined ? "; " : "", *f) < 0)
                                return finish(j, JOB_FAILED, -ENOMEM, "out of memory");
                        free(joined);
                        joined = t;
                }
                /* A driver that does not support an attribute will not by the next retry. */
                res->no_retry = lasting;
                return finish(j, JOB_FAILED, first_error, "%zu netdev setting%s failed: %s", n, n == 1 ? "" : "s", joined);
        }
}

static void run(Job *j) {
        uint64_t start = now_usec();
        JobResult *res = j->result;
        unsigned rounds = 0;

        for (;;) {
                _cleanup_strv_free_ char **vfs_before = NULL;
                const Plan *plan;
                int r;

                if (evaluate(j) > 0)
                        break;
                plan = res->plan;

                if (plan->state == PLAN_REFUSED) {
                        /* A refusal that rests on an ENOENT the kernel just gave is tried again
                         * later: the kernel may answer differently then. */
                        if (j->flags & PLAN_PF_DRIVER_CANNOT_SRIOV)
                                finish(j, JOB_FAILED, -ENOENT, "%s", plan->reason);
                        else
                                finish(j, JOB_REFUSED, 0, "%s", plan->reason);
                        break;
                }
                /* The eswitch mode first: VFs are created in the mode they will live in. */
                if (apply_eswitch(j) > 0)
                        break;
                if (plan->n_actions == 0) {
                        /* VFs in use keep their count, and still get their netdev settings. */
                        if (apply_vf_net(j) > 0)
                                break;
                        if (plan->state == PLAN_PENDING)
                                finish(j, JOB_PENDING, 0, "%s", plan->reason);
                        else
                                finish(j, res->n_writes > 0 ? JOB_APPLIED : JOB_IN_SYNC, 0, NULL);
                        break;
                }
                if (rounds++ >= ROUNDS_MAX) {
                        finish(j, JOB_FAILED, -ELOOP, "the PF does not stay as planned: after %u rounds there is still work to do",
                               ROUNDS_MAX);
                        break;
                }

                vfs_before = calloc(res->snapshot->n_vfs + 1, sizeof(char *));
                for (size_t i = 0; vfs_before && i < res->snapshot->n_vfs; i++)
                        vfs_before[i] = strdup(res->snapshot->vfs[i].address);

                r = 0;
                for (size_t i = 0; i < plan->n_actions && r == 0; i++)
                        r = execute(j, &plan->actions[i], vfs_before);
                if (r > 0)
                        break;
                /* r == -EAGAIN or all done: plan again from a fresh snapshot */
        }
        /* After writes that did not end in sync, report the PF as the writes left it. */
        if (res->n_writes > 0 && (res->outcome == JOB_FAILED || res->outcome == JOB_PENDING)) {
                PfSnapshot *after = NULL;

                if (read_snapshot(j, &after) >= 0) {
                        pf_snapshot_free(res->snapshot);
                        res->snapshot = after;
                }
        }
        set_current(j->worker, NULL);
        res->duration_usec = now_usec() - start;
}

static void *worker_thread(void *userdata) {
        Worker *w = userdata;

        for (;;) {
                Job j = { .worker = w };
                bool free_self;

                pthread_mutex_lock(&w->lock);
                while (!w->has_job && !w->quit)
                        pthread_cond_wait(&w->wake, &w->lock);
                if (w->quit) {
                        free_self = w->orphaned;
                        pthread_mutex_unlock(&w->lock);
                        if (free_self) {
                                /* worker_free() ran while the thread was stuck: clean up here. */
                                strv_free(w->present);
                                free(w->current);
                                free(w->netlink_relay);
                                job_result_free(w->result);
                                policy_set_unref(w->policies);
                                pthread_mutex_destroy(&w->lock);
                                pthread_cond_destroy(&w->wake);
                                free(w);
                        }
                        return NULL;
                }
                w->has_job = false;
                w->running = true;
                w->writing = false;
                j.policies = TAKE_PTR(w->policies);
                j.netlink_relay = TAKE_PTR(w->netlink_relay);
                j.deadline = now_usec() + w->timeout_usec;
                w->cancel = false;
                pthread_mutex_unlock(&w->lock);

                j.result = calloc(1, sizeof(JobResult));
                if (j.result) {
                        j.result->eswitch_mode = _ESWITCH_MODE_INVALID;
                        run(&j);
                }
                netlink_free(j.netlink);
                free(j.netlink_relay);
                policy_set_unref(j.policies);

                pthread_mutex_lock(&w->lock);
                job_result_free(w->result);
                w->result = j.result;
                w->running = false;
                /* Nobody waits for an orphan, and its notify fd may be closed and reused by now. */
                if (!w->orphaned)
                        (void) write(w->notify_fd, &(uint64_t) { 1 }, sizeof(uint64_t));
                pthread_mutex_unlock(&w->lock);
        }
}

/* ---- the event loop's side ---- */

int worker_new(const char *address, int notify_fd, Worker **ret) {
        Worker *w = calloc(1, sizeof(Worker));
        pthread_attr_t attr;
        int r;

        if (!w)
                return -ENOMEM;
        memcpy(w->address, address, PCI_ADDRESS_MAX);
        w->notify_fd = notify_fd;
        w->present = calloc(1, sizeof(char *));
        if (!w->present) {
                free(w);
                return -ENOMEM;
        }
        pthread_mutex_init(&w->lock, NULL);
        {
                pthread_condattr_t ca;

                /* Timed waits must not jump with the wall clock. */
                pthread_condattr_init(&ca);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&w->wake, &ca);
                pthread_condattr_destroy(&ca);
        }

        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);
        r = -pthread_create(&w->thread, &attr, worker_thread, w);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                strv_free(w->present);
                pthread_mutex_destroy(&w->lock);
                pthread_cond_destroy(&w->wake);
                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void worker_free(Worker *w) {
        bool stuck;

        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->quit = true;
        stuck = w->running;
        w->orphaned = stuck;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
        if (stuck) {
                /* Blocked in the kernel, perhaps for good: do not wait, let it free itself. */
                pthread_detach(w->thread);
                return;
        }
        pthread_join(w->thread, NULL);
        strv_free(w->present);
        free(w->current);
        free(w->netlink_relay);
        job_result_free(w->result);
        policy_set_unref(w->policies);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
}

int worker_start(Worker *w, PolicySet *policies, uint64_t timeout_usec, const char *netlink_relay) {
        char *relay = NULL;
        int r = 0;

        if (netlink_relay && !(relay = strdup(netlink_relay)))
                return -ENOMEM;
        pthread_mutex_lock(&w->lock);
        if (w->running || w->has_job || w->result) {
                r = -EBUSY;
                free(relay);
        } else {
                free(w->netlink_relay);
                w->netlink_relay = relay;
                policy_set_unref(w->policies);
                w->policies = policy_set_ref(policies);
                w->timeout_usec = timeout_usec;
                w->has_job = true;
                pthread_cond_broadcast(&w->wake);
        }
        pthread_mutex_unlock(&w->lock);
        return r;
}

bool worker_busy(Worker *w) {
        bool b;

        /* Busy until the event loop took the result: an event handled in between must queue
         * behind that result, not start a job that does not know how the last one ended. */
        pthread_mutex_lock(&w->lock);
        b = w->running || w->has_job || w->result;
        pthread_mutex_unlock(&w->lock);
        return b;
}

bool worker_writing(Worker *w) {
        bool b;

        pthread_mutex_lock(&w->lock);
        b = w->running && w->writing;
        pthread_mutex_unlock(&w->lock);
        return b;
}

JobResult *worker_take_result(Worker *w) {
        JobResult *r;

        pthread_mutex_lock(&w->lock);
        r = TAKE_PTR(w->result);
        pthread_mutex_unlock(&w->lock);
        return r;
}

char *worker_current_action(Worker *w) {
        char *s;

        pthread_mutex_lock(&w->lock);
        s = w->current ? strdup(w->current) : NULL;
        pthread_mutex_unlock(&w->lock);
        return s;
}

void worker_cancel(Worker *w) {
        pthread_mutex_lock(&w->lock);
        w->cancel = true;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
}

void worker_vf_present(Worker *w, const char *vf, bool present) {
        pthread_mutex_lock(&w->lock);
        if (present && !strv_contains(w->present, vf))
                (void) strv_extend(&w->present, vf);
        else if (!present)
                for (char **i = w->present; *i; i++)
                        if (streq(*i, vf)) {
                                free(*i);
                                memmove(i, i + 1, sizeof(char *) * strv_length(i + 1) + sizeof(char *));
                                break;
                        }
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
}

bool worker_has_vf(Worker *w, const char *vf) {
        bool b;

        pthread_mutex_lock(&w->lock);
        b = strv_contains(w->present, vf);
        pthread_mutex_unlock(&w->lock);
        return b;
}
