/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may see and change networking resources, as Neutron's default
 * policy has it: admins everything; a project its own resources, and it
 * may read (not change) shared and external networks, and the subnets of
 * shared ones.
 * What a caller may not see does not exist for it (404); what it may see
 * and not change is forbidden (403).
 */
#include "network/network_internal.h"

static bool owns(Ctx *c, const json_t *rec) {
        return c->auth.project_id && streq_ptr(jx_string(rec, "project_id"), c->auth.project_id);
}

static bool network_is_public(const json_t *net) {
        return json_is_true(json_object_get(net, "shared")) || json_is_true(json_object_get(net, "router:external"));
}

bool network_can_read(Ctx *c, const ResDef *d, const json_t *rec) {
        if (c->auth.is_admin || owns(c, rec))
                return true;
        if (d == &res_network)
                return network_is_public(rec);
        if (d == &res_subnet) {
                /* Shared networks' subnets only: an external network is visible, its subnets are not (Neutron). */
                _cleanup_json_ json_t *net = NULL;
                return res_lookup(c, &res_network, jx_string(rec, "network_id"), &net) >= 0 &&
                       json_is_true(json_object_get(net, "shared"));
        }
        /* Subnet pools (and whatever else has the attribute) are readable by all when shared. */
        return res_field(d, "shared") && json_is_true(json_object_get(rec, "shared"));
}

void network_visible_sql(Ctx *c, const ResDef *d, Buf *where, DbArgs *args) {
        if (c->auth.is_admin)
                return;
        const char *project = c->auth.project_id ? c->auth.project_id : "";
        if (d == &res_network)
                buf_puts(where, " AND (project_id = ? OR shared = 1 OR router_external = 1)");
        else if (d == &res_subnet)
                buf_puts(where, " AND (project_id = ? OR network_id IN (SELECT id FROM networks WHERE shared = 1))");
        else if (res_field(d, "shared"))
                buf_puts(where, " AND (project_id = ? OR shared = 1)");
        else
                buf_puts(where, " AND project_id = ?");
        db_args_str(args, project);
}

int network_get_for(Ctx *c, const ResDef *d, const char *id, bool write, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = res_get(c, d, id, &rec);
        if (r < 0)
                return r;
        if (!network_can_read(c, d, rec))
                return res_not_found(c, d, id);
        if (write && !c->auth.is_admin && !owns(c, rec))
                return ctx_error(c, -EACCES, d->kind, "(rule:update_%s) is disallowed by policy.", d->singular);
        *ret = TAKE_PTR(rec);
        return 0;
}

int network_owner_prepare(Ctx *c, const ResDef *d, json_t *obj) {
        const char *project = jx_string(obj, "project_id"), *tenant = jx_string(obj, "tenant_id");
        if (project && tenant && !streq(project, tenant))
                return ctx_error(c, -EINVAL, d->kind, "'project_id' and 'tenant_id' do not match.");
        if (!project)
                project = tenant ? tenant : c->auth.project_id;
        if (!project)
                return ctx_error(c, -EINVAL, d->kind, "Running without keystone AuthN requires that tenant_id is specified.");
        if (!c->auth.is_admin && !streq_ptr(project, c->auth.project_id))
                return ctx_error(c, -EACCES, d->kind, "Non-admin users may not create a %s for another project.",
                                 d->singular);
        json_object_set_new(obj, "project_id", json_string(project));
        json_object_del(obj, "tenant_id");
        return 0;
}

int network_admin_only(Ctx *c, const ResDef *d, const json_t *obj, bool create, const char *const *fields) {
        if (c->auth.is_admin)
                return 0;
        for (size_t i = 0; fields[i]; i++)
                if (json_object_get(obj, fields[i]))
                        return ctx_error(c, -EACCES, d->kind, "(rule:%s_%s:%s) is disallowed by policy.",
                                         create ? "create" : "update", d->singular, fields[i]);
        return 0;
}
