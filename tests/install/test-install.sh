#!/bin/bash
# `meson install --destdir` puts every file where a distribution's tools look for it, and nothing
# else; the service unit passes `systemd-analyze verify` and scores 4.0 or better in
# `systemd-analyze security`; the tmpfiles entry creates what it says.
set -euo pipefail
build=$1
man=$2          # "true" when the man pages are built

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The directories as this build was configured (a distribution configures --prefix=/usr).
eval "$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    if o["name"] in ("prefix", "bindir", "sbindir", "datadir", "mandir", "sysconfdir", "systemdsystemunitdir"):
        print("%s=%s" % (o["name"], o["value"]))
')"
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
unitdir=${systemdsystemunitdir:-$prefix/lib/systemd/system}
datadir=$(abs "$datadir")
mandir=$(abs "$mandir")

expected=(
        "$(abs "$sbindir")/sriovd"
        "$(abs "$bindir")/sriovctl"
        "$unitdir/sriovd.service"
        "$unitdir/sriovd-varlink.socket"
        "$prefix/lib/tmpfiles.d/sriovd.conf"
        "$datadir/dbus-1/system.d/org.sriovd1.conf"
        "$datadir/bash-completion/completions/sriovctl"
        "$(abs "$sysconfdir")/sriovd/sriovd.conf"
        "$datadir/doc/sriovd/examples/50-nic.conf"
        "$datadir/doc/sriovd/examples/60-nvme.conf"
        "$datadir/doc/sriovd/examples/70-gpu.conf"
        "$datadir/doc/sriovd/examples/80-driverless.conf"
)
if [ "$man" = true ]; then
        expected+=("$mandir/man8/sriovd.8" "$mandir/man8/sriovctl.8" "$mandir/man5/sriovd.d.5" "$mandir/man5/sriovd.conf.5")
fi
if [ "$prefix" = /usr ]; then
        # where Debian, Fedora and Arch keep them
        for f in /usr/sbin/sriovd /usr/bin/sriovctl /usr/lib/systemd/system/sriovd.service \
                 /usr/share/dbus-1/system.d/org.sriovd1.conf /etc/sriovd/sriovd.conf; do
                printf '%s\n' "${expected[@]}" | grep -qx "$f" || fail "$f is not where a distribution has it"
        done
fi

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log"; fail "meson install failed"; }
(cd "$tmp/root" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$tmp/installed"
printf '%s\n' "${expected[@]}" | sort >"$tmp/expected"
if ! diff -u "$tmp/expected" "$tmp/installed"; then
        fail "the installed files differ from the expected ones (- missing, + unexpected)"
fi
for f in "$(abs "$sbindir")/sriovd" "$(abs "$bindir")/sriovctl"; do
        [ "$(stat -c %a "$tmp/root$f")" = 755 ] || fail "$f is not mode 0755"
done
echo "installed: ${#expected[@]} files, each where expected"

# The unit as installed, its commands pointing into the destdir so that verify finds them.
unit=$tmp/sriovd.service
sed -e "s|^ExecStart=$(abs "$sbindir")/sriovd|ExecStart=$tmp/root$(abs "$sbindir")/sriovd|" \
    -e "s|^ExecReload=+$(abs "$bindir")/sriovctl|ExecReload=+$tmp/root$(abs "$bindir")/sriovctl|" \
        "$tmp/root$unitdir/sriovd.service" >"$unit"
grep -q "^ExecStart=$tmp/root" "$unit" || fail "ExecStart= does not name the installed sriovd"
grep -q "^ExecReload=+$tmp/root" "$unit" || fail "ExecReload= does not name the installed sriovctl"
grep -qx "BusName=org.sriovd1" "$unit" || fail "the unit does not name its bus name"
# the socket beside the service it starts, so verify resolves its Service=
socket=$tmp/sriovd-varlink.socket
cp "$tmp/root$unitdir/sriovd-varlink.socket" "$socket"
grep -qx "ListenStream=/run/sriovd/io.sriovd" "$socket" || fail "the socket is not where sriovd makes it"

verify=(systemd-analyze verify)
if [ "$man" = true ]; then
        export MANPATH=$tmp/root$mandir     # Documentation=man:... must resolve to the pages
else
        verify+=(--man=no)
fi
"${verify[@]}" "$unit" "$socket" >"$tmp/verify.log" 2>&1 || { cat "$tmp/verify.log"; fail "systemd-analyze verify failed"; }
# verify exits 0 on some problems it only prints
if grep -v "^$" "$tmp/verify.log" | grep -q .; then
        cat "$tmp/verify.log"
        fail "systemd-analyze verify complained"
fi
echo "systemd-analyze verify: clean"

systemd-analyze security --offline=yes --no-pager "$unit" >"$tmp/security.log" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for sriovd.service: \([0-9.]*\).*/\1/p' "$tmp/security.log")
[ -n "$score" ] || { cat "$tmp/security.log"; fail "no exposure level from systemd-analyze security"; }
echo "systemd-analyze security: exposure $score (4.0 or better required)"
python3 -c "import sys; sys.exit(0 if float('$score') <= 4.0 else 1)" ||
        { grep "✗" "$tmp/security.log"; fail "exposure $score is above 4.0"; }

# tmpfiles: the runtime policy directory, root's alone
systemd-tmpfiles --root="$tmp/tmpfiles" --create "$tmp/root$prefix/lib/tmpfiles.d/sriovd.conf" ||
        fail "systemd-tmpfiles rejected sriovd.conf"
[ "$(stat -c '%a %U' "$tmp/tmpfiles/run/sriovd.d")" = "755 root" ] || fail "/run/sriovd.d is not 0755 root"
echo "tmpfiles: /run/sriovd.d created 0755 root"
