/* Typed value parsers shared by the policy parser, sriovd.conf and sriovctl's arguments. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sriovd/macro.h"

typedef struct IndexRange {
        unsigned first;
        unsigned last;          /* inclusive */
} IndexRange;

/* systemd's spellings: 1/yes/y/true/t/on and 0/no/n/false/f/off, any case. Returns 1, 0 or -EINVAL. */
int parse_boolean(const char *s);
/* Decimal, digits only. -EINVAL when not a number, -ERANGE above max. */
int parse_u32(const char *s, unsigned max, unsigned *ret);
/* One to four hex digits, with or without 0x. */
int parse_hex_u16(const char *s, uint16_t *ret);
/* xx:xx:xx:xx:xx:xx */
int parse_mac(const char *s, uint8_t ret[static 6]);
/* "0-3,6 8-9": indexes up to max and inclusive ranges, separated by commas or whitespace. */
int parse_index_ranges(const char *s, unsigned max, IndexRange **ret, size_t *ret_n);
/* What the kernel accepts as a driver name in driver_override. */
bool driver_name_is_valid(const char *s);
/* A time span: a number with an optional unit (us, ms, s, min, h; none means seconds), or
 * several summed ("1min 30s"). -EINVAL when malformed, -ERANGE when it overflows. */
int parse_timespan(const char *s, uint64_t *ret_usec);
/* syslog's level names ("err", "warning", "info", "debug", ...) or a number 0-7. */
int parse_log_level(const char *s);
