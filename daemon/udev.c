/* udev events in: the sd-device monitor on the pci and net subsystems, and coldplug enumeration at start. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <systemd/sd-device.h>

#include "log.h"
#include "udev.h"
#include "sriovd/ownership.h"
#include "sriovd/uevent.h"

#define NEW_PF_DRIVER_WAIT_USEC (2 * UINT64_C(1000000))
#define UDEV_CONTROL_SOCKET "/run/udev/control"
#define UDEV_QUEUE_FILE "/run/udev/queue"
/* A PF udev processed less than this long ago may still be in its driver's probe. */
#define PROBE_WINDOW_USEC (60 * UINT64_C(1000000))

struct Udev {
        Manager *manager;
        sd_device_monitor *monitor;
        sd_event_source *udev_timeout;  /* armed while a PF found at start waits for udev */
        bool udev_running;
        VfioWatch *vfio;
        LinkWatch *links;
};

static const char *action_name(sd_device_action_t a) {
        static const char * const names[_SD_DEVICE_ACTION_MAX] = {
                [SD_DEVICE_ADD] = "add", [SD_DEVICE_REMOVE] = "remove", [SD_DEVICE_CHANGE] = "change",
                [SD_DEVICE_MOVE] = "move", [SD_DEVICE_ONLINE] = "online", [SD_DEVICE_OFFLINE] = "offline",
                [SD_DEVICE_BIND] = "bind", [SD_DEVICE_UNBIND] = "unbind",
        };
        return a >= 0 && a < _SD_DEVICE_ACTION_MAX ? names[a] : "?";
}

static bool has_attribute(sd_device *d, const char *name) {
        const char *syspath;
        char path[4096];

        if (sd_device_get_syspath(d, &syspath) < 0)
                return false;
        snprintf(path, sizeof(path), "%s/%s", syspath, name);
        return access(path, F_OK) >= 0;
}

static char *read_physfn(sd_device *d) {
        const char *syspath;
        char path[4096], target[4096];
        ssize_t n;

        if (sd_device_get_syspath(d, &syspath) < 0)
                return NULL;
        snprintf(path, sizeof(path), "%s/physfn", syspath);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return NULL;
        target[n] = '\0';
        return strdup(target);
}

/* udevd runs when its control socket exists: udevadm settle asks the same. */
static bool udev_running(void) {
        return access(UDEV_CONTROL_SOCKET, F_OK) >= 0;
}

static int device_initialized(sd_device *d, const char *name, char **ret_device) {
        int r = sd_device_get_is_initialized(d);

        if (r < 0)
                return r;
        if (r > 0)
                return 0;
        *ret_device = strdup(name);
        return *ret_device ? 1 : -ENOMEM;
}

/* Returns 1 with ret_device naming the first of the PF and its netdevs that udev has not
 * initialized yet (processed with its rules, a netdev renamed), 0 when udev is done with all.
 * A netdev always gets udev's database entry; a PCI device only when a rule or the hardware
 * database gave it a property, so one without is taken as done once udev's queue is empty (the
 * file udevadm settle waits for). */
static int pf_find_uninitialized(const char *address, char **ret_device) {
        _cleanup_(sd_device_unrefp) sd_device *d = NULL;
        _cleanup_(closedirp) DIR *dir = NULL;
        const char *syspath;
        char path[4096];
        struct dirent *de;
        int r;

        r = sd_device_new_from_subsystem_sysname(&d, "pci", address);
        if (r < 0)
                return r;
        if (access(UDEV_QUEUE_FILE, F_OK) >= 0) {
                r = device_initialized(d, address, ret_device);
                if (r != 0)
                        return r;
        }
        r = sd_device_get_syspath(d, &syspath);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/net", syspath);
        dir = opendir(path);
        if (!dir)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dir))) {
                _cleanup_(sd_device_unrefp) sd_device *n = NULL;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/net/%s", syspath, de->d_name);
                /* Renamed (or removed) since readdir(): udev is renaming it right now, and has
                 * not written its database entry yet. Its event follows and checks again. */
                if (sd_device_new_from_syspath(&n, path) < 0) {
                        *ret_device = strdup(de->d_name);
                        return *ret_device ? 1 : -ENOMEM;
                }
                r = device_initialized(n, de->d_name, ret_device);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* While the host is still coming up, a PF udev has just processed may be in its driver's probe:
 * nvme probes asynchronously, and igb registers its netdev (which udev renames) before the
 * driver link exists. Evaluated now, it would be taken for a driverless PF. */
static bool may_be_probing(const char *address) {
        _cleanup_(sd_device_unrefp) sd_device *d = NULL;
        const char *driver;
        uint64_t since;

        if (sd_device_new_from_subsystem_sysname(&d, "pci", address) < 0 ||
            sd_device_get_driver(d, &driver) >= 0 ||
            sd_device_get_usec_since_initialized(d, &since) < 0)
                return false;
        return since < PROBE_WINDOW_USEC;
}

/* A PF found at start, once udev is done with it: evaluated now, or, driverless while the host is
 * coming up, once a driver binds or the time a new PF gets for one has passed. */
static void evaluate_first(Udev *u, Pf *pf) {
        if (u->udev_running && may_be_probing(pf->address)) {
                log_internal(LOG_DEBUG, 0, pf->address, NULL, NULL, "no driver yet; waiting for one to bind");
                pf_request_settled(pf, NEW_PF_DRIVER_WAIT_USEC);
        } else
                pf_request(pf, PF_TRIGGER_EXPLICIT);
}

static void udev_timeout_update(Udev *u) {
        for (size_t i = 0; i < u->manager->n_pfs; i++)
                if (u->manager->pfs[i]->awaiting_udev)
                        return;
        /* nobody waits: the daemon stays idle without a wakeup */
        u->udev_timeout = sd_event_source_disable_unref(u->udev_timeout);
}

/* An event of a PF that waits for udev, or of its netdev: evaluate the PF once udev is done
 * with all of them. The event itself is covered by that evaluation. */
static void udev_recheck(Udev *u, Pf *pf) {
        _cleanup_free_ char *device = NULL;
        int r;

        r = pf_find_uninitialized(pf->address, &device);
        if (r > 0) {
                log_debug("%s: udev has not initialized %s yet", pf->address, device);
                return;
        }
        /* r < 0: the PF went away or cannot be read; the evaluation finds out which */
        log_internal(LOG_DEBUG, 0, pf->address, NULL, NULL, "udev initialized the PF");
        if (pf_udev_done(pf))
                evaluate_first(u, pf);
        udev_timeout_update(u);
        manager_update_status(u->manager);
}

static int on_udev_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Udev *u = userdata;
        Manager *m = u->manager;

        u->udev_timeout = sd_event_source_disable_unref(u->udev_timeout);
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                _cleanup_free_ char *device = NULL;

                if (!pf->awaiting_udev)
                        continue;
                if (pf_find_uninitialized(pf->address, &device) > 0)
                        log_internal(LOG_WARNING, 0, pf->address, NULL, NULL,
                                     "udev has not initialized %s after %" PRIu64 "s (UdevTimeoutSec=); evaluating the PF as it is",
                                     device, m->config.udev_timeout_usec / 1000000);
                if (pf_udev_done(pf))
                        pf_request(pf, PF_TRIGGER_EXPLICIT);
        }
        manager_update_status(m);
        return 0;
}

/* A PF's netdev appeared (drivers create it after the bind, sometimes much later) or was renamed:
 * its VFs' netdev settings can be applied now. A VF's netdev that appears or is renamed is only
 * reported: its PF is read again. */
static int on_net_device(Udev *u, sd_device *d, sd_device_action_t action) {
        Manager *m = u->manager;
        sd_device *parent;
        const char *address;
        Pf *pf;

        if (sd_device_get_parent_with_subsystem_devtype(d, "pci", NULL, &parent) < 0 ||
            sd_device_get_sysname(parent, &address) < 0)
                return 0;
        pf = manager_find_pf(m, address);
        if (pf && pf->awaiting_udev) {
                udev_recheck(u, pf);
                return 0;
        }
        if (action != SD_DEVICE_ADD && action != SD_DEVICE_MOVE)
                return 0;
        if (!pf) {
                pf = manager_find_vf_owner(m, address);
                if (pf) {
                        log_debug("uevent %s net device of VF %s", action_name(action), address);
                        pf_request(pf, PF_TRIGGER_DEVICE);
                }
                return 0;
        }
        log_debug("uevent %s net device of %s", action_name(action), address);
        pf_request(pf, PF_TRIGGER_EXPLICIT);
        return 0;
}

static int on_device(sd_device_monitor *monitor, sd_device *d, void *userdata) {
        Udev *u = userdata;
        Manager *m = u->manager;
        const char *subsystem = NULL;
        _cleanup_free_ char *physfn = NULL;
        sd_device_action_t action;
        UeventFacts facts = {};
        UeventMeaning meaning;
        char owner[PCI_ADDRESS_MAX];
        const char *driver = NULL;
        Pf *pf;
        int r;

        if (sd_device_get_action(d, &action) < 0 || sd_device_get_sysname(d, &facts.sysname) < 0)
                return 0;
        if (sd_device_get_subsystem(d, &subsystem) >= 0 && streq(subsystem, "net"))
                return on_net_device(u, d, action);
        facts.action = action_name(action);
        pf = pci_address_is_valid(facts.sysname) ? manager_find_pf(m, facts.sysname) : NULL;
        facts.known_pf = pf;
        /* sysfs is read only for what the answer depends on */
        if (uevent_needs_totalvfs(&facts))
                facts.has_totalvfs = has_attribute(d, "sriov_totalvfs");
        if (uevent_needs_physfn(&facts))
                facts.physfn = physfn = read_physfn(d);

        meaning = uevent_classify(&facts, owner);
        if (pf && pf->awaiting_udev && meaning != UEVENT_PF_GONE) {
                if (meaning == UEVENT_PF_REBOUND)
                        vfio_watch_refresh(u->vfio);
                udev_recheck(u, pf);
                return 0;
        }
        switch (meaning) {
        case UEVENT_IGNORE:
                return 0;
        case UEVENT_PF_GONE:
                log_debug("uevent %s %s", facts.action, facts.sysname);
                pf_remove(pf);
                return 0;
        case UEVENT_PF_REBOUND:
                log_debug("uevent %s %s", facts.action, facts.sysname);
                vfio_watch_refresh(u->vfio);
                pf_request(pf, PF_TRIGGER_EXPLICIT);
                return 0;
        case UEVENT_PF_CHANGED:
                log_debug("uevent %s %s", facts.action, facts.sysname);
                pf_request(pf, PF_TRIGGER_DEVICE);
                return 0;
        case UEVENT_PF_NEW:
                r = manager_add_pf(m, facts.sysname, &pf);
                if (r < 0) {
                        log_internal(LOG_ERR, r, facts.sysname, NULL, NULL, "cannot track the new PF, ignoring: %m");
                        return 0;
                }
                log_internal(LOG_INFO, 0, facts.sysname, NULL, NULL, "new SR-IOV PF");
                /* A driver may still be probing it (nvme probes asynchronously), and a policy for a
                 * driverless PF would bind it to pci-pf-stub first: give the driver time to take
                 * it. Its bind event ends the wait. The add event itself never names a driver,
                 * so sysfs says. */
                if (!has_attribute(d, "driver"))
                        pf_request_settled(pf, NEW_PF_DRIVER_WAIT_USEC);
                else
                        pf_request(pf, PF_TRIGGER_EXPLICIT);
                manager_update_status(m);
                return 0;
        case UEVENT_VF_GONE:
                pf = manager_find_vf_owner(m, facts.sysname);
                if (!pf)
                        return 0;
                log_debug("uevent %s %s", facts.action, facts.sysname);
                worker_vf_present(pf->worker, facts.sysname, false);
                pf_request(pf, PF_TRIGGER_DEVICE);
                return 0;
        case UEVENT_VF_SEEN:
        case UEVENT_VF_REBOUND:
                pf = manager_find_pf(m, owner);
                if (!pf)
                        return 0;
                log_debug("uevent %s %s", facts.action, facts.sysname);
                worker_vf_present(pf->worker, facts.sysname, true);
                if (action == SD_DEVICE_BIND && sd_device_get_driver(d, &driver) >= 0 && streq(driver, VFIO_PCI_DRIVER))
                        vfio_watch_refresh(u->vfio);
                /* A VF that changed driver may release a pending change, or need its policy's driver. */
                if (meaning == UEVENT_VF_REBOUND)
                        pf_request(pf, PF_TRIGGER_DEVICE);
                return 0;
        default:
                return 0;
        }
}

static int monitor_start(Udev *u) {
        int r;

        r = sd_device_monitor_new(&u->monitor);
        if (r < 0)
                return log_error_errno(r, "Cannot create the udev monitor: %m");
        (void) sd_device_monitor_set_receive_buffer_size(u->monitor, 128 * 1024 * 1024);
        r = sd_device_monitor_filter_add_match_subsystem_devtype(u->monitor, "pci", NULL);
        if (r >= 0)
                r = sd_device_monitor_filter_add_match_subsystem_devtype(u->monitor, "net", NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot filter udev events: %m");
        r = sd_device_monitor_attach_event(u->monitor, u->manager->event);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the udev monitor: %m");
        r = sd_device_monitor_start(u->monitor, on_device, u);
        if (r < 0)
                return log_error_errno(r, "Cannot start the udev monitor: %m");
        return 0;
}

/* The PFs there at start. Where udev runs, one it has not processed yet (a NIC whose netdev
 * udev is about to rename, say) waits for its event, so that the policies see what udev's rules
 * made of it and it is evaluated once, after them. */
static int coldplug(Udev *u) {
        _cleanup_strv_free_ char **addresses = NULL;
        Manager *m = u->manager;
        bool wait;
        size_t n_waiting = 0;
        int r;

        r = sysfs_list_pfs(&addresses);
        if (r < 0)
                return log_error_errno(r, "Cannot enumerate the PCI devices: %m");
        for (char **a = addresses; *a; a++) {
                Pf *pf;

                r = manager_add_pf(m, *a, &pf);
                if (r < 0)
                        return log_error_errno(r, "Cannot track %s: %m", *a);
        }
        log_info("found %zu SR-IOV PF%s", m->n_pfs, m->n_pfs == 1 ? "" : "s");
        u->udev_running = udev_running();
        wait = m->config.udev_timeout_usec > 0 && u->udev_running;
        for (size_t i = 0; wait && i < m->n_pfs; i++) {
                _cleanup_free_ char *device = NULL;

                if (pf_find_uninitialized(m->pfs[i]->address, &device) <= 0)
                        continue;
                log_internal(LOG_INFO, 0, m->pfs[i]->address, NULL, NULL, "waiting for udev to initialize %s", device);
                pf_await_udev(m->pfs[i], device);
                n_waiting++;
        }
        if (n_waiting > 0) {
                r = sd_event_add_time_relative(m->event, &u->udev_timeout, CLOCK_MONOTONIC,
                                               m->config.udev_timeout_usec, 0, on_udev_timeout, u);
                if (r < 0)
                        return log_error_errno(r, "Cannot arm the wait for udev: %m");
        }
        for (size_t i = 0; i < m->n_pfs; i++)
                if (!m->pfs[i]->awaiting_udev)
                        evaluate_first(u, m->pfs[i]);
        manager_update_status(m);
        return 0;
}

int udev_new(Manager *m, Udev **ret) {
        _cleanup_(udev_freep) Udev *u = calloc(1, sizeof(Udev));
        int r;

        if (!u)
                return log_error_errno(ENOMEM, "Out of memory");
        u->manager = m;
        r = monitor_start(u);
        if (r < 0)
                return r;
        r = vfio_watch_new(m, &u->vfio);
        if (r < 0)
                return r;
        /* Tests that play the kernel's netlink side have no links to watch. */
        if (!m->context.netlink_relay) {
                r = link_watch_new(m, &u->links);
                if (r < 0)
                        return r;
        }
        r = coldplug(u);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

Udev *udev_free(Udev *u) {
        if (!u)
                return NULL;
        sd_event_source_disable_unref(u->udev_timeout);
        link_watch_free(u->links);
        vfio_watch_free(u->vfio);
        sd_device_monitor_unref(u->monitor);
        return mfree(u);
}
