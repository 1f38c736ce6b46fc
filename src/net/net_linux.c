/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The linux driver: net_apply makes the host what a NetState says, with
 * iproute2, nft and dnsmasq run by argv (util/exec), reading the host
 * before changing it, so that everything it does is idempotent and a
 * host that drifted (a bridge or namespace deleted by hand, a killed
 * dnsmasq, a flushed table) converges on the next apply.  In order:
 *
 *   1. check the state and build every ruleset and file: a state the
 *      builders refuse changes nothing on the host;
 *   2. br_netfilter on (bridge-nf-call-iptables and -ip6tables = 1), so
 *      that bridged traffic meets the inet-family security groups;
 *   3. per network its bridge (no address: IPv6 off on it, addresses
 *      flushed), and its VXLAN or VLAN device;
 *   4. the root namespace's filter ruleset, in one `nft -f -` transaction
 *      that replaces the prefix's tables whole, then each VM's tap (when
 *      libvirt made it) into its bridge;
 *   5. per network with DHCP its namespace, veth and dnsmasq (net_dhcp.c);
 *   6. per router its namespace, legs, routes and NAT (net_router.c);
 *   7. whatever carries the prefix and the state no longer names: devices
 *      of the root namespace (but the taps, which are libvirt's: an
 *      unknown tap is cut off by the bridge ruleset instead), namespaces
 *      with their dnsmasq, and dnsmasq directories.
 *
 * A failure is recorded and the remaining steps still run (net.h); no
 * step is rolled back, because every step converges: the next apply
 * picks up where this one stopped.  The nftables rulesets are the only
 * multi-part changes, and each is one kernel transaction.
 */
#include <dirent.h>
#include <time.h>

#include "net/net_linux.h"
#include "util/exec.h"
#include "util/fileio.h"
#include "util/jx.h"

/* The UDP port of our VXLAN devices: IANA's (the kernel's default, 8472, is Linux's older one). */
#define VXLAN_PORT 4789u

static bool need_create(NetApply *a, const NetLink *l, const char *kind) {
        if (!l)
                return true;
        if (streq(l->kind, kind))
                return false;
        (void) net_ip(NULL, NULL, "link", "del", "dev", l->name, NULL);
        return true;
}

/* The bridge of a network we own: exists, no address, MTU, up unless the network is down. */
static int bridge_ensure(NetApply *a, const NetNetwork *net, const char *br) {
        const NetLink *l = net_links_find(&a->root, br);
        char mtu[16];
        int r;

        snprintf(mtu, sizeof(mtu), "%u", net->mtu);
        bool created = need_create(a, l, "bridge");
        if (created) {
                r = net_ip(a->e, NULL, "link", "add", "name", br, "type", "bridge", NULL);
                if (r < 0)
                        return r;
        }
        r = net_root_ipv6_off(a, br);
        if (r < 0)
                return r;
        if (!created && l->n_addrs > 0) {
                r = net_ip(a->e, NULL, "addr", "flush", "dev", br, NULL);
                if (r < 0)
                        return r;
        }
        bool up = net->admin_state_up;
        if (created || l->up != up || (net->mtu && l->mtu != net->mtu)) {
                r = net->mtu ? net_ip(a->e, NULL, "link", "set", "dev", br, "mtu", mtu, up ? "up" : "down", NULL)
                             : net_ip(a->e, NULL, "link", "set", "dev", br, up ? "up" : "down", NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The segment device (VXLAN or VLAN) that joins a network's bridge to the others. */
static int segment_ensure(NetApply *a, const NetNetwork *net, const char *br) {
        char dev[NET_IFNAME_MAX + 1], id[16], mtu[16];
        bool vxlan = streq(net->type, "vxlan");
        int r;

        snprintf(id, sizeof(id), "%u", net->segmentation_id);
        snprintf(mtu, sizeof(mtu), "%u", net->mtu);
        if (vxlan)
                net_name_vxlan(a->names, net->segmentation_id, dev);
        else
                net_name_if(a->names, NET_KIND_VLAN, net->id, dev);
        net_name_list_add(&a->keep_links, dev);
        const NetLink *l = net_links_find(&a->root, dev);
        if (l && (vxlan ? l->vxlan_id : l->vlan_id) != net->segmentation_id) {
                (void) net_ip(NULL, NULL, "link", "del", "dev", dev, NULL);
                l = NULL;
        }
        bool created = need_create(a, l, vxlan ? "vxlan" : "vlan");
        if (created && vxlan) {
                /* The kernel allows one device per VNI and port: say who holds it, and what to change. */
                for (size_t i = 0; i < a->root.n; i++) {
                        const NetLink *o = &a->root.v[i];
                        if (streq(o->kind, "vxlan") && o->vxlan_id == net->segmentation_id &&
                            o->vxlan_port == VXLAN_PORT && !streq(o->name, dev))
                                return error_set(a->e, -EEXIST, "Network %s cannot have VXLAN identifier %u: the "
                                                 "device %s of this host holds it (vni_min and vni_max in "
                                                 "[network] choose the range this cloud takes them from).",
                                                 net->id, net->segmentation_id, o->name);
                }
                /*
                 * Local only for now: no remote VTEPs, so the device
                 * listens on loopback, where nobody outside can inject
                 * frames into the network; learning off, as Neutron does.
                 */
                char port[8];
                snprintf(port, sizeof(port), "%u", VXLAN_PORT);
                r = net_ip(a->e, NULL, "link", "add", dev, "type", "vxlan", "id", id, "dstport", port, "local",
                           "127.0.0.1", "nolearning", NULL);
                if (r < 0)
                        return r;
        } else if (created) {
                /* A VLAN device on the provider bridge's uplink: the port of that bridge that is not ours. */
                const char *uplink = NULL;
                for (size_t i = 0; i < a->root.n && !uplink; i++)
                        if (streq(a->root.v[i].master, net->physical_bridge) &&
                            !startswith(a->root.v[i].name, a->names->prefix))
                                uplink = a->root.v[i].name;
                if (!uplink)
                        return error_set(a->e, -ENOENT, "The provider bridge '%s' of vlan network %s has no uplink.",
                                         net->physical_bridge, net->id);
                r = net_ip(NULL, NULL, "link", "add", "link", uplink, "name", dev, "type", "vlan", "id", id, NULL);
                if (r < 0)
                        return error_set(a->e, r, "Cannot create the VLAN device %s on %s for network %s: this "
                                         "kernel may lack 802.1Q support (CONFIG_VLAN_8021Q).", dev, uplink,
                                         net->id);
        }
        r = net_root_ipv6_off(a, dev);
        if (r < 0)
                return r;
        if (created || !streq(l->master, br) || !l->up || (net->mtu && l->mtu != net->mtu)) {
                r = net->mtu ? net_ip(a->e, NULL, "link", "set", "dev", dev, "master", br, "mtu", mtu, "up", NULL)
                             : net_ip(a->e, NULL, "link", "set", "dev", dev, "master", br, "up", NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int network_ensure(NetApply *a, const NetNetwork *net) {
        char buf[NET_IFNAME_MAX + 1];
        const char *br = net_network_bridge(a->names, net, buf);
        int r;

        if (br != buf) {
                /* A provider bridge is the administrator's: it must be there, and it is never changed. */
                net_name_list_add(&a->keep_links, br);
                if (!net_links_find(&a->root, br))
                        return error_set(a->e, -ENOENT, "The provider bridge '%s' of network %s does not exist.", br,
                                         net->id);
                return 0;
        }
        net_name_list_add(&a->keep_links, br);
        r = bridge_ensure(a, net, br);
        if (r < 0)
                return r;
        if (streq(net->type, "flat"))
                return 0;
        return segment_ensure(a, net, br);
}

/*
 * A VM's tap into its network's bridge, when the tap exists (libvirt
 * makes it and plugs it in; a bridge deleted and made again by hand lost
 * it, and a tap that appeared before its port was known may be loose).
 */
static int tap_ensure(NetApply *a, const NetPort *p) {
        char tap[NET_IFNAME_MAX + 1], buf[NET_IFNAME_MAX + 1];
        const NetNetwork *net = net_state_network(a->state, p->network_id);
        const char *br = net_network_bridge(a->names, net, buf);
        net_name_tap(a->names, p->id, tap);
        const NetLink *l = net_links_find(&a->root, tap);
        if (!l || (streq(l->master, br) && l->up))
                return 0;
        return net_ip(a->e, NULL, "link", "set", "dev", tap, "master", br, "up", NULL);
}

/* The directories of our daemons under state_dir that carry the prefix. */
static char **state_dirs(NetApply *a) {
        NetNameList l = {};
        DIR *d = a->d->cfg.state_dir ? opendir(a->d->cfg.state_dir) : NULL;
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (startswith(de->d_name, a->names->prefix))
                        net_name_list_add(&l, de->d_name);
        if (d)
                closedir(d);
        char **v = xcalloc(l.n + 1, sizeof(char *));
        if (l.n > 0)
                memcpy(v, l.v, l.n * sizeof(char *));
        free(l.v);
        return v;
}

/* Removes what carries the prefix and is not kept (all of it for a teardown). */
static void remove_stale(NetApply *a, bool teardown) {
        _cleanup_strv_free_ char **nss = net_netns_list(), **dirs = state_dirs(a);
        int r;

        /* The daemons first, while their pid files still say which processes are ours; then any other of ours. */
        for (char **dir = dirs; *dir; dir++)
                if (teardown || !net_name_list_has(&a->keep_ns, *dir)) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", a->d->cfg.state_dir, *dir);
                        net_daemons_forget(path);
                }
        net_daemon_reap(&net_dnsmasq_daemon, a->names, teardown ? NULL : &a->keep_ns);
        net_daemon_reap(&net_radvd_daemon, a->names, teardown ? NULL : &a->keep_ns);
        for (char **ns = nss; *ns; ns++)
                if (startswith(*ns, a->names->prefix) && (teardown || !net_name_list_has(&a->keep_ns, *ns))) {
                        r = net_ip(a->e, NULL, "netns", "del", *ns, NULL);
                        if (r < 0)
                                net_apply_fail(a, r);
                }
        for (size_t i = 0; i < a->root.n; i++) {
                const char *name = a->root.v[i].name;
                if (!startswith(name, a->names->prefix) || net_name_list_has(&a->keep_links, name))
                        continue;
                /* Taps are libvirt's; the bridge ruleset cuts off those of ports the state lacks. */
                if (!teardown && net_name_has_kind(a->names, name, NET_KIND_TAP))
                        continue;
                /* A veth whose other end was in a namespace deleted above is gone already. */
                r = net_ip(NULL, NULL, "link", "del", "dev", name, NULL);
                if (r < 0 && net_ip(NULL, NULL, "link", "show", "dev", name, NULL) == 0)
                        net_apply_fail(a, error_set(a->e, r, "Cannot delete the device %s.", name));
        }
}

static void apply_done(NetApply *a) {
        net_links_done(&a->root);
        net_name_list_done(&a->keep_links);
        net_name_list_done(&a->keep_ns);
}

static int linux_apply(NetDriver *d, const NetState *state, Error *e) {
        NetApply a = { .d = d, .names = &d->cfg.names, .state = state, .e = e };
        NftFilter *filter = NULL;
        int r;

        r = net_nft_filter_model(a.names, state, &filter, e);
        if (r < 0)
                return r;
        r = net_sysctl_set(NULL, "/proc/sys/net/bridge/bridge-nf-call-iptables", "1", e);
        if (r >= 0)
                r = net_sysctl_set(NULL, "/proc/sys/net/bridge/bridge-nf-call-ip6tables", "1", e);
        if (r >= 0)
                r = net_links_read(NULL, &a.root, e);
        if (r < 0) {
                net_nft_filter_free(filter);
                return r;
        }

        for (size_t i = 0; i < state->n_networks; i++) {
                r = network_ensure(&a, &state->networks[i]);
                if (r < 0)
                        net_apply_fail(&a, r);
        }
        /* The filter before the taps: a tap is never wired before its rules are in. */
        r = net_filter_apply(d, &((NetLinuxData *) d->data)->filter, state, TAKE_PTR(filter), e);
        if (r < 0)
                net_apply_fail(&a, r);
        for (size_t i = 0; r >= 0 && i < state->n_ports; i++) {
                int k = tap_ensure(&a, &state->ports[i]);
                if (k < 0)
                        net_apply_fail(&a, k);
        }
        /* The bridges may be new: what the veths go into is read again. */
        net_links_done(&a.root);
        r = net_links_read(NULL, &a.root, e);
        if (r < 0) {
                apply_done(&a);
                return r;
        }
        for (size_t i = 0; i < state->n_networks; i++)
                if (state->networks[i].dhcp_mac)
                        (void) net_dhcp_apply(&a, &state->networks[i]);
        for (size_t i = 0; i < state->n_routers; i++)
                (void) net_router_apply(&a, &state->routers[i]);
        remove_stale(&a, false);
        r = a.r;
        apply_done(&a);
        return r;
}

/* The root namespace's tables that carry the prefix, as "family name". */
static int tables_with_prefix(NetApply *a, NetNameList *ret) {
        const char *argv[] = { "nft", "-j", "list", "tables", NULL };
        ExecResult res = {};
        json_error_t jerr;
        json_t *item;
        size_t i;
        int r = exec_run(argv, NET_EXEC_TIMEOUT_USEC, &res, a->e);
        if (r < 0) {
                exec_result_done(&res);
                return r;
        }
        _cleanup_json_ json_t *j = jx_parse(res.out ? res.out : "", res.out ? strlen(res.out) : 0, &jerr);
        exec_result_done(&res);
        json_array_foreach(json_object_get(j, "nftables"), i, item) {
                json_t *t = json_object_get(item, "table");
                const char *family = jx_string(t, "family"), *name = jx_string(t, "name");
                if (family && name && startswith(name, a->names->prefix)) {
                        _cleanup_free_ char *both = xasprintf("%s %s", family, name);
                        net_name_list_add(ret, both);
                }
        }
        return 0;
}

static int linux_teardown(NetDriver *d, Error *e) {
        NetApply a = { .d = d, .names = &d->cfg.names, .state = &(NetState) {}, .e = e };
        NetNameList tables = {};
        int r = net_links_read(NULL, &a.root, e);
        if (r < 0)
                return r;
        remove_stale(&a, true);
        net_filter_forget(d, &((NetLinuxData *) d->data)->filter);
        net_ns_memos_done(d->data);
        r = tables_with_prefix(&a, &tables);
        if (r < 0)
                net_apply_fail(&a, r);
        for (size_t i = 0; i < tables.n; i++) {
                char *space = strchr(tables.v[i], ' ');
                *space = '\0';
                const char *argv[] = { "nft", "delete", "table", tables.v[i], space + 1, NULL };
                r = net_run(argv, NULL, 0, e);
                if (r < 0)
                        net_apply_fail(&a, r);
        }
        net_name_list_done(&tables);
        r = a.r;
        apply_done(&a);
        return r;
}

static int linux_open(NetDriver *d, Error *e) {
        if (d->cfg.state_dir) {
                int r = mkdir_p(d->cfg.state_dir, 0750);
                if (r < 0)
                        return error_set(e, r, "Cannot create the data plane's state directory %s: %s.",
                                         d->cfg.state_dir, strerror(-r));
        }
        d->data = xcalloc(1, sizeof(NetLinuxData));
        return 0;
}

static void linux_close(NetDriver *d) {
        NetLinuxData *data = d->data;
        if (data) {
                net_filter_save(d, &data->filter);
                net_filter_memo_done(&data->filter);
                net_ns_memos_done(data);
        }
        free(data);
        d->data = NULL;
}

const NetDriverOps net_linux_ops = {
        .name = "linux",
        .open = linux_open,              /* 0.1 */
        .close = linux_close,            /* 0.1 */
        .apply = linux_apply,            /* 0.1 */
        .teardown = linux_teardown,      /* 0.1 */
};
