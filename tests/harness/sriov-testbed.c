/* sriov-testbed: runs one command on a fake-kernel testbed built from .hw files, and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fake-kernel.h"

#define WAIT_SLICE_USEC (100 * 1000)

static int received_signal = 0;

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        received_signal = (int) si->ssi_signo;
        return 0;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: sriov-testbed [OPTION]... -- COMMAND [ARG]...\n"
                "Runs COMMAND on a umockdev testbed whose sysfs writes a fake kernel answers.\n"
                "  --hw FILE                          hardware description (.hw), repeatable\n"
                "  --line 'pf ...'                    one line of hardware description, repeatable\n"
                "  --fault BDF:ATTR:ERRNO[:COUNT]     fail writes to ATTR of BDF (a glob; empty for bus files)\n"
                "                                     with ERRNO (EBUSY, 16, or HANG); COUNT 0 or absent: always\n"
                "  --writes FILE                      append \"PATH VALUE => RESULT\" per write to FILE\n");
}

static int errno_from_name(const char *s) {
        if (strcmp(s, "HANG") == 0)
                return FAKE_KERNEL_HANG;
        char *end;
        long v = strtol(s, &end, 10);
        if (*s && !*end)
                return v > 0 && v < 4096 ? (int) v : -EINVAL;
        for (int e = 1; e < 4096; e++) {
                const char *name = strerrorname_np(e);
                if (name && strcmp(name, s) == 0)
                        return e;
        }
        return -EINVAL;
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!g_ascii_isdigit(*s))
                        return false;
        return true;
}

/* BDF itself contains colons, so the fields are taken from the right. */
static int parse_fault(FakeKernel *k, const char *spec) {
        g_auto(GStrv) parts = g_strsplit(spec, ":", -1);
        guint n = g_strv_length(parts);
        unsigned count = 0;
        if (n >= 4 && all_digits(parts[n - 1]) && errno_from_name(parts[n - 2]) != -EINVAL && !all_digits(parts[n - 3])) {
                count = (unsigned) strtoul(parts[n - 1], NULL, 10);
                g_free(parts[n - 1]);
                parts[--n] = NULL;
        }
        if (n < 3) {
                fprintf(stderr, "sriov-testbed: --fault %s: expected BDF:ATTR:ERRNO[:COUNT]\n", spec);
                return -EINVAL;
        }
        int error = errno_from_name(parts[n - 1]);
        if (error == -EINVAL) {
                fprintf(stderr, "sriov-testbed: --fault %s: unknown errno '%s'\n", spec, parts[n - 1]);
                return -EINVAL;
        }
        g_autofree char *attribute = g_steal_pointer(&parts[n - 2]);
        g_clear_pointer(&parts[n - 1], g_free);
        g_autofree char *bdf = g_strjoinv(":", parts);
        return fake_kernel_inject(k, *bdf ? bdf : NULL, attribute, error, count);
}

static void write_log(FakeKernel *k, const char *path) {
        FILE *f = fopen(path, "ae");
        if (!f) {
                fprintf(stderr, "sriov-testbed: %s: %m\n", path);
                return;
        }
        for (size_t i = 0; i < fake_kernel_n_writes(k); i++) {
                const FakeWrite *w = fake_kernel_write_at(k, i);
                g_autofree char *value = g_strescape(w->value, NULL);
                const char *name = w->result < 0 ? strerrorname_np(-w->result) : NULL;
                fprintf(f, "%s %s => ", w->path, *value ? value : "\"\"");
                if (w->result >= 0)
                        fprintf(f, "%d\n", w->result);
                else if (name)
                        fprintf(f, "%s\n", name);
                else
                        fprintf(f, "%d\n", w->result);
        }
        fclose(f);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "hw", required_argument, NULL, 'H' },
                { "line", required_argument, NULL, 'l' },
                { "fault", required_argument, NULL, 'f' },
                { "writes", required_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                {}
        };

        /* blocked before anything starts, so the signals reach sd-event and the cleanup runs */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        __attribute__((cleanup(fake_kernel_freep))) FakeKernel *k = NULL;
        int r = fake_kernel_new(&k);
        if (r < 0) {
                fprintf(stderr, "sriov-testbed: cannot create the testbed: %s\n", strerror(-r));
                return 125;
        }

        const char *writes = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
                switch (c) {
                case 'H':
                        r = fake_kernel_load_file(k, optarg);
                        break;
                case 'l':
                        r = fake_kernel_load(k, optarg);
                        break;
                case 'f':
                        r = parse_fault(k, optarg);
                        break;
                case 'w':
                        writes = optarg;
                        r = 0;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 125;
                }
                if (r < 0)
                        return 125;
        }
        if (optind >= argc) {
                usage(stderr);
                return 125;
        }

        sd_event *e = fake_kernel_event(k);
        if (sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL) < 0 ||
            sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL) < 0) {
                fprintf(stderr, "sriov-testbed: cannot watch signals\n");
                return 125;
        }

        pid_t pid;
        r = fake_kernel_spawn(k, argv + optind, NULL, &pid);
        if (r < 0) {
                fprintf(stderr, "sriov-testbed: cannot run %s: %s\n", argv[optind], strerror(-r));
                return 127;
        }

        int status = 0;
        for (;;) {
                r = fake_kernel_wait(k, pid, WAIT_SLICE_USEC, &status);
                if (r == 0)
                        break;
                if (received_signal) {
                        status = 128 + received_signal;
                        break;
                }
                if (r != -ETIMEDOUT) {
                        fprintf(stderr, "sriov-testbed: waiting for %s: %s\n", argv[optind], strerror(-r));
                        status = 125;
                        break;
                }
        }
        if (writes)
                write_log(k, writes);
        return status;   /* the cleanup kills what still runs and removes the testbed */
}
