/* The one way sriovd talks netlink: requests built by vf-netlink and devlink go through an ops
 * table, the kernel's sockets in the daemon, or an answering script in tests. */
#pragma once

#include <stddef.h>

#include "sriovd/devlink.h"
#include "sriovd/vf-netlink.h"

struct nl_msg;

typedef struct Netlink Netlink;

typedef struct NetlinkOps {
        /* Sends request on protocol (NETLINK_ROUTE or NETLINK_GENERIC) and waits for the answer:
         * 0 with the first reply message in *ret_reply (NULL when there was none, as for a change),
         * or the kernel's negative errno. */
        int (*transact)(void *userdata, int protocol, struct nl_msg *request, struct nl_msg **ret_reply);
        void (*free)(void *userdata);
} NetlinkOps;

/* The kernel, through libnl sockets opened on first use. */
int netlink_new_kernel(Netlink **ret);
/* Requests go as datagrams over the SOCK_SEQPACKET unix socket at path, to a program that plays
 * the kernel (tests): each datagram is a 4-byte protocol number and the netlink message; each
 * answer holds the reply messages and then an NLMSG_ERROR with the errno (0 for success). */
int netlink_new_relay(const char *path, Netlink **ret);
int netlink_new_with_ops(const NetlinkOps *ops, void *userdata, Netlink **ret);
Netlink *netlink_free(Netlink *n);
static inline void netlink_freep(Netlink **n) {
        netlink_free(*n);
}

int netlink_transact(Netlink *n, int protocol, struct nl_msg *request, struct nl_msg **ret_reply);

/* The PF's VF table, read back. */
int netlink_read_vfs(Netlink *n, int ifindex, VfNetSettings **ret, size_t *ret_n);
/* One attribute of one VF; the kernel's errno. */
int netlink_set_vf(Netlink *n, int ifindex, const VfNetSettings *s, VfNetAttribute attribute);

/* -ENODEV or -EOPNOTSUPP when the device has no devlink eswitch (the kernel's answer). */
int netlink_get_eswitch_mode(Netlink *n, const char *address, EswitchMode *ret);
int netlink_set_eswitch_mode(Netlink *n, const char *address, EswitchMode mode);
