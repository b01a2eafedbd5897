/* String vectors and the other small helpers declared in macro.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sriovd/macro.h"

int free_and_strdup(char **p, const char *s) {
        char *t = NULL;

        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*p);
        *p = t;
        return 0;
}

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_consume(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **t;

        if (!value)
                return -ENOMEM;
        t = realloc(*l, sizeof(char *) * (n + 2));
        if (!t) {
                free(value);
                return -ENOMEM;
        }
        t[n] = value;
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

bool strv_contains(char * const *l, const char *s) {
        if (l)
                for (char * const *i = l; *i; i++)
                        if (streq(*i, s))
                                return true;
        return false;
}

int strv_join(char * const *l, const char *separator, char **ret) {
        size_t n = 1, k = strlen(separator);
        char *s, *p;

        for (char * const *i = l; i && *i; i++)
                n += strlen(*i) + (i == l ? 0 : k);
        s = p = malloc(n);
        if (!s)
                return -ENOMEM;
        *p = '\0';
        for (char * const *i = l; i && *i; i++) {
                if (i != l)
                        p = stpcpy(p, separator);
                p = stpcpy(p, *i);
        }
        *ret = s;
        return 0;
}

char **strv_copy(char * const *l) {
        _cleanup_strv_free_ char **c = calloc(1, sizeof(char *));

        if (!c)
                return NULL;
        if (l)
                for (char * const *i = l; *i; i++)
                        if (strv_extend(&c, *i) < 0)
                                return NULL;
        return TAKE_PTR(c);
}

int strv_split_whitespace(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (const char *p = s; *p;) {
                size_t n;

                while (*p && isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                n = 0;
                while (p[n] && !isspace((unsigned char) p[n]))
                        n++;
                if (strv_consume(&l, strndup(p, n)) < 0)
                        return -ENOMEM;
                p += n;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

const char *errno_name(int error) {
        return strerrorname_np(error < 0 ? -error : error);
}

int strcmpp(const char * const *a, const char * const *b) {
        return strcmp(*a, *b);
}
