/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image records: loading, who may see and change them, the API rendering,
 * and listing with Glance's filters, sorting and marker paging.
 */
#include "image/image_internal.h"
#include "image/image_store.h"
#include "util/log.h"

const Config *image_config;

int image_setup(const Config *cfg) {
        _cleanup_free_ char *dir = config_state_path(cfg, "images");
        image_config = cfg;
        return store_setup(dir);
}

bool image_name_ok(const char *s) {
        size_t chars = 0;

        if (isempty(s) || !utf8_is_valid(s))
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                /* C0 and DEL; C1 (U+0080 to U+009F) is 0xc2 0x80 to 0xc2 0x9f in UTF-8. */
                if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
                        return false;
                if ((*p & 0xc0) != 0x80)
                        chars++;
        }
        return chars <= IMAGE_NAME_MAX;
}

static const char *const read_only_attrs[] = {
        "status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at", "updated_at",
        "self", "file", "schema", "direct_url", "locations", "location", "deleted", "deleted_at", "stores",
};

static const char *const column_attrs[] = {
        "id", "name", "owner", "visibility", "protected", "os_hidden", "disk_format", "container_format",
        "min_ram", "min_disk", "tags",
};

bool image_attr_read_only(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(read_only_attrs); i++)
                if (streq(name, read_only_attrs[i]))
                        return true;
        /* Glance reserves the os_glance namespace for itself. */
        return startswith(name, "os_glance");
}

bool image_attr_is_column(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(column_attrs); i++)
                if (streq(name, column_attrs[i]))
                        return true;
        return image_attr_read_only(name);
}

/*
 * The columns of an image.  Properties, tags and members have tables of
 * their own; rendering (image_render) puts them together.
 */
static const ResField image_fields[] = {
        { "name", RES_STRING, 0 },
        { "owner", RES_STRING, 0 },
        { "status", RES_STRING, 0 },
        { "visibility", RES_STRING, 0 },
        { "protected", RES_BOOL, 0 },
        { "os_hidden", RES_BOOL, 0 },
        { "disk_format", RES_STRING, 0 },
        { "container_format", RES_STRING, 0 },
        { "size", RES_INT, 0 },
        { "virtual_size", RES_INT, 0 },
        { "checksum", RES_STRING, 0 },
        { "os_hash_algo", RES_STRING, 0 },
        { "os_hash_value", RES_STRING, 0 },
        { "min_ram", RES_INT, 0 },
        { "min_disk", RES_INT, 0 },
        { "created_at", RES_TIME, 0 },
        { "updated_at", RES_TIME, 0 },
        {},
};

const ResDef res_image = {
        .kind = RES_IMAGE, .table = "images", .singular = "image", .plural = "images",
        .fields = image_fields, .id_kind = RES_ID_UUID, .order_by = "created_at desc, id desc",
        .not_found = "No image found with ID %s.",
        .conflict = "An image with ID %s already exists.",
};

int image_row_load(Ctx *c, const char *id, json_t **ret) {
        return res_lookup(c, &res_image, id, ret);
}

int image_not_found(Ctx *c, const char *id) {
        return ctx_error(c, -ENOENT, RES_IMAGE, "No image found with ID %s.", id);
}

bool image_owned(const Ctx *c, const json_t *row) {
        return streq_ptr(jx_string(row, "owner"), c->auth.project_id);
}

static bool is_member(Ctx *c, const char *image_id) {
        _cleanup_stmt_ DbStmt *s = NULL;
        if (!c->auth.project_id)
                return false;
        return db_query(c->db, &s, "SELECT 1 FROM image_members WHERE image_id = ? AND member_id = ?", "ss",
                        image_id, c->auth.project_id) >= 0 &&
               db_step(s) > 0;
}

bool image_visible(Ctx *c, const json_t *row) {
        const char *vis = jx_string(row, "visibility");
        if (c->auth.is_admin || image_owned(c, row) || streq(vis, "public") || streq(vis, "community"))
                return true;
        return streq(vis, "shared") && is_member(c, jx_string(row, "id"));
}

int image_row_visible(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_load(c, id, &row);
        if (r == -ENOENT || (r >= 0 && !image_visible(c, row)))
                return image_not_found(c, id);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(row);
        return 0;
}

int image_row_for_change(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_visible(c, id, &row);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !(image_owned(c, row) && c->auth.is_member))
                return ctx_error(c, -EACCES, RES_IMAGE, "You are not permitted to modify image %s.", id);
        *ret = TAKE_PTR(row);
        return 0;
}

int image_render(Ctx *c, const json_t *row, json_t **ret) {
        const char *id = jx_string(row, "id");
        _cleanup_stmt_ DbStmt *props = NULL, *tags = NULL;
        json_t *o = json_deep_copy(row), *tag_list = json_array();
        char ts[32];
        int r;

        /* Properties first, so a column of the same name can never be shadowed. */
        r = db_query(c->db, &props, "SELECT name, value FROM image_properties WHERE image_id = ? ORDER BY name", "s", id);
        while (r >= 0 && (r = db_step(props)) > 0)
                if (!json_object_get(o, db_col_text(props, 0)))
                        json_object_set_new(o, db_col_text(props, 0), json_string(db_col_text(props, 1)));
        if (r >= 0)
                r = db_query(c->db, &tags, "SELECT value FROM image_tags WHERE image_id = ? ORDER BY value", "s", id);
        while (r >= 0 && (r = db_step(tags)) > 0)
                json_array_append_new(tag_list, json_string(db_col_text(tags, 0)));
        if (r < 0) {
                json_decref(o);
                json_decref(tag_list);
                return ctx_error(c, -EIO, RES_IMAGE, "Database error while reading image %s.", id);
        }
        json_object_set_new(o, "tags", tag_list);
        json_object_set_new(o, "created_at",
                            json_string(format_iso8601(json_integer_value(json_object_get(row, "created_at")), ts)));
        json_object_set_new(o, "updated_at",
                            json_string(format_iso8601(json_integer_value(json_object_get(row, "updated_at")), ts)));
        json_object_set_new(o, "self", json_sprintf("/v2/images/%s", id));
        json_object_set_new(o, "file", json_sprintf("/v2/images/%s/file", id));
        json_object_set_new(o, "schema", json_string("/v2/schemas/image"));
        *ret = o;
        return 0;
}

int image_get(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_visible(c, id, &row);
        if (r < 0)
                return r;
        return image_render(c, row, ret);
}

void image_list_query_done(ImageListQuery *q) {
        json_decref(q->filters);
        strv_free(q->tags);
        free(q->order_by);
        *q = (ImageListQuery) {};
}

static const char *const sort_keys[] = {
        "name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at",
        "visibility", "owner", "min_ram", "min_disk", "virtual_size",
};

/* The index of k in sort_keys, or -1. */
static int sort_key_index(const char *k) {
        for (size_t i = 0; i < ELEMENTSOF(sort_keys); i++)
                if (streq(k, sort_keys[i]))
                        return (int) i;
        return -1;
}

/*
 * Appends "key dir" to the ORDER BY clause in b.  A key already there is
 * left out: it cannot change the order, and repeating it would let a
 * query grow the clause past SQLite's limit of terms (a 500).
 */
static int add_order(Ctx *c, Buf *b, bool seen[static ELEMENTSOF(sort_keys)], const char *key, const char *dir) {
        int i = sort_key_index(key);
        if (i < 0)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid sort key: %s. It should be one of the image attributes.", key);
        if (!streq(dir, "asc") && !streq(dir, "desc"))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid sort direction: %s.", dir);
        if (seen[i])
                return 0;
        seen[i] = true;
        buf_printf(b, "%s%s %s", b->len ? ", " : "", key, dir);
        return 0;
}

int image_list_sort(Ctx *c, ImageListQuery *q, char **keys, char **dirs, const char *sort) {
        bool seen[ELEMENTSOF(sort_keys)] = {};
        Buf b = {};
        int r = 0;

        if (sort && (keys[0] || dirs[0])) {
                buf_done(&b);
                return ctx_error(c, -EINVAL, RES_IMAGE, "The 'sort' parameter cannot be combined with sort_key or sort_dir.");
        }
        if (sort) {
                _cleanup_free_ char *copy = xstrdup(sort);
                char *save = NULL;
                for (char *item = strtok_r(copy, ",", &save); item && r >= 0; item = strtok_r(NULL, ",", &save)) {
                        char *colon = strchr(item, ':');
                        if (colon)
                                *colon = '\0';
                        r = add_order(c, &b, seen, item, colon ? colon + 1 : "desc");
                }
        } else {
                size_t nk = 0, nd = 0;
                while (keys[nk])
                        nk++;
                while (dirs[nd])
                        nd++;
                if (nd > 1 && nd != nk)
                        r = ctx_error(c, -EINVAL, RES_IMAGE, "The number of sort_dir and sort_key values must match.");
                for (size_t i = 0; i < nk && r >= 0; i++)
                        r = add_order(c, &b, seen, keys[i], nd == 0 ? "desc" : nd == 1 ? dirs[0] : dirs[i]);
                if (nk == 0 && nd == 1 && r >= 0)
                        r = add_order(c, &b, seen, "created_at", dirs[0]);
        }
        if (r < 0) {
                buf_done(&b);
                return r;
        }
        if (!b.len)
                buf_puts(&b, "created_at desc");
        /* id last, so pages are stable when keys tie. */
        buf_puts(&b, ", id desc");
        free(q->order_by);
        q->order_by = buf_steal(&b);
        return 0;
}

/* Column filters compare the column; anything else filters on a property. */
static void add_filters(const ImageListQuery *q, Buf *where, DbArgs *args) {
        static const char *const filter_columns[] = {
                "name", "status", "disk_format", "container_format", "owner", "size", "virtual_size",
                "min_ram", "min_disk", "protected", "id", "checksum", "os_hash_value",
        };
        const char *key;
        json_t *v;

        json_object_foreach(q->filters, key, v) {
                bool column = false;
                for (size_t i = 0; i < ELEMENTSOF(filter_columns); i++)
                        if (streq(key, filter_columns[i]))
                                column = true;
                if (column) {
                        buf_printf(where, " AND %s = ?", key);
                        if (streq(key, "protected"))
                                db_args_bool(args, streq(json_string_value(v), "true"));
                        else if (streq(key, "size") || streq(key, "virtual_size") || streq(key, "min_ram") ||
                                 streq(key, "min_disk")) {
                                int64_t num = -1;
                                (void) parse_int64(json_string_value(v), 0, INT64_MAX, &num);
                                db_args_int(args, num);
                        } else
                                db_args_str(args, json_string_value(v));
                } else {
                        buf_puts(where, " AND EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = images.id"
                                        " AND p.name = ? AND p.value = ?)");
                        db_args_str(args, key);
                        db_args_str(args, json_string_value(v));
                }
        }
        for (char **t = q->tags; t && *t; t++) {
                buf_puts(where, " AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = images.id AND t.value = ?)");
                db_args_str(args, *t);
        }
        if (q->size_min >= 0) {
                buf_puts(where, " AND size >= ?");
                db_args_int(args, q->size_min);
        }
        if (q->size_max >= 0) {
                buf_puts(where, " AND size <= ?");
                db_args_int(args, q->size_max);
        }
}

/*
 * Which images the list may show, as Glance decides: by default public
 * ones, the project's own, and those shared with it that it accepted;
 * community images only when asked for; admins see everything.
 */
static int add_visibility(Ctx *c, const ImageListQuery *q, Buf *where, DbArgs *args) {
        const char *vis = q->visibility, *ms = q->member_status ? q->member_status : "accepted";
        const char *project = c->auth.project_id ? c->auth.project_id : "";
        bool admin = c->auth.is_admin;

        if (vis && !streq(vis, "public") && !streq(vis, "private") && !streq(vis, "shared") &&
            !streq(vis, "community") && !streq(vis, "all"))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid visibility value: %s.", vis);
        if (!streq(ms, "accepted") && !streq(ms, "pending") && !streq(ms, "rejected") && !streq(ms, "all"))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid member_status value: %s.", ms);
        if (vis && !streq(vis, "all")) {
                buf_puts(where, " AND visibility = ?");
                db_args_str(args, vis);
        } else if (!vis && !admin)
                buf_puts(where, " AND visibility <> 'community'");
        if (admin && !q->member_status)
                return 0;
        /* Own images, public and community ones, and shared ones by membership status. */
        buf_puts(where, " AND (owner = ? OR visibility IN ('public', 'community') OR (visibility = 'shared' AND"
                        " EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND m.member_id = ?"
                        " AND (? = 'all' OR m.status = ?))))");
        db_args_str(args, project);
        db_args_str(args, project);
        db_args_str(args, ms);
        db_args_str(args, ms);
        return 0;
}

int image_list(Ctx *c, const ImageListQuery *q, json_t **ret, bool *ret_more) {
        _cleanup_json_ json_t *rows = NULL;
        ResQuery rq;
        size_t i;
        json_t *row;
        int r;

        res_query_init(&rq);
        buf_puts(&rq.where, " AND os_hidden = ?");
        db_args_bool(&rq.args, q->os_hidden > 0);
        r = add_visibility(c, q, &rq.where, &rq.args);
        if (r >= 0) {
                add_filters(q, &rq.where, &rq.args);
                rq.order_by = xstrdup(q->order_by);
                rq.marker = q->marker ? xstrdup(q->marker) : NULL;
                rq.limit = q->limit;
                r = res_list(c, &res_image, &rq, &rows, ret_more);
        }
        res_query_done(&rq);
        if (r < 0)
                return r;
        json_t *out = json_array();
        json_array_foreach(rows, i, row) {
                json_t *img;
                r = image_render(c, row, &img);
                if (r < 0) {
                        json_decref(out);
                        return r;
                }
                json_array_append_new(out, img);
        }
        *ret = out;
        return 0;
}

/* Keeps files of images that may have data; used by image_recover. */
static bool row_has_data(const char *id, void *userdata) {
        Ctx *c = userdata;
        _cleanup_stmt_ DbStmt *s = NULL;
        return db_query(c->db, &s, "SELECT 1 FROM images WHERE id = ? AND status IN ('active', 'deactivated')", "s",
                        id) >= 0 &&
               db_step(s) > 0;
}

int image_recover(Ctx *c) {
        /* Files first, then rows: an image reads queued only once its upload's data is gone (issue 8). */
        int r = store_sweep(row_has_data, c);
        if (r < 0)
                return r;
        if (r > 0)
                log_warning("image", "removed %d stray file(s) from the image store", r);
        r = db_run(c->db, "UPDATE images SET status = 'queued', updated_at = ? WHERE status = 'saving'", "i",
                   now_usec());
        if (r < 0)
                return r;
        if (r > 0)
                log_warning("image", "%d interrupted upload(s) set back to queued", r);
        return 0;
}
