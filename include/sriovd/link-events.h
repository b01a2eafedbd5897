/* The kernel's link notifications (rtnetlink RTNLGRP_LINK): which network interface changed, and
 * whether it has carrier. sriovd re-applies a PF's VF settings when its link comes up, because
 * drivers reset some of them on a link change (igb drops every VF rate limit) and refuse them
 * while the link is down. */
#pragma once

#include <stdbool.h>

struct nlmsghdr;

typedef struct LinkEvent {
        int ifindex;
        const char *name;       /* points into the message */
        bool removed;           /* RTM_DELLINK */
        bool carrier;           /* IFF_LOWER_UP */
} LinkEvent;

/* One RTM_NEWLINK or RTM_DELLINK message; -EBADMSG when it is not one or is cut short. */
int link_event_parse(const struct nlmsghdr *h, LinkEvent *ret);

typedef struct LinkEvents LinkEvents;
typedef void (*LinkEventHandler)(const LinkEvent *e, void *userdata);

/* A non-blocking socket subscribed to link notifications. */
int link_events_open(LinkEventHandler handler, void *userdata, LinkEvents **ret);
LinkEvents *link_events_free(LinkEvents *l);
int link_events_fd(LinkEvents *l);
/* Hands every queued notification to the handler. -ENOBUFS when the kernel dropped some (a burst
 * overran the socket): the caller must assume any link changed. */
int link_events_receive(LinkEvents *l);
