/* The kernel's link notifications, received with libnl-3 and parsed with its attribute parser. */
#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>

#include "sriovd/link-events.h"
#include "sriovd/macro.h"

struct LinkEvents {
        struct nl_sock *sock;
        LinkEventHandler handler;
        void *userdata;
};

int link_event_parse(const struct nlmsghdr *h, LinkEvent *ret) {
        static struct nla_policy policy[IFLA_MAX + 1] = {
                [IFLA_IFNAME] = { .type = NLA_STRING, .maxlen = IFNAMSIZ },
        };
        struct nlattr *tb[IFLA_MAX + 1];
        const struct ifinfomsg *ifi;

        if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
                return -EBADMSG;
        /* libnl's parser takes a non-const header; it only reads it */
        if (nlmsg_parse((struct nlmsghdr *) h, sizeof(struct ifinfomsg), tb, IFLA_MAX, policy) < 0 || !tb[IFLA_IFNAME])
                return -EBADMSG;
        ifi = nlmsg_data(h);
        *ret = (LinkEvent) {
                .ifindex = ifi->ifi_index,
                .name = nla_get_string(tb[IFLA_IFNAME]),
                .removed = h->nlmsg_type == RTM_DELLINK,
                .carrier = ifi->ifi_flags & IFF_LOWER_UP,
        };
        return 0;
}

static int on_message(struct nl_msg *msg, void *arg) {
        LinkEvents *l = arg;
        LinkEvent e;

        if (link_event_parse(nlmsg_hdr(msg), &e) >= 0)
                l->handler(&e, l->userdata);
        return NL_OK;
}

int link_events_open(LinkEventHandler handler, void *userdata, LinkEvents **ret) {
        LinkEvents *l = calloc(1, sizeof(LinkEvents));

        if (!l)
                return -ENOMEM;
        l->handler = handler;
        l->userdata = userdata;
        l->sock = nl_socket_alloc();
        if (!l->sock) {
                free(l);
                return -ENOMEM;
        }
        /* notifications carry no sequence numbers of ours */
        nl_socket_disable_seq_check(l->sock);
        nl_socket_modify_cb(l->sock, NL_CB_VALID, NL_CB_CUSTOM, on_message, l);
        if (nl_connect(l->sock, NETLINK_ROUTE) < 0 || nl_socket_add_membership(l->sock, RTNLGRP_LINK) < 0 ||
            nl_socket_set_nonblocking(l->sock) < 0) {
                link_events_free(l);
                return -EIO;
        }
        *ret = l;
        return 0;
}

LinkEvents *link_events_free(LinkEvents *l) {
        if (!l)
                return NULL;
        nl_socket_free(l->sock);
        return mfree(l);
}

int link_events_fd(LinkEvents *l) {
        return nl_socket_get_fd(l->sock);
}

int link_events_receive(LinkEvents *l) {
        struct nl_cb *cb = nl_socket_get_cb(l->sock);
        int r;

        /* bytes read, until the socket is empty (0, or NLE_AGAIN) */
        do
                r = nl_recvmsgs_report(l->sock, cb);
        while (r > 0);
        nl_cb_put(cb);
        if (r == 0 || r == -NLE_AGAIN)
                return 0;
        /* libnl reports the socket's ENOBUFS as out of memory */
        return r == -NLE_NOMEM ? -ENOBUFS : -EIO;
}
