/* A job's netlink side: the eswitch mode (devlink) and the VFs' netdev settings (rtnetlink). */
#include <stdio.h>
#include <stdlib.h>

#include "job.h"
#include "log.h"

static int job_netlink(Job *j, Netlink **ret) {
        int r;

        if (!j->netlink) {
                r = j->netlink_relay ? netlink_new_relay(j->netlink_relay, &j->netlink) : netlink_new_kernel(&j->netlink);
                if (r < 0)
                        return r;
        }
        *ret = j->netlink;
        return 0;
}

int job_apply_eswitch(Job *j) {
        const PfSnapshot *pf = j->result->snapshot;
        EswitchMode want = j->policy->eswitch_mode, now;
        _cleanup_free_ char *message = NULL;
        Netlink *nl;
        int r;

        if (want < 0)
                return 0;
        r = job_netlink(j, &nl);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot open netlink: %s", strerror(-r));
        r = netlink_get_eswitch_mode(nl, pf->address, &now);
        if (r < 0) {
                (void) devlink_error_message(want, r, &message);
                /* No devlink or no eswitch: the kernel will say the same until the driver changes. */
                j->result->no_retry = r == -EOPNOTSUPP || r == -ENODEV || r == -ENOENT;
                return job_finish(j, JOB_FAILED, r, "%s", strna(message));
        }
        j->result->eswitch_mode = now;
        r = plan_eswitch(pf, want, now, &message);
        if (r == -EBUSY)
                return job_finish(j, JOB_REFUSED, 0, "%s", message);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "out of memory");
        if (r == 0)
                return 0;

        job_count_write(j);
        log_internal(LOG_DEBUG, 0, j->address, NULL, NULL, "set eswitch mode %s", eswitch_mode_to_string(want));
        r = netlink_set_eswitch_mode(nl, pf->address, want);
        if (r < 0) {
                (void) devlink_error_message(want, r, &message);
                j->result->no_retry = r == -EOPNOTSUPP || r == -ENODEV || r == -EINVAL;
                return job_finish(j, JOB_FAILED, r, "%s", strna(message));
        }
        j->result->eswitch_mode = want;
        return 0;
}

static bool error_is_lasting(int error) {
        return error == -EOPNOTSUPP || error == -EPROTONOSUPPORT || error == -EINVAL || error == -EPERM;
}

static int read_ifindex(const char *address, const char *netdev, int *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        unsigned ifindex;
        int r;

        if (asprintf(&path, "net/%s/ifindex", netdev) < 0)
                return -ENOMEM;
        r = sysfs_read_attribute(address, path, &text);
        if (r < 0)
                return r;
        r = parse_u32(text, INT32_MAX, &ifindex);
        if (r < 0 || ifindex == 0)
                return -EBADMSG;
        *ret = (int) ifindex;
        return 0;
}

/* Every netdev setting that differs, one attribute per request, so that one the driver refuses
 * fails alone and the others still go. Ahead, before the VF drivers bind, a refusal is only
 * logged: the settings are sent again, and fail for good, once the VFs have their drivers. */
static int apply_vf_net(Job *j, bool ahead) {
        JobResult *res = j->result;
        const PfSnapshot *pf = res->snapshot;
        const VfPolicy *section = policy_vf_net_section(j->policy);
        _cleanup_free_ VfNetSettings *current = NULL, *changes = NULL;
        _cleanup_strv_free_ char **failures = NULL;
        _cleanup_free_ char *joined = NULL;
        size_t n_current = 0, n_changes = 0;
        int ifindex, r, first_error = 0;
        bool lasting = true;
        Netlink *nl;

        if (!section)
                return 0;
        if (ahead && (!pf->netdevs || !pf->netdevs[0]))
                return 0;
        if (!pf->netdevs || !pf->netdevs[0]) {
                /* An NVMe or GPU PF: the policy's other settings still apply. */
                if (asprintf(&res->net_warning,
                             "%s:%u: [VirtualFunction] netdev settings have no effect: the PF has no network interface, ignoring them",
                             section->file, section->net_line) < 0)
                        res->net_warning = NULL;
                return 0;
        }
        r = read_ifindex(pf->address, pf->netdevs[0], &ifindex);
        if (r < 0 && ahead)
                return 0;
        if (r < 0)
                return job_finish(j, r == -ENODEV ? JOB_GONE : JOB_FAILED, r, "cannot read the ifindex of %s: %s", pf->netdevs[0], strerror(-r));
        r = job_netlink(j, &nl);
        if (r < 0 && ahead)
                return 0;
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot open netlink: %s", strerror(-r));
        r = netlink_read_vfs(nl, ifindex, &current, &n_current);
        if (r < 0 && ahead)
                return 0;
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot read the VF settings of %s: %s", pf->netdevs[0], strerror(-r));
        /* Ahead, the snapshot may be from before the VFs were made: the PF driver's table counts them. */
        r = plan_vf_net(j->policy, ahead ? (unsigned) n_current : pf->num_vfs, current, n_current, &changes, &n_changes);
        if (r < 0)
                return job_finish(j, JOB_FAILED, r, "cannot plan the VF netdev settings: %s", strerror(-r));

        for (size_t i = 0; i < n_changes; i++) {
                VfNetAttribute a = (VfNetAttribute) __builtin_ctz(changes[i].mask);
                _cleanup_free_ char *what = NULL, *setting = NULL;

                if (job_cancelled(j))
                        return job_finish(j, JOB_CANCELLED, 0, NULL);
                if (vf_net_setting_to_string(&changes[i], a, &setting) < 0 ||
                    asprintf(&what, "set %s VF %u %s", pf->netdevs[0], changes[i].index, setting) < 0)
                        return job_finish(j, JOB_FAILED, -ENOMEM, "out of memory");
                job_set_current(j, what);
                job_count_write(j);
                log_internal(LOG_DEBUG, 0, j->address, NULL, NULL, "%s", what);
                r = netlink_set_vf(nl, ifindex, &changes[i], a);
                job_set_current(j, NULL);
                if (r < 0 && ahead) {
                        log_internal(LOG_DEBUG, r, j->address, NULL, NULL, "%s before the VF drivers bind: %m; again once they have", what);
                        continue;
                }
                if (r < 0) {
                        char *m = NULL;

                        if (vf_netlink_error_message(changes[i].index, a, r, &m) < 0 || strv_consume(&failures, m) < 0)
                                return job_finish(j, JOB_FAILED, -ENOMEM, "out of memory");
                        log_internal(LOG_ERR, r, j->address, j->policy->path, NULL, "%s", m);
                        if (first_error == 0)
                                first_error = r;
                        lasting = lasting && error_is_lasting(r);
                }
        }

        /* Status shows what the PF reports, not what was asked. */
        if (n_changes > 0) {
                _cleanup_free_ VfNetSettings *after = NULL;
                size_t n_after = 0;

                if (netlink_read_vfs(nl, ifindex, &after, &n_after) >= 0) {
                        free(current);
                        current = TAKE_PTR(after);
                        n_current = n_after;
                }
        }
        if (ahead)
                return 0;
        free(res->vf_net);
        res->vf_net = TAKE_PTR(current);
        res->n_vf_net = n_current;
        res->has_vf_net = true;
        if (!failures)
                return 0;
        if (strv_join(failures, "; ", &joined) < 0)
                return job_finish(j, JOB_FAILED, -ENOMEM, "out of memory");
        /* A driver that does not support an attribute will not by the next retry. */
        res->no_retry = lasting;
        return job_finish(j, JOB_FAILED, first_error, "%zu netdev setting%s failed: %s", strv_length(failures),
                          strv_length(failures) == 1 ? "" : "s", joined);
}

int job_apply_vf_net(Job *j) {
        return apply_vf_net(j, false);
}

int job_apply_vf_net_ahead(Job *j) {
        return apply_vf_net(j, true);
}
