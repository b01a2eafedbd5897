/* The executor: a plan's actions, one sysfs write each, and the checks that the kernel did them. */
#include <stdio.h>
#include <stdlib.h>

#include "job.h"
#include "log.h"
#include "write-process.h"

/* A driver can take a moment to show up in the driver link after drivers_probe returned. */
#define BIND_SETTLE_USEC (2 * UINT64_C(1000000))

/* Whether the PF's driver is no longer the one the plan was made for: unbound (or replaced) while
 * a write was in the kernel. What the kernel answered is then about that, not about the driver the
 * plan named, and the unbind's own event plans the PF again. */
static bool pf_driver_went_away(Job *j, char **ret_now) {
        _cleanup_free_ char *driver = NULL;

        if (!j->result->snapshot->driver || sysfs_read_driver(j->address, &driver) < 0 ||
            streq_ptr(driver, j->result->snapshot->driver))
                return false;
        *ret_now = TAKE_PTR(driver);
        return true;
}

static int finish_driver_gone(Job *j, int error, const char *what, const char *now) {
        return job_finish(j, JOB_FAILED, error, "the PF driver %s went away during %s (the PF is now on %s)",
                          j->result->snapshot->driver, what, now ?: "no driver");
}

/* After sriov_numvfs=n: the kernel says n, the n virtfn links exist, and udev has announced each
 * VF (or, for 0, none of the old ones is left). */
static int wait_vfs(Job *j, unsigned n, char * const *before) {
        for (;;) {
                _cleanup_strv_free_ char **vfs = NULL;
                _cleanup_free_ char *num = NULL;
                unsigned actual = 0;
                int r;

                if (job_cancelled(j))
                        return job_finish(j, JOB_CANCELLED, 0, NULL);
                r = sysfs_read_attribute(j->address, "sriov_numvfs", &num);
                if (r < 0)
                        return job_finish(j, r == -ENODEV ? JOB_GONE : JOB_FAILED, r, "cannot read sriov_numvfs: %s", strerror(-r));
                if (parse_u32(num, PCI_SRIOV_VFS_MAX, &actual) < 0)
                        return job_finish(j, JOB_FAILED, -EBADMSG, "sriov_numvfs reads \"%s\"", num);
                if (actual != n) {
                        _cleanup_free_ char *now = NULL;

                        if (pf_driver_went_away(j, &now))
                                return finish_driver_gone(j, -ENODEV, n > 0 ? "the VFs' creation" : "the VFs' removal", now);
                        /* The write succeeded, so this is the driver's answer, not a race; doing it
                         * again would tear down the VFs it did enable for the same answer. */
                        j->result->no_retry = true;
                        return job_finish(j, JOB_FAILED, -EIO, "asked for %u VFs, but the kernel enabled %u", n, actual);
                }

                r = sysfs_read_vf_addresses(j->address, n, &vfs);
                if (r >= 0 && j->hooks->vfs_announced(j->userdata, vfs, n == 0 ? before : NULL))
                        return 0;
                if (job_wait(j, j->deadline))
                        continue;
                if (n > 0)
                        return job_finish(j, JOB_FAILED, -ETIMEDOUT, "the %u VFs did not all appear (virtfn links and udev events)", n);
                return job_finish(j, JOB_FAILED, -ETIMEDOUT, "the VFs did not all go away (virtfn links and udev events)");
        }
}

/* The kernel can return success from drivers_probe and bind nothing, or bind another driver. */
static int verify_driver(Job *j, const Action *a) {
        uint64_t deadline = now_usec() + BIND_SETTLE_USEC;

        for (;;) {
                _cleanup_free_ char *driver = NULL;
                int r;

                r = sysfs_read_driver(a->device, &driver);
                if (r < 0)
                        return job_finish(j, JOB_FAILED, r, "cannot read the driver of %s: %s", a->device, strerror(-r));
                if (streq_ptr(driver, a->driver))
                        return 0;
                if (job_cancelled(j))
                        return job_finish(j, JOB_CANCELLED, 0, NULL);
                if (!job_wait(j, deadline)) {
                        if (driver)
                                return job_finish(j, JOB_FAILED, -EIO, "%s was probed for %s, but %s took it", a->device, a->driver, driver);
                        return job_finish(j, JOB_FAILED, -EIO, "%s was probed for %s, but no driver bound it", a->device, a->driver);
                }
        }
}

/* What a failed sriov_numvfs write says about the PF, as job_execute returns it; 0 when it is an
 * error like any other. */
static int num_vfs_failed(Job *j, const Action *a, int r, const char *what) {
        _cleanup_free_ char *now = NULL;

        if (pf_driver_went_away(j, &now))
                return finish_driver_gone(j, r, what, now);
        /* ENOENT on a PF with a driver: that driver has no sriov_configure. Plan again knowing
         * that, so Unmanaged= decides. */
        if (r == -ENOENT && j->result->snapshot->driver && !(j->flags & PLAN_PF_DRIVER_CANNOT_SRIOV)) {
                log_internal(LOG_INFO, 0, j->address, NULL, NULL,
                             "the PF driver %s cannot enable VFs (sriov_numvfs: ENOENT); planning for a PF without one",
                             j->result->snapshot->driver);
                j->flags |= PLAN_PF_DRIVER_CANNOT_SRIOV;
                return -EAGAIN;
        }
        /* These errors from a non-zero count on a PF with a driver are that driver's
         * sriov_configure saying no (igb without MSI-X answers EPERM, which would read like sriovd
         * lacking a permission). The same write would get the same answer: say whose it is and
         * wait for a reload or a change of driver. */
        if (a->number > 0 && j->result->snapshot->driver &&
            (r == -EPERM || r == -EINVAL || r == -EOPNOTSUPP || r == -ERANGE)) {
                j->result->no_retry = true;
                return job_finish(j, JOB_FAILED, r, "the PF driver %s refused %u VFs (sriov_numvfs: %s, %s)",
                                  j->result->snapshot->driver, a->number, errno_name(r) ?: "error", strerror(-r));
        }
        return 0;
}

static void writer_spawned(pid_t pid, const char *path, const char *value, void *userdata) {
        job_record_writer(userdata, pid, path, value);
}

int job_execute(Job *j, const Action *a, char * const *vfs_before) {
        _cleanup_free_ char *path = NULL, *value = NULL, *what = NULL;
        int r;

        if (job_cancelled(j))
                return job_finish(j, JOB_CANCELLED, 0, NULL);
        if (action_to_string(a, &what) < 0)
                return job_finish(j, JOB_FAILED, -ENOMEM, "out of memory");

        switch (a->kind) {
        case ACTION_WAIT_VFS:
                job_set_current(j, what);
                return wait_vfs(j, a->number, vfs_before);
        case ACTION_VERIFY_DRIVER:
                job_set_current(j, what);
                return verify_driver(j, a);
        default:
                break;
        }

        r = job_guard_resize(j, a);
        if (r != 0)
                return r;
        r = action_sysfs_write(a, &path, &value);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot %s: %s", what, strerror(-r));
        /* Whatever a plan was built from, it only ever writes PCI attributes sriovd owns. */
        r = sysfs_check_path(path);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "refusing to %s: %s is not a PCI attribute sriovd writes", what, path);

        job_set_current(j, what);
        job_count_write(j);
        log_internal(LOG_DEBUG, 0, j->address, NULL, NULL, "%s", what);
        /* A count change and an unbind wait in the kernel for whoever uses the device (a VM
         * holding a VF's vfio device open, unseen in /proc when only the device fd is left): in
         * a child process, a stop does not wait for them. */
        if (a->kind == ACTION_SET_NUM_VFS || a->kind == ACTION_UNBIND)
                r = write_process_write(path, value, writer_spawned, j);
        else
                r = sysfs_write(path, value);
        job_set_current(j, NULL);
        if (r >= 0)
                return 0;

        if (a->kind == ACTION_SET_NUM_VFS) {
                int q = num_vfs_failed(j, a, r, what);
                if (q != 0)
                        return q;
        }
        return job_finish(j, JOB_FAILED, r, "%s failed: %s (%s)", what, errno_name(r) ?: "error", strerror(-r));
}
