/* dbus-daemon on a private socket, and clients run against it with their output kept. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bus-harness.h"
#include "daemon-harness.h"
#include "sriovd/macro.h"

extern char **environ;

struct TestBus {
        char *dir;
        char *socket;
        char *config;
        pid_t pid;
};

static char *read_file(const char *path) {
        char *text = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return strdup("");
        if (getdelim(&text, &n, '\0', f) < 0) {
                free(text);
                text = strdup("");
        }
        fclose(f);
        return text;
}

/* Every occurrence of from, replaced by to. */
static char *replace(const char *s, const char *from, const char *to) {
        char *r = strdup(s);

        assert_non_null(r);
        for (char *p; (p = strstr(r, from));) {
                char *t;

                assert_true(asprintf(&t, "%.*s%s%s", (int) (p - r), r, to, p + strlen(from)) > 0);
                free(r);
                r = t;
        }
        return r;
}

TestBus *test_bus_start(const char *config_template) {
        TestBus *b = calloc(1, sizeof(TestBus));
        _cleanup_free_ char *template = read_file(config_template), *step = NULL, *config = NULL, *address = NULL;
        char *argv[] = { (char *) "dbus-daemon", NULL, (char *) "--nofork", (char *) "--nopidfile", NULL };
        FILE *f;

        assert_non_null(b);
        assert_true(asprintf(&b->dir, "%s/sriovd-bus.XXXXXX", getenv("TMPDIR") ?: "/tmp") > 0);
        assert_non_null(mkdtemp(b->dir));
        /* nobody has to reach the socket too */
        assert_int_equal(chmod(b->dir, 0755), 0);
        assert_true(asprintf(&b->socket, "%s/socket", b->dir) > 0);
        assert_true(asprintf(&b->config, "%s/bus.conf", b->dir) > 0);
        step = replace(template, "@SOCKET@", b->socket);
        config = strstr(step, "@POLICY@") ? replace(step, "@POLICY@", BUS_POLICY) : strdup(step);
        f = fopen(b->config, "we");
        assert_non_null(f);
        assert_true(fputs(config, f) >= 0);
        assert_int_equal(fclose(f), 0);

        assert_true(asprintf(&argv[1], "--config-file=%s", b->config) > 0);
        assert_int_equal(posix_spawnp(&b->pid, "dbus-daemon", NULL, NULL, argv, environ), 0);
        free(argv[1]);
        for (int i = 0; i < 500 && access(b->socket, F_OK) < 0; i++)
                usleep(10000);
        assert_int_equal(access(b->socket, F_OK), 0);
        assert_true(asprintf(&address, "unix:path=%s", b->socket) > 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
        return b;
}

void test_bus_stop(TestBus *b) {
        if (!b)
                return;
        kill(b->pid, SIGTERM);
        (void) waitpid(b->pid, NULL, 0);
        unlink(b->config);
        unlink(b->socket);
        rmdir(b->dir);
        unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        free(b->dir);
        free(b->socket);
        free(b->config);
        free(b);
}

int run_client(FakeKernel *k, bool as_nobody, char **ret_output, const char *argv0, ...) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *output = NULL;
        const char *a;
        va_list ap;
        pid_t pid;
        int status = -1;

        if (as_nobody) {
                assert_int_equal(strv_extend(&argv, "setpriv"), 0);
                assert_int_equal(strv_extend(&argv, "--reuid=nobody"), 0);
                assert_int_equal(strv_extend(&argv, "--regid=nogroup"), 0);
                assert_int_equal(strv_extend(&argv, "--clear-groups"), 0);
        }
        assert_int_equal(strv_extend(&argv, argv0), 0);
        va_start(ap, argv0);
        while ((a = va_arg(ap, const char *)))
                assert_int_equal(strv_extend(&argv, a), 0);
        va_end(ap);

        assert_true(asprintf(&output, "%s/client.XXXXXX", getenv("TMPDIR") ?: "/tmp") > 0);
        close(mkstemp(output));
        /* Clients are not under the testbed: they talk to sriovd, not to sysfs. */
        assert_int_equal(fake_kernel_spawn_output(k, argv, (char *[]) { (char *) "LD_PRELOAD=", NULL }, output, &pid), 0);
        assert_int_equal(fake_kernel_wait(k, pid, 60 * SECOND, &status), 0);
        *ret_output = read_file(output);
        unlink(output);
        return status;
}
