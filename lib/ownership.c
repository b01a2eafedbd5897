/* Finds the processes holding vfio group and cdev nodes open, the way fuser does, by dev/inode. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sriovd/ownership.h"
#include "sriovd/parse-util.h"

typedef struct Target {
        dev_t dev;
        ino_t ino;
        char node[64];
        Holder **holders;       /* the device's holder array */
        size_t *n_holders;
} Target;

size_t ownership_device_nodes(const char *driver, int iommu_group, const char *vfio_cdev, char ret[2][64]) {
        size_t n = 0;

        if (!streq_ptr(driver, VFIO_PCI_DRIVER))
                return 0;
        if (iommu_group >= 0)
                snprintf(ret[n++], 64, "/dev/vfio/%d", iommu_group);
        if (vfio_cdev)
                snprintf(ret[n++], 64, "/dev/vfio/devices/%.40s", vfio_cdev);
        return n;
}

static int add_targets(const char *driver, int iommu_group, const char *vfio_cdev,
                       Holder **holders, size_t *n_holders, Target **targets, size_t *n_targets) {
        char found[2][64];
        size_t n = ownership_device_nodes(driver, iommu_group, vfio_cdev, found);

        for (size_t i = 0; i < n; i++) {
                struct stat st;
                Target *t;

                if (stat(found[i], &st) < 0)
                        continue; /* not created yet, or already gone: nobody can hold it */
                t = reallocarray(*targets, *n_targets + 1, sizeof(Target));
                if (!t)
                        return -ENOMEM;
                *targets = t;
                t = &t[(*n_targets)++];
                *t = (Target) {
                        .dev = st.st_dev,
                        .ino = st.st_ino,
                        .holders = holders,
                        .n_holders = n_holders,
                };
                memcpy(t->node, found[i], sizeof(t->node));
        }
        return 0;
}

static int read_comm(const char *pid, char **ret) {
        char path[64], buf[64];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%.20s/comm", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        while (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int add_holder(const Target *t, pid_t pid, const char *pid_s) {
        Holder *h;

        for (size_t i = 0; i < *t->n_holders; i++)
                if ((*t->holders)[i].pid == pid && streq((*t->holders)[i].node, t->node))
                        return 0;
        h = reallocarray(*t->holders, *t->n_holders + 1, sizeof(Holder));
        if (!h)
                return -ENOMEM;
        *t->holders = h;
        h = &h[(*t->n_holders)++];
        *h = (Holder) { .pid = pid };
        h->node = strdup(t->node);
        if (read_comm(pid_s, &h->comm) == -ENOMEM || !h->node)
                return -ENOMEM;
        return 0;
}

static int scan_process(const char *pid_s, const Target *targets, size_t n_targets, unsigned *unreadable) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[64];
        unsigned pid;
        struct dirent *de;
        int fd;

        if (parse_u32(pid_s, INT32_MAX, &pid) < 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%.20s/fd", pid_s);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == EACCES || errno == EPERM)
                        (*unreadable)++;
                return 0; /* a process that exited meanwhile holds nothing */
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                /* Follows the magic link to the open file, whatever path it was opened by. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        continue;
                for (size_t i = 0; i < n_targets; i++)
                        if (targets[i].dev == st.st_dev && targets[i].ino == st.st_ino) {
                                int r = add_holder(&targets[i], (pid_t) pid, pid_s);
                                if (r < 0)
                                        return r;
                        }
        }
        return 0;
}

int ownership_scan(PfSnapshot * const *pfs, size_t n_pfs, unsigned *ret_unreadable) {
        _cleanup_free_ Target *targets = NULL;
        _cleanup_(closedirp) DIR *proc = NULL;
        size_t n_targets = 0;
        unsigned unreadable = 0;
        struct dirent *de;
        int r;

        for (size_t i = 0; i < n_pfs; i++) {
                PfSnapshot *pf = pfs[i];

                r = add_targets(pf->driver, pf->iommu_group, pf->vfio_cdev, &pf->holders, &pf->n_holders,
                                &targets, &n_targets);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < pf->n_vfs; j++) {
                        VfSnapshot *vf = &pf->vfs[j];

                        r = add_targets(vf->driver, vf->iommu_group, vf->vfio_cdev, &vf->holders, &vf->n_holders,
                                        &targets, &n_targets);
                        if (r < 0)
                                return r;
                }
        }
        if (ret_unreadable)
                *ret_unreadable = 0;
        if (n_targets == 0)
                return 0; /* nothing bound to vfio-pci: skip walking /proc */
        proc = opendir("/proc");
        if (!proc)
                return -errno;
        while ((de = readdir(proc))) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                r = scan_process(de->d_name, targets, n_targets, &unreadable);
                if (r < 0)
                        return r;
        }
        if (ret_unreadable)
                *ret_unreadable = unreadable;
        return 0;
}
