/* Link notifications: RTM_NEWLINK and RTM_DELLINK built with libnl-3, dumped to bytes and parsed; what is not one. */
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "nlmsg-dump.h"
#include "sriovd/link-events.h"
#include "sriovd/macro.h"

static struct nlmsghdr *link_message(int type, int ifindex, unsigned flags, const char *name) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags };
        struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
        struct nlmsghdr *wire;

        assert_non_null(msg);
        assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        if (name)
                assert_int_equal(nla_put_string(msg, IFLA_IFNAME, name), 0);
        assert_int_equal(nla_put_u32(msg, IFLA_MTU, 1500), 0);
        wire = nlmsg_dump(msg);
        return wire;
}

static void test_carrier_up_and_down(void **state) {
        _cleanup_free_ struct nlmsghdr *up = link_message(RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING | IFF_LOWER_UP, "enp6s0");
        _cleanup_free_ struct nlmsghdr *down = link_message(RTM_NEWLINK, 7, IFF_UP, "enp6s0");
        LinkEvent e;

        assert_int_equal(link_event_parse(up, &e), 0);
        assert_int_equal(e.ifindex, 7);
        assert_string_equal(e.name, "enp6s0");
        assert_true(e.carrier);
        assert_false(e.removed);

        assert_int_equal(link_event_parse(down, &e), 0);
        assert_false(e.carrier);
}

static void test_removed(void **state) {
        _cleanup_free_ struct nlmsghdr *del = link_message(RTM_DELLINK, 9, 0, "sriovtest6");
        LinkEvent e;

        assert_int_equal(link_event_parse(del, &e), 0);
        assert_true(e.removed);
        assert_int_equal(e.ifindex, 9);
        assert_string_equal(e.name, "sriovtest6");
}

static void test_not_a_link_event(void **state) {
        _cleanup_free_ struct nlmsghdr *addr = link_message(RTM_NEWADDR, 7, 0, "enp6s0");
        _cleanup_free_ struct nlmsghdr *nameless = link_message(RTM_NEWLINK, 7, IFF_LOWER_UP, NULL);
        _cleanup_free_ struct nlmsghdr *cut = link_message(RTM_NEWLINK, 7, IFF_LOWER_UP, "enp6s0");
        LinkEvent e;

        assert_int_equal(link_event_parse(addr, &e), -EBADMSG);
        assert_int_equal(link_event_parse(nameless, &e), -EBADMSG);
        /* shorter than its ifinfomsg */
        cut->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg) - 4);
        assert_int_equal(link_event_parse(cut, &e), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_carrier_up_and_down),
                cmocka_unit_test(test_removed),
                cmocka_unit_test(test_not_a_link_event),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
