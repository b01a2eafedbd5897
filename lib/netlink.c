/* Netlink requests and answers behind an ops table: the kernel's sockets, a relay to a program that plays the kernel, or a caller's own. */
#include <linux/netlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "sriovd/netlink.h"

/* An answer holds at most the PF's link with its VF table and an ack: 64 KiB is ample for 256 VFs
 * (the kernel's own dump buffer is no larger), and a bigger one fails with EMSGSIZE. */
#define RELAY_ANSWER_MAX (64 * 1024)

struct Netlink {
        const NetlinkOps *ops;
        void *userdata;
        int devlink_family;     /* -1 until resolved */
};

int netlink_new_with_ops(const NetlinkOps *ops, void *userdata, Netlink **ret) {
        Netlink *n = calloc(1, sizeof(Netlink));

        if (!n)
                return -ENOMEM;
        n->ops = ops;
        n->userdata = userdata;
        n->devlink_family = -1;
        *ret = n;
        return 0;
}

Netlink *netlink_free(Netlink *n) {
        if (!n)
                return NULL;
        if (n->ops->free)
                n->ops->free(n->userdata);
        return mfree(n);
}

int netlink_transact(Netlink *n, int protocol, struct nl_msg *request, struct nl_msg **ret_reply) {
        struct nl_msg *reply = NULL;
        int r;

        r = n->ops->transact(n->userdata, protocol, request, &reply);
        if (r < 0) {
                nlmsg_free(reply);
                return r;
        }
        if (ret_reply)
                *ret_reply = reply;
        else
                nlmsg_free(reply);
        return 0;
}

/* ---- the kernel ---- */

typedef struct KernelSockets {
        struct nl_sock *route;
        struct nl_sock *generic;
} KernelSockets;

typedef struct Answer {
        bool done;
        int error;
        struct nl_msg *reply;
} Answer;

static int on_valid(struct nl_msg *msg, void *arg) {
        Answer *a = arg;

        if (!a->reply)
                a->reply = nlmsg_convert(nlmsg_hdr(msg));
        return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg) {
        Answer *a = arg;

        a->done = true;
        return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg) {
        Answer *a = arg;

        /* The kernel's own errno: libnl's codes would fold EOPNOTSUPP and friends together. */
        a->error = err->error;
        a->done = true;
        return NL_STOP;
}

static void kernel_free(void *userdata) {
        KernelSockets *k = userdata;

        nl_socket_free(k->route);
        nl_socket_free(k->generic);
        free(k);
}

static int kernel_transact(void *userdata, int protocol, struct nl_msg *request, struct nl_msg **ret_reply) {
        KernelSockets *k = userdata;
        struct nl_sock **sk = protocol == NETLINK_ROUTE ? &k->route : &k->generic;
        struct nl_cb *cb;
        Answer a = {};
        int r;

        if (protocol != NETLINK_ROUTE && protocol != NETLINK_GENERIC)
                return -EPROTONOSUPPORT;
        if (!*sk) {
                *sk = nl_socket_alloc();
                if (!*sk)
                        return -ENOMEM;
                errno = 0;
                r = nl_connect(*sk, protocol);
                if (r < 0) {
                        r = errno > 0 ? -errno : -EIO;
                        nl_socket_free(*sk);
                        *sk = NULL;
                        return r;
                }
        }
        cb = nl_cb_alloc(NL_CB_DEFAULT);
        if (!cb)
                return -ENOMEM;
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &a);
        nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &a);
        nl_cb_err(cb, NL_CB_CUSTOM, on_error, &a);

        r = nl_send_auto(*sk, request);
        while (r >= 0 && !a.done)
                r = nl_recvmsgs(*sk, cb);
        nl_cb_put(cb);
        if (r < 0 && !a.done) {
                nlmsg_free(a.reply);
                /* A socket that lost track of its answers is not used again. */
                nl_socket_free(*sk);
                *sk = NULL;
                return r == -NLE_NOMEM ? -ENOMEM : -EIO;
        }
        if (a.error < 0) {
                nlmsg_free(a.reply);
                return a.error;
        }
        *ret_reply = a.reply;
        return 0;
}

static const NetlinkOps kernel_ops = {
        .transact = kernel_transact,
        .free = kernel_free,
};

int netlink_new_kernel(Netlink **ret) {
        KernelSockets *k = calloc(1, sizeof(KernelSockets));
        int r;

        if (!k)
                return -ENOMEM;
        r = netlink_new_with_ops(&kernel_ops, k, ret);
        if (r < 0)
                free(k);
        return r;
}

/* ---- the relay ---- */

typedef struct Relay {
        char *path;
        int fd;
        uint32_t seq;
} Relay;

static void relay_free(void *userdata) {
        Relay *r = userdata;

        if (r->fd >= 0)
                close(r->fd);
        free(r->path);
        free(r);
}

static int relay_connect(Relay *relay) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (relay->fd >= 0)
                return 0;
        if (strlen(relay->path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, relay->path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        relay->fd = TAKE_FD(fd);
        return 0;
}

static int relay_transact(void *userdata, int protocol, struct nl_msg *request, struct nl_msg **ret_reply) {
        Relay *relay = userdata;
        struct nlmsghdr *hdr = nlmsg_hdr(request), *h;
        _cleanup_free_ void *buf = NULL;
        struct nl_msg *reply = NULL;
        int32_t proto = protocol;
        struct iovec iov[2] = {
                { .iov_base = &proto, .iov_len = sizeof(proto) },
                { .iov_base = hdr, .iov_len = hdr->nlmsg_len },
        };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
        ssize_t n;
        int r, rem;

        r = relay_connect(relay);
        if (r < 0)
                return r;
        /* What nl_send_auto() does on a real socket. */
        hdr->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        hdr->nlmsg_seq = ++relay->seq;
        if (sendmsg(relay->fd, &mh, MSG_NOSIGNAL) < 0)
                return -errno;
        buf = malloc(RELAY_ANSWER_MAX);
        if (!buf)
                return -ENOMEM;
        n = recv(relay->fd, buf, RELAY_ANSWER_MAX, MSG_TRUNC);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ECONNRESET;
        if (n > RELAY_ANSWER_MAX)
                return -EMSGSIZE;
        rem = (int) n;
        for (h = buf; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
                if (h->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = nlmsg_data(h);

                        if (h->nlmsg_len < (uint32_t) nlmsg_size(sizeof(*e)))
                                break;
                        if (e->error < 0) {
                                nlmsg_free(reply);
                                return e->error;
                        }
                        *ret_reply = reply;
                        return 0;
                }
                if (!reply) {
                        reply = nlmsg_convert(h);
                        if (!reply)
                                return -ENOMEM;
                }
        }
        nlmsg_free(reply);
        return -EBADMSG;
}

static const NetlinkOps relay_ops = {
        .transact = relay_transact,
        .free = relay_free,
};

int netlink_new_relay(const char *path, Netlink **ret) {
        Relay *relay = calloc(1, sizeof(Relay));
        int r;

        if (!relay)
                return -ENOMEM;
        relay->fd = -EBADF;
        relay->path = strdup(path);
        if (!relay->path) {
                free(relay);
                return -ENOMEM;
        }
        r = netlink_new_with_ops(&relay_ops, relay, ret);
        if (r < 0)
                relay_free(relay);
        return r;
}

/* ---- what sriovd asks ---- */

static void nlmsg_freep(struct nl_msg **m) {
        if (*m)
                nlmsg_free(*m);
}

int netlink_read_vfs(Netlink *n, int ifindex, VfNetSettings **ret, size_t *ret_n) {
        _cleanup_(nlmsg_freep) struct nl_msg *request = NULL, *reply = NULL;
        int r;

        r = vf_netlink_build_get(ifindex, &request);
        if (r < 0)
                return r;
        r = netlink_transact(n, NETLINK_ROUTE, request, &reply);
        if (r < 0)
                return r;
        if (!reply)
                return -EBADMSG;
        return vf_netlink_parse(nlmsg_hdr(reply), ret, ret_n);
}

int netlink_set_vf(Netlink *n, int ifindex, const VfNetSettings *s, VfNetAttribute attribute) {
        _cleanup_(nlmsg_freep) struct nl_msg *request = NULL;
        int r;

        r = vf_netlink_build_set(ifindex, s, attribute, &request);
        if (r < 0)
                return r;
        return netlink_transact(n, NETLINK_ROUTE, request, NULL);
}

static int devlink_family(Netlink *n, uint16_t *ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *request = NULL, *reply = NULL;
        uint16_t family;
        int r;

        if (n->devlink_family >= 0) {
                *ret = (uint16_t) n->devlink_family;
                return 0;
        }
        r = devlink_build_family_request(&request);
        if (r < 0)
                return r;
        r = netlink_transact(n, NETLINK_GENERIC, request, &reply);
        if (r < 0)
                return r;
        if (!reply)
                return -EBADMSG;
        r = devlink_parse_family(nlmsg_hdr(reply), &family);
        if (r < 0)
                return r;
        n->devlink_family = family;
        *ret = family;
        return 0;
}

int netlink_get_eswitch_mode(Netlink *n, const char *address, EswitchMode *ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *request = NULL, *reply = NULL;
        uint16_t family;
        int r;

        r = devlink_family(n, &family);
        if (r < 0)
                return r;
        r = devlink_build_eswitch_get(family, address, &request);
        if (r < 0)
                return r;
        r = netlink_transact(n, NETLINK_GENERIC, request, &reply);
        if (r < 0)
                return r;
        if (!reply)
                return -EBADMSG;
        return devlink_parse_eswitch(nlmsg_hdr(reply), NULL, ret);
}

int netlink_set_eswitch_mode(Netlink *n, const char *address, EswitchMode mode) {
        _cleanup_(nlmsg_freep) struct nl_msg *request = NULL;
        uint16_t family;
        int r;

        r = devlink_family(n, &family);
        if (r < 0)
                return r;
        r = devlink_build_eswitch_set(family, address, mode, &request);
        if (r < 0)
                return r;
        return netlink_transact(n, NETLINK_GENERIC, request, NULL);
}
