/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /image: Glance v2's routes, declared once, and their handlers: version
 * discovery, images, data upload (streamed) and download (sendfile, with
 * ranges), actions, tags, members, schemas and store info.
 */
#include "api/api.h"
#include "api/api_range.h"
#include "api/api_schema.h"
#include "image/image.h"
#include "util/embed.h"

#include <inttypes.h>

/* ---- versions ---- */

static int versions(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        static const char *const ids[] = { "v2.16", "v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3",
                                           "v2.2", "v2.1", "v2.0" };
        _cleanup_free_ char *href = xasprintf("%s/image/v2/", api_base_url());
        json_t *list = json_array();
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                json_array_append_new(list, json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "id", ids[i], "status",
                                                      i == 0 ? "CURRENT" : "SUPPORTED", "links", "rel", "self",
                                                      "href", href));
        reply->body = json_pack("{s:o}", "versions", list);
        reply->status = 300;
        return 0;
}

/* ---- images ---- */

static int parse_count(Ctx *c, const char *name, const char *v, int64_t max, int64_t *ret) {
        if (parse_int64(v, 0, max, ret) < 0)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value '%s' for parameter %s: a non-negative integer is expected.",
                                 v, name);
        return 0;
}

typedef struct ListParams {
        ImageListQuery *q;
        Buf next;                /* the query string of the next page, without marker */
} ListParams;

static bool is_special(const char *name) {
        static const char *const special[] = { "limit", "marker", "sort_key", "sort_dir", "sort", "visibility",
                                                "member_status", "tag", "size_min", "size_max", "os_hidden" };
        for (size_t i = 0; i < ELEMENTSOF(special); i++)
                if (streq(name, special[i]))
                        return true;
        return false;
}

static void collect_param(const char *name, const char *value, void *userdata) {
        ListParams *p = userdata;
        if (!is_special(name))
                json_object_set_new(p->q->filters, name, json_string(value));
        if (streq(name, "marker"))
                return;
        buf_puts(&p->next, p->next.len ? "&" : "");
        buf_put_urlencoded(&p->next, name);
        buf_puts(&p->next, "=");
        buf_put_urlencoded(&p->next, value);
}

static int images_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        ImageListQuery q = { .filters = json_object(), .size_min = -1, .size_max = -1, .os_hidden = -1, .limit = 25 };
        ListParams p = { .q = &q };
        _cleanup_strv_free_ char **keys = api_query_all(call, "sort_key"), **dirs = api_query_all(call, "sort_dir");
        json_t *images = NULL;
        bool more = false, hidden;
        const char *v;
        int r = 0;

        api_query_foreach(call, collect_param, &p);
        q.tags = api_query_all(call, "tag");
        q.visibility = api_query(call, "visibility");
        q.member_status = api_query(call, "member_status");
        q.marker = api_query(call, "marker");
        if ((v = api_query(call, "limit")))
                r = parse_count(c, "limit", v, INT32_MAX, &q.limit);
        if (r >= 0 && (v = api_query(call, "size_min")))
                r = parse_count(c, "size_min", v, INT64_MAX, &q.size_min);
        if (r >= 0 && (v = api_query(call, "size_max")))
                r = parse_count(c, "size_max", v, INT64_MAX, &q.size_max);
        if (r >= 0 && (v = api_query(call, "os_hidden"))) {
                if (parse_bool(v, &hidden) < 0)
                        r = ctx_error(c, -EINVAL, RES_IMAGE, "Invalid value '%s' for parameter os_hidden.", v);
                else
                        q.os_hidden = hidden;
        }
        if (q.limit > 1000)
                q.limit = 1000; /* Glance's api_limit_max */
        if (r >= 0)
                r = image_list_sort(c, &q, keys, dirs, api_query(call, "sort"));
        if (r >= 0)
                r = image_list(c, &q, &images, &more);
        if (r >= 0) {
                reply->body = json_pack("{s:o, s:s, s:s}", "images", images, "first", "/v2/images", "schema",
                                        "/v2/schemas/images");
                size_t n = json_array_size(images);
                if (more && n > 0) {
                        const char *last = jx_string(json_array_get(images, n - 1), "id");
                        Buf next = {};
                        buf_printf(&next, "/v2/images?%s%smarker=", p.next.data ? p.next.data : "", p.next.len ? "&" : "");
                        buf_put_urlencoded(&next, last);
                        json_object_set_new(reply->body, "next", json_string(next.data));
                        buf_done(&next);
                }
        }
        buf_done(&p.next);
        image_list_query_done(&q);
        return r;
}

static int images_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *image;
        int r = image_create(c, body, &image);
        if (r < 0)
                return r;
        _cleanup_free_ char *location = xasprintf("%s/image/v2/images/%s", api_base_url(), jx_string(image, "id"));
        api_reply_header(reply, "Location", location);
        reply->body = image;
        return 0;
}

static int images_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_get(c, api_param(call, "image_id"), &reply->body);
}

/* The JSON-patch media types of Glance's 2.1 and older 2.0 API (the pipeline checks them). */
static const char *const patch_media[] = {
        "application/openstack-images-v2.1-json-patch",
        "application/openstack-images-v2.0-json-patch",
        NULL,
};

static int images_patch(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_patch(c, api_param(call, "image_id"), body, &reply->body);
}

static int images_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_delete(c, api_param(call, "image_id"));
}

static int image_deactivate_action(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_deactivate(c, api_param(call, "image_id"), true);
}

static int image_reactivate_action(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_deactivate(c, api_param(call, "image_id"), false);
}

static int tag_add(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_tag(c, api_param(call, "image_id"), api_param(call, "tag"), true);
}

static int tag_remove(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_tag(c, api_param(call, "image_id"), api_param(call, "tag"), false);
}

/* ---- data ---- */

static int upload_begin(Ctx *c, const ApiCall *call, void **ret_state) {
        const char *type = api_header(call, "Content-Type");
        const char *length = api_header(call, "Content-Length");
        int64_t n = -1;

        if (type && !startswith(type, "application/octet-stream"))
                return ctx_error(c, -EPROTONOSUPPORT, RES_IMAGE,
                                 "Unsupported Content-Type '%s': image data is application/octet-stream.", type);
        if (length && parse_int64(length, 0, INT64_MAX, &n) < 0)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid Content-Length.");
        return image_upload_begin(c, api_param(call, "image_id"), n, (ImageUpload **) ret_state);
}

static int upload_write(Ctx *c, void *state, const void *data, size_t n) {
        return image_upload_write(c, state, data, n);
}

static int upload_finish(Ctx *c, const ApiCall *call, void *state, ApiReply *reply) {
        return image_upload_finish(c, state);
}

static void upload_abort(Ctx *c, void *state) {
        image_upload_abort(c, state);
}

static const ApiUpload image_upload = {
        .begin = upload_begin,
        .write = upload_write,
        .finish = upload_finish,
        .abort = upload_abort,
};

static int image_download(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *image = NULL;
        const char *range = api_header(call, "Range");
        uint64_t size, start = 0, len;
        int fd, r;

        r = image_open_data(c, api_param(call, "image_id"), &fd, &size, &image);
        if (r == -ENODATA) {
                reply->status = 204; /* Glance: an image without data has no content */
                return 0;
        }
        if (r < 0)
                return r;
        len = size;
        if (range) {
                r = api_range_parse(range, size, &start, &len);
                if (r == -ERANGE) {
                        close(fd);
                        char cr[64];
                        snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
                        api_reply_header(reply, "Content-Range", cr);
                        return ctx_error(c, -ERANGE, RES_IMAGE, "Requested range not satisfiable for image of %" PRIu64 " bytes.", size);
                }
                if (r == 0) {
                        char cr[96];
                        snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, start + len - 1, size);
                        api_reply_header(reply, "Content-Range", cr);
                        reply->status = 206;
                } else {
                        start = 0;
                        len = size;
                }
        }
        if (jx_string(image, "checksum") && reply->status != 206)
                api_reply_header(reply, "Content-MD5", jx_string(image, "checksum"));
        reply->content_type = xstrdup("application/octet-stream");
        reply->has_file = true;
        reply->file_fd = fd;
        reply->file_offset = start;
        reply->file_length = len;
        return 0;
}

/* ---- members ---- */

static int members_add(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_member_add(c, api_param(call, "image_id"), jx_string(body, "member"), &reply->body);
}

static int members_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *members;
        int r = image_member_list(c, api_param(call, "image_id"), &members);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o, s:s}", "members", members, "schema", "/v2/schemas/members");
        return 0;
}

static int members_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_member_get(c, api_param(call, "image_id"), api_param(call, "member_id"), &reply->body);
}

static int members_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_member_update(c, api_param(call, "image_id"), api_param(call, "member_id"),
                                   jx_string(body, "status"), &reply->body);
}

static int members_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return image_member_delete(c, api_param(call, "image_id"), api_param(call, "member_id"));
}

/* ---- schemas and info ---- */

/* The published schema documents are embedded JSON files, served as they are. */
static int schema_doc(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *file = api_route_data(call);
        const json_t *doc = api_schema_get(file);
        if (!doc)
                return ctx_error(c, -ENOENT, RES_NONE, "No such schema.");
        reply->body = json_deep_copy(doc);
        return 0;
}

static int info_import(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        /* Interoperable image import is not offered: data goes in with PUT .../file. */
        reply->body = json_pack("{s:{s:s, s:s, s:[]}}", "import-methods", "description", "Import methods available.",
                                "type", "array", "value");
        return 0;
}

static int info_stores(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        reply->body = json_pack("{s:[{s:s, s:s, s:b}]}", "stores", "id", "file", "description",
                                "Local file store in the state directory", "default", 1);
        return 0;
}

/* The request and published schemas (src/image/schemas/), embedded by the build. */
extern const EmbeddedFile image_api_schemas[];

static const ApiRoute image_routes[] = {
        { "GET", "", versions, POLICY_PUBLIC },
        { "GET", "/", versions, POLICY_PUBLIC },
        { "GET", "/v2", versions, POLICY_PUBLIC },
        { "GET", "/v2/", versions, POLICY_PUBLIC },

        { "GET", "/v2/images", images_list, POLICY_AUTHENTICATED },
        { "POST", "/v2/images", images_create, POLICY_AUTHENTICATED, "image-create.json", 201 },
        { "GET", "/v2/images/{image_id}", images_show, POLICY_AUTHENTICATED },
        { "PATCH", "/v2/images/{image_id}", images_patch, POLICY_AUTHENTICATED, "image-patch.json", .media = patch_media },
        { "DELETE", "/v2/images/{image_id}", images_delete, POLICY_AUTHENTICATED, NULL, 204 },
        { "PUT", "/v2/images/{image_id}/file", NULL, POLICY_AUTHENTICATED, NULL, 204, .upload = &image_upload },
        { "GET", "/v2/images/{image_id}/file", image_download, POLICY_AUTHENTICATED },
        { "POST", "/v2/images/{image_id}/actions/deactivate", image_deactivate_action, POLICY_AUTHENTICATED, NULL, 204 },
        { "POST", "/v2/images/{image_id}/actions/reactivate", image_reactivate_action, POLICY_AUTHENTICATED, NULL, 204 },
        { "PUT", "/v2/images/{image_id}/tags/{tag}", tag_add, POLICY_AUTHENTICATED, NULL, 204 },
        { "DELETE", "/v2/images/{image_id}/tags/{tag}", tag_remove, POLICY_AUTHENTICATED, NULL, 204 },

        { "POST", "/v2/images/{image_id}/members", members_add, POLICY_AUTHENTICATED, "image-member-create.json" },
        { "GET", "/v2/images/{image_id}/members", members_list, POLICY_AUTHENTICATED },
        { "GET", "/v2/images/{image_id}/members/{member_id}", members_show, POLICY_AUTHENTICATED },
        { "PUT", "/v2/images/{image_id}/members/{member_id}", members_update, POLICY_AUTHENTICATED,
          "image-member-update.json" },
        { "DELETE", "/v2/images/{image_id}/members/{member_id}", members_delete, POLICY_AUTHENTICATED, NULL, 204 },

        { "GET", "/v2/schemas/image", schema_doc, POLICY_AUTHENTICATED, .data = "image-schema-image.json" },
        { "GET", "/v2/schemas/images", schema_doc, POLICY_AUTHENTICATED, .data = "image-schema-images.json" },
        { "GET", "/v2/schemas/member", schema_doc, POLICY_AUTHENTICATED, .data = "image-schema-member.json" },
        { "GET", "/v2/schemas/members", schema_doc, POLICY_AUTHENTICATED, .data = "image-schema-members.json" },
        { "GET", "/v2/info/import", info_import, POLICY_AUTHENTICATED },
        { "GET", "/v2/info/stores", info_stores, POLICY_AUTHENTICATED },
        {},
};

const ApiService image_api_service = {
        .name = "image",
        .prefix = "/image",
        .style = API_STYLE_GLANCE,
        .version_path = "/v2",
        .schemas = image_api_schemas,
        .routes = (const ApiRoute *const[]) { image_routes, NULL },
        .catalog_type = "image",
        .catalog_name = "glance",
};
