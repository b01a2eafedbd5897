/* Every policy of the search path, loaded; bad files rejected whole, the others kept. */
#include <stdlib.h>

#include "sriovd/policy.h"

PolicySet *policy_set_ref(PolicySet *s) {
        if (s)
                __atomic_add_fetch(&s->n_ref, 1, __ATOMIC_RELAXED);
        return s;
}

PolicySet *policy_set_unref(PolicySet *s) {
        if (!s || __atomic_sub_fetch(&s->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        for (size_t i = 0; i < s->n_policies; i++)
                policy_free(s->policies[i]);
        free(s->policies);
        conf_file_list_free(s->files);
        strv_free(s->rejected);
        diagnostics_clear(&s->diagnostics);
        return mfree(s);
}

int policy_set_load(const char *root, char * const *dirs, PolicySet **ret) {
        _cleanup_(policy_set_unrefp) PolicySet *s = calloc(1, sizeof(PolicySet));
        int r;

        if (!s)
                return -ENOMEM;
        s->n_ref = 1;
        s->rejected = calloc(1, sizeof(char *));
        if (!s->rejected)
                return -ENOMEM;

        r = conf_files_list(root, dirs, &s->files);
        if (r < 0)
                return r;
        s->policies = calloc(s->files->n_files ?: 1, sizeof(Policy *));
        if (!s->policies)
                return -ENOMEM;

        for (size_t i = 0; i < s->files->n_files; i++) {
                const ConfFile *f = &s->files->files[i];
                Policy *p;

                if (f->masked)
                        continue;
                r = policy_load(f, &p, &s->diagnostics);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (strv_extend(&s->rejected, f->path) < 0)
                                return -ENOMEM;
                        continue;
                }
                s->policies[s->n_policies++] = p;
        }
        *ret = TAKE_PTR(s);
        return 0;
}
