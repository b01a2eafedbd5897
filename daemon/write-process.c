/* The writer process: one sysfs store made by a child, which a stopping daemon can leave to the kernel. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sriovd/sysfs.h"
#include "write-process.h"

#define WRITER_NAME "sriovd-write"
#define WRITER_CANNOT_RUN 255

extern char **environ;

static char *self_exe;

int write_process_init(void) {
        char path[PATH_MAX];
        ssize_t n;

        n = readlink("/proc/self/exe", path, sizeof(path) - 1);
        if (n < 0)
                return -errno;
        path[n] = '\0';
        free(self_exe);
        self_exe = strdup(path);
        return self_exe ? 0 : -ENOMEM;
}

bool write_process_main(int argc, char **argv, int *ret_status) {
        const char *name = argc > 0 ? strrchr(argv[0], '/') : NULL;
        int r;

        name = name ? name + 1 : argc > 0 ? argv[0] : "";
        if (strcmp(name, WRITER_NAME) != 0)
                return false;
        if (argc != 3) {
                *ret_status = WRITER_CANNOT_RUN;
                return true;
        }
        r = sysfs_write(argv[1], argv[2]);
        *ret_status = r < 0 && -r < WRITER_CANNOT_RUN ? -r : r < 0 ? EIO : 0;
        return true;
}

int write_process_write(const char *path, const char *value, WriteProcessSpawned spawned, void *userdata) {
        char *argv[] = { (char *) WRITER_NAME, (char *) path, (char *) value, NULL };
        posix_spawnattr_t attr;
        sigset_t all;
        pid_t pid;
        int r, status;

        if (!self_exe)
                return sysfs_write(path, value);

        sigfillset(&all);
        r = posix_spawnattr_init(&attr);
        if (r != 0)
                return -r;
        r = posix_spawnattr_setsigmask(&attr, &all);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        if (r == 0)
                r = posix_spawn(&pid, self_exe, NULL, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;
        if (spawned)
                spawned(pid, path, value, userdata);

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) == WRITER_CANNOT_RUN)
                return -ECHILD;
        return -WEXITSTATUS(status);
}
