/* The writer's path check: only PCI attributes sriovd writes, whatever a plan was built from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "sriovd/sysfs.h"

static void test_paths(void **state) {
        static const struct {
                const char *path;
                int r;
        } table[] = {
                { "/sys/bus/pci/drivers_probe", 0 },
                { "/sys/bus/pci/devices/0000:99:1f.7/sriov_numvfs", 0 },
                { "/sys/bus/pci/devices/0000:99:1f.7/driver_override", 0 },
                { "/sys/bus/pci/drivers/vfio-pci/unbind", 0 },
                { "/sys/bus/pci/drivers/pci-pf-stub/bind", 0 },
                { "/sys/bus/pci/devices/0000:99:1f.7/../../../../etc/passwd", -EPERM },
                { "/sys/bus/pci/devices/../devices/0000:99:1f.7/remove", -EPERM },
                { "/sys/bus/pci/devices/0000:99:1f.7/driver/unbind", -EPERM },
                { "/sys/bus/pci/devices/0000:99:1f.7/", -EPERM },
                { "/sys/bus/pci/devices/0000:99:1F.7/sriov_numvfs", -EPERM },
                { "/sys/bus/pci/devices/0000:99:1f.7x/sriov_numvfs", -EPERM },
                { "/sys/bus/pci/drivers/vfio-pci/new_id", -EPERM },
                { "/sys/bus/pci/drivers/../../../etc/unbind", -EPERM },
                { "/sys/bus/pci/drivers//unbind", -EPERM },
                { "/sys/bus/pci/rescan", -EPERM },
                { "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/sriov_numvfs", -EPERM },
                { "/etc/shadow", -EPERM },
                { "", -EPERM },
        };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (sysfs_check_path(table[i].path) != table[i].r)
                        fail_msg("%s: got %d, expected %d", table[i].path, sysfs_check_path(table[i].path), table[i].r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "only device attributes, driver bind/unbind and drivers_probe under /sys/bus/pci", test_paths, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("sysfs-path", tests, NULL, NULL);
}
