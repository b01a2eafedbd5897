/* Fuzzes the sysfs snapshot: the input describes a PF directory ("name=value" attribute files,
 * "@driver=", "@iommu=", "@net=", "@vfio=" links and dirs), then VFs ("\n====\n", "INDEX ADDRESS" and
 * their attributes), built in a temporary tree and read as sriovd reads /sys. "@uevent=ACTION
 * SYSNAME PHYSFN" lines go through the uevent classifier. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-util.h"
#include "sriovd/uevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PF "0000:3b:00.0"

static bool name_is_plain(const char *s) {
        if (!*s || strlen(s) > 40)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
                        return false;
        return true;
}

static void entry(const char *root, const char *dir, const char *key, const char *value) {
        char path[1024], target[512];
        int fd;

        if (streq(key, "@uevent")) {
                char action[16], sysname[32], physfn[64];
                UeventFacts f = { .action = action, .sysname = sysname };
                char pf[PCI_ADDRESS_MAX];
                int n = sscanf(value, "%15s %31s %63s", action, sysname, physfn);

                if (n >= 2) {
                        f.physfn = n == 3 ? physfn : NULL;
                        f.has_totalvfs = sysname[0] == '1';
                        f.known_pf = streq(sysname, PF);
                        (void) uevent_needs_physfn(&f);
                        (void) uevent_classify(&f, pf);
                }
                return;
        }
        if (key[0] == '@') {
                if (!name_is_plain(value))
                        return;
                if (streq(key, "@driver"))
                        snprintf(target, sizeof(target), "../drivers/%s", value);
                else if (streq(key, "@iommu"))
                        snprintf(target, sizeof(target), "../groups/%s", value);
                else if (streq(key, "@net") || streq(key, "@vfio")) {
                        snprintf(path, sizeof(path), "%s/%s/%s", root, dir, streq(key, "@net") ? "net" : "vfio-dev");
                        (void) mkdir(path, 0755);
                        snprintf(path, sizeof(path), "%s/%s/%s/%s", root, dir, streq(key, "@net") ? "net" : "vfio-dev", value);
                        (void) mkdir(path, 0755);
                        return;
                } else
                        return;
                snprintf(path, sizeof(path), "%s/%s/%s", root, dir, streq(key, "@driver") ? "driver" : "iommu_group");
                (void) symlink(target, path);
                return;
        }
        if (!name_is_plain(key))
                return;
        snprintf(path, sizeof(path), "%s/%s/%s", root, dir, key);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        (void) !write(fd, value, strlen(value));
        close(fd);
}

static void entries(const char *root, const char *dir, const uint8_t *p, size_t n) {
        char *text = strndup((const char *) p, n), *save = NULL;

        if (!text)
                return;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');

                if (!eq)
                        continue;
                *eq = '\0';
                entry(root, dir, line, eq + 1);
        }
        free(text);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char root[] = "/tmp/sriovd-fuzz.XXXXXX", path[512];
        const uint8_t *parts[9];
        size_t sizes[9], n;
        PfSnapshot *s = NULL;
        int fd;

        if (!mkdtemp(root))
                return 0;
        snprintf(path, sizeof(path), "%s/" PF, root);
        (void) mkdir(path, 0755);
        n = fuzz_split(data, size, "\n====\n", parts, sizes, ELEMENTSOF(parts));
        entries(root, PF, parts[0], sizes[0]);
        for (size_t i = 1; i < n; i++) {
                const char *nl = memchr(parts[i], '\n', sizes[i]);
                char head[64], address[32], link[64], target[64];
                size_t hlen = nl ? (size_t) (nl - (const char *) parts[i]) : sizes[i];
                unsigned index;

                if (hlen >= sizeof(head))
                        continue;
                memcpy(head, parts[i], hlen);
                head[hlen] = '\0';
                if (sscanf(head, "%u %31s", &index, address) != 2 || index > 64 || !name_is_plain(address) ||
                    streq(address, PF))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", root, address);
                if (mkdir(path, 0755) < 0)
                        continue;
                snprintf(link, sizeof(link), "virtfn%u", index);
                snprintf(target, sizeof(target), "../%s", address);
                snprintf(path, sizeof(path), "%s/" PF "/%s", root, link);
                (void) symlink(target, path);
                if (nl)
                        entries(root, address, (const uint8_t *) nl + 1, sizes[i] - hlen - 1);
        }

        snprintf(path, sizeof(path), "%s/" PF, root);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                if (sysfs_read_pf_at(fd, PF, &s) >= 0)
                        pf_snapshot_free(s);
                close(fd);
        }
        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}
