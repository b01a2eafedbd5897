/* Fuzzes sriovd's varlink server: the input is what one client sends, byte for byte, to a connection
 * the daemon's own server code serves on a socketpair; whatever it answers is read and checked to be
 * NUL-ended JSON objects. */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>

#include "fuzz-util.h"
#include "log.h"
#include "manager.h"
#include "varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Manager *manager;
static Varlink *server;

static void setup(void) {
        static const char * const dirs[] = { "/etc/sriovd.d", NULL };
        char root[] = "/tmp/sriovd-fuzz.XXXXXX";

        log_set_max_level(LOG_CRIT);
        manager = calloc(1, sizeof(Manager));
        if (!manager || !mkdtemp(root) || policy_set_load(root, (char * const *) dirs, &manager->context.policies) < 0 ||
            sd_event_new(&manager->event) < 0 || varlink_new(manager, -EBADF, &server) < 0)
                abort();
        (void) rmdir(root);
        manager->context.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        manager->context.stopping = true;
        manager->ready = true;
}

/* Every complete reply is one JSON object. */
static void check_replies(const char *buf, size_t size) {
        for (const char *p = buf, *end; p < buf + size; p = end + 1) {
                json_object *o;

                end = memchr(p, '\0', (size_t) (buf + size - p));
                if (!end)
                        return;         /* cut short by the close */
                o = json_tokener_parse(p);
                if (!o || !json_object_is_type(o, json_type_object))
                        abort();
                json_object_put(o);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char replies[1024 * 1024];
        size_t sent = 0, got = 0;
        int fds[2];

        if (!server)
                setup();
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0 ||
            varlink_serve_fd(server, fds[0]) < 0)
                abort();
        /* send, let the server run, read what it answers, until all is sent and it is quiet */
        for (unsigned idle = 0; idle < 3;) {
                bool progress = false;
                ssize_t n;

                if (sent < size) {
                        n = send(fds[1], data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                        if (n > 0) {
                                sent += (size_t) n;
                                progress = true;
                        } else if (n < 0 && errno != EAGAIN)
                                sent = size;    /* the server closed: nothing more is read */
                        if (sent == size)
                                (void) shutdown(fds[1], SHUT_WR);
                }
                if (sd_event_run(manager->event, 0) > 0)
                        progress = true;
                n = recv(fds[1], replies + got, sizeof(replies) - 1 - got, MSG_DONTWAIT);
                if (n > 0) {
                        got += (size_t) n;
                        progress = true;
                        if (got >= sizeof(replies) - 1) {
                                check_replies(replies, got);
                                got = 0;
                        }
                }
                idle = progress ? 0 : idle + 1;
        }
        check_replies(replies, got);
        close(fds[1]);
        /* the server sees the close and lets the connection go */
        while (sd_event_run(manager->event, 0) > 0)
                ;
        if (varlink_n_connections(server) != 0)
                abort();
        return 0;
}
