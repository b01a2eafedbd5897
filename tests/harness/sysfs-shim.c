/* LD_PRELOAD shim (placed before umockdev's): hands each write to a testbed sysfs file to the fake kernel and returns its answer, and maps /run/udev into the testbed. */
/* The wrappers must carry the real symbol names, not the ones large-file redirection picks. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* Wire protocol with the fake kernel, one SOCK_SEQPACKET connection per write:
 *   request  "<path below the testbed root, starting with /sys/>\n<data>"
 *   answer   int32: >= 0 write()'s result; < 0 -errno; INT32_MIN: let umockdev write the file.
 * sysfs stores take one page; one byte more lets the kernel answer E2BIG for larger writes. */
#define ANSWER_PASS INT32_MIN
#define DATA_MAX (4096 + 1)

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef int (*access_fn)(const char *, int);

static write_fn next_write;
static pwrite_fn next_pwrite;
static pwrite64_fn next_pwrite64;
static writev_fn next_writev;
static fopen_fn next_fopen;
static fopen_fn next_fopen64;
static access_fn next_access;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool active;
static char root[PATH_MAX];
static size_t root_len;
static struct sockaddr_un kernel_addr;

static void shim_init(void) {
        next_write = (write_fn) dlsym(RTLD_NEXT, "write");
        next_pwrite = (pwrite_fn) dlsym(RTLD_NEXT, "pwrite");
        next_pwrite64 = (pwrite64_fn) dlsym(RTLD_NEXT, "pwrite64");
        next_writev = (writev_fn) dlsym(RTLD_NEXT, "writev");
        next_fopen = (fopen_fn) dlsym(RTLD_NEXT, "fopen");
        next_fopen64 = (fopen_fn) dlsym(RTLD_NEXT, "fopen64");
        next_access = (access_fn) dlsym(RTLD_NEXT, "access");

        const char *dir = getenv("UMOCKDEV_DIR");
        if (!dir || !*dir || !realpath(dir, root))
                return;
        root_len = strlen(root);
        kernel_addr.sun_family = AF_UNIX;
        if (root_len + strlen("/.kernel") >= sizeof(kernel_addr.sun_path))
                return;
        memcpy(kernel_addr.sun_path, root, root_len);
        memcpy(kernel_addr.sun_path + root_len, "/.kernel", sizeof("/.kernel"));
        active = true;
}

/* Raw syscalls from here on: umockdev wraps readlink, socket, connect, send, recv and close,
 * and must not reinterpret what the shim does. */
static long sys_close(int fd) {
        return syscall(SYS_close, fd);
}

/* The fd's file below the testbed root ("/sys/..."), or NULL for anything else. */
static const char *testbed_sysfs_path(int fd, char *buf, size_t size) {
        char link[32] = "/proc/self/fd/";
        char digits[16];
        size_t n = 0, len = strlen(link);
        unsigned v = (unsigned) fd;
        do
                digits[n++] = (char) ('0' + v % 10);
        while ((v /= 10) && n < sizeof(digits));
        while (n > 0)
                link[len++] = digits[--n];
        link[len] = '\0';

        long r = syscall(SYS_readlinkat, AT_FDCWD, link, buf, size - 1);
        if (r <= 0)
                return NULL;
        buf[r] = '\0';
        /* the fake kernel replaces files atomically: an fd opened before reads " (deleted)" */
        static const char deleted[] = " (deleted)";
        if ((size_t) r > strlen(deleted) && strcmp(buf + r - strlen(deleted), deleted) == 0)
                buf[r - strlen(deleted)] = '\0';
        if (strncmp(buf, root, root_len) != 0 || strncmp(buf + root_len, "/sys/", 5) != 0)
                return NULL;
        return buf + root_len;
}

/* Returns true and the answer when the fake kernel answered; false to fall through. */
static bool ask_kernel(int fd, const struct iovec *data, int n_data, int32_t *ret_answer) {
        if (fd < 0)
                return false;
        (void) pthread_once(&init_once, shim_init);
        if (!active)
                return false;

        char target[PATH_MAX];
        const char *path = testbed_sysfs_path(fd, target, sizeof(target));
        if (!path)
                return false;

        char gathered[DATA_MAX];
        size_t size = 0;
        for (int i = 0; i < n_data && size < sizeof(gathered); i++) {
                size_t len = data[i].iov_len < sizeof(gathered) - size ? data[i].iov_len : sizeof(gathered) - size;
                memcpy(gathered + size, data[i].iov_base, len);
                size += len;
        }
        struct iovec iov[3] = {
                { .iov_base = (void *) path, .iov_len = strlen(path) },
                { .iov_base = (void *) "\n", .iov_len = 1 },
                { .iov_base = gathered, .iov_len = size },
        };

        int s = (int) syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (s < 0)
                return false;
        bool answered = false;
        if (syscall(SYS_connect, s, &kernel_addr, sizeof(kernel_addr)) == 0) {
                struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 3 };
                if (syscall(SYS_sendmsg, s, &msg, MSG_NOSIGNAL) >= 0) {
                        int32_t answer;
                        long r;
                        do
                                r = syscall(SYS_recvfrom, s, &answer, sizeof(answer), 0, NULL, NULL);
                        while (r < 0 && errno == EINTR);
                        if (r == sizeof(answer) && answer != ANSWER_PASS) {
                                *ret_answer = answer;
                                answered = true;
                        }
                }
        }
        (void) sys_close(s);
        return answered;
}

static ssize_t answer_to_result(int32_t answer, int saved_errno) {
        if (answer < 0) {
                errno = -answer;
                return -1;
        }
        errno = saved_errno;
        return answer;
}

ssize_t write(int fd, const void *buf, size_t count) {
        int saved_errno = errno;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = count };
        int32_t answer;
        if (ask_kernel(fd, &iov, 1, &answer))
                return answer_to_result(answer, saved_errno);
        (void) pthread_once(&init_once, shim_init);
        errno = saved_errno;
        return next_write(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
        int saved_errno = errno;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = count };
        int32_t answer;
        if (ask_kernel(fd, &iov, 1, &answer))
                return answer_to_result(answer, saved_errno);
        (void) pthread_once(&init_once, shim_init);
        errno = saved_errno;
        return next_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) {
        int saved_errno = errno;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = count };
        int32_t answer;
        if (ask_kernel(fd, &iov, 1, &answer))
                return answer_to_result(answer, saved_errno);
        (void) pthread_once(&init_once, shim_init);
        errno = saved_errno;
        return next_pwrite64(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
        int saved_errno = errno;
        int32_t answer;
        if (iovcnt >= 0 && ask_kernel(fd, iov, iovcnt, &answer))
                return answer_to_result(answer, saved_errno);
        (void) pthread_once(&init_once, shim_init);
        errno = saved_errno;
        return next_writev(fd, iov, iovcnt);
}

/* udevd's state (its control socket, the device database that sd_device_get_is_initialized()
 * reads with fopen()) is the fake kernel's to give: /run/udev/... is the testbed's, and absent
 * unless the fake kernel plays udevd. */
static const char *udev_path(const char *path, char *buf, size_t size) {
        (void) pthread_once(&init_once, shim_init);
        if (!active || !path || strncmp(path, "/run/udev/", strlen("/run/udev/")) != 0)
                return path;
        if (root_len + strlen(path) >= size)
                return path;
        memcpy(buf, root, root_len);
        strcpy(buf + root_len, path);
        return buf;
}

FILE *fopen(const char *path, const char *mode) {
        char buf[PATH_MAX];
        path = udev_path(path, buf, sizeof(buf));
        return next_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
        char buf[PATH_MAX];
        path = udev_path(path, buf, sizeof(buf));
        return next_fopen64(path, mode);
}

int access(const char *path, int mode) {
        char buf[PATH_MAX];
        path = udev_path(path, buf, sizeof(buf));
        return next_access(path, mode);
}
