/* sriovctl apply [PF] and reload: the changing verbs, root only. */
#include <stdio.h>
#include <stdlib.h>

#include "bus-client.h"
#include "sriovd/pci-address.h"

/* An apply waits for the kernel; a stuck write is reported by sriovd after its ApplyTimeoutSec=. */
#define APPLY_TIMEOUT_USEC (600 * UINT64_C(1000000))

int verb_apply(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        json_object *results = arg.json ? json_object_new_array() : NULL;
        int r, ret = EXIT_OK;

        if (argc > 1) {
                fprintf(stderr, "sriovctl: apply takes at most one PF\n");
                return EXIT_USAGE;
        }
        if (argc == 1 && !pci_address_is_valid(argv[0])) {
                fprintf(stderr, "sriovctl: \"%s\" is not a PCI address like 0000:3b:00.0\n", argv[0]);
                return EXIT_USAGE;
        }
        r = ctl_bus_connect(&bus);
        if (r != 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &call, "org.sriovd1", "/org/sriovd1", "org.sriovd1.Manager", "Apply");
        if (r >= 0)
                r = sd_bus_message_append(call, "s", argc == 1 ? argv[0] : "");
        if (r < 0)
                return ctl_bus_error("apply", NULL, r);
        r = sd_bus_call(bus, call, APPLY_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return ctl_bus_error("apply", &error, r);

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0) {
                const char *address, *state, *reason;
                bool ok;

                r = sd_bus_message_read(reply, "(sss)", &address, &state, &reason);
                if (r <= 0)
                        break;
                ok = streq(state, "applied") || streq(state, "unmanaged");
                if (!ok)
                        ret = EXIT_FAILURE_;
                if (results) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "address", json_object_new_string(address));
                        json_object_object_add(o, "state", json_object_new_string(state));
                        json_object_object_add(o, "reason", ctl_json_string(isempty(reason) ? NULL : reason));
                        json_object_array_add(results, o);
                } else
                        printf("%s: %s%s%s%s%s\n", address, ctl_state_color(state), state, ctl_color(ANSI_RESET),
                               isempty(reason) ? "" : ": ", strempty(reason));
        }
        if (r < 0) {
                fprintf(stderr, "sriovctl: sriovd's answer cannot be read: %s\n", strerror(-r));
                json_object_put(results);
                return EXIT_FAILURE_;
        }
        if (results)
                (void) ctl_json_print(results);
        return ret;
}

int verb_reload(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t n = 0;
        int r;

        if (argc > 0) {
                fprintf(stderr, "sriovctl: reload takes no arguments\n");
                return EXIT_USAGE;
        }
        r = ctl_bus_connect(&bus);
        if (r != 0)
                return r;
        r = sd_bus_call_method(bus, "org.sriovd1", "/org/sriovd1", "org.sriovd1.Manager", "Reload", &error, &reply, NULL);
        if (r < 0 && sd_bus_error_get_errno(&error) == EBADMSG) {
                /* The message lists every error with file:line; the old policies stay in force. */
                if (arg.json) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "reloaded", json_object_new_boolean(false));
                        json_object_object_add(o, "error", json_object_new_string(error.message));
                        (void) ctl_json_print(o);
                } else
                        fprintf(stderr, "sriovctl: %s\n", error.message);
                return EXIT_FAILURE_;
        }
        if (r < 0)
                return ctl_bus_error("reload", &error, r);
        r = sd_bus_message_read(reply, "u", &n);
        if (r < 0)
                return ctl_bus_error("reload", NULL, r);
        if (arg.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "reloaded", json_object_new_boolean(true));
                json_object_object_add(o, "policies", json_object_new_int((int) n));
                return ctl_json_print(o) < 0 ? EXIT_FAILURE_ : EXIT_OK;
        }
        printf("Reloaded: %u %s in force.\n", n, n == 1 ? "policy" : "policies");
        return EXIT_OK;
}
