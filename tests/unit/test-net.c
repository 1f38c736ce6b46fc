/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the data plane that need no root: the names things get,
 * the checks a state must pass, addresses, NetState <-> JSON, the
 * wrappers of net.c, the fake driver (records, counts, injected faults),
 * and the linux driver's commands for a vlan network captured through
 * the exec hook.
 */
#include "test-helpers.h"

#include "net/net_fake.h"
#include "net/net_internal.h"
#include "net/net_json.h"
#include "util/exec.h"

#define NET1 "5d8e9a3c-1b2f-4c6d-8e7f-0a1b2c3d4e5f"
#define PORT1 "aaaaaaa1-0000-4000-8000-000000000001"

static NetNames names(const char *prefix) {
        NetNames n;
        assert_int_equal(net_names_init(&n, prefix, NULL), 0);
        return n;
}

static void test_names(void **state) {
        NetNames gr = names("gr-"), longest = names("gt3f-");
        char buf[64];

        net_name_bridge(&gr, NET1, buf);
        assert_string_equal(buf, "gr-b5d8e9a3c1b2");
        net_name_tap(&gr, PORT1, buf);
        assert_string_equal(buf, "gr-taaaaaaa1000");
        /* The longest prefix keeps 9 hex digits: 15 characters, never more. */
        net_name_bridge(&longest, NET1, buf);
        assert_string_equal(buf, "gt3f-b5d8e9a3c1");
        assert_int_equal(strlen(buf), NET_IFNAME_MAX);
        /* Upper case ids give the same names. */
        net_name_tap(&longest, "AAAAAAA1-0000-4000-8000-000000000001", buf);
        assert_string_equal(buf, "gt3f-taaaaaaa10");
        net_name_vxlan(&longest, 16777215, buf);
        assert_string_equal(buf, "gt3f-x16777215");
        net_name_dhcp_ns(&gr, NET1, buf);
        assert_string_equal(buf, "gr-dhcp-" NET1);
        net_name_router_ns(&gr, NET1, buf);
        assert_string_equal(buf, "gr-r-" NET1);
        net_name_table(&gr, "filter", buf);
        assert_string_equal(buf, "gr-filter");
        assert_true(net_name_has_kind(&gr, "gr-taaaa", NET_KIND_TAP));
        assert_false(net_name_has_kind(&gr, "gr-baaaa", NET_KIND_TAP));
        assert_false(net_name_has_kind(&gr, "xx-taaaa", NET_KIND_TAP));

        NetNetwork flat = { .id = NET1, .type = "flat", .physical_bridge = "br-ex" };
        assert_string_equal(net_network_bridge(&gr, &flat, buf), "br-ex");
        flat.physical_bridge = NULL;
        assert_string_equal(net_network_bridge(&gr, &flat, buf), "gr-b5d8e9a3c1b2");
        NetNetwork vlan = { .id = NET1, .type = "vlan", .physical_bridge = "br-prov" };
        assert_string_equal(net_network_bridge(&gr, &vlan, buf), "gr-b5d8e9a3c1b2");
}

static void test_prefixes(void **state) {
        NetNames n;
        Error e = {};
        assert_int_equal(net_names_init(&n, "a", NULL), 0);
        assert_int_equal(net_names_init(&n, "ab-9-", NULL), 0);
        assert_int_equal(net_names_init(&n, "", NULL), -EINVAL);
        assert_int_equal(net_names_init(&n, NULL, NULL), -EINVAL);
        assert_int_equal(net_names_init(&n, "abcdef", NULL), -EINVAL);
        assert_int_equal(net_names_init(&n, "9ab", NULL), -EINVAL);
        assert_int_equal(net_names_init(&n, "Ab", NULL), -EINVAL);
        /* Quotes, braces and spaces would end up in nft scripts. */
        assert_int_equal(net_names_init(&n, "a\"b", NULL), -EINVAL);
        assert_int_equal(net_names_init(&n, "a b", &e), -EINVAL);
        assert_non_null(strstr(e.message, "lowercase letters, digits and '-'"));
}

static void test_addresses(void **state) {
        NetAddr a, net;
        char buf[64];
        uint8_t mac[6];

        assert_int_equal(net_cidr_parse("10.0.0.7/24", &a), 0);
        net = net_cidr_network(&a);
        net_addr_format(&net, true, buf);
        assert_string_equal(buf, "10.0.0.0/24");
        assert_int_equal(net_addr_parse("10.0.0.200", &a), 0);
        assert_true(net_cidr_contains(&net, &a));
        assert_int_equal(net_addr_parse("10.0.1.1", &a), 0);
        assert_false(net_cidr_contains(&net, &a));
        assert_int_equal(net_cidr_parse("fd00:1:0:0::5/64", &a), 0);
        net_addr_format(&a, true, buf);
        assert_string_equal(buf, "fd00:1::5/64");
        assert_int_equal(net_cidr_parse("10.0.0.0/33", &a), -EINVAL);
        assert_int_equal(net_cidr_parse("10.0.0.0/", &a), -EINVAL);
        assert_int_equal(net_addr_parse("10.0.0.1/24", &a), -EINVAL);
        assert_int_equal(net_addr_parse("10.0.0.1; drop", &a), -EINVAL);
        net_netmask4(20, buf);
        assert_string_equal(buf, "255.255.240.0");
        net_netmask4(0, buf);
        assert_string_equal(buf, "0.0.0.0");

        assert_int_equal(net_mac_parse("FA:16:3E:00:00:0A", mac), 0);
        net_mac_format(mac, buf);
        assert_string_equal(buf, "fa:16:3e:00:00:0a");
        net_mac_link_local(mac, buf);
        assert_string_equal(buf, "fe80::f816:3eff:fe00:a");
        assert_int_equal(net_mac_parse("fa:16:3e:00:00", mac), -EINVAL);
        assert_int_equal(net_mac_parse("fa-16-3e-00-00-0a", mac), -EINVAL);
        assert_int_equal(net_mac_parse("ff:ff:ff:ff:ff:ff", mac), -EINVAL); /* not unicast */

        assert_true(net_dns_name_valid("vm-1.openstacklocal"));
        assert_false(net_dns_name_valid("-vm"));
        assert_false(net_dns_name_valid("vm..x"));
        assert_false(net_dns_name_valid("vm 1"));
        assert_false(net_dns_name_valid("vm,10.0.0.9"));
        assert_true(net_ifname_valid("br-ex"));
        assert_false(net_ifname_valid("br\"ex"));
        assert_false(net_ifname_valid("a-name-far-too-long"));

        /* Zones are stable, never 0 (the default zone). */
        assert_int_equal(net_zone(NET1), net_zone(NET1));
        assert_true(net_zone(NET1) >= 1);
}

/* A small valid state, changed by each refusal below. */
typedef struct Fixture {
        NetSubnet subnet;
        NetNetwork net;
        NetRule rule;
        NetPort port;
        NetState state;
        const char *ips[2];
        const char *dhcp_ips[2];
} Fixture;

static void fixture(Fixture *f) {
        *f = (Fixture) {};
        f->subnet = (NetSubnet) { .id = "11111111-2222-4333-8444-555555555555", .ip_version = 4, .cidr = "10.0.0.0/24",
                                  .gateway_ip = "10.0.0.1", .enable_dhcp = true };
        f->dhcp_ips[0] = "10.0.0.2/24";
        f->net = (NetNetwork) { .id = NET1, .type = "vxlan", .segmentation_id = 5, .admin_state_up = true,
                                .subnets = &f->subnet, .n_subnets = 1, .dhcp_mac = "fa:16:3e:00:00:02",
                                .dhcp_ips = f->dhcp_ips };
        f->rule = (NetRule) { .ingress = true, .ethertype = 4, .protocol = "tcp", .port_min = 22, .port_max = 22 };
        f->ips[0] = "10.0.0.10";
        f->port = (NetPort) { .id = PORT1, .network_id = NET1, .mac = "fa:16:3e:00:00:0a", .ips = f->ips,
                              .port_security = true, .rules = &f->rule, .n_rules = 1 };
        f->state = (NetState) { .networks = &f->net, .n_networks = 1, .ports = &f->port, .n_ports = 1 };
}

static void refused(Fixture *f, const char *why) {
        NetNames n = names("gr-");
        Error e = {};
        Buf b = {};
        assert_int_equal(net_nft_filter_build(&n, &f->state, &b, &e), -EINVAL);
        if (!strstr(e.message, why))
                fail_msg("expected '%s' in '%s'", why, e.message);
        buf_done(&b);
        fixture(f);
}

static void test_state_checks(void **state) {
        NetNames n = names("gr-");
        Fixture f;
        Buf b = {};

        fixture(&f);
        assert_int_equal(net_nft_filter_build(&n, &f.state, &b, NULL), 0);
        buf_done(&b);

        f.net.id = "net1";
        refused(&f, "not a UUID");
        f.net.type = "gre";
        refused(&f, "knows vxlan, vlan and flat");
        f.net.segmentation_id = 0;
        refused(&f, "VNI");
        f.net.type = "vlan", f.net.segmentation_id = 4095, f.net.physical_bridge = "br-p";
        refused(&f, "VLAN id");
        f.net.mtu = 20;
        refused(&f, "MTU");
        f.subnet.cidr = "10.0.0.0";
        refused(&f, "not an IPv4 prefix");
        f.subnet.ip_version = 6;
        refused(&f, "not an IPv6 prefix");
        f.subnet.ipv6_ra_mode = "radvd";
        refused(&f, "IPv6 mode");
        f.net.dhcp_mac = "fa:16:3e:00:00:02\"";
        refused(&f, "MAC address");
        f.port.network_id = "6e9f0b4d-2c30-4d7e-9f80-1b2c3d4e5f60";
        refused(&f, "which this host does not have");
        f.port.mac = "01:00:5e:00:00:01";
        refused(&f, "unicast");
        f.ips[0] = "10.0.0.10 accept";
        refused(&f, "not an IPv4 address");
        f.rule.protocol = "tcp; drop";
        refused(&f, "does not know");
        f.rule.protocol = "icmpv6";
        refused(&f, "does not know"); /* ICMPv6 in an IPv4 rule */
        f.rule.port_min = 100, f.rule.port_max = 99;
        refused(&f, "port range");
        f.rule.protocol = "gre";
        refused(&f, "does not have");
        f.rule.protocol = "icmp", f.rule.port_min = 300;
        refused(&f, "ICMP type");
        f.rule.protocol = "icmp", f.rule.port_min = -1, f.rule.port_max = 0;
        refused(&f, "needs a type");
        f.rule.remote_prefix = "fd00::/64";
        refused(&f, "not an IPv4 prefix");
        f.rule.ethertype = 5;
        refused(&f, "ethertype");

        /* Two ports whose ids share their first digits would share a tap. */
        NetPort two[2] = { f.port, f.port };
        two[1].id = "aaaaaaa1-0000-4000-8000-0000000000ff";
        f.state.ports = two, f.state.n_ports = 2;
        refused(&f, "would share the device name");
        two[1].id = PORT1;
        f.state.ports = two, f.state.n_ports = 2;
        refused(&f, "names the port");
}

static void test_dnsmasq_refusals(void **state) {
        NetNames n = names("gr-");
        Fixture f;
        Buf h = {}, o = {}, m = {};
        Error e = {};
        char **argv = NULL;

        fixture(&f);
        f.dhcp_ips[0] = "10.9.0.2/24"; /* DHCP on, and no DHCP address in the subnet */
        assert_int_equal(net_dnsmasq_build(&n, &f.net, &h, &o, &m, &e), -EINVAL);
        assert_non_null(strstr(e.message, "has no address in it"));
        fixture(&f);
        assert_int_equal(net_dnsmasq_argv(&n, &f.net, "relative/dir", &argv, NULL), -EINVAL);
        assert_int_equal(net_dnsmasq_argv(&n, &f.net, "/state/x", &argv, NULL), 0);
        assert_string_equal(argv[0], "dnsmasq");
        strv_free(argv);
        NetHost bad = { .mac = "fa:16:3e:00:00:0a", .ip = "10.0.0.10", .hostname = "vm1,10.0.0.99" };
        f.net.hosts = &bad, f.net.n_hosts = 1;
        assert_int_equal(net_dnsmasq_build(&n, &f.net, &h, &o, &m, NULL), -EINVAL);
        buf_done(&h);
        buf_done(&o);
        buf_done(&m);
}

static void test_json_round_trip(void **state) {
        static const char text[] =
                "{\"networks\": [{\"id\": \"" NET1 "\", \"type\": \"vxlan\", \"segmentation_id\": 7,"
                " \"subnets\": [{\"id\": \"11111111-2222-4333-8444-555555555555\", \"cidr\": \"10.0.0.0/24\","
                " \"host_routes\": [{\"destination\": \"1.2.3.0/24\", \"nexthop\": \"10.0.0.9\"}]}],"
                " \"dhcp_mac\": \"fa:16:3e:00:00:02\", \"dhcp_ips\": [\"10.0.0.2/24\"]}],"
                " \"routers\": [{\"id\": \"cccccccc-0000-4000-8000-00000000000c\", \"legs\": [],"
                " \"gateway\": {\"port_id\": \"1a2b3c4d-0001-4000-8000-000000000001\", \"network_id\": \"" NET1 "\","
                " \"mac\": \"fa:16:3e:00:01:01\", \"ips\": [\"10.0.0.1/24\"]},"
                " \"floatings\": [{\"floating_ip\": \"10.0.0.50\", \"fixed_ip\": \"10.0.0.10\"}]}],"
                " \"ports\": [{\"id\": \"" PORT1 "\", \"network_id\": \"" NET1 "\", \"mac\": \"fa:16:3e:00:00:0a\","
                " \"ips\": [\"10.0.0.10\"], \"rules\": [{\"ingress\": true, \"protocol\": 6, \"port_min\": 22}]}]}";
        NetStateDoc *doc = NULL, *again = NULL;
        Error e = {};

        assert_int_equal(net_state_parse(text, strlen(text), &doc, &e), 0);
        const NetState *s = &doc->state;
        assert_int_equal(s->n_networks, 1);
        assert_true(s->networks[0].admin_state_up);   /* defaults */
        assert_true(s->networks[0].subnets[0].enable_dhcp);
        assert_int_equal(s->networks[0].subnets[0].ip_version, 4);
        assert_string_equal(s->networks[0].subnets[0].host_routes[0].nexthop, "10.0.0.9");
        assert_true(s->routers[0].enable_snat);
        assert_string_equal(s->routers[0].gateway->ips[0], "10.0.0.1/24");
        assert_true(s->ports[0].port_security);
        assert_string_equal(s->ports[0].rules[0].protocol, "6"); /* a number becomes its text */
        assert_int_equal(s->ports[0].rules[0].ethertype, 4);
        assert_int_equal(s->ports[0].rules[0].port_max, -1);

        json_t *j = net_state_to_json(s);
        assert_int_equal(net_state_from_json(j, &again, &e), 0);
        json_t *j2 = net_state_to_json(&again->state);
        assert_true(json_equal(j, j2));
        json_decref(j);
        json_decref(j2);
        net_state_doc_free(again);
        net_state_doc_free(doc);

        const char *typo = "{\"ports\": [{\"idd\": 1}]}", *wrong = "{\"networks\": [{\"mtu\": \"big\"}]}";
        assert_int_equal(net_state_parse(typo, strlen(typo), &doc, &e), -EINVAL);
        assert_non_null(strstr(e.message, "ports[0].idd: unknown key"));
        e = (Error) {};
        assert_int_equal(net_state_parse(wrong, strlen(wrong), &doc, &e), -EINVAL);
        assert_non_null(strstr(e.message, "networks[0].mtu"));
        assert_int_equal(net_state_parse("[", 1, &doc, NULL), -EINVAL);
}

static void test_wrappers(void **state) {
        NetConfig cfg = { .names = names("gu-") };
        NetDriver *d = NULL;
        Error e = {};

        assert_int_equal(net_open("nope", &cfg, &d, &e), -EINVAL);
        assert_non_null(strstr(e.message, "no data plane driver named 'nope'"));
        assert_int_equal(net_apply(NULL, &(NetState) {}, NULL), -ENOTCONN);
        assert_int_equal(net_teardown(NULL, NULL), -ENOTCONN);
        cfg.state_dir = "relative";
        assert_int_equal(net_open("fake", &cfg, &d, NULL), -EINVAL);
        cfg.state_dir = NULL;
        cfg.external_bridge = "bad\"bridge";
        assert_int_equal(net_open("fake", &cfg, &d, NULL), -EINVAL);
        cfg.external_bridge = NULL;
        snprintf(cfg.names.prefix, sizeof(cfg.names.prefix), "9");
        assert_int_equal(net_open("fake", &cfg, &d, NULL), -EINVAL);
        assert_null(net_close(NULL));
}

static void test_fake_driver(void **state) {
        NetConfig cfg = { .names = names("gf-") };
        NetDriver *d = NULL;
        NetStateDoc *doc = NULL;
        Fixture f;
        Error e = {};

        net_fake_reset();
        assert_int_equal(net_fake_state("gf-", &doc), -ENOENT);
        assert_int_equal(net_open("fake", &cfg, &d, NULL), 0);
        fixture(&f);
        assert_int_equal(net_apply(d, &f.state, NULL), 0);
        assert_int_equal(net_apply(d, &f.state, NULL), 0);
        assert_int_equal(net_fake_counters("gf-").applies, 2);

        /* A deep copy: the caller's state may go away. */
        assert_int_equal(net_fake_state("gf-", &doc), 0);
        assert_int_equal(doc->state.n_ports, 1);
        assert_string_equal(doc->state.ports[0].id, PORT1);
        assert_string_equal(doc->state.ports[0].rules[0].protocol, "tcp");
        net_state_doc_free(doc);

        /* Injected faults fail the next call of that op and change nothing. */
        net_fake_fail_next("apply", -EIO);
        f.port.mac = "fa:16:3e:00:00:0b";
        assert_int_equal(net_apply(d, &f.state, &e), -EIO);
        assert_non_null(strstr(e.message, "Injected failure"));
        assert_int_equal(net_fake_state("gf-", &doc), 0);
        assert_string_equal(doc->state.ports[0].mac, "fa:16:3e:00:00:0a");
        net_state_doc_free(doc);
        assert_int_equal(net_apply(d, &f.state, NULL), 0);

        /* A state the linux driver would refuse fails here too. */
        f.rule.protocol = "bogus";
        assert_int_equal(net_apply(d, &f.state, NULL), -EINVAL);
        NetFakeCounters c = net_fake_counters("gf-");
        assert_int_equal(c.applies, 3);
        assert_int_equal(c.failures, 2);

        /* Another driver on the same prefix sees the same host. */
        NetDriver *d2 = NULL;
        assert_int_equal(net_open("fake", &cfg, &d2, NULL), 0);
        assert_int_equal(net_teardown(d2, NULL), 0);
        assert_int_equal(net_fake_state("gf-", &doc), 0);
        assert_int_equal(doc->state.n_networks, 0);
        net_state_doc_free(doc);
        assert_int_equal(net_fake_counters("gf-").teardowns, 1);

        net_fake_fail_next("teardown", -EBUSY);
        assert_int_equal(net_teardown(d2, NULL), -EBUSY);
        net_fake_fail_next("open", -ENOMEM);
        NetDriver *d3 = NULL;
        assert_int_equal(net_open("fake", &cfg, &d3, NULL), -ENOMEM);
        assert_null(d3);
        net_close(d);
        net_close(d2);
        net_fake_reset();
        assert_int_equal(net_fake_counters("gf-").applies, 0);
}

/* The commands the linux driver runs, captured instead of run. */
typedef struct Captured {
        char lines[64][256];
        size_t n;
} Captured;

static int capture(const char *const *argv, const void *input, size_t len, ExecResult *ret, void *userdata) {
        Captured *c = userdata;
        if (c->n < ELEMENTSOF(c->lines)) {
                size_t k = 0;
                for (const char *const *a = argv; *a && k < 255; a++)
                        k += (size_t) snprintf(c->lines[c->n] + k, 256 - k, "%s%s", a == argv ? "" : " ", *a);
                c->n++;
        }
        if (ret)
                *ret = (ExecResult) {};
        /* What the host has: one provider bridge with one uplink, nothing else. */
        if (streq(argv[0], "ip") && argv[1] && streq(argv[1], "-j") && ret)
                ret->out = xstrdup("[{\"ifname\":\"br-prov\",\"flags\":[\"UP\"],\"mtu\":1500,"
                                   "\"linkinfo\":{\"info_kind\":\"bridge\"},\"addr_info\":[]},"
                                   "{\"ifname\":\"eth9\",\"master\":\"br-prov\",\"flags\":[\"UP\"],\"mtu\":1500,"
                                   "\"addr_info\":[]}]");
        return 0;
}

static bool captured(const Captured *c, const char *line) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->lines[i], line))
                        return true;
        return false;
}

static void test_linux_vlan_commands(void **state) {
        NetConfig cfg = { .names = names("gv-") };
        NetSubnet sn = { .id = "11111111-2222-4333-8444-555555555555", .ip_version = 4, .cidr = "10.0.0.0/24" };
        NetNetwork net = { .id = NET1, .type = "vlan", .segmentation_id = 100, .physical_bridge = "br-prov",
                           .admin_state_up = true, .subnets = &sn, .n_subnets = 1 };
        NetState s = { .networks = &net, .n_networks = 1 };
        NetDriver *d = NULL;
        Captured *c = xcalloc(1, sizeof(*c));

        assert_int_equal(net_open("linux", &cfg, &d, NULL), 0);
        exec_set_hook(capture, c);
        /* The sysctls of br_netfilter are written directly: as non-root they fail, and nothing is run. */
        int r = net_apply(d, &s, NULL);
        exec_set_hook(NULL, NULL);
        if (geteuid() == 0) {
                assert_int_equal(r, 0);
                assert_true(captured(c, "ip link add name gv-b5d8e9a3c1b2 type bridge"));
                assert_true(captured(c, "ip link add link eth9 name gv-v5d8e9a3c1b2 type vlan id 100"));
                assert_true(captured(c, "ip link set dev gv-v5d8e9a3c1b2 master gv-b5d8e9a3c1b2 up"));
                assert_true(captured(c, "nft -f -"));
        }
        net_close(d);
        free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_addresses),
                cmocka_unit_test(test_state_checks),
                cmocka_unit_test(test_dnsmasq_refusals),
                cmocka_unit_test(test_json_round_trip),
                cmocka_unit_test(test_wrappers),
                cmocka_unit_test(test_fake_driver),
                cmocka_unit_test(test_linux_vlan_commands),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
