/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image service (Glance v2 subset) as the API layer sees it: image
 * records with visibility, properties, tags and members; uploads streamed
 * into the store with checksums and format inspection; downloads.
 * Records are json_t objects in the API's own shape, so handlers render
 * them without translation.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
#include "util/jx.h"

/* Sets the store directory and quotas from cfg; creates the directory. */
int image_setup(const Config *cfg);
/*
 * Makes the store consistent after a crash: uploads that were in flight go
 * back to queued, temporary files and files of no image are removed.
 */
int image_recover(Ctx *c);

/* Filters, sorting and paging of an image list, as parsed from the query. */
typedef struct ImageListQuery {
        json_t *filters;         /* column or property name -> string value */
        char **tags;             /* every tag must be present */
        const char *visibility;  /* NULL: the default set; else public/private/shared/community/all */
        const char *member_status; /* for shared images: accepted (default), pending, rejected, all */
        int64_t size_min, size_max; /* -1: unset */
        int os_hidden;           /* -1 unset (false by default), 0, 1 */
        char *order_by;          /* SQL ORDER BY clause from validated keys */
        const char *marker;      /* id of the last image of the previous page */
        int64_t limit;
} ImageListQuery;

void image_list_query_done(ImageListQuery *q);
/* Parses sort_key/sort_dir or sort=key:dir into q->order_by; -EINVAL with a message. */
int image_list_sort(Ctx *c, ImageListQuery *q, char **keys, char **dirs, const char *sort);

/* The image as the caller may see it (-ENOENT if it does not exist or is not visible). */
int image_get(Ctx *c, const char *id, json_t **ret);
/* Images visible to the caller matching q; *ret_more tells whether a next page exists. */
int image_list(Ctx *c, const ImageListQuery *q, json_t **ret, bool *ret_more);
int image_create(Ctx *c, const json_t *req, json_t **ret);
/* Applies a JSON patch (RFC 6902 subset, and Glance's older {"replace": path} form). */
int image_patch(Ctx *c, const char *id, const json_t *ops, json_t **ret);
int image_delete(Ctx *c, const char *id);
int image_deactivate(Ctx *c, const char *id, bool deactivate);
int image_tag(Ctx *c, const char *id, const char *tag, bool add);

int image_member_add(Ctx *c, const char *id, const char *member, json_t **ret);
int image_member_list(Ctx *c, const char *id, json_t **ret);
int image_member_get(Ctx *c, const char *id, const char *member, json_t **ret);
int image_member_update(Ctx *c, const char *id, const char *member, const char *status, json_t **ret);
int image_member_delete(Ctx *c, const char *id, const char *member);

/* An upload in progress; see image_upload_begin. */
typedef struct ImageUpload ImageUpload;

/*
 * Starts storing data for image id: checks permission, formats and quota
 * (against content_length when known, -1 if not), moves it to saving, and
 * opens a temporary file.  Data is hashed as it is written.
 */
int image_upload_begin(Ctx *c, const char *id, int64_t content_length, ImageUpload **ret);
int image_upload_write(Ctx *c, ImageUpload *u, const void *data, size_t n);
/*
 * Verifies the data (format matches disk_format, no references to other
 * files), renames it into place and makes the image active.  On failure
 * the data is removed and the image is queued again.  Frees u.
 */
int image_upload_finish(Ctx *c, ImageUpload *u);
/* Undoes image_upload_begin (client went away, or a write failed).  Frees u. */
void image_upload_abort(Ctx *c, ImageUpload *u);

/*
 * Opens the data of image id for reading.  -ENODATA if the image has none
 * yet (the API answers 204), -EACCES if deactivated and the caller is no
 * admin.  *ret_image gets the record.
 */
int image_open_data(Ctx *c, const char *id, int *ret_fd, uint64_t *ret_size, json_t **ret_image);

/*
 * For other services that make images from files of their own (compute's
 * snapshots, image_import.c).  The record is created with image_create
 * by the caller; these run later, in a task, with no caller to check.
 *
 * image_import_file streams the file at path into image id, which must
 * be queued: the upload path of PUT .../file (quota, checksums, format
 * inspection against the declared disk_format) makes it active.  0 at
 * once if the image is active already (a task run again); -EBUSY while
 * another upload of it runs; -ENOENT ("No image found") if it is gone.
 */
int image_import_file(Ctx *c, const char *id, const char *path);
/* Deletes image id whoever owns it (a snapshot that failed or is no longer needed); 0 if it is gone. */
int image_import_discard(Ctx *c, const char *id);
/* Whether key, of an image as image_get renders it, is a user property (Nova's image metadata), not an attribute. */
bool image_key_is_property(const char *key);

/*
 * For other services (compute's image cache): the stored record of image
 * id (its columns, os_hash_value among them) and the path of its data in
 * the store, with no visibility check (the caller checked with image_get
 * when the request came in).  -ENODATA if the image is not active or
 * deactivated, -ENOENT if there is no such image; no message either way.
 */
int image_data_path(Ctx *c, const char *id, char **ret_path, json_t **ret_record);
