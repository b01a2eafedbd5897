/* Netlink requests as bytes on the wire, for the unit tests of the netlink layer. */
#pragma once

#include <netlink/msg.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* A copy of msg's bytes, as the kernel would receive them; msg is freed. */
static inline struct nlmsghdr *nlmsg_dump(struct nl_msg *msg) {
        struct nlmsghdr *h = nlmsg_hdr(msg), *copy = malloc(h->nlmsg_len);

        assert_non_null(copy);
        memcpy(copy, h, h->nlmsg_len);
        nlmsg_free(msg);
        return copy;
}
