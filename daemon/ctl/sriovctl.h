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
int verb_status(int argc, char **argv);
int verb_explain(int argc, char **argv);
int verb_apply(int argc, char **argv);
int verb_reload(int argc, char **argv);
int verb_monitor(int argc, char **argv);

/* Colour and glyphs only on a terminal that is not dumb, and never with NO_COLOR. */
bool ctl_use_color(void);
const char *ctl_color(const char *ansi);        /* ansi, or "" without colour */
#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_GREY "\033[90m"
#define ANSI_RESET "\033[0m"

/* Tree branches: UTF-8 on a terminal, ASCII elsewhere. */
const char *ctl_glyph_branch(void);     /* "├─ " */
const char *ctl_glyph_last(void);       /* "└─ " */
const char *ctl_glyph_pipe(void);       /* "│  " */
const char *ctl_glyph_dot(void);        /* "●" */
/* The colour for a PF state. */
const char *ctl_state_color(const char *state);

/* A table of strings: columns padded to their widest cell, the header bold on a terminal. */
typedef struct Table {
        size_t n_columns;
        char **cells;           /* row-major, header first */
        size_t n_cells;
} Table;
int table_new(Table *t, const char * const *header, size_t n_columns);
int table_add(Table *t, const char *cell);
void table_print(const Table *t, bool header);
void table_clear(Table *t);

/* Prints a JSON value in the chosen mode, with a newline; frees it. */
int ctl_json_print(json_object *o);
/* json_object_new_string() that gives JSON null for NULL. */
json_object *ctl_json_string(const char *s);
json_object *ctl_json_strv(char * const *l);
