/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Floating IPs: an IPv4 address on an external network, held by a port
 * of the service's own (device_owner network:floatingip, device_id the
 * floating IP, no project, as Neutron's), forwarded to one fixed address
 * of a port.  Associating needs a router with its gateway on that
 * external network and an interface on the fixed address's subnet; one
 * fixed address has at most one floating IP per external network.  The
 * status is DOWN until associated, ACTIVE while it is; deleting the port
 * it forwards to disassociates it.
 */
#include "network/network_internal.h"

static const ResField fip_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "floating_network_id", RES_STRING, RES_REQUIRED | RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "floating_port_id", RES_STRING, RES_HIDDEN | RES_IMMUTABLE },
        { "floating_ip_address", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "port_id", RES_STRING, RES_FILTER },
        { "fixed_ip_address", RES_STRING, RES_FILTER | RES_SORT },
        { "router_id", RES_STRING, RES_FILTER | RES_SORT },
        { "status", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

/* Neutron's BadRequest for the floatingip resource (400). */
#define bad_request(c, ...) ctx_error(c, -EINVAL, RES_FLOATINGIP, __VA_ARGS__)

/* ---- the address ---- */

/* The subnets of network_id, in order; a new reference. */
static int network_subnets(Ctx *c, const char *network_id, json_t **ret) {
        ResQuery q;
        res_query_init(&q);
        json_object_set_new(q.filters, "network_id", json_string(network_id));
        int r = res_list(c, &res_subnet, &q, ret, NULL);
        res_query_done(&q);
        return r;
}

/*
 * Claims the floating address for port_id: want (which must be an IPv4
 * address of one of the network's subnets, subnet_id's if given, and not
 * a gateway) or the first free one of the IPv4 subnets.
 */
static int address_claim(Ctx *c, const char *network_id, const json_t *subnets, const char *port_id,
                         const char *subnet_id, const char *want, char ret[static INET_ADDR_MAX]) {
        size_t i;
        json_t *sub;
        InetAddr a;
        bool any_v4 = false;
        int r;

        if (want && (inet_addr_parse(want, &a) < 0 || a.version != 4))
                return bad_request(c, "Invalid input for floating_ip_address. Reason: '%s' is not a valid IPv4 address.", want);
        json_array_foreach(subnets, i, sub) {
                InetPrefix p;
                if (subnet_id && !streq_ptr(jx_string(sub, "id"), subnet_id))
                        continue;
                if (json_integer_value(json_object_get(sub, "ip_version")) != 4)
                        continue;
                any_v4 = true;
                if (want) {
                        if (inet_prefix_parse(jx_string(sub, "cidr"), false, &p, NULL) < 0 || !inet_prefix_contains(&p, &a))
                                continue;
                        if (streq_ptr(jx_string(sub, "gateway_ip"), want))
                                return ctx_error(c, -EADDRINUSE, RES_FLOATINGIP, "IP address %s already allocated in subnet %s",
                                                 want, jx_string(sub, "id"));
                        return network_ip_allocate(c, sub, port_id, network_id, want, 0, ret);
                }
                r = network_ip_allocate(c, sub, port_id, network_id, NULL, 0, ret);
                if (r != -EADDRNOTAVAIL)
                        return r;
                ctx_clear_error(c); /* full: the next subnet may have room */
        }
        if (subnet_id && !any_v4)
                return bad_request(c, "Invalid input for operation: subnet %s is not an IPv4 subnet of external network %s.",
                                   subnet_id, network_id);
        if (want)
                return bad_request(c, "IP address %s is not a valid IP for any of the subnets on the specified network.", want);
        return ctx_error(c, -EADDRNOTAVAIL, RES_FLOATINGIP, "No more IP addresses available on network %s.", network_id);
}

/* ---- association ---- */

/*
 * The router that connects the fixed address's subnet to the external
 * network: one with an interface on the subnet and its gateway there,
 * the one holding the subnet's gateway address first (Neutron's choice).
 */
static int router_for(Ctx *c, const json_t *port, const json_t *subnet, const char *external_id, char **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_free_ char *first = NULL;
        int r = db_query(c->db, &s,
                         "SELECT p.device_id, i.ip_address FROM ports p JOIN port_ips i ON i.port_id = p.id"
                         " WHERE p.network_id = ? AND p.device_owner = ? AND i.subnet_id = ?"
                         " AND p.device_id IN (SELECT id FROM routers WHERE gw_network_id = ?) ORDER BY p.created_at, p.id",
                         "ssss", jx_string(port, "network_id"), OWNER_ROUTER_INTERFACE, jx_string(subnet, "id"), external_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                if (streq_ptr(db_col_text(s, 1), jx_string(subnet, "gateway_ip"))) {
                        *ret = xstrdup(db_col_text(s, 0));
                        return 0;
                }
                if (!first)
                        first = xstrdup(db_col_text(s, 0));
        }
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "looking for a router to the external network");
        if (!first)
                return ctx_error(c, -EHOSTUNREACH, RES_FLOATINGIP,
                                 "External network %s is not reachable from subnet %s.  Therefore, cannot associate Port %s with a Floating IP.",
                                 external_id, jx_string(subnet, "id"), jx_string(port, "id"));
        *ret = TAKE_PTR(first);
        return 0;
}

/*
 * Points the floating IP fip (its project, network, id and address) at
 * port_id's fixed_ip (NULL: the port's one IPv4 address), as Neutron's
 * _get_assoc_data: sets obj's port_id, fixed_ip_address, router_id and
 * status.  In the caller's transaction.
 */
static int associate(Ctx *c, json_t *obj, const json_t *fip, const char *port_id_arg, const char *fixed_ip_arg) {
        /* Copies: the arguments may be obj's own strings, which the end replaces. */
        _cleanup_free_ char *port_id = xstrdup(port_id_arg), *fixed_ip = fixed_ip_arg ? xstrdup(fixed_ip_arg) : NULL;
        _cleanup_json_ json_t *port = NULL, *subnet = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_free_ char *subnet_id = NULL, *address = NULL, *router_id = NULL;
        size_t v4 = 0;
        InetAddr a;
        int r = res_lookup(c, &res_port, port_id, &port);

        if (r == -ENOENT || (r >= 0 && !network_can_read(c, &res_port, port)))
                return res_not_found(c, &res_port, port_id);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !streq_ptr(jx_string(port, "project_id"), jx_string(fip, "project_id")))
                return bad_request(c, "Cannot process floating IP association with Port %s, since that port is owned by a different project",
                                   port_id);
        if (streq_ptr(jx_string(port, "device_owner"), OWNER_DHCP))
                return bad_request(c, "Port %s is unable to be assigned a floating IP", port_id);
        if (fixed_ip && (inet_addr_parse(fixed_ip, &a) < 0 || a.version != 4))
                return bad_request(c, "Cannot process floating IP association with %s, since that is not an IPv4 address",
                                   fixed_ip);
        r = db_query(c->db, &s, "SELECT subnet_id, ip_address FROM port_ips WHERE port_id = ? ORDER BY seq, ip_address", "s",
                     port_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                const char *ip = db_col_text(s, 1);
                if (fixed_ip) {
                        if (streq(ip, fixed_ip)) {
                                subnet_id = xstrdup(db_col_text(s, 0));
                                address = xstrdup(ip);
                        }
                } else if (inet_addr_parse(ip, &a) >= 0 && a.version == 4 && v4++ == 0) {
                        subnet_id = xstrdup(db_col_text(s, 0));
                        address = xstrdup(ip);
                }
        }
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a port's addresses");
        if (fixed_ip && !address)
                return bad_request(c, "Port %s does not have fixed ip %s", port_id, fixed_ip);
        if (!fixed_ip && v4 == 0)
                return bad_request(c, "Cannot add floating IP to port %s that has no fixed IPv4 addresses", port_id);
        if (!fixed_ip && v4 > 1)
                return bad_request(c,
                                   "Port %s has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP",
                                   port_id);
        if ((r = res_get(c, &res_subnet, subnet_id, &subnet)) < 0 ||
            (r = router_for(c, port, subnet, jx_string(fip, "floating_network_id"), &router_id)) < 0)
                return r;

        db_stmt_release(TAKE_PTR(s));
        r = db_query(c->db, &s,
                     "SELECT id FROM floatingips WHERE port_id = ? AND floating_network_id = ? AND fixed_ip_address = ? AND id <> ?",
                     "ssss", port_id, jx_string(fip, "floating_network_id"), address, jx_string(fip, "id"));
        if (r >= 0 && (r = db_step(s)) > 0)
                return ctx_error(c, -EBUSY, RES_FLOATINGIP,
                                 "Cannot associate floating IP %s (%s) with port %s using fixed IP %s, as that fixed IP already has a floating IP on external network %s.",
                                 jx_string(fip, "floating_ip_address"), jx_string(fip, "id"), port_id, address,
                                 jx_string(fip, "floating_network_id"));
        if (r < 0)
                return res_db_error(c, r, RES_FLOATINGIP, "reading floating IPs");
        json_object_set_new(obj, "port_id", json_string(port_id));
        json_object_set_new(obj, "fixed_ip_address", json_string(address));
        json_object_set_new(obj, "router_id", json_string(router_id));
        json_object_set_new(obj, "status", json_string("ACTIVE"));
        return 0;
}

static void disassociate(json_t *obj) {
        json_object_set_new(obj, "port_id", json_null());
        json_object_set_new(obj, "fixed_ip_address", json_null());
        json_object_set_new(obj, "router_id", json_null());
        json_object_set_new(obj, "status", json_string("DOWN"));
}

/* ---- create, update, delete ---- */

static int fip_create(Ctx *c, json_t *obj) {
        _cleanup_json_ json_t *net = NULL, *subnets = NULL;
        const char *net_id = jx_string(obj, "floating_network_id"), *port_id = jx_string(obj, "port_id");
        const char *fixed_ip = jx_string(obj, "fixed_ip_address");
        static const char *const admin_fields[] = { "floating_ip_address", NULL };
        char address[INET_ADDR_MAX];
        size_t i;
        json_t *sub;
        bool v4 = false;
        int r;

        if ((r = network_admin_only(c, &res_floatingip, obj, true, admin_fields)) < 0 ||
            (r = network_owner_prepare(c, &res_floatingip, obj)) < 0 ||
            (r = network_quota_check(c, jx_string(obj, "project_id"), "floatingip", 1)) < 0 ||
            (r = network_get_for(c, &res_network, net_id, false, &net)) < 0)
                return r;
        if (!json_is_true(json_object_get(net, "router:external")))
                return bad_request(c, "Network %s is not a valid external network", net_id);
        if ((r = network_subnets(c, net_id, &subnets)) < 0)
                return r;
        json_array_foreach(subnets, i, sub)
                v4 |= json_integer_value(json_object_get(sub, "ip_version")) == 4;
        if (!v4)
                return bad_request(c, "Network %s does not contain any IPv4 subnet", net_id);
        if (fixed_ip && !port_id)
                return bad_request(c, "fixed_ip_address cannot be specified without a port_id");

        /* The port that holds the address: never the project's, as in Neutron. */
        _cleanup_json_ json_t *port = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:[]}", "network_id", net_id, "project_id",
                                                "", "device_id", jx_string(obj, "id"), "device_owner", OWNER_FLOATINGIP,
                                                "admin_state_up", true, "name", "", "fixed_ips");
        if ((r = network_port_create_locked(c, port, NULL)) < 0 ||
            (r = address_claim(c, net_id, subnets, jx_string(port, "id"), jx_string(obj, "subnet_id"),
                               jx_string(obj, "floating_ip_address"), address)) < 0)
                return r;
        json_object_set(obj, "floating_port_id", json_object_get(port, "id"));
        json_object_set_new(obj, "floating_ip_address", json_string(address));
        json_object_del(obj, "subnet_id");
        if (!json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        if (!port_id) {
                disassociate(obj);
                return 0;
        }
        return associate(c, obj, obj, port_id, fixed_ip);
}

static int fip_prepare(Ctx *c, json_t *obj, const json_t *old) {
        network_revision_bump(obj, old);
        if (!old)
                return fip_create(c, obj);
        json_t *port = json_object_get(obj, "port_id"), *fixed = json_object_get(obj, "fixed_ip_address");
        if (!port) {
                if (fixed && !json_is_null(fixed))
                        return bad_request(c, "fixed_ip_address cannot be specified without a port_id");
                json_object_del(obj, "fixed_ip_address");
                return 0;
        }
        if (json_is_null(port)) {
                disassociate(obj);
                return 0;
        }
        return associate(c, obj, old, json_string_value(port), json_string_value(fixed));
}

static int fip_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        /* The row goes first: it refers to the port. */
        int r = db_run(c->db, "DELETE FROM floatingips WHERE id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_FLOATINGIP, "deleting a floating IP");
        if ((r = network_port_delete_locked(c, jx_string(old, "floating_port_id"))) < 0)
                return r;
        return network_tags_delete(c, id);
}

static void fip_decorate(Ctx *c, json_t *obj) {
        network_decorate_standard(c, obj);
}

static void fip_changed(void) {
        network_dataplane_poke();
}

const ResDef res_floatingip = {
        .kind = RES_FLOATINGIP, .table = "floatingips", .singular = "floatingip", .plural = "floatingips",
        .fields = fip_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Floating IP %s could not be found",
        .conflict = "A floating IP of this external network already forwards to that fixed IP address.",
        .prepare = fip_prepare, .before_delete = fip_before_delete, .decorate = fip_decorate, .changed = fip_changed,
};
