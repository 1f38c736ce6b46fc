/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The linux driver's view of devices and namespaces (net_link.c): what
 * `ip -j -d addr show` says a namespace holds, `ip` commands run by argv,
 * the network namespaces under /run/netns, and sysctls, in the root
 * namespace or in one of ours.  Internal to src/net.
 */
#pragma once

#include <sys/types.h>

#include "net/net_internal.h"

/* Timeout of one ip, nft or dnsmasq start: generous, none of them should take a second. */
#define NET_EXEC_TIMEOUT_USEC (60 * 1000000LL)

/* A device as `ip -j -d addr show` reports it. */
typedef struct NetLink {
        char name[NET_IFNAME_MAX + 1];
        char kind[16];           /* linkinfo.info_kind: "bridge", "veth", "vxlan", "vlan", "tun", or "" */
        char master[NET_IFNAME_MAX + 1]; /* the bridge it is in, or "" */
        char mac[18];
        unsigned mtu;
        bool up;                 /* administratively up (the UP flag) */
        uint32_t vxlan_id;       /* kind vxlan: its VNI */
        unsigned vxlan_port;     /* kind vxlan: its UDP port */
        uint32_t vlan_id;        /* kind vlan: its id */
        char **addrs;            /* "10.0.0.2/24", canonical; IPv6 link-local (fe80::/10) left out */
        size_t n_addrs;
} NetLink;

typedef struct NetLinks {
        NetLink *v;
        size_t n;
} NetLinks;

/* Reads the devices of namespace ns (NULL: the caller's). */
int net_links_read(const char *ns, NetLinks *ret, Error *e);
const NetLink *net_links_find(const NetLinks *l, const char *name);
bool net_link_has_addr(const NetLink *l, const char *cidr);
void net_links_done(NetLinks *l);

/* Runs argv (NULL-terminated) with input on stdin (may be NULL), failing with the program's stderr in e. */
int net_run(const char *const *argv, const char *input, size_t len, Error *e);
/* Runs `ip [-n ns] args...` (NULL-terminated). */
int net_ip(Error *e, const char *ns, ...) __attribute__((sentinel));

/* The names under /run/netns (a new vector, strv_free). */
char **net_netns_list(void);
/* The inode of namespace name (its identity), or 0 if it does not exist. */
ino_t net_netns_inode(const char *name);

/* Runs fn(arg) in a thread that entered namespace ns, and returns what it returned (or -errno). */
int net_netns_call(const char *ns, int (*fn)(void *arg), void *arg);

/*
 * Sets a sysctl (a path under /proc/sys) to value unless it already has
 * it, in namespace ns (NULL: the caller's).  In a namespace, a thread of
 * its own enters it, so the caller's threads never change namespace.
 */
int net_sysctl_set(const char *ns, const char *path, const char *value, Error *e);

/*
 * The nftables generation of the caller's namespace: the kernel counts
 * every committed ruleset transaction, whoever made it.  Equal to what it
 * was right after our last load means nobody changed any table since.
 */
int net_nft_genid(uint32_t *ret);
/* The same in namespace ns. */
int net_nft_genid_in(const char *ns, uint32_t *ret);
