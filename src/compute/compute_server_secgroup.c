/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's security groups (Nova's os-security-groups and the
 * addSecurityGroup/removeSecurityGroup actions): the groups live on the
 * server's ports, which the networking service owns; compute checks that
 * the caller may see the server and asks.  As in Nova, a group is named
 * as the caller's project names it, and a change applies at once to
 * every port, in one transaction.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

int compute_server_secgroups(Ctx *c, const char *server_id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_get(c, server_id, &rec);
        return r < 0 ? r : network_device_security_groups(c, server_id, ret);
}

typedef struct GroupChange {
        const char *server_id;
        const char *group;
        bool add;
} GroupChange;

static int change_locked(Ctx *c, void *userdata) {
        GroupChange *ch = userdata;
        return network_device_security_group_change(c, c->auth.project_id, ch->server_id, ch->group, ch->add);
}

int compute_server_secgroup_change(Ctx *c, const char *server_id, const char *group, bool add) {
        _cleanup_json_ json_t *rec = NULL;
        GroupChange ch = { server_id, group, add };
        int r = compute_server_get(c, server_id, &rec);
        if (r < 0)
                return r;
        if (!c->auth.project_id)
                return ctx_error(c, -EACCES, RES_SERVER, "A project-scoped token is required.");
        r = res_transaction(c, add ? "adding a security group" : "removing a security group", change_locked, &ch);
        if (r < 0)
                return r;
        network_dataplane_poke();
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "%s security group %s %s server %s", add ? "added" : "removed",
                 group, add ? "to" : "from", server_id);
        return 0;
}

int compute_secgroups_list(Ctx *c, const char *project_id, json_t **ret) {
        return network_security_groups_with_rules(c, project_id, ret);
}

int compute_secgroup_get(Ctx *c, const char *id, json_t **ret) {
        return network_security_group_with_rules(c, id, ret);
}
