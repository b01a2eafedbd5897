/* Crashes: sriovd killed with SIGKILL at every write an apply makes, as the write enters the kernel
 * and right after it took effect, then started again. The new sriovd must converge to the policy,
 * write only what the PF still needs, leave a VF in use alone, put back what the dead one changed
 * for the time being, and say what it found. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "bus-harness.h"
#include "daemon-harness.h"
#include "fake-netlink.h"
#include "status-client.h"
#include "sriovd/macro.h"

#define PF "0000:3b:00.0"
#define ICE "pf " PF " vendor=8086 device=1592 driver=ice totalvfs=4 offset=8 vf-device=1889"
#define MATCH "[Match]\nPCIAddress=" PF "\n[PhysicalFunction]\n"

typedef struct Scenario {
        const char *name;
        const char *hw;                 /* after "module vfio-pci\nmodule pci-pf-stub\n" */
        const char *policy;
        unsigned num_vfs;
        const char *vf_drivers[4];      /* where each VF ends, NULL: unbound */
        int autoprobe;                  /* sriov_drivers_autoprobe at the end */
        int unmanaged_autoprobe;        /* -1: the PF has none */
        const char *pf_driver;
        bool hold_vf0;                  /* VF 0 is on vfio-pci and held open by "qemu" from the start */
        int vf1_msix;                   /* VF 1's sriov_vf_msix_count at the end, -1: not asked */
        bool netlink;                   /* the eswitch mode and VF settings, through the fake netlink */
        const char *status;             /* STATUS= once converged */
} Scenario;

static const Scenario scenarios[] = {
        {
                /* autoprobe is held off while the VFs are created and bound; the policy is silent
                 * about it, so only the apply record knows it was on */
                .name = "4 VFs on vfio-pci, autoprobe as the PF had it",
                .hw = ICE " vf-driver=iavf",
                .policy = MATCH "NumVFs=4\nVFDriver=vfio-pci\n",
                .num_vfs = 4,
                .vf_drivers = { "vfio-pci", "vfio-pci", "vfio-pci", "vfio-pci" },
                .autoprobe = 1,
                .unmanaged_autoprobe = -1,
                .pf_driver = "ice",
                .vf1_msix = -1,
                .status = "1 PF, 4 VFs",
        },
        {
                /* 2 -> 4 through 0; VF 0 to vfio-pci, the others probed once autoprobe is back */
                .name = "2 -> 4 VFs through 0, VF 0 on vfio-pci",
                .hw = ICE " vf-driver=iavf numvfs=2",
                .policy = MATCH "NumVFs=4\n[VirtualFunction]\nIndex=0\nDriver=vfio-pci\n",
                .num_vfs = 4,
                .vf_drivers = { "vfio-pci", "iavf", "iavf", "iavf" },
                .autoprobe = 1,
                .unmanaged_autoprobe = -1,
                .pf_driver = "ice",
                .vf1_msix = -1,
                .status = "1 PF, 4 VFs",
        },
        {
                /* a VM holds VF 0; the others get their MSI-X count and vfio-pci around it */
                .name = "VF 0 held by a VM, the others bound and resized around it",
                .hw = ICE " numvfs=4 msix=64",
                .policy = MATCH "NumVFs=4\nVFDriver=vfio-pci\n[VirtualFunction]\nIndex=1\nMSIXVectors=16\n",
                .num_vfs = 4,
                .vf_drivers = { "vfio-pci", "vfio-pci", "vfio-pci", "vfio-pci" },
                .autoprobe = 1,
                .unmanaged_autoprobe = -1,
                .pf_driver = "ice",
                .hold_vf0 = true,
                .vf1_msix = 16,
                .status = "1 PF, 4 VFs",
        },
        {
                /* VFs on their own driver moved to vfio-pci: each unbound first, VF 1 resized while
                 * it has no driver */
                .name = "VFs moved from iavf to vfio-pci, one resized on the way",
                .hw = ICE " vf-driver=iavf numvfs=2 msix=64",
                .policy = MATCH "NumVFs=2\nVFDriver=vfio-pci\n[VirtualFunction]\nIndex=1\nMSIXVectors=16\n",
                .num_vfs = 2,
                .vf_drivers = { "vfio-pci", "vfio-pci" },
                .autoprobe = 1,
                .unmanaged_autoprobe = -1,
                .pf_driver = "ice",
                .vf1_msix = 16,
                .status = "1 PF, 2 VFs",
        },
        {
                /* mainline's path for a PF without a driver: its driver_override, then a probe */
                .name = "a driverless PF through pci-pf-stub",
                .hw = "pf " PF " vendor=1b36 device=0011 totalvfs=4",
                .policy = MATCH "NumVFs=2\nUnmanaged=pf-stub\n",
                .num_vfs = 2,
                .autoprobe = 1,
                .unmanaged_autoprobe = -1,
                .pf_driver = "pci-pf-stub",
                .vf1_msix = -1,
                .status = "1 PF, 2 VFs",
        },
        {
                /* the patched kernel's path: sriov_unmanaged_autoprobe, then the count */
                .name = "a driverless PF through sriov_unmanaged_autoprobe",
                .hw = "pf " PF " vendor=1b36 device=0010 totalvfs=4 unmanaged=yes",
                .policy = MATCH "NumVFs=2\nUnmanaged=pf-stub\nUnmanagedAutoprobe=no\n",
                .num_vfs = 2,
                .autoprobe = 1,
                .unmanaged_autoprobe = 0,
                .vf1_msix = -1,
                .status = "1 PF, 2 VFs",
        },
        {
                /* netlink: the eswitch mode before the VFs, their settings after */
                .name = "switchdev and VF settings through netlink",
                .hw = ICE " vf-driver=iavf netdev=ens1f0",
                .policy = MATCH "NumVFs=2\nEswitchMode=switchdev\n"
                          "[VirtualFunction]\nIndex=0-1\nVLANId=100\nTrust=yes\n"
                          "[VirtualFunction]\nIndex=0\nMACAddress=02:00:00:00:3b:00\n",
                .num_vfs = 2,
                .vf_drivers = { "iavf", "iavf" },
                .autoprobe = 1,
                .unmanaged_autoprobe = -1,
                .pf_driver = "ice",
                .vf1_msix = -1,
                .netlink = true,
                .status = "1 PF, 2 VFs",
        },
};

typedef enum Point {
        POINT_NONE,             /* the reference run: no kill */
        POINT_SYSFS,
        POINT_NETLINK,
} Point;

typedef struct Host {
        FakeKernel *kernel;
        FakeNetlink *netlink;
        Daemon *daemon;
        pid_t holder;
        char vf0[13];
} Host;

typedef struct Totals {
        unsigned points, restarts, restart_writes, max_restart_writes, found_reported;
} Totals;

static TestBus *bus;
static char current[256];       /* the run going on, for a failure's message */

#define fail_host(h, ...)                                               \
        do {                                                            \
                daemon_dump((h)->daemon);                               \
                print_message("in: %s\n", current);                     \
                fail_msg(__VA_ARGS__);                                  \
        } while (0)

#define check(h, cond)                                                  \
        do {                                                            \
                if (!(cond))                                            \
                        fail_host(h, "%s", #cond);                      \
        } while (0)

static void host_open(Host *h, const Scenario *s) {
        _cleanup_free_ char *hw = NULL;

        *h = (Host) {};
        assert_int_equal(fake_kernel_new(&h->kernel), 0);
        assert_true(asprintf(&hw, "module vfio-pci\nmodule pci-pf-stub\n%s\n", s->hw) > 0);
        assert_int_equal(fake_kernel_load(h->kernel, hw), 0);
        h->daemon = daemon_new(h->kernel);
        daemon_write_config(h->daemon, "[Daemon]\nApplyTimeoutSec=5s\n");
        daemon_write_policy(h->daemon, "50-pf.conf", s->policy);
        if (s->hold_vf0) {
                assert_int_equal(fake_kernel_vf_address(h->kernel, PF, 0, h->vf0), 0);
                assert_int_equal(fake_kernel_bind(h->kernel, h->vf0, "vfio-pci"), 0);
                assert_int_equal(fake_kernel_hold(h->kernel, h->vf0, "qemu", &h->holder), 0);
        }
        if (s->netlink) {
                _cleanup_free_ char *ifindex = read_attribute(h->kernel, PF, "net/ens1f0/ifindex");

                assert_non_null(ifindex);
                h->netlink = fake_netlink_new(h->kernel);
                fake_netlink_add_link(h->netlink, PF, atoi(ifindex));
                fake_netlink_add_eswitch(h->netlink, PF, ESWITCH_MODE_LEGACY);
                daemon_setenv(h->daemon, fake_netlink_env(h->netlink));
        }
}

static void host_close(Host *h) {
        if (h->holder > 0)
                (void) fake_kernel_release_hold(h->kernel, h->holder);
        daemon_free(h->daemon);
        fake_netlink_free(h->netlink);
        fake_kernel_free(h->kernel);
}

static bool record_exists(Host *h) {
        _cleanup_free_ char *path = NULL;

        assert_true(asprintf(&path, "%s/run/sriovd/%s", fake_kernel_root(h->kernel), PF) > 0);
        return access(path, F_OK) == 0;
}

typedef struct Killed {
        Host *host;
        Point point;
} Killed;

static bool killed_and_settled(FakeKernel *k, void *userdata) {
        Killed *w = userdata;
        bool killed = w->point == POINT_NETLINK ? fake_netlink_killed(w->host->netlink) : fake_kernel_killed(k);

        /* the writes it left in the kernel (its writer process's, or orphaned ones) have returned */
        return killed && !daemon_running(w->host->daemon) && fake_kernel_n_in_flight(k) == 0;
}

/* The host as the policy says, and as the test set it up. */
static void check_converged(Host *h, const Scenario *s) {
        _cleanup_free_ char *autoprobe = read_attribute(h->kernel, PF, "sriov_drivers_autoprobe");

        check(h, fake_kernel_num_vfs(h->kernel, PF) == (int) s->num_vfs);
        check(h, streq_ptr(fake_kernel_driver(h->kernel, PF), s->pf_driver));
        for (unsigned i = 0; i < s->num_vfs; i++)
                if (!streq_ptr(fake_kernel_driver(h->kernel, vf_address(h->kernel, PF, i)), s->vf_drivers[i]))
                        fail_host(h, "VF %u is on %s, not %s", i, strna(fake_kernel_driver(h->kernel, vf_address(h->kernel, PF, i))),
                                 strna(s->vf_drivers[i]));
        if (atoi(strna(autoprobe)) != s->autoprobe)
                fail_host(h, "sriov_drivers_autoprobe is %s, the policy leaves %d", strna(autoprobe), s->autoprobe);
        if (s->unmanaged_autoprobe >= 0) {
                _cleanup_free_ char *u = read_attribute(h->kernel, PF, "sriov_unmanaged_autoprobe");
                check(h, u && atoi(u) == s->unmanaged_autoprobe);
        }
        if (s->vf1_msix >= 0) {
                _cleanup_free_ char *m = read_attribute(h->kernel, vf_address(h->kernel, PF, 1), "sriov_vf_msix_count");
                check(h, m && atoi(m) == s->vf1_msix);
        }
        /* no driver_override left that the policy does not ask for */
        for (unsigned i = 0; i < s->num_vfs; i++) {
                const char *vf = vf_address(h->kernel, PF, i);
                _cleanup_free_ char *o = read_attribute(h->kernel, vf, "driver_override");

                if (!streq_ptr(o, "(null)") && !streq_ptr(o, s->vf_drivers[i]))
                        fail_host(h, "VF %u keeps driver_override=%s", i, strna(o));
        }
        if (s->netlink) {
                for (unsigned i = 0; i < s->num_vfs; i++) {
                        const VfNetSettings *v = fake_netlink_vf(h->netlink, PF, i);

                        check(h, v && v->vlan == 100 && v->trust);
                }
                check(h, fake_netlink_vf(h->netlink, PF, 0)->mac[5] == 0x00 && fake_netlink_vf(h->netlink, PF, 0)->mac[0] == 0x02);
                check(h, fake_netlink_eswitch(h->netlink, PF) == ESWITCH_MODE_SWITCHDEV);
        }
        check(h, !record_exists(h));
}

/* VF 0 is a VM's: nothing written to it, never unbound, removed or rebound, no write blocked on it. */
static void check_held_vf_untouched(Host *h) {
        _cleanup_free_ char *unbind = NULL, *remove = NULL;

        assert_true(asprintf(&unbind, "unbind %s", h->vf0) > 0);
        assert_true(asprintf(&remove, "remove %s", h->vf0) > 0);
        for (size_t i = 0; i < fake_kernel_n_uevents(h->kernel); i++) {
                const char *u = fake_kernel_uevent_at(h->kernel, i);
                if (streq(u, unbind) || streq(u, remove))
                        fail_host(h, "the VF held open was touched: %s", u);
        }
        for (size_t i = 0; i < fake_kernel_n_writes(h->kernel); i++) {
                const FakeWrite *w = fake_kernel_write_at(h->kernel, i);
                if (streq_ptr(w->device, h->vf0) || streq_ptr(w->value, h->vf0))
                        fail_host(h, "the VF held open was written: %s=%s", w->path, w->value);
        }
        check(h, fake_kernel_n_violations(h->kernel) == 0);
        check(h, streq_ptr(fake_kernel_driver(h->kernel, h->vf0), "vfio-pci"));
}

/* The restart wrote nothing that was already so: each attribute it wrote had another value. */
static void check_needed_only(Host *h, size_t from) {
        for (size_t i = from; i < fake_kernel_n_writes(h->kernel); i++) {
                const FakeWrite *w = fake_kernel_write_at(h->kernel, i);

                if (w->before && streq(w->before, w->value))
                        fail_host(h, "the restart wrote %s=%s, which it already was", w->path, w->value);
        }
}

/* One run: sriovd applies, is killed at point/index/when (unless POINT_NONE), starts again.
 * Returns the number of writes (sysfs) and netlink changes of the first sriovd. */
static void run(const Scenario *s, Point point, size_t index, FakeKernelKill when, Totals *totals, size_t *ret_writes,
                size_t *ret_sets) {
        Host h;
        size_t restart_from;
        json_object *status;
        const char *found;
        bool recorded;

        snprintf(current, sizeof(current), "%s: %s", s->name,
                 point == POINT_NONE ? "no kill" : "");
        if (point != POINT_NONE)
                snprintf(current, sizeof(current), "%s: killed %s %s %zu", s->name,
                         when == FAKE_KERNEL_KILL_DURING ? "during" : "after",
                         point == POINT_SYSFS ? "write" : "netlink change", index);
        host_open(&h, s);
        daemon_start(h.daemon);
        if (point == POINT_NONE) {
                check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
                check(&h, daemon_wait_status(h.daemon, s->status, 10 * SECOND));
                check_converged(&h, s);
                if (ret_writes)
                        *ret_writes = fake_kernel_n_writes(h.kernel);
                if (ret_sets)
                        *ret_sets = fake_netlink_n_set_requests(h.netlink);
                assert_int_equal(daemon_stop(h.daemon), 0);
                host_close(&h);
                return;
        }

        if (point == POINT_SYSFS)
                assert_int_equal(fake_kernel_kill_at(h.kernel, index, when, daemon_pid(h.daemon)), 0);
        else
                assert_int_equal(fake_netlink_kill_at(h.netlink, index, when, daemon_pid(h.daemon)), 0);
        {
                Killed w = { .host = &h, .point = point };
                if (fake_kernel_run(h.kernel, 20 * SECOND, killed_and_settled, &w) < 0)
                        fail_host(&h, "%s: not killed at %s %zu", s->name, point == POINT_SYSFS ? "write" : "netlink change", index);
        }
        (void) daemon_wait_exit(h.daemon, 5 * SECOND);
        /* once it wrote to sysfs, it left its record for the next one (netlink settings and the
         * eswitch mode need none: they are the policy's values, and read back as they are) */
        recorded = fake_kernel_n_writes(h.kernel) > 0;
        check(&h, record_exists(&h) == recorded);

        restart_from = fake_kernel_n_writes(h.kernel);
        daemon_start(h.daemon);
        check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
        check(&h, daemon_wait_status(h.daemon, s->status, 10 * SECOND));
        check_converged(&h, s);
        if (s->hold_vf0)
                check_held_vf_untouched(&h);
        check_needed_only(&h, restart_from);
        status = status_json(h.kernel, h.daemon);
        check(&h, streq_ptr(status_field(status_find_pf(status, PF), "state"), "applied"));
        found = status_field(status_find_pf(status, PF), "interrupted");
        if (recorded && (!found || !strstr(found, "did not finish: found")))
                fail_host(&h, "%s: the restart does not say what it found: %s", s->name, strna(found));
        json_object_put(status);
        check(&h, !recorded || daemon_log_contains(h.daemon, "did not finish: found"));
        totals->points++;
        totals->restarts++;
        totals->found_reported += recorded;
        totals->restart_writes += (unsigned) (fake_kernel_n_writes(h.kernel) - restart_from);
        if (fake_kernel_n_writes(h.kernel) - restart_from > totals->max_restart_writes)
                totals->max_restart_writes = (unsigned) (fake_kernel_n_writes(h.kernel) - restart_from);
        assert_int_equal(daemon_stop(h.daemon), 0);

        /* and once more: with everything in place, nothing is written at all */
        restart_from = fake_kernel_n_writes(h.kernel);
        {
                unsigned sets = (unsigned) fake_netlink_n_set_requests(h.netlink);

                daemon_start(h.daemon);
                check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
                check(&h, daemon_wait_status(h.daemon, s->status, 10 * SECOND));
                if (fake_kernel_n_writes(h.kernel) != restart_from)
                        fail_host(&h, "%s: a restart in place wrote %s=%s", s->name, fake_kernel_write_at(h.kernel, restart_from)->path,
                                 fake_kernel_write_at(h.kernel, restart_from)->value);
                check(&h, fake_netlink_n_set_requests(h.netlink) == sets);
                status = status_json(h.kernel, h.daemon);
                check(&h, status_field(status_find_pf(status, PF), "interrupted") == NULL);
                json_object_put(status);
                totals->restarts++;
                assert_int_equal(daemon_stop(h.daemon), 0);
        }
        host_close(&h);
}

static void test_crash_matrix(void **state) {
        Totals totals = {};
        size_t n_writes_total = 0;

        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++) {
                const Scenario *s = &scenarios[i];
                size_t writes, sets;

                run(s, POINT_NONE, 0, 0, &totals, &writes, &sets);
                assert_true(writes > 0);
                n_writes_total += writes + sets;
                for (size_t w = 0; w < writes; w++)
                        for (int when = FAKE_KERNEL_KILL_DURING; when <= FAKE_KERNEL_KILL_AFTER; when++)
                                run(s, POINT_SYSFS, w, when, &totals, NULL, NULL);
                for (size_t w = 0; w < sets; w++)
                        for (int when = FAKE_KERNEL_KILL_DURING; when <= FAKE_KERNEL_KILL_AFTER; when++)
                                run(s, POINT_NETLINK, w, when, &totals, NULL, NULL);
                print_message("%s: %zu writes and %zu netlink changes, each killed during and after\n", s->name, writes, sets);
        }
        print_message("crash matrix: %zu scenarios, %zu writes, %u kill points, %u restarts, "
                      "%u writes on restart (at most %u after one kill), %u found half done and said so, "
                      "0 writes on a restart in place\n",
                      ELEMENTSOF(scenarios), n_writes_total, totals.points, totals.restarts, totals.restart_writes,
                      totals.max_restart_writes, totals.found_reported);
        assert_int_equal(totals.points, 2 * n_writes_total);
}

static bool one_hung(FakeKernel *k, void *userdata) {
        return fake_kernel_n_hung(k) == 1;
}

/* Killed while its writer process waits in the kernel with the count: the writer outlives it, and
 * the next sriovd touches nothing of that PF until the write has returned, saying why meanwhile. */
static void test_restart_waits_for_the_writer_left_behind(void **state) {
        const Scenario *s = &scenarios[0];
        size_t received;
        Host h;

        snprintf(current, sizeof(current), "%s: killed with its count write hung", s->name);
        host_open(&h, s);
        assert_int_equal(fake_kernel_inject(h.kernel, PF, "sriov_numvfs", FAKE_KERNEL_HANG, 1), 0);
        daemon_start(h.daemon);
        check(&h, fake_kernel_run(h.kernel, 10 * SECOND, one_hung, NULL) >= 0);
        assert_int_equal(fake_kernel_kill_process(daemon_pid(h.daemon)), 0);
        (void) daemon_wait_exit(h.daemon, 5 * SECOND);
        check(&h, fake_kernel_n_hung(h.kernel) == 1);

        received = fake_kernel_n_received(h.kernel);
        daemon_start(h.daemon);
        check(&h, daemon_wait_log(h.daemon, "waiting for the write the last sriovd left in the kernel", 10 * SECOND));
        daemon_settle(h.daemon, SECOND);
        check(&h, fake_kernel_n_received(h.kernel) == received);
        /* meanwhile status says what it waits for */
        {
                json_object *status = status_json(h.kernel, h.daemon);
                const char *found = status_field(status_find_pf(status, PF), "interrupted");

                if (!found || !strstr(found, "did not finish: its write /sys/bus/pci/devices/" PF "/sriov_numvfs 4") ||
                    !strstr(found, "is still in the kernel"))
                        fail_host(&h, "while it waits, status says: %s", strna(found));
                json_object_put(status);
        }
        check(&h, fake_kernel_n_received(h.kernel) == received);

        fake_kernel_release_hangs(h.kernel);
        check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
        check(&h, daemon_wait_status(h.daemon, s->status, 10 * SECOND));
        check_converged(&h, s);
        check_needed_only(&h, received);
        assert_int_equal(daemon_stop(h.daemon), 0);
        host_close(&h);
}

/* Killed after it created the VFs and wrote VF 0's driver_override, with autoprobe held off; the
 * policy is then removed. The next sriovd puts back what the dead one changed for the time being
 * (autoprobe, the override), lets the kernel probe the VFs as it would have, and leaves the count. */
static void test_restart_without_the_policy_puts_back_the_leftovers(void **state) {
        const Scenario *s = &scenarios[0];
        json_object *status;
        const char *found;
        size_t index = SIZE_MAX;
        Host h;

        snprintf(current, sizeof(current), "%s: killed, then its policy removed", s->name);
        host_open(&h, s);
        /* the reference order: autoprobe off, the count, VF 0's override */
        daemon_start(h.daemon);
        check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
        for (size_t i = 0; i < fake_kernel_n_writes(h.kernel) && index == SIZE_MAX; i++)
                if (streq_ptr(fake_kernel_write_at(h.kernel, i)->attribute, "driver_override"))
                        index = i;
        assert_int_equal(daemon_stop(h.daemon), 0);
        host_close(&h);
        assert_true(index != SIZE_MAX);

        host_open(&h, s);
        daemon_start(h.daemon);
        assert_int_equal(fake_kernel_kill_at(h.kernel, index, FAKE_KERNEL_KILL_AFTER, daemon_pid(h.daemon)), 0);
        {
                Killed w = { .host = &h, .point = POINT_SYSFS };
                check(&h, fake_kernel_run(h.kernel, 20 * SECOND, killed_and_settled, &w) >= 0);
        }
        (void) daemon_wait_exit(h.daemon, 5 * SECOND);
        check(&h, record_exists(&h));
        {
                _cleanup_free_ char *autoprobe = read_attribute(h.kernel, PF, "sriov_drivers_autoprobe");
                check(&h, streq_ptr(autoprobe, "0"));
        }

        daemon_write_policy(h.daemon, "50-pf.conf", NULL);
        daemon_start(h.daemon);
        check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
        check(&h, daemon_wait_status(h.daemon, "1 PF, 4 VFs", 10 * SECOND));
        {
                _cleanup_free_ char *autoprobe = read_attribute(h.kernel, PF, "sriov_drivers_autoprobe");
                check(&h, streq_ptr(autoprobe, "1"));
        }
        assert_int_equal(fake_kernel_num_vfs(h.kernel, PF), 4);
        for (unsigned i = 0; i < 4; i++) {
                const char *vf = vf_address(h.kernel, PF, i);
                _cleanup_free_ char *o = read_attribute(h.kernel, vf, "driver_override");

                if (!streq_ptr(o, "(null)") || !streq_ptr(fake_kernel_driver(h.kernel, vf), "iavf"))
                        fail_host(&h, "VF %u: driver_override=%s, driver %s", i, strna(o), strna(fake_kernel_driver(h.kernel, vf)));
        }
        check(&h, !record_exists(&h));
        status = status_json(h.kernel, h.daemon);
        check(&h, streq_ptr(status_field(status_find_pf(status, PF), "state"), "unmanaged"));
        found = status_field(status_find_pf(status, PF), "interrupted");
        if (!found || !strstr(found, "did not finish: found 4 VFs"))
                fail_host(&h, "the restart does not say what it found: %s", strna(found));
        json_object_put(status);
        check(&h, daemon_log_contains(h.daemon, "no policy matches the PF now: putting back what that apply changed"));
        check(&h, daemon_log_contains(h.daemon, "changed for the time being is put back (6 writes)"));
        assert_int_equal(daemon_stop(h.daemon), 0);

        /* and that was all: a further start writes nothing */
        {
                size_t from = fake_kernel_n_writes(h.kernel);

                daemon_start(h.daemon);
                check(&h, daemon_wait_ready(h.daemon, 20 * SECOND));
                daemon_settle(h.daemon, SECOND / 2);
                check(&h, fake_kernel_n_writes(h.kernel) == from);
                assert_int_equal(daemon_stop(h.daemon), 0);
        }
        host_close(&h);
}

static int group_setup(void **state) {
        bus = test_bus_start(BUS_SYSTEM_CONFIG);
        return 0;
}

static int group_teardown(void **state) {
        test_bus_stop(bus);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crash_matrix),
                cmocka_unit_test(test_restart_waits_for_the_writer_left_behind),
                cmocka_unit_test(test_restart_without_the_policy_puts_back_the_leftovers),
        };

        if (getenv("SRIOVD_TEST_FILTER"))
                cmocka_set_test_filter(getenv("SRIOVD_TEST_FILTER"));
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
