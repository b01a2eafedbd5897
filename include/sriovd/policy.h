/* SR-IOV policies: the model of one drop-in file, its parser, and the set of loaded policies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sriovd/conf-files.h"
#include "sriovd/diagnostics.h"
#include "sriovd/parse-util.h"
#include "sriovd/devlink.h"
#include "sriovd/pci-address.h"
#include "sriovd/vf-netlink.h"

#define POLICY_NUM_VFS_MAX PCI_SRIOV_VFS_MAX
/* The PCI MSI-X table holds at most 2048 entries. */
#define POLICY_MSIX_VECTORS_MAX 2048U
#define POLICY_VLAN_MAX 4094U
#define POLICY_VLAN_QOS_MAX 7U
/* Mbit/s, as IFLA_VF_RATE takes them: 4 Tbit/s is beyond any NIC. */
#define POLICY_TX_RATE_MAX 4000000U

typedef enum UnmanagedMode {
        UNMANAGED_NO,           /* never enable VFs on a PF without a capable driver */
        UNMANAGED_KERNEL,       /* only the kernel's generic path (sriov_unmanaged_autoprobe) */
        UNMANAGED_PF_STUB,      /* the kernel's path when present, else bind a driverless PF to pci-pf-stub */
        UNMANAGED_VFIO_PCI,     /* the kernel's path when present, else vfio-pci with enable_sriov */
        _UNMANAGED_MAX,
        _UNMANAGED_INVALID = -EINVAL,
} UnmanagedMode;

/* One [VirtualFunction] section. Integer settings are -1 when not set. */
typedef struct VfPolicy {
        char *file;
        unsigned line;          /* of the section header */
        IndexRange *ranges;
        size_t n_ranges;
        char *driver;
        int msix_vectors;
        bool has_mac;
        uint8_t mac[6];
        int vlan;
        int vlan_qos;
        VlanProtocol vlan_protocol; /* _VLAN_PROTOCOL_INVALID when not set */
        int min_tx_rate;        /* Mbit/s */
        int max_tx_rate;
        int trust;
        int spoof_check;
        int query_rss;
        LinkState link_state;   /* _LINK_STATE_INVALID when not set */
        unsigned net_line;      /* of the first netdev setting, for messages about it */
} VfPolicy;

/* [Match]: every key given must match; the values of one key are alternatives. */
typedef struct PolicyMatch {
        char **pci_address;     /* fnmatch globs */
        uint16_t *vendor;
        size_t n_vendor;
        uint16_t *device;
        size_t n_device;
        char **driver;          /* globs; "none" matches a PF without a driver */
        char **interface;       /* globs over the PF's netdev names */
        char **path;            /* globs over udev's ID_PATH */
        char **serial;          /* globs over the PCI Device Serial Number, "00-11-22-ff-fe-33-44-55" */
} PolicyMatch;

typedef struct Policy {
        char *name;             /* file name, orders the policies: "50-e810.conf" */
        char *path;             /* the main file */
        char **dropins;         /* NAME.conf.d files applied after it */
        uint64_t fingerprint;   /* of the paths and texts it was parsed from: equal means unchanged */
        unsigned match_line;    /* first [Match] header, for messages */

        PolicyMatch match;

        /* [PhysicalFunction]; integers are -1 when not set */
        int num_vfs;
        bool num_vfs_max;       /* NumVFs=max: sriov_totalvfs of the PF */
        int drivers_autoprobe;
        int unmanaged_autoprobe;
        UnmanagedMode unmanaged; /* _UNMANAGED_INVALID when not set: policy_unmanaged() gives the default */
        char *vf_driver;
        EswitchMode eswitch_mode; /* _ESWITCH_MODE_INVALID when not set */
        unsigned eswitch_line;

        VfPolicy *vfs;
        size_t n_vfs;
} Policy;

Policy *policy_free(Policy *p);
static inline void policy_freep(Policy **p) {
        policy_free(*p);
}

/* An empty policy named name, with every setting unset. */
int policy_new(const char *name, Policy **ret);

/* Parses one file's text into p (a drop-in extends what earlier text set). Problems go to d with
 * file:line. Returns the number of errors found (0 when the text is good), or -ENOMEM. */
int policy_parse_text(Policy *p, const char *file, const char *text, size_t size, Diagnostics *d);

/* One file of a policy as read: its text, or why it could not be used. */
typedef struct PolicySource {
        const char *path;
        const char *text;
        size_t size;
        const char *refusal;    /* set when the file could not be read or is not safe to trust */
} PolicySource;

/* The pure part of loading: a policy from its main file and drop-ins (sources[0] is the main file),
 * parsed in order, checked as a whole. -EINVAL when there are errors (in d). */
int policy_build(const char *name, const PolicySource *sources, size_t n_sources, Policy **ret, Diagnostics *d);

/* Reads a resolved file with its drop-ins and builds it. Files that anyone but root (or the caller)
 * could change are refused, as sshd refuses such configuration. Returns -EINVAL when the policy has
 * errors or a file was refused (all in d). */
int policy_load(const ConfFile *f, Policy **ret, Diagnostics *d);

/* The mode in force: Unmanaged= when set, else UNMANAGED_KERNEL. */
UnmanagedMode policy_unmanaged(const Policy *p);

/* The driver the policy wants for VF index, or NULL when it does not care. A later
 * [VirtualFunction] section covering the index overrides an earlier one and VFDriver=. */
const char *policy_vf_driver(const Policy *p, unsigned index);
/* The MSI-X vector count the policy wants for VF index, or -1. */
int policy_vf_msix_vectors(const Policy *p, unsigned index);
/* True when any VF index is given a driver or an MSI-X count. */
bool policy_configures_vfs(const Policy *p);
/* The netdev settings the policy wants for VF index (mask empty when none); a later section's value
 * for an attribute overrides an earlier one's. A rate the policy leaves out is -1. */
void policy_vf_net_settings(const Policy *p, unsigned index, VfNetSettings *ret);
/* The first [VirtualFunction] section with a netdev setting, or NULL. */
const VfPolicy *policy_vf_net_section(const Policy *p);

bool vf_policy_covers(const VfPolicy *v, unsigned index);

const char *unmanaged_mode_to_string(UnmanagedMode m);
UnmanagedMode unmanaged_mode_from_string(const char *s);
const char *link_state_to_string(LinkState s);
LinkState link_state_from_string(const char *s);

/* Every policy file of the search path, parsed. Files with errors are rejected as a whole and
 * listed in rejected; the others are in policies, ordered by name. */
typedef struct PolicySet {
        unsigned n_ref;         /* the daemon's workers keep using a set that a reload replaced */
        Policy **policies;
        size_t n_policies;
        ConfFileList *files;    /* every file of the search path, masked ones included */
        char **rejected;        /* paths of files with errors */
        Diagnostics diagnostics;
} PolicySet;

PolicySet *policy_set_ref(PolicySet *s);
PolicySet *policy_set_unref(PolicySet *s);
static inline void policy_set_unrefp(PolicySet **s) {
        policy_set_unref(*s);
}

/* root and dirs as for conf_files_list(). Fails only when the search path cannot be listed or
 * memory runs out; bad files are reported in the set's diagnostics. */
int policy_set_load(const char *root, char * const *dirs, PolicySet **ret);
