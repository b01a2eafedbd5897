/* The devlink eswitch mode of a PF (generic netlink, libnl-genl-3): requests, answers, errors. */
#pragma once

#include <stdint.h>

#include "sriovd/macro.h"

struct nl_msg;
struct nlmsghdr;

/* The kernel's DEVLINK_ESWITCH_MODE_* values, in their order. */
typedef enum EswitchMode {
        ESWITCH_MODE_LEGACY,
        ESWITCH_MODE_SWITCHDEV,
        _ESWITCH_MODE_MAX,
        _ESWITCH_MODE_INVALID = -EINVAL,
} EswitchMode;

const char *eswitch_mode_to_string(EswitchMode m);
EswitchMode eswitch_mode_from_string(const char *s);

/* CTRL_CMD_GETFAMILY for "devlink", and its answer: the family's id. */
int devlink_build_family_request(struct nl_msg **ret);
int devlink_parse_family(const struct nlmsghdr *hdr, uint16_t *ret_family);

/* DEVLINK_CMD_ESWITCH_GET/SET for the PCI device address ("pci" bus, the BDF as the name). */
int devlink_build_eswitch_get(uint16_t family, const char *address, struct nl_msg **ret);
int devlink_build_eswitch_set(uint16_t family, const char *address, EswitchMode mode, struct nl_msg **ret);
/* An ESWITCH_GET answer or an ESWITCH_SET request: the device address and the mode. ret_address
 * is "pci/<BDF>"-free: just the BDF. -EBADMSG when malformed, -ENODATA without a mode. */
int devlink_parse_eswitch(const struct nlmsghdr *hdr, char **ret_address, EswitchMode *ret_mode);

/* "EswitchMode=switchdev: Operation not supported (the PF driver has no switchdev mode)". */
int devlink_error_message(EswitchMode mode, int error, char **ret);
