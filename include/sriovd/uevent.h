/* What a PCI device event means to sriovd, decided from the event and a few sysfs facts. No I/O. */
#pragma once

#include <stdbool.h>

#include "sriovd/pci-address.h"

typedef enum UeventMeaning {
        UEVENT_IGNORE,          /* not a PCI address, or nothing sriovd follows */
        UEVENT_PF_GONE,         /* a PF sriovd tracks was removed */
        UEVENT_PF_CHANGED,      /* a PF sriovd tracks changed */
        UEVENT_PF_REBOUND,      /* a PF sriovd tracks got or lost a driver: a new situation, even after a failure */
        UEVENT_PF_NEW,          /* an SR-IOV PF sriovd does not track yet */
        UEVENT_VF_GONE,         /* a device that is not a tracked PF went away: maybe a VF */
        UEVENT_VF_SEEN,         /* a VF of the returned PF is there, as udev announced */
        UEVENT_VF_REBOUND,      /* ... and it was added, or got or lost a driver */
        _UEVENT_MEANING_MAX,
} UeventMeaning;

typedef struct UeventFacts {
        const char *action;     /* the kernel's: "add", "remove", "change", "bind", "unbind", ... */
        const char *sysname;
        bool known_pf;          /* sriovd tracks sysname as a PF */
        bool has_totalvfs;      /* the device has sriov_totalvfs */
        const char *physfn;     /* the target of its physfn link, NULL when it has none */
} UeventFacts;

/* For the VF meanings, ret_pf gets the PF from the physfn link. */
UeventMeaning uevent_classify(const UeventFacts *f, char ret_pf[static PCI_ADDRESS_MAX]);

/* Does the classification need has_totalvfs, physfn? Lets the caller read sysfs only when it matters. */
bool uevent_needs_totalvfs(const UeventFacts *f);
bool uevent_needs_physfn(const UeventFacts *f);
