/* `sriovctl status --json` as the reliability tests read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "bus-harness.h"
#include "sriovd/macro.h"
#include "status-client.h"

json_object *status_json(FakeKernel *k, Daemon *d) {
        _cleanup_free_ char *out = NULL;
        json_object *j;
        int r;

        if (!daemon_running(d)) {
                daemon_dump(d);
                fail_msg("sriovd is not running");
        }
        r = run_client(k, false, &out, SRIOVCTL, "status", "--json", NULL);
        if (r != 0) {
                daemon_dump(d);
                fail_msg("sriovctl status exited with %d:\n%s", r, out);
        }
        j = json_tokener_parse(out);
        if (!j)
                fail_msg("not JSON:\n%s", out);
        return j;
}

json_object *status_find_pf(json_object *status, const char *address) {
        json_object *pfs = json_object_object_get(status, "pfs");

        for (size_t i = 0; i < json_object_array_length(pfs); i++) {
                json_object *pf = json_object_array_get_idx(pfs, i);

                if (streq(json_object_get_string(json_object_object_get(pf, "address")), address))
                        return pf;
        }
        return NULL;
}

const char *status_field(json_object *pf, const char *key) {
        return pf ? json_object_get_string(json_object_object_get(pf, key)) : NULL;
}
