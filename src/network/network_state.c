/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The desired data plane from the database (see network_state.h).  The
 * state is plain C for the data plane's pure builders; what it points
 * to lives in an arena of this file, so building is many small
 * allocations and freeing is one walk.
 */
#include "network/network_state.h"

static void *keep(NetStateOwned *s, void *p) {
        if (s->n_owned == s->cap_owned) {
                s->cap_owned = s->cap_owned ? s->cap_owned * 2 : 256;
                s->owned = xrealloc(s->owned, s->cap_owned * sizeof(void *));
        }
        s->owned[s->n_owned++] = p;
        return p;
}

static const char *str(NetStateOwned *s, const char *v) {
        return v ? keep(s, xstrdup(v)) : NULL;
}

static void *array(NetStateOwned *s, size_t n, size_t size) {
        return keep(s, xcalloc(n ? n : 1, size));
}

NetStateOwned *network_state_free(NetStateOwned *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_owned; i++)
                free(s->owned[i]);
        free(s->owned);
        free(s);
        return NULL;
}

/* A NULL-terminated list of the strings of a JSON array. */
static const char *const *strings(NetStateOwned *s, const json_t *list) {
        size_t i;
        json_t *v;
        const char **out = array(s, json_array_size(list) + 1, sizeof(char *));
        size_t n = 0;
        json_array_foreach(list, i, v)
                if (json_is_string(v))
                        out[n++] = str(s, json_string_value(v));
        return out;
}

static const NetRoute *routes(NetStateOwned *s, const json_t *list, size_t *ret_n) {
        size_t i;
        json_t *v;
        NetRoute *out = array(s, json_array_size(list), sizeof(NetRoute));
        size_t n = 0;
        json_array_foreach(list, i, v)
                if (jx_string(v, "destination") && jx_string(v, "nexthop"))
                        out[n++] = (NetRoute) { str(s, jx_string(v, "destination")), str(s, jx_string(v, "nexthop")) };
        *ret_n = n;
        return out;
}

/* Rows of a query as records of d, every one. */
static int list_where(Ctx *c, const ResDef *d, const char *field, const char *value, json_t **ret) {
        ResQuery q;
        res_query_init(&q);
        if (field)
                json_object_set_new(q.filters, field, json_string(value));
        int r = res_list(c, d, &q, ret, NULL);
        res_query_done(&q);
        return r;
}

/* The addresses of a port as "ip" or "ip/len" (with_len: the subnet's prefix length), in order. */
static int port_addresses(Ctx *c, NetStateOwned *s, const char *port_id, bool with_len, const char *const **ret) {
        _cleanup_stmt_ DbStmt *q = NULL;
        size_t n = 0, cap = 8;
        const char **out = xcalloc(cap, sizeof(char *));
        int r = db_query(c->db, &q,
                         "SELECT i.ip_address, s.cidr FROM port_ips i JOIN subnets s ON s.id = i.subnet_id"
                         " WHERE i.port_id = ? ORDER BY i.seq, i.ip_address",
                         "s", port_id);
        while (r >= 0 && (r = db_step(q)) > 0) {
                if (n + 1 >= cap)
                        out = xrealloc(out, (cap *= 2) * sizeof(char *));
                const char *cidr = db_col_text(q, 1), *slash = cidr ? strchr(cidr, '/') : NULL;
                if (with_len && slash)
                        out[n++] = keep(s, xasprintf("%s%s", db_col_text(q, 0), slash));
                else
                        out[n++] = str(s, db_col_text(q, 0));
        }
        out[n] = NULL;
        keep(s, out);
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a port's addresses");
        *ret = out;
        return 0;
}

static char *port_hostname(const json_t *port, const char *ip) {
        const char *dns = jx_string(port, "dns_name");
        if (!isempty(dns))
                return xstrdup(dns);
        char *h = xasprintf("host-%s", ip);
        for (char *p = h; *p; p++)
                if (*p == '.' || *p == ':')
                        *p = '-';
        return h;
}

static int build_network(Ctx *c, NetStateOwned *s, const json_t *rec, NetNetwork *out) {
        const char *id = jx_string(rec, "id"), *type = jx_string(rec, "provider:network_type");
        _cleanup_json_ json_t *subnets = NULL, *ports = NULL;
        const Physnet *physnet = network_physnet(jx_string(rec, "provider:physical_network"));
        size_t i, n_hosts = 0;
        json_t *v;
        int r;

        *out = (NetNetwork) {
                .id = str(s, id),
                .type = str(s, type),
                .segmentation_id = (uint32_t) json_integer_value(json_object_get(rec, "provider:segmentation_id")),
                .physical_bridge = physnet ? str(s, physnet->bridge) : NULL,
                .mtu = (unsigned) json_integer_value(json_object_get(rec, "mtu")),
                .admin_state_up = json_is_true(json_object_get(rec, "admin_state_up")),
                .dns_domain = str(s, networking.cfg->network_dns_domain),
        };
        if ((r = list_where(c, &res_subnet, "network_id", id, &subnets)) < 0 ||
            (r = list_where(c, &res_port, "network_id", id, &ports)) < 0)
                return r;

        NetSubnet *subs = array(s, json_array_size(subnets), sizeof(NetSubnet));
        json_array_foreach(subnets, i, v) {
                subs[i] = (NetSubnet) {
                        .id = str(s, jx_string(v, "id")),
                        .ip_version = (int) json_integer_value(json_object_get(v, "ip_version")),
                        .cidr = str(s, jx_string(v, "cidr")),
                        .gateway_ip = str(s, jx_string(v, "gateway_ip")),
                        .enable_dhcp = json_is_true(json_object_get(v, "enable_dhcp")),
                        .dns_nameservers = strings(s, json_object_get(v, "dns_nameservers")),
                        .ipv6_ra_mode = str(s, jx_string(v, "ipv6_ra_mode")),
                        .ipv6_address_mode = str(s, jx_string(v, "ipv6_address_mode")),
                };
                subs[i].host_routes = routes(s, json_object_get(v, "host_routes"), &subs[i].n_host_routes);
        }
        out->subnets = subs;
        out->n_subnets = json_array_size(subnets);

        /* One DHCP reservation per address of every port but the DHCP port itself. */
        size_t cap_hosts = 0;
        NetHost *hosts = NULL;
        json_array_foreach(ports, i, v) {
                const char *const *ips = NULL;
                bool dhcp = streq_ptr(jx_string(v, "device_owner"), OWNER_DHCP);
                if ((r = port_addresses(c, s, jx_string(v, "id"), dhcp, &ips)) < 0) {
                        free(hosts);
                        return r;
                }
                if (dhcp) {
                        out->dhcp_mac = str(s, jx_string(v, "mac_address"));
                        out->dhcp_ips = ips;
                        out->metadata = true;
                        continue;
                }
                for (size_t k = 0; ips[k]; k++) {
                        if (n_hosts == cap_hosts)
                                hosts = xrealloc(hosts, (cap_hosts = cap_hosts ? cap_hosts * 2 : 16) * sizeof(NetHost));
                        hosts[n_hosts++] = (NetHost) { str(s, jx_string(v, "mac_address")), ips[k],
                                                       keep(s, port_hostname(v, ips[k])) };
                }
        }
        if (hosts)
                keep(s, hosts);
        out->hosts = hosts;
        out->n_hosts = n_hosts;
        return 0;
}

static int build_leg(Ctx *c, NetStateOwned *s, const json_t *port, NetRouterLeg *out) {
        const char *const *ips = NULL;
        int r = port_addresses(c, s, jx_string(port, "id"), true, &ips);
        if (r < 0)
                return r;
        *out = (NetRouterLeg) { str(s, jx_string(port, "id")), str(s, jx_string(port, "network_id")),
                                str(s, jx_string(port, "mac_address")), ips };
        return 0;
}

/* The gateway of the external subnet of IP version `version` the gateway port has an address on, or NULL. */
static int gateway_nexthop(Ctx *c, NetStateOwned *s, const char *gw_port, int version, const char **ret) {
        _cleanup_stmt_ DbStmt *q = NULL;
        int r = db_query(c->db, &q,
                         "SELECT s.gateway_ip FROM port_ips i JOIN subnets s ON s.id = i.subnet_id"
                         " WHERE i.port_id = ? AND s.gateway_ip IS NOT NULL AND s.ip_version = ?"
                         " ORDER BY s.created_at, s.id LIMIT 1",
                         "si", gw_port, (int64_t) version);
        if (r >= 0 && (r = db_step(q)) > 0)
                *ret = str(s, db_col_text(q, 0));
        return r < 0 ? res_db_error(c, r, RES_ROUTER, "reading a router's gateway") : 0;
}

/* A router's row, read directly: the state reads the tables as they are. */
static int build_router(Ctx *c, NetStateOwned *s, DbStmt *row, NetRouter *out) {
        const char *id = db_col_text(row, 0), *gw_port = db_col_text(row, 4);
        json_error_t err;
        _cleanup_json_ json_t *ports = NULL,
                              *rts = jx_parse(db_col_text(row, 3), strlen(db_col_text(row, 3)), &err);
        size_t i, n = 0;
        json_t *v;
        int r;

        *out = (NetRouter) {
                .id = str(s, id),
                .admin_state_up = db_col_int(row, 1) != 0,
                .enable_snat = db_col_int(row, 2) != 0,
        };
        out->routes = routes(s, rts, &out->n_routes);
        if ((r = list_where(c, &res_port, "device_id", id, &ports)) < 0)
                return r;
        NetRouterLeg *legs = array(s, json_array_size(ports), sizeof(NetRouterLeg));
        json_array_foreach(ports, i, v) {
                if (gw_port && streq_ptr(jx_string(v, "id"), gw_port)) {
                        NetRouterLeg *gw = array(s, 1, sizeof(NetRouterLeg));
                        if ((r = build_leg(c, s, v, gw)) < 0)
                                return r;
                        out->gateway = gw;
                        /* The default routes go to the external subnets' gateways, one per IP version. */
                        if ((r = gateway_nexthop(c, s, gw_port, 4, &out->gateway_nexthop)) < 0 ||
                            (r = gateway_nexthop(c, s, gw_port, 6, &out->gateway_nexthop6)) < 0)
                                return r;
                } else if (streq_ptr(jx_string(v, "device_owner"), OWNER_ROUTER_INTERFACE)) {
                        if ((r = build_leg(c, s, v, &legs[n])) < 0)
                                return r;
                        n++;
                }
        }
        out->legs = legs;
        out->n_legs = n;

        _cleanup_stmt_ DbStmt *q = NULL;
        size_t cap = 0;
        NetFloating *fl = NULL;
        n = 0;
        r = db_query(c->db, &q,
                     "SELECT floating_ip_address, fixed_ip_address FROM floatingips"
                     " WHERE router_id = ? AND fixed_ip_address IS NOT NULL ORDER BY floating_ip_address",
                     "s", id);
        while (r >= 0 && (r = db_step(q)) > 0) {
                if (n == cap)
                        fl = xrealloc(fl, (cap = cap ? cap * 2 : 8) * sizeof(NetFloating));
                fl[n++] = (NetFloating) { str(s, db_col_text(q, 0)), str(s, db_col_text(q, 1)) };
        }
        if (fl)
                keep(s, fl);
        if (r < 0)
                return res_db_error(c, r, RES_FLOATINGIP, "reading a router's floating IPs");
        out->floatings = fl;
        out->n_floatings = n;
        return 0;
}

/* The addresses of the ports in a security group, of one IP version: what a remote group rule allows. */
static int group_members(Ctx *c, NetStateOwned *s, const char *group_id, int version, const char *const **ret) {
        _cleanup_stmt_ DbStmt *q = NULL;
        size_t n = 0, cap = 8;
        const char **out = xcalloc(cap, sizeof(char *));
        int r = db_query(c->db, &q,
                         "SELECT i.ip_address FROM port_ips i JOIN port_security_groups g ON g.port_id = i.port_id"
                         " JOIN subnets s ON s.id = i.subnet_id WHERE g.security_group_id = ? AND s.ip_version = ?"
                         " ORDER BY i.ip_address",
                         "si", group_id, (int64_t) version);
        while (r >= 0 && (r = db_step(q)) > 0) {
                if (n + 1 >= cap)
                        out = xrealloc(out, (cap *= 2) * sizeof(char *));
                out[n++] = str(s, db_col_text(q, 0));
        }
        out[n] = NULL;
        keep(s, out);
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "reading a group's members");
        *ret = out;
        return 0;
}

static int build_rules(Ctx *c, NetStateOwned *s, const char *port_id, NetPort *out) {
        _cleanup_stmt_ DbStmt *q = NULL;
        _cleanup_json_ json_t *rules = json_array();
        int r = db_query(c->db, &q,
                         "SELECT r.direction, r.ethertype, r.protocol, r.port_range_min, r.port_range_max,"
                         " r.remote_ip_prefix, r.remote_group_id FROM security_group_rules r"
                         " JOIN port_security_groups g ON g.security_group_id = r.security_group_id"
                         " WHERE g.port_id = ? ORDER BY r.security_group_id, r.created_at, r.id",
                         "s", port_id);
        while (r >= 0 && (r = db_step(q)) > 0)
                json_array_append_new(
                        rules, json_pack("{s:s, s:s, s:s?, s:I, s:I, s:s?, s:s?}", "direction", db_col_text(q, 0),
                                         "ethertype", db_col_text(q, 1), "protocol", db_col_text(q, 2), "min",
                                         (json_int_t) (db_col_null(q, 3) ? -1 : db_col_int(q, 3)), "max",
                                         (json_int_t) (db_col_null(q, 4) ? -1 : db_col_int(q, 4)), "prefix",
                                         db_col_text(q, 5), "group", db_col_text(q, 6)));
        db_stmt_release(TAKE_PTR(q));
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "reading a port's rules");

        NetRule *out_rules = array(s, json_array_size(rules), sizeof(NetRule));
        size_t i;
        json_t *v;
        json_array_foreach(rules, i, v) {
                int version = streq_ptr(jx_string(v, "ethertype"), "IPv6") ? 6 : 4;
                out_rules[i] = (NetRule) {
                        .ingress = streq_ptr(jx_string(v, "direction"), "ingress"),
                        .ethertype = version,
                        .protocol = str(s, jx_string(v, "protocol")),
                        .port_min = (int) json_integer_value(json_object_get(v, "min")),
                        .port_max = (int) json_integer_value(json_object_get(v, "max")),
                        .remote_prefix = str(s, jx_string(v, "prefix")),
                };
                if (jx_string(v, "group") &&
                    (r = group_members(c, s, jx_string(v, "group"), version, &out_rules[i].remote_ips)) < 0)
                        return r;
        }
        out->rules = out_rules;
        out->n_rules = json_array_size(rules);
        return 0;
}

static int build_port(Ctx *c, NetStateOwned *s, const json_t *rec, NetPort *out) {
        const json_t *pairs = json_object_get(rec, "allowed_address_pairs");
        size_t i;
        json_t *v;
        int r;

        *out = (NetPort) {
                .id = str(s, jx_string(rec, "id")),
                .network_id = str(s, jx_string(rec, "network_id")),
                .mac = str(s, jx_string(rec, "mac_address")),
                .port_security = json_is_true(json_object_get(rec, "port_security_enabled")),
        };
        if ((r = port_addresses(c, s, out->id, false, &out->ips)) < 0)
                return r;
        NetAddressPair *p = array(s, json_array_size(pairs), sizeof(NetAddressPair));
        json_array_foreach(pairs, i, v)
                p[i] = (NetAddressPair) { str(s, jx_string(v, "mac_address")), str(s, jx_string(v, "ip_address")) };
        out->pairs = p;
        out->n_pairs = json_array_size(pairs);
        return out->port_security ? build_rules(c, s, out->id, out) : 0;
}

typedef struct Build {
        const char *host;
        NetStateOwned *s;
} Build;

static int build_locked(Ctx *c, void *userdata) {
        Build *b = userdata;
        NetStateOwned *s = b->s;
        _cleanup_json_ json_t *networks = NULL, *ports = NULL;
        size_t i, n = 0;
        json_t *v;
        int r;

        if ((r = list_where(c, &res_network, NULL, NULL, &networks)) < 0 ||
            (r = list_where(c, &res_port, "binding:host_id", b->host, &ports)) < 0)
                return r;
        NetNetwork *nets = array(s, json_array_size(networks), sizeof(NetNetwork));
        json_array_foreach(networks, i, v)
                if ((r = build_network(c, s, v, &nets[i])) < 0)
                        return r;
        s->state.networks = nets;
        s->state.n_networks = json_array_size(networks);

        int64_t n_routers = 0;
        if ((r = db_query_int(c->db, &n_routers, "SELECT COUNT(*) FROM routers", "")) < 0)
                return res_db_error(c, r, RES_ROUTER, "counting routers");
        NetRouter *rts = array(s, (size_t) n_routers, sizeof(NetRouter));
        _cleanup_stmt_ DbStmt *q = NULL;
        r = db_query(c->db, &q, "SELECT id, admin_state_up, enable_snat, routes, gw_port_id FROM routers ORDER BY id", "");
        while (r >= 0 && n < (size_t) n_routers && (r = db_step(q)) > 0)
                if ((r = build_router(c, s, q, &rts[n++])) < 0)
                        return r;
        if (r < 0)
                return res_db_error(c, r, RES_ROUTER, "reading routers");
        s->state.routers = rts;
        s->state.n_routers = n;
        n = 0;

        /* The VM ports plugged on this host: a server's, made by compute. */
        NetPort *prts = array(s, json_array_size(ports), sizeof(NetPort));
        json_array_foreach(ports, i, v) {
                if (!startswith(jx_string(v, "device_owner") ?: "", "compute:"))
                        continue;
                if ((r = build_port(c, s, v, &prts[n])) < 0)
                        return r;
                n++;
        }
        s->state.ports = prts;
        s->state.n_ports = n;
        return 0;
}

int network_state_build(Ctx *c, const char *host, NetStateOwned **ret) {
        Build b = { host, xcalloc(1, sizeof(NetStateOwned)) };
        /* One snapshot, not rows from before and after a change. */
        int r = db_read_snapshot(c, build_locked, &b);
        if (r < 0)
                r = res_db_error(c, r, RES_NETWORK, "reading the network state");
        if (r < 0) {
                network_state_free(b.s);
                return r;
        }
        *ret = b.s;
        return 0;
}
