/* The floor for coldplug: reads, once and with nothing else, the sysfs attributes and links that
 * sriovd's snapshot reads for every SR-IOV PF and its VFs. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char * const pf_attributes[] = {
        "sriov_totalvfs", "sriov_numvfs", "vendor", "device", "subsystem_vendor", "subsystem_device",
        "class", "sriov_vf_device", "sriov_offset", "sriov_stride", "sriov_vf_total_msix", "numa_node",
        "sriov_drivers_autoprobe", "sriov_unmanaged_autoprobe", "driver_override",
};
static const char * const vf_attributes[] = { "vendor", "device", "sriov_vf_msix_count", "driver_override" };
static const char * const links[] = { "iommu_group", "driver" };
static const char * const dirs[] = { "vfio-dev", "net" };

static size_t n_reads;

static void read_at(int dfd, const char *name) {
        char buf[4096];
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return;
        if (read(fd, buf, sizeof(buf)) >= 0)
                n_reads++;
        close(fd);
}

static void link_at(int dfd, const char *name) {
        char buf[4096];

        if (readlinkat(dfd, name, buf, sizeof(buf)) >= 0)
                n_reads++;
}

static void list_at(int dfd, const char *name) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while (readdir(d))
                ;
        n_reads++;
        closedir(d);
}

static void read_device(int fd, const char * const *attributes, size_t n) {
        for (size_t i = 0; i < n; i++)
                read_at(fd, attributes[i]);
        for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
                link_at(fd, links[i]);
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                list_at(fd, dirs[i]);
}

int main(void) {
        DIR *bus = opendir("/sys/bus/pci/devices");
        size_t n_pfs = 0, n_vfs = 0;
        struct dirent *de;

        if (!bus) {
                perror("/sys/bus/pci/devices");
                return 1;
        }
        while ((de = readdir(bus))) {
                int fd;

                if (de->d_name[0] == '.')
                        continue;
                fd = openat(dirfd(bus), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (faccessat(fd, "sriov_totalvfs", F_OK, 0) < 0) {
                        close(fd);
                        continue;
                }
                n_pfs++;
                read_device(fd, pf_attributes, sizeof(pf_attributes) / sizeof(pf_attributes[0]));
                for (unsigned i = 0;; i++) {
                        char name[32];
                        int vf;

                        snprintf(name, sizeof(name), "virtfn%u", i);
                        link_at(fd, name);
                        vf = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (vf < 0)
                                break;
                        n_vfs++;
                        read_device(vf, vf_attributes, sizeof(vf_attributes) / sizeof(vf_attributes[0]));
                        close(vf);
                }
                close(fd);
        }
        closedir(bus);
        printf("%zu PFs, %zu VFs, %zu reads\n", n_pfs, n_vfs, n_reads);
        return 0;
}
