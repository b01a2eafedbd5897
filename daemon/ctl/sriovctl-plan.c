/* sriovctl plan: what sriovd would do to each SR-IOV PF, computed offline from sysfs and the policies. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sriovctl.h"
#include "sriovd/match.h"
#include "sriovd/ownership.h"
#include "sriovd/plan.h"

/* A VF may vanish between listing and reading it; a few rereads settle that. */
#define SNAPSHOT_ATTEMPTS 5

typedef struct PfView {
        PfSnapshot *snapshot;
        MatchResult match;
        Plan *plan;
        int error;              /* reading the PF failed */
        char address[PCI_ADDRESS_MAX];
} PfView;

static void pf_view_clear(PfView *v) {
        pf_snapshot_free(v->snapshot);
        match_result_clear(&v->match);
        plan_free(v->plan);
}

static const char *state_color(PlanState s) {
        switch (s) {
        case PLAN_IN_SYNC:
                return ANSI_GREEN;
        case PLAN_APPLY:
                return ANSI_BOLD;
        case PLAN_PENDING:
                return ANSI_YELLOW;
        default:
                return ANSI_RED;
        }
}

static const char *state_sentence(PlanState s) {
        switch (s) {
        case PLAN_IN_SYNC:
                return "in sync, nothing to do";
        case PLAN_APPLY:
                return "apply";
        case PLAN_PENDING:
                return "pending";
        default:
                return "refused";
        }
}

static void print_pf(const PfView *v) {
        const PfSnapshot *s = v->snapshot;
        const Plan *p = v->plan;

        if (v->error < 0) {
                printf("%s%s%s  cannot be read: %s\n", ctl_color(ANSI_BOLD), v->address, ctl_color(ANSI_RESET), strerror(-v->error));
                return;
        }
        printf("%s%s%s  %04x:%04x  %s%s  VFs %u/%u",
               ctl_color(ANSI_BOLD), s->address, ctl_color(ANSI_RESET), s->vendor, s->device,
               s->driver ? "driver " : "", s->driver ?: "no driver", s->num_vfs, s->total_vfs);
        for (char **n = s->netdevs; n && *n; n++)
                printf("  %s", *n);
        printf("\n");

        if (!v->match.policy) {
                printf("  policy:   none (sriovd leaves this PF alone)\n");
                return;
        }
        printf("  policy:   %s\n", v->match.policy->path);
        for (size_t i = 0; i < v->match.n_shadowed; i++)
                printf("  shadowed: %s\n", v->match.shadowed[i]->path);

        printf("  plan:     %s%s%s", ctl_color(state_color(p->state)), state_sentence(p->state), ctl_color(ANSI_RESET));
        if (p->reason)
                printf(": %s", p->reason);
        else if (p->state == PLAN_APPLY && p->desired_num_vfs >= 0 && (unsigned) p->desired_num_vfs != s->num_vfs)
                printf(" (%u -> %d VFs, enabled by %s)", s->num_vfs, p->desired_num_vfs,
                       p->path == ENABLE_PATH_DRIVER ? "the PF driver" :
                       p->path == ENABLE_PATH_KERNEL ? "the kernel's unmanaged SR-IOV path" :
                       p->path == ENABLE_PATH_PF_STUB ? "pci-pf-stub" : "vfio-pci");
        printf("\n");
        for (size_t i = 1; p->blockers && p->blockers[0] && p->blockers[i]; i++)
                printf("            %s\n", p->blockers[i]);
        for (size_t i = 0; i < p->n_actions; i++) {
                _cleanup_free_ char *a = NULL;

                if (action_to_string(&p->actions[i], &a) >= 0)
                        printf("    %2zu. %s\n", i + 1, a);
        }
        for (char **n = p->notes; n && *n; n++)
                printf("  %snote%s:     %s\n", ctl_color(ANSI_YELLOW), ctl_color(ANSI_RESET), *n);
}

static json_object *action_json(const Action *a) {
        _cleanup_free_ char *text = NULL, *path = NULL, *value = NULL;
        json_object *o = json_object_new_object();

        json_object_object_add(o, "action", json_object_new_string(action_kind_to_string(a->kind)));
        json_object_object_add(o, "device", json_object_new_string(a->device));
        if (action_sysfs_write(a, &path, &value) >= 0) {
                json_object_object_add(o, "path", json_object_new_string(path));
                json_object_object_add(o, "value", json_object_new_string(value));
        }
        if (a->kind == ACTION_WAIT_VFS)
                json_object_object_add(o, "num_vfs", json_object_new_int((int) a->number));
        if (a->kind == ACTION_VERIFY_DRIVER)
                json_object_object_add(o, "driver", ctl_json_string(a->driver));
        if (action_to_string(a, &text) >= 0)
                json_object_object_add(o, "description", json_object_new_string(text));
        return o;
}

static json_object *pf_json(const PfView *v) {
        json_object *o = json_object_new_object(), *a;
        const PfSnapshot *s = v->snapshot;
        const Plan *p = v->plan;
        char id[8];

        json_object_object_add(o, "address", json_object_new_string(v->address));
        if (v->error < 0) {
                json_object_object_add(o, "error", json_object_new_string(strerror(-v->error)));
                return o;
        }
        snprintf(id, sizeof(id), "0x%04x", s->vendor);
        json_object_object_add(o, "vendor", json_object_new_string(id));
        snprintf(id, sizeof(id), "0x%04x", s->device);
        json_object_object_add(o, "device", json_object_new_string(id));
        json_object_object_add(o, "driver", ctl_json_string(s->driver));
        json_object_object_add(o, "total_vfs", json_object_new_int((int) s->total_vfs));
        json_object_object_add(o, "num_vfs", json_object_new_int((int) s->num_vfs));
        json_object_object_add(o, "drivers_autoprobe", json_object_new_boolean(s->drivers_autoprobe));
        json_object_object_add(o, "unmanaged_autoprobe", s->unmanaged_autoprobe >= 0 ? json_object_new_boolean(s->unmanaged_autoprobe) : NULL);
        json_object_object_add(o, "netdevs", ctl_json_strv(s->netdevs));
        json_object_object_add(o, "policy", ctl_json_string(v->match.policy ? v->match.policy->path : NULL));
        a = json_object_new_array();
        for (size_t i = 0; i < v->match.n_shadowed; i++)
                json_object_array_add(a, json_object_new_string(v->match.shadowed[i]->path));
        json_object_object_add(o, "shadowed", a);
        if (!p) {
                json_object_object_add(o, "state", json_object_new_string("unmanaged"));
                return o;
        }
        json_object_object_add(o, "state", json_object_new_string(plan_state_to_string(p->state)));
        json_object_object_add(o, "reason", ctl_json_string(p->reason));
        json_object_object_add(o, "desired_num_vfs", p->desired_num_vfs >= 0 ? json_object_new_int(p->desired_num_vfs) : NULL);
        json_object_object_add(o, "enable_path", ctl_json_string(enable_path_to_string(p->path)));
        json_object_object_add(o, "blockers", ctl_json_strv(p->blockers));
        json_object_object_add(o, "notes", ctl_json_strv(p->notes));
        a = json_object_new_array();
        for (size_t i = 0; i < p->n_actions; i++)
                json_object_array_add(a, action_json(&p->actions[i]));
        json_object_object_add(o, "actions", a);
        return o;
}

static int read_snapshot(const char *address, PfSnapshot **ret) {
        int r = -EAGAIN;

        for (unsigned i = 0; i < SNAPSHOT_ATTEMPTS && r == -EAGAIN; i++)
                r = sysfs_read_pf(address, ret);
        return r;
}

int verb_plan(int argc, char **argv) {
        _cleanup_(policy_set_unrefp) PolicySet *set = NULL;
        _cleanup_strv_free_ char **addresses = NULL;
        _cleanup_free_ PfSnapshot **snapshots = NULL;
        _cleanup_free_ PfView *views = NULL;
        KernelCaps caps = {};
        size_t n = 0, n_snapshots = 0;
        unsigned unreadable = 0;
        int r, ret = EXIT_OK;

        for (int i = 0; i < argc; i++)
                if (!pci_address_is_valid(argv[i])) {
                        fprintf(stderr, "sriovctl: \"%s\" is not a PCI address like 0000:3b:00.0\n", argv[i]);
                        return EXIT_USAGE;
                }

        r = policy_set_load(arg.root, arg.config_path, &set);
        if (r < 0) {
                fprintf(stderr, "sriovctl: cannot list the policy files: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }
        for (char **f = set->rejected; *f; f++)
                fprintf(stderr, "sriovctl: %s has errors and is ignored, as sriovd would (sriovctl check shows them)\n", *f);

        if (argc > 0)
                addresses = strv_copy(argv);
        else if (sysfs_list_pfs(&addresses) < 0)
                addresses = NULL;
        if (!addresses) {
                fprintf(stderr, "sriovctl: cannot list the PCI devices in /sys\n");
                return EXIT_FAILURE_;
        }
        n = strv_length(addresses);

        r = kernel_caps_read(&caps);
        if (r < 0) {
                fprintf(stderr, "sriovctl: cannot read the loaded PCI drivers: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }

        views = calloc(n ?: 1, sizeof(PfView));
        snapshots = calloc(n ?: 1, sizeof(PfSnapshot *));
        if (!views || !snapshots) {
                kernel_caps_clear(&caps);
                return EXIT_FAILURE_;
        }
        for (size_t i = 0; i < n; i++) {
                memcpy(views[i].address, addresses[i], PCI_ADDRESS_MAX);
                views[i].error = read_snapshot(addresses[i], &views[i].snapshot);
                if (views[i].error < 0)
                        ret = EXIT_FAILURE_;
                else
                        snapshots[n_snapshots++] = views[i].snapshot;
        }

        r = ownership_scan(snapshots, n_snapshots, &unreadable);
        if (r < 0)
                fprintf(stderr, "sriovctl: cannot tell which processes hold vfio devices: %s\n", strerror(-r));
        if (unreadable > 0)
                fprintf(stderr, "sriovctl: the open files of %u processes could not be read (run as root to see every vfio holder)\n", unreadable);

        for (size_t i = 0; i < n && ret >= 0; i++) {
                PfView *v = &views[i];

                if (v->error < 0)
                        continue;
                r = policy_match(set->policies, set->n_policies, v->snapshot, &v->match);
                if (r >= 0 && v->match.policy)
                        r = plan_compute(v->snapshot, v->match.policy, &caps, 0, &v->plan);
                if (r < 0) {
                        fprintf(stderr, "sriovctl: cannot plan %s: %s\n", v->address, strerror(-r));
                        ret = EXIT_FAILURE_;
                }
        }

        if (arg.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();

                for (size_t i = 0; i < n; i++)
                        json_object_array_add(a, pf_json(&views[i]));
                json_object_object_add(o, "pfs", a);
                json_object_object_add(o, "rejected_policies", ctl_json_strv(set->rejected));
                (void) ctl_json_print(o);
        } else {
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                printf("\n");
                        print_pf(&views[i]);
                }
                if (arg.legend && n == 0)
                        printf("No SR-IOV PFs found.\n");
        }

        for (size_t i = 0; i < n; i++)
                pf_view_clear(&views[i]);
        kernel_caps_clear(&caps);
        return ret;
}
