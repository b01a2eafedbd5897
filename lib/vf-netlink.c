/* Per-VF netdev settings as rtnetlink messages: built with libnl-route-3, parsed back with libnl's attribute parser. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sriovd/policy.h"
#include "sriovd/vf-netlink.h"

static const char * const attribute_table[_VF_NET_ATTRIBUTE_MAX] = {
        [VF_NET_MAC] = "MACAddress",
        [VF_NET_VLAN] = "VLAN",
        [VF_NET_TX_RATE] = "TxRate",
        [VF_NET_SPOOF_CHECK] = "SpoofCheck",
        [VF_NET_TRUST] = "Trust",
        [VF_NET_LINK_STATE] = "LinkState",
        [VF_NET_QUERY_RSS] = "QueryRSS",
};

static const char * const vlan_protocol_table[_VLAN_PROTOCOL_MAX] = {
        [VLAN_PROTOCOL_8021Q] = "802.1Q",
        [VLAN_PROTOCOL_8021AD] = "802.1ad",
};

const char *vf_net_attribute_to_string(VfNetAttribute a) {
        return a >= 0 && a < _VF_NET_ATTRIBUTE_MAX ? attribute_table[a] : NULL;
}

const char *vlan_protocol_to_string(VlanProtocol p) {
        return p >= 0 && p < _VLAN_PROTOCOL_MAX ? vlan_protocol_table[p] : NULL;
}

VlanProtocol vlan_protocol_from_string(const char *s) {
        for (int i = 0; i < _VLAN_PROTOCOL_MAX; i++)
                if (strcasecmp(s, vlan_protocol_table[i]) == 0)
                        return i;
        return _VLAN_PROTOCOL_INVALID;
}

bool vf_net_settings_equal(const VfNetSettings *a, const VfNetSettings *b, VfNetAttribute attribute) {
        if (!(a->mask & b->mask & VF_NET_BIT(attribute)))
                return false;
        switch (attribute) {
        case VF_NET_MAC:
                return memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
        case VF_NET_VLAN:
                /* Without a VLAN, QoS and protocol mean nothing. */
                if (a->vlan == 0 && b->vlan == 0)
                        return true;
                return a->vlan == b->vlan && a->qos == b->qos && a->vlan_protocol == b->vlan_protocol;
        case VF_NET_TX_RATE:
                return a->min_tx_rate == b->min_tx_rate && a->max_tx_rate == b->max_tx_rate;
        case VF_NET_SPOOF_CHECK:
                return a->spoof_check == b->spoof_check;
        case VF_NET_TRUST:
                return a->trust == b->trust;
        case VF_NET_LINK_STATE:
                return a->link_state == b->link_state;
        case VF_NET_QUERY_RSS:
                return a->query_rss == b->query_rss;
        default:
                return false;
        }
}

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

int vf_net_setting_to_string(const VfNetSettings *s, VfNetAttribute attribute, char **ret) {
        int r = -EINVAL;

        if (!(s->mask & VF_NET_BIT(attribute)))
                return -EINVAL;
        switch (attribute) {
        case VF_NET_MAC:
                r = asprintf(ret, "MACAddress=%02x:%02x:%02x:%02x:%02x:%02x",
                             s->mac[0], s->mac[1], s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
                break;
        case VF_NET_VLAN:
                if (s->vlan == 0)
                        r = asprintf(ret, "VLAN=none");
                else
                        r = asprintf(ret, "VLAN=%u QualityOfService=%u VLANProtocol=%s", s->vlan, s->qos,
                                     strna(vlan_protocol_to_string(s->vlan_protocol)));
                break;
        case VF_NET_TX_RATE:
                r = asprintf(ret, "MinTxRate=%d MaxTxRate=%d", s->min_tx_rate, s->max_tx_rate);
                break;
        case VF_NET_SPOOF_CHECK:
                r = asprintf(ret, "SpoofCheck=%s", yes_no(s->spoof_check));
                break;
        case VF_NET_TRUST:
                r = asprintf(ret, "Trust=%s", yes_no(s->trust));
                break;
        case VF_NET_LINK_STATE:
                r = asprintf(ret, "LinkState=%s", strna(link_state_to_string(s->link_state)));
                break;
        case VF_NET_QUERY_RSS:
                r = asprintf(ret, "QueryReceiveSideScaling=%s", yes_no(s->query_rss));
                break;
        default:
                return -EINVAL;
        }
        return r < 0 ? -ENOMEM : 0;
}

/* libnl's own error codes say little more than "failed"; only memory is worth telling apart. */
static int nl_error_to_errno(int error) {
        return error == -NLE_NOMEM ? -ENOMEM : -EINVAL;
}

static void rtnl_link_putp(struct rtnl_link **l) {
        if (*l)
                rtnl_link_put(*l);
}

static void rtnl_link_vf_putp(struct rtnl_link_vf **v) {
        if (*v)
                rtnl_link_vf_put(*v);
}

static void nl_addr_putp(struct nl_addr **a) {
        if (*a)
                nl_addr_put(*a);
}

static void vlans_putp(nl_vf_vlans_t **v) {
        if (*v)
                rtnl_link_vf_vlan_put(*v);
}

static int set_vlan(struct rtnl_link_vf *vf, const VfNetSettings *s) {
        _cleanup_(vlans_putp) nl_vf_vlans_t *vlans = NULL;
        int r;

        if (s->vlan > 4095 || s->qos > 7 || s->vlan_protocol < 0 || s->vlan_protocol >= _VLAN_PROTOCOL_MAX)
                return -EINVAL;
        r = rtnl_link_vf_vlan_alloc(&vlans, 1);
        if (r < 0)
                return nl_error_to_errno(r);
        vlans->vlans[0].vf_vlan = s->vlan;
        vlans->vlans[0].vf_vlan_qos = s->qos;
        /* 802.1Q goes as IFLA_VF_VLAN, which every driver takes. Anything else goes in
         * IFLA_VF_VLAN_INFO, whose protocol libnl copies as given while the kernel reads it in
         * network byte order: hand libnl the bytes the kernel expects. */
        vlans->vlans[0].vf_vlan_proto = s->vlan_protocol == VLAN_PROTOCOL_8021AD ? htons(ETH_P_8021AD) : ETH_P_8021Q;
        rtnl_link_vf_set_vlans(vf, vlans);
        return 0;
}

/* libnl fills IFLA_VF_VLAN_INFO from a struct on its stack field by field, so the struct's two bytes
 * of tail padding go to the kernel as whatever was there; the kernel ignores them, but nothing of
 * sriovd's stack should leave the process, and memcheck rightly objects. */
static void clear_vlan_info_padding(struct nl_msg *msg) {
        struct nlattr *list, *info, *vlans, *v;
        int r1, r2, r3;

        list = nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct ifinfomsg), IFLA_VFINFO_LIST);
        if (!list)
                return;
        nla_for_each_nested(info, list, r1)
                nla_for_each_nested(vlans, info, r2) {
                        if (nla_type(vlans) != IFLA_VF_VLAN_LIST)
                                continue;
                        nla_for_each_nested(v, vlans, r3) {
                                struct ifla_vf_vlan_info *vi = nla_data(v);
                                size_t end = offsetof(struct ifla_vf_vlan_info, vlan_proto) + sizeof(vi->vlan_proto);

                                if (nla_type(v) == IFLA_VF_VLAN_INFO && nla_len(v) >= (int) sizeof(*vi))
                                        memset((uint8_t *) vi + end, 0, sizeof(*vi) - end);
                        }
                }
}

int vf_netlink_build_set(int ifindex, const VfNetSettings *s, VfNetAttribute attribute, struct nl_msg **ret) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *orig = NULL, *change = NULL;
        _cleanup_(rtnl_link_vf_putp) struct rtnl_link_vf *vf = NULL;
        _cleanup_(nl_addr_putp) struct nl_addr *addr = NULL;
        struct nl_msg *msg = NULL;
        int r;

        if (ifindex <= 0 || !(s->mask & VF_NET_BIT(attribute)))
                return -EINVAL;
        orig = rtnl_link_alloc();
        change = rtnl_link_alloc();
        vf = rtnl_link_vf_alloc();
        if (!orig || !change || !vf)
                return -ENOMEM;
        rtnl_link_set_ifindex(orig, ifindex);
        rtnl_link_set_ifindex(change, ifindex);
        rtnl_link_vf_set_index(vf, s->index);

        switch (attribute) {
        case VF_NET_MAC:
                addr = nl_addr_build(AF_LLC, s->mac, sizeof(s->mac));
                if (!addr)
                        return -ENOMEM;
                rtnl_link_vf_set_addr(vf, addr);
                break;
        case VF_NET_VLAN:
                r = set_vlan(vf, s);
                if (r < 0)
                        return r;
                break;
        case VF_NET_TX_RATE: {
                /* IFLA_VF_RATE sets both bounds: a caller that changes one passes the other as it is. */
                struct nl_vf_rate rate = {
                        .api = RTNL_LINK_VF_RATE_API_NEW,
                        .min_tx_rate = (uint32_t) s->min_tx_rate,
                        .max_tx_rate = (uint32_t) s->max_tx_rate,
                };

                if (s->min_tx_rate < 0 || s->max_tx_rate < 0)
                        return -EINVAL;
                rtnl_link_vf_set_rate(vf, &rate);
                break;
        }
        case VF_NET_SPOOF_CHECK:
                rtnl_link_vf_set_spoofchk(vf, s->spoof_check);
                break;
        case VF_NET_TRUST:
                rtnl_link_vf_set_trust(vf, s->trust);
                break;
        case VF_NET_LINK_STATE:
                if (s->link_state < 0 || s->link_state >= _LINK_STATE_MAX)
                        return -EINVAL;
                rtnl_link_vf_set_linkstate(vf, (uint32_t) s->link_state);
                break;
        case VF_NET_QUERY_RSS:
                rtnl_link_vf_set_rss_query_en(vf, s->query_rss);
                break;
        default:
                return -EINVAL;
        }

        r = rtnl_link_vf_add(change, vf);
        if (r < 0)
                return nl_error_to_errno(r);
        r = rtnl_link_build_change_request(orig, change, 0, &msg);
        if (r < 0)
                return nl_error_to_errno(r);
        clear_vlan_info_padding(msg);
        *ret = msg;
        return 0;
}

int vf_netlink_build_get(int ifindex, struct nl_msg **ret) {
        struct nl_msg *msg = NULL;
        int r;

        if (ifindex <= 0)
                return -EINVAL;
        r = rtnl_link_build_get_request(ifindex, NULL, &msg);
        if (r < 0)
                return nl_error_to_errno(r);
        /* Without RTEXT_FILTER_VF the kernel leaves the VF table out of its answer. */
        r = nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_VF);
        if (r < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        *ret = msg;
        return 0;
}

static struct nla_policy vf_policy[IFLA_VF_MAX + 1] = {
        [IFLA_VF_MAC] = { .minlen = sizeof(struct ifla_vf_mac) },
        [IFLA_VF_VLAN] = { .minlen = sizeof(struct ifla_vf_vlan) },
        [IFLA_VF_VLAN_LIST] = { .type = NLA_NESTED },
        [IFLA_VF_TX_RATE] = { .minlen = sizeof(struct ifla_vf_tx_rate) },
        [IFLA_VF_SPOOFCHK] = { .minlen = sizeof(struct ifla_vf_spoofchk) },
        [IFLA_VF_RATE] = { .minlen = sizeof(struct ifla_vf_rate) },
        [IFLA_VF_LINK_STATE] = { .minlen = sizeof(struct ifla_vf_link_state) },
        [IFLA_VF_RSS_QUERY_EN] = { .minlen = sizeof(struct ifla_vf_rss_query_en) },
        [IFLA_VF_TRUST] = { .minlen = sizeof(struct ifla_vf_trust) },
};

/* Every IFLA_VF_* struct starts with the VF's index; the kernel's "not supported" is (u32) -1. */
static void take_index(VfNetSettings *s, bool *has_index, uint32_t vf) {
        if (!*has_index)
                s->index = vf;
        *has_index = true;
}

static int parse_vf_info(struct nlattr *info, VfNetSettings *ret, bool *ret_valid) {
        struct nlattr *t[IFLA_VF_MAX + 1];
        VfNetSettings s = { .min_tx_rate = -1, .max_tx_rate = -1 };
        bool has_index = false;
        int r;

        r = nla_parse_nested(t, IFLA_VF_MAX, info, vf_policy);
        if (r < 0)
                return -EBADMSG;

        if (t[IFLA_VF_MAC]) {
                const struct ifla_vf_mac *m = nla_data(t[IFLA_VF_MAC]);

                take_index(&s, &has_index, m->vf);
                memcpy(s.mac, m->mac, sizeof(s.mac));
                s.mask |= VF_NET_BIT(VF_NET_MAC);
        }
        if (t[IFLA_VF_VLAN_LIST]) {
                struct nlattr *v;
                int rem;

                /* The kernel reports (and takes) one VLAN per VF; the first entry is it. */
                nla_for_each_nested(v, t[IFLA_VF_VLAN_LIST], rem) {
                        const struct ifla_vf_vlan_info *vi;
                        uint16_t proto;

                        if (nla_type(v) != IFLA_VF_VLAN_INFO || nla_len(v) < (int) sizeof(*vi))
                                return -EBADMSG;
                        vi = nla_data(v);
                        proto = ntohs(vi->vlan_proto);
                        take_index(&s, &has_index, vi->vf);
                        s.vlan = vi->vlan;
                        s.qos = vi->qos;
                        if (proto == ETH_P_8021AD)
                                s.vlan_protocol = VLAN_PROTOCOL_8021AD;
                        else if (proto == ETH_P_8021Q || proto == 0)
                                s.vlan_protocol = VLAN_PROTOCOL_8021Q;
                        else
                                return -EBADMSG;
                        s.mask |= VF_NET_BIT(VF_NET_VLAN);
                        break;
                }
        } else if (t[IFLA_VF_VLAN]) {
                const struct ifla_vf_vlan *v = nla_data(t[IFLA_VF_VLAN]);

                take_index(&s, &has_index, v->vf);
                s.vlan = v->vlan;
                s.qos = v->qos;
                s.vlan_protocol = VLAN_PROTOCOL_8021Q;
                s.mask |= VF_NET_BIT(VF_NET_VLAN);
        }
        if (t[IFLA_VF_RATE]) {
                const struct ifla_vf_rate *v = nla_data(t[IFLA_VF_RATE]);

                take_index(&s, &has_index, v->vf);
                s.min_tx_rate = (int) v->min_tx_rate;
                s.max_tx_rate = (int) v->max_tx_rate;
                s.mask |= VF_NET_BIT(VF_NET_TX_RATE);
        } else if (t[IFLA_VF_TX_RATE]) {
                const struct ifla_vf_tx_rate *v = nla_data(t[IFLA_VF_TX_RATE]);

                take_index(&s, &has_index, v->vf);
                s.min_tx_rate = 0;
                s.max_tx_rate = (int) v->rate;
                s.mask |= VF_NET_BIT(VF_NET_TX_RATE);
        }
        if (t[IFLA_VF_SPOOFCHK]) {
                const struct ifla_vf_spoofchk *v = nla_data(t[IFLA_VF_SPOOFCHK]);

                take_index(&s, &has_index, v->vf);
                if (v->setting != (uint32_t) -1) {
                        s.spoof_check = v->setting;
                        s.mask |= VF_NET_BIT(VF_NET_SPOOF_CHECK);
                }
        }
        if (t[IFLA_VF_LINK_STATE]) {
                const struct ifla_vf_link_state *v = nla_data(t[IFLA_VF_LINK_STATE]);

                take_index(&s, &has_index, v->vf);
                if (v->link_state < _LINK_STATE_MAX) {
                        s.link_state = (LinkState) v->link_state;
                        s.mask |= VF_NET_BIT(VF_NET_LINK_STATE);
                }
        }
        if (t[IFLA_VF_RSS_QUERY_EN]) {
                const struct ifla_vf_rss_query_en *v = nla_data(t[IFLA_VF_RSS_QUERY_EN]);

                take_index(&s, &has_index, v->vf);
                if (v->setting != (uint32_t) -1) {
                        s.query_rss = v->setting;
                        s.mask |= VF_NET_BIT(VF_NET_QUERY_RSS);
                }
        }
        if (t[IFLA_VF_TRUST]) {
                const struct ifla_vf_trust *v = nla_data(t[IFLA_VF_TRUST]);

                take_index(&s, &has_index, v->vf);
                if (v->setting != (uint32_t) -1) {
                        s.trust = v->setting;
                        s.mask |= VF_NET_BIT(VF_NET_TRUST);
                }
        }
        *ret_valid = has_index;
        *ret = s;
        return 0;
}

static int compare_index(const void *a, const void *b) {
        const VfNetSettings *x = a, *y = b;
        return x->index < y->index ? -1 : x->index > y->index;
}

int vf_netlink_parse(const struct nlmsghdr *hdr, VfNetSettings **ret, size_t *ret_n) {
        _cleanup_free_ VfNetSettings *vfs = NULL;
        struct nlattr *tb[IFLA_MAX + 1], *info;
        size_t n = 0;
        int r, rem;

        r = nlmsg_parse((struct nlmsghdr *) hdr, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL);
        if (r < 0)
                return -EBADMSG;
        if (tb[IFLA_VFINFO_LIST])
                nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem) {
                        VfNetSettings s, *t;
                        bool valid;

                        if (nla_type(info) != IFLA_VF_INFO)
                                continue;
                        r = parse_vf_info(info, &s, &valid);
                        if (r < 0)
                                return r;
                        if (!valid)
                                continue;
                        t = reallocarray(vfs, n + 1, sizeof(VfNetSettings));
                        if (!t)
                                return -ENOMEM;
                        vfs = t;
                        vfs[n++] = s;
                }
        if (n > 1)
                qsort(vfs, n, sizeof(VfNetSettings), compare_index);
        *ret = TAKE_PTR(vfs);
        *ret_n = n;
        return 0;
}

static const char *error_hint(VfNetAttribute attribute, int error) {
        switch (error) {
        case EOPNOTSUPP:
                return "the PF driver does not support it";
        case EPROTONOSUPPORT:
                return "the PF driver does not support this VLAN protocol";
        case EINVAL:
                return "the PF driver refused the value";
        case EPERM:
        case EACCES:
                return "sriovd lacks CAP_NET_ADMIN";
        case ENODEV:
                return "the PF netdev is gone";
        case EBUSY:
                return "the VF or its netdev is busy";
        case EADDRNOTAVAIL:
                return attribute == VF_NET_MAC ? "the address is in use or not allowed" : NULL;
        default:
                return NULL;
        }
}

int vf_netlink_error_message(unsigned vf, VfNetAttribute attribute, int error, char **ret) {
        const char *hint;
        int r;

        error = error < 0 ? -error : error;
        hint = error_hint(attribute, error);
        r = asprintf(ret, "VF %u %s: %s%s%s%s", vf, strna(vf_net_attribute_to_string(attribute)), strerror(error),
                     hint ? " (" : "", strempty(hint), hint ? ")" : "");
        return r < 0 ? -ENOMEM : 0;
}
