/* A PF's worker thread and its one-deep job queue: the event loop hands it jobs, it hands back results. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

/* The waits inside a job also poll, as a backstop for a uevent that never comes. */
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
        char *interrupted;              /* what the running job found the last sriovd left */
        JobResult *result;
};

/* Wakes the event loop. Nobody waits for an orphan, and its notify fd may be closed and reused by
 * now. Called with the lock held. */
static void notify(Worker *w) {
        if (!w->orphaned)
                (void) write(w->notify_fd, &(uint64_t) { 1 }, sizeof(uint64_t));
}

/* ---- what a job asks of the thread that runs it ---- */

static bool hook_cancelled(void *userdata) {
        Worker *w = userdata;
        bool c;

        pthread_mutex_lock(&w->lock);
        c = w->cancel || w->quit;
        pthread_mutex_unlock(&w->lock);
        return c;
}

static void hook_wait(void *userdata, uint64_t until_usec) {
        Worker *w = userdata;
        uint64_t now = now_usec(), until = now + WAIT_POLL_USEC < until_usec ? now + WAIT_POLL_USEC : until_usec;
        /* The condition variable runs on CLOCK_MONOTONIC, as now_usec() does. */
        struct timespec ts = {
                .tv_sec = (time_t) (until / 1000000),
                .tv_nsec = (long) (until % 1000000) * 1000,
        };

        pthread_mutex_lock(&w->lock);
        if (!w->cancel && !w->quit)
                (void) pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        pthread_mutex_unlock(&w->lock);
}

static bool hook_vfs_announced(void *userdata, char * const *present, char * const *gone) {
        Worker *w = userdata;
        bool ready = true;

        pthread_mutex_lock(&w->lock);
        for (char * const *v = present; ready && v && *v; v++)
                ready = strv_contains(w->present, *v);
        for (char * const *v = gone; ready && v && *v; v++)
                ready = !strv_contains(w->present, *v);
        pthread_mutex_unlock(&w->lock);
        return ready;
}

static void hook_set_current(void *userdata, const char *what) {
        Worker *w = userdata;
        char *s = what ? strdup(what) : NULL;

        pthread_mutex_lock(&w->lock);
        free(w->current);
        w->current = s;
        /* An apply past its timeout names the write it waits on; tell the loop when that moves on. */
        if (s)
                notify(w);
        pthread_mutex_unlock(&w->lock);
}

static void hook_writing(void *userdata) {
        Worker *w = userdata;

        pthread_mutex_lock(&w->lock);
        w->writing = true;
        notify(w);
        pthread_mutex_unlock(&w->lock);
}

static void hook_interrupted(void *userdata, const char *text) {
        Worker *w = userdata;
        char *s = strdup(text);

        pthread_mutex_lock(&w->lock);
        free(w->interrupted);
        w->interrupted = s;
        notify(w);
        pthread_mutex_unlock(&w->lock);
}

static const JobHooks job_hooks = {
        .cancelled = hook_cancelled,
        .wait = hook_wait,
        .vfs_announced = hook_vfs_announced,
        .set_current = hook_set_current,
        .writing = hook_writing,
        .interrupted = hook_interrupted,
};

/* ---- the thread ---- */

static void worker_release(Worker *w) {
        strv_free(w->present);
        free(w->current);
        free(w->interrupted);
        free(w->netlink_relay);
        job_result_free(w->result);
        policy_set_unref(w->policies);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
}

static void *worker_thread(void *userdata) {
        Worker *w = userdata;

        for (;;) {
                Job j = { .address = w->address, .hooks = &job_hooks, .userdata = w };
                _cleanup_free_ char *relay = NULL;

                pthread_mutex_lock(&w->lock);
                while (!w->has_job && !w->quit)
                        pthread_cond_wait(&w->wake, &w->lock);
                if (w->quit) {
                        bool free_self = w->orphaned;

                        pthread_mutex_unlock(&w->lock);
                        /* worker_free() ran while the thread was stuck: clean up here. */
                        if (free_self)
                                worker_release(w);
                        return NULL;
                }
                w->has_job = false;
                w->running = true;
                w->writing = false;
                j.policies = TAKE_PTR(w->policies);
                j.netlink_relay = relay = TAKE_PTR(w->netlink_relay);
                j.deadline = now_usec() + w->timeout_usec;
                w->cancel = false;
                pthread_mutex_unlock(&w->lock);

                j.result = calloc(1, sizeof(JobResult));
                if (j.result) {
                        j.result->eswitch_mode = _ESWITCH_MODE_INVALID;
                        job_run(&j);
                }
                policy_set_unref(j.policies);

                pthread_mutex_lock(&w->lock);
                job_result_free(w->result);
                w->result = j.result;
                w->running = false;
                notify(w);
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
        worker_release(w);
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

char *worker_take_interrupted(Worker *w) {
        char *s;

        pthread_mutex_lock(&w->lock);
        s = TAKE_PTR(w->interrupted);
        pthread_mutex_unlock(&w->lock);
        return s;
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
