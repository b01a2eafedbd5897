/* The fake kernel's uevents: libudev-format datagrams to every monitor socket umockdev's preload made. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake-kernel-private.h"

/* umockdev_testbed_uevent() cannot serve here: in 0.17.16 it resolves the device through
 * libudev, which only sees the testbed under the preload, and it abort()s when a monitor's
 * queue is full. This sender speaks the same wire format, reads the device's own files,
 * and keeps refused datagrams in a backlog instead. */

#define UDEV_MONITOR_MAGIC 0xfeedcafe

struct monitor_netlink_header {
        char prefix[8];                 /* "libudev" */
        uint32_t magic;                 /* network order */
        uint32_t header_size;
        uint32_t properties_off;
        uint32_t properties_len;
        uint32_t filter_subsystem_hash; /* network order; monitors filter on it with BPF */
        uint32_t filter_devtype_hash;
        uint32_t filter_tag_bloom_hi;
        uint32_t filter_tag_bloom_lo;
};

/* MurmurHash2, as systemd's and umockdev's senders compute the filter hashes. */
static uint32_t string_hash32(const char *str) {
        const uint32_t m = 0x5bd1e995;
        const int r = 24;
        size_t len = strlen(str);
        uint32_t h = (uint32_t) len;
        const unsigned char *data = (const unsigned char *) str;

        while (len >= 4) {
                uint32_t k;
                memcpy(&k, data, sizeof(k));
                k *= m;
                k ^= k >> r;
                k *= m;
                h *= m;
                h ^= k;
                data += 4;
                len -= 4;
        }
        switch (len) {
        case 3:
                h ^= (uint32_t) data[2] << 16;
                G_GNUC_FALLTHROUGH;
        case 2:
                h ^= (uint32_t) data[1] << 8;
                G_GNUC_FALLTHROUGH;
        case 1:
                h ^= data[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

static void add_property(GByteArray *props, GHashTable *seen, const char *key, const char *value) {
        if (g_hash_table_contains(seen, key))
                return;
        g_hash_table_add(seen, g_strdup(key));
        g_byte_array_append(props, (const guint8 *) key, strlen(key));
        g_byte_array_append(props, (const guint8 *) "=", 1);
        g_byte_array_append(props, (const guint8 *) value, strlen(value) + 1);
}

static GByteArray *build_message(FakeKernel *k, const char *syspath, const char *action) {
        g_autofree char *dir = kernel_path(k, syspath);
        g_autofree char *subsystem_link = g_build_filename(dir, "subsystem", NULL);
        g_autofree char *subsystem_target = g_file_read_link(subsystem_link, NULL);
        if (!subsystem_target)
                return NULL;
        g_autofree char *subsystem = g_path_get_basename(subsystem_target);
        g_autofree char *uevent_path = g_build_filename(dir, "uevent", NULL);
        g_autofree char *uevent = NULL;
        (void) g_file_get_contents(uevent_path, &uevent, NULL, NULL);

        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GByteArray) props = g_byte_array_new();
        g_autofree char *seqnum = g_strdup_printf("%" G_GUINT64_FORMAT, ++k->seqnum);
        const char *devtype = NULL;
        g_auto(GStrv) lines = g_strsplit(uevent ? uevent : "", "\n", -1);

        add_property(props, seen, "ACTION", action);
        add_property(props, seen, "DEVPATH", syspath + 4);
        add_property(props, seen, "SUBSYSTEM", subsystem);
        add_property(props, seen, "SEQNUM", seqnum);
        for (char **l = lines; *l; l++) {
                char *eq = strchr(*l, '=');
                if (!eq || eq == *l)
                        continue;
                *eq = '\0';
                add_property(props, seen, *l, eq + 1);
                if (streq(*l, "DEVTYPE"))
                        devtype = eq + 1;
        }

        struct monitor_netlink_header h = {
                .prefix = "libudev",
                .magic = htonl(UDEV_MONITOR_MAGIC),
                .header_size = sizeof(h),
                .properties_off = sizeof(h),
                .properties_len = props->len,
                .filter_subsystem_hash = htonl(string_hash32(subsystem)),
                .filter_devtype_hash = devtype ? htonl(string_hash32(devtype)) : 0,
        };
        GByteArray *message = g_byte_array_sized_new(sizeof(h) + props->len);
        g_byte_array_append(message, (const guint8 *) &h, sizeof(h));
        g_byte_array_append(message, props->data, props->len);
        return message;
}

typedef enum SendResult { SENT, REFUSED_FULL, GONE } SendResult;

static SendResult send_datagram(const char *socket_path, GByteArray *message) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        if (strlen(socket_path) >= sizeof(addr.sun_path))
                return GONE;
        strcpy(addr.sun_path, socket_path);

        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return REFUSED_FULL;
        SendResult result = SENT;
        if (sendto(fd, message->data, message->len, MSG_NOSIGNAL, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                if (errno == EAGAIN || errno == ENOBUFS)
                        result = REFUSED_FULL;
                else {
                        /* ECONNREFUSED: the monitor closed; umockdev removes such sockets too */
                        if (errno == ECONNREFUSED)
                                (void) unlink(socket_path);
                        result = GONE;
                }
        }
        close(fd);
        return result;
}

static void pending_free(PendingUevent *p) {
        g_free(p->socket_path);
        g_byte_array_unref(p->message);
        g_free(p);
}

static int backlog_timer_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        FakeKernel *k = userdata;
        kernel_uevent_flush(k);
        if (!g_queue_is_empty(&k->backlog)) {
                (void) sd_event_source_set_time_relative(s, 2 * 1000);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

static void backlog_arm(FakeKernel *k) {
        if (!k->backlog_timer) {
                if (sd_event_add_time_relative(k->event, &k->backlog_timer, CLOCK_MONOTONIC, 2 * 1000, 0,
                                               backlog_timer_cb, k) < 0)
                        return;
        } else {
                (void) sd_event_source_set_time_relative(k->backlog_timer, 2 * 1000);
                (void) sd_event_source_set_enabled(k->backlog_timer, SD_EVENT_ONESHOT);
        }
}

/* Sends what the backlog holds, in order; stops at the first receiver that is still full,
 * so no monitor ever sees events out of order. */
void kernel_uevent_flush(FakeKernel *k) {
        PendingUevent *p;
        while ((p = g_queue_peek_head(&k->backlog))) {
                SendResult r = send_datagram(p->socket_path, p->message);
                if (r == REFUSED_FULL)
                        return;
                pending_free(g_queue_pop_head(&k->backlog));
        }
}

void kernel_uevent_backlog_free(FakeKernel *k) {
        PendingUevent *p;
        while ((p = g_queue_pop_head(&k->backlog)))
                pending_free(p);
        k->backlog_timer = sd_event_source_disable_unref(k->backlog_timer);
}

static void uevent_record(FakeKernel *k, const char *syspath, const char *action) {
        g_autofree char *name = g_path_get_basename(syspath);
        g_ptr_array_add(k->uevents, g_strdup_printf("%s %s", action, name));
}

void kernel_uevent(FakeKernel *k, const char *syspath, const char *action) {
        if (streq(action, "remove"))
                kernel_udev_removed(k, syspath);
        if (!k->booted)
                return;   /* coldplug: the tree is simply there at boot */
        uevent_record(k, syspath, action);

        g_autoptr(GByteArray) message = build_message(k, syspath, action);
        if (!message) {
                g_warning("fake-kernel: cannot build uevent %s for %s", action, syspath);
                return;
        }

        g_autofree char *pattern = g_strdup_printf("%s/event[0-9]*", k->root);
        glob_t gl;
        if (glob(pattern, GLOB_NOSORT, NULL, &gl) != 0)
                return;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
                /* once anything waits, everything queues behind it to keep the order */
                if (g_queue_is_empty(&k->backlog) && send_datagram(gl.gl_pathv[i], message) != REFUSED_FULL)
                        continue;
                PendingUevent *p = g_new0(PendingUevent, 1);
                p->socket_path = g_strdup(gl.gl_pathv[i]);
                p->message = g_byte_array_ref(message);
                g_queue_push_tail(&k->backlog, p);
                backlog_arm(k);
        }
        globfree(&gl);
}

void kernel_uevent_added(FakeKernel *k, const char *syspath) {
        kernel_udev_added(k, syspath);
        /* Under the preload, umockdev_testbed_add_device() has sent "add" already. */
        if (k->mock_env) {
                if (k->booted)
                        uevent_record(k, syspath, "add");
                return;
        }
        kernel_uevent(k, syspath, "add");
}
