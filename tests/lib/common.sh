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
        grep -v '^[[:space:]]*\(#\|$\|backports:\)' "$top/tests/packages" | while read -r p; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
        done
}

backports_packages() {
        sed -n 's/^backports:[[:space:]]*//p' "$top/tests/packages" | tr ' ' '\n' | grep -v '^$'
}

# The backports packages not installed at a backports version.
missing_backports() {
        local p
        backports_packages | while read -r p; do
                dpkg-query -W -f='${Status} ${Version}\n' "$p" 2>/dev/null | grep -q '^install ok installed .*~bpo' || echo "$p"
        done
}

backports_sources=/etc/apt/sources.list.d/sriovd-tests-backports.sources
backports_pin=/etc/apt/preferences.d/sriovd-tests

# Adds bookworm-backports from the mirror the system already uses, and pins the packages
# tests/packages takes from it (and only those) above the release.
add_backports() {
        local uri
        uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
        [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
        uri=${uri:-http://deb.debian.org/debian}
        printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
                "$uri" >"$backports_sources"
        printf 'Package: %s\nPin: release n=bookworm-backports\nPin-Priority: 500\n' \
                "$(backports_packages | tr '\n' ' ' | sed 's/ $//')" >"$backports_pin"
}

ensure_packages() {
        local missing backports
        command -v dpkg-query >/dev/null || die "this needs a Debian or Debian-based system (no dpkg-query)"
        missing=$(missing_packages | tr '\n' ' ')
        backports=$(missing_backports | tr '\n' ' ')
        [ -z "${missing// }" ] && [ -z "${backports// }" ] && [ -f "$backports_sources" ] && return 0
        if [ "$(id -u)" -ne 0 ]; then
                die "these packages are missing; run as root so they can be installed, or install them: $missing $backports(from bookworm-backports)"
        fi
        export DEBIAN_FRONTEND=noninteractive
        [ -f "$backports_sources" ] && [ -f "$backports_pin" ] || add_backports
        say "Installing ${missing}${backports:+(from bookworm-backports) $backports}"
        apt-get update -q >/dev/null || die "apt-get update failed"
        # shellcheck disable=SC2086
        [ -z "${missing// }" ] || apt-get install -y -q --no-install-recommends $missing >/dev/null ||
                die "apt-get install failed: $missing"
        # shellcheck disable=SC2086
        [ -z "${backports// }" ] || apt-get install -y -q --no-install-recommends $backports >/dev/null ||
                die "apt-get install from bookworm-backports failed: $backports"
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
