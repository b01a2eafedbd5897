/* What feeds the manager its PFs: the udev monitor, coldplug, the /dev/vfio watch and the PF links. */
#pragma once

#include "manager.h"

typedef struct VfioWatch VfioWatch;
typedef struct LinkWatch LinkWatch;
typedef struct Udev Udev;

/* Starts the monitor, then enumerates the PFs already there and evaluates each, so that nothing
 * that happens during enumeration is missed. */
int udev_new(Manager *m, Udev **ret);
Udev *udev_free(Udev *u);
static inline void udev_freep(Udev **u) {
        udev_free(*u);
}

/* In vfio-watch.c: an open or close of a vfio group or cdev asks the PFs using it to evaluate again. */
int vfio_watch_new(Manager *m, VfioWatch **ret);
VfioWatch *vfio_watch_free(VfioWatch *w);
/* (Re)tries watching /dev/vfio, which appears only once vfio is loaded. */
void vfio_watch_refresh(VfioWatch *w);

/* In link-watch.c: a PF's link coming up asks for its evaluation. *ret is NULL, with a warning,
 * where rtnetlink cannot be watched. */
int link_watch_new(Manager *m, LinkWatch **ret);
LinkWatch *link_watch_free(LinkWatch *w);
