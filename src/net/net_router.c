/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One router (net_linux.h): the namespace <prefix>r-<router id>, a veth
 * leg from each of its networks' bridges into it (inner end
 * <prefix>q<port id> with the leg's MAC and addresses), the gateway leg
 * into the external network's bridge with the gateway address and every
 * floating IP as a /32 (so the router answers ARP for them), forwarding
 * on inside the namespace only, the default route through the external
 * subnet's gateway and the extra routes (added as `proto static`, so the
 * routes the router owns are told apart from the kernel's), and the NAT
 * ruleset of net_nft_router_build() loaded with `nft -f -` inside it,
 * and a radvd (net_radvd.c, a daemon of net_daemon.c) when it announces
 * IPv6 subnets.
 */
#include "net/net_linux.h"

#include "net/net_json.h"
#include "util/exec.h"
#include "util/fileio.h"
#include "util/jx.h"

/* A route as (destination, via), canonical: "0.0.0.0/0", "10.1.0.0/16", "10.0.0.1". */
typedef struct Route {
        char dst[64];
        char via[64];
} Route;

static bool route_parse(const char *dst, const char *via, int family, Route *ret) {
        NetAddr d, g;
        if (!dst || streq(dst, "default")) {
                d = (NetAddr) { .family = family, .prefixlen = 0 };
        } else if (net_cidr_parse(dst, &d) < 0)
                return false;
        d = net_cidr_network(&d);
        net_addr_format(&d, true, ret->dst);
        ret->via[0] = '\0';
        if (via) {
                if (net_addr_parse(via, &g) < 0)
                        return false;
                net_addr_format(&g, false, ret->via);
        }
        return true;
}

/* The static routes of ns (ours: we add every route with proto static). */
static int routes_read(NetApply *a, const char *ns, const char *family_flag, int family, Route **ret, size_t *ret_n) {
        const char *argv[] = { "ip", "-n", ns, "-j", family_flag, "route", "show", "proto", "static", NULL };
        ExecResult res = {};
        json_error_t jerr;
        json_t *o;
        size_t i, n = 0;

        int r = exec_run(argv, NET_EXEC_TIMEOUT_USEC, &res, a->e);
        if (r < 0) {
                exec_result_done(&res);
                return r;
        }
        /* ip prints nothing at all (not "[]") when there are no routes. */
        const char *out = res.out && *res.out ? res.out : "[]";
        _cleanup_json_ json_t *j = jx_parse(out, strlen(out), &jerr);
        exec_result_done(&res);
        if (!json_is_array(j))
                return error_set(a->e, -EIO, "ip -j route show in %s printed no JSON array: %s.", ns, jerr.text);
        Route *routes = xcalloc(json_array_size(j) + 1, sizeof(Route));
        json_array_foreach(j, i, o)
                if (route_parse(jx_string(o, "dst"), jx_string(o, "gateway"), family, &routes[n]))
                        n++;
        *ret = routes;
        *ret_n = n;
        return 0;
}

static bool route_in(const Route *list, size_t n, const Route *r) {
        for (size_t i = 0; i < n; i++)
                if (streq(list[i].dst, r->dst) && streq(list[i].via, r->via))
                        return true;
        return false;
}

/* Makes the static routes of ns exactly want (both families). */
static int routes_ensure(NetApply *a, const char *ns, const Route *want, size_t n_want) {
        static const struct {
                const char *flag;
                int family;
        } families[] = { { "-4", AF_INET }, { "-6", AF_INET6 } };
        int r = 0;

        for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                _cleanup_free_ Route *have = NULL;
                size_t n_have = 0;
                int k = routes_read(a, ns, families[f].flag, families[f].family, &have, &n_have);
                if (k < 0)
                        return k;
                for (size_t i = 0; i < n_have; i++)
                        if (!route_in(want, n_want, &have[i])) {
                                k = net_ip(a->e, ns, families[f].flag, "route", "del", have[i].dst, NULL);
                                r = r < 0 ? r : k;
                        }
                for (size_t i = 0; i < n_want; i++) {
                        NetAddr d;
                        if (net_cidr_parse(want[i].dst, &d) < 0 || d.family != families[f].family ||
                            route_in(have, n_have, &want[i]))
                                continue;
                        k = net_ip(a->e, ns, families[f].flag, "route", "replace", want[i].dst, "via", want[i].via,
                                   "proto", "static", NULL);
                        r = r < 0 ? r : k;
                }
        }
        return r;
}

/* The canonical addresses of a leg, plus extra ones (the floating IPs of a gateway). */
static char **leg_addrs(const NetRouterLeg *leg, const NetRouter *rt) {
        size_t n = 0;
        for (const char *const *ip = leg->ips; ip && *ip; ip++)
                n++;
        char **v = xcalloc(n + (rt ? rt->n_floatings : 0) + 1, sizeof(char *));
        n = 0;
        for (const char *const *ip = leg->ips; ip && *ip; ip++) {
                char text[64];
                net_cidr_canonical(*ip, text);
                v[n++] = xstrdup(text);
        }
        for (size_t i = 0; rt && i < rt->n_floatings; i++) {
                char text[64];
                net_cidr_canonical(rt->floatings[i].floating_ip, text);
                bool dup = false;
                for (size_t k = 0; k < n; k++)
                        dup = dup || streq(v[k], text);
                if (!dup)
                        v[n++] = xstrdup(text);
        }
        return v;
}

static int leg_ensure(NetApply *a, const NetRouter *rt, const char *ns, const NetRouterLeg *leg, bool gateway,
                      const NetLinks *inside, NetNameList *keep_inner) {
        char outer[NET_IFNAME_MAX + 1], inner[NET_IFNAME_MAX + 1], brbuf[NET_IFNAME_MAX + 1];
        const char *bridge = net_leg_bridge(a, leg, gateway, brbuf);
        if (!bridge)
                return a->r;
        net_name_if(a->names, NET_KIND_LEG_OUTER, leg->port_id, outer);
        net_name_if(a->names, NET_KIND_LEG_INNER, leg->port_id, inner);
        net_name_list_add(&a->keep_links, outer);
        net_name_list_add(keep_inner, inner);
        const NetNetwork *net = net_state_network(a->state, leg->network_id);
        _cleanup_strv_free_ char **addrs = leg_addrs(leg, gateway ? rt : NULL);
        NetVeth v = {
                .ns = ns, .outer = outer, .inner = inner, .bridge = bridge, .mac = leg->mac,
                .mtu = net ? net->mtu : 0, .up = rt->admin_state_up, .addrs = addrs,
        };
        return net_veth_ensure(a, &v, inside, NULL);
}

static uint64_t router_config(NetApply *a, const NetRouter *rt, const Buf *nat) {
        NetState one = { .routers = rt, .n_routers = 1 };
        json_t *j = net_state_to_json(&one);
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        Buf all = {};
        buf_printf(&all, "%s|%s", text ? text : "", nat->data ? nat->data : "");
        for (size_t i = 0; i <= rt->n_legs; i++) {
                const NetRouterLeg *leg = i < rt->n_legs ? &rt->legs[i] : rt->gateway;
                const NetNetwork *net = leg ? net_state_network(a->state, leg->network_id) : NULL;
                char buf[NET_IFNAME_MAX + 1];
                if (leg)
                        buf_printf(&all, "|%s|%u", net ? net_network_bridge(a->names, net, buf)
                                                       : a->d->cfg.external_bridge ? a->d->cfg.external_bridge : "",
                                   net ? net->mtu : 0);
        }
        uint64_t h = hash_fnv1a(all.data);
        buf_done(&all);
        return h;
}

/* True if the root end of every leg is where it belongs. */
static bool legs_in_place(NetApply *a, const NetRouter *rt) {
        for (size_t i = 0; i <= rt->n_legs; i++) {
                const NetRouterLeg *leg = i < rt->n_legs ? &rt->legs[i] : rt->gateway;
                char outer[NET_IFNAME_MAX + 1], brbuf[NET_IFNAME_MAX + 1];
                if (!leg)
                        continue;
                const NetNetwork *net = net_state_network(a->state, leg->network_id);
                const char *br = net ? net_network_bridge(a->names, net, brbuf) : a->d->cfg.external_bridge;
                net_name_if(a->names, NET_KIND_LEG_OUTER, leg->port_id, outer);
                const NetLink *l = net_links_find(&a->root, outer);
                if (!l || !br || !streq(l->master, br) || !l->up)
                        return false;
        }
        return true;
}

static int keep_legs(NetApply *a, const NetRouter *rt) {
        for (size_t i = 0; i <= rt->n_legs; i++) {
                const NetRouterLeg *leg = i < rt->n_legs ? &rt->legs[i] : rt->gateway;
                char outer[NET_IFNAME_MAX + 1];
                if (!leg)
                        continue;
                net_name_if(a->names, NET_KIND_LEG_OUTER, leg->port_id, outer);
                net_name_list_add(&a->keep_links, outer);
        }
        return 0;
}

static int router_apply(NetApply *a, const NetRouter *rt) {
        char ns[64];
        _cleanup_(net_links_done) NetLinks inside = {};
        NetNameList keep_inner = {};
        Buf nat = {};
        int r, first = 0;

        net_name_router_ns(a->names, rt->id, ns);
        net_name_list_add(&a->keep_ns, ns);
        r = net_nft_router_build(a->names, rt, &nat, a->e);
        if (r < 0) {
                buf_done(&nat);
                return r;
        }

        /* What the namespace must hold, as one number: the router, its ruleset, its legs' bridges. */
        uint64_t config = router_config(a, rt, &nat);
        uint32_t genid = 0;
        if (legs_in_place(a, rt) && net_nft_genid_in(ns, &genid) == 0 && net_ns_memo_fresh(a, ns, config, &genid)) {
                buf_done(&nat);
                /* Still keep the legs' names, or the removal step would take them. */
                return keep_legs(a, rt);
        }
        net_ns_memo_forget(a, ns);
        if (net_netns_inode(ns) == 0) {
                r = net_ip(a->e, NULL, "netns", "add", ns, NULL);
                if (r < 0) {
                        buf_done(&nat);
                        return r;
                }
        }
        r = net_links_read(ns, &inside, a->e);
        if (r < 0) {
                buf_done(&nat);
                return r;
        }
        const NetLink *lo = net_links_find(&inside, "lo");
        if (!lo || !lo->up)
                first = net_ip(a->e, ns, "link", "set", "dev", "lo", "up", NULL);

        /* Forwarding inside the router only; the root namespace never routes tenant traffic. */
        r = net_sysctl_set(ns, "/proc/sys/net/ipv4/ip_forward", "1", a->e);
        first = first < 0 ? first : r;
        r = net_sysctl_set(ns, "/proc/sys/net/ipv6/conf/all/forwarding", "1", a->e);
        first = first < 0 ? first : r;

        for (size_t i = 0; i < rt->n_legs; i++) {
                r = leg_ensure(a, rt, ns, &rt->legs[i], false, &inside, &keep_inner);
                first = first < 0 ? first : r;
        }
        if (rt->gateway) {
                r = leg_ensure(a, rt, ns, rt->gateway, true, &inside, &keep_inner);
                first = first < 0 ? first : r;
        }
        /* Legs of ports the router lost. */
        for (size_t i = 0; i < inside.n; i++)
                if (net_name_has_kind(a->names, inside.v[i].name, NET_KIND_LEG_INNER) &&
                    !net_name_list_has(&keep_inner, inside.v[i].name)) {
                        r = net_ip(a->e, ns, "link", "del", "dev", inside.v[i].name, NULL);
                        first = first < 0 ? first : r;
                }
        net_name_list_done(&keep_inner);

        Route *want = xcalloc(rt->n_routes + 2, sizeof(Route));
        size_t n_want = 0;
        if (rt->gateway && rt->gateway_nexthop && route_parse(NULL, rt->gateway_nexthop, AF_INET, &want[n_want]))
                n_want++;
        if (rt->gateway && rt->gateway_nexthop6 && route_parse(NULL, rt->gateway_nexthop6, AF_INET6, &want[n_want]))
                n_want++;
        for (size_t i = 0; i < rt->n_routes; i++)
                if (route_parse(rt->routes[i].destination, rt->routes[i].nexthop, 0, &want[n_want]))
                        n_want++;
        /* Routes need their legs: skip them when a leg failed, the next apply retries. */
        if (first >= 0) {
                r = routes_ensure(a, ns, want, n_want);
                first = first < 0 ? first : r;
        }
        free(want);

        const char *argv[] = { "ip", "netns", "exec", ns, "nft", "-f", "-", NULL };
        r = net_run(argv, nat.data, nat.len, a->e);
        first = first < 0 ? first : r;
        buf_done(&nat);
        if (first >= 0 && net_nft_genid_in(ns, &genid) == 0)
                net_ns_memo_set(a, ns, config, genid);
        return first;
}

/*
 * The router's radvd (net_radvd.c), checked on every apply, also when
 * the namespace itself was fresh: a killed radvd comes back too.
 */
static int radvd_apply(NetApply *a, const NetRouter *rt) {
        char ns[64];
        _cleanup_(buf_done) Buf conf = {};
        net_name_router_ns(a->names, rt->id, ns);
        net_radvd_build(a->names, a->state, rt, &conf);
        if (!a->d->cfg.state_dir)
                return conf.len == 0 ? 0 : error_set(a->e, -EINVAL, "Router %s sends router advertisements, but the "
                                                     "data plane has no state directory for radvd's files.", rt->id);
        _cleanup_free_ char *dir = xasprintf("%s/%s", a->d->cfg.state_dir, ns);
        if (conf.len == 0) {
                net_daemon_stop(&net_radvd_daemon, dir);
                return 0;
        }
        int r = mkdir_p(dir, 0750);
        if (r < 0)
                return error_set(a->e, r, "Cannot create %s: %s.", dir, strerror(-r));
        _cleanup_free_ char *path = xasprintf("%s/" NET_RADVD_CONF, dir);
        int w = write_file_if_changed(path, conf.data, conf.len, 0640);
        if (w < 0)
                return error_set(a->e, w, "Cannot write %s: %s.", path, strerror(-w));
        _cleanup_strv_free_ char **argv = net_radvd_argv(dir);
        return net_daemon_ensure(&net_radvd_daemon, ns, dir, argv, false, w > 0, a->e);
}

int net_router_apply(NetApply *a, const NetRouter *rt) {
        int r = router_apply(a, rt);
        if (r >= 0)
                r = radvd_apply(a, rt);
        return r < 0 ? net_apply_fail(a, r) : 0;
}
