/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-host image cache of storage.h: cache_dir/<image uuid>, each a
 * copy of a Glance image whose sha512 was checked while it was copied.
 * A copy goes to a hidden temporary file next to its final name, is
 * fsynced, and is moved into place with renameat2(RENAME_NOREPLACE), so
 * a name in the cache always means "complete and verified", a crash
 * leaves at most a temporary file (which the sweep removes), and of two
 * concurrent copies of one image the first one in wins.
 */
#include "storage/storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "util/fileio.h"

/* Temporary files of a copy: ".<uuid>.tmp-XXXXXX". */
#define TMP_INFIX ".tmp-"
/* A temporary file this old belongs to a crashed copy, not a running one. */
#define TMP_STALE_SEC (24 * 3600)

static void evp_md_ctx_freep(EVP_MD_CTX **p) {
        EVP_MD_CTX_free(*p);
}

/* Copies src to fd, hashing on the way; hex gets the sha512 of what was copied. */
static int copy_hashing(const char *src_path, int fd, char hex[static 2 * 64 + 1], Error *e) {
        _cleanup_close_ int in = open(src_path, O_RDONLY | O_CLOEXEC);
        _cleanup_(evp_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_free_ uint8_t *chunk = xmalloc(1 << 20);
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned dlen = 0;

        if (in < 0)
                return error_set(e, -errno, "Cannot open the image file '%s': %s.", src_path, strerror(errno));
        if (!md || EVP_DigestInit_ex(md, EVP_sha512(), NULL) != 1)
                return error_set(e, -ENOMEM, "Cannot start a sha512 digest.");
        (void) posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (;;) {
                ssize_t k = read(in, chunk, 1 << 20);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return error_set(e, -errno, "Cannot read the image file '%s': %s.", src_path,
                                         strerror(errno));
                }
                if (k == 0)
                        break;
                EVP_DigestUpdate(md, chunk, (size_t) k);
                int r = write_all(fd, chunk, (size_t) k);
                if (r < 0)
                        return error_set(e, r, "Cannot write to the image cache: %s.", strerror(-r));
        }
        if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 64)
                return error_set(e, -EIO, "Cannot finish a sha512 digest.");
        hex_encode(digest, dlen, hex);
        return 0;
}

static int fsync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int storage_image_cache(const char *cache_dir, const char *image_id, const char *src_path, const char *sha512_hex,
                        char **ret_path, Error *e) {
        char hex[2 * 64 + 1];
        struct stat st;
        int r;

        if (!image_id || !uuid_is_dashed(image_id))
                return error_set(e, -EINVAL, "'%s' is not an image id.", image_id ? image_id : "(null)");
        if (!isempty(sha512_hex) && strlen(sha512_hex) != 128)
                return error_set(e, -EINVAL, "The sha512 of image %s is not 128 hex digits.", image_id);

        _cleanup_free_ char *path = xasprintf("%s/%s", cache_dir, image_id);
        if (stat(path, &st) == 0) {
                if (!S_ISREG(st.st_mode))
                        return error_set(e, -EEXIST, "The image cache holds something else at '%s'.", path);
                *ret_path = TAKE_PTR(path);
                return 0;
        }

        /* Searchable by the unprivileged QEMU user (see scripts/start-libvirt). */
        r = mkdir_p(cache_dir, 0755);
        if (r < 0)
                return error_set(e, r, "Cannot create the image cache '%s': %s.", cache_dir, strerror(-r));

        _cleanup_free_ char *tmp = xasprintf("%s/.%s" TMP_INFIX "XXXXXX", cache_dir, image_id);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return error_set(e, -errno, "Cannot create a file in the image cache '%s': %s.", cache_dir,
                                 strerror(errno));

        r = copy_hashing(src_path, fd, hex, e);
        if (r == 0 && !isempty(sha512_hex) && strcasecmp(hex, sha512_hex) != 0)
                r = error_set(e, -EIO, "The data of image %s does not match its sha512 hash.", image_id);
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = error_set(e, -errno, "Cannot set the mode of a cached image: %s.", strerror(errno));
        if (r == 0 && fsync(fd) < 0)
                r = error_set(e, -errno, "Cannot write image %s to the cache: %s.", image_id, strerror(errno));
        if (r == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
                if (errno != EEXIST)
                        r = error_set(e, -errno, "Cannot move image %s into the cache: %s.", image_id,
                                      strerror(errno));
                /* EEXIST: a concurrent copy won; it was verified too, so use it and drop ours. */
                (void) unlink(tmp);
        }
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        (void) fsync_dir(cache_dir);
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* ".<uuid>.tmp-XXXXXX" */
static bool is_tmp_name(const char *name) {
        return name[0] == '.' && strlen(name) == 1 + 36 + strlen(TMP_INFIX) + 6 &&
               startswith(name + 1 + 36, TMP_INFIX);
}

int storage_image_cache_sweep(const char *cache_dir, bool (*in_use)(const char *image_id, void *userdata),
                              void *userdata) {
        DIR *d = opendir(cache_dir);
        struct dirent *de;
        int removed = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (is_tmp_name(de->d_name)) {
                        if (st.st_mtime + TMP_STALE_SEC < time(NULL))
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (!uuid_is_dashed(de->d_name) || in_use(de->d_name, userdata))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                        removed++;
        }
        closedir(d);
        return removed;
}
