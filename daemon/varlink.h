/* sriovd on a varlink socket: state and control without a bus, for early boot and for tools that speak varlink. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "manager.h"

#define VARLINK_SOCKET_NAME "io.sriovd"
/* A request bigger than this is refused and the connection closed: none of ours comes near it. */
#define VARLINK_REQUEST_MAX (64 * 1024)
/* Connections beyond this are told so and closed. */
#define VARLINK_CONNECTIONS_MAX 128

typedef struct Varlink Varlink;

/* Serves on fd (a listening unix stream socket: one systemd passed, or one made here); with fd
 * negative, only the connections given to varlink_serve_fd(). */
int varlink_new(Manager *m, int fd, Varlink **ret);
/* Serves one connected socket (non-blocking), taking it. */
int varlink_serve_fd(Varlink *v, int fd);
/* The socket systemd passed (sd_listen_fds), else a new one at dir/io.sriovd; *ret is NULL when
 * neither can be had: the daemon runs on, on D-Bus alone. */
int varlink_open(Manager *m, const char *dir, Varlink **ret);
Varlink *varlink_free(Varlink *v);
static inline void varlink_freep(Varlink **v) {
        varlink_free(*v);
}

size_t varlink_n_connections(const Varlink *v);
