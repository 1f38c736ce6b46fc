/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The networking API's parsers of client input that JSON schemas cannot
 * check: a security group rule (protocol by name or number, port range or
 * ICMP type and code, ethertype, remote prefix) checked as Neutron does and
 * put in the form Neutron stores, with the key that tells two rules that
 * mean the same apart from two that do not; and a router's extra routes.
 * Pure (no database), so fuzzed: tests/fuzz/fuzz-network-input.c.
 */
#include "network/network_internal.h"

#include <ctype.h>
#include <strings.h>

typedef struct Protocol {
        const char *name;
        int number;
} Protocol;

/* Neutron's IP_PROTOCOL_MAP, in its order. */
static const Protocol protocols[] = {
        { "ah", 51 },         { "dccp", 33 },       { "egp", 8 },         { "esp", 50 },         { "gre", 47 },
        { "hopopt", 0 },      { "icmp", 1 },        { "igmp", 2 },        { "ip", 0 },           { "ipip", 4 },
        { "ipv6-encap", 41 }, { "ipv6-frag", 44 },  { "ipv6-icmp", 58 },  { "icmpv6", 58 },      { "ipv6-nonxt", 59 },
        { "ipv6-opts", 60 },  { "ipv6-route", 43 }, { "ospf", 89 },       { "pgm", 113 },        { "rsvp", 46 },
        { "sctp", 132 },      { "tcp", 6 },         { "udp", 17 },        { "udplite", 136 },    { "vrrp", 112 },
};

/* What Neutron's message lists as supported (its tuple, printed by Python). */
#define SUPPORTED_PROTOCOLS                                                                                            \
        "(None, 'any', 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', "     \
        "'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', "         \
        "'sctp', 'tcp', 'udp', 'udplite', 'vrrp')"

/* Protocols whose rules take a port range: DCCP, SCTP, TCP, UDP, UDPLITE. */
static bool takes_ports(int number) {
        return number == 33 || number == 132 || number == 6 || number == 17 || number == 136;
}

/* Protocols only IPv6 has (names and numbers): an IPv4 rule may not name them. */
static bool ipv6_only(const char *p) {
        static const char *const v6[] = { "ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts",
                                           "ipv6-route", "41",         "44",        "58",     "59",         "60",
                                           "43",         NULL };
        for (size_t i = 0; v6[i]; i++)
                if (streq(p, v6[i]))
                        return true;
        return false;
}

static const Protocol *protocol_by_name(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(protocols); i++)
                if (streq(protocols[i].name, name))
                        return &protocols[i];
        return NULL;
}

/* The number of a stored protocol (a name or decimal text); -1 for any (NULL). */
static int protocol_number(const char *p) {
        int64_t n;
        if (!p)
                return -1;
        const Protocol *pr = protocol_by_name(p);
        if (pr)
                return pr->number;
        return parse_int64(p, 0, 255, &n) < 0 ? -1 : (int) n;
}

#define rule_invalid(c, ...) ctx_error(c, -EINVAL, RES_SECURITY_GROUP_RULE, __VA_ARGS__)

static int protocol_unsupported(Ctx *c, const json_t *v) {
        _cleanup_free_ char *text = json_is_string(v) ? xstrdup(json_string_value(v)) : jx_dump(v);
        return rule_invalid(c,
                            "Security group rule protocol %s not supported. Only protocol values %s and integer representations [0 to 255] are supported.",
                            text, SUPPORTED_PROTOCOLS);
}

/* protocol: NULL for any, a known name in lower case, or a number 0-255 as decimal text. */
static int normalize_protocol(Ctx *c, json_t *rule) {
        json_t *v = json_object_get(rule, "protocol");
        int64_t n;
        char num[8];

        if (!v || json_is_null(v)) {
                json_object_set_new(rule, "protocol", json_null());
                return 0;
        }
        if (json_is_integer(v)) {
                if (json_integer_value(v) < 0 || json_integer_value(v) > 255)
                        return protocol_unsupported(c, v);
                snprintf(num, sizeof(num), "%d", (int) json_integer_value(v));
                json_object_set_new(rule, "protocol", json_string(num));
                return 0;
        }
        if (!json_is_string(v))
                return protocol_unsupported(c, v);
        const char *s = json_string_value(v);
        if (strcasecmp(s, "any") == 0) {
                json_object_set_new(rule, "protocol", json_null());
                return 0;
        }
        int r = parse_int64(s, INT64_MIN, INT64_MAX, &n);
        if (r != -EINVAL) {
                if (r < 0 || n < 0 || n > 255)
                        return protocol_unsupported(c, v);
                snprintf(num, sizeof(num), "%d", (int) n);
                json_object_set_new(rule, "protocol", json_string(num));
                return 0;
        }
        _cleanup_free_ char *lower = xstrdup(s);
        for (char *p = lower; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        const Protocol *pr = protocol_by_name(lower);
        if (!pr)
                return protocol_unsupported(c, v);
        json_object_set_new(rule, "protocol", json_string(pr->name));
        return 0;
}

/* A port bound: NULL, or an integer 0-65535 (also given as decimal text). */
static int normalize_port(Ctx *c, json_t *rule, const char *field) {
        json_t *v = json_object_get(rule, field);
        int64_t n;
        if (!v || json_is_null(v)) {
                json_object_set_new(rule, field, json_null());
                return 0;
        }
        if (json_is_integer(v)) {
                n = json_integer_value(v);
                if (n < 0 || n > 65535)
                        return rule_invalid(c, "Invalid value for port %" PRId64, (int64_t) n);
                return 0;
        }
        if (json_is_string(v) && parse_int64(json_string_value(v), 0, 65535, &n) >= 0) {
                json_object_set_new(rule, field, json_integer(n));
                return 0;
        }
        _cleanup_free_ char *text = json_is_string(v) ? xstrdup(json_string_value(v)) : jx_dump(v);
        return rule_invalid(c, "Invalid value for port %s", text);
}

static int normalize_ethertype(Ctx *c, json_t *rule) {
        json_t *v = json_object_get(rule, "ethertype");
        if (!v) {
                json_object_set_new(rule, "ethertype", json_string("IPv4"));
                return 0;
        }
        const char *s = json_string_value(v);
        if (s && (strcasecmp(s, "IPv4") == 0 || strcasecmp(s, "IPv6") == 0)) {
                json_object_set_new(rule, "ethertype", json_string(strcasecmp(s, "IPv4") == 0 ? "IPv4" : "IPv6"));
                return 0;
        }
        _cleanup_free_ char *text = s ? xstrdup(s) : jx_dump(v);
        return rule_invalid(c, "Security group rule for ethertype '%s' not supported. Allowed values are ['IPv4', 'IPv6'].",
                            s ? text : "None");
}

/*
 * remote_ip_prefix: NULL, or "address/length" with the address in
 * canonical text and its host bits kept as given (Neutron stores
 * str(IPNetwork(...)); normalized_cidr is the network).  *ret_version
 * is the prefix's IP version, 0 for none.
 */
static int normalize_prefix(Ctx *c, json_t *rule, int *ret_version) {
        json_t *v = json_object_get(rule, "remote_ip_prefix");
        const char *s = json_string_value(v);
        char addr_text[INET_ADDR_MAX], out[INET_PREFIX_MAX];
        InetPrefix p;
        InetAddr a;

        *ret_version = 0;
        if (!v || json_is_null(v) || (s && !*s)) {
                json_object_set_new(rule, "remote_ip_prefix", json_null());
                return 0;
        }
        if (!s || inet_prefix_parse(s, false, &p, NULL) < 0) {
                _cleanup_free_ char *text = s ? xstrdup(s) : jx_dump(v);
                return rule_invalid(c, "Invalid CIDR %s given as IP prefix.", text);
        }
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t) (slash - s) : strlen(s);
        /* inet_prefix_parse took the address part already: it fits and parses. */
        memcpy(addr_text, s, n);
        addr_text[n] = '\0';
        if (inet_addr_parse(addr_text, &a) < 0)
                return rule_invalid(c, "Invalid CIDR %s given as IP prefix.", s);
        inet_addr_format(&a, addr_text);
        snprintf(out, sizeof(out), "%s/%u", addr_text, p.len);
        *ret_version = a.version;
        json_object_set_new(rule, "remote_ip_prefix", json_string(out));
        return 0;
}

/* Port range rules: for TCP-like protocols a range of 1-65535, for ICMP a type and a code of 0-255. */
static int check_port_range(Ctx *c, const json_t *rule) {
        json_t *vmin = json_object_get(rule, "port_range_min"), *vmax = json_object_get(rule, "port_range_max");
        bool has_min = json_is_integer(vmin), has_max = json_is_integer(vmax);
        int64_t min = json_integer_value(vmin), max = json_integer_value(vmax);
        const char *protocol = jx_string(rule, "protocol");

        if (!has_min && !has_max)
                return 0;
        if (!protocol)
                return rule_invalid(c, "Must also specify protocol if port range is given.");
        int number = protocol_number(protocol);
        if (takes_ports(number)) {
                if ((has_min && min == 0) || (has_max && max == 0))
                        return rule_invalid(c, "Invalid value for port 0");
                if (!has_min || !has_max || min > max)
                        return rule_invalid(c, "For TCP/UDP protocols, port_range_min must be <= port_range_max");
                return 0;
        }
        if (number == 1 || number == 58) {
                if (has_min && min > 255)
                        return rule_invalid(c, "Invalid value for ICMP type (port_range_min) %" PRId64 ". It must be 0 to 255.",
                                            min);
                if (has_max && max > 255)
                        return rule_invalid(c, "Invalid value for ICMP code (port_range_max) %" PRId64 ". It must be 0 to 255.",
                                            max);
                if (!has_min && has_max)
                        return rule_invalid(c,
                                            "ICMP code (port-range-max) %" PRId64 " is provided but ICMP type (port-range-min) is missing.",
                                            max);
                return 0;
        }
        return rule_invalid(c,
                            "Ports cannot be specified for protocol %d. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.",
                            number);
}

/* A value of the duplicate key: '+' for none, as Neutron's. */
static void key_part(Buf *b, const json_t *v) {
        if (json_is_integer(v))
                buf_printf(b, "%" PRId64 "_", (int64_t) json_integer_value(v));
        else if (json_is_string(v))
                buf_printf(b, "%s_", json_string_value(v));
        else
                buf_puts(b, "+_");
}

int network_secgroup_rule_normalize(Ctx *c, json_t *rule) {
        const char *prefix_given = NULL;
        _cleanup_free_ char *prefix_text = NULL;
        int version, r;

        prefix_given = jx_string(rule, "remote_ip_prefix");
        prefix_text = prefix_given ? xstrdup(prefix_given) : NULL;
        if ((r = normalize_protocol(c, rule)) < 0 || (r = normalize_port(c, rule, "port_range_min")) < 0 ||
            (r = normalize_port(c, rule, "port_range_max")) < 0 || (r = normalize_ethertype(c, rule)) < 0 ||
            (r = normalize_prefix(c, rule, &version)) < 0)
                return r;
        const char *direction = jx_string(rule, "direction");
        json_t *dv = json_object_get(rule, "direction");
        if (!direction || (!streq(direction, "ingress") && !streq(direction, "egress"))) {
                _cleanup_free_ char *text = direction            ? xstrdup(direction)
                                            : dv && !json_is_null(dv) ? jx_dump(dv)
                                                                      : xstrdup("None");
                return rule_invalid(c, "Invalid input for direction. Reason: '%s' is not in ['ingress', 'egress'].", text);
        }
        if (isempty(jx_string(rule, "remote_group_id")))
                json_object_set_new(rule, "remote_group_id", json_null());

        bool v6 = streq(jx_string(rule, "ethertype"), "IPv6");
        const char *protocol = jx_string(rule, "protocol");
        /* IPv6's legacy ICMP names and number 1 mean ICMPv6. */
        if (v6 && protocol && (streq(protocol, "icmp") || streq(protocol, "icmpv6")))
                json_object_set_new(rule, "protocol", json_string("ipv6-icmp"));
        else if (v6 && protocol && streq(protocol, "1"))
                json_object_set_new(rule, "protocol", json_string("58"));
        protocol = jx_string(rule, "protocol");
        /* The whole port range is no range. */
        if (json_integer_value(json_object_get(rule, "port_range_min")) == 1 &&
            json_integer_value(json_object_get(rule, "port_range_max")) == 65535 &&
            json_is_integer(json_object_get(rule, "port_range_min"))) {
                json_object_set_new(rule, "port_range_min", json_null());
                json_object_set_new(rule, "port_range_max", json_null());
        }
        if ((r = check_port_range(c, rule)) < 0)
                return r;
        if (version && version != (v6 ? 6 : 4))
                return rule_invalid(c, "Conflicting value ethertype %s for CIDR %s", jx_string(rule, "ethertype"),
                                    prefix_text);
        if (!v6 && protocol && ipv6_only(protocol))
                return rule_invalid(c, "Invalid ethertype IPv4 for protocol %s.", protocol);
        if (jx_string(rule, "remote_ip_prefix") && jx_string(rule, "remote_group_id"))
                return rule_invalid(c, "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.");

        /*
         * What two rules of a group must not share: Neutron's comparison
         * keys, with the protocol as its number and a prefix of all
         * addresses the same as none.
         */
        Buf key = {};
        int number = protocol_number(protocol);
        const char *prefix = jx_string(rule, "remote_ip_prefix");
        buf_printf(&key, "%s_%s_", jx_string(rule, "direction"), jx_string(rule, "ethertype"));
        key_part(&key, json_object_get(rule, "port_range_max"));
        key_part(&key, json_object_get(rule, "port_range_min"));
        if (number >= 0)
                buf_printf(&key, "%d_", number);
        else
                buf_puts(&key, "+_");
        key_part(&key, json_object_get(rule, "remote_group_id"));
        if (!prefix || streq(prefix, "0.0.0.0/0") || streq(prefix, "::/0"))
                buf_puts(&key, "+");
        else
                buf_puts(&key, prefix);
        json_object_set_new(rule, "rule_key", json_string(key.data));
        buf_done(&key);
        return 0;
}

/* ---- extra routes ---- */

#define routes_invalid(c, ...) ctx_error(c, -EINVAL, RES_ROUTER, __VA_ARGS__)

int network_routes_parse(Ctx *c, const json_t *routes, json_t **ret) {
        _cleanup_json_ json_t *out = json_array();
        size_t i;
        json_t *route;

        if (!routes || json_is_null(routes)) {
                *ret = TAKE_PTR(out);
                return 0;
        }
        if (!json_is_array(routes))
                return routes_invalid(c, "Invalid input for routes. Reason: Invalid data format for hostroute: a list is expected.");
        json_array_foreach(routes, i, route) {
                const char *dst = jx_string(route, "destination"), *hop = jx_string(route, "nexthop");
                char dtext[INET_PREFIX_MAX], htext[INET_ADDR_MAX];
                InetPrefix p;
                InetAddr a;
                bool host_bits;

                if (!json_is_object(route) || !dst || !hop || json_object_size(route) != 2)
                        return routes_invalid(c, "Invalid input for routes. Reason: Invalid data format for hostroute: each needs exactly a destination and a nexthop.");
                if (!strchr(dst, '/') || inet_prefix_parse(dst, false, &p, &host_bits) < 0)
                        return routes_invalid(c, "Invalid input for routes. Reason: '%s' is not a valid IP subnet.", dst);
                inet_prefix_format(&p, dtext);
                if (host_bits)
                        return routes_invalid(c, "Invalid input for routes. Reason: '%s' isn't a recommended IP subnet, '%s' is recommended.",
                                              dst, dtext);
                if (inet_addr_parse(hop, &a) < 0)
                        return routes_invalid(c, "Invalid input for routes. Reason: '%s' is not a valid IP address.", hop);
                inet_addr_format(&a, htext);
                json_t *one = json_pack("{s:s, s:s}", "destination", dtext, "nexthop", htext);
                for (size_t j = 0; j < json_array_size(out); j++)
                        if (json_equal(one, json_array_get(out, j))) {
                                json_decref(one);
                                return routes_invalid(c, "Invalid input for routes. Reason: Duplicate hostroute '%s %s'.",
                                                      dtext, htext);
                        }
                json_array_append_new(out, one);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

char *network_routes_repr(const json_t *routes) {
        Buf b = {};
        size_t i;
        json_t *route;
        buf_puts(&b, "[");
        json_array_foreach(routes, i, route)
                buf_printf(&b, "%s{'destination': '%s', 'nexthop': '%s'}", i ? ", " : "", jx_string(route, "destination"),
                           jx_string(route, "nexthop"));
        buf_puts(&b, "]");
        return buf_steal(&b);
}
