/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What one network's dnsmasq is given, as pure functions of the network
 * (net.h): the dhcp-hostsfile (a reservation per port address), the
 * dhcp-optsfile (per DHCP subnet: router, DNS servers, MTU, classless
 * static routes with the metadata route), the addn-hosts file (the
 * ports' DNS names), and its command line.  dnsmasq re-reads the three
 * files on SIGHUP, so a port coming or going never restarts it; only a
 * change of the command line (a subnet added, the MTU changed) does.
 *
 * Every subnet is tagged "subnet-<id>" by its --dhcp-range, and its
 * options carry that tag, as in Neutron.  DHCP is static only: dnsmasq
 * answers the MACs of the hosts file and nobody else.
 */
#include <arpa/inet.h>

#include "net/net_internal.h"

/* dnsmasq's --dhcp-lease-max is at most this (Neutron caps it the same way). */
#define LEASE_MAX_CAP (1u << 24)

/* The DHCP port's address inside sn, bare, or false if it has none there. */
static bool dhcp_ip_in(const NetNetwork *net, const NetSubnet *sn, char buf[static 64]) {
        NetAddr cidr, a;
        (void) net_cidr_parse(sn->cidr, &cidr);
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++) {
                if (net_cidr_parse(*ip, &a) < 0)
                        continue;
                NetAddr host = a;
                host.prefixlen = a.family == AF_INET ? 32 : 128;
                if (net_cidr_contains(&cidr, &host)) {
                        net_addr_format(&a, false, buf);
                        return true;
                }
        }
        return false;
}

/* The address mode dnsmasq serves an IPv6 subnet in: its --dhcp-range mode word. */
static const char *v6_mode(const NetSubnet *sn) {
        const char *m = sn->ipv6_address_mode ? sn->ipv6_address_mode : sn->ipv6_ra_mode;
        if (!m || streq(m, "dhcpv6-stateful"))
                return "static";
        if (streq(m, "dhcpv6-stateless"))
                return "ra-stateless";
        return "ra-only"; /* slaac: addresses from the prefix, no DHCPv6 */
}

/* True if dnsmasq sends router advertisements for sn (a mode was given). */
static bool v6_ra(const NetSubnet *sn) {
        return sn->ip_version == 6 && (sn->ipv6_address_mode || sn->ipv6_ra_mode);
}

/* True if dnsmasq hands out sn's addresses (IPv4, or DHCPv6 stateful). */
static bool serves_addresses(const NetSubnet *sn) {
        return sn->enable_dhcp && (sn->ip_version == 4 || streq(v6_mode(sn), "static"));
}

/* The DHCP subnets of net; each must have an address of the DHCP port in it. */
static int check_dhcp_subnets(const NetNetwork *net, Error *e) {
        for (size_t i = 0; i < net->n_subnets; i++) {
                char ip[64];
                const NetSubnet *sn = &net->subnets[i];
                if (sn->enable_dhcp && !dhcp_ip_in(net, sn, ip))
                        return error_set(e, -EINVAL, "Subnet %s of network %s has DHCP on, but the DHCP port has no "
                                         "address in it.", sn->id, net->id);
        }
        return 0;
}

static int check_network(const NetNames *n, const NetNetwork *net, Error *e) {
        if (!net)
                return error_set(e, -EINVAL, "No network given.");
        NetState one = { .networks = net, .n_networks = 1 };
        int r = net_state_check(n, &one, e);
        if (r < 0)
                return r;
        return check_dhcp_subnets(net, e);
}

/* The subnet of net that holds addr, or NULL. */
static const NetSubnet *subnet_of(const NetNetwork *net, const NetAddr *addr) {
        for (size_t i = 0; i < net->n_subnets; i++) {
                NetAddr cidr;
                if (net_cidr_parse(net->subnets[i].cidr, &cidr) == 0 && net_cidr_contains(&cidr, addr))
                        return &net->subnets[i];
        }
        return NULL;
}

static void put_route(Buf *b, bool *first, const char *dest, const char *via) {
        buf_printf(b, ",%s,%s", dest, via);
        *first = false;
}

/* The options of one IPv4 subnet. */
static void put_opts4(Buf *o, const NetNetwork *net, const NetSubnet *sn) {
        char dhcp_ip[64];
        (void) dhcp_ip_in(net, sn, dhcp_ip);

        if (sn->gateway_ip)
                buf_printf(o, "tag:subnet-%s,option:router,%s\n", sn->id, sn->gateway_ip);
        else /* dnsmasq would otherwise name itself the router */
                buf_printf(o, "tag:subnet-%s,option:router\n", sn->id);

        buf_printf(o, "tag:subnet-%s,option:dns-server", sn->id);
        bool any = false;
        for (const char *const *d = sn->dns_nameservers; d && *d; d++) {
                NetAddr a;
                if (net_addr_parse(*d, &a) == 0 && a.family == AF_INET) {
                        buf_printf(o, ",%s", *d);
                        any = true;
                }
        }
        if (!any)
                buf_printf(o, ",%s", dhcp_ip);
        buf_puts(o, "\n");

        if (net->mtu > 0)
                buf_printf(o, "tag:subnet-%s,option:mtu,%u\n", sn->id, net->mtu);

        /*
         * Classless static routes (RFC 3442): a client that gets them
         * ignores option 3, so the default route goes in too.  The host
         * routes, the network's other IPv4 subnets on link, the metadata
         * address through the DHCP port, then the gateway.
         */
        Buf routes = {};
        bool first = true, has_default = false;
        for (size_t i = 0; i < sn->n_host_routes; i++) {
                NetAddr d;
                char dest[64];
                (void) net_cidr_parse(sn->host_routes[i].destination, &d);
                if (d.family != AF_INET)
                        continue;
                d = net_cidr_network(&d);
                net_addr_format(&d, true, dest);
                has_default = has_default || d.prefixlen == 0;
                put_route(&routes, &first, dest, sn->host_routes[i].nexthop);
        }
        for (size_t i = 0; i < net->n_subnets; i++) {
                const NetSubnet *other = &net->subnets[i];
                if (other == sn || other->ip_version != 4)
                        continue;
                NetAddr c;
                char dest[64];
                (void) net_cidr_parse(other->cidr, &c);
                c = net_cidr_network(&c);
                net_addr_format(&c, true, dest);
                put_route(&routes, &first, dest, "0.0.0.0");
        }
        if (net->metadata)
                put_route(&routes, &first, "169.254.169.254/32", dhcp_ip);
        if (!first) {
                if (sn->gateway_ip && !has_default)
                        put_route(&routes, &first, "0.0.0.0/0", sn->gateway_ip);
                buf_printf(o, "tag:subnet-%s,option:classless-static-route%s\n", sn->id, routes.data);
                /* The same for Windows clients, which ask for option 249. */
                buf_printf(o, "tag:subnet-%s,249%s\n", sn->id, routes.data);
        }
        buf_done(&routes);
}

/* The options of one IPv6 subnet. */
static void put_opts6(Buf *o, const NetNetwork *net, const NetSubnet *sn) {
        char dhcp_ip[64];
        (void) dhcp_ip_in(net, sn, dhcp_ip);

        buf_printf(o, "tag:subnet-%s,option6:dns-server", sn->id);
        bool any = false;
        for (const char *const *d = sn->dns_nameservers; d && *d; d++) {
                NetAddr a;
                if (net_addr_parse(*d, &a) == 0 && a.family == AF_INET6) {
                        buf_printf(o, ",[%s]", *d);
                        any = true;
                }
        }
        if (!any)
                buf_printf(o, ",[%s]", dhcp_ip);
        buf_puts(o, "\n");
        if (net->dns_domain)
                buf_printf(o, "tag:subnet-%s,option6:domain-search,%s\n", sn->id, net->dns_domain);
}

int net_dnsmasq_build(const NetNames *n, const NetNetwork *net, Buf *hosts, Buf *opts, Buf *names, Error *e) {
        int r = check_network(n, net, e);
        if (r < 0)
                return r;

        for (size_t i = 0; i < net->n_hosts; i++) {
                const NetHost *h = &net->hosts[i];
                char mac[18], ip[64];
                NetAddr a;
                uint8_t raw[6];

                (void) net_mac_parse(h->mac, raw);
                net_mac_format(raw, mac);
                (void) net_addr_parse(h->ip, &a);
                net_addr_format(&a, false, ip);
                const NetSubnet *sn = subnet_of(net, &a);
                if (hosts && sn && serves_addresses(sn)) {
                        if (a.family == AF_INET)
                                buf_printf(hosts, "%s,%s,%s\n", mac, ip, h->hostname);
                        else
                                buf_printf(hosts, "%s,[%s],%s\n", mac, ip, h->hostname);
                }
                if (names) {
                        if (net->dns_domain)
                                buf_printf(names, "%s\t%s.%s %s\n", ip, h->hostname, net->dns_domain, h->hostname);
                        else
                                buf_printf(names, "%s\t%s\n", ip, h->hostname);
                }
        }

        if (opts)
                for (size_t i = 0; i < net->n_subnets; i++) {
                        const NetSubnet *sn = &net->subnets[i];
                        if (!sn->enable_dhcp)
                                continue;
                        if (sn->ip_version == 4)
                                put_opts4(opts, net, sn);
                        else
                                put_opts6(opts, net, sn);
                }
        return 0;
}

/* A vector of strings that grows. */
typedef struct Argv {
        char **v;
        size_t n, cap;
} Argv;

static void argv_add(Argv *a, char *s) {
        if (a->n + 2 > a->cap) {
                a->cap = a->cap ? a->cap * 2 : 32;
                a->v = xrealloc(a->v, a->cap * sizeof(char *));
        }
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

int net_dnsmasq_argv(const NetNames *n, const NetNetwork *net, const char *dir, char ***ret, Error *e) {
        char dev[NET_IFNAME_MAX + 1];
        uint64_t leases = 0;
        bool ra = false;
        Argv a = {};
        int r = check_network(n, net, e);
        if (r < 0)
                return r;
        if (isempty(dir) || dir[0] != '/')
                return error_set(e, -EINVAL, "The directory of a dnsmasq must be an absolute path, not '%s'.",
                                 dir ? dir : "");

        net_name_if(n, NET_KIND_DHCP_INNER, net->id, dev);
        argv_add(&a, xstrdup("dnsmasq"));
        /* Nothing from /etc: no dnsmasq.conf, no /etc/hosts, no resolv.conf. */
        argv_add(&a, xstrdup("--conf-file=/dev/null"));
        argv_add(&a, xstrdup("--no-hosts"));
        argv_add(&a, xstrdup("--no-resolv"));
        argv_add(&a, xstrdup("--strict-order"));
        /* A bare name ("vm2") is answered here, never forwarded: NODATA for its AAAA, not REFUSED. */
        argv_add(&a, xstrdup("--domain-needed"));
        argv_add(&a, xstrdup("--except-interface=lo"));
        argv_add(&a, xstrdup("--bind-interfaces"));
        argv_add(&a, xasprintf("--interface=%s", dev));
        argv_add(&a, xasprintf("--pid-file=%s/" NET_DNSMASQ_PID, dir));
        argv_add(&a, xasprintf("--dhcp-hostsfile=%s/" NET_DNSMASQ_HOSTS, dir));
        argv_add(&a, xasprintf("--dhcp-optsfile=%s/" NET_DNSMASQ_OPTS, dir));
        argv_add(&a, xasprintf("--addn-hosts=%s/" NET_DNSMASQ_NAMES, dir));
        /* Reservations are static: a restart loses nothing a lease file would keep. */
        argv_add(&a, xstrdup("--leasefile-ro"));
        argv_add(&a, xstrdup("--dhcp-authoritative"));
        /* The state directory is not readable by others (0750): dnsmasq keeps root to re-read its files. */
        argv_add(&a, xstrdup("--user=root"));
        argv_add(&a, xstrdup("--group=root"));
        argv_add(&a, xasprintf("--log-facility=%s/" NET_DNSMASQ_LOG, dir));
        argv_add(&a, xstrdup("--quiet-dhcp"));
        argv_add(&a, xstrdup("--quiet-dhcp6"));
        argv_add(&a, xstrdup("--quiet-ra"));
        for (size_t i = 0; i < net->n_subnets; i++) {
                const NetSubnet *sn = &net->subnets[i];
                NetAddr c;
                char addr[64];
                if (!sn->enable_dhcp)
                        continue;
                (void) net_cidr_parse(sn->cidr, &c);
                c = net_cidr_network(&c);
                net_addr_format(&c, false, addr);
                if (sn->ip_version == 4) {
                        char mask[16];
                        net_netmask4(c.prefixlen, mask);
                        argv_add(&a, xasprintf("--dhcp-range=set:subnet-%s,%s,static,%s,%us", sn->id, addr, mask,
                                               NET_LEASE_SECONDS));
                        leases += c.prefixlen >= 8 ? (uint64_t) 1 << (32 - c.prefixlen) : LEASE_MAX_CAP;
                } else {
                        argv_add(&a, xasprintf("--dhcp-range=set:subnet-%s,%s,%s,%d,%us", sn->id, addr,
                                               v6_mode(sn), c.prefixlen, NET_LEASE_SECONDS));
                        leases += c.prefixlen >= 104 ? (uint64_t) 1 << (128 - c.prefixlen) : LEASE_MAX_CAP;
                        ra = ra || v6_ra(sn);
                }
        }
        if (leases > 0)
                argv_add(&a, xasprintf("--dhcp-lease-max=%llu",
                                       (unsigned long long) (leases < LEASE_MAX_CAP ? leases : LEASE_MAX_CAP)));
        if (ra) {
                argv_add(&a, xstrdup("--enable-ra"));
                /*
                 * Router lifetime 0: the prefixes are announced for SLAAC,
                 * but the DHCP namespace is nobody's default router.
                 */
                if (net->mtu > 0)
                        argv_add(&a, xasprintf("--ra-param=%s,mtu:%u,60,0", dev, net->mtu));
                else
                        argv_add(&a, xasprintf("--ra-param=%s,60,0", dev));
        }
        if (net->dns_domain) {
                argv_add(&a, xasprintf("--domain=%s", net->dns_domain));
                argv_add(&a, xasprintf("--local=/%s/", net->dns_domain));
        }
        *ret = a.v;
        return 0;
}
