/* sriovd: the SR-IOV agent. Command line; then the manager, the bus and udev wired up, and the event loop. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "bus.h"
#include "job.h"
#include "manager.h"
#include "sriovd/conf-files.h"
#include "sriovd/parse-util.h"
#include "udev.h"
#include "varlink.h"
#include "write-process.h"

static void help(void) {
        printf("Usage: sriovd [OPTIONS...]\n"
               "\n"
               "Applies the SR-IOV policies of the policy directories to every PF, watches udev\n"
               "for PFs and VFs coming and going, and never changes a device a VM is using.\n"
               "\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --config=FILE       Daemon settings (default: %s)\n"
               "     --config-path=DIRS  Policy directories, colon separated (default: $SRIOVD_CONFIG_PATH,\n"
               "                         or %s)\n"
               "     --log-level=LEVEL   err, warning, notice, info or debug (overrides LogLevel=)\n"
               "\n"
               "Signals: SIGHUP reloads the settings and the policies; SIGTERM stops without writing.\n",
               SRIOVD_CONFIG_FILE, SRIOVD_POLICY_SEARCH_PATH);
}

/* systemd's RuntimeDirectory= (the first, when several are named), or where it would be. */
static const char *runtime_directory(void) {
        static char dir[PATH_MAX];
        const char *e = getenv("RUNTIME_DIRECTORY");
        size_t n;

        if (isempty(e) || e[0] != '/')
                return "/run/sriovd";
        n = strcspn(e, ":");
        if (n >= sizeof(dir))
                return "/run/sriovd";
        memcpy(dir, e, n);
        dir[n] = '\0';
        return dir;
}

int main(int argc, char **argv) {
        enum {
                ARG_VERSION = 0x100,
                ARG_CONFIG,
                ARG_CONFIG_PATH,
                ARG_LOG_LEVEL,
        };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "version",     no_argument,       NULL, ARG_VERSION },
                { "config",      required_argument, NULL, ARG_CONFIG },
                { "config-path", required_argument, NULL, ARG_CONFIG_PATH },
                { "log-level",   required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        _cleanup_strv_free_ char **policy_dirs = NULL;
        /* Freed in reverse: the event sources first, the bus (answering what waits), the manager last. */
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(bus_freep) Bus *bus = NULL;
        _cleanup_(udev_freep) Udev *udev = NULL;
        _cleanup_(varlink_freep) Varlink *varlink = NULL;
        ManagerOptions o = { .log_level = -1 };
        int c, r;

        if (write_process_main(argc, argv, &r))
                return r;
        log_open();
        /* Tests play the kernel's netlink side through this socket; see sriovd(8). */
        o.netlink_relay = getenv("SRIOVD_NETLINK_RELAY");
        if (isempty(o.netlink_relay))
                o.netlink_relay = NULL;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("sriovd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        o.config_file = optarg;
                        break;
                case ARG_CONFIG_PATH:
                        strv_free(policy_dirs);
                        r = conf_files_split_path(optarg, &policy_dirs);
                        if (r < 0 || !policy_dirs[0]) {
                                fprintf(stderr, "sriovd: --config-path= needs at least one directory\n");
                                return 2;
                        }
                        o.policy_dirs = policy_dirs;
                        break;
                case ARG_LOG_LEVEL:
                        o.log_level = parse_log_level(optarg);
                        if (o.log_level < 0) {
                                fprintf(stderr, "sriovd: --log-level=%s: expected err, warning, notice, info or debug\n", optarg);
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "sriovd: takes no arguments (sriovd --help)\n");
                return 2;
        }

        r = write_process_init();
        if (r < 0)
                log_warning_errno(r, "Cannot tell which program this is; writes that may block are made in-process: %m");
        r = job_records_init(runtime_directory());
        if (r < 0)
                log_warning_errno(r, "Cannot keep apply records in %s; a sriovd killed mid-apply leaves its successor less to go on: %m",
                                  runtime_directory());
        r = manager_new(&o, &m);
        if (r < 0)
                return 1;
        manager_start(m);
        /* The bus objects exist before the PFs are added; the name is taken once they are all
         * there, so a client never sees half a host. */
        r = bus_open(m, &bus);
        if (r < 0)
                return 1;
        r = udev_new(m, &udev);
        if (r < 0)
                return 1;
        /* Clients that connect now wait in the backlog until the loop runs, with every PF there. */
        r = varlink_open(m, runtime_directory(), &varlink);
        if (r < 0)
                return 1;
        r = bus_request_name(bus);
        if (r < 0)
                return 1;
        manager_update_status(m);
        r = manager_run(m);
        return r < 0 ? 1 : r;
}
