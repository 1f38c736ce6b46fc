/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: a MAC, fixed IPs claimed through IPAM, security groups (the
 * project's default one unless told otherwise), allowed address pairs,
 * and the binding attributes that tell which host plugged them.  The
 * service makes ports of its own (DHCP, router legs, floating IPs) and
 * compute makes servers' through network_port_create_locked; both take
 * the same path as the API's, minus its policy checks.
 */
#include "network/network_internal.h"

static const ResField port_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "network_id", RES_STRING, RES_REQUIRED | RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "name", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "admin_state_up", RES_BOOL, RES_FILTER | RES_SORT },
        { "status", RES_STRING, RES_FILTER | RES_SORT },
        { "mac_address", RES_STRING, RES_FILTER | RES_SORT },
        { "device_id", RES_STRING, RES_FILTER | RES_SORT },
        { "device_owner", RES_STRING, RES_FILTER | RES_SORT },
        { "port_security_enabled", RES_BOOL, RES_FILTER },
        { "allowed_address_pairs", RES_JSON, 0 },
        { "binding:host_id", RES_STRING, RES_FILTER, "binding_host_id" },
        { "binding:vif_type", RES_STRING, RES_FILTER, "binding_vif_type" },
        { "binding:vnic_type", RES_STRING, RES_FILTER, "binding_vnic_type" },
        { "binding:profile", RES_JSON, 0, "binding_profile" },
        { "binding:vif_details", RES_JSON, 0, "binding_vif_details" },
        { "dns_name", RES_STRING, RES_FILTER },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

static const char *const admin_fields[] = { "binding:host_id", "binding:profile", NULL };

static bool owned_by_network(const char *owner) {
        return owner && startswith(owner, "network:");
}

/* ---- checks of the attributes ---- */

static int check_mac(Ctx *c, json_t *obj) {
        const char *mac = jx_string(obj, "mac_address");
        uint8_t m[6];
        char canon[MAC_TEXT_MAX];
        if (!mac)
                return 0;
        if (mac_parse(mac, m) < 0)
                return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for mac_address. Reason: '%s' is not a valid MAC address.",
                                 mac);
        json_object_set_new(obj, "mac_address", json_string(mac_format(m, canon)));
        return 0;
}

static int check_pairs(Ctx *c, json_t *obj, bool port_security) {
        json_t *pairs = json_object_get(obj, "allowed_address_pairs");
        size_t i;
        json_t *p;
        if (!pairs || json_is_null(pairs)) {
                if (pairs)
                        json_object_set_new(obj, "allowed_address_pairs", json_array());
                return 0;
        }
        if (json_array_size(pairs) && !port_security)
                return ctx_error(c, -EBUSY, RES_PORT, "Port Security must be enabled in order to have allowed address pairs on a port.");
        if (json_array_size(pairs) > (size_t) networking.cfg->network_max_address_pairs)
                return ctx_error(c, -EINVAL, RES_PORT, "The number of allowed address pair exceeds the maximum %" PRId64 ".",
                                 networking.cfg->network_max_address_pairs);
        json_t *clean = json_array();
        json_array_foreach(pairs, i, p) {
                const char *ip = jx_string(p, "ip_address"), *mac = jx_string(p, "mac_address");
                InetPrefix pre;
                uint8_t m[6];
                char ptext[INET_PREFIX_MAX], mtext[MAC_TEXT_MAX];
                bool host_bits;
                if (!ip || inet_prefix_parse(ip, false, &pre, &host_bits) < 0) {
                        json_decref(clean);
                        return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for allowed_address_pairs. Reason: '%s' is not a valid IP address or CIDR.",
                                         ip ? ip : "");
                }
                if (mac && mac_parse(mac, m) < 0) {
                        json_decref(clean);
                        return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for allowed_address_pairs. Reason: '%s' is not a valid MAC address.",
                                         mac);
                }
                /* A host as a bare address; a network as its CIDR, host bits kept as given (Neutron echoes them). */
                const char *ip_out = ip;
                if (pre.len == inet_bits(pre.addr.version))
                        ip_out = inet_addr_format(&pre.addr, ptext);
                json_t *one = json_pack("{s:s}", "ip_address", ip_out);
                if (mac)
                        json_object_set_new(one, "mac_address", json_string(mac_format(m, mtext)));
                else
                        json_object_set(one, "mac_address", json_object_get(obj, "mac_address"));
                for (size_t j = 0; j < json_array_size(clean); j++)
                        if (json_equal(one, json_array_get(clean, j))) {
                                json_decref(one);
                                json_decref(clean);
                                return ctx_error(c, -EINVAL, RES_PORT, "Request contains duplicate address pair: mac_address %s ip_address %s.",
                                                 mac ? mac : "(the port's)", ip);
                        }
                json_array_append_new(clean, one);
        }
        json_object_set_new(obj, "allowed_address_pairs", clean);
        return 0;
}

/* ---- fixed IPs ---- */

/* The subnet of network_id that holds ip, or 400. */
static int subnet_for_ip(Ctx *c, const char *network_id, const char *ip, json_t **ret) {
        _cleanup_json_ json_t *subnets = NULL;
        ResQuery q;
        InetAddr a;
        size_t i;
        json_t *s;
        if (inet_addr_parse(ip, &a) < 0)
                return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for fixed_ips. Reason: '%s' is not a valid IP address.", ip);
        res_query_init(&q);
        json_object_set_new(q.filters, "network_id", json_string(network_id));
        int r = res_list(c, &res_subnet, &q, &subnets, NULL);
        res_query_done(&q);
        if (r < 0)
                return r;
        json_array_foreach(subnets, i, s) {
                InetPrefix p;
                if (inet_prefix_parse(jx_string(s, "cidr"), false, &p, NULL) >= 0 && inet_prefix_contains(&p, &a)) {
                        *ret = json_incref(s);
                        return 0;
                }
        }
        return ctx_error(c, -EINVAL, RES_PORT, "IP address %s is not a valid IP for any subnet on network %s.", ip,
                         network_id);
}

/* Claims the addresses fixed_ips asks for (a list of {subnet_id, ip_address}), in order. */
static int claim_fixed_ips(Ctx *c, const char *port_id, const char *network_id, const json_t *fixed_ips) {
        size_t i;
        json_t *f;
        if (json_array_size(fixed_ips) > (size_t) networking.cfg->network_max_fixed_ips)
                return ctx_error(c, -EINVAL, RES_PORT, "Exceeded maximum amount of fixed ips per port.");
        json_array_foreach(fixed_ips, i, f) {
                const char *subnet_id = jx_string(f, "subnet_id"), *ip = jx_string(f, "ip_address");
                _cleanup_json_ json_t *subnet = NULL;
                char got[INET_ADDR_MAX];
                int r;
                if (!subnet_id && !ip)
                        return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for fixed_ips. Reason: an entry needs subnet_id or ip_address.");
                if (subnet_id) {
                        r = res_lookup(c, &res_subnet, subnet_id, &subnet);
                        if (r == -ENOENT)
                                return ctx_error(c, -EINVAL, RES_PORT,
                                                 "Invalid input for operation: Failed to create port on network %s, because fixed_ips included invalid subnet %s.",
                                                 network_id, subnet_id);
                        if (r < 0)
                                return r;
                        if (!streq_ptr(jx_string(subnet, "network_id"), network_id))
                                return ctx_error(c, -EINVAL, RES_PORT,
                                                 "Invalid input for operation: Failed to create port on network %s, because fixed_ips included invalid subnet %s.",
                                                 network_id, subnet_id);
                } else if ((r = subnet_for_ip(c, network_id, ip, &subnet)) < 0)
                        return r;
                if ((r = network_ip_allocate(c, subnet, port_id, network_id, ip, (int) i, got)) < 0)
                        return r;
        }
        return 0;
}

/* Neutron's default: one IPv4 address from the first IPv4 subnet that has one free, and the same for IPv6. */
static int claim_default_ips(Ctx *c, const char *port_id, const char *network_id) {
        _cleanup_json_ json_t *subnets = NULL;
        ResQuery q;
        bool done[7] = {};
        size_t i;
        json_t *s;
        int seq = 0, r;

        res_query_init(&q);
        json_object_set_new(q.filters, "network_id", json_string(network_id));
        r = res_list(c, &res_subnet, &q, &subnets, NULL);
        res_query_done(&q);
        if (r < 0)
                return r;
        json_array_foreach(subnets, i, s) {
                int version = (int) json_integer_value(json_object_get(s, "ip_version"));
                char got[INET_ADDR_MAX];
                if (version != 4 && version != 6)
                        continue;
                if (done[version])
                        continue;
                r = network_ip_allocate(c, s, port_id, network_id, NULL, seq, got);
                if (r == -EADDRNOTAVAIL) {
                        /* Full: the next subnet of this version may have room. */
                        ctx_clear_error(c);
                        continue;
                }
                if (r < 0)
                        return r;
                done[version] = true;
                seq++;
        }
        /* Neutron fails a port that wanted an address and got none on a network with subnets. */
        if (json_array_size(subnets) && !done[4] && !done[6])
                return ctx_error(c, -EADDRNOTAVAIL, RES_PORT, "No more IP addresses available on network %s.", network_id);
        return 0;
}

/* ---- security groups of a port ---- */

static int bind_groups(Ctx *c, const char *port_id, const char *project_id, const json_t *groups) {
        size_t i;
        json_t *g;
        int r = db_run(c->db, "DELETE FROM port_security_groups WHERE port_id = ?", "s", port_id);
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "changing a port's security groups");
        json_array_foreach(groups, i, g) {
                _cleanup_json_ json_t *rec = NULL;
                const char *id = json_string_value(g);
                if (!id)
                        return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for security_groups.");
                r = res_lookup(c, &res_security_group, id, &rec);
                if (r == -ENOENT || (r >= 0 && !c->auth.is_admin && !streq_ptr(jx_string(rec, "project_id"), project_id)))
                        return ctx_error(c, -ENOENT, RES_SECURITY_GROUP, "Security group %s does not exist", id);
                if (r < 0)
                        return r;
                r = db_run(c->db, "INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)", "ss",
                           port_id, id);
                if (r < 0 && r != -EEXIST)
                        return res_db_error(c, r, RES_PORT, "changing a port's security groups");
        }
        return 0;
}

static int64_t group_count(Ctx *c, const char *port_id) {
        int64_t n = 0;
        db_query_int(c->db, &n, "SELECT COUNT(*) FROM port_security_groups WHERE port_id = ?", "s", port_id);
        return n;
}

/* ---- create, update, delete ---- */

/*
 * Fills defaults and checks obj; on create with internal, the service's
 * own ports skip the caller's policy and quota (a router's gateway port
 * on an external network belongs to no project).
 */
static int port_prepare_as(Ctx *c, json_t *obj, const json_t *old, bool internal) {
        _cleanup_json_ json_t *net = NULL;
        int r;

        network_revision_bump(obj, old);
        if (!internal && (r = network_admin_only(c, &res_port, obj, !old, admin_fields)) < 0)
                return r;
        if ((r = check_mac(c, obj)) < 0)
                return r;
        if (old) {
                if (json_object_get(obj, "mac_address") && !c->auth.is_admin &&
                    !json_equal(json_object_get(obj, "mac_address"), json_object_get(old, "mac_address")))
                        return ctx_error(c, -EACCES, RES_PORT, "(rule:update_port:mac_address) is disallowed by policy.");
                json_t *ps = json_object_get(obj, "port_security_enabled");
                bool security = ps ? json_is_true(ps) : json_is_true(json_object_get(old, "port_security_enabled"));
                json_t *groups = json_object_get(obj, "security_groups");
                bool has_groups = groups ? json_array_size(groups) > 0 : group_count(c, jx_string(old, "id")) > 0;
                if (!security && has_groups)
                        return ctx_error(c, -EBUSY, RES_PORT,
                                         "Port has security group associated. Cannot disable port security or ip address until security group is removed.");
                if (!json_object_get(obj, "allowed_address_pairs") && ps && !security &&
                    json_array_size(json_object_get(old, "allowed_address_pairs")))
                        return ctx_error(c, -EBUSY, RES_PORT,
                                         "Port Security must be enabled in order to have allowed address pairs on a port.");
                if (!json_object_get(obj, "mac_address"))
                        json_object_set(obj, "mac_address", json_object_get(old, "mac_address"));
                r = check_pairs(c, obj, security);
                if (json_object_get(obj, "mac_address") && json_equal(json_object_get(obj, "mac_address"),
                                                                      json_object_get(old, "mac_address")))
                        json_object_del(obj, "mac_address");
                if (r >= 0 && json_object_get(obj, "binding:host_id"))
                        json_object_set_new(obj, "binding:vif_type",
                                            json_string(isempty(jx_string(obj, "binding:host_id")) ? "unbound" : "bridge"));
                return r;
        }

        r = internal ? res_get(c, &res_network, jx_string(obj, "network_id"), &net)
                     : network_get_for(c, &res_network, jx_string(obj, "network_id"), false, &net);
        if (r < 0)
                return r;
        if (!internal) {
                if ((r = network_owner_prepare(c, &res_port, obj)) < 0 ||
                    (r = network_quota_check(c, jx_string(obj, "project_id"), "port", 1)) < 0)
                        return r;
        } else if (!json_object_get(obj, "project_id"))
                json_object_set(obj, "project_id", json_object_get(net, "project_id"));
        json_object_del(obj, "tenant_id");
        if (!json_object_get(obj, "port_security_enabled"))
                json_object_set(obj, "port_security_enabled", json_object_get(net, "port_security_enabled"));
        bool security = json_is_true(json_object_get(obj, "port_security_enabled"));
        if (!security && json_array_size(json_object_get(obj, "security_groups")))
                return ctx_error(c, -EBUSY, RES_PORT,
                                 "Port has security group associated. Cannot disable port security or ip address until security group is removed.");
        if (!json_object_get(obj, "mac_address")) {
                char mac[MAC_TEXT_MAX];
                if ((r = network_mac_generate(c, jx_string(obj, "network_id"), mac)) < 0)
                        return r;
                json_object_set_new(obj, "mac_address", json_string(mac));
        }
        if ((r = check_pairs(c, obj, security)) < 0)
                return r;
        json_object_set_new(obj, "status", json_string("DOWN"));
        json_object_set_new(obj, "binding:vif_type",
                            json_string(isempty(jx_string(obj, "binding:host_id")) ? "unbound" : "bridge"));
        return 0;
}

static int port_prepare(Ctx *c, json_t *obj, const json_t *old) {
        return port_prepare_as(c, obj, old, false);
}

static int port_after(Ctx *c, const json_t *obj, const json_t *old) {
        const char *id = jx_string(obj, "id");
        const char *network_id = jx_string(old ? old : obj, "network_id");
        const char *project_id = jx_string(old ? old : obj, "project_id");
        const char *owner = jx_string(old && !json_object_get(obj, "device_owner") ? old : obj, "device_owner");
        json_t *fixed = json_object_get(obj, "fixed_ips"), *groups = json_object_get(obj, "security_groups");
        int r;

        if (old) {
                if (fixed && ((r = network_ips_release(c, id, NULL)) < 0 || (r = claim_fixed_ips(c, id, network_id, fixed)) < 0))
                        return r;
                return groups ? bind_groups(c, id, project_id, json_is_null(groups) ? NULL : groups) : 0;
        }
        r = fixed ? claim_fixed_ips(c, id, network_id, fixed) : claim_default_ips(c, id, network_id);
        if (r < 0)
                return r;
        if (groups && !json_is_null(groups))
                return bind_groups(c, id, project_id, groups);
        /* Ports of the service itself are not filtered; others get the project's default group. */
        if (!json_is_true(json_object_get(obj, "port_security_enabled")) || owned_by_network(owner) || !project_id ||
            !*project_id)
                return 0;
        _cleanup_free_ char *group = NULL;
        if ((r = network_default_security_group(c, project_id, &group)) < 0)
                return r;
        _cleanup_json_ json_t *list = json_pack("[s]", group);
        return bind_groups(c, id, project_id, list);
}

int network_port_create_locked(Ctx *c, json_t *obj, json_t **ret) {
        int r;
        if (!jx_string(obj, "id")) {
                _cleanup_free_ char *id = uuid_dashed_new();
                json_object_set_new(obj, "id", json_string(id));
        }
        if ((r = port_prepare_as(c, obj, NULL, true)) < 0 || (r = res_insert(c, &res_port, obj)) < 0 ||
            (r = port_after(c, obj, NULL)) < 0)
                return r;
        return ret ? res_get(c, &res_port, jx_string(obj, "id"), ret) : 0;
}

int network_port_delete_locked(Ctx *c, const char *port_id) {
        int r;
        if ((r = network_ips_release(c, port_id, NULL)) < 0 || (r = network_tags_delete(c, port_id)) < 0)
                return r;
        r = db_run(c->db, "DELETE FROM port_security_groups WHERE port_id = ?", "s", port_id);
        if (r >= 0)
                r = db_run(c->db, "DELETE FROM ports WHERE id = ?", "s", port_id);
        return r < 0 ? res_db_error(c, r, RES_PORT, "deleting a port") : 0;
}

/* Router legs and gateways are the router's: removed through the router, as in Neutron. */
static int port_before_delete(Ctx *c, const json_t *old) {
        const char *owner = jx_string(old, "device_owner");
        if (owner && (streq(owner, OWNER_ROUTER_INTERFACE) || streq(owner, OWNER_ROUTER_GATEWAY) ||
                      streq(owner, OWNER_FLOATINGIP)) && !isempty(jx_string(old, "device_id")))
                return ctx_error(c, -EBUSY, RES_PORT,
                                 "Port %s cannot be deleted directly via the port API: has device owner %s.",
                                 jx_string(old, "id"), owner);
        /* Floating IPs forwarding to it are disassociated, as in Neutron. */
        int r = network_floatingips_port_deleted(c, jx_string(old, "id"));
        if (r < 0)
                return r;
        r = network_ips_release(c, jx_string(old, "id"), NULL);
        if (r >= 0)
                r = db_run(c->db, "DELETE FROM port_security_groups WHERE port_id = ?", "s", jx_string(old, "id"));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "deleting a port");
        return network_tags_delete(c, jx_string(old, "id"));
}

static void port_decorate(Ctx *c, json_t *obj) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *fixed = json_array(), *groups = json_array(), *dns = json_array();
        const char *id = jx_string(obj, "id");
        const char *domain = networking.cfg->network_dns_domain;

        if (db_query(c->db, &s, "SELECT subnet_id, ip_address FROM port_ips WHERE port_id = ? ORDER BY seq, ip_address",
                     "s", id) >= 0)
                while (db_step(s) > 0) {
                        const char *ip = db_col_text(s, 1);
                        _cleanup_free_ char *host = xasprintf("host-%s", ip);
                        for (char *p = host; *p; p++)
                                if (*p == '.' || *p == ':')
                                        *p = '-';
                        const char *name = isempty(jx_string(obj, "dns_name")) ? host : jx_string(obj, "dns_name");
                        _cleanup_free_ char *fqdn = xasprintf("%s.%s.", name, domain);
                        json_array_append_new(fixed, json_pack("{s:s, s:s}", "subnet_id", db_col_text(s, 0), "ip_address", ip));
                        json_array_append_new(dns, json_pack("{s:s, s:s, s:s}", "ip_address", ip, "hostname", name, "fqdn", fqdn));
                }
        db_stmt_release(TAKE_PTR(s));
        if (db_query(c->db, &s, "SELECT security_group_id FROM port_security_groups WHERE port_id = ? ORDER BY security_group_id",
                     "s", id) >= 0)
                while (db_step(s) > 0)
                        json_array_append_new(groups, json_string(db_col_text(s, 0)));
        json_object_set_new(obj, "fixed_ips", fixed);
        json_object_set_new(obj, "security_groups", groups);
        json_object_set_new(obj, "dns_assignment", dns);
        json_object_set_new(obj, "extra_dhcp_opts", json_array());
        json_object_set_new(obj, "ip_allocation", json_string("immediate"));
        if (!c->auth.is_admin)
                for (const ResField *f = port_fields; f->name; f++)
                        if (startswith(f->name, "binding:"))
                                json_object_del(obj, f->name);
        network_decorate_standard(c, obj);
}

static void port_changed(void) {
        network_dataplane_poke();
}

const ResDef res_port = {
        .kind = RES_PORT, .table = "ports", .singular = "port", .plural = "ports",
        .fields = port_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Port %s could not be found.",
        .conflict = "Unable to complete operation for network. The mac address %s is in use.",
        .prepare = port_prepare, .after = port_after, .before_delete = port_before_delete,
        .decorate = port_decorate, .changed = port_changed,
};

/* ---- the DHCP port of a network ---- */

int network_dhcp_sync(Ctx *c, const char *network_id, const char *deleting_subnet_id) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *want = json_array(), *port = NULL;
        _cleanup_free_ char *port_id = NULL;
        int r;

        r = db_query(c->db, &s, "SELECT id FROM subnets WHERE network_id = ? AND enable_dhcp = 1 ORDER BY created_at, id",
                     "s", network_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                if (!streq_ptr(db_col_text(s, 0), deleting_subnet_id))
                        json_array_append_new(want, json_string(db_col_text(s, 0)));
        db_stmt_release(TAKE_PTR(s));
        if (r >= 0 && (r = db_query(c->db, &s, "SELECT id FROM ports WHERE network_id = ? AND device_owner = ?", "ss",
                                    network_id, OWNER_DHCP)) >= 0 &&
            (r = db_step(s)) > 0)
                port_id = xstrdup(db_col_text(s, 0));
        db_stmt_release(TAKE_PTR(s));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a network's DHCP port");

        if (json_array_size(want) == 0)
                return port_id ? network_port_delete_locked(c, port_id) : 0;
        if (!port_id) {
                _cleanup_free_ char *device = xasprintf("dhcp-%s", network_id);
                json_t *fixed = json_array();
                size_t i;
                json_t *v;
                json_array_foreach(want, i, v)
                        json_array_append_new(fixed, json_pack("{s:O}", "subnet_id", v));
                _cleanup_json_ json_t *obj = json_pack("{s:s, s:s, s:s, s:b, s:o}", "network_id", network_id,
                                                       "device_owner", OWNER_DHCP, "device_id", device,
                                                       "port_security_enabled", false, "fixed_ips", fixed);
                return network_port_create_locked(c, obj, NULL);
        }
        /* An address on each DHCP subnet it lacks; none on a subnet that stopped serving DHCP. */
        _cleanup_json_ json_t *have = json_object();
        if ((r = db_query(c->db, &s, "SELECT subnet_id FROM port_ips WHERE port_id = ?", "s", port_id)) >= 0)
                while ((r = db_step(s)) > 0)
                        json_object_set_new(have, db_col_text(s, 0), json_true());
        db_stmt_release(TAKE_PTR(s));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a DHCP port's addresses");
        size_t i;
        json_t *v;
        const char *key;
        json_t *tmp;
        void *iter_tmp;
        json_object_foreach_safe(have, iter_tmp, key, tmp) {
                bool wanted = false;
                json_array_foreach(want, i, v)
                        wanted |= streq(json_string_value(v), key);
                if (!wanted && (r = network_ips_release(c, port_id, key)) < 0)
                        return r;
        }
        json_array_foreach(want, i, v) {
                _cleanup_json_ json_t *subnet = NULL;
                char got[INET_ADDR_MAX];
                if (json_object_get(have, json_string_value(v)))
                        continue;
                if ((r = res_get(c, &res_subnet, json_string_value(v), &subnet)) < 0 ||
                    (r = network_ip_allocate(c, subnet, port_id, network_id, NULL, (int) i, got)) < 0)
                        return r;
        }
        return 0;
}
