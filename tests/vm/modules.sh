#!/bin/bash
# copy_modules KROOT KVER DEST MODULE...: the kernel modules MODULE... need, with their dependencies,
# from KROOT (an unpacked linux-image package) into DEST's /lib/modules/KVER, and their modules.dep.
# xz-compressed modules (6.12's) go in uncompressed: busybox's insmod reads no xz. Sourced.
copy_modules() {
        local kroot kver=$2 dest=$3 ko rel m
        kroot=$(realpath "$1")
        shift 3
        mkdir -p "$dest/lib/modules/$kver"
        for m in "$@"; do
                modprobe -d "$kroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
        done | sort -u | while read -r ko; do
                rel=${ko#"$kroot/"}
                mkdir -p "$dest/$(dirname "$rel")"
                case $ko in
                        *.ko.xz) xz -dc "$ko" >"$dest/${rel%.xz}" ;;
                        *) cp "$ko" "$dest/$rel" ;;
                esac
        done
        cp "$kroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$dest/lib/modules/$kver/"
        depmod -b "$dest" "$kver"
}
