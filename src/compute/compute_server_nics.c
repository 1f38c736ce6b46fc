/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's NICs, compute's side of them.  Networking owns the ports
 * (network.h); compute keeps which ports a server has, in the guest's
 * order, and which of them the user brought (server_nics: those are
 * left behind, unbound, when the server goes, as Nova does).  Ports are
 * made in the create's transaction, bound and wired before the guest is
 * defined, and released in the delete's transaction, so a server and
 * its ports exist together or not at all.
 */
#include "compute/compute_internal.h"
#include "util/inet.h"
#include "util/log.h"

/* How long a build waits for the data plane to wire its ports before it retries. */
#define WIRE_TIMEOUT_USEC (30 * 1000000LL)

int compute_nics_parse(Ctx *c, const json_t *networks, int64_t max_count, ServerCreate *rq) {
        size_t i;
        json_t *n;

        rq->nics = NULL;
        rq->n_nics = 0;
        if (!networks) {
                rq->nics_how = NETWORK_NICS_DEFAULT;
                return 0;
        }
        if (json_is_string(networks)) {
                rq->nics_how = streq(json_string_value(networks), "auto") ? NETWORK_NICS_AUTO : NETWORK_NICS_NONE;
                return 0;
        }
        rq->nics_how = NETWORK_NICS_LISTED;
        rq->nics = xcalloc(json_array_size(networks) + 1, sizeof(NetworkNicRequest));
        json_array_foreach(networks, i, n) {
                NetworkNicRequest *q = &rq->nics[rq->n_nics++];
                *q = (NetworkNicRequest) { .network_id = jx_string(n, "uuid"), .port_id = jx_string(n, "port"),
                                           .fixed_ip = jx_string(n, "fixed_ip"), .tag = jx_string(n, "tag") };
                if (q->port_id) {
                        /* A port brings its own network: a uuid beside it is ignored, as by Nova. */
                        q->network_id = NULL;
                        if (!uuid_is_valid(q->port_id))
                                return ctx_error(c, -EINVAL, RES_SERVER,
                                                 "Bad networks format: port uuid is not in proper format (%s)", q->port_id);
                        if (max_count > 1)
                                return ctx_error(c, -EINVAL, RES_SERVER,
                                                 "Unable to launch multiple instances with a single configured port ID. "
                                                 "Please launch your instance one by one with different ports.");
                        for (size_t k = 0; k + 1 < rq->n_nics; k++)
                                if (streq_ptr(rq->nics[k].port_id, q->port_id))
                                        return ctx_error(c, -EBUSY, RES_PORT, "Port %s is still in use.", q->port_id);
                        continue;
                }
                if (!q->network_id)
                        return ctx_error(c, -EINVAL, RES_SERVER, "Bad networks format: network uuid is not in proper format ()");
                if (!uuid_is_valid(q->network_id))
                        return ctx_error(c, -EINVAL, RES_SERVER,
                                         "Bad networks format: network uuid is not in proper format (%s)", q->network_id);
                if (q->fixed_ip && max_count > 1)
                        return ctx_error(c, -EINVAL, RES_SERVER,
                                         "max_count cannot be greater than 1 if an fixed_ip is specified.");
        }
        return 0;
}

int compute_nics_allocate(Ctx *c, const ServerCreate *rq, const char *server_id, const char *hostname) {
        _cleanup_json_ json_t *made = NULL;
        size_t i;
        json_t *v;
        int r = network_nics_allocate(c, c->auth.project_id, server_id, hostname, rq->nics_how, rq->nics, rq->n_nics,
                                      rq->security_groups, &made);
        if (r < 0)
                return r;
        json_array_foreach(made, i, v) {
                /* The listed requests and the ports made agree one to one; a default NIC has no tag. */
                const char *tag = i < rq->n_nics ? rq->nics[i].tag : NULL;
                r = db_run(c->db, "INSERT INTO server_nics (server_id, position, port_id, preserve, tag) VALUES (?, ?, ?, ?, ?)",
                           "sisis", server_id, (int64_t) i, jx_string(v, "port_id"),
                           (int64_t) json_is_true(json_object_get(v, "preserve")), tag);
                if (r < 0)
                        return res_db_error(c, r, RES_SERVER, "storing a server's NICs");
        }
        return 0;
}

int compute_nics_add(Ctx *c, const json_t *rec, NetworkNicDefault how, const NetworkNicRequest *rq, size_t n,
                     char **ret_port_id) {
        const char *id = jx_string(rec, "id");
        _cleanup_json_ json_t *made = NULL;
        int64_t count = 0, next = 0;
        int r = db_query_int(c->db, &count, "SELECT COUNT(*) FROM server_nics WHERE server_id = ?", "s", id);
        if (r >= 0)
                r = db_query_int(c->db, &next, "SELECT COALESCE(MAX(position) + 1, 0) FROM server_nics WHERE server_id = ?",
                                 "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading a server's NICs");
        if (count >= VIRT_MAX_NICS)
                return ctx_error(c, -EDQUOT, RES_SERVER, "Maximum number of ports exceeded");
        r = network_nics_allocate(c, jx_string(rec, "project_id"), id, jx_string(rec, "hostname"), how, rq, n, NULL,
                                  &made);
        if (r < 0)
                return r;
        json_t *nic = json_array_get(made, 0);
        if (!nic)
                return ctx_error(c, -EINVAL, RES_SERVER, "No network is available to attach server %s to.", id);
        r = db_run(c->db, "INSERT INTO server_nics (server_id, position, port_id, preserve, tag) VALUES (?, ?, ?, ?, ?)",
                   "sisis", id, next, jx_string(nic, "port_id"), (int64_t) json_is_true(json_object_get(nic, "preserve")),
                   n > 0 ? rq->tag : NULL);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "storing a server's NIC");
        *ret_port_id = xstrdup(jx_string(nic, "port_id"));
        return 0;
}

int compute_nics_remove(Ctx *c, const char *server_id, const char *port_id) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT preserve FROM server_nics WHERE server_id = ? AND port_id = ?", "ss", server_id,
                         port_id);
        if (r >= 0)
                r = db_step(s);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading a server's NICs");
        if (r == 0)
                return -ENOENT;
        bool preserve = db_col_int(s, 0) != 0;
        db_stmt_release(TAKE_PTR(s));
        r = network_nic_release(c, server_id, port_id, preserve);
        if (r >= 0 && (r = db_run(c->db, "DELETE FROM server_nics WHERE server_id = ? AND port_id = ?", "ss", server_id,
                                  port_id)) < 0)
                return res_db_error(c, r, RES_SERVER, "removing a server's NIC");
        return r < 0 ? r : 0;
}

/* The server's port ids in the guest's order; with ret_preserve, those the user brought. */
static int nic_ports(Ctx *c, const char *server_id, json_t **ret_ports, json_t **ret_preserve) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ports = json_array(), *preserve = json_array();
        int r = db_query(c->db, &s, "SELECT port_id, preserve FROM server_nics WHERE server_id = ? ORDER BY position", "s",
                         server_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                json_array_append_new(ports, json_string(db_col_text(s, 0)));
                if (db_col_int(s, 1))
                        json_array_append_new(preserve, json_string(db_col_text(s, 0)));
        }
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading a server's NICs");
        *ret_ports = TAKE_PTR(ports);
        if (ret_preserve)
                *ret_preserve = TAKE_PTR(preserve);
        return 0;
}

int compute_nics_describe(Ctx *c, const char *server_id, json_t **ret) {
        _cleanup_json_ json_t *ports = NULL;
        int r = nic_ports(c, server_id, &ports, NULL);
        return r < 0 ? r : network_nics_describe(c, ports, ret);
}

int compute_nics_wire(Ctx *c, const json_t *rec, const char *host, json_t **ret) {
        const char *id = jx_string(rec, "id");
        _cleanup_json_ json_t *nics = NULL;
        int r = compute_nics_describe(c, id, &nics);
        if (r < 0)
                return r;
        if (json_array_size(nics) > 0) {
                /* The bridges must exist before libvirt plugs the taps into them. */
                r = network_nics_bind(c, id, host);
                if (r < 0)
                        return r;
                r = network_dataplane_wait(network_dataplane_poke(), WIRE_TIMEOUT_USEC);
                if (r == -ETIMEDOUT || r == -ECANCELED)
                        return ctx_error(c, -EAGAIN, RES_SERVER, "The network of server %s is not wired yet on %s.", id,
                                         host);
                /*
                 * An apply that failed may have failed elsewhere (another
                 * network, a router): the guest goes ahead once its own
                 * bridges exist, and waits (the task tries again) while one
                 * does not.  A tap the rules do not know yet is cut off by
                 * the data plane until they do.
                 */
                if (r < 0) {
                        size_t i;
                        json_t *nic;
                        json_array_foreach(nics, i, nic) {
                                _cleanup_free_ char *dev = xasprintf("/sys/class/net/%s", jx_string(nic, "bridge"));
                                if (access(dev, F_OK) < 0)
                                        return ctx_error(c, -EAGAIN, RES_SERVER,
                                                         "The bridge %s of server %s is not there yet: %s.",
                                                         jx_string(nic, "bridge"), id, strerror(-r));
                        }
                        log_warning("compute", "server %s: the data plane's last apply failed (%s); its bridges are there",
                                    id, strerror(-r));
                }
        }
        *ret = TAKE_PTR(nics);
        return 0;
}

int compute_nics_release(Ctx *c, const char *server_id) {
        _cleanup_json_ json_t *ports = NULL, *preserve = NULL;
        int r = nic_ports(c, server_id, &ports, &preserve);
        if (r >= 0)
                r = network_nics_release(c, server_id, preserve);
        if (r >= 0 && (r = db_run(c->db, "DELETE FROM server_nics WHERE server_id = ?", "s", server_id)) < 0)
                return res_db_error(c, r, RES_SERVER, "releasing a server's NICs");
        return r < 0 ? r : 0;
}

/* One entry of addresses. */
static json_t *address(int version, const char *addr, const char *type, const char *mac, bool extended) {
        json_t *a = json_pack("{s:i, s:s}", "version", version, "addr", addr);
        if (extended) {
                json_object_set_new(a, "OS-EXT-IPS:type", json_string(type));
                json_object_set_new(a, "OS-EXT-IPS-MAC:mac_addr", json_string(mac));
        }
        return a;
}

json_t *compute_nics_addresses(Ctx *c, const json_t *port_ids, bool extended) {
        _cleanup_json_ json_t *nics = NULL;
        json_t *out = json_object();
        size_t i, k;
        json_t *nic, *v;

        if (json_array_size(port_ids) == 0)
                return out;
        if (network_nics_describe(c, port_ids, &nics) < 0) {
                ctx_clear_error(c);
                return out;
        }
        /* Nova's addresses: by network name, the fixed addresses, then the floating ones. */
        json_array_foreach(nics, i, nic) {
                const char *net = jx_string(nic, "network_name") ?: "", *mac = jx_string(nic, "mac_address");
                json_t *list = json_object_get(out, net);
                if (!list) {
                        list = json_array();
                        json_object_set_new(out, net, list);
                }
                json_array_foreach(json_object_get(nic, "fixed_ips"), k, v)
                        json_array_append_new(list, address((int) json_integer_value(json_object_get(v, "version")),
                                                            jx_string(v, "ip_address"), "fixed", mac, extended));
                json_array_foreach(json_object_get(nic, "floating_ips"), k, v) {
                        InetAddr a;
                        int version = inet_addr_parse(json_string_value(v), &a) >= 0 ? a.version : 4;
                        json_array_append_new(list, address(version, json_string_value(v), "floating", mac, extended));
                }
        }
        return out;
}
