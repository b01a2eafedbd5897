/* Matching PFs against policies: each key, alternatives, first match wins, the rest shadowed; serial numbers as lspci shows them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sriovd/match.h"
#include "sriovd/pci-info.h"
#include "snapshot-builder.h"

typedef struct MatchCase {
        const char *match;      /* the [Match] body */
        bool expected;
} MatchCase;

#define NIC "pf 0000:3b:00.1 driver=ice vendor=8086 device=1592 netdev=ens1f1 path=pci-0000:3b:00.1 serial=00-11-22-ff-fe-33-44-55"

static const MatchCase cases[] = {
        { "PCIAddress=0000:3b:00.*", true },
        { "PCIAddress=0000:3b:00.0", false },
        { "PCIAddress=0000:3b:00.0 0000:3b:00.1", true },
        { "Vendor=0x8086", true },
        { "Vendor=15b3", false },
        { "Vendor=15b3 8086", true },
        { "Device=0x1592", true },
        { "Device=0x1593", false },
        { "Driver=ice", true },
        { "Driver=i*", true },
        { "Driver=none", false },
        { "Driver=mlx5_core", false },
        { "Interface=ens1f*", true },
        { "Interface=eth0", false },
        { "Path=pci-0000:3b:00.1", true },
        { "Path=pci-0000:5e:*", false },
        { "Serial=00-11-22-ff-fe-33-44-55", true },
        { "Serial=00-11-22-*", true },
        { "Serial=00-11-22-ff-fe-33-44-66", false },
        { "Serial=aa-* 00-11-*", true },
        { "Path=pci-0000:5e:*\nSerial=00-11-22-ff-fe-33-44-55", false },
        { "Vendor=0x8086\nDevice=0x1592\nDriver=ice", true },
        { "Vendor=0x8086\nDevice=0x1593", false },
        { "PCIAddress=*\nDriver=none", false },
};

static bool matches(const char *hw, const char *match) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(pf_snapshot_freep) PfSnapshot *pf = build_pf(hw);
        _cleanup_(policy_freep) Policy *p = NULL;

        assert_true(asprintf(&text, "[Match]\n%s\n", match) > 0);
        p = build_policy(text);
        return policy_matches(p, pf);
}

static void test_keys(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (matches(NIC, cases[i].match) != cases[i].expected)
                        fail_msg("[Match] %s should %smatch %s", cases[i].match, cases[i].expected ? "" : "not ", NIC);
}

static void test_driverless(void **state) {
        assert_true(matches("pf 0000:5e:00.0 driver=none", "Driver=none"));
        assert_true(matches("pf 0000:5e:00.0 driver=none", "Driver=none nvme"));
        assert_false(matches("pf 0000:5e:00.0 driver=none", "Driver=*"));
        /* a PF without a netdev never matches Interface=, one without a serial number never Serial= */
        assert_false(matches("pf 0000:5e:00.0 driver=none", "Interface=*"));
        assert_false(matches("pf 0000:5e:00.0 driver=none", "Serial=*"));
}

static void test_first_wins_rest_shadowed(void **state) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *pf = build_pf(NIC);
        Policy *p[4];
        MatchResult r;

        p[0] = build_policy("[Match]\nDriver=mlx5_core\n");
        p[1] = build_policy("[Match]\nVendor=0x8086\n");
        p[2] = build_policy("[Match]\nPCIAddress=0000:5e:*\n");
        p[3] = build_policy("[Match]\nPCIAddress=*\n");
        assert_int_equal(policy_match(p, 4, pf, &r), 0);
        assert_ptr_equal(r.policy, p[1]);
        assert_int_equal(r.n_shadowed, 1);
        assert_ptr_equal(r.shadowed[0], p[3]);
        match_result_clear(&r);

        assert_int_equal(policy_match(p, 1, pf, &r), 0);
        assert_null(r.policy);
        assert_int_equal(r.n_shadowed, 0);
        for (size_t i = 0; i < 4; i++)
                policy_free(p[i]);
}

static void test_empty_match_never_matches(void **state) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *pf = build_pf(NIC);
        _cleanup_(policy_freep) Policy *p = build_policy("[PhysicalFunction]\nNumVFs=2\n");

        assert_false(policy_matches(p, pf));
}

static void test_serial_format(void **state) {
        _cleanup_free_ char *s = NULL;

        /* most significant byte first, as lspci prints the Device Serial Number */
        assert_int_equal(pci_format_serial(UINT64_C(0x001122fffe334455), &s), 0);
        assert_string_equal(s, "00-11-22-ff-fe-33-44-55");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "each [Match] key matches by glob or ID, values are alternatives, keys must all match", test_keys, NULL, NULL, NULL },
                { "Driver=none matches a PF without a driver; Interface= needs a netdev, Serial= a serial number", test_driverless, NULL, NULL, NULL },
                { "the first matching policy wins and later matches are shadowed", test_first_wins_rest_shadowed, NULL, NULL, NULL },
                { "a policy without [Match] conditions matches nothing", test_empty_match_never_matches, NULL, NULL, NULL },
                { "a serial number reads as lspci shows it", test_serial_format, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
