/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of gureum.conf handling (src/core/config.h): the defaults, the
 * INI parser and its errors, the writer/loader round trip, and the listen
 * address and public URL helpers.  Parse errors are printed to stderr by
 * design; the tests only check the return codes and values.
 */
#include "test-helpers.h"

#include <limits.h>

#include "core/config.h"
#include "util/fileio.h"

static int setup_tmpdir(void **state) {
        *state = test_tmpdir_new();
        return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state) {
        return test_tmpdir_remove(*state);
}

static void config_donep(Config *c) {
        config_done(c);
}
#define _cleanup_config_ _cleanup_(config_donep)

static void test_defaults(void **state) {
        _cleanup_config_ Config c = {};

        config_defaults(&c);
        assert_null(c.state_dir);
        assert_string_equal(c.listen, "127.0.0.1:8080");
        assert_string_equal(c.public_url, "");
        assert_int_equal(c.threads, 0);
        assert_int_equal(c.max_body_size, 1048576);
        assert_string_equal(c.log_level, "info");
        assert_true(c.access_log);
        assert_int_equal(c.max_connections, 1000);
        assert_int_equal(c.max_connections_per_ip, 250);
        assert_int_equal(c.header_timeout, 10);
        assert_int_equal(c.body_timeout, 60);
        assert_string_equal(c.db_connection, "sqlite:gureum.db");
        assert_int_equal(c.token_expiration, 3600);
        assert_int_equal(c.password_hash_opslimit, 2);
        assert_int_equal(c.password_hash_memlimit, 65536);
        assert_int_equal(c.password_hash_threads, 0);
        assert_int_equal(c.password_hash_queue, 64);
        assert_int_equal(c.max_active_keys, 3);
        assert_int_equal(c.image_quota_count, 1000);
        assert_int_equal(c.image_quota_bytes, INT64_C(1099511627776));
        assert_int_equal(c.image_property_quota, 128);
        assert_int_equal(c.image_tag_quota, 128);
        assert_int_equal(c.image_member_quota, 128);

        /* An empty or comment-only file leaves every default. */
        assert_int_equal(config_parse(&c, "empty", ""), 0);
        assert_int_equal(config_parse(&c, "comments", "# c\n; c\n\n   \n[server]\n# listen = 1.2.3.4:5\n"), 0);
        assert_string_equal(c.listen, "127.0.0.1:8080");
        assert_int_equal(c.threads, 0);
}

static void test_parse_overrides(void **state) {
        _cleanup_config_ Config c = {};

        config_defaults(&c);
        assert_int_equal(config_parse(&c, "t",
                                      "# comment\n"
                                      "[server]\n"
                                      "listen = 0.0.0.0:9999\n"
                                      "  public_url=https://cloud.example.com/  \n"
                                      "threads = 16\n"
                                      "max_body_size = 1024\n"
                                      "log_level = debug\n"
                                      "access_log = off\n"
                                      "\n"
                                      "[ database ]\n"
                                      "connection = sqlite:/var/lib/x.db\n"
                                      "[identity]\n"
                                      "token_expiration = 60\n"
                                      "password_hash_opslimit = 64\n"
                                      "password_hash_memlimit = 8192\n"
                                      "max_active_keys = 100\n"),
                         0);
        assert_string_equal(c.listen, "0.0.0.0:9999");
        assert_string_equal(c.public_url, "https://cloud.example.com/");
        assert_int_equal(c.threads, 16);
        assert_int_equal(c.max_body_size, 1024);
        assert_string_equal(c.log_level, "debug");
        assert_false(c.access_log);
        assert_string_equal(c.db_connection, "sqlite:/var/lib/x.db");
        assert_int_equal(c.token_expiration, 60);
        assert_int_equal(c.password_hash_opslimit, 64);
        assert_int_equal(c.password_hash_memlimit, 8192);
        assert_int_equal(c.max_active_keys, 100);

        /* Glance's names for the image limits, and tag_limit, the old name of image_tag_quota. */
        assert_int_equal(config_parse(&c, "img",
                                      "[image]\n"
                                      "image_property_quota = 0\n"
                                      "image_tag_quota = 100000\n"
                                      "image_member_quota = 7\n"),
                         0);
        assert_int_equal(c.image_property_quota, 0);
        assert_int_equal(c.image_tag_quota, 100000);
        assert_int_equal(c.image_member_quota, 7);
        assert_int_equal(config_parse(&c, "old", "[image]\ntag_limit = 5\n"), 0);
        assert_int_equal(c.image_tag_quota, 5);

        /* A later parse overrides only what it names; the last value wins. */
        assert_int_equal(config_parse(&c, "t2", "[server]\nthreads = 1\nthreads = 2\nlisten = h:1"), 0);
        assert_int_equal(c.threads, 2);
        assert_string_equal(c.listen, "h:1");
        assert_int_equal(c.max_body_size, 1024);
        /* Empty string values are allowed for strings. */
        assert_int_equal(config_parse(&c, "t3", "[server]\npublic_url =\n"), 0);
        assert_string_equal(c.public_url, "");
        /* "=" inside a value is kept. */
        assert_int_equal(config_parse(&c, "t4", "[server]\npublic_url = http://h/?a=b\n"), 0);
        assert_string_equal(c.public_url, "http://h/?a=b");
}

static void expect_invalid(const char *text) {
        Config c;
        config_defaults(&c);
        int r = config_parse(&c, "bad.conf", text);
        config_done(&c);
        if (r != -EINVAL)
                fail_msg("config_parse returned %d, not -EINVAL, for:\n%s", r, text);
}

static void test_parse_errors(void **state) {
        /* Unknown key, in a known section. */
        expect_invalid("[server]\nlisten_address = 1.2.3.4:80\n");
        /* A key outside any section, or in the wrong one. */
        expect_invalid("listen = 1.2.3.4:80\n");
        expect_invalid("[identity]\nlisten = 1.2.3.4:80\n");
        /* Unknown section. */
        expect_invalid("[nova]\nthreads = 4\n");
        /* Bad integers. */
        expect_invalid("[server]\nthreads = four\n");
        expect_invalid("[server]\nthreads = 4x\n");
        expect_invalid("[server]\nthreads =\n");
        expect_invalid("[server]\nthreads = 4.0\n");
        /* Out of range, at each end. */
        expect_invalid("[server]\nthreads = 257\n");
        expect_invalid("[server]\nthreads = -1\n");
        expect_invalid("[server]\nmax_body_size = 1023\n");
        expect_invalid("[identity]\ntoken_expiration = 59\n");
        expect_invalid("[identity]\nmax_active_keys = 1\n");
        expect_invalid("[identity]\npassword_hash_memlimit = 4194305\n");
        expect_invalid("[image]\nimage_property_quota = -1\n");
        expect_invalid("[image]\nimage_tag_quota = 100001\n");
        expect_invalid("[image]\nimage_member_quota = lots\n");
        expect_invalid("[image]\ntag_limit = -1\n");
        /* Bad boolean. */
        expect_invalid("[server]\naccess_log = maybe\n");
        /* Malformed lines. */
        expect_invalid("[server]\nthreads 4\n");
        expect_invalid("[server\nthreads = 4\n");
        expect_invalid("[server] x\n");
        expect_invalid("[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n");
        /* Values checked after parsing. */
        expect_invalid("[server]\nlog_level = verbose\n");
        expect_invalid("[server]\nlisten = localhost\n");
        expect_invalid("[server]\nlisten = :80\n");
        expect_invalid("[server]\nlisten = h:0\n");
        expect_invalid("[server]\nlisten = h:65536\n");
        /* One error among good lines still fails the whole parse. */
        expect_invalid("[server]\nthreads = 4\nbogus = 1\nlisten = 1.2.3.4:80\n");
}

static void test_parse_error_keeps_going(void **state) {
        _cleanup_config_ Config c = {};

        /* Every line is examined: the good ones after a bad one still apply. */
        config_defaults(&c);
        assert_int_equal(config_parse(&c, "t", "[server]\nbogus = 1\nthreads = 8\n"), -EINVAL);
        assert_int_equal(c.threads, 8);
        /* A rejected integer leaves the previous value. */
        assert_int_equal(config_parse(&c, "t", "[server]\nthreads = 300\n"), -EINVAL);
        assert_int_equal(c.threads, 8);
}

static void test_write_load_roundtrip(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *path = xasprintf("%s/gureum.conf", dir);
        _cleanup_free_ char *text = NULL;
        _cleanup_config_ Config c = {}, d = {}, e = {};

        /* A missing file is -ENOENT. */
        config_defaults(&d);
        assert_int_equal(config_load(&d, dir), -ENOENT);

        config_defaults(&c);
        free(c.listen);
        c.listen = xstrdup("0.0.0.0:8774");
        free(c.public_url);
        c.public_url = xstrdup("https://api.example.org:5000");
        c.threads = 12;
        c.access_log = false;
        c.token_expiration = 7200;
        c.max_active_keys = 5;
        assert_int_equal(config_write(&c, path), 0);

        assert_int_equal(config_load(&d, dir), 0);
        assert_non_null(d.state_dir);
        _cleanup_free_ char *real = realpath(dir, NULL);
        assert_non_null(real);
        assert_string_equal(d.state_dir, real);
        assert_string_equal(d.listen, "0.0.0.0:8774");
        assert_string_equal(d.public_url, "https://api.example.org:5000");
        assert_int_equal(d.threads, 12);
        assert_false(d.access_log);
        assert_int_equal(d.token_expiration, 7200);
        assert_int_equal(d.max_active_keys, 5);
        /* Untouched keys keep their defaults. */
        assert_int_equal(d.max_body_size, 1048576);
        assert_string_equal(d.log_level, "info");
        assert_string_equal(d.db_connection, "sqlite:gureum.db");

        /* Defaults are written commented out, changed values are not. */
        assert_int_equal(read_file(path, 1 << 20, &text, NULL), 0);
        assert_non_null(strstr(text, "\n#max_body_size = 1048576\n"));
        assert_non_null(strstr(text, "\nthreads = 12\n"));
        assert_non_null(strstr(text, "\naccess_log = false\n"));
        assert_non_null(strstr(text, "\n[identity]\n"));
        /* Glance's names are written; an old name is read, never written. */
        assert_non_null(strstr(text, "\n#image_tag_quota = 128\n"));
        assert_non_null(strstr(text, "\n#image_member_quota = 128\n"));
        assert_null(strstr(text, "tag_limit"));

        /* A file of defaults loads as the defaults. */
        Config def;
        config_defaults(&def);
        assert_int_equal(config_write(&def, path), 0);
        config_done(&def);
        config_defaults(&e);
        e.threads = 99;
        assert_int_equal(config_load(&e, dir), 0);
        assert_int_equal(e.threads, 99); /* commented-out defaults do not reset */
        assert_string_equal(e.listen, "127.0.0.1:8080");
}

static void test_load_error(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *path = xasprintf("%s/gureum.conf", dir);
        _cleanup_config_ Config c = {};
        static const char text[] = "[server]\nthreads = many\n";

        assert_int_equal(write_file_atomic(path, text, strlen(text), 0600), 0);
        config_defaults(&c);
        assert_int_equal(config_load(&c, dir), -EINVAL);
        assert_int_equal(c.threads, 0);
}

static void test_listen_split(void **state) {
        _cleanup_free_ char *h1 = NULL, *h2 = NULL, *h3 = NULL, *h4 = NULL;
        char *untouched = NULL;
        uint16_t port = 0;

        assert_int_equal(config_listen_split("127.0.0.1:8080", &h1, &port), 0);
        assert_string_equal(h1, "127.0.0.1");
        assert_int_equal(port, 8080);

        assert_int_equal(config_listen_split("[::1]:80", &h2, &port), 0);
        assert_string_equal(h2, "[::1]");
        assert_int_equal(port, 80);

        assert_int_equal(config_listen_split("0.0.0.0:65535", &h3, &port), 0);
        assert_string_equal(h3, "0.0.0.0");
        assert_int_equal(port, 65535);

        assert_int_equal(config_listen_split("example.com:1", &h4, &port), 0);
        assert_string_equal(h4, "example.com");
        assert_int_equal(port, 1);

        /* Outputs are optional. */
        assert_int_equal(config_listen_split("h:2", NULL, NULL), 0);

        port = 7;
        static const char *const bad[] = { "", "host", ":80", "h:", "h:0", "h:65536", "h:-1", "h:80x", "h: 80" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (config_listen_split(bad[i], &untouched, &port) != -EINVAL)
                        fail_msg("config_listen_split accepted '%s'", bad[i]);
                assert_null(untouched);
                assert_int_equal(port, 7);
        }
}

static char *public_url_for(const char *listen, const char *public_url) {
        Config c;
        config_defaults(&c);
        free(c.listen);
        c.listen = xstrdup(listen);
        free(c.public_url);
        c.public_url = xstrdup(public_url);
        char *url = config_public_url(&c);
        config_done(&c);
        return url;
}

static void test_public_url(void **state) {
        static const struct {
                const char *listen, *public_url, *expect;
        } cases[] = {
                { "127.0.0.1:8080", "", "http://127.0.0.1:8080" },
                { "0.0.0.0:8080", "", "http://127.0.0.1:8080" },
                { "[::]:8080", "", "http://127.0.0.1:8080" },
                { "192.0.2.7:5000", "", "http://192.0.2.7:5000" },
                { "[::1]:80", "", "http://[::1]:80" },
                { "0.0.0.0:8080", "https://cloud.example.com/", "https://cloud.example.com" },
                { "0.0.0.0:8080", "https://cloud.example.com/identity//", "https://cloud.example.com/identity" },
                { "0.0.0.0:8080", "http://h:1", "http://h:1" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *url = public_url_for(cases[i].listen, cases[i].public_url);
                if (!streq(url, cases[i].expect))
                        fail_msg("listen '%s' public_url '%s': got '%s', want '%s'", cases[i].listen,
                                 cases[i].public_url, url, cases[i].expect);
        }
}

static void test_state_path(void **state) {
        _cleanup_config_ Config c = {};
        _cleanup_free_ char *a = NULL, *b = NULL;

        config_defaults(&c);
        c.state_dir = xstrdup("/var/lib/gureum");
        a = config_state_path(&c, "gureum.db");
        b = config_state_path(&c, "/abs/x.db");
        assert_string_equal(a, "/var/lib/gureum/gureum.db");
        assert_string_equal(b, "/abs/x.db");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_parse_overrides),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_parse_error_keeps_going),
                cmocka_unit_test_setup_teardown(test_write_load_roundtrip, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_load_error, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test(test_listen_split),
                cmocka_unit_test(test_public_url),
                cmocka_unit_test(test_state_path),
        };
        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
