/* Connects sriovctl to sriovd and reads its PF objects with one GetManagedObjects call. */
#include <stdio.h>
#include <stdlib.h>

#include "bus-client.h"
#include "sriovd/bus-errors.h"

#define BUS_NAME "org.sriovd1"
#define BUS_MANAGER_PATH "/org/sriovd1"
#define BUS_PF_INTERFACE "org.sriovd1.PhysicalFunction"

void pf_info_clear(PfInfo *p) {
        free(p->path);
        free(p->address);
        free(p->vendor_name);
        free(p->name);
        free(p->driver);
        strv_free(p->netdevs);
        free(p->policy);
        strv_free(p->shadowed);
        free(p->state);
        free(p->state_reason);
        free(p->interrupted);
        free(p->error);
        free(p->locked_by);
        for (size_t i = 0; i < p->n_vfs; i++) {
                free(p->vfs[i].address);
                free(p->vfs[i].driver);
                free(p->vfs[i].holder_comm);
        }
        free(p->vfs);
        free(p->serial);
        free(p->eswitch_mode);
        for (size_t i = 0; i < p->n_vf_net; i++) {
                free(p->vf_net[i].mac);
                free(p->vf_net[i].vlan_protocol);
                free(p->vf_net[i].link_state);
        }
        free(p->vf_net);
        for (size_t i = 0; i < p->n_vf_netdevs; i++)
                free(p->vf_netdevs[i].name);
        free(p->vf_netdevs);
        *p = (PfInfo) {};
}

int pf_info_vf_netdevs(const PfInfo *p, unsigned index, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < p->n_vf_netdevs; i++)
                if (p->vf_netdevs[i].index == index && strv_extend(&l, p->vf_netdevs[i].name) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

const VfNetInfo *pf_info_vf_net(const PfInfo *p, unsigned index) {
        for (size_t i = 0; i < p->n_vf_net; i++)
                if (p->vf_net[i].index == index)
                        return &p->vf_net[i];
        return NULL;
}

void pf_infos_free(PfInfo *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                pf_info_clear(&p[i]);
        free(p);
}

char *ctl_pf_path(const char *address) {
        char *p = NULL;

        return sd_bus_path_encode("/org/sriovd1/pf", address, &p) < 0 ? NULL : p;
}

int ctl_bus_error(const char *what, const sd_bus_error *error, int r) {
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                fprintf(stderr, "sriovctl: sriovd is not running (start it: systemctl start sriovd)\n");
                return EXIT_NO_DAEMON;
        }
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED)) {
                fprintf(stderr, "sriovctl: %s: permission denied; changing anything needs root (try sudo)\n", what);
                return EXIT_FAILURE_;
        }
        if (sd_bus_error_is_set(error))
                fprintf(stderr, "sriovctl: %s: %s\n", what, error->message ?: error->name);
        else
                fprintf(stderr, "sriovctl: %s: %s\n", what, strerror(-r));
        return EXIT_FAILURE_;
}

int ctl_bus_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        (void) sd_bus_error_add_map(sriovd_bus_errors);
        r = sd_bus_open_system_with_description(&bus, "sriovctl");
        if (r < 0) {
                fprintf(stderr, "sriovctl: cannot connect to the system bus (%s); is dbus running?\n", strerror(-r));
                return EXIT_NO_DAEMON;
        }
        /* Ask the bus, not sriovd: a missing daemon is one answer, not a timeout. */
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                int has = 0;

                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", NULL, &reply, "s", BUS_NAME);
                if (r < 0) {
                        fprintf(stderr, "sriovctl: cannot talk to the system bus: %s\n", strerror(-r));
                        return EXIT_NO_DAEMON;
                }
                r = sd_bus_message_read(reply, "b", &has);
                if (r < 0 || !has) {
                        fprintf(stderr, "sriovctl: sriovd is not running (start it: systemctl start sriovd)\n");
                        return EXIT_NO_DAEMON;
                }
        }
        *ret = TAKE_PTR(bus);
        return 0;
}

static int read_strv_variant(sd_bus_message *m, char ***ret) {
        char **l = NULL;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &l);
        if (r < 0)
                return r;
        strv_free(*ret);
        *ret = l;
        return sd_bus_message_exit_container(m);
}

static int read_string_variant(sd_bus_message *m, char **ret) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        return free_and_strdup(ret, s);
}

static int read_vfs_variant(sd_bus_message *m, PfInfo *p) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(ussius)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(ussius)");
        if (r < 0)
                return r;
        for (;;) {
                const char *address, *driver, *comm;
                VfInfo v = {}, *t;

                r = sd_bus_message_read(m, "(ussius)", &v.index, &address, &driver, &v.iommu_group, &v.holder_pid, &comm);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                t = reallocarray(p->vfs, p->n_vfs + 1, sizeof(VfInfo));
                if (!t)
                        return -ENOMEM;
                p->vfs = t;
                v.address = strdup(address);
                v.driver = strdup(driver);
                v.holder_comm = strdup(comm);
                p->vfs[p->n_vfs++] = v;
                if (!v.address || !v.driver || !v.holder_comm)
                        return -ENOMEM;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_vf_netdevs_variant(sd_bus_message *m, PfInfo *p) {
        int r;

        for (size_t i = 0; i < p->n_vf_netdevs; i++)
                free(p->vf_netdevs[i].name);
        p->n_vf_netdevs = 0;
        r = sd_bus_message_enter_container(m, 'v', "a(us)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(us)");
        if (r < 0)
                return r;
        for (;;) {
                VfNetdev *t;
                const char *name;
                unsigned index;

                r = sd_bus_message_read(m, "(us)", &index, &name);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                t = reallocarray(p->vf_netdevs, p->n_vf_netdevs + 1, sizeof(VfNetdev));
                if (!t)
                        return -ENOMEM;
                p->vf_netdevs = t;
                t[p->n_vf_netdevs] = (VfNetdev) { .index = index, .name = strdup(name) };
                if (!t[p->n_vf_netdevs++].name)
                        return -ENOMEM;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_vf_net_variant(sd_bus_message *m, PfInfo *p) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(usiisiiiisi)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(usiisiiiisi)");
        if (r < 0)
                return r;
        for (;;) {
                const char *mac, *proto, *link;
                VfNetInfo v = {}, *t;

                r = sd_bus_message_read(m, "(usiisiiiisi)", &v.index, &mac, &v.vlan, &v.qos, &proto, &v.min_tx_rate,
                                        &v.max_tx_rate, &v.spoof_check, &v.trust, &link, &v.query_rss);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                t = reallocarray(p->vf_net, p->n_vf_net + 1, sizeof(VfNetInfo));
                if (!t)
                        return -ENOMEM;
                p->vf_net = t;
                v.mac = strdup(mac);
                v.vlan_protocol = strdup(proto);
                v.link_state = strdup(link);
                p->vf_net[p->n_vf_net++] = v;
                if (!v.mac || !v.vlan_protocol || !v.link_state)
                        return -ENOMEM;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int ctl_read_pf_properties(sd_bus_message *m, PfInfo *p) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *name;
                int b;

                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;

                if (streq(name, "Address"))
                        r = read_string_variant(m, &p->address);
                else if (streq(name, "Vendor"))
                        r = sd_bus_message_read(m, "v", "q", &p->vendor);
                else if (streq(name, "Device"))
                        r = sd_bus_message_read(m, "v", "q", &p->device);
                else if (streq(name, "VendorName"))
                        r = read_string_variant(m, &p->vendor_name);
                else if (streq(name, "Name"))
                        r = read_string_variant(m, &p->name);
                else if (streq(name, "Driver"))
                        r = read_string_variant(m, &p->driver);
                else if (streq(name, "Netdevs"))
                        r = read_strv_variant(m, &p->netdevs);
                else if (streq(name, "TotalVFs"))
                        r = sd_bus_message_read(m, "v", "u", &p->total_vfs);
                else if (streq(name, "NumVFs"))
                        r = sd_bus_message_read(m, "v", "u", &p->num_vfs);
                else if (streq(name, "DesiredNumVFs"))
                        r = sd_bus_message_read(m, "v", "i", &p->desired_num_vfs);
                else if (streq(name, "DriversAutoprobe")) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        p->drivers_autoprobe = b;
                } else if (streq(name, "UnmanagedAutoprobe"))
                        r = sd_bus_message_read(m, "v", "i", &p->unmanaged_autoprobe);
                else if (streq(name, "Policy"))
                        r = read_string_variant(m, &p->policy);
                else if (streq(name, "ShadowedPolicies"))
                        r = read_strv_variant(m, &p->shadowed);
                else if (streq(name, "State"))
                        r = read_string_variant(m, &p->state);
                else if (streq(name, "StateReason"))
                        r = read_string_variant(m, &p->state_reason);
                else if (streq(name, "Error"))
                        r = read_string_variant(m, &p->error);
                else if (streq(name, "Interrupted"))
                        r = read_string_variant(m, &p->interrupted);
                else if (streq(name, "LockedBy"))
                        r = read_string_variant(m, &p->locked_by);
                else if (streq(name, "HardwareTotalVFs"))
                        r = sd_bus_message_read(m, "v", "q", &p->hw_total_vfs);
                else if (streq(name, "VFOffset"))
                        r = sd_bus_message_read(m, "v", "q", &p->vf_offset);
                else if (streq(name, "VFStride"))
                        r = sd_bus_message_read(m, "v", "q", &p->vf_stride);
                else if (streq(name, "VFDevice"))
                        r = sd_bus_message_read(m, "v", "q", &p->vf_device);
                else if (streq(name, "VFs")) {
                        for (size_t i = 0; i < p->n_vfs; i++) {
                                free(p->vfs[i].address);
                                free(p->vfs[i].driver);
                                free(p->vfs[i].holder_comm);
                        }
                        p->n_vfs = 0;
                        r = read_vfs_variant(m, p);
                } else if (streq(name, "Serial"))
                        r = read_string_variant(m, &p->serial);
                else if (streq(name, "EswitchMode"))
                        r = read_string_variant(m, &p->eswitch_mode);
                else if (streq(name, "VFNetworkSettings") && p->n_vf_net == 0)
                        r = read_vf_net_variant(m, p);
                else if (streq(name, "VFNetdevs"))
                        r = read_vf_netdevs_variant(m, p);
                else
                        r = sd_bus_message_skip(m, "v"); /* a newer sriovd */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

static int pf_info_cmp(const void *a, const void *b) {
        return strcmp(strempty(((const PfInfo *) a)->address), strempty(((const PfInfo *) b)->address));
}

int ctl_load_pfs(sd_bus *bus, PfInfo **ret, size_t *ret_n, char **ret_status) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        PfInfo *pfs = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                               &error, &reply, NULL);
        if (r < 0)
                return ctl_bus_error("cannot read the PFs from sriovd", &error, r);

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0) {
                const char *path;

                r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        break;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                while (r >= 0) {
                        const char *interface;

                        r = sd_bus_message_enter_container(reply, 'e', "sa{sv}");
                        if (r <= 0)
                                break;
                        r = sd_bus_message_read(reply, "s", &interface);
                        if (r < 0)
                                break;
                        if (streq(interface, BUS_PF_INTERFACE)) {
                                PfInfo *t = reallocarray(pfs, n + 1, sizeof(PfInfo));

                                if (!t) {
                                        r = -ENOMEM;
                                        break;
                                }
                                pfs = t;
                                pfs[n] = (PfInfo) { .desired_num_vfs = -1, .unmanaged_autoprobe = -1, .path = strdup(path) };
                                n++;
                                r = ctl_read_pf_properties(reply, &pfs[n - 1]);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                pf_infos_free(pfs, n);
                fprintf(stderr, "sriovctl: sriovd's answer cannot be read: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }
        if (n > 0)
                qsort(pfs, n, sizeof(PfInfo), pf_info_cmp);

        if (ret_status) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                char *status = NULL;

                r = sd_bus_get_property_string(bus, BUS_NAME, BUS_MANAGER_PATH, "org.sriovd1.Manager", "Status", &e, &status);
                *ret_status = r < 0 ? NULL : status;
        }
        *ret = pfs;
        *ret_n = n;
        return 0;
}

static json_object *json_int_or_null(int v) {
        return v >= 0 ? json_object_new_int(v) : NULL;
}

static json_object *json_bool_or_null(int v) {
        return v >= 0 ? json_object_new_boolean(v) : NULL;
}

static json_object *vf_net_json(const VfNetInfo *n) {
        json_object *o;

        if (!n)
                return NULL;
        o = json_object_new_object();
        json_object_object_add(o, "mac", ctl_json_string(isempty(n->mac) ? NULL : n->mac));
        json_object_object_add(o, "vlan", json_int_or_null(n->vlan));
        json_object_object_add(o, "qos", json_int_or_null(n->qos));
        json_object_object_add(o, "vlan_protocol", ctl_json_string(isempty(n->vlan_protocol) ? NULL : n->vlan_protocol));
        json_object_object_add(o, "spoof_check", json_bool_or_null(n->spoof_check));
        json_object_object_add(o, "trust", json_bool_or_null(n->trust));
        json_object_object_add(o, "link_state", ctl_json_string(isempty(n->link_state) ? NULL : n->link_state));
        json_object_object_add(o, "min_tx_rate", json_int_or_null(n->min_tx_rate));
        json_object_object_add(o, "max_tx_rate", json_int_or_null(n->max_tx_rate));
        json_object_object_add(o, "query_rss", json_bool_or_null(n->query_rss));
        return o;
}

json_object *pf_info_json(const PfInfo *p) {
        json_object *o = json_object_new_object(), *vfs = json_object_new_array();
        char id[8];

        json_object_object_add(o, "address", ctl_json_string(p->address));
        snprintf(id, sizeof(id), "0x%04x", p->vendor);
        json_object_object_add(o, "vendor", json_object_new_string(id));
        snprintf(id, sizeof(id), "0x%04x", p->device);
        json_object_object_add(o, "device", json_object_new_string(id));
        json_object_object_add(o, "vendor_name", ctl_json_string(isempty(p->vendor_name) ? NULL : p->vendor_name));
        json_object_object_add(o, "name", ctl_json_string(isempty(p->name) ? NULL : p->name));
        json_object_object_add(o, "driver", ctl_json_string(isempty(p->driver) ? NULL : p->driver));
        json_object_object_add(o, "netdevs", ctl_json_strv(p->netdevs));
        json_object_object_add(o, "num_vfs", json_object_new_int((int) p->num_vfs));
        json_object_object_add(o, "desired_num_vfs", p->desired_num_vfs >= 0 ? json_object_new_int(p->desired_num_vfs) : NULL);
        json_object_object_add(o, "total_vfs", json_object_new_int((int) p->total_vfs));
        json_object_object_add(o, "drivers_autoprobe", json_object_new_boolean(p->drivers_autoprobe));
        json_object_object_add(o, "unmanaged_autoprobe",
                               p->unmanaged_autoprobe >= 0 ? json_object_new_boolean(p->unmanaged_autoprobe) : NULL);
        json_object_object_add(o, "policy", ctl_json_string(isempty(p->policy) ? NULL : p->policy));
        json_object_object_add(o, "shadowed", ctl_json_strv(p->shadowed));
        json_object_object_add(o, "state", ctl_json_string(p->state));
        json_object_object_add(o, "reason", ctl_json_string(isempty(p->state_reason) ? NULL : p->state_reason));
        json_object_object_add(o, "error", ctl_json_string(isempty(p->error) ? NULL : p->error));
        json_object_object_add(o, "interrupted", ctl_json_string(isempty(p->interrupted) ? NULL : p->interrupted));
        json_object_object_add(o, "locked_by", ctl_json_string(isempty(p->locked_by) ? NULL : p->locked_by));
        json_object_object_add(o, "serial", ctl_json_string(isempty(p->serial) ? NULL : p->serial));
        json_object_object_add(o, "eswitch_mode", ctl_json_string(isempty(p->eswitch_mode) ? NULL : p->eswitch_mode));
        if (p->hw_total_vfs > 0) {
                json_object *c = json_object_new_object();

                json_object_object_add(c, "total_vfs", json_object_new_int(p->hw_total_vfs));
                json_object_object_add(c, "vf_offset", json_object_new_int(p->vf_offset));
                json_object_object_add(c, "vf_stride", json_object_new_int(p->vf_stride));
                snprintf(id, sizeof(id), "0x%04x", p->vf_device);
                json_object_object_add(c, "vf_device", json_object_new_string(id));
                json_object_object_add(o, "sriov_capability", c);
        } else
                json_object_object_add(o, "sriov_capability", NULL);
        for (size_t i = 0; i < p->n_vfs; i++) {
                const VfInfo *v = &p->vfs[i];
                json_object *x = json_object_new_object();

                json_object_object_add(x, "index", json_object_new_int((int) v->index));
                json_object_object_add(x, "address", ctl_json_string(v->address));
                json_object_object_add(x, "driver", ctl_json_string(isempty(v->driver) ? NULL : v->driver));
                {
                        _cleanup_strv_free_ char **netdevs = NULL;

                        (void) pf_info_vf_netdevs(p, v->index, &netdevs);
                        json_object_object_add(x, "netdevs", ctl_json_strv(netdevs));
                }
                json_object_object_add(x, "iommu_group", v->iommu_group >= 0 ? json_object_new_int(v->iommu_group) : NULL);
                if (v->holder_pid > 0) {
                        json_object *h = json_object_new_object();
                        json_object_object_add(h, "pid", json_object_new_int((int) v->holder_pid));
                        json_object_object_add(h, "command", ctl_json_string(v->holder_comm));
                        json_object_object_add(x, "holder", h);
                } else
                        json_object_object_add(x, "holder", NULL);
                json_object_object_add(x, "network", vf_net_json(pf_info_vf_net(p, v->index)));
                json_object_array_add(vfs, x);
        }
        json_object_object_add(o, "vfs", vfs);
        return o;
}
