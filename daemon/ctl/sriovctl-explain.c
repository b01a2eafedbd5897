/* sriovctl explain PF: which policy matched, which were shadowed, the state, and the plan behind it. */
#include <stdio.h>
#include <stdlib.h>

#include "bus-client.h"
#include "sriovd/pci-address.h"

int verb_explain(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **shadowed = NULL, **blockers = NULL, **actions = NULL, **notes = NULL;
        const char *policy, *state, *reason, *path;
        int desired, r;

        if (argc != 1) {
                fprintf(stderr, "sriovctl: explain takes one PF, like 0000:3b:00.0\n");
                return EXIT_USAGE;
        }
        if (!pci_address_is_valid(argv[0])) {
                fprintf(stderr, "sriovctl: \"%s\" is not a PCI address like 0000:3b:00.0\n", argv[0]);
                return EXIT_USAGE;
        }
        r = ctl_bus_connect(&bus);
        if (r != 0)
                return r;
        r = sd_bus_call_method(bus, "org.sriovd1", "/org/sriovd1", "org.sriovd1.Manager", "Explain", &error, &reply, "s", argv[0]);
        if (r < 0)
                return ctl_bus_error("explain", &error, r);
        if ((r = sd_bus_message_read(reply, "s", &policy)) < 0 ||
            (r = sd_bus_message_read_strv(reply, &shadowed)) < 0 ||
            (r = sd_bus_message_read(reply, "ss", &state, &reason)) < 0 ||
            (r = sd_bus_message_read_strv(reply, &blockers)) < 0 ||
            (r = sd_bus_message_read_strv(reply, &actions)) < 0 ||
            (r = sd_bus_message_read_strv(reply, &notes)) < 0 ||
            (r = sd_bus_message_read(reply, "is", &desired, &path)) < 0) {
                fprintf(stderr, "sriovctl: sriovd's answer cannot be read: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }

        if (arg.json) {
                json_object *o = json_object_new_object();

                json_object_object_add(o, "address", json_object_new_string(argv[0]));
                json_object_object_add(o, "policy", ctl_json_string(isempty(policy) ? NULL : policy));
                json_object_object_add(o, "shadowed", ctl_json_strv(shadowed));
                json_object_object_add(o, "state", json_object_new_string(state));
                json_object_object_add(o, "reason", ctl_json_string(isempty(reason) ? NULL : reason));
                json_object_object_add(o, "blockers", ctl_json_strv(blockers));
                json_object_object_add(o, "desired_num_vfs", desired >= 0 ? json_object_new_int(desired) : NULL);
                json_object_object_add(o, "enable_path", ctl_json_string(isempty(path) ? NULL : path));
                json_object_object_add(o, "actions", ctl_json_strv(actions));
                json_object_object_add(o, "notes", ctl_json_strv(notes));
                return ctl_json_print(o) < 0 ? EXIT_FAILURE_ : EXIT_OK;
        }

        printf("%s%s%s\n", ctl_color(ANSI_BOLD), argv[0], ctl_color(ANSI_RESET));
        if (isempty(policy)) {
                printf("  policy:     none matches; sriovd leaves this PF alone\n");
                return EXIT_OK;
        }
        printf("  policy:     %s\n", policy);
        for (char **s = shadowed; s && *s; s++)
                printf("  shadowed:   %s (matches too, but %s comes first)\n", *s, policy);
        printf("  state:      %s%s%s%s%s\n", ctl_state_color(state), state, ctl_color(ANSI_RESET),
               isempty(reason) ? "" : ": ", strempty(reason));
        /* One blocker is the reason already; several are listed. */
        if (strv_length(blockers) > 1)
                for (char **b = blockers; *b; b++)
                        printf("  waits for:  %s\n", *b);
        if (desired >= 0)
                printf("  wants:      %d VFs%s%s%s\n", desired, isempty(path) ? "" : " (enabled by ", isempty(path) ? "" :
                       streq(path, "driver") ? "the PF driver" : streq(path, "kernel") ? "the kernel's unmanaged path" : path,
                       isempty(path) ? "" : ")");
        if (actions && actions[0]) {
                printf("  %s\n", streq(state, "pending") ? "can do now:" : "last plan:");
                for (size_t i = 0; actions[i]; i++)
                        printf("    %2zu. %s\n", i + 1, actions[i]);
        } else
                printf("  plan:       nothing %s\n", streq(state, "applied") ? "left to do" : "can be done now");
        for (char **n = notes; n && *n; n++)
                printf("  %snote%s:       %s\n", ctl_color(ANSI_YELLOW), ctl_color(ANSI_RESET), *n);
        return EXIT_OK;
}
