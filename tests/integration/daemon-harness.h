/* Runs the real sriovd on the fake kernel: policy files, its sd_notify socket, its log, signals. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fake-kernel.h"

#define SECOND UINT64_C(1000000)

typedef struct Daemon Daemon;

/* A daemon for this kernel, not started; its files live in the testbed root. */
Daemon *daemon_new(FakeKernel *k);
void daemon_free(Daemon *d);       /* kills it if it still runs */

/* Writes (or, with text NULL, removes) a policy file NAME in the daemon's policy directory. */
void daemon_write_policy(Daemon *d, const char *name, const char *text);
/* Writes sriovd.conf. */
void daemon_write_config(Daemon *d, const char *text);

/* An environment variable for the next start, "NAME=value". */
void daemon_setenv(Daemon *d, const char *assignment);
/* --log-level= for the next start ("debug" unless set); level must outlive the daemon. */
void daemon_set_log_level(Daemon *d, const char *level);
void daemon_start(Daemon *d);
/* WATCHDOG=1 messages received so far. */
unsigned daemon_n_watchdog(Daemon *d);
/* Runs the fake kernel until READY=1, a log line containing text, a STATUS= that is text, or one
 * that contains text. */
bool daemon_wait_ready(Daemon *d, uint64_t timeout_usec);
bool daemon_wait_log(Daemon *d, const char *text, uint64_t timeout_usec);
bool daemon_wait_status(Daemon *d, const char *text, uint64_t timeout_usec);
bool daemon_wait_status_contains(Daemon *d, const char *text, uint64_t timeout_usec);
/* Runs the fake kernel until pf has n VFs (kernel truth). */
bool daemon_wait_num_vfs(Daemon *d, const char *pf, int n, uint64_t timeout_usec);
/* Runs the fake kernel for a while, so the daemon can act (or, as tests check, not act). */
void daemon_settle(Daemon *d, uint64_t usec);

void daemon_signal(Daemon *d, int sig);
/* SIGTERM, then the exit status. */
int daemon_stop(Daemon *d);
/* Runs the fake kernel until the daemon exits by itself; its exit status, or -ETIMEDOUT. */
int daemon_wait_exit(Daemon *d, uint64_t timeout_usec);
bool daemon_running(Daemon *d);
/* Its process ID while it runs (for /proc/PID), 0 before it starts. */
pid_t daemon_pid(Daemon *d);

const char *daemon_status(Daemon *d);      /* the last STATUS= */
/* Where the daemon's stdout and stderr go (created by daemon_new()). */
const char *daemon_log_path(Daemon *d);
/* The daemon's output so far. */
char *daemon_log(Daemon *d);
bool daemon_log_contains(Daemon *d, const char *text);
/* Prints the log, for a failing test. */
void daemon_dump(Daemon *d);

/* Fake-kernel writes to a device (a BDF or a PF's VF) since index from. */
size_t count_writes(FakeKernel *k, size_t from, const char *device_prefix, const char *attribute);
/* The address of VF index of pf, in one of 8 buffers used in turn (so a few can be used at once). */
const char *vf_address(FakeKernel *k, const char *pf, unsigned index);
/* Reads an attribute file of a device straight from the testbed. */
char *read_attribute(FakeKernel *k, const char *bdf, const char *attribute);
