/* Sysfs writes that can wait on a device's user, made by a child process so that a stop never waits for them. */
#pragma once

#include <stdbool.h>

/* Remembers which program to run as the writer: this one, as /proc/self/exe names it. Without it
 * (a test linking the daemon's code), write_process_write() writes in the calling thread. */
int write_process_init(void);

/* When this process was started as the writer (argv[0] "sriovd-write PATH VALUE"): makes the
 * write and returns true with ret_status, the exit status (0, or the errno). */
bool write_process_main(int argc, char **argv, int *ret_status);

/* sysfs_write(path, value) in a child process, waited for here; the same negative errno. The
 * child blocks every signal but SIGKILL: a store the kernel started is never interrupted, and the
 * child outlives a daemon that stops while the kernel holds the write. spawned (when not NULL)
 * learns its pid once it runs, so that the apply record can name it. */
typedef void (*WriteProcessSpawned)(pid_t pid, const char *path, const char *value, void *userdata);
int write_process_write(const char *path, const char *value, WriteProcessSpawned spawned, void *userdata);
