/* A PF's life in the daemon: evaluations on its worker, outcomes turned into state, logs and retries. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "pf.h"
#include "sriovd/ownership.h"

/* After a failure the PF is tried again, sooner first, so a passing fault clears by itself. */
#define RETRY_FIRST_USEC (2 * UINT64_C(1000000))
#define RETRY_MAX_USEC (300 * UINT64_C(1000000))

static const char * const state_table[_PF_STATE_MAX] = {
        [PF_STATE_UNMANAGED] = "unmanaged",
        [PF_STATE_APPLYING] = "applying",
        [PF_STATE_APPLIED] = "applied",
        [PF_STATE_PENDING] = "pending",
        [PF_STATE_REFUSED] = "refused",
        [PF_STATE_FAILED] = "failed",
};

const char *pf_state_to_string(PfState s) {
        return s < _PF_STATE_MAX ? state_table[s] : NULL;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
        const unsigned char *b = data;

        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * UINT64_C(0x100000001b3);
        return h;
}

static uint64_t hash_str(uint64_t h, const char *s) {
        return hash_bytes(h, strempty(s), strlen(strempty(s)) + 1);
}

/* Everything a PF shows (what the bus publishes, what STATUS= counts), hashed, so that observers
 * hear of a change only when there is one. */
static uint64_t shown_hash(const Pf *pf) {
        const PfSnapshot *s = pf->snapshot;
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        _cleanup_free_ char *locked = pf_locked_by(pf);
        int numbers[10] = {
                (int) pf->state, pf->error, pf->plan ? pf->plan->desired_num_vfs : -1,
                s ? (int) s->num_vfs : -1, s ? (int) s->total_vfs : -1, s ? s->drivers_autoprobe : -1,
                s ? s->unmanaged_autoprobe : -1, pf->has_capability, (int) pf->eswitch_mode, pf->has_vf_net,
        };

        h = hash_bytes(h, numbers, sizeof(numbers));
        for (size_t i = 0; pf->has_vf_net && i < pf->n_vf_net; i++) {
                const VfNetSettings *v = &pf->vf_net[i];
                /* field by field: the struct has padding */
                int fields[12] = {
                        (int) v->index, (int) v->mask, (int) v->vlan, (int) v->qos, (int) v->vlan_protocol,
                        v->min_tx_rate, v->max_tx_rate, v->spoof_check, v->trust, (int) v->link_state, v->query_rss,
                };

                h = hash_bytes(h, fields, sizeof(fields));
                h = hash_bytes(h, v->mac, sizeof(v->mac));
        }
        h = hash_str(h, pf->reason);
        h = hash_str(h, pf->interrupted);
        h = hash_str(h, pf->policy);
        h = hash_str(h, locked);
        h = hash_str(h, pf->vendor_name);
        h = hash_str(h, pf->device_name);
        for (char **i = pf->shadowed; i && *i; i++)
                h = hash_str(h, *i);
        if (!s)
                return h;
        h = hash_str(h, s->driver);
        h = hash_str(h, s->serial);
        for (char **i = s->netdevs; i && *i; i++)
                h = hash_str(h, *i);
        for (size_t i = 0; i < s->n_vfs; i++) {
                h = hash_str(h, s->vfs[i].address);
                h = hash_str(h, s->vfs[i].driver);
                for (char **n = s->vfs[i].netdevs; n && *n; n++)
                        h = hash_str(h, *n);
                h = hash_bytes(h, &s->vfs[i].iommu_group, sizeof(int));
                h = hash_bytes(h, &s->vfs[i].n_holders, sizeof(size_t));
                if (s->vfs[i].n_holders > 0)
                        h = hash_bytes(h, &s->vfs[i].holders[0].pid, sizeof(pid_t));
        }
        return h;
}

static void notify_changed(Pf *pf) {
        const PfContext *c = pf->context;
        uint64_t h = shown_hash(pf);

        if (h == pf->shown_hash)
                return;
        pf->shown_hash = h;
        if (c->observer && c->observer->changed)
                c->observer->changed(pf, c->userdata);
}

static void notify_settled(Pf *pf, bool all) {
        const PfContext *c = pf->context;

        if (c->observer && c->observer->settled)
                c->observer->settled(pf, all, c->userdata);
}

/* The last thing a PF does: its owner frees it. */
static void notify_gone(Pf *pf) {
        const PfContext *c = pf->context;

        if (c->observer && c->observer->gone)
                c->observer->gone(pf, c->userdata);
        else
                pf_free(pf);
}

int pf_new(PfContext *context, const char *address, Pf **ret) {
        Pf *pf = calloc(1, sizeof(Pf));
        int r;

        if (!pf)
                return -ENOMEM;
        pf->context = context;
        memcpy(pf->address, address, PCI_ADDRESS_MAX);
        pf->state = PF_STATE_UNMANAGED;
        pf->eswitch_mode = _ESWITCH_MODE_INVALID;
        r = worker_new(address, context->notify_fd, &pf->worker);
        if (r < 0) {
                free(pf);
                return r;
        }
        pf->shown_hash = shown_hash(pf);
        *ret = pf;
        return 0;
}

Pf *pf_free(Pf *pf) {
        if (!pf)
                return NULL;
        worker_free(pf->worker);
        free(pf->vendor_name);
        free(pf->device_name);
        free(pf->vf_net);
        free(pf->net_warning);
        free(pf->interrupted);
        sd_event_source_disable_unref(pf->timeout_source);
        sd_event_source_disable_unref(pf->retry_source);
        sd_event_source_disable_unref(pf->settle_source);
        free(pf->reason);
        pf_snapshot_free(pf->snapshot);
        plan_free(pf->plan);
        free(pf->policy);
        strv_free(pf->shadowed);
        return mfree(pf);
}

static void set_state(Pf *pf, PfState state, int error, const char *reason) {
        pf->state = state;
        pf->error = error;
        free(pf->reason);
        pf->reason = reason ? strdup(reason) : NULL;
}

/* "applying has not finished after 30s; set X=Y has not returned", or NULL when that is what
 * reason already says or the worker sits between two writes. */
static char *timeout_reason(Pf *pf) {
        _cleanup_free_ char *action = worker_current_action(pf->worker);
        uint64_t t = pf->context->config->apply_timeout_usec / 1000000;
        char *reason;

        if (pf->reason && !action)
                return NULL;
        if (asprintf(&reason, "applying has not finished after %" PRIu64 "s%s%s%s", t,
                     action ? "; " : "", strempty(action), action ? " has not returned" : "") < 0)
                return NULL;
        if (streq_ptr(reason, pf->reason))
                return mfree(reason);
        return reason;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Pf *pf = userdata;
        _cleanup_free_ char *reason = NULL;

        pf->timeout_source = sd_event_source_disable_unref(pf->timeout_source);
        free(pf->reason);
        pf->reason = NULL;
        reason = timeout_reason(pf);
        pf->timed_out = true;
        set_state(pf, PF_STATE_FAILED, ETIMEDOUT, reason);
        log_internal(LOG_ERR, 0, pf->address, pf->policy, SRIOVD_MESSAGE_FAILED, "%s", strna(reason));
        pf->evaluated = true;
        notify_changed(pf);
        /* Whoever waits on a stuck write gets the timeout as the answer, and a stop waits no longer. */
        notify_settled(pf, true);
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Pf *pf = userdata;

        pf->retry_source = sd_event_source_disable_unref(pf->retry_source);
        log_internal(LOG_INFO, 0, pf->address, pf->policy, NULL, "trying again after the failure");
        pf_request(pf, PF_TRIGGER_EXPLICIT);
        return 0;
}

uint64_t pf_request(Pf *pf, PfTrigger trigger) {
        PfContext *c = pf->context;
        int r;

        if (c->stopping)
                return pf->n_started;
        if (pf->awaiting_udev) {
                pf->queued = true;
                return pf->n_started + 1;
        }
        if (trigger == PF_TRIGGER_DEVICE && pf->state == PF_STATE_FAILED && !pf->timed_out)
                return pf->n_started;
        if (worker_busy(pf->worker)) {
                pf->queued = true;
                return pf->n_started + 1;
        }
        pf->queued = false;
        pf->retry_source = sd_event_source_disable_unref(pf->retry_source);
        pf->settle_source = sd_event_source_disable_unref(pf->settle_source);
        r = worker_start(pf->worker, c->policies, c->config->apply_timeout_usec, c->netlink_relay);
        if (r < 0) {
                log_internal(LOG_ERR, r, pf->address, NULL, NULL, "cannot start an evaluation: %m");
                return pf->n_started;
        }
        pf->n_started++;
        pf->started_usec = 0;
        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &pf->started_usec);
        pf->timed_out = false;
        sd_event_source_disable_unref(pf->timeout_source);
        r = sd_event_add_time_relative(c->event, &pf->timeout_source, CLOCK_MONOTONIC,
                                       c->config->apply_timeout_usec, 0, on_timeout, pf);
        if (r < 0)
                log_internal(LOG_WARNING, r, pf->address, NULL, NULL, "cannot arm the apply timeout, continuing without: %m");
        return pf->n_started;
}

void pf_await_udev(Pf *pf, const char *device) {
        _cleanup_free_ char *reason = NULL;

        pf->awaiting_udev = true;
        if (asprintf(&reason, "waiting for udev to initialize %s", device) < 0)
                reason = NULL;
        set_state(pf, pf->state, 0, reason);
}

bool pf_udev_done(Pf *pf) {
        if (!pf->awaiting_udev)
                return false;
        pf->awaiting_udev = false;
        return true;
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata) {
        Pf *pf = userdata;

        pf->settle_source = sd_event_source_disable_unref(pf->settle_source);
        log_internal(LOG_DEBUG, 0, pf->address, NULL, NULL, "no driver took the new PF");
        pf_request(pf, PF_TRIGGER_EXPLICIT);
        return 0;
}

void pf_request_settled(Pf *pf, uint64_t usec) {
        int r;

        if (pf->settle_source)
                return;
        r = sd_event_add_time_relative(pf->context->event, &pf->settle_source, CLOCK_MONOTONIC, usec, 0, on_settled, pf);
        if (r < 0) {
                log_internal(LOG_WARNING, r, pf->address, NULL, NULL, "cannot wait for a driver, evaluating now: %m");
                pf_request(pf, PF_TRIGGER_EXPLICIT);
        }
}

static void schedule_retry(Pf *pf) {
        int r;

        pf->retry_usec = pf->retry_usec == 0 ? RETRY_FIRST_USEC :
                         pf->retry_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : pf->retry_usec * 2;
        sd_event_source_disable_unref(pf->retry_source);
        r = sd_event_add_time_relative(pf->context->event, &pf->retry_source, CLOCK_MONOTONIC, pf->retry_usec, 0, on_retry, pf);
        if (r < 0)
                log_internal(LOG_WARNING, r, pf->address, NULL, NULL, "cannot schedule a retry: %m");
}

static unsigned vf_count(const PfSnapshot *s) {
        return s ? s->num_vfs : 0;
}

static void lookup_names(Pf *pf) {
        PfContext *c = pf->context;
        const char *v = NULL, *d = NULL;

        if (pf->vendor_name || pf->device_name || !pf->snapshot)
                return;
        if (!c->names && pci_names_new(&c->names) < 0)
                return;
        pci_names_lookup(c->names, pf->snapshot->vendor, pf->snapshot->device, &v, &d);
        pf->vendor_name = v ? strdup(v) : NULL;
        pf->device_name = d ? strdup(d) : NULL;
}

void pf_process_result(Pf *pf) {
        _cleanup_(job_result_freep) JobResult *res = worker_take_result(pf->worker);
        PfState old_state = pf->state;
        _cleanup_free_ char *old_reason = pf->reason ? strdup(pf->reason) : NULL;
        bool changed;

        if (!res)
                return;
        pf->timeout_source = sd_event_source_disable_unref(pf->timeout_source);
        if (pf->timed_out) {
                uint64_t now = 0;

                (void) sd_event_now(pf->context->event, CLOCK_MONOTONIC, &now);
                log_internal(LOG_NOTICE, 0, pf->address, res->policy, NULL,
                             "the stuck apply returned after %" PRIu64 "s",
                             (now - pf->started_usec) / 1000000);
                old_state = _PF_STATE_MAX; /* report the outcome again: it replaces the timeout */
        }

        /* A job that wrote was applying, even when it ended before its first write was noticed:
         * publish that, so every change shows the same way. */
        if (res->n_writes > 0 && pf->state != PF_STATE_APPLYING && !pf->timed_out) {
                set_state(pf, PF_STATE_APPLYING, 0, NULL);
                notify_changed(pf);
        }

        if (res->outcome == JOB_GONE || pf->removed) {
                log_internal(LOG_INFO, 0, pf->address, pf->policy, NULL, "the PF is gone");
                notify_gone(pf);
                return;
        }

        if (res->snapshot) {
                pf_snapshot_free(pf->snapshot);
                pf->snapshot = TAKE_PTR(res->snapshot);
                lookup_names(pf);
        }
        free(pf->vf_net);
        pf->vf_net = TAKE_PTR(res->vf_net);
        pf->n_vf_net = res->n_vf_net;
        pf->has_vf_net = res->has_vf_net;
        pf->eswitch_mode = res->eswitch_mode;
        if (!streq_ptr(pf->net_warning, res->net_warning)) {
                /* A policy's netdev settings on a PF without a netdev: said once, nothing fails. */
                if (res->net_warning)
                        log_internal(LOG_WARNING, 0, pf->address, res->policy, NULL, "%s", res->net_warning);
                free(pf->net_warning);
                pf->net_warning = TAKE_PTR(res->net_warning);
        }
        pf->has_capability = res->capability_error >= 0;
        if (pf->has_capability)
                pf->capability = res->capability;
        plan_free(pf->plan);
        pf->plan = TAKE_PTR(res->plan);
        free(pf->policy);
        pf->policy = TAKE_PTR(res->policy);
        pf->policy_fingerprint = res->policy_fingerprint;
        strv_free(pf->shadowed);
        pf->shadowed = TAKE_PTR(res->shadowed);

        switch (res->outcome) {
        case JOB_IN_SYNC:
        case JOB_APPLIED:
                set_state(pf, PF_STATE_APPLIED, 0, NULL);
                break;
        case JOB_PENDING:
                set_state(pf, PF_STATE_PENDING, 0, res->reason);
                break;
        case JOB_REFUSED:
                set_state(pf, PF_STATE_REFUSED, 0, res->reason);
                break;
        case JOB_FAILED:
                set_state(pf, PF_STATE_FAILED, res->error, res->reason);
                break;
        case JOB_UNMANAGED:
                set_state(pf, PF_STATE_UNMANAGED, 0, NULL);
                break;
        case JOB_CANCELLED:
        default:
                break;
        }
        changed = pf->state != old_state || !streq_ptr(pf->reason, old_reason);

        switch (res->outcome) {
        case JOB_APPLIED:
                log_internal(LOG_INFO, 0, pf->address, pf->policy, SRIOVD_MESSAGE_APPLIED,
                             "applied %s: %u VFs (%u writes, %" PRIu64 " ms)", pf->policy, vf_count(pf->snapshot),
                             res->n_writes, res->duration_usec / 1000);
                break;
        case JOB_IN_SYNC:
                if (changed)
                        log_internal(LOG_INFO, 0, pf->address, pf->policy, SRIOVD_MESSAGE_APPLIED,
                                     "in sync with %s: %u VFs", pf->policy, vf_count(pf->snapshot));
                break;
        case JOB_PENDING:
                if (changed)
                        log_internal(LOG_NOTICE, 0, pf->address, pf->policy, SRIOVD_MESSAGE_PENDING,
                                     "pending: %s; the change is applied once it is released", pf->reason);
                break;
        case JOB_REFUSED:
                if (changed)
                        log_internal(LOG_WARNING, 0, pf->address, pf->policy, SRIOVD_MESSAGE_REFUSED,
                                     "refused: %s", pf->reason);
                break;
        case JOB_FAILED:
                log_internal(LOG_ERR, res->error, pf->address, pf->policy, SRIOVD_MESSAGE_FAILED,
                             "failed: %s%s", strna(pf->reason),
                             res->no_retry ? "; not retried by itself (a reload, or the PF's driver changing, tries again)" : "");
                break;
        case JOB_UNMANAGED:
                if (res->n_writes > 0)
                        log_internal(LOG_INFO, 0, pf->address, NULL, NULL,
                                     "no policy matches; what an unfinished apply changed for the time being is put back "
                                     "(%u writes), and the PF is otherwise left alone", res->n_writes);
                else if (changed)
                        log_internal(LOG_INFO, 0, pf->address, NULL, NULL, "no policy matches; the PF is left alone");
                break;
        default:
                break;
        }
        if (res->outcome != JOB_IN_SYNC && res->outcome != JOB_UNMANAGED)
                for (char **n = pf->plan ? pf->plan->notes : NULL; n && *n; n++)
                        log_internal(LOG_NOTICE, 0, pf->address, pf->policy, NULL, "%s", *n);

        if (res->outcome == JOB_FAILED && !res->no_retry)
                schedule_retry(pf);
        else
                pf->retry_usec = 0;

        pf->evaluated = true;
        notify_changed(pf);
        /* Before the queued job starts: whoever waits for this one is answered by it. */
        notify_settled(pf, false);
        /* What queued up during a failed job is mostly its own echo; the retry decides instead. */
        if (pf->queued && res->outcome != JOB_CANCELLED && res->outcome != JOB_FAILED)
                pf_request(pf, PF_TRIGGER_EXPLICIT);
        pf->queued = false;
}

void pf_process_progress(Pf *pf) {
        char *interrupted = worker_take_interrupted(pf->worker);

        if (interrupted) {
                free(pf->interrupted);
                pf->interrupted = interrupted;
                notify_changed(pf);
        }
        if (pf->timed_out && worker_busy(pf->worker)) {
                /* The slow write returned and the apply went on: the status names the one now in
                 * the kernel, not the one the timeout caught. */
                _cleanup_free_ char *reason = timeout_reason(pf);

                if (reason) {
                        set_state(pf, PF_STATE_FAILED, ETIMEDOUT, reason);
                        notify_changed(pf);
                }
                return;
        }
        if (pf->state == PF_STATE_APPLYING || !worker_busy(pf->worker) || !worker_writing(pf->worker))
                return;
        set_state(pf, PF_STATE_APPLYING, 0, NULL);
        notify_changed(pf);
}

char *pf_locked_by(const Pf *pf) {
        const PfSnapshot *s = pf->snapshot;
        char *r;

        if (!s)
                return NULL;
        if (s->n_holders > 0) {
                if (asprintf(&r, "%s (pid %d)", strna(s->holders[0].comm), (int) s->holders[0].pid) < 0)
                        return NULL;
                return r;
        }
        if (streq_ptr(s->driver, VFIO_PCI_DRIVER))
                return strdup(VFIO_PCI_DRIVER);
        return NULL;
}

void pf_remove(Pf *pf) {
        /* A job in flight stops at its next step; its result then drops the PF. */
        if (worker_busy(pf->worker)) {
                pf->removed = true;
                worker_cancel(pf->worker);
                return;
        }
        log_internal(LOG_INFO, 0, pf->address, pf->policy, NULL, "the PF was removed");
        notify_gone(pf);
}

bool pf_owns_vf_address(const Pf *pf, const char *vf) {
        const PfSnapshot *s = pf->snapshot;
        PciAddress a, b;
        long long d;

        if (!s || s->stride == 0 || pci_address_parse(vf, &a) < 0 || pci_address_parse(pf->address, &b) < 0)
                return false;
        if (a.domain != b.domain)
                return false;
        d = (long long) ((a.bus << 8) | (a.device << 3) | a.function) - ((b.bus << 8) | (b.device << 3) | b.function) - s->offset;
        return d >= 0 && d % s->stride == 0 && d / s->stride < s->total_vfs;
}

bool pf_uses_vfio_node(const Pf *pf, int group, const char *cdev) {
        const PfSnapshot *s = pf->snapshot;

        if (!s)
                return false;
        if ((group >= 0 && s->iommu_group == group) || (cdev && streq_ptr(s->vfio_cdev, cdev)))
                return true;
        for (size_t i = 0; i < s->n_vfs; i++)
                if ((group >= 0 && s->vfs[i].iommu_group == group) || (cdev && streq_ptr(s->vfs[i].vfio_cdev, cdev)))
                        return true;
        return false;
}
