/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/util/fileio.h: the lock file gureumd takes on its
 * state directory (one holder at a time, its pid written in the file).
 */
#include "test-helpers.h"

#include <fcntl.h>

#include "util/fileio.h"

static int setup_tmpdir(void **state) {
        *state = test_tmpdir_new();
        return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state) {
        return test_tmpdir_remove(*state);
}

static void test_lock_file(void **state) {
        _cleanup_free_ char *path = xasprintf("%s/x.lock", (const char *) *state);
        _cleanup_free_ char *text = NULL, *want = xasprintf("%ld\n", (long) getpid());
        pid_t holder = -1;
        int fd, again;

        fd = lock_file_take(path, &holder);
        assert_true(fd >= 0);
        assert_int_equal(holder, -1); /* written only when the lock is held by someone else */
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(read_file(path, 64, &text, NULL), 0);
        assert_string_equal(text, want);

        /* flock() locks belong to the open file: a second open conflicts even in this process. */
        assert_int_equal(lock_file_take(path, &holder), -EBUSY);
        assert_int_equal(holder, getpid());
        assert_int_equal(lock_file_take(path, NULL), -EBUSY);

        /* A holder that has not written its pid yet: the pid is unknown (0). */
        assert_int_equal(truncate(path, 0), 0);
        assert_int_equal(lock_file_take(path, &holder), -EBUSY);
        assert_int_equal(holder, 0);

        close(fd);
        again = lock_file_take(path, &holder);
        assert_true(again >= 0);
        close(again);
}

static void test_lock_file_errors(void **state) {
        _cleanup_free_ char *path = xasprintf("%s/missing/x.lock", (const char *) *state);

        assert_int_equal(lock_file_take(path, NULL), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_lock_file, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_lock_file_errors, setup_tmpdir, teardown_tmpdir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
