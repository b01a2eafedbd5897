/* devlink eswitch requests: built with libnl-genl, dumped to bytes and parsed back; the family lookup; errors. */
#include <linux/devlink.h>
#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "nlmsg-dump.h"
#include "sriovd/devlink.h"
#include "sriovd/netlink.h"

#define FAMILY 0x1a

static void test_eswitch_requests_round_trip(void **state) {
        for (EswitchMode m = 0; m < _ESWITCH_MODE_MAX; m++) {
                struct nl_msg *msg = NULL;
                _cleanup_free_ struct nlmsghdr *wire = NULL;
                _cleanup_free_ char *address = NULL;
                EswitchMode back = _ESWITCH_MODE_INVALID;

                assert_int_equal(devlink_build_eswitch_set(FAMILY, "0000:3b:00.0", m, &msg), 0);
                wire = nlmsg_dump(msg);
                assert_int_equal(wire->nlmsg_type, FAMILY);
                assert_int_equal(((struct genlmsghdr *) nlmsg_data(wire))->cmd, DEVLINK_CMD_ESWITCH_SET);
                assert_int_equal(devlink_parse_eswitch(wire, &address, &back), 0);
                assert_string_equal(address, "0000:3b:00.0");
                assert_int_equal(back, m);
        }
}

static void test_eswitch_get_has_no_mode(void **state) {
        struct nl_msg *msg = NULL;
        _cleanup_free_ struct nlmsghdr *wire = NULL;
        struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
        EswitchMode m;

        assert_int_equal(devlink_build_eswitch_get(FAMILY, "0000:86:00.1", &msg), 0);
        wire = nlmsg_dump(msg);
        assert_int_equal(((struct genlmsghdr *) nlmsg_data(wire))->cmd, DEVLINK_CMD_ESWITCH_GET);
        assert_int_equal(genlmsg_parse(wire, 0, tb, DEVLINK_ATTR_MAX, NULL), 0);
        assert_string_equal(nla_get_string(tb[DEVLINK_ATTR_BUS_NAME]), "pci");
        assert_string_equal(nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]), "0000:86:00.1");
        assert_int_equal(devlink_parse_eswitch(wire, NULL, &m), -ENODATA);

        assert_int_equal(devlink_build_eswitch_get(FAMILY, "3b:00.0", &msg), -EINVAL);
        assert_int_equal(devlink_build_eswitch_set(FAMILY, "0000:3b:00.0", _ESWITCH_MODE_MAX, &msg), -EINVAL);
}

/* What the kernel answers to ESWITCH_GET, built as the kernel does: the handle and the mode. */
static struct nl_msg *eswitch_answer(const char *address, uint16_t mode) {
        struct nl_msg *msg = nlmsg_alloc();

        assert_non_null(msg);
        assert_non_null(genlmsg_put(msg, 0, 0, FAMILY, 0, 0, DEVLINK_CMD_ESWITCH_GET, DEVLINK_GENL_VERSION));
        assert_int_equal(nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci"), 0);
        assert_int_equal(nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, address), 0);
        assert_int_equal(nla_put_u16(msg, DEVLINK_ATTR_ESWITCH_MODE, mode), 0);
        return msg;
}

static void test_eswitch_answer_parsed(void **state) {
        _cleanup_free_ struct nlmsghdr *a = nlmsg_dump(eswitch_answer("0000:3b:00.0", DEVLINK_ESWITCH_MODE_SWITCHDEV));
        _cleanup_free_ struct nlmsghdr *b = nlmsg_dump(eswitch_answer("0000:3b:00.0", 7));
        EswitchMode m;

        assert_int_equal(devlink_parse_eswitch(a, NULL, &m), 0);
        assert_int_equal(m, ESWITCH_MODE_SWITCHDEV);
        /* a mode sriovd does not know (the kernel may grow more) is not mistaken for one it does */
        assert_int_equal(devlink_parse_eswitch(b, NULL, &m), -EBADMSG);
}

static void test_family_lookup(void **state) {
        struct nl_msg *msg = NULL, *answer = nlmsg_alloc();
        _cleanup_free_ struct nlmsghdr *wire = NULL, *reply = NULL;
        struct nlattr *tb[CTRL_ATTR_MAX + 1];
        uint16_t family = 0;

        assert_int_equal(devlink_build_family_request(&msg), 0);
        wire = nlmsg_dump(msg);
        assert_int_equal(wire->nlmsg_type, GENL_ID_CTRL);
        assert_int_equal(((struct genlmsghdr *) nlmsg_data(wire))->cmd, CTRL_CMD_GETFAMILY);
        assert_int_equal(genlmsg_parse(wire, 0, tb, CTRL_ATTR_MAX, NULL), 0);
        assert_string_equal(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), "devlink");

        assert_non_null(genlmsg_put(answer, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2));
        assert_int_equal(nla_put_string(answer, CTRL_ATTR_FAMILY_NAME, "devlink"), 0);
        assert_int_equal(nla_put_u16(answer, CTRL_ATTR_FAMILY_ID, FAMILY), 0);
        reply = nlmsg_dump(answer);
        assert_int_equal(devlink_parse_family(reply, &family), 0);
        assert_int_equal(family, FAMILY);
}

static void test_errors(void **state) {
        static const struct {
                EswitchMode mode;
                int error;
                const char *message;
        } cases[] = {
                { ESWITCH_MODE_SWITCHDEV, -EOPNOTSUPP, "EswitchMode=switchdev: Operation not supported (the PF driver has no switchdev mode)" },
                { ESWITCH_MODE_LEGACY, -ENODEV, "EswitchMode=legacy: No such device (the PF has no devlink instance)" },
                { ESWITCH_MODE_SWITCHDEV, -EBUSY, "EswitchMode=switchdev: Device or resource busy (the PF driver refuses while VFs or representors exist)" },
                { ESWITCH_MODE_SWITCHDEV, -EIO, "EswitchMode=switchdev: Input/output error" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *m = NULL;

                assert_int_equal(devlink_error_message(cases[i].mode, cases[i].error, &m), 0);
                assert_string_equal(m, cases[i].message);
        }
        assert_int_equal(eswitch_mode_from_string("switchdev"), ESWITCH_MODE_SWITCHDEV);
        assert_int_equal(eswitch_mode_from_string("legacy"), ESWITCH_MODE_LEGACY);
        assert_int_equal(eswitch_mode_from_string("switch"), _ESWITCH_MODE_INVALID);
}

/* ---- through the ops table ---- */

typedef struct Script {
        unsigned n_family;
        unsigned n_get;
        unsigned n_set;
        EswitchMode mode;
        int set_error;
} Script;

static int scripted_transact(void *userdata, int protocol, struct nl_msg *request, struct nl_msg **ret_reply) {
        Script *s = userdata;
        struct nlmsghdr *h = nlmsg_hdr(request);
        struct genlmsghdr *g = nlmsg_data(h);
        _cleanup_free_ char *address = NULL;
        EswitchMode m;

        assert_int_equal(protocol, NETLINK_GENERIC);
        *ret_reply = NULL;
        if (h->nlmsg_type == GENL_ID_CTRL) {
                struct nl_msg *answer = nlmsg_alloc();

                s->n_family++;
                assert_non_null(genlmsg_put(answer, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2));
                assert_int_equal(nla_put_u16(answer, CTRL_ATTR_FAMILY_ID, FAMILY), 0);
                *ret_reply = answer;
                return 0;
        }
        assert_int_equal(h->nlmsg_type, FAMILY);
        if (g->cmd == DEVLINK_CMD_ESWITCH_GET) {
                s->n_get++;
                *ret_reply = eswitch_answer("0000:3b:00.0", (uint16_t) s->mode);
                return 0;
        }
        assert_int_equal(g->cmd, DEVLINK_CMD_ESWITCH_SET);
        s->n_set++;
        if (s->set_error < 0)
                return s->set_error;
        assert_int_equal(devlink_parse_eswitch(h, &address, &m), 0);
        assert_string_equal(address, "0000:3b:00.0");
        s->mode = m;
        return 0;
}

static const NetlinkOps scripted_ops = { .transact = scripted_transact };

static void test_eswitch_through_the_ops(void **state) {
        Script script = { .mode = ESWITCH_MODE_LEGACY };
        _cleanup_(netlink_freep) Netlink *nl = NULL;
        EswitchMode m;

        assert_int_equal(netlink_new_with_ops(&scripted_ops, &script, &nl), 0);
        assert_int_equal(netlink_get_eswitch_mode(nl, "0000:3b:00.0", &m), 0);
        assert_int_equal(m, ESWITCH_MODE_LEGACY);
        assert_int_equal(netlink_set_eswitch_mode(nl, "0000:3b:00.0", ESWITCH_MODE_SWITCHDEV), 0);
        assert_int_equal(netlink_get_eswitch_mode(nl, "0000:3b:00.0", &m), 0);
        assert_int_equal(m, ESWITCH_MODE_SWITCHDEV);
        /* the family is looked up once per connection */
        assert_int_equal(script.n_family, 1);
        assert_int_equal(script.n_get, 2);
        assert_int_equal(script.n_set, 1);

        script.set_error = -EOPNOTSUPP;
        assert_int_equal(netlink_set_eswitch_mode(nl, "0000:3b:00.0", ESWITCH_MODE_LEGACY), -EOPNOTSUPP);
        assert_int_equal(script.mode, ESWITCH_MODE_SWITCHDEV);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_eswitch_requests_round_trip),
                cmocka_unit_test(test_eswitch_get_has_no_mode),
                cmocka_unit_test(test_eswitch_answer_parsed),
                cmocka_unit_test(test_family_lookup),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_eswitch_through_the_ops),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
