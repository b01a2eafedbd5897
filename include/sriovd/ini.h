/* The INI line syntax of policy files and sriovd.conf: sections, Key=value, comments. */
#pragma once

#include <stddef.h>

typedef struct IniCallbacks {
        /* A [Name] header; name is NULL after a malformed header, whose keys should be ignored. */
        void (*section)(void *userdata, const char *name, unsigned line);
        /* Key=value, both trimmed; value may be empty. */
        void (*assignment)(void *userdata, const char *key, const char *value, unsigned line);
        /* A line that is not valid syntax; message says why. */
        void (*syntax_error)(void *userdata, const char *message, unsigned line);
} IniCallbacks;

/* Lines may end in \n or \r\n; '#' or ';' at the start, or '#' after whitespace, starts a
 * comment. Stops at a NUL byte (reported as a syntax error). Returns 0 or -ENOMEM. */
int ini_parse(const char *text, size_t size, const IniCallbacks *callbacks, void *userdata);
