/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the digest thread that follows a file's writer
 * (src/image/file_digest.h): digests of a file written in uneven pieces
 * must equal OpenSSL's one-shot digests of the same bytes, an empty file
 * has the empty digest, a writer that claims more than the file holds gets
 * an error instead of a hang, and freeing a digest mid-file stops its
 * thread.
 */
#include "test-helpers.h"

#include <fcntl.h>

#include "image/file_digest.h"

static int setup_tmpdir(void **state) {
        *state = test_tmpdir_new();
        return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state) {
        return test_tmpdir_remove(*state);
}

static int open_scratch(void **state) {
        _cleanup_free_ char *path = xasprintf("%s/data", (char *) *state);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        return fd;
}

static void hex_of(const EVP_MD *md, const uint8_t *data, size_t n, char *hex) {
        uint8_t d[EVP_MAX_MD_SIZE];
        unsigned len;
        assert_int_equal(EVP_Digest(data, n, d, &len, md, NULL), 1);
        for (unsigned i = 0; i < len; i++)
                snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* 5 MiB and a bit, written in pieces that straddle the thread's 1 MiB reads. */
static void test_digest_follows_writer(void **state) {
        static const size_t pieces[] = {1, 4095, 70000, 1 << 20, 3, (3 << 20) - 1, 524288, 123};
        size_t total = 0, off = 0;
        int fd = open_scratch(state);
        FileDigest *md5 = NULL, *sha512 = NULL;
        char got[2 * EVP_MAX_MD_SIZE + 1], want[2 * EVP_MAX_MD_SIZE + 1];

        for (size_t i = 0; i < ELEMENTSOF(pieces); i++)
                total += pieces[i];
        _cleanup_free_ uint8_t *data = xmalloc(total);
        for (size_t i = 0; i < total; i++)
                data[i] = (uint8_t) (i * 2654435761u >> 13);

        assert_int_equal(file_digest_start(fd, EVP_md5(), &md5), 0);
        assert_int_equal(file_digest_start(fd, EVP_sha512(), &sha512), 0);
        for (size_t i = 0; i < ELEMENTSOF(pieces); i++) {
                assert_int_equal(write(fd, data + off, pieces[i]), (ssize_t) pieces[i]);
                off += pieces[i];
                file_digest_advance(md5, off);
                file_digest_advance(sha512, off);
        }

        assert_int_equal(file_digest_finish(md5, total, got), 0);
        hex_of(EVP_md5(), data, total, want);
        assert_string_equal(got, want);
        assert_int_equal(file_digest_finish(sha512, total, got), 0);
        hex_of(EVP_sha512(), data, total, want);
        assert_string_equal(got, want);

        file_digest_free(md5);
        file_digest_free(sha512);
        close(fd);
}

static void test_digest_of_empty_file(void **state) {
        int fd = open_scratch(state);
        FileDigest *d = NULL;
        char got[2 * EVP_MAX_MD_SIZE + 1];

        assert_int_equal(file_digest_start(fd, EVP_md5(), &d), 0);
        assert_int_equal(file_digest_finish(d, 0, got), 0);
        assert_string_equal(got, "d41d8cd98f00b204e9800998ecf8427e");
        file_digest_free(d);
        close(fd);
}

/* The writer says 100 bytes exist but the file is empty: an error, not a wait. */
static void test_digest_of_short_file_fails(void **state) {
        int fd = open_scratch(state);
        FileDigest *d = NULL;
        char got[2 * EVP_MAX_MD_SIZE + 1];

        assert_int_equal(file_digest_start(fd, EVP_sha512(), &d), 0);
        assert_int_equal(file_digest_finish(d, 100, got), -EIO);
        file_digest_free(d);
        close(fd);
}

/* An aborted upload frees its digests mid-file; the threads must end (ASan sees any leak). */
static void test_digest_free_mid_file(void **state) {
        int fd = open_scratch(state);
        FileDigest *d = NULL;
        uint8_t block[4096] = {0};

        assert_int_equal(file_digest_start(fd, EVP_md5(), &d), 0);
        assert_int_equal(write(fd, block, sizeof(block)), (ssize_t) sizeof(block));
        file_digest_advance(d, sizeof(block));
        assert_null(file_digest_free(d));
        assert_null(file_digest_free(NULL));
        close(fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_digest_follows_writer, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_digest_of_empty_file, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_digest_of_short_file_fails, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_digest_free_mid_file, setup_tmpdir, teardown_tmpdir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
