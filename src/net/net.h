/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network data plane: what the networking service asks of a host, as
 * one desired state (NetState, pure data built from the database) that
 * the data plane makes true and keeps true.  Per network a Linux bridge
 * with no address in the root namespace, joined by VXLAN (or a VLAN or a
 * flat provider bridge); per network with DHCP a namespace holding the
 * DHCP port and a dnsmasq fed host files (reloaded, never restarted per
 * port) and the metadata address; per router a namespace with a leg in
 * each of its networks and one in the external network, forwarding, and
 * nftables SNAT and floating-IP DNAT/SNAT; per VM port stateful nftables
 * rules (inet family, telling ports apart by MAC through br_netfilter)
 * and anti-spoofing of its MAC and addresses (bridge family, by port name).
 *
 * Every device, namespace, nftables table and process the data plane
 * makes carries the configured name prefix, so that a reconciliation can
 * find and remove what is not desired any more, and tests (with a prefix
 * of their own) can clean up after themselves.  Nothing without the
 * prefix is ever touched.
 *
 * Pure builders (ruleset text, dnsmasq files) are separate from the
 * step that applies them, so the builders have golden tests and the
 * applier a fake driver that records instead of acting.
 */
#pragma once

#include "util/buf.h"
#include "util/util.h"

/* Interface names are at most 15 characters: the prefix at most 5, a kind letter, then an id. */
#define NET_PREFIX_MAX 5
#define NET_IFNAME_MAX 15

typedef struct NetRoute {
        const char *destination; /* "0.0.0.0/0", "192.168.5.0/24" */
        const char *nexthop;     /* "10.0.0.1" */
} NetRoute;

typedef struct NetSubnet {
        const char *id;
        int ip_version;          /* 4 or 6 */
        const char *cidr;        /* "10.0.0.0/24", "fd00::/64" */
        const char *gateway_ip;  /* NULL: none */
        bool enable_dhcp;
        const char *const *dns_nameservers;  /* NULL-terminated, may be NULL */
        const NetRoute *host_routes;
        size_t n_host_routes;
        const char *ipv6_ra_mode;            /* "slaac", "dhcpv6-stateless", or NULL */
        const char *ipv6_address_mode;
} NetSubnet;

/* A DHCP reservation and DNS name: one address of one port. */
typedef struct NetHost {
        const char *mac;
        const char *ip;
        const char *hostname;    /* "vm1" for a server's port, "host-10-0-0-5" otherwise */
} NetHost;

typedef struct NetNetwork {
        const char *id;
        const char *type;        /* "vxlan", "vlan", "flat" */
        uint32_t segmentation_id; /* VNI, VLAN id; 0 for flat */
        const char *physical_bridge; /* vlan and flat: the provider bridge its uplink is in (gureum.conf) */
        unsigned mtu;
        bool admin_state_up;
        const NetSubnet *subnets;
        size_t n_subnets;
        /* DHCP and metadata, served from the network's namespace through its DHCP port. */
        const char *dhcp_mac;    /* NULL: no DHCP namespace */
        const char *const *dhcp_ips; /* "10.0.0.2/24", one per DHCP subnet, NULL-terminated */
        const NetHost *hosts;
        size_t n_hosts;
        const char *dns_domain;  /* "openstacklocal" */
        bool metadata;           /* 169.254.169.254 in the namespace, routed to by DHCP (option 121) */
} NetNetwork;

/* One leg of a router: its port on a network. */
typedef struct NetRouterLeg {
        const char *port_id;
        const char *network_id;
        const char *mac;
        const char *const *ips;  /* "10.0.0.1/24", NULL-terminated */
} NetRouterLeg;

typedef struct NetFloating {
        const char *floating_ip; /* on the external network */
        const char *fixed_ip;    /* of the port it is associated with */
} NetFloating;

typedef struct NetRouter {
        const char *id;
        bool admin_state_up;
        const NetRouterLeg *legs; /* its interfaces in tenant networks */
        size_t n_legs;
        const NetRouterLeg *gateway; /* its leg on the external network, or NULL */
        const char *gateway_nexthop; /* the external IPv4 subnet's gateway, for the default route */
        const char *gateway_nexthop6; /* the external IPv6 subnet's gateway, for the IPv6 default route */
        bool enable_snat;
        const NetFloating *floatings;
        size_t n_floatings;
        const NetRoute *routes;  /* extra routes */
        size_t n_routes;
} NetRouter;

/* A security group rule, resolved: remote groups already turned into their members' addresses. */
typedef struct NetRule {
        bool ingress;            /* else egress */
        int ethertype;           /* 4 or 6 */
        const char *protocol;    /* NULL: any; "tcp", "udp", "icmp", "icmpv6", or a number as text */
        int port_min, port_max;  /* -1: any; for ICMP the type and the code */
        const char *remote_prefix; /* NULL: any */
        const char *const *remote_ips; /* a remote group's addresses (NULL-terminated), or NULL */
} NetRule;

typedef struct NetAddressPair {
        const char *mac;         /* NULL: the port's */
        const char *ip;          /* an address or a CIDR */
} NetAddressPair;

/* A VM's port: the tap libvirt plugs into the network's bridge. */
typedef struct NetPort {
        const char *id;
        const char *network_id;
        const char *mac;
        const char *const *ips;  /* bare addresses, NULL-terminated */
        bool port_security;      /* false: neither anti-spoofing nor filtering */
        const NetAddressPair *pairs; /* allowed_address_pairs */
        size_t n_pairs;
        const NetRule *rules;    /* the union of its security groups' rules */
        size_t n_rules;
} NetPort;

/* Everything one host should have. */
typedef struct NetState {
        const NetNetwork *networks;
        size_t n_networks;
        const NetRouter *routers;
        size_t n_routers;
        const NetPort *ports;
        size_t n_ports;
} NetState;

/* The names the data plane gives things, all starting with prefix. */
typedef struct NetNames {
        char prefix[NET_PREFIX_MAX + 1]; /* "gr-" in production; a test's own otherwise */
} NetNames;

/* The bridge of a network, the namespace of its DHCP, a router's namespace, a port's tap: into buf (>= 16 or 64). */
void net_name_bridge(const NetNames *n, const char *network_id, char buf[static NET_IFNAME_MAX + 1]);
void net_name_tap(const NetNames *n, const char *port_id, char buf[static NET_IFNAME_MAX + 1]);
void net_name_dhcp_ns(const NetNames *n, const char *network_id, char buf[static 64]);
void net_name_router_ns(const NetNames *n, const char *router_id, char buf[static 64]);
/*
 * The bridge a VM's tap goes into for net: the provider bridge itself for
 * a flat network that names one (physical_bridge), net_name_bridge()
 * otherwise.  Returns buf or net->physical_bridge.
 */
const char *net_network_bridge(const NetNames *n, const NetNetwork *net, char buf[static NET_IFNAME_MAX + 1]);
/* 0 if prefix can start names (1 to NET_PREFIX_MAX of [a-z0-9-], a letter first), else -EINVAL. */
int net_names_init(NetNames *ret, const char *prefix, Error *e);

/*
 * The nftables ruleset of the root namespace for state (security groups
 * and anti-spoofing of every port): a whole `nft -f` script that flushes
 * and refills the prefix's tables, so loading it is atomic.  Pure.
 */
int net_nft_filter_build(const NetNames *n, const NetState *state, Buf *out, Error *e);
/* The nftables ruleset inside a router's namespace: SNAT and floating IPs.  Pure. */
int net_nft_router_build(const NetNames *n, const NetRouter *r, Buf *out, Error *e);
/*
 * dnsmasq's files for a network, appended to the Bufs.  Pure.  hosts is
 * the dhcp-hostsfile (MAC,IP,hostname per address), opts the
 * dhcp-optsfile (router, DNS, MTU, classless static routes per subnet),
 * names the addn-hosts file ("IP hostname.domain hostname"): dnsmasq
 * answers DNS for a dhcp-hostsfile name only once it has leased the
 * address, and a port's name must resolve before its VM asks for DHCP.
 * -EINVAL (with the reason in e) for a network the data plane cannot
 * serve (a bad MAC, address or name).
 */
int net_dnsmasq_build(const NetNames *n, const NetNetwork *net, Buf *hosts, Buf *opts, Buf *names, Error *e);

/* The driver that makes a NetState true on this host. */
typedef struct NetDriver NetDriver;

typedef struct NetConfig {
        NetNames names;
        const char *state_dir;   /* where dnsmasq's files and pid files live (STATE/net) */
        const char *external_bridge; /* the bridge of the external network's uplink, or NULL */
} NetConfig;

/* "linux" (iproute2, nft, dnsmasq) or "fake" (records what it would do). */
int net_open(const char *driver, const NetConfig *cfg, NetDriver **ret, Error *e);
NetDriver *net_close(NetDriver *d);

/*
 * Makes the host match state: creates what is missing, fixes what
 * drifted (a bridge deleted by hand, a dead dnsmasq, a flushed table),
 * removes what carries the prefix and is not desired, reloads rulesets
 * atomically.  Idempotent; running it twice changes nothing the second
 * time.  Returns 0, or the first failure (the rest is still attempted).
 */
int net_apply(NetDriver *d, const NetState *state, Error *e);

/* Removes everything with the prefix (a test's teardown, or decommissioning a host). */
int net_teardown(NetDriver *d, Error *e);
