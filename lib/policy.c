/* The policy model: construction, the questions the planner asks it, and loading one file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sriovd/policy.h"

/* Policies are a few hundred bytes; anything this large is a mistake, not a policy. */
#define POLICY_FILE_SIZE_MAX (1024 * 1024)

static const char * const unmanaged_mode_table[_UNMANAGED_MAX] = {
        [UNMANAGED_NO] = "no",
        [UNMANAGED_KERNEL] = "kernel",
        [UNMANAGED_PF_STUB] = "pf-stub",
        [UNMANAGED_VFIO_PCI] = "vfio-pci",
};

static const char * const link_state_table[_LINK_STATE_MAX] = {
        [LINK_STATE_AUTO] = "auto",
        [LINK_STATE_ENABLE] = "enable",
        [LINK_STATE_DISABLE] = "disable",
};

const char *unmanaged_mode_to_string(UnmanagedMode m) {
        return m >= 0 && m < _UNMANAGED_MAX ? unmanaged_mode_table[m] : NULL;
}

UnmanagedMode unmanaged_mode_from_string(const char *s) {
        for (int i = 0; i < _UNMANAGED_MAX; i++)
                if (streq(s, unmanaged_mode_table[i]))
                        return i;
        return _UNMANAGED_INVALID;
}

const char *link_state_to_string(LinkState s) {
        return s >= 0 && s < _LINK_STATE_MAX ? link_state_table[s] : NULL;
}

LinkState link_state_from_string(const char *s) {
        for (int i = 0; i < _LINK_STATE_MAX; i++)
                if (streq(s, link_state_table[i]))
                        return i;
        return _LINK_STATE_INVALID;
}

static void vf_policy_clear(VfPolicy *v) {
        free(v->file);
        free(v->ranges);
        free(v->driver);
}

static void policy_match_clear(PolicyMatch *m) {
        strv_free(m->pci_address);
        free(m->vendor);
        free(m->device);
        strv_free(m->driver);
        strv_free(m->interface);
        strv_free(m->path);
        strv_free(m->serial);
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->path);
        strv_free(p->dropins);
        policy_match_clear(&p->match);
        free(p->vf_driver);
        for (size_t i = 0; i < p->n_vfs; i++)
                vf_policy_clear(&p->vfs[i]);
        free(p->vfs);
        return mfree(p);
}

int policy_new(const char *name, Policy **ret) {
        _cleanup_(policy_freep) Policy *p = calloc(1, sizeof(Policy));

        if (!p)
                return -ENOMEM;
        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;
        p->num_vfs = -1;
        p->drivers_autoprobe = -1;
        p->unmanaged_autoprobe = -1;
        p->unmanaged = _UNMANAGED_INVALID;
        p->eswitch_mode = _ESWITCH_MODE_INVALID;
        *ret = TAKE_PTR(p);
        return 0;
}

UnmanagedMode policy_unmanaged(const Policy *p) {
        return p->unmanaged >= 0 ? p->unmanaged : UNMANAGED_KERNEL;
}

bool vf_policy_covers(const VfPolicy *v, unsigned index) {
        for (size_t i = 0; i < v->n_ranges; i++)
                if (index >= v->ranges[i].first && index <= v->ranges[i].last)
                        return true;
        return false;
}

const char *policy_vf_driver(const Policy *p, unsigned index) {
        for (size_t i = p->n_vfs; i > 0; i--)
                if (p->vfs[i - 1].driver && vf_policy_covers(&p->vfs[i - 1], index))
                        return p->vfs[i - 1].driver;
        return p->vf_driver;
}

int policy_vf_msix_vectors(const Policy *p, unsigned index) {
        for (size_t i = p->n_vfs; i > 0; i--)
                if (p->vfs[i - 1].msix_vectors >= 0 && vf_policy_covers(&p->vfs[i - 1], index))
                        return p->vfs[i - 1].msix_vectors;
        return -1;
}

bool policy_configures_vfs(const Policy *p) {
        if (p->vf_driver)
                return true;
        for (size_t i = 0; i < p->n_vfs; i++)
                if (p->vfs[i].driver || p->vfs[i].msix_vectors >= 0)
                        return true;
        return false;
}

static bool vf_policy_has_net(const VfPolicy *v) {
        return v->has_mac || v->vlan >= 0 || v->vlan_qos >= 0 || v->vlan_protocol >= 0 || v->min_tx_rate >= 0 ||
               v->max_tx_rate >= 0 || v->trust >= 0 || v->spoof_check >= 0 || v->query_rss >= 0 || v->link_state >= 0;
}

const VfPolicy *policy_vf_net_section(const Policy *p) {
        for (size_t i = 0; i < p->n_vfs; i++)
                if (vf_policy_has_net(&p->vfs[i]))
                        return &p->vfs[i];
        return NULL;
}

void policy_vf_net_settings(const Policy *p, unsigned index, VfNetSettings *ret) {
        VfNetSettings s = { .index = index, .min_tx_rate = -1, .max_tx_rate = -1 };

        for (size_t i = 0; i < p->n_vfs; i++) {
                const VfPolicy *v = &p->vfs[i];

                if (!vf_policy_covers(v, index))
                        continue;
                if (v->has_mac) {
                        memcpy(s.mac, v->mac, sizeof(s.mac));
                        s.mask |= VF_NET_BIT(VF_NET_MAC);
                }
                /* Id, QoS and protocol go to the kernel as one: a section that names any of them
                 * says what the VLAN is, with the defaults (no QoS, 802.1Q) for what it leaves out. */
                if (v->vlan >= 0 || v->vlan_qos >= 0 || v->vlan_protocol >= 0) {
                        s.vlan = v->vlan >= 0 ? (unsigned) v->vlan : 0;
                        s.qos = v->vlan_qos >= 0 ? (unsigned) v->vlan_qos : 0;
                        s.vlan_protocol = v->vlan_protocol >= 0 ? v->vlan_protocol : VLAN_PROTOCOL_8021Q;
                        s.mask |= VF_NET_BIT(VF_NET_VLAN);
                }
                if (v->min_tx_rate >= 0 || v->max_tx_rate >= 0) {
                        if (v->min_tx_rate >= 0)
                                s.min_tx_rate = v->min_tx_rate;
                        if (v->max_tx_rate >= 0)
                                s.max_tx_rate = v->max_tx_rate;
                        s.mask |= VF_NET_BIT(VF_NET_TX_RATE);
                }
                if (v->spoof_check >= 0) {
                        s.spoof_check = v->spoof_check;
                        s.mask |= VF_NET_BIT(VF_NET_SPOOF_CHECK);
                }
                if (v->trust >= 0) {
                        s.trust = v->trust;
                        s.mask |= VF_NET_BIT(VF_NET_TRUST);
                }
                if (v->link_state >= 0) {
                        s.link_state = v->link_state;
                        s.mask |= VF_NET_BIT(VF_NET_LINK_STATE);
                }
                if (v->query_rss >= 0) {
                        s.query_rss = v->query_rss;
                        s.mask |= VF_NET_BIT(VF_NET_QUERY_RSS);
                }
        }
        *ret = s;
}

/* A policy decides what happens to PCI devices: only root (or whoever loads it) may be able to change
 * it. Returns NULL when the file may be trusted, else why not. */
static const char *untrusted(const struct stat *st, const struct stat *dir) {
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return "it belongs to another user than root; policy files must be root's (chown root)";
        if (st->st_mode & S_IWOTH)
                return "everyone may write to it; refusing it (chmod o-w)";
        if ((st->st_mode & S_IWGRP) && st->st_gid != 0)
                return "a group other than root may write to it; refusing it (chmod g-w)";
        if (dir && (dir->st_mode & S_IWOTH) && !(dir->st_mode & S_ISVTX))
                return "its directory is writable by everyone, so anyone could replace it; refusing it (chmod o-w on the directory)";
        return NULL;
}

static int read_file(const char *path, char **ret, size_t *ret_size, const char **ret_refusal) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL, *dir = NULL;
        struct stat st, dst;
        size_t n = 0;

        *ret_refusal = NULL;
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > POLICY_FILE_SIZE_MAX)
                return -EFBIG;
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        *ret_refusal = untrusted(&st, stat(dirname(dir), &dst) >= 0 ? &dst : NULL);
        if (*ret_refusal)
                return -EPERM;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* FNV-1a: a cheap, stable fingerprint; it only tells a changed policy from an unchanged one. */
static uint64_t fingerprint_add(uint64_t h, const void *data, size_t size) {
        const unsigned char *b = data;

        for (size_t i = 0; i < size; i++) {
                h ^= b[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

/* Checks that need the whole policy, main file and drop-ins together. */
static int policy_verify(const Policy *p, Diagnostics *d) {
        const PolicyMatch *m = &p->match;
        int n_errors = 0;

        if (strv_length(m->pci_address) + m->n_vendor + m->n_device + strv_length(m->driver) +
            strv_length(m->interface) + strv_length(m->path) + strv_length(m->serial) == 0) {
                if (diagnostics_add(d, DIAGNOSTIC_ERROR, p->path, p->match_line,
                                    "[Match] has no conditions; say which PFs the policy is for (PCIAddress=* matches every PF)") < 0)
                        return -ENOMEM;
                n_errors++;
        }
        if (p->unmanaged == UNMANAGED_NO && p->unmanaged_autoprobe >= 0 &&
            diagnostics_add(d, DIAGNOSTIC_WARNING, p->path, 0,
                            "UnmanagedAutoprobe= has no effect with Unmanaged=no") < 0)
                return -ENOMEM;
        if (p->num_vfs >= 0)
                for (size_t i = 0; i < p->n_vfs; i++)
                        for (size_t j = 0; j < p->vfs[i].n_ranges; j++)
                                if (p->vfs[i].ranges[j].last >= (unsigned) p->num_vfs) {
                                        if (diagnostics_add(d, DIAGNOSTIC_WARNING, p->vfs[i].file, p->vfs[i].line,
                                                            "[VirtualFunction] Index= reaches VF %u, but NumVFs=%d creates VFs 0-%d only",
                                                            p->vfs[i].ranges[j].last, p->num_vfs, p->num_vfs - 1) < 0)
                                                return -ENOMEM;
                                        break;
                                }
        return n_errors;
}

int policy_build(const char *name, const PolicySource *sources, size_t n_sources, Policy **ret, Diagnostics *d) {
        _cleanup_(policy_freep) Policy *p = NULL;
        int r, n_errors = 0;

        if (n_sources == 0)
                return -EINVAL;
        r = policy_new(name, &p);
        if (r < 0)
                return r;
        p->fingerprint = UINT64_C(0xcbf29ce484222325);
        p->path = strdup(sources[0].path);
        p->dropins = calloc(1, sizeof(char *));
        if (!p->path || !p->dropins)
                return -ENOMEM;

        for (size_t i = 0; i < n_sources; i++) {
                const PolicySource *s = &sources[i];

                if (i > 0 && strv_extend(&p->dropins, s->path) < 0)
                        return -ENOMEM;
                p->fingerprint = fingerprint_add(p->fingerprint, s->path, strlen(s->path) + 1);
                if (s->refusal || !s->text) {
                        if (diagnostics_add(d, DIAGNOSTIC_ERROR, s->path, 0, "%s", strna(s->refusal)) < 0)
                                return -ENOMEM;
                        n_errors++;
                        continue;
                }
                /* The size goes in too, so that text moved between files changes the fingerprint. */
                p->fingerprint = fingerprint_add(p->fingerprint, &s->size, sizeof(s->size));
                p->fingerprint = fingerprint_add(p->fingerprint, s->text, s->size);
                r = policy_parse_text(p, s->path, s->text, s->size, d);
                if (r < 0)
                        return r;
                n_errors += r;
        }
        if (n_errors == 0) {
                r = policy_verify(p, d);
                if (r < 0)
                        return r;
                n_errors += r;
        }
        if (n_errors > 0)
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_load(const ConfFile *f, Policy **ret, Diagnostics *d) {
        size_t n = 1 + strv_length(f->dropins);
        _cleanup_free_ PolicySource *sources = calloc(n, sizeof(PolicySource));
        _cleanup_free_ char **texts = calloc(n, sizeof(char *));
        _cleanup_free_ char **reasons = calloc(n, sizeof(char *));
        int r;

        if (!sources || !texts || !reasons)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *path = i == 0 ? f->path : f->dropins[i - 1];
                const char *refusal = NULL;

                sources[i].path = path;
                r = read_file(path, &texts[i], &sources[i].size, &refusal);
                if (r == -ENOMEM)
                        goto finish;
                if (r < 0) {
                        if (refusal)
                                r = asprintf(&reasons[i], "not loaded: %s", refusal);
                        else
                                r = asprintf(&reasons[i], "cannot read the file: %s",
                                             r == -EBADFD ? "not a regular file" : strerror(-r));
                        if (r < 0) {
                                reasons[i] = NULL;
                                r = -ENOMEM;
                                goto finish;
                        }
                        sources[i].refusal = reasons[i];
                        continue;
                }
                sources[i].text = texts[i];
        }
        r = policy_build(f->name, sources, n, ret, d);
finish:
        for (size_t i = 0; i < n; i++) {
                free(texts[i]);
                free(reasons[i]);
        }
        return r;
}
