/* One D-Bus object per PF (org.sriovd1.PhysicalFunction), and the Apply and Explain methods. */
#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "log.h"
#include "sriovd/ownership.h"

/* An Apply call waits for an evaluation of each PF it names; the reply lists their outcomes. */
typedef struct ApplyTarget {
        Pf *pf;
        uint64_t job;           /* the PF's job that answers it */
        char address[PCI_ADDRESS_MAX];
        char *state;
        char *reason;
} ApplyTarget;

struct ApplyCall {
        sd_bus_message *message;
        ApplyTarget *targets;
        size_t n_targets;
        size_t n_pending;
};

char *bus_pf_path(const char *address) {
        char *p = NULL;

        return sd_bus_path_encode(BUS_PF_PREFIX, address, &p) < 0 ? NULL : p;
}

static Pf *pf_from_path(Bus *b, const char *path) {
        _cleanup_free_ char *address = NULL;

        if (sd_bus_path_decode(path, BUS_PF_PREFIX, &address) <= 0 || !pci_address_is_valid(address))
                return NULL;
        return manager_find_pf(b->manager, address);
}

static int find_pf(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                   sd_bus_error *error) {
        Pf *pf = pf_from_path(userdata, path);

        if (!pf)
                return 0;
        *ret_found = pf;
        return 1;
}

static int enumerate_pfs(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        Bus *b = userdata;
        Manager *m = b->manager;
        _cleanup_strv_free_ char **l = calloc(m->n_pfs + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pfs; i++)
                if (!(l[i] = bus_pf_path(m->pfs[i]->address)))
                        return -ENOMEM;
        *ret_nodes = TAKE_PTR(l);
        return 0;
}

/* ---- properties ---- */

#define PF_PROPERTY(name, body)                                                                             \
        static int property_##name(sd_bus *bus, const char *path, const char *interface, const char *property, \
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {               \
                Pf *pf = userdata;                                                                              \
                const PfSnapshot *s = pf->snapshot;                                                             \
                (void) s;                                                                                       \
                body                                                                                            \
        }

PF_PROPERTY(address, return sd_bus_message_append(reply, "s", pf->address);)
PF_PROPERTY(vendor, return sd_bus_message_append(reply, "q", s ? s->vendor : 0);)
PF_PROPERTY(device, return sd_bus_message_append(reply, "q", s ? s->device : 0);)
PF_PROPERTY(vendor_name, return sd_bus_message_append(reply, "s", strempty(pf->vendor_name));)
PF_PROPERTY(name, return sd_bus_message_append(reply, "s", strempty(pf->device_name));)
PF_PROPERTY(driver, return sd_bus_message_append(reply, "s", s ? strempty(s->driver) : "");)
PF_PROPERTY(netdevs, return sd_bus_message_append_strv(reply, s ? s->netdevs : NULL);)
PF_PROPERTY(total_vfs, return sd_bus_message_append(reply, "u", s ? s->total_vfs : 0);)
PF_PROPERTY(num_vfs, return sd_bus_message_append(reply, "u", s ? s->num_vfs : 0);)
PF_PROPERTY(desired_num_vfs, return sd_bus_message_append(reply, "i", pf->plan ? pf->plan->desired_num_vfs : -1);)
PF_PROPERTY(drivers_autoprobe, return sd_bus_message_append(reply, "b", s ? s->drivers_autoprobe : 1);)
PF_PROPERTY(unmanaged_autoprobe, return sd_bus_message_append(reply, "i", s ? s->unmanaged_autoprobe : -1);)
PF_PROPERTY(policy, return sd_bus_message_append(reply, "s", strempty(pf->policy));)
PF_PROPERTY(shadowed, return sd_bus_message_append_strv(reply, pf->shadowed);)
PF_PROPERTY(state, return sd_bus_message_append(reply, "s", pf_state_to_string(pf->state));)
PF_PROPERTY(state_reason, return sd_bus_message_append(reply, "s", strempty(pf->reason));)
PF_PROPERTY(interrupted, return sd_bus_message_append(reply, "s", strempty(pf->interrupted));)
PF_PROPERTY(error, return sd_bus_message_append(reply, "s", pf->error ? strempty(errno_name(pf->error)) : "");)
PF_PROPERTY(hw_total_vfs, return sd_bus_message_append(reply, "q", pf->has_capability ? pf->capability.total_vfs : 0);)
PF_PROPERTY(vf_offset, return sd_bus_message_append(reply, "q", pf->has_capability ? pf->capability.offset : 0);)
PF_PROPERTY(vf_stride, return sd_bus_message_append(reply, "q", pf->has_capability ? pf->capability.stride : 0);)
PF_PROPERTY(vf_device, return sd_bus_message_append(reply, "q", pf->has_capability ? pf->capability.vf_device : (s ? s->vf_device : 0));)
PF_PROPERTY(locked_by,
        _cleanup_free_ char *l = pf_locked_by(pf);
        return sd_bus_message_append(reply, "s", strempty(l));)

PF_PROPERTY(vfs,
        int r = sd_bus_message_open_container(reply, 'a', "(ussius)");
        if (r < 0)
                return r;
        for (size_t i = 0; s && i < s->n_vfs; i++) {
                const VfSnapshot *v = &s->vfs[i];
                r = sd_bus_message_append(reply, "(ussius)", v->index, v->address, strempty(v->driver), v->iommu_group,
                                          v->n_holders > 0 ? (uint32_t) v->holders[0].pid : 0,
                                          v->n_holders > 0 ? strempty(v->holders[0].comm) : "");
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);)

/* One entry per VF network interface: a VF on a NIC's VF driver has one, on vfio-pci none. */
PF_PROPERTY(vf_netdevs,
        int r = sd_bus_message_open_container(reply, 'a', "(us)");
        if (r < 0)
                return r;
        for (size_t i = 0; s && i < s->n_vfs; i++)
                for (char **n = s->vfs[i].netdevs; n && *n; n++) {
                        r = sd_bus_message_append(reply, "(us)", s->vfs[i].index, *n);
                        if (r < 0)
                                return r;
                }
        return sd_bus_message_close_container(reply);)

PF_PROPERTY(serial, return sd_bus_message_append(reply, "s", s ? strempty(s->serial) : "");)
PF_PROPERTY(eswitch_mode, return sd_bus_message_append(reply, "s", strempty(eswitch_mode_to_string(pf->eswitch_mode)));)

static int tristate(const VfNetSettings *v, VfNetAttribute a, bool value) {
        return v->mask & VF_NET_BIT(a) ? value : -1;
}

/* What the PF driver reports for each VF; unknown values are "" and -1. */
static int property_vf_net(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pf *pf = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(usiisiiiisi)");
        if (r < 0)
                return r;
        for (size_t i = 0; pf->has_vf_net && i < pf->n_vf_net; i++) {
                const VfNetSettings *v = &pf->vf_net[i];
                bool vlan = v->mask & VF_NET_BIT(VF_NET_VLAN);
                bool rate = v->mask & VF_NET_BIT(VF_NET_TX_RATE);
                char mac[18] = "";

                if (v->mask & VF_NET_BIT(VF_NET_MAC))
                        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
                                 v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
                r = sd_bus_message_append(reply, "(usiisiiiisi)", v->index, mac,
                                          vlan ? (int) v->vlan : -1, vlan ? (int) v->qos : -1,
                                          vlan ? strempty(vlan_protocol_to_string(v->vlan_protocol)) : "",
                                          rate ? v->min_tx_rate : -1, rate ? v->max_tx_rate : -1,
                                          tristate(v, VF_NET_SPOOF_CHECK, v->spoof_check), tristate(v, VF_NET_TRUST, v->trust),
                                          v->mask & VF_NET_BIT(VF_NET_LINK_STATE) ? strempty(link_state_to_string(v->link_state)) : "",
                                          tristate(v, VF_NET_QUERY_RSS, v->query_rss));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

#define CHANGES SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

static const sd_bus_vtable pf_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Address", "s", property_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Vendor", "q", property_vendor, 0, CHANGES),
        SD_BUS_PROPERTY("Device", "q", property_device, 0, CHANGES),
        SD_BUS_PROPERTY("VendorName", "s", property_vendor_name, 0, CHANGES),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, CHANGES),
        SD_BUS_PROPERTY("Driver", "s", property_driver, 0, CHANGES),
        SD_BUS_PROPERTY("Netdevs", "as", property_netdevs, 0, CHANGES),
        SD_BUS_PROPERTY("TotalVFs", "u", property_total_vfs, 0, CHANGES),
        SD_BUS_PROPERTY("NumVFs", "u", property_num_vfs, 0, CHANGES),
        SD_BUS_PROPERTY("DesiredNumVFs", "i", property_desired_num_vfs, 0, CHANGES),
        SD_BUS_PROPERTY("DriversAutoprobe", "b", property_drivers_autoprobe, 0, CHANGES),
        SD_BUS_PROPERTY("UnmanagedAutoprobe", "i", property_unmanaged_autoprobe, 0, CHANGES),
        SD_BUS_PROPERTY("Policy", "s", property_policy, 0, CHANGES),
        SD_BUS_PROPERTY("ShadowedPolicies", "as", property_shadowed, 0, CHANGES),
        SD_BUS_PROPERTY("State", "s", property_state, 0, CHANGES),
        SD_BUS_PROPERTY("StateReason", "s", property_state_reason, 0, CHANGES),
        SD_BUS_PROPERTY("Error", "s", property_error, 0, CHANGES),
        SD_BUS_PROPERTY("Interrupted", "s", property_interrupted, 0, CHANGES),
        SD_BUS_PROPERTY("LockedBy", "s", property_locked_by, 0, CHANGES),
        SD_BUS_PROPERTY("HardwareTotalVFs", "q", property_hw_total_vfs, 0, CHANGES),
        SD_BUS_PROPERTY("VFOffset", "q", property_vf_offset, 0, CHANGES),
        SD_BUS_PROPERTY("VFStride", "q", property_vf_stride, 0, CHANGES),
        SD_BUS_PROPERTY("VFDevice", "q", property_vf_device, 0, CHANGES),
        SD_BUS_PROPERTY("VFs", "a(ussius)", property_vfs, 0, CHANGES),
        SD_BUS_PROPERTY("Serial", "s", property_serial, 0, CHANGES),
        SD_BUS_PROPERTY("EswitchMode", "s", property_eswitch_mode, 0, CHANGES),
        SD_BUS_PROPERTY("VFNetworkSettings", "a(usiisiiiisi)", property_vf_net, 0, CHANGES),
        SD_BUS_PROPERTY("VFNetdevs", "a(us)", property_vf_netdevs, 0, CHANGES),
        SD_BUS_VTABLE_END,
};

int bus_pf_register(Bus *b) {
        int r;

        r = sd_bus_add_fallback_vtable(b->bus, NULL, BUS_PF_PREFIX, BUS_PF_INTERFACE, pf_vtable, find_pf, b);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(b->bus, NULL, BUS_PF_PREFIX, enumerate_pfs, b);
}

/* ---- change notifications ---- */

void bus_pf_changed(Pf *pf, void *userdata) {
        Bus *b = userdata;
        _cleanup_free_ char *path = bus_pf_path(pf->address);

        if (path)
                (void) sd_bus_emit_properties_changed_strv(b->bus, path, BUS_PF_INTERFACE, NULL);
}

void bus_pf_added(Pf *pf, void *userdata) {
        Bus *b = userdata;
        _cleanup_free_ char *path = bus_pf_path(pf->address);

        if (!path)
                return;
        (void) sd_bus_emit_object_added(b->bus, path);
        (void) sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "PhysicalFunctionAdded", "so",
                                  pf->address, path);
}

void bus_pf_removed(Pf *pf, void *userdata) {
        Bus *b = userdata;
        _cleanup_free_ char *path = bus_pf_path(pf->address);

        /* Whoever waits for the PF is answered: it will not be evaluated again. */
        bus_pf_settled(pf, true, b);
        if (!path)
                return;
        /* Before the PF leaves the table, so the InterfacesRemoved signal can still find it. */
        (void) sd_bus_emit_object_removed(b->bus, path);
        (void) sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "PhysicalFunctionRemoved", "so",
                                  pf->address, path);
}

/* ---- Apply ---- */

static ApplyCall *apply_call_free(ApplyCall *c) {
        if (!c)
                return NULL;
        sd_bus_message_unref(c->message);
        for (size_t i = 0; i < c->n_targets; i++) {
                free(c->targets[i].state);
                free(c->targets[i].reason);
        }
        free(c->targets);
        return mfree(c);
}

static int apply_call_reply(ApplyCall *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(c->message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_targets; i++) {
                r = sd_bus_message_append(reply, "(sss)", c->targets[i].address, strempty(c->targets[i].state),
                                          strempty(c->targets[i].reason));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void forget_call(Bus *b, size_t i) {
        memmove(b->calls + i, b->calls + i + 1, (b->n_calls - i - 1) * sizeof(ApplyCall *));
        b->n_calls--;
}

static void answer_target(ApplyTarget *x, const Pf *pf) {
        free(x->state);
        x->state = strdup(pf->removed ? "gone" : pf_state_to_string(pf->state));
        free(x->reason);
        x->reason = pf->reason ? strdup(pf->reason) : NULL;
        x->pf = NULL;
}

/* Answers the calls waiting on pf (NULL: on any PF) that may be answered now; all: every one. */
static void finish_applies(Bus *b, Pf *pf, bool all) {
        for (size_t i = b->n_calls; i > 0; i--) {
                ApplyCall *c = b->calls[i - 1];

                for (size_t t = 0; t < c->n_targets; t++) {
                        ApplyTarget *x = &c->targets[t];

                        if (!x->pf || (pf && x->pf != pf) ||
                            (!all && (worker_busy(x->pf->worker) || x->job > x->pf->n_started)))
                                continue;
                        answer_target(x, x->pf);
                        c->n_pending--;
                }
                if (c->n_pending == 0) {
                        int r = apply_call_reply(c);
                        if (r < 0)
                                log_warning_errno(r, "Cannot answer an Apply call, ignoring: %m");
                        forget_call(b, i - 1);
                        apply_call_free(c);
                }
        }
}

void bus_pf_settled(Pf *pf, bool all, void *userdata) {
        finish_applies(userdata, pf, all);
}

void bus_pf_finish_all(Bus *b) {
        finish_applies(b, NULL, true);
}

static void add_target(ApplyCall *c, Pf *pf) {
        uint64_t job;

        /* A stuck PF answers at once with the timeout; it may stay stuck for good. */
        if (pf->timed_out && worker_busy(pf->worker)) {
                ApplyTarget *x = &c->targets[c->n_targets++];

                memcpy(x->address, pf->address, PCI_ADDRESS_MAX);
                x->state = strdup(pf_state_to_string(pf->state));
                x->reason = pf->reason ? strdup(pf->reason) : NULL;
                return;
        }
        /* An operator asking is explicit: a failed PF is tried now, not at its next retry. */
        job = pf_request(pf, PF_TRIGGER_EXPLICIT);
        pf->retry_usec = 0;
        c->targets[c->n_targets++] = (ApplyTarget) { .pf = pf, .job = job };
        memcpy(c->targets[c->n_targets - 1].address, pf->address, PCI_ADDRESS_MAX);
        c->n_pending++;
}

int bus_method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Manager *m = b->manager;
        ApplyCall **t, *c;
        const char *address;
        Pf *pf = NULL;
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (!isempty(address)) {
                if (!pci_address_is_valid(address))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "\"%s\" is not a PCI address like 0000:3b:00.0", address);
                pf = manager_find_pf(m, address);
                if (!pf)
                        return sd_bus_error_setf(error, "org.sriovd1.Error.NotFound", "%s is not an SR-IOV PF sriovd knows", address);
        }
        if (m->context.stopping)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "sriovd is stopping");

        t = reallocarray(b->calls, b->n_calls + 1, sizeof(ApplyCall *));
        if (!t)
                return -ENOMEM;
        b->calls = t;
        c = calloc(1, sizeof(ApplyCall));
        if (!c || !(c->targets = calloc(pf ? 1 : m->n_pfs + 1, sizeof(ApplyTarget)))) {
                apply_call_free(c);
                return -ENOMEM;
        }
        c->message = sd_bus_message_ref(msg);
        log_info("apply asked for over D-Bus: %s", pf ? pf->address : "every PF");
        for (size_t i = 0; i < (pf ? 1 : m->n_pfs); i++)
                add_target(c, pf ?: m->pfs[i]);
        if (c->n_pending == 0) {
                r = apply_call_reply(c);
                apply_call_free(c);
                return r < 0 ? r : 1;
        }
        b->calls[b->n_calls++] = c;
        return 1;
}

/* ---- Explain ---- */

int bus_method_explain(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        const char *address;
        const Plan *p;
        Pf *pf;
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (!pci_address_is_valid(address))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "\"%s\" is not a PCI address like 0000:3b:00.0", address);
        pf = manager_find_pf(b->manager, address);
        if (!pf)
                return sd_bus_error_setf(error, "org.sriovd1.Error.NotFound", "%s is not an SR-IOV PF sriovd knows", address);
        p = pf->plan;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", strempty(pf->policy));
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, pf->shadowed);
        if (r >= 0)
                r = sd_bus_message_append(reply, "ss", pf_state_to_string(pf->state), strempty(pf->reason));
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, p ? p->blockers : NULL);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && p && i < p->n_actions; i++) {
                _cleanup_free_ char *a = NULL;

                r = action_to_string(&p->actions[i], &a);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", a);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, p ? p->notes : NULL);
        if (r >= 0)
                r = sd_bus_message_append(reply, "is", p ? p->desired_num_vfs : -1,
                                          p ? strempty(enable_path_to_string(p->path)) : "");
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
