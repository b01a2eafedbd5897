/* Test-only temporary trees, removed with nftw() when the test ends. */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "sriovd/macro.h"
#include "tmptree.h"

char *tmptree_new(void) {
        const char *t = getenv("TMPDIR");
        char *p;

        assert_true(asprintf(&p, "%s/sriovd-test.XXXXXX", isempty(t) ? "/tmp" : t) > 0);
        assert_non_null(mkdtemp(p));
        return p;
}

static void mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        assert_non_null(p);
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %m", p);
                *s = '/';
        }
}

void tmptree_write(const char *root, const char *relative, const char *content) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(content);

        assert_true(asprintf(&path, "%s/%s", root, relative) > 0);
        mkdir_parents(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, n), (ssize_t) n);
}

void tmptree_symlink(const char *root, const char *relative, const char *target) {
        _cleanup_free_ char *path = NULL;

        assert_true(asprintf(&path, "%s/%s", root, relative) > 0);
        mkdir_parents(path);
        assert_int_equal(symlink(target, path), 0);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void tmptree_free(char *root) {
        if (!root)
                return;
        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}
