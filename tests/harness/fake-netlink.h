/* The kernel's netlink side for sriovd under test: PF netdevs with VF tables, devlink eswitch modes, scripted errors.
 * A PF netdev of the fake kernel gets its VF table on first use; tests may add links and eswitches first. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "fake-kernel.h"
#include "sriovd/devlink.h"
#include "sriovd/vf-netlink.h"

typedef struct FakeNetlink FakeNetlink;

/* Listens on a socket in the testbed root; answers while the fake kernel's loop runs. */
FakeNetlink *fake_netlink_new(FakeKernel *k);
void fake_netlink_free(FakeNetlink *n);
static inline void fake_netlink_freep(FakeNetlink **n) {
        fake_netlink_free(*n);
}
/* "SRIOVD_NETLINK_RELAY=..." for daemon_setenv(). */
const char *fake_netlink_env(FakeNetlink *n);

/* The netdev with ifindex belongs to pf; its VF table has the fake kernel's VF count, and a driver's
 * defaults again whenever that count changes (VFs recreated) or after fake_netlink_reset(). */
void fake_netlink_add_link(FakeNetlink *n, const char *pf, int ifindex);
void fake_netlink_reset(FakeNetlink *n, const char *pf);
/* Every request setting attribute of VF vf of pf fails with error (negative errno); 0 clears. */
void fake_netlink_fail(FakeNetlink *n, const char *pf, unsigned vf, VfNetAttribute attribute, int error);
/* The VF as the fake driver has it now; NULL when the PF has no such VF. */
const VfNetSettings *fake_netlink_vf(FakeNetlink *n, const char *pf, unsigned vf);
/* The fake kernel's write count when VF vf's MAC address was last set: orders it against sysfs
 * writes. SIZE_MAX when it was not set since the VFs were made. */
size_t fake_netlink_mac_set_at(FakeNetlink *n, const char *pf, unsigned vf);
/* Successful and failed set requests so far, for pf. */
unsigned fake_netlink_n_sets(FakeNetlink *n, const char *pf);

/* devlink: the PF starts in mode; a mode change while it has VFs answers EBUSY, as drivers do. */
void fake_netlink_add_eswitch(FakeNetlink *n, const char *pf, EswitchMode mode);
EswitchMode fake_netlink_eswitch(FakeNetlink *n, const char *pf);
/* The fake kernel's write count when the mode last changed: orders it against sysfs writes. */
size_t fake_netlink_eswitch_changed_at(FakeNetlink *n, const char *pf);

/* Crashes, as fake_kernel_kill_at() for sysfs: pid is killed at change request number index (RTM_NEWLINK
 * or the eswitch set, counted from the call on), as it arrives or once it took effect. The request is
 * carried out either way; nobody gets its answer. */
int fake_netlink_kill_at(FakeNetlink *n, size_t index, FakeKernelKill when, pid_t pid);
bool fake_netlink_killed(FakeNetlink *n);
size_t fake_netlink_n_set_requests(FakeNetlink *n);   /* change requests so far */
