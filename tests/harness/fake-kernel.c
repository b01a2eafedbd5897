/* The fake kernel's life cycle and its shim socket: every sysfs write is answered here, in order, on sd-event. */
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fake-kernel-private.h"

/* The shim sends "<path>\n<data>"; sysfs takes one page, the shim sends a little more so
 * that oversized writes can be told apart. */
#define REQUEST_MAX (PATH_MAX + 65536 + 2)
#define BLOCKED_RECHECK_USEC (20 * 1000)
#define RUN_SLICE_USEC (10 * 1000)

struct Request {
        FakeKernel *k;
        int fd;
        sd_event_source *source;
        bool received;
        uint64_t received_usec;
        char *path;
        char *data;             /* NUL-terminated copy, as kernfs hands it to a store */
        size_t size;
        char *device;           /* BDF, or NULL */
        char *attribute;
        bool hung;              /* an injected hang holds it */
        sd_event_source *delay; /* an injected latency holds it until this fires */
        bool blocked;           /* a vfio user holds what it needs */
        bool orphaned;          /* its writer was killed while it waited: nobody gets the answer */
        bool kill_after;        /* the armed kill comes once its store took effect */
        char *before;           /* the attribute before the store */
};

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* umockdev's uevents are datagrams, and a receiver holds only net.unix.max_dgram_qlen
 * (10) unread ones; the limit is per network namespace, so a private one can raise it for
 * this process and every program it starts. */
static void private_network_namespace(void) {
        static bool done = false;
        if (done)
                return;
        done = true;

        if (geteuid() != 0) {
                fprintf(stderr, "fake-kernel: not root: monitors keep the default queue of 10 uevents; "
                                "the kernel holds back what they cannot take yet\n");
                return;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "fake-kernel: unshare(CLONE_NEWNET): %m; uevent queues stay small\n");
                return;
        }
        int fd = open("/proc/sys/net/unix/max_dgram_qlen", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "8192\n", 5) != 5)
                fprintf(stderr, "fake-kernel: cannot raise net.unix.max_dgram_qlen: %m\n");
        if (fd >= 0)
                close(fd);
}

static void request_free(Request *r) {
        if (!r)
                return;
        sd_event_source_disable_unref(r->source);
        sd_event_source_disable_unref(r->delay);
        if (r->fd >= 0)
                close(r->fd);
        g_free(r->path);
        g_free(r->data);
        g_free(r->device);
        g_free(r->attribute);
        g_free(r->before);
        g_free(r);
}

static void request_drop(FakeKernel *k, Request *r) {
        g_ptr_array_remove(k->requests, r);   /* frees it */
}

static void fake_write_free(FakeWrite *w) {
        if (!w)
                return;
        g_free(w->path);
        g_free(w->device);
        g_free(w->attribute);
        g_free(w->value);
        g_free(w->before);
        g_free(w);
}

static void fault_free(Fault *f) {
        if (!f)
                return;
        g_free(f->bdf);
        g_free(f->attribute);
        g_free(f);
}

static void render_written_file(FakeKernel *k, Request *r) {
        Device *d = r->device ? g_hash_table_lookup(k->devices, r->device) : NULL;
        if (d)
                device_render(k, d);
        else if (g_str_has_prefix(r->path, "/sys/module/"))
                module_files_render(k);
}

int fake_kernel_kill_process(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return -errno;
        int r = kill(pid, SIGKILL) < 0 ? -errno : 0;
        /* a pidfd polls readable once the process has exited, reaped or not */
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (r == 0 && poll(&p, 1, 10 * 1000) <= 0)
                r = -ETIMEDOUT;
        close(fd);
        return r;
}

static void kill_now(FakeKernel *k) {
        k->kill_armed = false;
        k->killed = true;
        int r = fake_kernel_kill_process(k->kill_pid);
        if (r < 0)
                g_warning("fake-kernel: cannot kill %d: %s", (int) k->kill_pid, g_strerror(-r));
}

static void request_finish(FakeKernel *k, Request *r, int result) {
        /* the writer opened with O_TRUNC: whatever the answer, the file shows the kernel's state again */
        render_written_file(k, r);
        if (r->kill_after)
                kill_now(k);

        FakeWrite *w = g_new0(FakeWrite, 1);
        w->path = g_strdup(r->path);
        w->device = g_strdup(r->device);
        w->attribute = g_strdup(r->attribute);
        w->value = g_strndup(r->data, r->size);
        size_t len = strlen(w->value);
        if (len > 0 && w->value[len - 1] == '\n')
                w->value[len - 1] = '\0';
        w->result = result == KERNEL_PASS ? (int) r->size : result;
        w->usec = now_usec();
        w->received_usec = r->received_usec;
        w->before = g_steal_pointer(&r->before);
        g_ptr_array_add(k->writes, w);

        int32_t answer = result;
        if (!r->orphaned && !r->kill_after && send(r->fd, &answer, sizeof(answer), MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
                g_warning("fake-kernel: cannot answer the write to %s: %s", r->path, g_strerror(errno));
        request_drop(k, r);
}

/* While a write waits, only the writer's hangup matters. */
static void request_wait(Request *r) {
        (void) sd_event_source_set_io_events(r->source, EPOLLRDHUP);
}

static int blocked_timer_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        kernel_recheck_blocked(userdata);
        return 0;
}

static void blocked_timer_arm(FakeKernel *k) {
        if (!k->blocked_timer) {
                if (sd_event_add_time_relative(k->event, &k->blocked_timer, CLOCK_MONOTONIC, BLOCKED_RECHECK_USEC, 0,
                                               blocked_timer_cb, k) < 0)
                        g_warning("fake-kernel: cannot arm the timer for blocked writes");
                return;
        }
        (void) sd_event_source_set_time_relative(k->blocked_timer, BLOCKED_RECHECK_USEC);
        (void) sd_event_source_set_enabled(k->blocked_timer, SD_EVENT_ONESHOT);
}

static void request_process(FakeKernel *k, Request *r) {
        g_autofree char *blocked_by = NULL;
        int result = kernel_write(k, r->path, r->data, r->size, &blocked_by);
        if (result == KERNEL_BLOCKED) {
                if (!r->blocked) {
                        r->blocked = true;
                        g_ptr_array_add(k->violations, g_steal_pointer(&blocked_by));
                        request_wait(r);
                }
                blocked_timer_arm(k);
                return;
        }
        r->blocked = false;
        request_finish(k, r, result);
}

void kernel_recheck_blocked(FakeKernel *k) {
        g_autoptr(GPtrArray) blocked = g_ptr_array_new();
        for (guint i = 0; i < k->requests->len; i++) {
                Request *r = k->requests->pdata[i];
                if (r->blocked && !r->hung)
                        g_ptr_array_add(blocked, r);
        }
        for (guint i = 0; i < blocked->len; i++)
                request_process(k, blocked->pdata[i]);
}

static bool fault_matches(const Fault *f, const Request *r) {
        if (f->bdf ? !r->device || fnmatch(f->bdf, r->device, 0) != 0 : r->device != NULL)
                return false;
        return fnmatch(f->attribute, r->attribute, 0) == 0;
}

static int fault_take(FakeKernel *k, Request *r) {
        for (guint i = 0; i < k->faults->len; i++) {
                Fault *f = k->faults->pdata[i];
                if (!fault_matches(f, r))
                        continue;
                int error = f->error;
                if (f->remaining > 0 && --f->remaining == 0)
                        g_ptr_array_remove_index(k->faults, i);
                return error;
        }
        return 0;
}

static uint64_t latency_of(FakeKernel *k, const Request *r) {
        for (guint i = 0; i < k->latencies->len; i++) {
                const Fault *f = k->latencies->pdata[i];
                if (fault_matches(f, r))
                        return f->delay_usec;
        }
        return 0;
}

static int delay_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        Request *r = userdata;
        r->delay = sd_event_source_disable_unref(r->delay);
        request_process(r->k, r);
        return 0;
}

static void request_start(FakeKernel *k, Request *r) {
        const char *attribute = NULL;
        Device *d = kernel_device_for_path(k, r->path, &attribute);
        if (d) {
                r->device = g_strdup(d->bdf);
                r->attribute = g_strdup(attribute);
        } else if (g_str_has_prefix(r->path, "/sys/bus/pci/"))
                r->attribute = g_strdup(r->path + strlen("/sys/bus/pci/"));
        else
                r->attribute = g_strdup(r->path + strlen("/sys/"));
        /* the file is empty since the writer's open(): show the state while the write is pending */
        render_written_file(k, r);
        if (r->device) {
                g_autofree char *file = g_strconcat(k->root, r->path, NULL);
                if (g_file_get_contents(file, &r->before, NULL, NULL))
                        g_strchomp(r->before);
        }
        if (k->kill_armed && k->n_received == k->kill_index) {
                if (k->kill_when == FAKE_KERNEL_KILL_DURING)
                        kill_now(k);
                else
                        r->kill_after = true;
        }
        k->n_received++;

        int fault = fault_take(k, r);
        if (fault == FAKE_KERNEL_HANG) {
                r->hung = true;
                request_wait(r);
                return;
        }
        if (fault > 0) {
                request_finish(k, r, -fault);
                return;
        }
        /* a slow store: other writes are answered meanwhile, as other devices' stores run in parallel */
        uint64_t delay = latency_of(k, r);
        if (delay > 0 && sd_event_add_time_relative(k->event, &r->delay, CLOCK_MONOTONIC, delay, 0, delay_cb, r) >= 0) {
                request_wait(r);
                return;
        }
        request_process(k, r);
}

static int request_io_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Request *r = userdata;
        FakeKernel *k = r->k;

        if (r->received) {
                if (!(revents & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
                        return 0;
                /* A waiting writer went away (killed). A store in progress runs to its end as the
                 * kernel's does; one waiting for a vfio user to let go gives up (EINTR), without
                 * its effect. */
                if (r->hung || r->delay) {
                        r->orphaned = true;
                        (void) sd_event_source_set_enabled(r->source, SD_EVENT_OFF);
                } else
                        request_finish(k, r, -EINTR);
                return 0;
        }

        g_autofree char *buf = g_malloc(REQUEST_MAX);
        ssize_t n = recv(fd, buf, REQUEST_MAX, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                request_drop(k, r);
                return 0;
        }
        char *nl = memchr(buf, '\n', (size_t) n);
        if (!nl || !g_str_has_prefix(buf, "/sys/")) {
                int32_t answer = KERNEL_PASS;
                (void) send(fd, &answer, sizeof(answer), MSG_NOSIGNAL);
                request_drop(k, r);
                return 0;
        }
        r->received = true;
        r->received_usec = now_usec();
        r->path = g_strndup(buf, (size_t) (nl - buf));
        r->size = (size_t) n - (size_t) (nl + 1 - buf);
        r->data = g_malloc(r->size + 1);
        memcpy(r->data, nl + 1, r->size);
        r->data[r->size] = '\0';
        request_start(k, r);
        return 0;
}

static int listen_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeKernel *k = userdata;
        for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (c < 0)
                        return 0;
                Request *r = g_new0(Request, 1);
                r->k = k;
                r->fd = c;
                if (sd_event_add_io(k->event, &r->source, c, EPOLLIN, request_io_cb, r) < 0) {
                        request_free(r);
                        continue;
                }
                g_ptr_array_add(k->requests, r);
        }
}

static int listen_socket(FakeKernel *k) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        g_autofree char *path = g_strdup_printf("%s/.kernel", k->root);
        if (strlen(path) >= sizeof(addr.sun_path)) {
                fprintf(stderr, "fake-kernel: socket path %s is too long; use a shorter TMPDIR\n", path);
                return -ENAMETOOLONG;
        }
        strcpy(addr.sun_path, path);
        k->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (k->listen_fd < 0)
                return -errno;
        if (bind(k->listen_fd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(k->listen_fd, 128) < 0)
                return -errno;
        return sd_event_add_io(k->event, &k->listen_source, k->listen_fd, EPOLLIN, listen_cb, k);
}

int fake_kernel_new(FakeKernel **ret) {
        if (!ret)
                return -EINVAL;
        private_network_namespace();

        __attribute__((cleanup(fake_kernel_freep))) FakeKernel *k = g_new0(FakeKernel, 1);
        k->listen_fd = -EBADF;
        k->next_ifindex = 2;
        k->requests = g_ptr_array_new_with_free_func((GDestroyNotify) request_free);
        k->devices = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) device_free);
        k->iommu_groups = g_hash_table_new(g_direct_hash, g_direct_equal);
        k->pfs = g_ptr_array_new();
        k->reserved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        k->drivers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) driver_free);
        k->faults = g_ptr_array_new_with_free_func((GDestroyNotify) fault_free);
        k->latencies = g_ptr_array_new_with_free_func((GDestroyNotify) fault_free);
        k->writes = g_ptr_array_new_with_free_func((GDestroyNotify) fake_write_free);
        k->violations = g_ptr_array_new_with_free_func(g_free);
        k->uevents = g_ptr_array_new_with_free_func(g_free);
        k->children = g_ptr_array_new();
        k->holders = g_ptr_array_new();
        g_queue_init(&k->backlog);

        /* umockdev_in_mock_environment() caches its answer: ask only after the testbed exists */
        k->testbed = umockdev_testbed_new();
        k->mock_env = umockdev_in_mock_environment();
        g_autofree char *root = umockdev_testbed_get_root_dir(k->testbed);
        k->root = realpath(root, NULL);
        if (!k->root)
                return -errno;
        g_autofree char *tmp = g_strdup_printf("%s/.tmp", k->root);
        if (mkdir(tmp, 0755) < 0)
                return -errno;
        /* the RUNTIME_DIRECTORY programs get (fake-kernel-spawn.c), as systemd creates it */
        g_autofree char *run = g_strdup_printf("%s/run/sriovd", k->root);
        if (g_mkdir_with_parents(run, 0755) < 0)
                return -errno;

        int r = bus_files_create(k);
        if (r < 0)
                return r;
        r = sd_event_new(&k->event);
        if (r < 0)
                return r;
        r = listen_socket(k);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&k);
        return 0;
}

FakeKernel *fake_kernel_free(FakeKernel *k) {
        if (!k)
                return NULL;
        /* closing the connections first lets hung writers return before they are killed */
        k->listen_source = sd_event_source_disable_unref(k->listen_source);
        if (k->listen_fd >= 0)
                close(k->listen_fd);
        g_clear_pointer(&k->requests, g_ptr_array_unref);
        if (k->children)
                children_free(k);
        if (k->holders)
                holders_free(k);
        k->blocked_timer = sd_event_source_disable_unref(k->blocked_timer);
        kernel_uevent_backlog_free(k);

        g_clear_pointer(&k->pfs, g_ptr_array_unref);
        g_clear_pointer(&k->devices, g_hash_table_unref);
        g_clear_pointer(&k->iommu_groups, g_hash_table_unref);
        g_clear_pointer(&k->reserved, g_hash_table_unref);
        g_clear_pointer(&k->drivers, g_hash_table_unref);
        g_clear_pointer(&k->udev_held, g_hash_table_unref);
        g_clear_pointer(&k->faults, g_ptr_array_unref);
        g_clear_pointer(&k->latencies, g_ptr_array_unref);
        g_clear_pointer(&k->writes, g_ptr_array_unref);
        g_clear_pointer(&k->violations, g_ptr_array_unref);
        g_clear_pointer(&k->uevents, g_ptr_array_unref);
        g_clear_pointer(&k->children, g_ptr_array_unref);
        g_clear_pointer(&k->holders, g_ptr_array_unref);
        k->event = sd_event_unref(k->event);
        g_clear_object(&k->testbed);   /* removes the testbed directory */
        free(k->root);
        g_free(k);
        return NULL;
}

const char *fake_kernel_root(FakeKernel *k) {
        return k ? k->root : NULL;
}

sd_event *fake_kernel_event(FakeKernel *k) {
        return k ? k->event : NULL;
}

int fake_kernel_inject(FakeKernel *k, const char *bdf, const char *attribute, int error, unsigned count) {
        if (!k || !attribute || (error <= 0 && error != FAKE_KERNEL_HANG))
                return -EINVAL;
        Fault *f = g_new0(Fault, 1);
        f->bdf = g_strdup(bdf);
        f->attribute = g_strdup(attribute);
        f->error = error;
        f->remaining = count;
        g_ptr_array_add(k->faults, f);
        return 0;
}

void fake_kernel_clear_faults(FakeKernel *k) {
        if (!k)
                return;
        g_ptr_array_set_size(k->faults, 0);
        g_ptr_array_set_size(k->latencies, 0);
}

int fake_kernel_set_latency(FakeKernel *k, const char *bdf, const char *attribute, uint64_t usec) {
        if (!k || !attribute || usec == 0)
                return -EINVAL;
        Fault *f = g_new0(Fault, 1);
        f->bdf = g_strdup(bdf);
        f->attribute = g_strdup(attribute);
        f->delay_usec = usec;
        g_ptr_array_add(k->latencies, f);
        return 0;
}

unsigned fake_kernel_n_hung(FakeKernel *k) {
        unsigned n = 0;
        if (!k)
                return 0;
        for (guint i = 0; i < k->requests->len; i++)
                n += ((Request *) k->requests->pdata[i])->hung;
        return n;
}

void fake_kernel_release_hangs(FakeKernel *k) {
        if (!k)
                return;
        g_autoptr(GPtrArray) hung = g_ptr_array_new();
        for (guint i = 0; i < k->requests->len; i++) {
                Request *r = k->requests->pdata[i];
                if (r->hung)
                        g_ptr_array_add(hung, r);
        }
        for (guint i = 0; i < hung->len; i++) {
                Request *r = hung->pdata[i];
                r->hung = false;
                request_process(k, r);
        }
}

int fake_kernel_kill_at(FakeKernel *k, size_t index, FakeKernelKill when, pid_t pid) {
        if (!k || pid <= 0 || (when != FAKE_KERNEL_KILL_DURING && when != FAKE_KERNEL_KILL_AFTER))
                return -EINVAL;
        k->kill_armed = true;
        k->killed = false;
        k->kill_index = k->n_received + index;
        k->kill_when = when;
        k->kill_pid = pid;
        return 0;
}

bool fake_kernel_killed(FakeKernel *k) {
        return k && k->killed;
}

size_t fake_kernel_n_received(FakeKernel *k) {
        return k ? k->n_received : 0;
}

unsigned fake_kernel_n_in_flight(FakeKernel *k) {
        unsigned n = 0;
        if (!k)
                return 0;
        for (guint i = 0; i < k->requests->len; i++)
                n += ((Request *) k->requests->pdata[i])->received;
        return n;
}

size_t fake_kernel_n_writes(FakeKernel *k) {
        return k ? k->writes->len : 0;
}

const FakeWrite *fake_kernel_write_at(FakeKernel *k, size_t i) {
        return k && i < k->writes->len ? k->writes->pdata[i] : NULL;
}

void fake_kernel_reset_writes(FakeKernel *k) {
        if (k)
                g_ptr_array_set_size(k->writes, 0);
}

size_t fake_kernel_n_violations(FakeKernel *k) {
        return k ? k->violations->len : 0;
}

const char *fake_kernel_violation_at(FakeKernel *k, size_t i) {
        return k && i < k->violations->len ? k->violations->pdata[i] : NULL;
}

size_t fake_kernel_n_uevents(FakeKernel *k) {
        return k ? k->uevents->len : 0;
}

const char *fake_kernel_uevent_at(FakeKernel *k, size_t i) {
        return k && i < k->uevents->len ? k->uevents->pdata[i] : NULL;
}

int fake_kernel_run(FakeKernel *k, uint64_t timeout_usec, bool (*until)(FakeKernel *k, void *userdata), void *userdata) {
        if (!k)
                return -EINVAL;
        uint64_t start = now_usec();
        uint64_t deadline = timeout_usec > UINT64_MAX - start ? UINT64_MAX : start + timeout_usec;
        for (;;) {
                if (until && until(k, userdata))
                        return 0;
                uint64_t now = now_usec();
                if (now >= deadline)
                        return until ? -ETIMEDOUT : 0;
                uint64_t slice = deadline - now < RUN_SLICE_USEC ? deadline - now : RUN_SLICE_USEC;
                int r = sd_event_run(k->event, slice);
                if (r < 0)
                        return r;
        }
}
