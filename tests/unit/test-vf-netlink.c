/* VF netdev requests: each attribute built with libnl, dumped to bytes and parsed back; the VF table read back; errors per attribute. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nlmsg-dump.h"
#include "sriovd/netlink.h"
#include "sriovd/plan.h"
#include "sriovd/vf-netlink.h"

/* Builds the request for one attribute, checks it addresses the PF, and parses it back. */
static VfNetSettings round_trip(const VfNetSettings *s, VfNetAttribute a, struct nlmsghdr **ret_wire) {
        struct nl_msg *msg = NULL;
        _cleanup_free_ VfNetSettings *vfs = NULL;
        struct nlmsghdr *wire;
        struct ifinfomsg *ifi;
        VfNetSettings back;
        size_t n = 0;

        assert_int_equal(vf_netlink_build_set(7, s, a, &msg), 0);
        wire = nlmsg_dump(msg);
        /* A change of an existing link, as iproute2's "ip link set" sends it. */
        assert_int_equal(wire->nlmsg_type, RTM_NEWLINK);
        assert_false(wire->nlmsg_flags & NLM_F_CREATE);
        ifi = nlmsg_data(wire);
        assert_int_equal(ifi->ifi_index, 7);
        assert_int_equal(vf_netlink_parse(wire, &vfs, &n), 0);
        assert_int_equal(n, 1);
        back = vfs[0];
        assert_int_equal(back.index, s->index);
        /* One attribute per request: the kernel stops at the first one that fails. */
        assert_int_equal(back.mask, VF_NET_BIT(a));
        assert_true(vf_net_settings_equal(s, &back, a));
        if (ret_wire)
                *ret_wire = wire;
        else
                free(wire);
        return back;
}

static void test_every_attribute_round_trips(void **state) {
        VfNetSettings s = {
                .index = 3,
                .mask = ~0U,
                .mac = { 0x02, 0x00, 0x00, 0x00, 0x3b, 0x03 },
                .vlan = 100,
                .qos = 5,
                .vlan_protocol = VLAN_PROTOCOL_8021Q,
                .min_tx_rate = 100,
                .max_tx_rate = 1000,
                .spoof_check = true,
                .trust = true,
                .link_state = LINK_STATE_DISABLE,
                .query_rss = true,
        };
        VfNetSettings back;

        for (VfNetAttribute a = 0; a < _VF_NET_ATTRIBUTE_MAX; a++)
                (void) round_trip(&s, a, NULL);

        back = round_trip(&s, VF_NET_MAC, NULL);
        assert_memory_equal(back.mac, s.mac, 6);
        back = round_trip(&s, VF_NET_VLAN, NULL);
        assert_int_equal(back.vlan, 100);
        assert_int_equal(back.qos, 5);
        assert_int_equal(back.vlan_protocol, VLAN_PROTOCOL_8021Q);
        back = round_trip(&s, VF_NET_TX_RATE, NULL);
        assert_int_equal(back.min_tx_rate, 100);
        assert_int_equal(back.max_tx_rate, 1000);

        /* the other value of every switch */
        s.spoof_check = false;
        s.trust = false;
        s.query_rss = false;
        assert_false(round_trip(&s, VF_NET_SPOOF_CHECK, NULL).spoof_check);
        assert_false(round_trip(&s, VF_NET_TRUST, NULL).trust);
        assert_false(round_trip(&s, VF_NET_QUERY_RSS, NULL).query_rss);
        for (LinkState l = 0; l < _LINK_STATE_MAX; l++) {
                s.link_state = l;
                assert_int_equal(round_trip(&s, VF_NET_LINK_STATE, NULL).link_state, l);
        }
}

static void test_vlan_8021ad_in_network_byte_order(void **state) {
        VfNetSettings s = { .index = 1, .mask = VF_NET_BIT(VF_NET_VLAN), .vlan = 4094, .qos = 7,
                            .vlan_protocol = VLAN_PROTOCOL_8021AD };
        struct nlattr *tb[IFLA_MAX + 1], *info, *t[IFLA_VF_MAX + 1], *entry;
        _cleanup_free_ struct nlmsghdr *wire = NULL;
        const struct ifla_vf_vlan_info *vi;
        VfNetSettings back;
        int rem;

        back = round_trip(&s, VF_NET_VLAN, &wire);
        assert_int_equal(back.vlan_protocol, VLAN_PROTOCOL_8021AD);
        assert_int_equal(back.vlan, 4094);
        assert_int_equal(back.qos, 7);

        /* The kernel reads vlan_proto as __be16: check the bytes, not just our own reading of them. */
        assert_int_equal(nlmsg_parse(wire, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
        assert_non_null(tb[IFLA_VFINFO_LIST]);
        info = nla_data(tb[IFLA_VFINFO_LIST]);
        assert_int_equal(nla_parse_nested(t, IFLA_VF_MAX, info, NULL), 0);
        assert_null(t[IFLA_VF_VLAN]);
        assert_non_null(t[IFLA_VF_VLAN_LIST]);
        entry = nla_data(t[IFLA_VF_VLAN_LIST]);
        (void) rem;
        vi = nla_data(entry);
        assert_int_equal(((const uint8_t *) &vi->vlan_proto)[0], 0x88);
        assert_int_equal(((const uint8_t *) &vi->vlan_proto)[1], 0xa8);
        assert_int_equal(vi->vf, 1);
}

/* Leaves a stack full of 0xa5 behind, where libnl's frames will be. */
static __attribute__((noinline)) void dirty_stack(void) {
        volatile uint8_t junk[16384];

        memset((uint8_t *) junk, 0xa5, sizeof(junk));
        __asm__ volatile("" : : "r"(junk) : "memory");
}

static void test_vlan_info_padding_is_zero(void **state) {
        VfNetSettings s = { .index = 2, .mask = VF_NET_BIT(VF_NET_VLAN), .vlan = 100, .qos = 3,
                            .vlan_protocol = VLAN_PROTOCOL_8021AD };
        struct nlattr *tb[IFLA_MAX + 1], *t[IFLA_VF_MAX + 1];
        const struct ifla_vf_vlan_info *vi;
        struct nl_msg *msg = NULL;
        size_t end = offsetof(struct ifla_vf_vlan_info, vlan_proto) + sizeof(vi->vlan_proto);

        dirty_stack();
        assert_int_equal(vf_netlink_build_set(7, &s, VF_NET_VLAN, &msg), 0);
        assert_int_equal(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
        assert_int_equal(nla_parse_nested(t, IFLA_VF_MAX, nla_data(tb[IFLA_VFINFO_LIST]), NULL), 0);
        assert_non_null(t[IFLA_VF_VLAN_LIST]);
        vi = nla_data(nla_data(t[IFLA_VF_VLAN_LIST]));
        /* nothing of the process's stack goes to the kernel: the bytes may happen to be zero in a plain
         * run, but tests/check runs this under memcheck, which fails on reading them uninitialised */
        for (size_t i = end; i < sizeof(*vi); i++)
                assert_int_equal(((const uint8_t *) vi)[i], 0);
        nlmsg_free(msg);
}

static void test_vlan_none_clears(void **state) {
        VfNetSettings s = { .index = 0, .mask = VF_NET_BIT(VF_NET_VLAN), .vlan = 0, .vlan_protocol = VLAN_PROTOCOL_8021Q };
        VfNetSettings back = round_trip(&s, VF_NET_VLAN, NULL);

        assert_int_equal(back.vlan, 0);
        assert_int_equal(back.qos, 0);
}

static void test_bad_requests_refused(void **state) {
        VfNetSettings s = { .index = 0, .mask = VF_NET_BIT(VF_NET_TX_RATE), .min_tx_rate = -1, .max_tx_rate = 100 };
        struct nl_msg *msg = NULL;

        /* a rate bound left to the planner to fill in */
        assert_int_equal(vf_netlink_build_set(7, &s, VF_NET_TX_RATE, &msg), -EINVAL);
        /* an attribute the settings have no value for */
        assert_int_equal(vf_netlink_build_set(7, &s, VF_NET_TRUST, &msg), -EINVAL);
        s = (VfNetSettings) { .mask = VF_NET_BIT(VF_NET_VLAN), .vlan = 4096 };
        assert_int_equal(vf_netlink_build_set(7, &s, VF_NET_VLAN, &msg), -EINVAL);
        s = (VfNetSettings) { .mask = VF_NET_BIT(VF_NET_TRUST) };
        assert_int_equal(vf_netlink_build_set(0, &s, VF_NET_TRUST, &msg), -EINVAL);
        assert_null(msg);
}

static void test_get_asks_for_the_vf_table(void **state) {
        struct nl_msg *msg = NULL;
        _cleanup_free_ struct nlmsghdr *wire = NULL;
        struct nlattr *tb[IFLA_MAX + 1];

        assert_int_equal(vf_netlink_build_get(7, &msg), 0);
        wire = nlmsg_dump(msg);
        assert_int_equal(wire->nlmsg_type, RTM_GETLINK);
        assert_int_equal(((struct ifinfomsg *) nlmsg_data(wire))->ifi_index, 7);
        assert_int_equal(nlmsg_parse(wire, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
        assert_non_null(tb[IFLA_EXT_MASK]);
        assert_true(nla_get_u32(tb[IFLA_EXT_MASK]) & RTEXT_FILTER_VF);
}

/* A kernel-like answer for two VFs, built by libnl's own link encoder; IFLA_NUM_VF as the kernel adds it. */
static struct nl_msg *kernel_answer(void) {
        struct rtnl_link *link = rtnl_link_alloc();
        struct nl_msg *msg = NULL;

        assert_non_null(link);
        rtnl_link_set_ifindex(link, 7);
        for (unsigned i = 0; i < 2; i++) {
                struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
                uint8_t mac[6] = { 0x02, 0, 0, 0, 0x3b, (uint8_t) i };
                struct nl_addr *addr = nl_addr_build(AF_LLC, mac, 6);
                struct nl_vf_rate rate = { .api = RTNL_LINK_VF_RATE_API_NEW, .min_tx_rate = 10 * i, .max_tx_rate = 100 * i };
                nl_vf_vlans_t *vlans = NULL;

                rtnl_link_vf_set_index(vf, i);
                rtnl_link_vf_set_addr(vf, addr);
                nl_addr_put(addr);
                assert_int_equal(rtnl_link_vf_vlan_alloc(&vlans, 1), 0);
                vlans->vlans[0].vf_vlan = 100 + i;
                vlans->vlans[0].vf_vlan_qos = i;
                vlans->vlans[0].vf_vlan_proto = ETH_P_8021Q;
                rtnl_link_vf_set_vlans(vf, vlans);
                rtnl_link_vf_vlan_put(vlans);
                rtnl_link_vf_set_rate(vf, &rate);
                rtnl_link_vf_set_spoofchk(vf, i);
                rtnl_link_vf_set_trust(vf, !i);
                rtnl_link_vf_set_linkstate(vf, i ? IFLA_VF_LINK_STATE_ENABLE : IFLA_VF_LINK_STATE_AUTO);
                rtnl_link_vf_set_rss_query_en(vf, i);
                assert_int_equal(rtnl_link_vf_add(link, vf), 0);
                rtnl_link_vf_put(vf);
        }
        assert_int_equal(rtnl_link_build_add_request(link, 0, &msg), 0);
        assert_int_equal(nla_put_u32(msg, IFLA_NUM_VF, 2), 0);
        rtnl_link_put(link);
        return msg;
}

static void test_vf_table_read_back(void **state) {
        _cleanup_free_ struct nlmsghdr *wire = nlmsg_dump(kernel_answer());
        _cleanup_free_ VfNetSettings *vfs = NULL;
        size_t n = 0;

        assert_int_equal(vf_netlink_parse(wire, &vfs, &n), 0);
        assert_int_equal(n, 2);
        for (unsigned i = 0; i < 2; i++) {
                assert_int_equal(vfs[i].index, i);
                assert_int_equal(vfs[i].mask, (1U << _VF_NET_ATTRIBUTE_MAX) - 1);
                assert_int_equal(vfs[i].mac[5], i);
                assert_int_equal(vfs[i].vlan, 100 + i);
                assert_int_equal(vfs[i].qos, i);
                assert_int_equal(vfs[i].min_tx_rate, 10 * i);
                assert_int_equal(vfs[i].max_tx_rate, 100 * i);
                assert_int_equal(vfs[i].spoof_check, i);
                assert_int_equal(vfs[i].trust, !i);
                assert_int_equal(vfs[i].link_state, i ? LINK_STATE_ENABLE : LINK_STATE_AUTO);
                assert_int_equal(vfs[i].query_rss, i);
        }
}

/* A driver without trust or RSS query support reports (u32) -1: those attributes are unknown, not "no". */
static void test_unsupported_settings_are_unknown(void **state) {
        struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        struct ifinfomsg ifi = { .ifi_index = 7 };
        struct ifla_vf_mac mac = { .vf = 2 };
        struct ifla_vf_trust trust = { .vf = 2, .setting = (uint32_t) -1 };
        struct ifla_vf_rss_query_en rss = { .vf = 2, .setting = (uint32_t) -1 };
        struct ifla_vf_spoofchk spoof = { .vf = 2, .setting = 1 };
        struct nlattr *list, *info;
        _cleanup_free_ struct nlmsghdr *wire = NULL;
        _cleanup_free_ VfNetSettings *vfs = NULL;
        size_t n = 0;

        assert_non_null(msg);
        assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        list = nla_nest_start(msg, IFLA_VFINFO_LIST);
        info = nla_nest_start(msg, IFLA_VF_INFO);
        assert_int_equal(nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac), 0);
        assert_int_equal(nla_put(msg, IFLA_VF_TRUST, sizeof(trust), &trust), 0);
        assert_int_equal(nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss), 0);
        assert_int_equal(nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(spoof), &spoof), 0);
        nla_nest_end(msg, info);
        nla_nest_end(msg, list);
        wire = nlmsg_dump(msg);

        assert_int_equal(vf_netlink_parse(wire, &vfs, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(vfs[0].index, 2);
        assert_int_equal(vfs[0].mask, VF_NET_BIT(VF_NET_MAC) | VF_NET_BIT(VF_NET_SPOOF_CHECK));
        assert_true(vfs[0].spoof_check);
}

static void test_error_names_the_attribute(void **state) {
        static const struct {
                unsigned vf;
                VfNetAttribute attribute;
                int error;
                const char *message;
        } cases[] = {
                { 3, VF_NET_VLAN, -EOPNOTSUPP, "VF 3 VLAN: Operation not supported (the PF driver does not support it)" },
                { 0, VF_NET_MAC, -EADDRNOTAVAIL, "VF 0 MACAddress: Cannot assign requested address (the address is in use or not allowed)" },
                { 1, VF_NET_TX_RATE, -EINVAL, "VF 1 TxRate: Invalid argument (the PF driver refused the value)" },
                { 2, VF_NET_TRUST, -EPERM, "VF 2 Trust: Operation not permitted (sriovd lacks CAP_NET_ADMIN)" },
                { 4, VF_NET_VLAN, -EPROTONOSUPPORT, "VF 4 VLAN: Protocol not supported (the PF driver does not support this VLAN protocol)" },
                { 5, VF_NET_LINK_STATE, -EIO, "VF 5 LinkState: Input/output error" },
                { 6, VF_NET_QUERY_RSS, -ENODEV, "VF 6 QueryRSS: No such device (the PF netdev is gone)" },
                { 7, VF_NET_SPOOF_CHECK, -EBUSY, "VF 7 SpoofCheck: Device or resource busy (the VF or its netdev is busy)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *m = NULL;

                assert_int_equal(vf_netlink_error_message(cases[i].vf, cases[i].attribute, cases[i].error, &m), 0);
                assert_string_equal(m, cases[i].message);
        }
}

static void test_setting_strings(void **state) {
        VfNetSettings s = { .mask = ~0U, .mac = { 2, 0, 0, 0, 0x3b, 1 }, .vlan = 100, .qos = 3,
                            .vlan_protocol = VLAN_PROTOCOL_8021AD, .min_tx_rate = 0, .max_tx_rate = 500,
                            .trust = true, .link_state = LINK_STATE_ENABLE };
        static const char * const expected[_VF_NET_ATTRIBUTE_MAX] = {
                "MACAddress=02:00:00:00:3b:01",
                "VLAN=100 QualityOfService=3 VLANProtocol=802.1ad",
                "MinTxRate=0 MaxTxRate=500",
                "SpoofCheck=no",
                "Trust=yes",
                "LinkState=enable",
                "QueryReceiveSideScaling=no",
        };

        for (VfNetAttribute a = 0; a < _VF_NET_ATTRIBUTE_MAX; a++) {
                _cleanup_free_ char *t = NULL;

                assert_int_equal(vf_net_setting_to_string(&s, a, &t), 0);
                assert_string_equal(t, expected[a]);
        }
        assert_int_equal(vlan_protocol_from_string("802.1q"), VLAN_PROTOCOL_8021Q);
        assert_int_equal(vlan_protocol_from_string("802.1AD"), VLAN_PROTOCOL_8021AD);
        assert_int_equal(vlan_protocol_from_string("qinq"), _VLAN_PROTOCOL_INVALID);
}

/* ---- through the ops table, as the daemon's worker uses it ---- */

typedef struct Script {
        unsigned n_requests;
        int fail_attribute;     /* this attribute's request fails with error */
        int error;
        VfNetSettings last;
} Script;

static int scripted_transact(void *userdata, int protocol, struct nl_msg *request, struct nl_msg **ret_reply) {
        Script *s = userdata;
        struct nlmsghdr *h = nlmsg_hdr(request);
        _cleanup_free_ VfNetSettings *vfs = NULL;
        size_t n = 0;

        assert_int_equal(protocol, NETLINK_ROUTE);
        s->n_requests++;
        if (h->nlmsg_type == RTM_GETLINK) {
                *ret_reply = kernel_answer();
                return 0;
        }
        assert_int_equal(vf_netlink_parse(h, &vfs, &n), 0);
        assert_int_equal(n, 1);
        s->last = vfs[0];
        if (s->fail_attribute >= 0 && vfs[0].mask == VF_NET_BIT(s->fail_attribute))
                return s->error;
        *ret_reply = NULL;
        return 0;
}

static const NetlinkOps scripted_ops = { .transact = scripted_transact };

static void test_planned_changes_through_the_ops(void **state) {
        Script script = { .fail_attribute = VF_NET_VLAN, .error = -EOPNOTSUPP };
        _cleanup_(netlink_freep) Netlink *nl = NULL;
        _cleanup_free_ VfNetSettings *current = NULL, *changes = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        size_t n_current = 0, n_changes = 0;
        IndexRange all = { 0, 1 };
        VfPolicy v = {
                .ranges = &all, .n_ranges = 1, .msix_vectors = -1,
                .vlan = 101, .vlan_qos = 1, .vlan_protocol = _VLAN_PROTOCOL_INVALID,
                .min_tx_rate = -1, .max_tx_rate = 300,
                .trust = 1, .spoof_check = -1, .query_rss = -1, .link_state = _LINK_STATE_INVALID,
        };

        assert_int_equal(policy_new("50-test.conf", &p), 0);
        p->vfs = &v;
        p->n_vfs = 1;
        assert_int_equal(netlink_new_with_ops(&scripted_ops, &script, &nl), 0);
        assert_int_equal(netlink_read_vfs(nl, 7, &current, &n_current), 0);
        assert_int_equal(n_current, 2);
        assert_int_equal(plan_vf_net(p, 2, current, n_current, &changes, &n_changes), 0);
        p->vfs = NULL;
        p->n_vfs = 0;

        /* VF 0: VLAN 100 qos 0 -> 101 qos 1, rate 0/0 -> 0/300, trust already on.
         * VF 1: VLAN 101 qos 1 already, rate 10/100 -> 10/300 (min kept), trust off -> on. */
        assert_int_equal(n_changes, 4);
        assert_int_equal(changes[0].index, 0);
        assert_int_equal(changes[0].mask, VF_NET_BIT(VF_NET_VLAN));
        assert_int_equal(changes[1].index, 0);
        assert_int_equal(changes[1].mask, VF_NET_BIT(VF_NET_TX_RATE));
        assert_int_equal(changes[1].min_tx_rate, 0);
        assert_int_equal(changes[2].index, 1);
        assert_int_equal(changes[2].mask, VF_NET_BIT(VF_NET_TX_RATE));
        assert_int_equal(changes[2].min_tx_rate, 10);
        assert_int_equal(changes[2].max_tx_rate, 300);
        assert_int_equal(changes[3].index, 1);
        assert_int_equal(changes[3].mask, VF_NET_BIT(VF_NET_TRUST));

        /* the VLAN fails alone, with the kernel's errno; the others still go */
        assert_int_equal(netlink_set_vf(nl, 7, &changes[0], VF_NET_VLAN), -EOPNOTSUPP);
        for (size_t i = 1; i < n_changes; i++) {
                VfNetAttribute a = (VfNetAttribute) __builtin_ctz(changes[i].mask);

                assert_int_equal(netlink_set_vf(nl, 7, &changes[i], a), 0);
                assert_int_equal(script.last.index, changes[i].index);
                assert_true(vf_net_settings_equal(&script.last, &changes[i], a));
        }
        assert_int_equal(script.n_requests, 1 + n_changes);
}

static void test_nothing_planned_when_in_sync(void **state) {
        _cleanup_free_ struct nlmsghdr *wire = nlmsg_dump(kernel_answer());
        _cleanup_free_ VfNetSettings *current = NULL, *changes = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        size_t n_current = 0, n_changes = 0;
        IndexRange one = { 1, 1 };
        VfPolicy v = {
                .ranges = &one, .n_ranges = 1, .msix_vectors = -1, .has_mac = true, .mac = { 0x02, 0, 0, 0, 0x3b, 1 },
                .vlan = 101, .vlan_qos = 1, .vlan_protocol = VLAN_PROTOCOL_8021Q,
                .min_tx_rate = 10, .max_tx_rate = 100,
                .trust = 0, .spoof_check = 1, .query_rss = 1, .link_state = LINK_STATE_ENABLE,
        };

        assert_int_equal(policy_new("50-test.conf", &p), 0);
        p->vfs = &v;
        p->n_vfs = 1;
        assert_int_equal(vf_netlink_parse(wire, &current, &n_current), 0);
        assert_int_equal(plan_vf_net(p, 2, current, n_current, &changes, &n_changes), 0);
        assert_int_equal(n_changes, 0);
        /* a VF the PF does not report (yet) gets everything */
        assert_int_equal(plan_vf_net(p, 2, NULL, 0, &changes, &n_changes), 0);
        assert_int_equal(n_changes, 7);
        p->vfs = NULL;
        p->n_vfs = 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_attribute_round_trips),
                cmocka_unit_test(test_vlan_8021ad_in_network_byte_order),
                cmocka_unit_test(test_vlan_info_padding_is_zero),
                cmocka_unit_test(test_vlan_none_clears),
                cmocka_unit_test(test_bad_requests_refused),
                cmocka_unit_test(test_get_asks_for_the_vf_table),
                cmocka_unit_test(test_vf_table_read_back),
                cmocka_unit_test(test_unsupported_settings_are_unknown),
                cmocka_unit_test(test_error_names_the_attribute),
                cmocka_unit_test(test_setting_strings),
                cmocka_unit_test(test_planned_changes_through_the_ops),
                cmocka_unit_test(test_nothing_planned_when_in_sync),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
