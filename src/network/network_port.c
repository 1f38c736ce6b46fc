/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: a MAC, fixed IPs (network_port_ips.c), security groups (the
 * project's default one unless told otherwise), port security and
 * allowed address pairs with Neutron's rules between them, and the
 * binding attributes that tell which host plugged them (admins only).
 * The service makes ports of its own (DHCP, router legs, floating IPs)
 * and compute makes servers' through network_port_create_locked; both
 * take the same path as the API's, minus its policy checks.
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

/* Who may set them: admins; the binding's host and profile are the cloud's business. */
static const char *const admin_fields[] = { "binding:host_id", "binding:profile", NULL };
/* What only admins see (Neutron's get_port:binding:* rules); vnic_type is everyone's. */
static const char *const admin_view[] = { "binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details",
                                          NULL };

static bool owned_by_network(const char *owner) {
        return owner && startswith(owner, "network:");
}

/* ---- checks of the attributes ---- */

/* The MAC obj asks for, canonical; a MAC is unique on its network (409 MacAddressInUse). */
static int check_mac(Ctx *c, json_t *obj, const char *network_id, const char *port_id) {
        const char *mac = jx_string(obj, "mac_address");
        uint8_t m[6];
        char canon[MAC_TEXT_MAX];
        int64_t n = 0;
        if (!mac)
                return 0;
        if (mac_parse(mac, m) < 0)
                return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for mac_address. Reason: '%s' is not a valid MAC address.",
                                 mac);
        mac_format(m, canon);
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM ports WHERE network_id = ? AND mac_address = ? AND id <> ?",
                             "sss", network_id, canon, port_id ? port_id : "");
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "checking a MAC address");
        if (n > 0)
                return ctx_error(c, -EBUSY, RES_NONE, "Unable to complete operation for network %s. The mac address %s is in use.",
                                 network_id, canon);
        json_object_set_new(obj, "mac_address", json_string(canon));
        return 0;
}

/* Checks and canonicalizes obj's allowed_address_pairs; a pair without a MAC gets the port's (mac). */
static int check_pairs(Ctx *c, json_t *obj, const char *mac) {
        json_t *pairs = json_object_get(obj, "allowed_address_pairs");
        size_t i;
        json_t *p;
        if (!pairs)
                return 0;
        if (json_is_null(pairs)) {
                json_object_set_new(obj, "allowed_address_pairs", json_array());
                return 0;
        }
        if (json_array_size(pairs) > (size_t) networking.cfg->network_max_address_pairs)
                return ctx_error(c, -EINVAL, RES_PORT, "The number of allowed address pair exceeds the maximum %" PRId64 ".",
                                 networking.cfg->network_max_address_pairs);
        json_t *clean = json_array();
        json_array_foreach(pairs, i, p) {
                const char *ip = jx_string(p, "ip_address"), *pmac = jx_string(p, "mac_address");
                InetPrefix pre;
                uint8_t m[6];
                char ptext[INET_PREFIX_MAX], mtext[MAC_TEXT_MAX];
                if (!ip || inet_prefix_parse(ip, false, &pre, NULL) < 0) {
                        json_decref(clean);
                        return ctx_error(c, -EINVAL, RES_PORT,
                                         "Invalid input for allowed_address_pairs. Reason: '%s' is not a valid IP address.",
                                         ip ? ip : "");
                }
                if (pmac && mac_parse(pmac, m) < 0) {
                        json_decref(clean);
                        return ctx_error(c, -EINVAL, RES_PORT,
                                         "Invalid input for allowed_address_pairs. Reason: '%s' is not a valid MAC address.",
                                         pmac);
                }
                /* A host as a bare address; a network as its CIDR, host bits kept as given (Neutron echoes them). */
                const char *ip_out = ip;
                if (pre.len == inet_bits(pre.addr.version) && !strchr(ip, '/'))
                        ip_out = inet_addr_format(&pre.addr, ptext);
                json_t *one = json_pack("{s:s, s:s}", "ip_address", ip_out, "mac_address", pmac ? mac_format(m, mtext) : mac);
                for (size_t j = 0; j < json_array_size(clean); j++)
                        if (json_equal(one, json_array_get(clean, j))) {
                                json_decref(one);
                                json_decref(clean);
                                return ctx_error(c, -EINVAL, RES_PORT,
                                                 "Request contains duplicate address pair: mac_address %s ip_address %s.",
                                                 pmac ? mtext : mac, ip);
                        }
                json_array_append_new(clean, one);
        }
        json_object_set_new(obj, "allowed_address_pairs", clean);
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

static bool asks_ip_address(const json_t *fixed) {
        size_t i;
        json_t *f;
        json_array_foreach(fixed, i, f)
                if (json_object_get(f, "ip_address"))
                        return true;
        return false;
}

static bool net_owner(Ctx *c, const json_t *net) {
        return c->auth.is_admin || streq_ptr(jx_string(net, "project_id"), c->auth.project_id);
}

/* Neutron's policy on attributes only an admin or the network's owner may set (403). */
static int owner_only(Ctx *c, const json_t *obj, const json_t *net, bool create) {
        const char *op = create ? "create" : "update";
        const char *owner = jx_string(obj, "device_owner");
        if (net_owner(c, net))
                return 0;
        if (json_object_get(obj, "mac_address"))
                return ctx_error(c, -EACCES, RES_PORT, "(rule:%s_port:mac_address) is disallowed by policy.", op);
        if (create ? asks_ip_address(json_object_get(obj, "fixed_ips")) : json_object_get(obj, "fixed_ips") != NULL)
                return ctx_error(c, -EACCES, RES_PORT, "(rule:%s_port:fixed_ips%s) is disallowed by policy.", op,
                                 create ? ":ip_address" : "");
        if (owned_by_network(owner))
                return ctx_error(c, -EACCES, RES_PORT, "(rule:%s_port:device_owner) is disallowed by policy.", op);
        return 0;
}

static void set_vif_type(json_t *obj) {
        json_object_set_new(obj, "binding:vif_type",
                            json_string(isempty(jx_string(obj, "binding:host_id")) ? "unbound" : "bridge"));
}

static int port_prepare_create(Ctx *c, json_t *obj, bool internal) {
        _cleanup_json_ json_t *net = NULL;
        int r;

        r = internal ? res_get(c, &res_network, jx_string(obj, "network_id"), &net)
                     : network_get_for(c, &res_network, jx_string(obj, "network_id"), false, &net);
        if (r < 0)
                return r;
        if (!internal) {
                /* A port on a network the caller sees but does not own: only on a shared one. */
                if (!net_owner(c, net) && !json_is_true(json_object_get(net, "shared")))
                        return ctx_error(c, -EACCES, RES_PORT, "(rule:create_port) is disallowed by policy.");
                if ((r = owner_only(c, obj, net, true)) < 0 || (r = network_owner_prepare(c, &res_port, obj)) < 0 ||
                    (r = network_quota_check(c, jx_string(obj, "project_id"), "port", 1)) < 0)
                        return r;
        } else if (!json_object_get(obj, "project_id"))
                json_object_set(obj, "project_id", json_object_get(net, "project_id"));
        json_object_del(obj, "tenant_id");
        if (!json_object_get(obj, "port_security_enabled"))
                json_object_set(obj, "port_security_enabled", json_object_get(net, "port_security_enabled"));
        bool security = json_is_true(json_object_get(obj, "port_security_enabled"));
        if (!security && json_array_size(json_object_get(obj, "allowed_address_pairs")))
                return ctx_error(c, -EBUSY, RES_PORT, "Port Security must be enabled in order to have allowed address pairs on a port.");
        if (!security && json_array_size(json_object_get(obj, "security_groups")))
                return ctx_error(c, -EINVAL, RES_PORT,
                                 "Port security must be enabled and port must have an IP address in order to use security groups.");
        if ((r = check_mac(c, obj, jx_string(obj, "network_id"), NULL)) < 0)
                return r;
        if (!json_object_get(obj, "mac_address")) {
                char mac[MAC_TEXT_MAX];
                if ((r = network_mac_generate(c, jx_string(obj, "network_id"), mac)) < 0)
                        return r;
                json_object_set_new(obj, "mac_address", json_string(mac));
        }
        if ((r = check_pairs(c, obj, jx_string(obj, "mac_address"))) < 0)
                return r;
        json_object_set_new(obj, "status", json_string("DOWN"));
        set_vif_type(obj);
        return 0;
}

/*
 * Neutron's rules on update: port security off leaves no room for
 * address pairs (409) or security groups (400 if the request adds some,
 * 409 if the port keeps some); a MAC changes only on an unbound port.
 */
static int port_prepare_update(Ctx *c, json_t *obj, const json_t *old) {
        _cleanup_json_ json_t *net = NULL;
        const char *id = jx_string(old, "id");
        int r = res_get(c, &res_network, jx_string(old, "network_id"), &net);
        if (r < 0 || (r = owner_only(c, obj, net, false)) < 0)
                return r;
        const char *mac = jx_string(obj, "mac_address");
        if (mac && (r = check_mac(c, obj, jx_string(old, "network_id"), id)) < 0)
                return r;
        if (mac && streq(jx_string(obj, "mac_address"), jx_string(old, "mac_address")))
                json_object_del(obj, "mac_address");
        else if (mac) {
                const char *vif = jx_string(old, "binding:vif_type");
                if (vif && !streq(vif, "unbound") && !streq(vif, "binding_failed"))
                        return ctx_error(c, -EBUSY, RES_PORT,
                                         "Unable to complete operation on port %s, port is already bound, port type: %s, old_mac %s, new_mac %s.",
                                         id, vif, jx_string(old, "mac_address"), jx_string(obj, "mac_address"));
        }
        json_t *ps = json_object_get(obj, "port_security_enabled");
        bool security = ps ? json_is_true(ps) : json_is_true(json_object_get(old, "port_security_enabled"));
        json_t *pairs = json_object_get(obj, "allowed_address_pairs"), *groups = json_object_get(obj, "security_groups");
        if (!security) {
                if (json_array_size(pairs) || (!pairs && json_array_size(json_object_get(old, "allowed_address_pairs"))))
                        return ctx_error(c, -EBUSY, RES_PORT,
                                         "Port Security must be enabled in order to have allowed address pairs on a port.");
                if (json_array_size(groups))
                        return ctx_error(c, -EINVAL, RES_PORT,
                                         "Port security must be enabled and port must have an IP address in order to use security groups.");
                if (!groups && group_count(c, id) > 0)
                        return ctx_error(c, -EBUSY, RES_PORT,
                                         "Port has security group associated. Cannot disable port security or IP address until security group is removed.");
        }
        const char *pair_mac = jx_string(obj, "mac_address") ? jx_string(obj, "mac_address") : jx_string(old, "mac_address");
        if ((r = check_pairs(c, obj, pair_mac)) < 0)
                return r;
        if (json_object_get(obj, "binding:host_id"))
                set_vif_type(obj);
        return 0;
}

/*
 * Fills defaults and checks obj; on create with internal, the service's
 * own ports skip the caller's policy and quota (a router's gateway port
 * on an external network belongs to no project).
 */
static int port_prepare_as(Ctx *c, json_t *obj, const json_t *old, bool internal) {
        int r;
        network_revision_bump(obj, old);
        if (!internal && (r = network_admin_only(c, &res_port, obj, !old, admin_fields)) < 0)
                return r;
        json_t *tags = json_object_get(obj, "tags");
        if (tags && json_array_size(tags) > NETWORK_TAGS_MAX)
                return ctx_error(c, -EINVAL, RES_PORT, "Bad ports request: The number of tags exceed the per-resource limit of %d.",
                                 NETWORK_TAGS_MAX);
        return old ? port_prepare_update(c, obj, old) : port_prepare_create(c, obj, internal);
}

static int port_prepare(Ctx *c, json_t *obj, const json_t *old) {
        return port_prepare_as(c, obj, old, false);
}

static int port_after(Ctx *c, const json_t *obj, const json_t *old) {
        const char *id = jx_string(obj, "id");
        const char *project_id = jx_string(old ? old : obj, "project_id");
        const char *owner = jx_string(old && !json_object_get(obj, "device_owner") ? old : obj, "device_owner");
        json_t *fixed = json_object_get(obj, "fixed_ips"), *groups = json_object_get(obj, "security_groups");
        int r;

        if (old) {
                const char *mac = jx_string(obj, "mac_address");
                if (fixed || mac) {
                        _cleanup_json_ json_t *cur = json_deep_copy(old);
                        if (json_object_get(obj, "device_owner"))
                                json_object_set(cur, "device_owner", json_object_get(obj, "device_owner"));
                        if ((r = network_port_ips_update(c, cur, fixed, mac)) < 0)
                                return r;
                }
                return groups ? bind_groups(c, id, project_id, json_is_null(groups) ? NULL : groups) : 0;
        }
        if ((r = network_port_ips_create(c, obj, fixed)) < 0)
                return r;
        if (json_object_get(obj, "tags") && (r = network_tags_init(c, id, json_object_get(obj, "tags"))) < 0)
                return r;
        if (groups)
                return bind_groups(c, id, project_id, json_is_null(groups) ? NULL : groups);
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

int network_port_floatingips_release(Ctx *c, const char *port_id) {
        int r = db_run(c->db,
                       "UPDATE floatingips SET port_id = NULL, fixed_ip_address = NULL, router_id = NULL, status = 'DOWN',"
                       " revision_number = revision_number + 1, updated_at = ? WHERE port_id = ?",
                       "is", now_usec(), port_id);
        return r < 0 ? res_db_error(c, r, RES_FLOATINGIP, "disassociating a port's floating IPs") : 0;
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
        int r = network_port_floatingips_release(c, jx_string(old, "id"));
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
                for (size_t i = 0; admin_view[i]; i++)
                        json_object_del(obj, admin_view[i]);
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
        _cleanup_json_ json_t *want = json_array();
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
        _cleanup_json_ json_t *have = json_object(), *port = NULL;
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
        if ((r = res_get(c, &res_port, port_id, &port)) < 0)
                return r;
        json_array_foreach(want, i, v) {
                _cleanup_json_ json_t *subnet = NULL;
                if (json_object_get(have, json_string_value(v)))
                        continue;
                if ((r = res_get(c, &res_subnet, json_string_value(v), &subnet)) < 0 ||
                    (r = network_port_ip_claim(c, port, subnet, NULL, (int) i)) < 0)
                        return r;
        }
        return 0;
}
