/* The apply record's text form and its file in the runtime directory. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sriovd/apply-record.h"
#include "sriovd/macro.h"
#include "sriovd/parse-util.h"

#define RECORD_SIZE_MAX (1024 * 1024)

ApplyRecord *apply_record_free(ApplyRecord *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_overrides; i++) {
                free(r->overrides[i].value);
                free(r->overrides[i].previous);
        }
        free(r->overrides);
        free(r->policy);
        free(r->writer_write);
        return mfree(r);
}

int apply_record_new(pid_t pid, uint64_t realtime_usec, const char *policy, ApplyRecord **ret) {
        _cleanup_(apply_record_freep) ApplyRecord *r = calloc(1, sizeof(ApplyRecord));

        if (!r)
                return -ENOMEM;
        r->pid = pid;
        r->realtime_usec = realtime_usec;
        r->drivers_autoprobe = r->unmanaged_autoprobe = -1;
        if (policy) {
                r->policy = strdup(policy);
                if (!r->policy)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

const RecordedOverride *apply_record_override(const ApplyRecord *r, const char *device) {
        for (size_t i = 0; r && i < r->n_overrides; i++)
                if (streq(r->overrides[i].device, device))
                        return &r->overrides[i];
        return NULL;
}

int apply_record_add_override(ApplyRecord *r, const char *device, const char *value, const char *previous) {
        _cleanup_free_ char *v = NULL, *p = NULL;
        RecordedOverride *o;

        if (!pci_address_is_valid(device) || !driver_name_is_valid(value) || (previous && !driver_name_is_valid(previous)))
                return -EINVAL;
        o = (RecordedOverride *) apply_record_override(r, device);
        if (o) {
                if (streq(o->value, value))
                        return 0;
                v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(o->value);
                o->value = TAKE_PTR(v);
                return 1;
        }
        v = strdup(value);
        p = previous ? strdup(previous) : NULL;
        if (!v || (previous && !p))
                return -ENOMEM;
        o = reallocarray(r->overrides, r->n_overrides + 1, sizeof(RecordedOverride));
        if (!o)
                return -ENOMEM;
        r->overrides = o;
        o = &o[r->n_overrides++];
        *o = (RecordedOverride) { .value = TAKE_PTR(v), .previous = TAKE_PTR(p) };
        memcpy(o->device, device, PCI_ADDRESS_MAX);
        return 1;
}

int apply_record_format(const ApplyRecord *r, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# sriovd: an apply in progress, removed once the PF is applied\n", f);
        fprintf(f, "PID=%d\nSTARTED=%" PRIu64 "\n", (int) r->pid, r->realtime_usec);
        if (r->policy)
                fprintf(f, "POLICY=%s\n", r->policy);
        if (r->drivers_autoprobe >= 0)
                fprintf(f, "DRIVERS_AUTOPROBE=%d\n", r->drivers_autoprobe);
        if (r->unmanaged_autoprobe >= 0)
                fprintf(f, "UNMANAGED_AUTOPROBE=%d\n", r->unmanaged_autoprobe);
        for (size_t i = 0; i < r->n_overrides; i++)
                fprintf(f, "OVERRIDE=%s %s %s\n", r->overrides[i].device, r->overrides[i].value,
                        r->overrides[i].previous ?: "-");
        if (r->writer > 0)
                fprintf(f, "WRITER=%d %s\n", (int) r->writer, strempty(r->writer_write));
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_flag(const char *v, int *ret) {
        unsigned u;
        int r = parse_u32(v, 1, &u);

        if (r < 0)
                return r;
        *ret = (int) u;
        return 0;
}

static int parse_pid(const char *v, const char **ret_rest, pid_t *ret) {
        char *end;
        long l;

        errno = 0;
        l = strtol(v, &end, 10);
        if (errno != 0 || end == v || l <= 0 || l > INT32_MAX || (*end && *end != ' '))
                return -EBADMSG;
        *ret = (pid_t) l;
        if (ret_rest)
                *ret_rest = *end ? end + 1 : end;
        return 0;
}

static int parse_override(ApplyRecord *r, const char *v) {
        _cleanup_strv_free_ char **w = NULL;
        int q;

        q = strv_split_whitespace(v, &w);
        if (q < 0)
                return q;
        if (strv_length(w) != 3)
                return -EBADMSG;
        q = apply_record_add_override(r, w[0], w[1], streq(w[2], "-") ? NULL : w[2]);
        return q == -EINVAL ? -EBADMSG : q;
}

static int parse_line(ApplyRecord *r, const char *line) {
        const char *v, *rest;
        char *end;

        if (line[0] == '\0' || line[0] == '#')
                return 0;
        if ((v = startswith(line, "PID=")))
                return parse_pid(v, NULL, &r->pid);
        if ((v = startswith(line, "STARTED="))) {
                errno = 0;
                r->realtime_usec = strtoull(v, &end, 10);
                return errno != 0 || end == v || *end ? -EBADMSG : 0;
        }
        if ((v = startswith(line, "POLICY=")))
                return free_and_strdup(&r->policy, v);
        if ((v = startswith(line, "DRIVERS_AUTOPROBE=")))
                return parse_flag(v, &r->drivers_autoprobe) < 0 ? -EBADMSG : 0;
        if ((v = startswith(line, "UNMANAGED_AUTOPROBE=")))
                return parse_flag(v, &r->unmanaged_autoprobe) < 0 ? -EBADMSG : 0;
        if ((v = startswith(line, "OVERRIDE=")))
                return parse_override(r, v);
        if ((v = startswith(line, "WRITER="))) {
                if (parse_pid(v, &rest, &r->writer) < 0)
                        return -EBADMSG;
                return free_and_strdup(&r->writer_write, rest);
        }
        /* a key a later sriovd wrote: what this one knows still holds */
        return 0;
}

int apply_record_parse(const char *text, ApplyRecord **ret) {
        _cleanup_(apply_record_freep) ApplyRecord *r = NULL;
        _cleanup_free_ char *copy = strdup(text);
        char *line, *save = NULL;
        int q;

        if (!copy)
                return -ENOMEM;
        q = apply_record_new(0, 0, NULL, &r);
        if (q < 0)
                return q;
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                q = parse_line(r, line);
                if (q < 0)
                        return q;
        }
        if (r->pid <= 0)
                return -EBADMSG;
        *ret = TAKE_PTR(r);
        return 0;
}

static int record_path(const char *dir, const char *pf, const char *suffix, char **ret) {
        if (!dir || !pci_address_is_valid(pf))
                return -EINVAL;
        return asprintf(ret, "%s/%s%s", dir, pf, suffix) < 0 ? -ENOMEM : 0;
}

int apply_record_save(const char *dir, const char *pf, const ApplyRecord *r) {
        _cleanup_free_ char *path = NULL, *tmp = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int q;

        q = record_path(dir, pf, "", &path);
        if (q >= 0)
                q = record_path(dir, pf, ".tmp", &tmp);
        if (q >= 0)
                q = apply_record_format(r, &text);
        if (q < 0)
                return q;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len) {
                q = errno > 0 ? -errno : -EIO;
                (void) unlink(tmp);
                return q;
        }
        if (rename(tmp, path) < 0) {
                q = -errno;
                (void) unlink(tmp);
                return q;
        }
        return 0;
}

int apply_record_load(const char *dir, const char *pf, ApplyRecord **ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;
        int q;

        q = record_path(dir, pf, "", &path);
        if (q < 0)
                return q;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size > RECORD_SIZE_MAX)
                return -EBADMSG;
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        n = read(fd, text, (size_t) st.st_size);
        if (n < 0)
                return -errno;
        text[n] = '\0';
        return apply_record_parse(text, ret);
}

int apply_record_remove(const char *dir, const char *pf) {
        _cleanup_free_ char *path = NULL;
        int q = record_path(dir, pf, "", &path);

        if (q < 0)
                return q;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}
