/* plan_eswitch: the eswitch mode changes only while the PF has no VFs, and a refusal says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sriovd/plan.h"
#include "snapshot-builder.h"

#define PF "pf 0000:3b:00.0 driver=ice total=8 "

static int decide(const char *hardware, EswitchMode want, EswitchMode now, char **ret_refusal) {
        _cleanup_(pf_snapshot_freep) PfSnapshot *pf = build_pf(hardware);

        *ret_refusal = NULL;
        return plan_eswitch(pf, want, now, ret_refusal);
}

static void test_nothing_to_do(void **state) {
        _cleanup_free_ char *refusal = NULL;

        (void) state;
        /* no EswitchMode= in the policy */
        assert_int_equal(decide(PF "num=4", _ESWITCH_MODE_INVALID, ESWITCH_MODE_LEGACY, &refusal), 0);
        assert_null(refusal);
        /* already in the mode asked for, VFs or not */
        assert_int_equal(decide(PF "num=4", ESWITCH_MODE_SWITCHDEV, ESWITCH_MODE_SWITCHDEV, &refusal), 0);
        assert_null(refusal);
}

static void test_set_without_vfs(void **state) {
        _cleanup_free_ char *refusal = NULL;

        (void) state;
        assert_int_equal(decide(PF "num=0", ESWITCH_MODE_SWITCHDEV, ESWITCH_MODE_LEGACY, &refusal), 1);
        assert_null(refusal);
        assert_int_equal(decide(PF "num=0", ESWITCH_MODE_LEGACY, ESWITCH_MODE_SWITCHDEV, &refusal), 1);
        assert_null(refusal);
}

static void test_refused_with_vfs(void **state) {
        _cleanup_free_ char *refusal = NULL;

        (void) state;
        assert_int_equal(decide(PF "num=3", ESWITCH_MODE_SWITCHDEV, ESWITCH_MODE_LEGACY, &refusal), -EBUSY);
        assert_non_null(strstr(refusal, "EswitchMode=switchdev"));
        assert_non_null(strstr(refusal, "legacy mode"));
        assert_non_null(strstr(refusal, "has 3 VFs"));
        assert_non_null(strstr(refusal, "NumVFs=0"));
}

static void test_refusal_names_the_holder(void **state) {
        _cleanup_free_ char *refusal = NULL;

        (void) state;
        assert_int_equal(decide(PF "num=2\nvf 1 driver=vfio-pci holder=4242:qemu-system-x86",
                                ESWITCH_MODE_SWITCHDEV, ESWITCH_MODE_LEGACY, &refusal), -EBUSY);
        assert_non_null(strstr(refusal, "VF 1 is in use by qemu-system-x86 (pid 4242)"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nothing_to_do),
                cmocka_unit_test(test_set_without_vfs),
                cmocka_unit_test(test_refused_with_vfs),
                cmocka_unit_test(test_refusal_names_the_holder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
