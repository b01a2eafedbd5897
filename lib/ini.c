/* Splits INI text into sections and assignments, with line numbers, for the typed parsers above it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd/ini.h"
#include "sriovd/macro.h"

static char *strip(char *s) {
        char *e;

        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = '\0';
        return s;
}

/* A '#' after whitespace starts a comment, so annotated examples can be copied as they are. */
static void strip_trailing_comment(char *s) {
        for (char *p = s; *p; p++)
                if (*p == '#' && p > s && isspace((unsigned char) p[-1])) {
                        *p = '\0';
                        return;
                }
}

static int parse_line(char *raw, unsigned line, const IniCallbacks *cb, void *userdata) {
        _cleanup_free_ char *m = NULL;
        char *s = strip(raw), *eq, *key, *value;

        if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
                return 0;
        strip_trailing_comment(s);
        s = strip(s);

        if (s[0] == '[') {
                size_t n = strlen(s);

                if (n < 3 || s[n - 1] != ']') {
                        if (asprintf(&m, "\"%s\" is not a section header like [Match]", s) < 0)
                                return -ENOMEM;
                        cb->syntax_error(userdata, m, line);
                        cb->section(userdata, NULL, line);
                        return 0;
                }
                s[n - 1] = '\0';
                cb->section(userdata, s + 1, line);
                return 0;
        }

        eq = strchr(s, '=');
        if (!eq) {
                if (asprintf(&m, "\"%s\" is not an assignment like Key=value", s) < 0)
                        return -ENOMEM;
                cb->syntax_error(userdata, m, line);
                return 0;
        }
        *eq = '\0';
        key = strip(s);
        value = strip(eq + 1);
        if (key[0] == '\0') {
                if (asprintf(&m, "assignment without a key: \"=%s\"", value) < 0)
                        return -ENOMEM;
                cb->syntax_error(userdata, m, line);
                return 0;
        }
        cb->assignment(userdata, key, value, line);
        return 0;
}

int ini_parse(const char *text, size_t size, const IniCallbacks *cb, void *userdata) {
        const char *pos = text, *end = text + size;
        unsigned line = 0;

        while (pos < end) {
                const char *nl = memchr(pos, '\n', (size_t) (end - pos));
                size_t len = (size_t) ((nl ? nl : end) - pos);
                _cleanup_free_ char *copy = NULL;
                int r;

                line++;
                if (memchr(pos, '\0', len)) {
                        cb->syntax_error(userdata, "line contains a NUL byte; this is not a text file", line);
                        return 0;
                }
                copy = strndup(pos, len);
                if (!copy)
                        return -ENOMEM;
                r = parse_line(copy, line, cb, userdata);
                if (r < 0)
                        return r;
                pos = nl ? nl + 1 : end;
        }
        return 0;
}
