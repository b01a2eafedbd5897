/* Decides which VF netdev settings to send: the policy's values against what the PF driver reports. */
#include <stdlib.h>

#include "sriovd/plan.h"

static const VfNetSettings *find_current(const VfNetSettings *current, size_t n_current, unsigned index) {
        for (size_t i = 0; i < n_current; i++)
                if (current[i].index == index)
                        return &current[i];
        return NULL;
}

int plan_vf_net(const Policy *p, unsigned num_vfs, const VfNetSettings *current, size_t n_current,
                VfNetSettings **ret, size_t *ret_n) {
        _cleanup_free_ VfNetSettings *changes = NULL;
        size_t n = 0;

        for (unsigned i = 0; i < num_vfs; i++) {
                const VfNetSettings *now = find_current(current, n_current, i);
                VfNetSettings want;

                policy_vf_net_settings(p, i, &want);
                if (want.mask == 0)
                        continue;
                /* The kernel sets both rates at once: a bound the policy leaves out stays as it is. */
                if (want.mask & VF_NET_BIT(VF_NET_TX_RATE)) {
                        bool known = now && (now->mask & VF_NET_BIT(VF_NET_TX_RATE));

                        if (want.min_tx_rate < 0)
                                want.min_tx_rate = known ? now->min_tx_rate : 0;
                        if (want.max_tx_rate < 0)
                                want.max_tx_rate = known ? now->max_tx_rate : 0;
                }
                for (VfNetAttribute a = 0; a < _VF_NET_ATTRIBUTE_MAX; a++) {
                        VfNetSettings *t;

                        if (!(want.mask & VF_NET_BIT(a)))
                                continue;
                        if (now && vf_net_settings_equal(&want, now, a))
                                continue;
                        t = reallocarray(changes, n + 1, sizeof(VfNetSettings));
                        if (!t)
                                return -ENOMEM;
                        changes = t;
                        changes[n] = want;
                        changes[n].mask = VF_NET_BIT(a);
                        n++;
                }
        }
        *ret = TAKE_PTR(changes);
        *ret_n = n;
        return 0;
}
