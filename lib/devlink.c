/* The devlink eswitch mode as generic netlink messages, built and parsed with libnl-genl-3. */
#include <linux/devlink.h>
#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd/devlink.h"
#include "sriovd/pci-address.h"

static const char * const eswitch_mode_table[_ESWITCH_MODE_MAX] = {
        [ESWITCH_MODE_LEGACY] = "legacy",
        [ESWITCH_MODE_SWITCHDEV] = "switchdev",
};

const char *eswitch_mode_to_string(EswitchMode m) {
        return m >= 0 && m < _ESWITCH_MODE_MAX ? eswitch_mode_table[m] : NULL;
}

EswitchMode eswitch_mode_from_string(const char *s) {
        for (int i = 0; i < _ESWITCH_MODE_MAX; i++)
                if (streq(s, eswitch_mode_table[i]))
                        return i;
        return _ESWITCH_MODE_INVALID;
}

int devlink_build_family_request(struct nl_msg **ret) {
        struct nl_msg *msg = nlmsg_alloc();

        if (!msg)
                return -ENOMEM;
        if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0, CTRL_CMD_GETFAMILY, 1) ||
            nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, DEVLINK_GENL_NAME) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        *ret = msg;
        return 0;
}

int devlink_parse_family(const struct nlmsghdr *hdr, uint16_t *ret_family) {
        struct nlattr *tb[CTRL_ATTR_MAX + 1];

        if (genlmsg_parse((struct nlmsghdr *) hdr, 0, tb, CTRL_ATTR_MAX, NULL) < 0)
                return -EBADMSG;
        if (!tb[CTRL_ATTR_FAMILY_ID] || nla_len(tb[CTRL_ATTR_FAMILY_ID]) < (int) sizeof(uint16_t))
                return -ENODATA;
        *ret_family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
        return 0;
}

static int build(uint16_t family, uint8_t cmd, const char *address, struct nl_msg **ret_msg) {
        struct nl_msg *msg;

        if (!pci_address_is_valid(address))
                return -EINVAL;
        msg = nlmsg_alloc();
        if (!msg)
                return -ENOMEM;
        /* A devlink instance is named by its bus and device: "pci" and the BDF. */
        if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd, DEVLINK_GENL_VERSION) ||
            nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci") < 0 ||
            nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, address) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        *ret_msg = msg;
        return 0;
}

int devlink_build_eswitch_get(uint16_t family, const char *address, struct nl_msg **ret) {
        return build(family, DEVLINK_CMD_ESWITCH_GET, address, ret);
}

int devlink_build_eswitch_set(uint16_t family, const char *address, EswitchMode mode, struct nl_msg **ret) {
        struct nl_msg *msg = NULL;
        int r;

        if (mode < 0 || mode >= _ESWITCH_MODE_MAX)
                return -EINVAL;
        r = build(family, DEVLINK_CMD_ESWITCH_SET, address, &msg);
        if (r < 0)
                return r;
        if (nla_put_u16(msg, DEVLINK_ATTR_ESWITCH_MODE, (uint16_t) mode) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        *ret = msg;
        return 0;
}

static struct nla_policy eswitch_policy[DEVLINK_ATTR_MAX + 1] = {
        [DEVLINK_ATTR_BUS_NAME] = { .type = NLA_STRING },
        [DEVLINK_ATTR_DEV_NAME] = { .type = NLA_STRING },
        [DEVLINK_ATTR_ESWITCH_MODE] = { .type = NLA_U16 },
};

int devlink_parse_eswitch(const struct nlmsghdr *hdr, char **ret_address, EswitchMode *ret_mode) {
        struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
        const char *bus, *dev;
        uint16_t mode;

        if (genlmsg_parse((struct nlmsghdr *) hdr, 0, tb, DEVLINK_ATTR_MAX, eswitch_policy) < 0)
                return -EBADMSG;
        if (!tb[DEVLINK_ATTR_BUS_NAME] || !tb[DEVLINK_ATTR_DEV_NAME])
                return -EBADMSG;
        bus = nla_get_string(tb[DEVLINK_ATTR_BUS_NAME]);
        dev = nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]);
        if (!streq(bus, "pci") || !pci_address_is_valid(dev))
                return -EBADMSG;
        if (!tb[DEVLINK_ATTR_ESWITCH_MODE])
                return -ENODATA;
        mode = nla_get_u16(tb[DEVLINK_ATTR_ESWITCH_MODE]);
        if (mode >= _ESWITCH_MODE_MAX)
                return -EBADMSG;
        if (ret_address) {
                *ret_address = strdup(dev);
                if (!*ret_address)
                        return -ENOMEM;
        }
        *ret_mode = (EswitchMode) mode;
        return 0;
}

static const char *error_hint(EswitchMode mode, int error) {
        switch (error) {
        case EOPNOTSUPP:
                return mode == ESWITCH_MODE_SWITCHDEV ? "the PF driver has no switchdev mode" : "the PF driver has no eswitch";
        case ENODEV:
                return "the PF has no devlink instance";
        case EBUSY:
                return "the PF driver refuses while VFs or representors exist";
        case EPERM:
        case EACCES:
                return "sriovd lacks CAP_NET_ADMIN";
        case ENOENT:
                return "the kernel has no devlink";
        default:
                return NULL;
        }
}

int devlink_error_message(EswitchMode mode, int error, char **ret) {
        const char *hint;
        int r;

        error = error < 0 ? -error : error;
        hint = error_hint(mode, error);
        r = asprintf(ret, "EswitchMode=%s: %s%s%s%s", strna(eswitch_mode_to_string(mode)), strerror(error),
                     hint ? " (" : "", strempty(hint), hint ? ")" : "");
        return r < 0 ? -ENOMEM : 0;
}
