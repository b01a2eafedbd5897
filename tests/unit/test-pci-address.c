/* PCI addresses: only the kernel's canonical form is accepted; VF placement by routing ID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "sriovd/macro.h"
#include "sriovd/pci-address.h"

static void test_parse(void **state) {
        static const char * const good[] = { "0000:3b:00.0", "ffff:ff:1f.7", "0001:00:00.1" };
        static const char * const bad[] = {
                "", "0000:3b:00", "0000:3b:00.8", "0000:3b:20.0", "0000:3B:00.0", "000:3b:00.0",
                "0000:3b:00.0 ", "../../../etc", "0000:3b:00.0/../..", "0000-3b:00.0", "0000:3b:0g.0",
        };
        PciAddress a;
        char s[PCI_ADDRESS_MAX];

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                assert_int_equal(pci_address_parse(good[i], &a), 0);
                pci_address_format(&a, s);
                assert_string_equal(s, good[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (pci_address_is_valid(bad[i]))
                        fail_msg("\"%s\" accepted", bad[i]);
        assert_false(pci_address_is_valid(NULL));
}

static void test_vf_address(void **state) {
        char s[PCI_ADDRESS_MAX];

        assert_int_equal(pci_vf_address("0000:3b:00.0", 8, 1, 0, s), 0);
        assert_string_equal(s, "0000:3b:01.0");
        assert_int_equal(pci_vf_address("0000:3b:00.0", 8, 1, 7, s), 0);
        assert_string_equal(s, "0000:3b:01.7");
        assert_int_equal(pci_vf_address("0000:3b:00.0", 8, 1, 8, s), 0);
        assert_string_equal(s, "0000:3b:02.0");
        /* the second port of a dual-port NIC: offset from function 1 */
        assert_int_equal(pci_vf_address("0000:3b:00.1", 0x87, 1, 0, s), 0);
        assert_string_equal(s, "0000:3b:11.0");
        /* VFs that spill onto the next bus */
        assert_int_equal(pci_vf_address("0002:af:00.0", 0x100, 2, 1, s), 0);
        assert_string_equal(s, "0002:b0:00.2");
        assert_int_equal(pci_vf_address("0000:ff:00.0", 0x100, 1, 0, s), -ERANGE);
        assert_int_equal(pci_vf_address("bogus", 1, 1, 0, s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "only canonical DDDD:BB:DD.F addresses are accepted", test_parse, NULL, NULL, NULL },
                { "VF N sits at routing ID + offset + N * stride", test_vf_address, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("pci-address", tests, NULL, NULL);
}
