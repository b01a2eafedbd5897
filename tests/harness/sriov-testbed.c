/* sriov-testbed: runs one command on a fake-kernel testbed built from .hw files, and exits with its status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "fake-kernel.h"
#include "fake-netlink.h"

#define WAIT_SLICE_USEC (100 * 1000)
#define STOP_GRACE_USEC (10 * 1000 * 1000)
#define CONTROL_LINE_MAX 4096

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
                "  --latency BDF:ATTR:MSEC            answer writes to ATTR of BDF (a glob) MSEC later, others\n"
                "                                     meanwhile; e.g. '*:sriov_numvfs:50'\n"
                "  --write-times FILE                 append \"RECEIVED ANSWERED BDF ATTR\" per write to FILE, in\n"
                "                                     microseconds of CLOCK_MONOTONIC (BDF - for bus files)\n"
                "  --writes FILE                      append \"PATH VALUE => RESULT\" per write to FILE\n"
                "  --control PATH                     make a FIFO at PATH for commands from COMMAND, one per line:\n"
                "                                       load HW-LINE     hot-add (a 'pf ...' line), with uevents\n"
                "                                       remove BDF       hot-remove a PF and its VFs\n"
                "                                       hold BDF COMM    a process named COMM holds the VF's vfio\n"
                "                                                        group open, as qemu does\n"
                "                                       release BDF      that process ends\n"
                "                                     each is answered in order by one line on the FIFO PATH.reply:\n"
                "                                     \"ok\" (\"ok PID\" for hold) or \"error WHY\"; COMMAND gets\n"
                "                                     SRIOV_TESTBED_CONTROL=PATH; both FIFOs are removed at exit\n"
                "On SIGINT or SIGTERM, COMMAND gets SIGTERM and 10 s to end while the fake kernel still\n"
                "answers; then what still runs is killed. Exit status: COMMAND's, or 128 + the signal.\n");
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

static int parse_latency(FakeKernel *k, const char *spec) {
        const char *colon = strrchr(spec, ':');
        char *end;
        if (!colon || colon == spec) {
                fprintf(stderr, "sriov-testbed: --latency %s: expected BDF:ATTR:MSEC\n", spec);
                return -EINVAL;
        }
        unsigned long msec = strtoul(colon + 1, &end, 10);
        if (!all_digits(colon + 1) || *end || msec == 0 || msec > 3600 * 1000) {
                fprintf(stderr, "sriov-testbed: --latency %s: '%s' is not a number of milliseconds from 1 to 3600000\n",
                        spec, colon + 1);
                return -EINVAL;
        }
        g_autofree char *head = g_strndup(spec, (gsize) (colon - spec));
        char *attr = strrchr(head, ':');
        if (!attr || !attr[1]) {
                fprintf(stderr, "sriov-testbed: --latency %s: expected BDF:ATTR:MSEC\n", spec);
                return -EINVAL;
        }
        *attr++ = '\0';
        return fake_kernel_set_latency(k, *head ? head : NULL, attr, (uint64_t) msec * 1000);
}

/* --control: what happens to a host from outside (a PF hot-plugged, a VM holding a VF), asked for by the
 * command itself as lines on a FIFO, and done in the fake kernel's loop between the writes it answers. */
typedef struct Control {
        FakeKernel *k;
        char *path;             /* commands come in on this FIFO */
        char *reply_path;       /* one reply line per command goes out on this one, in order */
        int fd;
        int reply_fd;
        sd_event_source *source;
        GString *partial;       /* the start of a line whose newline has not come yet */
        bool overlong;          /* the line coming in was too long, answered already, and is skipped */
        GHashTable *holders;    /* BDF -> holder pid, so "release" takes the address "hold" took */
} Control;

typedef struct ControlCommand {
        const char *name;
        const char *usage;
        unsigned n_args;        /* words after the name; 0: the rest of the line, whatever it is */
        /* negative errno; *ret_text is the reply's detail, or on failure what went wrong */
        int (*run)(Control *c, char **args, const char *rest, char **ret_text);
} ControlCommand;

static void control_free(Control *c) {
        sd_event_source_disable_unref(c->source);
        if (c->fd >= 0)
                close(c->fd);
        if (c->reply_fd >= 0)
                close(c->reply_fd);
        /* made here, so removed here: a testbed that ends leaves no FIFO behind */
        if (c->path)
                (void) unlink(c->path);
        if (c->reply_path)
                (void) unlink(c->reply_path);
        g_free(c->path);
        g_free(c->reply_path);
        g_string_free(c->partial, TRUE);
        g_hash_table_unref(c->holders);
        g_free(c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Control, control_free)

static int control_load(Control *c, char **args, const char *rest, char **ret_text) {
        int r = fake_kernel_load(c->k, rest);
        if (r < 0)
                *ret_text = g_strdup_printf("%s (the parser's message is on stderr)", strerror(-r));
        return r;
}

static int control_remove(Control *c, char **args, const char *rest, char **ret_text) {
        int r = fake_kernel_remove_pf(c->k, args[0]);
        if (r == -ENODEV)
                *ret_text = g_strdup_printf("no PF %s", args[0]);
        else if (r == -EBUSY)
                *ret_text = g_strdup_printf("a VF of %s is held open", args[0]);
        return r;
}

static int control_hold(Control *c, char **args, const char *rest, char **ret_text) {
        /* one holder per device: "release BDF" must know which process to end */
        if (g_hash_table_contains(c->holders, args[0])) {
                *ret_text = g_strdup_printf("%s is held already", args[0]);
                return -EBUSY;
        }
        pid_t pid;
        int r = fake_kernel_hold(c->k, args[0], args[1], &pid);
        if (r == -ENODEV)
                *ret_text = g_strdup_printf("no device %s", args[0]);
        else if (r == -ENOENT)
                *ret_text = g_strdup_printf("%s is not bound to vfio-pci", args[0]);
        if (r < 0)
                return r;
        g_hash_table_insert(c->holders, g_strdup(args[0]), GINT_TO_POINTER(pid));
        *ret_text = g_strdup_printf("%d", (int) pid);
        return 0;
}

static int control_release(Control *c, char **args, const char *rest, char **ret_text) {
        gpointer pid;
        if (!g_hash_table_lookup_extended(c->holders, args[0], NULL, &pid)) {
                *ret_text = g_strdup_printf("%s is not held", args[0]);
                return -ESRCH;
        }
        g_hash_table_remove(c->holders, args[0]);
        return fake_kernel_release_hold(c->k, (pid_t) GPOINTER_TO_INT(pid));
}

static const ControlCommand control_commands[] = {
        { "load",    "load HW-LINE",   0, control_load },
        { "remove",  "remove BDF",     1, control_remove },
        { "hold",    "hold BDF COMM",  2, control_hold },
        { "release", "release BDF",    1, control_release },
};

static const ControlCommand *control_command(const char *name) {
        for (size_t i = 0; i < G_N_ELEMENTS(control_commands); i++)
                if (strcmp(control_commands[i].name, name) == 0)
                        return &control_commands[i];
        return NULL;
}

/* Runs one line; *ret_text as for ControlCommand.run. */
static int control_execute(Control *c, const char *line, char **ret_text) {
        size_t n = strcspn(line, " \t");
        g_autofree char *name = g_strndup(line, n);
        const char *rest = line + n + strspn(line + n, " \t");
        const ControlCommand *cmd = control_command(name);
        if (!cmd) {
                *ret_text = *name ? g_strdup_printf("unknown command '%s' (expected load, remove, hold or release)", name)
                                  : g_strdup("empty line (expected load, remove, hold or release)");
                return -EINVAL;
        }
        g_auto(GStrv) words = g_strsplit_set(rest, " \t", -1);
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        for (char **w = words; *w; w++)
                if (**w)
                        g_ptr_array_add(args, *w);
        if (cmd->n_args > 0 ? args->len != cmd->n_args : args->len == 0) {
                *ret_text = g_strdup_printf("usage: %s", cmd->usage);
                return -EINVAL;
        }
        g_ptr_array_add(args, NULL);
        return cmd->run(c, (char **) args->pdata, rest, ret_text);
}

static void control_reply(Control *c, const char *line) {
        g_autofree char *text = g_strdup_printf("%s\n", line);
        /* a reply below PIPE_BUF is never torn; EAGAIN means nobody read the last 64 KiB of them */
        if (write(c->reply_fd, text, strlen(text)) < 0)
                fprintf(stderr, "sriov-testbed: %s: cannot reply: %s\n", c->reply_path, strerror(errno));
}

/* Every line gets its reply, an empty one too: a client that waits for one must never wait forever. */
static void control_line(Control *c, const char *line) {
        g_autofree char *text = NULL;
        int r = control_execute(c, line, &text);
        g_autofree char *reply = NULL;
        if (r < 0) {
                reply = g_strdup_printf("error %s", text ? text : strerror(-r));
                fprintf(stderr, "sriov-testbed: control: %s: %s\n", line, reply + strlen("error "));
        } else
                reply = g_strdup_printf("ok%s%s", text ? " " : "", text ? text : "");
        control_reply(c, reply);
}

static void control_too_long(Control *c) {
        fprintf(stderr, "sriov-testbed: control: a line longer than %d bytes, dropped\n", CONTROL_LINE_MAX);
        control_reply(c, "error line too long");
}

static int control_io_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Control *c = userdata;
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                g_string_append_len(c->partial, buf, n);
        char *nl;
        while ((nl = memchr(c->partial->str, '\n', c->partial->len))) {
                gsize len = (gsize) (nl - c->partial->str);
                g_autofree char *line = g_strndup(c->partial->str, len);
                g_string_erase(c->partial, 0, (gssize) len + 1);
                if (c->overlong)
                        c->overlong = false;    /* its reply went out when it grew too long */
                else if (len > CONTROL_LINE_MAX)
                        control_too_long(c);
                else
                        control_line(c, line);
        }
        /* a writer that never ends its line must not grow this without bound; the line still gets one reply */
        if (c->partial->len > CONTROL_LINE_MAX) {
                g_string_truncate(c->partial, 0);
                if (!c->overlong)
                        control_too_long(c);
                c->overlong = true;
        }
        return 0;
}

static int control_fifo(const char *path, int *ret_fd) {
        if (mkfifo(path, 0600) < 0) {
                int r = -errno;
                fprintf(stderr, "sriov-testbed: --control: %s: %s\n", path, strerror(-r));
                return r;
        }
        /* read and write: the FIFO never reads as end of file between two writers, a client's open
         * never waits for the other end, and a reply waits in the pipe for a reader that comes later */
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                fprintf(stderr, "sriov-testbed: --control: %s: %s\n", path, strerror(-r));
                (void) unlink(path);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

static int control_new(FakeKernel *k, const char *path, Control **ret) {
        g_autoptr(Control) c = g_new0(Control, 1);
        c->k = k;
        c->fd = -EBADF;
        c->reply_fd = -EBADF;
        c->partial = g_string_new(NULL);
        c->holders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        int r = control_fifo(path, &c->fd);
        if (r < 0)
                return r;
        c->path = g_strdup(path);
        g_autofree char *reply_path = g_strdup_printf("%s.reply", path);
        r = control_fifo(reply_path, &c->reply_fd);
        if (r < 0)
                return r;
        c->reply_path = g_steal_pointer(&reply_path);
        r = sd_event_add_io(fake_kernel_event(k), &c->source, c->fd, EPOLLIN, control_io_cb, c);
        if (r < 0) {
                fprintf(stderr, "sriov-testbed: --control: %s\n", strerror(-r));
                return r;
        }
        *ret = g_steal_pointer(&c);
        return 0;
}

/* --writes: "PATH VALUE => RESULT" */
static void write_result_line(FILE *f, const FakeWrite *w) {
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

/* --write-times: "RECEIVED ANSWERED BDF ATTR" */
static void write_times_line(FILE *f, const FakeWrite *w) {
        fprintf(f, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %s %s\n", w->received_usec, w->usec,
                w->device ? w->device : "-", w->attribute);
}

/* Appends one line per write the kernel answered to path. */
static void write_each(FakeKernel *k, const char *path, void (*line)(FILE *f, const FakeWrite *w)) {
        FILE *f = fopen(path, "ae");
        if (!f) {
                fprintf(stderr, "sriov-testbed: %s: %m\n", path);
                return;
        }
        for (size_t i = 0; i < fake_kernel_n_writes(k); i++)
                line(f, fake_kernel_write_at(k, i));
        fclose(f);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "hw", required_argument, NULL, 'H' },
                { "line", required_argument, NULL, 'l' },
                { "fault", required_argument, NULL, 'f' },
                { "latency", required_argument, NULL, 'L' },
                { "writes", required_argument, NULL, 'w' },
                { "write-times", required_argument, NULL, 't' },
                { "control", required_argument, NULL, 'c' },
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

        const char *writes = NULL, *times = NULL, *control_path = NULL;
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
                case 'L':
                        r = parse_latency(k, optarg);
                        break;
                case 'w':
                        writes = optarg;
                        r = 0;
                        break;
                case 't':
                        times = optarg;
                        r = 0;
                        break;
                case 'c':
                        control_path = optarg;
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

        /* after the kernel, so it is freed first: its event source belongs to the kernel's loop */
        g_autoptr(Control) control = NULL;
        g_autofree char *control_env = NULL;
        if (control_path) {
                if (control_new(k, control_path, &control) < 0)
                        return 125;
                control_env = g_strdup_printf("SRIOV_TESTBED_CONTROL=%s", control_path);
        }

        /* rtnetlink and devlink for the fake PFs' netdevs, through sriovd's relay */
        __attribute__((cleanup(fake_netlink_freep))) FakeNetlink *netlink = fake_netlink_new(k);

        pid_t pid;
        r = fake_kernel_spawn(k, argv + optind, (char *[]) { (char *) fake_netlink_env(netlink), control_env, NULL }, &pid);
        if (r < 0) {
                fprintf(stderr, "sriov-testbed: cannot run %s: %s\n", argv[optind], strerror(-r));
                return 127;
        }

        int status = 0;
        gint64 stop_deadline = 0;
        for (;;) {
                r = fake_kernel_wait(k, pid, WAIT_SLICE_USEC, &status);
                if (r == 0)
                        break;
                if (r != -ETIMEDOUT) {
                        fprintf(stderr, "sriov-testbed: waiting for %s: %s\n", argv[optind], strerror(-r));
                        status = 125;
                        break;
                }
                if (received_signal && stop_deadline == 0) {
                        /* COMMAND stops first, while the kernel still answers: what it started (a daemon
                         * in the middle of a write, say) can finish and be stopped in order. */
                        (void) kill(pid, SIGTERM);
                        stop_deadline = g_get_monotonic_time() + STOP_GRACE_USEC;
                } else if (stop_deadline != 0 && g_get_monotonic_time() >= stop_deadline)
                        break;
        }
        if (received_signal)
                status = 128 + received_signal;
        if (writes)
                write_each(k, writes, write_result_line);
        if (times)
                write_each(k, times, write_times_line);
        return status;   /* the cleanup kills what still runs and removes the testbed */
}
