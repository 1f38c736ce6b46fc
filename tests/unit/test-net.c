/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the data plane below its drivers' real work: names,
 * placeholder until the fake and checks tests land.
 */
#include "test-helpers.h"

#include "net/net_internal.h"

static void test_placeholder(void **state) {
        NetNames n;
        assert_int_equal(net_names_init(&n, "gr-", NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_placeholder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
