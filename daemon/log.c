/* Writes log messages to the journal with SRIOV_PF, SRIOV_POLICY and MESSAGE_ID fields, or to stderr. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "sriovd/parse-util.h"

static int max_level = LOG_INFO;
static bool to_journal;

void log_open(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        /* systemd sets JOURNAL_STREAM to stderr's device:inode when stderr is the journal. */
        to_journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
                     st.st_dev == dev && st.st_ino == ino;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internal(int level, int error, const char *pf, const char *policy, const char *message_id, const char *format, ...) {
        /* Messages come from the event loop and from workers; keep lines whole. */
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        char message[2048];
        va_list ap;

        error = error < 0 ? -error : error;
        if (level > max_level)
                return -error;

        errno = error;
        va_start(ap, format);
        vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);

        if (to_journal) {
                char *fields[8];
                struct iovec iov[8];
                size_t n = 0;

                /* The PF is in the text as well as in SRIOV_PF: journalctl shows only the text. */
                if ((pf ? asprintf(&fields[n++], "MESSAGE=%s: %s", pf, message)
                        : asprintf(&fields[n++], "MESSAGE=%s", message)) < 0 ||
                    asprintf(&fields[n++], "PRIORITY=%d", level) < 0 ||
                    asprintf(&fields[n++], "SYSLOG_IDENTIFIER=sriovd") < 0 ||
                    (pf && asprintf(&fields[n++], "SRIOV_PF=%s", pf) < 0) ||
                    (policy && asprintf(&fields[n++], "SRIOV_POLICY=%s", policy) < 0) ||
                    (message_id && asprintf(&fields[n++], "MESSAGE_ID=%s", message_id) < 0) ||
                    (error && asprintf(&fields[n++], "ERRNO=%d", error) < 0))
                        n--; /* the failed asprintf() left its pointer undefined */
                for (size_t i = 0; i < n; i++)
                        iov[i] = (struct iovec) { .iov_base = fields[i], .iov_len = strlen(fields[i]) };
                (void) sd_journal_sendv(iov, (int) n);
                for (size_t i = 0; i < n; i++)
                        free(fields[i]);
        } else {
                pthread_mutex_lock(&lock);
                if (pf)
                        fprintf(stderr, "sriovd: %s: %s\n", pf, message);
                else
                        fprintf(stderr, "sriovd: %s\n", message);
                pthread_mutex_unlock(&lock);
        }
        return -error;
}
