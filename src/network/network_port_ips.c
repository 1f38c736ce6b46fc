/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixed IPs of ports, as Neutron's IPAM backend decides them: on
 * create, the addresses asked for (by subnet, by address or both) or, when
 * none are, one IPv4 address and one DHCPv6-stateful address, each from
 * the first subnet of its kind with room; and on every SLAAC or
 * DHCPv6-stateless subnet the port's EUI-64 address, always.  On update,
 * an address asked for again is kept, one no longer asked for is released
 * (SLAAC ones stay), a new one is claimed; a new MAC moves the SLAAC
 * addresses with it.  Everything runs in the port's transaction; the
 * claims themselves are network_ip_allocate's (network_ipam.c).
 */
#include "network/network_internal.h"

/* Router legs take addresses like any port, never SLAAC ones (Neutron's ROUTER_INTERFACE_OWNERS_SNAT). */
static bool router_interface(const json_t *port) {
        const char *owner = jx_string(port, "device_owner");
        return owner && (startswith(owner, OWNER_ROUTER_INTERFACE) || streq(owner, "network:router_centralized_snat") ||
                         streq(owner, "network:ha_router_replicated_interface"));
}

/* The network's subnets, oldest first. */
static int network_subnets(Ctx *c, const char *network_id, json_t **ret) {
        ResQuery q;
        res_query_init(&q);
        json_object_set_new(q.filters, "network_id", json_string(network_id));
        int r = res_list(c, &res_subnet, &q, ret, NULL);
        res_query_done(&q);
        return r;
}

static const json_t *subnet_by_id(const json_t *subnets, const char *id) {
        size_t i;
        json_t *s;
        json_array_foreach(subnets, i, s)
                if (streq_ptr(jx_string(s, "id"), id))
                        return s;
        return NULL;
}

/* Whether ip may be a port's on subnet s: inside it, not its network address nor (IPv4) its broadcast. */
static bool ip_fits(const json_t *s, const InetAddr *ip) {
        InetPrefix p;
        if (inet_prefix_parse(jx_string(s, "cidr"), false, &p, NULL) < 0 || !inet_prefix_contains(&p, ip))
                return false;
        bool v4 = p.addr.version == 4;
        InetAddr first = inet_prefix_first(&p), last = inet_prefix_last(&p);
        if (p.len >= (v4 ? 31u : 127u))
                return true;
        return inet_addr_cmp(ip, &first) != 0 && !(v4 && inet_addr_cmp(ip, &last) == 0);
}

/* The port's SLAAC address on an auto-address subnet, from mac. */
static int eui64_of(Ctx *c, const json_t *subnet, const char *mac, char ret[static INET_ADDR_MAX]) {
        InetPrefix p;
        InetAddr a;
        uint8_t m[6];
        if (inet_prefix_parse(jx_string(subnet, "cidr"), false, &p, NULL) < 0 || mac_parse(mac, m) < 0 ||
            inet_addr_eui64(&p, m, &a) < 0)
                return ctx_error(c, -EIO, RES_SUBNET, "Cannot make the SLAAC address of MAC %s on subnet %s.", mac,
                                 jx_string(subnet, "id"));
        inet_addr_format(&a, ret);
        return 0;
}

int network_port_ip_claim(Ctx *c, const json_t *port, const json_t *subnet, const char *want, int seq) {
        char got[INET_ADDR_MAX], eui[INET_ADDR_MAX];
        if (!want && network_subnet_is_auto(subnet) && !router_interface(port)) {
                int r = eui64_of(c, subnet, jx_string(port, "mac_address"), eui);
                if (r < 0)
                        return r;
                want = eui;
        }
        return network_ip_allocate(c, subnet, jx_string(port, "id"), jx_string(port, "network_id"), want, seq, got);
}

/* One entry of fixed_ips resolved: its subnet and the address asked for (NULL: any). */
typedef struct FixedIp {
        const json_t *subnet;    /* borrowed from the network's subnet list */
        const char *ip;          /* borrowed from the request */
} FixedIp;

/* Resolves fixed_ips against the network's subnets, with Neutron's errors. */
static int fixed_resolve(Ctx *c, const json_t *port, const json_t *subnets, const json_t *fixed, FixedIp *ret) {
        const char *network_id = jx_string(port, "network_id");
        size_t i;
        json_t *f;

        if (json_array_size(fixed) > (size_t) networking.cfg->network_max_fixed_ips)
                return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for operation: Exceeded maximum amount of fixed ips per port.");
        json_array_foreach(fixed, i, f) {
                const char *subnet_id = jx_string(f, "subnet_id"), *ip = jx_string(f, "ip_address");
                InetAddr a;
                const json_t *s = NULL;
                if (ip && inet_addr_parse(ip, &a) < 0)
                        return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for fixed_ips. Reason: '%s' is not a valid IP address.",
                                         ip);
                if (subnet_id) {
                        s = subnet_by_id(subnets, subnet_id);
                        if (!s) {
                                _cleanup_json_ json_t *other = NULL;
                                int r = res_get(c, &res_subnet, subnet_id, &other);
                                if (r < 0)
                                        return r;
                                return ctx_error(c, -EINVAL, RES_PORT,
                                                 "Invalid input for operation: Failed to create port on network %s, because fixed_ips included invalid subnet %s.",
                                                 network_id, subnet_id);
                        }
                        if (ip && !ip_fits(s, &a))
                                return ctx_error(c, -EINVAL, RES_PORT, "IP address %s is not a valid IP for the specified subnet.",
                                                 ip);
                } else if (ip) {
                        size_t j;
                        json_t *cand;
                        json_array_foreach(subnets, j, cand)
                                if (ip_fits(cand, &a)) {
                                        s = cand;
                                        break;
                                }
                        if (!s)
                                return ctx_error(c, -EINVAL, RES_PORT,
                                                 "IP address %s is not a valid IP for any of the subnets on the specified network.",
                                                 ip);
                } else
                        return ctx_error(c, -EINVAL, RES_PORT,
                                         "Invalid input for operation: IP allocation requires subnet_id or ip_address.");
                if (ip && network_subnet_is_auto(s) && !router_interface(port)) {
                        char eui[INET_ADDR_MAX];
                        InetAddr e;
                        int r = eui64_of(c, s, jx_string(port, "mac_address"), eui);
                        if (r < 0)
                                return r;
                        if (inet_addr_parse(eui, &e) < 0 || inet_addr_cmp(&e, &a) != 0)
                                return ctx_error(c, -EINVAL, RES_PORT,
                                                 "IPv6 address %s cannot be directly assigned to a port on subnet %s as the subnet is configured for automatic addresses.",
                                                 ip, jx_string(s, "id"));
                }
                ret[i] = (FixedIp) { s, ip };
        }
        return 0;
}

/* Whether id is one of ids. */
static bool listed(const char *const *ids, size_t n, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(ids[i], id))
                        return true;
        return false;
}

/* The SLAAC address on every auto-address subnet not handled yet (routers' legs take none). */
static int claim_auto(Ctx *c, const json_t *port, const json_t *subnets, const char *const *handled, size_t n_handled,
                      int *seq) {
        size_t i;
        json_t *s;
        if (router_interface(port))
                return 0;
        json_array_foreach(subnets, i, s) {
                if (!network_subnet_is_auto(s) || listed(handled, n_handled, jx_string(s, "id")))
                        continue;
                int r = network_port_ip_claim(c, port, s, NULL, (*seq)++);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One address from the first subnet of group (IPv4, or IPv6 stateful) with room; 409 when all are full. */
static int claim_from_group(Ctx *c, const json_t *port, const json_t *subnets, int version, int *seq) {
        size_t i;
        json_t *s;
        bool any = false;
        json_array_foreach(subnets, i, s) {
                if (json_integer_value(json_object_get(s, "ip_version")) != version || network_subnet_is_auto(s))
                        continue;
                any = true;
                int r = network_port_ip_claim(c, port, s, NULL, *seq);
                if (r == -EADDRNOTAVAIL) {
                        ctx_clear_error(c);
                        continue;
                }
                if (r < 0)
                        return r;
                (*seq)++;
                return 0;
        }
        if (!any)
                return 0;
        return ctx_error(c, -EADDRNOTAVAIL, RES_PORT, "No more IP addresses available on network %s.",
                         jx_string(port, "network_id"));
}

int network_port_ips_create(Ctx *c, const json_t *port, const json_t *fixed) {
        _cleanup_json_ json_t *subnets = NULL;
        int seq = 0, r = network_subnets(c, jx_string(port, "network_id"), &subnets);
        if (r < 0)
                return r;
        if (!fixed) {
                if ((r = claim_from_group(c, port, subnets, 4, &seq)) < 0 ||
                    (r = claim_from_group(c, port, subnets, 6, &seq)) < 0)
                        return r;
                return claim_auto(c, port, subnets, NULL, 0, &seq);
        }
        size_t n = json_array_size(fixed);
        _cleanup_free_ FixedIp *want = xcalloc(n ? n : 1, sizeof(*want));
        _cleanup_free_ const char **handled = xcalloc(n ? n : 1, sizeof(*handled));
        size_t n_handled = 0;
        if ((r = fixed_resolve(c, port, subnets, fixed, want)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                /* A bare subnet on an auto-address subnet is the SLAAC address, claimed below. */
                if (!want[i].ip && network_subnet_is_auto(want[i].subnet) && !router_interface(port))
                        continue;
                if ((r = network_port_ip_claim(c, port, want[i].subnet, want[i].ip, seq++)) < 0)
                        return r;
                handled[n_handled++] = jx_string(want[i].subnet, "id");
        }
        return claim_auto(c, port, subnets, handled, n_handled, &seq);
}

/* An address a port holds. */
typedef struct HeldIp {
        char *subnet_id;
        char *ip;
        bool keep, remove;       /* matched by the request / to be released */
} HeldIp;

static void held_free(HeldIp *h, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(h[i].subnet_id);
                free(h[i].ip);
        }
        free(h);
}

static int held_read(Ctx *c, const char *port_id, HeldIp **ret, size_t *ret_n) {
        _cleanup_stmt_ DbStmt *s = NULL;
        HeldIp *h = NULL;
        size_t n = 0;
        int r = db_query(c->db, &s, "SELECT subnet_id, ip_address FROM port_ips WHERE port_id = ? ORDER BY seq, ip_address",
                         "s", port_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                h = xrealloc(h, (n + 1) * sizeof(*h));
                h[n++] = (HeldIp) { xstrdup(db_col_text(s, 0)), xstrdup(db_col_text(s, 1)) };
        }
        if (r < 0) {
                held_free(h, n);
                return res_db_error(c, r, RES_PORT, "reading a port's addresses");
        }
        *ret = h;
        *ret_n = n;
        return 0;
}

static int release_one(Ctx *c, const char *port_id, const HeldIp *h) {
        int r = db_run(c->db, "DELETE FROM port_ips WHERE port_id = ? AND subnet_id = ? AND ip_address = ?", "sss", port_id,
                       h->subnet_id, h->ip);
        return r < 0 ? res_db_error(c, r, RES_PORT, "releasing an address") : 0;
}

static bool is_eui64_text(const char *ip) {
        InetAddr a;
        return inet_addr_parse(ip, &a) >= 0 && inet_addr_is_eui64(&a);
}

static int set_seq(Ctx *c, const char *port_id, const HeldIp *h, int seq) {
        int r = db_run(c->db, "UPDATE port_ips SET seq = ? WHERE port_id = ? AND subnet_id = ? AND ip_address = ?", "isss",
                       (int64_t) seq, port_id, h->subnet_id, h->ip);
        return r < 0 ? res_db_error(c, r, RES_PORT, "ordering a port's addresses") : 0;
}

/* The SLAAC addresses the port lacks, on the subnets it has no address on now. */
static int claim_auto_missing(Ctx *c, const json_t *port, const json_t *subnets, int *seq) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ids = json_array();
        int r = db_query(c->db, &s, "SELECT DISTINCT subnet_id FROM port_ips WHERE port_id = ?", "s", jx_string(port, "id"));
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ids, json_string(db_col_text(s, 0)));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a port's addresses");
        _cleanup_free_ const char **have = xcalloc(json_array_size(ids) + 1, sizeof(*have));
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
                have[i] = json_string_value(v);
        return claim_auto(c, port, subnets, have, json_array_size(ids), seq);
}

int network_port_ips_update(Ctx *c, const json_t *port, const json_t *fixed, const char *new_mac) {
        const char *port_id = jx_string(port, "id");
        _cleanup_json_ json_t *subnets = NULL, *moved = NULL;
        HeldIp *held = NULL;
        size_t n_held = 0, n = json_array_size(fixed);
        int seq = 0, r;

        if ((r = network_subnets(c, jx_string(port, "network_id"), &subnets)) < 0 ||
            (r = held_read(c, port_id, &held, &n_held)) < 0)
                return r;
        _cleanup_free_ FixedIp *want = xcalloc(n ? n : 1, sizeof(*want));
        _cleanup_free_ ssize_t *match = xcalloc(n ? n : 1, sizeof(*match));
        _cleanup_free_ bool *matched = xcalloc(n_held ? n_held : 1, sizeof(*matched));

        /* The port as it will be: its SLAAC addresses follow a new MAC. */
        moved = json_deep_copy(port);
        if (new_mac) {
                json_object_set_new(moved, "mac_address", json_string(new_mac));
                for (size_t j = 0; j < n_held; j++) {
                        const json_t *sub = subnet_by_id(subnets, held[j].subnet_id);
                        held[j].remove = sub && network_subnet_is_auto(sub) && is_eui64_text(held[j].ip);
                }
        }
        if (fixed && (r = fixed_resolve(c, moved, subnets, fixed, want)) < 0)
                goto done;
        if (fixed) {
                /* Neutron's matching: an address asked for again is kept; a bare subnet keeps one held there. */
                for (size_t i = 0; i < n; i++) {
                        InetAddr a, b;
                        match[i] = -1;
                        if (!want[i].ip || inet_addr_parse(want[i].ip, &a) < 0)
                                continue;
                        for (size_t j = 0; j < n_held; j++)
                                if (!held[j].keep && !held[j].remove && inet_addr_parse(held[j].ip, &b) >= 0 &&
                                    inet_addr_cmp(&a, &b) == 0) {
                                        held[j].keep = matched[j] = true;
                                        match[i] = (ssize_t) j;
                                        break;
                                }
                }
                for (size_t i = 0; i < n; i++) {
                        if (want[i].ip)
                                continue;
                        for (size_t j = n_held; j > 0; j--)
                                if (!held[j - 1].keep && !held[j - 1].remove &&
                                    streq(held[j - 1].subnet_id, jx_string(want[i].subnet, "id"))) {
                                        held[j - 1].keep = matched[j - 1] = true;
                                        match[i] = (ssize_t) j - 1;
                                        break;
                                }
                }
                /* What is no longer asked for goes, but for SLAAC addresses: those stay (not on a router's leg). */
                for (size_t j = 0; j < n_held; j++) {
                        if (held[j].keep || held[j].remove)
                                continue;
                        const json_t *sub = subnet_by_id(subnets, held[j].subnet_id);
                        if (sub && network_subnet_is_auto(sub) && !router_interface(port))
                                held[j].keep = true;
                        else
                                held[j].remove = true;
                }
        } else
                for (size_t j = 0; j < n_held; j++)
                        held[j].keep = !held[j].remove;
        for (size_t j = 0; j < n_held; j++)
                if (held[j].remove && (r = release_one(c, port_id, &held[j])) < 0)
                        goto done;
        /* In the order of the request, then what stays unasked, then SLAAC addresses still missing. */
        for (size_t i = 0; i < n; i++) {
                if (match[i] >= 0)
                        r = set_seq(c, port_id, &held[match[i]], seq++);
                else if (!want[i].ip && network_subnet_is_auto(want[i].subnet) && !router_interface(port))
                        continue;
                else
                        r = network_port_ip_claim(c, moved, want[i].subnet, want[i].ip, seq++);
                if (r < 0)
                        goto done;
        }
        for (size_t j = 0; j < n_held; j++)
                if (held[j].keep && !matched[j] && (r = set_seq(c, port_id, &held[j], seq++)) < 0)
                        goto done;
        r = claim_auto_missing(c, moved, subnets, &seq);
done:
        held_free(held, n_held);
        return r;
}

int network_port_ips_auto_subnet(Ctx *c, const json_t *subnet) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ports = json_array();
        const char *subnet_id = jx_string(subnet, "id");
        size_t i;
        json_t *p;
        int r = db_query(c->db, &s,
                         "SELECT id FROM ports WHERE network_id = ? AND id NOT IN"
                         " (SELECT port_id FROM port_ips WHERE subnet_id = ?) ORDER BY created_at, id",
                         "ss", jx_string(subnet, "network_id"), subnet_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ports, json_string(db_col_text(s, 0)));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a network's ports");
        json_array_foreach(ports, i, p) {
                _cleanup_json_ json_t *port = NULL;
                int64_t seq = 0;
                if ((r = res_get(c, &res_port, json_string_value(p), &port)) < 0)
                        return r;
                if (router_interface(port))
                        continue;
                if (db_query_int(c->db, &seq, "SELECT COALESCE(MAX(seq) + 1, 0) FROM port_ips WHERE port_id = ?", "s",
                                 json_string_value(p)) < 0)
                        seq = 0;
                if ((r = network_port_ip_claim(c, port, subnet, NULL, (int) seq)) < 0 ||
                    (r = network_revision_touch(c, &res_port, json_string_value(p))) < 0)
                        return r;
        }
        return 0;
}

int network_port_ips_subnet_gone(Ctx *c, const char *subnet_id) {
        int r = db_run(c->db,
                       "UPDATE ports SET revision_number = revision_number + 1, updated_at = ?"
                       " WHERE id IN (SELECT port_id FROM port_ips WHERE subnet_id = ?)",
                       "is", now_usec(), subnet_id);
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "updating a subnet's ports");
        return network_ips_release(c, NULL, subnet_id);
}
