/* sriovctl: the command line of sriovd. Options, the verb table, and dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sriovctl.h"
#include "sriovd/conf-files.h"

CtlOptions arg = {
        .legend = true,
};

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *args;
        const char *help;
} Verb;

static const Verb verbs[] = {
        { "status",  verb_status,  "[PF]",      "Show every PF, or one PF and its VFs" },
        { "explain", verb_explain, "PF",        "Show which policy applies to a PF, why, and what is planned" },
        { "apply",   verb_apply,   "[PF]",      "Apply the policies now, to one PF or all, and wait for the outcome" },
        { "reload",  verb_reload,  "",          "Reload the policy files (rejected whole if any has errors)" },
        { "monitor", verb_monitor, "",          "Print changes as they happen" },
        { "check",   verb_check,   "[FILE...]", "Validate the policy files; exit 1 on errors (no daemon needed)" },
        { "plan",    verb_plan,    "[PF...]",   "Show what sriovd would do, computed from sysfs (no daemon needed)" },
};

static void help(void) {
        printf("Usage: sriovctl [OPTIONS...] COMMAND [ARGS...]\n"
               "\n"
               "Query and drive sriovd, the SR-IOV agent.\n"
               "\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-8s %-10s %s\n", verbs[i].name, verbs[i].args, verbs[i].help);
        printf("\n"
               "Options:\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --json[=MODE]       JSON output: short or pretty (default: pretty on a terminal)\n"
               "     --no-legend         Leave out headers and the summary line\n"
               "     --strict            check: warnings count as errors\n"
               "     --config-path=DIRS  Policy directories, colon separated (default: $SRIOVD_CONFIG_PATH,\n"
               "                         or %s)\n"
               "     --root=DIR          Look for policy directories below DIR\n"
               "\n"
               "Exit status: 0 ok, 1 failure, 2 usage error, 3 sriovd not reachable.\n",
               SRIOVD_POLICY_SEARCH_PATH);
}

static int parse_argv(int argc, char **argv) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_LEGEND,
                ARG_STRICT,
                ARG_CONFIG_PATH,
                ARG_ROOT,
        };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "version",     no_argument,       NULL, ARG_VERSION },
                { "json",        optional_argument, NULL, ARG_JSON },
                { "no-legend",   no_argument,       NULL, ARG_NO_LEGEND },
                { "strict",      no_argument,       NULL, ARG_STRICT },
                { "config-path", required_argument, NULL, ARG_CONFIG_PATH },
                { "root",        required_argument, NULL, ARG_ROOT },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("sriovctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        if (!optarg)
                                arg.json = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
                        else if (streq(optarg, "short"))
                                arg.json = JSON_SHORT;
                        else if (streq(optarg, "pretty"))
                                arg.json = JSON_PRETTY;
                        else if (streq(optarg, "off"))
                                arg.json = JSON_OFF;
                        else {
                                fprintf(stderr, "sriovctl: --json=%s: expected short, pretty or off\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_NO_LEGEND:
                        arg.legend = false;
                        break;
                case ARG_STRICT:
                        arg.strict = true;
                        break;
                case ARG_CONFIG_PATH:
                        strv_free(arg.config_path);
                        r = conf_files_split_path(optarg, &arg.config_path);
                        if (r < 0)
                                return r;
                        if (!arg.config_path[0]) {
                                fprintf(stderr, "sriovctl: --config-path= needs at least one directory\n");
                                return -EINVAL;
                        }
                        break;
                case ARG_ROOT:
                        arg.root = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        return 1;
}

int main(int argc, char **argv) {
        const char *name;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0) {
                strv_free(arg.config_path);
                return r < 0 ? EXIT_USAGE : EXIT_OK;
        }

        name = optind < argc ? argv[optind] : NULL;
        if (!name) {
                fprintf(stderr, "sriovctl: which command? (sriovctl --help lists them)\n");
                strv_free(arg.config_path);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name)) {
                        r = verbs[i].run(argc - optind - 1, argv + optind + 1);
                        strv_free(arg.config_path);
                        return r;
                }
        fprintf(stderr, "sriovctl: unknown command \"%s\" (sriovctl --help lists them)\n", name);
        strv_free(arg.config_path);
        return EXIT_USAGE;
}
