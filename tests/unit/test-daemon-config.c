/* sriovd.conf: defaults, every key, errors with file:line; time spans and log levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sriovd/daemon-config.h"
#include "sriovd/parse-util.h"
#include "tmptree.h"

static int parse(const char *text, DaemonConfig *c, Diagnostics *d) {
        daemon_config_init(c);
        return daemon_config_parse(c, "sriovd.conf", text, strlen(text), d);
}

static void test_keys(void **state) {
        DaemonConfig c;
        Diagnostics d = {};

        daemon_config_init(&c);
        assert_int_equal(c.apply_timeout_usec, 30000000);
        assert_int_equal(c.log_level, -1);

        assert_int_equal(parse("[Daemon]\nApplyTimeoutSec=2min 30s\nLogLevel=debug\n", &c, &d), 0);
        assert_int_equal(c.apply_timeout_usec, 150000000);
        assert_int_equal(c.log_level, 7);
        assert_int_equal(parse("[Daemon]\nApplyTimeoutSec=500ms\nLogLevel=4\nApplyTimeoutSec=\n", &c, &d), 0);
        assert_int_equal(c.apply_timeout_usec, 30000000);
        assert_int_equal(c.log_level, 4);
        assert_int_equal(d.n_items, 0);

        assert_int_equal(c.udev_timeout_usec, 10000000);
        assert_int_equal(c.stop_timeout_usec, 10000000);
        assert_int_equal(parse("[Daemon]\nStopTimeoutSec=3s\n", &c, &d), 0);
        assert_int_equal(c.stop_timeout_usec, 3000000);
        assert_int_equal(parse("[Daemon]\nStopTimeoutSec=0\n", &c, &d), 1);
        assert_string_equal(d.items[0].message, "StopTimeoutSec=: \"0\" is not a time span above zero (like 10s)");
        assert_int_equal(c.stop_timeout_usec, 10000000);
        diagnostics_clear(&d);
        assert_int_equal(parse("[Daemon]\nUdevTimeoutSec=0\n", &c, &d), 0);
        assert_int_equal(c.udev_timeout_usec, 0);
        assert_int_equal(parse("[Daemon]\nUdevTimeoutSec=1min\nUdevTimeoutSec=\n", &c, &d), 0);
        assert_int_equal(c.udev_timeout_usec, 10000000);
        assert_int_equal(parse("[Daemon]\nUdevTimeoutSec=later\n", &c, &d), 1);
        assert_string_equal(d.items[0].message, "UdevTimeoutSec=: \"later\" is not a time span (like 10s, or 0 not to wait)");
        assert_int_equal(c.udev_timeout_usec, 10000000);
        diagnostics_clear(&d);
}

static void test_errors(void **state) {
        DaemonConfig c;
        Diagnostics d = {};

        assert_int_equal(parse("[Daemon]\nApplyTimeoutSec=soon\nApplyTimeoutSec=0\nLogLevel=loud\nColour=red\n[Other]\nX=1\nY\n", &c, &d), 4);
        assert_int_equal(d.n_errors, 4);
        assert_int_equal(d.n_warnings, 2);
        assert_int_equal(d.items[0].line, 2);
        assert_string_equal(d.items[0].message, "ApplyTimeoutSec=: \"soon\" is not a time span above zero (like 30s or 2min)");
        assert_int_equal(d.items[1].line, 3);
        assert_string_equal(d.items[2].message, "LogLevel=: \"loud\" is not a log level (err, warning, notice, info, debug)");
        assert_string_equal(d.items[3].message, "unknown key Colour= in [Daemon], ignoring it");
        assert_string_equal(d.items[4].message, "unknown section [Other], ignoring it");
        assert_int_equal(d.items[5].line, 8);
        /* a bad value leaves the default in force */
        assert_int_equal(c.apply_timeout_usec, 30000000);
        diagnostics_clear(&d);
}

static void test_load(void **state) {
        char *root = tmptree_new();
        _cleanup_free_ char *path = NULL, *missing = NULL;
        DaemonConfig c;
        Diagnostics d = {};

        assert_true(asprintf(&path, "%s/sriovd.conf", root) > 0);
        assert_true(asprintf(&missing, "%s/none.conf", root) > 0);
        daemon_config_init(&c);
        assert_int_equal(daemon_config_load(&c, missing, &d), 0);
        assert_int_equal(c.apply_timeout_usec, 30000000);

        tmptree_write(root, "sriovd.conf", "[Daemon]\nApplyTimeoutSec=5\n");
        assert_int_equal(daemon_config_load(&c, path, &d), 0);
        assert_int_equal(c.apply_timeout_usec, 5000000);

        tmptree_write(root, "sriovd.conf", "[Daemon]\nApplyTimeoutSec=five\n");
        assert_int_equal(daemon_config_load(&c, path, &d), -EINVAL);
        assert_string_equal(d.items[0].file, path);
        diagnostics_clear(&d);
        tmptree_free(root);
}

static void test_shipped_file(void **state) {
        DaemonConfig c;
        Diagnostics d = {};

        daemon_config_init(&c);
        assert_int_equal(daemon_config_load(&c, SOURCE_ROOT "/conf/sriovd.conf", &d), 0);
        assert_int_equal(d.n_items, 0);
        assert_int_equal(c.apply_timeout_usec, SRIOVD_APPLY_TIMEOUT_DEFAULT_USEC);
}

static void test_timespan(void **state) {
        static const struct {
                const char *s;
                int r;
                uint64_t usec;
        } table[] = {
                { "30", 0, 30000000 }, { "30s", 0, 30000000 }, { "1min", 0, 60000000 }, { "1h", 0, 3600000000ULL },
                { "250ms", 0, 250000 }, { "7us", 0, 7 }, { "1min 30s", 0, 90000000 }, { "1min30s", 0, 90000000 },
                { "", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "10 sec", -EINVAL, 0 },
                { "1x", -EINVAL, 0 }, { "99999999999999999999h", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t u = 0;
                int r = parse_timespan(table[i].s, &u);

                if (r != table[i].r || (r == 0 && u != table[i].usec))
                        fail_msg("\"%s\": got %d/%llu", table[i].s, r, (unsigned long long) u);
        }
        assert_int_equal(parse_log_level("warning"), 4);
        assert_int_equal(parse_log_level("ERROR"), 3);
        assert_int_equal(parse_log_level("8"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "defaults, and every key of [Daemon]", test_keys, NULL, NULL, NULL },
                { "bad values are errors with their line and keep the default", test_errors, NULL, NULL, NULL },
                { "a missing file means the defaults; a bad one is refused", test_load, NULL, NULL, NULL },
                { "time spans and log levels", test_timespan, NULL, NULL, NULL },
                { "the shipped conf/sriovd.conf parses without a warning", test_shipped_file, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("daemon-config", tests, NULL, NULL);
}
