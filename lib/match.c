/* Matches PFs against policies: fnmatch globs over address, driver, netdevs, ID_PATH and serial, IDs by value. */
#include <fnmatch.h>
#include <stdlib.h>

#include "sriovd/match.h"

void match_result_clear(MatchResult *r) {
        free(r->shadowed);
        *r = (MatchResult) {};
}

static bool glob_any(char * const *globs, const char *value) {
        if (!value)
                return false;
        for (char * const *g = globs; *g; g++)
                if (fnmatch(*g, value, 0) == 0)
                        return true;
        return false;
}

static bool id_any(const uint16_t *ids, size_t n, uint16_t id) {
        for (size_t i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

static bool driver_matches(char * const *globs, const char *driver) {
        /* "none" names the absence of a driver; it is not a glob over driver names. */
        if (!driver)
                return strv_contains(globs, "none");
        return glob_any(globs, driver);
}

static bool netdev_matches(char * const *globs, char * const *netdevs) {
        for (char * const *n = netdevs; n && *n; n++)
                if (glob_any(globs, *n))
                        return true;
        return false;
}

bool policy_matches(const Policy *p, const PfSnapshot *pf) {
        const PolicyMatch *m = &p->match;

        if (m->pci_address && !glob_any(m->pci_address, pf->address))
                return false;
        if (m->n_vendor > 0 && !id_any(m->vendor, m->n_vendor, pf->vendor))
                return false;
        if (m->n_device > 0 && !id_any(m->device, m->n_device, pf->device))
                return false;
        if (m->driver && !driver_matches(m->driver, pf->driver))
                return false;
        if (m->interface && !netdev_matches(m->interface, pf->netdevs))
                return false;
        if (m->path && !glob_any(m->path, pf->id_path))
                return false;
        /* A PF without the capability has no serial: it matches no Serial= at all. */
        if (m->serial && !glob_any(m->serial, pf->serial))
                return false;
        /* A policy without conditions is rejected by the parser; never let it match everything. */
        return m->pci_address || m->n_vendor || m->n_device || m->driver || m->interface || m->path || m->serial;
}

int policy_match(Policy * const *policies, size_t n_policies, const PfSnapshot *pf, MatchResult *ret) {
        MatchResult r = {};

        for (size_t i = 0; i < n_policies; i++) {
                const Policy **t;

                if (!policy_matches(policies[i], pf))
                        continue;
                if (!r.policy) {
                        r.policy = policies[i];
                        continue;
                }
                t = reallocarray(r.shadowed, r.n_shadowed + 1, sizeof(Policy *));
                if (!t) {
                        match_result_clear(&r);
                        return -ENOMEM;
                }
                r.shadowed = t;
                r.shadowed[r.n_shadowed++] = policies[i];
        }
        *ret = r;
        return 0;
}
