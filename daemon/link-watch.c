/* Watches the PFs' network links: when one comes up, its VF settings are applied again. Drivers
 * refuse some of them while the link is down and reset them when it changes (igb drops every VF
 * rate limit on a link speed change), so an apply that met a down link is finished here. */
#include <stdlib.h>

#include "log.h"
#include "sriovd/link-events.h"
#include "udev.h"

typedef struct LinkCarrier {
        int ifindex;
        bool carrier;
} LinkCarrier;

struct LinkWatch {
        Manager *manager;
        LinkEvents *events;
        sd_event_source *source;
        LinkCarrier *links;       /* PF netdevs seen so far */
        size_t n_links;
};

static Pf *pf_of_netdev(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_pfs; i++)
                if (m->pfs[i]->snapshot && strv_contains(m->pfs[i]->snapshot->netdevs, name))
                        return m->pfs[i];
        return NULL;
}

static LinkCarrier *find_link(LinkWatch *w, int ifindex) {
        for (size_t i = 0; i < w->n_links; i++)
                if (w->links[i].ifindex == ifindex)
                        return &w->links[i];
        return NULL;
}

static void on_link(const LinkEvent *e, void *userdata) {
        LinkWatch *w = userdata;
        LinkCarrier *l = find_link(w, e->ifindex);
        bool was_up;
        Pf *pf;

        if (e->removed) {
                if (l)
                        *l = w->links[--w->n_links];
                return;
        }
        /* VF netdevs and every other interface: not sriovd's */
        pf = pf_of_netdev(w->manager, e->name);
        if (!pf)
                return;
        if (!l) {
                LinkCarrier *t = reallocarray(w->links, w->n_links + 1, sizeof(LinkCarrier));

                if (!t)
                        return;
                w->links = t;
                l = &w->links[w->n_links++];
                /* first seen: the notification may be the link coming up */
                *l = (LinkCarrier) { .ifindex = e->ifindex, .carrier = false };
        }
        was_up = l->carrier;
        l->carrier = e->carrier;
        if (e->carrier && !was_up) {
                log_internal(LOG_DEBUG, 0, pf->address, NULL, NULL, "link of %s up", e->name);
                pf_request(pf, PF_TRIGGER_EXPLICIT);
        }
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        LinkWatch *w = userdata;
        Manager *m = w->manager;
        int r;

        r = link_events_receive(w->events);
        if (r == -ENOBUFS) {
                /* some were lost: any link may have come up */
                log_debug("link notifications overran; evaluating every PF with a netdev");
                w->n_links = 0;
                for (size_t i = 0; i < m->n_pfs; i++)
                        if (m->pfs[i]->snapshot && m->pfs[i]->snapshot->netdevs && m->pfs[i]->snapshot->netdevs[0])
                                pf_request(m->pfs[i], PF_TRIGGER_EXPLICIT);
        } else if (r < 0)
                log_warning_errno(r, "Cannot read link notifications, ignoring: %m");
        return 0;
}

int link_watch_new(Manager *m, LinkWatch **ret) {
        LinkWatch *w = calloc(1, sizeof(LinkWatch));
        int r;

        if (!w)
                return log_error_errno(ENOMEM, "Out of memory");
        w->manager = m;
        r = link_events_open(on_link, w, &w->events);
        if (r >= 0)
                r = sd_event_add_io(m->event, &w->source, link_events_fd(w->events), EPOLLIN, on_readable, w);
        if (r < 0) {
                /* the settings are still applied; only a link coming up later is not noticed */
                log_warning_errno(r, "Cannot watch the network links, VF settings a link change resets stay reset: %m");
                link_watch_free(w);
                *ret = NULL;
                return 0;
        }
        *ret = w;
        return 0;
}

LinkWatch *link_watch_free(LinkWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        link_events_free(w->events);
        free(w->links);
        return mfree(w);
}
