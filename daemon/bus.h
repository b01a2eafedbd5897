/* sriovd on the system bus: org.sriovd1, the manager object and one object per PF. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "manager.h"

#define BUS_NAME "org.sriovd1"
#define BUS_MANAGER_PATH "/org/sriovd1"
#define BUS_PF_PREFIX "/org/sriovd1/pf"
#define BUS_MANAGER_INTERFACE "org.sriovd1.Manager"
#define BUS_PF_INTERFACE "org.sriovd1.PhysicalFunction"

typedef struct ApplyCall ApplyCall;

/* The objects on one connection. The bus calls into the manager; the manager reaches it only
 * through the observer it registered. */
typedef struct Bus {
        Manager *manager;
        sd_bus *bus;
        ManagerObserver observer;
        ApplyCall **calls;              /* Apply calls waiting for an evaluation */
        size_t n_calls;
} Bus;

/* Registers the objects on bus, whatever its kind (a fuzzer serves them on a socketpair). */
int bus_new(Manager *m, sd_bus *bus, Bus **ret);
/* Connects to the system bus and registers the objects; *ret is NULL when there is no system bus:
 * the daemon runs on, without its API. */
int bus_open(Manager *m, Bus **ret);
/* Takes the name, once the objects are all there. */
int bus_request_name(Bus *b);
/* Answers the Apply calls still waiting with the state as it is, and closes the connection. */
Bus *bus_free(Bus *b);
static inline void bus_freep(Bus **b) {
        bus_free(*b);
}

/* "/org/sriovd1/pf/0000_3a3b_3a00_2e0" */
char *bus_pf_path(const char *address);

/* In bus-pf.c: the PF object tree, its signals, and Apply and Explain. */
int bus_pf_register(Bus *b);
void bus_pf_added(Pf *pf, void *userdata);
void bus_pf_removed(Pf *pf, void *userdata);
void bus_pf_changed(Pf *pf, void *userdata);
/* Answers the Apply calls waiting for this PF: those whose job finished, or all with all. */
void bus_pf_settled(Pf *pf, bool all, void *userdata);
/* Answers every Apply call still waiting, for bus_free(). */
void bus_pf_finish_all(Bus *b);
int bus_method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_explain(sd_bus_message *msg, void *userdata, sd_bus_error *error);
