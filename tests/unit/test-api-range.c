/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the Range header parser of downloads (src/api/api_range.h)
 * against RFC 9110 section 14: valid satisfiable ranges (206), valid
 * unsatisfiable ones (416), and everything the server must ignore (200).
 */
#include "test-helpers.h"

#include "api/api_range.h"

#define NONE UINT64_C(0xdeadbeef)

/* Parses header against size; checks that a failure leaves the outputs alone. */
static int parse(const char *header, uint64_t size, uint64_t *start, uint64_t *len) {
        *start = NONE;
        *len = NONE;
        int r = api_range_parse(header, size, start, len);
        if (r < 0) {
                assert_true(*start == NONE);
                assert_true(*len == NONE);
        }
        return r;
}

static void expect_range(const char *header, uint64_t size, uint64_t want_start, uint64_t want_len) {
        uint64_t start, len;
        int r = parse(header, size, &start, &len);

        if (r != 0 || start != want_start || len != want_len)
                fail_msg("'%s' of %llu bytes: got %d, start %llu, length %llu; expected start %llu, length %llu", header,
                         (unsigned long long) size, r, (unsigned long long) start, (unsigned long long) len,
                         (unsigned long long) want_start, (unsigned long long) want_len);
}

static void expect_error(const char *header, uint64_t size, int want) {
        uint64_t start, len;
        int r = parse(header, size, &start, &len);

        if (r != want)
                fail_msg("'%s' of %llu bytes: got %d, expected %d", header, (unsigned long long) size, r, want);
}

static void test_satisfiable(void **state) {
        expect_range("bytes=0-0", 10, 0, 1);
        expect_range("bytes=10-19", 10240, 10, 10);
        expect_range("bytes=5-", 10, 5, 5);
        expect_range("bytes=9-9", 10, 9, 1);
        /* A last position past the end is clipped to the last byte. */
        expect_range("bytes=5-100", 10, 5, 5);
        expect_range("bytes=0-18446744073709551615", 10, 0, 10);
        expect_range("bytes=0-99999999999999999999999", 10, 0, 10);
        /* Suffixes: the last N bytes, all of them if N is larger. */
        expect_range("bytes=-5", 10, 5, 5);
        expect_range("bytes=-10", 10, 0, 10);
        expect_range("bytes=-11", 10, 0, 10);
        expect_range("bytes=-99999999999999999999999", 10, 0, 10);
        /* The unit is case-insensitive; whitespace around the range is tolerated. */
        expect_range("Bytes=1-2", 10, 1, 2);
        expect_range("BYTES=1-2", 10, 1, 2);
        expect_range("bytes= 1-2 ", 10, 1, 2);
        /* The largest sizes. */
        expect_range("bytes=9223372036854775806-", INT64_MAX, INT64_MAX - 1, 1);
        expect_range("bytes=0-", INT64_MAX, 0, INT64_MAX);
}

static void test_unsatisfiable(void **state) {
        /* Valid, but no byte of the data: 416. */
        expect_error("bytes=10-", 10, -ERANGE);
        expect_error("bytes=10-20", 10, -ERANGE);
        expect_error("bytes=999999-", 10240, -ERANGE);
        expect_error("bytes=99999999999999999999999-", 10, -ERANGE);
        expect_error("bytes=0-", 0, -ERANGE);
        expect_error("bytes=0-0", 0, -ERANGE);
        expect_error("bytes=-0", 10, -ERANGE);
        expect_error("bytes=-0", 0, -ERANGE);
}

static void test_ignored(void **state) {
        /* RFC 9110 14.1.1: a last position before the first is invalid: ignore the header (200). */
        expect_error("bytes=5-3", 10, -EINVAL);
        expect_error("bytes=5-4", 10, -EINVAL);
        expect_error("bytes=20-3", 10, -EINVAL);
        /* Bad syntax. */
        expect_error("", 10, -EINVAL);
        expect_error("bytes", 10, -EINVAL);
        expect_error("bytes=", 10, -EINVAL);
        expect_error("bytes=-", 10, -EINVAL);
        expect_error("bytes=5", 10, -EINVAL);
        expect_error("bytes=a-5", 10, -EINVAL);
        expect_error("bytes=5-a", 10, -EINVAL);
        expect_error("bytes=+5-6", 10, -EINVAL);
        expect_error("bytes=-+5", 10, -EINVAL);
        expect_error("bytes=--5", 10, -EINVAL);
        expect_error("bytes=5--6", 10, -EINVAL);
        expect_error("bytes=0x1-2", 10, -EINVAL);
        expect_error("bytes=1-2x", 10, -EINVAL);
        expect_error("bytes=1 -2", 10, -EINVAL);
        expect_error("bytes=1- 2", 10, -EINVAL);
        expect_error("bytes = 1-2", 10, -EINVAL);
        /* Other units, and several ranges (served whole, as Glance does). */
        expect_error("items=1-2", 10, -EINVAL);
        expect_error("bytes=0-1,5-6", 10, -EINVAL);
        expect_error("bytes=0-1,", 10, -EINVAL);
        /* A suffix of empty data: there is nothing to put in a 206. */
        expect_error("bytes=-5", 0, -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_satisfiable),
                cmocka_unit_test(test_unsatisfiable),
                cmocka_unit_test(test_ignored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
