/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Subnets: the checks Neutron makes of a CIDR, a gateway, allocation
 * pools, name servers, host routes, DHCP and IPv6 address modes; CIDRs
 * carved from subnet pools; default pools around the gateway; the DHCP
 * port that serves every subnet with DHCP enabled; and SLAAC addresses
 * given to the network's ports when an auto-address subnet comes.
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

/* Neutron's InvalidInput (400); fmt is a literal, the sentence ends with a period of its own. */
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

/* An IPRange as Neutron prints one. */
static const char *pool_text(const json_t *p, char buf[static 2 * INET_ADDR_MAX]) {
        snprintf(buf, 2 * INET_ADDR_MAX, "%s-%s", jx_string(p, "start"), jx_string(p, "end"));
        return buf;
}

/*
 * Checks given pools, as Neutron: inside the subnet (400), each in order
 * (400), apart from each other (409) and from the gateway (409).
 */
static int check_pools(Ctx *c, const InetPrefix *cidr, const json_t *pools, const InetAddr *gw) {
        InetAddr starts[64], ends[64];
        char cidr_text[INET_PREFIX_MAX], a[2 * INET_ADDR_MAX], b[2 * INET_ADDR_MAX];
        size_t i;
        json_t *p;
        int r;

        inet_prefix_format(cidr, cidr_text);
        if (json_array_size(pools) > ELEMENTSOF(starts))
                return ctx_error(c, -EINVAL, RES_SUBNET, "A subnet may have at most %zu allocation pools.",
                                 ELEMENTSOF(starts));
        json_array_foreach(pools, i, p) {
                if ((r = parse_ip(c, "allocation_pools", json_object_get(p, "start"), 0, &starts[i])) < 0 ||
                    (r = parse_ip(c, "allocation_pools", json_object_get(p, "end"), 0, &ends[i])) < 0)
                        return r;
                if (starts[i].version != cidr->addr.version || ends[i].version != cidr->addr.version ||
                    inet_addr_cmp(&starts[i], &ends[i]) > 0)
                        return ctx_error(c, -EINVAL, RES_SUBNET, "The allocation pool %s is not valid.", pool_text(p, a));
                if (!inet_prefix_contains(cidr, &starts[i]) || !inet_prefix_contains(cidr, &ends[i]) ||
                    reserved(cidr, &starts[i]) || reserved(cidr, &ends[i]))
                        return ctx_error(c, -EINVAL, RES_SUBNET, "The allocation pool %s spans beyond the subnet cidr %s.",
                                         pool_text(p, a), cidr_text);
        }
        json_array_foreach(pools, i, p)
                for (size_t j = 0; j < i; j++)
                        if (inet_addr_cmp(&starts[i], &ends[j]) <= 0 && inet_addr_cmp(&starts[j], &ends[i]) <= 0)
                                return ctx_error(c, -EBUSY, RES_NONE,
                                                 "Found overlapping allocation pools: %s %s for subnet %s.",
                                                 pool_text(json_array_get(pools, j), a), pool_text(p, b), cidr_text);
        json_array_foreach(pools, i, p)
                if (gw && inet_addr_cmp(gw, &starts[i]) >= 0 && inet_addr_cmp(gw, &ends[i]) <= 0) {
                        char g[INET_ADDR_MAX];
                        return ctx_error(c, -EBUSY, RES_NONE, "Gateway ip %s conflicts with allocation pool %s.",
                                         inet_addr_format(gw, g), pool_text(p, a));
                }
        return 0;
}

/* "new subnet" on create, the subnet's id on update: how Neutron names it in limit errors. */
static const char *subnet_name(const json_t *old) {
        return old ? jx_string(old, "id") : "new subnet";
}

static int check_nameservers(Ctx *c, const json_t *list, int version, const json_t *old) {
        size_t i, j;
        json_t *v;
        InetAddr a;
        if (json_array_size(list) > (size_t) networking.cfg->network_max_dns_nameservers)
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Unable to complete operation for %s. The number of DNS nameservers exceeds the limit %" PRId64 ".",
                                 subnet_name(old), networking.cfg->network_max_dns_nameservers);
        json_array_foreach(list, i, v) {
                const char *s = json_string_value(v);
                if (!s || inet_addr_parse(s, &a) < 0)
                        return ctx_error(c, -EINVAL, RES_SUBNET,
                                         "Invalid input for dns_nameservers. Reason: '%s' is not a valid nameserver.",
                                         s ? s : "");
                for (j = 0; j < i; j++)
                        if (json_equal(v, json_array_get(list, j)))
                                return ctx_error(c, -EINVAL, RES_SUBNET,
                                                 "Invalid input for dns_nameservers. Reason: Duplicate nameserver '%s'.", s);
                if (a.version != version)
                        return invalid(c, "dns_nameserver '%s' does not match the ip_version '%d'.", s, version);
        }
        return 0;
}

static int check_routes(Ctx *c, json_t *list, int version, const json_t *old) {
        size_t i, j;
        json_t *v;
        if (json_array_size(list) > (size_t) networking.cfg->network_max_host_routes)
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Unable to complete operation for %s. The number of host routes exceeds the limit %" PRId64 ".",
                                 subnet_name(old), networking.cfg->network_max_host_routes);
        json_t *clean = json_array();
        json_array_foreach(list, i, v) {
                const char *d = jx_string(v, "destination"), *h = jx_string(v, "nexthop");
                InetPrefix dst;
                InetAddr hop;
                char dt[INET_PREFIX_MAX], ht[INET_ADDR_MAX];
                if (!d || !h || inet_prefix_parse(d, false, &dst, NULL) < 0 || inet_addr_parse(h, &hop) < 0) {
                        json_decref(clean);
                        return invalid(c, "Invalid route: {'destination': '%s', 'nexthop': '%s'}", d ? d : "", h ? h : "");
                }
                if (hop.version != version || dst.addr.version != version) {
                        json_decref(clean);
                        return invalid(c, "%s '%s' does not match the ip_version '%d'.",
                                       hop.version != version ? "nexthop" : "destination", hop.version != version ? h : d,
                                       version);
                }
                /* Neutron keeps routes as canonical CIDR and address. */
                json_t *one = json_pack("{s:s, s:s}", "destination", inet_prefix_format(&dst, dt), "nexthop",
                                        inet_addr_format(&hop, ht));
                for (j = 0; j < json_array_size(clean); j++)
                        if (json_equal(one, json_array_get(clean, j))) {
                                json_decref(one);
                                json_decref(clean);
                                return ctx_error(c, -EINVAL, RES_SUBNET,
                                                 "Invalid input for host_routes. Reason: Duplicate hostroute '%s'.", d);
                        }
                json_array_append_new(clean, one);
        }
        json_array_clear(list);
        json_array_extend(list, clean);
        json_decref(clean);
        return 0;
}

bool network_subnet_is_auto(const json_t *subnet) {
        const char *ra = jx_string(subnet, "ipv6_ra_mode"), *addr = jx_string(subnet, "ipv6_address_mode");
        return (addr && (streq(addr, "slaac") || streq(addr, "dhcpv6-stateless"))) ||
               (ra && (streq(ra, "slaac") || streq(ra, "dhcpv6-stateless")));
}

/* Neutron's checks of ipv6_ra_mode and ipv6_address_mode on create. */
static int check_ipv6_modes(Ctx *c, json_t *obj, const InetPrefix *cidr) {
        const char *ra = jx_string(obj, "ipv6_ra_mode"), *addr = jx_string(obj, "ipv6_address_mode");
        char t[INET_PREFIX_MAX];
        if (cidr->addr.version == 4 && (ra || addr))
                return invalid(c, "%s is not valid when ip_version is 4.", ra ? "ipv6_ra_mode" : "ipv6_address_mode");
        if (!ra && !addr)
                return 0;
        if (!json_is_true(json_object_get(obj, "enable_dhcp")))
                return invalid(c, "%s", "ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.");
        if (ra && addr && !streq(ra, addr))
                return invalid(c, "ipv6_ra_mode set to '%s' with ipv6_address_mode set to '%s' is not valid. If both attributes are set, they must be the same value.",
                               ra, addr);
        if (network_subnet_is_auto(obj) && cidr->len != 64)
                return invalid(c, "Invalid CIDR %s for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.",
                               inet_prefix_format(cidr, t));
        return 0;
}

/* What Neutron refuses to serve DHCP on (only checked when DHCP is being turned on). */
static int check_dhcp_cidr(Ctx *c, const InetPrefix *cidr) {
        InetAddr first = inet_prefix_first(cidr);
        bool v4 = cidr->addr.version == 4;
        if (cidr->len > (v4 ? 30u : 126u))
                return invalid(c, "%s", "Subnet has a prefix length that is incompatible with DHCP service enabled.");
        if (v4 ? first.b[12] >= 224 && first.b[12] <= 239 : first.b[0] == 0xff)
                return invalid(c, "%s", "Multicast IP subnet is not supported if enable_dhcp is True.");
        InetAddr loop6 = { .version = 6, .b = { [15] = 1 } };
        if (v4 ? first.b[12] == 127 : (cidr->len == 128 && inet_addr_cmp(&first, &loop6) == 0))
                return invalid(c, "%s", "Loopback IP subnet is not supported if enable_dhcp is True.");
        if (v4 && !(first.b[12] | first.b[13] | first.b[14] | first.b[15]))
                return invalid(c, "%s", "First IP '0.0.0.0' of network is not supported if enable_dhcp is True.");
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

/* Neutron: the subnets of one IP version on a network all come from the same pool, or none does. */
static int check_pool_affinity(Ctx *c, const char *network_id, int version, const char *pool_id) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n,
                             "SELECT COUNT(*) FROM subnets WHERE network_id = ? AND ip_version = ?"
                             " AND COALESCE(subnetpool_id, '') <> ?",
                             "sis", network_id, (int64_t) version, pool_id ? pool_id : "");
        if (r < 0)
                return res_db_error(c, r, RES_SUBNET, "reading subnets");
        if (n > 0)
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Subnets hosted on the same network must be allocated from the same subnet pool.");
        return 0;
}

/* A CIDR as a client gives one: host bits are cleared (Neutron keeps the network), a bare address is refused. */
int network_cidr_parse(Ctx *c, const char *s, int version, InetPrefix *ret) {
        InetPrefix p;
        char canon[INET_PREFIX_MAX];
        if (!s || inet_prefix_parse(s, false, &p, NULL) < 0)
                return ctx_error(c, -EINVAL, RES_SUBNET, "Invalid input for cidr. Reason: '%s' is not a valid IP subnet.",
                                 s ? s : "");
        if (!strchr(s, '/'))
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Invalid input for cidr. Reason: '%s' isn't a recognized IP subnet cidr, '%s' is recommended.",
                                 s, inet_prefix_format(&p, canon));
        if (version && p.addr.version != version)
                return invalid(c, "cidr '%s' does not match the ip_version '%d'.", s, version);
        if (p.len == 0)
                return invalid(c, "%s", "0 is not allowed as CIDR prefix length.");
        InetAddr any6 = { .version = 6 };
        if (p.addr.version == 6 && inet_addr_cmp(&p.addr, &any6) == 0)
                return invalid(c, "%s", "IPv6 subnet '::' is not supported.");
        *ret = p;
        return 0;
}

/*
 * The subnet pool a create names (subnetpool_id, or use_default_subnetpool)
 * and the CIDR it gets from it; with no pool, the CIDR must be given.
 */
static int cidr_choose(Ctx *c, json_t *obj, int version, const json_t *net, InetPrefix *ret) {
        const char *cidr_s = jx_string(obj, "cidr"), *pool_id = jx_string(obj, "subnetpool_id");
        json_t *prefixlen = json_object_get(obj, "prefixlen");
        bool use_default = json_is_true(json_object_get(obj, "use_default_subnetpool"));
        _cleanup_json_ json_t *pool = NULL;
        InetPrefix want;
        int r;

        json_object_del(obj, "use_default_subnetpool");
        if ((r = network_int_attr(c, RES_SUBNET, obj, "prefixlen", 0, 128)) < 0)
                return r;
        prefixlen = json_object_get(obj, "prefixlen");
        if (cidr_s && prefixlen)
                return ctx_error(c, -EINVAL, RES_SUBNET, "Bad subnets request: cidr and prefixlen must not be supplied together.");
        if (cidr_s && (r = network_cidr_parse(c, cidr_s, version, &want)) < 0)
                return r;
        if (use_default && pool_id)
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.");
        if (use_default) {
                r = network_subnetpool_default(c, version, &pool);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_SUBNET, "Bad subnets request: No default subnetpool found for IPv%d.",
                                         version);
                if (r < 0)
                        return r;
        } else if (pool_id && (r = network_get_for(c, &res_subnetpool, pool_id, false, &pool)) < 0)
                return r;
        if (!pool) {
                if (!cidr_s)
                        return ctx_error(c, -EINVAL, RES_SUBNET,
                                         "Bad subnets request: a subnetpool must be specified in the absence of a cidr.");
                *ret = want;
                return check_pool_affinity(c, jx_string(net, "id"), version, NULL);
        }
        int pool_version = (int) json_integer_value(json_object_get(pool, "ip_version"));
        if (pool_version != version)
                return ctx_error(c, -EINVAL, RES_SUBNET, "Bad subnets request: Cannot allocate IPv%d subnet from IPv%d subnet pool.",
                                 version, pool_version);
        if (!cidr_s && !json_is_null(json_object_get(obj, "allocation_pools")) && json_object_get(obj, "allocation_pools"))
                return ctx_error(c, -EINVAL, RES_SUBNET,
                                 "Bad subnets request: allocation_pools allowed only for specific subnet requests.");
        if ((r = check_pool_affinity(c, jx_string(net, "id"), version, jx_string(pool, "id"))) < 0)
                return r;
        r = network_subnetpool_allocate(c, pool, jx_string(obj, "project_id"), cidr_s ? &want : NULL,
                                        prefixlen ? (unsigned) json_integer_value(prefixlen) : 0, ret);
        if (r < 0)
                return r;
        json_object_set(obj, "subnetpool_id", json_object_get(pool, "id"));
        return 0;
}

static int subnet_prepare_create(Ctx *c, json_t *obj) {
        _cleanup_json_ json_t *net = NULL;
        int version = (int) json_integer_value(json_object_get(obj, "ip_version"));
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
        if (!json_object_get(obj, "enable_dhcp"))
                json_object_set_new(obj, "enable_dhcp", json_true());
        if ((r = cidr_choose(c, obj, version, net, &cidr)) < 0)
                return r;
        json_object_del(obj, "prefixlen");
        char canon[INET_PREFIX_MAX];
        json_object_set_new(obj, "cidr", json_string(inet_prefix_format(&cidr, canon)));
        if (version == 6 && json_integer_value(json_object_get(net, "mtu")) < 1280)
                return ctx_error(c, -EBUSY, RES_NONE,
                                 "Subnet with IPv6 cannot be created on network %s with MTU below 1280.", jx_string(net, "id"));
        if ((r = check_overlap(c, jx_string(obj, "network_id"), &cidr)) < 0 || (r = check_ipv6_modes(c, obj, &cidr)) < 0)
                return r;
        if (json_is_true(json_object_get(obj, "enable_dhcp")) && (r = check_dhcp_cidr(c, &cidr)) < 0)
                return r;

        json_t *gw_v = json_object_get(obj, "gateway_ip");
        if (json_is_null(gw_v))
                has_gw = false;
        else if (gw_v) {
                if ((r = parse_ip(c, "gateway_ip", gw_v, 0, &gw)) < 0)
                        return r;
                if (gw.version != version)
                        return invalid(c, "gateway_ip '%s' does not match the ip_version '%d'.", json_string_value(gw_v),
                                       version);
                if (inet_prefix_contains(&cidr, &gw) && reserved(&cidr, &gw))
                        return invalid(c, "%s", "Gateway is not valid on subnet.");
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
        return 0;
}

static int subnet_prepare_update(Ctx *c, json_t *obj, const json_t *old) {
        SubnetInfo info;
        int r = network_subnet_info(c, old, &info);
        if (r < 0)
                return r;
        if (json_object_get(obj, "enable_dhcp") && !json_is_true(json_object_get(obj, "enable_dhcp"))) {
                if (jx_string(old, "ipv6_ra_mode") || jx_string(old, "ipv6_address_mode"))
                        return invalid(c, "%s", "Cannot disable enable_dhcp with ipv6 attributes set.");
        } else if (json_is_true(json_object_get(obj, "enable_dhcp")) &&
                   !json_is_true(json_object_get(old, "enable_dhcp")) && (r = check_dhcp_cidr(c, &info.cidr)) < 0)
                return r;
        json_t *gw_v = json_object_get(obj, "gateway_ip");
        InetAddr gw = info.gateway;
        bool has_gw = info.has_gateway;
        if (json_is_null(gw_v))
                has_gw = false;
        else if (gw_v) {
                if ((r = parse_ip(c, "gateway_ip", gw_v, 0, &gw)) < 0)
                        return r;
                if (gw.version != info.cidr.addr.version)
                        return invalid(c, "gateway_ip '%s' does not match the ip_version '%d'.", json_string_value(gw_v),
                                       info.cidr.addr.version);
                if (inet_prefix_contains(&info.cidr, &gw) && reserved(&info.cidr, &gw))
                        return invalid(c, "%s", "Gateway is not valid on subnet.");
                has_gw = true;
                char canon[INET_ADDR_MAX];
                json_object_set_new(obj, "gateway_ip", json_string(inet_addr_format(&gw, canon)));
        }
        if (gw_v && (has_gw != info.has_gateway || (has_gw && inet_addr_cmp(&gw, &info.gateway) != 0)) &&
            info.has_gateway) {
                /* The current gateway cannot move while a router's port holds it (Neutron's GatewayIpInUse). */
                char cur[INET_ADDR_MAX];
                _cleanup_free_ char *holder = NULL;
                _cleanup_stmt_ DbStmt *s = NULL;
                inet_addr_format(&info.gateway, cur);
                r = db_query(c->db, &s,
                             "SELECT i.port_id FROM port_ips i JOIN ports p ON p.id = i.port_id"
                             " WHERE i.subnet_id = ? AND i.ip_address = ? AND p.device_owner LIKE 'network:router_%'",
                             "ss", info.id, cur);
                if (r >= 0 && (r = db_step(s)) > 0)
                        holder = xstrdup(db_col_text(s, 0));
                if (r < 0)
                        return res_db_error(c, r, RES_SUBNET, "checking a gateway");
                if (holder)
                        return ctx_error(c, -EBUSY, RES_NONE,
                                         "Current gateway ip %s already in use by port %s. Unable to update.", cur, holder);
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
        if ((v = json_object_get(obj, "dns_nameservers")) && json_is_null(v))
                json_object_set_new(obj, "dns_nameservers", json_array());
        if ((v = json_object_get(obj, "host_routes")) && json_is_null(v))
                json_object_set_new(obj, "host_routes", json_array());
        if ((v = json_object_get(obj, "dns_nameservers")) && (r = check_nameservers(c, v, version, old)) < 0)
                return r;
        if ((v = json_object_get(obj, "host_routes")) && (r = check_routes(c, v, version, old)) < 0)
                return r;
        return old ? subnet_prepare_update(c, obj, old) : subnet_prepare_create(c, obj);
}

/*
 * Once the row is written: the network's DHCP port follows its subnets
 * with DHCP, a new auto-address subnet gives every port of the network its
 * SLAAC address (as Neutron), and the network's revision moves.
 */
static int subnet_after(Ctx *c, const json_t *obj, const json_t *old) {
        const char *network_id = jx_string(old ? old : obj, "network_id");
        int r = network_dhcp_sync(c, network_id, NULL);
        if (r >= 0 && !old && network_subnet_is_auto(obj))
                r = network_port_ips_auto_subnet(c, obj);
        if (r >= 0)
                r = network_revision_touch(c, &res_network, network_id);
        return r;
}

/*
 * A subnet with ports other than the DHCP port (a server's, a router's)
 * cannot go; on an auto-address subnet, as in Neutron, only routers' ports
 * keep it, and the others lose their SLAAC address with it.
 */
static int subnet_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        int64_t n = 0;
        int r = network_subnet_is_auto(old)
                        ? db_query_int(c->db, &n,
                                       "SELECT COUNT(*) FROM port_ips i JOIN ports p ON p.id = i.port_id"
                                       " WHERE i.subnet_id = ? AND p.device_owner LIKE 'network:router_%'",
                                       "s", id)
                        : db_query_int(c->db, &n,
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
            (r = network_port_ips_subnet_gone(c, id)) < 0 ||
            (r = network_revision_touch(c, &res_network, jx_string(old, "network_id"))) < 0)
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
