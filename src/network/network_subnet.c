/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Subnets: the checks Neutron makes of a CIDR, a gateway, allocation
 * pools, name servers and host routes, default pools around the gateway,
 * and the DHCP port that serves every subnet with DHCP enabled.
 */
#include "network/network_internal.h"

static const ResField subnet_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "network_id", RES_STRING, RES_REQUIRED | RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "subnetpool_id", RES_STRING, RES_FILTER | RES_IMMUTABLE },
        { "name", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "ip_version", RES_INT, RES_REQUIRED | RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "cidr", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "gateway_ip", RES_STRING, RES_FILTER | RES_SORT },
        { "enable_dhcp", RES_BOOL, RES_FILTER | RES_SORT },
        { "ipv6_ra_mode", RES_STRING, RES_FILTER | RES_IMMUTABLE },
        { "ipv6_address_mode", RES_STRING, RES_FILTER | RES_IMMUTABLE },
        { "allocation_pools", RES_JSON, 0 },
        { "dns_nameservers", RES_JSON, 0 },
        { "host_routes", RES_JSON, 0 },
        { "service_types", RES_JSON, 0 },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

/* Neutron's InvalidInput (400); fmt is a literal. */
#define invalid(c, fmt, ...) ctx_error(c, -EINVAL, RES_SUBNET, "Invalid input for operation: " fmt, __VA_ARGS__)

/* An address of version, or a 400 naming field. */
static int parse_ip(Ctx *c, const char *field, const json_t *v, int version, InetAddr *ret) {
        const char *s = json_string_value(v);
        if (!s || inet_addr_parse(s, ret) < 0)
                return ctx_error(c, -EINVAL, RES_SUBNET, "Invalid input for %s. Reason: '%s' is not a valid IP address.",
                                 field, s ? s : "");
        if (version && ret->version != version)
                return ctx_error(c, -EINVAL, RES_SUBNET, "Invalid input for %s. Reason: '%s' is not an IPv%d address.",
                                 field, s, version);
        return 0;
}

/* v4 subnets reserve their network and broadcast addresses; v6 ones the subnet-router anycast address. */
static bool reserved(const InetPrefix *cidr, const InetAddr *a) {
        InetAddr first = inet_prefix_first(cidr), last = inet_prefix_last(cidr);
        if (cidr->addr.version == 4 && cidr->len >= 31)
                return false;
        return inet_addr_cmp(a, &first) == 0 || (cidr->addr.version == 4 && inet_addr_cmp(a, &last) == 0);
}

static json_t *pool_json(const InetAddr *start, const InetAddr *end) {
        char a[INET_ADDR_MAX], b[INET_ADDR_MAX];
        return json_pack("{s:s, s:s}", "start", inet_addr_format(start, a), "end", inet_addr_format(end, b));
}

/* The default pools: every usable address but the gateway. */
static json_t *default_pools(const InetPrefix *cidr, const InetAddr *gw) {
        InetAddr first = inet_prefix_first(cidr), last = inet_prefix_last(cidr);
        json_t *pools = json_array();
        if (!(cidr->addr.version == 4 && cidr->len >= 31)) {
                inet_addr_add(&first, 1);
                if (cidr->addr.version == 4) {
                        /* last - 1: there is no subtraction, so walk from first. */
                        InetAddr b = inet_prefix_first(cidr);
                        inet_addr_add(&b, inet_range_size(&b, &last) - 2);
                        last = b;
                }
        }
        if (gw && inet_prefix_contains(cidr, gw) && inet_addr_cmp(gw, &first) >= 0 && inet_addr_cmp(gw, &last) <= 0) {
                if (inet_addr_cmp(gw, &first) > 0) {
                        InetAddr before = first;
                        inet_addr_add(&before, inet_range_size(&first, gw) - 2);
                        json_array_append_new(pools, pool_json(&first, &before));
                }
                if (inet_addr_cmp(gw, &last) < 0) {
                        InetAddr after = *gw;
                        inet_addr_add(&after, 1);
                        json_array_append_new(pools, pool_json(&after, &last));
                }
                return pools;
        }
        if (inet_addr_cmp(&first, &last) <= 0)
                json_array_append_new(pools, pool_json(&first, &last));
        return pools;
}

/* Checks given pools: inside the subnet, ordered, apart, and clear of the gateway (409). */
static int check_pools(Ctx *c, const InetPrefix *cidr, const json_t *pools, const InetAddr *gw) {
        InetAddr starts[64], ends[64];
        char cidr_text[INET_PREFIX_MAX];
        size_t i;
        json_t *p;
        int r;

        inet_prefix_format(cidr, cidr_text);
        if (json_array_size(pools) > ELEMENTSOF(starts))
                return ctx_error(c, -EINVAL, RES_SUBNET, "A subnet may have at most %zu allocation pools.",
                                 ELEMENTSOF(starts));
        json_array_foreach(pools, i, p) {
                if ((r = parse_ip(c, "allocation_pools", json_object_get(p, "start"), cidr->addr.version, &starts[i])) < 0 ||
                    (r = parse_ip(c, "allocation_pools", json_object_get(p, "end"), cidr->addr.version, &ends[i])) < 0)
                        return r;
                if (inet_addr_cmp(&starts[i], &ends[i]) > 0)
                        return ctx_error(c, -EINVAL, RES_SUBNET, "The allocation pool %s-%s is not valid.",
                                         jx_string(p, "start"), jx_string(p, "end"));
                if (!inet_prefix_contains(cidr, &starts[i]) || !inet_prefix_contains(cidr, &ends[i]) ||
                    reserved(cidr, &starts[i]) || reserved(cidr, &ends[i]))
                        return ctx_error(c, -EINVAL, RES_SUBNET, "The allocation pool %s-%s spans beyond the subnet cidr %s.",
                                         jx_string(p, "start"), jx_string(p, "end"), cidr_text);
                for (size_t j = 0; j < i; j++)
                        if (inet_addr_cmp(&starts[i], &ends[j]) <= 0 && inet_addr_cmp(&starts[j], &ends[i]) <= 0)
                                return ctx_error(c, -EINVAL, RES_SUBNET,
                                                 "Found overlapping allocation pools: %s-%s and %s-%s for subnet %s.",
                                                 jx_string(p, "start"), jx_string(p, "end"),
                                                 jx_string(json_array_get(pools, j), "start"),
                                                 jx_string(json_array_get(pools, j), "end"), cidr_text);
                if (gw && inet_addr_cmp(gw, &starts[i]) >= 0 && inet_addr_cmp(gw, &ends[i]) <= 0) {
                        char g[INET_ADDR_MAX];
                        return ctx_error(c, -EBUSY, RES_NONE, "Gateway ip %s conflicts with allocation pool %s-%s.",
                                         inet_addr_format(gw, g), jx_string(p, "start"), jx_string(p, "end"));
                }
        }
        return 0;
}

static int check_nameservers(Ctx *c, const json_t *list) {
        size_t i, j;
        json_t *v;
        InetAddr a;
        if (json_array_size(list) > (size_t) networking.cfg->network_max_dns_nameservers)
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Unable to complete operation for subnet. The number of DNS nameservers exceeds the limit %" PRId64 ".",
                                 networking.cfg->network_max_dns_nameservers);
        json_array_foreach(list, i, v) {
                int r = parse_ip(c, "dns_nameservers", v, 0, &a);
                if (r < 0)
                        return r;
                for (j = 0; j < i; j++)
                        if (json_equal(v, json_array_get(list, j)))
                                return ctx_error(c, -EINVAL, RES_SUBNET,
                                                 "Invalid input for dns_nameservers. Reason: Duplicate nameserver '%s'.",
                                                 json_string_value(v));
        }
        return 0;
}

static int check_routes(Ctx *c, const json_t *list, int version) {
        size_t i, j;
        json_t *v;
        InetPrefix dst;
        InetAddr hop;
        if (json_array_size(list) > (size_t) networking.cfg->network_max_host_routes)
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Unable to complete operation for subnet. The number of host routes exceeds the limit %" PRId64 ".",
                                 networking.cfg->network_max_host_routes);
        json_array_foreach(list, i, v) {
                const char *d = jx_string(v, "destination");
                if (!d || inet_prefix_parse(d, false, &dst, NULL) < 0 || dst.addr.version != version)
                        return ctx_error(c, -EINVAL, RES_SUBNET, "Invalid input for host_routes. Reason: '%s' is not a valid IPv%d CIDR.",
                                         d ? d : "", version);
                int r = parse_ip(c, "host_routes", json_object_get(v, "nexthop"), version, &hop);
                if (r < 0)
                        return r;
                for (j = 0; j < i; j++)
                        if (json_equal(v, json_array_get(list, j)))
                                return ctx_error(c, -EINVAL, RES_SUBNET,
                                                 "Invalid input for host_routes. Reason: Duplicate hostroute '%s'.", d);
        }
        return 0;
}

static int check_ipv6_modes(Ctx *c, json_t *obj, int version) {
        const char *ra = jx_string(obj, "ipv6_ra_mode"), *addr = jx_string(obj, "ipv6_address_mode");
        if (version == 4 && (ra || addr))
                return invalid(c, "%s is not valid when ip_version is 4.", ra ? "ipv6_ra_mode" : "ipv6_address_mode");
        if (ra && addr && !streq(ra, addr))
                return invalid(c, "ipv6_ra_mode set to '%s' with ipv6_address_mode set to '%s' is not valid.", ra, addr);
        return 0;
}

/* Another subnet of the network with an overlapping CIDR: 400, as Neutron. */
static int check_overlap(Ctx *c, const char *network_id, const InetPrefix *cidr) {
        _cleanup_stmt_ DbStmt *s = NULL;
        InetPrefix other;
        int r = db_query(c->db, &s, "SELECT cidr FROM subnets WHERE network_id = ?", "s", network_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                if (inet_prefix_parse(db_col_text(s, 0), false, &other, NULL) >= 0 && inet_prefix_overlaps(cidr, &other)) {
                        char t[INET_PREFIX_MAX];
                        return ctx_error(c, -EINVAL, RES_SUBNET,
                                         "Invalid input for operation: Requested subnet with cidr: %s for network: %s overlaps with another subnet.",
                                         inet_prefix_format(cidr, t), network_id);
                }
        return r < 0 ? res_db_error(c, r, RES_SUBNET, "reading subnets") : 0;
}

static int subnet_prepare_create(Ctx *c, json_t *obj) {
        _cleanup_json_ json_t *net = NULL;
        int version = (int) json_integer_value(json_object_get(obj, "ip_version"));
        const char *cidr_s = jx_string(obj, "cidr");
        InetPrefix cidr;
        InetAddr gw;
        bool has_gw = true;
        int r;

        r = network_get_for(c, &res_network, jx_string(obj, "network_id"), false, &net);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !streq_ptr(jx_string(net, "project_id"), c->auth.project_id))
                return ctx_error(c, -EACCES, RES_SUBNET, "(rule:create_subnet) is disallowed by policy.");
        if ((r = network_owner_prepare(c, &res_subnet, obj)) < 0 ||
            (r = network_quota_check(c, jx_string(obj, "project_id"), "subnet", 1)) < 0)
                return r;
        if (!cidr_s)
                return invalid(c, "%s", "a cidr must be specified in the absence of a subnet pool.");
        if (inet_prefix_parse(cidr_s, true, &cidr, NULL) < 0)
                return ctx_error(c, -EINVAL, RES_SUBNET, "Invalid input for cidr. Reason: '%s' is not a valid IP subnet.",
                                 cidr_s);
        if (cidr.addr.version != version)
                return invalid(c, "Cidr %s does not match the subnet's ip_version %d.", cidr_s, version);
        if (cidr.len == 0)
                return invalid(c, "%s is not allowed as a subnet CIDR.", cidr_s);
        char canon[INET_PREFIX_MAX];
        json_object_set_new(obj, "cidr", json_string(inet_prefix_format(&cidr, canon)));
        if ((r = check_overlap(c, jx_string(obj, "network_id"), &cidr)) < 0)
                return r;

        json_t *gw_v = json_object_get(obj, "gateway_ip");
        if (json_is_null(gw_v))
                has_gw = false;
        else if (gw_v) {
                if ((r = parse_ip(c, "gateway_ip", gw_v, version, &gw)) < 0)
                        return r;
                if (inet_prefix_contains(&cidr, &gw) && reserved(&cidr, &gw))
                        return invalid(c, "Gateway is not valid on subnet %s: %s.", canon, json_string_value(gw_v));
        } else {
                gw = inet_prefix_first(&cidr);
                inet_addr_add(&gw, 1);
                has_gw = inet_prefix_contains(&cidr, &gw);
        }
        char g[INET_ADDR_MAX];
        json_object_set_new(obj, "gateway_ip", has_gw ? json_string(inet_addr_format(&gw, g)) : json_null());

        json_t *pools = json_object_get(obj, "allocation_pools");
        if (pools && !json_is_null(pools)) {
                if ((r = check_pools(c, &cidr, pools, has_gw ? &gw : NULL)) < 0)
                        return r;
        } else
                json_object_set_new(obj, "allocation_pools", default_pools(&cidr, has_gw ? &gw : NULL));
        if ((r = check_ipv6_modes(c, obj, version)) < 0)
                return r;
        if (!json_object_get(obj, "enable_dhcp"))
                json_object_set_new(obj, "enable_dhcp", json_true());
        return 0;
}

static int subnet_prepare_update(Ctx *c, json_t *obj, const json_t *old) {
        SubnetInfo info;
        int r = network_subnet_info(c, old, &info);
        if (r < 0)
                return r;
        json_t *gw_v = json_object_get(obj, "gateway_ip");
        InetAddr gw = info.gateway;
        bool has_gw = info.has_gateway;
        if (json_is_null(gw_v))
                has_gw = false;
        else if (gw_v) {
                if ((r = parse_ip(c, "gateway_ip", gw_v, info.cidr.addr.version, &gw)) < 0)
                        return r;
                if (inet_prefix_contains(&info.cidr, &gw) && reserved(&info.cidr, &gw))
                        return invalid(c, "Gateway is not valid on subnet: %s.", json_string_value(gw_v));
                has_gw = true;
                /* The new gateway may not be an address a port holds (a router's own is fine). */
                int64_t n = 0;
                r = db_query_int(c->db, &n,
                                 "SELECT COUNT(*) FROM port_ips i JOIN ports p ON p.id = i.port_id"
                                 " WHERE i.subnet_id = ? AND i.ip_address = ? AND p.device_owner <> ?",
                                 "sss", info.id, json_string_value(gw_v), OWNER_ROUTER_INTERFACE);
                if (r < 0)
                        return res_db_error(c, r, RES_SUBNET, "checking a gateway");
                if (n > 0)
                        return ctx_error(c, -EBUSY, RES_NONE, "Gateway ip %s conflicts with a port of the subnet.",
                                         json_string_value(gw_v));
        }
        json_t *pools = json_object_get(obj, "allocation_pools");
        if (!pools || json_is_null(pools))
                pools = json_object_get(old, "allocation_pools");
        if ((gw_v || json_object_get(obj, "allocation_pools")) &&
            (r = check_pools(c, &info.cidr, pools, has_gw ? &gw : NULL)) < 0)
                return r;
        if (json_is_null(json_object_get(obj, "allocation_pools")))
                json_object_set_new(obj, "allocation_pools", default_pools(&info.cidr, has_gw ? &gw : NULL));
        return 0;
}

static int subnet_prepare(Ctx *c, json_t *obj, const json_t *old) {
        int version = (int) json_integer_value(json_object_get(old ? old : obj, "ip_version"));
        json_t *v;
        int r;

        network_revision_bump(obj, old);
        if ((v = json_object_get(obj, "dns_nameservers")) && (r = check_nameservers(c, v)) < 0)
                return r;
        if ((v = json_object_get(obj, "host_routes")) && (r = check_routes(c, v, version)) < 0)
                return r;
        return old ? subnet_prepare_update(c, obj, old) : subnet_prepare_create(c, obj);
}

/* The network's DHCP port follows its subnets with DHCP, once the row is written. */
static int subnet_after(Ctx *c, const json_t *obj, const json_t *old) {
        return network_dhcp_sync(c, jx_string(old ? old : obj, "network_id"), NULL);
}

/* A subnet with ports other than the DHCP port (a server's, a router's) cannot go. */
static int subnet_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        int64_t n = 0;
        int r = db_query_int(c->db, &n,
                             "SELECT COUNT(*) FROM port_ips i JOIN ports p ON p.id = i.port_id"
                             " WHERE i.subnet_id = ? AND p.device_owner <> ?",
                             "ss", id, OWNER_DHCP);
        if (r < 0)
                return res_db_error(c, r, RES_SUBNET, "counting a subnet's ports");
        if (n > 0)
                return ctx_error(c, -EBUSY, RES_SUBNET,
                                 "Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.",
                                 id);
        if ((r = network_dhcp_sync(c, jx_string(old, "network_id"), id)) < 0 ||
            (r = network_ips_release(c, NULL, id)) < 0)
                return r;
        return network_tags_delete(c, id);
}

static void subnet_decorate(Ctx *c, json_t *obj) {
        if (!json_object_get(obj, "subnetpool_id"))
                json_object_set_new(obj, "subnetpool_id", json_null());
        json_object_set_new(obj, "segment_id", json_null());
        network_decorate_standard(c, obj);
}

static void subnet_changed(void) {
        network_dataplane_poke();
}

const ResDef res_subnet = {
        .kind = RES_SUBNET, .table = "subnets", .singular = "subnet", .plural = "subnets",
        .fields = subnet_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Subnet %s could not be found.",
        .conflict = "Subnet %s already exists.",
        .prepare = subnet_prepare, .after = subnet_after, .before_delete = subnet_before_delete, .decorate = subnet_decorate,
        .changed = subnet_changed,
};
