#!/bin/bash
# rootfs.sh CACHE: a Debian 12 root file system for the systemd guest (mmdebstrap's minbase with
# systemd, dbus, udev, kmod and what sriovd links against), as a tarball cached in CACHE by the hash
# of its package list. Prints its path. Built from the mirror the host's apt already uses.
set -euo pipefail
cache=$1
mkdir -p "$cache"

# What a hypervisor's base system has for sriovd to run: the init system, the bus, udev, module
# loading, the libraries sriovd and sriovctl link against; and jq and procps for the scenarios.
packages="systemd systemd-sysv dbus udev kmod iproute2 libnl-3-200 libnl-route-3-200 libnl-genl-3-200
libpci3 pci.ids libjson-c5 procps jq"
suite=bookworm
variant=minbase

key=$(echo "$suite $variant $packages" | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$key.tar
if [ -f "$tarball" ]; then
        echo "$tarball"
        exit 0
fi

uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
uri=${uri:-http://deb.debian.org/debian}

echo "building the guest's root file system from $uri ($variant: $(echo $packages))" >&2
mmdebstrap --quiet --mode=root --variant="$variant" --format=tar --include="$(echo $packages | tr ' ' ,)" \
        "$suite" "$tarball.tmp" "$uri" >&2
mv "$tarball.tmp" "$tarball"
echo "$tarball"
