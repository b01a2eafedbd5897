#!/bin/bash
# prepare.sh CACHE INIT [debian|debian-6.12|patched]: a kernel and an initramfs of busybox, INIT and
# the modules the VM tests need. "debian" (the default) is Debian's newest 6.1 kernel, "debian-6.12"
# the newest 6.12 of bookworm-backports (apt-get download, cached); "patched" is the project's own
# build of linux-source-6.1 with its SR-IOV patch (kernel/build.sh), everything built in. Prints
# "KERNEL INITRAMFS KVER".
set -euo pipefail
cache=$1
init=$2
flavour=${3:-debian}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/modules.sh
. "$here/modules.sh"
mkdir -p "$cache"
cd "$cache"

find_package() {
        apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -1
}

# Debian's kernel: sets kernel, kver and kroot (its unpacked package, whose modules the initramfs takes).
debian_kernel() {
        local pkg deb
        pkg=$(find_package)
        if [ -z "$pkg" ]; then
                apt-get update -q >/dev/null
                pkg=$(find_package)
        fi
        [ -n "$pkg" ] || { echo "no package matching $pattern in the apt lists" >&2; exit 1; }

        # A package already in the cache is used as it is: the tests should not wait on the mirror.
        deb=$(ls "$pkg"_*.deb 2>/dev/null | head -1 || true)
        if [ -z "$deb" ]; then
                echo "downloading $pkg" >&2
                apt-get download -q "$pkg" >/dev/null 2>&1 || apt-get download "$pkg" >&2
                deb=$(ls "$pkg"_*.deb | head -1)
        fi

        kroot=kroot-${deb%.deb}
        if [ ! -d "$kroot/lib/modules" ]; then
                rm -rf "$kroot.tmp"
                dpkg -x "$deb" "$kroot.tmp"
                depmod -b "$kroot.tmp" "$(ls "$kroot.tmp/lib/modules")"   # the package ships no modules.dep
                mv "$kroot.tmp" "$kroot"
        fi
        kver=$(ls "$kroot/lib/modules")
        kernel=$PWD/$kroot/boot/vmlinuz-$kver
}

case $flavour in
        debian | debian-6.12)
                if [ "$flavour" = debian ]; then
                        pattern='^linux-image-6\.1\.0-[0-9]+-amd64$'
                else
                        pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64$'
                fi
                debian_kernel
                modules="nvme vfio-pci vfio_iommu_type1 pci-pf-stub igb igbvf 9p 9pnet_virtio virtio_pci virtio_blk crc32c_generic ext4"
                ;;
        patched)
                # everything it needs is built in: no modules
                built=$("$here/kernel/build.sh" "$cache")
                read -r kernel kver <<<"$built"
                modules=
                ;;
        *)
                echo "unknown kernel $flavour (debian or patched)" >&2
                exit 1
                ;;
esac

key=$( (echo "$kver $modules"; cat "$init" "$here/modules.sh" /bin/busybox) | sha256sum | cut -c1-16)
initramfs=$PWD/initramfs-$key.cpio.gz
if [ ! -f "$initramfs" ]; then
        root=$(mktemp -d "$PWD/initrd.XXXXXX")
        mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,host}
        cp /bin/busybox "$root/bin/busybox"
        ln -s busybox "$root/bin/sh"
        install -m 0755 "$init" "$root/init"
        # shellcheck disable=SC2086  # the list of modules
        [ -z "$modules" ] || copy_modules "$kroot" "$kver" "$root" $modules
        (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initramfs.tmp"
        mv "$initramfs.tmp" "$initramfs"
        rm -rf "$root"
fi
echo "$kernel $initramfs $kver"
