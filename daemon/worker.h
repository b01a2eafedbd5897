/* A PF's worker: the one thread that reads and writes that PF's sysfs and its netlink settings, so a write that hangs in the
 * kernel (or a read behind it: sriov_numvfs takes the device lock) holds back that PF alone. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "job.h"

typedef struct Worker Worker;

/* notify_fd is written (an eventfd increment) whenever a result is ready. */
int worker_new(const char *address, int notify_fd, Worker **ret);
/* Stops the thread after its current job and frees the worker. A thread stuck in the kernel is
 * left to finish on its own; the worker is then freed by the thread itself. */
void worker_free(Worker *w);

/* Starts a job: snapshot, match against policies, plan, execute, verify, until the PF is in sync or
 * cannot be, then the eswitch mode and the VFs' netdev settings through netlink (netlink_relay, when
 * not NULL, names the socket of a program that plays the kernel); waits inside it end after timeout_usec. What the kernel teaches during a job (a PF
 * driver without sriov_configure) is learned afresh by each job. -EBUSY when a job is running. The
 * worker keeps a reference to policies until the job ends. */
int worker_start(Worker *w, PolicySet *policies, uint64_t timeout_usec, const char *netlink_relay);
/* A job is queued, running, or its result has not been taken yet. */
bool worker_busy(Worker *w);
/* The running job has started writing (notify_fd was written when it did). */
bool worker_writing(Worker *w);
/* The finished job's result, or NULL when there is none. */
JobResult *worker_take_result(Worker *w);
/* What the running job is doing ("writing 4 to .../sriov_numvfs"), for a report when it takes too long. */
char *worker_current_action(Worker *w);
/* What a job found an interrupted apply left (JobHooks.interrupted), once; NULL when nothing new. */
char *worker_take_interrupted(Worker *w);
/* Asks the running job to stop before its next action. */
void worker_cancel(Worker *w);

/* udev announced VF address (add, change, bind) or took it away (remove). The worker waits for
 * these after creating or removing VFs, so that it binds only devices udev has seen. */
void worker_vf_present(Worker *w, const char *vf, bool present);
bool worker_has_vf(Worker *w, const char *vf);
