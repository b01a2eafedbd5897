/* The varlink server: the listening socket, one connection per client with its buffers, and the method table. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "varlink.h"
#include "sriovd/varlink.h"

#define READ_CHUNK 4096

/* The standard interface every varlink service has, as https://varlink.org defines it. */
static const char service_interface[] =
        "# The Varlink Service Interface is provided by every varlink service. It\n"
        "# describes the service and the interfaces it implements.\n"
        "interface org.varlink.service\n"
        "\n"
        "# Get a list of all the interfaces a service provides and information\n"
        "# about the implementation.\n"
        "method GetInfo() -> (\n"
        "  vendor: string,\n"
        "  product: string,\n"
        "  version: string,\n"
        "  url: string,\n"
        "  interfaces: []string\n"
        ")\n"
        "\n"
        "# Get the description of an interface that is implemented by this service.\n"
        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
        "\n"
        "# The requested interface was not found.\n"
        "error InterfaceNotFound (interface: string)\n"
        "\n"
        "# The requested method was not found\n"
        "error MethodNotFound (method: string)\n"
        "\n"
        "# The interface defines the requested method, but the service does not\n"
        "# implement it.\n"
        "error MethodNotImplemented (method: string)\n"
        "\n"
        "# One of the passed parameters is invalid.\n"
        "error InvalidParameter (parameter: string)\n"
        "\n"
        "# Client is denied access\n"
        "error PermissionDenied ()\n"
        "\n"
        "# Method is expected to be called with 'more' set to true, but wasn't\n"
        "error ExpectedMore ()\n";

typedef struct Interface {
        const char *name;
        const char *description;
} Interface;

static const Interface interfaces[] = {
        { "org.varlink.service", service_interface },
};

typedef struct Connection Connection;

struct Varlink {
        Manager *manager;
        int fd;
        sd_event_source *listen_source;
        Connection **connections;
        size_t n_connections;
};

struct Connection {
        Varlink *server;
        int fd;
        sd_event_source *io;
        struct ucred peer;
        char *in;                       /* read, not yet a whole request */
        size_t in_size;
        char *out;                      /* replies not yet taken by the client */
        size_t out_size, out_sent;
        bool closing;                   /* send what is queued, then close */
        bool eof;                       /* the client sent all it will: answer what it sent, then close */
};

/* ---- connections ---- */

static void connection_free(Connection *c) {
        Varlink *v = c->server;

        for (size_t i = 0; i < v->n_connections; i++)
                if (v->connections[i] == c) {
                        v->connections[i] = v->connections[--v->n_connections];
                        break;
                }
        sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        free(c->in);
        free(c->out);
        free(c);
}

/* Appends a reply; one is queued only once the last has gone out, so nothing is half sent. */
static int queue(Connection *c, char *message, size_t size) {
        char *t;

        t = realloc(c->out, c->out_size + size);
        if (!t) {
                free(message);
                return -ENOMEM;
        }
        memcpy(t + c->out_size, message, size);
        free(message);
        c->out = t;
        c->out_size += size;
        return 0;
}

static int reply(Connection *c, json_object *parameters, bool continues) {
        char *m;
        size_t n;
        int r = varlink_format_reply(parameters, continues, &m, &n);

        return r < 0 ? r : queue(c, m, n);
}

static int reply_error(Connection *c, const char *error, const char *key, const char *value) {
        json_object *p = json_object_new_object();
        char *m;
        size_t n;
        int r;

        if (!p)
                return -ENOMEM;
        if (key)
                json_object_object_add(p, key, json_object_new_string(value));
        r = varlink_format_error(error, p, &m, &n);
        json_object_put(p);
        return r < 0 ? r : queue(c, m, n);
}

/* ---- methods ---- */

typedef int (*Method)(Connection *c, const VarlinkRequest *req);

static int method_get_info(Connection *c, const VarlinkRequest *req) {
        json_object *p = json_object_new_object(), *list = json_object_new_array();
        int r;

        if (!p || !list) {
                json_object_put(p);
                json_object_put(list);
                return -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++)
                json_object_array_add(list, json_object_new_string(interfaces[i].name));
        json_object_object_add(p, "vendor", json_object_new_string("sriovd"));
        json_object_object_add(p, "product", json_object_new_string("sriovd"));
        json_object_object_add(p, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(p, "url", json_object_new_string("man:sriovd(8)"));
        json_object_object_add(p, "interfaces", list);
        r = reply(c, p, false);
        json_object_put(p);
        return r;
}

static int method_get_interface_description(Connection *c, const VarlinkRequest *req) {
        json_object *v, *p;
        const char *name;
        int r;

        if (!json_object_object_get_ex(req->parameters, "interface", &v) || !json_object_is_type(v, json_type_string))
                return reply_error(c, VARLINK_ERROR_INVALID_PARAMETER, "parameter", "interface");
        name = json_object_get_string(v);
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++)
                if (streq(interfaces[i].name, name)) {
                        p = json_object_new_object();
                        if (!p)
                                return -ENOMEM;
                        json_object_object_add(p, "description", json_object_new_string(interfaces[i].description));
                        r = reply(c, p, false);
                        json_object_put(p);
                        return r;
                }
        return reply_error(c, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", name);
}

typedef struct MethodEntry {
        const char *interface;
        const char *member;
        Method call;
} MethodEntry;

static const MethodEntry methods[] = {
        { "org.varlink.service", "GetInfo", method_get_info },
        { "org.varlink.service", "GetInterfaceDescription", method_get_interface_description },
};

static int dispatch(Connection *c, const VarlinkRequest *req) {
        bool known = false;
        size_t out_before = c->out_size;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++)
                known = known || streq(interfaces[i].name, req->interface);
        if (!known)
                return req->oneway ? 0 : reply_error(c, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", req->interface);
        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (streq(methods[i].interface, req->interface) && streq(methods[i].member, req->member)) {
                        r = methods[i].call(c, req);
                        /* a oneway call's answer goes nowhere */
                        if (req->oneway && c->out_size > out_before)
                                c->out_size = out_before;
                        return r;
                }
        return req->oneway ? 0 : reply_error(c, VARLINK_ERROR_METHOD_NOT_FOUND, "method", req->method);
}

/* ---- I/O ---- */

/* Reads only while no reply is waiting: a client that sends and never reads gets no more of our
 * memory than one reply, and nobody else waits for it. */
static int update_events(Connection *c) {
        uint32_t events = 0;

        if (c->out_size > c->out_sent)
                events |= EPOLLOUT;
        else if (!c->closing && !c->eof)
                events |= EPOLLIN;
        if (events == 0)
                return -ECONNRESET;     /* closing and all sent */
        return sd_event_source_set_io_events(c->io, events);
}

static int flush(Connection *c) {
        while (c->out_sent < c->out_size) {
                ssize_t n = send(c->fd, c->out + c->out_sent, c->out_size - c->out_sent, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                c->out_sent += (size_t) n;
        }
        c->out_sent = c->out_size = 0;
        return 0;
}

/* Answers the whole requests read so far, one at a time, until a reply has to wait for the client. */
static int process(Connection *c) {
        while (c->out_size == 0 && !c->closing) {
                _cleanup_(varlink_request_clear) VarlinkRequest req = {};
                char *end = memchr(c->in, '\0', c->in_size);
                size_t len;
                int r;

                if (!end) {
                        if (c->in_size > VARLINK_REQUEST_MAX) {
                                c->closing = true;
                                return reply_error(c, "io.sriovd.RequestTooLarge", NULL, NULL);
                        }
                        return 0;
                }
                len = (size_t) (end - c->in);
                r = len <= VARLINK_REQUEST_MAX ? varlink_request_parse(c->in, len, &req) : -EMSGSIZE;
                memmove(c->in, end + 1, c->in_size - len - 1);
                c->in_size -= len + 1;
                if (r == -ENOMEM)
                        return r;
                if (r == -EMSGSIZE) {
                        c->closing = true;
                        return reply_error(c, "io.sriovd.RequestTooLarge", NULL, NULL);
                }
                if (r < 0)
                        /* not a varlink request: the protocol has no answer for it but the end */
                        return -EBADMSG;
                r = dispatch(c, &req);
                if (r < 0)
                        return r;
                r = flush(c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Connection *c = userdata;
        int r = 0;

        if (revents & EPOLLOUT)
                r = flush(c);
        if (r >= 0 && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->out_size == 0 && !c->closing && !c->eof) {
                char *t = realloc(c->in, c->in_size + READ_CHUNK);
                ssize_t n;

                if (!t)
                        r = -ENOMEM;
                else {
                        c->in = t;
                        n = recv(fd, c->in + c->in_size, READ_CHUNK, MSG_DONTWAIT);
                        if (n == 0)
                                c->eof = true;
                        else if (n < 0)
                                r = errno == EAGAIN || errno == EINTR ? 0 : -errno;
                        else
                                c->in_size += (size_t) n;
                }
        }
        if (r >= 0)
                r = process(c);
        if (r >= 0)
                r = update_events(c);
        if (r < 0) {
                if (r != -ECONNRESET && r != -EPIPE)
                        log_internal(LOG_DEBUG, r, NULL, NULL, NULL, "varlink: closing the connection of pid %d: %s",
                                     (int) c->peer.pid, strerror(-r));
                connection_free(c);
        }
        return 0;
}

int varlink_serve_fd(Varlink *v, int fd) {
        Connection *c, **t;
        socklen_t len = sizeof(struct ucred);
        int r;

        c = calloc(1, sizeof(Connection));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        *c = (Connection) { .server = v, .fd = fd };
        t = reallocarray(v->connections, v->n_connections + 1, sizeof(Connection *));
        if (!t) {
                close(fd);
                free(c);
                return -ENOMEM;
        }
        v->connections = t;
        v->connections[v->n_connections++] = c;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->peer, &len) < 0)
                c->peer = (struct ucred) { .pid = 0, .uid = (uid_t) -1, .gid = (gid_t) -1 };
        r = sd_event_add_io(v->manager->event, &c->io, fd, EPOLLIN, on_io, c);
        if (r < 0) {
                connection_free(c);
                return r;
        }
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Varlink *v = userdata;
        int cfd;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (v->n_connections >= VARLINK_CONNECTIONS_MAX) {
                /* told before it is closed, so the client can say why */
                json_object *p = json_object_new_object();
                char *m;
                size_t n;

                json_object_object_add(p, "max", json_object_new_int(VARLINK_CONNECTIONS_MAX));
                if (varlink_format_error("io.sriovd.TooManyConnections", p, &m, &n) >= 0) {
                        (void) send(cfd, m, n, MSG_DONTWAIT | MSG_NOSIGNAL);
                        free(m);
                }
                json_object_put(p);
                close(cfd);
                return 0;
        }
        (void) varlink_serve_fd(v, cfd);
        return 0;
}

/* ---- the server ---- */

int varlink_new(Manager *m, int fd, Varlink **ret) {
        Varlink *v = calloc(1, sizeof(Varlink));
        int r;

        if (!v)
                return -ENOMEM;
        v->manager = m;
        v->fd = fd;
        if (fd < 0) {
                *ret = v;
                return 0;
        }
        r = sd_event_add_io(m->event, &v->listen_source, fd, EPOLLIN, on_accept, v);
        if (r < 0) {
                v->fd = -EBADF;
                varlink_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

static int make_socket(const char *dir, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if ((size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, VARLINK_SOCKET_NAME) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* one left by a sriovd that was killed */
        (void) unlink(sa.sun_path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            /* anyone may read the state; what changes it checks the caller's uid */
            chmod(sa.sun_path, 0666) < 0 ||
            listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        *ret = fd;
        return 0;
}

int varlink_open(Manager *m, const char *dir, Varlink **ret) {
        int n = sd_listen_fds(true), fd = -EBADF, r;

        /* socket activation: the one listening stream socket systemd passed (sriovd-varlink.socket) */
        for (int i = 0; i < n; i++)
                if (sd_is_socket_unix(SD_LISTEN_FDS_START + i, SOCK_STREAM, 1, NULL, 0) > 0) {
                        fd = SD_LISTEN_FDS_START + i;
                        break;
                }
        if (fd < 0) {
                r = make_socket(dir, &fd);
                if (r < 0) {
                        log_internal(LOG_WARNING, r, NULL, NULL, NULL, "no varlink socket in %s, serving on D-Bus alone: %s", dir,
                                     strerror(-r));
                        *ret = NULL;
                        return 0;
                }
        }
        r = varlink_new(m, fd, ret);
        if (r < 0) {
                close(fd);
                return r;
        }
        return 0;
}

Varlink *varlink_free(Varlink *v) {
        if (!v)
                return NULL;
        while (v->n_connections > 0)
                connection_free(v->connections[0]);
        free(v->connections);
        sd_event_source_disable_unref(v->listen_source);
        if (v->fd >= 0)
                close(v->fd);
        return mfree(v);
}

size_t varlink_n_connections(const Varlink *v) {
        return v ? v->n_connections : 0;
}
