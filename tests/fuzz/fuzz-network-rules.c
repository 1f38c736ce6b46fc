/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over the networking API's parsers of client input
 * beyond JSON schemas (src/network/network_input.c).  The first byte picks
 * what the rest (JSON) is: even, a security group rule for
 * network_secgroup_rule_normalize; odd, a router's routes for
 * network_routes_parse.  Aborts when a result breaks a contract: a
 * failure that is not a 400 with a message, a success that leaves a
 * field in a shape the database or the data plane cannot take (a port
 * out of range, a protocol that is neither a known name nor 0-255, a
 * prefix that does not parse back), a canonical form that changes when
 * parsed again, or a rule without its duplicate key.  Run by
 * tests/fuzz/run; seeds live in tests/fuzz/corpus/fuzz-network-rules/.
 */
#include "network/network_internal.h"

static FILE *report;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        report = stderr;
        return 0;
}

static _noreturn_ void broken(const char *what, const json_t *j) {
        _cleanup_free_ char *text = j ? jx_dump(j) : NULL;
        fprintf(report, "fuzz-network-rules: %s: %s\n", what, text ? text : "(null)");
        abort();
}

static void check_failure(Ctx *c, int r, const json_t *j) {
        if (r != -EINVAL || c->error != -EINVAL || isempty(c->error_message))
                broken("a failure that is not a 400 with a message", j);
}

static void check_rule(const json_t *rule) {
        const char *protocol = jx_string(rule, "protocol"), *prefix = jx_string(rule, "remote_ip_prefix");
        int64_t n;
        if (!jx_string(rule, "rule_key") || !jx_string(rule, "direction") || !jx_string(rule, "ethertype"))
                broken("a rule without its key, direction or ethertype", rule);
        if (protocol && parse_int64(protocol, 0, 255, &n) < 0)
                for (const char *p = protocol; *p; p++)
                        if (!(*p >= 'a' && *p <= 'z') && *p != '-' && !(*p >= '0' && *p <= '9'))
                                broken("a protocol neither a name nor 0-255", rule);
        for (const char *const *f = (const char *const[]) { "port_range_min", "port_range_max", NULL }; *f; f++) {
                json_t *v = json_object_get(rule, *f);
                if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535))
                        broken("a port out of range", rule);
        }
        InetPrefix p;
        if (prefix && inet_prefix_parse(prefix, false, &p, NULL) < 0)
                broken("a prefix that does not parse back", rule);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_error_t err;
        Ctx c;

        if (size < 1)
                return 0;
        _cleanup_json_ json_t *in = jx_parse((const char *) data + 1, size - 1, &err);
        if (!in)
                return 0;
        ctx_init(&c, NULL);
        if (data[0] % 2 == 0) {
                if (!json_is_object(in)) {
                        ctx_done(&c);
                        return 0;
                }
                _cleanup_json_ json_t *rule = json_deep_copy(in);
                int r = network_secgroup_rule_normalize(&c, rule);
                if (r < 0)
                        check_failure(&c, r, in);
                else {
                        check_rule(rule);
                        /* The canonical form is a fixed point. */
                        _cleanup_json_ json_t *again = json_deep_copy(rule);
                        Ctx c2;
                        ctx_init(&c2, NULL);
                        if (network_secgroup_rule_normalize(&c2, again) < 0 || !json_equal(again, rule))
                                broken("a canonical rule that changes when checked again", rule);
                        ctx_done(&c2);
                }
        } else {
                _cleanup_json_ json_t *routes = NULL;
                int r = network_routes_parse(&c, in, &routes);
                if (r < 0)
                        check_failure(&c, r, in);
                else {
                        _cleanup_json_ json_t *again = NULL;
                        _cleanup_free_ char *repr = network_routes_repr(routes);
                        Ctx c2;
                        ctx_init(&c2, NULL);
                        if (network_routes_parse(&c2, routes, &again) < 0 || !json_equal(again, routes) || !repr)
                                broken("canonical routes that change when parsed again", routes);
                        ctx_done(&c2);
                }
        }
        ctx_done(&c);
        return 0;
}
