/* The fake kernel: a umockdev testbed whose sysfs writes are answered like the Linux PCI/SR-IOV core. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

typedef struct FakeKernel FakeKernel;

#define FAKE_KERNEL_HANG (-10000)   /* "error" value for fake_kernel_inject: the write never answers until released */

int fake_kernel_new(FakeKernel **ret);
FakeKernel *fake_kernel_free(FakeKernel *k);            /* NULL-safe; kills children; removes the testbed dir */
static inline void fake_kernel_freep(FakeKernel **k) {
        if (*k)
                *k = fake_kernel_free(*k);
}
const char *fake_kernel_root(FakeKernel *k);             /* testbed root ($UMOCKDEV_DIR) */
sd_event *fake_kernel_event(FakeKernel *k);

/* Hardware, in the .hw line syntax; one or more lines. After programs run, a "pf" line hot-adds with uevents. */
int fake_kernel_load(FakeKernel *k, const char *description);
int fake_kernel_load_file(FakeKernel *k, const char *path);
int fake_kernel_remove_pf(FakeKernel *k, const char *pf);   /* remove uevents for its VFs, then the PF */

/* What an admin or libvirt does from outside, with the kernel's uevents: */
int fake_kernel_bind(FakeKernel *k, const char *bdf, const char *driver);
int fake_kernel_unbind(FakeKernel *k, const char *bdf);
int fake_kernel_set_vfio_enable_sriov(FakeKernel *k, bool enable);
/* A uevent for a device with nothing changed, as "udevadm trigger --action=ACTION" makes: a flood of
 * them is how tests load the daemon's event path. -ENODEV for an unknown device. */
int fake_kernel_uevent(FakeKernel *k, const char *bdf, const char *action);

/* Faults: the next `count` writes (0 = every write until cleared) to ATTRIBUTE of device BDF
 * (bdf may be an fnmatch glob; attribute is the name relative to the device, e.g. "sriov_numvfs",
 * "driver_override"; for bus files pass bdf=NULL and attribute "drivers_probe" or "drivers/vfio-pci/bind")
 * fail with -error (positive errno), or hang when error == FAKE_KERNEL_HANG. */
int fake_kernel_inject(FakeKernel *k, const char *bdf, const char *attribute, int error, unsigned count);
/* Latency: every write to ATTRIBUTE of BDF (matched as for faults; the first latency that matches counts)
 * is answered usec later, and takes effect only then; other writes are answered meanwhile. A
 * slow sriov_numvfs store (VF creation) is how benchmarks show that PFs are configured in parallel. */
int fake_kernel_set_latency(FakeKernel *k, const char *bdf, const char *attribute, uint64_t usec);
void fake_kernel_clear_faults(FakeKernel *k);       /* and latencies */
unsigned fake_kernel_n_hung(FakeKernel *k);
void fake_kernel_release_hangs(FakeKernel *k);           /* hung writes now complete with the real semantics */

/* A process that holds a device's vfio group (/dev/vfio/N, and the cdev when present) open, like qemu.
 * comm is its process name (prctl PR_SET_NAME), so holder tracking can report it. Fails -ENOENT when
 * the device is not bound to vfio-pci. */
int fake_kernel_hold(FakeKernel *k, const char *bdf, const char *comm, pid_t *ret_pid);
int fake_kernel_release_hold(FakeKernel *k, pid_t pid);

/* udevd. By default none runs: there is no /run/udev/control in the testbed (the sysfs shim maps
 * /run/udev there), and sd-device finds no device initialized. Once running, every device has
 * udev's database entry before its "add" event goes out, as udevd writes it before it broadcasts,
 * except a device held back: fake_kernel_udev_hold() removes its entry (udev is still running its
 * rules; run/udev/queue exists while one is held), and fake_kernel_udev_finish() writes it and
 * sends its "add" event. name is a BDF or a PF's netdev name; -ENODEV when there is no such
 * device. */
int fake_kernel_set_udev(FakeKernel *k, bool running);
int fake_kernel_udev_hold(FakeKernel *k, const char *name);
int fake_kernel_udev_finish(FakeKernel *k, const char *name);

/* Crashes. The kernel finishes a store it has started: a writer killed while its write waits
 * (a hang or a latency) only loses the answer, and the store takes effect when it would have.
 * fake_kernel_kill_at() kills pid with SIGKILL at write number index (0 is the next write to reach
 * the kernel after the call): FAKE_KERNEL_KILL_DURING as that write enters the kernel, before its
 * store runs; FAKE_KERNEL_KILL_AFTER once its store took effect, before the writer learns that it
 * returned. Either way pid is dead (not reaped) before the store goes on, so nothing it does
 * afterwards reaches the kernel. One kill is armed at a time. */
typedef enum FakeKernelKill {
        FAKE_KERNEL_KILL_DURING,
        FAKE_KERNEL_KILL_AFTER,
} FakeKernelKill;
int fake_kernel_kill_at(FakeKernel *k, size_t index, FakeKernelKill when, pid_t pid);
bool fake_kernel_killed(FakeKernel *k);          /* the armed kill has happened */
/* Writes that reached the kernel, or are in it, since it started. */
size_t fake_kernel_n_received(FakeKernel *k);
/* Writes in the kernel now, whether or not their writer still waits. */
unsigned fake_kernel_n_in_flight(FakeKernel *k);
/* SIGKILL, then waits (without reaping) until pid has exited; 0, or -errno. */
int fake_kernel_kill_process(pid_t pid);

/* Every write that reached the kernel, in order. */
typedef struct FakeWrite {
        char *path;        /* canonical testbed-relative path, /sys/devices/.../sriov_numvfs */
        char *device;      /* BDF the attribute belongs to, or NULL for bus files */
        char *attribute;   /* "sriov_numvfs", "driver_override", "drivers_probe", "unbind", ... */
        char *value;       /* as written, trailing newline stripped */
        int result;        /* bytes written, or -errno */
        uint64_t usec;     /* CLOCK_MONOTONIC when it was answered */
        uint64_t received_usec;   /* and when it reached the kernel */
        char *before;      /* the attribute as it read before the write; NULL for bus files */
} FakeWrite;
size_t fake_kernel_n_writes(FakeKernel *k);
const FakeWrite *fake_kernel_write_at(FakeKernel *k, size_t i);
void fake_kernel_reset_writes(FakeKernel *k);
/* Writes the real kernel would have blocked on (sriov_numvfs while a VF is held open), with a description each. */
size_t fake_kernel_n_violations(FakeKernel *k);
const char *fake_kernel_violation_at(FakeKernel *k, size_t i);

/* Every uevent the kernel sent, in order: "ACTION BDF-or-name", e.g. "add 0000:3b:01.0", "bind 0000:3b:01.0", "change 0000:3b:00.0". */
size_t fake_kernel_n_uevents(FakeKernel *k);
const char *fake_kernel_uevent_at(FakeKernel *k, size_t i);

/* Kernel truth. */
int fake_kernel_num_vfs(FakeKernel *k, const char *pf);                     /* -ENODEV if unknown */
const char *fake_kernel_driver(FakeKernel *k, const char *bdf);              /* NULL when unbound */
int fake_kernel_vf_address(FakeKernel *k, const char *pf, unsigned index, char ret[static 13]);
/* The PF whose netdev has ifindex now, or NULL. */
const char *fake_kernel_pf_by_ifindex(FakeKernel *k, int ifindex);

/* Running programs under the fake kernel. */
int fake_kernel_spawn(FakeKernel *k, char * const *argv, char * const *extra_env, pid_t *ret_pid);
/* The same, with the program's stdout and stderr appended to the file output. */
int fake_kernel_spawn_output(FakeKernel *k, char * const *argv, char * const *extra_env, const char *output, pid_t *ret_pid);
/* Runs the loop until until(k, userdata) is true (checked after every event and at least every 10 ms),
 * or timeout: -ETIMEDOUT. until == NULL: run for the whole timeout. */
int fake_kernel_run(FakeKernel *k, uint64_t timeout_usec, bool (*until)(FakeKernel *k, void *userdata), void *userdata);
/* Runs the loop until the child exits; ret_status gets the exit status (128+signal if killed). */
int fake_kernel_wait(FakeKernel *k, pid_t pid, uint64_t timeout_usec, int *ret_status);
