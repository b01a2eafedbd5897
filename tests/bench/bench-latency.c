/* Event latency: from a hot-added PF's bind uevent to sriovd's first sriov_numvfs write, over many binds.
 * Prints "latency_us N MEDIAN P90 P99 MAX" for tests/bench/run. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "daemon-harness.h"
#include "fake-kernel.h"

#define PF "0000:3b:00.0"
#define PF_LINE "pf " PF " vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf netdev=ens1f0\n"
#define NUM_VFS 4

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

typedef struct Wait {
        size_t from;
        const FakeWrite *found;
} Wait;

static bool numvfs_written(FakeKernel *k, void *userdata) {
        Wait *w = userdata;

        for (size_t i = w->from; i < fake_kernel_n_writes(k); i++) {
                const FakeWrite *fw = fake_kernel_write_at(k, i);

                if (fw->device && strcmp(fw->device, PF) == 0 && strcmp(fw->attribute, "sriov_numvfs") == 0) {
                        w->found = fw;
                        return true;
                }
        }
        return false;
}

static bool daemon_up(Daemon *d) {
        daemon_start(d);
        if (!daemon_wait_ready(d, 10 * SECOND) || !daemon_wait_num_vfs(d, PF, NUM_VFS, 10 * SECOND)) {
                daemon_dump(d);
                fprintf(stderr, "bench-latency: sriovd did not come up\n");
                return false;
        }
        daemon_settle(d, 100 * 1000);
        return true;
}

/* latency[i] for each of n hot-adds; -1 (said why) when one did not go as it should. */
static int measure(FakeKernel *k, Daemon *d, unsigned n, uint64_t *latency) {
        for (unsigned i = 0; i < n; i++) {
                Wait w;
                uint64_t sent;

                /* the PF leaves with its VFs and comes back, as on a hotplug slot: add, then its driver's bind */
                if (fake_kernel_remove_pf(k, PF) < 0) {
                        fprintf(stderr, "bench-latency: cannot remove %s\n", PF);
                        return -1;
                }
                daemon_settle(d, 10 * 1000);

                w = (Wait) { .from = fake_kernel_n_writes(k) };
                if (fake_kernel_load(k, PF_LINE) < 0) {
                        fprintf(stderr, "bench-latency: cannot add %s\n", PF);
                        return -1;
                }
                sent = now_usec();   /* the bind uevent is the last thing the hot-add does */
                if (fake_kernel_run(k, 10 * SECOND, numvfs_written, &w) < 0 || !w.found) {
                        daemon_dump(d);
                        fprintf(stderr, "bench-latency: no sriov_numvfs write after bind %u\n", i);
                        return -1;
                }
                latency[i] = w.found->received_usec > sent ? w.found->received_usec - sent : 0;
                if (!daemon_wait_num_vfs(d, PF, NUM_VFS, 10 * SECOND)) {
                        fprintf(stderr, "bench-latency: %s did not get its VFs back\n", PF);
                        return -1;
                }
                daemon_settle(d, 10 * 1000);
                if ((i + 1) % 100 == 0)
                        fprintf(stderr, "bench-latency: %u binds\n", i + 1);
        }
        return 0;
}

int main(int argc, char **argv) {
        FakeKernel *k = NULL;
        unsigned n = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 1000;
        uint64_t *latency;
        Daemon *d;
        int r;

        if (n == 0 || !(latency = calloc(n, sizeof(uint64_t)))) {
                fprintf(stderr, "Usage: bench-latency [BINDS]\n");
                return 2;
        }
        if (fake_kernel_new(&k) < 0 || fake_kernel_load(k, PF_LINE) < 0) {
                fprintf(stderr, "bench-latency: cannot make the fake kernel\n");
                fake_kernel_free(k);
                free(latency);
                return 1;
        }
        d = daemon_new(k);
        daemon_set_log_level(d, "info");
        daemon_write_policy(d, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=4\n");
        r = daemon_up(d) ? measure(k, d, n, latency) : -1;
        if (r >= 0 && daemon_stop(d) != 0)
                r = -1;
        if (r >= 0) {
                qsort(latency, n, sizeof(uint64_t), cmp_u64);
                printf("latency_us %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", n, latency[(n - 1) / 2],
                       latency[(n * 90 + 99) / 100 - 1], latency[(n * 99 + 99) / 100 - 1], latency[n - 1]);
        }
        daemon_free(d);         /* kills the daemon if a failure left it running */
        fake_kernel_free(k);
        free(latency);
        return r < 0 ? 1 : 0;
}
