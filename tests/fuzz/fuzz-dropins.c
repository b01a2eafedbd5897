/* Fuzzes drop-in resolution and loading: the input is a file tree ("@@ path" lines, each followed by
 * the file's text, "->null" for a /dev/null mask) under the four policy directories of a fresh root. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-util.h"
#include "sriovd/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool path_is_allowed(const char *p) {
        static const char * const dirs[] = { "etc/sriovd.d/", "run/sriovd.d/", "usr/local/lib/sriovd.d/", "usr/lib/sriovd.d/" };
        bool under = false;
        int depth = 0;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                under = under || startswith(p, dirs[i]);
        if (!under || strstr(p, "..") || strstr(p, "//") || p[strlen(p) - 1] == '/')
                return false;
        for (const char *c = p; *c; c++) {
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("._-/", *c)))
                        return false;
                depth += *c == '/';
        }
        return depth <= 5;
}

static void mkdir_parents(char *path) {
        for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                (void) mkdir(path, 0755);
                *s = '/';
        }
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char * const search[] = { "/etc/sriovd.d", "/run/sriovd.d", "/usr/local/lib/sriovd.d", "/usr/lib/sriovd.d", NULL };
        const uint8_t *parts[16];
        size_t sizes[16], n;
        char root[] = "/tmp/sriovd-fuzz.XXXXXX";
        PolicySet *s = NULL;

        if (!mkdtemp(root))
                return 0;
        n = fuzz_split(data, size, "\n@@ ", parts, sizes, ELEMENTSOF(parts));
        for (size_t i = 1; i < n; i++) {
                const char *nl = memchr(parts[i], '\n', sizes[i]);
                size_t plen = nl ? (size_t) (nl - (const char *) parts[i]) : sizes[i];
                char rel[256], full[512];
                const char *text = nl ? nl + 1 : "";
                size_t tlen = nl ? sizes[i] - plen - 1 : 0;
                int fd;

                if (plen == 0 || plen >= sizeof(rel) || memchr(parts[i], '\0', plen))
                        continue;
                memcpy(rel, parts[i], plen);
                rel[plen] = '\0';
                if (!path_is_allowed(rel))
                        continue;
                snprintf(full, sizeof(full), "%s/%s", root, rel);
                mkdir_parents(full);
                if (tlen == 6 && memcmp(text, "->null", 6) == 0) {
                        (void) symlink("/dev/null", full);
                        continue;
                }
                fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0)
                        continue;
                (void) !write(fd, text, tlen);
                close(fd);
        }

        if (policy_set_load(root, (char * const *) search, &s) >= 0) {
                for (size_t i = 0; i < s->n_policies; i++)
                        (void) policy_unmanaged(s->policies[i]);
                policy_set_unref(s);
        }
        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}
