/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of argon2id password hashing (src/identity/identity_password.h).
 * The cost is lowered to one pass over 8 MiB so the suite stays fast; the
 * hash string must record that cost.
 */
#include "test-helpers.h"

#include "identity/identity_password.h"

static int setup_cost(void **state) {
        password_set_cost(1, 8192);
        return 0;
}

static void test_hash_then_verify(void **state) {
        _cleanup_free_ char *h = NULL;

        assert_int_equal(password_hash("correct horse battery staple", &h), 0);
        assert_non_null(h);
        assert_true(startswith(h, "$argon2id$v=19$m=8192,t=1,p=1$"));
        assert_int_equal(password_verify(h, "correct horse battery staple"), 0);
}

static void test_wrong_password(void **state) {
        _cleanup_free_ char *h = NULL;

        assert_int_equal(password_hash("secret", &h), 0);
        assert_int_equal(password_verify(h, "Secret"), -EPERM);
        assert_int_equal(password_verify(h, "secret "), -EPERM);
        assert_int_equal(password_verify(h, "secre"), -EPERM);
        assert_int_equal(password_verify(h, ""), -EPERM);
        assert_int_equal(password_verify(h, NULL), -EPERM);
        /* And still right for the right one. */
        assert_int_equal(password_verify(h, "secret"), 0);
}

static void test_salted(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(password_hash("same", &a), 0);
        assert_int_equal(password_hash("same", &b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(password_verify(a, "same"), 0);
        assert_int_equal(password_verify(b, "same"), 0);
}

static void test_empty_and_unicode(void **state) {
        _cleanup_free_ char *e = NULL, *u = NULL;

        assert_int_equal(password_hash("", &e), 0);
        assert_int_equal(password_verify(e, ""), 0);
        assert_int_equal(password_verify(e, " "), -EPERM);

        assert_int_equal(password_hash("p\xc3\xa4ssw\xc3\xb6rd \xe2\x9c\x93", &u), 0);
        assert_int_equal(password_verify(u, "p\xc3\xa4ssw\xc3\xb6rd \xe2\x9c\x93"), 0);
        assert_int_equal(password_verify(u, "passwqrd \xe2\x9c\x93"), -EPERM);
}

static void test_null_hash(void **state) {
        assert_int_equal(password_verify(NULL, "x"), -EPERM);
        assert_int_equal(password_verify(NULL, NULL), -EPERM);
}

static void test_malformed_hash(void **state) {
        static const char *const bad[] = {
                "",
                "x",
                "$argon2id$",
                "$argon2id$v=19$m=8192,t=1,p=1$",
                "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
                "$argon2i$v=19$m=notanumber,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNo",
                "plaintext-password",
                "$2b$12$abcdefghijklmnopqrstuuJ1s6p5r5yW3h8Qy1tQm0b7W2Zb8mFpC", /* bcrypt */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (password_verify(bad[i], "x") != -EPERM)
                        fail_msg("malformed hash '%s' did not give -EPERM", bad[i]);
}

static void test_tampered_hash(void **state) {
        _cleanup_free_ char *h = NULL;

        assert_int_equal(password_hash("pw", &h), 0);
        size_t n = strlen(h);

        /* Change one character of the digest (the last field). */
        h[n - 3] = h[n - 3] == 'A' ? 'B' : 'A';
        assert_int_equal(password_verify(h, "pw"), -EPERM);
        h[n - 3] = '\0'; /* truncated */
        assert_int_equal(password_verify(h, "pw"), -EPERM);
}

static void test_old_cost_still_verifies(void **state) {
        _cleanup_free_ char *h = NULL;

        /* A hash made at one cost verifies after the cost changes. */
        assert_int_equal(password_hash("pw", &h), 0);
        password_set_cost(2, 16384);
        assert_int_equal(password_verify(h, "pw"), 0);
        _cleanup_free_ char *h2 = NULL;
        assert_int_equal(password_hash("pw", &h2), 0);
        assert_true(startswith(h2, "$argon2id$v=19$m=16384,t=2,p=1$"));
        password_set_cost(1, 8192);
        assert_int_equal(password_verify(h2, "pw"), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hash_then_verify),
                cmocka_unit_test(test_wrong_password),
                cmocka_unit_test(test_salted),
                cmocka_unit_test(test_empty_and_unicode),
                cmocka_unit_test(test_null_hash),
                cmocka_unit_test(test_malformed_hash),
                cmocka_unit_test(test_tampered_hash),
                cmocka_unit_test(test_old_cost_still_verifies),
        };
        return cmocka_run_group_tests_name("password", tests, setup_cost, NULL);
}
