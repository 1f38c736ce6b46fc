/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checking a NetState before anything is built from it: every id, MAC,
 * address, prefix, name and enumerated value the builders write into an
 * nft script, a dnsmasq file or an ip command line must parse, so that a
 * bad value fails the apply with one sentence naming its owner instead
 * of producing a script that nft refuses (or, worse, one that means
 * something else).  The control plane validates what clients send the
 * way Neutron does; this is the data plane's own line of defence.
 */
#include <arpa/inet.h>

#include "net/net_internal.h"

/* ---- protocols ---- */

typedef struct ProtoName {
        const char *name;
        int number;
} ProtoName;

/* Neutron's protocol names (neutron_lib.constants.IP_PROTOCOL_MAP). */
static const ProtoName proto_names[] = {
        { "ah", 51 },         { "dccp", 33 },       { "egp", 8 },          { "esp", 50 },
        { "gre", 47 },        { "icmp", 1 },        { "icmpv6", 58 },      { "igmp", 2 },
        { "ipip", 4 },        { "ipv6-encap", 41 }, { "ipv6-frag", 44 },   { "ipv6-icmp", 58 },
        { "ipv6-nonxt", 59 }, { "ipv6-opts", 60 },  { "ipv6-route", 43 },  { "ospf", 89 },
        { "pgm", 113 },       { "rsvp", 46 },       { "sctp", 132 },       { "tcp", 6 },
        { "udp", 17 },        { "udplite", 136 },   { "vrrp", 112 },
};

int net_rule_protocol(const NetRule *r) {
        int64_t v;
        int proto = -2;

        if (!r->protocol || streq(r->protocol, "any") || streq(r->protocol, ""))
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(proto_names); i++)
                if (streq(r->protocol, proto_names[i].name))
                        proto = proto_names[i].number;
        if (proto == -2) {
                if (parse_int64(r->protocol, 0, 255, &v) < 0)
                        return -EINVAL;
                proto = (int) v;
        }
        /* Neutron: "icmp" in an IPv6 rule is ICMPv6, and ICMPv6 in an IPv4 rule is nonsense. */
        if (r->ethertype == 6 && proto == 1)
                return 58;
        if (r->ethertype == 4 && proto == 58)
                return -EINVAL;
        return proto;
}

bool net_rule_is_icmp(int proto, int ethertype) {
        return (ethertype == 4 && proto == 1) || (ethertype == 6 && proto == 58);
}

bool net_rule_has_ports(int proto) {
        return proto == 6 || proto == 17 || proto == 132 || proto == 33 || proto == 136;
}

const NetNetwork *net_state_network(const NetState *s, const char *id) {
        if (!id)
                return NULL;
        for (size_t i = 0; i < s->n_networks; i++)
                if (streq(s->networks[i].id, id))
                        return &s->networks[i];
        return NULL;
}

static int check_addr(const char *what, const char *owner, const char *v, int family, Error *e) {
        NetAddr a;
        if (net_addr_parse(v, &a) < 0 || (family && a.family != family))
                return error_set(e, -EINVAL, "The %s '%s' of %s is not an IPv%d address.", what, v ? v : "",
                                 owner, family == AF_INET6 ? 6 : 4);
        return 0;
}

static int check_cidr(const char *what, const char *owner, const char *v, Error *e) {
        NetAddr a;
        if (net_cidr_parse(v, &a) < 0)
                return error_set(e, -EINVAL, "The %s '%s' of %s is not an address or a prefix.", what,
                                 v ? v : "", owner);
        return 0;
}

static int check_mac(const char *owner, const char *mac, Error *e) {
        uint8_t m[6];
        if (net_mac_parse(mac, m) < 0)
                return error_set(e, -EINVAL, "The MAC address '%s' of %s is not a unicast MAC address.",
                                 mac ? mac : "", owner);
        return 0;
}

static int check_routes(const char *owner, const NetRoute *routes, size_t n, Error *e) {
        for (size_t i = 0; i < n; i++) {
                int r = check_cidr("route destination", owner, routes[i].destination, e);
                if (r < 0)
                        return r;
                r = check_addr("route next hop", owner, routes[i].nexthop, 0, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_subnet(const NetNetwork *net, const NetSubnet *sn, Error *e) {
        char owner[128];
        NetAddr cidr;
        int r;

        if (!net_id_valid(sn->id))
                return error_set(e, -EINVAL, "A subnet of network %s has the id '%s', which is not a UUID.", net->id,
                                 sn->id ? sn->id : "");
        snprintf(owner, sizeof(owner), "subnet %s", sn->id);
        if (sn->ip_version != 4 && sn->ip_version != 6)
                return error_set(e, -EINVAL, "Subnet %s has IP version %d; only 4 and 6 exist.", sn->id,
                                 sn->ip_version);
        int family = sn->ip_version == 4 ? AF_INET : AF_INET6;
        if (net_cidr_parse(sn->cidr, &cidr) < 0 || cidr.family != family || !strchr(sn->cidr, '/'))
                return error_set(e, -EINVAL, "The CIDR '%s' of subnet %s is not an IPv%d prefix.",
                                 sn->cidr ? sn->cidr : "", sn->id, sn->ip_version);
        if (sn->gateway_ip && (r = check_addr("gateway", owner, sn->gateway_ip, family, e)) < 0)
                return r;
        for (const char *const *d = sn->dns_nameservers; d && *d; d++)
                if ((r = check_addr("DNS server", owner, *d, 0, e)) < 0)
                        return r;
        if ((r = check_routes(owner, sn->host_routes, sn->n_host_routes, e)) < 0)
                return r;
        const char *modes[] = { sn->ipv6_ra_mode, sn->ipv6_address_mode };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (modes[i] && !streq(modes[i], "slaac") && !streq(modes[i], "dhcpv6-stateless") &&
                    !streq(modes[i], "dhcpv6-stateful"))
                        return error_set(e, -EINVAL, "Subnet %s has the IPv6 mode '%s', which is not slaac, "
                                         "dhcpv6-stateless or dhcpv6-stateful.", sn->id, modes[i]);
        return 0;
}

static int check_network(const NetNetwork *net, Error *e) {
        char owner[128];
        int r;

        if (!net_id_valid(net->id))
                return error_set(e, -EINVAL, "The network id '%s' is not a UUID.", net->id ? net->id : "");
        snprintf(owner, sizeof(owner), "network %s", net->id);
        if (streq_ptr(net->type, "vxlan")) {
                if (net->segmentation_id < 1 || net->segmentation_id > 16777215)
                        return error_set(e, -EINVAL, "Network %s has the VNI %u, outside 1-16777215.", net->id,
                                         net->segmentation_id);
        } else if (streq_ptr(net->type, "vlan")) {
                if (net->segmentation_id < 1 || net->segmentation_id > 4094)
                        return error_set(e, -EINVAL, "Network %s has the VLAN id %u, outside 1-4094.", net->id,
                                         net->segmentation_id);
                if (!net_ifname_valid(net->physical_bridge))
                        return error_set(e, -EINVAL, "The vlan network %s names no valid provider bridge.", net->id);
        } else if (streq_ptr(net->type, "flat")) {
                if (net->physical_bridge && !net_ifname_valid(net->physical_bridge))
                        return error_set(e, -EINVAL, "The provider bridge '%s' of network %s is not an "
                                         "interface name.", net->physical_bridge, net->id);
        } else
                return error_set(e, -EINVAL, "Network %s has the type '%s'; the data plane knows vxlan, vlan "
                                 "and flat.", net->id, net->type ? net->type : "");
        if (net->mtu != 0 && (net->mtu < 68 || net->mtu > 65535))
                return error_set(e, -EINVAL, "Network %s has the MTU %u, outside 68-65535.", net->id, net->mtu);
        for (size_t i = 0; i < net->n_subnets; i++)
                if ((r = check_subnet(net, &net->subnets[i], e)) < 0)
                        return r;
        if (net->dhcp_mac && (r = check_mac(owner, net->dhcp_mac, e)) < 0)
                return r;
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++)
                if ((r = check_cidr("DHCP port address", owner, *ip, e)) < 0)
                        return r;
        for (size_t i = 0; i < net->n_hosts; i++) {
                const NetHost *h = &net->hosts[i];
                if ((r = check_mac(owner, h->mac, e)) < 0 || (r = check_addr("host address", owner, h->ip, 0, e)) < 0)
                        return r;
                if (!net_dns_name_valid(h->hostname))
                        return error_set(e, -EINVAL, "The host name '%s' in network %s is not a DNS name.",
                                         h->hostname ? h->hostname : "", net->id);
        }
        if (net->dns_domain && !net_dns_name_valid(net->dns_domain))
                return error_set(e, -EINVAL, "The DNS domain '%s' of network %s is not a DNS name.", net->dns_domain,
                                 net->id);
        return 0;
}

static int check_leg(const NetRouter *rt, const NetRouterLeg *leg, Error *e) {
        char owner[160];
        int r;
        if (!net_id_valid(leg->port_id) || !net_id_valid(leg->network_id))
                return error_set(e, -EINVAL, "A leg of router %s has a port or network id that is not a UUID.",
                                 rt->id);
        snprintf(owner, sizeof(owner), "router %s's leg %s", rt->id, leg->port_id);
        if ((r = check_mac(owner, leg->mac, e)) < 0)
                return r;
        for (const char *const *ip = leg->ips; ip && *ip; ip++)
                if ((r = check_cidr("address", owner, *ip, e)) < 0)
                        return r;
        return 0;
}

static int check_router(const NetRouter *rt, Error *e) {
        char owner[128];
        int r;

        if (!net_id_valid(rt->id))
                return error_set(e, -EINVAL, "The router id '%s' is not a UUID.", rt->id ? rt->id : "");
        snprintf(owner, sizeof(owner), "router %s", rt->id);
        for (size_t i = 0; i < rt->n_legs; i++)
                if ((r = check_leg(rt, &rt->legs[i], e)) < 0)
                        return r;
        if (rt->gateway && (r = check_leg(rt, rt->gateway, e)) < 0)
                return r;
        if (rt->gateway_nexthop && (r = check_addr("gateway", owner, rt->gateway_nexthop, AF_INET, e)) < 0)
                return r;
        if (rt->gateway_nexthop6 && (r = check_addr("IPv6 gateway", owner, rt->gateway_nexthop6, AF_INET6, e)) < 0)
                return r;
        for (size_t i = 0; i < rt->n_floatings; i++) {
                if ((r = check_addr("floating IP", owner, rt->floatings[i].floating_ip, AF_INET, e)) < 0 ||
                    (r = check_addr("fixed IP", owner, rt->floatings[i].fixed_ip, AF_INET, e)) < 0)
                        return r;
        }
        if (rt->n_floatings > 0 && !rt->gateway)
                return error_set(e, -EINVAL, "Router %s has floating IPs but no gateway.", rt->id);
        return check_routes(owner, rt->routes, rt->n_routes, e);
}

static int check_rule(const NetPort *p, size_t i, const NetRule *rule, Error *e) {
        char owner[128];
        int r;

        snprintf(owner, sizeof(owner), "rule %zu of port %s", i, p->id);
        if (rule->ethertype != 4 && rule->ethertype != 6)
                return error_set(e, -EINVAL, "The %s has the ethertype %d; only 4 and 6 exist.", owner,
                                 rule->ethertype);
        int proto = net_rule_protocol(rule);
        if (proto == -EINVAL)
                return error_set(e, -EINVAL, "The %s has the protocol '%s', which the data plane does not know.",
                                 owner, rule->protocol);
        if (net_rule_is_icmp(proto, rule->ethertype)) {
                if (rule->port_min < -1 || rule->port_min > 255 || rule->port_max < -1 || rule->port_max > 255 ||
                    (rule->port_min < 0 && rule->port_max >= 0))
                        return error_set(e, -EINVAL, "The %s has the ICMP type %d and code %d: a type of 0-255 "
                                         "and a code of 0-255 that needs a type.", owner, rule->port_min,
                                         rule->port_max);
        } else if (rule->port_min >= 0 || rule->port_max >= 0) {
                if (!net_rule_has_ports(proto))
                        return error_set(e, -EINVAL, "The %s has a port range, which its protocol '%s' does not "
                                         "have.", owner, rule->protocol ? rule->protocol : "any");
                if (rule->port_min < -1 || rule->port_min > 65535 || rule->port_max < -1 || rule->port_max > 65535 ||
                    (rule->port_min >= 0 && rule->port_max >= 0 && rule->port_min > rule->port_max))
                        return error_set(e, -EINVAL, "The %s has the port range %d-%d.", owner, rule->port_min,
                                         rule->port_max);
        }
        if (rule->remote_prefix) {
                NetAddr a;
                if (net_cidr_parse(rule->remote_prefix, &a) < 0 ||
                    a.family != (rule->ethertype == 4 ? AF_INET : AF_INET6))
                        return error_set(e, -EINVAL, "The remote prefix '%s' of the %s is not an IPv%d prefix.",
                                         rule->remote_prefix, owner, rule->ethertype);
        }
        for (const char *const *ip = rule->remote_ips; ip && *ip; ip++)
                if ((r = check_cidr("remote group address", owner, *ip, e)) < 0)
                        return r;
        return 0;
}

static int check_port(const NetState *s, const NetPort *p, Error *e) {
        char owner[128];
        int r;

        if (!net_id_valid(p->id))
                return error_set(e, -EINVAL, "The port id '%s' is not a UUID.", p->id ? p->id : "");
        snprintf(owner, sizeof(owner), "port %s", p->id);
        if (!net_state_network(s, p->network_id))
                return error_set(e, -EINVAL, "Port %s is on network %s, which this host does not have.", p->id,
                                 p->network_id ? p->network_id : "(none)");
        if ((r = check_mac(owner, p->mac, e)) < 0)
                return r;
        for (const char *const *ip = p->ips; ip && *ip; ip++)
                if ((r = check_addr("address", owner, *ip, 0, e)) < 0)
                        return r;
        for (size_t i = 0; i < p->n_pairs; i++) {
                if (p->pairs[i].mac && (r = check_mac(owner, p->pairs[i].mac, e)) < 0)
                        return r;
                if ((r = check_cidr("allowed address pair", owner, p->pairs[i].ip, e)) < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_rules; i++)
                if ((r = check_rule(p, i, &p->rules[i], e)) < 0)
                        return r;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

typedef struct NamedId {
        char name[NET_IFNAME_MAX + 1];
        const char *id;
} NamedId;

static int cmp_named(const void *a, const void *b) {
        const NamedId *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->id, y->id);
}

/*
 * Fails if an id repeats, or if two owners would get one interface name
 * (ids that share their first hex digits): one bridge or chain for two
 * owners would merge them.  Sorted, so a thousand ports cost no more
 * than sorting them.
 */
static int names_unique(const NetNames *n, const char *what, char kind, const char *const *ids, size_t count,
                        Error *e) {
        NamedId *v = xcalloc(count + 1, sizeof(*v));
        int r = 0;
        for (size_t i = 0; i < count; i++) {
                net_name_if(n, kind, ids[i], v[i].name);
                v[i].id = ids[i];
        }
        qsort(v, count, sizeof(*v), cmp_named);
        for (size_t i = 1; i < count && r == 0; i++)
                if (streq(v[i].name, v[i - 1].name))
                        r = streq(v[i].id, v[i - 1].id)
                                    ? error_set(e, -EINVAL, "The state names the %s %s twice.", what, v[i].id)
                                    : error_set(e, -EINVAL, "The %s %s and %s would share the device name %s.",
                                                what, v[i - 1].id, v[i].id, v[i].name);
        free(v);
        return r;
}

static int check_names(const NetNames *n, const NetState *s, Error *e) {
        size_t legs = 0;
        for (size_t i = 0; i < s->n_routers; i++)
                legs += s->routers[i].n_legs + (s->routers[i].gateway ? 1 : 0);
        _cleanup_free_ const char **ids = xcalloc(s->n_networks + s->n_ports + legs + 1, sizeof(char *));
        size_t k = 0;
        int r;

        for (size_t i = 0; i < s->n_networks; i++)
                ids[i] = s->networks[i].id;
        if ((r = names_unique(n, "network", NET_KIND_BRIDGE, ids, s->n_networks, e)) < 0)
                return r;
        for (size_t i = 0; i < s->n_ports; i++)
                ids[i] = s->ports[i].id;
        if ((r = names_unique(n, "port", NET_KIND_TAP, ids, s->n_ports, e)) < 0)
                return r;
        for (size_t i = 0; i < s->n_routers; i++) {
                for (size_t j = 0; j < s->routers[i].n_legs; j++)
                        ids[k++] = s->routers[i].legs[j].port_id;
                if (s->routers[i].gateway)
                        ids[k++] = s->routers[i].gateway->port_id;
        }
        if ((r = names_unique(n, "router port", NET_KIND_LEG_OUTER, ids, k, e)) < 0)
                return r;
        /* Routers have no device of their own, only a namespace named by the whole id. */
        for (size_t i = 0; i < s->n_routers; i++)
                ids[i] = s->routers[i].id;
        qsort(ids, s->n_routers, sizeof(char *), cmp_str);
        for (size_t i = 1; i < s->n_routers; i++)
                if (streq(ids[i], ids[i - 1]))
                        return error_set(e, -EINVAL, "The state names the router %s twice.", ids[i]);
        /* One VXLAN device per VNI. */
        for (size_t i = 0; i < s->n_networks; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(s->networks[i].type, "vxlan") && streq(s->networks[j].type, "vxlan") &&
                            s->networks[i].segmentation_id == s->networks[j].segmentation_id)
                                return error_set(e, -EINVAL, "The networks %s and %s have the same VNI %u.",
                                                 s->networks[j].id, s->networks[i].id, s->networks[i].segmentation_id);
        return 0;
}

int net_state_check(const NetNames *n, const NetState *s, Error *e) {
        NetNames copy;
        int r = net_names_init(&copy, n->prefix, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_networks; i++)
                if ((r = check_network(&s->networks[i], e)) < 0)
                        return r;
        for (size_t i = 0; i < s->n_routers; i++)
                if ((r = check_router(&s->routers[i], e)) < 0)
                        return r;
        for (size_t i = 0; i < s->n_ports; i++)
                if ((r = check_port(s, &s->ports[i], e)) < 0)
                        return r;
        return check_names(n, s, e);
}
