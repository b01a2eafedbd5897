/* PCI address parsing and VF routing-ID arithmetic. */
#include <stdio.h>

#include "sriovd/macro.h"
#include "sriovd/pci-address.h"

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static int parse_hex_field(const char *s, size_t n, unsigned *ret) {
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                int d = hex_digit(s[i]);
                if (d < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned) d;
        }
        *ret = v;
        return 0;
}

int pci_address_parse(const char *s, PciAddress *ret) {
        unsigned domain, bus, device, function;

        if (strlen(s) != PCI_ADDRESS_MAX - 1 || s[4] != ':' || s[7] != ':' || s[10] != '.')
                return -EINVAL;
        if (parse_hex_field(s, 4, &domain) < 0 ||
            parse_hex_field(s + 5, 2, &bus) < 0 ||
            parse_hex_field(s + 8, 2, &device) < 0 ||
            parse_hex_field(s + 11, 1, &function) < 0)
                return -EINVAL;
        if (device > 31 || function > 7)
                return -EINVAL;
        *ret = (PciAddress) {
                .domain = (uint16_t) domain,
                .bus = (uint8_t) bus,
                .device = (uint8_t) device,
                .function = (uint8_t) function,
        };
        return 0;
}

bool pci_address_is_valid(const char *s) {
        PciAddress a;
        return s && pci_address_parse(s, &a) >= 0;
}

void pci_address_format(const PciAddress *a, char ret[static PCI_ADDRESS_MAX]) {
        snprintf(ret, PCI_ADDRESS_MAX, "%04x:%02x:%02x.%x", a->domain, a->bus, a->device & 0x1fu, a->function & 7u);
}

int pci_vf_address(const char *pf, unsigned offset, unsigned stride, unsigned index, char ret[static PCI_ADDRESS_MAX]) {
        PciAddress a;
        uint64_t rid;
        int r;

        r = pci_address_parse(pf, &a);
        if (r < 0)
                return r;
        rid = ((uint64_t) a.bus << 8) | ((unsigned) a.device << 3) | a.function;
        rid += offset + (uint64_t) index * stride;
        if (rid > 0xffff)
                return -ERANGE;
        a.bus = (uint8_t) (rid >> 8);
        a.device = (uint8_t) ((rid >> 3) & 0x1f);
        a.function = (uint8_t) (rid & 7);
        pci_address_format(&a, ret);
        return 0;
}
