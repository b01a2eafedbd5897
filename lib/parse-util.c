/* Typed value parsers for policy files: booleans, numbers, IDs, MAC addresses, index ranges. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "sriovd/parse-util.h"

int parse_boolean(const char *s) {
        static const char * const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char * const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

int parse_u32(const char *s, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_hex_u16(const char *s, uint16_t *ret) {
        const char *p = s;
        unsigned v = 0;
        size_t n = 0;

        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                p += 2;
        for (; *p; p++, n++) {
                if (!isxdigit((unsigned char) *p) || n >= 4)
                        return -EINVAL;
                v = v * 16 + (unsigned) (isdigit((unsigned char) *p) ? *p - '0' : tolower((unsigned char) *p) - 'a' + 10);
        }
        if (n == 0)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int parse_mac(const char *s, uint8_t ret[static 6]) {
        uint8_t mac[6];

        for (size_t i = 0; i < 6; i++) {
                const char *p = s + i * 3;

                if (!isxdigit((unsigned char) p[0]) || !isxdigit((unsigned char) p[1]))
                        return -EINVAL;
                if (p[2] != (i < 5 ? ':' : '\0'))
                        return -EINVAL;
                mac[i] = (uint8_t) strtoul((char[]) { p[0], p[1], '\0' }, NULL, 16);
        }
        memcpy(ret, mac, sizeof(mac));
        return 0;
}

int parse_index_ranges(const char *s, unsigned max, IndexRange **ret, size_t *ret_n) {
        _cleanup_free_ IndexRange *ranges = NULL;
        size_t n = 0;

        for (const char *p = s;;) {
                _cleanup_free_ char *token = NULL;
                IndexRange range, *t;
                size_t len;
                char *dash;
                int r;

                while (*p == ',' || isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                len = strcspn(p, ", \t");
                token = strndup(p, len);
                if (!token)
                        return -ENOMEM;
                p += len;

                dash = strchr(token, '-');
                if (dash)
                        *dash = '\0';
                r = parse_u32(token, max, &range.first);
                if (r < 0)
                        return -EINVAL;
                range.last = range.first;
                if (dash) {
                        r = parse_u32(dash + 1, max, &range.last);
                        if (r < 0 || range.last < range.first)
                                return -EINVAL;
                }
                t = reallocarray(ranges, n + 1, sizeof(IndexRange));
                if (!t)
                        return -ENOMEM;
                ranges = t;
                ranges[n++] = range;
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(ranges);
        *ret_n = n;
        return 0;
}

bool driver_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 63)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_-.", *p))
                        return false;
        return true;
}

int parse_timespan(const char *s, uint64_t *ret_usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "us", 1 }, { "ms", 1000 }, { "min", 60000000 }, { "s", 1000000 }, { "h", 3600000000ULL }, { "", 1000000 },
        };
        uint64_t total = 0;
        bool any = false;

        for (const char *p = s;;) {
                unsigned long long v;
                size_t i;
                char *end;

                while (isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                errno = 0;
                v = strtoull(p, &end, 10);
                if (errno)
                        return -ERANGE;
                p = end;
                for (i = 0; i < ELEMENTSOF(units); i++) {
                        size_t n = strlen(units[i].suffix);

                        if (strncmp(p, units[i].suffix, n) == 0 && !isalpha((unsigned char) p[n]))
                                break;
                }
                if (i == ELEMENTSOF(units))
                        return -EINVAL;
                p += strlen(units[i].suffix);
                if (v > UINT64_MAX / units[i].usec || total > UINT64_MAX - v * units[i].usec)
                        return -ERANGE;
                total += v * units[i].usec;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

int parse_log_level(const char *s) {
        static const char * const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };
        unsigned n;

        for (int i = 0; i < (int) ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return i;
        if (strcasecmp(s, "error") == 0)
                return 3;
        if (parse_u32(s, 7, &n) >= 0)
                return (int) n;
        return -EINVAL;
}
