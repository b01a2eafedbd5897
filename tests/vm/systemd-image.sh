#!/bin/bash
# systemd-image.sh SOURCE BUILD CACHE KROOT KVER IMAGE: the systemd guest's disk, an ext4 image of
# Debian 12 (tests/vm/rootfs.sh) with sriovd built and installed as README's "Installing on a host"
# says, enabled, the example policies in /etc/sriovd.d, kernel KVER's modules from KROOT (an
# unpacked linux-image package), an unprivileged user, a libvirtd stand-in and the scenarios.
set -euo pipefail
source=$1
build=$2
cache=$3
kroot=$4
kver=$5
image=$6
here=$source/tests/vm
# shellcheck source=tests/vm/modules.sh
. "$here/modules.sh"

tarball=$("$here/rootfs.sh" "$cache")

# README's commands, with the build directory kept between runs so that only what changed is
# rebuilt, and the installation into the guest's root instead of the host's.
release=$build/vm-systemd-release
if [ ! -f "$release/build.ninja" ]; then
        meson setup "$release" "$source" --prefix=/usr --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$release" >/dev/null

root=$(mktemp -d "${TMPDIR:-/tmp}/sriovd-vm-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
tar --numeric-owner -xf "$tarball" -C "$root"
meson install -C "$release" --destdir "$root" --quiet >/dev/null

# The host's configuration: policies from the shipped examples. The NIC example is written for ice;
# here it is edited for igb (which has no sriov_vf_msix_count, and a link speed of 1 Gb/s).
mkdir -p "$root/etc/sriovd.d"
examples=$root/usr/share/doc/sriovd/examples
cp "$examples/60-nvme.conf" "$examples/70-gpu.conf" "$examples/80-driverless.conf" "$root/etc/sriovd.d/"
sed -e 's/^Driver=ice$/Driver=igb/' -e 's/^Interface=ens\*$/Interface=en*/' -e 's/^VFDriver=iavf$/VFDriver=igbvf/' \
        -e '/^MSIXVectors=/d' -e '/^MaxTxRate=/d' "$examples/50-nic.conf" >"$root/etc/sriovd.d/50-nic.conf"
systemctl --root="$root" enable sriovd.service >/dev/null 2>&1

install -D -m 0644 "$here/systemd/modules.conf" "$root/etc/modules-load.d/sriovd-vmtest.conf"
copy_modules "$kroot" "$kver" "$root" nvme igb igbvf vfio-pci vfio_iommu_type1 pci-pf-stub virtio_pci virtio_blk ext4

# The test harness: the scenarios and what they use, a stand-in libvirtd ordered after sriovd, and a
# user without privileges. The serial console is the scenarios' own: no getty on it.
lib=$root/usr/local/lib/sriovd-vmtest
install -D -m 0755 "$here/systemd/scenarios.sh" "$lib/scenarios.sh"
install -m 0644 "$here/common.sh" "$lib/common.sh"
install -m 0755 "$here/systemd/libvirtd-standin" "$lib/"
install -m 0755 "$build/tests/vm/vfio-hold" "$lib/"
install -m 0644 "$here/systemd/libvirtd.service" "$here/systemd/sriovd-vmtest.service" "$root/etc/systemd/system/"
systemctl --root="$root" enable libvirtd.service sriovd-vmtest.service >/dev/null 2>&1
systemctl --root="$root" mask serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
        apt-daily-upgrade.timer >/dev/null 2>&1
useradd --root "$root" --create-home --shell /bin/bash tenant
echo sriovd-vm >"$root/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"

size=$(($(du -sm "$root" | cut -f1) + 384))
rm -f "$image"
mkfs.ext4 -q -F -L sriovd-vm -d "$root" "$image" "${size}M" >/dev/null
