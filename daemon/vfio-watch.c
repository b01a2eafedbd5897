/* Watches /dev/vfio (groups) and /dev/vfio/devices (cdevs): an open or close there may start or end
 * a VM's use of a VF, which decides whether a pending change can go ahead. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "udev.h"
#include "sriovd/parse-util.h"

#define VFIO_DIR "/dev/vfio"
#define VFIO_DEVICES_DIR "/dev/vfio/devices"
#define WATCH_MASK (IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_ONLYDIR)

struct VfioWatch {
        Manager *manager;
        sd_event_source *groups;
        sd_event_source *cdevs;
};

static void affected(VfioWatch *w, int group, const char *cdev) {
        Manager *m = w->manager;

        for (size_t i = 0; i < m->n_pfs; i++)
                if (pf_uses_vfio_node(m->pfs[i], group, cdev))
                        pf_request(m->pfs[i], PF_TRIGGER_DEVICE);
}

static int on_groups(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        VfioWatch *w = userdata;
        unsigned group;

        if (ev->mask & (IN_DELETE_SELF | IN_IGNORED)) {
                w->groups = sd_event_source_disable_unref(w->groups);
                return 0;
        }
        if (ev->len > 0 && streq(ev->name, "devices") && (ev->mask & IN_CREATE))
                vfio_watch_refresh(w);
        if (ev->len > 0 && parse_u32(ev->name, INT32_MAX, &group) >= 0)
                affected(w, (int) group, NULL);
        return 0;
}

static int on_cdevs(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        VfioWatch *w = userdata;

        if (ev->mask & (IN_DELETE_SELF | IN_IGNORED)) {
                w->cdevs = sd_event_source_disable_unref(w->cdevs);
                return 0;
        }
        if (ev->len > 0 && startswith(ev->name, "vfio"))
                affected(w, -1, ev->name);
        return 0;
}

void vfio_watch_refresh(VfioWatch *w) {
        Manager *m;
        int r;

        if (!w)
                return;
        m = w->manager;
        /* called for every PF that comes and goes: a look before trying to watch spares an open()
         * that fails on every host without vfio-pci loaded */
        if (!w->groups && access(VFIO_DIR, F_OK) >= 0) {
                r = sd_event_add_inotify(m->event, &w->groups, VFIO_DIR, WATCH_MASK, on_groups, w);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Cannot watch %s, vfio holders are noticed only on udev events: %m", VFIO_DIR);
                else if (r >= 0)
                        log_debug("watching %s", VFIO_DIR);
        }
        if (!w->cdevs && access(VFIO_DEVICES_DIR, F_OK) >= 0) {
                r = sd_event_add_inotify(m->event, &w->cdevs, VFIO_DEVICES_DIR, WATCH_MASK, on_cdevs, w);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Cannot watch %s: %m", VFIO_DEVICES_DIR);
        }
}

int vfio_watch_new(Manager *m, VfioWatch **ret) {
        VfioWatch *w = calloc(1, sizeof(VfioWatch));

        if (!w)
                return log_error_errno(ENOMEM, "Out of memory");
        w->manager = m;
        vfio_watch_refresh(w);
        *ret = w;
        return 0;
}

VfioWatch *vfio_watch_free(VfioWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->groups);
        sd_event_source_disable_unref(w->cdevs);
        return mfree(w);
}
