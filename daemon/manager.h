/* The daemon: event loop, PF table, policies, configuration, signals, readiness and status. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "pf.h"
#include "sriovd/pci-info.h"
#include "sriovd/daemon-config.h"
#include "sriovd/policy.h"

typedef struct Manager Manager;

typedef struct ManagerOptions {
        const char *config_file;        /* sriovd.conf; NULL: SRIOVD_CONFIG_FILE */
        char **policy_dirs;             /* NULL: SRIOVD_CONFIG_PATH or the default search path */
        int log_level;                  /* -1: from sriovd.conf */
        const char *netlink_relay;      /* NULL: the kernel; else a program playing it (tests) */
} ManagerOptions;

/* What the manager tells whoever shows its state (the bus); every member may be NULL. The manager
 * calls nothing above it. */
typedef struct ManagerObserver {
        void (*pf_added)(Pf *pf, void *userdata);
        /* Before the PF is freed: its address and objects are still valid. */
        void (*pf_removed)(Pf *pf, void *userdata);
        void (*pf_changed)(Pf *pf, void *userdata);
        /* An evaluation of pf ended (all: or ran out of time, so nobody need wait any more). */
        void (*pf_settled)(Pf *pf, bool all, void *userdata);
        /* A manager property changed: "Status", "PolicyFiles". */
        void (*changed)(const char *property, void *userdata);
        void *userdata;
} ManagerObserver;

struct Manager {
        sd_event *event;
        PfContext context;              /* policies, stopping, pci.ids: what every PF reads */
        DaemonConfig config;
        ManagerOptions options;

        Pf **pfs;                       /* sorted by address */
        size_t n_pfs;

        const ManagerObserver **observers;
        size_t n_observers;

        sd_event_source *notify_source; /* on context.notify_fd, the workers' eventfd */
        bool ready;
        int exit_code;                  /* of the event loop, once stopped */
        sd_event_source *stop_timer;    /* StopTimeoutSec= after the stop began */
        bool stop_expired;              /* jobs half way are not waited for any more */
        char *status;                   /* last STATUS= sent */
};

int manager_new(const ManagerOptions *options, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Logs what is in force; the PFs come from whoever feeds the manager (udev.c). */
void manager_start(Manager *m);
int manager_run(Manager *m);
/* Nothing starts any more; the event loop ends with exit_code once no job is half way. */
void manager_stop(Manager *m, int exit_code);

int manager_add_observer(Manager *m, const ManagerObserver *o);
void manager_remove_observer(Manager *m, const ManagerObserver *o);

Pf *manager_find_pf(Manager *m, const char *address);
int manager_add_pf(Manager *m, const char *address, Pf **ret);
void manager_drop_pf(Manager *m, Pf *pf);
/* The PF whose VF this address is, if any. */
Pf *manager_find_vf_owner(Manager *m, const char *vf);

/* Re-reads sriovd.conf and the policies; a policy set with errors is rejected whole, -EBADMSG, and
 * ret_errors (optional) gets them, one "file:line: error: ..." per line. */
int manager_reload(Manager *m, char **ret_errors);

/* Recomputes STATUS=, sends READY=1 once every PF had its first evaluation. */
void manager_update_status(Manager *m);
