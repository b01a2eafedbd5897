/* The daemon: event loop, PF table, policies, configuration, signals, readiness and status. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include <systemd/sd-bus.h>

#include "pf.h"
#include "sriovd/pci-info.h"
#include "sriovd/daemon-config.h"
#include "sriovd/policy.h"

typedef struct VfioWatch VfioWatch;

typedef struct ManagerOptions {
        const char *config_file;        /* sriovd.conf; NULL: SRIOVD_CONFIG_FILE */
        char **policy_dirs;             /* NULL: SRIOVD_CONFIG_PATH or the default search path */
        int log_level;                  /* -1: from sriovd.conf */
        const char *netlink_relay;      /* NULL: the kernel; else a program playing it (tests) */
} ManagerOptions;

struct Manager {
        sd_event *event;
        sd_bus *bus;                    /* NULL when the system bus cannot be reached */
        sd_device_monitor *monitor;
        PciNames *names;                /* loaded on first use: pci.ids is 1.3 MB */
        VfioWatch *vfio;
        PolicySet *policies;
        DaemonConfig config;
        ManagerOptions options;

        Pf **pfs;                       /* sorted by address */
        size_t n_pfs;

        int notify_fd;                  /* workers' eventfd */
        sd_event_source *notify_source;
        bool ready;
        bool stopping;
        int exit_code;                  /* of the event loop, once stopped */
        char *status;                   /* last STATUS= sent */
};

int manager_new(const ManagerOptions *options, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Enumerates PFs, starts the monitors, and evaluates every PF. */
int manager_start(Manager *m);
int manager_run(Manager *m);

Pf *manager_find_pf(Manager *m, const char *address);
int manager_add_pf(Manager *m, const char *address, Pf **ret);
void manager_drop_pf(Manager *m, Pf *pf);
/* The PF whose VF this address is, if any. */
Pf *manager_find_vf_owner(Manager *m, const char *vf);

/* Re-reads sriovd.conf and the policies; a policy set with errors is rejected whole, -EBADMSG, and
 * ret_errors (optional) gets them, one "file:line: error: ..." per line. */
int manager_reload(Manager *m, char **ret_errors);

/* Vendor and device names from pci.ids; NULLs when unknown. */
void manager_pci_names(Manager *m, uint16_t vendor, uint16_t device, const char **ret_vendor, const char **ret_device);

/* Recomputes STATUS=, sends READY=1 once every PF had its first evaluation. */
void manager_update_status(Manager *m);
/* Checks whether a stop can finish now (no worker busy). */
void manager_check_stopped(Manager *m);

/* udev and vfio event sources (udev.c, vfio-watch.c). */
int manager_udev_start(Manager *m);
int manager_coldplug(Manager *m);
int vfio_watch_new(Manager *m, VfioWatch **ret);
VfioWatch *vfio_watch_free(VfioWatch *w);
/* (Re)tries watching /dev/vfio, which appears only once vfio is loaded. */
void vfio_watch_refresh(VfioWatch *w);
