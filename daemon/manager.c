/* The daemon's event loop: PF table, policies and their reload, signals, worker results, sd_notify,
 * and the observers (the bus) that hear of every change. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "sriovd/match.h"

static void log_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diagnostic *x = &d->items[i];
                int level = x->level == DIAGNOSTIC_ERROR ? LOG_ERR : LOG_WARNING;

                if (x->line > 0)
                        log_internal(level, 0, NULL, x->file, NULL, "%s:%u: %s", x->file, x->line, x->message);
                else
                        log_internal(level, 0, NULL, x->file, NULL, "%s: %s", x->file, x->message);
        }
}

static int load_config(Manager *m, DaemonConfig *ret) {
        Diagnostics d = {};
        DaemonConfig c;
        int r;

        daemon_config_init(&c);
        r = daemon_config_load(&c, m->options.config_file ?: SRIOVD_CONFIG_FILE, &d);
        log_diagnostics(&d);
        diagnostics_clear(&d);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

static void apply_log_level(Manager *m) {
        if (m->options.log_level >= 0)
                log_set_max_level(m->options.log_level);
        else if (m->config.log_level >= 0)
                log_set_max_level(m->config.log_level);
        else
                log_set_max_level(LOG_INFO);
}

static int load_policies(Manager *m, PolicySet **ret) {
        PolicySet *s;
        int r;

        r = policy_set_load(NULL, m->options.policy_dirs, &s);
        if (r < 0)
                return log_error_errno(r, "Cannot list the policy files: %m");
        log_diagnostics(&s->diagnostics);
        *ret = s;
        return 0;
}

static void emit_changed(Manager *m, const char *property) {
        for (size_t i = 0; i < m->n_observers; i++)
                if (m->observers[i]->changed)
                        m->observers[i]->changed(property, m->observers[i]->userdata);
}

#define EMIT_PF(m, event, ...)                                                          \
        for (size_t _i = 0; _i < (m)->n_observers; _i++)                                \
                if ((m)->observers[_i]->event)                                          \
                        (m)->observers[_i]->event(__VA_ARGS__, (m)->observers[_i]->userdata)

/* The loop ends once no job is half way (VFs removed, not yet re-created); a job stuck in the
 * kernel past ApplyTimeoutSec, or past StopTimeoutSec since the stop began, is not waited for.
 * Such a write is the kernel's, in a writer process that outlives the daemon (write-process.c). */
static void check_stopped(Manager *m) {
        if (!m->context.stopping)
                return;
        for (size_t i = 0; i < m->n_pfs && !m->stop_expired; i++)
                if (worker_busy(m->pfs[i]->worker) && !m->pfs[i]->timed_out)
                        return;
        for (size_t i = 0; i < m->n_pfs; i++)
                if (worker_busy(m->pfs[i]->worker)) {
                        _cleanup_free_ char *action = worker_current_action(m->pfs[i]->worker);

                        log_internal(LOG_WARNING, 0, m->pfs[i]->address, m->pfs[i]->policy, NULL,
                                     "exiting with a write still in the kernel: %s", action ?: "(between writes)");
                }
        (void) sd_event_exit(m->event, m->exit_code);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->stop_expired = true;
        log_info("still waiting for the kernel after StopTimeoutSec=%" PRIu64 "s; exiting", m->config.stop_timeout_usec / 1000000);
        check_stopped(m);
        return 0;
}

void manager_stop(Manager *m, int exit_code) {
        int r;

        if (!m->context.stopping) {
                m->exit_code = exit_code;
                r = sd_event_add_time_relative(m->event, &m->stop_timer, CLOCK_MONOTONIC,
                                               m->config.stop_timeout_usec, 0, on_stop_timeout, m);
                if (r < 0)
                        log_warning_errno(r, "Cannot bound the stop, waiting for the jobs: %m");
        }
        m->context.stopping = true;
        for (size_t i = 0; i < m->n_pfs; i++)
                m->pfs[i]->queued = false;
        check_stopped(m);
}

static void on_pf_changed(Pf *pf, void *userdata) {
        Manager *m = userdata;

        EMIT_PF(m, pf_changed, pf);
        manager_update_status(m);
}

static void on_pf_settled(Pf *pf, bool all, void *userdata) {
        Manager *m = userdata;

        EMIT_PF(m, pf_settled, pf, all);
        manager_update_status(m);
        check_stopped(m);
}

static void on_pf_gone(Pf *pf, void *userdata) {
        manager_drop_pf(userdata, pf);
}

static const PfObserver pf_observer = {
        .changed = on_pf_changed,
        .settled = on_pf_settled,
        .gone = on_pf_gone,
};

static int on_signal_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("stopping on %s; nothing more is written", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        manager_stop(m, 0);
        return 0;
}

static int on_signal_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) sd_notify(false, "RELOADING=1");
        (void) manager_reload(m, NULL);
        (void) sd_notify(false, "READY=1");
        manager_update_status(m);
        return 0;
}

static int on_worker_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        uint64_t n;

        bool busy = false;

        (void) read(fd, &n, sizeof(n));
        /* Results drop PFs from the table: walk it from the end. */
        for (size_t i = m->n_pfs; i > 0; i--) {
                Pf *pf = m->pfs[i - 1];

                pf_process_progress(pf);
                pf_process_result(pf);
        }
        for (size_t i = 0; i < m->n_pfs && !busy; i++)
                busy = worker_busy(m->pfs[i]->worker);
        /* Snapshots are built in each worker thread's malloc arena, whose freed pages glibc keeps:
         * hand them back once the host has settled rather than hold a burst's worth for good. */
        if (!busy)
                (void) malloc_trim(0);
        return 0;
}

int manager_new(const ManagerOptions *options, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        sigset_t mask;
        int r;

        if (!m)
                return log_error_errno(ENOMEM, "Out of memory");
        m->options = *options;
        m->context = (PfContext) {
                .notify_fd = -EBADF,
                .config = &m->config,
                .netlink_relay = options->netlink_relay,
                .observer = &pf_observer,
                .userdata = m,
        };

        r = load_config(m, &m->config);
        if (r < 0)
                return log_error_errno(r, "%s has errors; fix them and start again", m->options.config_file ?: SRIOVD_CONFIG_FILE);
        apply_log_level(m);
        r = load_policies(m, &m->context.policies);
        if (r < 0)
                return r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        m->context.event = m->event;
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot set up the watchdog, continuing without: %m");

        /* Blocked before any worker thread exists, so that they all inherit it and only the
         * event loop's signalfd sees these. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Cannot block signals: %m");
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal_stop, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal_stop, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_signal_reload, m)) < 0)
                return log_error_errno(r, "Cannot watch signals: %m");

        m->context.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->context.notify_fd < 0)
                return log_error_errno(errno, "Cannot create an eventfd: %m");
        r = sd_event_add_io(m->event, &m->notify_source, m->context.notify_fd, EPOLLIN, on_worker_notify, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the workers: %m");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_pfs; i++)
                pf_free(m->pfs[i]);
        free(m->pfs);
        free(m->observers);
        pci_names_free(m->context.names);
        sd_event_source_disable_unref(m->notify_source);
        sd_event_source_disable_unref(m->stop_timer);
        if (m->context.notify_fd >= 0)
                close(m->context.notify_fd);
        policy_set_unref(m->context.policies);
        sd_event_unref(m->event);
        free(m->status);
        return mfree(m);
}

void manager_start(Manager *m) {
        log_info("sriovd " PACKAGE_VERSION " starting: %zu policies, %zu rejected",
                 m->context.policies->n_policies, strv_length(m->context.policies->rejected));
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);

        if (r < 0)
                return log_error_errno(r, "The event loop failed: %m");
        return r; /* the exit code */
}

static int pf_cmp(const void *a, const void *b) {
        return strcmp((*(Pf * const *) a)->address, (*(Pf * const *) b)->address);
}

Pf *manager_find_pf(Manager *m, const char *address) {
        Pf key = {}, *k = &key, **found;

        memcpy(key.address, address, PCI_ADDRESS_MAX);
        found = m->n_pfs > 0 ? bsearch(&k, m->pfs, m->n_pfs, sizeof(Pf *), pf_cmp) : NULL;
        return found ? *found : NULL;
}

int manager_add_pf(Manager *m, const char *address, Pf **ret) {
        Pf **t, *pf;
        int r;

        if (!pci_address_is_valid(address))
                return -EINVAL;
        pf = manager_find_pf(m, address);
        if (pf) {
                *ret = pf;
                return 0;
        }
        t = reallocarray(m->pfs, m->n_pfs + 1, sizeof(Pf *));
        if (!t)
                return -ENOMEM;
        m->pfs = t;
        r = pf_new(&m->context, address, &pf);
        if (r < 0)
                return r;
        m->pfs[m->n_pfs++] = pf;
        qsort(m->pfs, m->n_pfs, sizeof(Pf *), pf_cmp);
        EMIT_PF(m, pf_added, pf);
        *ret = pf;
        return 1;
}

void manager_drop_pf(Manager *m, Pf *pf) {
        /* While the PF is still in the table, so that whoever shows it can still find it. */
        EMIT_PF(m, pf_removed, pf);
        for (size_t i = 0; i < m->n_pfs; i++)
                if (m->pfs[i] == pf) {
                        memmove(m->pfs + i, m->pfs + i + 1, (m->n_pfs - i - 1) * sizeof(Pf *));
                        m->n_pfs--;
                        break;
                }
        pf_free(pf);
        manager_update_status(m);
}

int manager_add_observer(Manager *m, const ManagerObserver *o) {
        const ManagerObserver **t = reallocarray(m->observers, m->n_observers + 1, sizeof(ManagerObserver *));

        if (!t)
                return -ENOMEM;
        m->observers = t;
        m->observers[m->n_observers++] = o;
        return 0;
}

void manager_remove_observer(Manager *m, const ManagerObserver *o) {
        for (size_t i = 0; i < m->n_observers; i++)
                if (m->observers[i] == o) {
                        memmove(m->observers + i, m->observers + i + 1, (m->n_observers - i - 1) * sizeof(ManagerObserver *));
                        m->n_observers--;
                        return;
                }
}

Pf *manager_find_vf_owner(Manager *m, const char *vf) {
        for (size_t i = 0; i < m->n_pfs; i++)
                if (pf_owns_vf_address(m->pfs[i], vf) || worker_has_vf(m->pfs[i]->worker, vf))
                        return m->pfs[i];
        return NULL;
}

int manager_reload(Manager *m, char **ret_errors) {
        _cleanup_(policy_set_unrefp) PolicySet *s = NULL;
        DaemonConfig c;
        size_t n_changed = 0;
        int r;

        log_info("reloading the configuration and the policies");
        r = load_config(m, &c);
        if (r < 0)
                log_error("%s has errors; keeping the previous settings", m->options.config_file ?: SRIOVD_CONFIG_FILE);
        else {
                m->config = c;
                apply_log_level(m);
        }

        r = load_policies(m, &s);
        if (r < 0)
                return r;
        if (s->diagnostics.n_errors > 0) {
                /* A reload is all or nothing: a typo in one file must not drop its policy. */
                log_error("%zu error%s in the policy files; keeping the %zu policies in force",
                          s->diagnostics.n_errors, s->diagnostics.n_errors == 1 ? "" : "s", m->context.policies->n_policies);
                if (ret_errors) {
                        _cleanup_free_ char *all = NULL;

                        for (size_t i = 0; i < s->diagnostics.n_items; i++) {
                                _cleanup_free_ char *line = NULL;
                                char *t;

                                if (s->diagnostics.items[i].level != DIAGNOSTIC_ERROR ||
                                    diagnostic_format(&s->diagnostics.items[i], &line) < 0)
                                        continue;
                                if (asprintf(&t, "%s%s%s", strempty(all), all ? "\n" : "", line) < 0)
                                        break;
                                free(all);
                                all = t;
                        }
                        *ret_errors = TAKE_PTR(all);
                }
                return -EBADMSG;
        }

        policy_set_unref(m->context.policies);
        m->context.policies = TAKE_PTR(s);
        emit_changed(m, "PolicyFiles");

        /* Only PFs whose matching policy changed, by name or by content, are evaluated again. */
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                MatchResult match = {};
                bool same;

                if (!pf->snapshot || pf->state == PF_STATE_FAILED || pf->state == PF_STATE_REFUSED) {
                        pf_request(pf, PF_TRIGGER_EXPLICIT);
                        n_changed++;
                        continue;
                }
                r = policy_match(m->context.policies->policies, m->context.policies->n_policies, pf->snapshot, &match);
                same = r >= 0 &&
                       (match.policy ? streq_ptr(match.policy->path, pf->policy) && match.policy->fingerprint == pf->policy_fingerprint
                                     : !pf->policy);
                match_result_clear(&match);
                if (!same) {
                        pf_request(pf, PF_TRIGGER_EXPLICIT);
                        n_changed++;
                }
        }
        log_info("%zu policies in force; %zu PF%s to evaluate again", m->context.policies->n_policies, n_changed, n_changed == 1 ? "" : "s");
        return 0;
}

void manager_update_status(Manager *m) {
        size_t n_state[_PF_STATE_MAX] = {}, n_udev = 0;
        unsigned n_vfs = 0;
        bool all_evaluated = true;
        char status[256];
        int k;

        for (size_t i = 0; i < m->n_pfs; i++) {
                n_state[m->pfs[i]->state]++;
                n_vfs += m->pfs[i]->snapshot ? m->pfs[i]->snapshot->num_vfs : 0;
                all_evaluated = all_evaluated && m->pfs[i]->evaluated;
                n_udev += m->pfs[i]->awaiting_udev;
        }
        k = snprintf(status, sizeof(status), "%zu PF%s, %u VF%s", m->n_pfs, m->n_pfs == 1 ? "" : "s", n_vfs, n_vfs == 1 ? "" : "s");
        for (PfState s = PF_STATE_APPLYING; s < _PF_STATE_MAX; s++)
                if (s != PF_STATE_APPLIED && n_state[s] > 0 && k > 0 && (size_t) k < sizeof(status))
                        k += snprintf(status + k, sizeof(status) - (size_t) k, ", %zu %s", n_state[s], pf_state_to_string(s));
        if (n_udev > 0 && k > 0 && (size_t) k < sizeof(status))
                (void) snprintf(status + k, sizeof(status) - (size_t) k, ", %zu waiting for udev", n_udev);

        if (!streq_ptr(status, m->status)) {
                free(m->status);
                m->status = strdup(status);
                (void) sd_notifyf(false, "STATUS=%s", status);
                emit_changed(m, "Status");
        }
        /* Once stopping, whatever is ordered after sriovd is not told to go ahead. */
        if (!m->ready && all_evaluated && !m->context.stopping) {
                m->ready = true;
                log_info("ready: %s", status);
                (void) sd_notify(false, "READY=1");
        }
}
