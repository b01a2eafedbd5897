/* The Bus object: the system bus connection, named errors, the org.sriovd1.Manager interface, and the
 * manager observer through which state changes reach the bus. */
#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "sriovd/bus-errors.h"

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_policy_files(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        const PolicySet *set = b->manager->context.policies;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < set->n_policies; i++) {
                r = sd_bus_message_append(reply, "s", set->policies[i]->path);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_rejected(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append_strv(reply, b->manager->context.policies->rejected);
}

static int property_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "s", strempty(b->manager->status));
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        Manager *m = b->manager;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_pfs; i++) {
                _cleanup_free_ char *path = bus_pf_path(m->pfs[i]->address);

                if (!path)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(so)", m->pfs[i]->address, path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *errors = NULL;
        Bus *b = userdata;
        Manager *m = b->manager;
        int r;

        log_info("reload asked for over D-Bus");
        r = manager_reload(m, &errors);
        if (r == -EBADMSG)
                return sd_bus_error_setf(error, SRIOVD_ERROR_INVALID_POLICY,
                                         "the policy files have errors; the policies in force stay:\n%s", strempty(errors));
        if (r < 0)
                return r;
        manager_update_status(m);
        return sd_bus_reply_method_return(msg, "u", (uint32_t) m->context.policies->n_policies);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("PolicyFiles", "as", property_policy_files, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RejectedPolicyFiles", "as", property_rejected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Status", "s", property_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Reading is open to everyone. The changing methods lack SD_BUS_VTABLE_UNPRIVILEGED, so on
         * the system bus sd-bus lets only callers with CAP_SYS_ADMIN (root) in: AccessDenied. */
        SD_BUS_METHOD_WITH_NAMES("ListPhysicalFunctions", "", , "a(so)", SD_BUS_PARAM(pfs), method_list,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Reload", "", , "u", SD_BUS_PARAM(policies), method_reload, 0),
        SD_BUS_METHOD_WITH_NAMES("Apply", "s", SD_BUS_PARAM(pf), "a(sss)", SD_BUS_PARAM(results), bus_method_apply, 0),
        SD_BUS_METHOD_WITH_NAMES("Explain", "s", SD_BUS_PARAM(pf),
                                 "sasssasasasis",
                                 SD_BUS_PARAM(policy) SD_BUS_PARAM(shadowed) SD_BUS_PARAM(state) SD_BUS_PARAM(reason)
                                 SD_BUS_PARAM(blockers) SD_BUS_PARAM(actions) SD_BUS_PARAM(notes)
                                 SD_BUS_PARAM(desired_num_vfs) SD_BUS_PARAM(enable_path),
                                 bus_method_explain, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("PhysicalFunctionAdded", "so", SD_BUS_PARAM(address) SD_BUS_PARAM(path), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PhysicalFunctionRemoved", "so", SD_BUS_PARAM(address) SD_BUS_PARAM(path), 0),
        SD_BUS_VTABLE_END,
};

static int on_disconnect(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        /* Without the bus nobody can ask about state; systemd restarts us (Restart=on-failure) and
         * everything is read afresh from sysfs. A job half way finishes first. */
        log_error("lost the system bus; stopping so that the service restarts");
        manager_stop(b->manager, 1);
        return 0;
}

static void on_manager_changed(const char *property, void *userdata) {
        Bus *b = userdata;

        (void) sd_bus_emit_properties_changed(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, property, NULL);
}

int bus_new(Manager *m, sd_bus *bus, Bus **ret) {
        Bus *b;
        int r;

        r = sd_bus_error_add_map(sriovd_bus_errors);
        if (r < 0)
                return r;
        b = calloc(1, sizeof(Bus));
        if (!b)
                return -ENOMEM;
        b->manager = m;
        b->bus = sd_bus_ref(bus);
        b->observer = (ManagerObserver) {
                .pf_added = bus_pf_added,
                .pf_removed = bus_pf_removed,
                .pf_changed = bus_pf_changed,
                .pf_settled = bus_pf_settled,
                .changed = on_manager_changed,
                .userdata = b,
        };
        if ((r = sd_bus_add_object_vtable(bus, NULL, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, manager_vtable, b)) < 0 ||
            (r = sd_bus_add_object_manager(bus, NULL, BUS_MANAGER_PATH)) < 0 ||
            (r = bus_pf_register(b)) < 0 ||
            (r = manager_add_observer(m, &b->observer)) < 0) {
                sd_bus_unref(b->bus);
                free(b);
                return r;
        }
        *ret = b;
        return 0;
}

int bus_open(Manager *m, Bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(bus_freep) Bus *b = NULL;
        int r;

        *ret = NULL;
        r = sd_bus_open_system_with_description(&bus, "sriovd");
        if (r < 0) {
                log_warning_errno(r, "Cannot connect to the system bus, running without the D-Bus API: %m");
                return 0;
        }
        r = bus_new(m, bus, &b);
        if (r < 0)
                return log_error_errno(r, "Cannot register sriovd's objects on the bus: %m");
        r = sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus.Local", NULL, "org.freedesktop.DBus.Local",
                                      "Disconnected", on_disconnect, NULL, b);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the bus connection: %m");
        r = sd_bus_attach_event(bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus: %m");
        /* b holds the connection now; closing it is bus_free()'s job. */
        bus = sd_bus_unref(bus);
        *ret = TAKE_PTR(b);
        return 0;
}

int bus_request_name(Bus *b) {
        int r;

        if (!b)
                return 0;
        r = sd_bus_request_name(b->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot take the name %s (is another sriovd running?): %m", BUS_NAME);
        log_debug("on the system bus as %s", BUS_NAME);
        return 0;
}

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;
        manager_remove_observer(b->manager, &b->observer);
        bus_pf_finish_all(b);
        free(b->calls);
        sd_bus_flush_close_unref(b->bus);
        return mfree(b);
}
