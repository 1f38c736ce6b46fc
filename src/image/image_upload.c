/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Uploads and downloads of image data.  An upload moves the image from
 * queued to saving, streams into a temporary file with the digests
 * computed on the way, inspects the result (format must match the declared
 * disk_format, no backing or external data files), and only then renames
 * it into place and makes the image active.  Any failure, including the
 * client going away, removes the data and queues the image again.
 */
#include "image/image_internal.h"
#include "image/image_format.h"
#include "image/image_store.h"
#include "util/log.h"

#include <fcntl.h>
#include <sys/stat.h>

struct ImageUpload {
        char *id;
        char *disk_format;
        ImageBytes *bytes;       /* reserved against the owner's byte quota, ahead of each write */
        StoreWriter *writer;
};

static ImageUpload *upload_free(ImageUpload *u) {
        if (!u)
                return NULL;
        store_writer_free(u->writer);
        image_bytes_close(u->bytes);
        free(u->id);
        free(u->disk_format);
        free(u);
        return NULL;
}

/* Puts a saving image back to queued, so the owner can upload again. */
static void requeue(Ctx *c, const char *id) {
        (void) db_run(c->db, "UPDATE images SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'saving'",
                      "is", now_usec(), id);
}

/*
 * Ends an upload that failed or was abandoned, and frees u.  The cleanup
 * comes first (the digest threads stop, the temporary file goes, the
 * reserved bytes are given back) and the image reads queued only after it:
 * whoever sees queued must find no data of this upload left (issue 8).
 */
static void upload_undo(Ctx *c, ImageUpload *u) {
        _cleanup_free_ char *id = TAKE_PTR(u->id);

        upload_free(u);
        requeue(c, id);
}

int image_upload_begin(Ctx *c, const char *id, int64_t content_length, ImageUpload **ret) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        return image_upload_begin_row(c, row, content_length, ret);
}

int image_upload_begin_row(Ctx *c, const json_t *row, int64_t content_length, ImageUpload **ret) {
        const char *id = jx_string(row, "id");
        ImageBytes *bytes = NULL;
        int r;
        const char *status = jx_string(row, "status");
        if (!streq(status, "queued"))
                return ctx_error(c, -EEXIST, RES_IMAGE, "Image status transition from %s to saving is not allowed.",
                                 status);
        if (!jx_string(row, "disk_format") || !jx_string(row, "container_format"))
                return ctx_error(c, -EINVAL, RES_IMAGE,
                                 "Properties disk_format, container_format must be set prior to saving data.");
        /* A declared length is reserved whole now: an upload that cannot fit is refused before any byte. */
        bytes = image_bytes_open(jx_string(row, "owner"));
        if (content_length > 0 && (r = image_bytes_reserve(c, bytes, content_length)) < 0) {
                image_bytes_close(bytes);
                return r;
        }
        /* Claim the image; a concurrent upload loses here. */
        r = db_run(c->db, "UPDATE images SET status = 'saving', updated_at = ? WHERE id = ? AND status = 'queued'", "is",
                   now_usec(), id);
        if (r <= 0) {
                image_bytes_close(bytes);
                return r == 0 ? ctx_error(c, -EEXIST, RES_IMAGE, "Image %s is already being uploaded.", id)
                              : ctx_error(c, -EIO, RES_IMAGE, "Database error while starting the upload.");
        }

        ImageUpload *u = xcalloc(1, sizeof(*u));
        u->id = xstrdup(id);
        u->disk_format = xstrdup(jx_string(row, "disk_format"));
        u->bytes = bytes;
        r = store_writer_new(id, &u->writer);
        if (r < 0) {
                upload_undo(c, u);
                return ctx_error(c, -EIO, RES_IMAGE, "Could not create the image data file: %s.", strerror(-r));
        }
        log_full(LOG_LEVEL_INFO, "image", c->request_id, "upload of image %s started", id);
        *ret = u;
        return 0;
}

int image_upload_write(Ctx *c, ImageUpload *u, const void *data, size_t n) {
        /* Reserve first, shared with the owner's other uploads: no byte is written past the quota. */
        int r = image_bytes_reserve(c, u->bytes, (int64_t) (store_writer_size(u->writer) + n));
        if (r < 0)
                return r;
        r = store_writer_write(u->writer, data, n);
        if (r < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "Could not write image data: %s.", strerror(-r));
        return 0;
}

/* What the image becomes when its upload is complete. */
typedef struct Activation {
        const ImageUpload *u;
        uint64_t size, virtual_size;
        const char *md5, *sha512;
} Activation;

/* The row goes active with the upload's size, so its bytes count in the owner's stored bytes from now on. */
static int activate(Ctx *c, void *userdata) {
        const Activation *a = userdata;
        return db_run(c->db,
                      "UPDATE images SET status = 'active', size = ?, virtual_size = ?, checksum = ?, os_hash_algo = 'sha512',"
                      " os_hash_value = ?, updated_at = ? WHERE id = ? AND status = 'saving'",
                      "iissis", (int64_t) a->size, (int64_t) a->virtual_size, a->md5, a->sha512, now_usec(), a->u->id);
}

/* Inspects, commits and activates; on failure the caller undoes the upload (upload_undo). */
static int finish(Ctx *c, ImageUpload *u) {
        char md5[33], sha512[129];
        ImageInspection insp;
        _cleanup_free_ char *msg = NULL;
        uint64_t size = store_writer_size(u->writer);
        int r;

        r = store_writer_flush(u->writer, md5, sha512);
        if (r < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "Could not write image data: %s.", strerror(-r));
        r = image_format_inspect_fd(store_writer_fd(u->writer), size, &insp);
        if (r < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "Could not inspect the image data: %s.", strerror(-r));
        if (image_format_check_declared(u->disk_format, &insp, &msg) < 0)
                return ctx_error(c, -EINVAL, RES_IMAGE, "%s", msg);
        r = store_writer_commit(u->writer);
        if (r < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "Could not store the image data: %s.", strerror(-r));
        Activation a = { .u = u, .size = size, .virtual_size = insp.virtual_size, .md5 = md5, .sha512 = sha512 };
        r = image_bytes_settle(c, TAKE_PTR(u->bytes), activate, &a);
        if (r <= 0) {
                /* Deleted while we uploaded: the data belongs to nobody. */
                (void) store_delete(u->id);
                return r < 0 ? ctx_error(c, -EIO, RES_IMAGE, "Database error while activating the image.")
                             : image_not_found(c, u->id);
        }
        log_full(LOG_LEVEL_INFO, "image", c->request_id, "image %s is active: %llu bytes, %s, md5 %s", u->id,
                 (unsigned long long) size, image_format_to_string(insp.format), md5);
        return 0;
}

int image_upload_finish(Ctx *c, ImageUpload *u) {
        int r = finish(c, u);
        if (r < 0) {
                log_full(LOG_LEVEL_WARNING, "image", c->request_id, "upload of image %s refused: %s", u->id,
                         c->error_message ? c->error_message : "error");
                upload_undo(c, u);
        } else
                upload_free(u);
        return r;
}

void image_upload_abort(Ctx *c, ImageUpload *u) {
        if (!u)
                return;
        log_full(LOG_LEVEL_WARNING, "image", c->request_id, "upload of image %s did not complete", u->id);
        upload_undo(c, u);
}

int image_data_path(Ctx *c, const char *id, char **ret_path, json_t **ret_record) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_load(c, id, &row);
        if (r < 0)
                return r;
        const char *status = jx_string(row, "status");
        if (!streq(status, "active") && !streq(status, "deactivated"))
                return -ENODATA;
        char *path = store_path(id);
        if (!path)
                return -ENOENT;
        *ret_path = path;
        *ret_record = TAKE_PTR(row);
        return 0;
}

int image_open_data(Ctx *c, const char *id, int *ret_fd, uint64_t *ret_size, json_t **ret_image) {
        _cleanup_json_ json_t *row = NULL;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r = image_row_visible(c, id, &row);
        if (r < 0)
                return r;
        const char *status = jx_string(row, "status");
        if (streq(status, "deactivated") && !c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_IMAGE,
                                 "The requested image has been deactivated. Image data download is forbidden.");
        if (!streq(status, "active") && !streq(status, "deactivated"))
                return -ENODATA;
        path = store_path(id);
        if (!path)
                return image_not_found(c, id);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "The data of image %s is missing from the store.", id);
        if (fstat(fd, &st) < 0) {
                close(fd);
                return ctx_error(c, -EIO, RES_IMAGE, "The data of image %s is unreadable.", id);
        }
        *ret_fd = fd;
        *ret_size = (uint64_t) st.st_size;
        *ret_image = TAKE_PTR(row);
        return 0;
}
