/* Decides whether a PF's eswitch mode may change now: only while it has no VFs. */
#include <stdio.h>

#include "sriovd/plan.h"

int plan_eswitch(const PfSnapshot *pf, EswitchMode want, EswitchMode now, char **ret_refusal) {
        int r;

        if (want < 0 || now == want)
                return 0;
        if (pf->num_vfs == 0)
                return 1;
        /* switchdev changes what a VF is (it gets a representor): VFs are created in the mode they
         * will live in, so the mode is never changed under existing ones. */
        for (size_t i = 0; i < pf->n_vfs; i++)
                if (pf->vfs[i].n_holders > 0) {
                        r = asprintf(ret_refusal,
                                     "EswitchMode=%s: the PF is in %s mode and VF %u is in use by %s (pid %d); the mode changes only while the PF has no VFs",
                                     eswitch_mode_to_string(want), eswitch_mode_to_string(now), pf->vfs[i].index,
                                     strna(pf->vfs[i].holders[0].comm), (int) pf->vfs[i].holders[0].pid);
                        return r < 0 ? -ENOMEM : -EBUSY;
                }
        r = asprintf(ret_refusal,
                     "EswitchMode=%s: the PF is in %s mode and has %u VF%s; the mode changes only while it has none (remove them with NumVFs=0 first)",
                     eswitch_mode_to_string(want), eswitch_mode_to_string(now), pf->num_vfs, pf->num_vfs == 1 ? "" : "s");
        return r < 0 ? -ENOMEM : -EBUSY;
}
