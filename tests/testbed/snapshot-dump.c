/* Test tool: reads PF snapshots (with vfio holders) through libsriov and writes every field as JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd/ownership.h"
#include "sriovd/pci-info.h"
#include "sriovd/sysfs.h"

static json_object *strv_json(char * const *l) {
        json_object *a = json_object_new_array();

        for (char * const *i = l; i && *i; i++)
                json_object_array_add(a, json_object_new_string(*i));
        return a;
}

static json_object *holders_json(const Holder *h, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "pid", json_object_new_int(h[i].pid));
                json_object_object_add(o, "comm", h[i].comm ? json_object_new_string(h[i].comm) : NULL);
                json_object_object_add(o, "node", json_object_new_string(h[i].node));
                json_object_array_add(a, o);
        }
        return a;
}

static json_object *str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static json_object *pf_json(const PfSnapshot *s) {
        json_object *o = json_object_new_object(), *vfs = json_object_new_array();

        json_object_object_add(o, "address", json_object_new_string(s->address));
        json_object_object_add(o, "syspath", str_or_null(s->syspath));
        json_object_object_add(o, "vendor", json_object_new_int(s->vendor));
        json_object_object_add(o, "device", json_object_new_int(s->device));
        json_object_object_add(o, "subsystem_vendor", json_object_new_int(s->subsystem_vendor));
        json_object_object_add(o, "subsystem_device", json_object_new_int(s->subsystem_device));
        json_object_object_add(o, "class", json_object_new_int((int) s->class));
        json_object_object_add(o, "driver", str_or_null(s->driver));
        json_object_object_add(o, "driver_override", str_or_null(s->driver_override));
        json_object_object_add(o, "id_path", str_or_null(s->id_path));
        json_object_object_add(o, "netdevs", strv_json(s->netdevs));
        json_object_object_add(o, "iommu_group", json_object_new_int(s->iommu_group));
        json_object_object_add(o, "vfio_cdev", str_or_null(s->vfio_cdev));
        json_object_object_add(o, "numa_node", json_object_new_int(s->numa_node));
        json_object_object_add(o, "total_vfs", json_object_new_int((int) s->total_vfs));
        json_object_object_add(o, "num_vfs", json_object_new_int((int) s->num_vfs));
        json_object_object_add(o, "offset", json_object_new_int((int) s->offset));
        json_object_object_add(o, "stride", json_object_new_int((int) s->stride));
        json_object_object_add(o, "vf_device", json_object_new_int(s->vf_device));
        json_object_object_add(o, "drivers_autoprobe", json_object_new_int(s->drivers_autoprobe));
        json_object_object_add(o, "unmanaged_autoprobe", json_object_new_int(s->unmanaged_autoprobe));
        json_object_object_add(o, "vf_total_msix", json_object_new_int((int) s->vf_total_msix));
        json_object_object_add(o, "holders", holders_json(s->holders, s->n_holders));
        {
                SriovCapability c;
                int r = pci_read_sriov_capability(s->address, &c);
                json_object *cap = json_object_new_object();

                if (r < 0)
                        json_object_object_add(cap, "error", json_object_new_string(errno_name(r)));
                else {
                        json_object_object_add(cap, "total_vfs", json_object_new_int(c.total_vfs));
                        json_object_object_add(cap, "initial_vfs", json_object_new_int(c.initial_vfs));
                        json_object_object_add(cap, "num_vfs", json_object_new_int(c.num_vfs));
                        json_object_object_add(cap, "offset", json_object_new_int(c.offset));
                        json_object_object_add(cap, "stride", json_object_new_int(c.stride));
                        json_object_object_add(cap, "vf_device", json_object_new_int(c.vf_device));
                }
                json_object_object_add(o, "capability", cap);
        }
        for (size_t i = 0; i < s->n_vfs; i++) {
                const VfSnapshot *v = &s->vfs[i];
                json_object *x = json_object_new_object();

                json_object_object_add(x, "index", json_object_new_int((int) v->index));
                json_object_object_add(x, "address", json_object_new_string(v->address));
                json_object_object_add(x, "vendor", json_object_new_int(v->vendor));
                json_object_object_add(x, "device", json_object_new_int(v->device));
                json_object_object_add(x, "driver", str_or_null(v->driver));
                json_object_object_add(x, "driver_override", str_or_null(v->driver_override));
                json_object_object_add(x, "iommu_group", json_object_new_int(v->iommu_group));
                json_object_object_add(x, "vfio_cdev", str_or_null(v->vfio_cdev));
                json_object_object_add(x, "msix_count", json_object_new_int(v->msix_count));
                json_object_object_add(x, "netdevs", strv_json(v->netdevs));
                json_object_object_add(x, "holders", holders_json(v->holders, v->n_holders));
                json_object_array_add(vfs, x);
        }
        json_object_object_add(o, "vfs", vfs);
        return o;
}

/* snapshot-dump OUTPUT [ADDRESS|/PATH...]: no address means every PF sysfs_list_pfs() finds; an
 * argument starting with / is a path the writer's check is asked about instead. */
int main(int argc, char **argv) {
        _cleanup_strv_free_ char **addresses = NULL;
        json_object *root = json_object_new_object(), *pfs = json_object_new_array(), *errors = json_object_new_object();
        PfSnapshot **snapshots;
        size_t n, n_ok = 0;
        FILE *f;
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: snapshot-dump OUTPUT [ADDRESS...]\n");
                return 2;
        }
        if (argc > 2) {
                json_object *checks = json_object_new_object();

                addresses = calloc(1, sizeof(char *));
                for (int i = 2; i < argc; i++) {
                        if (argv[i][0] != '/') {
                                (void) strv_extend(&addresses, argv[i]);
                                continue;
                        }
                        r = sysfs_check_path(argv[i]);
                        json_object_object_add(checks, argv[i], json_object_new_string(r < 0 ? errno_name(r) : "ok"));
                }
                json_object_object_add(root, "path_checks", checks);
        } else if ((r = sysfs_list_pfs(&addresses)) < 0) {
                fprintf(stderr, "sysfs_list_pfs: %s\n", strerror(-r));
                return 1;
        }
        n = strv_length(addresses);
        snapshots = calloc(n + 1, sizeof(PfSnapshot *));
        for (size_t i = 0; i < n; i++) {
                r = sysfs_read_pf(addresses[i], &snapshots[n_ok]);
                if (r < 0)
                        json_object_object_add(errors, addresses[i], json_object_new_string(errno_name(r)));
                else
                        n_ok++;
        }
        /* libpci on a device that is not there: an error, not an exit() */
        {
                SriovCapability c;
                r = pci_read_sriov_capability("0000:99:1f.7", &c);
                json_object_object_add(root, "missing_capability", json_object_new_string(errno_name(r) ?: "ok"));
        }
        r = ownership_scan(snapshots, n_ok, NULL);
        if (r < 0)
                json_object_object_add(errors, "ownership", json_object_new_string(errno_name(r)));
        for (size_t i = 0; i < n_ok; i++) {
                json_object_array_add(pfs, pf_json(snapshots[i]));
                pf_snapshot_free(snapshots[i]);
        }
        free(snapshots);
        json_object_object_add(root, "pfs", pfs);
        json_object_object_add(root, "errors", errors);

        f = fopen(argv[1], "we");
        if (!f || fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY), f) < 0 || fclose(f) != 0) {
                perror(argv[1]);
                return 1;
        }
        json_object_put(root);
        return 0;
}
