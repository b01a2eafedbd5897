#!/bin/bash
# The daemon's dependencies point one way (README, "Layout"): each file includes only the headers of
# the layers below it, and the layers above hear from it through observer tables. Fails naming the
# include that points back up.
set -u
daemon=$1/daemon
status=0

# forbid FILE HEADER...: FILE must not include any of HEADERs.
forbid() {
        local file=$1 h
        shift
        for h in "$@"; do
                if grep -q "^#include \"$h\"" "$daemon/$file"; then
                        echo "daemon/$file includes $h: it may reach that layer only through an observer" >&2
                        status=1
                fi
        done
}

for f in worker.c worker.h job.c job.h guard.c execute.c netdev-apply.c; do
        forbid "$f" pf.h manager.h bus.h udev.h
done
forbid pf.c manager.h bus.h udev.h
forbid pf.h manager.h bus.h udev.h
forbid manager.c bus.h udev.h
forbid manager.h bus.h udev.h
forbid bus.c udev.h
forbid bus-pf.c udev.h
forbid bus.h udev.h
forbid udev.c bus.h
forbid udev.h bus.h
forbid vfio-watch.c bus.h
forbid link-watch.c bus.h
forbid varlink.c bus.h udev.h
forbid varlink.h bus.h udev.h

# the named files must exist, or the checks above check nothing
for f in worker.c job.c guard.c execute.c netdev-apply.c pf.c manager.c bus.c bus-pf.c udev.c vfio-watch.c varlink.c; do
        [ -f "$daemon/$f" ] || { echo "daemon/$f is gone: update this test with the new layout" >&2; status=1; }
done
[ "$status" -eq 0 ] && echo "daemon layering: every include points down"
exit "$status"
