/* A private system bus for tests, and clients (busctl, sriovctl) run against it, as root or nobody. */
#pragma once

#include <stdbool.h>

#include "fake-kernel.h"

typedef struct TestBus TestBus;

/* Starts dbus-daemon with config (a template with @SOCKET@ and @POLICY@) and points
 * DBUS_SYSTEM_BUS_ADDRESS at it, for this process and what it starts. */
TestBus *test_bus_start(const char *config_template);
void test_bus_stop(TestBus *b);

/* Runs a client to its end, outside the testbed, optionally as nobody (setpriv); its output
 * (stdout and stderr) in *ret_output. Returns the exit status. */
int run_client(FakeKernel *k, bool as_nobody, char **ret_output, const char *argv0, ...);
