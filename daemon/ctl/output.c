/* Terminal and JSON output for sriovctl: colour only where a person reads it, JSON through json-c. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sriovctl.h"

bool ctl_use_color(void) {
        static int cached = -1;

        if (cached < 0) {
                const char *term = getenv("TERM");
                cached = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && !streq(term, "dumb");
        }
        return cached;
}

const char *ctl_color(const char *ansi) {
        return ctl_use_color() ? ansi : "";
}

int ctl_json_print(json_object *o) {
        int flags = arg.json == JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
        const char *s = json_object_to_json_string_ext(o, flags | JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = 0;

        if (!s)
                r = -ENOMEM;
        else if (puts(s) < 0)
                r = -EIO;
        json_object_put(o);
        return r;
}

json_object *ctl_json_string(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

json_object *ctl_json_strv(char * const *l) {
        json_object *a = json_object_new_array();

        for (char * const *i = l; a && i && *i; i++)
                json_object_array_add(a, json_object_new_string(*i));
        return a;
}

static bool use_utf8(void) {
        return ctl_use_color();
}

const char *ctl_glyph_branch(void) {
        return use_utf8() ? "├─ " : "|- ";
}

const char *ctl_glyph_last(void) {
        return use_utf8() ? "└─ " : "`- ";
}

const char *ctl_glyph_pipe(void) {
        return use_utf8() ? "│  " : "|  ";
}

const char *ctl_glyph_dot(void) {
        return use_utf8() ? "●" : "*";
}

const char *ctl_state_color(const char *state) {
        if (streq_ptr(state, "applied"))
                return ctl_color(ANSI_GREEN);
        if (streq_ptr(state, "pending") || streq_ptr(state, "applying"))
                return ctl_color(ANSI_YELLOW);
        if (streq_ptr(state, "refused") || streq_ptr(state, "failed"))
                return ctl_color(ANSI_RED);
        return ctl_color(ANSI_GREY);
}

int table_new(Table *t, const char * const *header, size_t n_columns) {
        *t = (Table) { .n_columns = n_columns };
        for (size_t i = 0; i < n_columns; i++) {
                int r = table_add(t, header[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int table_add(Table *t, const char *cell) {
        char **c = reallocarray(t->cells, t->n_cells + 1, sizeof(char *));

        if (!c)
                return -ENOMEM;
        t->cells = c;
        c[t->n_cells] = strdup(strempty(cell));
        if (!c[t->n_cells])
                return -ENOMEM;
        t->n_cells++;
        return 0;
}

void table_print(const Table *t, bool header) {
        size_t widths[16] = {};

        for (size_t i = 0; i < t->n_cells; i++)
                if (strlen(t->cells[i]) > widths[i % t->n_columns])
                        widths[i % t->n_columns] = strlen(t->cells[i]);
        for (size_t i = header ? 0 : t->n_columns; i < t->n_cells; i++) {
                size_t col = i % t->n_columns;
                bool last = col == t->n_columns - 1;

                if (i < t->n_columns && col == 0)
                        fputs(ctl_color(ANSI_BOLD), stdout);
                if (last)
                        fputs(t->cells[i], stdout);
                else
                        printf("%-*s  ", (int) widths[col], t->cells[i]);
                if (last) {
                        if (i < t->n_columns)
                                fputs(ctl_color(ANSI_RESET), stdout);
                        putchar('\n');
                }
        }
}

void table_clear(Table *t) {
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        *t = (Table) {};
}
