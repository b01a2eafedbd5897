/* Parses sriovd.conf; same INI syntax as the policies, its own keys. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sriovd/daemon-config.h"
#include "sriovd/ini.h"
#include "sriovd/parse-util.h"

#define CONFIG_SIZE_MAX (64 * 1024)

typedef struct Context {
        DaemonConfig *config;
        const char *file;
        Diagnostics *diagnostics;
        bool in_daemon;
        bool in_unknown;
        unsigned n_errors;
        int oom;
} Context;

_printf_(4, 5)
static void report(Context *c, DiagnosticLevel level, unsigned line, const char *format, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0 || diagnostics_add(c->diagnostics, level, c->file, line, "%s", m) < 0)
                c->oom = -ENOMEM;
        if (level == DIAGNOSTIC_ERROR)
                c->n_errors++;
}

void daemon_config_init(DaemonConfig *c) {
        *c = (DaemonConfig) {
                .apply_timeout_usec = SRIOVD_APPLY_TIMEOUT_DEFAULT_USEC,
                .stop_timeout_usec = SRIOVD_STOP_TIMEOUT_DEFAULT_USEC,
                .udev_timeout_usec = SRIOVD_UDEV_TIMEOUT_DEFAULT_USEC,
                .log_level = -1,
        };
}

static void on_section(void *userdata, const char *name, unsigned line) {
        Context *c = userdata;

        c->in_daemon = name && streq(name, "Daemon");
        c->in_unknown = !c->in_daemon;
        if (name && !c->in_daemon)
                report(c, DIAGNOSTIC_WARNING, line, "unknown section [%s], ignoring it", name);
}

/* A time span key: empty sets the default back. expected says what a value must be when zero is
 * refused too; NULL accepts zero. */
static void time_key(Context *c, const char *key, const char *value, unsigned line, uint64_t *field,
                     uint64_t default_usec, const char *expected) {
        uint64_t usec;

        if (isempty(value)) {
                *field = default_usec;
                return;
        }
        if (parse_timespan(value, &usec) < 0 || (expected && usec == 0))
                return report(c, DIAGNOSTIC_ERROR, line, "%s=: \"%s\" is not %s", key, value,
                              expected ?: "a time span (like 10s, or 0 not to wait)");
        *field = usec;
}

static void on_assignment(void *userdata, const char *key, const char *value, unsigned line) {
        Context *c = userdata;
        int level;

        if (c->in_unknown)
                return;
        if (!c->in_daemon)
                return report(c, DIAGNOSTIC_ERROR, line, "%s= is outside of any section; it belongs under [Daemon]", key);

        if (streq(key, "ApplyTimeoutSec"))
                time_key(c, key, value, line, &c->config->apply_timeout_usec, SRIOVD_APPLY_TIMEOUT_DEFAULT_USEC,
                         "a time span above zero (like 30s or 2min)");
        else if (streq(key, "StopTimeoutSec"))
                time_key(c, key, value, line, &c->config->stop_timeout_usec, SRIOVD_STOP_TIMEOUT_DEFAULT_USEC,
                         "a time span above zero (like 10s)");
        else if (streq(key, "UdevTimeoutSec"))
                time_key(c, key, value, line, &c->config->udev_timeout_usec, SRIOVD_UDEV_TIMEOUT_DEFAULT_USEC,
                         NULL);
        else if (streq(key, "LogLevel")) {
                if (isempty(value)) {
                        c->config->log_level = -1;
                        return;
                }
                level = parse_log_level(value);
                if (level < 0)
                        return report(c, DIAGNOSTIC_ERROR, line, "%s=: \"%s\" is not a log level (err, warning, notice, info, debug)", key, value);
                c->config->log_level = level;
        } else
                report(c, DIAGNOSTIC_WARNING, line, "unknown key %s= in [Daemon], ignoring it", key);
}

static void on_syntax_error(void *userdata, const char *message, unsigned line) {
        report(userdata, DIAGNOSTIC_ERROR, line, "%s", message);
}

int daemon_config_parse(DaemonConfig *config, const char *file, const char *text, size_t size, Diagnostics *d) {
        static const IniCallbacks callbacks = {
                .section = on_section,
                .assignment = on_assignment,
                .syntax_error = on_syntax_error,
        };
        Context c = { .config = config, .file = file, .diagnostics = d };
        int r;

        r = ini_parse(text, size, &callbacks, &c);
        if (r < 0)
                return r;
        return c.oom ? c.oom : (int) c.n_errors;
}

int daemon_config_load(DaemonConfig *c, const char *path, Diagnostics *d) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *text = NULL;
        struct stat st;
        ssize_t n;
        int r;

        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                (void) diagnostics_add(d, DIAGNOSTIC_ERROR, path, 0, "cannot read the file: %s", strerror(-r));
                return -EINVAL;
        }
        if (fstat(fd, &st) >= 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
                return 0; /* /dev/null: the defaults, as a masked systemd file */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_SIZE_MAX) {
                (void) diagnostics_add(d, DIAGNOSTIC_ERROR, path, 0, "not a regular file of at most %d bytes", CONFIG_SIZE_MAX);
                return -EINVAL;
        }
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        n = read(fd, text, (size_t) st.st_size);
        if (n < 0) {
                r = -errno;
                (void) diagnostics_add(d, DIAGNOSTIC_ERROR, path, 0, "cannot read the file: %s", strerror(-r));
                return -EINVAL;
        }
        r = daemon_config_parse(c, path, text, (size_t) n, d);
        if (r < 0)
                return r;
        return r > 0 ? -EINVAL : 0;
}
