/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the key pair parser (src/compute/compute_pubkey.h): keys
 * of every supported type made by ssh-keygen, whose fingerprints must
 * equal ssh-keygen's own MD5 ones, a certificate made by openssl (its
 * SHA1 fingerprint likewise), then hand-made blobs for every way a key
 * can be malformed, each of which must be refused with a reason.
 */
#include "test-helpers.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <openssl/evp.h>

#include "compute/compute_pubkey.h"
#include "util/fileio.h"

static int setup_tmpdir(void **state) {
        *state = test_tmpdir_new();
        return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state) {
        return test_tmpdir_remove(*state);
}

/* Runs argv with stdout to out_path (or /dev/null) and stderr to /dev/null; returns its exit status or -1. */
static int run(const char *out_path, char *const argv[]) {
        int status;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : null;
                if (null < 0 || out < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
                    dup2(null, STDERR_FILENO) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#define RUN(out, ...) run((out), (char *const[]) { __VA_ARGS__, NULL })

static char *slurp(const char *dir, const char *name) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        char *data = NULL;
        assert_int_equal(read_file(path, 1 << 20, &data, NULL), 0);
        return data;
}

/* ssh-keygen's key of type and bits in dir, and the MD5 fingerprint it prints for it. */
static void check_generated(const char *dir, const char *type, const char *bits) {
        _cleanup_free_ char *key = xasprintf("%s/%s-%s", dir, type, bits), *pub = xasprintf("%s.pub", key);
        _cleanup_free_ char *fp_out = xasprintf("%s.fp", key), *line = NULL, *fp_line = NULL, *fp = NULL;
        Error e = {};

        assert_int_equal(RUN(NULL, "ssh-keygen", "-q", "-t", (char *) type, "-b", (char *) bits, "-N", "", "-C",
                             "gureum test", "-f", key),
                         0);
        assert_int_equal(RUN(fp_out, "ssh-keygen", "-l", "-E", "md5", "-f", pub), 0);
        assert_int_equal(read_file(pub, 1 << 20, &line, NULL), 0);
        assert_int_equal(read_file(fp_out, 1 << 20, &fp_line, NULL), 0);
        line[strcspn(line, "\n")] = '\0';
        assert_int_equal(compute_pubkey_ssh(line, &fp, &e), 0);
        /* "2048 MD5:aa:bb:... gureum test (RSA)" */
        const char *md5 = strstr(fp_line, "MD5:");
        assert_non_null(md5);
        assert_int_equal(strncmp(md5 + 4, fp, strlen(fp)), 0);
        assert_int_equal(strlen(fp), 47);
}

static void test_generated_keys(void **state) {
        check_generated(*state, "rsa", "2048");
        check_generated(*state, "rsa", "1024");
        check_generated(*state, "ed25519", "256");
        check_generated(*state, "ecdsa", "256");
        check_generated(*state, "ecdsa", "384");
        check_generated(*state, "ecdsa", "521");
}

static void test_x509(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *key = xasprintf("%s/k.pem", dir), *cert = xasprintf("%s/c.pem", dir);
        _cleanup_free_ char *fp_out = xasprintf("%s/fp", dir), *pem = NULL, *printed = NULL, *fp = NULL;
        Error e = {};

        assert_int_equal(RUN(NULL, "openssl", "req", "-x509", "-nodes", "-days", "1", "-newkey", "rsa:2048", "-keyout",
                             key, "-out", cert, "-subj", "/CN=gureum-test"),
                         0);
        assert_int_equal(RUN(fp_out, "openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha1"), 0);
        pem = slurp(dir, "c.pem");
        printed = slurp(dir, "fp");
        assert_int_equal(compute_pubkey_x509(pem, &fp, &e), 0);
        /* "SHA1 Fingerprint=AA:BB:..." in upper case; ours is lower case, as Nova's. */
        const char *eq = strchr(printed, '=');
        assert_non_null(eq);
        assert_int_equal(strlen(fp), 59);
        for (size_t i = 0; i < strlen(fp); i++)
                assert_int_equal(tolower((unsigned char) eq[1 + i]), fp[i]);

        /* A private key, or an SSH key, is not a certificate. */
        _cleanup_free_ char *priv = slurp(dir, "k.pem");
        char *fp2 = NULL;
        assert_int_equal(compute_pubkey_x509(priv, &fp2, &e), -EINVAL);
        assert_null(fp2);
        assert_true(e.message[0]);
        Error e2 = {};
        assert_int_equal(compute_pubkey_x509("ssh-ed25519 AAAA", &fp2, &e2), -EINVAL);
        Error e3 = {};
        assert_int_equal(compute_pubkey_x509("", &fp2, &e3), -EINVAL);
        /* A certificate with its body cut short. */
        pem[strlen(pem) / 2] = '\0';
        Error e4 = {};
        assert_int_equal(compute_pubkey_x509(pem, &fp2, &e4), -EINVAL);
}

/* ---- hand-made blobs ---- */

typedef struct Blob {
        unsigned char data[4096];
        size_t n;
} Blob;

static void put_string(Blob *b, const void *s, size_t n) {
        b->data[b->n++] = (unsigned char) (n >> 24);
        b->data[b->n++] = (unsigned char) (n >> 16);
        b->data[b->n++] = (unsigned char) (n >> 8);
        b->data[b->n++] = (unsigned char) n;
        memcpy(b->data + b->n, s, n);
        b->n += n;
}

static void put_cstr(Blob *b, const char *s) {
        put_string(b, s, strlen(s));
}

/* "<type> <base64 of b> comment" */
static char *line_of(const char *type, const Blob *b) {
        unsigned char out[8192];
        int n = EVP_EncodeBlock(out, b->data, (int) b->n);
        return xasprintf("%s %.*s comment", type, n, out);
}

/* Refused with a reason, and *ret untouched. */
static void refused(const char *line) {
        char *fp = NULL;
        Error e = {};
        assert_int_equal(compute_pubkey_ssh(line, &fp, &e), -EINVAL);
        assert_null(fp);
        assert_true(e.message[0]);
        if (getenv("GUREUM_TEST_VERBOSE"))
                fprintf(stderr, "refused: %s\n", e.message);
}

static void accepted(const char *line) {
        _cleanup_free_ char *fp = NULL;
        Error e = {};
        assert_int_equal(compute_pubkey_ssh(line, &fp, &e), 0);
        assert_int_equal(strlen(fp), 47);
}

/* A well-formed RSA blob with exponent e (bytes) and a modulus of n_len bytes (odd, top bit clear). */
static void rsa_blob(Blob *b, const unsigned char *e, size_t e_len, size_t n_len) {
        unsigned char n[300];
        memset(n, 0x5b, sizeof(n));
        n[0] = 0x00;
        n[1] = 0xc3;
        n[n_len - 1] = 0x25;
        b->n = 0;
        put_cstr(b, "ssh-rsa");
        put_string(b, e, e_len);
        put_string(b, n, n_len);
}

static void test_rsa_rules(void **state) {
        static const unsigned char e65537[] = { 0x01, 0x00, 0x01 }, e_even[] = { 0x01, 0x00, 0x02 },
                                   e_one[] = { 0x01 }, e_negative[] = { 0x81 };
        Blob b;
        _cleanup_free_ char *ok = NULL, *even = NULL, *one = NULL, *neg = NULL, *big = NULL, *trailing = NULL;
        _cleanup_free_ char *cut = NULL, *wrong_inner = NULL;

        rsa_blob(&b, e65537, sizeof(e65537), 257);
        ok = line_of("ssh-rsa", &b);
        accepted(ok);
        /* The same blob under another type, or with bytes after the key. */
        wrong_inner = line_of("ssh-ed25519", &b);
        refused(wrong_inner);
        b.data[b.n++] = 0;
        trailing = line_of("ssh-rsa", &b);
        refused(trailing);
        /* Cut in the middle of the modulus. */
        rsa_blob(&b, e65537, sizeof(e65537), 257);
        b.n -= 10;
        cut = line_of("ssh-rsa", &b);
        refused(cut);
        rsa_blob(&b, e_even, sizeof(e_even), 257);
        even = line_of("ssh-rsa", &b);
        refused(even);
        rsa_blob(&b, e_one, sizeof(e_one), 257);
        one = line_of("ssh-rsa", &b);
        refused(one);
        rsa_blob(&b, e_negative, sizeof(e_negative), 257);
        neg = line_of("ssh-rsa", &b);
        refused(neg);
        /* e must be smaller than n. */
        unsigned char huge_e[300];
        memset(huge_e, 0x7f, sizeof(huge_e));
        rsa_blob(&b, huge_e, 280, 257);
        big = line_of("ssh-rsa", &b);
        refused(big);
}

static void test_ed25519_rules(void **state) {
        unsigned char k[40] = { 1, 2, 3 };
        Blob b = {};
        _cleanup_free_ char *ok = NULL, *short_key = NULL, *long_key = NULL;
        put_cstr(&b, "ssh-ed25519");
        put_string(&b, k, 32);
        ok = line_of("ssh-ed25519", &b);
        accepted(ok);
        b.n = 0;
        put_cstr(&b, "ssh-ed25519");
        put_string(&b, k, 31);
        short_key = line_of("ssh-ed25519", &b);
        refused(short_key);
        b.n = 0;
        put_cstr(&b, "ssh-ed25519");
        put_string(&b, k, 33);
        long_key = line_of("ssh-ed25519", &b);
        refused(long_key);
}

static void test_ecdsa_rules(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *key = xasprintf("%s/ec", dir), *pub = NULL, *off = NULL, *compressed = NULL;
        _cleanup_free_ char *other_curve = NULL, *typed_384 = NULL;
        unsigned char raw[512];
        assert_int_equal(RUN(NULL, "ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key), 0);
        pub = slurp(dir, "ec.pub");
        /* Decode, then tamper with the point. */
        char *sp = strchr(pub, ' ');
        size_t n64 = strcspn(sp + 1, " \n");
        int n = EVP_DecodeBlock(raw, (const unsigned char *) sp + 1, (int) n64);
        assert_true(n > 0);
        while (n > 0 && raw[n - 1] == 0 && n % 3 != 0)
                n--;
        Blob b = {};
        /* type(4+19) curve(4+8) point(4+65) */
        memcpy(b.data, raw, 104);
        b.n = 104;
        b.data[104 - 1] ^= 0x01; /* the last byte of Y: off the curve */
        off = line_of("ecdsa-sha2-nistp256", &b);
        refused(off);
        b.data[104 - 1] ^= 0x01;
        b.data[4 + 19 + 4 + 8 + 4] = 0x02; /* a compressed point's prefix */
        compressed = line_of("ecdsa-sha2-nistp256", &b);
        refused(compressed);
        b.data[4 + 19 + 4 + 8 + 4] = 0x04;
        memcpy(b.data + 4 + 19 + 4, "nistp384", 8); /* the curve's name says another curve */
        other_curve = line_of("ecdsa-sha2-nistp256", &b);
        refused(other_curve);
        typed_384 = line_of("ecdsa-sha2-nistp384", &b);
        refused(typed_384);
}

static void test_line_format(void **state) {
        unsigned char k[32] = { 9 };
        Blob b = {};
        put_cstr(&b, "ssh-ed25519");
        put_string(&b, k, 32);
        _cleanup_free_ char *ok = line_of("ssh-ed25519", &b);
        const char *blob = strchr(ok, ' ') + 1;
        size_t bn = strcspn(blob, " ");
        _cleanup_free_ char *tab = xasprintf("ssh-ed25519\t%.*s", (int) bn, blob);
        _cleanup_free_ char *no_comment = xasprintf("ssh-ed25519 %.*s", (int) bn, blob);
        _cleanup_free_ char *lead = xasprintf(" %s", ok);
        _cleanup_free_ char *unpadded = xasprintf("ssh-ed25519 %.*s", (int) bn - 1, blob);
        _cleanup_free_ char *junk = xasprintf("ssh-ed25519 %.*s!%s", (int) bn / 2, blob, blob + bn / 2);
        _cleanup_free_ char *dss = xasprintf("ssh-dss %.*s", (int) bn, blob);
        _cleanup_free_ char *huge = xmalloc(COMPUTE_PUBKEY_MAX + 16);

        accepted(tab);
        accepted(no_comment);
        refused(lead);
        refused(unpadded);
        refused(junk);
        refused(dss);
        refused("");
        refused("ssh-rsa");
        refused("ssh-rsa ");
        refused("ssh-rsa ====");
        refused("ssh-rsa A===");
        refused("ssh-rsa AAAA");
        memset(huge, 'A', COMPUTE_PUBKEY_MAX + 8);
        memcpy(huge, "ssh-rsa ", 8);
        huge[COMPUTE_PUBKEY_MAX + 8] = '\0';
        refused(huge);

        /* The fingerprint is the MD5 of the blob, whatever the comment. */
        _cleanup_free_ char *fp1 = NULL, *fp2 = NULL;
        Error e = {};
        assert_int_equal(compute_pubkey_ssh(ok, &fp1, &e), 0);
        assert_int_equal(compute_pubkey_ssh(no_comment, &fp2, &e), 0);
        assert_string_equal(fp1, fp2);
        unsigned char md5[EVP_MAX_MD_SIZE];
        unsigned int mn = 0;
        char hex[64];
        EVP_Digest(b.data, b.n, md5, &mn, EVP_md5(), NULL);
        hex_encode(md5, mn, hex);
        for (unsigned i = 0; i < mn; i++) {
                assert_int_equal(fp1[3 * i], hex[2 * i]);
                assert_int_equal(fp1[3 * i + 1], hex[2 * i + 1]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_generated_keys, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_x509, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test(test_rsa_rules),
                cmocka_unit_test(test_ed25519_rules),
                cmocka_unit_test_setup_teardown(test_ecdsa_rules, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test(test_line_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
