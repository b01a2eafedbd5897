/* uevent classification: tracked PFs, new PFs, VFs by their physfn link, and what is not sriovd's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "sriovd/macro.h"
#include "sriovd/uevent.h"

static void test_classify(void **state) {
        static const struct {
                UeventFacts facts;
                UeventMeaning meaning;
                const char *pf;
        } table[] = {
                { { "remove", "0000:3b:00.0", true, false, NULL }, UEVENT_PF_GONE, NULL },
                { { "bind", "0000:3b:00.0", true, false, NULL }, UEVENT_PF_REBOUND, NULL },
                { { "unbind", "0000:3b:00.0", true, false, NULL }, UEVENT_PF_REBOUND, NULL },
                { { "change", "0000:3b:00.0", true, true, NULL }, UEVENT_PF_CHANGED, NULL },
                { { "add", "0000:5e:00.0", false, true, NULL }, UEVENT_PF_NEW, NULL },
                { { "bind", "0000:5e:00.0", false, true, NULL }, UEVENT_PF_NEW, NULL },
                { { "remove", "0000:3b:01.0", false, false, NULL }, UEVENT_VF_GONE, NULL },
                { { "add", "0000:3b:01.0", false, false, "../0000:3b:00.0" }, UEVENT_VF_REBOUND, "0000:3b:00.0" },
                { { "bind", "0000:3b:01.0", false, false, "../0000:3b:00.0" }, UEVENT_VF_REBOUND, "0000:3b:00.0" },
                { { "change", "0000:3b:01.0", false, false, "../0000:3b:00.0" }, UEVENT_VF_SEEN, "0000:3b:00.0" },
                { { "change", "0000:3b:01.0", false, false, "0000:3b:00.0" }, UEVENT_VF_SEEN, "0000:3b:00.0" },
                /* not ours: no physfn, a physfn that is not a PCI address, a sysname that is not one */
                { { "add", "0000:3b:01.0", false, false, NULL }, UEVENT_IGNORE, NULL },
                { { "add", "0000:3b:01.0", false, false, "../../../../etc" }, UEVENT_IGNORE, NULL },
                { { "add", "0000:3b:01.0", false, false, "../0000:3b:00.0/" }, UEVENT_IGNORE, NULL },
                { { "add", "pci0000:3a", false, false, NULL }, UEVENT_IGNORE, NULL },
                { { "add", "../0000:3b:00.0", false, true, NULL }, UEVENT_IGNORE, NULL },
                { { NULL, "0000:3b:00.0", true, true, NULL }, UEVENT_IGNORE, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                char pf[PCI_ADDRESS_MAX] = "";
                UeventMeaning m = uevent_classify(&table[i].facts, pf);

                if (m != table[i].meaning)
                        fail_msg("case %zu (%s %s): %d, expected %d", i, strna(table[i].facts.action), table[i].facts.sysname,
                                 m, table[i].meaning);
                if (table[i].pf)
                        assert_string_equal(pf, table[i].pf);
        }
}

static void test_reads_only_what_matters(void **state) {
        UeventFacts known = { "change", "0000:3b:00.0", true, false, NULL };
        UeventFacts removal = { "remove", "0000:3b:01.0", false, false, NULL };
        UeventFacts unknown = { "add", "0000:3b:01.0", false, false, NULL };
        UeventFacts pf = { "add", "0000:3b:01.0", false, true, NULL };

        assert_false(uevent_needs_totalvfs(&known));
        assert_false(uevent_needs_totalvfs(&removal));
        assert_true(uevent_needs_totalvfs(&unknown));
        assert_true(uevent_needs_physfn(&unknown));
        assert_false(uevent_needs_physfn(&pf));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                { "each event means what it should, from the event and the sysfs facts", test_classify, NULL, NULL, NULL },
                { "sysfs is asked only what the answer depends on", test_reads_only_what_matters, NULL, NULL, NULL },
        };
        return cmocka_run_group_tests_name("uevent", tests, NULL, NULL);
}
