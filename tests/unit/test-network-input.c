/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of network_input.c: security group rules checked and put in
 * Neutron's stored form, the key that makes two spellings of one rule
 * duplicates, and routers' extra routes.
 */
#include "test-helpers.h"
#include "network/network_internal.h"

/* rule (JSON text) normalized; NULL if refused, with the message in *msg (static). */
static json_t *normalize(const char *text, const char **msg) {
        static char last[512];
        json_error_t err;
        json_t *rule = jx_parse(text, strlen(text), &err);
        Ctx c;
        assert_non_null(rule);
        ctx_init(&c, NULL);
        int r = network_secgroup_rule_normalize(&c, rule);
        snprintf(last, sizeof(last), "%s", c.error_message ? c.error_message : "");
        if (msg)
                *msg = last;
        ctx_done(&c);
        if (r < 0) {
                assert_int_equal(r, -EINVAL);
                json_decref(rule);
                return NULL;
        }
        return rule;
}

static void test_rule_forms(void **state) {
        json_t *r = normalize("{\"direction\": \"ingress\", \"protocol\": \"TCP\", \"port_range_min\": \"22\","
                              " \"port_range_max\": 22, \"remote_ip_prefix\": \"10.0.0.5/24\"}", NULL);
        assert_non_null(r);
        assert_string_equal(jx_string(r, "protocol"), "tcp");
        assert_int_equal(json_integer_value(json_object_get(r, "port_range_min")), 22);
        assert_string_equal(jx_string(r, "ethertype"), "IPv4");
        assert_string_equal(jx_string(r, "remote_ip_prefix"), "10.0.0.5/24");
        json_decref(r);

        r = normalize("{\"direction\": \"egress\", \"ethertype\": \"ipv6\", \"protocol\": \"1\"}", NULL);
        assert_string_equal(jx_string(r, "protocol"), "58");
        assert_string_equal(jx_string(r, "ethertype"), "IPv6");
        json_decref(r);
        r = normalize("{\"direction\": \"egress\", \"ethertype\": \"IPv6\", \"protocol\": \"icmpv6\","
                      " \"remote_ip_prefix\": \"2001:DB8::1\"}", NULL);
        assert_string_equal(jx_string(r, "protocol"), "ipv6-icmp");
        assert_string_equal(jx_string(r, "remote_ip_prefix"), "2001:db8::1/128");
        json_decref(r);
        r = normalize("{\"direction\": \"ingress\", \"protocol\": \"udp\", \"port_range_min\": 1, \"port_range_max\": 65535}",
                      NULL);
        assert_true(json_is_null(json_object_get(r, "port_range_min")));
        assert_true(json_is_null(json_object_get(r, "port_range_max")));
        json_decref(r);
        r = normalize("{\"direction\": \"ingress\", \"protocol\": \"any\", \"remote_group_id\": \"\"}", NULL);
        assert_true(json_is_null(json_object_get(r, "protocol")));
        assert_true(json_is_null(json_object_get(r, "remote_group_id")));
        json_decref(r);
}

static void test_rule_refusals(void **state) {
        static const struct {
                const char *rule, *message;
        } bad[] = {
                { "{\"direction\": \"ingress\", \"protocol\": \"bad\"}", "Security group rule protocol bad not supported." },
                { "{\"direction\": \"ingress\", \"protocol\": 256}", "not supported" },
                { "{\"direction\": \"ingress\", \"ethertype\": \"IPX\"}", "ethertype 'IPX' not supported" },
                { "{\"direction\": \"in\"}", "Invalid input for direction" },
                { "{\"protocol\": \"tcp\"}", "Invalid input for direction. Reason: 'None'" },
                { "{\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 80, \"port_range_max\": 79}",
                  "For TCP/UDP protocols, port_range_min must be <= port_range_max" },
                { "{\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 65536}", "Invalid value for port 65536" },
                { "{\"direction\": \"ingress\", \"protocol\": \"icmp\", \"port_range_max\": 3}", "ICMP type (port-range-min) is missing" },
                { "{\"direction\": \"ingress\", \"protocol\": \"icmp\", \"port_range_min\": 256}", "Invalid value for ICMP type" },
                { "{\"direction\": \"ingress\", \"port_range_min\": 1}", "Must also specify protocol" },
                { "{\"direction\": \"ingress\", \"remote_ip_prefix\": \"10.0.0.0/33\"}", "Invalid CIDR 10.0.0.0/33 given as IP prefix." },
                { "{\"direction\": \"ingress\", \"ethertype\": \"IPv6\", \"remote_ip_prefix\": \"10.0.0.0/8\"}",
                  "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8" },
                { "{\"direction\": \"ingress\", \"protocol\": \"ipv6-icmp\"}", "Invalid ethertype IPv4 for protocol ipv6-icmp." },
                { "{\"direction\": \"ingress\", \"remote_ip_prefix\": \"10.0.0.0/8\", \"remote_group_id\": \"g\"}",
                  "Only one of remote_ip_prefix or remote_group_id" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *msg;
                if (normalize(bad[i].rule, &msg))
                        fail_msg("accepted %s", bad[i].rule);
                if (!strstr(msg, bad[i].message))
                        fail_msg("%s: '%s' lacks '%s'", bad[i].rule, msg, bad[i].message);
        }
}

static void test_rule_duplicates(void **state) {
        /* One rule, spelt four ways; and a rule that differs. */
        const char *same[] = {
                "{\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 22, \"port_range_max\": 22}",
                "{\"direction\": \"ingress\", \"protocol\": \"6\", \"port_range_min\": \"22\", \"port_range_max\": 22}",
                "{\"direction\": \"ingress\", \"ethertype\": \"ipv4\", \"protocol\": 6, \"port_range_min\": 22,"
                " \"port_range_max\": 22, \"remote_ip_prefix\": \"0.0.0.0/0\"}",
                "{\"direction\": \"ingress\", \"protocol\": \"TCP\", \"port_range_min\": 22, \"port_range_max\": 22,"
                " \"remote_ip_prefix\": null}",
        };
        _cleanup_json_ json_t *first = normalize(same[0], NULL);
        for (size_t i = 1; i < ELEMENTSOF(same); i++) {
                _cleanup_json_ json_t *r = normalize(same[i], NULL);
                assert_string_equal(jx_string(r, "rule_key"), jx_string(first, "rule_key"));
        }
        _cleanup_json_ json_t *other = normalize("{\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 22,"
                                                 " \"port_range_max\": 23}", NULL);
        assert_string_not_equal(jx_string(other, "rule_key"), jx_string(first, "rule_key"));
        /* Checked again, a canonical rule stays as it is. */
        _cleanup_json_ json_t *again = json_deep_copy(first);
        Ctx c;
        ctx_init(&c, NULL);
        assert_int_equal(network_secgroup_rule_normalize(&c, again), 0);
        ctx_done(&c);
        assert_true(json_equal(again, first));
}

static void test_routes(void **state) {
        json_error_t err;
        const char *bad = "[{\"destination\": \"10.1.0.0/24\", \"nexthop\": \"10.0.0.02\"}]";
        _cleanup_json_ json_t *in = jx_parse(bad, strlen(bad), &err);
        json_t *out = NULL;
        Ctx c;
        ctx_init(&c, NULL);
        /* A leading zero is no address. */
        assert_non_null(in);
        assert_int_equal(network_routes_parse(&c, in, &out), -EINVAL);
        ctx_done(&c);

        const char *text = "[{\"destination\": \"2001:DB8::/32\", \"nexthop\": \"2001:db8:0::1\"},"
                           " {\"destination\": \"0.0.0.0/0\", \"nexthop\": \"10.0.0.1\"}]";
        _cleanup_json_ json_t *ok = jx_parse(text, strlen(text), &err);
        ctx_init(&c, NULL);
        assert_int_equal(network_routes_parse(&c, ok, &out), 0);
        ctx_done(&c);
        _cleanup_free_ char *repr = network_routes_repr(out);
        assert_string_equal(repr, "[{'destination': '2001:db8::/32', 'nexthop': '2001:db8::1'}, "
                                  "{'destination': '0.0.0.0/0', 'nexthop': '10.0.0.1'}]");
        json_decref(out);

        ctx_init(&c, NULL);
        assert_int_equal(network_routes_parse(&c, json_null(), &out), 0);
        assert_int_equal(json_array_size(out), 0);
        json_decref(out);
        ctx_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rule_forms),
                cmocka_unit_test(test_rule_refusals),
                cmocka_unit_test(test_rule_duplicates),
                cmocka_unit_test(test_routes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
