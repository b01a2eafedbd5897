/* udev events in: the sd-device monitor on the pci subsystem, and coldplug enumeration at start. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "sriovd/ownership.h"

static const char *action_name(sd_device_action_t a) {
        static const char * const names[_SD_DEVICE_ACTION_MAX] = {
                [SD_DEVICE_ADD] = "add", [SD_DEVICE_REMOVE] = "remove", [SD_DEVICE_CHANGE] = "change",
                [SD_DEVICE_MOVE] = "move", [SD_DEVICE_ONLINE] = "online", [SD_DEVICE_OFFLINE] = "offline",
                [SD_DEVICE_BIND] = "bind", [SD_DEVICE_UNBIND] = "unbind",
        };
        return a >= 0 && a < _SD_DEVICE_ACTION_MAX ? names[a] : "?";
}

/* The PF of a VF, from its physfn link; false when the device is not a VF (or not yet linked). */
static bool read_physfn(sd_device *d, char ret[static PCI_ADDRESS_MAX]) {
        const char *syspath, *base;
        char path[4096], target[4096];
        ssize_t n;

        if (sd_device_get_syspath(d, &syspath) < 0)
                return false;
        snprintf(path, sizeof(path), "%s/physfn", syspath);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (!pci_address_is_valid(base))
                return false;
        memcpy(ret, base, PCI_ADDRESS_MAX);
        return true;
}

static bool is_pf(sd_device *d) {
        const char *syspath;
        char path[4096];

        if (sd_device_get_syspath(d, &syspath) < 0)
                return false;
        snprintf(path, sizeof(path), "%s/sriov_totalvfs", syspath);
        return access(path, F_OK) >= 0;
}

static void handle_vf(Manager *m, sd_device *d, const char *address, sd_device_action_t action) {
        char physfn[PCI_ADDRESS_MAX];
        Pf *pf;

        if (action == SD_DEVICE_REMOVE) {
                pf = manager_find_vf_owner(m, address);
                if (!pf)
                        return;
                worker_vf_present(pf->worker, address, false);
                pf_request(pf, PF_TRIGGER_DEVICE);
                return;
        }
        if (!read_physfn(d, physfn))
                return;
        pf = manager_find_pf(m, physfn);
        if (!pf)
                return;
        worker_vf_present(pf->worker, address, true);
        /* A VF that changed driver may release a pending change, or need its policy's driver. */
        if (action == SD_DEVICE_BIND || action == SD_DEVICE_UNBIND || action == SD_DEVICE_ADD) {
                const char *driver = NULL;

                (void) sd_device_get_driver(d, &driver);
                if (action == SD_DEVICE_BIND && streq_ptr(driver, VFIO_PCI_DRIVER))
                        vfio_watch_refresh(m->vfio);
                pf_request(pf, PF_TRIGGER_DEVICE);
        }
}

static int on_device(sd_device_monitor *monitor, sd_device *d, void *userdata) {
        Manager *m = userdata;
        sd_device_action_t action;
        const char *address;
        Pf *pf;
        int r;

        if (sd_device_get_action(d, &action) < 0 || sd_device_get_sysname(d, &address) < 0)
                return 0;
        if (!pci_address_is_valid(address))
                return 0;
        log_debug("uevent %s %s", action_name(action), address);

        pf = manager_find_pf(m, address);
        if (pf) {
                if (action == SD_DEVICE_REMOVE)
                        pf_remove(pf);
                else {
                        if (action == SD_DEVICE_BIND)
                                vfio_watch_refresh(m->vfio);
                        /* A PF that got or lost a driver is a new situation, even after a failure. */
                        pf_request(pf, action == SD_DEVICE_BIND || action == SD_DEVICE_UNBIND ? PF_TRIGGER_EXPLICIT : PF_TRIGGER_DEVICE);
                }
                return 0;
        }
        if (action != SD_DEVICE_REMOVE && is_pf(d)) {
                r = manager_add_pf(m, address, &pf);
                if (r < 0) {
                        log_internal(LOG_ERR, r, address, NULL, NULL, "cannot track the new PF, ignoring: %m");
                        return 0;
                }
                log_internal(LOG_INFO, 0, address, NULL, NULL, "new SR-IOV PF");
                pf_request(pf, PF_TRIGGER_EXPLICIT);
                manager_update_status(m);
                return 0;
        }
        handle_vf(m, d, address, action);
        return 0;
}

int manager_udev_start(Manager *m) {
        int r;

        r = sd_device_monitor_new(&m->monitor);
        if (r < 0)
                return log_error_errno(r, "Cannot create the udev monitor: %m");
        (void) sd_device_monitor_set_receive_buffer_size(m->monitor, 128 * 1024 * 1024);
        r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "pci", NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot filter udev events: %m");
        r = sd_device_monitor_attach_event(m->monitor, m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the udev monitor: %m");
        r = sd_device_monitor_start(m->monitor, on_device, m);
        if (r < 0)
                return log_error_errno(r, "Cannot start the udev monitor: %m");
        return 0;
}

int manager_coldplug(Manager *m) {
        _cleanup_strv_free_ char **addresses = NULL;
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
        for (size_t i = 0; i < m->n_pfs; i++)
                pf_request(m->pfs[i], PF_TRIGGER_EXPLICIT);
        return 0;
}
