/* Walks the policy search path the way systemd resolves its drop-in configuration. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sriovd/conf-files.h"
#include "sriovd/macro.h"

/* One name seen while walking the dirs; the first dir that has it wins. */
typedef struct Entry {
        char *name;
        char *path;
        bool masked;
} Entry;

typedef struct EntryList {
        Entry *items;
        size_t n;
} EntryList;

static void entry_list_clear(EntryList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].path);
        }
        free(l->items);
        *l = (EntryList) {};
}

static bool entry_list_has(const EntryList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].name, name))
                        return true;
        return false;
}

static int entry_cmp(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->name, ((const Entry *) b)->name);
}

static bool has_suffix(const char *name, const char *suffix) {
        size_t n = strlen(name), s = strlen(suffix);
        return n > s && streq(name + n - s, suffix);
}

/* systemd's rule: a symlink to /dev/null, or an empty regular file, masks the name. */
static int is_mask(int dfd, const char *name, bool *ret) {
        struct stat st;

        if (fstatat(dfd, name, &st, 0) < 0)
                return -errno;
        if (S_ISCHR(st.st_mode)) {
                *ret = major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
                return 0;
        }
        if (S_ISREG(st.st_mode)) {
                *ret = st.st_size == 0;
                return 0;
        }
        /* A directory or socket named *.conf is not a policy. */
        return -EISDIR;
}

static int join(const char *root, const char *a, const char *b, char **ret) {
        bool no_root = isempty(root) || streq(root, "/");
        char *p;

        if (asprintf(&p, "%s%s%s%s", no_root ? "" : root, a, b ? "/" : "", strempty(b)) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* Adds the *.conf files of one directory that no earlier directory has claimed. */
static int scan_dir(const char *path, EntryList *entries) {
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *full = NULL, *name = NULL;
                bool masked = false;
                Entry *t;
                int r;

                if (de->d_name[0] == '.' || !has_suffix(de->d_name, SRIOVD_POLICY_SUFFIX))
                        continue;
                if (entry_list_has(entries, de->d_name))
                        continue;
                r = is_mask(dirfd(d), de->d_name, &masked);
                if (r == -EISDIR || r == -ENOENT)
                        continue;
                if (r < 0)
                        masked = false; /* unreadable: keep it, so the parser reports why */
                name = strdup(de->d_name);
                if (!name || asprintf(&full, "%s/%s", path, de->d_name) < 0)
                        return -ENOMEM;
                t = reallocarray(entries->items, entries->n + 1, sizeof(Entry));
                if (!t)
                        return -ENOMEM;
                entries->items = t;
                entries->items[entries->n++] = (Entry) {
                        .name = TAKE_PTR(name),
                        .path = TAKE_PTR(full),
                        .masked = masked,
                };
        }
        return errno > 0 ? -errno : 0;
}

static int scan_dirs(const char *root, char * const *dirs, const char *subdir, EntryList *ret) {
        EntryList entries = {};
        int r;

        for (char * const *d = dirs; *d; d++) {
                _cleanup_free_ char *path = NULL;

                r = join(root, *d, subdir, &path);
                if (r < 0)
                        goto fail;
                r = scan_dir(path, &entries);
                if (r < 0)
                        goto fail;
        }
        if (entries.n > 0)
                qsort(entries.items, entries.n, sizeof(Entry), entry_cmp);
        *ret = entries;
        return 0;
fail:
        entry_list_clear(&entries);
        return r;
}

ConfFileList *conf_file_list_free(ConfFileList *l) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n_files; i++) {
                free(l->files[i].name);
                free(l->files[i].path);
                strv_free(l->files[i].dropins);
        }
        free(l->files);
        return mfree(l);
}

static int list_dropins(const char *root, char * const *dirs, const char *name, char ***ret) {
        _cleanup_free_ char *subdir = NULL;
        _cleanup_strv_free_ char **paths = calloc(1, sizeof(char *));
        EntryList entries = {};
        int r;

        if (!paths || asprintf(&subdir, "%s.d", name) < 0)
                return -ENOMEM;
        r = scan_dirs(root, dirs, subdir, &entries);
        if (r < 0)
                return r;
        for (size_t i = 0; i < entries.n; i++) {
                if (entries.items[i].masked)
                        continue;
                r = strv_extend(&paths, entries.items[i].path);
                if (r < 0)
                        break;
        }
        entry_list_clear(&entries);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(paths);
        return 0;
}

int conf_files_list(const char *root, char * const *dirs, ConfFileList **ret) {
        _cleanup_(conf_file_list_freep) ConfFileList *l = calloc(1, sizeof(ConfFileList));
        _cleanup_strv_free_ char **default_dirs = NULL;
        EntryList entries = {};
        int r;

        if (!l)
                return -ENOMEM;
        if (!dirs) {
                r = conf_files_search_path(&default_dirs);
                if (r < 0)
                        return r;
                dirs = default_dirs;
        }

        r = scan_dirs(root, dirs, NULL, &entries);
        if (r < 0)
                return r;

        l->files = calloc(entries.n ?: 1, sizeof(ConfFile));
        if (!l->files) {
                entry_list_clear(&entries);
                return -ENOMEM;
        }
        for (size_t i = 0; i < entries.n; i++) {
                ConfFile *f = &l->files[l->n_files++];

                f->name = TAKE_PTR(entries.items[i].name);
                f->path = TAKE_PTR(entries.items[i].path);
                f->masked = entries.items[i].masked;
                if (f->masked)
                        continue;
                r = list_dropins(root, dirs, f->name, &f->dropins);
                if (r < 0)
                        break;
        }
        entry_list_clear(&entries);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(l);
        return 0;
}

int conf_files_split_path(const char *path, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");

                if (n > 0 && strv_consume(&l, strndup(p, n)) < 0)
                        return -ENOMEM;
                p += n;
                if (*p == ':')
                        p++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int conf_files_search_path(char ***ret) {
        const char *e = getenv("SRIOVD_CONFIG_PATH");

        return conf_files_split_path(isempty(e) ? SRIOVD_POLICY_SEARCH_PATH : e, ret);
}
