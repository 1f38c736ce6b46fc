/* SPDX-License-Identifier: Apache-2.0 */
/*
 * radvd's configuration for one router (net_internal.h), pure.
 *
 * A router announces itself (its leg's link-local address) as the
 * default router on each leg into an IPv6 subnet whose ipv6_ra_mode is
 * set, as Neutron's L3 agent does, with the flags the mode means: slaac,
 * the prefix for SLAAC; dhcpv6-stateless, that too and "other
 * configuration" (DNS) from DHCPv6; dhcpv6-stateful, "managed" addresses
 * from DHCPv6 and no SLAAC.  Subnets without an ra_mode get nothing from
 * the router: their prefixes, if they have an address mode, come from
 * the DHCP namespace's dnsmasq, which is nobody's default router.
 */
#include "net/net_internal.h"

/* The IPv6 subnet of net that holds address ip and has an ra_mode, or NULL. */
static const NetSubnet *ra_subnet(const NetNetwork *net, const char *ip) {
        NetAddr a, c;
        if (!net || net_cidr_parse(ip, &a) < 0 || a.family != AF_INET6)
                return NULL;
        a.prefixlen = 128;
        for (size_t i = 0; i < net->n_subnets; i++) {
                const NetSubnet *sn = &net->subnets[i];
                if (sn->ip_version == 6 && sn->ipv6_ra_mode && net_cidr_parse(sn->cidr, &c) == 0 &&
                    net_cidr_contains(&c, &a))
                        return sn;
        }
        return NULL;
}

/* One leg's interface block, if it has a subnet to announce. */
static void put_leg(const NetNames *n, const NetNetwork *net, const NetRouterLeg *leg, Buf *out) {
        size_t n_ips = 0, k = 0;
        for (const char *const *ip = leg->ips; ip && *ip; ip++)
                n_ips++;
        _cleanup_free_ const NetSubnet **subnets = xcalloc(n_ips ? n_ips : 1, sizeof(*subnets));
        bool managed = false, other = false;

        for (const char *const *ip = leg->ips; ip && *ip; ip++) {
                const NetSubnet *sn = ra_subnet(net, *ip);
                bool seen = false;
                for (size_t i = 0; sn && i < k; i++)
                        seen = seen || subnets[i] == sn;
                if (!sn || seen)
                        continue;
                subnets[k++] = sn;
                managed = managed || streq(sn->ipv6_ra_mode, "dhcpv6-stateful");
                other = other || streq(sn->ipv6_ra_mode, "dhcpv6-stateless");
        }
        if (k == 0)
                return;

        char dev[NET_IFNAME_MAX + 1];
        net_name_if(n, NET_KIND_LEG_INNER, leg->port_id, dev);
        buf_printf(out, "interface %s {\n", dev);
        buf_puts(out, "\tAdvSendAdvert on;\n\tMinRtrAdvInterval 30;\n\tMaxRtrAdvInterval 100;\n");
        if (net->mtu > 0)
                buf_printf(out, "\tAdvLinkMTU %u;\n", net->mtu);
        if (managed)
                buf_puts(out, "\tAdvManagedFlag on;\n");
        if (other)
                buf_puts(out, "\tAdvOtherConfigFlag on;\n");
        for (size_t i = 0; i < k; i++) {
                NetAddr c;
                char prefix[64];
                (void) net_cidr_parse(subnets[i]->cidr, &c);
                c = net_cidr_network(&c);
                net_addr_format(&c, true, prefix);
                buf_printf(out, "\tprefix %s {\n\t\tAdvOnLink on;\n\t\tAdvAutonomous %s;\n", prefix,
                           streq(subnets[i]->ipv6_ra_mode, "dhcpv6-stateful") ? "off" : "on");
                /* The DHCP namespace's dnsmasq may announce the prefix too: the same lifetimes. */
                buf_printf(out, "\t\tAdvValidLifetime %u;\n\t\tAdvPreferredLifetime %u;\n\t};\n", NET_LEASE_SECONDS,
                           NET_LEASE_SECONDS);
                /* SLAAC guests learn the subnet's DNS servers here (RFC 8106); DHCPv6 tells the others. */
                if (!streq(subnets[i]->ipv6_ra_mode, "slaac"))
                        continue;
                bool any = false;
                for (const char *const *d = subnets[i]->dns_nameservers; d && *d; d++) {
                        NetAddr a;
                        if (net_addr_parse(*d, &a) < 0 || a.family != AF_INET6)
                                continue;
                        buf_printf(out, "%s %s", any ? "" : "\tRDNSS", *d);
                        any = true;
                }
                if (any)
                        buf_puts(out, " {\n\t};\n");
        }
        buf_puts(out, "};\n");
}

void net_radvd_build(const NetNames *n, const NetState *st, const NetRouter *rt, Buf *out) {
        if (!rt->admin_state_up)
                return;
        for (size_t i = 0; i < rt->n_legs; i++)
                put_leg(n, net_state_network(st, rt->legs[i].network_id), &rt->legs[i], out);
}

char **net_radvd_argv(const char *dir) {
        char **v = xcalloc(6, sizeof(char *));
        v[0] = xstrdup("radvd");
        v[1] = xasprintf("--config=%s/" NET_RADVD_CONF, dir);
        v[2] = xasprintf("--pidfile=%s/" NET_RADVD_PID, dir);
        v[3] = xstrdup("--logmethod=logfile");
        v[4] = xasprintf("--logfile=%s/" NET_RADVD_LOG, dir);
        return v;
}
