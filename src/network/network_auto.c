/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Get-me-a-network (Neutron's auto-allocated-topology): a project that
 * asks for a network without having one gets a private network with a
 * subnet from each default subnet pool, and a router from them to the
 * default external network, all made in the caller's transaction, so a
 * server created with "networks": "auto" and its topology exist together
 * or not at all.  One topology per project (the table's primary key);
 * deleting its network by hand forgets it.
 */
#include "network/network_internal.h"

/* Neutron's AutoAllocationFailure (409): what the deployment lacks. */
static int failure(Ctx *c, const char *reason) {
        return ctx_error(c, -EBUSY, RES_AUTO_TOPOLOGY, "Deployment error: %s.", reason);
}

static int default_external_network(Ctx *c, char **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT id FROM networks WHERE router_external = 1 AND is_default = 1 ORDER BY created_at, id LIMIT 1",
                         "");
        if (r >= 0 && (r = db_step(s)) > 0)
                *ret = xstrdup(db_col_text(s, 0));
        if (r < 0)
                return res_db_error(c, r, RES_AUTO_TOPOLOGY, "finding the default external network");
        return r > 0 ? 0 : failure(c, "No default router:external network");
}

/* The default subnet pools, IPv4 first: a new array of records, 409 if there is none. */
static int default_pools(Ctx *c, json_t **ret) {
        _cleanup_json_ json_t *pools = json_array();
        for (int version = 4; version <= 6; version += 2) {
                json_t *pool = NULL;
                int r = network_subnetpool_default(c, version, &pool);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                json_array_append_new(pools, pool);
        }
        if (json_array_size(pools) == 0)
                return failure(c, "No default subnetpools defined");
        *ret = TAKE_PTR(pools);
        return 0;
}

int network_auto_check(Ctx *c) {
        _cleanup_free_ char *external = NULL;
        _cleanup_json_ json_t *pools = NULL;
        int r = default_external_network(c, &external);
        return r < 0 ? r : default_pools(c, &pools);
}

/* The topology of project_id: its network and router ids (router_id NULL if its router was deleted); -ENOENT if none. */
static int topology_find(Ctx *c, const char *project_id, char **ret_network, char **ret_router) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT network_id, router_id FROM auto_allocated_topologies WHERE project_id = ?", "s",
                         project_id);
        if (r >= 0 && (r = db_step(s)) > 0) {
                *ret_network = xstrdup(db_col_text(s, 0));
                if (ret_router)
                        *ret_router = db_col_text(s, 1) ? xstrdup(db_col_text(s, 1)) : NULL;
        }
        if (r < 0)
                return res_db_error(c, r, RES_AUTO_TOPOLOGY, "reading an auto-allocated topology");
        return r > 0 ? 0 : -ENOENT;
}

static int build(Ctx *c, const char *project_id, char **ret_network) {
        _cleanup_free_ char *external = NULL;
        _cleanup_json_ json_t *pools = NULL, *net = NULL, *router = NULL, *subnets = json_array();
        size_t i;
        json_t *pool, *subnet;
        int r;

        if ((r = default_external_network(c, &external)) < 0 || (r = default_pools(c, &pools)) < 0)
                return r;
        net = json_pack("{s:s, s:s, s:b, s:b}", "name", "auto_allocated_network", "project_id", project_id,
                        "admin_state_up", true, "shared", false);
        if ((r = res_create_locked(c, &res_network, net)) < 0)
                return r;
        json_array_foreach(pools, i, pool) {
                int64_t version = json_integer_value(json_object_get(pool, "ip_version"));
                _cleanup_free_ char *name = xasprintf("auto_allocated_subnet_v%" PRId64, version);
                json_t *sub = json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", name, "network_id", jx_string(net, "id"),
                                        "project_id", project_id, "ip_version", (json_int_t) version, "subnetpool_id",
                                        jx_string(pool, "id"));
                json_array_append_new(subnets, sub);
                if ((r = res_create_locked(c, &res_subnet, sub)) < 0)
                        return r;
        }
        router = json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", "auto_allocated_router", "project_id", project_id,
                           "admin_state_up", true, "external_gateway_info", "network_id", external);
        if ((r = res_create_locked(c, &res_router, router)) < 0)
                return r;
        json_array_foreach(subnets, i, subnet) {
                _cleanup_json_ json_t *info = json_pack("{s:s}", "subnet_id", jx_string(subnet, "id"));
                if ((r = network_router_interface_change_locked(c, jx_string(router, "id"), info, true)) < 0)
                        return r;
        }
        r = db_run(c->db,
                   "INSERT INTO auto_allocated_topologies (project_id, network_id, router_id, created_at)"
                   " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                   "sss", project_id, jx_string(net, "id"), jx_string(router, "id"));
        if (r < 0)
                return res_db_error(c, r, RES_AUTO_TOPOLOGY, "recording an auto-allocated topology");
        *ret_network = xstrdup(jx_string(net, "id"));
        return 0;
}

/*
 * What the deployment provides (its external network and pools) is the
 * cloud's, not the project's: the topology is made with an admin's
 * rights, as Neutron makes it with an elevated context, and the records
 * are the project's.
 */
int network_auto_topology(Ctx *c, const char *project_id, char **ret_network_id) {
        if (topology_find(c, project_id, ret_network_id, NULL) == 0)
                return 0;
        bool was_admin = c->auth.is_admin;
        c->auth.is_admin = true;
        int r = build(c, project_id, ret_network_id);
        c->auth.is_admin = was_admin;
        return r;
}

/* Removes router_id's legs into network_id's subnets, then the router (its gateway with it). */
static int router_remove(Ctx *c, const char *router_id, const char *network_id) {
        _cleanup_json_ json_t *subnets = NULL;
        size_t i;
        json_t *v;
        int r = network_subnet_ids(c, network_id, &subnets);
        if (r < 0)
                return r;
        json_array_foreach(subnets, i, v) {
                _cleanup_json_ json_t *info = json_pack("{s:O}", "subnet_id", v);
                r = network_router_interface_change_locked(c, router_id, info, false);
                if (r == -ENXIO)        /* that leg was removed by hand */
                        ctx_clear_error(c);
                else if (r < 0)
                        return r;
        }
        return res_delete_locked(c, &res_router, router_id);
}

int network_auto_topology_delete(Ctx *c, const char *project_id) {
        _cleanup_free_ char *network_id = NULL, *router_id = NULL;
        int r = topology_find(c, project_id, &network_id, &router_id);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        bool was_admin = c->auth.is_admin;
        c->auth.is_admin = true;
        r = router_id ? router_remove(c, router_id, network_id) : 0;
        /* Refused (409 NetworkInUse) while servers still have ports on it, as in Neutron. */
        if (r >= 0)
                r = res_delete_locked(c, &res_network, network_id);
        c->auth.is_admin = was_admin;
        return r;
}
