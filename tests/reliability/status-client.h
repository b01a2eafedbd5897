/* `sriovctl status --json` as the reliability tests read it: the daemon must answer, in JSON. */
#pragma once

#include <json-c/json.h>

#include "daemon-harness.h"

/* Runs it against the running daemon (failing the test if the daemon is gone or the call fails);
 * the caller puts the result. */
json_object *status_json(FakeKernel *k, Daemon *d);
/* The entry of the PF at address in a status, or NULL. */
json_object *status_find_pf(json_object *status, const char *address);
/* A string field of a PF entry; NULL for a NULL entry or a missing field. */
const char *status_field(json_object *pf, const char *key);
