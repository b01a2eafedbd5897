/* Which policy applies to a PF: the first match in file name order wins, the rest are shadowed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sriovd/policy.h"
#include "sriovd/sysfs.h"

typedef struct MatchResult {
        const Policy *policy;           /* NULL when no policy matches */
        const Policy **shadowed;        /* other matching policies, in order */
        size_t n_shadowed;
} MatchResult;

void match_result_clear(MatchResult *r);

/* Every key of [Match] that is set must match; the values of one key are alternatives. */
bool policy_matches(const Policy *p, const PfSnapshot *pf);

/* policies must be in file name order, as PolicySet keeps them. */
int policy_match(Policy * const *policies, size_t n_policies, const PfSnapshot *pf, MatchResult *ret);
