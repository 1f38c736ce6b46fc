/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of the data plane share and nothing above it needs:
 * the kind letters of interface names, address and MAC parsing (so
 * nothing that reaches an nft script, a dnsmasq file or an ip command
 * is used unchecked), the dnsmasq command line, and the driver vtable
 * behind net_open().  Tests include it for the builders' internals.
 */
#pragma once

#include <pthread.h>
#include <sys/socket.h>

#include "net/net.h"

/*
 * The letter after the prefix in an interface name says what it is; the
 * hex digits after it are the first of the owner's id (dashes dropped).
 */
enum {
        NET_KIND_BRIDGE = 'b',     /* a network's bridge (network id) */
        NET_KIND_TAP = 't',        /* a VM port's tap, made by libvirt (port id) */
        NET_KIND_VXLAN = 'x',      /* a network's VXLAN device (VNI, in decimal) */
        NET_KIND_VLAN = 'v',       /* a vlan network's 802.1Q device on the uplink (network id) */
        NET_KIND_DHCP_OUTER = 'd', /* the DHCP veth's end in the bridge (network id) */
        NET_KIND_DHCP_INNER = 'i', /* its end in the DHCP namespace (network id) */
        NET_KIND_LEG_OUTER = 'r',  /* a router leg's veth end in the bridge (leg port id) */
        NET_KIND_LEG_INNER = 'q',  /* its end in the router namespace (leg port id) */
};

/* prefix + kind + as many hex digits of id as fit in NET_IFNAME_MAX. */
void net_name_if(const NetNames *n, char kind, const char *id, char buf[static NET_IFNAME_MAX + 1]);
void net_name_vxlan(const NetNames *n, uint32_t vni, char buf[static NET_IFNAME_MAX + 1]);
/* An nftables table: prefix + what ("gr-filter"). */
void net_name_table(const NetNames *n, const char *what, char buf[static 32]);
/* True if name starts with the prefix and the kind letter. */
bool net_name_has_kind(const NetNames *n, const char *name, char kind);
/* The namespace prefixes: "<prefix>dhcp-" and "<prefix>r-". */
#define NET_NS_DHCP "dhcp-"
#define NET_NS_ROUTER "r-"

/* An IPv4 or IPv6 address with a prefix length (the full length for a bare address). */
typedef struct NetAddr {
        int family;              /* AF_INET or AF_INET6 */
        uint8_t bytes[16];
        int prefixlen;
} NetAddr;

/* A bare address (no "/len"): 0 or -EINVAL. */
int net_addr_parse(const char *s, NetAddr *ret);
/* "address/len" or a bare address (a host prefix): 0 or -EINVAL. */
int net_cidr_parse(const char *s, NetAddr *ret);
/* True if a lies inside net (same family, first net->prefixlen bits equal). */
bool net_cidr_contains(const NetAddr *net, const NetAddr *a);
/* The network of a: host bits zeroed. */
NetAddr net_cidr_network(const NetAddr *a);
/* Canonical text (inet_ntop), with "/len" if with_prefix. */
void net_addr_format(const NetAddr *a, bool with_prefix, char buf[static 64]);
/* The dotted netmask of an IPv4 prefix length. */
void net_netmask4(int prefixlen, char buf[static 16]);
/* "fa:16:3e:00:00:01" in any case: 0 or -EINVAL. */
int net_mac_parse(const char *s, uint8_t ret[static 6]);
/* Lowercase colon form. */
void net_mac_format(const uint8_t mac[static 6], char buf[static 18]);
/* The IPv6 link-local address a MAC gives (fe80::/64 + modified EUI-64). */
void net_mac_link_local(const uint8_t mac[static 6], char buf[static 64]);
/* A Neutron id: a UUID, dashed or not. */
bool net_id_valid(const char *id);
/* A DNS name: labels of [A-Za-z0-9-] (not starting or ending with '-'), dots between, <= 253 chars. */
bool net_dns_name_valid(const char *s);
/* An interface name the kernel accepts: 1-15 chars, no '/', ':', whitespace, quotes or '*'. */
bool net_ifname_valid(const char *s);
/* The conntrack zone of a network's traffic in the root namespace: stable, from its id, 1..65535. */
uint16_t net_zone(const char *network_id);

/* The network of a port, leg or router; NULL if the state has none with that id. */
const NetNetwork *net_state_network(const NetState *s, const char *id);
/*
 * Checks what the builders and the driver rely on: the prefix, ids,
 * MACs, addresses, names, and that ports name networks of the state.
 * -EINVAL with the first problem in e.
 */
int net_state_check(const NetNames *n, const NetState *s, Error *e);

/*
 * A rule's IP protocol number: -1 for any, 0-255, or -EINVAL for a name
 * the data plane does not know.  Names are Neutron's; for an IPv6 rule,
 * "icmp" (or 1) means ICMPv6, as in Neutron.
 */
int net_rule_protocol(const NetRule *r);
/* ICMP or ICMPv6 for the ethertype: port_min and port_max are the type and code. */
bool net_rule_is_icmp(int proto, int ethertype);
/* A protocol with ports (tcp, udp, sctp, dccp, udplite): port_min and port_max are a range. */
bool net_rule_has_ports(int proto);

/*
 * The root namespace's filter ruleset as objects (chains, sets, map
 * elements), so that the driver can load only what changed since the
 * last load.  net_nft_filter_build() is model + script.
 */
typedef struct NftFilter NftFilter;
int net_nft_filter_model(const NetNames *n, const NetState *state, NftFilter **ret, Error *e);
NftFilter *net_nft_filter_free(NftFilter *f);
/* The whole script (replaces both tables). */
void net_nft_filter_script(const NetNames *n, const NftFilter *f, Buf *out);
/*
 * A script that turns the ruleset of old into that of new, given that
 * the kernel holds exactly old: one transaction of set, element and chain
 * changes.  Appends nothing when they are the same.
 */
void net_nft_filter_delta(const NetNames *n, const NftFilter *old, const NftFilter *new, Buf *out);

/*
 * dnsmasq's lease time, as Neutron's default dhcp_lease_duration.  It is
 * also both lifetimes of the IPv6 prefixes dnsmasq announces, which a
 * router's radvd announces alike: routers that disagree on a prefix log
 * it (RFC 4861, 6.2.7).
 */
#define NET_LEASE_SECONDS 86400u

/* Files of a DHCP namespace's dnsmasq, under its directory (state_dir/<namespace>). */
#define NET_DNSMASQ_PID "dnsmasq.pid"
#define NET_DNSMASQ_HOSTS "hosts"
#define NET_DNSMASQ_OPTS "opts"
#define NET_DNSMASQ_NAMES "names"
#define NET_DNSMASQ_LOG "dnsmasq.log"

/*
 * dnsmasq's command line for net, whose files live in dir: a new
 * NULL-terminated vector (strv_free).  Pure, like the files.
 */
int net_dnsmasq_argv(const NetNames *n, const NetNetwork *net, const char *dir, char ***ret, Error *e);

/* Files of a router namespace's radvd, under its directory (state_dir/<namespace>). */
#define NET_RADVD_CONF "radvd.conf"
#define NET_RADVD_PID "radvd.pid"
#define NET_RADVD_LOG "radvd.log"

/*
 * radvd's configuration for router rt of state st (net_radvd.c): appends
 * nothing when the router has no leg into an IPv6 subnet with an
 * ipv6_ra_mode (or is down).  Pure.
 */
void net_radvd_build(const NetNames *n, const NetState *st, const NetRouter *rt, Buf *out);
/* radvd's command line, its files in dir: a new NULL-terminated vector (strv_free). */
char **net_radvd_argv(const char *dir);

/*
 * A driver behind net_open(): NULL members are unsupported.  One apply
 * or teardown runs at a time per NetDriver (net.c holds its lock).
 */
typedef struct NetDriverOps {
        const char *name;
        /* Allocates the driver's private data from cfg (already copied into d->cfg). */
        int (*open)(NetDriver *d, Error *e);
        void (*close)(NetDriver *d);
        int (*apply)(NetDriver *d, const NetState *state, Error *e);
        int (*teardown)(NetDriver *d, Error *e);
} NetDriverOps;

struct NetDriver {
        const NetDriverOps *ops;
        NetConfig cfg;           /* strings owned by the driver (copies) */
        void *data;              /* the driver's own */
        pthread_mutex_t lock;    /* one apply or teardown at a time */
};

extern const NetDriverOps net_linux_ops;
extern const NetDriverOps net_fake_ops;
