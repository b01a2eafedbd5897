/* The .hw hardware description: parsing "module", "driver" and "pf" lines and applying them. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "fake-kernel-private.h"

typedef enum ItemType { ITEM_MODULE, ITEM_DRIVER, ITEM_PF } ItemType;

typedef struct Item {
        ItemType type;
        char *where;
        char *name;             /* module or driver */
        int sriov;              /* driver: -1 unspecified */
        int enable_sriov;       /* module vfio-pci: -1 unspecified */
        HwPf *pf;
} Item;

static void item_free(Item *item) {
        g_free(item->where);
        g_free(item->name);
        hw_pf_free(item->pf);
        g_free(item);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Item, item_free)

G_GNUC_PRINTF(2, 3)
static int parse_error(const char *where, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        g_autofree char *message = g_strdup_vprintf(format, ap);
        va_end(ap);
        fprintf(stderr, "%s: %s\n", where, message);
        return -EINVAL;
}

static bool parse_hex(const char *s, unsigned max_digits, unsigned *ret) {
        if (g_str_has_prefix(s, "0x") || g_str_has_prefix(s, "0X"))
                s += 2;
        size_t len = strlen(s);
        if (len == 0 || len > max_digits)
                return false;
        unsigned v = 0;
        for (; *s; s++) {
                int digit = g_ascii_xdigit_value(*s);
                if (digit < 0)
                        return false;
                v = v * 16 + (unsigned) digit;
        }
        *ret = v;
        return true;
}

static bool parse_unsigned(const char *s, unsigned max, unsigned *ret) {
        guint64 v;
        if (!g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL))
                return false;
        *ret = (unsigned) v;
        return true;
}

static bool parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "y", "1", "true", "on", NULL };
        static const char *const no[] = { "no", "n", "0", "false", "off", NULL };
        for (const char *const *p = yes; *p; p++)
                if (g_ascii_strcasecmp(s, *p) == 0) {
                        *ret = true;
                        return true;
                }
        for (const char *const *p = no; *p; p++)
                if (g_ascii_strcasecmp(s, *p) == 0) {
                        *ret = false;
                        return true;
                }
        return false;
}

static bool valid_name(const char *s) {
        if (!*s || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!g_ascii_isalnum(*s) && *s != '_' && *s != '-')
                        return false;
        return true;
}

/* Driver names as the PCI core spells them, whichever way the module is spelled. */
static char *driver_name_for_module(const char *module) {
        if (streq(module, "vfio_pci"))
                return g_strdup(VFIO_PCI);
        if (streq(module, "pci_pf_stub"))
                return g_strdup("pci-pf-stub");
        return g_strdup(module);
}

static int parse_driver_value(const char *where, const char *key, const char *value, char **ret) {
        if (streq(value, "none")) {
                *ret = NULL;
                return 0;
        }
        if (!valid_name(value))
                return parse_error(where, "invalid driver name '%s' for %s", value, key);
        *ret = g_strdup(value);
        return 0;
}

static int parse_pf(const char *where, char **tokens, Item **ret) {
        if (!tokens[1])
                return parse_error(where, "pf needs a PCI address");
        g_autoptr(HwPf) hw = g_new0(HwPf, 1);
        if (bdf_parse(tokens[1], &hw->domain, &hw->bus, &hw->devfn) < 0)
                return parse_error(where, "invalid PCI address '%s'", tokens[1]);
        hw->where = g_strdup(where);
        hw->class = 0x020000;
        hw->totalvfs = 8;
        hw->autoprobe = true;
        hw->offset = 1;
        hw->stride = 1;
        hw->iommu = true;
        hw->unmanaged_autoprobe = true;
        bool vf_device_set = false;

        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (char **t = tokens + 2; *t; t++) {
                char *eq = strchr(*t, '=');
                if (!eq || eq == *t)
                        return parse_error(where, "expected key=value, got '%s'", *t);
                g_autofree char *key = g_strndup(*t, (size_t) (eq - *t));
                const char *value = eq + 1;
                if (g_hash_table_contains(seen, key))
                        return parse_error(where, "duplicate key '%s'", key);
                g_hash_table_add(seen, g_strdup(key));
                unsigned u;
                bool b;

                if (streq(key, "vendor") || streq(key, "device") || streq(key, "vf-device")) {
                        if (!parse_hex(value, 4, &u))
                                return parse_error(where, "%s: expected a 16-bit hex ID, got '%s'", key, value);
                        if (streq(key, "vendor"))
                                hw->vendor = (uint16_t) u;
                        else if (streq(key, "device"))
                                hw->device = (uint16_t) u;
                        else {
                                hw->vf_device = (uint16_t) u;
                                vf_device_set = true;
                        }
                } else if (streq(key, "class")) {
                        if (!parse_hex(value, 6, &u))
                                return parse_error(where, "class: expected a 24-bit hex class, got '%s'", value);
                        hw->class = u;
                } else if (streq(key, "driver")) {
                        if (parse_driver_value(where, key, value, &hw->driver) < 0)
                                return -EINVAL;
                } else if (streq(key, "vf-driver")) {
                        if (parse_driver_value(where, key, value, &hw->vf_driver) < 0)
                                return -EINVAL;
                } else if (streq(key, "totalvfs") || streq(key, "numvfs") || streq(key, "offset") ||
                           streq(key, "stride") || streq(key, "msix") || streq(key, "enables")) {
                        if (!parse_unsigned(value, streq(key, "msix") ? 65535 * 2048 : UINT16_MAX, &u))
                                return parse_error(where, "%s: expected a number, got '%s'", key, value);
                        if (streq(key, "totalvfs"))
                                hw->totalvfs = u;
                        else if (streq(key, "numvfs"))
                                hw->numvfs = u;
                        else if (streq(key, "offset"))
                                hw->offset = u;
                        else if (streq(key, "stride"))
                                hw->stride = u;
                        else if (streq(key, "enables"))
                                hw->enables = u;
                        else
                                hw->msix = u;
                } else if (streq(key, "autoprobe") || streq(key, "unmanaged-autoprobe") ||
                           streq(key, "iommu") || streq(key, "unmanaged")) {
                        if (!parse_boolean(value, &b))
                                return parse_error(where, "%s: expected yes or no, got '%s'", key, value);
                        if (streq(key, "autoprobe"))
                                hw->autoprobe = b;
                        else if (streq(key, "unmanaged-autoprobe"))
                                hw->unmanaged_autoprobe = b;
                        else if (streq(key, "iommu"))
                                hw->iommu = b;
                        else
                                hw->unmanaged = b;
                } else if (streq(key, "netdev")) {
                        if (!*value || strlen(value) > 15 || strpbrk(value, "/: \t"))
                                return parse_error(where, "invalid interface name '%s'", value);
                        hw->netdev = g_strdup(value);
                } else if (streq(key, "serial")) {
                        /* As lspci shows the Device Serial Number: eight hex bytes, most significant first. */
                        unsigned b8[8];
                        int end = 0;
                        if (sscanf(value, "%2x-%2x-%2x-%2x-%2x-%2x-%2x-%2x%n", &b8[0], &b8[1], &b8[2], &b8[3], &b8[4],
                                   &b8[5], &b8[6], &b8[7], &end) != 8 || value[end] || strlen(value) != 23)
                                return parse_error(where, "serial: expected 8 hex bytes like 00-11-22-ff-fe-33-44-55, got '%s'", value);
                        hw->serial = 0;
                        for (unsigned i = 0; i < 8; i++)
                                hw->serial = hw->serial << 8 | b8[i];
                        hw->has_serial = true;
                } else if (streq(key, "id-path")) {
                        if (!*value)
                                return parse_error(where, "id-path must not be empty");
                        hw->id_path = g_strdup(value);
                } else if (streq(key, "numa")) {
                        gint64 v;
                        if (!g_ascii_string_to_signed(value, 10, -1, 1024, &v, NULL))
                                return parse_error(where, "numa: expected a node number or -1, got '%s'", value);
                        hw->numa = (int) v;
                } else
                        return parse_error(where, "unknown key '%s'", key);
        }

        if (!vf_device_set)
                hw->vf_device = hw->device;
        if (!hw->id_path) {
                g_autofree char *bdf = bdf_format(hw->domain, hw->bus, hw->devfn);
                hw->id_path = g_strdup_printf("pci-%s", bdf);
        }
        if (hw->numvfs > hw->totalvfs)
                return parse_error(where, "numvfs %u is above totalvfs %u", hw->numvfs, hw->totalvfs);
        if (hw->totalvfs > 0 && hw->offset == 0)
                return parse_error(where, "offset must be at least 1");
        if (hw->totalvfs > 1 && hw->stride == 0)
                return parse_error(where, "stride must be at least 1");
        if (hw->totalvfs > 0 &&
            (hw->bus << 8 | hw->devfn) + hw->offset + (hw->totalvfs - 1) * hw->stride > 0xffff)
                return parse_error(where, "VF addresses run past bus ff");
        if (hw->netdev && !hw->driver)
                return parse_error(where, "netdev needs a driver that creates it");

        Item *item = g_new0(Item, 1);
        item->type = ITEM_PF;
        item->where = g_strdup(where);
        item->pf = g_steal_pointer(&hw);
        *ret = item;
        return 0;
}

static int parse_module_or_driver(const char *where, char **tokens, bool module, Item **ret) {
        const char *keyword = module ? "module" : "driver";
        if (!tokens[1])
                return parse_error(where, "%s needs a name", keyword);
        if (!valid_name(tokens[1]))
                return parse_error(where, "invalid %s name '%s'", keyword, tokens[1]);
        g_autoptr(Item) item = g_new0(Item, 1);
        item->type = module ? ITEM_MODULE : ITEM_DRIVER;
        item->where = g_strdup(where);
        item->name = driver_name_for_module(tokens[1]);
        item->sriov = -1;
        item->enable_sriov = -1;

        for (char **t = tokens + 2; *t; t++) {
                char *eq = strchr(*t, '=');
                if (!eq || eq == *t)
                        return parse_error(where, "expected key=value, got '%s'", *t);
                g_autofree char *key = g_strndup(*t, (size_t) (eq - *t));
                bool b;
                if (module && streq(item->name, VFIO_PCI) && streq(key, "enable_sriov")) {
                        if (!parse_boolean(eq + 1, &b))
                                return parse_error(where, "enable_sriov: expected 0 or 1, got '%s'", eq + 1);
                        item->enable_sriov = b;
                } else if (!module && streq(key, "sriov")) {
                        if (!parse_boolean(eq + 1, &b))
                                return parse_error(where, "sriov: expected yes or no, got '%s'", eq + 1);
                        item->sriov = b;
                } else if (module)
                        return parse_error(where, "unknown parameter '%s' for module %s", key, tokens[1]);
                else
                        return parse_error(where, "unknown key '%s'", key);
        }
        *ret = g_steal_pointer(&item);
        return 0;
}

static int parse_line(const char *where, char *line, Item **ret) {
        char *hash = strchr(line, '#');
        if (hash)
                *hash = '\0';
        g_auto(GStrv) raw = g_strsplit_set(line, " \t\r", -1);
        g_autoptr(GPtrArray) tokens = g_ptr_array_new();
        for (char **t = raw; *t; t++)
                if (**t)
                        g_ptr_array_add(tokens, *t);
        g_ptr_array_add(tokens, NULL);
        char **tok = (char **) tokens->pdata;

        *ret = NULL;
        if (!tok[0])
                return 0;
        if (streq(tok[0], "pf"))
                return parse_pf(where, tok, ret);
        if (streq(tok[0], "module"))
                return parse_module_or_driver(where, tok, true, ret);
        if (streq(tok[0], "driver"))
                return parse_module_or_driver(where, tok, false, ret);
        return parse_error(where, "unknown item '%s' (expected module, driver or pf)", tok[0]);
}

int hw_load(FakeKernel *k, const char *text, const char *name) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify) item_free);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (unsigned i = 0; lines[i]; i++) {
                g_autofree char *where = g_strdup_printf("%s:%u", name, i + 1);
                Item *item;
                int r = parse_line(where, lines[i], &item);
                if (r < 0)
                        return r;
                if (item)
                        g_ptr_array_add(items, item);
        }

        /* drivers and modules first: a pf line may name a driver declared further down */
        for (guint i = 0; i < items->len; i++) {
                Item *item = items->pdata[i];
                if (item->type == ITEM_PF)
                        continue;
                if (item->type == ITEM_MODULE && item->enable_sriov >= 0)
                        k->vfio_enable_sriov = item->enable_sriov;
                (void) kernel_load_driver(k, item->name, item->sriov);
                module_files_render(k);
        }
        for (guint i = 0; i < items->len; i++) {
                Item *item = items->pdata[i];
                if (item->type != ITEM_PF)
                        continue;
                int r = kernel_add_pf(k, g_steal_pointer(&item->pf));
                if (r < 0)
                        return r;
        }
        return 0;
}

int fake_kernel_load(FakeKernel *k, const char *description) {
        if (!k || !description)
                return -EINVAL;
        return hw_load(k, description, "<description>");
}

int fake_kernel_load_file(FakeKernel *k, const char *path) {
        if (!k || !path)
                return -EINVAL;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                fprintf(stderr, "%s: %s\n", path, g_strerror(-r));
                return r;
        }
        g_autoptr(GString) text = g_string_new(NULL);
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                g_string_append_len(text, buf, n);
        int r = n < 0 ? -errno : 0;
        close(fd);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, g_strerror(-r));
                return r;
        }
        return hw_load(k, text->str, path);
}
