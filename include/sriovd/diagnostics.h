/* Errors and warnings about policy files, each tied to a file and a line. */
#pragma once

#include <stddef.h>

#include "sriovd/macro.h"

typedef enum DiagnosticLevel {
        DIAGNOSTIC_WARNING,
        DIAGNOSTIC_ERROR,
} DiagnosticLevel;

typedef struct Diagnostic {
        DiagnosticLevel level;
        char *file;             /* path as opened */
        unsigned line;          /* 1-based; 0 when the message is about the whole file */
        char *message;
} Diagnostic;

typedef struct Diagnostics {
        Diagnostic *items;
        size_t n_items;
        size_t n_errors;
        size_t n_warnings;
} Diagnostics;

void diagnostics_clear(Diagnostics *d);

/* Returns 0, or -ENOMEM; a caller that cannot even record a problem has to give up. */
_printf_(5, 6)
int diagnostics_add(Diagnostics *d, DiagnosticLevel level, const char *file, unsigned line, const char *format, ...);

/* Moves every item of src to the end of dst; src is left empty. */
int diagnostics_move(Diagnostics *dst, Diagnostics *src);

/* "path:line: warning: message" (no line part when line is 0). */
int diagnostic_format(const Diagnostic *d, char **ret);

const char *diagnostic_level_to_string(DiagnosticLevel level);
