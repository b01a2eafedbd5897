/* sriovctl monitor: live changes, one line each: PFs added and removed, state, VF counts, drivers, holders. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <systemd/sd-event.h>

#include "bus-client.h"

typedef struct Monitor {
        sd_bus *bus;
        PfInfo *pfs;
        size_t n_pfs;
} Monitor;

static PfInfo *find(Monitor *m, const char *path) {
        for (size_t i = 0; i < m->n_pfs; i++)
                if (streq_ptr(m->pfs[i].path, path))
                        return &m->pfs[i];
        return NULL;
}

static void stamp(char buf[static 32]) {
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        snprintf(buf, 32, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* One change: "HH:MM:SS.mmm PF: what old -> new" or a JSON line. */
static void emit(const char *pf, const char *event, const char *what, const char *old, const char *new) {
        char t[32];

        if (arg.json) {
                json_object *o = json_object_new_object();
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                json_object_object_add(o, "time_usec", json_object_new_int64((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000));
                json_object_object_add(o, "pf", ctl_json_string(pf));
                json_object_object_add(o, "event", json_object_new_string(event));
                if (what)
                        json_object_object_add(o, "property", json_object_new_string(what));
                if (old || new) {
                        json_object_object_add(o, "old", ctl_json_string(old));
                        json_object_object_add(o, "new", ctl_json_string(new));
                }
                (void) ctl_json_print(o);
                return;
        }
        stamp(t);
        if (!pf)
                printf("%s %s\n", t, event);
        else if (!what)
                printf("%s %s%s%s: %s%s%s\n", t, ctl_color(ANSI_BOLD), strempty(pf), ctl_color(ANSI_RESET), event,
                       new ? " " : "", strempty(new));
        else
                printf("%s %s%s%s: %s %s -> %s\n", t, ctl_color(ANSI_BOLD), strempty(pf), ctl_color(ANSI_RESET), what,
                       isempty(old) ? "-" : old, isempty(new) ? "-" : new);
}

static void compare_str(const PfInfo *p, const char *what, const char *old, const char *new) {
        if (!streq(strempty(old), strempty(new)))
                emit(p->address, "changed", what, old, new);
}

static void compare_uint(const PfInfo *p, const char *what, long long old, long long new) {
        char a[32], b[32];

        if (old == new)
                return;
        snprintf(a, sizeof(a), "%lld", old);
        snprintf(b, sizeof(b), "%lld", new);
        emit(p->address, "changed", what, old < 0 ? NULL : a, new < 0 ? NULL : b);
}

static const VfInfo *find_vf(const PfInfo *p, const char *address) {
        for (size_t i = 0; i < p->n_vfs; i++)
                if (streq_ptr(p->vfs[i].address, address))
                        return &p->vfs[i];
        return NULL;
}

static void compare(const PfInfo *old, const PfInfo *new) {
        _cleanup_free_ char *os = NULL, *ns = NULL;

        if (asprintf(&os, "%s%s%s", strempty(old->state), isempty(old->state_reason) ? "" : ": ", strempty(old->state_reason)) < 0 ||
            asprintf(&ns, "%s%s%s", strempty(new->state), isempty(new->state_reason) ? "" : ": ", strempty(new->state_reason)) < 0)
                return;
        compare_str(new, "state", os, ns);
        compare_uint(new, "VFs", old->num_vfs, new->num_vfs);
        compare_uint(new, "wanted VFs", old->desired_num_vfs, new->desired_num_vfs);
        compare_str(new, "driver", old->driver, new->driver);
        compare_str(new, "policy", old->policy, new->policy);
        compare_str(new, "locked by", old->locked_by, new->locked_by);
        /* VFs that stayed and changed; their arrival and departure show in the VF count */
        for (size_t i = 0; i < new->n_vfs; i++) {
                const VfInfo *n = &new->vfs[i], *o = find_vf(old, n->address);
                char what[64], oh[64], nh[64];

                if (!o)
                        continue;
                snprintf(what, sizeof(what), "VF %u (%s) driver", n->index, n->address);
                compare_str(new, what, o->driver, n->driver);
                snprintf(oh, sizeof(oh), "%s (pid %u)", strempty(o->holder_comm), o->holder_pid);
                snprintf(nh, sizeof(nh), "%s (pid %u)", strempty(n->holder_comm), n->holder_pid);
                snprintf(what, sizeof(what), "VF %u (%s) held by", n->index, n->address);
                compare_str(new, what, o->holder_pid ? oh : NULL, n->holder_pid ? nh : NULL);
        }
}

static int copy_pf(const PfInfo *src, PfInfo *dst) {
        /* A deep copy through JSON would be slower; the fields are few. */
        *dst = (PfInfo) {
                .vendor = src->vendor, .device = src->device, .total_vfs = src->total_vfs, .num_vfs = src->num_vfs,
                .desired_num_vfs = src->desired_num_vfs, .drivers_autoprobe = src->drivers_autoprobe,
                .unmanaged_autoprobe = src->unmanaged_autoprobe, .hw_total_vfs = src->hw_total_vfs,
                .vf_offset = src->vf_offset, .vf_stride = src->vf_stride, .vf_device = src->vf_device,
        };
        dst->path = src->path ? strdup(src->path) : NULL;
        dst->address = src->address ? strdup(src->address) : NULL;
        dst->driver = src->driver ? strdup(src->driver) : NULL;
        dst->policy = src->policy ? strdup(src->policy) : NULL;
        dst->state = src->state ? strdup(src->state) : NULL;
        dst->state_reason = src->state_reason ? strdup(src->state_reason) : NULL;
        dst->locked_by = src->locked_by ? strdup(src->locked_by) : NULL;
        dst->vfs = calloc(src->n_vfs + 1, sizeof(VfInfo));
        if (!dst->vfs)
                return -ENOMEM;
        for (size_t i = 0; i < src->n_vfs; i++) {
                dst->vfs[i] = src->vfs[i];
                dst->vfs[i].address = strdup(strempty(src->vfs[i].address));
                dst->vfs[i].driver = strdup(strempty(src->vfs[i].driver));
                dst->vfs[i].holder_comm = strdup(strempty(src->vfs[i].holder_comm));
        }
        dst->n_vfs = src->n_vfs;
        return 0;
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Monitor *m = userdata;
        const char *interface;
        PfInfo *p, old;

        p = find(m, sd_bus_message_get_path(msg));
        if (!p || sd_bus_message_read(msg, "s", &interface) < 0 || !streq(interface, "org.sriovd1.PhysicalFunction"))
                return 0;
        if (copy_pf(p, &old) < 0)
                return 0;
        if (ctl_read_pf_properties(msg, p) >= 0)
                compare(&old, p);
        pf_info_clear(&old);
        return 0;
}

static int on_interfaces_added(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Monitor *m = userdata;
        const char *path;
        PfInfo *t, *p;
        int r;

        if (sd_bus_message_read(msg, "o", &path) < 0 || find(m, path))
                return 0;
        r = sd_bus_message_enter_container(msg, 'a', "{sa{sv}}");
        while (r > 0) {
                const char *interface;

                r = sd_bus_message_enter_container(msg, 'e', "sa{sv}");
                if (r <= 0 || sd_bus_message_read(msg, "s", &interface) < 0)
                        break;
                if (!streq(interface, "org.sriovd1.PhysicalFunction")) {
                        (void) sd_bus_message_skip(msg, "a{sv}");
                        (void) sd_bus_message_exit_container(msg);
                        continue;
                }
                t = reallocarray(m->pfs, m->n_pfs + 1, sizeof(PfInfo));
                if (!t)
                        return 0;
                m->pfs = t;
                p = &m->pfs[m->n_pfs++];
                *p = (PfInfo) { .path = strdup(path), .desired_num_vfs = -1, .unmanaged_autoprobe = -1 };
                if (ctl_read_pf_properties(msg, p) >= 0) {
                        _cleanup_free_ char *what = NULL;

                        if (asprintf(&what, "(%u VFs, %s)", p->num_vfs, strempty(p->state)) < 0)
                                what = NULL;
                        emit(p->address, "added", NULL, NULL, what);
                }
                break;
        }
        return 0;
}

static int on_interfaces_removed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Monitor *m = userdata;
        const char *path;
        PfInfo *p;

        if (sd_bus_message_read(msg, "o", &path) < 0 || !(p = find(m, path)))
                return 0;
        emit(p->address, "removed", NULL, NULL, NULL);
        pf_info_clear(p);
        memmove(p, p + 1, (size_t) (m->pfs + m->n_pfs - p - 1) * sizeof(PfInfo));
        m->n_pfs--;
        return 0;
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Monitor *m = userdata;
        const char *name, *old, *new;

        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0 || !streq(name, "org.sriovd1"))
                return 0;
        if (isempty(new)) {
                emit(NULL, "sriovd stopped", NULL, NULL, NULL);
                pf_infos_free(m->pfs, m->n_pfs);
                m->pfs = NULL;
                m->n_pfs = 0;
        } else {
                emit(NULL, "sriovd started", NULL, NULL, NULL);
                pf_infos_free(m->pfs, m->n_pfs);
                m->pfs = NULL;
                m->n_pfs = 0;
                (void) ctl_load_pfs(m->bus, &m->pfs, &m->n_pfs, NULL);
        }
        return 0;
}

int verb_monitor(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Monitor m = {};
        sigset_t mask;
        int r;

        if (argc > 0) {
                fprintf(stderr, "sriovctl: monitor takes no arguments\n");
                return EXIT_USAGE;
        }
        r = ctl_bus_connect(&bus);
        if (r != 0)
                return r;
        m.bus = bus;
        /* Each change is a line the moment it happens, also into a pipe or a file. */
        setvbuf(stdout, NULL, _IOLBF, 0);

        /* Subscribe first, then read the state: a change in between shows as a change, not a gap. */
        if ((r = sd_bus_match_signal(bus, NULL, "org.sriovd1", NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                     on_properties_changed, &m)) < 0 ||
            (r = sd_bus_match_signal(bus, NULL, "org.sriovd1", "/org/sriovd1", "org.freedesktop.DBus.ObjectManager",
                                     "InterfacesAdded", on_interfaces_added, &m)) < 0 ||
            (r = sd_bus_match_signal(bus, NULL, "org.sriovd1", "/org/sriovd1", "org.freedesktop.DBus.ObjectManager",
                                     "InterfacesRemoved", on_interfaces_removed, &m)) < 0 ||
            (r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameOwnerChanged", on_owner_changed, &m)) < 0)
                return ctl_bus_error("cannot subscribe to sriovd's changes", NULL, r);
        r = ctl_load_pfs(bus, &m.pfs, &m.n_pfs, NULL);
        if (r != 0)
                return r;
        if (arg.legend && !arg.json)
                fprintf(stderr, "Watching %zu PF%s; Ctrl-C stops.\n", m.n_pfs, m.n_pfs == 1 ? "" : "s");

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if ((r = sd_event_default(&event)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_bus_attach_event(bus, event, 0)) < 0)
                return ctl_bus_error("cannot set up the event loop", NULL, r);
        r = sd_event_loop(event);
        pf_infos_free(m.pfs, m.n_pfs);
        return r < 0 ? EXIT_FAILURE_ : EXIT_OK;
}
