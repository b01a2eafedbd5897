/* Plays the kernel's rtnetlink and devlink for sriovd's netlink relay: decodes its requests with libsriov, answers with libnl-built messages. */
#include <linux/devlink.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "fake-netlink.h"
#include "sriovd/macro.h"

#define DEVLINK_FAMILY 0x21
#define LINKS_MAX 64
#define VFS_MAX 64
#define FAILS_MAX 16

typedef struct Link {
        char pf[13];
        int ifindex;
        int num_vfs;            /* the count the table was made for */
        VfNetSettings vfs[VFS_MAX];
        size_t mac_set_at[VFS_MAX];     /* the fake kernel's write count when the MAC was set */
        unsigned n_sets;
        bool has_eswitch;
        EswitchMode eswitch;
        size_t eswitch_changed_at;
} Link;

typedef struct Fail {
        char pf[13];
        unsigned vf;
        VfNetAttribute attribute;
        int error;
} Fail;

struct FakeNetlink {
        FakeKernel *kernel;
        char *path;
        char *env;
        int fd;
        sd_event_source *source;
        Link links[LINKS_MAX];
        size_t n_links;
        Fail fails[FAILS_MAX];
        size_t n_fails;
        size_t n_set_requests;  /* changes asked for: rtnetlink's RTM_NEWLINK and devlink's eswitch set */
        bool kill_armed, killed;
        size_t kill_index;
        FakeKernelKill kill_when;
        pid_t kill_pid;
};

static bool is_set_request(const struct nlmsghdr *h, int32_t protocol) {
        /* VF settings go as RTM_NEWLINK on an existing link, as iproute2's `ip link set` sends them */
        if (protocol == NETLINK_ROUTE)
                return h->nlmsg_type == RTM_NEWLINK;
        return h->nlmsg_type == DEVLINK_FAMILY && ((const struct genlmsghdr *) nlmsg_data(h))->cmd == DEVLINK_CMD_ESWITCH_SET;
}

static void kill_now(FakeNetlink *n) {
        int r;

        n->kill_armed = false;
        n->killed = true;
        r = fake_kernel_kill_process(n->kill_pid);
        if (r < 0)
                g_warning("fake-netlink: cannot kill %d: %s", (int) n->kill_pid, g_strerror(-r));
}

static Link *link_by_pf(FakeNetlink *n, const char *pf) {
        for (size_t i = 0; i < n->n_links; i++)
                if (streq(n->links[i].pf, pf))
                        return &n->links[i];
        return NULL;
}

static Link *link_by_ifindex(FakeNetlink *n, int ifindex) {
        for (size_t i = 0; i < n->n_links; i++)
                if (n->links[i].ifindex == ifindex)
                        return &n->links[i];
        return NULL;
}

/* What a driver gives a new VF: no MAC, no VLAN, no limit, spoof check on, nothing trusted. */
static void link_defaults(Link *l, int num_vfs) {
        l->num_vfs = num_vfs;
        for (unsigned i = 0; i < VFS_MAX; i++)
                l->mac_set_at[i] = SIZE_MAX;
        for (unsigned i = 0; i < VFS_MAX; i++)
                l->vfs[i] = (VfNetSettings) {
                        .index = i,
                        .mask = (1U << _VF_NET_ATTRIBUTE_MAX) - 1,
                        .vlan_protocol = VLAN_PROTOCOL_8021Q,
                        .spoof_check = true,
                        .link_state = LINK_STATE_AUTO,
                };
}

/* Recreated VFs lose what was set on them, as on real hardware. */
static void link_sync(FakeNetlink *n, Link *l) {
        int count = fake_kernel_num_vfs(n->kernel, l->pf);

        if (count >= 0 && count != l->num_vfs)
                link_defaults(l, count);
}

static void put_nlmsg(uint8_t *buf, size_t *len, size_t size, const struct nlmsghdr *h) {
        g_assert_true(*len + NLMSG_ALIGN(h->nlmsg_len) <= size);
        memcpy(buf + *len, h, h->nlmsg_len);
        *len += NLMSG_ALIGN(h->nlmsg_len);
}

static struct nl_msg *link_answer(Link *l) {
        struct rtnl_link *link = rtnl_link_alloc();
        struct nl_msg *msg = NULL;

        g_assert_nonnull(link);
        rtnl_link_set_ifindex(link, l->ifindex);
        for (int i = 0; i < l->num_vfs && i < VFS_MAX; i++) {
                const VfNetSettings *s = &l->vfs[i];
                struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
                struct nl_addr *addr = nl_addr_build(AF_LLC, s->mac, 6);
                struct nl_vf_rate rate = { .api = RTNL_LINK_VF_RATE_API_NEW, .min_tx_rate = (uint32_t) s->min_tx_rate,
                                           .max_tx_rate = (uint32_t) s->max_tx_rate };
                nl_vf_vlans_t *vlans = NULL;

                rtnl_link_vf_set_index(vf, (uint32_t) i);
                rtnl_link_vf_set_addr(vf, addr);
                nl_addr_put(addr);
                g_assert_cmpint(rtnl_link_vf_vlan_alloc(&vlans, 1), ==, 0);
                vlans->vlans[0].vf_vlan = s->vlan;
                vlans->vlans[0].vf_vlan_qos = s->qos;
                /* libnl writes the protocol as given; the kernel's answer has it in network order */
                vlans->vlans[0].vf_vlan_proto = s->vlan_protocol == VLAN_PROTOCOL_8021AD ? htons(ETH_P_8021AD) : htons(ETH_P_8021Q);
                rtnl_link_vf_set_vlans(vf, vlans);
                rtnl_link_vf_vlan_put(vlans);
                rtnl_link_vf_set_rate(vf, &rate);
                rtnl_link_vf_set_spoofchk(vf, s->spoof_check);
                rtnl_link_vf_set_trust(vf, s->trust);
                rtnl_link_vf_set_linkstate(vf, (uint32_t) s->link_state);
                rtnl_link_vf_set_rss_query_en(vf, s->query_rss);
                g_assert_cmpint(rtnl_link_vf_add(link, vf), ==, 0);
                rtnl_link_vf_put(vf);
        }
        g_assert_cmpint(rtnl_link_build_add_request(link, 0, &msg), ==, 0);
        g_assert_cmpint(nla_put_u32(msg, IFLA_NUM_VF, (uint32_t) l->num_vfs), ==, 0);
        rtnl_link_put(link);
        return msg;
}

static int route_request(FakeNetlink *n, const struct nlmsghdr *h, struct nl_msg **ret_reply) {
        const struct ifinfomsg *ifi = nlmsg_data(h);
        _cleanup_free_ VfNetSettings *vfs = NULL;
        VfNetAttribute a;
        size_t n_vfs = 0;
        Link *l;

        l = link_by_ifindex(n, ifi->ifi_index);
        if (!l && fake_kernel_pf_by_ifindex(n->kernel, ifi->ifi_index)) {
                /* every PF netdev of the fake kernel has a VF table, with a driver's defaults */
                fake_netlink_add_link(n, fake_kernel_pf_by_ifindex(n->kernel, ifi->ifi_index), ifi->ifi_index);
                l = link_by_ifindex(n, ifi->ifi_index);
        }
        if (!l)
                return -ENODEV;
        link_sync(n, l);
        if (h->nlmsg_type == RTM_GETLINK) {
                *ret_reply = link_answer(l);
                return 0;
        }
        g_assert_cmpint(h->nlmsg_type, ==, RTM_NEWLINK);
        g_assert_cmpint(vf_netlink_parse(h, &vfs, &n_vfs), ==, 0);
        /* sriovd sends one attribute per request */
        g_assert_cmpint(n_vfs, ==, 1);
        g_assert_cmpint(__builtin_popcount(vfs[0].mask), ==, 1);
        a = (VfNetAttribute) __builtin_ctz(vfs[0].mask);
        l->n_sets++;
        if (vfs[0].index >= (unsigned) l->num_vfs)
                return -EINVAL;
        for (size_t i = 0; i < n->n_fails; i++)
                if (streq(n->fails[i].pf, l->pf) && n->fails[i].vf == vfs[0].index && n->fails[i].attribute == a &&
                    n->fails[i].error < 0)
                        return n->fails[i].error;
        {
                VfNetSettings *v = &l->vfs[vfs[0].index];
                unsigned mask = v->mask;

                switch (a) {
                case VF_NET_MAC:
                        memcpy(v->mac, vfs[0].mac, 6);
                        l->mac_set_at[vfs[0].index] = fake_kernel_n_writes(n->kernel);
                        break;
                case VF_NET_VLAN:
                        v->vlan = vfs[0].vlan;
                        v->qos = vfs[0].qos;
                        v->vlan_protocol = vfs[0].vlan_protocol;
                        break;
                case VF_NET_TX_RATE:
                        v->min_tx_rate = vfs[0].min_tx_rate;
                        v->max_tx_rate = vfs[0].max_tx_rate;
                        break;
                case VF_NET_SPOOF_CHECK: v->spoof_check = vfs[0].spoof_check; break;
                case VF_NET_TRUST: v->trust = vfs[0].trust; break;
                case VF_NET_LINK_STATE: v->link_state = vfs[0].link_state; break;
                case VF_NET_QUERY_RSS: v->query_rss = vfs[0].query_rss; break;
                default: return -EINVAL;
                }
                v->mask = mask;
        }
        return 0;
}

static int generic_request(FakeNetlink *n, const struct nlmsghdr *h, struct nl_msg **ret_reply) {
        const struct genlmsghdr *g = nlmsg_data(h);
        _cleanup_free_ char *address = NULL;
        struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
        struct nl_msg *msg;
        EswitchMode mode;
        Link *l;
        int r;

        if (h->nlmsg_type == GENL_ID_CTRL) {
                msg = nlmsg_alloc();
                g_assert_nonnull(genlmsg_put(msg, 0, h->nlmsg_seq, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2));
                g_assert_cmpint(nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, DEVLINK_GENL_NAME), ==, 0);
                g_assert_cmpint(nla_put_u16(msg, CTRL_ATTR_FAMILY_ID, DEVLINK_FAMILY), ==, 0);
                *ret_reply = msg;
                return 0;
        }
        if (h->nlmsg_type != DEVLINK_FAMILY)
                return -ENOENT;
        g_assert_cmpint(genlmsg_parse((struct nlmsghdr *) h, 0, tb, DEVLINK_ATTR_MAX, NULL), ==, 0);
        g_assert_nonnull(tb[DEVLINK_ATTR_DEV_NAME]);
        l = link_by_pf(n, nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]));
        if (!l || !l->has_eswitch)
                return -EOPNOTSUPP;
        if (g->cmd == DEVLINK_CMD_ESWITCH_GET) {
                msg = nlmsg_alloc();
                g_assert_nonnull(genlmsg_put(msg, 0, h->nlmsg_seq, DEVLINK_FAMILY, 0, 0, DEVLINK_CMD_ESWITCH_GET, 1));
                g_assert_cmpint(nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci"), ==, 0);
                g_assert_cmpint(nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, l->pf), ==, 0);
                g_assert_cmpint(nla_put_u16(msg, DEVLINK_ATTR_ESWITCH_MODE, (uint16_t) l->eswitch), ==, 0);
                *ret_reply = msg;
                return 0;
        }
        g_assert_cmpint(g->cmd, ==, DEVLINK_CMD_ESWITCH_SET);
        r = devlink_parse_eswitch(h, &address, &mode);
        g_assert_cmpint(r, ==, 0);
        if (fake_kernel_num_vfs(n->kernel, l->pf) > 0)
                return -EBUSY;
        l->eswitch = mode;
        l->eswitch_changed_at = fake_kernel_n_writes(n->kernel);
        return 0;
}

static int on_request(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeNetlink *n = userdata;
        uint8_t in[16384], out[65536];
        struct nlmsghdr *h = (struct nlmsghdr *) (in + sizeof(int32_t));
        struct nl_msg *reply = NULL, *ack;
        struct nlmsgerr err = {};
        bool killed = false;
        int32_t protocol;
        size_t len = 0;
        ssize_t k;

        k = recv(fd, in, sizeof(in), MSG_DONTWAIT);
        if (k <= 0) {
                if (k == 0 || (errno != EAGAIN && errno != EINTR))
                        sd_event_source_disable_unref(s);
                return 0;
        }
        g_assert_true((size_t) k >= sizeof(int32_t) + sizeof(struct nlmsghdr));
        memcpy(&protocol, in, sizeof(protocol));
        g_assert_cmpint(h->nlmsg_len, ==, (size_t) k - sizeof(int32_t));
        /* a killed sender's request is carried out as the kernel's rtnl/devlink code does: its
         * answer goes nowhere */
        if (is_set_request(h, protocol) && n->n_set_requests++ == n->kill_index && n->kill_armed) {
                killed = true;
                if (n->kill_when == FAKE_KERNEL_KILL_DURING)
                        kill_now(n);
        }
        err.error = protocol == NETLINK_ROUTE ? route_request(n, h, &reply) : generic_request(n, h, &reply);
        if (killed && n->kill_armed)
                kill_now(n);
        if (reply) {
                nlmsg_hdr(reply)->nlmsg_seq = h->nlmsg_seq;
                put_nlmsg(out, &len, sizeof(out), nlmsg_hdr(reply));
                nlmsg_free(reply);
        }
        err.msg = *h;
        ack = nlmsg_alloc_simple(NLMSG_ERROR, 0);
        g_assert_cmpint(nlmsg_append(ack, &err, sizeof(err), NLMSG_ALIGNTO), ==, 0);
        put_nlmsg(out, &len, sizeof(out), nlmsg_hdr(ack));
        nlmsg_free(ack);
        if (killed) {
                sd_event_source_disable_unref(s);
                return 0;
        }
        g_assert_true(send(fd, out, len, MSG_NOSIGNAL) == (ssize_t) len);
        return 0;
}

static int on_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeNetlink *n = userdata;
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        sd_event_source *conn = NULL;

        if (c < 0)
                return 0;
        /* Owned by the event loop: it goes when the daemon hangs up or the loop ends. */
        g_assert_cmpint(sd_event_add_io(fake_kernel_event(n->kernel), &conn, c, EPOLLIN, on_request, n), ==, 0);
        g_assert_true(sd_event_source_set_io_fd_own(conn, 1) >= 0);
        g_assert_true(sd_event_source_set_floating(conn, 1) >= 0);
        sd_event_source_unref(conn);
        return 0;
}

FakeNetlink *fake_netlink_new(FakeKernel *k) {
        FakeNetlink *n = calloc(1, sizeof(FakeNetlink));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        g_assert_nonnull(n);
        n->kernel = k;
        g_assert_true(asprintf(&n->path, "%s/.netlink", fake_kernel_root(k)) > 0);
        g_assert_true(asprintf(&n->env, "SRIOVD_NETLINK_RELAY=%s", n->path) > 0);
        g_assert_true(strlen(n->path) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, n->path);
        n->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        g_assert_true(n->fd >= 0);
        g_assert_cmpint(bind(n->fd, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
        g_assert_cmpint(listen(n->fd, 16), ==, 0);
        g_assert_cmpint(sd_event_add_io(fake_kernel_event(k), &n->source, n->fd, EPOLLIN, on_connection, n), ==, 0);
        return n;
}

void fake_netlink_free(FakeNetlink *n) {
        if (!n)
                return;
        sd_event_source_disable_unref(n->source);
        close(n->fd);
        free(n->path);
        free(n->env);
        free(n);
}

const char *fake_netlink_env(FakeNetlink *n) {
        return n->env;
}

void fake_netlink_add_link(FakeNetlink *n, const char *pf, int ifindex) {
        Link *l = link_by_pf(n, pf);

        if (!l) {
                g_assert_true(n->n_links < LINKS_MAX);
                l = &n->links[n->n_links++];
                *l = (Link) { .eswitch = ESWITCH_MODE_LEGACY };
                snprintf(l->pf, sizeof(l->pf), "%s", pf);
                link_defaults(l, -1);
        }
        l->ifindex = ifindex;
}

void fake_netlink_reset(FakeNetlink *n, const char *pf) {
        Link *l = link_by_pf(n, pf);

        g_assert_nonnull(l);
        link_defaults(l, l->num_vfs);
}

void fake_netlink_fail(FakeNetlink *n, const char *pf, unsigned vf, VfNetAttribute attribute, int error) {
        g_assert_true(n->n_fails < FAILS_MAX);
        n->fails[n->n_fails] = (Fail) { .vf = vf, .attribute = attribute, .error = error };
        snprintf(n->fails[n->n_fails].pf, sizeof(n->fails[0].pf), "%s", pf);
        n->n_fails++;
}

const VfNetSettings *fake_netlink_vf(FakeNetlink *n, const char *pf, unsigned vf) {
        Link *l = link_by_pf(n, pf);

        if (!l)
                return NULL;
        link_sync(n, l);
        return (int) vf < l->num_vfs ? &l->vfs[vf] : NULL;
}

size_t fake_netlink_mac_set_at(FakeNetlink *n, const char *pf, unsigned vf) {
        Link *l = link_by_pf(n, pf);

        if (!l || vf >= VFS_MAX)
                return SIZE_MAX;
        link_sync(n, l);
        return l->mac_set_at[vf];
}

unsigned fake_netlink_n_sets(FakeNetlink *n, const char *pf) {
        Link *l = link_by_pf(n, pf);
        return l ? l->n_sets : 0;
}

void fake_netlink_add_eswitch(FakeNetlink *n, const char *pf, EswitchMode mode) {
        Link *l = link_by_pf(n, pf);

        if (!l) {
                fake_netlink_add_link(n, pf, 0);
                l = link_by_pf(n, pf);
        }
        l->has_eswitch = true;
        l->eswitch = mode;
        l->eswitch_changed_at = SIZE_MAX;
}

EswitchMode fake_netlink_eswitch(FakeNetlink *n, const char *pf) {
        Link *l = link_by_pf(n, pf);
        return l && l->has_eswitch ? l->eswitch : _ESWITCH_MODE_INVALID;
}

size_t fake_netlink_eswitch_changed_at(FakeNetlink *n, const char *pf) {
        Link *l = link_by_pf(n, pf);
        return l ? l->eswitch_changed_at : SIZE_MAX;
}

int fake_netlink_kill_at(FakeNetlink *n, size_t index, FakeKernelKill when, pid_t pid) {
        if (!n || pid <= 0)
                return -EINVAL;
        n->kill_armed = true;
        n->killed = false;
        n->kill_index = n->n_set_requests + index;
        n->kill_when = when;
        n->kill_pid = pid;
        return 0;
}

bool fake_netlink_killed(FakeNetlink *n) {
        return n && n->killed;
}

size_t fake_netlink_n_set_requests(FakeNetlink *n) {
        return n ? n->n_set_requests : 0;
}
