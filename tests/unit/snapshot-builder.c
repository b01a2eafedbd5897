/* Test-only construction of snapshots, policies and capabilities from text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sriovd/parse-util.h"
#include "snapshot-builder.h"

static char *xstrdup(const char *s) {
        char *t = strdup(s);
        assert_non_null(t);
        return t;
}

static void set_holder(Holder **holders, size_t *n, const char *spec, const char *node) {
        const char *colon = strchr(spec, ':');
        Holder *h;

        assert_non_null(colon);
        h = reallocarray(*holders, *n + 1, sizeof(Holder));
        assert_non_null(h);
        *holders = h;
        h[*n] = (Holder) { .pid = atoi(spec), .comm = xstrdup(colon + 1), .node = xstrdup(node) };
        (*n)++;
}

static void vf_clear(VfSnapshot *v) {
        free(v->driver);
        free(v->driver_override);
        free(v->vfio_cdev);
        strv_free(v->netdevs);
        for (size_t i = 0; i < v->n_holders; i++)
                holder_clear(&v->holders[i]);
        free(v->holders);
}

static void add_vfs(PfSnapshot *pf) {
        pf->vfs = calloc(pf->num_vfs ?: 1, sizeof(VfSnapshot));
        assert_non_null(pf->vfs);
        pf->n_vfs = pf->num_vfs;
        for (unsigned i = 0; i < pf->num_vfs; i++) {
                VfSnapshot *v = &pf->vfs[i];

                v->index = i;
                v->iommu_group = 100 + (int) i;
                v->msix_count = pf->vf_total_msix > 0 ? 0 : -1;
                v->netdevs = calloc(1, sizeof(char *));
                assert_non_null(v->netdevs);
                assert_int_equal(pci_vf_address(pf->address, pf->offset, pf->stride, i, v->address), 0);
        }
}

static void apply_vf(PfSnapshot *pf, char **words) {
        unsigned index = (unsigned) atoi(words[1]);
        VfSnapshot *v = NULL;
        char node[64];

        for (size_t i = 0; i < pf->n_vfs; i++)
                if (pf->vfs[i].index == index)
                        v = &pf->vfs[i];
        assert_non_null(v);
        for (char **w = words + 2; *w; w++) {
                char *eq = strchr(*w, '=');
                const char *k = *w, *val = eq ? eq + 1 : "";

                if (eq)
                        *eq = '\0';
                if (streq(k, "driver"))
                        v->driver = streq(val, "none") ? NULL : xstrdup(val);
                else if (streq(k, "override"))
                        v->driver_override = xstrdup(val);
                else if (streq(k, "group"))
                        v->iommu_group = atoi(val);
                else if (streq(k, "msix"))
                        v->msix_count = atoi(val);
                else if (streq(k, "holder")) {
                        snprintf(node, sizeof(node), "/dev/vfio/%d", v->iommu_group);
                        set_holder(&v->holders, &v->n_holders, val, node);
                } else if (streq(k, "missing")) {
                        /* the kernel still counts it, but its virtfn link is gone */
                        vf_clear(v);
                        memmove(v, v + 1, (size_t) (pf->vfs + pf->n_vfs - v - 1) * sizeof(VfSnapshot));
                        pf->n_vfs--;
                        return;
                } else
                        fail_msg("unknown vf key %s", k);
        }
}

PfSnapshot *build_pf(const char *description) {
        _cleanup_free_ char *copy = xstrdup(description);
        PfSnapshot *pf = calloc(1, sizeof(PfSnapshot));
        char *save = NULL;

        assert_non_null(pf);
        *pf = (PfSnapshot) {
                .vendor = 0x8086, .device = 0x1592, .total_vfs = 8, .offset = 8, .stride = 1,
                .drivers_autoprobe = 1, .unmanaged_autoprobe = -1, .iommu_group = 10, .numa_node = 0,
        };
        pf->netdevs = calloc(1, sizeof(char *));
        assert_non_null(pf->netdevs);

        for (char *line = strtok_r(copy, ";\n", &save); line; line = strtok_r(NULL, ";\n", &save)) {
                _cleanup_strv_free_ char **words = NULL;

                assert_int_equal(strv_split_whitespace(line, &words), 0);
                if (!words[0])
                        continue;
                if (streq(words[0], "vf")) {
                        if (!pf->vfs)
                                add_vfs(pf);
                        apply_vf(pf, words);
                        continue;
                }
                assert_string_equal(words[0], "pf");
                assert_true(pci_address_is_valid(words[1]));
                memcpy(pf->address, words[1], PCI_ADDRESS_MAX);
                for (char **w = words + 2; *w; w++) {
                        char *eq = strchr(*w, '=');
                        const char *val;

                        assert_non_null(eq);
                        *eq = '\0';
                        val = eq + 1;
                        if (streq(*w, "driver"))
                                pf->driver = streq(val, "none") ? NULL : xstrdup(val);
                        else if (streq(*w, "total"))
                                pf->total_vfs = (unsigned) atoi(val);
                        else if (streq(*w, "num"))
                                pf->num_vfs = (unsigned) atoi(val);
                        else if (streq(*w, "autoprobe"))
                                pf->drivers_autoprobe = atoi(val);
                        else if (streq(*w, "unmanaged"))
                                pf->unmanaged_autoprobe = atoi(val);
                        else if (streq(*w, "offset"))
                                pf->offset = (unsigned) strtoul(val, NULL, 0);
                        else if (streq(*w, "stride"))
                                pf->stride = (unsigned) strtoul(val, NULL, 0);
                        else if (streq(*w, "group"))
                                pf->iommu_group = atoi(val);
                        else if (streq(*w, "msix"))
                                pf->vf_total_msix = (unsigned) atoi(val);
                        else if (streq(*w, "override"))
                                pf->driver_override = xstrdup(val);
                        else if (streq(*w, "netdev"))
                                assert_int_equal(strv_extend(&pf->netdevs, val), 0);
                        else if (streq(*w, "path"))
                                pf->id_path = xstrdup(val);
                        else if (streq(*w, "serial"))
                                pf->serial = xstrdup(val);
                        else if (streq(*w, "vendor"))
                                pf->vendor = (uint16_t) strtoul(val, NULL, 16);
                        else if (streq(*w, "device"))
                                pf->device = (uint16_t) strtoul(val, NULL, 16);
                        else if (streq(*w, "holder")) {
                                char node[64];
                                snprintf(node, sizeof(node), "/dev/vfio/%d", pf->iommu_group);
                                set_holder(&pf->holders, &pf->n_holders, val, node);
                        } else
                                fail_msg("unknown pf key %s", *w);
                }
        }
        if (!pf->vfs)
                add_vfs(pf);
        if (!pf->id_path) {
                char p[64];
                snprintf(p, sizeof(p), "pci-%s", pf->address);
                pf->id_path = xstrdup(p);
        }
        return pf;
}

Policy *build_policy(const char *text) {
        Diagnostics d = {};
        Policy *p = NULL;

        assert_int_equal(policy_new("50-test.conf", &p), 0);
        p->path = xstrdup("/etc/sriovd.d/50-test.conf");
        if (policy_parse_text(p, p->path, text, strlen(text), &d) != 0) {
                for (size_t i = 0; i < d.n_items; i++)
                        print_error("%s:%u: %s\n", d.items[i].file, d.items[i].line, d.items[i].message);
                fail_msg("policy text has errors");
        }
        diagnostics_clear(&d);
        return p;
}

KernelCaps build_caps(const char *description) {
        _cleanup_strv_free_ char **words = NULL;
        KernelCaps c = {};

        assert_int_equal(strv_split_whitespace(description, &words), 0);
        c.pci_drivers = calloc(1, sizeof(char *));
        assert_non_null(c.pci_drivers);
        for (char **w = words; *w; w++) {
                if (streq(*w, "enable_sriov"))
                        c.vfio_enable_sriov = true;
                else
                        assert_int_equal(strv_extend(&c.pci_drivers, *w), 0);
        }
        return c;
}
