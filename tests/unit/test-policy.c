/* The policy parser: every key, typed values, file:line for every problem, whole-file rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sriovd/policy.h"
#include "tmptree.h"

static int parse(const char *text, Policy **ret, Diagnostics *d) {
        Policy *p = NULL;
        int r;

        assert_int_equal(policy_new("50-test.conf", &p), 0);
        r = policy_parse_text(p, "50-test.conf", text, strlen(text), d);
        *ret = p;
        return r;
}

static void test_every_key(void **state) {
        static const char text[] =
                "# /etc/sriovd.d/50-e810.conf\n"
                "[Match]\n"
                "PCIAddress=0000:3b:00.*      # fnmatch globs; several values are alternatives\n"
                "Vendor=0x8086\n"
                "Device=1592 0x1593\n"
                "Driver=ice\n"
                "Interface=ens1f*\n"
                "Path=pci-0000:3b:00.0\n"
                "\n"
                "[PhysicalFunction]\n"
                "NumVFs=8\n"
                "DriversAutoprobe=no\n"
                "UnmanagedAutoprobe=on\n"
                "Unmanaged=pf-stub\n"
                "VFDriver=vfio-pci\n"
                "\n"
                "[VirtualFunction]\n"
                "Index=0-3,6\n"
                "Driver=iavf\n"
                "MSIXVectors=16\n"
                "VLAN=100\n"
                "Trust=yes\n"
                "SpoofCheck=false\n"
                "LinkState=auto\n"
                "\n"
                "; a second section for one VF\n"
                "[VirtualFunction]\n"
                "Index=7\n"
                "MACAddress=02:00:00:00:3b:07\n"
                "LinkState=disable\n";
        _cleanup_(policy_freep) Policy *p = NULL;
        Diagnostics d = {};

        assert_int_equal(parse(text, &p, &d), 0);
        assert_int_equal(d.n_items, 0);

        assert_string_equal(p->match.pci_address[0], "0000:3b:00.*");
        assert_null(p->match.pci_address[1]);
        assert_int_equal(p->match.n_vendor, 1);
        assert_int_equal(p->match.vendor[0], 0x8086);
        assert_int_equal(p->match.n_device, 2);
        assert_int_equal(p->match.device[0], 0x1592);
        assert_int_equal(p->match.device[1], 0x1593);
        assert_string_equal(p->match.driver[0], "ice");
        assert_string_equal(p->match.interface[0], "ens1f*");
        assert_string_equal(p->match.path[0], "pci-0000:3b:00.0");
        assert_int_equal(p->match_line, 2);

        assert_int_equal(p->num_vfs, 8);
        assert_false(p->num_vfs_max);
        assert_int_equal(p->drivers_autoprobe, 0);
        assert_int_equal(p->unmanaged_autoprobe, 1);
        assert_int_equal(p->unmanaged, UNMANAGED_PF_STUB);
        assert_string_equal(p->vf_driver, "vfio-pci");

        assert_int_equal(p->n_vfs, 2);
        assert_int_equal(p->vfs[0].line, 17);
        assert_int_equal(p->vfs[0].n_ranges, 2);
        assert_int_equal(p->vfs[0].ranges[0].first, 0);
        assert_int_equal(p->vfs[0].ranges[0].last, 3);
        assert_int_equal(p->vfs[0].ranges[1].first, 6);
        assert_string_equal(p->vfs[0].driver, "iavf");
        assert_int_equal(p->vfs[0].msix_vectors, 16);
        assert_int_equal(p->vfs[0].vlan, 100);
        assert_int_equal(p->vfs[0].trust, 1);
        assert_int_equal(p->vfs[0].spoof_check, 0);
        assert_int_equal(p->vfs[0].link_state, LINK_STATE_AUTO);
        assert_false(p->vfs[0].has_mac);

        assert_true(p->vfs[1].has_mac);
        assert_memory_equal(p->vfs[1].mac, ((uint8_t[]) { 2, 0, 0, 0, 0x3b, 7 }), 6);
        assert_int_equal(p->vfs[1].link_state, LINK_STATE_DISABLE);
        assert_int_equal(p->vfs[1].msix_vectors, -1);
        assert_int_equal(p->vfs[1].trust, -1);

        /* what the planner asks of it */
        assert_string_equal(policy_vf_driver(p, 2), "iavf");
        assert_string_equal(policy_vf_driver(p, 4), "vfio-pci");
        assert_string_equal(policy_vf_driver(p, 7), "vfio-pci");
        assert_int_equal(policy_vf_msix_vectors(p, 6), 16);
        assert_int_equal(policy_vf_msix_vectors(p, 5), -1);
        assert_int_equal(policy_unmanaged(p), UNMANAGED_PF_STUB);
        diagnostics_clear(&d);
}

static void test_defaults_and_spellings(void **state) {
        static const char * const yes[] = { "1", "yes", "y", "true", "t", "on", "YES", "On" };
        static const char * const no[] = { "0", "no", "n", "false", "f", "off", "No", "OFF" };
        _cleanup_(policy_freep) Policy *p = NULL;
        Diagnostics d = {};

        assert_int_equal(parse("[Match]\nPCIAddress=*\n[PhysicalFunction]\nNumVFs=max\n", &p, &d), 0);
        assert_true(p->num_vfs_max);
        assert_int_equal(p->num_vfs, -1);
        assert_int_equal(p->drivers_autoprobe, -1);
        assert_int_equal(policy_unmanaged(p), UNMANAGED_KERNEL);
        assert_null(policy_vf_driver(p, 0));

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_int_equal(parse_boolean(yes[i]), 1);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_int_equal(parse_boolean(no[i]), 0);
        assert_int_equal(parse_boolean("2"), -EINVAL);
        assert_int_equal(parse_boolean(""), -EINVAL);
        diagnostics_clear(&d);
}

typedef struct BadCase {
        const char *text;
        unsigned line;
        const char *message;            /* exact */
} BadCase;

static const BadCase bad_cases[] = {
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nEswitchMode=offload\n", 4, "EswitchMode=: \"offload\" is not one of legacy, switchdev" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nVLANId=4095\n", 5, "VLANId=: 4095 is out of range (0-4094)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nVLANId=1\nQualityOfService=8\n", 6, "QualityOfService=: 8 is out of range (0-7)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nVLANId=1\nVLANProtocol=qinq\n", 6, "VLANProtocol=: \"qinq\" is not one of 802.1Q, 802.1ad" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nQualityOfService=3\n", 3, "[VirtualFunction] sets QualityOfService= without VLANId=; say which VLAN it is for" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nVLANProtocol=802.1ad\n", 3, "[VirtualFunction] sets VLANProtocol= without VLANId=; say which VLAN it is for" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMaxTxRate=fast\n", 5, "MaxTxRate=: \"fast\" is not a number" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMinTxRate=5000000\n", 5, "MinTxRate=: 5000000 is out of range (0-4000000)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMinTxRate=500\nMaxTxRate=100\n", 3, "[VirtualFunction] MinTxRate=500 is above MaxTxRate=100" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMACSpoofCheck=sometimes\n", 5, "MACSpoofCheck=: \"sometimes\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nQueryReceiveSideScaling=2\n", 5, "QueryReceiveSideScaling=: \"2\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nNumVFs=eight\n", 4, "NumVFs=: \"eight\" is not a number or \"max\"" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nNumVFs=-1\n", 4, "NumVFs=: \"-1\" is not a number or \"max\"" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nNumVFs=65536\n", 4, "NumVFs=: 65536 is above the kernel's limit of 65535 VFs" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nDriversAutoprobe=2\n", 4, "DriversAutoprobe=: \"2\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nUnmanagedAutoprobe=maybe\n", 4, "UnmanagedAutoprobe=: \"maybe\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nUnmanaged=stub\n", 4, "Unmanaged=: \"stub\" is not one of kernel, pf-stub, vfio-pci, no" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nVFDriver=../../evil\n", 4, "VFDriver=: \"../../evil\" is not a valid kernel driver name" },
        { "[Match]\nPCIAddress=*\n[PhysicalFunction]\nVFDriver=none\n", 4, "VFDriver=none is not a driver; use DriversAutoprobe=no to leave VFs without a driver" },
        { "[Match]\nVendor=0x808G\n", 2, "Vendor=: \"0x808G\" is not a 16-bit hexadecimal ID (like 0x8086)" },
        { "[Match]\nDevice=0x15920\n", 2, "Device=: \"0x15920\" is not a 16-bit hexadecimal ID (like 0x8086)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=3-1\n", 4, "Index=: \"3-1\" is not a list of VF indexes or ranges (like 0-3,6)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=a\n", 4, "Index=: \"a\" is not a list of VF indexes or ranges (like 0-3,6)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMSIXVectors=4096\n", 5, "MSIXVectors=: 4096 is out of range (0-2048)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMSIXVectors=lots\n", 5, "MSIXVectors=: \"lots\" is not a number" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nVLAN=4095\n", 5, "VLAN=: 4095 is out of range (0-4094)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMACAddress=02:00:00:00:00\n", 5, "MACAddress=: \"02:00:00:00:00\" is not a MAC address (like 02:00:00:00:00:01)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMACAddress=01:00:5e:00:00:01\n", 5, "MACAddress=: 01:00:5e:00:00:01 is a multicast address; a VF needs a unicast one" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nTrust=sometimes\n", 5, "Trust=: \"sometimes\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nSpoofCheck=x\n", 5, "SpoofCheck=: \"x\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nLinkState=up\n", 5, "LinkState=: \"up\" is not one of auto, enable, disable" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nDriver=iavf\n", 3, "[VirtualFunction] has no Index=; say which VFs it configures (like Index=0-3)" },
        { "[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0-1\nMACAddress=02:00:00:00:00:01\n", 3, "[VirtualFunction] sets MACAddress= for 2 VFs; a MAC address can be given to one VF only" },
        { "NumVFs=4\n", 1, "NumVFs= is outside of any section; it belongs under [Match], [PhysicalFunction] or [VirtualFunction]" },
        { "[Match]\nPCIAddress=*\nthis is not a key\n", 3, "\"this is not a key\" is not an assignment like Key=value" },
        { "[Match]\nPCIAddress=*\n=4\n", 3, "assignment without a key: \"=4\"" },
        { "[Match\nPCIAddress=*\n", 1, "\"[Match\" is not a section header like [Match]" },
};

static void test_bad_values(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
                _cleanup_(policy_freep) Policy *p = NULL;
                Diagnostics d = {};
                bool found = false;

                assert_true(parse(bad_cases[i].text, &p, &d) > 0);
                for (size_t j = 0; j < d.n_items; j++)
                        if (d.items[j].level == DIAGNOSTIC_ERROR && d.items[j].line == bad_cases[i].line &&
                            streq(d.items[j].message, bad_cases[i].message))
                                found = true;
                if (!found) {
                        for (size_t j = 0; j < d.n_items; j++)
                                print_error("got %u: %s\n", d.items[j].line, d.items[j].message);
                        fail_msg("case %zu: no error at line %u saying: %s", i, bad_cases[i].line, bad_cases[i].message);
                }
                assert_string_equal(d.items[0].file, "50-test.conf");
                diagnostics_clear(&d);
        }
}

/* systemd-networkd's [SR-IOV] names next to sriovd's own, and the settings one VF ends up with. */
static void test_vf_netdev_keys(void **state) {
        static const char text[] =
                "[Match]\n"
                "Serial=00-11-22-*\n"
                "[PhysicalFunction]\n"
                "NumVFs=4\n"
                "EswitchMode=switchdev\n"
                "[VirtualFunction]\n"
                "Index=0-3\n"
                "VLAN=100\n"
                "SpoofCheck=no\n"
                "MaxTxRate=1000\n"
                "[VirtualFunction]\n"
                "Index=2\n"
                "MSIXVectors=8\n"
                "VLANId=200\n"
                "QualityOfService=5\n"
                "VLANProtocol=802.1ad\n"
                "MACSpoofCheck=yes\n"
                "MinTxRate=100\n"
                "QueryReceiveSideScaling=yes\n"
                "LinkState=disable\n";
        _cleanup_(policy_freep) Policy *p = NULL;
        Diagnostics d = {};
        VfNetSettings s;

        assert_int_equal(parse(text, &p, &d), 0);
        assert_int_equal(d.n_items, 0);
        assert_string_equal(p->match.serial[0], "00-11-22-*");
        assert_int_equal(p->eswitch_mode, ESWITCH_MODE_SWITCHDEV);
        assert_int_equal(p->eswitch_line, 5);
        /* where the netdev settings start, for the warning on a PF without a netdev */
        assert_ptr_equal(policy_vf_net_section(p), &p->vfs[0]);
        assert_int_equal(p->vfs[0].net_line, 8);
        assert_int_equal(p->vfs[1].net_line, 14);

        policy_vf_net_settings(p, 0, &s);
        assert_int_equal(s.mask, VF_NET_BIT(VF_NET_VLAN) | VF_NET_BIT(VF_NET_SPOOF_CHECK) | VF_NET_BIT(VF_NET_TX_RATE));
        assert_int_equal(s.vlan, 100);
        assert_int_equal(s.qos, 0);
        assert_int_equal(s.vlan_protocol, VLAN_PROTOCOL_8021Q);
        assert_false(s.spoof_check);
        assert_int_equal(s.min_tx_rate, -1);
        assert_int_equal(s.max_tx_rate, 1000);

        policy_vf_net_settings(p, 2, &s);
        assert_int_equal(s.vlan, 200);
        assert_int_equal(s.qos, 5);
        assert_int_equal(s.vlan_protocol, VLAN_PROTOCOL_8021AD);
        assert_true(s.spoof_check);
        assert_int_equal(s.min_tx_rate, 100);
        assert_int_equal(s.max_tx_rate, 1000);
        assert_true(s.mask & VF_NET_BIT(VF_NET_QUERY_RSS));
        assert_true(s.query_rss);
        assert_int_equal(s.link_state, LINK_STATE_DISABLE);

        policy_vf_net_settings(p, 5, &s);
        assert_int_equal(s.mask, 0);

        /* a policy with no netdev setting has no section to point at */
        policy_free(p);
        p = NULL;
        assert_int_equal(parse("[Match]\nPCIAddress=*\n[VirtualFunction]\nIndex=0\nMSIXVectors=4\n", &p, &d), 0);
        assert_null(policy_vf_net_section(p));
        diagnostics_clear(&d);
}

static void test_warnings(void **state) {
        static const char text[] =
                "[Match]\n"
                "PCIAddress=*\n"
                "[PhysicalFunction]\n"
                "NumVF=4\n"
                "Colour=blue\n"
                "[Future]\n"
                "Anything=goes\n"
                "[VirtualFunction]\n"
                "Index=0\n"
                "Drivr=iavf\n";
        _cleanup_(policy_freep) Policy *p = NULL;
        Diagnostics d = {};
        _cleanup_free_ char *formatted = NULL;

        assert_int_equal(parse(text, &p, &d), 0);
        assert_int_equal(d.n_errors, 0);
        assert_int_equal(d.n_warnings, 4);
        assert_int_equal(d.items[0].line, 4);
        assert_string_equal(d.items[0].message, "unknown key NumVF= in [PhysicalFunction] (did you mean NumVFs=?), ignoring it");
        assert_int_equal(d.items[1].line, 5);
        assert_string_equal(d.items[1].message, "unknown key Colour= in [PhysicalFunction], ignoring it");
        assert_int_equal(d.items[2].line, 6);
        assert_string_equal(d.items[2].message, "unknown section [Future], ignoring it");
        assert_int_equal(d.items[3].line, 10);
        assert_string_equal(d.items[3].message, "unknown key Drivr= in [VirtualFunction] (did you mean Driver=?), ignoring it");
        assert_int_equal(diagnostic_format(&d.items[0], &formatted), 0);
        assert_string_equal(formatted, "50-test.conf:4: warning: unknown key NumVF= in [PhysicalFunction] (did you mean NumVFs=?), ignoring it");
        diagnostics_clear(&d);
}

static void test_text_oddities(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL, *q = NULL, *r = NULL;
        Diagnostics d = {};

        /* CRLF, indentation, a '#' inside a value, no trailing newline */
        assert_int_equal(parse("  [Match]\r\n\tPCIAddress = 0000:3b:00.0\r\nInterface=a#b # comment\r\n[PhysicalFunction]\nNumVFs=4", &p, &d), 0);
        assert_string_equal(p->match.pci_address[0], "0000:3b:00.0");
        assert_string_equal(p->match.interface[0], "a#b");
        assert_int_equal(p->num_vfs, 4);

        /* a NUL byte ends parsing with an error */
        assert_int_equal(policy_new("x.conf", &q), 0);
        assert_int_equal(policy_parse_text(q, "x.conf", "[Match]\nPCI\0Address=*\n", 22, &d), 1);
        assert_string_equal(d.items[d.n_items - 1].message, "line contains a NUL byte; this is not a text file");

        /* an empty value resets a list, a later value of a scalar replaces an earlier one */
        assert_int_equal(parse("[Match]\nDriver=ice\nDriver=\nDriver=i40e mlx5_core\n[PhysicalFunction]\nNumVFs=4\nNumVFs=2\nNumVFs=\n", &r, &d), 0);
        assert_string_equal(r->match.driver[0], "i40e");
        assert_string_equal(r->match.driver[1], "mlx5_core");
        assert_null(r->match.driver[2]);
        assert_int_equal(r->num_vfs, -1);
        diagnostics_clear(&d);
}

static void test_value_parsers(void **state) {
        IndexRange *ranges = NULL;
        uint8_t mac[6];
        uint16_t id;
        unsigned u;
        size_t n;

        assert_int_equal(parse_u32("0", 10, &u), 0);
        assert_int_equal(u, 0);
        assert_int_equal(parse_u32("11", 10, &u), -ERANGE);
        assert_int_equal(parse_u32(" 1", 10, &u), -EINVAL);
        assert_int_equal(parse_u32("+1", 10, &u), -EINVAL);
        assert_int_equal(parse_u32("1 ", 10, &u), -EINVAL);
        assert_int_equal(parse_u32("99999999999999999999", UINT32_MAX, &u), -EINVAL);
        assert_int_equal(parse_hex_u16("0x8086", &id), 0);
        assert_int_equal(id, 0x8086);
        assert_int_equal(parse_hex_u16("ABCD", &id), 0);
        assert_int_equal(id, 0xabcd);
        assert_int_equal(parse_hex_u16("0x", &id), -EINVAL);
        assert_int_equal(parse_hex_u16("12345", &id), -EINVAL);
        assert_int_equal(parse_mac("02:aB:00:00:00:ff", mac), 0);
        assert_int_equal(mac[1], 0xab);
        assert_int_equal(parse_mac("02:ab:00:00:00:ff:", mac), -EINVAL);
        assert_int_equal(parse_mac("2:ab:00:00:00:ff", mac), -EINVAL);
        assert_int_equal(parse_index_ranges("0-3, 6 8-9", 100, &ranges, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(ranges[2].first, 8);
        assert_int_equal(ranges[2].last, 9);
        free(ranges);
        assert_int_equal(parse_index_ranges("", 100, &ranges, &n), -EINVAL);
        assert_int_equal(parse_index_ranges("1-", 100, &ranges, &n), -EINVAL);
        assert_int_equal(parse_index_ranges("101", 100, &ranges, &n), -EINVAL);
        assert_true(driver_name_is_valid("mlx5_core"));
        assert_true(driver_name_is_valid("pci-pf-stub"));
        assert_false(driver_name_is_valid("a/b"));
        assert_false(driver_name_is_valid(""));
        assert_false(driver_name_is_valid("a b"));
}

/* Files on disk: drop-ins extend, bad files are rejected whole, the others load. */
static void test_set_load(void **state) {
        char *root = tmptree_new();
        _cleanup_(policy_set_unrefp) PolicySet *s = NULL;
        char * const dirs[] = { (char *) "/etc/sriovd.d", (char *) "/usr/lib/sriovd.d", NULL };
        _cleanup_free_ char *broken = NULL;

        tmptree_write(root, "etc/sriovd.d/50-e810.conf",
                      "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\n");
        tmptree_write(root, "etc/sriovd.d/50-e810.conf.d/10-count.conf",
                      "[PhysicalFunction]\nNumVFs=4\n[VirtualFunction]\nIndex=0\nDriver=vfio-pci\n");
        tmptree_write(root, "usr/lib/sriovd.d/50-e810.conf.d/20-match.conf",
                      "[Match]\nPCIAddress=0000:3b:*\n");
        tmptree_write(root, "etc/sriovd.d/60-broken.conf",
                      "[Match]\nDriver=nvme\n[PhysicalFunction]\nNumVFs=lots\nDriversAutoprobe=sure\n");
        tmptree_write(root, "usr/lib/sriovd.d/70-empty-match.conf", "[PhysicalFunction]\nNumVFs=1\n");
        tmptree_write(root, "usr/lib/sriovd.d/80-vendor.conf", "[Match]\nVendor=0x15b3\n");
        tmptree_symlink(root, "etc/sriovd.d/80-vendor.conf", "/dev/null");
        tmptree_write(root, "usr/lib/sriovd.d/90-all.conf", "[Match]\nPCIAddress=*\n[PhysicalFunction]\nNumVFs=1\n");

        assert_int_equal(policy_set_load(root, dirs, &s), 0);

        assert_int_equal(s->n_policies, 2);
        assert_string_equal(s->policies[0]->name, "50-e810.conf");
        assert_int_equal(s->policies[0]->num_vfs, 4);
        assert_string_equal(s->policies[0]->match.driver[0], "ice");
        assert_string_equal(s->policies[0]->match.pci_address[0], "0000:3b:*");
        assert_int_equal(s->policies[0]->n_vfs, 1);
        assert_int_equal(strv_length(s->policies[0]->dropins), 2);
        assert_string_equal(s->policies[1]->name, "90-all.conf");

        assert_int_equal(strv_length(s->rejected), 2);
        assert_true(asprintf(&broken, "%s/etc/sriovd.d/60-broken.conf", root) > 0);
        assert_string_equal(s->rejected[0], broken);
        assert_int_equal(s->files->n_files, 5);
        assert_string_equal(s->files->files[3].name, "80-vendor.conf");
        assert_true(s->files->files[3].masked);

        /* every error of the broken file is reported, with its line */
        assert_int_equal(s->diagnostics.n_errors, 3);
        assert_string_equal(s->diagnostics.items[0].file, broken);
        assert_int_equal(s->diagnostics.items[0].line, 4);
        assert_int_equal(s->diagnostics.items[1].line, 5);
        assert_string_equal(s->diagnostics.items[2].message,
                            "[Match] has no conditions; say which PFs the policy is for (PCIAddress=* matches every PF)");
        tmptree_free(root);
}

static void test_fingerprint(void **state) {
        char *root = tmptree_new();
        _cleanup_(policy_set_unrefp) PolicySet *a = NULL, *b = NULL, *c = NULL;
        char * const dirs[] = { (char *) "/etc/sriovd.d", NULL };

        tmptree_write(root, "etc/sriovd.d/50-a.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\n");
        tmptree_write(root, "etc/sriovd.d/50-a.conf.d/10-x.conf", "[PhysicalFunction]\nNumVFs=4\n");
        tmptree_write(root, "etc/sriovd.d/60-b.conf", "[Match]\nDriver=nvme\n");
        assert_int_equal(policy_set_load(root, dirs, &a), 0);
        assert_int_equal(policy_set_load(root, dirs, &b), 0);
        assert_true(a->policies[0]->fingerprint == b->policies[0]->fingerprint);
        assert_true(a->policies[1]->fingerprint == b->policies[1]->fingerprint);
        assert_true(a->policies[0]->fingerprint != a->policies[1]->fingerprint);

        /* a drop-in that changes changes its policy's fingerprint, and only that one */
        tmptree_write(root, "etc/sriovd.d/50-a.conf.d/10-x.conf", "[PhysicalFunction]\nNumVFs=2\n");
        assert_int_equal(policy_set_load(root, dirs, &c), 0);
        assert_true(a->policies[0]->fingerprint != c->policies[0]->fingerprint);
        assert_true(a->policies[1]->fingerprint == c->policies[1]->fingerprint);

        /* a reference keeps the set alive after its loader lets go */
        assert_ptr_equal(policy_set_ref(c), c);
        assert_null(policy_set_unref(c));
        assert_int_equal(c->n_ref, 1);
        tmptree_free(root);
}

static void test_unreadable_file(void **state) {
        char *root = tmptree_new();
        _cleanup_(policy_set_unrefp) PolicySet *s = NULL;
        char * const dirs[] = { (char *) "/etc/sriovd.d", NULL };

        tmptree_write(root, "etc/sriovd.d/50-a.conf", "[Match]\nPCIAddress=*\n");
        tmptree_symlink(root, "etc/sriovd.d/60-dangling.conf", "/nonexistent/file");
        tmptree_symlink(root, "etc/sriovd.d/70-fifo.conf", "/dev/zero");

        assert_int_equal(policy_set_load(root, dirs, &s), 0);
        assert_int_equal(s->n_policies, 1);
        /* a dangling link is not a policy; a character device that is not /dev/null cannot be read as one */
        assert_int_equal(strv_length(s->rejected), 1);
        assert_string_equal(s->diagnostics.items[0].message, "cannot read the file: not a regular file");
        tmptree_free(root);
}

/* As sshd does with its configuration: a file anyone but root could change is not trusted. */
static void test_untrusted_files_refused(void **state) {
        char *root = tmptree_new();
        _cleanup_(policy_set_unrefp) PolicySet *s = NULL;
        char * const dirs[] = { (char *) "/etc/sriovd.d", (char *) "/open", NULL };
        _cleanup_free_ char *path = NULL;

        if (geteuid() != 0)
                skip();
        tmptree_write(root, "etc/sriovd.d/10-good.conf", "[Match]\nPCIAddress=*\n");
        tmptree_write(root, "etc/sriovd.d/20-world.conf", "[Match]\nPCIAddress=*\n");
        tmptree_write(root, "etc/sriovd.d/30-nobody.conf", "[Match]\nPCIAddress=*\n");
        tmptree_write(root, "etc/sriovd.d/40-group.conf", "[Match]\nPCIAddress=*\n");
        tmptree_write(root, "open/50-in-open-dir.conf", "[Match]\nPCIAddress=*\n");
        assert_true(asprintf(&path, "%s/etc/sriovd.d/20-world.conf", root) > 0);
        assert_int_equal(chmod(path, 0666), 0);
        free(path);
        assert_true(asprintf(&path, "%s/etc/sriovd.d/30-nobody.conf", root) > 0);
        assert_int_equal(chown(path, 65534, 0), 0);
        free(path);
        assert_true(asprintf(&path, "%s/etc/sriovd.d/40-group.conf", root) > 0);
        assert_int_equal(chown(path, 0, 65534), 0);
        assert_int_equal(chmod(path, 0664), 0);
        free(path);
        assert_true(asprintf(&path, "%s/open", root) > 0);
        assert_int_equal(chmod(path, 0777), 0);

        assert_int_equal(policy_set_load(root, dirs, &s), 0);
        assert_int_equal(s->n_policies, 1);
        assert_string_equal(s->policies[0]->name, "10-good.conf");
        assert_int_equal(strv_length(s->rejected), 4);
        assert_int_equal(s->diagnostics.n_errors, 4);
        assert_string_equal(s->diagnostics.items[0].message, "not loaded: everyone may write to it; refusing it (chmod o-w)");
        assert_string_equal(s->diagnostics.items[1].message,
                            "not loaded: it belongs to another user than root; policy files must be root's (chown root)");
        assert_string_equal(s->diagnostics.items[2].message,
                            "not loaded: a group other than root may write to it; refusing it (chmod g-w)");
        assert_string_equal(s->diagnostics.items[3].message,
                            "not loaded: its directory is writable by everyone, so anyone could replace it; refusing it (chmod o-w on the directory)");
        tmptree_free(root);
}

static void test_index_beyond_num_vfs_warns(void **state) {
        char *root = tmptree_new();
        _cleanup_(policy_set_unrefp) PolicySet *s = NULL;
        char * const dirs[] = { (char *) "/etc/sriovd.d", NULL };

        tmptree_write(root, "etc/sriovd.d/50-a.conf",
                      "[Match]\nPCIAddress=*\n[PhysicalFunction]\nNumVFs=4\nUnmanaged=no\nUnmanagedAutoprobe=yes\n"
                      "[VirtualFunction]\nIndex=2-5\nDriver=iavf\n");
        assert_int_equal(policy_set_load(root, dirs, &s), 0);
        assert_int_equal(s->n_policies, 1);
        assert_int_equal(s->diagnostics.n_errors, 0);
        assert_int_equal(s->diagnostics.n_warnings, 2);
        assert_string_equal(s->diagnostics.items[0].message, "UnmanagedAutoprobe= has no effect with Unmanaged=no");
        assert_int_equal(s->diagnostics.items[1].line, 7);
        assert_string_equal(s->diagnostics.items[1].message,
                            "[VirtualFunction] Index= reaches VF 5, but NumVFs=4 creates VFs 0-3 only");
        tmptree_free(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "every key of every section parses into its typed field", test_every_key, NULL, NULL, NULL },
                { "VF netdev keys, networkd's names too, merge per VF with later sections winning", test_vf_netdev_keys, NULL, NULL, NULL },
                { "unset keys keep defaults; systemd's boolean spellings", test_defaults_and_spellings, NULL, NULL, NULL },
                { "every bad value is an error with its line and a message that says what is wrong", test_bad_values, NULL, NULL, NULL },
                { "unknown keys and sections warn with file:line and a suggestion", test_warnings, NULL, NULL, NULL },
                { "CRLF, indentation, trailing comments, NUL bytes, resets", test_text_oddities, NULL, NULL, NULL },
                { "value parsers accept exactly their syntax", test_value_parsers, NULL, NULL, NULL },
                { "drop-ins extend, bad files are rejected whole, the others load", test_set_load, NULL, NULL, NULL },
                { "a file that cannot be read is rejected with the reason", test_unreadable_file, NULL, NULL, NULL },
                { "the fingerprint changes with a policy's files and only then", test_fingerprint, NULL, NULL, NULL },
                { "files others could change are refused, as sshd does", test_untrusted_files_refused, NULL, NULL, NULL },
                { "an Index= beyond NumVFs= and a setting with no effect warn", test_index_beyond_num_vfs_warns, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
