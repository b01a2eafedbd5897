/* sriovd.conf: the daemon's own settings ([Daemon] ApplyTimeoutSec=, StopTimeoutSec=, UdevTimeoutSec=, LogLevel=). */
#pragma once

#include <stdint.h>

#include "sriovd/diagnostics.h"

#define SRIOVD_CONFIG_FILE "/etc/sriovd/sriovd.conf"
#define SRIOVD_APPLY_TIMEOUT_DEFAULT_USEC (30 * UINT64_C(1000000))
#define SRIOVD_STOP_TIMEOUT_DEFAULT_USEC (10 * UINT64_C(1000000))
#define SRIOVD_UDEV_TIMEOUT_DEFAULT_USEC (10 * UINT64_C(1000000))

typedef struct DaemonConfig {
        uint64_t apply_timeout_usec;    /* an apply that takes longer is reported failed */
        uint64_t stop_timeout_usec;     /* how long a stop waits for a job half way */
        uint64_t udev_timeout_usec;     /* how long a PF found at start waits for udev; 0: never */
        int log_level;                  /* syslog level; -1 when not set */
} DaemonConfig;

/* The defaults. */
void daemon_config_init(DaemonConfig *c);

/* Parses text into c. Returns the number of errors, or -ENOMEM. */
int daemon_config_parse(DaemonConfig *c, const char *file, const char *text, size_t size, Diagnostics *d);

/* Reads path (a missing file means the defaults) into c. Returns -EINVAL when it has errors. */
int daemon_config_load(DaemonConfig *c, const char *path, Diagnostics *d);
