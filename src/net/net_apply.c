/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every step of the linux driver's apply uses (net_linux.h): lists
 * of names to keep, the memo of namespaces checked whole, the first
 * failure of an apply, canonical addresses, the veth pairs into our
 * namespaces and the bridge of a router's leg.  The steps themselves are
 * net_linux.c (bridges, segments, taps, removal), net_dhcp.c and
 * net_router.c.
 */
#include <time.h>

#include "net/net_linux.h"
#include "util/exec.h"

void net_name_list_add(NetNameList *l, const char *name) {
        if (net_name_list_has(l, name))
                return;
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = xrealloc(l->v, l->cap * sizeof(char *));
        }
        l->v[l->n++] = xstrdup(name);
}

bool net_name_list_has(const NetNameList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->v[i], name))
                        return true;
        return false;
}

void net_name_list_done(NetNameList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (NetNameList) {};
}

static NetNsMemo *memo_find(NetApply *a, const char *ns, bool create) {
        NetLinuxData *data = a->d->data;
        for (size_t i = 0; i < data->n_ns; i++)
                if (streq(data->ns[i].name, ns))
                        return &data->ns[i];
        if (!create)
                return NULL;
        if (data->n_ns == data->cap_ns) {
                data->cap_ns = data->cap_ns ? data->cap_ns * 2 : 16;
                data->ns = xrealloc(data->ns, data->cap_ns * sizeof(NetNsMemo));
        }
        NetNsMemo *m = &data->ns[data->n_ns++];
        *m = (NetNsMemo) { .name = xstrdup(ns) };
        return m;
}

bool net_ns_memo_fresh(NetApply *a, const char *ns, uint64_t config, const uint32_t *genid) {
        NetNsMemo *m = memo_find(a, ns, false);
        if (!m || m->ino == 0 || m->config != config || mono_usec() - m->checked_usec > NET_NS_RECHECK_USEC)
                return false;
        if (net_netns_inode(ns) != m->ino)
                return false;
        return !genid || *genid == m->genid;
}

void net_ns_memo_set(NetApply *a, const char *ns, uint64_t config, uint32_t genid) {
        NetNsMemo *m = memo_find(a, ns, true);
        m->ino = net_netns_inode(ns);
        m->config = config;
        m->genid = genid;
        m->checked_usec = mono_usec();
}

void net_ns_memo_forget(NetApply *a, const char *ns) {
        NetNsMemo *m = memo_find(a, ns, false);
        if (m)
                m->ino = 0;
}

void net_ns_memos_done(NetLinuxData *data) {
        for (size_t i = 0; i < data->n_ns; i++)
                free(data->ns[i].name);
        free(data->ns);
        data->ns = NULL;
        data->n_ns = data->cap_ns = 0;
}

int net_apply_fail(NetApply *a, int r) {
        if (a->r == 0)
                a->r = r;
        return r;
}

void net_cidr_canonical(const char *s, char buf[static 64]) {
        NetAddr addr;
        (void) net_cidr_parse(s, &addr); /* checked by net_state_check */
        net_addr_format(&addr, true, buf);
}

/* Turns IPv6 off on a device of the root namespace: no link-local address there, ever. */
int net_root_ipv6_off(NetApply *a, const char *dev) {
        char path[128];
        snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
        /* No such file: no such device (or no IPv6 at all); the next ip command says which. */
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        return net_sysctl_set(NULL, path, "1", a->e);
}

int net_veth_ensure(NetApply *a, const NetVeth *v, const NetLinks *inside, bool *ret_addrs_changed) {
        const NetLink *outer = net_links_find(&a->root, v->outer);
        const NetLink *inner = net_links_find(inside, v->inner);
        const NetLink fresh = {};
        char mtu[16];
        bool created = false, changed = false;
        int r;

        snprintf(mtu, sizeof(mtu), "%u", v->mtu);
        /* Both ends, or neither: a half (its peer's namespace deleted) cannot be mended. */
        if (!outer || !inner || !streq(outer->kind, "veth")) {
                if (outer)
                        (void) net_ip(NULL, NULL, "link", "del", "dev", v->outer, NULL);
                if (inner)
                        (void) net_ip(NULL, v->ns, "link", "del", "dev", v->inner, NULL);
                r = net_ip(a->e, NULL, "link", "add", v->outer, "type", "veth", "peer", "name", v->inner, "netns",
                           v->ns, NULL);
                if (r < 0)
                        return r;
                created = true;
                outer = inner = &fresh;
        }
        r = net_root_ipv6_off(a, v->outer);
        if (r < 0)
                return r;
        if (created || !streq(outer->master, v->bridge) || !outer->up || (v->mtu && outer->mtu != v->mtu)) {
                r = v->mtu ? net_ip(a->e, NULL, "link", "set", "dev", v->outer, "master", v->bridge, "mtu", mtu, "up",
                                    NULL)
                           : net_ip(a->e, NULL, "link", "set", "dev", v->outer, "master", v->bridge, "up", NULL);
                if (r < 0)
                        return r;
        }
        uint8_t want_mac[6], have_mac[6];
        (void) net_mac_parse(v->mac, want_mac);
        bool mac_ok = net_mac_parse(inner->mac, have_mac) == 0 && memcmp(want_mac, have_mac, 6) == 0;
        if (created || !mac_ok || inner->up != v->up || (v->mtu && inner->mtu != v->mtu)) {
                const char *state = v->up ? "up" : "down";
                r = v->mtu ? net_ip(a->e, v->ns, "link", "set", "dev", v->inner, "address", v->mac, "mtu", mtu, state,
                                    NULL)
                           : net_ip(a->e, v->ns, "link", "set", "dev", v->inner, "address", v->mac, state, NULL);
                if (r < 0)
                        return r;
        }
        for (char **want = v->addrs; want && *want; want++) {
                if (net_link_has_addr(inner, *want))
                        continue;
                /* No duplicate address detection: dnsmasq and the router need the address at once. */
                r = strchr(*want, ':') ? net_ip(a->e, v->ns, "addr", "add", *want, "dev", v->inner, "nodad", NULL)
                                       : net_ip(a->e, v->ns, "addr", "add", *want, "dev", v->inner, NULL);
                if (r < 0)
                        return r;
                changed = true;
        }
        for (size_t i = 0; i < inner->n_addrs; i++) {
                bool wanted = false;
                for (char **want = v->addrs; want && *want && !wanted; want++)
                        wanted = streq(*want, inner->addrs[i]);
                if (wanted)
                        continue;
                r = net_ip(a->e, v->ns, "addr", "del", inner->addrs[i], "dev", v->inner, NULL);
                if (r < 0)
                        return r;
                changed = true;
        }
        if (ret_addrs_changed)
                *ret_addrs_changed = changed;
        return 0;
}

const char *net_leg_bridge(NetApply *a, const NetRouterLeg *leg, bool gateway, char buf[static NET_IFNAME_MAX + 1]) {
        const NetNetwork *net = net_state_network(a->state, leg->network_id);
        if (net)
                return net_network_bridge(a->names, net, buf);
        if (gateway && a->d->cfg.external_bridge)
                return a->d->cfg.external_bridge;
        net_apply_fail(a, error_set(a->e, -EINVAL, "The leg %s of a router is on network %s, which this host does "
                                    "not have.", leg->port_id, leg->network_id));
        return NULL;
}

/* Makes a device of the root namespace exist with the given kind: deletes one of another kind first. */
