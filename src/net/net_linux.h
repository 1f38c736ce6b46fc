/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of the linux driver share: one apply's context (the
 * host as it was read at the start, what the state wants kept, the first
 * failure), a veth pair between the root namespace and one of ours, and
 * the DHCP and router steps.  Internal to src/net.
 */
#pragma once

#include <jansson.h>

#include "net/net_link.h"

/* A list of names (devices, namespaces) the state wants kept. */
typedef struct NetNameList {
        char **v;
        size_t n, cap;
} NetNameList;

void net_name_list_add(NetNameList *l, const char *name);
bool net_name_list_has(const NetNameList *l, const char *name);
void net_name_list_done(NetNameList *l);

/* One net_apply (or net_teardown) in progress. */
typedef struct NetApply {
        NetDriver *d;
        const NetNames *names;
        const NetState *state;
        NetLinks root;           /* the root namespace's devices, as read at the start */
        NetNameList keep_links;  /* prefixed devices of the root namespace the state wants */
        NetNameList keep_ns;     /* prefixed namespaces the state wants */
        Error *e;
        int r;                   /* the first failure, or 0 */
} NetApply;

/* Records a failure (the first one is returned by net_apply) and returns r. */
int net_apply_fail(NetApply *a, int r);

/* A veth pair from a bridge of the root namespace into namespace ns. */
typedef struct NetVeth {
        const char *ns;
        const char *outer;       /* its end in the root namespace, in bridge */
        const char *inner;       /* its end in ns, with mac and addrs */
        const char *bridge;
        const char *mac;
        unsigned mtu;            /* 0: leave it */
        bool up;                 /* the inner end */
        char **addrs;            /* "10.0.0.2/24", canonical, NULL-terminated */
} NetVeth;

/*
 * Makes the pair exist and look as v says, given the devices ns has
 * (inside).  Sets *ret_addrs_changed when the inner end's addresses
 * changed (a daemon bound to them must restart).
 */
int net_veth_ensure(NetApply *a, const NetVeth *v, const NetLinks *inside, bool *ret_addrs_changed);

/* Turns IPv6 off on a device of the root namespace: no link-local address there, ever. */
int net_root_ipv6_off(NetApply *a, const char *dev);
/* The canonical "address/len" of a checked address or prefix (host bits kept), into buf. */
void net_cidr_canonical(const char *s, char buf[static 64]);

/* The bridge a leg of a router goes into; NULL (and a failure recorded) if there is none. */
const char *net_leg_bridge(NetApply *a, const NetRouterLeg *leg, bool gateway, char buf[static NET_IFNAME_MAX + 1]);

/* A kind of daemon the driver runs inside its namespaces, its files in state_dir/<namespace>/ (net_daemon.c). */
typedef struct NetDaemon {
        const char *program;     /* its argv[0] */
        const char *pid_option;  /* the option naming its pid file, with its "=" */
        const char *pid_file;    /* that file's name in the daemon's directory */
        const char *ns_kind;     /* the kind of namespace it serves: NET_NS_DHCP, NET_NS_ROUTER */
} NetDaemon;

extern const NetDaemon net_dnsmasq_daemon, net_radvd_daemon;

/*
 * Makes d run in ns with exactly argv, its files in dir: a process that
 * already does is kept (and gets SIGHUP if reload), unless restart;
 * otherwise it is stopped and a new one started.
 */
int net_daemon_ensure(const NetDaemon *d, const char *ns, const char *dir, char *const *argv, bool restart,
                      bool reload, Error *e);
/* Stops d whose files are in dir, if it is one of ours. */
void net_daemon_stop(const NetDaemon *d, const char *dir);
/* Stops every daemon of ours whose files are in dir, and removes dir. */
void net_daemons_forget(const char *dir);
/*
 * Stops every d of ours (found by the namespace its pid file is named
 * after, wherever the state directory was) that serves a namespace not
 * in keep_ns (NULL: all of them).
 */
void net_daemon_reap(const NetDaemon *d, const NetNames *n, const NetNameList *keep_ns);

/* The DHCP namespace, its veth, files and dnsmasq of one network (net_dhcp.c). */
int net_dhcp_apply(NetApply *a, const NetNetwork *net);

/* What the linux driver remembers of the filter ruleset it last loaded (net_filter.c). */
typedef struct NetFilterMemo {
        NftFilter *loaded;       /* what the kernel holds, if known */
        uint32_t genid;          /* the nftables generation right after it was loaded */
        json_t *state;           /* the state it was built from, for net_filter_save */
} NetFilterMemo;

/*
 * Loads the ruleset of f (stolen) for state: only the difference from
 * what was loaded last when the kernel's generation says nothing changed
 * since, else both tables whole.
 */
int net_filter_apply(NetDriver *d, NetFilterMemo *m, const NetState *state, NftFilter *f, Error *e);
/* Keeps what was loaded in the state directory for the next process (the driver is closing). */
void net_filter_save(NetDriver *d, NetFilterMemo *m);
/* Frees what m remembers (the files stay). */
void net_filter_memo_done(NetFilterMemo *m);
/* Forgets what was loaded, files too (a teardown). */
void net_filter_forget(NetDriver *d, NetFilterMemo *m);

/*
 * What the driver made in one of its namespaces at the last apply that
 * checked it whole: the namespace (its inode), a hash of what it was
 * asked to hold, the nftables generation there after our load, and
 * when.  While all of that still holds (and the root ends of its veths
 * are in place), the next apply skips reading the namespace: a host with
 * many networks then pays per change, not per network.  A namespace
 * deleted or made again, a veth gone, a changed request, a changed
 * ruleset, or NET_NS_RECHECK_USEC passing all mean a whole check.
 */
#define NET_NS_RECHECK_USEC (60 * 1000000LL)

typedef struct NetNsMemo {
        char *name;
        ino_t ino;
        uint64_t config;
        uint32_t genid;
        int64_t checked_usec;
} NetNsMemo;

/* The linux driver's NetDriver.data. */
typedef struct NetLinuxData {
        NetFilterMemo filter;
        NetNsMemo *ns;
        size_t n_ns, cap_ns;
} NetLinuxData;

/* True if namespace ns was checked whole recently and holds config (and, for genid != NULL, that ruleset). */
bool net_ns_memo_fresh(NetApply *a, const char *ns, uint64_t config, const uint32_t *genid);
/* Records a whole check of ns that found (or made) config. */
void net_ns_memo_set(NetApply *a, const char *ns, uint64_t config, uint32_t genid);
/* Forgets ns (its check failed). */
void net_ns_memo_forget(NetApply *a, const char *ns);
/* Frees every memo (a teardown, or the driver is closing). */
void net_ns_memos_done(NetLinuxData *data);

/* The namespace, legs, forwarding, routes and NAT of one router (net_router.c). */
int net_router_apply(NetApply *a, const NetRouter *r);
