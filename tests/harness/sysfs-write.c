/* sysfs-write PATH=VALUE...: an outside writer of sysfs attributes, one open()+write() each, reporting every errno. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sriovd/sysfs.h"

typedef enum Mode { MODE_WRITE, MODE_PWRITE, MODE_WRITEV } Mode;
static Mode mode = MODE_WRITE;

typedef struct Job {
        char *path;
        const char *value;
        int error;              /* 0, or the errno of open() or write() */
        pthread_barrier_t *start;
} Job;

static void run_job(Job *job) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(job->value);
        ssize_t n;

        /* The plain mode is sriovd's own writer, so every test that writes through this tool proves it. */
        if (mode == MODE_WRITE) {
                job->error = -sysfs_write(job->path, job->value);
                return;
        }
        fd = open(job->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0) {
                job->error = errno;
                return;
        }
        if (mode == MODE_PWRITE)
                n = pwrite(fd, job->value, len, 0);
        else {
                /* split in two, so the value only exists once the pieces are gathered */
                struct iovec iov[2] = {
                        { .iov_base = (void *) job->value, .iov_len = len / 2 },
                        { .iov_base = (void *) (job->value + len / 2), .iov_len = len - len / 2 },
                };
                n = writev(fd, iov, 2);
        }
        if (n < 0)
                job->error = errno;
        else if ((size_t) n != len)
                job->error = EIO;   /* sysfs stores take everything or fail */
}

static void *job_thread(void *userdata) {
        Job *job = userdata;
        pthread_barrier_wait(job->start);
        run_job(job);
        return NULL;
}

static void usage(FILE *f) {
        fprintf(f, "Usage: sysfs-write [-j] [-p|-v] PATH=VALUE...\n"
                   "Writes each VALUE with one open(O_WRONLY|O_TRUNC)+write() and prints \"PATH: ok\" or \"PATH: ERRNO\".\n"
                   "  -j  all writes at the same time, one thread each\n"
                   "  -p  pwrite() at offset 0 instead of write()\n"
                   "  -v  writev() of the value in two pieces instead of write()\n");
}

int main(int argc, char **argv) {
        bool parallel = false;
        int first = 1;
        for (; first < argc && argv[first][0] == '-' && argv[first][1] && !argv[first][2]; first++) {
                switch (argv[first][1]) {
                case 'j':
                        parallel = true;
                        break;
                case 'p':
                        mode = MODE_PWRITE;
                        break;
                case 'v':
                        mode = MODE_WRITEV;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (first < argc && strcmp(argv[first], "--help") == 0) {
                usage(stdout);
                return 0;
        }
        if (first >= argc) {
                usage(stderr);
                return 2;
        }

        int n = argc - first;
        Job *jobs = calloc((size_t) n, sizeof(Job));
        if (!jobs)
                return 2;
        for (int i = 0; i < n; i++) {
                char *eq = strchr(argv[first + i], '=');
                if (!eq || eq == argv[first + i]) {
                        fprintf(stderr, "sysfs-write: expected PATH=VALUE, got '%s'\n", argv[first + i]);
                        free(jobs);
                        return 2;
                }
                *eq = '\0';
                jobs[i].path = argv[first + i];
                jobs[i].value = eq + 1;
        }

        if (parallel) {
                pthread_barrier_t start;
                pthread_t *threads = calloc((size_t) n, sizeof(pthread_t));
                pthread_barrier_init(&start, NULL, (unsigned) n);
                for (int i = 0; i < n; i++) {
                        jobs[i].start = &start;
                        if (pthread_create(&threads[i], NULL, job_thread, &jobs[i]) != 0) {
                                fprintf(stderr, "sysfs-write: cannot start a thread\n");
                                return 2;
                        }
                }
                for (int i = 0; i < n; i++)
                        pthread_join(threads[i], NULL);
                pthread_barrier_destroy(&start);
                free(threads);
        } else
                for (int i = 0; i < n; i++)
                        run_job(&jobs[i]);

        int status = 0;
        for (int i = 0; i < n; i++) {
                const char *name = jobs[i].error ? strerrorname_np(jobs[i].error) : "ok";
                if (jobs[i].error)
                        status = 1;
                if (name)
                        printf("%s: %s\n", jobs[i].path, name);
                else
                        printf("%s: %d\n", jobs[i].path, jobs[i].error);
        }
        free(jobs);
        return status;
}
