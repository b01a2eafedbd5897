/* The apply record: what an apply in progress changed for the time being, kept in /run so that a
 * sriovd killed mid-apply leaves its successor what it needs to finish and put things back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sriovd/pci-address.h"

/* A driver_override sriovd wrote, and what the device had before. */
typedef struct RecordedOverride {
        char device[PCI_ADDRESS_MAX];
        char *value;
        char *previous;         /* NULL: none was set */
} RecordedOverride;

/* Written before a PF's first write, updated as the apply goes on, removed once the PF is
 * applied. /run is the right lifetime: the VFs and the autoprobe it describes do not outlive a
 * reboot either. */
typedef struct ApplyRecord {
        pid_t pid;                      /* the sriovd that applied */
        uint64_t realtime_usec;         /* when its apply began */
        char *policy;                   /* the policy file it applied */
        int drivers_autoprobe;          /* the PF's before sriovd first wrote it; -1: not written */
        int unmanaged_autoprobe;
        RecordedOverride *overrides;
        size_t n_overrides;
        pid_t writer;                   /* the writer process of its last count change or unbind; 0: none */
        char *writer_write;             /* "PATH VALUE" that writer was started for */
} ApplyRecord;

ApplyRecord *apply_record_free(ApplyRecord *r);
static inline void apply_record_freep(ApplyRecord **r) {
        apply_record_free(*r);
}
int apply_record_new(pid_t pid, uint64_t realtime_usec, const char *policy, ApplyRecord **ret);

/* The override recorded for device, or NULL. */
const RecordedOverride *apply_record_override(const ApplyRecord *r, const char *device);
/* Records that device's driver_override goes from previous to value, unless it is recorded
 * already (the first previous is the one to put back). 1 when the record changed. */
int apply_record_add_override(ApplyRecord *r, const char *device, const char *value, const char *previous);

/* The record as text, KEY=VALUE lines, and back; parse fails -EBADMSG naming nothing, since the
 * file is sriovd's own and a bad one is simply not used. */
int apply_record_format(const ApplyRecord *r, char **ret);
int apply_record_parse(const char *text, ApplyRecord **ret);

/* The record of PF pf in directory dir: written to a temporary file and renamed over the old one,
 * so a reader never sees half of it. load returns -ENOENT when there is none. */
int apply_record_save(const char *dir, const char *pf, const ApplyRecord *r);
int apply_record_load(const char *dir, const char *pf, ApplyRecord **ret);
int apply_record_remove(const char *dir, const char *pf);
