/* Load: a burst of 10,000 uevents with real changes among them, and 1,000 `sriovctl status` calls at
 * once. The daemon keeps up, loses no event (the final state is what the changes ask for), and its
 * memory comes back to where it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "bus-harness.h"
#include "daemon-harness.h"
#include "status-client.h"
#include "sriovd/macro.h"

#define N_PFS 16
#define N_VFS 8
#define N_UEVENTS 10000
#define N_CALLS 1000
#define NIC_HW "vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf"

/* Sanitizers keep freed memory in quarantine and give each client a large heap: the RSS figures
 * are still printed, but only the plain build holds the daemon to them, and the clients run in
 * waves so that 1,000 sanitized processes do not exhaust the machine. */
#ifdef SANITIZED
#define RSS_CHECKED false
#define WAVE 250
#else
#define RSS_CHECKED true
#define WAVE N_CALLS
#endif
/* What glibc may keep after a burst, above the baseline: a few arenas' worth, not a growth. */
#define RSS_SLACK_KIB 1024

typedef struct Test {
        FakeKernel *kernel;
        Daemon *daemon;
        TestBus *bus;
        char pfs[N_PFS + 2][13];
} Test;

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        t->bus = test_bus_start(BUS_SYSTEM_CONFIG);
        t->daemon = daemon_new(t->kernel);

        assert_int_equal(fake_kernel_load(t->kernel, "module vfio-pci\n"), 0);
        for (size_t i = 0; i < N_PFS + 2; i++) {
                /* even buses: each PF's root port sits on the odd one below it */
                snprintf(t->pfs[i], sizeof(t->pfs[i]), "0000:%02zx:00.0", 0x10 + 2 * i);
                if (i < N_PFS) {
                        _cleanup_free_ char *line = NULL;

                        assert_true(asprintf(&line, "pf %s " NIC_HW "\n", t->pfs[i]) > 0);
                        assert_int_equal(fake_kernel_load(t->kernel, line), 0);
                }
        }
        daemon_write_policy(t->daemon, "50-nic.conf",
                            "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=8\nDriversAutoprobe=no\nVFDriver=vfio-pci\n");
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        daemon_free(t->daemon);
        test_bus_stop(t->bus);
        fake_kernel_free(t->kernel);
        free(t);
        return 0;
}

#define check(t, cond)                                                  \
        do {                                                            \
                if (!(cond)) {                                          \
                        daemon_dump((t)->daemon);                       \
                        fail_msg("%s", #cond);                          \
                }                                                       \
        } while (0)

static uint64_t now_usec(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* The daemon's resident anonymous memory, from /proc: its heap and stacks, without the pages of
 * its libraries, which stay mapped whatever code ran last. */
static long rss_kib(Test *t) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        size_t n = 0;
        long kib = -1;
        FILE *f;

        assert_true(asprintf(&path, "/proc/%d/status", (int) daemon_pid(t->daemon)) > 0);
        f = fopen(path, "re");
        assert_non_null(f);
        while (getline(&line, &n, f) > 0)
                if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        assert_true(kib > 0);
        return kib;
}

static void check_rss_returned(Test *t, const char *what, long baseline) {
        long after;

        /* the daemon gives back what a burst took once it is idle again; let it get there */
        daemon_settle(t->daemon, SECOND / 2);
        after = rss_kib(t);
        print_message("%s: daemon anonymous RSS %ld KiB before, %ld KiB after (%+ld KiB)%s\n", what, baseline, after,
                      after - baseline, RSS_CHECKED ? "" : ", not checked under sanitizers");
        if (RSS_CHECKED && after > baseline + RSS_SLACK_KIB)
                fail_msg("%s: RSS grew from %ld to %ld KiB", what, baseline, after);
}

/* Every PF in use has its 8 VFs on vfio-pci, and says it is applied. */
static bool converged(Test *t, const bool *present) {
        json_object *status = status_json(t->kernel, t->daemon);
        bool ok = true;

        for (size_t i = 0; ok && i < N_PFS + 2; i++) {
                json_object *pf = status_find_pf(status, t->pfs[i]);

                if (!present[i]) {
                        ok = !pf;
                        continue;
                }
                ok = pf && streq_ptr(status_field(pf, "state"), "applied") &&
                     fake_kernel_num_vfs(t->kernel, t->pfs[i]) == N_VFS;
                for (unsigned v = 0; ok && v < N_VFS; v++)
                        ok = streq_ptr(fake_kernel_driver(t->kernel, vf_address(t->kernel, t->pfs[i], v)), "vfio-pci");
        }
        json_object_put(status);
        return ok;
}

static void start_and_wait(Test *t) {
        daemon_start(t->daemon);
        check(t, daemon_wait_ready(t->daemon, 30 * SECOND));
        check(t, daemon_wait_status(t->daemon, "16 PFs, 128 VFs", 30 * SECOND));
}

/* A sequential warm-up, so the baseline includes what the first calls allocate for good. */
static void warm_up(Test *t) {
        for (unsigned i = 0; i < 20; i++)
                json_object_put(status_json(t->kernel, t->daemon));
        daemon_settle(t->daemon, SECOND / 2);
}

static void test_uevent_burst(void **state) {
        Test *t = *state;
        bool present[N_PFS + 2] = {};
        size_t first = fake_kernel_n_uevents(t->kernel), sent;
        uint64_t start, burst_usec, converge_usec;
        long baseline;
        bool done = false;

        start_and_wait(t);
        warm_up(t);
        baseline = rss_kib(t);
        { char c[256]; snprintf(c, sizeof c, "cat /proc/%d/smaps > /tmp/smaps.before", daemon_pid(t->daemon)); system(c); }
        for (size_t i = 0; i < N_PFS; i++)
                present[i] = true;

        /* Mostly "change" on every PF and VF in turn, which asks nothing; among them what does:
         * VFs leaving vfio-pci, two PFs arriving, two going (so that memory is compared at the
         * same size). */
        start = now_usec();
        for (size_t i = 0; fake_kernel_n_uevents(t->kernel) - first < N_UEVENTS; i++) {
                size_t target = i % (N_PFS * (N_VFS + 1)), p = target / (N_VFS + 1), v = target % (N_VFS + 1);

                if (i == 2000)
                        assert_int_equal(fake_kernel_unbind(t->kernel, vf_address(t->kernel, t->pfs[2], 3)), 0);
                else if (i == 4000 || i == 6000) {
                        _cleanup_free_ char *line = NULL;
                        size_t n = i == 4000 ? N_PFS : N_PFS + 1;

                        assert_true(asprintf(&line, "pf %s " NIC_HW "\n", t->pfs[n]) > 0);
                        assert_int_equal(fake_kernel_load(t->kernel, line), 0);
                        present[n] = true;
                } else if (i == 5000 || i == 7000) {
                        size_t n = i == 5000 ? 5 : 6;

                        assert_int_equal(fake_kernel_remove_pf(t->kernel, t->pfs[n]), 0);
                        present[n] = false;
                } else if (i == 8000) {
                        assert_int_equal(fake_kernel_unbind(t->kernel, vf_address(t->kernel, t->pfs[7], 0)), 0);
                        assert_int_equal(fake_kernel_unbind(t->kernel, vf_address(t->kernel, t->pfs[7], 7)), 0);
                } else if (present[p])
                        assert_int_equal(fake_kernel_uevent(t->kernel, v == 0 ? t->pfs[p] : vf_address(t->kernel, t->pfs[p], (unsigned) v - 1),
                                                            "change"), 0);
        }
        burst_usec = now_usec() - start;
        sent = fake_kernel_n_uevents(t->kernel) - first;

        /* each PF there has its 8 VFs on vfio-pci again; the ones gone are forgotten */
        for (unsigned a = 0; a < 240 && !(done = converged(t, present)); a++)
                daemon_settle(t->daemon, SECOND / 4);
        converge_usec = now_usec() - start;
        check(t, done);
        assert_int_equal(fake_kernel_n_violations(t->kernel), 0);
        print_message("uevent burst: %zu uevents sent in %.2f s (%.0f/s); the final state reached %.2f s after "
                      "the first\n", sent, (double) burst_usec / 1e6, (double) sent * 1e6 / (double) burst_usec,
                      (double) converge_usec / 1e6);
        check_rss_returned(t, "uevent burst", baseline);
        { char c[256]; snprintf(c, sizeof c, "cat /proc/%d/smaps > /tmp/smaps.after", daemon_pid(t->daemon)); system(c); }
        { char c[256]; snprintf(c, sizeof c, "cat /proc/%d/smaps > /tmp/smaps.after", daemon_pid(t->daemon)); system(c); }
        assert_int_equal(daemon_stop(t->daemon), 0);
}

static void test_concurrent_status(void **state) {
        Test *t = *state;
        _cleanup_free_ char *dir = NULL;
        pid_t pids[N_CALLS];
        uint64_t start, elapsed;
        long baseline, peak = 0;
        size_t failed = 0;

        start_and_wait(t);
        warm_up(t);
        baseline = rss_kib(t);
        assert_true(asprintf(&dir, "%s/sriovd-load.XXXXXX", getenv("TMPDIR") ?: "/tmp") > 0);
        assert_non_null(mkdtemp(dir));

        start = now_usec();
        for (size_t w = 0; w < N_CALLS; w += WAVE) {
                for (size_t i = w; i < w + WAVE && i < N_CALLS; i++) {
                        _cleanup_free_ char *out = NULL;
                        char *argv[] = { (char *) SRIOVCTL, (char *) "status", (char *) "--json", NULL };

                        assert_true(asprintf(&out, "%s/%zu", dir, i) > 0);
                        /* clients talk to sriovd, not to sysfs: not under the testbed */
                        assert_int_equal(fake_kernel_spawn_output(t->kernel, argv, (char *[]) { (char *) "LD_PRELOAD=", NULL },
                                                                  out, &pids[i]), 0);
                }
                for (size_t i = w; i < w + WAVE && i < N_CALLS; i++) {
                        int status = -1;

                        assert_int_equal(fake_kernel_wait(t->kernel, pids[i], 120 * SECOND, &status), 0);
                        failed += status != 0;
                        if (i % 50 == 0 && rss_kib(t) > peak)
                                peak = rss_kib(t);
                }
        }
        elapsed = now_usec() - start;

        for (size_t i = 0; i < N_CALLS; i++) {
                _cleanup_free_ char *out = NULL, *text = NULL;
                json_object *j, *pfs;
                size_t n = 0;
                FILE *f;

                assert_true(asprintf(&out, "%s/%zu", dir, i) > 0);
                f = fopen(out, "re");
                assert_non_null(f);
                assert_true(getdelim(&text, &n, '\0', f) > 0);
                fclose(f);
                unlink(out);
                j = json_tokener_parse(text);
                if (!j || !(pfs = json_object_object_get(j, "pfs")) || json_object_array_length(pfs) != N_PFS)
                        fail_msg("call %zu answered:\n%s", i, text);
                json_object_put(j);
        }
        rmdir(dir);
        assert_int_equal(failed, 0);
        check(t, daemon_running(t->daemon));
        print_message("concurrent status: %d calls, %zu at once, all answered in %.2f s; daemon anonymous RSS peak %ld KiB\n",
                      N_CALLS, (size_t) WAVE, (double) elapsed / 1e6, peak);
        check_rss_returned(t, "concurrent status", baseline);
        assert_int_equal(daemon_stop(t->daemon), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_uevent_burst, setup, teardown),
                cmocka_unit_test_setup_teardown(test_concurrent_status, setup, teardown),
        };
        struct rlimit nofile;

        /* 1,000 clients at once: their pidfds here and their connections in dbus-daemon */
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
                nofile.rlim_cur = nofile.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &nofile);
        }
        if (getenv("SRIOVD_TEST_FILTER"))
                cmocka_set_test_filter(getenv("SRIOVD_TEST_FILTER"));
        return cmocka_run_group_tests(tests, NULL, NULL);
}
