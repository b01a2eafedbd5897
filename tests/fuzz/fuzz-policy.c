/* Fuzzes the policy parser, a main file and drop-ins ("\n----\n" between them), then matching and
 * planning with what it produced against a few hosts' PFs: the pure core end to end. */
#include <stdlib.h>

#include "fuzz-util.h"
#include "sriovd/match.h"
#include "sriovd/plan.h"
#include "sriovd/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char * const paths[] = {
                "/etc/sriovd.d/50-fuzz.conf", "/etc/sriovd.d/50-fuzz.conf.d/10-a.conf",
                "/run/sriovd.d/50-fuzz.conf.d/20-b.conf", "/usr/lib/sriovd.d/50-fuzz.conf.d/30-c.conf",
        };
        const uint8_t *parts[4];
        size_t sizes[4], n, n_pfs;
        PolicySource sources[4];
        PfSnapshot **pfs = fuzz_snapshots(&n_pfs);
        Diagnostics d = {};
        Policy *p = NULL;

        n = fuzz_split(data, size, "\n----\n", parts, sizes, 4);
        for (size_t i = 0; i < n; i++)
                sources[i] = (PolicySource) { .path = paths[i], .text = (const char *) parts[i], .size = sizes[i] };

        if (policy_build("50-fuzz.conf", sources, n, &p, &d) >= 0) {
                for (size_t i = 0; i < n_pfs; i++) {
                        if (!policy_matches(p, pfs[i]))
                                continue;
                        for (PlanFlags flags = 0; flags <= PLAN_PF_DRIVER_CANNOT_SRIOV; flags++) {
                                Plan *plan = NULL;

                                if (plan_compute(pfs[i], p, fuzz_caps(), flags, &plan) < 0)
                                        continue;
                                for (size_t a = 0; a < plan->n_actions; a++) {
                                        char *text = NULL, *path = NULL, *value = NULL;

                                        if (action_to_string(&plan->actions[a], &text) >= 0)
                                                free(text);
                                        if (action_sysfs_write(&plan->actions[a], &path, &value) >= 0) {
                                                free(path);
                                                free(value);
                                        }
                                }
                                plan_free(plan);
                        }
                }
                for (unsigned i = 0; i < 8; i++)
                        (void) policy_vf_driver(p, i);
                policy_free(p);
        }
        for (size_t i = 0; i < d.n_items; i++) {
                char *line = NULL;

                if (diagnostic_format(&d.items[i], &line) >= 0)
                        free(line);
        }
        diagnostics_clear(&d);
        return 0;
}
