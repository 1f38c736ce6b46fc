/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the subnet pool arithmetic (network_prefixes.c): merging
 * prefixes as Neutron compacts them, subtracting allocations, and picking
 * the next subnet from the most specific free block.
 */
#include "network/network_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* The set of the NULL-terminated CIDR texts. */
static NetPrefixSet set_of(const char *const *texts) {
        NetPrefixSet s = {};
        for (size_t i = 0; texts[i]; i++) {
                InetPrefix p;
                assert_int_equal(inet_prefix_parse(texts[i], true, &p, NULL), 0);
                network_prefixes_add(&s, &p);
        }
        return s;
}

/* s as "a b c". */
static char *text_of(const NetPrefixSet *s) {
        Buf b = {};
        for (size_t i = 0; i < s->n; i++) {
                char t[INET_PREFIX_MAX];
                buf_printf(&b, "%s%s", i ? " " : "", inet_prefix_format(&s->v[i], t));
        }
        return b.data ? buf_steal(&b) : xstrdup("");
}

static void check_compact(const char *const *in, const char *want) {
        NetPrefixSet s = set_of(in);
        network_prefixes_compact(&s);
        _cleanup_free_ char *got = text_of(&s);
        assert_string_equal(got, want);
        network_prefixes_done(&s);
}

static void test_compact(void **state) {
        check_compact((const char *[]) { "10.0.0.0/24", "10.0.1.0/24", "10.2.0.0/16", NULL }, "10.0.0.0/23 10.2.0.0/16");
        check_compact((const char *[]) { "10.0.1.0/24", "10.0.0.0/24", "10.0.2.0/23", NULL }, "10.0.0.0/22");
        check_compact((const char *[]) { "10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/8", NULL }, "10.0.0.0/8");
        check_compact((const char *[]) { "10.0.1.0/24", "10.0.2.0/24", NULL }, "10.0.1.0/24 10.0.2.0/24");
        check_compact((const char *[]) { "fd00::/65", "fd00:0:0:0:8000::/65", NULL }, "fd00::/64");
        check_compact((const char *[]) { "0.0.0.0/1", "128.0.0.0/1", NULL }, "0.0.0.0/0");
        check_compact((const char *[]) { NULL }, "");
}

static void test_subtract_and_pick(void **state) {
        NetPrefixSet pool = set_of((const char *[]) { "10.0.0.0/23", "10.2.0.0/16", NULL });
        NetPrefixSet used = set_of((const char *[]) { "10.0.0.0/26", "10.0.0.128/25", "10.2.0.0/24", NULL });
        NetPrefixSet free_blocks;
        InetPrefix got;
        char t[INET_PREFIX_MAX];

        network_prefixes_subtract(&pool, &used, &free_blocks);
        _cleanup_free_ char *text = text_of(&free_blocks);
        assert_string_equal(text, "10.0.0.64/26 10.0.1.0/24 10.2.1.0/24 10.2.2.0/23 10.2.4.0/22 10.2.8.0/21 10.2.16.0/20 "
                                  "10.2.32.0/19 10.2.64.0/18 10.2.128.0/17");
        /* The most specific block that fits first. */
        assert_true(network_prefixes_pick(&free_blocks, 26, &got));
        assert_string_equal(inet_prefix_format(&got, t), "10.0.0.64/26");
        assert_true(network_prefixes_pick(&free_blocks, 25, &got));
        assert_string_equal(inet_prefix_format(&got, t), "10.0.1.0/25");
        assert_true(network_prefixes_pick(&free_blocks, 18, &got));
        assert_string_equal(inet_prefix_format(&got, t), "10.2.64.0/18");
        assert_false(network_prefixes_pick(&free_blocks, 16, &got));
        assert_false(network_prefixes_pick(&free_blocks, 33, &got));
        InetPrefix want;
        assert_int_equal(inet_prefix_parse("10.2.3.0/24", true, &want, NULL), 0);
        assert_true(network_prefixes_contain(&free_blocks, &want));
        assert_int_equal(inet_prefix_parse("10.2.0.0/23", true, &want, NULL), 0);
        assert_false(network_prefixes_contain(&free_blocks, &want));
        assert_true(network_prefixes_cover(&pool, &used));
        assert_false(network_prefixes_cover(&used, &pool));
        network_prefixes_done(&pool);
        network_prefixes_done(&used);
        network_prefixes_done(&free_blocks);
}

/* A pool used up to the last address has nothing free; a whole-space pool minus one host. */
static void test_edges(void **state) {
        NetPrefixSet pool = set_of((const char *[]) { "10.9.0.0/30", NULL });
        NetPrefixSet used = set_of((const char *[]) { "10.9.0.0/31", "10.9.0.2/32", "10.9.0.3/32", NULL });
        NetPrefixSet free_blocks;
        network_prefixes_subtract(&pool, &used, &free_blocks);
        assert_int_equal(free_blocks.n, 0);
        network_prefixes_done(&free_blocks);
        network_prefixes_done(&pool);
        network_prefixes_done(&used);

        pool = set_of((const char *[]) { "::/0", NULL });
        used = set_of((const char *[]) { "::1/128", NULL });
        network_prefixes_subtract(&pool, &used, &free_blocks);
        assert_int_equal(free_blocks.n, 128);
        InetPrefix got;
        char t[INET_PREFIX_MAX];
        assert_true(network_prefixes_pick(&free_blocks, 64, &got));
        assert_string_equal(inet_prefix_format(&got, t), "0:0:0:1::/64");
        network_prefixes_done(&free_blocks);
        network_prefixes_done(&pool);
        network_prefixes_done(&used);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_compact),
                cmocka_unit_test(test_subtract_and_pick),
                cmocka_unit_test(test_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
