/* Programs under the fake kernel: spawning them under the shim, reaping them, and vfio holders like qemu. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-kernel-private.h"

#ifndef FAKE_KERNEL_SHIM
#error "FAKE_KERNEL_SHIM must name the built libsriovd-test-shim.so"
#endif

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_POLL_USEC (10 * 1000)
#define TERM_GRACE_USEC (3 * 1000 * 1000)

struct Child {
        FakeKernel *k;
        pid_t pid;
        int pidfd;
        sd_event_source *source;
        bool exited;
        int status;             /* exit code, or 128 + signal */
};

struct Holder {
        pid_t pid;
};

static int status_from_siginfo(const siginfo_t *si) {
        if (si->si_code == CLD_EXITED)
                return si->si_status;
        return 128 + si->si_status;
}

static int status_from_wait(int wstatus) {
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 255;
}

static void child_exited(Child *c, int status) {
        c->exited = true;
        c->status = status;
        c->source = sd_event_source_disable_unref(c->source);
        if (c->pidfd >= 0) {
                close(c->pidfd);
                c->pidfd = -EBADF;
        }
}

static int child_pidfd_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Child *c = userdata;
        siginfo_t si = {};
        if (waitid((idtype_t) P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return 0;
        child_exited(c, status_from_siginfo(&si));
        return 0;
}

/* Without pidfds (old kernels), look every 10 ms. */
static int child_poll_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        Child *c = userdata;
        int wstatus;
        if (waitpid(c->pid, &wstatus, WNOHANG) == c->pid) {
                child_exited(c, status_from_wait(wstatus));
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, CHILD_POLL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int child_watch(FakeKernel *k, Child *c) {
        c->pidfd = (int) syscall(SYS_pidfd_open, c->pid, 0);
        if (c->pidfd >= 0)
                return sd_event_add_io(k->event, &c->source, c->pidfd, EPOLLIN, child_pidfd_cb, c);
        return sd_event_add_time_relative(k->event, &c->source, CLOCK_MONOTONIC, CHILD_POLL_USEC, 0, child_poll_cb, c);
}

static char **spawn_environment(FakeKernel *k, char * const *extra_env, int *ret_error) {
        char **env = g_get_environ();
        env = g_environ_setenv(env, "UMOCKDEV_DIR", k->root, TRUE);
        /* sriovd keeps its apply records there, as under systemd's RuntimeDirectory=: with the
         * testbed, not in the host's /run */
        g_autofree char *run = g_strdup_printf("%s/run/sriovd", k->root);
        env = g_environ_setenv(env, "RUNTIME_DIRECTORY", run, TRUE);
        /* replaced, not extended: an inherited preload (valgrind's, say) must not come first */
        env = g_environ_setenv(env, "LD_PRELOAD", FAKE_KERNEL_SHIM " libumockdev-preload.so.0", TRUE);
        const char *asan = g_environ_getenv(env, "ASAN_OPTIONS");
        if (!asan || !strstr(asan, "verify_asan_link_order")) {
                /* sanitized programs refuse to start when a preload precedes their runtime */
                g_autofree char *v = g_strdup_printf("%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
                env = g_environ_setenv(env, "ASAN_OPTIONS", v, TRUE);
        }
        for (char * const *e = extra_env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e) {
                        g_strfreev(env);
                        *ret_error = -EINVAL;
                        return NULL;
                }
                g_autofree char *key = g_strndup(*e, (size_t) (eq - *e));
                env = g_environ_setenv(env, key, eq + 1, TRUE);
        }
        return env;
}

int fake_kernel_spawn(FakeKernel *k, char * const *argv, char * const *extra_env, pid_t *ret_pid) {
        return fake_kernel_spawn_output(k, argv, extra_env, NULL, ret_pid);
}

int fake_kernel_spawn_output(FakeKernel *k, char * const *argv, char * const *extra_env, const char *output, pid_t *ret_pid) {
        if (!k || !argv || !argv[0])
                return -EINVAL;
        int error = 0;
        g_auto(GStrv) env = spawn_environment(k, extra_env, &error);
        if (!env)
                return error;

        /* children start with a clean signal state whatever the harness blocked for sd-event */
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t empty, defaults;
        sigemptyset(&empty);
        sigemptyset(&defaults);
        for (int sig = 1; sig < 32; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaddset(&defaults, sig);
        posix_spawnattr_setsigmask(&attr, &empty);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

        /* stdout and stderr appended to output, so a test can read what the program said */
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (output) {
                posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output, O_WRONLY | O_CREAT | O_APPEND, 0644);
                posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
        }

        k->booted = true;
        pid_t pid;
        int r = posix_spawnp(&pid, argv[0], &actions, &attr, argv, env);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;

        Child *c = g_new0(Child, 1);
        c->k = k;
        c->pid = pid;
        c->pidfd = -EBADF;
        r = child_watch(k, c);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                g_free(c);
                return r;
        }
        g_ptr_array_add(k->children, c);
        if (ret_pid)
                *ret_pid = pid;
        return 0;
}

static Child *find_child(FakeKernel *k, pid_t pid) {
        for (guint i = 0; i < k->children->len; i++) {
                Child *c = k->children->pdata[i];
                if (c->pid == pid)
                        return c;
        }
        return NULL;
}

static bool child_has_exited(FakeKernel *k, void *userdata) {
        return ((Child *) userdata)->exited;
}

static void child_free(Child *c) {
        sd_event_source_disable_unref(c->source);
        if (c->pidfd >= 0)
                close(c->pidfd);
        g_free(c);
}

int fake_kernel_wait(FakeKernel *k, pid_t pid, uint64_t timeout_usec, int *ret_status) {
        if (!k)
                return -EINVAL;
        Child *c = find_child(k, pid);
        if (!c)
                return -ECHILD;
        int r = fake_kernel_run(k, timeout_usec, child_has_exited, c);
        if (r < 0)
                return r;
        if (ret_status)
                *ret_status = c->status;
        g_ptr_array_remove(k->children, c);
        child_free(c);
        return 0;
}

void children_free(FakeKernel *k) {
        for (guint i = 0; i < k->children->len; i++) {
                Child *c = k->children->pdata[i];
                if (!c->exited)
                        (void) kill(c->pid, SIGTERM);
        }
        uint64_t deadline = now_usec() + TERM_GRACE_USEC;
        for (;;) {
                bool running = false;
                for (guint i = 0; i < k->children->len; i++) {
                        Child *c = k->children->pdata[i];
                        int wstatus;
                        if (!c->exited && waitpid(c->pid, &wstatus, WNOHANG) == c->pid)
                                child_exited(c, status_from_wait(wstatus));
                        running = running || !c->exited;
                }
                if (!running || now_usec() >= deadline)
                        break;
                (void) poll(NULL, 0, 10);
        }
        for (guint i = 0; i < k->children->len; i++) {
                Child *c = k->children->pdata[i];
                if (!c->exited) {
                        (void) kill(c->pid, SIGKILL);
                        (void) waitpid(c->pid, NULL, 0);
                }
                child_free(c);
        }
        g_ptr_array_set_size(k->children, 0);
}

/* The holder process: only async-signal-safe calls between fork() and _exit(). */
static _Noreturn void holder_main(int ready_fd, pid_t parent, const char *comm, const char *group, const char *cdev) {
        sigset_t all;
        sigfillset(&all);
        (void) sigprocmask(SIG_UNBLOCK, &all, NULL);
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(1);
        (void) prctl(PR_SET_NAME, comm);
        int error = 0;
        if (open(group, O_RDWR | O_CLOEXEC) < 0)
                error = errno;
        if (!error && cdev && open(cdev, O_RDWR | O_CLOEXEC) < 0)
                error = errno;
        (void) write(ready_fd, &error, sizeof(error));
        close(ready_fd);
        if (error)
                _exit(1);
        for (;;)
                pause();
}

int fake_kernel_hold(FakeKernel *k, const char *bdf, const char *comm, pid_t *ret_pid) {
        if (!k || !bdf)
                return -EINVAL;
        Device *d = kernel_find_device(k, bdf);
        if (!d)
                return -ENODEV;
        if (!d->driver || !streq(d->driver, VFIO_PCI))
                return -ENOENT;
        g_autofree char *group = vfio_group_path(k, d);
        g_autofree char *cdev = vfio_cdev_path(k, d);

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                close(p[0]);
                holder_main(p[1], parent, comm ? comm : "qemu-kvm", group, cdev);
        }
        close(p[1]);
        int error = 0;
        ssize_t n;
        do
                n = read(p[0], &error, sizeof(error));
        while (n < 0 && errno == EINTR);
        close(p[0]);
        if (n != sizeof(error) || error != 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return error ? -error : -EIO;
        }

        Holder *h = g_new0(Holder, 1);
        h->pid = pid;
        g_ptr_array_add(k->holders, h);
        if (ret_pid)
                *ret_pid = pid;
        return 0;
}

int fake_kernel_release_hold(FakeKernel *k, pid_t pid) {
        if (!k)
                return -EINVAL;
        for (guint i = 0; i < k->holders->len; i++) {
                Holder *h = k->holders->pdata[i];
                if (h->pid != pid)
                        continue;
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                g_ptr_array_remove_index(k->holders, i);
                g_free(h);
                /* what waited on this holder may proceed now, not a timer tick later */
                kernel_recheck_blocked(k);
                return 0;
        }
        return -ESRCH;
}

void holders_free(FakeKernel *k) {
        for (guint i = 0; i < k->holders->len; i++) {
                Holder *h = k->holders->pdata[i];
                (void) kill(h->pid, SIGKILL);
                (void) waitpid(h->pid, NULL, 0);
                g_free(h);
        }
        g_ptr_array_set_size(k->holders, 0);
}
