/* sriovctl status [PF]: every PF in a table, or one PF and its VFs as a tree. */
#include <stdio.h>
#include <stdlib.h>

#include "bus-client.h"
#include "sriovd/pci-address.h"

static char *device_name(const PfInfo *p) {
        char *s;

        if (!isempty(p->vendor_name) && !isempty(p->name))
                return asprintf(&s, "%s %s", p->vendor_name, p->name) < 0 ? NULL : s;
        return asprintf(&s, "%04x:%04x", p->vendor, p->device) < 0 ? NULL : s;
}

static char *vf_counts(const PfInfo *p) {
        char *s;

        if (p->desired_num_vfs >= 0)
                return asprintf(&s, "%u/%d/%u", p->num_vfs, p->desired_num_vfs, p->total_vfs) < 0 ? NULL : s;
        return asprintf(&s, "%u/-/%u", p->num_vfs, p->total_vfs) < 0 ? NULL : s;
}

static int print_table(PfInfo *pfs, size_t n, const char *status) {
        static const char * const header[] = { "PF", "DEVICE", "DRIVER", "VFS", "STATE", "LOCK" };
        Table t;
        int r;

        r = table_new(&t, header, ELEMENTSOF(header));
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *name = device_name(&pfs[i]), *counts = vf_counts(&pfs[i]);

                if ((r = table_add(&t, pfs[i].address)) < 0 || (r = table_add(&t, name)) < 0 ||
                    (r = table_add(&t, isempty(pfs[i].driver) ? "-" : pfs[i].driver)) < 0 ||
                    (r = table_add(&t, counts)) < 0 || (r = table_add(&t, pfs[i].state)) < 0 ||
                    (r = table_add(&t, isempty(pfs[i].locked_by) ? "-" : pfs[i].locked_by)) < 0)
                        break;
        }
        if (r >= 0) {
                if (n > 0)
                        table_print(&t, arg.legend);
                if (arg.legend)
                        printf("%s%s\n", n > 0 ? "\n" : "", n > 0 ? strempty(status) : "No SR-IOV PFs.");
        }
        table_clear(&t);
        return r < 0 ? EXIT_FAILURE_ : EXIT_OK;
}

static void field(const char *glyph, const char *name, const char *value) {
        printf("  %s%-12s %s\n", glyph, name, value);
}

static const char *on_off(int b) {
        return b < 0 ? "?" : b ? "on" : "off";
}

/* One line under the VF, like "ip link" shows it: what the PF driver reports. */
static void print_vf_net(const VfNetInfo *n, const char *glyph) {
        _cleanup_free_ char *vlan = NULL, *rate = NULL;

        if (n->vlan > 0)
                (void) asprintf(&vlan, "%d qos %d %s", n->vlan, n->qos, strempty(n->vlan_protocol));
        if (n->max_tx_rate >= 0)
                (void) asprintf(&rate, "%d-%d Mbit/s", n->min_tx_rate, n->max_tx_rate);
        printf("     %s    mac %s, vlan %s, spoof check %s, trust %s, link %s, rate %s, rss query %s\n", glyph,
               isempty(n->mac) ? "?" : n->mac, vlan ?: (n->vlan == 0 ? "none" : "?"), on_off(n->spoof_check),
               on_off(n->trust), isempty(n->link_state) ? "?" : n->link_state,
               !rate ? "?" : n->max_tx_rate == 0 && n->min_tx_rate == 0 ? "unlimited" : rate, on_off(n->query_rss));
}

static void print_tree(const PfInfo *p) {
        _cleanup_free_ char *name = device_name(p), *vfs = NULL, *cap = NULL, *state = NULL;
        _cleanup_free_ char *netdevs = NULL;

        printf("%s%s%s %s%s%s %s\n", ctl_state_color(p->state), ctl_glyph_dot(), ctl_color(ANSI_RESET),
               ctl_color(ANSI_BOLD), p->address, ctl_color(ANSI_RESET), strempty(name));

        if (asprintf(&state, "%s%s%s%s%s", ctl_state_color(p->state), p->state, ctl_color(ANSI_RESET),
                     isempty(p->state_reason) ? "" : ": ", strempty(p->state_reason)) < 0)
                return;
        field(ctl_glyph_branch(), "state:", state);
        if (!isempty(p->interrupted))
                field(ctl_glyph_branch(), "at start:", p->interrupted);
        field(ctl_glyph_branch(), "policy:", isempty(p->policy) ? "none (the PF is left alone)" : p->policy);
        for (char **s = p->shadowed; s && *s; s++)
                field(ctl_glyph_branch(), "shadowed:", *s);
        field(ctl_glyph_branch(), "driver:", isempty(p->driver) ? "none" : p->driver);
        for (char **i = p->netdevs; i && *i; i++) {
                char *t;
                if (asprintf(&t, "%s%s%s", strempty(netdevs), netdevs ? " " : "", *i) < 0)
                        return;
                free(netdevs);
                netdevs = t;
        }
        if (netdevs)
                field(ctl_glyph_branch(), "netdevs:", netdevs);
        if (p->desired_num_vfs >= 0)
                (void) asprintf(&vfs, "%u of %u (the policy wants %d)", p->num_vfs, p->total_vfs, p->desired_num_vfs);
        else
                (void) asprintf(&vfs, "%u of %u", p->num_vfs, p->total_vfs);
        field(ctl_glyph_branch(), "VFs:", strempty(vfs));
        field(ctl_glyph_branch(), "autoprobe:", p->drivers_autoprobe ? "on" : "off");
        if (p->unmanaged_autoprobe >= 0)
                field(ctl_glyph_branch(), "unmanaged:", p->unmanaged_autoprobe ? "autoprobe on (sriov_unmanaged_autoprobe)"
                                                                                : "autoprobe off (sriov_unmanaged_autoprobe)");
        if (!isempty(p->locked_by))
                field(ctl_glyph_branch(), "locked by:", p->locked_by);
        if (!isempty(p->serial))
                field(ctl_glyph_branch(), "serial:", p->serial);
        if (!isempty(p->eswitch_mode))
                field(ctl_glyph_branch(), "eswitch:", p->eswitch_mode);
        if (p->hw_total_vfs > 0 &&
            asprintf(&cap, "TotalVFs %u, VF offset %u, stride %u, VF device %04x:%04x", p->hw_total_vfs, p->vf_offset,
                     p->vf_stride, p->vendor, p->vf_device) >= 0)
                field(p->n_vfs > 0 ? ctl_glyph_branch() : ctl_glyph_last(), "SR-IOV:", cap);
        for (size_t i = 0; i < p->n_vfs; i++) {
                const VfInfo *v = &p->vfs[i];
                const char *g = i + 1 < p->n_vfs ? ctl_glyph_branch() : ctl_glyph_last();
                char group[32] = "no IOMMU group";

                if (i == 0)
                        printf("  %sVFs\n", ctl_glyph_last());
                if (v->iommu_group >= 0)
                        snprintf(group, sizeof(group), "IOMMU group %d", v->iommu_group);
                _cleanup_strv_free_ char **vf_netdevs = NULL;
                _cleanup_free_ char *names = NULL;

                (void) pf_info_vf_netdevs(p, v->index, &vf_netdevs);
                if (vf_netdevs)
                        (void) strv_join(vf_netdevs, ",", &names);
                printf("     %s%-3u %s  %-10s %s", g, v->index, v->address, isempty(v->driver) ? "-" : v->driver, group);
                if (names)
                        printf("  %s", names);
                if (v->holder_pid > 0)
                        printf("  %sheld by %s (pid %u)%s", ctl_color(ANSI_YELLOW), strempty(v->holder_comm), v->holder_pid,
                               ctl_color(ANSI_RESET));
                printf("\n");
                if (pf_info_vf_net(p, v->index))
                        print_vf_net(pf_info_vf_net(p, v->index), i + 1 < p->n_vfs ? ctl_glyph_pipe() : "   ");
        }
}

int verb_status(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *status = NULL;
        PfInfo *pfs = NULL, *one = NULL;
        size_t n = 0;
        int r;

        if (argc > 1) {
                fprintf(stderr, "sriovctl: status takes at most one PF\n");
                return EXIT_USAGE;
        }
        if (argc == 1 && !pci_address_is_valid(argv[0])) {
                fprintf(stderr, "sriovctl: \"%s\" is not a PCI address like 0000:3b:00.0\n", argv[0]);
                return EXIT_USAGE;
        }
        r = ctl_bus_connect(&bus);
        if (r != 0)
                return r;
        r = ctl_load_pfs(bus, &pfs, &n, &status);
        if (r != 0)
                return r;

        if (argc == 1) {
                for (size_t i = 0; i < n; i++)
                        if (streq_ptr(pfs[i].address, argv[0]))
                                one = &pfs[i];
                if (!one) {
                        fprintf(stderr, "sriovctl: %s is not an SR-IOV PF sriovd knows\n", argv[0]);
                        pf_infos_free(pfs, n);
                        return EXIT_FAILURE_;
                }
                if (arg.json)
                        (void) ctl_json_print(pf_info_json(one));
                else
                        print_tree(one);
        } else if (arg.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();

                for (size_t i = 0; i < n; i++)
                        json_object_array_add(a, pf_info_json(&pfs[i]));
                json_object_object_add(o, "status", ctl_json_string(status));
                json_object_object_add(o, "pfs", a);
                (void) ctl_json_print(o);
        } else
                r = print_table(pfs, n, status);
        pf_infos_free(pfs, n);
        return r;
}
