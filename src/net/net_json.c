/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetState <-> JSON (net_json.h).  The parser checks shapes and types
 * only (net_state_check() judges the values); the arrays it makes are
 * owned by the document, and the strings stay inside the JSON the
 * document holds, so one net_state_doc_free() releases everything.
 */
#include "net/net_json.h"

#include "util/jx.h"

typedef struct Parser {
        NetStateDoc *doc;
        Error *e;
        char path[256];
} Parser;

static void *doc_alloc(NetStateDoc *d, size_t n, size_t size) {
        if (d->n_allocs == d->cap_allocs) {
                d->cap_allocs = d->cap_allocs ? d->cap_allocs * 2 : 16;
                d->allocs = xrealloc(d->allocs, d->cap_allocs * sizeof(void *));
        }
        void *p = xcalloc(n ? n : 1, size);
        d->allocs[d->n_allocs++] = p;
        return p;
}

NetStateDoc *net_state_doc_free(NetStateDoc *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_allocs; i++)
                free(d->allocs[i]);
        free(d->allocs);
        if (d->json)
                json_decref(d->json);
        free(d);
        return NULL;
}

static int bad(Parser *p, const char *key, const char *what) {
        return error_set(p->e, -EINVAL, "%s%s%s: %s.", p->path, *p->path && key ? "." : "", key ? key : "", what);
}

static int keys_allowed(Parser *p, json_t *o, const char *const *allowed) {
        const char *key;
        json_t *v;
        if (!json_is_object(o))
                return bad(p, NULL, "not an object");
        json_object_foreach(o, key, v) {
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = streq(*a, key);
                if (!ok)
                        return bad(p, key, "unknown key");
        }
        return 0;
}

static int get_str(Parser *p, json_t *o, const char *key, const char **ret) {
        json_t *v = json_object_get(o, key);
        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return bad(p, key, "not a string");
        *ret = json_string_value(v);
        return 0;
}

static int get_bool(Parser *p, json_t *o, const char *key, bool def, bool *ret) {
        json_t *v = json_object_get(o, key);
        if (!v) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return bad(p, key, "not a boolean");
        *ret = json_is_true(v);
        return 0;
}

static int get_int(Parser *p, json_t *o, const char *key, int64_t def, int64_t min, int64_t max, int64_t *ret) {
        json_t *v = json_object_get(o, key);
        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
                return bad(p, key, "not an integer in range");
        *ret = json_integer_value(v);
        return 0;
}

/* A NULL-terminated vector of borrowed strings, or NULL when absent. */
static int get_strv(Parser *p, json_t *o, const char *key, const char *const **ret) {
        json_t *a = json_object_get(o, key), *v;
        size_t i;
        if (!a || json_is_null(a)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_array(a))
                return bad(p, key, "not an array");
        const char **strv = doc_alloc(p->doc, json_array_size(a) + 1, sizeof(char *));
        json_array_foreach(a, i, v) {
                if (!json_is_string(v))
                        return bad(p, key, "holds something that is not a string");
                strv[i] = json_string_value(v);
        }
        *ret = strv;
        return 0;
}

/* An array of objects: calls fn for each into a new array of elem_size elements. */
typedef int (*ParseFn)(Parser *p, json_t *o, void *elem);

static int get_array(Parser *p, json_t *o, const char *key, size_t elem_size, ParseFn fn, void **ret, size_t *ret_n) {
        json_t *a = json_object_get(o, key), *v;
        size_t i, len = strlen(p->path);
        if (!a || json_is_null(a)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!json_is_array(a))
                return bad(p, key, "not an array");
        char *arr = doc_alloc(p->doc, json_array_size(a), elem_size);
        json_array_foreach(a, i, v) {
                snprintf(p->path + len, sizeof(p->path) - len, "%s%s[%zu]", len ? "." : "", key, i);
                int r = fn(p, v, arr + i * elem_size);
                if (r < 0)
                        return r;
                p->path[len] = '\0';
        }
        *ret = arr;
        *ret_n = json_array_size(a);
        return 0;
}

static int parse_route(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "destination", "nexthop", NULL };
        NetRoute *r = elem;
        int rc = keys_allowed(p, o, keys);
        if (rc < 0)
                return rc;
        if ((rc = get_str(p, o, "destination", &r->destination)) < 0 || (rc = get_str(p, o, "nexthop", &r->nexthop)) < 0)
                return rc;
        return 0;
}

static int parse_subnet(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "id", "ip_version", "cidr", "gateway_ip", "enable_dhcp", "dns_nameservers",
                                            "host_routes", "ipv6_ra_mode", "ipv6_address_mode", NULL };
        NetSubnet *s = elem;
        int64_t v;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "id", &s->id)) < 0 || (r = get_int(p, o, "ip_version", 4, 0, 255, &v)) < 0)
                return r;
        s->ip_version = (int) v;
        if ((r = get_str(p, o, "cidr", &s->cidr)) < 0 || (r = get_str(p, o, "gateway_ip", &s->gateway_ip)) < 0 ||
            (r = get_bool(p, o, "enable_dhcp", true, &s->enable_dhcp)) < 0 ||
            (r = get_strv(p, o, "dns_nameservers", &s->dns_nameservers)) < 0 ||
            (r = get_array(p, o, "host_routes", sizeof(NetRoute), parse_route, (void **) &s->host_routes,
                           &s->n_host_routes)) < 0 ||
            (r = get_str(p, o, "ipv6_ra_mode", &s->ipv6_ra_mode)) < 0 ||
            (r = get_str(p, o, "ipv6_address_mode", &s->ipv6_address_mode)) < 0)
                return r;
        return 0;
}

static int parse_host(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "mac", "ip", "hostname", NULL };
        NetHost *h = elem;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "mac", &h->mac)) < 0 || (r = get_str(p, o, "ip", &h->ip)) < 0 ||
            (r = get_str(p, o, "hostname", &h->hostname)) < 0)
                return r;
        return 0;
}

static int parse_network(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "id", "type", "segmentation_id", "physical_bridge", "mtu", "admin_state_up",
                                            "subnets", "dhcp_mac", "dhcp_ips", "hosts", "dns_domain", "metadata",
                                            NULL };
        NetNetwork *n = elem;
        int64_t v;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "id", &n->id)) < 0 || (r = get_str(p, o, "type", &n->type)) < 0 ||
            (r = get_int(p, o, "segmentation_id", 0, 0, UINT32_MAX, &v)) < 0)
                return r;
        n->segmentation_id = (uint32_t) v;
        if ((r = get_str(p, o, "physical_bridge", &n->physical_bridge)) < 0 ||
            (r = get_int(p, o, "mtu", 0, 0, UINT32_MAX, &v)) < 0)
                return r;
        n->mtu = (unsigned) v;
        if ((r = get_bool(p, o, "admin_state_up", true, &n->admin_state_up)) < 0 ||
            (r = get_array(p, o, "subnets", sizeof(NetSubnet), parse_subnet, (void **) &n->subnets, &n->n_subnets)) < 0 ||
            (r = get_str(p, o, "dhcp_mac", &n->dhcp_mac)) < 0 || (r = get_strv(p, o, "dhcp_ips", &n->dhcp_ips)) < 0 ||
            (r = get_array(p, o, "hosts", sizeof(NetHost), parse_host, (void **) &n->hosts, &n->n_hosts)) < 0 ||
            (r = get_str(p, o, "dns_domain", &n->dns_domain)) < 0 ||
            (r = get_bool(p, o, "metadata", false, &n->metadata)) < 0)
                return r;
        return 0;
}

static int parse_leg(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "port_id", "network_id", "mac", "ips", NULL };
        NetRouterLeg *l = elem;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "port_id", &l->port_id)) < 0 ||
            (r = get_str(p, o, "network_id", &l->network_id)) < 0 || (r = get_str(p, o, "mac", &l->mac)) < 0 ||
            (r = get_strv(p, o, "ips", &l->ips)) < 0)
                return r;
        return 0;
}

static int parse_floating(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "floating_ip", "fixed_ip", NULL };
        NetFloating *f = elem;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "floating_ip", &f->floating_ip)) < 0 ||
            (r = get_str(p, o, "fixed_ip", &f->fixed_ip)) < 0)
                return r;
        return 0;
}

static int parse_router(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "id", "admin_state_up", "legs", "gateway", "gateway_nexthop",
                                            "gateway_nexthop6", "enable_snat", "floatings", "routes", NULL };
        NetRouter *rt = elem;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "id", &rt->id)) < 0 ||
            (r = get_bool(p, o, "admin_state_up", true, &rt->admin_state_up)) < 0 ||
            (r = get_array(p, o, "legs", sizeof(NetRouterLeg), parse_leg, (void **) &rt->legs, &rt->n_legs)) < 0)
                return r;
        json_t *gw = json_object_get(o, "gateway");
        if (gw && !json_is_null(gw)) {
                size_t len = strlen(p->path);
                NetRouterLeg *leg = doc_alloc(p->doc, 1, sizeof(*leg));
                snprintf(p->path + len, sizeof(p->path) - len, ".gateway");
                if ((r = parse_leg(p, gw, leg)) < 0)
                        return r;
                p->path[len] = '\0';
                rt->gateway = leg;
        }
        if ((r = get_str(p, o, "gateway_nexthop", &rt->gateway_nexthop)) < 0 ||
            (r = get_str(p, o, "gateway_nexthop6", &rt->gateway_nexthop6)) < 0 ||
            (r = get_bool(p, o, "enable_snat", true, &rt->enable_snat)) < 0 ||
            (r = get_array(p, o, "floatings", sizeof(NetFloating), parse_floating, (void **) &rt->floatings,
                           &rt->n_floatings)) < 0 ||
            (r = get_array(p, o, "routes", sizeof(NetRoute), parse_route, (void **) &rt->routes, &rt->n_routes)) < 0)
                return r;
        return 0;
}

static int parse_rule(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "ingress", "ethertype", "protocol", "port_min", "port_max",
                                            "remote_prefix", "remote_ips", NULL };
        NetRule *rule = elem;
        int64_t v;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_bool(p, o, "ingress", false, &rule->ingress)) < 0 ||
            (r = get_int(p, o, "ethertype", 4, 0, 255, &v)) < 0)
                return r;
        rule->ethertype = (int) v;
        /* A protocol may be given as a number too, as Neutron allows. */
        json_t *proto = json_object_get(o, "protocol");
        if (json_is_integer(proto)) {
                char *text = xasprintf("%lld", (long long) json_integer_value(proto));
                json_object_set_new(o, "protocol", json_string(text));
                free(text);
        }
        if ((r = get_str(p, o, "protocol", &rule->protocol)) < 0 ||
            (r = get_int(p, o, "port_min", -1, -1, 65535, &v)) < 0)
                return r;
        rule->port_min = (int) v;
        if ((r = get_int(p, o, "port_max", -1, -1, 65535, &v)) < 0)
                return r;
        rule->port_max = (int) v;
        if ((r = get_str(p, o, "remote_prefix", &rule->remote_prefix)) < 0 ||
            (r = get_strv(p, o, "remote_ips", &rule->remote_ips)) < 0)
                return r;
        return 0;
}

static int parse_pair(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "mac", "ip", NULL };
        NetAddressPair *a = elem;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "mac", &a->mac)) < 0 || (r = get_str(p, o, "ip", &a->ip)) < 0)
                return r;
        return 0;
}

static int parse_port(Parser *p, json_t *o, void *elem) {
        static const char *const keys[] = { "id", "network_id", "mac", "ips", "port_security", "pairs", "rules", NULL };
        NetPort *port = elem;
        int r = keys_allowed(p, o, keys);
        if (r < 0 || (r = get_str(p, o, "id", &port->id)) < 0 ||
            (r = get_str(p, o, "network_id", &port->network_id)) < 0 || (r = get_str(p, o, "mac", &port->mac)) < 0 ||
            (r = get_strv(p, o, "ips", &port->ips)) < 0 ||
            (r = get_bool(p, o, "port_security", true, &port->port_security)) < 0 ||
            (r = get_array(p, o, "pairs", sizeof(NetAddressPair), parse_pair, (void **) &port->pairs,
                           &port->n_pairs)) < 0 ||
            (r = get_array(p, o, "rules", sizeof(NetRule), parse_rule, (void **) &port->rules, &port->n_rules)) < 0)
                return r;
        return 0;
}

int net_state_from_json(json_t *j, NetStateDoc **ret, Error *e) {
        static const char *const keys[] = { "networks", "routers", "ports", NULL };
        NetStateDoc *d = xcalloc(1, sizeof(*d));
        /* A copy: the parser writes numeric protocols back as strings it can point to. */
        d->json = json_deep_copy(j);
        if (!d->json) {
                free(d);
                return error_set(e, -EINVAL, "Not a JSON value.");
        }
        Parser p = { .doc = d, .e = e };
        NetState *s = &d->state;
        int r = keys_allowed(&p, d->json, keys);
        if (r >= 0)
                r = get_array(&p, d->json, "networks", sizeof(NetNetwork), parse_network, (void **) &s->networks,
                              &s->n_networks);
        if (r >= 0)
                r = get_array(&p, d->json, "routers", sizeof(NetRouter), parse_router, (void **) &s->routers,
                              &s->n_routers);
        if (r >= 0)
                r = get_array(&p, d->json, "ports", sizeof(NetPort), parse_port, (void **) &s->ports, &s->n_ports);
        if (r < 0) {
                net_state_doc_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

int net_state_parse(const char *text, size_t len, NetStateDoc **ret, Error *e) {
        json_error_t jerr;
        json_t *j = jx_parse(text, len, &jerr);
        if (!j)
                return error_set(e, -EINVAL, "The state is not JSON: %s (line %d).", jerr.text, jerr.line);
        int r = net_state_from_json(j, ret, e);
        json_decref(j);
        return r;
}

/* ---- to JSON ---- */

static void set_str(json_t *o, const char *key, const char *v) {
        if (v)
                json_object_set_new(o, key, json_string(v));
}

static void set_strv(json_t *o, const char *key, const char *const *v) {
        if (!v)
                return;
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        json_object_set_new(o, key, a);
}

static json_t *routes_json(const NetRoute *r, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                set_str(o, "destination", r[i].destination);
                set_str(o, "nexthop", r[i].nexthop);
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *leg_json(const NetRouterLeg *l) {
        json_t *o = json_object();
        set_str(o, "port_id", l->port_id);
        set_str(o, "network_id", l->network_id);
        set_str(o, "mac", l->mac);
        set_strv(o, "ips", l->ips);
        return o;
}

static json_t *network_json(const NetNetwork *n) {
        json_t *o = json_object(), *subnets = json_array(), *hosts = json_array();
        set_str(o, "id", n->id);
        set_str(o, "type", n->type);
        json_object_set_new(o, "segmentation_id", json_integer(n->segmentation_id));
        set_str(o, "physical_bridge", n->physical_bridge);
        json_object_set_new(o, "mtu", json_integer(n->mtu));
        json_object_set_new(o, "admin_state_up", json_boolean(n->admin_state_up));
        for (size_t i = 0; i < n->n_subnets; i++) {
                const NetSubnet *s = &n->subnets[i];
                json_t *so = json_object();
                set_str(so, "id", s->id);
                json_object_set_new(so, "ip_version", json_integer(s->ip_version));
                set_str(so, "cidr", s->cidr);
                set_str(so, "gateway_ip", s->gateway_ip);
                json_object_set_new(so, "enable_dhcp", json_boolean(s->enable_dhcp));
                set_strv(so, "dns_nameservers", s->dns_nameservers);
                json_object_set_new(so, "host_routes", routes_json(s->host_routes, s->n_host_routes));
                set_str(so, "ipv6_ra_mode", s->ipv6_ra_mode);
                set_str(so, "ipv6_address_mode", s->ipv6_address_mode);
                json_array_append_new(subnets, so);
        }
        json_object_set_new(o, "subnets", subnets);
        set_str(o, "dhcp_mac", n->dhcp_mac);
        set_strv(o, "dhcp_ips", n->dhcp_ips);
        for (size_t i = 0; i < n->n_hosts; i++) {
                json_t *h = json_object();
                set_str(h, "mac", n->hosts[i].mac);
                set_str(h, "ip", n->hosts[i].ip);
                set_str(h, "hostname", n->hosts[i].hostname);
                json_array_append_new(hosts, h);
        }
        json_object_set_new(o, "hosts", hosts);
        set_str(o, "dns_domain", n->dns_domain);
        json_object_set_new(o, "metadata", json_boolean(n->metadata));
        return o;
}

static json_t *router_json(const NetRouter *r) {
        json_t *o = json_object(), *legs = json_array(), *fips = json_array();
        set_str(o, "id", r->id);
        json_object_set_new(o, "admin_state_up", json_boolean(r->admin_state_up));
        for (size_t i = 0; i < r->n_legs; i++)
                json_array_append_new(legs, leg_json(&r->legs[i]));
        json_object_set_new(o, "legs", legs);
        if (r->gateway)
                json_object_set_new(o, "gateway", leg_json(r->gateway));
        set_str(o, "gateway_nexthop", r->gateway_nexthop);
        set_str(o, "gateway_nexthop6", r->gateway_nexthop6);
        json_object_set_new(o, "enable_snat", json_boolean(r->enable_snat));
        for (size_t i = 0; i < r->n_floatings; i++) {
                json_t *f = json_object();
                set_str(f, "floating_ip", r->floatings[i].floating_ip);
                set_str(f, "fixed_ip", r->floatings[i].fixed_ip);
                json_array_append_new(fips, f);
        }
        json_object_set_new(o, "floatings", fips);
        json_object_set_new(o, "routes", routes_json(r->routes, r->n_routes));
        return o;
}

static json_t *port_json(const NetPort *p) {
        json_t *o = json_object(), *pairs = json_array(), *rules = json_array();
        set_str(o, "id", p->id);
        set_str(o, "network_id", p->network_id);
        set_str(o, "mac", p->mac);
        set_strv(o, "ips", p->ips);
        json_object_set_new(o, "port_security", json_boolean(p->port_security));
        for (size_t i = 0; i < p->n_pairs; i++) {
                json_t *a = json_object();
                set_str(a, "mac", p->pairs[i].mac);
                set_str(a, "ip", p->pairs[i].ip);
                json_array_append_new(pairs, a);
        }
        json_object_set_new(o, "pairs", pairs);
        for (size_t i = 0; i < p->n_rules; i++) {
                const NetRule *r = &p->rules[i];
                json_t *ro = json_object();
                json_object_set_new(ro, "ingress", json_boolean(r->ingress));
                json_object_set_new(ro, "ethertype", json_integer(r->ethertype));
                set_str(ro, "protocol", r->protocol);
                json_object_set_new(ro, "port_min", json_integer(r->port_min));
                json_object_set_new(ro, "port_max", json_integer(r->port_max));
                set_str(ro, "remote_prefix", r->remote_prefix);
                set_strv(ro, "remote_ips", r->remote_ips);
                json_array_append_new(rules, ro);
        }
        json_object_set_new(o, "rules", rules);
        return o;
}

json_t *net_state_to_json(const NetState *s) {
        json_t *o = json_object(), *nets = json_array(), *routers = json_array(), *ports = json_array();
        for (size_t i = 0; i < s->n_networks; i++)
                json_array_append_new(nets, network_json(&s->networks[i]));
        for (size_t i = 0; i < s->n_routers; i++)
                json_array_append_new(routers, router_json(&s->routers[i]));
        for (size_t i = 0; i < s->n_ports; i++)
                json_array_append_new(ports, port_json(&s->ports[i]));
        json_object_set_new(o, "networks", nets);
        json_object_set_new(o, "routers", routers);
        json_object_set_new(o, "ports", ports);
        return o;
}
