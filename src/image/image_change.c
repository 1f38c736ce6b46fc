/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Changing images: create, JSON-patch update, delete, deactivate and
 * reactivate, tags and members.  Every change of several rows is one
 * transaction.
 */
#include "image/image_internal.h"
#include "image/image_store.h"
#include "util/log.h"

static int check_visibility_change(Ctx *c, const char *vis) {
        /* Publishing to every project is the operator's call (Glance's publicize_image). */
        if (streq(vis, "public") && !c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_IMAGE, "You are not authorized to publicize images.");
        return 0;
}

static int count_owned(Ctx *c, const char *owner, int64_t *ret_count) {
        int r = db_query_int(c->db, ret_count, "SELECT COUNT(*) FROM images WHERE owner = ?", "s", owner);
        return r < 0 ? res_db_error(c, r, RES_IMAGE, "counting images") : 0;
}

/* The number of characters of UTF-8 text s. */
static size_t utf8_chars(const char *s) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                n += (*p & 0xc0) != 0x80;
        return n;
}

/* Glance's ImageTagLimitExceeded (413). */
static int tag_quota_exceeded(Ctx *c, int64_t attempted) {
        return ctx_error(c, -EDQUOT, RES_IMAGE,
                         "The limit has been exceeded on the number of allowed image tags. Attempted: %lld, Maximum: %lld.",
                         (long long) attempted, (long long) image_config->image_tag_quota);
}

static int invalid_tag(Ctx *c) {
        return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid tag: a tag is 1 to %d characters long, with no control characters.",
                         IMAGE_NAME_MAX);
}

/* Replaces the tags of image id with the strings in tags, a set: duplicates count once. */
static int set_tags(Ctx *c, const char *id, const json_t *tags) {
        int64_t n = 0;
        size_t i;
        json_t *t;
        int r;

        json_array_foreach(tags, i, t)
                if (!image_name_ok(json_string_value(t)))
                        return invalid_tag(c);
        r = db_run(c->db, "DELETE FROM image_tags WHERE image_id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_IMAGE, "replacing tags");
        json_array_foreach(tags, i, t) {
                r = db_run(c->db, "INSERT INTO image_tags (image_id, value) VALUES (?, ?) ON CONFLICT DO NOTHING", "ss",
                           id, json_string_value(t));
                if (r < 0)
                        return res_db_error(c, r, RES_IMAGE, "storing tags");
                /* r is 1 for a new tag, 0 for a duplicate; stop at the first one past the quota. */
                n += r;
                if (n > image_config->image_tag_quota)
                        return tag_quota_exceeded(c, n);
        }
        return 0;
}

/* Glance's lengths for a property: a name of 1 to 255 characters, a string value of at most 65535 bytes. */
static int check_property(Ctx *c, const char *name, const json_t *v) {
        size_t n = utf8_chars(name);
        if (n == 0 || n > IMAGE_NAME_MAX)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid property name: a name is 1 to %d characters long.",
                                 IMAGE_NAME_MAX);
        if (!json_is_string(v) || json_string_length(v) > IMAGE_VALUE_MAX)
                return ctx_error(c, -EINVAL, RES_IMAGE,
                                 "Invalid value for property '%s': a string of at most %d bytes is expected.", name,
                                 IMAGE_VALUE_MAX);
        return 0;
}

/* Glance's ImagePropertyLimitExceeded (413). */
static int property_quota_exceeded(Ctx *c, int64_t attempted) {
        return ctx_error(c, -EDQUOT, RES_IMAGE,
                         "The limit has been exceeded on the number of allowed image properties. Attempted: %lld, Maximum: %lld.",
                         (long long) attempted, (long long) image_config->image_property_quota);
}

/* The properties image id has now, against the quota. */
static int check_property_quota(Ctx *c, const char *id) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM image_properties WHERE image_id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_IMAGE, "counting properties");
        return n > image_config->image_property_quota ? property_quota_exceeded(c, n) : 0;
}

static int set_property(Ctx *c, const char *id, const char *name, const char *value) {
        int r = db_run(c->db,
                       "INSERT INTO image_properties (image_id, name, value) VALUES (?, ?, ?)"
                       " ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value",
                       "sss", id, name, value);
        return r < 0 ? res_db_error(c, r, RES_IMAGE, "storing a property") : 0;
}

typedef struct CreateArgs {
        const json_t *req;
        char *id;
} CreateArgs;

static int create_locked(Ctx *c, void *userdata) {
        CreateArgs *a = userdata;
        const json_t *req = a->req, *v;
        const char *key, *owner = c->auth.project_id;
        int64_t now = now_usec(), count = 0, properties = 0;
        int r;

        if (jx_string(req, "owner"))
                owner = jx_string(req, "owner");
        json_object_foreach((json_t *) req, key, v)
                properties += !image_attr_is_column(key);
        if (properties > image_config->image_property_quota)
                return property_quota_exceeded(c, properties);
        r = count_owned(c, owner, &count);
        if (r < 0)
                return r;
        if (count >= image_config->image_quota_count)
                return ctx_error(c, -EDQUOT, RES_IMAGE, "Maximum number of images (%lld) exceeded for project %s.",
                                 (long long) image_config->image_quota_count, owner);
        _cleanup_json_ json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I}", "id", a->id,
                                               "owner", owner, "status", "queued", "visibility",
                                               jx_string(req, "visibility") ? jx_string(req, "visibility") : "shared",
                                               "protected", json_is_true(json_object_get(req, "protected")),
                                               "os_hidden", json_is_true(json_object_get(req, "os_hidden")),
                                               "min_ram", (json_int_t) json_integer_value(json_object_get(req, "min_ram")),
                                               "min_disk", (json_int_t) json_integer_value(json_object_get(req, "min_disk")),
                                               "created_at", (json_int_t) now, "updated_at", (json_int_t) now);
        static const char *const optional[] = { "name", "disk_format", "container_format" };
        for (size_t i = 0; i < ELEMENTSOF(optional); i++)
                if ((v = json_object_get(req, optional[i])))
                        json_object_set(row, optional[i], (json_t *) v);
        r = res_insert(c, &res_image, row);
        if (r < 0)
                return r;
        if ((v = json_object_get(req, "tags"))) {
                r = set_tags(c, a->id, v);
                if (r < 0)
                        return r;
        }
        json_object_foreach((json_t *) req, key, v) {
                if (image_attr_is_column(key))
                        continue;
                r = check_property(c, key, v);
                if (r < 0)
                        return r;
                r = set_property(c, a->id, key, json_string_value(v));
                if (r < 0)
                        return r;
        }
        return 0;
}

int image_create(Ctx *c, const json_t *req, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        CreateArgs a = { .req = req };
        const char *key;
        json_t *v;
        int r;

        if (!c->auth.is_member)
                return ctx_error(c, -EACCES, RES_IMAGE, "You are not authorized to create images.");
        json_object_foreach((json_t *) req, key, v)
                if (image_attr_read_only(key))
                        return ctx_error(c, -EACCES, RES_IMAGE, "Attribute '%s' is read-only.", key);
        if (jx_string(req, "visibility") && (r = check_visibility_change(c, jx_string(req, "visibility"))) < 0)
                return r;
        if (jx_string(req, "owner") && !streq(jx_string(req, "owner"), c->auth.project_id) && !c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_IMAGE, "You are not permitted to create images owned by '%s'.",
                                 jx_string(req, "owner"));
        if (!c->auth.project_id && !jx_string(req, "owner"))
                return ctx_error(c, -EACCES, RES_IMAGE, "Creating an image needs a project-scoped token.");
        a.id = jx_string(req, "id") ? xstrdup(jx_string(req, "id")) : uuid_dashed_new();
        r = res_transaction(c, "committing a change", create_locked, &a);
        if (r >= 0)
                r = image_row_load(c, a.id, &row);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "image", c->request_id, "created image %s", a.id);
        free(a.id);
        if (r < 0)
                return r;
        return image_render(c, row, ret);
}

/* ---- JSON patch ---- */

/* Glance accepts RFC 6902 ({"op", "path", "value"}) and its older {"replace": "/path", "value"}. */
static int patch_op(Ctx *c, const json_t *op, const char **ret_op, char **ret_attr) {
        static const char *const ops[] = { "add", "remove", "replace" };
        const char *name = jx_string(op, "op"), *path = jx_string(op, "path");

        for (size_t i = 0; !name && i < ELEMENTSOF(ops); i++)
                if (jx_string(op, ops[i])) {
                        name = ops[i];
                        path = jx_string(op, ops[i]);
                }
        if (!name || !path)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Unable to find 'op' and 'path' in a JSON patch operation.");
        if (!streq(name, "add") && !streq(name, "remove") && !streq(name, "replace"))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid operation: '%s'.", name);
        if (path[0] != '/' || strchr(path + 1, '/'))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid JSON pointer for this resource: '%s'.", path);
        if (!streq(name, "remove") && !json_object_get(op, "value"))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Operation '%s' needs a 'value'.", name);
        /* JSON pointer escapes: ~1 is '/', ~0 is '~'. */
        Buf b = {};
        for (const char *p = path + 1; *p; p++) {
                if (p[0] == '~' && p[1] == '1') {
                        buf_puts(&b, "/");
                        p++;
                } else if (p[0] == '~' && p[1] == '0') {
                        buf_puts(&b, "~");
                        p++;
                } else
                        buf_append(&b, p, 1);
        }
        *ret_op = name;
        *ret_attr = buf_steal(&b);
        return 0;
}

static bool value_is(const json_t *v, const char *type) {
        if (streq(type, "string"))
                return json_is_string(v);
        if (streq(type, "string-or-null"))
                return json_is_string(v) || json_is_null(v);
        if (streq(type, "boolean"))
                return json_is_boolean(v);
        if (streq(type, "count"))
                return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= INT32_MAX;
        return false;
}

/* Checks one enum value against Glance's lists. */
static bool in_list(const char *v, const char *const *list) {
        for (; *list; list++)
                if (streq(v, *list))
                        return true;
        return false;
}

static const char *const disk_formats[] = { "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi",
                                            "iso", "ploop", NULL };
static const char *const container_formats[] = { "ami", "ari", "aki", "bare", "ovf", "ova", "docker",
                                                  "compressed", NULL };
static const char *const visibilities[] = { "public", "private", "shared", "community", NULL };

typedef struct PatchArgs {
        const char *id;
        const json_t *row;
        const json_t *ops;
        bool added_property;     /* an operation added a property the image did not have */
} PatchArgs;

static int patch_column(Ctx *c, const PatchArgs *a, const char *op, const char *attr, const json_t *v) {
        const char *status = jx_string(a->row, "status");
        const char *type;
        _cleanup_free_ char *sql = NULL;
        int r;

        if (streq(op, "remove"))
                return ctx_error(c, -EACCES, RES_IMAGE, "Attribute '%s' cannot be removed.", attr);
        if (streq(attr, "tags")) {
                if (!json_is_array(v))
                        return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value for 'tags': an array of strings is expected.");
                size_t i;
                json_t *t;
                json_array_foreach(v, i, t)
                        if (!json_is_string(t))
                                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value for 'tags': an array of strings is expected.");
                return set_tags(c, a->id, v);
        }
        if (streq(attr, "id"))
                return ctx_error(c, -EACCES, RES_IMAGE, "Attribute 'id' is read-only.");
        if (streq(attr, "owner") && !c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_IMAGE, "Only an admin may change the owner of an image.");
        type = streq(attr, "protected") || streq(attr, "os_hidden") ? "boolean"
               : streq(attr, "min_ram") || streq(attr, "min_disk") ? "count"
               : streq(attr, "name") ? "string-or-null"
                                     : "string";
        if (!value_is(v, type))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value for attribute '%s'.", attr);
        if (streq(attr, "name") && json_is_string(v) && utf8_chars(json_string_value(v)) > IMAGE_NAME_MAX)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value for attribute 'name': at most 255 characters.");
        if (streq(attr, "visibility")) {
                if (!in_list(json_string_value(v), visibilities))
                        return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid visibility value: %s.", json_string_value(v));
                r = check_visibility_change(c, json_string_value(v));
                if (r < 0)
                        return r;
        }
        if (streq(attr, "disk_format") || streq(attr, "container_format")) {
                if (!streq(status, "queued"))
                        return ctx_error(c, -EACCES, RES_IMAGE, "Attribute %s can be only replaced for a queued image.", attr);
                if (!in_list(json_string_value(v), streq(attr, "disk_format") ? disk_formats : container_formats))
                        return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value '%s' for attribute %s.", json_string_value(v), attr);
        }
        sql = xasprintf("UPDATE images SET %s = ? WHERE id = ?", attr);
        if (streq(type, "boolean"))
                r = db_run(c->db, sql, "bs", (int) json_is_true(v), a->id);
        else if (streq(type, "count"))
                r = db_run(c->db, sql, "is", (int64_t) json_integer_value(v), a->id);
        else
                r = db_run(c->db, sql, "ss", json_is_string(v) ? json_string_value(v) : NULL, a->id);
        return r < 0 ? res_db_error(c, r, RES_IMAGE, "updating an image") : 0;
}

static int patch_property(Ctx *c, PatchArgs *a, const char *op, const char *attr, const json_t *v) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT 1 FROM image_properties WHERE image_id = ? AND name = ?", "ss", a->id, attr);
        bool exists = r >= 0 && db_step(s) > 0;

        if (r < 0)
                return res_db_error(c, r, RES_IMAGE, "reading a property");
        if (!exists && !streq(op, "add"))
                return ctx_error(c, -EEXIST, RES_IMAGE, "Property %s does not exist.", attr);
        if (streq(op, "remove")) {
                r = db_run(c->db, "DELETE FROM image_properties WHERE image_id = ? AND name = ?", "ss", a->id, attr);
                return r < 0 ? res_db_error(c, r, RES_IMAGE, "removing a property") : 0;
        }
        r = check_property(c, attr, v);
        if (r < 0)
                return r;
        a->added_property = a->added_property || !exists;
        return set_property(c, a->id, attr, json_string_value(v));
}

static int patch_locked(Ctx *c, void *userdata) {
        PatchArgs *a = userdata;
        size_t i;
        json_t *op;

        json_array_foreach(a->ops, i, op) {
                _cleanup_free_ char *attr = NULL;
                const char *name = NULL;
                int r = patch_op(c, op, &name, &attr);
                if (r < 0)
                        return r;
                if (image_attr_read_only(attr))
                        return ctx_error(c, -EACCES, RES_IMAGE, "Attribute '%s' is read-only.", attr);
                const json_t *v = json_object_get(op, "value");
                r = image_attr_is_column(attr) ? patch_column(c, a, name, attr, v) : patch_property(c, a, name, attr, v);
                if (r < 0)
                        return r;
        }
        /*
         * As Glance: a patch that adds a property must leave the image within
         * the quota; one that only changes or removes them may not have to
         * (the quota may have been lowered).  In the patch's transaction, so
         * concurrent patches cannot pass it together.
         */
        if (a->added_property) {
                int r = check_property_quota(c, a->id);
                if (r < 0)
                        return r;
        }
        int r = db_run(c->db, "UPDATE images SET updated_at = ? WHERE id = ?", "is", now_usec(), a->id);
        return r < 0 ? res_db_error(c, r, RES_IMAGE, "updating an image") : 0;
}

int image_patch(Ctx *c, const char *id, const json_t *ops, json_t **ret) {
        _cleanup_json_ json_t *row = NULL, *updated = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        PatchArgs a = { .id = id, .row = row, .ops = ops };
        r = res_transaction(c, "committing a change", patch_locked, &a);
        if (r < 0)
                return r;
        r = image_row_load(c, id, &updated);
        if (r < 0)
                return r == -ENOENT ? image_not_found(c, id) : r;
        /* An image with data that changes owner adds to the new owner's stored bytes. */
        if (!streq_ptr(jx_string(row, "owner"), jx_string(updated, "owner")))
                image_bytes_changed(jx_string(updated, "owner"));
        return image_render(c, updated, ret);
}

int image_delete(Ctx *c, const char *id) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        if (json_is_true(json_object_get(row, "protected")))
                return ctx_error(c, -EACCES, RES_IMAGE, "Image %s is protected and cannot be deleted.", id);
        return image_delete_row(c, id);
}

int image_delete_row(Ctx *c, const char *id) {
        /* Rows first: a crash before the unlink leaves a stray file that image_recover removes. */
        int r = db_run(c->db, "DELETE FROM images WHERE id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_IMAGE, "deleting an image");
        r = store_delete(id);
        if (r < 0)
                log_full(LOG_LEVEL_WARNING, "image", c->request_id, "could not remove the data of image %s: %s", id,
                         strerror(-r));
        log_full(LOG_LEVEL_INFO, "image", c->request_id, "deleted image %s", id);
        return 0;
}

int image_deactivate(Ctx *c, const char *id, bool deactivate) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        if (!c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_IMAGE, "You are not authorized to %s images.",
                                 deactivate ? "deactivate" : "reactivate");
        const char *status = jx_string(row, "status");
        const char *from = deactivate ? "active" : "deactivated", *to = deactivate ? "deactivated" : "active";
        if (streq(status, to))
                return 0; /* already there: Glance treats this as success */
        if (!streq(status, from))
                return ctx_error(c, -EACCES, RES_IMAGE, "Not allowed to %s image in status '%s'.",
                                 deactivate ? "deactivate" : "reactivate", status);
        r = db_run(c->db, "UPDATE images SET status = ?, updated_at = ? WHERE id = ? AND status = ?", "siss", to,
                   now_usec(), id, from);
        return r < 0 ? res_db_error(c, r, RES_IMAGE, "changing the image status") : 0;
}

typedef struct TagAdd {
        const char *id;
        const char *tag;
} TagAdd;

/* Inserting, counting and touching updated_at are one change: a concurrent add can not pass the quota. */
static int tag_add(Ctx *c, void *userdata) {
        const TagAdd *a = userdata;
        int64_t tags = 0;
        int r = db_run(c->db, "INSERT INTO image_tags (image_id, value) VALUES (?, ?) ON CONFLICT DO NOTHING", "ss",
                       a->id, a->tag);
        if (r < 0)
                return res_db_error(c, r, RES_IMAGE, "adding a tag");
        /* A tag the image has already costs nothing, even at the quota. */
        if (r > 0) {
                r = db_query_int(c->db, &tags, "SELECT COUNT(*) FROM image_tags WHERE image_id = ?", "s", a->id);
                if (r < 0)
                        return res_db_error(c, r, RES_IMAGE, "counting tags");
                if (tags > image_config->image_tag_quota)
                        return tag_quota_exceeded(c, tags);
        }
        r = db_run(c->db, "UPDATE images SET updated_at = ? WHERE id = ?", "is", now_usec(), a->id);
        return r < 0 ? res_db_error(c, r, RES_IMAGE, "adding a tag") : 0;
}

int image_tag(Ctx *c, const char *id, const char *tag, bool add) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        if (!image_name_ok(tag))
                return invalid_tag(c);
        if (!add) {
                r = db_run(c->db, "DELETE FROM image_tags WHERE image_id = ? AND value = ?", "ss", id, tag);
                if (r == 0)
                        return ctx_error(c, -ENOENT, RES_IMAGE, "Tag %s not found.", tag);
                return r < 0 ? res_db_error(c, r, RES_IMAGE, "removing a tag") : 0;
        }
        return res_transaction(c, "committing a change", tag_add, &(TagAdd) { .id = id, .tag = tag });
}
