/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The names the data plane gives what it makes (net.h, net_internal.h):
 * interface names are the prefix, a kind letter and the first hex digits
 * of the owner's id, at most 15 characters (IFNAMSIZ - 1); namespaces are
 * the prefix, "dhcp-" or "r-" and the whole id, as Neutron's qdhcp- and
 * qrouter-; nftables tables are the prefix and what they hold.  With the
 * longest prefix an interface keeps 9 hex digits of its id (36 bits), so
 * two ids on one host collide with odds of about one in 10^10.
 */
#include <ctype.h>

#include "net/net_internal.h"

int net_names_init(NetNames *ret, const char *prefix, Error *e) {
        size_t len = prefix ? strlen(prefix) : 0;
        if (len == 0 || len > NET_PREFIX_MAX)
                return error_set(e, -EINVAL, "The name prefix '%s' must have 1 to %d characters.",
                                 prefix ? prefix : "", NET_PREFIX_MAX);
        if (!islower((unsigned char) prefix[0]))
                return error_set(e, -EINVAL, "The name prefix '%s' must start with a lowercase letter.", prefix);
        for (size_t i = 0; i < len; i++)
                if (!islower((unsigned char) prefix[i]) && !isdigit((unsigned char) prefix[i]) && prefix[i] != '-')
                        return error_set(e, -EINVAL,
                                         "The name prefix '%s' may hold only lowercase letters, digits and '-'.",
                                         prefix);
        *ret = (NetNames) {};
        memcpy(ret->prefix, prefix, len + 1);
        return 0;
}

void net_name_if(const NetNames *n, char kind, const char *id, char buf[static NET_IFNAME_MAX + 1]) {
        size_t k = strlen(n->prefix);
        memcpy(buf, n->prefix, k);
        buf[k++] = kind;
        for (const char *p = id ? id : ""; *p && k < NET_IFNAME_MAX; p++)
                if (isxdigit((unsigned char) *p))
                        buf[k++] = (char) tolower((unsigned char) *p);
        buf[k] = '\0';
}

void net_name_vxlan(const NetNames *n, uint32_t vni, char buf[static NET_IFNAME_MAX + 1]) {
        /* A VNI has at most 8 decimal digits: prefix 5 + 'x' + 8 = 14. */
        snprintf(buf, NET_IFNAME_MAX + 1, "%s%c%u", n->prefix, NET_KIND_VXLAN, vni);
}

void net_name_table(const NetNames *n, const char *what, char buf[static 32]) {
        snprintf(buf, 32, "%s%s", n->prefix, what);
}

bool net_name_has_kind(const NetNames *n, const char *name, char kind) {
        size_t k = strlen(n->prefix);
        return startswith(name, n->prefix) && name[k] == kind;
}

void net_name_bridge(const NetNames *n, const char *network_id, char buf[static NET_IFNAME_MAX + 1]) {
        net_name_if(n, NET_KIND_BRIDGE, network_id, buf);
}

void net_name_tap(const NetNames *n, const char *port_id, char buf[static NET_IFNAME_MAX + 1]) {
        net_name_if(n, NET_KIND_TAP, port_id, buf);
}

void net_name_dhcp_ns(const NetNames *n, const char *network_id, char buf[static 64]) {
        snprintf(buf, 64, "%s" NET_NS_DHCP "%s", n->prefix, network_id);
}

void net_name_router_ns(const NetNames *n, const char *router_id, char buf[static 64]) {
        snprintf(buf, 64, "%s" NET_NS_ROUTER "%s", n->prefix, router_id);
}

const char *net_network_bridge(const NetNames *n, const NetNetwork *net, char buf[static NET_IFNAME_MAX + 1]) {
        if (net->type && streq(net->type, "flat") && !isempty(net->physical_bridge))
                return net->physical_bridge;
        net_name_bridge(n, net->id, buf);
        return buf;
}
