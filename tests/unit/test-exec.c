/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the process runner (src/util/exec.h): exit codes and the
 * stderr line in the Error, a timeout that kills, output larger than a
 * pipe and larger than what is kept, input piped to cat, no inherited
 * descriptors, a missing program, and the test hook.
 */
#include "test-helpers.h"

#include <fcntl.h>
#include <time.h>

#include "util/exec.h"

static void test_exec_true_and_output(void **state) {
        const char *argv[] = { "sh", "-c", "echo hello; echo oops >&2", NULL };
        ExecResult res;
        Error e = {};

        assert_int_equal(exec_run(argv, 5000000, &res, &e), 0);
        assert_int_equal(res.status, 0);
        assert_string_equal(res.out, "hello\n");
        assert_string_equal(res.err, "oops\n");
        assert_string_equal(e.message, "");
        exec_result_done(&res);
        assert_null(res.out);

        /* ret may be NULL. */
        const char *t[] = { "true", NULL };
        assert_int_equal(exec_run(t, 0, NULL, NULL), 0);
}

static void test_exec_exit_code(void **state) {
        const char *argv[] = { "sh", "-c", "echo partial; printf '\\n  first line\\nsecond line\\n' >&2; exit 3",
                               NULL };
        ExecResult res;
        Error e = {};

        assert_int_equal(exec_run(argv, 0, &res, &e), -EIO);
        assert_int_equal(res.status, 3);
        assert_string_equal(res.out, "partial\n");
        assert_string_equal(e.message, "'sh' exited with status 3: first line");
        exec_result_done(&res);

        const char *f[] = { "false", NULL };
        Error e2 = {};
        assert_int_equal(exec_run(f, 0, NULL, &e2), -EIO);
        assert_string_equal(e2.message, "'false' exited with status 1.");
}

static void test_exec_killed_by_signal(void **state) {
        const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
        ExecResult res;
        Error e = {};

        assert_int_equal(exec_run(argv, 0, &res, &e), -EIO);
        assert_int_equal(res.status, 128 + 15);
        assert_non_null(strstr(e.message, "signal 15"));
        exec_result_done(&res);
}

static void test_exec_timeout_kills(void **state) {
        const char *argv[] = { "sleep", "10", NULL };
        ExecResult res;
        Error e = {};

        int64_t t0 = mono_usec();
        assert_int_equal(exec_run(argv, 200000, &res, &e), -ETIMEDOUT);
        int64_t took = mono_usec() - t0;
        assert_true(took >= 200000);
        assert_true(took < 2000000);
        assert_int_equal(res.status, 128 + 9);
        assert_non_null(strstr(e.message, "200 ms"));
        exec_result_done(&res);

        /* A grandchild holding the pipes open dies with its group. */
        const char *g[] = { "sh", "-c", "sleep 10 & sleep 10; wait", NULL };
        t0 = mono_usec();
        assert_int_equal(exec_run(g, 200000, NULL, NULL), -ETIMEDOUT);
        assert_true(mono_usec() - t0 < 2000000);
}

/* A child that closes its output and goes on running still meets its deadline. */
static void test_exec_timeout_after_closing_output(void **state) {
        const char *argv[] = { "sh", "-c", "exec >&- 2>&-; sleep 10", NULL };
        int64_t t0 = mono_usec();
        assert_int_equal(exec_run(argv, 300000, NULL, NULL), -ETIMEDOUT);
        assert_true(mono_usec() - t0 < 2000000);

        /* And one that closes them and then exits is done when it exits. */
        const char *quick[] = { "sh", "-c", "exec >&- 2>&-; sleep 0.2; exit 4", NULL };
        ExecResult res;
        assert_int_equal(exec_run(quick, 5000000, &res, NULL), -EIO);
        assert_int_equal(res.status, 4);
        exec_result_done(&res);
}

/* A child that exits while its background child keeps stdout open is done when it exits. */
static void test_exec_does_not_wait_for_grandchild(void **state) {
        const char *argv[] = { "sh", "-c", "echo bye; sleep 2 & exit 0", NULL };
        ExecResult res;

        int64_t t0 = mono_usec();
        assert_int_equal(exec_run(argv, 10000000, &res, NULL), 0);
        assert_true(mono_usec() - t0 < 1500000);
        assert_string_equal(res.out, "bye\n");
        exec_result_done(&res);
}

/* 3 MiB on stdout and 100 KiB on stderr at once: no deadlock, 1 MiB kept. */
static void test_exec_large_output(void **state) {
        const char *argv[] = { "sh", "-c", "head -c 102400 /dev/zero | tr '\\0' e >&2; head -c 3145728 /dev/zero | tr '\\0' x",
                               NULL };
        ExecResult res;

        assert_int_equal(exec_run(argv, 20000000, &res, NULL), 0);
        assert_int_equal(strlen(res.out), 1024 * 1024);
        assert_int_equal(res.out[0], 'x');
        assert_int_equal(strlen(res.err), 102400);
        exec_result_done(&res);

        const char *b[] = { "sh", "-c", "head -c 200000 /dev/zero | tr '\\0' y >&2", NULL };
        assert_int_equal(exec_run(b, 20000000, &res, NULL), 0);
        assert_int_equal(strlen(res.err), 200000);
        exec_result_done(&res);
}

/* Input larger than a pipe's buffer, piped through cat and back. */
static void test_exec_input(void **state) {
        const size_t n = 1000000;
        _cleanup_free_ char *data = xmalloc(n);
        for (size_t i = 0; i < n; i++)
                data[i] = (char) ('a' + i % 26);
        const char *argv[] = { "cat", NULL };
        ExecResult res;

        assert_int_equal(exec_run_input(argv, data, n, 20000000, &res, NULL), 0);
        assert_int_equal(strlen(res.out), n);
        assert_memory_equal(res.out, data, n);
        exec_result_done(&res);

        /* Zero bytes of input: EOF at once. */
        assert_int_equal(exec_run_input(argv, "", 0, 5000000, &res, NULL), 0);
        assert_string_equal(res.out, "");
        exec_result_done(&res);

        /* A child that does not read its input: no SIGPIPE for us, no hang. */
        const char *t[] = { "true", NULL };
        assert_int_equal(exec_run_input(t, data, n, 5000000, NULL, NULL), 0);
}

/* Without input the child's stdin is /dev/null. */
static void test_exec_stdin_is_devnull(void **state) {
        const char *argv[] = { "sh", "-c", "readlink /proc/self/fd/0; cat", NULL };
        ExecResult res;

        assert_int_equal(exec_run(argv, 5000000, &res, NULL), 0);
        assert_string_equal(res.out, "/dev/null\n");
        exec_result_done(&res);
}

/* A descriptor without O_CLOEXEC is still not inherited. */
static void test_exec_closes_fds(void **state) {
        int fd = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
        assert_true(fd >= 3);
        _cleanup_free_ char *script = xasprintf("test -e /proc/self/fd/%d && echo leaked || echo closed", fd);
        const char *argv[] = { "sh", "-c", script, NULL };
        ExecResult res;

        assert_int_equal(exec_run(argv, 5000000, &res, NULL), 0);
        assert_string_equal(res.out, "closed\n");
        exec_result_done(&res);
        close(fd);
}

/* A daemon with its standard descriptors closed: pipes land on 0-2 and must not clash in the child. */
static void test_exec_with_stdio_closed(void **state) {
        int saved[3];
        for (int i = 0; i < 3; i++)
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
        fflush(stdout);
        fflush(stderr);
        close(0);
        close(1);
        close(2);

        const char *argv[] = { "sh", "-c", "cat; echo err >&2; readlink /proc/self/fd/0", NULL };
        ExecResult a = {}, b = {};
        int ra = exec_run_input(argv, "in\n", 3, 5000000, &a, NULL);
        int rb = exec_run(argv, 5000000, &b, NULL);

        for (int i = 0; i < 3; i++) {
                dup2(saved[i], i);
                close(saved[i]);
        }
        assert_int_equal(ra, 0);
        assert_true(startswith(a.out, "in\npipe:"));
        assert_string_equal(a.err, "err\n");
        assert_int_equal(rb, 0);
        assert_string_equal(b.out, "/dev/null\n");
        assert_string_equal(b.err, "err\n");
        exec_result_done(&a);
        exec_result_done(&b);
}

static void test_exec_missing_program(void **state) {
        const char *argv[] = { "gureum-test-no-such-program", NULL };
        ExecResult res;
        Error e = {};

        assert_int_equal(exec_run(argv, 0, &res, &e), -ENOENT);
        assert_non_null(strstr(e.message, "gureum-test-no-such-program"));
        assert_null(res.out);
        exec_result_done(&res);

        const char *empty[] = { NULL };
        assert_int_equal(exec_run(empty, 0, NULL, NULL), -EINVAL);
}

typedef struct HookLog {
        char argv0[64];
        char argv1[64];
        size_t len;
        int calls;
} HookLog;

static int hook(const char *const *argv, const void *input, size_t len, ExecResult *ret, void *userdata) {
        HookLog *log = userdata;
        snprintf(log->argv0, sizeof(log->argv0), "%s", argv[0]);
        snprintf(log->argv1, sizeof(log->argv1), "%s", argv[1] ? argv[1] : "");
        log->len = input ? len : 0;
        log->calls++;
        if (ret) {
                ret->out = xstrdup("from hook");
                ret->err = xstrdup("");
        }
        return streq(argv[0], "fail") ? -EIO : 0;
}

static void test_exec_hook(void **state) {
        HookLog log = {};
        ExecResult res;
        const char *argv[] = { "qemu-img", "info", NULL };
        const char *fail[] = { "fail", NULL };

        exec_set_hook(hook, &log);
        assert_int_equal(exec_run(argv, 0, &res, NULL), 0);
        assert_string_equal(res.out, "from hook");
        exec_result_done(&res);
        assert_string_equal(log.argv0, "qemu-img");
        assert_string_equal(log.argv1, "info");
        assert_int_equal(exec_run_input(fail, "abc", 3, 0, NULL, NULL), -EIO);
        assert_int_equal(log.len, 3);
        assert_int_equal(log.calls, 2);
        exec_set_hook(NULL, NULL);

        /* Real execution again. */
        const char *echo[] = { "echo", "real", NULL };
        assert_int_equal(exec_run(echo, 0, &res, NULL), 0);
        assert_string_equal(res.out, "real\n");
        exec_result_done(&res);
        assert_int_equal(log.calls, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exec_true_and_output),
                cmocka_unit_test(test_exec_exit_code),
                cmocka_unit_test(test_exec_killed_by_signal),
                cmocka_unit_test(test_exec_timeout_kills),
                cmocka_unit_test(test_exec_timeout_after_closing_output),
                cmocka_unit_test(test_exec_does_not_wait_for_grandchild),
                cmocka_unit_test(test_exec_large_output),
                cmocka_unit_test(test_exec_input),
                cmocka_unit_test(test_exec_stdin_is_devnull),
                cmocka_unit_test(test_exec_closes_fds),
                cmocka_unit_test(test_exec_with_stdio_closed),
                cmocka_unit_test(test_exec_missing_program),
                cmocka_unit_test(test_exec_hook),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
