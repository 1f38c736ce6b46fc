/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routers, as Neutron's L3 API has them.  The gateway is a port on an
 * external network (device_owner network:router_gateway, device_id the
 * router, no project, as Neutron's), with SNAT on unless an admin says
 * otherwise; each interface is a port on a tenant subnet holding the
 * subnet's gateway address (or a port the caller made, handed over).  No
 * two of a router's subnets may overlap; a router with interfaces cannot
 * be deleted, nor an interface or the gateway that floating IPs or extra
 * routes still need.  Extra routes go through a nexthop on one of the
 * router's subnets.
 */
#include "network/network_internal.h"

/* Neutron's [quotas] max_routes: extra routes one router may have. */
#define ROUTER_MAX_ROUTES 30

static const ResField router_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "name", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "admin_state_up", RES_BOOL, RES_FILTER | RES_SORT },
        { "status", RES_STRING, RES_FILTER | RES_SORT },
        /* The gateway: rendered as external_gateway_info. */
        { "gw_network_id", RES_STRING, 0 },
        { "gw_port_id", RES_STRING, 0 },
        { "enable_snat", RES_BOOL, 0 },
        { "routes", RES_JSON, 0 },
        { "availability_zone_hints", RES_JSON, RES_HIDDEN },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

/* Neutron's BadRequest for the router resource (400). */
#define bad_request(c, ...) ctx_error(c, -EINVAL, RES_ROUTER, __VA_ARGS__)

/* ---- what the router is attached to ---- */

/*
 * The subnets the router is on: those of its interfaces' addresses and,
 * with gateway, every subnet of its gateway's network.  Each an object
 * {id, cidr, port_id, ip_address} (no port for a gateway network's
 * subnet without the router's address).  A new reference in *ret.
 */
static int router_subnets(Ctx *c, const char *router_id, bool gateway, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *out = json_array();
        int r = db_query(c->db, &s,
                         "SELECT i.subnet_id, n.cidr, i.port_id, i.ip_address FROM port_ips i"
                         " JOIN ports p ON p.id = i.port_id JOIN subnets n ON n.id = i.subnet_id"
                         " WHERE p.device_id = ? AND p.device_owner = ? ORDER BY p.created_at, i.seq",
                         "ss", router_id, OWNER_ROUTER_INTERFACE);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(out, db_row_json(s, "id cidr port_id ip_address"));
        db_stmt_release(TAKE_PTR(s));
        if (r >= 0 && gateway)
                r = db_query(c->db, &s,
                             "SELECT n.id, n.cidr, i.port_id, i.ip_address FROM subnets n"
                             " JOIN routers r ON r.gw_network_id = n.network_id"
                             " LEFT JOIN port_ips i ON i.subnet_id = n.id AND i.port_id = r.gw_port_id"
                             " WHERE r.id = ? ORDER BY n.created_at",
                             "s", router_id);
        while (r >= 0 && gateway && (r = db_step(s)) > 0)
                json_array_append_new(out, db_row_json(s, "id cidr port_id ip_address"));
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "reading a router's subnets");
        *ret = TAKE_PTR(out);
        return 0;
}

/*
 * New subnets for the router (an interface's, or a gateway network's):
 * none it is on already, none overlapping one it is on (400, as Neutron).
 */
static int check_new_subnets(Ctx *c, const char *router_id, const json_t *subnets, bool with_gateway) {
        _cleanup_json_ json_t *have = NULL;
        size_t i, j;
        json_t *old, *new;
        int r = router_subnets(c, router_id, with_gateway, &have);
        if (r < 0)
                return r;
        json_array_foreach(have, i, old)
                json_array_foreach(subnets, j, new)
                        if (streq_ptr(jx_string(old, "id"), jx_string(new, "id")))
                                return bad_request(c, "Router already has a port on subnet %s", jx_string(new, "id"));
        json_array_foreach(have, i, old) {
                InetPrefix a, b;
                if (inet_prefix_parse(jx_string(old, "cidr"), false, &a, NULL) < 0)
                        continue;
                json_array_foreach(subnets, j, new)
                        if (inet_prefix_parse(jx_string(new, "cidr"), false, &b, NULL) >= 0 && inet_prefix_overlaps(&a, &b))
                                return bad_request(c, "Cidr %s of subnet %s overlaps with cidr %s of subnet %s",
                                                   jx_string(new, "cidr"), jx_string(new, "id"), jx_string(old, "cidr"),
                                                   jx_string(old, "id"));
        }
        return 0;
}

/* Extra routes need a nexthop on one of the router's subnets that is not the router's own address. */
static int check_routes(Ctx *c, const json_t *router, const json_t *routes) {
        _cleanup_json_ json_t *have = NULL;
        size_t i, j;
        json_t *route, *sub;
        if (json_array_size(routes) > ROUTER_MAX_ROUTES)
                return bad_request(c, "Unable to complete operation for %s. The number of routes exceeds the maximum %d.",
                                   jx_string(router, "id"), ROUTER_MAX_ROUTES);
        int r = router_subnets(c, jx_string(router, "id"), true, &have);
        if (r < 0)
                return r;
        json_array_foreach(routes, i, route) {
                InetAddr hop, mine;
                bool connected = false;
                if (inet_addr_parse(jx_string(route, "nexthop"), &hop) < 0)
                        continue; /* network_routes_parse let it through: it parses */
                json_array_foreach(have, j, sub) {
                        InetPrefix p;
                        if (inet_prefix_parse(jx_string(sub, "cidr"), false, &p, NULL) >= 0 && inet_prefix_contains(&p, &hop))
                                connected = true;
                        if (jx_string(sub, "ip_address") && inet_addr_parse(jx_string(sub, "ip_address"), &mine) >= 0 &&
                            inet_addr_cmp(&mine, &hop) == 0) {
                                _cleanup_free_ char *repr = network_routes_repr(routes);
                                return bad_request(c, "Invalid format for routes: %s, the nexthop is used by router", repr);
                        }
                }
                if (!connected) {
                        _cleanup_free_ char *repr = network_routes_repr(routes);
                        return bad_request(c, "Invalid format for routes: %s, the nexthop is not connected with router", repr);
                }
        }
        return 0;
}

static int64_t floatingips_via(Ctx *c, const char *router_id) {
        int64_t n = 0;
        if (db_query_int(c->db, &n, "SELECT COUNT(*) FROM floatingips WHERE router_id = ?", "s", router_id) < 0)
                return 1; /* unknown: in use, to be safe */
        return n;
}

/* ---- the gateway ---- */

/* Forgets the gateway and deletes its port; in the caller's transaction. */
static int gateway_detach(Ctx *c, const json_t *router) {
        const char *id = jx_string(router, "id"), *port = jx_string(router, "gw_port_id");
        int r = db_run(c->db, "UPDATE routers SET gw_network_id = NULL, gw_port_id = NULL WHERE id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "removing a router's gateway");
        return port ? network_port_delete_locked(c, port) : 0;
}

static int gateway_in_use(Ctx *c, const json_t *router) {
        if (!jx_string(router, "gw_network_id") || floatingips_via(c, jx_string(router, "id")) == 0)
                return 0;
        return ctx_error(c, -EBUSY, RES_ROUTER,
                         "Gateway cannot be updated for router %s, since a gateway to external network %s is required by one or more floating IPs.",
                         jx_string(router, "id"), jx_string(router, "gw_network_id"));
}

/* Whether external_fixed_ips asks for other addresses than the gateway port has. */
static bool gateway_ips_change(Ctx *c, const json_t *router, const json_t *ext_ips) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *subnets = json_object(), *ips = json_object(), *want_subnets = json_object(),
                              *want_ips = json_object();
        size_t i;
        json_t *e;
        if (!json_array_size(ext_ips))
                return false;
        if (!jx_string(router, "gw_port_id"))
                return true;
        if (db_query(c->db, &s, "SELECT subnet_id, ip_address FROM port_ips WHERE port_id = ?", "s",
                     jx_string(router, "gw_port_id")) >= 0)
                while (db_step(s) > 0) {
                        json_object_set_new(subnets, db_col_text(s, 0), json_true());
                        json_object_set_new(ips, db_col_text(s, 1), json_true());
                }
        json_array_foreach(ext_ips, i, e) {
                if (jx_string(e, "subnet_id"))
                        json_object_set_new(want_subnets, jx_string(e, "subnet_id"), json_true());
                if (jx_string(e, "ip_address"))
                        json_object_set_new(want_ips, jx_string(e, "ip_address"), json_true());
        }
        return !json_equal(subnets, want_subnets) || !json_equal(ips, want_ips);
}

/*
 * Sets the router's gateway from info ({network_id, enable_snat,
 * external_fixed_ips}; NULL or {} removes it), as Neutron's
 * _update_router_gw_info: a new network gets a new port, the same one
 * keeps it unless other addresses are asked for.  In the caller's
 * transaction; router is the stored record before the change.
 */
static int gateway_set(Ctx *c, const json_t *router, const json_t *info) {
        const char *id = jx_string(router, "id");
        const char *net_id = jx_string(info, "network_id");
        json_t *snat = json_object_get(info, "enable_snat"), *ext_ips = json_object_get(info, "external_fixed_ips");
        _cleanup_json_ json_t *net = NULL, *subnets = NULL;
        ResQuery q;
        size_t i, j;
        json_t *e, *sub;
        int r;

        if (!info || json_is_null(info) || json_object_size(info) == 0) {
                if ((r = gateway_in_use(c, router)) < 0)
                        return r;
                return gateway_detach(c, router);
        }
        if (!net_id) /* gateway_policy refused it already */
                return bad_request(c, "Invalid input for external_gateway_info: a network_id is required.");
        if ((r = network_get_for(c, &res_network, net_id, false, &net)) < 0)
                return r;
        if (!json_is_true(json_object_get(net, "router:external")))
                return bad_request(c, "Network %s is not an external network", net_id);
        res_query_init(&q);
        json_object_set_new(q.filters, "network_id", json_string(net_id));
        r = res_list(c, &res_subnet, &q, &subnets, NULL);
        res_query_done(&q);
        if (r < 0)
                return r;
        json_array_foreach(ext_ips, i, e)
                json_array_foreach(subnets, j, sub)
                        if (jx_string(e, "ip_address") && streq_ptr(jx_string(e, "ip_address"), jx_string(sub, "gateway_ip")))
                                return bad_request(c, "External IP %s is the same as the gateway IP", jx_string(e, "ip_address"));

        bool same = streq_ptr(jx_string(router, "gw_network_id"), net_id);
        bool enable_snat = snat ? json_is_true(snat) : same ? json_is_true(json_object_get(router, "enable_snat")) : true;
        if (!same || gateway_ips_change(c, router, ext_ips)) {
                if (!same && (r = gateway_in_use(c, router)) < 0)
                        return r;
                if ((r = gateway_detach(c, router)) < 0 || (r = check_new_subnets(c, id, subnets, false)) < 0)
                        return r;
                _cleanup_json_ json_t *port = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "network_id", net_id,
                                                        "project_id", "", "device_id", id, "device_owner",
                                                        OWNER_ROUTER_GATEWAY, "admin_state_up", true, "name", "");
                if (json_array_size(ext_ips))
                        json_object_set(port, "fixed_ips", ext_ips);
                if ((r = network_port_create_locked(c, port, NULL)) < 0)
                        return r;
                r = db_run(c->db, "UPDATE routers SET gw_network_id = ?, gw_port_id = ? WHERE id = ?", "sss", net_id,
                           jx_string(port, "id"), id);
                if (r < 0)
                        return res_db_error(c, r, RES_ROUTER, "setting a router's gateway");
        }
        r = db_run(c->db, "UPDATE routers SET enable_snat = ? WHERE id = ?", "bs", enable_snat, id);
        return r < 0 ? res_db_error(c, r, RES_ROUTER, "setting a router's gateway") : 0;
}

/*
 * Neutron's checks before the plugin's: a gateway that is not {} needs
 * its network (400), and only admins choose SNAT or the addresses (403).
 */
static int gateway_policy(Ctx *c, const json_t *info, bool create) {
        static const char *const admin_only[] = { "enable_snat", "external_fixed_ips", NULL };
        if (json_object_size(info) && !jx_string(info, "network_id"))
                return bad_request(c, "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {'%s'}.",
                                   json_object_iter_key(json_object_iter((json_t *) info)));
        if (c->auth.is_admin || !json_is_object(info))
                return 0;
        for (size_t i = 0; admin_only[i]; i++)
                if (json_object_get(info, admin_only[i]))
                        return ctx_error(c, -EACCES, RES_ROUTER, "(rule:%s_router:external_gateway_info:%s) is disallowed by policy.",
                                         create ? "create" : "update", admin_only[i]);
        return 0;
}

/* ---- create, update, delete ---- */

static int router_prepare(Ctx *c, json_t *obj, const json_t *old) {
        json_t *info = json_object_get(obj, "external_gateway_info");
        int r;

        network_revision_bump(obj, old);
        if ((r = gateway_policy(c, info, !old)) < 0)
                return r;
        if (!old) {
                if ((r = network_owner_prepare(c, &res_router, obj)) < 0 ||
                    (r = network_quota_check(c, jx_string(obj, "project_id"), "router", 1)) < 0)
                        return r;
                json_object_set_new(obj, "status", json_string("ACTIVE"));
                json_object_set_new(obj, "routes", json_array());
                json_object_set_new(obj, "enable_snat", json_true());
                return 0;
        }
        /* The row exists: the gateway changes here, the routes are checked against what it is then. */
        if (info && (r = gateway_set(c, old, info)) < 0)
                return r;
        json_t *routes = json_object_get(obj, "routes");
        if (routes || info) {
                _cleanup_json_ json_t *parsed = NULL, *now = NULL;
                if ((r = network_routes_parse(c, routes ? routes : json_object_get(old, "routes"), &parsed)) < 0 ||
                    (r = res_get(c, &res_router, jx_string(old, "id"), &now)) < 0 || (r = check_routes(c, now, parsed)) < 0)
                        return r;
                if (routes)
                        json_object_set_new(obj, "routes", TAKE_PTR(parsed));
        }
        json_object_del(obj, "external_gateway_info");
        return 0;
}

static int router_after(Ctx *c, const json_t *obj, const json_t *old) {
        json_t *info = json_object_get(obj, "external_gateway_info");
        if (old || !info)
                return 0;
        _cleanup_json_ json_t *router = NULL;
        int r = res_get(c, &res_router, jx_string(obj, "id"), &router);
        return r < 0 ? r : gateway_set(c, router, info);
}

static int router_before_delete(Ctx *c, const json_t *old) {
        _cleanup_stmt_ DbStmt *s = NULL;
        const char *id = jx_string(old, "id");
        Buf ports = {};
        int r = db_query(c->db, &s, "SELECT id FROM ports WHERE device_id = ? AND device_owner = ? ORDER BY created_at, id",
                         "ss", id, OWNER_ROUTER_INTERFACE);
        while (r >= 0 && (r = db_step(s)) > 0)
                buf_printf(&ports, "%s%s", ports.len ? ", " : "", db_col_text(s, 0));
        if (r < 0) {
                buf_done(&ports);
                return res_db_error(c, r, RES_ROUTER, "reading a router's interfaces");
        }
        if (ports.len) {
                r = ctx_error(c, -EBUSY, RES_ROUTER, "Router %s has ports still attached: %s", id, ports.data);
                buf_done(&ports);
                return r;
        }
        if ((r = gateway_in_use(c, old)) < 0 || (r = gateway_detach(c, old)) < 0)
                return r;
        return network_tags_delete(c, id);
}

static void router_decorate(Ctx *c, json_t *obj) {
        const char *net = jx_string(obj, "gw_network_id"), *port = jx_string(obj, "gw_port_id");
        if (net) {
                _cleanup_stmt_ DbStmt *s = NULL;
                json_t *ips = json_array();
                if (port && db_query(c->db, &s, "SELECT subnet_id, ip_address FROM port_ips WHERE port_id = ? ORDER BY seq, ip_address",
                                     "s", port) >= 0)
                        while (db_step(s) > 0)
                                json_array_append_new(ips, db_row_json(s, "subnet_id ip_address"));
                json_object_set_new(obj, "external_gateway_info",
                                    json_pack("{s:s, s:b, s:o}", "network_id", net, "enable_snat",
                                              json_is_true(json_object_get(obj, "enable_snat")), "external_fixed_ips", ips));
        } else
                json_object_set_new(obj, "external_gateway_info", json_null());
        json_object_del(obj, "gw_network_id");
        json_object_del(obj, "gw_port_id");
        json_object_del(obj, "enable_snat");
        network_decorate_standard(c, obj);
}

static void router_changed(void) {
        network_dataplane_poke();
}

const ResDef res_router = {
        .kind = RES_ROUTER, .table = "routers", .singular = "router", .plural = "routers",
        .fields = router_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Router %s could not be found",
        .conflict = "Router %s already exists.",
        .prepare = router_prepare, .after = router_after, .before_delete = router_before_delete,
        .decorate = router_decorate, .changed = router_changed,
};

/* ---- interfaces ---- */

typedef struct InterfaceCall {
        const char *router_id;
        const json_t *info;
        json_t *result;          /* Neutron's answer, owned */
} InterfaceCall;

/* Neutron's answer to add and remove: the router, and the port with its network and subnets. */
static json_t *interface_info(const char *router_id, const json_t *port, const json_t *subnet_ids, bool last) {
        size_t n = json_array_size(subnet_ids);
        json_t *subnet = n ? json_array_get(subnet_ids, last ? n - 1 : 0) : json_null();
        return json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "id", router_id, "project_id",
                         json_object_get(port, "project_id"), "tenant_id", json_object_get(port, "project_id"), "port_id",
                         json_object_get(port, "id"), "network_id", json_object_get(port, "network_id"), "subnet_id", subnet,
                         "subnet_ids", subnet_ids);
}

/* The subnets a port has addresses on, in order: records, a new reference. */
static int port_subnets(Ctx *c, const char *port_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ids = json_array(), *out = json_array();
        size_t i;
        json_t *v;
        int r = db_query(c->db, &s, "SELECT subnet_id, MIN(seq) FROM port_ips WHERE port_id = ? GROUP BY subnet_id ORDER BY 2",
                         "s", port_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ids, json_string(db_col_text(s, 0)));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a port's subnets");
        json_array_foreach(ids, i, v) {
                json_t *subnet = NULL;
                if ((r = res_get(c, &res_subnet, json_string_value(v), &subnet)) < 0)
                        return r;
                json_array_append_new(out, subnet);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static json_t *ids_of(const json_t *records) {
        json_t *ids = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(records, i, v)
                json_array_append(ids, json_object_get(v, "id"));
        return ids;
}

/* An IPv6 subnet whose addresses come from an outside router's advertisements cannot be a router's. */
static int check_address_mode(Ctx *c, const json_t *subnet) {
        if (json_integer_value(json_object_get(subnet, "ip_version")) == 6 && !jx_string(subnet, "ipv6_ra_mode") &&
            jx_string(subnet, "ipv6_address_mode"))
                return bad_request(c, "IPv6 subnet %s configured to receive RAs from an external router cannot be added to Neutron Router.",
                                   jx_string(subnet, "id"));
        return 0;
}

/* The router's interface port on network_id with an IPv6 address, if any (one per network, as Neutron). */
static int ipv6_interface(Ctx *c, const char *router_id, const char *network_id, const char *except, char **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT p.id FROM ports p JOIN port_ips i ON i.port_id = p.id"
                         " WHERE p.device_id = ? AND p.device_owner = ? AND p.network_id = ? AND p.id <> ?"
                         " AND i.ip_address LIKE '%:%' ORDER BY p.created_at",
                         "ssss", router_id, OWNER_ROUTER_INTERFACE, network_id, except ? except : "");
        if (r >= 0 && (r = db_step(s)) > 0)
                *ret = xstrdup(db_col_text(s, 0));
        return r < 0 ? res_db_error(c, r, RES_ROUTER, "reading a router's interfaces") : 0;
}

static int add_by_subnet(Ctx *c, const json_t *router, const char *subnet_id, json_t **ret) {
        const char *router_id = jx_string(router, "id");
        _cleanup_json_ json_t *subnet = NULL, *list = NULL, *port = NULL;
        _cleanup_free_ char *v6_port = NULL;
        int r = res_lookup(c, &res_subnet, subnet_id, &subnet);
        if (r == -ENOENT || (r >= 0 && !network_can_read(c, &res_subnet, subnet)))
                return res_not_found(c, &res_subnet, subnet_id);
        if (r < 0)
                return r;
        const char *gateway = jx_string(subnet, "gateway_ip"), *network_id = jx_string(subnet, "network_id");
        if (!gateway)
                return bad_request(c, "Subnet for router interface must have a gateway IP");
        if (!c->auth.is_admin && !streq_ptr(jx_string(subnet, "project_id"), c->auth.project_id))
                return bad_request(c, "Cannot add interface to router because subnet %s is not owned by project making the request",
                                   subnet_id);
        list = json_pack("[O]", subnet);
        if ((r = check_address_mode(c, subnet)) < 0 || (r = check_new_subnets(c, router_id, list, true)) < 0)
                return r;
        /* Another prefix of a network the router has an IPv6 leg on goes on that leg. */
        if (json_integer_value(json_object_get(subnet, "ip_version")) == 6 &&
            (r = ipv6_interface(c, router_id, network_id, NULL, &v6_port)) < 0)
                return r;
        if (v6_port) {
                char got[INET_ADDR_MAX];
                int64_t seq = 0;
                (void) db_query_int(c->db, &seq, "SELECT COUNT(*) FROM port_ips WHERE port_id = ?", "s", v6_port);
                if ((r = network_ip_allocate(c, subnet, v6_port, network_id, gateway, (int) seq, got)) < 0 ||
                    (r = res_get(c, &res_port, v6_port, &port)) < 0)
                        return r;
        } else {
                _cleanup_json_ json_t *obj = json_pack("{s:O, s:s, s:[{s:s, s:s}], s:b, s:s, s:s, s:s}", "project_id",
                                                       json_object_get(router, "project_id"), "network_id", network_id,
                                                       "fixed_ips", "subnet_id", subnet_id, "ip_address", gateway,
                                                       "admin_state_up", true, "device_id", router_id, "device_owner",
                                                       OWNER_ROUTER_INTERFACE, "name", "");
                if ((r = network_port_create_locked(c, obj, &port)) < 0)
                        return r;
        }
        _cleanup_json_ json_t *ids = json_pack("[s]", subnet_id);
        *ret = interface_info(router_id, port, ids, true);
        return 0;
}

/* Neutron refuses a non-admin's port whose address is outside the pools of a subnet the caller does not own. */
static int check_port_addresses(Ctx *c, const json_t *port, const json_t *subnets) {
        _cleanup_stmt_ DbStmt *s = NULL;
        if (c->auth.is_admin)
                return 0;
        int r = db_query(c->db, &s, "SELECT subnet_id, ip_address FROM port_ips WHERE port_id = ?", "s",
                         jx_string(port, "id"));
        while (r >= 0 && (r = db_step(s)) > 0) {
                size_t i;
                json_t *sub;
                json_array_foreach(subnets, i, sub) {
                        SubnetInfo info;
                        InetAddr a;
                        bool inside = false;
                        if (!streq_ptr(jx_string(sub, "id"), db_col_text(s, 0)) ||
                            streq_ptr(jx_string(sub, "project_id"), c->auth.project_id) ||
                            network_subnet_info(c, sub, &info) < 0 || inet_addr_parse(db_col_text(s, 1), &a) < 0)
                                continue;
                        for (size_t p = 0; p < info.n_pools; p++)
                                inside |= inet_addr_cmp(&a, &info.pools[p].start) >= 0 && inet_addr_cmp(&a, &info.pools[p].end) <= 0;
                        if (!inside)
                                return bad_request(c,
                                                   "Cannot add interface to router because specified port %s has an IP address out of the allocation pool of subnet %s, which is not owned by the project making the request",
                                                   jx_string(port, "id"), jx_string(sub, "id"));
                }
        }
        return r < 0 ? res_db_error(c, r, RES_PORT, "reading a port's addresses") : 0;
}

static int add_by_port(Ctx *c, const json_t *router, const char *port_id, json_t **ret) {
        const char *router_id = jx_string(router, "id");
        _cleanup_json_ json_t *port = NULL, *subnets = NULL, *done = NULL;
        _cleanup_free_ char *v6_port = NULL;
        size_t i, v4 = 0;
        json_t *sub;
        int r = res_lookup(c, &res_port, port_id, &port);
        if (r == -ENOENT || (r >= 0 && !network_can_read(c, &res_port, port)))
                return res_not_found(c, &res_port, port_id);
        if (r < 0)
                return r;
        if (!isempty(jx_string(port, "device_id")))
                return ctx_error(c, -EBUSY, RES_PORT,
                                 "Unable to complete operation on port %s for network %s. Port already has an attached device %s.",
                                 port_id, jx_string(port, "network_id"), jx_string(port, "device_id"));
        if ((r = port_subnets(c, port_id, &subnets)) < 0)
                return r;
        if (json_array_size(subnets) == 0)
                return bad_request(c, "Router port must have at least one fixed IP");
        json_array_foreach(subnets, i, sub) {
                if ((r = check_address_mode(c, sub)) < 0)
                        return r;
                v4 += json_integer_value(json_object_get(sub, "ip_version")) == 4;
        }
        if ((r = ipv6_interface(c, router_id, jx_string(port, "network_id"), port_id, &v6_port)) < 0)
                return r;
        if (v6_port && json_array_size(subnets) > v4)
                return bad_request(c,
                                   "Router already contains IPv6 port %s belonging to network id %s. Only one IPv6 port from the same network subnet can be connected to a router.",
                                   v6_port, jx_string(port, "network_id"));
        if ((r = check_new_subnets(c, router_id, subnets, true)) < 0)
                return r;
        if (v4 > 1)
                return bad_request(c, "Cannot have multiple IPv4 subnets on router port");
        if ((r = check_port_addresses(c, port, subnets)) < 0)
                return r;
        r = db_run(c->db,
                   "UPDATE ports SET device_id = ?, device_owner = ?, revision_number = revision_number + 1, updated_at = ?"
                   " WHERE id = ?",
                   "ssis", router_id, OWNER_ROUTER_INTERFACE, now_usec(), port_id);
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "attaching a port to a router");
        done = ids_of(subnets);
        *ret = interface_info(router_id, port, done, true);
        return 0;
}

/* Checks that an interface's info names a subnet or a port (adding: not both). */
static int interface_args(Ctx *c, const json_t *info, bool adding) {
        bool port = jx_string(info, "port_id") != NULL, subnet = jx_string(info, "subnet_id") != NULL;
        if (!port && !subnet)
                return bad_request(c, "Either subnet_id or port_id must be specified");
        if (adding && port && subnet)
                return bad_request(c, "Cannot specify both subnet-id and port-id");
        return 0;
}

static int add_locked(Ctx *c, void *userdata) {
        InterfaceCall *call = userdata;
        _cleanup_json_ json_t *router = NULL;
        int r = res_get(c, &res_router, call->router_id, &router);
        if (r < 0)
                return r;
        if (jx_string(call->info, "port_id"))
                return add_by_port(c, router, jx_string(call->info, "port_id"), &call->result);
        return add_by_subnet(c, router, jx_string(call->info, "subnet_id"), &call->result);
}

/* An interface that floating IPs or extra routes go through stays (409, as Neutron). */
static int interface_in_use(Ctx *c, const json_t *router, const json_t *subnet) {
        const char *router_id = jx_string(router, "id"), *subnet_id = jx_string(subnet, "id");
        int64_t n = 0;
        int r = db_query_int(c->db, &n,
                             "SELECT COUNT(*) FROM floatingips f WHERE f.router_id = ? AND EXISTS"
                             " (SELECT 1 FROM port_ips i WHERE i.port_id = f.port_id AND i.subnet_id = ?"
                             " AND i.ip_address = f.fixed_ip_address)",
                             "ss", router_id, subnet_id);
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "reading a router's floating IPs");
        if (n > 0)
                return ctx_error(c, -EBUSY, RES_ROUTER,
                                 "Router interface for subnet %s on router %s cannot be deleted, as it is required by one or more floating IPs.",
                                 subnet_id, router_id);
        InetPrefix p;
        size_t i;
        json_t *route;
        if (inet_prefix_parse(jx_string(subnet, "cidr"), false, &p, NULL) < 0)
                return 0;
        json_array_foreach(json_object_get(router, "routes"), i, route) {
                InetAddr hop;
                if (inet_addr_parse(jx_string(route, "nexthop"), &hop) >= 0 && inet_prefix_contains(&p, &hop))
                        return ctx_error(c, -EBUSY, RES_ROUTER,
                                         "Router interface for subnet %s on router %s cannot be deleted, as it is required by one or more routes.",
                                         subnet_id, router_id);
        }
        return 0;
}

static int remove_by_port(Ctx *c, const json_t *router, const char *port_id, const char *subnet_id, json_t **ret) {
        const char *router_id = jx_string(router, "id");
        _cleanup_json_ json_t *port = NULL, *subnets = NULL, *ids = NULL;
        size_t i;
        json_t *sub;
        int r = res_lookup(c, &res_port, port_id, &port);
        if (r == -ENOENT || (r >= 0 && (!streq_ptr(jx_string(port, "device_id"), router_id) ||
                                        !streq_ptr(jx_string(port, "device_owner"), OWNER_ROUTER_INTERFACE))))
                return ctx_error(c, -ENXIO, RES_PORT, "Router %s does not have an interface with id %s", router_id, port_id);
        if (r < 0 || (r = port_subnets(c, port_id, &subnets)) < 0)
                return r;
        ids = ids_of(subnets);
        if (subnet_id) {
                bool on = false;
                json_array_foreach(ids, i, sub)
                        on |= streq_ptr(json_string_value(sub), subnet_id);
                if (!on)
                        return bad_request(c, "Subnet on port %s does not match the requested subnet %s.", port_id, subnet_id);
        }
        json_array_foreach(subnets, i, sub)
                if ((r = interface_in_use(c, router, sub)) < 0)
                        return r;
        if ((r = network_port_delete_locked(c, port_id)) < 0)
                return r;
        *ret = interface_info(router_id, port, ids, false);
        return 0;
}

static int remove_by_subnet(Ctx *c, const json_t *router, const char *subnet_id, json_t **ret) {
        const char *router_id = jx_string(router, "id");
        _cleanup_json_ json_t *subnet = NULL, *port = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_free_ char *port_id = NULL;
        int64_t n = 0;
        int r = res_lookup(c, &res_subnet, subnet_id, &subnet);
        if (r == -ENOENT || (r >= 0 && !network_can_read(c, &res_subnet, subnet)))
                return res_not_found(c, &res_subnet, subnet_id);
        if (r < 0)
                return r;
        r = db_query(c->db, &s,
                     "SELECT p.id FROM ports p JOIN port_ips i ON i.port_id = p.id"
                     " WHERE p.device_id = ? AND p.device_owner = ? AND i.subnet_id = ? ORDER BY p.created_at",
                     "sss", router_id, OWNER_ROUTER_INTERFACE, subnet_id);
        if (r >= 0 && (r = db_step(s)) > 0)
                port_id = xstrdup(db_col_text(s, 0));
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "reading a router's interfaces");
        if (!port_id)
                return ctx_error(c, -ENXIO, RES_SUBNET, "Router %s has no interface on subnet %s", router_id, subnet_id);
        if ((r = interface_in_use(c, router, subnet)) < 0 || (r = res_get(c, &res_port, port_id, &port)) < 0)
                return r;
        _cleanup_json_ json_t *ids = json_pack("[s]", subnet_id);
        *ret = interface_info(router_id, port, ids, false);
        /* A leg with other prefixes (IPv6) loses this one; a leg with this subnet only goes. */
        r = db_query_int(c->db, &n, "SELECT COUNT(DISTINCT subnet_id) FROM port_ips WHERE port_id = ?", "s", port_id);
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "reading a router's interfaces");
        return n > 1 ? network_ips_release(c, port_id, subnet_id) : network_port_delete_locked(c, port_id);
}

static int remove_locked(Ctx *c, void *userdata) {
        InterfaceCall *call = userdata;
        _cleanup_json_ json_t *router = NULL;
        int r = res_get(c, &res_router, call->router_id, &router);
        if (r < 0)
                return r;
        if (jx_string(call->info, "port_id"))
                return remove_by_port(c, router, jx_string(call->info, "port_id"), jx_string(call->info, "subnet_id"),
                                      &call->result);
        return remove_by_subnet(c, router, jx_string(call->info, "subnet_id"), &call->result);
}

/* Adds or removes an interface of router_id in one transaction; *ret is Neutron's answer. */
static int interface_change(Ctx *c, const char *router_id, const json_t *info, bool add, json_t **ret) {
        InterfaceCall call = { router_id, info, NULL };
        _cleanup_json_ json_t *router = NULL;
        int r;
        if ((r = network_get_for(c, &res_router, router_id, true, &router)) < 0 || (r = interface_args(c, info, add)) < 0)
                return r;
        r = res_transaction(c, add ? "adding a router interface" : "removing a router interface",
                            add ? add_locked : remove_locked, &call);
        if (r < 0) {
                json_decref(call.result);
                return r;
        }
        network_dataplane_poke();
        *ret = call.result;
        return 0;
}

int network_router_interface_change_locked(Ctx *c, const char *router_id, const json_t *info, bool add) {
        InterfaceCall call = { router_id, info, NULL };
        int r = add ? add_locked(c, &call) : remove_locked(c, &call);
        json_decref(call.result);
        return r;
}

int network_router_interface_add(Ctx *c, const char *router_id, const json_t *info, json_t **ret) {
        return interface_change(c, router_id, info, true, ret);
}

int network_router_interface_remove(Ctx *c, const char *router_id, const json_t *info, json_t **ret) {
        return interface_change(c, router_id, info, false, ret);
}

/* ---- extra routes, added and removed one by one (extraroute-atomic) ---- */

typedef struct RoutesCall {
        const char *router_id;
        json_t *routes;          /* parsed */
        bool add;
} RoutesCall;

static int routes_locked(Ctx *c, void *userdata) {
        RoutesCall *call = userdata;
        _cleanup_json_ json_t *router = NULL, *now = NULL;
        size_t i;
        json_t *route;
        int r = res_get(c, &res_router, call->router_id, &router);
        if (r < 0)
                return r;
        now = json_deep_copy(json_object_get(router, "routes"));
        if (!json_is_array(now)) {
                json_decref(now);
                now = json_array();
        }
        json_array_foreach(call->routes, i, route) {
                size_t at = json_array_size(now);
                for (size_t j = 0; j < json_array_size(now); j++)
                        if (json_equal(json_array_get(now, j), route))
                                at = j;
                if (call->add && at == json_array_size(now))
                        json_array_append(now, route);
                else if (!call->add && at < json_array_size(now))
                        json_array_remove(now, at);
        }
        if (call->add && (r = check_routes(c, router, now)) < 0)
                return r;
        _cleanup_json_ json_t *patch = json_pack("{s:O}", "routes", now);
        network_revision_bump(patch, router);
        return res_patch(c, &res_router, call->router_id, patch);
}

int network_router_routes_edit(Ctx *c, const char *router_id, const json_t *routes, bool add, json_t **ret) {
        _cleanup_json_ json_t *router = NULL, *parsed = NULL;
        int r;
        if ((r = network_get_for(c, &res_router, router_id, true, &router)) < 0 ||
            (r = network_routes_parse(c, routes, &parsed)) < 0)
                return r;
        RoutesCall call = { router_id, parsed, add };
        if ((r = res_transaction(c, "changing a router's routes", routes_locked, &call)) < 0)
                return r;
        network_dataplane_poke();
        return res_get(c, &res_router, router_id, ret);
}
