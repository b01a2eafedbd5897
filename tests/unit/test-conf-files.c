/* Drop-in resolution: search order, same-name overrides, masking, NAME.conf.d, SRIOVD_CONFIG_PATH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sriovd/conf-files.h"
#include "sriovd/macro.h"
#include "tmptree.h"

static const char *under(const char *root, const char *path) {
        static char buf[4096];
        snprintf(buf, sizeof(buf), "%s%s", root, path);
        return buf;
}

static void test_precedence_and_order(void **state) {
        char *root = tmptree_new();
        _cleanup_(conf_file_list_freep) ConfFileList *l = NULL;

        tmptree_write(root, "usr/lib/sriovd.d/50-nic.conf", "vendor\n");
        tmptree_write(root, "etc/sriovd.d/50-nic.conf", "admin\n");
        tmptree_write(root, "run/sriovd.d/50-nic.conf", "runtime\n");
        tmptree_write(root, "usr/local/lib/sriovd.d/10-first.conf", "x\n");
        tmptree_write(root, "run/sriovd.d/99-last.conf", "x\n");
        tmptree_write(root, "usr/lib/sriovd.d/README", "not a policy\n");
        tmptree_write(root, "usr/lib/sriovd.d/.hidden.conf", "x\n");
        tmptree_write(root, "etc/sriovd.d/dir.conf/x", "a directory named .conf\n");

        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 3);
        assert_string_equal(l->files[0].name, "10-first.conf");
        assert_string_equal(l->files[0].path, under(root, "/usr/local/lib/sriovd.d/10-first.conf"));
        assert_string_equal(l->files[1].name, "50-nic.conf");
        assert_string_equal(l->files[1].path, under(root, "/etc/sriovd.d/50-nic.conf"));
        assert_string_equal(l->files[2].path, under(root, "/run/sriovd.d/99-last.conf"));
        tmptree_free(root);
}

static void test_masking(void **state) {
        char *root = tmptree_new();
        _cleanup_(conf_file_list_freep) ConfFileList *l = NULL;

        tmptree_write(root, "usr/lib/sriovd.d/50-nic.conf", "[Match]\n");
        tmptree_symlink(root, "etc/sriovd.d/50-nic.conf", "/dev/null");
        tmptree_write(root, "usr/lib/sriovd.d/60-gpu.conf", "[Match]\n");
        tmptree_write(root, "run/sriovd.d/60-gpu.conf", "");
        tmptree_write(root, "usr/lib/sriovd.d/70-ok.conf", "[Match]\n");
        tmptree_write(root, "usr/lib/sriovd.d/70-ok.conf.d/10-a.conf", "a\n");
        tmptree_write(root, "usr/lib/sriovd.d/70-ok.conf.d/20-b.conf", "b\n");
        tmptree_symlink(root, "etc/sriovd.d/70-ok.conf.d/20-b.conf", "/dev/null");
        tmptree_write(root, "usr/lib/sriovd.d/50-nic.conf.d/10-x.conf", "x\n");

        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 3);
        assert_true(l->files[0].masked);
        assert_null(l->files[0].dropins);
        assert_true(l->files[1].masked);
        assert_false(l->files[2].masked);
        assert_int_equal(strv_length(l->files[2].dropins), 1);
        assert_string_equal(l->files[2].dropins[0], under(root, "/usr/lib/sriovd.d/70-ok.conf.d/10-a.conf"));
        tmptree_free(root);
}

static void test_dropins_across_dirs(void **state) {
        char *root = tmptree_new();
        _cleanup_(conf_file_list_freep) ConfFileList *l = NULL;

        tmptree_write(root, "usr/lib/sriovd.d/50-nic.conf", "[Match]\n");
        tmptree_write(root, "usr/lib/sriovd.d/50-nic.conf.d/20-vendor.conf", "v\n");
        tmptree_write(root, "usr/lib/sriovd.d/50-nic.conf.d/30-same.conf", "vendor\n");
        tmptree_write(root, "etc/sriovd.d/50-nic.conf.d/10-admin.conf", "a\n");
        tmptree_write(root, "etc/sriovd.d/50-nic.conf.d/30-same.conf", "admin\n");
        tmptree_write(root, "etc/sriovd.d/50-nic.conf.d/ignored.txt", "n\n");

        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 1);
        assert_int_equal(strv_length(l->files[0].dropins), 3);
        assert_string_equal(l->files[0].dropins[0], under(root, "/etc/sriovd.d/50-nic.conf.d/10-admin.conf"));
        assert_string_equal(l->files[0].dropins[1], under(root, "/usr/lib/sriovd.d/50-nic.conf.d/20-vendor.conf"));
        assert_string_equal(l->files[0].dropins[2], under(root, "/etc/sriovd.d/50-nic.conf.d/30-same.conf"));
        tmptree_free(root);
}

static void test_config_path(void **state) {
        char *root = tmptree_new();
        _cleanup_(conf_file_list_freep) ConfFileList *l = NULL;
        _cleanup_strv_free_ char **dirs = NULL;

        tmptree_write(root, "etc/sriovd.d/50-nic.conf", "[Match]\n");
        tmptree_write(root, "test/a/10-a.conf", "[Match]\n");
        tmptree_write(root, "test/b/10-a.conf", "[Match]\n");
        tmptree_write(root, "test/b/20-b.conf", "[Match]\n");

        assert_int_equal(setenv("SRIOVD_CONFIG_PATH", "/test/a::/test/b:", 1), 0);
        assert_int_equal(conf_files_search_path(&dirs), 0);
        assert_int_equal(strv_length(dirs), 2);
        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 2);
        assert_string_equal(l->files[0].path, under(root, "/test/a/10-a.conf"));
        assert_string_equal(l->files[1].path, under(root, "/test/b/20-b.conf"));
        conf_file_list_free(TAKE_PTR(l));

        assert_int_equal(setenv("SRIOVD_CONFIG_PATH", "", 1), 0);
        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 1);
        assert_string_equal(l->files[0].name, "50-nic.conf");
        unsetenv("SRIOVD_CONFIG_PATH");
        tmptree_free(root);
}

static void test_missing_and_unreadable_dirs(void **state) {
        char *root = tmptree_new();
        _cleanup_(conf_file_list_freep) ConfFileList *l = NULL;

        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 0);
        conf_file_list_free(TAKE_PTR(l));

        /* a file where a directory should be is as good as no directory */
        tmptree_write(root, "etc/sriovd.d", "not a dir\n");
        assert_int_equal(conf_files_list(root, NULL, &l), 0);
        assert_int_equal(l->n_files, 0);
        tmptree_free(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "/etc beats /run beats /usr/local/lib beats /usr/lib; files ordered by name", test_precedence_and_order, NULL, NULL, NULL },
                { "a /dev/null symlink or an empty file masks a name and its drop-ins", test_masking, NULL, NULL, NULL },
                { "NAME.conf.d drop-ins from every dir, same name overrides, ordered by name", test_dropins_across_dirs, NULL, NULL, NULL },
                { "SRIOVD_CONFIG_PATH replaces the search path; empty means the default", test_config_path, NULL, NULL, NULL },
                { "missing directories are fine", test_missing_and_unreadable_dirs, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("conf-files", tests, NULL, NULL);
}
