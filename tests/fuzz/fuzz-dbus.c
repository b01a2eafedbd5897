/* Fuzzes sriovd's D-Bus API: method calls with fuzzed object paths, interfaces, members, signatures
 * and string arguments, served by the daemon's own objects on a socketpair. The manager is a stopping
 * one over a few PFs, so Apply validates its argument and answers without starting a job. */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus.h"
#include "fuzz-util.h"
#include "log.h"
#include "manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sd_bus *server, *client;
static Bus *objects;

static const char policy_text[] =
        "[Match]\nVendor=0x8086\n[PhysicalFunction]\nNumVFs=4\nVFDriver=iavf\n[VirtualFunction]\nIndex=0\nDriver=vfio-pci\n";

/* Runs both ends until the reply is in; a call left unanswered for a second counts as a hang. */
static int pump(const bool *done) {
        for (unsigned idle = 0; !*done && idle < 10;) {
                int a = sd_bus_process(server, NULL), b = sd_bus_process(client, NULL);

                if (a < 0 || b < 0)
                        return -EIO;
                if (a == 0 && b == 0 && !*done) {
                        (void) sd_bus_wait(client, 100 * 1000);
                        idle++;
                }
        }
        return *done ? 0 : -ETIMEDOUT;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        *(bool *) userdata = true;
        return 0;
}

static void setup(void) {
        static const char * const dirs[] = { "/etc/sriovd.d", NULL };
        char root[] = "/tmp/sriovd-fuzz.XXXXXX";
        Diagnostics d = {};
        PolicySource src = { .path = "/etc/sriovd.d/50-fuzz.conf", .text = policy_text, .size = sizeof(policy_text) - 1 };
        Policy *policy = NULL;
        size_t n_pfs;
        PfSnapshot **pfs = fuzz_snapshots(&n_pfs);
        Manager *m = calloc(1, sizeof(Manager));
        int fds[2];
        bool done = false;

        log_set_max_level(LOG_CRIT);
        if (!m || !mkdtemp(root) || policy_set_load(root, (char * const *) dirs, &m->context.policies) < 0 ||
            policy_build("50-fuzz.conf", &src, 1, &policy, &d) < 0)
                abort();
        (void) rmdir(root);
        m->context.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        m->context.stopping = true;
        m->ready = true;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0 ||
            sd_bus_new(&server) < 0 || sd_bus_set_fd(server, fds[0], fds[0]) < 0 ||
            sd_bus_set_server(server, 1, SD_ID128_MAKE(5f, 3c, 0b, 2e, 91, 44, 4d, 6a, 8e, 17, 52, c4, 0d, 9b, a1, 66)) < 0 ||
            sd_bus_set_anonymous(server, 1) < 0 || sd_bus_start(server) < 0 ||
            sd_bus_new(&client) < 0 || sd_bus_set_fd(client, fds[1], fds[1]) < 0 ||
            sd_bus_set_anonymous(client, 1) < 0 || sd_bus_start(client) < 0 ||
            bus_new(m, server, &objects) < 0)
                abort();

        for (size_t i = 0; i < n_pfs; i++) {
                Pf *pf = NULL;

                if (manager_add_pf(m, pfs[i]->address, &pf) < 0)
                        abort();
                pf->snapshot = pfs[i];
                pf->state = (PfState) (i % _PF_STATE_MAX);
                pf->reason = strdup("fuzzing");
                pf->policy = strdup(src.path);
                (void) plan_compute(pfs[i], policy, fuzz_caps(), 0, &pf->plan);
        }
        /* A first call completes the handshake both ways before any fuzzed input. */
        if (sd_bus_call_method_async(client, NULL, NULL, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE,
                                     "ListPhysicalFunctions", on_reply, &done, "") < 0 || pump(&done) < 0)
                abort();
        policy_free(policy);
}

/* Input: a selector byte, then NUL-separated fields: path suffix, interface, member, arguments. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char * const interfaces[] = {
                BUS_MANAGER_INTERFACE, BUS_PF_INTERFACE, "org.freedesktop.DBus.Properties",
                "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.ObjectManager",
                "org.freedesktop.DBus.Peer",
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        char *fields[6] = {}, *path = NULL, *copy;
        const char *interface, *member;
        size_t n = 0;
        uint8_t sel;
        bool done = false;

        if (!server)
                setup();
        if (size < 1)
                return 0;
        sel = data[0];
        copy = calloc(1, size);
        if (!copy)
                return 0;
        memcpy(copy, data + 1, size - 1);
        for (char *p = copy; n < ELEMENTSOF(fields) && p < copy + size - 1; p += strlen(p) + 1)
                fields[n++] = p;
        for (size_t i = n; i < ELEMENTSOF(fields); i++)
                fields[i] = (char *) "";

        /* The path: a PF's (a fuzzed escape), the manager's, or a raw one. */
        switch (sel & 3) {
        case 0:
                if (asprintf(&path, BUS_PF_PREFIX "/%s", fields[0]) < 0)
                        path = NULL;
                break;
        case 1:
                (void) sd_bus_path_encode(BUS_PF_PREFIX, fields[0], &path);
                break;
        case 2:
                path = strdup(BUS_MANAGER_PATH);
                break;
        default:
                path = strdup(fields[0]);
        }
        interface = (sel & 4) ? fields[1] : interfaces[(uint8_t) fields[1][0] % ELEMENTSOF(interfaces)];
        member = fields[2];
        if (!path || !sd_bus_object_path_is_valid(path) || !sd_bus_interface_name_is_valid(interface) ||
            !sd_bus_member_name_is_valid(member))
                goto finish;

        if (sd_bus_message_new_method_call(client, &call, NULL, path, interface, member) < 0)
                goto finish;
        /* Arguments as the selector says: strings (as many as given), a number, or none. */
        if (sel & 8) {
                if (sd_bus_message_append(call, "u", (uint32_t) size) < 0)
                        goto finish;
        } else
                for (size_t i = 3; i < n; i++)
                        if (sd_bus_message_append(call, "s", fields[i]) < 0)
                                goto finish;
        if (sd_bus_call_async(client, NULL, call, on_reply, &done, 0) < 0)
                goto finish;
        if (pump(&done) < 0)
                abort();        /* a call that is never answered is a hang */
finish:
        free(path);
        free(copy);
        return 0;
}
