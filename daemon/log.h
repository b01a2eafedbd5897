/* sriovd's logging: the journal with structured fields under systemd, plain lines on stderr elsewhere. */
#pragma once

#include <syslog.h>

#include "sriovd/macro.h"

/* MESSAGE_IDs of the outcomes an operator filters on: journalctl MESSAGE_ID=... */
#define SRIOVD_MESSAGE_APPLIED "aca705cdb2ef4a19a39f914e83ad1844"
#define SRIOVD_MESSAGE_REFUSED "f8300cb15d554b02812ca0a07e2623e6"
#define SRIOVD_MESSAGE_PENDING "ba76a77934cf4966b3af5bad0b58753c"
#define SRIOVD_MESSAGE_FAILED "6fb3d89f44824afea3c5d3546ca6b337"

/* Decides once where messages go: the journal when stderr is connected to it (JOURNAL_STREAM). */
void log_open(void);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Logs and returns -abs(error) (0 stays 0), so "return log_error_errno(r, ...)" reads well.
 * pf, policy and message_id may be NULL. %m prints error's message. */
_printf_(6, 7)
int log_internal(int level, int error, const char *pf, const char *policy, const char *message_id, const char *format, ...);

#define log_debug(...) log_internal(LOG_DEBUG, 0, NULL, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, NULL, NULL, NULL, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, NULL, NULL, NULL, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, NULL, NULL, NULL, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, NULL, NULL, NULL, __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, error, NULL, NULL, NULL, __VA_ARGS__)
#define log_error_errno(error, ...) log_internal(LOG_ERR, error, NULL, NULL, NULL, __VA_ARGS__)
#define log_debug_errno(error, ...) log_internal(LOG_DEBUG, error, NULL, NULL, NULL, __VA_ARGS__)
