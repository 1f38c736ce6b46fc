/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the leaf helpers in src/util: the jansson wrappers (jx.h),
 * the growable buffer (buf.h), and the parsing, UUID and time helpers of
 * util.h.
 */
#include "test-helpers.h"

#include <ctype.h>
#include <limits.h>

#include "util/buf.h"
#include "util/jx.h"

static json_t *parse_ok(const char *text) {
        json_error_t err;
        json_t *j = jx_parse(text, strlen(text), &err);
        if (!j)
                fail_msg("cannot parse test JSON %s: %s", text, err.text);
        return j;
}

/* jx_string: only strings come back, borrowed. */
static void test_jx_string(void **state) {
        _cleanup_json_ json_t *o = parse_ok("{\"s\":\"text\",\"n\":1,\"z\":null,\"e\":\"\",\"o\":{}}");

        assert_string_equal(jx_string(o, "s"), "text");
        assert_string_equal(jx_string(o, "e"), "");
        assert_null(jx_string(o, "n"));
        assert_null(jx_string(o, "z"));
        assert_null(jx_string(o, "o"));
        assert_null(jx_string(o, "missing"));
        /* Not an object at all. */
        _cleanup_json_ json_t *a = json_array();
        assert_null(jx_string(a, "s"));
        assert_null(jx_string(NULL, "s"));
}

static void test_jx_path_string(void **state) {
        _cleanup_json_ json_t *o =
                parse_ok("{\"a\":{\"b\":{\"c\":\"deep\"},\"s\":\"mid\",\"n\":2},\"top\":\"t\",\"arr\":[1]}");

        assert_string_equal(jx_path_string(o, "a", "b", "c", NULL), "deep");
        assert_string_equal(jx_path_string(o, "a", "s", NULL), "mid");
        assert_string_equal(jx_path_string(o, "top", NULL), "t");
        /* The last value is not a string. */
        assert_null(jx_path_string(o, "a", "n", NULL));
        assert_null(jx_path_string(o, "a", "b", NULL));
        /* A missing or non-object step in the middle. */
        assert_null(jx_path_string(o, "x", "b", "c", NULL));
        assert_null(jx_path_string(o, "top", "b", NULL));
        assert_null(jx_path_string(o, "arr", "0", NULL));
        assert_null(jx_path_string(o, "a", "s", "x", NULL));
        /* No keys at all. */
        assert_null(jx_path_string(o, NULL));
        assert_null(jx_path_string(NULL, "a", NULL));
}

static void test_jx_set_and_dump(void **state) {
        _cleanup_json_ json_t *o = json_object();
        _cleanup_free_ char *s = NULL, *any = NULL;
        _cleanup_json_ json_t *str = json_string("x\"y");

        jx_set_string_or_null(o, "a", "v");
        jx_set_string_or_null(o, "b", NULL);
        jx_set_string_or_null(o, "a", "w"); /* replaces */
        assert_int_equal(json_object_size(o), 2);
        assert_true(json_is_null(json_object_get(o, "b")));
        s = jx_dump(o);
        /* jansson keeps insertion order; compact: no spaces. */
        assert_string_equal(s, "{\"a\":\"w\",\"b\":null}");
        /* Non-container values dump too (JSON_ENCODE_ANY). */
        any = jx_dump(str);
        assert_string_equal(any, "\"x\\\"y\"");
}

static void test_jx_parse_ok(void **state) {
        json_error_t err;
        const char *text = "{\"a\":[1,2,{\"b\":true}]} trailing that is cut off";
        /* Only len bytes are parsed. */
        _cleanup_json_ json_t *j = jx_parse(text, strlen("{\"a\":[1,2,{\"b\":true}]}"), &err);
        assert_non_null(j);
        assert_int_equal(json_array_size(json_object_get(j, "a")), 3);
        assert_true(json_is_true(json_object_get(json_array_get(json_object_get(j, "a"), 2), "b")));

        /* The same key in different objects is fine. */
        _cleanup_json_ json_t *k = parse_ok("{\"a\":{\"x\":1},\"b\":{\"x\":2}}");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(k, "b"), "x")), 2);
}

static void test_jx_parse_duplicates(void **state) {
        static const char *const dups[] = {
                "{\"a\":1,\"a\":2}",
                "{\"a\":1,\"b\":2,\"a\":1}",
                "{\"outer\":{\"k\":\"v\",\"k\":\"w\"}}",
                "[{\"x\":null,\"x\":null}]",
        };
        for (size_t i = 0; i < ELEMENTSOF(dups); i++) {
                json_error_t err = {};
                json_t *j = jx_parse(dups[i], strlen(dups[i]), &err);
                if (j) {
                        json_decref(j);
                        fail_msg("duplicate keys accepted: %s", dups[i]);
                }
                assert_non_null(strstr(err.text, "duplicate"));
        }
}

static void test_jx_parse_malformed(void **state) {
        static const char *const bad[] = {
                "", " ", "{", "}", "{\"a\":}", "{\"a\" 1}", "[1,2", "[1,]", "{\"a\":1,}",
                "{} x", "{}{}", "{'a':1}", "nul", "\"unterminated", "{\"a\":01}", "[1e]",
                "{\"a\":\"\\x\"}", "\xff",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_error_t err = {};
                json_t *j = jx_parse(bad[i], strlen(bad[i]), &err);
                if (j) {
                        json_decref(j);
                        fail_msg("malformed JSON accepted: '%s'", bad[i]);
                }
                assert_true(err.text[0] != '\0');
        }
        /* An embedded NUL within len is rejected, not silently cut. */
        json_error_t err;
        json_t *j = jx_parse("{}\0{}", 5, &err);
        assert_null(j);
}

static void test_buf_printf_growth(void **state) {
        Buf b = {};
        _cleanup_free_ char *expect = NULL;
        Buf e = {};

        assert_null(b.data);
        buf_printf(&b, "%s", "");
        assert_non_null(b.data);
        assert_int_equal(b.len, 0);
        assert_string_equal(b.data, "");

        /* Many small appends across several reallocations. */
        for (int i = 0; i < 1000; i++)
                buf_printf(&b, "%d,", i);
        for (int i = 0; i < 1000; i++) {
                char tmp[16];
                snprintf(tmp, sizeof(tmp), "%d,", i);
                buf_append(&e, tmp, strlen(tmp));
        }
        expect = buf_steal(&e);
        assert_int_equal(b.len, strlen(expect));
        assert_string_equal(b.data, expect);
        assert_true(b.alloc > b.len);
        assert_int_equal(b.data[b.len], '\0');

        /* One append much larger than the current allocation. */
        size_t before = b.len;
        char *big = xmalloc(100001);
        memset(big, 'z', 100000);
        big[100000] = '\0';
        buf_printf(&b, "[%s]", big);
        free(big);
        assert_int_equal(b.len, before + 100002);
        assert_int_equal(b.data[before], '[');
        assert_int_equal(b.data[before + 1], 'z');
        assert_int_equal(b.data[b.len - 2], 'z');
        assert_int_equal(b.data[b.len - 1], ']');
        assert_int_equal(b.data[b.len], '\0');
        assert_true(b.alloc >= b.len + 1);

        buf_done(&b);
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        assert_int_equal(b.alloc, 0);
}

static void test_buf_append_reset_steal(void **state) {
        Buf b = {};

        /* Stealing an empty buffer gives an empty, owned string. */
        char *empty = buf_steal(&b);
        assert_string_equal(empty, "");
        free(empty);

        buf_append(&b, "a\0b", 3);
        assert_int_equal(b.len, 3);
        assert_memory_equal(b.data, "a\0b", 4);
        buf_puts(&b, "cd");
        assert_int_equal(b.len, 5);
        assert_memory_equal(b.data, "a\0bcd", 6);
        buf_append(&b, NULL, 0);
        assert_int_equal(b.len, 5);

        buf_reset(&b);
        assert_int_equal(b.len, 0);
        assert_string_equal(b.data, "");
        buf_printf(&b, "%s-%03d-%c", "x", 7, 'y');
        assert_string_equal(b.data, "x-007-y");

        char *s = buf_steal(&b);
        assert_string_equal(s, "x-007-y");
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        assert_int_equal(b.alloc, 0);
        free(s);
        buf_done(&b); /* on an empty buffer */
}

static void test_parse_int64(void **state) {
        int64_t v = 12345;

        /* Failures leave the output alone. */
        assert_int_equal(parse_int64("", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64(NULL, 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64(" 1", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("1 ", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("12abc", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("1.5", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("0x10", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("-", -100, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("abc", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_int64("1\n", 0, 100, &v), -EINVAL);
        assert_int_equal(v, 12345);

        /* Range, inclusive at both ends. */
        assert_int_equal(parse_int64("101", 0, 100, &v), -ERANGE);
        assert_int_equal(parse_int64("-1", 0, 100, &v), -ERANGE);
        assert_int_equal(v, 12345);
        assert_int_equal(parse_int64("100", 0, 100, &v), 0);
        assert_int_equal(v, 100);
        assert_int_equal(parse_int64("0", 0, 100, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_int64("-42", -100, 100, &v), 0);
        assert_int_equal(v, -42);
        assert_int_equal(parse_int64("007", 0, 100, &v), 0); /* decimal, not octal */
        assert_int_equal(v, 7);

        /* The int64 limits themselves, and one past them. */
        assert_int_equal(parse_int64("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0);
        assert_true(v == INT64_MAX);
        assert_int_equal(parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
        assert_true(v == INT64_MIN);
        v = 1;
        assert_true(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v) < 0);
        assert_true(parse_int64("-9223372036854775809", INT64_MIN, INT64_MAX, &v) < 0);
        assert_true(parse_int64("99999999999999999999999", INT64_MIN, INT64_MAX, &v) < 0);
        assert_int_equal(v, 1);
}

static void test_parse_bool(void **state) {
        static const char *const yes[] = { "1", "true", "yes", "on", "True" };
        static const char *const no[] = { "0", "false", "no", "off", "False" };
        static const char *const bad[] = { "", "2", "TRUE", "y", "n", "maybe", " true", "true ", "onn", "-1" };
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                assert_int_equal(parse_bool(yes[i], &b), 0);
                assert_true(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                b = true;
                assert_int_equal(parse_bool(no[i], &b), 0);
                assert_false(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                b = true;
                if (parse_bool(bad[i], &b) != -EINVAL)
                        fail_msg("parse_bool accepted '%s'", bad[i]);
                assert_true(b); /* untouched */
        }
}

static void check_hex(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0')
                        fail_msg("'%s': character %zu is not lowercase hex", s, i);
}

static void test_uuid_hex(void **state) {
        _cleanup_free_ char *a = uuid_hex_new(), *b = uuid_hex_new();

        assert_int_equal(strlen(a), 32);
        check_hex(a, 32);
        assert_int_equal(a[12], '4');                 /* version 4 */
        assert_non_null(strchr("89ab", a[16]));       /* RFC 4122 variant */
        assert_true(uuid_is_valid(a));
        assert_string_not_equal(a, b);
}

static void test_uuid_dashed(void **state) {
        _cleanup_free_ char *a = uuid_dashed_new(), *b = uuid_dashed_new();

        assert_int_equal(strlen(a), 36);
        for (size_t i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23)
                        assert_int_equal(a[i], '-');
                else
                        check_hex(a + i, 1);
        }
        assert_int_equal(a[14], '4');
        assert_non_null(strchr("89ab", a[19]));
        assert_true(uuid_is_valid(a));
        assert_string_not_equal(a, b);
}

static void test_uuid_is_valid(void **state) {
        assert_true(uuid_is_valid("0123456789abcdef0123456789abcdef"));
        assert_true(uuid_is_valid("0123456789ABCDEF0123456789ABCDEF"));
        assert_true(uuid_is_valid("01234567-89ab-cdef-0123-456789abcdef"));

        assert_false(uuid_is_valid(""));
        assert_false(uuid_is_valid("0123456789abcdef0123456789abcde"));   /* 31 */
        assert_false(uuid_is_valid("0123456789abcdef0123456789abcdef0")); /* 33 */
        assert_false(uuid_is_valid("0123456789abcdef0123456789abcdeg"));
        assert_false(uuid_is_valid("0123456789abcdef-123456789abcdef"));
        assert_false(uuid_is_valid("01234567-89ab-cdef-0123-456789abcdeg"));
        assert_false(uuid_is_valid("012345678-9ab-cdef-0123-456789abcdef")); /* dash moved */
        assert_false(uuid_is_valid("0123456789abcdef0123456789abcdef0123"));  /* 36, no dashes */
        assert_false(uuid_is_valid("01234567-89ab-cdef-0123-456789abcde-"));
        assert_false(uuid_is_valid("01234567 89ab cdef 0123 456789abcdef"));
}

static void test_format_iso8601(void **state) {
        char buf[32];

        assert_string_equal(format_iso8601_usec(0, buf), "1970-01-01T00:00:00.000000Z");
        assert_ptr_equal(format_iso8601_usec(1, buf), buf);
        assert_string_equal(buf, "1970-01-01T00:00:00.000001Z");
        assert_string_equal(format_iso8601_usec(INT64_C(1767323045123456), buf), "2026-01-02T03:04:05.123456Z");
        assert_string_equal(format_iso8601_usec(INT64_C(951868799999999), buf), "2000-02-29T23:59:59.999999Z");
        assert_string_equal(format_iso8601_usec(INT64_C(951868800000000), buf), "2000-03-01T00:00:00.000000Z");
        assert_string_equal(format_iso8601(INT64_C(1767323045999999), buf), "2026-01-02T03:04:05Z");

        /* now_usec is plausible: after 2024, and formats to 27 characters. */
        int64_t now = now_usec();
        assert_true(now > INT64_C(1704067200000000));
        assert_int_equal(strlen(format_iso8601_usec(now, buf)), 27);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jx_string),
                cmocka_unit_test(test_jx_path_string),
                cmocka_unit_test(test_jx_set_and_dump),
                cmocka_unit_test(test_jx_parse_ok),
                cmocka_unit_test(test_jx_parse_duplicates),
                cmocka_unit_test(test_jx_parse_malformed),
                cmocka_unit_test(test_buf_printf_growth),
                cmocka_unit_test(test_buf_append_reset_steal),
                cmocka_unit_test(test_parse_int64),
                cmocka_unit_test(test_parse_bool),
                cmocka_unit_test(test_uuid_hex),
                cmocka_unit_test(test_uuid_dashed),
                cmocka_unit_test(test_uuid_is_valid),
                cmocka_unit_test(test_format_iso8601),
        };
        return cmocka_run_group_tests_name("jx", tests, NULL, NULL);
}
