/* sriovd's D-Bus API and sriovctl over it: busctl as an independent client, access control, output, monitor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "bus-harness.h"
#include "daemon-harness.h"
#include "fake-netlink.h"
#include "sriovd/macro.h"

#define HW \
        "module pci-pf-stub\n" \
        "module vfio-pci enable_sriov=1\n" \
        "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf netdev=ens1f0\n" \
        "pf 0000:af:00.0 vendor=10de device=2236 driver=vfio-pci totalvfs=16 numvfs=4\n"
#define NIC_POLICY "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=4\nDriversAutoprobe=no\n" \
        "[VirtualFunction]\nIndex=0-1\nDriver=vfio-pci\n"
#define GPU_POLICY "[Match]\nVendor=0x10de\n[PhysicalFunction]\nNumVFs=8\nVFDriver=vfio-pci\n"
#define NIC_PATH "/org/sriovd1/pf/_30000_3a3b_3a00_2e0"

typedef struct Test {
        FakeKernel *kernel;
        Daemon *daemon;
        TestBus *bus;
        FakeNetlink *netlink;
} Test;

static int setup_with(void **state, const char *bus_config) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        t->bus = test_bus_start(bus_config);
        assert_int_equal(fake_kernel_load(t->kernel, HW), 0);
        t->daemon = daemon_new(t->kernel);
        daemon_write_policy(t->daemon, "50-nic.conf", NIC_POLICY);
        daemon_write_policy(t->daemon, "70-gpu.conf", GPU_POLICY);
        daemon_start(t->daemon);
        if (!daemon_wait_ready(t->daemon, 20 * SECOND)) {
                daemon_dump(t->daemon);
                fail_msg("sriovd did not get ready");
        }
        *state = t;
        return 0;
}

static int setup_system_bus(void **state) {
        return setup_with(state, BUS_SYSTEM_CONFIG);
}

static int setup_open_bus(void **state) {
        return setup_with(state, BUS_OPEN_CONFIG);
}

/* A NIC with a serial number whose VFs 2 and 3 get network settings, through a netlink the test plays. */
static int setup_netdev(void **state) {
        Test *t = calloc(1, sizeof(Test));
        _cleanup_free_ char *ifindex = NULL;

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        t->bus = test_bus_start(BUS_SYSTEM_CONFIG);
        assert_int_equal(fake_kernel_load(t->kernel,
                "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf "
                "netdev=ens1f0 serial=00-11-22-ff-fe-33-44-55\n"), 0);
        t->netlink = fake_netlink_new(t->kernel);
        ifindex = read_attribute(t->kernel, "0000:3b:00.0", "net/ens1f0/ifindex");
        assert_non_null(ifindex);
        fake_netlink_add_link(t->netlink, "0000:3b:00.0", atoi(ifindex));
        fake_netlink_add_eswitch(t->netlink, "0000:3b:00.0", ESWITCH_MODE_LEGACY);
        t->daemon = daemon_new(t->kernel);
        daemon_setenv(t->daemon, fake_netlink_env(t->netlink));
        daemon_write_policy(t->daemon, "50-nic.conf",
                            "[Match]\nSerial=00-11-22-*\n[PhysicalFunction]\nNumVFs=4\nEswitchMode=legacy\n"
                            "[VirtualFunction]\nIndex=2-3\nVLANId=100\nQualityOfService=2\nTrust=yes\nMaxTxRate=500\n");
        daemon_start(t->daemon);
        if (!daemon_wait_ready(t->daemon, 20 * SECOND)) {
                daemon_dump(t->daemon);
                fail_msg("sriovd did not get ready");
        }
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        daemon_free(t->daemon);
        fake_netlink_free(t->netlink);
        test_bus_stop(t->bus);
        fake_kernel_free(t->kernel);
        free(t);
        return 0;
}

#define expect(output, text)                                                                    \
        do {                                                                                    \
                if (!strstr((output), (text)))                                                  \
                        fail_msg("expected \"%s\" in:\n%s", (text), (output));                  \
        } while (0)

static json_object *parse(const char *output) {
        json_object *j = json_tokener_parse(output);

        if (!j)
                fail_msg("not JSON:\n%s", output);
        return j;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
        return v;
}

/* ---- busctl, an independent client ---- */

static void test_busctl(void **state) {
        Test *t = *state;
        _cleanup_free_ char *out = NULL;

        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "--no-pager", "tree", "org.sriovd1", NULL), 0);
        expect(out, "/org/sriovd1/pf/_30000_3a3b_3a00_2e0");
        expect(out, "/org/sriovd1/pf/_30000_3aaf_3a00_2e0");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "--no-pager", "introspect", "org.sriovd1",
                                    "/org/sriovd1", "org.sriovd1.Manager", NULL), 0);
        expect(out, ".Apply ");
        expect(out, "a(sss)");
        expect(out, ".Explain ");
        expect(out, ".ListPhysicalFunctions ");
        expect(out, ".Reload ");
        expect(out, ".PhysicalFunctionAdded ");
        expect(out, ".PolicyFiles ");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "get-property", "org.sriovd1", NIC_PATH,
                                    "org.sriovd1.PhysicalFunction", "NumVFs", NULL), 0);
        assert_string_equal(out, "u 4\n");
        free(out);
        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "get-property", "org.sriovd1", NIC_PATH,
                                    "org.sriovd1.PhysicalFunction", "State", NULL), 0);
        assert_string_equal(out, "s \"applied\"\n");
        free(out);
        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "get-property", "org.sriovd1", NIC_PATH,
                                    "org.sriovd1.PhysicalFunction", "Name", NULL), 0);
        assert_string_equal(out, "s \"Ethernet Controller E810-C for QSFP\"\n");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                    "org.sriovd1.Manager", "ListPhysicalFunctions", NULL), 0);
        assert_string_equal(out, "a(so) 2 \"0000:3b:00.0\" \"" NIC_PATH "\" \"0000:af:00.0\" \"/org/sriovd1/pf/_30000_3aaf_3a00_2e0\"\n");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                    "org.sriovd1.Manager", "Explain", "s", "0000:af:00.0", NULL), 0);
        expect(out, "70-gpu.conf\" 0 \"pending\" \"the PF is owned by vfio-pci\"");
        free(out);

        /* named errors */
        assert_int_not_equal(run_client(t->kernel, false, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                        "org.sriovd1.Manager", "Explain", "s", "0000:99:00.0", NULL), 0);
        expect(out, "0000:99:00.0 is not an SR-IOV PF sriovd knows");
        free(out);
        assert_int_not_equal(run_client(t->kernel, false, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                        "org.sriovd1.Manager", "Apply", "s", "../../../etc", NULL), 0);
        expect(out, "is not a PCI address");
        free(out);

        /* Apply answers once the evaluation is done, with the outcome of each PF */
        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                    "org.sriovd1.Manager", "Apply", "s", "", NULL), 0);
        assert_string_equal(out, "a(sss) 2 \"0000:3b:00.0\" \"applied\" \"\" \"0000:af:00.0\" \"pending\" \"the PF is owned by vfio-pci\"\n");
}

/* ---- access ---- */

static void check_unprivileged(Test *t, const char *denial) {
        _cleanup_free_ char *out = NULL;

        assert_int_not_equal(run_client(t->kernel, true, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                        "org.sriovd1.Manager", "Apply", "s", "", NULL), 0);
        expect(out, denial);
        free(out);
        assert_int_not_equal(run_client(t->kernel, true, &out, "busctl", "--system", "call", "org.sriovd1", "/org/sriovd1",
                                        "org.sriovd1.Manager", "Reload", NULL), 0);
        expect(out, denial);
        free(out);

        /* reading is open */
        assert_int_equal(run_client(t->kernel, true, &out, "busctl", "--system", "get-property", "org.sriovd1", "/org/sriovd1",
                                    "org.sriovd1.Manager", "Status", NULL), 0);
        assert_string_equal(out, "s \"2 PFs, 8 VFs, 1 pending\"\n");
        free(out);
        assert_int_equal(run_client(t->kernel, true, &out, SRIOVCTL, "status", NULL), 0);
        expect(out, "0000:3b:00.0");
        free(out);
        assert_int_equal(run_client(t->kernel, true, &out, SRIOVCTL, "explain", "0000:3b:00.0", NULL), 0);
        expect(out, "50-nic.conf");
        free(out);
        assert_int_equal(run_client(t->kernel, true, &out, SRIOVCTL, "status", "0000:3b:00.0", "--json=short", NULL), 0);
        expect(out, "\"state\":\"applied\"");
        free(out);

        /* sriovctl says what to do about it */
        assert_int_equal(run_client(t->kernel, true, &out, SRIOVCTL, "apply", NULL), 1);
        expect(out, "sriovctl: apply: permission denied; changing anything needs root (try sudo)");
        free(out);
        assert_int_equal(run_client(t->kernel, true, &out, SRIOVCTL, "reload", NULL), 1);
        expect(out, "permission denied");

        /* nothing was done for them: the daemon never logged such a request */
        if (daemon_log_contains(t->daemon, "apply asked for over D-Bus") || daemon_log_contains(t->daemon, "reload asked for"))
                fail_msg("an unprivileged call got through");
}

static void test_unprivileged_system_bus(void **state) {
        /* the bus policy file stops them first */
        check_unprivileged(*state, "Access denied");
}

static void test_unprivileged_open_bus(void **state) {
        /* with a bus that lets everything through, only sriovd's own check can stop them */
        check_unprivileged(*state, "Access denied");
}

/* ---- sriovctl ---- */

static void test_sriovctl_human(void **state) {
        Test *t = *state;
        _cleanup_free_ char *out = NULL;

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", NULL), 0);
        expect(out, "PF            DEVICE                                                 DRIVER    VFS     STATE    LOCK\n");
        expect(out, "0000:3b:00.0  Intel Corporation Ethernet Controller E810-C for QSFP  ice       4/4/8   applied  -\n");
        expect(out, "0000:af:00.0  NVIDIA Corporation GA102GL [A10]                       vfio-pci  4/8/16  pending  vfio-pci\n");
        expect(out, "\n2 PFs, 8 VFs, 1 pending\n");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "--no-legend", "status", NULL), 0);
        assert_null(strstr(out, "DEVICE"));
        assert_null(strstr(out, "2 PFs"));
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "0000:3b:00.0", NULL), 0);
        expect(out, "* 0000:3b:00.0 Intel Corporation Ethernet Controller E810-C for QSFP\n");
        expect(out, "  |- state:       applied\n");
        expect(out, "  |- VFs:         4 of 8 (the policy wants 4)\n");
        expect(out, "  |- SR-IOV:      TotalVFs 8, VF offset 8, stride 1, VF device 8086:1889\n");
        expect(out, "     |- 0   0000:3b:01.0  vfio-pci   IOMMU group");
        expect(out, "     `- 3   0000:3b:01.3  -          IOMMU group");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "explain", "0000:af:00.0", NULL), 0);
        expect(out, "  state:      pending: the PF is owned by vfio-pci\n");
        expect(out, "  wants:      8 VFs");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "apply", "0000:3b:00.0", NULL), 0);
        assert_string_equal(out, "0000:3b:00.0: applied\n");
        free(out);
        /* a pending PF makes apply fail, saying why */
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "apply", NULL), 1);
        expect(out, "0000:af:00.0: pending: the PF is owned by vfio-pci\n");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "reload", NULL), 0);
        assert_string_equal(out, "Reloaded: 2 policies in force.\n");
        free(out);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=lots\n");
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "reload", NULL), 1);
        expect(out, "the policy files have errors; the policies in force stay:");
        expect(out, "50-nic.conf:4: error: NumVFs=: \"lots\" is not a number or \"max\"");
        free(out);

        /* usage errors, and a PF sriovd does not know */
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "explain", NULL), 2);
        free(out);
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "0000:99:00.0", NULL), 1);
        expect(out, "0000:99:00.0 is not an SR-IOV PF sriovd knows");
        free(out);

        /* without sriovd: exit 3, and what to do */
        assert_int_equal(daemon_stop(t->daemon), 0);
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", NULL), 3);
        expect(out, "sriovctl: sriovd is not running (start it: systemctl start sriovd)");
}

static void test_sriovctl_json(void **state) {
        Test *t = *state;
        _cleanup_free_ char *out = NULL;
        json_object *j, *pf, *vf;

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "--json=short", NULL), 0);
        j = parse(out);
        assert_string_equal(json_object_get_string(get(j, "status")), "2 PFs, 8 VFs, 1 pending");
        assert_int_equal(json_object_array_length(get(j, "pfs")), 2);
        pf = json_object_array_get_idx(get(j, "pfs"), 0);
        assert_string_equal(json_object_get_string(get(pf, "address")), "0000:3b:00.0");
        assert_string_equal(json_object_get_string(get(pf, "vendor")), "0x8086");
        assert_string_equal(json_object_get_string(get(pf, "name")), "Ethernet Controller E810-C for QSFP");
        assert_int_equal(json_object_get_int(get(pf, "num_vfs")), 4);
        assert_int_equal(json_object_get_int(get(pf, "desired_num_vfs")), 4);
        assert_int_equal(json_object_get_int(get(pf, "total_vfs")), 8);
        assert_false(json_object_get_boolean(get(pf, "drivers_autoprobe")));
        assert_string_equal(json_object_get_string(get(pf, "state")), "applied");
        assert_null(get(pf, "reason"));
        assert_int_equal(json_object_get_int(get(get(pf, "sriov_capability"), "vf_offset")), 8);
        vf = json_object_array_get_idx(get(pf, "vfs"), 0);
        assert_string_equal(json_object_get_string(get(vf, "driver")), "vfio-pci");
        assert_null(get(vf, "holder"));
        pf = json_object_array_get_idx(get(j, "pfs"), 1);
        assert_string_equal(json_object_get_string(get(pf, "locked_by")), "vfio-pci");
        assert_string_equal(json_object_get_string(get(pf, "state")), "pending");
        json_object_put(j);
        free(out);

        /* pretty JSON is the same JSON */
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "--json=pretty", "0000:af:00.0", NULL), 0);
        expect(out, "\n  \"address\": \"0000:af:00.0\",\n");
        j = parse(out);
        assert_int_equal(json_object_get_int(get(j, "desired_num_vfs")), 8);
        json_object_put(j);
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "explain", "0000:af:00.0", "--json=short", NULL), 0);
        j = parse(out);
        assert_string_equal(json_object_get_string(get(j, "reason")), "the PF is owned by vfio-pci");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(get(j, "blockers"), 0)), "the PF is owned by vfio-pci");
        json_object_put(j);
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "apply", "--json=short", NULL), 1);
        j = parse(out);
        assert_int_equal(json_object_array_length(j), 2);
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(j, 1), "state")), "pending");
        json_object_put(j);
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "reload", "--json=short", NULL), 0);
        j = parse(out);
        assert_true(json_object_get_boolean(get(j, "reloaded")));
        assert_int_equal(json_object_get_int(get(j, "policies")), 2);
        json_object_put(j);
}

/* What the PF driver reports for each VF's network settings, its serial number and eswitch mode. */
static void test_vf_network_in_status(void **state) {
        Test *t = *state;
        _cleanup_free_ char *out = NULL;
        json_object *j, *vf, *net;

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "0000:3b:00.0", NULL), 0);
        expect(out, "  |- serial:      00-11-22-ff-fe-33-44-55\n");
        expect(out, "  |- eswitch:     legacy\n");
        expect(out, "|      mac 00:00:00:00:00:00, vlan none, spoof check on, trust off, link auto, rate unlimited, rss query off\n");
        expect(out, "|      mac 00:00:00:00:00:00, vlan 100 qos 2 802.1Q, spoof check on, trust on, link auto, rate 0-500 Mbit/s, rss query off\n");
        free(out);

        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "0000:3b:00.0", "--json=short", NULL), 0);
        j = parse(out);
        assert_string_equal(json_object_get_string(get(j, "serial")), "00-11-22-ff-fe-33-44-55");
        assert_string_equal(json_object_get_string(get(j, "eswitch_mode")), "legacy");
        vf = json_object_array_get_idx(get(j, "vfs"), 3);
        net = get(vf, "network");
        assert_int_equal(json_object_get_int(get(net, "vlan")), 100);
        assert_int_equal(json_object_get_int(get(net, "qos")), 2);
        assert_string_equal(json_object_get_string(get(net, "vlan_protocol")), "802.1Q");
        assert_true(json_object_get_boolean(get(net, "trust")));
        assert_int_equal(json_object_get_int(get(net, "max_tx_rate")), 500);
        assert_string_equal(json_object_get_string(get(net, "link_state")), "auto");
        json_object_put(j);
        free(out);

        /* busctl, an independent client, reads the same */
        assert_int_equal(run_client(t->kernel, false, &out, "busctl", "--system", "get-property", "org.sriovd1", NIC_PATH,
                                    "org.sriovd1.PhysicalFunction", "VFNetworkSettings", NULL), 0);
        expect(out, "a(usiisiiiisi) 4 0 \"00:00:00:00:00:00\" 0 0 \"802.1Q\" 0 0 1 0 \"auto\" 0");
        expect(out, "3 \"00:00:00:00:00:00\" 100 2 \"802.1Q\" 0 500 1 1 \"auto\" 0");
}

/* A holder shows in status, with its pid and command. */
static void test_holder_in_status(void **state) {
        Test *t = *state;
        _cleanup_free_ char *out = NULL;
        char vf[13];
        pid_t qemu;

        assert_int_equal(fake_kernel_vf_address(t->kernel, "0000:3b:00.0", 1, vf), 0);
        assert_int_equal(fake_kernel_hold(t->kernel, vf, "qemu-system-x86", &qemu), 0);
        daemon_settle(t->daemon, SECOND);
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "0000:3b:00.0", NULL), 0);
        expect(out, "0000:3b:01.1  vfio-pci   IOMMU group");
        expect(out, "held by qemu-system-x86 (pid ");
        free(out);
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "status", "0000:3b:00.0", "--json=short", NULL), 0);
        expect(out, "\"holder\":{\"pid\":");
        expect(out, "\"command\":\"qemu-system-x86\"");
        assert_int_equal(fake_kernel_release_hold(t->kernel, qemu), 0);
}

/* ---- monitor ---- */

static bool file_has(const char *path, const char *text) {
        _cleanup_free_ char *s = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");
        bool found;

        if (!f)
                return false;
        found = getdelim(&s, &n, '\0', f) >= 0 && strstr(s, text);
        fclose(f);
        return found;
}

typedef struct Wait {
        const char *path;
        const char *text;
} Wait;

static bool has_line(FakeKernel *k, void *userdata) {
        Wait *w = userdata;
        return file_has(w->path, w->text);
}

static bool in_event_loop(FakeKernel *k, void *userdata) {
        _cleanup_free_ char *path = NULL, *wchan = NULL;
        size_t n = 0;
        FILE *f;

        if (asprintf(&path, "/proc/%d/wchan", (int) *(pid_t *) userdata) < 0 || !(f = fopen(path, "re")))
                return false;
        if (getdelim(&wchan, &n, '\0', f) < 0)
                wchan = mfree(wchan);
        fclose(f);
        return wchan && strstr(wchan, "epoll");
}

static void wait_line(Test *t, const char *path, const char *text) {
        Wait w = { path, text };

        if (fake_kernel_run(t->kernel, 15 * SECOND, has_line, &w) < 0) {
                _cleanup_free_ char *s = NULL;
                size_t n = 0;
                FILE *f = fopen(path, "re");
                if (f && getdelim(&s, &n, '\0', f) >= 0)
                        print_message("---- monitor output ----\n%s", s);
                if (f)
                        fclose(f);
                daemon_dump(t->daemon);
                fail_msg("monitor did not print \"%s\"", text);
        }
}

static void test_monitor(void **state) {
        Test *t = *state;
        _cleanup_free_ char *output = NULL, *json = NULL, *out = NULL;
        pid_t human, machine;

        assert_true(asprintf(&output, "%s/monitor.txt", fake_kernel_root(t->kernel)) > 0);
        assert_true(asprintf(&json, "%s/monitor.json", fake_kernel_root(t->kernel)) > 0);
        assert_int_equal(fake_kernel_spawn_output(t->kernel, (char *[]) { (char *) SRIOVCTL, (char *) "monitor", (char *) "--json=short", NULL },
                                                  (char *[]) { (char *) "LD_PRELOAD=", NULL }, json, &machine), 0);
        /* the JSON monitor prints no legend: it has subscribed and read the state once it waits in
         * its event loop (its bus calls before that wait in poll, not epoll) */
        assert_true(fake_kernel_run(t->kernel, 15 * SECOND, in_event_loop, &machine) >= 0);
        assert_int_equal(fake_kernel_spawn_output(t->kernel, (char *[]) { (char *) SRIOVCTL, (char *) "monitor", NULL },
                                                  (char *[]) { (char *) "LD_PRELOAD=", NULL }, output, &human), 0);
        wait_line(t, output, "Watching 2 PFs");

        /* a PF is hot-added */
        assert_int_equal(fake_kernel_load(t->kernel,
                "pf 0000:5e:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf\n"), 0);
        wait_line(t, output, "0000:5e:00.0: added");
        wait_line(t, output, "0000:5e:00.0: VFs 0 -> 4");
        wait_line(t, json, "\"pf\":\"0000:5e:00.0\",\"event\":\"added\"");

        /* a VF count changes (VFs 0 and 1 stay on vfio-pci, as the policy put them there) */
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\nDriversAutoprobe=no\n"
                                                      "[VirtualFunction]\nIndex=0-1\nDriver=vfio-pci\n");
        assert_int_equal(run_client(t->kernel, false, &out, SRIOVCTL, "reload", NULL), 0);
        wait_line(t, output, "0000:3b:00.0: state applied -> applying");
        wait_line(t, output, "0000:3b:00.0: state applying -> applied");
        wait_line(t, output, "0000:3b:00.0: VFs 4 -> 2");
        wait_line(t, json, "\"pf\":\"0000:3b:00.0\",\"event\":\"changed\",\"property\":\"VFs\",\"old\":\"4\",\"new\":\"2\"");

        /* and the PF goes away */
        assert_int_equal(fake_kernel_remove_pf(t->kernel, "0000:5e:00.0"), 0);
        wait_line(t, output, "0000:5e:00.0: removed");

        kill(human, SIGTERM);
        kill(machine, SIGTERM);
        assert_int_equal(fake_kernel_wait(t->kernel, human, 5 * SECOND, NULL), 0);
        assert_int_equal(fake_kernel_wait(t->kernel, machine, 5 * SECOND, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "busctl introspects, reads properties and calls methods; errors are named", test_busctl, setup_system_bus, teardown, NULL },
                { "an unprivileged caller is denied Apply and Reload by the bus policy, and reads status", test_unprivileged_system_bus,
                  setup_system_bus, teardown, NULL },
                { "without the bus policy, sriovd denies Apply and Reload itself", test_unprivileged_open_bus, setup_open_bus, teardown, NULL },
                { "sriovctl status, explain, apply, reload for people; exit codes", test_sriovctl_human, setup_system_bus, teardown, NULL },
                { "sriovctl --json on every verb", test_sriovctl_json, setup_system_bus, teardown, NULL },
                { "a VF held open shows its holder's pid and command", test_holder_in_status, setup_system_bus, teardown, NULL },
                { "each VF's network settings, the serial number and the eswitch mode show in status", test_vf_network_in_status,
                  setup_netdev, teardown, NULL },
                { "sriovctl monitor sees a PF hot-added, VF counts change, and the PF removed", test_monitor, setup_system_bus, teardown, NULL },
        };

        if (geteuid() != 0) {
                printf("the fake kernel and a private system bus need root; skipping\n");
                return 77;
        }
        return cmocka_run_group_tests_name("dbus", tests, NULL, NULL);
}
