#!/bin/bash
# build.sh CACHE: Debian's linux-source-6.1 with the patches beside this script, configured by
# config.sh and built under CACHE. Prints "BZIMAGE KVER". The image is kept by the hash of the source
# package's version, config.sh and the patches; the tree by that of the version and config.sh alone,
# so that a changed patch is reverted and the new one applied, and make rebuilds only what it touched.
set -euo pipefail
cache=$1
here=$(cd "$(dirname "$0")" && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
mkdir -p "$cache"
cd "$cache"
cache=$PWD

version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) && [ -f "$tarball" ] || {
        echo "linux-source-6.1 is not installed (apt-get install linux-source-6.1)" >&2
        exit 1
}
patches=("$here"/*.patch)
key=$( (echo "$version"; cat "$here/config.sh" "${patches[@]}") | sha256sum | cut -c1-16)
tree_key=$( (echo "$version"; cat "$here/config.sh") | sha256sum | cut -c1-16)
image=$PWD/bzImage-$key
tree=$PWD/linux-$tree_key

# Two runs on one cache must not build in one tree at once.
exec 9>kernel.lock
flock 9

if [ ! -f "$image" ]; then
        start=$(date +%s)
        log=$PWD/kernel-build.log
        : >"$log"
        # A tree left half patched by an interrupted run is not worth repairing: start again.
        if [ -d "$tree" ] && [ -f "$tree/.sriovd-patches" ]; then
                (cd "$tree" && patch -R -p1 -s <.sriovd-patches >>"$log" 2>&1 && rm .sriovd-patches) || rm -rf "$tree"
        elif [ -d "$tree" ] && [ ! -f "$tree/.sriovd-configured" ]; then
                rm -rf "$tree"
        fi
        if [ ! -d "$tree" ]; then
                echo "extracting $(basename "$tarball") $version" >&2
                rm -rf "$tree.tmp" linux-*/ bzImage-*
                mkdir "$tree.tmp"
                tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
                (cd "$tree.tmp" && "$here/config.sh") >>"$log" 2>&1 || {
                        tail -n 20 "$log" >&2
                        exit 1
                }
                touch "$tree.tmp/.sriovd-configured"
                mv "$tree.tmp" "$tree"
        fi
        cd "$tree"
        cat "${patches[@]}" >.sriovd-patches.new
        if ! patch -p1 -s --forward <.sriovd-patches.new >>"$log" 2>&1; then
                echo "the kernel patches do not apply to linux-source-6.1 $version:" >&2
                tail -n 20 "$log" >&2
                cd .. && rm -rf "$tree"
                exit 1
        fi
        mv .sriovd-patches.new .sriovd-patches
        echo "building the patched kernel with $(nproc) jobs (log: $log)" >&2
        if ! make -j"$(nproc)" bzImage >>"$log" 2>&1; then
                grep -E "error|Error" "$log" | head -n 20 >&2 || tail -n 20 "$log" >&2
                exit 1
        fi
        make -s kernelrelease >"$tree/.sriovd-kver"
        rm -f "$cache"/bzImage-*
        cp arch/x86/boot/bzImage "$image.tmp"
        mv "$image.tmp" "$image"
        cp .sriovd-kver "$image.kver"
        echo "built the patched kernel $(cat .sriovd-kver) in $(($(date +%s) - start)) s" >&2
fi
echo "$image $(cat "$image.kver")"
