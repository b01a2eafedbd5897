/* sriovd's varlink socket, spoken to byte by byte: the service interface, errors, and clients that misbehave. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config.h"
#include "daemon-harness.h"
#include "sriovd/macro.h"
#include "../../daemon/varlink.h"

#define NIC "pf 0000:3b:00.0 vendor=8086 device=1592 driver=ice totalvfs=8 offset=8 vf-device=1889 vf-driver=iavf"
#define GET_INFO "{\"method\":\"org.varlink.service.GetInfo\"}"

typedef struct Test {
        FakeKernel *kernel;
        Daemon *daemon;
} Test;

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        assert_int_equal(fake_kernel_new(&t->kernel), 0);
        assert_int_equal(fake_kernel_load(t->kernel, NIC), 0);
        t->daemon = daemon_new(t->kernel);
        daemon_write_policy(t->daemon, "50-nic.conf", "[Match]\nDriver=ice\n[PhysicalFunction]\nNumVFs=2\n");
        daemon_start(t->daemon);
        assert_true(daemon_wait_ready(t->daemon, 20 * SECOND));
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        daemon_free(t->daemon);
        fake_kernel_free(t->kernel);
        free(t);
        return 0;
}

static int connect_to(Test *t) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/sriovd/io.sriovd", fake_kernel_root(t->kernel));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                fail_msg("cannot connect to %s: %m", sa.sun_path);
        return fd;
}

static void send_all(int fd, const char *data, size_t size) {
        while (size > 0) {
                ssize_t n = send(fd, data, size, MSG_NOSIGNAL);

                assert_true(n > 0);
                data += n;
                size -= (size_t) n;
        }
}

static void send_request(int fd, const char *json) {
        send_all(fd, json, strlen(json) + 1);
}

/* One message, up to its NUL, within timeout_ms; NULL when the connection ended (or nothing came). */
static char *receive(int fd, int timeout_ms) {
        size_t size = 0, allocated = 0;
        char *buf = NULL;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char c;

                if (poll(&p, 1, timeout_ms) <= 0 || recv(fd, &c, 1, 0) != 1) {
                        free(buf);
                        return NULL;
                }
                if (size + 1 >= allocated) {
                        allocated = allocated ? allocated * 2 : 256;
                        buf = realloc(buf, allocated);
                        assert_non_null(buf);
                }
                buf[size++] = c;
                if (c == '\0')
                        return buf;
        }
}

static json_object *call(int fd, const char *json) {
        _cleanup_free_ char *text = NULL;
        json_object *o;

        send_request(fd, json);
        text = receive(fd, 5000);
        if (!text)
                fail_msg("no reply to %s", json);
        o = json_tokener_parse(text);
        if (!o)
                fail_msg("not JSON: %s", text);
        return o;
}

static const char *get_string(json_object *o, const char *path1, const char *path2) {
        json_object *v;

        if (!json_object_object_get_ex(o, path1, &v))
                return NULL;
        if (path2 && !json_object_object_get_ex(v, path2, &v))
                return NULL;
        return json_object_get_string(v);
}

static void test_service_interface(void **state) {
        Test *t = *state;
        int fd = connect_to(t);
        json_object *o, *list;

        o = call(fd, GET_INFO);
        assert_string_equal(get_string(o, "parameters", "vendor"), "sriovd");
        assert_string_equal(get_string(o, "parameters", "version"), PACKAGE_VERSION);
        assert_true(json_object_object_get_ex(json_object_object_get(o, "parameters"), "interfaces", &list));
        assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 0)), "org.varlink.service");
        assert_null(json_object_object_get(o, "error"));
        json_object_put(o);

        o = call(fd, "{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"org.varlink.service\"}}");
        assert_non_null(strstr(get_string(o, "parameters", "description"), "interface org.varlink.service\n"));
        json_object_put(o);

        /* requests pipelined in one send get their replies in order */
        send_request(fd, GET_INFO);
        send_request(fd, "{\"method\":\"org.varlink.service.GetInfo\",\"oneway\":true}");
        send_request(fd, GET_INFO);
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ char *r = receive(fd, 5000);
                assert_non_null(r);
                assert_non_null(strstr(r, "\"vendor\":\"sriovd\""));
        }
        {
                /* the oneway call got nothing */
                _cleanup_free_ char *r = receive(fd, 200);
                assert_null(r);
        }
        close(fd);
}

static void test_errors(void **state) {
        Test *t = *state;
        int fd = connect_to(t);
        json_object *o;

        o = call(fd, "{\"method\":\"org.example.Nothing.Here\"}");
        assert_string_equal(get_string(o, "error", NULL), "org.varlink.service.InterfaceNotFound");
        assert_string_equal(get_string(o, "parameters", "interface"), "org.example.Nothing");
        json_object_put(o);
        o = call(fd, "{\"method\":\"org.varlink.service.Frobnicate\"}");
        assert_string_equal(get_string(o, "error", NULL), "org.varlink.service.MethodNotFound");
        assert_string_equal(get_string(o, "parameters", "method"), "org.varlink.service.Frobnicate");
        json_object_put(o);
        o = call(fd, "{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":7}}");
        assert_string_equal(get_string(o, "error", NULL), "org.varlink.service.InvalidParameter");
        assert_string_equal(get_string(o, "parameters", "parameter"), "interface");
        json_object_put(o);
        o = call(fd, "{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"io.example.None\"}}");
        assert_string_equal(get_string(o, "error", NULL), "org.varlink.service.InterfaceNotFound");
        json_object_put(o);

        /* not a request at all: the connection ends, the daemon goes on */
        send_request(fd, "{\"method\":");
        assert_null(receive(fd, 5000));
        close(fd);
        fd = connect_to(t);
        o = call(fd, GET_INFO);
        assert_null(json_object_object_get(o, "error"));
        json_object_put(o);
        close(fd);
        assert_true(daemon_running(t->daemon));
}

static void test_request_too_large(void **state) {
        Test *t = *state;
        size_t size = 128 * 1024;
        _cleanup_free_ char *big = malloc(size), *r = NULL;
        int fd = connect_to(t);

        assert_non_null(big);
        memset(big, ' ', size);
        send_all(fd, big, size);
        r = receive(fd, 5000);
        assert_non_null(r);
        assert_non_null(strstr(r, "\"error\":\"io.sriovd.RequestTooLarge\""));
        assert_null(receive(fd, 5000));
        close(fd);
        assert_true(daemon_running(t->daemon));
}

/* A client that sends requests and never reads holds one reply in the daemon at most, and nobody
 * else waits for it. */
static void test_stalled_client_blocks_nobody(void **state) {
        Test *t = *state;
        int stalled = connect_to(t), fd;
        size_t sent = 0;
        json_object *o;

        /* as much as the socket takes without our reading a byte */
        for (;;) {
                ssize_t n = send(stalled, GET_INFO, sizeof(GET_INFO), MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0)
                        break;
                sent += (size_t) n;
                assert_true(sent < 64 * 1024 * 1024);
        }
        assert_true(sent > 0);
        fd = connect_to(t);
        for (int i = 0; i < 100; i++) {
                o = call(fd, GET_INFO);
                assert_null(json_object_object_get(o, "error"));
                json_object_put(o);
        }
        close(fd);
        close(stalled);
        assert_true(daemon_running(t->daemon));
}

static void test_too_many_connections(void **state) {
        Test *t = *state;
        int fds[VARLINK_CONNECTIONS_MAX], extra;
        _cleanup_free_ char *r = NULL;
        json_object *o;

        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = connect_to(t);
                /* each one answered, so the daemon has taken it */
                o = call(fds[i], GET_INFO);
                json_object_put(o);
        }
        extra = connect_to(t);
        r = receive(extra, 5000);
        assert_non_null(r);
        assert_non_null(strstr(r, "\"error\":\"io.sriovd.TooManyConnections\""));
        {
                char max[32];
                snprintf(max, sizeof(max), "\"max\":%d", VARLINK_CONNECTIONS_MAX);
                assert_non_null(strstr(r, max));
        }
        close(extra);
        /* one gone, one more is served */
        close(fds[0]);
        usleep(200 * 1000);
        fds[0] = connect_to(t);
        o = call(fds[0], GET_INFO);
        assert_null(json_object_object_get(o, "error"));
        json_object_put(o);
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_service_interface, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_request_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stalled_client_blocks_nobody, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_many_connections, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
