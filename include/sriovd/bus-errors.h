/* sriovd's named D-Bus errors and the errno each maps to, shared by the daemon and sriovctl. */
#pragma once

#include <systemd/sd-bus.h>

#define SRIOVD_ERROR_NOT_FOUND "org.sriovd1.Error.NotFound"              /* ENODEV: no such PF */
#define SRIOVD_ERROR_BUSY "org.sriovd1.Error.Busy"                       /* EBUSY: the kernel said busy */
#define SRIOVD_ERROR_LOCKED "org.sriovd1.Error.Locked"                   /* ENOLCK: a device in use blocks the change */
#define SRIOVD_ERROR_REFUSED "org.sriovd1.Error.Refused"                 /* ECANCELED: the policy cannot be applied */
#define SRIOVD_ERROR_FAILED "org.sriovd1.Error.Failed"                   /* EIO: the kernel refused or did not follow */
#define SRIOVD_ERROR_INVALID_POLICY "org.sriovd1.Error.InvalidPolicy"    /* EBADMSG: a policy file has errors */

extern const sd_bus_error_map sriovd_bus_errors[];
