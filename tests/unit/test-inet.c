/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of inet.h: what parses and what does not (a client's CIDR
 * reaches these first), canonical forms, and the arithmetic IPAM uses.
 */
#include "test-helpers.h"
#include "util/inet.h"

static const char *canon_prefix(const char *s, bool strict) {
        static char buf[INET_PREFIX_MAX];
        InetPrefix p;
        if (inet_prefix_parse(s, strict, &p, NULL) < 0)
                return NULL;
        return inet_prefix_format(&p, buf);
}

static void test_addresses(void **state) {
        InetAddr a;
        char buf[INET_ADDR_MAX];
        assert_int_equal(inet_addr_parse("10.0.0.5", &a), 0);
        assert_int_equal(a.version, 4);
        assert_string_equal(inet_addr_format(&a, buf), "10.0.0.5");
        assert_int_equal(inet_addr_parse("FD00:0:0:0::0005", &a), 0);
        assert_string_equal(inet_addr_format(&a, buf), "fd00::5");

        const char *bad[] = { "", "10.0.0", "10.0.0.256", "010.0.0.1", " 10.0.0.1", "10.0.0.1 ", "fe80::1%eth0",
                              "1:2:3:4:5:6:7:8:9", "::g", "10.0.0.1/24",
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (inet_addr_parse(bad[i], &a) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
}

static void test_prefixes(void **state) {
        assert_string_equal(canon_prefix("10.0.0.0/24", true), "10.0.0.0/24");
        assert_null(canon_prefix("10.0.0.1/24", true));
        assert_string_equal(canon_prefix("10.0.0.1/24", false), "10.0.0.0/24");
        assert_string_equal(canon_prefix("10.0.0.1", true), "10.0.0.1/32");
        assert_string_equal(canon_prefix("2001:db8::/32", true), "2001:db8::/32");
        assert_string_equal(canon_prefix("0.0.0.0/0", true), "0.0.0.0/0");
        assert_string_equal(canon_prefix("::/0", true), "::/0");
        const char *bad[] = { "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
                              "10.0.0.0/8/8", "/8", "fd00::/129", "10.0.0.0/ 8", "10.0.0.0/99999999999999999999" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_null(canon_prefix(bad[i], false));
}

static void test_arithmetic(void **state) {
        InetPrefix p, q;
        InetAddr a, b;
        char buf[INET_ADDR_MAX];

        assert_int_equal(inet_prefix_parse("10.0.0.0/24", true, &p, NULL), 0);
        a = inet_prefix_last(&p);
        assert_string_equal(inet_addr_format(&a, buf), "10.0.0.255");
        a = inet_prefix_first(&p);
        assert_true(inet_addr_add(&a, 1));
        assert_string_equal(inet_addr_format(&a, buf), "10.0.0.1");
        assert_true(inet_prefix_contains(&p, &a));
        b = inet_prefix_last(&p);
        assert_int_equal(inet_range_size(&a, &b), 255);
        assert_true(inet_addr_add(&b, 1));
        assert_false(inet_prefix_contains(&p, &b));

        assert_int_equal(inet_addr_parse("255.255.255.255", &a), 0);
        assert_false(inet_addr_add(&a, 1));

        assert_int_equal(inet_prefix_parse("10.0.0.128/25", true, &q, NULL), 0);
        assert_true(inet_prefix_overlaps(&p, &q));
        assert_true(inet_prefix_overlaps(&q, &p));
        assert_int_equal(inet_prefix_parse("10.0.1.0/24", true, &q, NULL), 0);
        assert_false(inet_prefix_overlaps(&p, &q));
        assert_int_equal(inet_prefix_parse("fd00::/64", true, &q, NULL), 0);
        assert_false(inet_prefix_overlaps(&p, &q));
        a = inet_prefix_first(&q);
        b = inet_prefix_last(&q);
        assert_int_equal(inet_range_size(&a, &b), UINT64_MAX);
        a = inet_netmask(4, 20);
        assert_string_equal(inet_addr_format(&a, buf), "255.255.240.0");
}

static void test_macs(void **state) {
        uint8_t m[6];
        char buf[MAC_TEXT_MAX];
        assert_int_equal(mac_parse("FA:16:3E:00:11:22", m), 0);
        assert_string_equal(mac_format(m, buf), "fa:16:3e:00:11:22");
        assert_int_equal(mac_parse("fa-16-3e-00-11-22", m), 0);
        const char *bad[] = { "", "fa:16:3e:00:11", "fa:16:3e:00:11:2g", "01:00:5e:00:00:01", "00:00:00:00:00:00",
                              "fa:16:3e-00:11:22", "fa:16:3e:00:11:22:33", "fa163e001122" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (mac_parse(bad[i], m) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
}

/* Neutron's example: fa:16:3e:33:44:55 on 2001:db8::/64 is 2001:db8::f816:3eff:fe33:4455. */
static void test_eui64(void **state) {
        InetPrefix p;
        InetAddr a;
        uint8_t m[6];
        char buf[INET_ADDR_MAX];
        assert_int_equal(inet_prefix_parse("2001:db8::/64", true, &p, NULL), 0);
        assert_int_equal(mac_parse("fa:16:3e:33:44:55", m), 0);
        assert_int_equal(inet_addr_eui64(&p, m, &a), 0);
        assert_string_equal(inet_addr_format(&a, buf), "2001:db8::f816:3eff:fe33:4455");
        assert_true(inet_addr_is_eui64(&a));
        assert_int_equal(inet_addr_parse("2001:db8::5", &a), 0);
        assert_false(inet_addr_is_eui64(&a));
        assert_int_equal(inet_prefix_parse("2001:db8::/80", true, &p, NULL), 0);
        assert_int_equal(inet_addr_eui64(&p, m, &a), -EINVAL);
        assert_int_equal(inet_prefix_parse("10.0.0.0/24", true, &p, NULL), 0);
        assert_int_equal(inet_addr_eui64(&p, m, &a), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_addresses),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_arithmetic),
                cmocka_unit_test(test_macs),
                cmocka_unit_test(test_eui64),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
