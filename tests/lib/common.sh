# Shared by tests/check and tests/demo: install what is missing, then build.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() {
        printf '\033[1m==> %s\033[0m\n' "$*" >&2
}

die() {
        printf 'error: %s\n' "$*" >&2
        exit 1
}

missing_packages() {
        local p
        grep -v '^[[:space:]]*\(#\|$\)' "$top/tests/packages" | while read -r p; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
        done
}

ensure_packages() {
        local missing
        command -v dpkg-query >/dev/null || die "this needs a Debian or Debian-based system (no dpkg-query)"
        missing=$(missing_packages | tr '\n' ' ')
        [ -z "${missing// }" ] && return 0
        if [ "$(id -u)" -ne 0 ]; then
                die "these packages are missing; run as root so they can be installed, or install them: $missing"
        fi
        say "Installing $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null || die "apt-get update failed"
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing >/dev/null || die "apt-get install failed: $missing"
}

# build DIR [meson options...]: configures DIR once, then builds it.
build() {
        local dir=$1
        shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$top" "$@" >/dev/null || die "meson setup $dir failed"
        fi
        ninja -C "$dir" >/dev/null || { ninja -C "$dir"; die "build in $dir failed"; }
}
