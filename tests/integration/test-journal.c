/* sriovd's journal records: run with a journal socket of the test's own, as systemd would connect it. */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon-harness.h"
#include "sriovd/macro.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define MESSAGE_APPLIED "aca705cdb2ef4a19a39f914e83ad1844"
#define MESSAGE_REFUSED "f8300cb15d554b02812ca0a07e2623e6"
#define MESSAGE_PENDING "ba76a77934cf4966b3af5bad0b58753c"
#define MESSAGE_FAILED "6fb3d89f44824afea3c5d3546ca6b337"

typedef struct Journal {
        int fd;
        sd_event_source *source;
        char **records;         /* each record's fields, "\n" separated, as sent */
} Journal;

static int on_record(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Journal *j = userdata;
        char buf[65536];
        ssize_t n;

        while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
                buf[n] = '\0';
                assert_int_equal(strv_extend(&j->records, buf), 0);
        }
        return 0;
}

/* The record with every one of these "FIELD=value" lines, or NULL. */
static const char *find_record(Journal *j, char * const *fields) {
        for (char **r = j->records; r && *r; r++) {
                _cleanup_free_ char *record = NULL;
                bool all = true;

                /* with a newline in front, every field is found as "\nFIELD=value\n" */
                assert_true(asprintf(&record, "\n%s", *r) > 0);
                for (char * const *f = fields; *f && all; f++) {
                        _cleanup_free_ char *line = NULL;

                        assert_true(asprintf(&line, "\n%s\n", *f) > 0);
                        all = strstr(record, line) != NULL;
                }
                if (all)
                        return *r;
        }
        return NULL;
}

static void test_structured_fields(void **state) {
        Journal *j = *state;
        _cleanup_(fake_kernel_freep) FakeKernel *k = NULL;
        _cleanup_free_ char *stream = NULL;
        Daemon *d;
        struct stat st;

        assert_int_equal(fake_kernel_new(&k), 0);
        assert_int_equal(sd_event_add_io(fake_kernel_event(k), &j->source, j->fd, EPOLLIN, on_record, j), 0);
        assert_int_equal(fake_kernel_load(k,
                "module vfio-pci enable_sriov=1\n"
                "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf\n"
                "pf 0000:5e:00.0 vendor=1b36 device=0010 totalvfs=4\n"
                "pf 0000:af:00.0 vendor=10de device=2236 driver=vfio-pci totalvfs=16 numvfs=4\n"
                "pf 0000:d8:00.0 vendor=15b3 device=101d driver=mlx5_core totalvfs=8 vf-driver=mlx5_core\n"), 0);
        assert_int_equal(fake_kernel_inject(k, "0000:d8:00.0", "sriov_numvfs", EIO, 0), 0);

        d = daemon_new(k);
        daemon_write_policy(d, "50-nic.conf", "[Match]\nDriver=ice mlx5_core\n[PhysicalFunction]\nNumVFs=4\n");
        daemon_write_policy(d, "60-nvme.conf", "[Match]\nVendor=0x1b36\n[PhysicalFunction]\nNumVFs=2\n");
        daemon_write_policy(d, "70-gpu.conf", "[Match]\nVendor=0x10de\n[PhysicalFunction]\nNumVFs=8\n");
        /* systemd tells a service its stderr is the journal through JOURNAL_STREAM=device:inode */
        assert_int_equal(stat(daemon_log_path(d), &st), 0);
        assert_true(asprintf(&stream, "JOURNAL_STREAM=%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino) > 0);
        daemon_setenv(d, stream);
        daemon_start(d);
        if (!daemon_wait_ready(d, 20 * SECOND)) {
                daemon_dump(d);
                fail_msg("sriovd did not get ready");
        }
        daemon_settle(d, SECOND / 2);

        if (!find_record(j, (char *[]) { (char *) "MESSAGE_ID=" MESSAGE_APPLIED, (char *) "SRIOV_PF=0000:3b:00.0",
                                         (char *) "PRIORITY=6", (char *) "SYSLOG_IDENTIFIER=sriovd", NULL }) ||
            !find_record(j, (char *[]) { (char *) "MESSAGE_ID=" MESSAGE_REFUSED, (char *) "SRIOV_PF=0000:5e:00.0", (char *) "PRIORITY=4", NULL }) ||
            !find_record(j, (char *[]) { (char *) "MESSAGE_ID=" MESSAGE_PENDING, (char *) "SRIOV_PF=0000:af:00.0", (char *) "PRIORITY=5", NULL }) ||
            !find_record(j, (char *[]) { (char *) "MESSAGE_ID=" MESSAGE_FAILED, (char *) "SRIOV_PF=0000:d8:00.0",
                                         (char *) "PRIORITY=3", (char *) "ERRNO=5", NULL })) {
                for (char **r = j->records; r && *r; r++)
                        print_message("---- record ----\n%s", *r);
                fail_msg("a record with the expected fields is missing");
        }
        /* every PF message names its policy file, and its text the PF: journalctl shows only the text */
        for (char **r = j->records; r && *r; r++)
                if (strstr(*r, "SRIOV_PF=0000:3b:00.0")) {
                        assert_non_null(strstr(*r, "MESSAGE=0000:3b:00.0: "));
                        if (strstr(*r, "MESSAGE_ID="))
                                assert_non_null(strstr(*r, "SRIOV_POLICY=/"));
                }
        /* and with the journal connected, nothing goes to stderr */
        _cleanup_free_ char *log = daemon_log(d);
        assert_string_equal(log, "");
        assert_int_equal(daemon_stop(d), 0);
        daemon_free(d);
        j->source = sd_event_source_disable_unref(j->source);
}

static int setup(void **state) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
        Journal *j = calloc(1, sizeof(Journal));

        assert_non_null(j);
        j->fd = -EBADF;
        *state = j;
        /* A private /run with our socket where the journal's would be; the host's is untouched. */
        assert_int_equal(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
        assert_int_equal(mkdir("/run/systemd", 0755), 0);
        assert_int_equal(mkdir("/run/systemd/journal", 0755), 0);
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(j->fd >= 0);
        assert_int_equal(bind(j->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return 0;
}

static int teardown(void **state) {
        Journal *j = *state;

        if (!j)
                return 0;
        if (j->fd >= 0)
                close(j->fd);
        strv_free(j->records);
        free(j);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "applied, refused, pending and failed records carry SRIOV_PF, SRIOV_POLICY, MESSAGE_ID, PRIORITY and ERRNO; the text names the PF",
                  test_structured_fields, NULL, NULL, NULL },
        };

        if (geteuid() != 0) {
                printf("a private journal socket needs root (a mount namespace); skipping\n");
                return 77;
        }
        /* Mounts of our own must not reach the host: that needs a root that is a mount point whose
         * propagation can be made private, which a chroot does not have. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("cannot make the mount tree private (%m), as in a chroot; skipping\n");
                return 77;
        }
        return cmocka_run_group_tests_name("journal", tests, setup, teardown);
}
