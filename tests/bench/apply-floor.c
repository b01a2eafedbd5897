/* The floor for applying: exactly the writes sriovd needs to take PFs from no VFs to N VFs on a VF
 * driver, issued one after the other through sriovd's own sysfs writer, by a program that does
 * nothing else. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sriovd/sysfs.h"

static unsigned n_writes;

static int write_or_say(const char *path, const char *value) {
        int r = sysfs_write(path, value);

        if (r < 0) {
                fprintf(stderr, "apply-floor: %s=%s: %s\n", path, value, strerror(-r));
                return r;
        }
        n_writes++;
        return 0;
}

static int apply(const char *pf, const char *numvfs, const char *driver) {
        char path[PATH_MAX], target[256];
        unsigned n = (unsigned) strtoul(numvfs, NULL, 10);

        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_drivers_autoprobe", pf);
        if (write_or_say(path, "0") < 0)
                return -1;
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
        if (write_or_say(path, numvfs) < 0)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                ssize_t len;
                const char *vf;

                snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn%u", pf, i);
                len = readlink(path, target, sizeof(target) - 1);
                if (len < 0) {
                        fprintf(stderr, "apply-floor: %s: %m\n", path);
                        return -1;
                }
                target[len] = '\0';
                vf = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
                snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", vf);
                if (write_or_say(path, driver) < 0 || write_or_say("/sys/bus/pci/drivers_probe", vf) < 0)
                        return -1;
        }
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 4) {
                fprintf(stderr, "Usage: apply-floor NUMVFS VF-DRIVER PF...\n");
                return 2;
        }
        for (int i = 3; i < argc; i++)
                if (apply(argv[i], argv[1], argv[2]) < 0)
                        return 1;
        printf("%u writes\n", n_writes);
        return 0;
}
