/* sriovctl's side of the bus: connecting to sriovd, and its objects read into plain structs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "sriovctl.h"

typedef struct VfInfo {
        unsigned index;
        char *address;
        char *driver;
        int iommu_group;
        uint32_t holder_pid;
        char *holder_comm;
} VfInfo;

/* A VF's netdev settings as the PF driver reports them: "" and -1 where it says nothing. */
typedef struct VfNetInfo {
        unsigned index;
        char *mac;
        int vlan, qos;
        char *vlan_protocol;
        int min_tx_rate, max_tx_rate;
        int spoof_check, trust;
        char *link_state;
        int query_rss;
} VfNetInfo;

/* A VF's network interface: as many per VF as it has, none on vfio-pci. */
typedef struct VfNetdev {
        unsigned index;
        char *name;
} VfNetdev;

typedef struct PfInfo {
        char *path;
        char *address;
        uint16_t vendor, device;
        char *vendor_name, *name;
        char *driver;
        char **netdevs;
        uint32_t total_vfs, num_vfs;
        int desired_num_vfs;
        bool drivers_autoprobe;
        int unmanaged_autoprobe;
        char *policy;
        char **shadowed;
        char *state, *state_reason, *error, *locked_by;
        char *interrupted;      /* what the last sriovd's unfinished apply left, as found at start */
        uint16_t hw_total_vfs, vf_offset, vf_stride, vf_device;
        VfInfo *vfs;
        size_t n_vfs;
        char *serial;
        char *eswitch_mode;
        VfNetInfo *vf_net;
        size_t n_vf_net;
        VfNetdev *vf_netdevs;
        size_t n_vf_netdevs;
} PfInfo;

/* The network interfaces of VF index (NULL: none), a new strv. */
int pf_info_vf_netdevs(const PfInfo *p, unsigned index, char ***ret);

/* The netdev settings of VF index, or NULL when the PF reports none. */
const VfNetInfo *pf_info_vf_net(const PfInfo *p, unsigned index);

void pf_info_clear(PfInfo *p);
void pf_infos_free(PfInfo *p, size_t n);

/* Connects to the system bus and checks that sriovd is on it. Prints what to do when it is not;
 * returns EXIT_NO_DAEMON then, 0 otherwise. */
int ctl_bus_connect(sd_bus **ret);

/* Every PF sriovd knows, in address order, and the manager's Status. One round trip. */
int ctl_load_pfs(sd_bus *bus, PfInfo **ret, size_t *ret_n, char **ret_status);

/* Reads one PF's org.sriovd1.PhysicalFunction properties from a message at an a{sv}. */
int ctl_read_pf_properties(sd_bus_message *m, PfInfo *p);

/* Prints a bus error the way sriovctl reports failures, returns the exit status for it. */
int ctl_bus_error(const char *what, const sd_bus_error *error, int r);

/* The PF as JSON, every property. */
json_object *pf_info_json(const PfInfo *p);

/* The D-Bus object path of a PF address. */
char *ctl_pf_path(const char *address);
