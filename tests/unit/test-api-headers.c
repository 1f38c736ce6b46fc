/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of response header lists (src/api/api_headers.c): pairs are
 * kept whole and in order, and the check refuses any name or value that
 * could end a header line early.  Issue 7, F7: an image id holding CR LF
 * came back as extra response headers.
 */
#include "test-helpers.h"

#include "api/api.h"

static void test_list_keeps_pairs_whole(void **state) {
        ApiHeaders h = {};
        char value[] = "v1";

        api_headers_add(&h, "X-One", value);
        api_headers_add(&h, "X-None", NULL);
        api_headers_add(&h, "X-Two", "a: b\r\nSet-Cookie: x=1");
        value[0] = 'w'; /* the list keeps its own copy */
        assert_int_equal(h.n, 2);
        assert_string_equal(h.items[0].name, "X-One");
        assert_string_equal(h.items[0].value, "v1");
        /* Nothing is split: the whole value stays one header's value, for the check to refuse. */
        assert_string_equal(h.items[1].name, "X-Two");
        assert_string_equal(h.items[1].value, "a: b\r\nSet-Cookie: x=1");
        assert_false(api_header_value_valid(h.items[1].value));
        api_headers_done(&h);
        assert_int_equal(h.n, 0);
        assert_null(h.items);
        api_headers_done(&h); /* twice is fine */
}

static void test_names(void **state) {
        assert_true(api_header_name_valid("X-Subject-Token"));
        assert_true(api_header_name_valid("x-openstack-request-id"));
        assert_true(api_header_name_valid("Content-MD5"));
        assert_false(api_header_name_valid(NULL));
        assert_false(api_header_name_valid(""));
        assert_false(api_header_name_valid("Set-Cookie\r"));
        assert_false(api_header_name_valid("X\nY"));
        assert_false(api_header_name_valid("X Y"));
        assert_false(api_header_name_valid("X:Y"));
        assert_false(api_header_name_valid("X\tY"));
        assert_false(api_header_name_valid("X-\xc3\xa9"));
}

static void test_values(void **state) {
        assert_true(api_header_value_valid("http://127.0.0.1:8080/image/v2/images/1"));
        assert_true(api_header_value_valid("bytes 0-9/10"));
        assert_true(api_header_value_valid("a\tb"));
        assert_true(api_header_value_valid("caf\xc3\xa9"));
        assert_true(api_header_value_valid(""));
        assert_false(api_header_value_valid(NULL));
        assert_false(api_header_value_valid("id\r\nSet-Cookie: x=1"));
        assert_false(api_header_value_valid("id\nSet-Cookie: x=1"));
        assert_false(api_header_value_valid("id\rSet-Cookie: x=1"));
        assert_false(api_header_value_valid("\x01"));
        assert_false(api_header_value_valid("a\x7f"));
}

/* Every byte: a value holding it is valid exactly when the byte is not a control character (tab aside). */
static void test_every_byte(void **state) {
        for (int b = 1; b < 256; b++) {
                char value[4] = { 'a', (char) b, 'z', 0 };
                bool control = (b < 0x20 && b != '\t') || b == 0x7f;
                assert_int_equal(api_header_value_valid(value), !control);
                if (b == '\r' || b == '\n')
                        assert_false(api_header_value_valid(value));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list_keeps_pairs_whole),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_every_byte),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
