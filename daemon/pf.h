/* One PF as the daemon tracks it: its worker, the last snapshot, plan and outcome, and its state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "sriovd/daemon-config.h"
#include "sriovd/pci-info.h"
#include "sriovd/plan.h"
#include "sriovd/sysfs.h"
#include "worker.h"

typedef struct Pf Pf;

typedef enum PfState {
        PF_STATE_UNMANAGED,     /* no policy matches */
        PF_STATE_APPLYING,      /* a worker is writing */
        PF_STATE_APPLIED,       /* the PF matches its policy */
        PF_STATE_PENDING,       /* waits for a device in use to be released */
        PF_STATE_REFUSED,       /* the policy cannot be applied as it is */
        PF_STATE_FAILED,        /* the kernel refused or did not follow; retried later */
        _PF_STATE_MAX,
} PfState;

/* How a PF tells its owner what happened to it; the PF calls nothing above it. */
typedef struct PfObserver {
        /* What the PF shows (state, reason, what its snapshot says) changed. */
        void (*changed)(Pf *pf, void *userdata);
        /* An evaluation ended, or ran out of time: whoever waits for one of its jobs may be
         * answered; with all, whoever waits for any. */
        void (*settled)(Pf *pf, bool all, void *userdata);
        /* The PF left sysfs and no job runs for it any more: drop and free it. */
        void (*gone)(Pf *pf, void *userdata);
} PfObserver;

/* What every PF shares, owned by the manager; the PFs read it, the manager keeps it current. */
typedef struct PfContext {
        sd_event *event;
        int notify_fd;                  /* the workers' eventfd */
        PolicySet *policies;            /* replaced on reload */
        const DaemonConfig *config;
        const char *netlink_relay;      /* NULL: the kernel; else a program playing it (tests) */
        PciNames *names;                /* loaded on first use: pci.ids is 1.3 MB */
        bool stopping;                  /* no job starts any more */
        const PfObserver *observer;
        void *userdata;
} PfContext;

struct Pf {
        PfContext *context;
        char address[PCI_ADDRESS_MAX];
        Worker *worker;

        PfState state;
        char *reason;
        int error;
        PfSnapshot *snapshot;   /* as the last job left it */
        Plan *plan;
        char *policy;
        uint64_t policy_fingerprint;
        char **shadowed;
        SriovCapability capability;
        bool has_capability;
        VfNetSettings *vf_net;  /* the VFs' netdev settings as last read, when has_vf_net */
        size_t n_vf_net;
        bool has_vf_net;
        EswitchMode eswitch_mode; /* as last read; _ESWITCH_MODE_INVALID when the policy does not ask */
        char *net_warning;      /* logged once when it appears or changes */
        char *interrupted;      /* what the last sriovd's unfinished apply left, as this one found it at start */
        char *vendor_name;      /* from pci.ids, NULL when unknown */
        char *device_name;
        uint64_t shown_hash;    /* of what the PF shows, so that changed fires on a change only */

        uint64_t n_started;     /* jobs started so far; Apply calls wait for a given one */

        bool queued;            /* evaluate again when the running job ends */
        bool awaiting_udev;     /* found at start before udev initialized it: not evaluated yet */
        bool removed;           /* gone from sysfs; dropped when its job ends */
        bool evaluated;         /* a first job has ended (or timed out) */
        bool timed_out;
        uint64_t started_usec;
        sd_event_source *timeout_source;
        sd_event_source *retry_source;
        uint64_t retry_usec;
        sd_event_source *settle_source; /* a new PF without a driver, until one may have bound */
};

int pf_new(PfContext *context, const char *address, Pf **ret);
Pf *pf_free(Pf *pf);

/* Why an evaluation is asked for. Device events are often the echo of the PF's own writes, so
 * they do not re-try a failed PF: its retry timer does. */
typedef enum PfTrigger {
        PF_TRIGGER_DEVICE,      /* a uevent or a vfio open/close */
        PF_TRIGGER_EXPLICIT,    /* start, a new PF, a reload, a retry, an operator */
} PfTrigger;

/* Schedules an evaluation: snapshot, plan, and whatever the plan says, on the worker. Returns the
 * number of the job that will do it. */
uint64_t pf_request(Pf *pf, PfTrigger trigger);
/* Holds every evaluation back until pf_udev_done(): udev has yet to initialize device (the PF or
 * one of its netdevs). */
void pf_await_udev(Pf *pf, const char *device);
/* udev is done with the PF (or was waited for long enough): evaluations may start. False when
 * the PF was not waiting. */
bool pf_udev_done(Pf *pf);
/* pf_request() after usec, unless something asks for an evaluation before. */
void pf_request_settled(Pf *pf, uint64_t usec);
/* The worker of this PF has a result. */
void pf_process_result(Pf *pf);
/* The PF is gone from sysfs. */
void pf_remove(Pf *pf);
/* The worker started writing: the PF is now applying. */
void pf_process_progress(Pf *pf);

/* Does vf belong to this PF, by the routing-ID arithmetic of the last snapshot? */
bool pf_owns_vf_address(const Pf *pf, const char *vf);
/* Does the PF or one of its VFs use IOMMU group (or vfio cdev name) node? */
bool pf_uses_vfio_node(const Pf *pf, int group, const char *cdev);

const char *pf_state_to_string(PfState s);
/* "vfio-pci" when vfio-pci owns the PF, "qemu-system-x86 (pid 4242)" when a process holds it, or NULL. */
char *pf_locked_by(const Pf *pf);
