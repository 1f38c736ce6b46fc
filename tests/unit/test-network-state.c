/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the networking service's read model for the data plane
 * (network_state_build) on SQLite: networks made through the service
 * (segments, subnets, the DHCP port with its addresses), a VM port bound
 * to the host with its default group's rules (remote group resolved to
 * the members' addresses), a port bound elsewhere left out, and a router
 * with a leg, a gateway and a floating IP; and a server's NICs as compute
 * asks for them (Nova's choice of network, ports made and taken, release).
 */
#include "test-helpers.h"

#include "db/db.h"
#include "network/network_state.h"

static char *dir;
static Db *db;
static Config cfg;

static int setup(void **state) {
        dir = test_tmpdir_new();
        config_defaults(&cfg);
        free(cfg.network_bridge_mappings);
        cfg.network_bridge_mappings = xstrdup("public:gt-ext");
        if (!dir || db_open("sqlite:test.db", dir, &db) < 0 || db_migrate(db) < 0)
                return -1;
        return network_config_load(&cfg);
}

static int teardown(void **state) {
        network_config_done();
        config_done(&cfg);
        db = db_close(db);
        return test_tmpdir_remove(TAKE_PTR(dir));
}

static void admin(Ctx *c) {
        ctx_init(c, db);
        c->auth.authenticated = c->auth.is_admin = c->auth.is_member = c->auth.is_reader = true;
        c->auth.project_id = xstrdup("p1");
}

static json_t *create(Ctx *c, const ResDef *d, json_t *obj) {
        json_t *rec = NULL;
        int r = res_create(c, d, obj, &rec);
        if (r < 0)
                fail_msg("creating a %s: %s", d->singular, c->error_message);
        json_decref(obj);
        return rec;
}

static void test_state(void **state) {
        Ctx c;
        NetStateOwned *s = NULL;
        admin(&c);

        _cleanup_json_ json_t *net = create(&c, &res_network, json_pack("{s:s}", "name", "n1"));
        const char *net_id = jx_string(net, "id");
        _cleanup_json_ json_t *sub = create(&c, &res_subnet,
                                            json_pack("{s:s, s:i, s:s, s:[s]}", "network_id", net_id, "ip_version", 4,
                                                      "cidr", "10.0.0.0/24", "dns_nameservers", "10.0.0.53"));
        _cleanup_json_ json_t *vm1 = create(&c, &res_port,
                                            json_pack("{s:s, s:s, s:s, s:s}", "network_id", net_id, "device_owner",
                                                      "compute:nova", "binding:host_id", "host-a", "dns_name", "vm1"));
        _cleanup_json_ json_t *vm2 = create(&c, &res_port,
                                            json_pack("{s:s, s:s, s:s}", "network_id", net_id, "device_owner",
                                                      "compute:nova", "binding:host_id", "host-b"));

        /* A router with a leg in n1 (the subnet's gateway) and a gateway on a flat external network. */
        _cleanup_json_ json_t *ext = create(&c, &res_network,
                                            json_pack("{s:s, s:b, s:s, s:s}", "name", "public", "router:external", true,
                                                      "provider:network_type", "flat", "provider:physical_network",
                                                      "public"));
        _cleanup_json_ json_t *extsub = create(&c, &res_subnet,
                                               json_pack("{s:s, s:i, s:s, s:b}", "network_id", jx_string(ext, "id"),
                                                         "ip_version", 4, "cidr", "203.0.113.0/24", "enable_dhcp", false));
        _cleanup_json_ json_t *leg = create(&c, &res_port,
                                            json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "network_id", net_id,
                                                      "device_owner", "network:router_interface", "device_id", "r1",
                                                      "fixed_ips", "subnet_id", jx_string(sub, "id"), "ip_address",
                                                      "10.0.0.1"));
        _cleanup_json_ json_t *gw = create(&c, &res_port,
                                           json_pack("{s:s, s:s, s:s}", "network_id", jx_string(ext, "id"),
                                                     "device_owner", "network:router_gateway", "device_id", "r1"));
        assert_int_equal(db_run(db, "INSERT INTO routers (id, project_id, gw_network_id, gw_port_id, created_at, updated_at)"
                                    " VALUES ('r1', 'p1', ?, ?, 1, 1)",
                                "ss", jx_string(ext, "id"), jx_string(gw, "id")),
                         1);

        assert_int_equal(network_state_build(&c, "host-a", &s), 0);
        const NetState *st = &s->state;
        assert_int_equal(st->n_networks, 2);
        const NetNetwork *n1 = streq(st->networks[0].id, net_id) ? &st->networks[0] : &st->networks[1];
        assert_string_equal(n1->type, "vxlan");
        assert_int_equal(n1->segmentation_id, 1);
        assert_int_equal(n1->mtu, 1450);
        assert_int_equal(n1->n_subnets, 1);
        assert_string_equal(n1->subnets[0].cidr, "10.0.0.0/24");
        assert_string_equal(n1->subnets[0].gateway_ip, "10.0.0.1");
        assert_string_equal(n1->subnets[0].dns_nameservers[0], "10.0.0.53");
        assert_null(n1->subnets[0].dns_nameservers[1]);
        /* The DHCP port took the first free address; every other port has a reservation. */
        assert_non_null(n1->dhcp_mac);
        assert_string_equal(n1->dhcp_ips[0], "10.0.0.2/24");
        assert_true(n1->metadata);
        assert_int_equal(n1->n_hosts, 3); /* vm1, vm2, the router's leg */
        bool named = false;
        for (size_t i = 0; i < n1->n_hosts; i++)
                named |= streq(n1->hosts[i].hostname, "vm1");
        assert_true(named);
        const NetNetwork *pub = n1 == &st->networks[0] ? &st->networks[1] : &st->networks[0];
        assert_string_equal(pub->type, "flat");
        assert_string_equal(pub->physical_bridge, "gt-ext");
        assert_null(pub->dhcp_mac);

        /* Only the port bound here, with the default group's rules: egress anywhere, ingress from the group. */
        assert_int_equal(st->n_ports, 1);
        const NetPort *p = &st->ports[0];
        assert_string_equal(p->id, jx_string(vm1, "id"));
        assert_true(p->port_security);
        assert_non_null(p->ips[0]);
        assert_int_equal(p->n_rules, 4);
        size_t with_members = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].remote_ips) {
                        with_members++;
                        if (p->rules[i].ethertype == 4) {
                                /* vm1 and vm2 are in the default group */
                                assert_non_null(p->rules[i].remote_ips[0]);
                                assert_non_null(p->rules[i].remote_ips[1]);
                                assert_null(p->rules[i].remote_ips[2]);
                        }
                }
        assert_int_equal(with_members, 2);

        assert_int_equal(st->n_routers, 1);
        const NetRouter *rt = &st->routers[0];
        assert_int_equal(rt->n_legs, 1);
        assert_string_equal(rt->legs[0].ips[0], "10.0.0.1/24");
        assert_non_null(rt->gateway);
        assert_string_equal(rt->gateway_nexthop, "203.0.113.1");
        assert_true(rt->enable_snat);
        s = network_state_free(s);
        (void) vm2;
        (void) extsub;
        (void) leg;
        ctx_done(&c);
}

static void test_nics(void **state) {
        Ctx c;
        json_t *nics = NULL, *described = NULL;
        admin(&c);
        c.auth.is_admin = false;

        /* No network: a server gets no NIC, "auto" cannot make one without a router to go through. */
        assert_int_equal(network_nics_check(&c, "p1", NETWORK_NICS_DEFAULT, NULL, 0, NULL), 0);
        assert_int_equal(network_nics_allocate(&c, "p1", "srv-1", "vm1", NETWORK_NICS_DEFAULT, NULL, 0, NULL, &nics), 0);
        assert_int_equal(json_array_size(nics), 0);
        json_decref(nics);

        _cleanup_json_ json_t *net = create(&c, &res_network, json_pack("{s:s}", "name", "n1"));
        const char *net_id = jx_string(net, "id");
        NetworkNicRequest want = { .network_id = net_id };
        /* A network without a subnet cannot take a server (Nova's 400). */
        assert_int_equal(network_nics_check(&c, "p1", NETWORK_NICS_LISTED, &want, 1, NULL), -EINVAL);
        ctx_clear_error(&c);
        _cleanup_json_ json_t *sub = create(&c, &res_subnet,
                                            json_pack("{s:s, s:i, s:s}", "network_id", net_id, "ip_version", 4, "cidr",
                                                      "10.1.0.0/24"));
        _cleanup_json_ json_t *mine = create(&c, &res_port, json_pack("{s:s, s:s}", "network_id", net_id, "name", "mine"));
        NetworkNicRequest two[] = { { .network_id = net_id, .fixed_ip = "10.1.0.50" },
                                    { .port_id = jx_string(mine, "id") } };
        assert_int_equal(network_nics_check(&c, "p1", NETWORK_NICS_LISTED, two, 2, NULL), 0);
        assert_int_equal(db_begin(db), 0);
        assert_int_equal(network_nics_allocate(&c, "p1", "srv-2", "vm2", NETWORK_NICS_LISTED, two, 2, NULL, &nics), 0);
        assert_int_equal(network_nics_bind(&c, "srv-2", "host-a"), 0);
        assert_int_equal(db_commit(db), 0);
        assert_int_equal(json_array_size(nics), 2);
        assert_false(json_is_true(json_object_get(json_array_get(nics, 0), "preserve")));
        assert_true(json_is_true(json_object_get(json_array_get(nics, 1), "preserve")));
        /* The user's port is in use now. */
        assert_int_equal(network_nics_check(&c, "p1", NETWORK_NICS_LISTED, &two[1], 1, NULL), -EBUSY);
        ctx_clear_error(&c);

        _cleanup_json_ json_t *ids = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(nics, i, v)
                json_array_append(ids, json_object_get(v, "port_id"));
        assert_int_equal(network_nics_describe(&c, ids, &described), 0);
        assert_int_equal(json_array_size(described), 2);
        json_t *first = json_array_get(described, 0);
        assert_string_equal(jx_string(first, "network_name"), "n1");
        assert_string_equal(jx_string(json_array_get(json_object_get(first, "fixed_ips"), 0), "ip_address"), "10.1.0.50");
        assert_string_equal(jx_string(json_array_get(json_object_get(first, "fixed_ips"), 0), "gateway_ip"), "10.1.0.1");
        json_decref(described);

        /* A second network makes the default ambiguous (409). */
        _cleanup_json_ json_t *net2 = create(&c, &res_network, json_pack("{s:s}", "name", "n2"));
        assert_int_equal(network_nics_check(&c, "p1", NETWORK_NICS_DEFAULT, NULL, 0, NULL), -EBUSY);
        ctx_clear_error(&c);

        /* Deleting the server: the port made for it goes, the user's stays, unbound. */
        _cleanup_json_ json_t *keep = json_pack("[s]", jx_string(mine, "id")), *after = NULL, *gone = NULL;
        assert_int_equal(db_begin(db), 0);
        assert_int_equal(network_nics_release(&c, "srv-2", keep), 0);
        assert_int_equal(db_commit(db), 0);
        assert_int_equal(res_get(&c, &res_port, jx_string(mine, "id"), &after), 0);
        assert_string_equal(jx_string(after, "device_id"), "");
        assert_int_equal(res_lookup(&c, &res_port, jx_string(json_array_get(nics, 0), "port_id"), &gone), -ENOENT);
        json_decref(nics);
        (void) net2;
        (void) sub;
        ctx_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nics, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
