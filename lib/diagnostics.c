/* Collects policy problems with their file and line, in the order they were found. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd/diagnostics.h"

void diagnostics_clear(Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++) {
                free(d->items[i].file);
                free(d->items[i].message);
        }
        free(d->items);
        *d = (Diagnostics) {};
}

static int diagnostics_append(Diagnostics *d, Diagnostic *item) {
        Diagnostic *t = reallocarray(d->items, d->n_items + 1, sizeof(Diagnostic));

        if (!t)
                return -ENOMEM;
        d->items = t;
        d->items[d->n_items++] = *item;
        if (item->level == DIAGNOSTIC_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        return 0;
}

int diagnostics_add(Diagnostics *d, DiagnosticLevel level, const char *file, unsigned line, const char *format, ...) {
        Diagnostic item = { .level = level, .line = line };
        va_list ap;
        int r;

        item.file = strdup(strempty(file));
        va_start(ap, format);
        r = vasprintf(&item.message, format, ap);
        va_end(ap);
        if (!item.file || r < 0) {
                free(item.file);
                if (r >= 0)
                        free(item.message);
                return -ENOMEM;
        }
        r = diagnostics_append(d, &item);
        if (r < 0) {
                free(item.file);
                free(item.message);
        }
        return r;
}

int diagnostics_move(Diagnostics *dst, Diagnostics *src) {
        Diagnostic *t;

        if (src->n_items == 0)
                return 0;
        t = reallocarray(dst->items, dst->n_items + src->n_items, sizeof(Diagnostic));
        if (!t)
                return -ENOMEM;
        memcpy(t + dst->n_items, src->items, src->n_items * sizeof(Diagnostic));
        dst->items = t;
        dst->n_items += src->n_items;
        dst->n_errors += src->n_errors;
        dst->n_warnings += src->n_warnings;
        free(src->items);
        *src = (Diagnostics) {};
        return 0;
}

const char *diagnostic_level_to_string(DiagnosticLevel level) {
        return level == DIAGNOSTIC_ERROR ? "error" : "warning";
}

int diagnostic_format(const Diagnostic *d, char **ret) {
        char *s;
        int r;

        if (d->line > 0)
                r = asprintf(&s, "%s:%u: %s: %s", d->file, d->line, diagnostic_level_to_string(d->level), d->message);
        else
                r = asprintf(&s, "%s: %s: %s", d->file, diagnostic_level_to_string(d->level), d->message);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
