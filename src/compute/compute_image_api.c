/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nova's image proxy: /compute/v2.1/images (list, detail, show, delete,
 * to 2.35) and /images/{id}/metadata (to 2.38), which older clients and
 * tempest's compute image tests use.  Every call goes to the image
 * service in process, with the caller's rights; the answers are in
 * Nova's image view (status ACTIVE/SAVING/..., minRam, minDisk, the
 * properties as metadata, the server of a snapshot).
 */
#include "compute/compute_api.h"
#include "image/image.h"

#include <ctype.h>

/* The last microversions that have these routes (Nova's MAX_PROXY_API_SUPPORT_VERSION, and 2.38 for metadata). */
#define PROXY_MAX API_VERSION(2, 35)
#define METADATA_MAX API_VERSION(2, 38)

/* ---- the view ---- */

static json_t *links(const char *collection, const char *id, bool alternate) {
        _cleanup_free_ char *self = xasprintf("%s/compute/v2.1/%s/%s", api_base_url(), collection, id);
        _cleanup_free_ char *bookmark = xasprintf("%s/compute/%s/%s", api_base_url(), collection, id);
        json_t *l = json_pack("[{s:s, s:s}, {s:s, s:s}]", "rel", "self", "href", self, "rel", "bookmark", "href",
                              bookmark);
        if (alternate) {
                _cleanup_free_ char *glance = xasprintf("%s/image/images/%s", api_base_url(), id);
                json_array_append_new(l, json_pack("{s:s, s:s, s:s}", "rel", "alternate", "type",
                                                   "application/vnd.openstack.image", "href", glance));
        }
        return l;
}

/* The user properties of an image as image_get renders it: Nova's image metadata. */
static json_t *properties(const json_t *img) {
        json_t *meta = json_object(), *v;
        const char *key;
        json_object_foreach((json_t *) img, key, v)
                if (image_key_is_property(key))
                        json_object_set(meta, key, v);
        return meta;
}

static const char *nova_status(const char *status) {
        static const struct {
                const char *glance, *nova;
        } map[] = {
                { "active", "ACTIVE" },   { "queued", "SAVING" },         { "saving", "SAVING" },
                { "deleted", "DELETED" }, { "pending_delete", "DELETED" }, { "killed", "ERROR" },
        };
        for (size_t i = 0; status && i < ELEMENTSOF(map); i++)
                if (streq(status, map[i].glance))
                        return map[i].nova;
        return "UNKNOWN";
}

static int progress(const char *status) {
        return streq_ptr(status, "active") ? 100 : streq_ptr(status, "saving") ? 50 : streq_ptr(status, "queued") ? 25 : 0;
}

static json_t *image_brief(const json_t *img) {
        const char *id = jx_string(img, "id");
        return json_pack("{s:s, s:O, s:o}", "id", id, "name", json_object_get(img, "name") ?: json_null(), "links",
                         links("images", id, true));
}

static json_t *image_detail(const json_t *img) {
        const char *status = jx_string(img, "status");
        json_t *o = image_brief(img), *meta = properties(img);
        const json_t *size = json_object_get(img, "size");
        json_object_set_new(o, "minRam", json_integer(json_integer_value(json_object_get(img, "min_ram"))));
        json_object_set_new(o, "minDisk", json_integer(json_integer_value(json_object_get(img, "min_disk"))));
        json_object_set(o, "created", json_object_get(img, "created_at"));
        json_object_set(o, "updated", json_object_get(img, "updated_at"));
        json_object_set_new(o, "status", json_string(nova_status(status)));
        json_object_set_new(o, "progress", json_integer(progress(status)));
        json_object_set_new(o, "OS-EXT-IMG-SIZE:size", json_is_integer(size) ? json_integer(json_integer_value(size))
                                                                             : json_null());
        const char *server = jx_string(meta, "instance_uuid");
        if (server)
                json_object_set_new(o, "server", json_pack("{s:s, s:o}", "id", server, "links",
                                                           links("servers", server, false)));
        const char *auto_disk = jx_string(meta, "auto_disk_config");
        bool b = false;
        if (auto_disk && parse_bool(auto_disk, &b) >= 0)
                json_object_set_new(o, "OS-DCF:diskConfig", json_string(b ? "AUTO" : "MANUAL"));
        json_object_set_new(o, "metadata", meta);
        return o;
}

/* The image as the caller sees it, with Nova's 404. */
static int image_of(Ctx *c, const char *id, json_t **ret) {
        int r = uuid_is_dashed(id) ? image_get(c, id, ret) : -ENOENT;
        if (r == -ENOENT) {
                ctx_clear_error(c);
                return ctx_error(c, -ENOENT, RES_IMAGE, "Image not found.");
        }
        return r;
}

/* ---- list, show, delete ---- */

/* Nova's filters and what the image service calls them (property-* passes through as the property). */
static const struct {
        const char *nova, *glance;
} filters[] = {
        { "name", "name" },       { "status", "status" }, { "server", "instance_uuid" },
        { "type", "image_type" }, { "minRam", "min_ram" }, { "minDisk", "min_disk" },
};

static void add_filter(const char *name, const char *value, void *userdata) {
        ImageListQuery *q = userdata;
        if (startswith(name, "property-") && name[strlen("property-")])
                json_object_set_new(q->filters, name + strlen("property-"), json_string(value));
        for (size_t i = 0; i < ELEMENTSOF(filters); i++) {
                if (!streq(name, filters[i].nova))
                        continue;
                _cleanup_free_ char *v = xstrdup(value);
                if (streq(name, "status"))
                        for (char *p = v; *p; p++)
                                *p = (char) tolower((unsigned char) *p);
                /* A server filter may be its URL. */
                const char *slash = streq(name, "server") ? strrchr(v, '/') : NULL;
                json_object_set_new(q->filters, filters[i].glance, json_string(slash ? slash + 1 : v));
        }
}

static int images_list_view(Ctx *c, const ApiCall *call, ApiReply *reply, bool detail) {
        ImageListQuery q = { .filters = json_object(), .size_min = -1, .size_max = -1, .os_hidden = -1 };
        _cleanup_json_ json_t *rows = NULL;
        const char *limit = api_query(call, "limit");
        bool more = false;
        int r = 0;

        if (limit && parse_int64(limit, 0, INT64_MAX, &q.limit) < 0)
                r = ctx_error(c, -EINVAL, RES_IMAGE, "limit param must be an integer");
        q.marker = api_query(call, "marker");
        api_query_foreach(call, add_filter, &q);
        /* Glance's default order: the newest first. */
        if (r >= 0)
                r = image_list_sort(c, &q, (char *[]) { NULL }, (char *[]) { NULL }, NULL);
        if (r >= 0)
                r = image_list(c, &q, &rows, &more);
        int64_t page = q.limit;
        image_list_query_done(&q);
        if (r < 0)
                return r;
        json_t *out = json_array(), *img;
        size_t i;
        json_array_foreach(rows, i, img)
                json_array_append_new(out, detail ? image_detail(img) : image_brief(img));
        reply->body = json_pack("{s:o}", "images", out);
        if (more && json_array_size(out) > 0) {
                const char *last = jx_string(json_array_get(out, json_array_size(out) - 1), "id");
                _cleanup_free_ char *next = xasprintf("%s/compute/v2.1/images%s?limit=%lld&marker=%s", api_base_url(),
                                                      detail ? "/detail" : "", (long long) page, last);
                json_object_set_new(reply->body, "images_links", json_pack("[{s:s, s:s}]", "rel", "next", "href", next));
        }
        return 0;
}

static int images_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return images_list_view(c, call, reply, false);
}

static int images_detail(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return images_list_view(c, call, reply, true);
}

static int images_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *img = NULL;
        int r = image_of(c, api_param(call, "image_id"), &img);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "image", image_detail(img));
        return 0;
}

static int images_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "image_id");
        int r = uuid_is_dashed(id) ? image_delete(c, id) : -ENOENT;
        if (r == -ENOENT) {
                ctx_clear_error(c);
                return ctx_error(c, -ENOENT, RES_IMAGE, "Image not found.");
        }
        return r;
}

/* ---- metadata ---- */

/* A JSON pointer to property key (RFC 6901: '~' and '/' escaped). */
static char *pointer(const char *key) {
        Buf b = {};
        buf_puts(&b, "/");
        for (const char *p = key; *p; p++)
                buf_puts(&b, *p == '~' ? "~0" : *p == '/' ? "~1" : (char[]) { *p, 0 });
        return buf_steal(&b);
}

static void op_add(json_t *ops, const char *op, const char *key, const json_t *value) {
        _cleanup_free_ char *path = pointer(key);
        json_t *o = json_pack("{s:s, s:s}", "op", op, "path", path);
        if (value)
                json_object_set(o, "value", (json_t *) value);
        json_array_append_new(ops, o);
}

/* Nova's check of an image's metadata against the metadata_items quota (403). */
static int check_quota(Ctx *c, size_t n) {
        int64_t limit = -1;
        int r = c->auth.project_id ? compute_quota_limit(c, c->auth.project_id, "metadata_items", &limit) : 0;
        if (r < 0)
                return r;
        if (limit >= 0 && (int64_t) n > limit)
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Image metadata limit exceeded");
        return 0;
}

/* Applies ops to image id and answers with its metadata after them. */
static int patch_metadata(Ctx *c, const char *id, const json_t *ops, json_t **ret_meta) {
        _cleanup_json_ json_t *img = NULL;
        int r = json_array_size(ops) ? image_patch(c, id, ops, &img) : image_of(c, id, &img);
        if (r == -ENOENT) {
                ctx_clear_error(c);
                return ctx_error(c, -ENOENT, RES_IMAGE, "Image not found.");
        }
        if (r < 0)
                return r;
        *ret_meta = properties(img);
        return 0;
}

static int metadata_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *img = NULL;
        int r = image_of(c, api_param(call, "image_id"), &img);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "metadata", properties(img));
        return 0;
}

/* POST merges the body's keys into the metadata; PUT replaces the metadata with them. */
static int metadata_set(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply, bool replace) {
        const char *id = api_param(call, "image_id"), *key;
        const json_t *meta = json_object_get(body, "metadata"), *v;
        _cleanup_json_ json_t *img = NULL, *old = NULL, *ops = json_array(), *after = NULL;
        int r = image_of(c, id, &img);
        if (r < 0)
                return r;
        old = properties(img);
        size_t n = json_object_size(meta);
        json_object_foreach(old, key, v) {
                if (replace && !json_object_get(meta, key))
                        op_add(ops, "remove", key, NULL);
                else if (!replace && !json_object_get(meta, key))
                        n++;
        }
        r = check_quota(c, n);
        if (r < 0)
                return r;
        json_object_foreach((json_t *) meta, key, v)
                op_add(ops, "add", key, v);
        r = patch_metadata(c, id, ops, &after);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:O}", "metadata", replace ? meta : after);
        return 0;
}

static int metadata_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return metadata_set(c, call, body, reply, false);
}

static int metadata_update_all(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return metadata_set(c, call, body, reply, true);
}

static int metadata_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *img = NULL, *meta = NULL;
        const char *key = api_param(call, "key");
        int r = image_of(c, api_param(call, "image_id"), &img);
        if (r < 0)
                return r;
        meta = properties(img);
        if (!json_object_get(meta, key))
                return ctx_error(c, -ENOENT, RES_IMAGE, "The resource could not be found.");
        reply->body = json_pack("{s:{s:O}}", "meta", key, json_object_get(meta, key));
        return 0;
}

static int metadata_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "image_id"), *key = api_param(call, "key");
        const json_t *meta = json_object_get(body, "meta");
        _cleanup_json_ json_t *img = NULL, *ops = json_array(), *after = NULL;
        if (!json_object_get(meta, key))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Request body and URI mismatch");
        int r = image_of(c, id, &img);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *old = properties(img);
        r = check_quota(c, json_object_size(old) + !json_object_get(old, key));
        if (r < 0)
                return r;
        op_add(ops, "add", key, json_object_get(meta, key));
        r = patch_metadata(c, id, ops, &after);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:O}", "meta", meta);
        return 0;
}

static int metadata_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "image_id"), *key = api_param(call, "key");
        _cleanup_json_ json_t *img = NULL, *meta = NULL, *ops = json_array(), *after = NULL;
        int r = image_of(c, id, &img);
        if (r < 0)
                return r;
        meta = properties(img);
        if (!json_object_get(meta, key))
                return ctx_error(c, -ENOENT, RES_IMAGE, "Invalid metadata key");
        op_add(ops, "remove", key, NULL);
        return patch_metadata(c, id, ops, &after);
}

const ApiRoute compute_image_routes[] = {
        { "GET", "/v2.1/images", images_list, POLICY_AUTHENTICATED, .max_version = PROXY_MAX },
        { "GET", "/v2.1/images/detail", images_detail, POLICY_AUTHENTICATED, .max_version = PROXY_MAX },
        { "GET", "/v2.1/images/{image_id}", images_show, POLICY_AUTHENTICATED, .max_version = PROXY_MAX },
        { "DELETE", "/v2.1/images/{image_id}", images_delete, POLICY_AUTHENTICATED, NULL, 204,
          .max_version = PROXY_MAX },
        { "GET", "/v2.1/images/{image_id}/metadata", metadata_list, POLICY_AUTHENTICATED, .max_version = METADATA_MAX },
        { "POST", "/v2.1/images/{image_id}/metadata", metadata_create, POLICY_AUTHENTICATED,
          "compute-image-metadata.json", .max_version = METADATA_MAX },
        { "PUT", "/v2.1/images/{image_id}/metadata", metadata_update_all, POLICY_AUTHENTICATED,
          "compute-image-metadata.json", .max_version = METADATA_MAX },
        { "GET", "/v2.1/images/{image_id}/metadata/{key}", metadata_show, POLICY_AUTHENTICATED,
          .max_version = METADATA_MAX },
        { "PUT", "/v2.1/images/{image_id}/metadata/{key}", metadata_update, POLICY_AUTHENTICATED,
          "compute-image-meta-item.json", .max_version = METADATA_MAX },
        { "DELETE", "/v2.1/images/{image_id}/metadata/{key}", metadata_delete, POLICY_AUTHENTICATED, NULL, 204,
          .max_version = METADATA_MAX },
        {},
};
