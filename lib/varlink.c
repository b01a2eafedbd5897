/* The varlink protocol's messages: a request's JSON checked field by field, replies and errors written with their NUL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sriovd/macro.h"
#include "sriovd/varlink.h"

void varlink_request_clear(VarlinkRequest *r) {
        free(r->method);
        free(r->interface);
        json_object_put(r->parameters);
        *r = (VarlinkRequest) {};
}

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool varlink_interface_name_is_valid(const char *s) {
        size_t words = 0;

        if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
                return false;
        for (;;) {
                /* a word: alphanumerics, dashes only between them */
                if (!is_alnum(*s))
                        return false;
                while (is_alnum(*s) || (*s == '-' && (is_alnum(s[1]) || s[1] == '-')))
                        s++;
                if (s[-1] == '-')
                        return false;
                words++;
                if (*s == '\0')
                        return words >= 2;
                if (*s != '.')
                        return false;
                s++;
        }
}

bool varlink_member_name_is_valid(const char *s) {
        if (!s || !(*s >= 'A' && *s <= 'Z'))
                return false;
        for (s++; *s; s++)
                if (!is_alnum(*s))
                        return false;
        return true;
}

static int get_bool(json_object *o, const char *key, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v) {
                *ret = false;
                return 0;
        }
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

int varlink_request_parse(const char *text, size_t size, VarlinkRequest *ret) {
        _cleanup_(varlink_request_clear) VarlinkRequest r = {};
        json_tokener *tok;
        json_object *o, *v;
        const char *method, *dot;
        int k;

        if (size > INT32_MAX || memchr(text, '\0', size))
                return -EBADMSG;
        tok = json_tokener_new_ex(VARLINK_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, text, (int) size);
        /* one complete value, and nothing but white space after it */
        k = json_tokener_get_error(tok) == json_tokener_success ? 0 : -EBADMSG;
        if (k == 0)
                for (size_t i = json_tokener_get_parse_end(tok); i < size; i++)
                        if (!strchr(" \t\r\n", text[i]))
                                k = -EBADMSG;
        json_tokener_free(tok);
        if (k < 0 || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        r.parameters = o;       /* held here until the parameters replace it */

        if (!json_object_object_get_ex(o, "method", &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        method = json_object_get_string(v);
        dot = strrchr(method, '.');
        if (!dot || !varlink_member_name_is_valid(dot + 1))
                return -EBADMSG;
        r.interface = strndup(method, (size_t) (dot - method));
        r.method = strdup(method);
        if (!r.interface || !r.method)
                return -ENOMEM;
        if (!varlink_interface_name_is_valid(r.interface))
                return -EBADMSG;
        r.member = r.method + (dot - method) + 1;
        if (get_bool(o, "more", &r.more) < 0 || get_bool(o, "oneway", &r.oneway) < 0)
                return -EBADMSG;
        if (r.more && r.oneway)
                return -EBADMSG;

        if (json_object_object_get_ex(o, "parameters", &v) && v) {
                if (!json_object_is_type(v, json_type_object))
                        return -EBADMSG;
                json_object_get(v);
        } else {
                v = json_object_new_object();
                if (!v)
                        return -ENOMEM;
        }
        json_object_put(o);
        r.parameters = v;
        *ret = r;
        r = (VarlinkRequest) {};
        return 0;
}

static int format(json_object *message, char **ret, size_t *ret_size) {
        const char *s;
        size_t len;
        char *t;

        s = json_object_to_json_string_length(message, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (!s)
                return -ENOMEM;
        t = malloc(len + 1);
        if (!t)
                return -ENOMEM;
        memcpy(t, s, len + 1);  /* with its NUL: varlink's message terminator */
        *ret = t;
        *ret_size = len + 1;
        return 0;
}

static int format_message(const char *error, json_object *parameters, bool continues, char **ret, size_t *ret_size) {
        json_object *m = json_object_new_object(), *p = parameters ? json_object_get(parameters) : json_object_new_object();
        int r = -ENOMEM;

        if (!m || !p)
                goto finish;
        if (error && json_object_object_add(m, "error", json_object_new_string(error)) < 0)
                goto finish;
        if (json_object_object_add(m, "parameters", p) < 0)
                goto finish;
        p = NULL;
        if (continues && json_object_object_add(m, "continues", json_object_new_boolean(true)) < 0)
                goto finish;
        r = format(m, ret, ret_size);
finish:
        json_object_put(p);
        json_object_put(m);
        return r;
}

int varlink_format_reply(json_object *parameters, bool continues, char **ret, size_t *ret_size) {
        return format_message(NULL, parameters, continues, ret, ret_size);
}

int varlink_format_error(const char *error, json_object *parameters, char **ret, size_t *ret_size) {
        return format_message(error, parameters, false, ret, ret_size);
}
