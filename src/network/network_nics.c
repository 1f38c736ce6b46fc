/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's NICs, as compute asks for them (see network.h): Nova's rules
 * for choosing networks (the one network a project has, "auto", "none"),
 * ports made in compute's transaction so a server and its ports exist
 * together or not at all, binding to the host, release on delete, and
 * the description the guest's definition and metadata are made from.
 */
#include "network/network_internal.h"
#include "net/net.h"
#include "util/log.h"

static bool listed(const json_t *list, const char *id) {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
                if (streq_ptr(json_string_value(v), id))
                        return true;
        return false;
}

/* Networks a project may boot on: its own and shared ones, not external ones. */
static int available_networks(Ctx *c, const char *project_id, json_t **ret) {
        ResQuery q;
        res_query_init(&q);
        buf_puts(&q.where, " AND (project_id = ? OR shared = 1) AND router_external = 0");
        db_args_str(&q.args, project_id);
        int r = res_list(c, &res_network, &q, ret, NULL);
        res_query_done(&q);
        return r;
}

static bool network_usable_by(const json_t *net, const char *project_id) {
        return streq_ptr(jx_string(net, "project_id"), project_id) || json_is_true(json_object_get(net, "shared"));
}

static int64_t subnet_count(Ctx *c, const char *network_id) {
        int64_t n = 0;
        db_query_int(c->db, &n, "SELECT COUNT(*) FROM subnets WHERE network_id = ?", "s", network_id);
        return n;
}

static int check_one(Ctx *c, const char *project_id, const NetworkNicRequest *rq) {
        _cleanup_json_ json_t *rec = NULL;
        int r;
        if (rq->port_id) {
                r = res_lookup(c, &res_port, rq->port_id, &rec);
                if (r == -ENOENT || (r >= 0 && !c->auth.is_admin && !streq_ptr(jx_string(rec, "project_id"), project_id)))
                        return ctx_error(c, -EINVAL, RES_PORT, "Port id %s could not be found.", rq->port_id);
                if (r < 0)
                        return r;
                if (!isempty(jx_string(rec, "device_id")))
                        return ctx_error(c, -EBUSY, RES_PORT, "Port %s is still in use.", rq->port_id);
                return 0;
        }
        r = res_lookup(c, &res_network, rq->network_id, &rec);
        if (r == -ENOENT || (r >= 0 && !c->auth.is_admin && !network_usable_by(rec, project_id)))
                return ctx_error(c, -EINVAL, RES_NETWORK, "Network %s could not be found.", rq->network_id);
        if (r < 0)
                return r;
        if (subnet_count(c, rq->network_id) == 0)
                return ctx_error(c, -EINVAL, RES_NETWORK, "Network %s requires a subnet in order to boot instances on.",
                                 rq->network_id);
        if (rq->fixed_ip) {
                InetAddr a;
                int64_t n = 0;
                if (inet_addr_parse(rq->fixed_ip, &a) < 0)
                        return ctx_error(c, -EINVAL, RES_NETWORK, "Invalid fixed IP address (%s)", rq->fixed_ip);
                r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM port_ips WHERE network_id = ? AND ip_address = ?", "ss",
                                 rq->network_id, rq->fixed_ip);
                if (r < 0)
                        return res_db_error(c, r, RES_NETWORK, "checking a fixed IP");
                if (n > 0)
                        return ctx_error(c, -EINVAL, RES_NETWORK, "Fixed IP address %s is already in use on network %s.",
                                         rq->fixed_ip, rq->network_id);
        }
        return 0;
}

/*
 * Nova's security_groups of a create ([{"name"}], a name or an id each)
 * as group ids of project_id: 400 for one that does not exist, 409 for a
 * name two groups share.  NULL for none asked (the port's default).
 */
static int resolve_groups(Ctx *c, const char *project_id, const json_t *groups, json_t **ret) {
        _cleanup_json_ json_t *ids = NULL;
        size_t i;
        json_t *g;

        *ret = NULL;
        if (json_array_size(groups) == 0)
                return 0;
        ids = json_array();
        json_array_foreach(groups, i, g) {
                const char *name = jx_string(g, "name");
                _cleanup_free_ char *id = NULL;
                if (isempty(name))
                        return ctx_error(c, -EINVAL, RES_SECURITY_GROUP, "Security group name cannot be empty.");
                int r = network_security_group_find(c, project_id, name, &id);
                if (r == -ENOTUNIQ)
                        return ctx_error(c, -EBUSY, RES_SECURITY_GROUP,
                                         "Multiple security groups found matching '%s'. Use an ID to be more specific.", name);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_SECURITY_GROUP, "Security group %s not found.", name);
                if (r < 0)
                        return r;
                if (!listed(ids, id))
                        json_array_append_new(ids, json_string(id));
        }
        *ret = TAKE_PTR(ids);
        return 0;
}

/*
 * Get-me-a-network failed with r: what the deployment or the project
 * lacks (Neutron's 409s: no default network or pool, addresses or quota
 * used up) is Nova's 400, told in the log only, as Nova does; anything
 * else (a database error) stays what it is.
 */
static int auto_refused(Ctx *c, const char *project_id, int r) {
        if (r != -EBUSY && r != -EEXIST && r != -EADDRNOTAVAIL && r != -EDQUOT)
                return r;
        log_full(LOG_LEVEL_WARNING, "network", c->request_id, "get-me-a-network for %s: %s", project_id,
                 c->error_message ? c->error_message : "");
        ctx_clear_error(c);
        return ctx_error(c, -EINVAL, RES_NETWORK, "Unable to automatically allocate a network for project %s", project_id);
}

/* Nova asks Neutron whether it could make the project a network (a dry run), and answers 400 if not. */
static int auto_check(Ctx *c, const char *project_id) {
        int r = network_auto_check(c);
        return r < 0 ? auto_refused(c, project_id, r) : 0;
}

int network_nics_check(Ctx *c, const char *project_id, NetworkNicDefault how, const NetworkNicRequest *reqs,
                       size_t n, const json_t *security_groups) {
        _cleanup_json_ json_t *groups = NULL;
        int r = resolve_groups(c, project_id, security_groups, &groups);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if ((r = check_one(c, project_id, &reqs[i])) < 0)
                        return r;
        if (how != NETWORK_NICS_DEFAULT && how != NETWORK_NICS_AUTO)
                return 0;
        _cleanup_json_ json_t *nets = NULL;
        if ((r = available_networks(c, project_id, &nets)) < 0)
                return r;
        if (json_array_size(nets) > 1)
                return ctx_error(c, -EBUSY, RES_NETWORK,
                                 "Multiple possible networks found, use a Network ID to be more specific.");
        if (json_array_size(nets) == 0 && how == NETWORK_NICS_AUTO && n == 0)
                return auto_check(c, project_id);
        return 0;
}

/* A port on network_id for the server, in the caller's transaction. */
static int port_for(Ctx *c, const char *project_id, const char *server_id, const char *hostname,
                    const char *network_id, const char *fixed_ip, const json_t *groups, char **ret_id) {
        _cleanup_json_ json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "network_id", network_id, "project_id",
                                               project_id, "device_id", server_id, "device_owner", "compute:nova",
                                               "dns_name", hostname ? hostname : ""),
                              *rec = NULL;
        if (fixed_ip)
                json_object_set_new(obj, "fixed_ips", json_pack("[{s:s}]", "ip_address", fixed_ip));
        if (groups)
                json_object_set(obj, "security_groups", (json_t *) groups);
        int r = network_quota_check(c, project_id, "port", 1);
        if (r >= 0)
                r = network_port_create_locked(c, obj, &rec);
        if (r < 0)
                return r;
        *ret_id = xstrdup(jx_string(rec, "id"));
        return 0;
}

int network_nics_allocate(Ctx *c, const char *project_id, const char *server_id, const char *hostname,
                          NetworkNicDefault how, const NetworkNicRequest *reqs, size_t n,
                          const json_t *security_groups, json_t **ret) {
        _cleanup_json_ json_t *out = json_array(), *groups = NULL;
        int r = resolve_groups(c, project_id, security_groups, &groups);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                if (reqs[i].port_id) {
                        /* The user's port: taken as it is, kept when the server goes. */
                        r = db_run(c->db, "UPDATE ports SET device_id = ?, device_owner = ?, dns_name = ?"
                                          " WHERE id = ? AND device_id = ''",
                                   "ssss", server_id, "compute:nova", hostname ? hostname : "", reqs[i].port_id);
                        if (r == 0)
                                return ctx_error(c, -EBUSY, RES_PORT, "Port %s is still in use.", reqs[i].port_id);
                        if (r < 0)
                                return res_db_error(c, r, RES_PORT, "taking a port");
                        json_array_append_new(out, json_pack("{s:s, s:b}", "port_id", reqs[i].port_id, "preserve", true));
                        continue;
                }
                _cleanup_free_ char *id = NULL;
                if ((r = port_for(c, project_id, server_id, hostname, reqs[i].network_id, reqs[i].fixed_ip, groups, &id)) < 0)
                        return r;
                json_array_append_new(out, json_pack("{s:s, s:b}", "port_id", id, "preserve", false));
        }
        if (n == 0 && (how == NETWORK_NICS_DEFAULT || how == NETWORK_NICS_AUTO)) {
                _cleanup_json_ json_t *nets = NULL;
                if ((r = available_networks(c, project_id, &nets)) < 0)
                        return r;
                if (json_array_size(nets) > 1)
                        return ctx_error(c, -EBUSY, RES_NETWORK,
                                         "Multiple possible networks found, use a Network ID to be more specific.");
                _cleanup_free_ char *net_id = NULL, *id = NULL;
                if (json_array_size(nets) == 1)
                        net_id = xstrdup(jx_string(json_array_get(nets, 0), "id"));
                else if (how == NETWORK_NICS_AUTO && (r = network_auto_topology(c, project_id, &net_id)) < 0)
                        return auto_refused(c, project_id, r);
                if (net_id) {
                        if ((r = port_for(c, project_id, server_id, hostname, net_id, NULL, groups, &id)) < 0)
                                return r;
                        json_array_append_new(out, json_pack("{s:s, s:b}", "port_id", id, "preserve", false));
                }
        }
        network_dataplane_poke();
        *ret = TAKE_PTR(out);
        return 0;
}

int network_nics_bind(Ctx *c, const char *server_id, const char *host) {
        int r = db_run(c->db,
                       "UPDATE ports SET binding_host_id = ?, binding_vif_type = 'bridge', revision_number = revision_number + 1"
                       " WHERE device_id = ? AND device_owner LIKE 'compute:%'",
                       "ss", host, server_id);
        network_dataplane_poke();
        return r < 0 ? res_db_error(c, r, RES_PORT, "binding a server's ports") : 0;
}

/* Lets a server's port go: deleted, or unbound and kept (preserve). */
static int release_one(Ctx *c, const char *id, bool preserve) {
        /* A floating IP on the port lets go of it, as when Neutron deletes or unbinds the port. */
        int r = network_port_floatingips_release(c, id);
        if (r < 0)
                return r;
        if (preserve)
                r = db_run(c->db, "UPDATE ports SET device_id = '', device_owner = '', binding_host_id = '',"
                                  " binding_vif_type = 'unbound', status = 'DOWN' WHERE id = ?",
                           "s", id);
        else
                r = network_port_delete_locked(c, id);
        return r < 0 ? res_db_error(c, r, RES_PORT, "releasing a server's ports") : 0;
}

int network_nics_release(Ctx *c, const char *server_id, const json_t *preserve) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ports = json_array();
        int r = db_query(c->db, &s, "SELECT id FROM ports WHERE device_id = ? AND device_owner LIKE 'compute:%'", "s",
                         server_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ports, json_string(db_col_text(s, 0)));
        db_stmt_release(TAKE_PTR(s));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a server's ports");
        size_t i;
        json_t *v;
        json_array_foreach(ports, i, v) {
                const char *id = json_string_value(v);
                if ((r = release_one(c, id, listed(preserve, id))) < 0)
                        return r;
        }
        network_dataplane_poke();
        return 0;
}

int network_nic_release(Ctx *c, const char *server_id, const char *port_id, bool preserve) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM ports WHERE id = ? AND device_id = ?", "ss", port_id,
                             server_id);
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a server's port");
        if (n == 0)
                return 0;
        r = release_one(c, port_id, preserve);
        if (r >= 0)
                network_dataplane_poke();
        return r;
}

static json_t *describe_one(Ctx *c, const json_t *port) {
        _cleanup_json_ json_t *net = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        const char *id = jx_string(port, "id");
        json_t *fixed = json_array(), *floating = json_array();

        if (res_lookup(c, &res_network, jx_string(port, "network_id"), &net) < 0)
                ctx_clear_error(c);
        if (db_query(c->db, &s,
                     "SELECT i.ip_address, n.ip_version, n.cidr, n.gateway_ip, n.dns_nameservers, n.host_routes, n.id"
                     " FROM port_ips i JOIN subnets n ON n.id = i.subnet_id WHERE i.port_id = ? ORDER BY i.seq, i.ip_address",
                     "s", id) >= 0)
                while (db_step(s) > 0) {
                        json_error_t err;
                        json_t *dns = jx_parse(db_col_text(s, 4), strlen(db_col_text(s, 4)), &err);
                        json_t *routes = jx_parse(db_col_text(s, 5), strlen(db_col_text(s, 5)), &err);
                        json_array_append_new(fixed, json_pack("{s:s, s:s, s:I, s:s, s:s?, s:o, s:o}", "ip_address",
                                                               db_col_text(s, 0), "subnet_id", db_col_text(s, 6),
                                                               "version", (json_int_t) db_col_int(s, 1), "cidr",
                                                               db_col_text(s, 2), "gateway_ip", db_col_text(s, 3),
                                                               "dns_nameservers", dns ? dns : json_array(),
                                                               "host_routes", routes ? routes : json_array()));
                }
        db_stmt_release(TAKE_PTR(s));
        if (db_query(c->db, &s, "SELECT floating_ip_address FROM floatingips WHERE port_id = ? ORDER BY floating_ip_address",
                     "s", id) >= 0)
                while (db_step(s) > 0)
                        json_array_append_new(floating, json_string(db_col_text(s, 0)));
        char bridge[NET_IFNAME_MAX + 1] = "", tap[NET_IFNAME_MAX + 1] = "";
        if (net)
                network_dataplane_devices(net, id, bridge, tap);
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:o}", "port_id", id, "status",
                         jx_string(port, "status") ?: "DOWN", "network_id",
                         jx_string(port, "network_id"), "network_name", net ? jx_string(net, "name") : "",
                         "bridge", bridge, "tap", tap,
                         "mac_address", jx_string(port, "mac_address"), "mtu",
                         (json_int_t) (net ? json_integer_value(json_object_get(net, "mtu")) : 1500), "port_security",
                         json_is_true(json_object_get(port, "port_security_enabled")), "fixed_ips", fixed,
                         "floating_ips", floating);
}

int network_nics_describe(Ctx *c, const json_t *port_ids, json_t **ret) {
        json_t *out = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(port_ids, i, v) {
                _cleanup_json_ json_t *port = NULL;
                int r = res_lookup(c, &res_port, json_string_value(v), &port);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        json_decref(out);
                        return r;
                }
                json_array_append_new(out, describe_one(c, port));
        }
        *ret = out;
        return 0;
}

int network_port_device_at(Ctx *c, const char *network_id, const char *ip, char **ret_device_id) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT p.device_id FROM port_ips i JOIN ports p ON p.id = i.port_id"
                         " WHERE i.network_id = ? AND i.ip_address = ? AND p.device_owner LIKE 'compute:%'",
                         "ss", network_id, ip);
        if (r >= 0 && (r = db_step(s)) > 0 && !isempty(db_col_text(s, 0))) {
                *ret_device_id = xstrdup(db_col_text(s, 0));
                return 0;
        }
        return r < 0 ? res_db_error(c, r, RES_PORT, "finding a port by address") : -ENOENT;
}

int network_devices_with_ip(Ctx *c, const char *text, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ids = json_array();
        int r = db_query(c->db, &s,
                         "SELECT DISTINCT p.device_id FROM port_ips i JOIN ports p ON p.id = i.port_id"
                         " WHERE instr(i.ip_address, ?) > 0 AND p.device_owner LIKE 'compute:%' AND p.device_id <> ''"
                         " ORDER BY p.device_id",
                         "s", text);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ids, json_string(db_col_text(s, 0)));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "finding ports by address");
        *ret = TAKE_PTR(ids);
        return 0;
}
