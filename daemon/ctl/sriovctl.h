/* What sriovctl's verbs share: parsed options, exit codes, output helpers. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "sriovd/macro.h"

enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,      /* the command ran and something failed */
        EXIT_USAGE = 2,
        EXIT_NO_DAEMON = 3,
};

typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
} JsonMode;

typedef struct CtlOptions {
        JsonMode json;
        bool legend;
        bool strict;
        const char *root;       /* --root: policy dirs below it */
        char **config_path;     /* --config-path: replaces the search path */
} CtlOptions;

extern CtlOptions arg;

int verb_check(int argc, char **argv);
int verb_plan(int argc, char **argv);

/* Colour and glyphs only on a terminal that is not dumb, and never with NO_COLOR. */
bool ctl_use_color(void);
const char *ctl_color(const char *ansi);        /* ansi, or "" without colour */
#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_GREY "\033[90m"
#define ANSI_RESET "\033[0m"

/* Prints a JSON value in the chosen mode, with a newline; frees it. */
int ctl_json_print(json_object *o);
/* json_object_new_string() that gives JSON null for NULL. */
json_object *ctl_json_string(const char *s);
json_object *ctl_json_strv(char * const *l);
