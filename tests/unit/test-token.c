/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the token codec and key repository
 * (src/identity/identity_token.h): round trips, forged and malformed
 * tokens, and key rotation.  Each test gets its own state directory under
 * /tmp; the key repository is process-wide, so each setup reloads it.
 */
#include "test-helpers.h"

#include <dirent.h>

#include "identity/identity_token.h"
#include "util/buf.h"

static int setup_keys(void **state) {
        char *dir = test_tmpdir_new();
        *state = dir;
        if (!dir)
                return -1;
        if (token_keys_init(dir) < 0 || token_keys_load(dir) < 0)
                return -1;
        return 0;
}

static int teardown_keys(void **state) {
        return test_tmpdir_remove(*state);
}

static void payload_donep(TokenPayload *p) {
        token_payload_done(p);
}
#define _cleanup_payload_ _cleanup_(payload_donep)

/* A fully populated payload; strings are borrowed literals. */
static TokenPayload sample(void) {
        TokenPayload p = {
                .user_id = (char *) "0123456789abcdef0123456789abcdef",
                .project_id = (char *) "fedcba9876543210fedcba9876543210",
                .domain_id = NULL,
                .system = false,
                .methods = TOKEN_METHOD_PASSWORD,
                .issued_at = INT64_C(1767323045123456),
                .expires_at = INT64_C(1767326645123456),
        };
        token_audit_id_new(p.audit_id);
        return p;
}

static char *encode(const TokenPayload *p) {
        char *t = NULL;
        assert_int_equal(token_encode(p, &t), 0);
        assert_non_null(t);
        return t;
}

/* The numbered key files in dir/keys/token, as "0,1,2". */
static char *key_files(const char *dir) {
        _cleanup_free_ char *kd = xasprintf("%s/keys/token", dir);
        bool present[16] = {};
        Buf b = {};
        DIR *d = opendir(kd);
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d))) {
                int64_t n;
                if (de->d_name[0] == '.')
                        continue;
                if (parse_int64(de->d_name, 0, 15, &n) < 0) {
                        closedir(d);
                        fail_msg("unexpected file %s in %s", de->d_name, kd);
                }
                present[n] = true;
        }
        closedir(d);
        for (size_t i = 0; i < ELEMENTSOF(present); i++)
                if (present[i])
                        buf_printf(&b, "%s%zu", b.len ? "," : "", i);
        return buf_steal(&b);
}

static void test_audit_id(void **state) {
        char a[TOKEN_AUDIT_ID_LEN + 1], b[TOKEN_AUDIT_ID_LEN + 1];

        token_audit_id_new(a);
        token_audit_id_new(b);
        assert_int_equal(strlen(a), TOKEN_AUDIT_ID_LEN);
        assert_string_not_equal(a, b);
        for (size_t i = 0; i < TOKEN_AUDIT_ID_LEN; i++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]))
                        fail_msg("audit id '%s' is not base64url", a);
}

static void test_init_layout(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *files = key_files(dir);
        _cleanup_free_ char *k1 = xasprintf("%s/keys/token/1", dir);
        struct stat st;

        /* A staged and a primary key, private. */
        assert_string_equal(files, "0,1");
        assert_int_equal(stat(k1, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        /* init again never replaces keys that issued tokens. */
        TokenPayload p = sample();
        _cleanup_free_ char *t = encode(&p);
        assert_int_equal(token_keys_init(dir), 0);
        assert_int_equal(token_keys_load(dir), 0);
        _cleanup_payload_ TokenPayload out = {};
        assert_int_equal(token_decode(t, &out), 0);
        _cleanup_free_ char *files2 = key_files(dir);
        assert_string_equal(files2, "0,1");
}

static void test_load_missing(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *other = xasprintf("%s/elsewhere", dir);

        assert_int_equal(token_keys_load(other), -ENOENT);
        /* Put the good repository back for the tests that follow. */
        assert_int_equal(token_keys_load(dir), 0);
}

static void test_roundtrip(void **state) {
        TokenPayload p = sample();
        _cleanup_payload_ TokenPayload out = {};

        snprintf(p.parent_audit_id, sizeof(p.parent_audit_id), "%s", p.audit_id);
        token_audit_id_new(p.audit_id);
        p.methods = TOKEN_METHOD_PASSWORD | TOKEN_METHOD_TOKEN;

        _cleanup_free_ char *t = encode(&p);
        /* base64url without padding: safe in a header. */
        assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(t));
        assert_true(strlen(t) < 255);

        assert_int_equal(token_decode(t, &out), 0);
        assert_string_equal(out.user_id, p.user_id);
        assert_string_equal(out.project_id, p.project_id);
        assert_null(out.domain_id);
        assert_false(out.system);
        assert_int_equal(out.methods, TOKEN_METHOD_PASSWORD | TOKEN_METHOD_TOKEN);
        assert_true(out.issued_at == p.issued_at);
        assert_true(out.expires_at == p.expires_at);
        assert_string_equal(out.audit_id, p.audit_id);
        assert_string_equal(out.parent_audit_id, p.parent_audit_id);
        assert_string_not_equal(out.audit_id, out.parent_audit_id);

        /* Two encodings of one payload differ (random nonce) but decode alike. */
        _cleanup_free_ char *t2 = encode(&p);
        assert_string_not_equal(t, t2);
        _cleanup_payload_ TokenPayload out2 = {};
        assert_int_equal(token_decode(t2, &out2), 0);
        assert_string_equal(out2.audit_id, p.audit_id);
}

static void test_roundtrip_scopes(void **state) {
        /* Domain scope, no parent audit id. */
        TokenPayload d = sample();
        d.project_id = NULL;
        d.domain_id = (char *) "default";
        d.methods = TOKEN_METHOD_TOKEN;
        _cleanup_free_ char *td = encode(&d);
        _cleanup_payload_ TokenPayload od = {};
        assert_int_equal(token_decode(td, &od), 0);
        assert_string_equal(od.user_id, d.user_id);
        assert_null(od.project_id);
        assert_string_equal(od.domain_id, "default");
        assert_false(od.system);
        assert_int_equal(od.methods, TOKEN_METHOD_TOKEN);
        assert_string_equal(od.parent_audit_id, "");
        assert_string_equal(od.audit_id, d.audit_id);

        /* System scope, unscoped otherwise, extreme times. */
        TokenPayload s = sample();
        s.project_id = NULL;
        s.system = true;
        s.methods = TOKEN_METHOD_PASSWORD;
        s.issued_at = 0;
        s.expires_at = INT64_MAX;
        _cleanup_free_ char *ts = encode(&s);
        _cleanup_payload_ TokenPayload os = {};
        assert_int_equal(token_decode(ts, &os), 0);
        assert_true(os.system);
        assert_int_equal(os.methods, TOKEN_METHOD_PASSWORD);
        assert_null(os.project_id);
        assert_null(os.domain_id);
        assert_true(os.issued_at == 0);
        assert_true(os.expires_at == INT64_MAX);

        /* Negative times survive too, and a 255-byte id is the longest. */
        TokenPayload l = sample();
        char long_id[256];
        memset(long_id, 'u', 255);
        long_id[255] = '\0';
        l.user_id = long_id;
        l.issued_at = -1;
        _cleanup_free_ char *tl = encode(&l);
        _cleanup_payload_ TokenPayload ol = {};
        assert_int_equal(token_decode(tl, &ol), 0);
        assert_string_equal(ol.user_id, long_id);
        assert_true(ol.issued_at == -1);
}

static void test_encode_invalid(void **state) {
        char *t = NULL;
        char long_id[257];

        memset(long_id, 'u', 256);
        long_id[256] = '\0';
        TokenPayload p = sample();
        p.user_id = long_id;
        assert_int_equal(token_encode(&p, &t), -EINVAL);
        assert_null(t);

        p = sample();
        snprintf(p.audit_id, sizeof(p.audit_id), "%s", "not*base64url!");
        assert_int_equal(token_encode(&p, &t), -EINVAL);
        p = sample();
        snprintf(p.parent_audit_id, sizeof(p.parent_audit_id), "%s", "short");
        assert_int_equal(token_encode(&p, &t), -EINVAL);
        assert_null(t);
}

static void test_tampered(void **state) {
        TokenPayload p = sample();
        _cleanup_free_ char *t = encode(&p);
        size_t n = strlen(t);
        TokenPayload out = {};

        /* Flip one character at several places, including the middle. */
        size_t where[] = { n / 2, 0, 1, 3, 8, 40, n - 5, n - 2 };
        for (size_t i = 0; i < ELEMENTSOF(where); i++) {
                _cleanup_free_ char *bad = xstrdup(t);
                char *c = &bad[where[i]];
                *c = *c == 'A' ? 'B' : 'A';
                int r = token_decode(bad, &out);
                if (r != -EPERM)
                        fail_msg("token changed at %zu of %zu decoded with %d", where[i], n, r);
        }
        /* The untouched token still decodes. */
        assert_int_equal(token_decode(t, &out), 0);
        token_payload_done(&out);
}

static void test_truncated(void **state) {
        TokenPayload p = sample();
        _cleanup_free_ char *t = encode(&p);
        size_t n = strlen(t);
        TokenPayload out = {};

        size_t lens[] = { n - 1, n - 2, n - 3, n - 4, n / 2, 40, 10, 2, 1 };
        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                _cleanup_free_ char *bad = xstrndup(t, lens[i]);
                int r = token_decode(bad, &out);
                if (r != -EPERM)
                        fail_msg("token cut to %zu of %zu characters decoded with %d", lens[i], n, r);
        }
        /* Nor with something appended. */
        _cleanup_free_ char *longer = xasprintf("%sAAAA", t);
        assert_int_equal(token_decode(longer, &out), -EPERM);
        _cleanup_free_ char *padded = xasprintf("%s=", t);
        assert_int_equal(token_decode(padded, &out), -EPERM);
}

static void test_garbage(void **state) {
        static const char *const bad[] = {
                "",
                "x",
                "not a token",
                "gAAAAABmZXJuZXQtdG9rZW4tbG9va2luZy1zdHJpbmc",
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
                "R0FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "01234567-89ab-cdef-0123-456789abcdef",
        };
        TokenPayload out = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = token_decode(bad[i], &out);
                if (r != -EPERM)
                        fail_msg("garbage '%s' decoded with %d", bad[i], r);
        }

        /* Very long strings, base64url-clean and not. */
        for (size_t len = 1000; len <= 1000000; len *= 10) {
                char *s = xmalloc(len + 1);
                memset(s, 'A', len);
                s[len] = '\0';
                int r = token_decode(s, &out);
                s[len / 2] = '*';
                int r2 = token_decode(s, &out);
                free(s);
                if (r != -EPERM || r2 != -EPERM)
                        fail_msg("a %zu-character string decoded with %d/%d", len, r, r2);
        }
        assert_null(out.user_id);
}

static void test_wrong_key(void **state) {
        const char *dir = *state;
        TokenPayload p = sample();
        _cleanup_free_ char *t = encode(&p);
        TokenPayload out = {};

        /* Another cloud's keys know nothing of this token. */
        char *other = test_tmpdir_new();
        assert_non_null(other);
        assert_int_equal(token_keys_init(other), 0);
        assert_int_equal(token_keys_load(other), 0);
        int r = token_decode(t, &out);
        assert_int_equal(token_keys_load(dir), 0);
        assert_int_equal(test_tmpdir_remove(other), 0);
        assert_int_equal(r, -EPERM);
        assert_int_equal(token_decode(t, &out), 0);
        token_payload_done(&out);
}

static void test_rotate(void **state) {
        const char *dir = *state;
        TokenPayload p = sample();
        _cleanup_payload_ TokenPayload out = {};
        _cleanup_free_ char *t1 = encode(&p), *t2 = NULL, *t3 = NULL;
        _cleanup_free_ char *f1 = NULL, *f2 = NULL, *f3 = NULL;

        /* Rotation 1: staged 0 becomes primary 2; 1 stays (3 keys kept). */
        assert_int_equal(token_keys_rotate(dir, 3), 0);
        f1 = key_files(dir);
        assert_string_equal(f1, "0,1,2");
        /* Before reloading, this process still issues and accepts with key 1. */
        assert_int_equal(token_decode(t1, &out), 0);
        token_payload_done(&out);
        assert_int_equal(token_keys_load(dir), 0);
        assert_int_equal(token_decode(t1, &out), 0);
        assert_string_equal(out.audit_id, p.audit_id);
        token_payload_done(&out);
        t2 = encode(&p);

        /* Rotation 2: 0 becomes 3, and 1 (t1's key) is dropped. */
        assert_int_equal(token_keys_rotate(dir, 3), 0);
        f2 = key_files(dir);
        assert_string_equal(f2, "0,2,3");
        assert_int_equal(token_keys_load(dir), 0);
        assert_int_equal(token_decode(t1, &out), -EPERM);
        assert_int_equal(token_decode(t2, &out), 0);
        token_payload_done(&out);
        t3 = encode(&p);

        /* Rotation 3 drops t2's key 2; t3 (key 3) lives on. */
        assert_int_equal(token_keys_rotate(dir, 3), 0);
        f3 = key_files(dir);
        assert_string_equal(f3, "0,3,4");
        assert_int_equal(token_keys_load(dir), 0);
        assert_int_equal(token_decode(t1, &out), -EPERM);
        assert_int_equal(token_decode(t2, &out), -EPERM);
        assert_int_equal(token_decode(t3, &out), 0);
        assert_string_equal(out.user_id, p.user_id);
}

static void test_rotate_promotes(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *k1 = xasprintf("%s/keys/token/1", dir);
        _cleanup_free_ char *k0 = xasprintf("%s/keys/token/0", dir);
        _cleanup_free_ char *k2 = xasprintf("%s/keys/token/2", dir);
        TokenPayload p = sample();
        TokenPayload out = {};

        _cleanup_free_ char *before = encode(&p);
        assert_int_equal(token_keys_rotate(dir, 5), 0);
        assert_int_equal(token_keys_load(dir), 0);
        _cleanup_free_ char *after = encode(&p);

        /* Leave only the promoted key: new tokens need it and nothing else. */
        assert_int_equal(unlink(k1), 0);
        assert_int_equal(unlink(k0), 0);
        assert_true(test_exists(k2));
        assert_int_equal(token_keys_load(dir), 0);
        assert_int_equal(token_decode(after, &out), 0);
        token_payload_done(&out);
        assert_int_equal(token_decode(before, &out), -EPERM);

        /* A repository with only a staged key has no primary. */
        assert_int_equal(rename(k2, k0), 0);
        assert_int_equal(token_keys_load(dir), -ENOENT);
        /* Rotation needs the staged key. */
        assert_int_equal(rename(k0, k1), 0);
        assert_int_equal(token_keys_rotate(dir, 3), -ENOENT);
}

static void test_staged_key_accepted(void **state) {
        const char *dir = *state;
        TokenPayload p = sample();
        TokenPayload out = {};

        /*
         * A second daemon (here: a copy of the repository taken before the
         * rotation) already holds the staged key, so it accepts tokens the
         * first daemon issues with that key once promoted.
         */
        char *copy = test_tmpdir_new();
        assert_non_null(copy);
        assert_int_equal(token_keys_init(copy), 0); /* creates the directory */
        for (int i = 0; i <= 1; i++) {
                _cleanup_free_ char *src = xasprintf("%s/keys/token/%d", dir, i);
                _cleanup_free_ char *dst = xasprintf("%s/keys/token/%d", copy, i);
                _cleanup_free_ char *data = NULL;
                size_t len;
                _cleanup_fclose_ FILE *in = fopen(src, "re");
                assert_non_null(in);
                data = xmalloc(4096);
                len = fread(data, 1, 4096, in);
                _cleanup_fclose_ FILE *o = fopen(dst, "we");
                assert_non_null(o);
                assert_int_equal(fwrite(data, 1, len, o), len);
        }

        assert_int_equal(token_keys_rotate(dir, 3), 0);
        assert_int_equal(token_keys_load(dir), 0);
        _cleanup_free_ char *t = encode(&p);

        assert_int_equal(token_keys_load(copy), 0);
        int r = token_decode(t, &out);
        token_payload_done(&out);
        assert_int_equal(token_keys_load(dir), 0);
        assert_int_equal(test_tmpdir_remove(copy), 0);
        assert_int_equal(r, 0);
}

static void test_bad_payload(void **state) {
        TokenPayload p = sample();
        TokenPayload out = {};

        /* A token for nobody could never be decoded, so it is not made. */
        char *t = NULL;
        p.user_id = NULL;
        assert_int_equal(token_encode(&p, &t), -EINVAL);
        assert_null(t);
        p.user_id = (char *) "";
        assert_int_equal(token_encode(&p, &t), -EINVAL);
        assert_null(t);
        assert_null(out.user_id);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_keys, teardown_keys)
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_audit_id),
                T(test_init_layout),
                T(test_load_missing),
                T(test_roundtrip),
                T(test_roundtrip_scopes),
                T(test_encode_invalid),
                T(test_tampered),
                T(test_truncated),
                T(test_garbage),
                T(test_wrong_key),
                T(test_rotate),
                T(test_rotate_promotes),
                T(test_staged_key_accepted),
                T(test_bad_payload),
        };
#undef T
        return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
