/* A job's apply record: found at its start, kept up to date before its writes, removed once the PF is applied. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "log.h"

static char *record_dir;

int job_records_init(const char *dir) {
        free(record_dir);
        record_dir = NULL;
        if (!dir)
                return 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (access(dir, W_OK) < 0)
                return -errno;
        record_dir = strdup(dir);
        return record_dir ? 0 : -ENOMEM;
}

static uint64_t realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void record_save(Job *j) {
        int r;

        if (!record_dir)
                return;
        r = apply_record_save(record_dir, j->address, j->record);
        /* The apply does not depend on it; a successor would only have less to go on. */
        if (r < 0 && !j->record_save_failed)
                log_internal(LOG_WARNING, r, j->address, NULL, NULL, "cannot write the apply record in %s: %s",
                             record_dir, strerror(-r));
        j->record_save_failed = r < 0;
}

/* Is pid the writer process the record names, still running? Its command line says which write it makes. */
static bool writer_running(const ApplyRecord *rec) {
        _cleanup_free_ char *path = NULL, *want = NULL;
        char buf[8192];
        ssize_t n;
        int fd;

        if (rec->writer <= 0 || !rec->writer_write)
                return false;
        if (asprintf(&path, "/proc/%d/cmdline", (int) rec->writer) < 0)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        /* "sriovd-write\0PATH\0VALUE\0", as the record has it: "PATH VALUE" */
        if (buf[n - 1] == '\0')
                n--;
        buf[n] = '\0';
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == '\0')
                        buf[i] = ' ';
        if (asprintf(&want, "sriovd-write %s", rec->writer_write) < 0)
                return false;
        return streq(buf, want);
}

void job_record_load(Job *j) {
        ApplyRecord *rec = NULL;
        int r;

        if (!record_dir)
                return;
        r = apply_record_load(record_dir, j->address, &rec);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_internal(LOG_WARNING, r, j->address, NULL, NULL, "ignoring the apply record in %s: %s", record_dir,
                             strerror(-r));
                return;
        }
        j->record = rec;
        j->record_foreign = rec->pid != getpid();
}

/* "the apply sriovd 123 began at 2026-12-07 20:57:52 (/etc/sriovd.d/50-nic.conf) did not finish" */
static char *record_unfinished(const ApplyRecord *rec) {
        char when[64] = "", *text;
        time_t t = (time_t) (rec->realtime_usec / 1000000);
        struct tm tm;

        if (localtime_r(&t, &tm))
                (void) strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        if (asprintf(&text, "the apply sriovd %d began at %s (%s) did not finish", (int) rec->pid, when, strna(rec->policy)) < 0)
                return NULL;
        return text;
}

int job_record_wait_writer(Job *j) {
        _cleanup_free_ char *what = NULL, *unfinished = NULL, *text = NULL;

        if (!j->record || !j->record_foreign || !writer_running(j->record))
                return 0;
        /* The last sriovd was stopped or killed while the kernel held its write. Reading the PF
         * now would wait behind the same lock, and writing would race the store: wait for it. */
        unfinished = record_unfinished(j->record);
        if (!unfinished ||
            asprintf(&what, "waiting for the write the last sriovd left in the kernel (pid %d: %s)",
                     (int) j->record->writer, j->record->writer_write) < 0 ||
            asprintf(&text, "%s: its write %s (pid %d) is still in the kernel", unfinished, j->record->writer_write,
                     (int) j->record->writer) < 0)
                return job_finish(j, JOB_FAILED, -ENOMEM, "out of memory");
        log_internal(LOG_NOTICE, 0, j->address, NULL, NULL, "%s", what);
        /* status shows it now: what the PF looks like is known only once the write returns */
        j->hooks->interrupted(j->userdata, text);
        job_set_current(j, what);
        while (writer_running(j->record)) {
                if (job_cancelled(j))
                        return job_finish(j, JOB_CANCELLED, 0, NULL);
                if (!job_wait(j, j->deadline))
                        return job_finish(j, JOB_FAILED, -ETIMEDOUT, "the write the last sriovd left in the kernel has not returned (pid %d: %s)",
                                          (int) j->record->writer, j->record->writer_write);
        }
        job_set_current(j, NULL);
        return 0;
}

static unsigned vfs_on_policy_driver(const Job *j, const PfSnapshot *s, unsigned *ret_wanted) {
        unsigned n = 0, wanted = 0;

        for (size_t i = 0; i < s->n_vfs; i++) {
                const char *d = policy_vf_driver(j->policy, s->vfs[i].index);

                if (!d)
                        continue;
                wanted++;
                n += streq_ptr(s->vfs[i].driver, d);
        }
        *ret_wanted = wanted;
        return n;
}

void job_record_found(Job *j) {
        const PfSnapshot *s = j->result->snapshot;
        const ApplyRecord *rec = j->record;
        _cleanup_free_ char *text = NULL, *vfs = NULL, *autoprobe = NULL, *unfinished = NULL;
        unsigned on, wanted;

        if (!rec || !j->record_foreign || j->record_reported || !s)
                return;
        j->record_reported = true;
        unfinished = record_unfinished(rec);
        if (!unfinished)
                return;
        wanted = 0;
        on = j->policy ? vfs_on_policy_driver(j, s, &wanted) : 0;
        if (wanted > 0 && asprintf(&vfs, ", %u of them on their policy's driver", on) < 0)
                return;
        if (rec->drivers_autoprobe >= 0 &&
            asprintf(&autoprobe, ", sriov_drivers_autoprobe=%d (%d before that apply)", s->drivers_autoprobe,
                     rec->drivers_autoprobe) < 0)
                return;
        if (asprintf(&text, "%s: found %u VF%s%s%s", unfinished, s->num_vfs, s->num_vfs == 1 ? "" : "s", strempty(vfs),
                     strempty(autoprobe)) < 0)
                return;
        log_internal(LOG_NOTICE, 0, j->address, rec->policy, NULL, "%s; %s", text,
                     j->policy ? "finishing it" : "no policy matches the PF now: putting back what that apply changed for the time being");
        j->hooks->interrupted(j->userdata, text);
}

/* The device's driver_override as the snapshot has it; NULL for a VF this plan creates. */
static const char *override_now(const PfSnapshot *s, const char *device) {
        if (streq(s->address, device))
                return s->driver_override;
        for (size_t i = 0; i < s->n_vfs; i++)
                if (streq(s->vfs[i].address, device))
                        return s->vfs[i].driver_override;
        return NULL;
}

void job_record_update(Job *j) {
        const PfSnapshot *s = j->result->snapshot;
        const Plan *plan = j->result->plan;
        bool changed = false;
        int r;

        if (!record_dir)
                return;
        if (!j->record) {
                r = apply_record_new(getpid(), realtime_usec(), j->result->policy, &j->record);
                if (r < 0)
                        return;
                changed = true;
        } else if (j->record_foreign || !streq_ptr(j->record->policy, j->result->policy)) {
                /* This sriovd carries the apply on; what the first one saved still holds. */
                j->record->pid = getpid();
                j->record->realtime_usec = realtime_usec();
                (void) free_and_strdup(&j->record->policy, j->result->policy);
                j->record_foreign = false;
                changed = true;
        }
        for (size_t i = 0; i < plan->n_actions; i++) {
                const Action *a = &plan->actions[i];

                switch (a->kind) {
                case ACTION_SET_DRIVERS_AUTOPROBE:
                        if (j->record->drivers_autoprobe < 0 && s->drivers_autoprobe >= 0) {
                                j->record->drivers_autoprobe = s->drivers_autoprobe;
                                changed = true;
                        }
                        break;
                case ACTION_SET_UNMANAGED_AUTOPROBE:
                        if (j->record->unmanaged_autoprobe < 0 && s->unmanaged_autoprobe >= 0) {
                                j->record->unmanaged_autoprobe = s->unmanaged_autoprobe;
                                changed = true;
                        }
                        break;
                case ACTION_SET_DRIVER_OVERRIDE:
                        if (a->driver && apply_record_add_override(j->record, a->device, a->driver,
                                                                   override_now(s, a->device)) > 0)
                                changed = true;
                        break;
                default:
                        break;
                }
        }
        if (changed)
                record_save(j);
}

void job_record_writer(Job *j, pid_t pid, const char *path, const char *value) {
        _cleanup_free_ char *write = NULL;

        if (!record_dir || !j->record || asprintf(&write, "%s %s", path, value) < 0)
                return;
        j->record->writer = pid;
        free(j->record->writer_write);
        j->record->writer_write = TAKE_PTR(write);
        record_save(j);
}

void job_record_end(Job *j) {
        JobOutcome o = j->result->outcome;

        /* Until the PF is as its policy says, what the record saved is still to be put back. */
        bool unmanaged_done = o == JOB_UNMANAGED && !(j->result->plan && j->result->plan->state == PLAN_PENDING);

        if (record_dir && j->record && (o == JOB_APPLIED || o == JOB_IN_SYNC || o == JOB_GONE || unmanaged_done)) {
                int r = apply_record_remove(record_dir, j->address);
                if (r < 0)
                        log_internal(LOG_WARNING, r, j->address, NULL, NULL, "cannot remove the apply record: %s", strerror(-r));
        }
        j->record = apply_record_free(j->record);
}
