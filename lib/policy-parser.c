/* The policy file parser: systemd-style INI, typed values, every problem with file:line. */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd/ini.h"
#include "sriovd/parse-util.h"
#include "sriovd/policy.h"

typedef enum Section {
        SECTION_NONE,
        SECTION_MATCH,
        SECTION_PHYSICAL_FUNCTION,
        SECTION_VIRTUAL_FUNCTION,
        SECTION_UNKNOWN,
} Section;

typedef struct ParseContext {
        Policy *policy;
        VfPolicy *vf;           /* the [VirtualFunction] being parsed */
        Section section;
        const char *file;
        unsigned line;
        Diagnostics *diagnostics;
        unsigned n_errors;
        int oom;
} ParseContext;

_printf_(2, 3)
static void context_error(ParseContext *c, const char *format, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0 || diagnostics_add(c->diagnostics, DIAGNOSTIC_ERROR, c->file, c->line, "%s", m) < 0)
                c->oom = -ENOMEM;
        c->n_errors++;
}

_printf_(2, 3)
static void context_warning(ParseContext *c, const char *format, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0 || diagnostics_add(c->diagnostics, DIAGNOSTIC_WARNING, c->file, c->line, "%s", m) < 0)
                c->oom = -ENOMEM;
}

typedef void (*KeyParser)(ParseContext *c, const char *key, const char *value);

/* Whitespace separated alternatives; an empty value clears what earlier lines or files set. */
static void parse_glob_list(ParseContext *c, char ***list, const char *value) {
        _cleanup_strv_free_ char **words = NULL;

        if (strv_split_whitespace(value, &words) < 0) {
                c->oom = -ENOMEM;
                return;
        }
        if (!words[0]) {
                *list = strv_free(*list);
                return;
        }
        for (char **w = words; *w; w++)
                if (strv_extend(list, *w) < 0) {
                        c->oom = -ENOMEM;
                        return;
                }
}

static void parse_id_list(ParseContext *c, const char *key, const char *value, uint16_t **ids, size_t *n_ids) {
        _cleanup_strv_free_ char **words = NULL;

        if (strv_split_whitespace(value, &words) < 0) {
                c->oom = -ENOMEM;
                return;
        }
        if (!words[0]) {
                *ids = mfree(*ids);
                *n_ids = 0;
                return;
        }
        for (char **w = words; *w; w++) {
                uint16_t id, *t;

                if (parse_hex_u16(*w, &id) < 0) {
                        context_error(c, "%s=: \"%s\" is not a 16-bit hexadecimal ID (like 0x8086)", key, *w);
                        continue;
                }
                t = reallocarray(*ids, *n_ids + 1, sizeof(uint16_t));
                if (!t) {
                        c->oom = -ENOMEM;
                        return;
                }
                *ids = t;
                (*ids)[(*n_ids)++] = id;
        }
}

static void parse_match_pci_address(ParseContext *c, const char *key, const char *value) {
        parse_glob_list(c, &c->policy->match.pci_address, value);
}

static void parse_match_vendor(ParseContext *c, const char *key, const char *value) {
        parse_id_list(c, key, value, &c->policy->match.vendor, &c->policy->match.n_vendor);
}

static void parse_match_device(ParseContext *c, const char *key, const char *value) {
        parse_id_list(c, key, value, &c->policy->match.device, &c->policy->match.n_device);
}

static void parse_match_driver(ParseContext *c, const char *key, const char *value) {
        parse_glob_list(c, &c->policy->match.driver, value);
}

static void parse_match_interface(ParseContext *c, const char *key, const char *value) {
        parse_glob_list(c, &c->policy->match.interface, value);
}

static void parse_match_path(ParseContext *c, const char *key, const char *value) {
        parse_glob_list(c, &c->policy->match.path, value);
}

static void parse_match_serial(ParseContext *c, const char *key, const char *value) {
        parse_glob_list(c, &c->policy->match.serial, value);
}

static void parse_num_vfs(ParseContext *c, const char *key, const char *value) {
        unsigned n;
        int r;

        if (isempty(value)) {
                c->policy->num_vfs = -1;
                c->policy->num_vfs_max = false;
                return;
        }
        if (streq(value, "max")) {
                c->policy->num_vfs = -1;
                c->policy->num_vfs_max = true;
                return;
        }
        r = parse_u32(value, POLICY_NUM_VFS_MAX, &n);
        if (r == -ERANGE)
                return context_error(c, "%s=: %s is above the kernel's limit of %u VFs", key, value, POLICY_NUM_VFS_MAX);
        if (r < 0)
                return context_error(c, "%s=: \"%s\" is not a number or \"max\"", key, value);
        c->policy->num_vfs = (int) n;
        c->policy->num_vfs_max = false;
}

static void parse_tristate(ParseContext *c, const char *key, const char *value, int *ret) {
        int b;

        if (isempty(value)) {
                *ret = -1;
                return;
        }
        b = parse_boolean(value);
        if (b < 0)
                return context_error(c, "%s=: \"%s\" is not a boolean (yes/no, true/false, on/off, 1/0)", key, value);
        *ret = b;
}

static void parse_drivers_autoprobe(ParseContext *c, const char *key, const char *value) {
        parse_tristate(c, key, value, &c->policy->drivers_autoprobe);
}

static void parse_unmanaged_autoprobe(ParseContext *c, const char *key, const char *value) {
        parse_tristate(c, key, value, &c->policy->unmanaged_autoprobe);
}

static void parse_unmanaged(ParseContext *c, const char *key, const char *value) {
        UnmanagedMode m;

        if (isempty(value)) {
                c->policy->unmanaged = _UNMANAGED_INVALID;
                return;
        }
        m = unmanaged_mode_from_string(value);
        if (m < 0)
                return context_error(c, "%s=: \"%s\" is not one of kernel, pf-stub, vfio-pci, no", key, value);
        c->policy->unmanaged = m;
}

static void parse_eswitch_mode(ParseContext *c, const char *key, const char *value) {
        EswitchMode m;

        if (isempty(value)) {
                c->policy->eswitch_mode = _ESWITCH_MODE_INVALID;
                return;
        }
        m = eswitch_mode_from_string(value);
        if (m < 0)
                return context_error(c, "%s=: \"%s\" is not one of legacy, switchdev", key, value);
        c->policy->eswitch_mode = m;
        c->policy->eswitch_line = c->line;
}

static void parse_driver_name(ParseContext *c, const char *key, const char *value, char **ret) {
        if (isempty(value)) {
                *ret = mfree(*ret);
                return;
        }
        if (streq(value, "none"))
                return context_error(c, "%s=none is not a driver; use DriversAutoprobe=no to leave VFs without a driver", key);
        if (!driver_name_is_valid(value))
                return context_error(c, "%s=: \"%s\" is not a valid kernel driver name", key, value);
        if (free_and_strdup(ret, value) < 0)
                c->oom = -ENOMEM;
}

static void parse_vf_driver(ParseContext *c, const char *key, const char *value) {
        parse_driver_name(c, key, value, &c->policy->vf_driver);
}

static void parse_vf_index(ParseContext *c, const char *key, const char *value) {
        VfPolicy *v = c->vf;
        IndexRange *ranges, *t;
        size_t n;
        int r;

        if (isempty(value)) {
                v->ranges = mfree(v->ranges);
                v->n_ranges = 0;
                return;
        }
        r = parse_index_ranges(value, POLICY_NUM_VFS_MAX - 1, &ranges, &n);
        if (r == -ENOMEM) {
                c->oom = r;
                return;
        }
        if (r < 0)
                return context_error(c, "%s=: \"%s\" is not a list of VF indexes or ranges (like 0-3,6)", key, value);
        t = reallocarray(v->ranges, v->n_ranges + n, sizeof(IndexRange));
        if (!t) {
                free(ranges);
                c->oom = -ENOMEM;
                return;
        }
        memcpy(t + v->n_ranges, ranges, n * sizeof(IndexRange));
        free(ranges);
        v->ranges = t;
        v->n_ranges += n;
}

static void parse_vf_driver_key(ParseContext *c, const char *key, const char *value) {
        parse_driver_name(c, key, value, &c->vf->driver);
}

static void parse_bounded(ParseContext *c, const char *key, const char *value, unsigned max, int *ret) {
        unsigned n;
        int r;

        if (isempty(value)) {
                *ret = -1;
                return;
        }
        r = parse_u32(value, max, &n);
        if (r == -ERANGE)
                return context_error(c, "%s=: %s is out of range (0-%u)", key, value, max);
        if (r < 0)
                return context_error(c, "%s=: \"%s\" is not a number", key, value);
        *ret = (int) n;
}

static void parse_vf_msix(ParseContext *c, const char *key, const char *value) {
        parse_bounded(c, key, value, POLICY_MSIX_VECTORS_MAX, &c->vf->msix_vectors);
}

/* Remembers where the section's netdev settings start, for a PF that has no netdev to take them. */
static void note_net_setting(ParseContext *c) {
        if (c->vf->net_line == 0)
                c->vf->net_line = c->line;
}

static void parse_vf_vlan(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_bounded(c, key, value, POLICY_VLAN_MAX, &c->vf->vlan);
}

static void parse_vf_vlan_qos(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_bounded(c, key, value, POLICY_VLAN_QOS_MAX, &c->vf->vlan_qos);
}

static void parse_vf_vlan_protocol(ParseContext *c, const char *key, const char *value) {
        VlanProtocol p;

        note_net_setting(c);
        if (isempty(value)) {
                c->vf->vlan_protocol = _VLAN_PROTOCOL_INVALID;
                return;
        }
        p = vlan_protocol_from_string(value);
        if (p < 0)
                return context_error(c, "%s=: \"%s\" is not one of 802.1Q, 802.1ad", key, value);
        c->vf->vlan_protocol = p;
}

static void parse_vf_min_tx_rate(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_bounded(c, key, value, POLICY_TX_RATE_MAX, &c->vf->min_tx_rate);
}

static void parse_vf_max_tx_rate(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_bounded(c, key, value, POLICY_TX_RATE_MAX, &c->vf->max_tx_rate);
}

static void parse_vf_query_rss(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_tristate(c, key, value, &c->vf->query_rss);
}

static void parse_vf_mac(ParseContext *c, const char *key, const char *value) {
        uint8_t mac[6];

        note_net_setting(c);
        if (isempty(value)) {
                c->vf->has_mac = false;
                return;
        }
        if (parse_mac(value, mac) < 0)
                return context_error(c, "%s=: \"%s\" is not a MAC address (like 02:00:00:00:00:01)", key, value);
        if (mac[0] & 1)
                return context_error(c, "%s=: %s is a multicast address; a VF needs a unicast one", key, value);
        memcpy(c->vf->mac, mac, sizeof(mac));
        c->vf->has_mac = true;
}

static void parse_vf_trust(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_tristate(c, key, value, &c->vf->trust);
}

static void parse_vf_spoof_check(ParseContext *c, const char *key, const char *value) {
        note_net_setting(c);
        parse_tristate(c, key, value, &c->vf->spoof_check);
}

static void parse_vf_link_state(ParseContext *c, const char *key, const char *value) {
        LinkState s;

        note_net_setting(c);
        if (isempty(value)) {
                c->vf->link_state = _LINK_STATE_INVALID;
                return;
        }
        s = link_state_from_string(value);
        if (s < 0)
                return context_error(c, "%s=: \"%s\" is not one of auto, enable, disable", key, value);
        c->vf->link_state = s;
}

typedef struct KeyInfo {
        Section section;
        const char *name;
        KeyParser parse;
} KeyInfo;

static const KeyInfo keys[] = {
        { SECTION_MATCH,              "PCIAddress",         parse_match_pci_address },
        { SECTION_MATCH,              "Vendor",             parse_match_vendor },
        { SECTION_MATCH,              "Device",             parse_match_device },
        { SECTION_MATCH,              "Driver",             parse_match_driver },
        { SECTION_MATCH,              "Interface",          parse_match_interface },
        { SECTION_MATCH,              "Path",               parse_match_path },
        { SECTION_MATCH,              "Serial",             parse_match_serial },
        { SECTION_PHYSICAL_FUNCTION,  "NumVFs",             parse_num_vfs },
        { SECTION_PHYSICAL_FUNCTION,  "DriversAutoprobe",   parse_drivers_autoprobe },
        { SECTION_PHYSICAL_FUNCTION,  "UnmanagedAutoprobe", parse_unmanaged_autoprobe },
        { SECTION_PHYSICAL_FUNCTION,  "Unmanaged",          parse_unmanaged },
        { SECTION_PHYSICAL_FUNCTION,  "VFDriver",           parse_vf_driver },
        { SECTION_PHYSICAL_FUNCTION,  "EswitchMode",        parse_eswitch_mode },
        { SECTION_VIRTUAL_FUNCTION,   "Index",              parse_vf_index },
        { SECTION_VIRTUAL_FUNCTION,   "Driver",             parse_vf_driver_key },
        { SECTION_VIRTUAL_FUNCTION,   "MSIXVectors",        parse_vf_msix },
        { SECTION_VIRTUAL_FUNCTION,   "MACAddress",         parse_vf_mac },
        { SECTION_VIRTUAL_FUNCTION,   "VLAN",               parse_vf_vlan },
        { SECTION_VIRTUAL_FUNCTION,   "VLANId",             parse_vf_vlan },
        { SECTION_VIRTUAL_FUNCTION,   "QualityOfService",   parse_vf_vlan_qos },
        { SECTION_VIRTUAL_FUNCTION,   "VLANProtocol",       parse_vf_vlan_protocol },
        { SECTION_VIRTUAL_FUNCTION,   "MinTxRate",          parse_vf_min_tx_rate },
        { SECTION_VIRTUAL_FUNCTION,   "MaxTxRate",          parse_vf_max_tx_rate },
        { SECTION_VIRTUAL_FUNCTION,   "Trust",              parse_vf_trust },
        { SECTION_VIRTUAL_FUNCTION,   "SpoofCheck",         parse_vf_spoof_check },
        { SECTION_VIRTUAL_FUNCTION,   "MACSpoofCheck",      parse_vf_spoof_check },
        { SECTION_VIRTUAL_FUNCTION,   "LinkState",          parse_vf_link_state },
        { SECTION_VIRTUAL_FUNCTION,   "QueryReceiveSideScaling", parse_vf_query_rss },
};

static const char * const section_names[] = {
        [SECTION_MATCH] = "Match",
        [SECTION_PHYSICAL_FUNCTION] = "PhysicalFunction",
        [SECTION_VIRTUAL_FUNCTION] = "VirtualFunction",
};

/* Small edit distance, for "did you mean" hints on misspelt keys. */
static unsigned edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64];

        if (lb >= ELEMENTSOF(row) || la >= ELEMENTSOF(row))
                return UINT_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned prev = row[0];

                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned cost = tolower((unsigned char) a[i - 1]) == tolower((unsigned char) b[j - 1]) ? 0 : 1;
                        unsigned best = prev + cost;

                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        prev = cur;
                }
        }
        return row[lb];
}

static const char *suggest_key(Section section, const char *key) {
        const char *best = NULL;
        unsigned best_d = 3;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                unsigned d;

                if (keys[i].section != section)
                        continue;
                d = edit_distance(key, keys[i].name);
                if (d < best_d) {
                        best_d = d;
                        best = keys[i].name;
                }
        }
        return best;
}

static void finish_vf_section(ParseContext *c) {
        VfPolicy *v = c->vf;
        unsigned saved_line = c->line;
        uint64_t covered = 0;

        if (!v)
                return;
        c->vf = NULL;
        c->line = v->line;
        if (v->n_ranges == 0) {
                context_error(c, "[VirtualFunction] has no Index=; say which VFs it configures (like Index=0-3)");
                goto out;
        }
        for (size_t i = 0; i < v->n_ranges; i++)
                covered += v->ranges[i].last - v->ranges[i].first + 1;
        if (v->has_mac && covered > 1)
                context_error(c, "[VirtualFunction] sets MACAddress= for %" PRIu64 " VFs; a MAC address can be given to one VF only", covered);
        /* The kernel takes id, priority and protocol as one: a priority needs the id it tags. */
        if (v->vlan < 0 && (v->vlan_qos >= 0 || v->vlan_protocol >= 0))
                context_error(c, "[VirtualFunction] sets %s without VLANId=; say which VLAN it is for",
                              v->vlan_qos >= 0 ? "QualityOfService=" : "VLANProtocol=");
        if (v->min_tx_rate > 0 && v->max_tx_rate > 0 && v->min_tx_rate > v->max_tx_rate)
                context_error(c, "[VirtualFunction] MinTxRate=%d is above MaxTxRate=%d", v->min_tx_rate, v->max_tx_rate);
out:
        c->line = saved_line;
}

static void start_section(ParseContext *c, const char *name) {
        Section found = SECTION_UNKNOWN;

        finish_vf_section(c);

        for (Section s = SECTION_MATCH; s <= SECTION_VIRTUAL_FUNCTION; s++)
                if (streq(name, section_names[s]))
                        found = s;
        c->section = found;
        if (found == SECTION_UNKNOWN) {
                context_warning(c, "unknown section [%s], ignoring it", name);
                return;
        }
        if (c->section == SECTION_MATCH && c->policy->match_line == 0)
                c->policy->match_line = c->line;
        if (c->section == SECTION_VIRTUAL_FUNCTION) {
                Policy *p = c->policy;
                VfPolicy *t = reallocarray(p->vfs, p->n_vfs + 1, sizeof(VfPolicy));

                if (!t) {
                        c->oom = -ENOMEM;
                        return;
                }
                p->vfs = t;
                p->vfs[p->n_vfs] = (VfPolicy) {
                        .file = strdup(c->file),
                        .line = c->line,
                        .msix_vectors = -1,
                        .vlan = -1,
                        .vlan_qos = -1,
                        .vlan_protocol = _VLAN_PROTOCOL_INVALID,
                        .min_tx_rate = -1,
                        .max_tx_rate = -1,
                        .trust = -1,
                        .spoof_check = -1,
                        .query_rss = -1,
                        .link_state = _LINK_STATE_INVALID,
                };
                if (!p->vfs[p->n_vfs].file)
                        c->oom = -ENOMEM;
                c->vf = &p->vfs[p->n_vfs++];
        }
}

static void assign(ParseContext *c, const char *key, const char *value) {
        const char *hint;

        switch (c->section) {
        case SECTION_NONE:
                return context_error(c, "%s= is outside of any section; it belongs under [Match], [PhysicalFunction] or [VirtualFunction]", key);
        case SECTION_UNKNOWN:
                return; /* the section was already reported */
        default:
                break;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].section == c->section && streq(keys[i].name, key))
                        return keys[i].parse(c, key, value);

        hint = suggest_key(c->section, key);
        if (hint)
                context_warning(c, "unknown key %s= in [%s] (did you mean %s=?), ignoring it", key, section_names[c->section], hint);
        else
                context_warning(c, "unknown key %s= in [%s], ignoring it", key, section_names[c->section]);
}

static void on_section(void *userdata, const char *name, unsigned line) {
        ParseContext *c = userdata;

        c->line = line;
        if (!name) {
                /* Keys under a header we cannot read belong to a section we cannot name: do not guess. */
                finish_vf_section(c);
                c->section = SECTION_UNKNOWN;
                return;
        }
        start_section(c, name);
}

static void on_assignment(void *userdata, const char *key, const char *value, unsigned line) {
        ParseContext *c = userdata;

        c->line = line;
        assign(c, key, value);
}

static void on_syntax_error(void *userdata, const char *message, unsigned line) {
        ParseContext *c = userdata;

        c->line = line;
        context_error(c, "%s", message);
}

int policy_parse_text(Policy *p, const char *file, const char *text, size_t size, Diagnostics *d) {
        static const IniCallbacks callbacks = {
                .section = on_section,
                .assignment = on_assignment,
                .syntax_error = on_syntax_error,
        };
        ParseContext c = {
                .policy = p,
                .section = SECTION_NONE,
                .file = file,
                .diagnostics = d,
        };
        int r;

        r = ini_parse(text, size, &callbacks, &c);
        if (r < 0)
                return r;
        finish_vf_section(&c);
        if (c.oom)
                return c.oom;
        return (int) c.n_errors;
}
