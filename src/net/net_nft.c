/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nftables rulesets, as pure functions of the desired state (net.h):
 *
 * - net_nft_filter_build: the root namespace's security groups and
 *   anti-spoofing.  The kernels we run on have br_netfilter but neither
 *   bridge-family conntrack nor bridge meta matches, so stateful filtering
 *   lives in the inet family, where bridged traffic passes the forward
 *   hook (bridge-nf-call-iptables=1) with the bridge as its interface:
 *   ports are told apart by (bridge, MAC), as Neutron's iptables firewall
 *   tells them apart by physdev.  Anti-spoofing needs no state and only
 *   the port's name, so it lives in the bridge family's prerouting hook,
 *   where iifname is the tap itself.  Every network gets a conntrack zone,
 *   so overlapping tenant addresses never share connection state.
 * - net_nft_router_build: a router namespace's NAT (SNAT to the gateway
 *   address, floating IP DNAT and SNAT back, hairpin to a floating IP).
 *
 * Each script first adds and deletes its tables, then declares them
 * whole: `nft -f` runs a script as one transaction, so loading it swaps
 * the old rules for the new at once, and loading it twice is the same as
 * once (no duplicate rules, whatever was there before).  Every value
 * written was checked by net_state_check() and is written in canonical
 * form, so the text depends only on what the state means.
 */
#include <arpa/inet.h>

#include "net/net_internal.h"

/* ---- a set of strings, to write each map key once ---- */

typedef struct StrSet {
        char **slots;
        size_t n, cap;
} StrSet;

static void strset_done(StrSet *s) {
        for (size_t i = 0; i < s->cap; i++)
                free(s->slots[i]);
        free(s->slots);
        *s = (StrSet) {};
}

/* Adds s; false if it was there already. */
static bool strset_add(StrSet *s, const char *key) {
        if (2 * (s->n + 1) > s->cap) {
                StrSet bigger = { .cap = s->cap ? s->cap * 2 : 64 };
                bigger.slots = xcalloc(bigger.cap, sizeof(char *));
                for (size_t i = 0; i < s->cap; i++) {
                        if (!s->slots[i])
                                continue;
                        size_t j = hash_fnv1a(s->slots[i]) % bigger.cap;
                        while (bigger.slots[j])
                                j = (j + 1) % bigger.cap;
                        bigger.slots[j] = s->slots[i];
                }
                free(s->slots);
                bigger.n = s->n;
                *s = bigger;
        }
        size_t j = hash_fnv1a(key) % s->cap;
        for (; s->slots[j]; j = (j + 1) % s->cap)
                if (streq(s->slots[j], key))
                        return false;
        s->slots[j] = xstrdup(key);
        s->n++;
        return true;
}

/* ---- small writers ---- */

/* Canonical text of an address or prefix: host prefixes bare, networks with their host bits cleared. */
static void cidr_text(const char *s, NetAddr *ret_addr, char buf[static 64]) {
        NetAddr a;
        (void) net_cidr_parse(s, &a); /* checked by net_state_check */
        int full = a.family == AF_INET ? 32 : 128;
        if (a.prefixlen < full)
                a = net_cidr_network(&a);
        net_addr_format(&a, a.prefixlen < full, buf);
        if (ret_addr)
                *ret_addr = a;
}

static void mac_text(const char *s, char buf[static 18]) {
        uint8_t m[6] = {};
        (void) net_mac_parse(s, m);
        net_mac_format(m, buf);
}

/* A list of element texts, written as one value or as an anonymous set. */
typedef struct Elems {
        char **v;
        size_t n, cap;
        StrSet seen;             /* the same strings, to find one in O(1) */
} Elems;

static void elems_add(Elems *l, const char *s) {
        if (!strset_add(&l->seen, s))
                return;
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 8;
                l->v = xrealloc(l->v, l->cap * sizeof(char *));
        }
        l->v[l->n++] = xstrdup(s);
}

static void elems_done(Elems *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        strset_done(&l->seen);
        *l = (Elems) {};
}

static void put_elems(Buf *b, const Elems *l) {
        if (l->n == 1) {
                buf_puts(b, l->v[0]);
                return;
        }
        buf_puts(b, "{ ");
        for (size_t i = 0; i < l->n; i++)
                buf_printf(b, "%s%s", i ? ", " : "", l->v[i]);
        buf_puts(b, " }");
}

/*
 * Address sets shared by every rule that names the same addresses: a
 * remote group's members (the same for every port in the group) and a
 * network's DHCP servers become one named set each, content-addressed
 * ("a4-" or "a6-" and a hash of the sorted addresses), instead of one
 * anonymous set per rule.  With N ports in a group that allows itself,
 * that is N elements in the kernel instead of N * N.
 */
typedef struct NftObjs NftObjs;
static void objs_add(NftObjs *l, const char *name, Buf *text);

typedef struct SetCtx {
        StrSet names;
        struct NftObjs {
                struct NftObj *v;
                size_t n, cap;
        } objs;
} SetCtx;

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Writes l (canonical addresses of one family) as a value, or as @set when there are several. */
static void put_addrs(Buf *b, SetCtx *ctx, int family, Elems *l) {
        if (l->n == 1) {
                buf_puts(b, l->v[0]);
                return;
        }
        qsort(l->v, l->n, sizeof(char *), cmp_str);
        Buf key = {};
        for (size_t i = 0; i < l->n; i++)
                buf_printf(&key, "%s,", l->v[i]);
        char name[32];
        snprintf(name, sizeof(name), "a%d-%016llx", family == AF_INET ? 4 : 6,
                 (unsigned long long) hash_fnv1a(key.data));
        buf_done(&key);
        if (strset_add(&ctx->names, name)) {
                Buf decl = {};
                buf_printf(&decl, "\tset %s {\n\t\ttypeof %s saddr\n\t\tflags interval\n\t\tauto-merge\n"
                                  "\t\telements = { ", name, family == AF_INET ? "ip" : "ip6");
                for (size_t i = 0; i < l->n; i++)
                        buf_printf(&decl, "%s%s", i ? ", " : "", l->v[i]);
                buf_puts(&decl, " }\n\t}\n");
                objs_add(&ctx->objs, name, &decl);
        }
        buf_printf(b, "@%s", name);
}

/* ---- the security group of a port: inet family ---- */

static const char *family_word(int ethertype) {
        return ethertype == 4 ? "ip" : "ip6";
}

/* One security group rule; false if it can match nothing (a remote group without members of its family). */
static bool put_rule(Buf *b, SetCtx *ctx, const NetRule *rule, const char *verdict) {
        int proto = net_rule_protocol(rule);
        int family = rule->ethertype == 4 ? AF_INET : AF_INET6;
        const char *dir = rule->ingress ? "saddr" : "daddr";
        Elems remote = {};

        if (rule->remote_ips) {
                for (const char *const *ip = rule->remote_ips; *ip; ip++) {
                        char text[64];
                        NetAddr a;
                        cidr_text(*ip, &a, text);
                        if (a.family == family)
                                elems_add(&remote, text);
                }
                if (remote.n == 0)
                        return false;
        }

        buf_printf(b, "\t\tmeta nfproto ipv%d", rule->ethertype);
        if (rule->remote_prefix) {
                char text[64];
                NetAddr a;
                cidr_text(rule->remote_prefix, &a, text);
                if (a.prefixlen > 0)
                        buf_printf(b, " %s %s %s", family_word(rule->ethertype), dir, text);
        }
        if (remote.n > 0) {
                buf_printf(b, " %s %s ", family_word(rule->ethertype), dir);
                put_addrs(b, ctx, family, &remote);
        }
        elems_done(&remote);

        if (net_rule_is_icmp(proto, rule->ethertype)) {
                const char *icmp = rule->ethertype == 4 ? "icmp" : "icmpv6";
                if (rule->port_min < 0)
                        buf_printf(b, " meta l4proto %s", rule->ethertype == 4 ? "icmp" : "ipv6-icmp");
                else {
                        buf_printf(b, " %s type %d", icmp, rule->port_min);
                        if (rule->port_max >= 0)
                                buf_printf(b, " %s code %d", icmp, rule->port_max);
                }
        } else if (proto >= 0) {
                const char *l4 = proto == 6 ? "tcp" : proto == 17 ? "udp" : NULL;
                bool ports = rule->port_min >= 0;
                if (l4 && ports)
                        buf_printf(b, " %s dport ", l4);
                else if (l4)
                        buf_printf(b, " meta l4proto %s", l4);
                else {
                        buf_printf(b, " meta l4proto %d", proto);
                        if (ports)
                                buf_puts(b, " th dport ");
                }
                if (ports) {
                        if (rule->port_max < 0 || rule->port_max == rule->port_min)
                                buf_printf(b, "%d", rule->port_min);
                        else
                                buf_printf(b, "%d-%d", rule->port_min, rule->port_max);
                }
        }
        buf_printf(b, " %s\n", verdict);
        return true;
}

/*
 * Traffic from the VM (ether saddr): returns to the forward chain when
 * allowed, so the destination port's ingress chain still has its say.
 * As in Neutron: the VM may ask for DHCP and do neighbour discovery, and
 * may never act as a DHCP server or send router advertisements, whatever
 * its rules say.
 */
static void put_egress_chain(Buf *b, SetCtx *ctx, const NetPort *p) {
        buf_printf(b, "\tchain o-%s {\n", p->id);
        buf_puts(b, "\t\tct state established,related return\n"
                    "\t\tct state invalid drop\n"
                    "\t\tmeta nfproto ipv4 udp sport 67 udp dport 68 drop\n"
                    "\t\tmeta nfproto ipv6 udp sport 547 udp dport 546 drop\n"
                    "\t\ticmpv6 type nd-router-advert drop\n"
                    "\t\tmeta nfproto ipv4 udp sport 68 udp dport 67 return\n"
                    "\t\tmeta nfproto ipv6 udp sport 546 udp dport 547 return\n"
                    "\t\ticmpv6 type @nd_out return\n");
        for (size_t i = 0; i < p->n_rules; i++)
                if (!p->rules[i].ingress)
                        put_rule(b, ctx, &p->rules[i], "return");
        buf_puts(b, "\t\tdrop\n\t}\n");
}

/* Traffic to the VM (ether daddr): DHCP replies from the network's DHCP port, neighbour discovery, its rules. */
static void put_ingress_chain(Buf *b, SetCtx *ctx, const NetPort *p, const NetNetwork *net) {
        Elems dhcp = {};
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++) {
                char text[64];
                NetAddr a;
                (void) net_cidr_parse(*ip, &a);
                if (a.family != AF_INET)
                        continue;
                net_addr_format(&a, false, text);
                elems_add(&dhcp, text);
        }
        buf_printf(b, "\tchain i-%s {\n", p->id);
        buf_puts(b, "\t\tct state established,related accept\n"
                    "\t\tct state invalid drop\n"
                    "\t\tmeta nfproto ipv4 udp sport 67 udp dport 68");
        /* Only the network's own DHCP server, when it has one; a provider network's may be outside. */
        if (dhcp.n > 0) {
                buf_puts(b, " ip saddr ");
                put_addrs(b, ctx, AF_INET, &dhcp);
        }
        elems_done(&dhcp);
        buf_puts(b, " accept\n"
                    "\t\tmeta nfproto ipv6 udp sport 547 udp dport 546 accept\n"
                    "\t\ticmpv6 type @nd_in accept\n");
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].ingress)
                        put_rule(b, ctx, &p->rules[i], "accept");
        buf_puts(b, "\t\tdrop\n\t}\n");
}

/* ---- anti-spoofing of a port: bridge family ---- */

/* The addresses one MAC of a port may send from. */
typedef struct MacAddrs {
        char mac[18];
        Elems v4, v6;
} MacAddrs;

static MacAddrs *macs_get(MacAddrs **macs, size_t *n, const char *mac) {
        char text[18];
        mac_text(mac, text);
        for (size_t i = 0; i < *n; i++)
                if (streq((*macs)[i].mac, text))
                        return &(*macs)[i];
        *macs = xrealloc(*macs, (*n + 1) * sizeof(MacAddrs));
        MacAddrs *m = &(*macs)[(*n)++];
        *m = (MacAddrs) {};
        memcpy(m->mac, text, sizeof(text));
        return m;
}

static void macs_add_addr(MacAddrs *m, const char *addr) {
        char text[64];
        NetAddr a;
        cidr_text(addr, &a, text);
        elems_add(a.family == AF_INET ? &m->v4 : &m->v6, text);
}

/* The MACs of a port (its own first, then its address pairs' others) with their addresses. */
static size_t port_macs(const NetPort *p, MacAddrs **ret) {
        MacAddrs *macs = NULL;
        size_t n = 0;
        MacAddrs *own = macs_get(&macs, &n, p->mac);
        for (const char *const *ip = p->ips; ip && *ip; ip++)
                macs_add_addr(own, *ip);
        for (size_t i = 0; i < p->n_pairs; i++)
                macs_add_addr(macs_get(&macs, &n, p->pairs[i].mac ? p->pairs[i].mac : p->mac), p->pairs[i].ip);
        *ret = macs;
        return n;
}

static void macs_free(MacAddrs *macs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                elems_done(&macs[i].v4);
                elems_done(&macs[i].v6);
        }
        free(macs);
}

/*
 * Frames from the tap: each of the port's MACs with its own addresses
 * (ARP sender, IPv4 and IPv6 source), DHCP discovery from 0.0.0.0,
 * duplicate address detection from ::, and the IPv6 link-local address
 * of the MAC.  Everything else is dropped, other ethertypes and VLAN
 * tags included: a tagged frame would pass neither this check nor the
 * inet-family security groups (bridge-nf-filter-vlan-tagged is 0).
 */
static void put_spoof_chain(Buf *b, const NetPort *p) {
        MacAddrs *macs;
        size_t n = port_macs(p, &macs);

        buf_printf(b, "\tchain s-%s {\n", p->id);
        for (size_t i = 0; i < n; i++) {
                MacAddrs *m = &macs[i];
                uint8_t raw[6];
                char ll[64];

                (void) net_mac_parse(m->mac, raw);
                net_mac_link_local(raw, ll);
                Elems arp = {};
                elems_add(&arp, "0.0.0.0");
                for (size_t k = 0; k < m->v4.n; k++)
                        elems_add(&arp, m->v4.v[k]);
                buf_printf(b, "\t\tether saddr %s arp saddr ether %s arp saddr ip ", m->mac, m->mac);
                put_elems(b, &arp);
                buf_puts(b, " accept\n");
                elems_done(&arp);
                if (m->v4.n > 0) {
                        buf_printf(b, "\t\tether saddr %s ip saddr ", m->mac);
                        put_elems(b, &m->v4);
                        buf_puts(b, " accept\n");
                }
                buf_printf(b, "\t\tether saddr %s ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 "
                              "udp dport 67 accept\n", m->mac);
                Elems v6 = {};
                elems_add(&v6, ll);
                for (size_t k = 0; k < m->v6.n; k++)
                        elems_add(&v6, m->v6.v[k]);
                buf_printf(b, "\t\tether saddr %s ip6 saddr ", m->mac);
                put_elems(b, &v6);
                buf_puts(b, " accept\n");
                elems_done(&v6);
                buf_printf(b, "\t\tether saddr %s ip6 saddr :: ip6 daddr ff02::/16 icmpv6 type @dad accept\n",
                           m->mac);
        }
        buf_puts(b, "\t\tdrop\n\t}\n");
        macs_free(macs, n);
}

/* ---- the whole filter ruleset, as objects ---- */

/* A named object of a table (a chain or a set) and its whole declaration. */
typedef struct NftObj {
        char *name;
        char *text;              /* "\tchain NAME {\n...\t}\n" */
} NftObj;

struct NftFilter {
        Elems zone, egress, ingress; /* inet maps: "key : value" */
        Elems taps;                  /* bridge map */
        NftObjs sets;                /* inet: shared address sets */
        NftObjs chains;              /* inet: o-/i- chains */
        NftObjs spoof;               /* bridge: s- chains */
};

static void objs_add(NftObjs *l, const char *name, Buf *text) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 64;
                l->v = xrealloc(l->v, l->cap * sizeof(NftObj));
        }
        l->v[l->n++] = (NftObj) { .name = xstrdup(name), .text = buf_steal(text) };
}

static void objs_done(NftObjs *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].name);
                free(l->v[i].text);
        }
        free(l->v);
        *l = (NftObjs) {};
}

NftFilter *net_nft_filter_free(NftFilter *f) {
        if (!f)
                return NULL;
        elems_done(&f->zone);
        elems_done(&f->egress);
        elems_done(&f->ingress);
        elems_done(&f->taps);
        objs_done(&f->sets);
        objs_done(&f->chains);
        objs_done(&f->spoof);
        free(f);
        return NULL;
}

int net_nft_filter_model(const NetNames *n, const NetState *state, NftFilter **ret, Error *e) {
        StrSet keys = {};
        SetCtx sets = {};
        int r = net_state_check(n, state, e);
        if (r < 0)
                return r;
        NftFilter *f = xcalloc(1, sizeof(*f));

        for (size_t i = 0; i < state->n_networks; i++) {
                char buf[NET_IFNAME_MAX + 1], *line;
                const char *br = net_network_bridge(n, &state->networks[i], buf);
                line = xasprintf("\"%s\" : %u", br, net_zone(state->networks[i].id));
                /* Two flat networks on one provider bridge share its zone: the first one's. */
                if (strset_add(&keys, br))
                        elems_add(&f->zone, line);
                free(line);
        }

        for (size_t i = 0; i < state->n_ports; i++) {
                const NetPort *p = &state->ports[i];
                const NetNetwork *net = net_state_network(state, p->network_id);
                char tap[NET_IFNAME_MAX + 1], brbuf[NET_IFNAME_MAX + 1], *line, name[64];
                const char *br = net_network_bridge(n, net, brbuf);
                Buf b = {};

                net_name_tap(n, p->id, tap);
                if (!p->port_security) {
                        line = xasprintf("\"%s\" : accept", tap);
                        elems_add(&f->taps, line);
                        free(line);
                        continue;
                }
                line = xasprintf("\"%s\" : jump s-%s", tap, p->id);
                elems_add(&f->taps, line);
                free(line);

                MacAddrs *macs;
                size_t nm = port_macs(p, &macs);
                for (size_t k = 0; k < nm; k++) {
                        /* A MAC two ports claim on one bridge goes to the first: nft refuses a key twice. */
                        _cleanup_free_ char *key = xasprintf("\"%s\" . %s", br, macs[k].mac);
                        if (!strset_add(&keys, key))
                                continue;
                        line = xasprintf("%s : jump o-%s", key, p->id);
                        elems_add(&f->egress, line);
                        free(line);
                        line = xasprintf("%s : jump i-%s", key, p->id);
                        elems_add(&f->ingress, line);
                        free(line);
                }
                macs_free(macs, nm);
                put_egress_chain(&b, &sets, p);
                snprintf(name, sizeof(name), "o-%s", p->id);
                objs_add(&f->chains, name, &b);
                put_ingress_chain(&b, &sets, p, net);
                snprintf(name, sizeof(name), "i-%s", p->id);
                objs_add(&f->chains, name, &b);
                put_spoof_chain(&b, p);
                snprintf(name, sizeof(name), "s-%s", p->id);
                objs_add(&f->spoof, name, &b);
        }
        f->sets = sets.objs;
        strset_done(&keys);
        strset_done(&sets.names);
        *ret = f;
        return 0;
}

/* Writes "\t\telements = { a,\n\t\t\t     b }\n" for a named map, nothing when empty. */
static void put_map_elements(Buf *b, const Elems *l) {
        if (l->n == 0)
                return;
        buf_puts(b, "\t\telements = { ");
        for (size_t i = 0; i < l->n; i++)
                buf_printf(b, "%s%s", i ? ",\n\t\t\t     " : "", l->v[i]);
        buf_puts(b, " }\n");
}

static void put_objs(Buf *b, const NftObjs *l) {
        for (size_t i = 0; i < l->n; i++)
                buf_puts(b, l->v[i].text);
}

void net_nft_filter_script(const NetNames *n, const NftFilter *f, Buf *out) {
        char inet[32], bridge[32];
        net_name_table(n, "filter", inet);
        net_name_table(n, "spoof", bridge);

        buf_puts(out, "# Security groups and anti-spoofing of gureum's ports (net_nft_filter_build).\n");
        buf_printf(out, "add table inet %s\ndelete table inet %s\n", inet, inet);
        buf_printf(out, "add table bridge %s\ndelete table bridge %s\n", bridge, bridge);

        buf_printf(out, "table inet %s {\n", inet);
        buf_puts(out, "\tmap zone {\n\t\ttypeof iifname : ct zone\n");
        put_map_elements(out, &f->zone);
        buf_puts(out, "\t}\n\tmap egress {\n\t\ttypeof iifname . ether saddr : verdict\n");
        put_map_elements(out, &f->egress);
        buf_puts(out, "\t}\n\tmap ingress {\n\t\ttypeof iifname . ether daddr : verdict\n");
        put_map_elements(out, &f->ingress);
        buf_puts(out, "\t}\n");
        /* The ICMPv6 types of neighbour discovery a VM may send and receive, whatever its rules. */
        buf_puts(out, "\tset nd_out {\n\t\ttypeof icmpv6 type\n\t\telements = { mld-listener-report, "
                      "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report }\n\t}\n"
                      "\tset nd_in {\n\t\ttypeof icmpv6 type\n\t\telements = { mld-listener-query, "
                      "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }\n\t}\n");
        put_objs(out, &f->sets);
        buf_puts(out, "\tchain zone {\n"
                      "\t\ttype filter hook prerouting priority raw; policy accept;\n"
                      "\t\tct zone set iifname map @zone\n"
                      "\t}\n"
                      "\tchain forward {\n"
                      "\t\ttype filter hook forward priority filter; policy accept;\n"
                      "\t\tiifname . ether saddr vmap @egress\n"
                      "\t\tiifname . ether daddr vmap @ingress\n"
                      "\t}\n");
        put_objs(out, &f->chains);
        buf_puts(out, "}\n");

        buf_printf(out, "table bridge %s {\n", bridge);
        buf_puts(out, "\tmap port {\n\t\ttypeof iifname : verdict\n");
        put_map_elements(out, &f->taps);
        buf_puts(out, "\t}\n\tset dad {\n\t\ttypeof icmpv6 type\n\t\telements = { mld-listener-report, "
                      "nd-neighbor-solicit, mld2-listener-report }\n\t}\n");
        buf_printf(out, "\tchain prerouting {\n"
                        "\t\ttype filter hook prerouting priority filter; policy accept;\n"
                        "\t\tiifname vmap @port\n"
                        "\t\tiifname \"%s%c*\" drop\n"
                        "\t}\n", n->prefix, NET_KIND_TAP);
        put_objs(out, &f->spoof);
        buf_puts(out, "}\n");
}

int net_nft_filter_build(const NetNames *n, const NetState *state, Buf *out, Error *e) {
        NftFilter *f = NULL;
        int r = net_nft_filter_model(n, state, &f, e);
        if (r < 0)
                return r;
        net_nft_filter_script(n, f, out);
        net_nft_filter_free(f);
        return 0;
}

/* ---- changes from one filter ruleset to the next ---- */

/* An index of strings (the keys of elements, the names of objects) to their position. */
typedef struct Index {
        const char **keys;
        size_t *pos;
        size_t cap;
} Index;

static size_t key_len(const char *s, bool element) {
        const char *sep = element ? strstr(s, " : ") : NULL;
        return sep ? (size_t) (sep - s) : strlen(s);
}

static uint64_t hash_n(const char *s, size_t n) {
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char) s[i];
                h *= 1099511628211ULL;
        }
        return h;
}

static void index_build(Index *x, const char *const *keys, size_t n, size_t stride, bool element) {
        x->cap = 2 * n + 16;
        x->keys = xcalloc(x->cap, sizeof(char *));
        x->pos = xcalloc(x->cap, sizeof(size_t));
        for (size_t i = 0; i < n; i++) {
                const char *k = *(const char *const *) ((const char *) keys + i * stride);
                size_t len = key_len(k, element), j = hash_n(k, len) % x->cap;
                while (x->keys[j])
                        j = (j + 1) % x->cap;
                x->keys[j] = k;
                x->pos[j] = i;
        }
}

/* The position of the entry whose key is k's, or SIZE_MAX. */
static size_t index_find(const Index *x, const char *k, bool element) {
        size_t len = key_len(k, element), j = hash_n(k, len) % x->cap;
        for (; x->keys[j]; j = (j + 1) % x->cap)
                if (key_len(x->keys[j], element) == len && memcmp(x->keys[j], k, len) == 0)
                        return x->pos[j];
        return SIZE_MAX;
}

static void index_done(Index *x) {
        free(x->keys);
        free(x->pos);
        *x = (Index) {};
}

/* Map elements: removals (keys gone or changed) into del, additions (new or changed) into add. */
static void delta_elements(Buf *del, Buf *add, const char *family, const char *table, const char *map,
                           const Elems *old, const Elems *new) {
        Index xo, xn;
        Buf keys = {}, elems = {};
        index_build(&xo, (const char *const *) old->v, old->n, sizeof(char *), true);
        index_build(&xn, (const char *const *) new->v, new->n, sizeof(char *), true);
        for (size_t i = 0; i < old->n; i++) {
                size_t k = index_find(&xn, old->v[i], true);
                if (k == SIZE_MAX || !streq(new->v[k], old->v[i]))
                        buf_printf(&keys, "%s%.*s", keys.len ? ", " : "", (int) key_len(old->v[i], true), old->v[i]);
        }
        for (size_t i = 0; i < new->n; i++) {
                size_t k = index_find(&xo, new->v[i], true);
                if (k == SIZE_MAX || !streq(old->v[k], new->v[i]))
                        buf_printf(&elems, "%s%s", elems.len ? ", " : "", new->v[i]);
        }
        if (keys.len)
                buf_printf(del, "delete element %s %s %s { %s }\n", family, table, map, keys.data);
        if (elems.len)
                buf_printf(add, "add element %s %s %s { %s }\n", family, table, map, elems.data);
        buf_done(&keys);
        buf_done(&elems);
        index_done(&xo);
        index_done(&xn);
}

/*
 * Objects: sets are content-addressed (same name, same text), chains are
 * rewritten whole when their text changed.  New and changed ones go into
 * put (chains flushed first, so no rule is ever there twice), removed
 * ones into drop.
 */
static void delta_objs(Buf *put, Buf *drop, const char *family, const char *table, const char *kind,
                       const NftObjs *old, const NftObjs *new) {
        Index xo, xn;
        index_build(&xo, old->n ? (const char *const *) &old->v[0].name : NULL, old->n, sizeof(NftObj), false);
        index_build(&xn, new->n ? (const char *const *) &new->v[0].name : NULL, new->n, sizeof(NftObj), false);
        for (size_t i = 0; i < new->n; i++) {
                size_t k = index_find(&xo, new->v[i].name, false);
                if (k != SIZE_MAX && streq(old->v[k].text, new->v[i].text))
                        continue;
                if (streq(kind, "chain"))
                        buf_printf(put, "add chain %s %s %s\nflush chain %s %s %s\n", family, table, new->v[i].name,
                                   family, table, new->v[i].name);
                buf_printf(put, "table %s %s {\n%s}\n", family, table, new->v[i].text);
        }
        for (size_t i = 0; i < old->n; i++)
                if (index_find(&xn, old->v[i].name, false) == SIZE_MAX)
                        buf_printf(drop, "delete %s %s %s %s\n", kind, family, table, old->v[i].name);
        index_done(&xo);
        index_done(&xn);
}

void net_nft_filter_delta(const NetNames *n, const NftFilter *old, const NftFilter *new, Buf *out) {
        char inet[32], bridge[32];
        Buf add_sets = {}, drop_sets = {}, del_elems = {}, add_elems = {}, put_chains = {}, drop_chains = {};
        net_name_table(n, "filter", inet);
        net_name_table(n, "spoof", bridge);

        delta_objs(&add_sets, &drop_sets, "inet", inet, "set", &old->sets, &new->sets);
        delta_elements(&del_elems, &add_elems, "inet", inet, "zone", &old->zone, &new->zone);
        delta_elements(&del_elems, &add_elems, "inet", inet, "egress", &old->egress, &new->egress);
        delta_elements(&del_elems, &add_elems, "inet", inet, "ingress", &old->ingress, &new->ingress);
        delta_elements(&del_elems, &add_elems, "bridge", bridge, "port", &old->taps, &new->taps);
        delta_objs(&put_chains, &drop_chains, "inet", inet, "chain", &old->chains, &new->chains);
        delta_objs(&put_chains, &drop_chains, "bridge", bridge, "chain", &old->spoof, &new->spoof);

        /*
         * One transaction, in an order the kernel accepts: new sets before
         * the rules that use them; elements that jump to a chain removed
         * before the chain; chains written before elements jump to them;
         * sets dropped after the rules that used them are gone.
         */
        Buf *parts[] = { &add_sets, &del_elems, &drop_chains, &put_chains, &add_elems, &drop_sets };
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                if (parts[i]->len)
                        buf_append(out, parts[i]->data, parts[i]->len);
                buf_done(parts[i]);
        }
}

/* ---- a router's NAT ---- */

/* The first IPv4 address of a leg, bare. */
static bool leg_ipv4(const NetRouterLeg *leg, char buf[static 64]) {
        for (const char *const *ip = leg ? leg->ips : NULL; ip && *ip; ip++) {
                NetAddr a;
                if (net_cidr_parse(*ip, &a) == 0 && a.family == AF_INET) {
                        net_addr_format(&a, false, buf);
                        return true;
                }
        }
        return false;
}

static void put_map(Buf *b, const NetRouter *r, bool floating_first) {
        buf_puts(b, "{ ");
        for (size_t i = 0; i < r->n_floatings; i++) {
                char fip[64], fixed[64];
                NetAddr a;
                (void) net_addr_parse(r->floatings[i].floating_ip, &a);
                net_addr_format(&a, false, fip);
                (void) net_addr_parse(r->floatings[i].fixed_ip, &a);
                net_addr_format(&a, false, fixed);
                buf_printf(b, "%s%s : %s", i ? ", " : "", floating_first ? fip : fixed, floating_first ? fixed : fip);
        }
        buf_puts(b, " }");
}

int net_nft_router_build(const NetNames *n, const NetRouter *r, Buf *out, Error *e) {
        NetState one = { .routers = r, .n_routers = 1 };
        char table[32], gw[NET_IFNAME_MAX + 1], gwip[64];
        int rc;

        if (!r)
                return error_set(e, -EINVAL, "No router given.");
        rc = net_state_check(n, &one, e);
        if (rc < 0)
                return rc;
        net_name_table(n, "nat", table);
        if (r->gateway)
                net_name_if(n, NET_KIND_LEG_INNER, r->gateway->port_id, gw);
        /*
         * SNAT is IPv4's (IPv6 is routed): a gateway on an IPv6-only
         * external subnet has no address to SNAT to, nor an IPv4 route out.
         */
        bool snat = r->gateway && r->enable_snat && leg_ipv4(r->gateway, gwip);

        buf_printf(out, "# The NAT of router %s (net_nft_router_build).\n", r->id);
        buf_printf(out, "add table ip %s\ndelete table ip %s\n", table, table);
        buf_printf(out, "table ip %s {\n", table);
        buf_puts(out, "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        if (r->n_floatings > 0) {
                buf_puts(out, "\t\tdnat to ip daddr map ");
                put_map(out, r, true);
                buf_puts(out, "\n");
        }
        buf_puts(out, "\t}\n\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n");
        if (r->n_floatings > 0) {
                buf_puts(out, "\t\tdnat to ip daddr map ");
                put_map(out, r, true);
                buf_puts(out, "\n");
        }
        buf_puts(out, "\t}\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        if (r->gateway && r->n_floatings > 0) {
                /* A VM with a floating IP goes out as its floating IP. */
                buf_printf(out, "\t\toifname \"%s\" snat to ip saddr map ", gw);
                put_map(out, r, false);
                buf_puts(out, "\n");
                /*
                 * Hairpin: an inside client of a floating IP would get the
                 * answer straight from the VM, not through the router; it
                 * sees the router's address instead.  Outside clients keep
                 * theirs.
                 */
                buf_printf(out, "\t\tiifname != \"%s\" oifname != \"%s\" ct status dnat masquerade\n", gw, gw);
        }
        if (snat)
                buf_printf(out, "\t\toifname \"%s\" snat to %s\n", gw, gwip);
        buf_puts(out, "\t}\n}\n");
        return 0;
}
