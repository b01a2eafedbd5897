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
