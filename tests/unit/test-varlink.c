/* The varlink message core: requests accepted and refused as the protocol says, replies and errors as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sriovd/macro.h"
#include "sriovd/varlink.h"

static void test_names(void **state) {
        static const char * const good[] = { "org.varlink.service", "io.sriovd.Manager", "a.b", "a-b.c--d.e9", "x.0a" };
        static const char * const bad[] = { "", "org", "0org.varlink", "org..varlink", "org.varlink.", ".org.varlink",
                                            "org-.varlink", "org.-varlink", "org.var_link", "org.varlink service" };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!varlink_interface_name_is_valid(good[i]))
                        fail_msg("refused interface name \"%s\"", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (varlink_interface_name_is_valid(bad[i]))
                        fail_msg("accepted interface name \"%s\"", bad[i]);
        assert_true(varlink_member_name_is_valid("GetInfo"));
        assert_true(varlink_member_name_is_valid("X2"));
        assert_false(varlink_member_name_is_valid("getInfo"));
        assert_false(varlink_member_name_is_valid("Get-Info"));
        assert_false(varlink_member_name_is_valid(""));
}

static int parse(const char *text, VarlinkRequest *r) {
        return varlink_request_parse(text, strlen(text), r);
}

static void test_request(void **state) {
        _cleanup_(varlink_request_clear) VarlinkRequest r = {};
        json_object *v;

        assert_int_equal(parse("{\"method\":\"io.sriovd.Manager.Explain\",\"parameters\":{\"pf\":\"0000:3b:00.0\"},\"more\":true} \n", &r), 0);
        assert_string_equal(r.method, "io.sriovd.Manager.Explain");
        assert_string_equal(r.interface, "io.sriovd.Manager");
        assert_string_equal(r.member, "Explain");
        assert_true(r.more);
        assert_false(r.oneway);
        assert_true(json_object_object_get_ex(r.parameters, "pf", &v));
        assert_string_equal(json_object_get_string(v), "0000:3b:00.0");
        varlink_request_clear(&r);

        /* no parameters: an empty object; unknown fields are ignored */
        assert_int_equal(parse("{\"method\":\"org.varlink.service.GetInfo\",\"oneway\":true,\"x\":1}", &r), 0);
        assert_true(json_object_is_type(r.parameters, json_type_object));
        assert_int_equal(json_object_object_length(r.parameters), 0);
        assert_true(r.oneway);
        varlink_request_clear(&r);
        assert_int_equal(parse("{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":null}", &r), 0);
        assert_int_equal(json_object_object_length(r.parameters), 0);
}

static void test_bad_requests(void **state) {
        static const char * const bad[] = {
                "", " ", "null", "[]", "\"method\"", "{", "{}", "{\"method\":1}",
                "{\"method\":\"GetInfo\"}",                                     /* no interface */
                "{\"method\":\"org.varlink.service.getInfo\"}",                 /* lower-case member */
                "{\"method\":\"org..service.GetInfo\"}",
                "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":[]}",
                "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":\"x\"}",
                "{\"method\":\"org.varlink.service.GetInfo\",\"more\":1}",
                "{\"method\":\"org.varlink.service.GetInfo\",\"more\":true,\"oneway\":true}",
                "{\"method\":\"org.varlink.service.GetInfo\"} {}",               /* two values */
                "{\"method\":\"org.varlink.service.GetInfo\"} x",
        };
        VarlinkRequest r = {};
        _cleanup_free_ char *deep = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse(bad[i], &r) != -EBADMSG)
                        fail_msg("accepted \"%s\"", bad[i]);
        /* a NUL inside is a message boundary, never part of one */
        assert_int_equal(varlink_request_parse("{\"method\":\"a.b.C\"}\0", 19, &r), -EBADMSG);

        /* nesting beyond VARLINK_DEPTH_MAX is refused */
        deep = calloc(1, 200);
        assert_non_null(deep);
        strcpy(deep, "{\"method\":\"a.b.C\",\"parameters\":{\"x\":");
        for (int i = 0; i < VARLINK_DEPTH_MAX; i++)
                strcat(deep, "[");
        for (int i = 0; i < VARLINK_DEPTH_MAX; i++)
                strcat(deep, "]");
        strcat(deep, "}}");
        assert_int_equal(parse(deep, &r), -EBADMSG);
}

static void test_format(void **state) {
        _cleanup_free_ char *reply = NULL, *more = NULL, *error = NULL, *empty = NULL;
        json_object *p = json_object_new_object();
        size_t n;

        json_object_object_add(p, "interface", json_object_new_string("io.sriovd/x"));
        assert_int_equal(varlink_format_reply(p, false, &reply, &n), 0);
        assert_int_equal(n, strlen(reply) + 1);
        assert_string_equal(reply, "{\"parameters\":{\"interface\":\"io.sriovd/x\"}}");
        assert_int_equal(varlink_format_reply(p, true, &more, &n), 0);
        assert_string_equal(more, "{\"parameters\":{\"interface\":\"io.sriovd/x\"},\"continues\":true}");
        assert_int_equal(varlink_format_error(VARLINK_ERROR_INVALID_PARAMETER, p, &error, &n), 0);
        assert_string_equal(error, "{\"error\":\"org.varlink.service.InvalidParameter\",\"parameters\":{\"interface\":\"io.sriovd/x\"}}");
        /* the caller's reference is its own still */
        assert_int_equal(json_object_put(p), 1);
        assert_int_equal(varlink_format_reply(NULL, false, &empty, &n), 0);
        assert_string_equal(empty, "{\"parameters\":{}}");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_request),
                cmocka_unit_test(test_bad_requests),
                cmocka_unit_test(test_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
