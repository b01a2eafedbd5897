/* The errno <-> D-Bus error name map that sd_bus_error_add_map() takes. */
#include <errno.h>

#include "sriovd/bus-errors.h"

const sd_bus_error_map sriovd_bus_errors[] = {
        SD_BUS_ERROR_MAP(SRIOVD_ERROR_NOT_FOUND, ENODEV),
        SD_BUS_ERROR_MAP(SRIOVD_ERROR_BUSY, EBUSY),
        SD_BUS_ERROR_MAP(SRIOVD_ERROR_LOCKED, ENOLCK),
        SD_BUS_ERROR_MAP(SRIOVD_ERROR_REFUSED, ECANCELED),
        SD_BUS_ERROR_MAP(SRIOVD_ERROR_FAILED, EIO),
        SD_BUS_ERROR_MAP(SRIOVD_ERROR_INVALID_POLICY, EBADMSG),
        SD_BUS_ERROR_MAP_END
};
