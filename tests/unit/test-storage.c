/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the storage layer (src/storage/storage.h) against the real
 * qemu-img, genisoimage and isoinfo, in a /tmp/gureum-test-* directory
 * that teardown removes: the image cache (hash checked, ids validated,
 * reuse, concurrent callers, sweep), disk info, overlays, growing,
 * flattening, and config drives read back with isoinfo.
 */
#include "test-helpers.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "storage/storage.h"
#include "util/exec.h"
#include "util/fileio.h"

static int setup_tmpdir(void **state) {
        *state = test_tmpdir_new();
        return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state) {
        return test_tmpdir_remove(*state);
}

static char *tpath(void **state, const char *name) {
        return xasprintf("%s/%s", (char *) *state, name);
}

static void sha512_hex_of(const void *data, size_t n, char hex[static 129]) {
        uint8_t d[EVP_MAX_MD_SIZE];
        unsigned len;
        assert_int_equal(EVP_Digest(data, n, d, &len, EVP_sha512(), NULL), 1);
        hex_encode(d, len, hex);
}

/* A file of n pseudo-random bytes at path; its sha512 in hex. */
static void make_file(const char *path, size_t n, char hex[static 129]) {
        _cleanup_free_ uint8_t *data = xmalloc(n);
        for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t) ((i * 2654435761u) >> 7);
        assert_int_equal(write_file_atomic(path, data, n, 0644), 0);
        sha512_hex_of(data, n, hex);
}

static void run_ok(const char *const *argv, ExecResult *res) {
        Error e = {};
        int r = exec_run(argv, 60000000, res, &e);
        if (r < 0)
                fail_msg("%s failed: %s", argv[0], e.message);
}

#define IMAGE_ID "0b5a1c4e-8f7d-4a6b-9c3e-2d1f0e9a8b7c"

static void test_cache_copies_and_verifies(void **state) {
        _cleanup_free_ char *src = tpath(state, "src.raw"), *cache = tpath(state, "cache");
        _cleanup_free_ char *path = NULL, *again = NULL;
        char hex[129];
        Error e = {};

        make_file(src, 3 * 1024 * 1024 + 17, hex);
        /* The directory is created; the hash compares case-insensitively. */
        for (char *p = hex; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                        *p = (char) (*p - 'a' + 'A');
        assert_int_equal(storage_image_cache(cache, IMAGE_ID, src, hex, &path, &e), 0);
        _cleanup_free_ char *want = xasprintf("%s/%s", cache, IMAGE_ID);
        assert_string_equal(path, want);

        _cleanup_free_ char *a = NULL, *b = NULL;
        size_t na, nb;
        assert_int_equal(read_file(src, 8 << 20, &a, &na), 0);
        assert_int_equal(read_file(path, 8 << 20, &b, &nb), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);

        /* Already there: used as it is, even if the source is gone now. */
        assert_int_equal(unlink(src), 0);
        assert_int_equal(storage_image_cache(cache, IMAGE_ID, src, hex, &again, &e), 0);
        assert_string_equal(again, want);
}

static void test_cache_refuses_bad_hash(void **state) {
        _cleanup_free_ char *src = tpath(state, "src.raw"), *cache = tpath(state, "cache");
        _cleanup_free_ char *path = NULL;
        char hex[129];
        Error e = {};

        make_file(src, 100000, hex);
        hex[5] = hex[5] == '0' ? '1' : '0';
        assert_int_equal(storage_image_cache(cache, IMAGE_ID, src, hex, &path, &e), -EIO);
        assert_null(path);
        assert_non_null(strstr(e.message, "sha512"));
        /* Nothing left behind: no final file, no temporary file. */
        _cleanup_free_ char *final = xasprintf("%s/%s", cache, IMAGE_ID);
        assert_false(test_exists(final));
        ExecResult res;
        const char *ls[] = { "ls", "-A", cache, NULL };
        run_ok(ls, &res);
        assert_string_equal(res.out, "");
        exec_result_done(&res);

        /* A hash that is not 128 digits is a caller error. */
        Error e2 = {};
        assert_int_equal(storage_image_cache(cache, IMAGE_ID, src, "abc", &path, &e2), -EINVAL);
}

static void test_cache_validates_image_id(void **state) {
        static const char *const bad[] = {
                "../../etc/passwd", "0b5a1c4e8f7d4a6b9c3e2d1f0e9a8b7c", "0b5a1c4e-8f7d-4a6b-9c3e-2d1f0e9a8b7",
                "0b5a1c4e-8f7d-4a6b-9c3e-2d1f0e9a8b7c/", "", ".", "0b5a1c4e-8f7d-4a6b-9c3e-2d1f0e9a8b7g",
        };
        _cleanup_free_ char *src = tpath(state, "src.raw"), *cache = tpath(state, "cache");
        char hex[129];

        make_file(src, 1000, hex);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *path = NULL;
                Error e = {};
                assert_int_equal(storage_image_cache(cache, bad[i], src, hex, &path, &e), -EINVAL);
                assert_null(path);
        }
        /* Nothing was made, not even the directory. */
        assert_false(test_exists(cache));

        /* A missing source. */
        char *path = NULL;
        Error e = {};
        _cleanup_free_ char *missing = tpath(state, "missing");
        assert_int_equal(storage_image_cache(cache, IMAGE_ID, missing, hex, &path, &e), -ENOENT);
        assert_null(path);
}

typedef struct CacheRace {
        const char *cache, *src, *hex;
        int r;
        char *path;
} CacheRace;

static void *race_one(void *p) {
        CacheRace *c = p;
        c->r = storage_image_cache(c->cache, IMAGE_ID, c->src, c->hex, &c->path, NULL);
        return NULL;
}

/* Four callers at once: all succeed with the same file, and no temporary file remains. */
static void test_cache_concurrent(void **state) {
        _cleanup_free_ char *src = tpath(state, "src.raw"), *cache = tpath(state, "cache");
        char hex[129];
        CacheRace c[4];
        pthread_t t[4];

        make_file(src, 8 * 1024 * 1024, hex);
        for (int i = 0; i < 4; i++) {
                c[i] = (CacheRace) { .cache = cache, .src = src, .hex = hex };
                assert_int_equal(pthread_create(&t[i], NULL, race_one, &c[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(c[i].r, 0);
                assert_string_equal(c[i].path, c[0].path);
        }
        for (int i = 0; i < 4; i++)
                free(c[i].path);
        ExecResult res;
        const char *ls[] = { "ls", "-A", cache, NULL };
        run_ok(ls, &res);
        assert_string_equal(res.out, IMAGE_ID "\n");
        exec_result_done(&res);
}

static bool keep_first(const char *image_id, void *userdata) {
        return streq(image_id, (const char *) userdata);
}

static void test_cache_sweep(void **state) {
        static const char *const ids[] = {
                "11111111-1111-4111-8111-111111111111",
                "22222222-2222-4222-8222-222222222222",
                "33333333-3333-4333-8333-333333333333",
        };
        _cleanup_free_ char *src = tpath(state, "src.raw"), *cache = tpath(state, "cache");
        char hex[129];

        make_file(src, 4096, hex);
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                _cleanup_free_ char *path = NULL;
                assert_int_equal(storage_image_cache(cache, ids[i], src, hex, &path, NULL), 0);
        }
        /* Not ours: never removed.  A fresh temporary file: a copy in progress, kept. */
        _cleanup_free_ char *other = xasprintf("%s/README", cache);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp-abcdef", cache, ids[0]);
        assert_int_equal(write_file_atomic(other, "x", 1, 0644), 0);
        assert_int_equal(write_file_atomic(tmp, "x", 1, 0644), 0);

        assert_int_equal(storage_image_cache_sweep(cache, keep_first, (void *) ids[1]), 2);
        _cleanup_free_ char *kept = xasprintf("%s/%s", cache, ids[1]);
        _cleanup_free_ char *gone = xasprintf("%s/%s", cache, ids[0]);
        assert_true(test_exists(kept));
        assert_false(test_exists(gone));
        assert_true(test_exists(other));
        assert_true(test_exists(tmp));

        /* A stale temporary file (a crashed copy) goes. */
        struct timespec old[2] = { { .tv_sec = 1000000 }, { .tv_sec = 1000000 } };
        assert_int_equal(utimensat(AT_FDCWD, tmp, old, 0), 0);
        assert_int_equal(storage_image_cache_sweep(cache, keep_first, (void *) ids[1]), 0);
        assert_false(test_exists(tmp));

        _cleanup_free_ char *missing = tpath(state, "no-cache");
        assert_int_equal(storage_image_cache_sweep(missing, keep_first, NULL), 0);
}

static void test_disk_info_overlay_grow_flatten(void **state) {
        _cleanup_free_ char *base = tpath(state, "base.raw"), *ov = tpath(state, "ov.qcow2");
        _cleanup_free_ char *flat = tpath(state, "flat.qcow2"), *raw = tpath(state, "flat.raw");
        StorageDiskInfo info;
        char hex[129];
        Error e = {};

        make_file(base, 1024 * 1024, hex);
        assert_int_equal(storage_disk_info(base, &info, &e), 0);
        assert_string_equal(info.format, "raw");
        assert_int_equal(info.virtual_size, 1024 * 1024);

        /* Requested size smaller than the base: the base's size wins. */
        assert_int_equal(storage_overlay_create(base, "raw", ov, 4096, &e), 0);
        assert_int_equal(storage_disk_info(ov, &info, &e), 0);
        assert_string_equal(info.format, "qcow2");
        assert_int_equal(info.virtual_size, 1024 * 1024);
        assert_true(info.actual_size > 0);

        /* A leftover is replaced; the requested size (rounded to 512) wins when larger. */
        assert_int_equal(storage_overlay_create(base, "raw", ov, 10 * 1024 * 1024 + 1, &e), 0);
        assert_int_equal(storage_disk_info(ov, &info, &e), 0);
        assert_int_equal(info.virtual_size, 10 * 1024 * 1024 + 512);

        /* The overlay names its base by absolute path and format. */
        ExecResult res;
        const char *qi[] = { "qemu-img", "info", "--output=json", ov, NULL };
        run_ok(qi, &res);
        _cleanup_free_ char *want_backing = xasprintf("\"backing-filename\": \"%s\"", base);
        assert_non_null(strstr(res.out, want_backing));
        assert_non_null(strstr(res.out, "\"backing-filename-format\": \"raw\""));
        exec_result_done(&res);

        /* 0: the base's size. */
        assert_int_equal(storage_overlay_create(base, "raw", ov, 0, &e), 0);
        assert_int_equal(storage_disk_info(ov, &info, &e), 0);
        assert_int_equal(info.virtual_size, 1024 * 1024);

        /* Grow: larger works, equal is a no-op, smaller is refused. */
        assert_int_equal(storage_disk_grow(ov, 20 * 1024 * 1024, &e), 0);
        assert_int_equal(storage_disk_info(ov, &info, &e), 0);
        assert_int_equal(info.virtual_size, 20 * 1024 * 1024);
        assert_int_equal(storage_disk_grow(ov, 20 * 1024 * 1024, &e), 0);
        Error e2 = {};
        assert_int_equal(storage_disk_grow(ov, 1024 * 1024, &e2), -EINVAL);
        assert_non_null(strstr(e2.message, "never shrink"));

        /* Flatten: standalone, no backing file, same guest-visible bytes. */
        assert_int_equal(storage_disk_flatten(ov, flat, "qcow2", &e), 0);
        const char *qf[] = { "qemu-img", "info", "--output=json", flat, NULL };
        run_ok(qf, &res);
        assert_null(strstr(res.out, "backing-filename"));
        exec_result_done(&res);
        assert_int_equal(storage_disk_flatten(flat, raw, "raw", &e), 0);
        assert_int_equal(storage_disk_info(raw, &info, &e), 0);
        assert_string_equal(info.format, "raw");
        assert_int_equal(info.virtual_size, 20 * 1024 * 1024);
        const char *cmp[] = { "qemu-img", "compare", "-q", ov, raw, NULL };
        run_ok(cmp, NULL);
        assert_string_equal(e.message, "");

        /* Errors. */
        Error e3 = {};
        _cleanup_free_ char *missing = tpath(state, "missing");
        assert_int_equal(storage_disk_info(missing, &info, &e3), -ENOENT);
        assert_int_equal(storage_overlay_create(missing, "raw", ov, 0, NULL), -ENOENT);
        assert_int_equal(storage_overlay_create(base, "vmdk", ov, 0, NULL), -EINVAL);
        assert_int_equal(storage_disk_flatten(ov, flat, "vmdk", NULL), -EINVAL);
        /* Not a qcow2: qemu-img says why, and the message reaches us. */
        Error e4 = {};
        assert_int_equal(storage_overlay_create(base, "qcow2", ov, 0, &e4), -EIO);
        assert_non_null(strstr(e4.message, "qemu-img"));
}

static void iso_extract(const char *iso, const char *path, ExecResult *res) {
        _cleanup_free_ char *p = xasprintf("/%s", path);
        const char *argv[] = { "isoinfo", "-R", "-i", iso, "-x", p, NULL };
        run_ok(argv, res);
}

static void test_config_drive(void **state) {
        _cleanup_free_ char *iso = tpath(state, "config.iso");
        static const char meta[] = "{\"uuid\": \"" IMAGE_ID "\", \"hostname\": \"gtest\"}";
        static const char user[] = "#!/bin/sh\necho hi\n";
        const StorageFile files[] = {
                { "openstack/latest/meta_data.json", meta, sizeof(meta) - 1 },
                { "openstack/latest/user_data", user, sizeof(user) - 1 },
                { "openstack/2012-08-10/meta_data.json", meta, sizeof(meta) - 1 },
                { "openstack/content/0000", "", 0 },
        };
        ExecResult res;
        Error e = {};

        assert_int_equal(storage_config_drive_build(iso, files, ELEMENTSOF(files), &e), 0);
        assert_string_equal(e.message, "");

        /* The volume label, as isoinfo reports it and at its fixed offset (16 * 2048 + 40). */
        const char *d[] = { "isoinfo", "-d", "-i", iso, NULL };
        run_ok(d, &res);
        assert_non_null(strstr(res.out, "Volume id: config-2"));
        assert_non_null(strstr(res.out, "Rock Ridge"));
        exec_result_done(&res);
        _cleanup_free_ char *data = NULL;
        size_t n;
        assert_int_equal(read_file(iso, 16 << 20, &data, &n), 0);
        assert_true(n > 32808 + 8);
        assert_memory_equal(data + 32808, "config-2", 8);

        iso_extract(iso, "openstack/latest/meta_data.json", &res);
        assert_string_equal(res.out, meta);
        exec_result_done(&res);
        iso_extract(iso, "openstack/latest/user_data", &res);
        assert_string_equal(res.out, user);
        exec_result_done(&res);

        /* No temporary directory is left beside the ISO. */
        const char *ls[] = { "ls", "-A", (char *) *state, NULL };
        run_ok(ls, &res);
        assert_string_equal(res.out, "config.iso\n");
        exec_result_done(&res);
}

static void test_config_drive_refuses_unsafe_paths(void **state) {
        static const char *const bad[] = {
                "/etc/passwd", "../x", "openstack/../../x", "openstack/..", "a//b", "./a", "a/./b", "", "a/",
        };
        _cleanup_free_ char *iso = tpath(state, "config.iso");

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                StorageFile f = { bad[i], "x", 1 };
                Error e = {};
                assert_int_equal(storage_config_drive_build(iso, &f, 1, &e), -EINVAL);
                assert_non_null(strstr(e.message, "safe"));
        }
        /* Duplicates, and a file that is also a directory. */
        StorageFile dup[] = { { "a/b", "x", 1 }, { "a/b", "y", 1 } };
        assert_int_equal(storage_config_drive_build(iso, dup, 2, NULL), -EINVAL);
        StorageFile clash[] = { { "a", "x", 1 }, { "a/b", "y", 1 } };
        assert_int_equal(storage_config_drive_build(iso, clash, 2, NULL), -EINVAL);
        /* Names with dots survive as they are (Nova's -allow-multidot, -ldots). */
        StorageFile dots[] = { { "ec2/latest/meta-data.json", "{}", 2 }, { ".hidden.file.name", "z", 1 } };
        assert_int_equal(storage_config_drive_build(iso, dots, 2, NULL), 0);
        ExecResult res;
        iso_extract(iso, ".hidden.file.name", &res);
        assert_string_equal(res.out, "z");
        exec_result_done(&res);

        /* Nothing but the ISO in the directory, after all those failures. */
        const char *ls[] = { "ls", "-A", (char *) *state, NULL };
        run_ok(ls, &res);
        assert_string_equal(res.out, "config.iso\n");
        exec_result_done(&res);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_cache_copies_and_verifies, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_cache_refuses_bad_hash, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_cache_validates_image_id, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_cache_concurrent, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_cache_sweep, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_disk_info_overlay_grow_flatten, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_config_drive, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_config_drive_refuses_unsafe_paths, setup_tmpdir,
                                                teardown_tmpdir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
