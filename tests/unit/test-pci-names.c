/* Vendor and device names from pci.ids through libpci; unknown IDs give NULL, not numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "sriovd/macro.h"
#include "sriovd/pci-info.h"

static void test_names(void **state) {
        _cleanup_(pci_names_freep) PciNames *n = NULL;
        const char *vendor, *device;

        assert_int_equal(pci_names_new(&n), 0);
        pci_names_lookup(n, 0x8086, 0x1592, &vendor, &device);
        assert_string_equal(vendor, "Intel Corporation");
        assert_string_equal(device, "Ethernet Controller E810-C for QSFP");
        pci_names_lookup(n, 0x10de, 0x2236, &vendor, &device);
        assert_string_equal(vendor, "NVIDIA Corporation");
        assert_string_equal(device, "GA102GL [A10]");
        pci_names_lookup(n, 0x8086, 0xfffe, &vendor, &device);
        assert_string_equal(vendor, "Intel Corporation");
        assert_null(device);
        pci_names_lookup(n, 0x0002, 0x0001, &vendor, &device);
        assert_null(vendor);
        assert_null(device);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "names from pci.ids, NULL for IDs it does not know", test_names, NULL, NULL, NULL },
        };

        if (access("/usr/share/misc/pci.ids", R_OK) < 0) {
                printf("no /usr/share/misc/pci.ids (Debian's pci.ids package); skipping\n");
                return 77;
        }
        return cmocka_run_group_tests_name("pci-names", tests, NULL, NULL);
}
