/* The system bus connection, named errors, and the org.sriovd1.Manager interface. */
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
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->policies->n_policies; i++) {
                r = sd_bus_message_append(reply, "s", m->policies->policies[i]->path);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_rejected(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append_strv(reply, m->policies->rejected);
}

static int property_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", strempty(m->status));
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_pfs; i++) {
                r = sd_bus_message_append(reply, "(so)", m->pfs[i]->address, m->pfs[i]->path);
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
        Manager *m = userdata;
        int r;

        log_info("reload asked for over D-Bus");
        r = manager_reload(m, &errors);
        if (r == -EBADMSG)
                return sd_bus_error_setf(error, SRIOVD_ERROR_INVALID_POLICY,
                                         "the policy files have errors; the policies in force stay:\n%s", strempty(errors));
        if (r < 0)
                return r;
        manager_update_status(m);
        return sd_bus_reply_method_return(msg, "u", (uint32_t) m->policies->n_policies);
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
        Manager *m = userdata;

        /* Without the bus nobody can ask about state; systemd restarts us (Restart=on-failure) and
         * everything is read afresh from sysfs. A job half way finishes first. */
        log_error("lost the system bus; stopping so that the service restarts");
        m->exit_code = 1;
        m->stopping = true;
        manager_check_stopped(m);
        return 0;
}

int bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_error_add_map(sriovd_bus_errors);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, BUS_MANAGER_PATH);
        if (r < 0)
                return r;
        m->bus = sd_bus_ref(bus);
        return bus_pf_register(m);
}

int bus_open(Manager *m) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system_with_description(&bus, "sriovd");
        if (r < 0) {
                log_warning_errno(r, "Cannot connect to the system bus, running without the D-Bus API: %m");
                return 0;
        }
        r = bus_register(m, bus);
        if (r < 0)
                return log_error_errno(r, "Cannot register sriovd's objects on the bus: %m");
        /* m->bus holds the connection now; closing it is bus_close()'s job. */
        bus = sd_bus_unref(bus);
        r = sd_bus_match_signal_async(m->bus, NULL, "org.freedesktop.DBus.Local", NULL, "org.freedesktop.DBus.Local",
                                      "Disconnected", on_disconnect, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the bus connection: %m");
        r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus: %m");
        return 0;
}

int bus_request_name(Manager *m) {
        int r;

        if (!m->bus)
                return 0;
        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot take the name %s (is another sriovd running?): %m", BUS_NAME);
        log_debug("on the system bus as %s", BUS_NAME);
        return 0;
}

void bus_close(Manager *m) {
        m->bus = sd_bus_flush_close_unref(m->bus);
}

void bus_manager_changed(Manager *m, const char *property) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, property, NULL);
}
