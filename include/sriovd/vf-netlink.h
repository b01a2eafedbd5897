/* Per-VF netdev settings over rtnetlink: one request per attribute, and the PF's VF table read back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sriovd/macro.h"

struct nl_msg;
struct nlmsghdr;

/* What one IFLA_VF_* request sets; the kernel stops at the first failing attribute of a request,
 * so each goes alone and fails alone. */
typedef enum VfNetAttribute {
        VF_NET_MAC,             /* IFLA_VF_MAC */
        VF_NET_VLAN,            /* IFLA_VF_VLAN, or IFLA_VF_VLAN_LIST for 802.1ad: id, QoS and protocol */
        VF_NET_TX_RATE,         /* IFLA_VF_RATE: minimum and maximum, always together */
        VF_NET_SPOOF_CHECK,     /* IFLA_VF_SPOOFCHK */
        VF_NET_TRUST,           /* IFLA_VF_TRUST */
        VF_NET_LINK_STATE,      /* IFLA_VF_LINK_STATE */
        VF_NET_QUERY_RSS,       /* IFLA_VF_RSS_QUERY_EN */
        _VF_NET_ATTRIBUTE_MAX,
        _VF_NET_ATTRIBUTE_INVALID = -EINVAL,
} VfNetAttribute;

#define VF_NET_BIT(a) (1U << (a))

typedef enum VlanProtocol {
        VLAN_PROTOCOL_8021Q,
        VLAN_PROTOCOL_8021AD,
        _VLAN_PROTOCOL_MAX,
        _VLAN_PROTOCOL_INVALID = -EINVAL,
} VlanProtocol;

/* LinkState=: the kernel's IFLA_VF_LINK_STATE_* values, in their order. */
typedef enum LinkState {
        LINK_STATE_AUTO,
        LINK_STATE_ENABLE,
        LINK_STATE_DISABLE,
        _LINK_STATE_MAX,
        _LINK_STATE_INVALID = -EINVAL,
} LinkState;

/* One VF's settings: as the PF driver reports them, as a policy wants them, or one change to send.
 * Only the attributes in mask have a value. */
typedef struct VfNetSettings {
        unsigned index;
        unsigned mask;
        uint8_t mac[6];
        unsigned vlan;          /* 0: no VLAN */
        unsigned qos;           /* 802.1p priority, 0-7 */
        VlanProtocol vlan_protocol;
        int min_tx_rate;        /* Mbit/s, 0: no limit; -1 in a policy: keep what the VF has */
        int max_tx_rate;
        bool spoof_check;
        bool trust;
        LinkState link_state;
        bool query_rss;
} VfNetSettings;

const char *vf_net_attribute_to_string(VfNetAttribute a);
const char *vlan_protocol_to_string(VlanProtocol p);
VlanProtocol vlan_protocol_from_string(const char *s);

/* Do a and b agree on attribute? Both must have it. */
bool vf_net_settings_equal(const VfNetSettings *a, const VfNetSettings *b, VfNetAttribute attribute);
/* "VLAN 100 qos 3 802.1ad", "MACAddress 02:00:00:00:3b:00", ...: for logs and plans. */
int vf_net_setting_to_string(const VfNetSettings *s, VfNetAttribute attribute, char **ret);

/* The change request (RTM_NEWLINK on the PF's ifindex, as iproute2 sends) that sets attribute of
 * VF s->index to the value in s, built by libnl-route-3. -EINVAL when s has no such value. */
int vf_netlink_build_set(int ifindex, const VfNetSettings *s, VfNetAttribute attribute, struct nl_msg **ret);
/* RTM_GETLINK for the PF with RTEXT_FILTER_VF, so the answer carries IFLA_VFINFO_LIST. */
int vf_netlink_build_get(int ifindex, struct nl_msg **ret);

/* The VFs of a link message's IFLA_VFINFO_LIST: a kernel's answer to the request above, or a change
 * request. The result is sorted by VF index; -EBADMSG when the message is malformed. */
int vf_netlink_parse(const struct nlmsghdr *hdr, VfNetSettings **ret, size_t *ret_n);

/* "VF 3 VLAN: Operation not supported (the PF driver does not implement it)". */
int vf_netlink_error_message(unsigned vf, VfNetAttribute attribute, int error, char **ret);
