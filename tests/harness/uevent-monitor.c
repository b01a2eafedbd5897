/* uevent-monitor: an sd-device monitor, run under the shim and umockdev, that records the uevents it receives. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

typedef struct State {
        FILE *out;
        unsigned count;         /* 0: until the timeout */
        unsigned received;
} State;

static const char *action_name(sd_device_action_t a) {
        switch (a) {
        case SD_DEVICE_ADD: return "add";
        case SD_DEVICE_REMOVE: return "remove";
        case SD_DEVICE_CHANGE: return "change";
        case SD_DEVICE_MOVE: return "move";
        case SD_DEVICE_ONLINE: return "online";
        case SD_DEVICE_OFFLINE: return "offline";
        case SD_DEVICE_BIND: return "bind";
        case SD_DEVICE_UNBIND: return "unbind";
        default: return "?";
        }
}

static int on_device(sd_device_monitor *m, sd_device *d, void *userdata) {
        State *s = userdata;
        sd_device_action_t action;
        const char *sysname = NULL;
        const char *name = "?";
        if (sd_device_get_action(d, &action) >= 0)
                name = action_name(action);
        (void) sd_device_get_sysname(d, &sysname);
        fprintf(s->out, "%s %s\n", name, sysname ? sysname : "?");
        fflush(s->out);
        s->received++;
        if (s->count > 0 && s->received >= s->count)
                return sd_event_exit(sd_device_monitor_get_event(m), 0);
        return 0;
}

static void usage(FILE *f) {
        fprintf(f, "Usage: uevent-monitor [--count N] [--timeout SEC] [--ready FILE] [--wait-signal] [--output FILE]\n"
                   "Prints \"ACTION SYSNAME\" per uevent; exits 0 once N arrived, 1 at the timeout (0 without --count).\n"
                   "  --ready FILE    create FILE once the monitor listens\n"
                   "  --wait-signal   after that, read nothing until SIGUSR1 (events queue up meanwhile)\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "count", required_argument, NULL, 'c' },
                { "timeout", required_argument, NULL, 't' },
                { "ready", required_argument, NULL, 'r' },
                { "wait-signal", no_argument, NULL, 'w' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        State s = { .out = stdout };
        unsigned timeout = 10;
        const char *ready = NULL, *output = NULL;
        bool wait_signal = false;
        int c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        s.count = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 't':
                        timeout = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        ready = optarg;
                        break;
                case 'w':
                        wait_signal = true;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        if (output && !(s.out = fopen(output, "we"))) {
                fprintf(stderr, "uevent-monitor: %s: %m\n", output);
                return 2;
        }

        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, NULL);

        sd_event *e = NULL;
        sd_device_monitor *m = NULL;
        int r = sd_event_default(&e);
        if (r >= 0)
                r = sd_device_monitor_new(&m);
        if (r >= 0)
                r = sd_device_monitor_attach_event(m, e);
        if (r >= 0)
                r = sd_device_monitor_start(m, on_device, &s);
        if (r < 0) {
                fprintf(stderr, "uevent-monitor: cannot start the monitor: %s\n", strerror(-r));
                return 2;
        }
        if (ready) {
                int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd >= 0)
                        close(fd);
        }
        if (wait_signal) {
                int sig;
                sigwait(&usr1, &sig);
        }

        /* no callback: the timeout ends the loop with the userdata as exit code */
        r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, (uint64_t) timeout * 1000000, 0, NULL,
                                       (void *) (intptr_t) (s.count > 0 ? 1 : 0));
        if (r >= 0)
                r = sd_event_loop(e);
        fprintf(stderr, "uevent-monitor: %u uevents\n", s.received);
        sd_device_monitor_unref(m);
        sd_event_unref(e);
        if (s.out != stdout)
                fclose(s.out);
        if (r < 0)
                return 2;
        return r;
}
