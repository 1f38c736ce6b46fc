/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of util.h's parsers and small helpers: ISO 8601 times (as
 * Nova's changes-since takes them), UUID forms, and Error.
 */
#include "test-helpers.h"

static int64_t iso(const char *s) {
        int64_t t = -1;
        assert_int_equal(parse_iso8601(s, &t), 0);
        return t;
}

static void test_iso8601(void **state) {
        assert_int_equal(iso("1970-01-01T00:00:00Z"), 0);
        assert_int_equal(iso("1970-01-01"), 0);
        assert_int_equal(iso("1970-01-01T00:00:01.5Z"), 1500000);
        assert_int_equal(iso("1970-01-01 01:00:00+01:00"), 0);
        assert_int_equal(iso("1970-01-01T00:00:00-0130"), 5400 * INT64_C(1000000));
        assert_int_equal(iso("2026-11-29T07:41:15.123456789"), 1795938075123456);
        assert_int_equal(iso("2024-02-29T12:00"), 1709208000 * INT64_C(1000000));
        char buf[32];
        assert_string_equal(format_iso8601(iso("2024-02-29T12:00:00Z"), buf), "2024-02-29T12:00:00Z");

        const char *bad[] = { "", "2011/01/01", "2011-1-01", "2023-02-29", "2011-13-01", "2011-01-01T25:00",
                              "2011-01-01T10", "2011-01-01T10:00:00.", "2011-01-01T10:00:00+2500", "2011-01-01x",
                              "2011-01-01T10:00:00Zjunk", "-2011-01-01", "a" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse_iso8601(bad[i], NULL) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
}

static void test_uuid_forms(void **state) {
        assert_true(uuid_is_dashed("6f1c1a5e-9d0b-4c5e-8a55-0123456789ab"));
        assert_false(uuid_is_dashed("6f1c1a5e9d0b4c5e8a550123456789ab"));
        assert_true(uuid_is_valid("6f1c1a5e9d0b4c5e8a550123456789ab"));
        assert_false(uuid_is_dashed("6f1c1a5e-9d0b-4c5e-8a55-0123456789a/"));
        assert_false(uuid_is_dashed("../../probe-canary-xxxxxxxxxxxxxxxxx"));
        _cleanup_free_ char *u = uuid_dashed_new();
        assert_true(uuid_is_dashed(u));
}

static void test_error_keeps_the_first(void **state) {
        Error e = {};
        assert_int_equal(error_set(&e, -EIO, "First %s.", "reason"), -EIO);
        assert_int_equal(error_set(&e, -EINVAL, "Second."), -EINVAL);
        assert_string_equal(e.message, "First reason.");
        assert_int_equal(error_set(NULL, -ENOENT, "Nowhere."), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_iso8601),
                cmocka_unit_test(test_uuid_forms),
                cmocka_unit_test(test_error_keeps_the_first),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
