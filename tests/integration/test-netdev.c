/* The real sriovd sets VF netdev settings and the eswitch mode through a netlink layer the test plays, and matches PFs by serial number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon-harness.h"
#include "fake-netlink.h"
#include "sriovd/macro.h"

#define PF "0000:3b:00.0"
#define NIC "pf " PF " vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf netdev=ens1f0"
#define NIC_POLICY(settings) "[Match]\nDriver=ice\n[PhysicalFunction]\n" settings

typedef struct Test {
        FakeKernel *kernel;
        Daemon *daemon;
        FakeNetlink *netlink;
} Test;

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        t->daemon = daemon_new(t->kernel);
        t->netlink = fake_netlink_new(t->kernel);
        daemon_setenv(t->daemon, fake_netlink_env(t->netlink));
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        daemon_free(t->daemon);
        fake_netlink_free(t->netlink);
        fake_kernel_free(t->kernel);
        free(t);
        return 0;
}

#define check(t, cond)                                                  \
        do {                                                            \
                if (!(cond)) {                                          \
                        daemon_dump((t)->daemon);                       \
                        fail_msg("%s", #cond);                          \
                }                                                       \
        } while (0)

static void start_ready(Test *t) {
        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 20 * SECOND));
}

/* The PF netdev's ifindex, as the fake kernel gave it, known to the fake netlink. */
static void add_link(Test *t, const char *pf, const char *netdev) {
        _cleanup_free_ char *attribute = NULL, *ifindex = NULL;

        assert_true(asprintf(&attribute, "net/%s/ifindex", netdev) > 0);
        ifindex = read_attribute(t->kernel, pf, attribute);
        assert_non_null(ifindex);
        fake_netlink_add_link(t->netlink, pf, atoi(ifindex));
}

static const char policy_text[] =
        NIC_POLICY("NumVFs=2\n")
        "[VirtualFunction]\n"
        "Index=0-1\n"
        "VLANId=100\n"
        "QualityOfService=3\n"
        "Trust=yes\n"
        "MaxTxRate=1000\n"
        "LinkState=enable\n"
        "[VirtualFunction]\n"
        "Index=1\n"
        "MACAddress=02:00:00:00:3b:01\n"
        "VLANProtocol=802.1ad\n"
        "VLANId=200\n"
        "MACSpoofCheck=no\n"
        "QueryReceiveSideScaling=yes\n";

static void check_vf0(Test *t) {
        const VfNetSettings *v = fake_netlink_vf(t->netlink, PF, 0);

        check(t, v != NULL);
        check(t, v->vlan == 100);
        assert_int_equal(v->qos, 3);
        assert_int_equal(v->vlan_protocol, VLAN_PROTOCOL_8021Q);
        assert_true(v->trust);
        assert_int_equal(v->max_tx_rate, 1000);
        assert_int_equal(v->min_tx_rate, 0);
        assert_int_equal(v->link_state, LINK_STATE_ENABLE);
        assert_true(v->spoof_check);
}

/* One attribute the driver refuses fails alone, named; every other one is set. */
static void test_settings_applied_one_failure_reported(void **state) {
        Test *t = *state;
        const VfNetSettings *v;
        static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x3b, 0x01 };

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        add_link(t, PF, "ens1f0");
        fake_netlink_fail(t->netlink, PF, 1, VF_NET_TRUST, -EOPNOTSUPP);
        daemon_write_policy(t->daemon, "50-nic.conf", policy_text);
        start_ready(t);

        check(t, daemon_wait_log(t->daemon, "VF 1 Trust: Operation not supported (the PF driver does not support it)", 5 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, PF), 2);
        check_vf0(t);
        v = fake_netlink_vf(t->netlink, PF, 1);
        assert_non_null(v);
        assert_memory_equal(v->mac, mac, 6);
        assert_int_equal(v->vlan, 200);
        /* a later section's VLAN is a whole: id, QoS and protocol, with the defaults it leaves out */
        assert_int_equal(v->qos, 0);
        assert_int_equal(v->vlan_protocol, VLAN_PROTOCOL_8021AD);
        assert_false(v->spoof_check);
        assert_true(v->query_rss);
        assert_int_equal(v->max_tx_rate, 1000);
        assert_false(v->trust);
        check(t, daemon_log_contains(t->daemon, "1 netdev setting failed: VF 1 Trust"));
        /* the driver will not grow the feature by itself: no retry loop */
        check(t, daemon_log_contains(t->daemon, "not retried by itself"));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* The NIC with its netdev and the policy, sriovd started and done: VF 0 as the policy says. */
static void start_applied(Test *t) {
        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        add_link(t, PF, "ens1f0");
        daemon_write_policy(t->daemon, "50-nic.conf", policy_text);
        start_ready(t);
        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 5 * SECOND));
        check_vf0(t);
}

/* A PF already as the policy says gets no request at all, also after a restart; a changed setting
 * is the only one sent. */
static void test_in_sync_sends_nothing(void **state) {
        Test *t = *state;
        unsigned sets;

        start_applied(t);
        sets = fake_netlink_n_sets(t->netlink, PF);
        /* VF 0: VLAN, rate, trust, link state; VF 1: MAC, VLAN, rate, spoof check, trust, link state, RSS */
        assert_int_equal(sets, 11);
        assert_int_equal(daemon_stop(t->daemon), 0);

        start_ready(t);
        check(t, daemon_wait_log(t->daemon, "in sync with", 5 * SECOND));
        assert_int_equal(fake_netlink_n_sets(t->netlink, PF), sets);

        /* someone reset the VFs behind sriovd's back: the next evaluation puts back what differs */
        fake_netlink_reset(t->netlink, PF);
        assert_int_equal(fake_kernel_uevent(t->kernel, PF, "change"), 0);
        for (unsigned i = 0; i < 50 && fake_netlink_n_sets(t->netlink, PF) < 2 * sets; i++)
                daemon_settle(t->daemon, SECOND / 10);
        daemon_settle(t->daemon, SECOND / 5);
        check_vf0(t);
        assert_int_equal(fake_netlink_n_sets(t->netlink, PF), 2 * sets);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* New VFs come with the driver's defaults: sriovd sets them again; so it does when the PF netdev
 * comes back after its driver was reloaded. */
static void test_reapplied_after_recreate_and_netdev(void **state) {
        Test *t = *state;
        unsigned sets;

        start_applied(t);

        daemon_write_policy(t->daemon, "50-nic.conf",
                            NIC_POLICY("NumVFs=3\n") "[VirtualFunction]\nIndex=0-2\nVLANId=100\nQualityOfService=3\nTrust=yes\nMaxTxRate=1000\nLinkState=enable\n");
        daemon_signal(t->daemon, SIGHUP);
        check(t, daemon_wait_num_vfs(t->daemon, PF, 3, 10 * SECOND));
        check(t, daemon_wait_status(t->daemon, "1 PF, 3 VFs", 5 * SECOND));
        daemon_settle(t->daemon, SECOND / 2);
        for (unsigned i = 0; i < 3; i++) {
                const VfNetSettings *v = fake_netlink_vf(t->netlink, PF, i);

                check(t, v && v->vlan == 100 && v->trust && v->max_tx_rate == 1000);
        }

        /* the driver goes and comes back: its netdev is new, with the defaults */
        assert_int_equal(fake_kernel_unbind(t->kernel, PF), 0);
        daemon_settle(t->daemon, SECOND / 2);
        fake_netlink_reset(t->netlink, PF);
        sets = fake_netlink_n_sets(t->netlink, PF);
        assert_int_equal(fake_kernel_bind(t->kernel, PF, "ice"), 0);
        add_link(t, PF, "ens1f0");
        check(t, daemon_wait_log(t->daemon, "net device of " PF, 5 * SECOND));
        daemon_settle(t->daemon, SECOND);
        check(t, fake_netlink_n_sets(t->netlink, PF) > sets);
        for (unsigned i = 0; i < 3; i++) {
                const VfNetSettings *v = fake_netlink_vf(t->netlink, PF, i);

                check(t, v && v->vlan == 100 && v->trust && v->max_tx_rate == 1000);
        }
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* An NVMe PF has no netdev: the settings are pointless there, said with file:line, and the rest
 * of the policy applies. */
/* The write index of the drivers_probe that bound vf, or SIZE_MAX. */
static size_t probe_write(FakeKernel *k, const char *vf) {
        for (size_t i = 0; i < fake_kernel_n_writes(k); i++) {
                const FakeWrite *w = fake_kernel_write_at(k, i);

                if (streq(w->attribute, "drivers_probe") && streq(w->value, vf))
                        return i;
        }
        return SIZE_MAX;
}

/* A NIC's VF driver takes the VF's MAC from the PF when it probes: the MAC is set while the VFs
 * wait unbound, before their drivers_probe; a setting refused then still fails alone, once. */
static void test_mac_before_vf_driver(void **state) {
        Test *t = *state;
        static const uint8_t mac0[6] = { 0x02, 0, 0, 0, 0x3b, 0x00 }, mac1[6] = { 0x02, 0, 0, 0, 0x3b, 0x01 };

        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        add_link(t, PF, "ens1f0");
        fake_netlink_fail(t->netlink, PF, 1, VF_NET_TRUST, -EOPNOTSUPP);
        daemon_write_policy(t->daemon, "50-nic.conf",
                NIC_POLICY("NumVFs=2\n")
                "[VirtualFunction]\nIndex=0\nDriver=iavf\nMACAddress=02:00:00:00:3b:00\n"
                "[VirtualFunction]\nIndex=1\nDriver=iavf\nMACAddress=02:00:00:00:3b:01\nTrust=yes\n");
        start_ready(t);
        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs, 1 failed", 5 * SECOND));

        for (unsigned i = 0; i < 2; i++) {
                const char *vf = vf_address(t->kernel, PF, i);
                size_t probe = probe_write(t->kernel, vf), mac = fake_netlink_mac_set_at(t->netlink, PF, i);

                check(t, probe != SIZE_MAX);
                check(t, mac != SIZE_MAX);
                if (mac > probe)
                        fail_msg("VF %u: MAC set after write %zu, its drivers_probe was write %zu", i, mac, probe);
        }
        assert_memory_equal(fake_netlink_vf(t->netlink, PF, 0)->mac, mac0, 6);
        assert_memory_equal(fake_netlink_vf(t->netlink, PF, 1)->mac, mac1, 6);
        check(t, daemon_log_contains(t->daemon, "1 netdev setting failed: VF 1 Trust"));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_no_netdev_warns(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel, "pf 0000:86:00.0 vendor=1b36 device=0010 driver=nvme totalvfs=4\n"), 0);
        daemon_write_policy(t->daemon, "60-nvme.conf",
                            "[Match]\nVendor=0x1b36\n[PhysicalFunction]\nNumVFs=2\n\n[VirtualFunction]\nIndex=0\nMSIXVectors=\nVLANId=100\n");
        start_ready(t);
        check(t, daemon_wait_status(t->daemon, "1 PF, 2 VFs", 5 * SECOND));
        check(t, daemon_wait_log(t->daemon, "60-nvme.conf:9: [VirtualFunction] netdev settings have no effect: the PF has no network interface, ignoring them", 5 * SECOND));
        check(t, daemon_log_contains(t->daemon, "0000:86:00.0: applied"));
        check(t, !daemon_log_contains(t->daemon, "failed"));
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* switchdev before the VFs exist; refused, with the reason, while they do. */
static void test_eswitch_mode(void **state) {
        Test *t = *state;
        size_t numvfs_at = SIZE_MAX;

        assert_int_equal(fake_kernel_load(t->kernel, NIC "\npf 0000:5e:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf numvfs=2"), 0);
        fake_netlink_add_eswitch(t->netlink, PF, ESWITCH_MODE_LEGACY);
        fake_netlink_add_eswitch(t->netlink, "0000:5e:00.0", ESWITCH_MODE_LEGACY);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY("NumVFs=2\nEswitchMode=switchdev\n"));
        start_ready(t);
        check(t, daemon_wait_num_vfs(t->daemon, PF, 2, 5 * SECOND));
        assert_int_equal(fake_netlink_eswitch(t->netlink, PF), ESWITCH_MODE_SWITCHDEV);
        for (size_t i = 0; i < fake_kernel_n_writes(t->kernel); i++) {
                const FakeWrite *w = fake_kernel_write_at(t->kernel, i);

                if (streq_ptr(w->device, PF) && streq_ptr(w->attribute, "sriov_numvfs") && numvfs_at == SIZE_MAX)
                        numvfs_at = i;
        }
        check(t, numvfs_at != SIZE_MAX);
        check(t, fake_netlink_eswitch_changed_at(t->netlink, PF) <= numvfs_at);

        check(t, daemon_wait_log(t->daemon, "0000:5e:00.0: refused: EswitchMode=switchdev: the PF is in legacy mode and has 2 VFs", 5 * SECOND));
        assert_int_equal(fake_netlink_eswitch(t->netlink, "0000:5e:00.0"), ESWITCH_MODE_LEGACY);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:5e:00.0"), 2);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

/* [Match] Serial= follows the card wherever it sits. */
static void test_serial_match(void **state) {
        Test *t = *state;

        assert_int_equal(fake_kernel_load(t->kernel,
                "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 serial=00-11-22-ff-fe-33-44-55\n"
                "pf 0000:5e:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 serial=00-11-22-ff-fe-33-44-66\n"
                "pf 0000:86:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8\n"), 0);
        daemon_write_policy(t->daemon, "50-card.conf", "[Match]\nSerial=00-11-22-ff-fe-33-44-55\n[PhysicalFunction]\nNumVFs=3\n");
        daemon_write_policy(t->daemon, "60-cards.conf", "[Match]\nSerial=00-11-22-*\n[PhysicalFunction]\nNumVFs=1\n");
        start_ready(t);
        check(t, daemon_wait_status(t->daemon, "3 PFs, 4 VFs", 5 * SECOND));
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:3b:00.0"), 3);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:5e:00.0"), 1);
        assert_int_equal(fake_kernel_num_vfs(t->kernel, "0000:86:00.0"), 0);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_settings_applied_one_failure_reported, setup, teardown),
                cmocka_unit_test_setup_teardown(test_in_sync_sends_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reapplied_after_recreate_and_netdev, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mac_before_vf_driver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_netdev_warns, setup, teardown),
                cmocka_unit_test_setup_teardown(test_eswitch_mode, setup, teardown),
                cmocka_unit_test_setup_teardown(test_serial_match, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
