/* Restarts with nothing to do, on the demo host and on 64 PFs x 256 VFs, and with a changed policy
 * that waits on a VF in use: the new sriovd writes nothing the host does not need, asserted by the
 * fake kernel's write log. */
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

#define N_PFS 64
#define N_VFS 256

static TestBus *bus;

typedef struct Host {
        FakeKernel *kernel;
        FakeNetlink *netlink;
        Daemon *daemon;
        pid_t holder;
} Host;

#define check(h, cond)                                                  \
        do {                                                            \
                if (!(cond)) {                                          \
                        daemon_dump((h)->daemon);                       \
                        fail_msg("%s", #cond);                          \
                }                                                       \
        } while (0)

static int setup(void **state) {
        Host *h = calloc(1, sizeof(Host));

        assert_non_null(h);
        assert_int_equal(fake_kernel_new(&h->kernel), 0);
        *state = h;
        return 0;
}

/* Also after a failed check: a daemon left running would keep the bus name from the next test. */
static int teardown(void **state) {
        Host *h = *state;

        if (h->holder > 0)
                (void) fake_kernel_release_hold(h->kernel, h->holder);
        daemon_free(h->daemon);
        fake_netlink_free(h->netlink);
        fake_kernel_free(h->kernel);
        free(h);
        return 0;
}

/* Nothing written through sysfs or netlink since from and sets; the first write that was, named. */
static void check_nothing_written(Host *h, size_t from, size_t sets, const char *what) {
        if (fake_kernel_n_writes(h->kernel) > from) {
                const FakeWrite *w = fake_kernel_write_at(h->kernel, from);

                daemon_dump(h->daemon);
                fail_msg("%s: wrote %zu attributes, the first %s=%s", what, fake_kernel_n_writes(h->kernel) - from,
                         w->path, w->value);
        }
        if (h->netlink && fake_netlink_n_set_requests(h->netlink) != sets) {
                daemon_dump(h->daemon);
                fail_msg("%s: sent %zu netlink changes", what, fake_netlink_n_set_requests(h->netlink) - sets);
        }
}

static void kill_daemon(Host *h) {
        assert_int_equal(fake_kernel_kill_process(daemon_pid(h->daemon)), 0);
        (void) daemon_wait_exit(h->daemon, 5 * SECOND);
        check(h, !daemon_running(h->daemon));
}

/* Started on a host as its policies want it, stopped with SIGTERM and killed with SIGKILL in turn:
 * each new sriovd gets to READY=1 and the same status without a single write. */
static void restarts_write_nothing(Host *h, const char *status, uint64_t timeout_usec, const char *host) {
        for (unsigned how = 0; how < 2; how++) {
                size_t from = fake_kernel_n_writes(h->kernel);
                size_t sets = h->netlink ? fake_netlink_n_set_requests(h->netlink) : 0;
                _cleanup_free_ char *what = NULL;

                assert_true(asprintf(&what, "%s, restarted after %s", host, how == 0 ? "SIGTERM" : "SIGKILL") > 0);
                if (how == 0)
                        assert_int_equal(daemon_stop(h->daemon), 0);
                else
                        kill_daemon(h);
                daemon_start(h->daemon);
                check(h, daemon_wait_ready(h->daemon, timeout_usec));
                check(h, daemon_wait_status(h->daemon, status, timeout_usec));
                /* what a late event would have it do, it does now */
                daemon_settle(h->daemon, SECOND / 2);
                check_nothing_written(h, from, sets, what);
                print_message("%s: 0 writes\n", what);
        }
}

static char *read_text(const char *path) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        char *text = NULL;
        size_t size = 0;

        assert_non_null(f);
        assert_true(getdelim(&text, &size, '\0', f) > 0);
        return text;
}

/* The demo host with conf/examples, as tests/demo runs it before its hot-add. */
static void test_demo_host(void **state) {
        static const char * const examples[] = { "50-nic.conf", "60-nvme.conf", "70-gpu.conf", "80-driverless.conf" };
        Host *h = *state;
        _cleanup_free_ char *ifindex = NULL;

        assert_int_equal(fake_kernel_load_file(h->kernel, DEMO_HW), 0);
        ifindex = read_attribute(h->kernel, "0000:3b:00.0", "net/ens1f0/ifindex");
        assert_non_null(ifindex);
        h->netlink = fake_netlink_new(h->kernel);
        fake_netlink_add_link(h->netlink, "0000:3b:00.0", atoi(ifindex));
        h->daemon = daemon_new(h->kernel);
        daemon_setenv(h->daemon, fake_netlink_env(h->netlink));
        for (size_t i = 0; i < ELEMENTSOF(examples); i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                assert_true(asprintf(&path, "%s/%s", EXAMPLES, examples[i]) > 0);
                text = read_text(path);
                daemon_write_policy(h->daemon, examples[i], text);
        }

        /* the first start configures it: it has something to do, or the restarts prove nothing */
        daemon_start(h->daemon);
        check(h, daemon_wait_ready(h->daemon, 20 * SECOND));
        check(h, daemon_wait_status(h->daemon, "4 PFs, 12 VFs, 1 pending", 10 * SECOND));
        check(h, fake_kernel_n_writes(h->kernel) > 0 && fake_netlink_n_set_requests(h->netlink) > 0);
        restarts_write_nothing(h, "4 PFs, 12 VFs, 1 pending", 20 * SECOND, "the demo host");
        assert_int_equal(daemon_stop(h->daemon), 0);
}

static void test_64_pfs_256_vfs(void **state) {
        Host *h = *state;
#ifdef SANITIZED
        /* Building 16,384 VFs in the testbed alone takes minutes under the sanitizers, and this
         * counts writes: the same code runs on the demo host above. */
        skip();
#endif
        size_t len = 0;
        _cleanup_free_ char *hw = NULL, *status = NULL;
        FILE *f = open_memstream(&hw, &len);

        /* as tests/bench/gen-hw.sh lays them out: each PF on its own bus, its VFs on the next two;
         * the VFs are there already, on iavf, as a host that booted with them has them */
        assert_non_null(f);
        fprintf(f, "module vfio-pci\n");
        for (unsigned i = 0; i < N_PFS; i++)
                fprintf(f, "pf 0000:%02x:00.0 vendor=8086 device=1592 driver=ice totalvfs=%u offset=8 vf-device=1889 vf-driver=iavf numvfs=%u\n",
                        2 + i * (2 + N_VFS / 248), N_VFS, N_VFS);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(fake_kernel_load(h->kernel, hw), 0);
        h->daemon = daemon_new(h->kernel);
        daemon_set_log_level(h->daemon, "info");
        daemon_write_policy(h->daemon, "50-ice.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=256\nDriversAutoprobe=no\n");

        daemon_start(h->daemon);
        assert_true(asprintf(&status, "%u PFs, %u VFs", N_PFS, N_PFS * N_VFS) > 0);
        check(h, daemon_wait_ready(h->daemon, 120 * SECOND));
        check(h, daemon_wait_status(h->daemon, status, 60 * SECOND));
        /* the first start has something to do: autoprobe off on every PF, for VFs made later */
        assert_int_equal(count_writes(h->kernel, 0, "", "sriov_drivers_autoprobe"), N_PFS);
        assert_int_equal(fake_kernel_n_writes(h->kernel), N_PFS);
        restarts_write_nothing(h, status, 120 * SECOND, "64 PFs x 256 VFs");
        assert_int_equal(daemon_stop(h->daemon), 0);
}

/* A policy change that needs the count through 0 while a VM holds VF 0 is pending; sriovd killed
 * then and started again finds it so, says so, and touches nothing until the VM lets go. */
static void test_pending_change_survives_a_kill(void **state) {
        const char *pf = "0000:3b:00.0";
        Host *h = *state;
        char vf0[13];
        json_object *status;
        _cleanup_free_ char *reason = NULL;
        size_t from;

        assert_int_equal(fake_kernel_load(h->kernel, "module vfio-pci\n"
                "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 numvfs=4\n"), 0);
        assert_int_equal(fake_kernel_vf_address(h->kernel, pf, 0, vf0), 0);
        assert_int_equal(fake_kernel_bind(h->kernel, vf0, "vfio-pci"), 0);
        assert_int_equal(fake_kernel_hold(h->kernel, vf0, "qemu", &h->holder), 0);
        h->daemon = daemon_new(h->kernel);
        daemon_write_policy(h->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=4\nVFDriver=vfio-pci\n");
        daemon_start(h->daemon);
        check(h, daemon_wait_ready(h->daemon, 20 * SECOND));
        check(h, daemon_wait_status(h->daemon, "1 PF, 4 VFs", 10 * SECOND));

        /* 4 -> 6 goes through 0, which would take VF 0 from its VM */
        daemon_write_policy(h->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=6\nVFDriver=vfio-pci\n");
        from = fake_kernel_n_writes(h->kernel);
        daemon_signal(h->daemon, SIGHUP);
        check(h, daemon_wait_status(h->daemon, "1 PF, 4 VFs, 1 pending", 10 * SECOND));
        check_nothing_written(h, from, 0, "the change with VF 0 held");
        status = status_json(h->kernel, h->daemon);
        reason = strdup(strna(status_field(status_find_pf(status, pf), "reason")));
        json_object_put(status);
        check(h, strstr(reason, "qemu"));

        kill_daemon(h);
        from = fake_kernel_n_writes(h->kernel);
        daemon_start(h->daemon);
        check(h, daemon_wait_ready(h->daemon, 20 * SECOND));
        check(h, daemon_wait_status(h->daemon, "1 PF, 4 VFs, 1 pending", 10 * SECOND));
        daemon_settle(h->daemon, SECOND / 2);
        check_nothing_written(h, from, 0, "restarted with the change pending");
        status = status_json(h->kernel, h->daemon);
        check(h, streq_ptr(status_field(status_find_pf(status, pf), "state"), "pending"));
        if (!streq_ptr(status_field(status_find_pf(status, pf), "reason"), reason))
                fail_msg("pending for another reason after the restart: %s, before: %s",
                         strna(status_field(status_find_pf(status, pf), "reason")), reason);
        /* nothing was half done: a pending change leaves no record behind */
        check(h, status_field(status_find_pf(status, pf), "interrupted") == NULL);
        json_object_put(status);
        check(h, streq_ptr(fake_kernel_driver(h->kernel, vf0), "vfio-pci"));
        check(h, fake_kernel_n_violations(h->kernel) == 0);

        /* the VM lets go: the change it waited for is made */
        assert_int_equal(fake_kernel_release_hold(h->kernel, h->holder), 0);
        check(h, daemon_wait_status(h->daemon, "1 PF, 6 VFs", 20 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(h->kernel, pf), 6);
        assert_int_equal(daemon_stop(h->daemon), 0);
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
                cmocka_unit_test_setup_teardown(test_demo_host, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pending_change_survives_a_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_64_pfs_256_vfs, setup, teardown),
        };

        if (getenv("SRIOVD_TEST_FILTER"))
                cmocka_set_test_filter(getenv("SRIOVD_TEST_FILTER"));
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
