/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP address and MAC management.  Addresses are claimed as port_ips rows
 * inside the transaction that creates or updates the port; the table's
 * primary key (subnet, address) is what makes two concurrent claims of
 * one address impossible, whatever the database.  Finding a free address
 * reads the subnet's claimed ones once, sorted, and walks the pools.
 */
#include "network/network_internal.h"

#include <sys/random.h>

int network_subnet_info(Ctx *c, const json_t *subnet, SubnetInfo *ret) {
        const char *gw = jx_string(subnet, "gateway_ip");
        size_t i;
        json_t *p;

        *ret = (SubnetInfo) {};
        snprintf(ret->id, sizeof(ret->id), "%s", jx_string(subnet, "id"));
        if (inet_prefix_parse(jx_string(subnet, "cidr"), false, &ret->cidr, NULL) < 0)
                return ctx_error(c, -EIO, RES_SUBNET, "Subnet %s has an unreadable CIDR.", ret->id);
        ret->has_gateway = gw && inet_addr_parse(gw, &ret->gateway) >= 0;
        json_array_foreach(json_object_get(subnet, "allocation_pools"), i, p) {
                if (ret->n_pools == ELEMENTSOF(ret->pools))
                        break;
                if (inet_addr_parse(jx_string(p, "start"), &ret->pools[ret->n_pools].start) < 0 ||
                    inet_addr_parse(jx_string(p, "end"), &ret->pools[ret->n_pools].end) < 0)
                        return ctx_error(c, -EIO, RES_SUBNET, "Subnet %s has an unreadable allocation pool.", ret->id);
                ret->n_pools++;
        }
        return 0;
}

static int addr_cmp(const void *a, const void *b) {
        return inet_addr_cmp(a, b);
}

/* The subnet's claimed addresses, sorted; caller frees. */
static int claimed(Ctx *c, const char *subnet_id, InetAddr **ret, size_t *ret_n) {
        _cleanup_stmt_ DbStmt *s = NULL;
        InetAddr *v = NULL;
        size_t n = 0, cap = 0;
        int r = db_query(c->db, &s, "SELECT ip_address FROM port_ips WHERE subnet_id = ?", "s", subnet_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                InetAddr a;
                if (inet_addr_parse(db_col_text(s, 0), &a) < 0)
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        v = xrealloc(v, cap * sizeof(*v));
                }
                v[n++] = a;
        }
        if (r < 0) {
                free(v);
                return res_db_error(c, r, RES_SUBNET, "reading allocated addresses");
        }
        if (n)
                qsort(v, n, sizeof(*v), addr_cmp);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* The first address of the pools not in the sorted used[] and not the gateway. */
static bool first_free(const SubnetInfo *info, const InetAddr *used, size_t n_used, InetAddr *ret) {
        for (size_t p = 0; p < info->n_pools; p++) {
                InetAddr a = info->pools[p].start;
                size_t u = 0;
                while (u < n_used && inet_addr_cmp(&used[u], &a) < 0)
                        u++;
                for (;;) {
                        if (inet_addr_cmp(&a, &info->pools[p].end) > 0)
                                break;
                        bool taken = (u < n_used && inet_addr_cmp(&used[u], &a) == 0) ||
                                     (info->has_gateway && inet_addr_cmp(&info->gateway, &a) == 0);
                        if (!taken) {
                                *ret = a;
                                return true;
                        }
                        if (u < n_used && inet_addr_cmp(&used[u], &a) == 0)
                                u++;
                        if (!inet_addr_add(&a, 1))
                                break;
                }
        }
        return false;
}

int network_ip_allocate(Ctx *c, const json_t *subnet, const char *port_id, const char *network_id,
                        const char *want, int seq, char ret[static INET_ADDR_MAX]) {
        SubnetInfo info;
        InetAddr a;
        int r = network_subnet_info(c, subnet, &info);
        if (r < 0)
                return r;
        if (want) {
                if (inet_addr_parse(want, &a) < 0 || !inet_prefix_contains(&info.cidr, &a))
                        return ctx_error(c, -EINVAL, RES_PORT,
                                         "IP address %s is not a valid IP for the specified subnet.", want);
                /* Not the network's own address nor, in IPv4, its broadcast (but /31 and /32 have neither). */
                InetAddr first = inet_prefix_first(&info.cidr), last = inet_prefix_last(&info.cidr);
                bool v4 = info.cidr.addr.version == 4;
                if (info.cidr.len < (v4 ? 31u : 127u) &&
                    (inet_addr_cmp(&a, &first) == 0 || (v4 && inet_addr_cmp(&a, &last) == 0)))
                        return ctx_error(c, -EINVAL, RES_PORT,
                                         "IP address %s is not a valid IP for the specified subnet.", want);
        } else {
                _cleanup_free_ InetAddr *used = NULL;
                size_t n_used = 0;
                if ((r = claimed(c, info.id, &used, &n_used)) < 0)
                        return r;
                if (!first_free(&info, used, n_used, &a))
                        return ctx_error(c, -EADDRNOTAVAIL, RES_PORT,
                                         "No more IP addresses available on network %s.", network_id);
        }
        inet_addr_format(&a, ret);
        r = db_run(c->db, "INSERT INTO port_ips (subnet_id, ip_address, port_id, network_id, seq) VALUES (?, ?, ?, ?, ?)",
                   "ssssi", info.id, ret, port_id, network_id, (int64_t) seq);
        if (r == -EEXIST)
                return ctx_error(c, -EADDRINUSE, RES_PORT,
                                 "IP address %s already allocated in subnet %s", ret, info.id);
        return r < 0 ? res_db_error(c, r, RES_PORT, "allocating an address") : 0;
}

int network_ips_release(Ctx *c, const char *port_id, const char *subnet_id) {
        int r;
        if (port_id && subnet_id)
                r = db_run(c->db, "DELETE FROM port_ips WHERE port_id = ? AND subnet_id = ?", "ss", port_id, subnet_id);
        else if (port_id)
                r = db_run(c->db, "DELETE FROM port_ips WHERE port_id = ?", "s", port_id);
        else
                r = db_run(c->db, "DELETE FROM port_ips WHERE subnet_id = ?", "s", subnet_id);
        return r < 0 ? res_db_error(c, r, RES_PORT, "releasing addresses") : 0;
}

int network_mac_generate(Ctx *c, const char *network_id, char ret[static MAC_TEXT_MAX]) {
        /* 2^24 addresses per base: a few tries find a free one unless the network has millions of ports. */
        for (int tries = 0; tries < 16; tries++) {
                uint8_t mac[6];
                memcpy(mac, networking.base_mac, 3);
                if (getrandom(mac + 3, 3, 0) != 3)
                        return ctx_error(c, -EIO, RES_PORT, "Could not read random bytes for a MAC address.");
                mac_format(mac, ret);
                int64_t n = 0;
                int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM ports WHERE network_id = ? AND mac_address = ?",
                                     "ss", network_id, ret);
                if (r < 0)
                        return res_db_error(c, r, RES_PORT, "checking a MAC address");
                if (n == 0)
                        return 0;
        }
        return ctx_error(c, -EADDRNOTAVAIL, RES_PORT, "Unable to generate unique mac on network %s.", network_id);
}
