/* SPDX-License-Identifier: Apache-2.0 */
/* The file store of image data (see image_store.h). */
#include "image/image_store.h"
#include "image/file_digest.h"
#include "util/fileio.h"

#include <dirent.h>
#include <fcntl.h>

#define TMP_PREFIX ".tmp-"

struct StoreWriter {
        int fd;
        char *tmp_path;
        char *final_path;
        uint64_t size;
        FileDigest *md5;         /* both follow the writer on threads of their own */
        FileDigest *sha512;
        bool committed;
};

static char *dir;

int store_setup(const char *path) {
        free(dir);
        dir = xstrdup(path);
        return mkdir_p(dir, 0750);
}

const char *store_dir(void) {
        return dir;
}

char *store_path(const char *id) {
        if (!uuid_is_dashed(id))
                return NULL;
        return xasprintf("%s/%s", dir, id);
}

StoreWriter *store_writer_free(StoreWriter *w) {
        if (!w)
                return NULL;
        /* The digest threads read fd: stop them before it closes. */
        file_digest_free(w->md5);
        file_digest_free(w->sha512);
        if (w->fd >= 0)
                close(w->fd);
        if (!w->committed && w->tmp_path)
                unlink(w->tmp_path);
        free(w->tmp_path);
        free(w->final_path);
        free(w);
        return NULL;
}

int store_writer_new(const char *id, StoreWriter **ret) {
        StoreWriter *w;
        uint8_t rnd[6];
        int r;

        if (!uuid_is_dashed(id))
                return -EINVAL;
        w = xcalloc(1, sizeof(*w));
        random_bytes(rnd, sizeof(rnd));
        w->tmp_path = xasprintf("%s/" TMP_PREFIX "%s-%02x%02x%02x%02x%02x%02x", dir, id, rnd[0], rnd[1], rnd[2],
                                rnd[3], rnd[4], rnd[5]);
        w->final_path = store_path(id);
        w->fd = open(w->tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (w->fd < 0) {
                r = -errno;
                free(TAKE_PTR(w->tmp_path));
                store_writer_free(w);
                return r;
        }
        r = file_digest_start(w->fd, EVP_md5(), &w->md5);
        if (r >= 0)
                r = file_digest_start(w->fd, EVP_sha512(), &w->sha512);
        if (r < 0) {
                store_writer_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

int store_writer_write(StoreWriter *w, const void *data, size_t n) {
        int r = write_all(w->fd, data, n);
        if (r < 0)
                return r;
        w->size += n;
        file_digest_advance(w->md5, w->size);
        file_digest_advance(w->sha512, w->size);
        return 0;
}

uint64_t store_writer_size(const StoreWriter *w) {
        return w->size;
}

int store_writer_fd(const StoreWriter *w) {
        return w->fd;
}

int store_writer_flush(StoreWriter *w, char md5[static 33], char sha512[static 129]) {
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        int r;

        /* The digest threads catch up while the data goes to disk. */
        if (fsync(w->fd) < 0)
                return -errno;
        r = file_digest_finish(w->md5, w->size, hex);
        if (r < 0)
                return r;
        memcpy(md5, hex, 33);
        r = file_digest_finish(w->sha512, w->size, hex);
        if (r < 0)
                return r;
        memcpy(sha512, hex, 129);
        return 0;
}

static int fsync_dir(void) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int store_writer_commit(StoreWriter *w) {
        if (rename(w->tmp_path, w->final_path) < 0)
                return -errno;
        w->committed = true;
        return fsync_dir();
}

int store_delete(const char *id) {
        _cleanup_free_ char *path = store_path(id);
        if (!path)
                return -EINVAL;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int store_sweep(bool (*is_live)(const char *id, void *userdata), void *userdata) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int removed = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (startswith(de->d_name, TMP_PREFIX) || !is_live(de->d_name, userdata)) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
                        if (unlink(path) == 0)
                                removed++;
                }
        }
        closedir(d);
        return removed;
}
