/* vfio-hold [--device-only] BDF: takes a PCI device through vfio the way qemu does (container, group,
 * type 1 IOMMU, device fd) and holds it until SIGTERM. A VM's grip on a VF, for the VM tests. With
 * --device-only it then closes the group and the container, which the kernel allows: the device
 * fd alone keeps the group, and no /dev/vfio node is left open for anyone to see. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/vfio.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

static int fail(const char *what) {
        fprintf(stderr, "vfio-hold: %s: %s\n", what, strerror(errno));
        return 1;
}

int main(int argc, char **argv) {
        char path[PATH_MAX], link[PATH_MAX], group_path[64];
        struct vfio_group_status status = { .argsz = sizeof(status) };
        int container, group, device;
        bool device_only = argc == 3 && strcmp(argv[1], "--device-only") == 0;
        ssize_t n;

        if (device_only) {
                argv++;
                argc--;
        }
        if (argc != 2) {
                fprintf(stderr, "usage: vfio-hold [--device-only] BDF\n");
                return 2;
        }
        /* what /proc/PID/comm shows, as for a real VM */
        prctl(PR_SET_NAME, "qemu-system-x86");

        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", argv[1]);
        n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
                return fail(path);
        link[n] = '\0';
        snprintf(group_path, sizeof(group_path), "/dev/vfio/%s", basename(link));

        container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (container < 0)
                return fail("/dev/vfio/vfio");
        group = open(group_path, O_RDWR | O_CLOEXEC);
        if (group < 0)
                return fail(group_path);
        if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0)
                return fail("VFIO_GROUP_GET_STATUS");
        if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
                errno = EBUSY;
                return fail("the group is not viable (not every device on vfio-pci)");
        }
        if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0)
                return fail("VFIO_GROUP_SET_CONTAINER");
        if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
                return fail("VFIO_SET_IOMMU");
        device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
        if (device < 0)
                return fail("VFIO_GROUP_GET_DEVICE_FD");

        if (device_only) {
                close(group);
                close(container);
                printf("holding %s through its device fd alone\n", argv[1]);
        } else
                printf("holding %s through %s\n", argv[1], group_path);
        fflush(stdout);
        for (;;)
                pause();
}
