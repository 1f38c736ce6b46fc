/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the image service's files: the stored record (a json_t with
 * the columns of the images table, timestamps in usec), access checks and
 * rendering.
 */
#pragma once

#include "image/image.h"
#include "db/db.h"
#include "engine/resource.h"
#include "util/buf.h"

/*
 * Failures of the store and of the database are the server's, whatever
 * their errno: an ENOENT, EACCES, EEXIST or EINVAL from the file system,
 * or SQLite's EBUSY, must never reach the client as 404, 403, 409 or 400.
 * So they are recorded as -EIO (500), with the errno's text in the
 * message, which only the log shows.  Only a key conflict reported by the
 * database (-EEXIST) may stay a conflict.
 */

/* The config ([image] quotas), set by image_setup; borrowed from the daemon for its life. */
extern const Config *image_config;

/* Glance's lengths: property names, tags and member ids in characters, property values in bytes. */
#define IMAGE_NAME_MAX 255
#define IMAGE_VALUE_MAX 65535

/*
 * Whether s may be a tag or a member id: 1 to IMAGE_NAME_MAX characters of
 * UTF-8, none of them a control character (C0, DEL or C1).  NULL is not.
 */
bool image_name_ok(const char *s);

/* The images table, declared for the resource engine (image_record.c). */
extern const ResDef res_image;

/* The stored row of id, whoever may see it; -ENOENT without a message. */
int image_row_load(Ctx *c, const char *id, json_t **ret);
/* Whether the caller may see / change the image in row. */
bool image_visible(Ctx *c, const json_t *row);
bool image_owned(const Ctx *c, const json_t *row);
/* Records "No image found with ID X." and returns -ENOENT. */
int image_not_found(Ctx *c, const char *id);
/* The stored row of id if the caller may see it; else "No image found" (-ENOENT). */
int image_row_visible(Ctx *c, const char *id, json_t **ret);
/* Loads the row for a change by its owner (or admin): 404 if invisible, 403 if not the owner's. */
int image_row_for_change(Ctx *c, const char *id, json_t **ret);
/* The API shape of row: properties and tags loaded, links added. */
int image_render(Ctx *c, const json_t *row, json_t **ret);

/*
 * The bytes an upload holds against its project's byte quota, shared with
 * the project's other uploads in flight (image_quota.c).  Thread-safe
 * across uploads; one upload's ImageBytes is used by one thread at a time.
 */
typedef struct ImageBytes ImageBytes;

/* Opens the reservation of an upload of an image owned by project, holding nothing yet. */
ImageBytes *image_bytes_open(const char *project);
/*
 * Makes the upload hold total bytes (no-op if it holds that many).  Fails
 * with -EDQUOT, and a message, when the project's stored bytes plus every
 * reservation of its uploads would pass image_quota_bytes; -EIO if the
 * stored bytes cannot be read.
 */
int image_bytes_reserve(Ctx *c, ImageBytes *b, int64_t total);
/* Gives the reservation back and frees b (the upload failed).  NULL-safe; returns NULL. */
ImageBytes *image_bytes_close(ImageBytes *b);
/*
 * For an upload that succeeded: runs store(c, userdata), the write that
 * makes its bytes count in the images table, with the quota lock held,
 * then gives the reservation back and frees b, whatever store returns.
 * Returns store's result.
 */
int image_bytes_settle(Ctx *c, ImageBytes *b, int (*store)(Ctx *c, void *userdata), void *userdata);
/* The stored bytes of project may have grown (an image changed owner); NULL-safe. */
void image_bytes_changed(const char *project);

/* image_upload_begin for a row already loaded, with no permission check (the caller did it, or is the service). */
int image_upload_begin_row(Ctx *c, const json_t *row, int64_t content_length, ImageUpload **ret);
/* image_delete with no permission check: the row, its data; 0 if there was no such image. */
int image_delete_row(Ctx *c, const char *id);

/* Attributes only the service sets: writing one is 403 as in Glance. */
bool image_attr_read_only(const char *name);
/* Attributes stored as columns (everything else is a property). */
bool image_attr_is_column(const char *name);
