#!/bin/bash
# config.sh: run in a kernel tree, writes the VM tests' minimal .config: everything built in (no
# modules), for QEMU/TCG with an emulated intel-iommu, SR-IOV NVMe PFs, vfio-pci, netdevsim, 9p.
set -euo pipefail

# What the guest needs, grouped by who needs it. Each must end up =y: a hidden dependency that is
# off makes olddefconfig drop an option without a word, so the end checks every one.
options=(
        # the machine and its console
        64BIT SMP X86_LOCAL_APIC X86_IO_APIC X86_X2APIC ACPI DMI DMIID
        PRINTK PRINTK_TIME EARLY_PRINTK BUG TTY UNIX98_PTYS SERIAL_8250 SERIAL_8250_CONSOLE
        # the initramfs, busybox and the host root's programs
        BLK_DEV_INITRD RD_GZIP KERNEL_GZIP BINFMT_ELF BINFMT_SCRIPT
        DEVTMPFS DEVTMPFS_MOUNT PROC_FS PROC_SYSCTL SYSFS SHMEM TMPFS TMPFS_POSIX_ACL TMPFS_XATTR
        # udevd, dbus-daemon, sriovd and setpriv: their system calls
        MULTIUSER FUTEX EPOLL SIGNALFD TIMERFD EVENTFD INOTIFY_USER FHANDLE FILE_LOCKING AIO
        POSIX_TIMERS ADVISE_SYSCALLS MEMBARRIER SYSVIPC POSIX_MQUEUE CGROUPS NAMESPACES NET_NS SECCOMP
        SLUB UNIX NET INET PACKET NETDEVICES
        # PCI, SR-IOV and the drivers a PF or VF gets
        PCI PCI_MSI PCIEPORTBUS HOTPLUG_PCI HOTPLUG_PCI_PCIE PCI_IOV PCI_PF_STUB PCI_STUB
        BLOCK BLK_DEV BLK_DEV_NVME NVME_CORE
        IOMMU_SUPPORT INTEL_IOMMU INTEL_IOMMU_DEFAULT_ON IRQ_REMAP VFIO VFIO_PCI
        # netdevsim's VFs and devlink eswitch, for the netlink layer
        DEBUG_FS DEBUG_FS_ALLOW_ALL NETDEVSIM NET_DEVLINK
        # the host root over 9p
        VIRTIO_MENU VIRTIO VIRTIO_PCI NETWORK_FILESYSTEMS NET_9P NET_9P_VIRTIO 9P_FS 9P_FS_POSIX_ACL
)
disabled=(SLOB KERNEL_XZ MODULES)

make -s tinyconfig
# twice: some options only appear once their parents are set
for pass in 1 2; do
        for o in "${options[@]}"; do scripts/config --enable "$o"; done
        if [ "$pass" = 1 ]; then
                for o in "${disabled[@]}"; do scripts/config --disable "$o"; done
        fi
        make -s olddefconfig
done

missing=()
for o in "${options[@]}"; do
        grep -q "^CONFIG_$o=y$" .config || missing+=("CONFIG_$o")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "the kernel configuration lacks: ${missing[*]}" >&2
        exit 1
fi
