/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCP and DNS of one network (net_linux.h): the namespace
 * <prefix>dhcp-<network id>, a veth from the network's bridge into it
 * carrying the DHCP port's MAC and addresses (and 169.254.169.254/32 when
 * metadata is on), and one dnsmasq inside it (a daemon of net_daemon.c),
 * its files in state_dir/<namespace>/.
 */
#include "net/net_linux.h"
#include "util/fileio.h"

static int dhcp_apply(NetApply *a, const NetNetwork *net) {
        const NetNames *n = a->names;
        char ns[64], outer[NET_IFNAME_MAX + 1], inner[NET_IFNAME_MAX + 1], brbuf[NET_IFNAME_MAX + 1];
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **argv = NULL, **addrs = NULL;
        _cleanup_(buf_done) Buf hosts = {}, opts = {}, names = {};
        _cleanup_(net_links_done) NetLinks inside = {};
        bool addrs_changed = false, files_changed = false;
        int r;

        net_name_dhcp_ns(n, net->id, ns);
        net_name_if(n, NET_KIND_DHCP_OUTER, net->id, outer);
        net_name_if(n, NET_KIND_DHCP_INNER, net->id, inner);
        net_name_list_add(&a->keep_ns, ns);
        net_name_list_add(&a->keep_links, outer);
        if (!a->d->cfg.state_dir)
                return error_set(a->e, -EINVAL, "Network %s has DHCP, but the data plane has no state directory "
                                 "for dnsmasq's files.", net->id);
        dir = xasprintf("%s/%s", a->d->cfg.state_dir, ns);

        /* The files and the command line first: a network dnsmasq cannot serve changes nothing on the host. */
        r = net_dnsmasq_build(n, net, &hosts, &opts, &names, a->e);
        if (r < 0)
                return r;
        r = net_dnsmasq_argv(n, net, dir, &argv, a->e);
        if (r < 0)
                return r;

        size_t k = 0;
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++)
                k++;
        addrs = xcalloc(k + 2, sizeof(char *));
        k = 0;
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++) {
                char text[64];
                net_cidr_canonical(*ip, text);
                addrs[k++] = xstrdup(text);
        }
        if (net->metadata)
                addrs[k++] = xstrdup("169.254.169.254/32");
        NetVeth v = {
                .ns = ns, .outer = outer, .inner = inner, .bridge = net_network_bridge(n, net, brbuf),
                .mac = net->dhcp_mac, .mtu = net->mtu, .up = true, .addrs = addrs,
        };
        /* What the namespace must hold, as one number: its veth's MAC, MTU, bridge and addresses. */
        Buf want = {};
        buf_printf(&want, "%s|%u|%s|%s", v.mac, v.mtu, v.bridge, v.outer);
        for (char **ip = addrs; *ip; ip++)
                buf_printf(&want, "|%s", *ip);
        uint64_t config = hash_fnv1a(want.data);
        buf_done(&want);
        const NetLink *root_end = net_links_find(&a->root, outer);
        bool fresh = root_end && streq(root_end->master, v.bridge) && root_end->up &&
                     net_ns_memo_fresh(a, ns, config, NULL);
        if (!fresh) {
                net_ns_memo_forget(a, ns);
                if (net_netns_inode(ns) == 0) {
                        r = net_ip(a->e, NULL, "netns", "add", ns, NULL);
                        if (r < 0)
                                return r;
                }
                r = net_links_read(ns, &inside, a->e);
                if (r < 0)
                        return r;
                const NetLink *lo = net_links_find(&inside, "lo");
                if (!lo || !lo->up) {
                        r = net_ip(a->e, ns, "link", "set", "dev", "lo", "up", NULL);
                        if (r < 0)
                                return r;
                }
                r = net_veth_ensure(a, &v, &inside, &addrs_changed);
                if (r < 0)
                        return r;
                net_ns_memo_set(a, ns, config, 0);
        }

        r = mkdir_p(dir, 0750);
        if (r < 0)
                return error_set(a->e, r, "Cannot create %s: %s.", dir, strerror(-r));
        const struct {
                const char *name;
                const Buf *b;
        } files[] = { { NET_DNSMASQ_HOSTS, &hosts }, { NET_DNSMASQ_OPTS, &opts }, { NET_DNSMASQ_NAMES, &names } };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, files[i].name);
                int w = write_file_if_changed(path, files[i].b->data ? files[i].b->data : "", files[i].b->len, 0640);
                if (w < 0)
                        return error_set(a->e, w, "Cannot write %s: %s.", path, strerror(-w));
                files_changed = files_changed || w > 0;
        }

        /* When only the files changed (ports came or went) it re-reads them on SIGHUP: never a restart per port. */
        return net_daemon_ensure(&net_dnsmasq_daemon, ns, dir, argv, addrs_changed, files_changed, a->e);
}

int net_dhcp_apply(NetApply *a, const NetNetwork *net) {
        int r = dhcp_apply(a, net);
        return r < 0 ? net_apply_fail(a, r) : 0;
}
