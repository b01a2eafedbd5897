/* The test side of a running sriovd: notify socket in the fake kernel's loop, log file, policy dir. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon-harness.h"
#include "sriovd/macro.h"

struct Daemon {
        FakeKernel *kernel;
        char *dir;
        char *policies;
        char *config;
        char *log;
        char *notify_path;
        int notify_fd;
        sd_event_source *notify_source;
        pid_t pid;
        bool exited;
        int status;
        bool ready;
        unsigned n_watchdog;
        char *last_status;
        char **env;
        const char *log_level;
};

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Daemon *d = userdata;
        char buf[4096];
        ssize_t n;

        while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
                char *save = NULL;

                buf[n] = '\0';
                for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        if (streq(line, "READY=1"))
                                d->ready = true;
                        else if (streq(line, "WATCHDOG=1"))
                                d->n_watchdog++;
                        else if (startswith(line, "STATUS=")) {
                                free(d->last_status);
                                d->last_status = strdup(line + 7);
                        }
                }
        }
        return 0;
}

static void write_file(const char *path, const char *text);

Daemon *daemon_new(FakeKernel *k) {
        Daemon *d = calloc(1, sizeof(Daemon));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *root = fake_kernel_root(k);

        assert_non_null(d);
        d->kernel = k;
        d->pid = -1;
        d->log_level = "debug";
        assert_true(asprintf(&d->dir, "%s/.sriovd", root) > 0);
        assert_int_equal(mkdir(d->dir, 0755), 0);
        assert_true(asprintf(&d->policies, "%s/policies", d->dir) > 0);
        assert_int_equal(mkdir(d->policies, 0755), 0);
        assert_true(asprintf(&d->config, "%s/sriovd.conf", d->dir) > 0);
        assert_true(asprintf(&d->log, "%s/sriovd.log", d->dir) > 0);
        assert_true(asprintf(&d->notify_path, "%s/notify", d->dir) > 0);
        assert_true(strlen(d->notify_path) < sizeof(sa.sun_path));
        daemon_write_config(d, "[Daemon]\nApplyTimeoutSec=10s\n");
        write_file(d->log, "");

        d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(d->notify_fd >= 0);
        strcpy(sa.sun_path, d->notify_path);
        assert_int_equal(bind(d->notify_fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(sd_event_add_io(fake_kernel_event(k), &d->notify_source, d->notify_fd, EPOLLIN, on_notify, d), 0);
        return d;
}

void daemon_free(Daemon *d) {
        if (!d)
                return;
        if (daemon_running(d)) {
                kill(d->pid, SIGKILL);
                (void) fake_kernel_wait(d->kernel, d->pid, 5 * SECOND, NULL);
        }
        sd_event_source_disable_unref(d->notify_source);
        close(d->notify_fd);
        free(d->dir);
        free(d->policies);
        free(d->config);
        free(d->log);
        free(d->notify_path);
        free(d->last_status);
        strv_free(d->env);
        free(d);
}

static void write_file(const char *path, const char *text) {
        _cleanup_free_ char *tmp = NULL;
        FILE *f;

        /* Renamed into place, as an editor or config management would, so no reader sees half. */
        assert_true(asprintf(&tmp, "%s.tmp", path) > 0);
        f = fopen(tmp, "we");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(rename(tmp, path), 0);
}

void daemon_write_policy(Daemon *d, const char *name, const char *text) {
        _cleanup_free_ char *path = NULL;

        assert_true(asprintf(&path, "%s/%s", d->policies, name) > 0);
        if (text)
                write_file(path, text);
        else
                assert_int_equal(unlink(path), 0);
}

void daemon_write_config(Daemon *d, const char *text) {
        write_file(d->config, text);
}

void daemon_setenv(Daemon *d, const char *assignment) {
        assert_int_equal(strv_extend(&d->env, assignment), 0);
}

unsigned daemon_n_watchdog(Daemon *d) {
        return d->n_watchdog;
}

void daemon_set_log_level(Daemon *d, const char *level) {
        d->log_level = level;
}

void daemon_start(Daemon *d) {
        _cleanup_free_ char *config = NULL, *path = NULL, *notify = NULL, *level = NULL;
        _cleanup_strv_free_ char **argv = NULL, **env = strv_copy(d->env);
        const char *wrapper = getenv("SRIOVD_TEST_WRAPPER");

        assert_false(daemon_running(d));
        d->ready = false;
        d->exited = false;
        assert_true(asprintf(&config, "--config=%s", d->config) > 0);
        assert_true(asprintf(&level, "--log-level=%s", d->log_level) > 0);
        assert_true(asprintf(&path, "SRIOVD_CONFIG_PATH=%s", d->policies) > 0);
        assert_true(asprintf(&notify, "NOTIFY_SOCKET=%s", d->notify_path) > 0);
        /* SRIOVD_TEST_WRAPPER runs the daemon under a tool, e.g. "valgrind --error-exitcode=99". */
        assert_int_equal(strv_split_whitespace(strempty(wrapper), &argv), 0);
        assert_int_equal(strv_extend(&argv, SRIOVD), 0);
        assert_int_equal(strv_extend(&argv, config), 0);
        assert_int_equal(strv_extend(&argv, level), 0);
        assert_non_null(env);
        /* Off the host's own system bus, unless the test brought a bus of its own. */
        if (!getenv("DBUS_SYSTEM_BUS_ADDRESS"))
                assert_int_equal(strv_extend(&env, "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/sriovd-test-bus"), 0);
        assert_int_equal(strv_extend(&env, path), 0);
        assert_int_equal(strv_extend(&env, notify), 0);
        assert_int_equal(fake_kernel_spawn_output(d->kernel, argv, env, d->log, &d->pid), 0);
}

static bool is_ready(FakeKernel *k, void *userdata) {
        Daemon *d = userdata;
        return d->ready || !daemon_running(d);
}

bool daemon_wait_ready(Daemon *d, uint64_t timeout_usec) {
        (void) fake_kernel_run(d->kernel, timeout_usec, is_ready, d);
        return d->ready;
}

typedef struct Wait {
        Daemon *daemon;
        const char *text;
        const char *pf;
        int n;
} Wait;

static bool log_has(FakeKernel *k, void *userdata) {
        Wait *w = userdata;
        return daemon_log_contains(w->daemon, w->text);
}

bool daemon_wait_log(Daemon *d, const char *text, uint64_t timeout_usec) {
        Wait w = { .daemon = d, .text = text };
        return fake_kernel_run(d->kernel, timeout_usec, log_has, &w) >= 0;
}

static bool status_is(FakeKernel *k, void *userdata) {
        Wait *w = userdata;
        return streq_ptr(w->daemon->last_status, w->text);
}

static bool status_has(FakeKernel *k, void *userdata) {
        Wait *w = userdata;
        return w->daemon->last_status && strstr(w->daemon->last_status, w->text);
}

bool daemon_wait_status(Daemon *d, const char *text, uint64_t timeout_usec) {
        Wait w = { .daemon = d, .text = text };
        return fake_kernel_run(d->kernel, timeout_usec, status_is, &w) >= 0;
}

bool daemon_wait_status_contains(Daemon *d, const char *text, uint64_t timeout_usec) {
        Wait w = { .daemon = d, .text = text };
        return fake_kernel_run(d->kernel, timeout_usec, status_has, &w) >= 0;
}

static bool has_num_vfs(FakeKernel *k, void *userdata) {
        Wait *w = userdata;
        return fake_kernel_num_vfs(k, w->pf) == w->n;
}

bool daemon_wait_num_vfs(Daemon *d, const char *pf, int n, uint64_t timeout_usec) {
        Wait w = { .daemon = d, .pf = pf, .n = n };
        return fake_kernel_run(d->kernel, timeout_usec, has_num_vfs, &w) >= 0;
}

void daemon_settle(Daemon *d, uint64_t usec) {
        (void) fake_kernel_run(d->kernel, usec, NULL, NULL);
}

void daemon_signal(Daemon *d, int sig) {
        assert_true(daemon_running(d));
        assert_int_equal(kill(d->pid, sig), 0);
}

int daemon_stop(Daemon *d) {
        int status = -1;

        daemon_signal(d, SIGTERM);
        assert_int_equal(fake_kernel_wait(d->kernel, d->pid, 20 * SECOND, &status), 0);
        d->exited = true;
        d->status = status;
        if (status != 0)
                daemon_dump(d);
        return status;
}

int daemon_wait_exit(Daemon *d, uint64_t timeout_usec) {
        int status = -1, r;

        r = fake_kernel_wait(d->kernel, d->pid, timeout_usec, &status);
        if (r < 0)
                return r;
        d->exited = true;
        d->status = status;
        return status;
}

bool daemon_running(Daemon *d) {
        if (d->pid <= 0 || d->exited)
                return false;
        /* The fake kernel reaps its children; a reaped pid no longer answers signal 0. */
        if (kill(d->pid, 0) < 0) {
                d->exited = true;
                return false;
        }
        return true;
}

pid_t daemon_pid(Daemon *d) {
        return d->pid;
}

const char *daemon_status(Daemon *d) {
        return d->last_status;
}

const char *daemon_log_path(Daemon *d) {
        return d->log;
}

char *daemon_log(Daemon *d) {
        _cleanup_(fclosep) FILE *f = fopen(d->log, "re");
        char *text = NULL;
        size_t size = 0, n;

        if (!f)
                return strdup("");
        for (;;) {
                char *t = realloc(text, size + 4096 + 1);

                assert_non_null(t);
                text = t;
                n = fread(text + size, 1, 4096, f);
                size += n;
                if (n < 4096)
                        break;
        }
        text[size] = '\0';
        /* a NUL in the middle would hide what comes after it */
        for (size_t i = 0; i < size; i++)
                if (text[i] == '\0')
                        text[i] = '@';
        return text;
}

bool daemon_log_contains(Daemon *d, const char *text) {
        _cleanup_free_ char *log = daemon_log(d);
        return strstr(log, text) != NULL;
}

void daemon_dump(Daemon *d) {
        _cleanup_free_ char *log = daemon_log(d);

        /* Not print_message(): cmocka cuts its messages at 1 KiB. */
        fflush(stdout);
        fprintf(stderr, "---- sriovd log ----\n%s---- end of log (status: %s) ----\n", log, strna(d->last_status));
}

size_t count_writes(FakeKernel *k, size_t from, const char *device_prefix, const char *attribute) {
        size_t n = 0;

        for (size_t i = from; i < fake_kernel_n_writes(k); i++) {
                const FakeWrite *w = fake_kernel_write_at(k, i);

                if (device_prefix && !(w->device && startswith(w->device, device_prefix)) &&
                    !(w->value && startswith(w->value, device_prefix)))
                        continue;
                if (attribute && !streq_ptr(w->attribute, attribute))
                        continue;
                n++;
        }
        return n;
}

const char *vf_address(FakeKernel *k, const char *pf, unsigned index) {
        static char buf[8][13];
        static unsigned next;
        char *b = buf[next++ % 8];

        assert_int_equal(fake_kernel_vf_address(k, pf, index, b), 0);
        return b;
}

char *read_attribute(FakeKernel *k, const char *bdf, const char *attribute) {
        _cleanup_free_ char *path = NULL;
        char *text = NULL;
        size_t n = 0;
        FILE *f;

        assert_true(asprintf(&path, "%s/sys/bus/pci/devices/%s/%s", fake_kernel_root(k), bdf, attribute) > 0);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        if (getline(&text, &n, f) < 0) {
                free(text);
                text = NULL;
        } else
                text[strcspn(text, "\n")] = '\0';
        fclose(f);
        return text;
}
