/* netlink-apply: sets one VF attribute or the eswitch mode through libsriov's netlink layer, on the
 * real kernel, and prints what the layer reads back: the VM scenarios check it with iproute2.
 *
 *   netlink-apply IFNAME VF mac 02:00:00:00:00:01 | vlan ID QOS | rate MIN MAX | spoofchk on|off
 *                 | trust on|off | state auto|enable|disable
 *   netlink-apply --devlink BUS/DEVICE legacy|switchdev
 *
 * The layer names a devlink instance as sriovd does, "pci" and a PF's address; netdevsim's is
 * "netdevsim/netdevsimN". The eswitch requests go to the kernel with that name put in place of a
 * stand-in PCI address, and the answers come back with the stand-in, so the layer builds and parses
 * every message itself. */
#include <linux/devlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sriovd/netlink.h"

#define STAND_IN "0000:00:00.0"

typedef struct Renamer {
        Netlink *kernel;
        const char *bus;
        const char *device;
} Renamer;

/* A copy of a devlink message with its instance's bus and device names replaced. */
static int rename_instance(struct nl_msg *in, const char *bus, const char *device, struct nl_msg **ret) {
        struct nlmsghdr *hdr = nlmsg_hdr(in);
        struct genlmsghdr *gh = nlmsg_data(hdr);
        struct nlattr *a;
        struct nl_msg *out;
        int rem;

        out = nlmsg_alloc_simple(hdr->nlmsg_type, hdr->nlmsg_flags);
        if (!out)
                return -ENOMEM;
        if (nlmsg_append(out, gh, GENL_HDRLEN, NLMSG_ALIGNTO) < 0)
                goto fail;
        nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
                int r;

                if (nla_type(a) == DEVLINK_ATTR_BUS_NAME)
                        r = nla_put_string(out, DEVLINK_ATTR_BUS_NAME, bus);
                else if (nla_type(a) == DEVLINK_ATTR_DEV_NAME)
                        r = nla_put_string(out, DEVLINK_ATTR_DEV_NAME, device);
                else
                        r = nla_put(out, a->nla_type, nla_len(a), nla_data(a));
                if (r < 0)
                        goto fail;
        }
        *ret = out;
        return 0;
fail:
        nlmsg_free(out);
        return -ENOMEM;
}

static int renamer_transact(void *userdata, int protocol, struct nl_msg *request, struct nl_msg **ret_reply) {
        Renamer *rn = userdata;
        struct nl_msg *renamed = NULL, *reply = NULL;
        int r;

        /* the family lookup goes to the generic netlink controller as it is */
        if (protocol != NETLINK_GENERIC || nlmsg_hdr(request)->nlmsg_type == GENL_ID_CTRL)
                return netlink_transact(rn->kernel, protocol, request, ret_reply);

        r = rename_instance(request, rn->bus, rn->device, &renamed);
        if (r < 0)
                return r;
        r = netlink_transact(rn->kernel, protocol, renamed, &reply);
        nlmsg_free(renamed);
        if (r < 0)
                return r;
        if (!reply) {
                *ret_reply = NULL;
                return 0;
        }
        r = rename_instance(reply, "pci", STAND_IN, ret_reply);
        nlmsg_free(reply);
        return r;
}

static const NetlinkOps renamer_ops = {
        .transact = renamer_transact,
};

static int parse_bool(const char *s, bool *ret) {
        if (strcmp(s, "on") == 0)
                *ret = true;
        else if (strcmp(s, "off") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

static int parse_vf_setting(char **argv, int argc, VfNetSettings *s, VfNetAttribute *ret) {
        const char *what = argv[0];
        unsigned m[6];

        if (strcmp(what, "mac") == 0 && argc == 2 &&
            sscanf(argv[1], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
                for (size_t i = 0; i < 6; i++)
                        s->mac[i] = (uint8_t) m[i];
                *ret = VF_NET_MAC;
        } else if (strcmp(what, "vlan") == 0 && argc == 3) {
                s->vlan = (unsigned) atoi(argv[1]);
                s->qos = (unsigned) atoi(argv[2]);
                s->vlan_protocol = VLAN_PROTOCOL_8021Q;
                *ret = VF_NET_VLAN;
        } else if (strcmp(what, "rate") == 0 && argc == 3) {
                s->min_tx_rate = atoi(argv[1]);
                s->max_tx_rate = atoi(argv[2]);
                *ret = VF_NET_TX_RATE;
        } else if (strcmp(what, "spoofchk") == 0 && argc == 2 && parse_bool(argv[1], &s->spoof_check) == 0)
                *ret = VF_NET_SPOOF_CHECK;
        else if (strcmp(what, "trust") == 0 && argc == 2 && parse_bool(argv[1], &s->trust) == 0)
                *ret = VF_NET_TRUST;
        else if (strcmp(what, "state") == 0 && argc == 2) {
                static const char * const states[_LINK_STATE_MAX] = {
                        [LINK_STATE_AUTO] = "auto", [LINK_STATE_ENABLE] = "enable", [LINK_STATE_DISABLE] = "disable",
                };
                s->link_state = _LINK_STATE_INVALID;
                for (int i = 0; i < _LINK_STATE_MAX; i++)
                        if (strcmp(argv[1], states[i]) == 0)
                                s->link_state = (LinkState) i;
                if (s->link_state < 0)
                        return -EINVAL;
                *ret = VF_NET_LINK_STATE;
        } else
                return -EINVAL;
        s->mask = VF_NET_BIT(*ret);
        return 0;
}

/* What the layer reads back, one line per VF, in the words of the policy keys. */
static int print_vfs(Netlink *n, int ifindex) {
        VfNetSettings *vfs = NULL;
        size_t n_vfs = 0;
        int r;

        r = netlink_read_vfs(n, ifindex, &vfs, &n_vfs);
        if (r < 0) {
                fprintf(stderr, "netlink-apply: cannot read the VFs back: %s\n", strerror(-r));
                return r;
        }
        for (size_t i = 0; i < n_vfs; i++) {
                printf("read back: VF %u", vfs[i].index);
                for (int a = 0; a < _VF_NET_ATTRIBUTE_MAX; a++) {
                        char *text = NULL;

                        if ((vfs[i].mask & VF_NET_BIT(a)) && vf_net_setting_to_string(&vfs[i], (VfNetAttribute) a, &text) >= 0)
                                printf(", %s", text);
                        free(text);
                }
                printf("\n");
        }
        free(vfs);
        return 0;
}

static int apply_vf(Netlink *n, char **argv, int argc) {
        VfNetSettings s = { .index = (unsigned) atoi(argv[1]) };
        VfNetAttribute attribute;
        char *message = NULL;
        int ifindex, r;

        ifindex = (int) if_nametoindex(argv[0]);
        if (ifindex <= 0) {
                fprintf(stderr, "netlink-apply: no interface %s\n", argv[0]);
                return -ENODEV;
        }
        if (parse_vf_setting(argv + 2, argc - 2, &s, &attribute) < 0) {
                fprintf(stderr, "netlink-apply: cannot understand the setting\n");
                return -EINVAL;
        }
        r = netlink_set_vf(n, ifindex, &s, attribute);
        if (r < 0) {
                if (vf_netlink_error_message(s.index, attribute, r, &message) >= 0)
                        fprintf(stderr, "netlink-apply: %s\n", message);
                free(message);
                return r;
        }
        return print_vfs(n, ifindex);
}

static int apply_eswitch(Netlink *kernel, const char *handle, const char *mode_name) {
        char bus[64];
        const char *slash = strchr(handle, '/');
        Renamer rn = { .kernel = kernel, .bus = bus };
        Netlink *n = NULL;
        EswitchMode mode = eswitch_mode_from_string(mode_name), back;
        char *message = NULL;
        int r;

        if (!slash || (size_t) (slash - handle) >= sizeof(bus) || mode < 0) {
                fprintf(stderr, "netlink-apply: want BUS/DEVICE and legacy or switchdev\n");
                return -EINVAL;
        }
        memcpy(bus, handle, (size_t) (slash - handle));
        bus[slash - handle] = '\0';
        rn.device = slash + 1;

        r = netlink_new_with_ops(&renamer_ops, &rn, &n);
        if (r < 0)
                return r;
        r = netlink_set_eswitch_mode(n, STAND_IN, mode);
        if (r < 0) {
                if (devlink_error_message(mode, r, &message) >= 0)
                        fprintf(stderr, "netlink-apply: %s\n", message);
                free(message);
                goto out;
        }
        r = netlink_get_eswitch_mode(n, STAND_IN, &back);
        if (r < 0) {
                fprintf(stderr, "netlink-apply: cannot read the eswitch mode back: %s\n", strerror(-r));
                goto out;
        }
        printf("read back: eswitch mode %s\n", eswitch_mode_to_string(back));
out:
        netlink_free(n);
        return r;
}

int main(int argc, char **argv) {
        Netlink *kernel = NULL;
        int r;

        if (argc < 4 || (strcmp(argv[1], "--devlink") == 0 && argc != 4)) {
                fprintf(stderr, "usage: netlink-apply IFNAME VF SETTING VALUE... | --devlink BUS/DEVICE MODE\n");
                return 2;
        }
        r = netlink_new_kernel(&kernel);
        if (r < 0) {
                fprintf(stderr, "netlink-apply: %s\n", strerror(-r));
                return 1;
        }
        if (strcmp(argv[1], "--devlink") == 0)
                r = apply_eswitch(kernel, argv[2], argv[3]);
        else
                r = apply_vf(kernel, argv + 1, argc - 1);
        netlink_free(kernel);
        return r < 0 ? 1 : 0;
}
