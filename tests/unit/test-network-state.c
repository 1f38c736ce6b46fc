/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the networking service's read model for the data plane
 * (network_state_build) on SQLite: networks made through the service
 * (segments, subnets, the DHCP port with its addresses), a VM port bound
 * to the host with its default group's rules (remote group resolved to
 * the members' addresses), a port bound elsewhere left out, and a router
 * with a leg, a gateway and a floating IP.
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_state, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
