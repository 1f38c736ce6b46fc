/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images that another service fills from a file on this host: a
 * server's snapshot (Nova's createImage and shelve).  The record is made
 * with the caller's rights when the request comes (image_create); later
 * the service's task streams the file through the path that PUT .../file
 * uses (image_upload_begin/write/finish), so checksums, format inspection
 * and the owner's byte quota apply to it as to any upload.  The task has
 * no caller, so nothing here checks one.
 */
#include "image/image_internal.h"
#include "util/log.h"

#include <fcntl.h>
#include <sys/stat.h>

/* Bytes read from the file per write into the upload. */
#define IMPORT_CHUNK (1 << 20)

bool image_key_is_property(const char *key) {
        return !image_attr_is_column(key);
}

int image_import_file(Ctx *c, const char *id, const char *path) {
        _cleanup_json_ json_t *row = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ uint8_t *chunk = NULL;
        ImageUpload *u = NULL;
        struct stat st;
        int r = image_row_load(c, id, &row);
        if (r == -ENOENT)
                return image_not_found(c, id);
        if (r < 0)
                return r;
        const char *status = jx_string(row, "status");
        /* A task run again after its upload completed finds its work done. */
        if (streq(status, "active"))
                return 0;
        if (streq(status, "saving"))
                return ctx_error(c, -EBUSY, RES_IMAGE, "Image %s is already being uploaded.", id);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "Cannot read the data for image %s: %s.", id, strerror(errno));
        r = image_upload_begin_row(c, row, (int64_t) st.st_size, &u);
        if (r < 0)
                return r;
        chunk = xmalloc(IMPORT_CHUNK);
        for (;;) {
                ssize_t k = read(fd, chunk, IMPORT_CHUNK);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = ctx_error(c, -EIO, RES_IMAGE, "Cannot read the data for image %s: %s.", id, strerror(errno));
                        break;
                }
                if (k == 0)
                        break;
                r = image_upload_write(c, u, chunk, (size_t) k);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                image_upload_abort(c, u);
                return r;
        }
        return image_upload_finish(c, u);
}

int image_import_discard(Ctx *c, const char *id) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_load(c, id, &row);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "image", c->request_id, "discarding image %s, whose data never came", id);
        return image_delete_row(c, id);
}
