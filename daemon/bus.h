/* sriovd on the system bus: org.sriovd1, the manager object and one object per PF. */
#pragma once

#include <stdbool.h>

#include "manager.h"

#define BUS_NAME "org.sriovd1"
#define BUS_MANAGER_PATH "/org/sriovd1"
#define BUS_PF_PREFIX "/org/sriovd1/pf"
#define BUS_MANAGER_INTERFACE "org.sriovd1.Manager"
#define BUS_PF_INTERFACE "org.sriovd1.PhysicalFunction"

/* Connects and registers the objects; without a system bus the daemon runs on, without its API. */
int bus_open(Manager *m);
/* Registers the objects on bus, whatever its kind (a fuzzer serves them on a socketpair). */
int bus_register(Manager *m, sd_bus *bus);
/* Takes the name, once the objects are all there. */
int bus_request_name(Manager *m);
void bus_close(Manager *m);

/* "/org/sriovd1/pf/0000_3a3b_3a00_2e0" */
char *bus_pf_path(const char *address);

void bus_pf_added(Manager *m, Pf *pf);
void bus_pf_removed(Manager *m, Pf *pf);
/* PropertiesChanged, when what the PF object shows changed. */
void bus_pf_changed(Pf *pf);
void bus_manager_changed(Manager *m, const char *property);

/* Answers the Apply calls waiting for this PF: those whose job finished, or all with now. */
void bus_pf_finish_applies(Pf *pf, bool now);

/* In bus-pf.c: the PF object tree. */
int bus_pf_register(Manager *m);
int bus_method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_explain(sd_bus_message *msg, void *userdata, sd_bus_error *error);
