/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/servers/{id}/metadata and /servers/{id}/tags (2.26):
 * Nova's server_metadata and server_tags controllers.  Handlers parse
 * and render; compute_server_meta.c and compute_server_tag.c decide.
 */
#include "compute/compute_api.h"

/* ---- metadata ---- */

static int metadata_index(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *meta = NULL;
        int r = compute_server_metadata_get(c, api_param(call, "server_id"), &meta);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "metadata", meta);
        return 0;
}

/* POST merges, PUT replaces; both answer with the whole metadata (200, as Nova). */
static int metadata_write(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply, bool replace) {
        json_t *meta = NULL;
        int r = compute_server_metadata_update(c, api_param(call, "server_id"), json_object_get(body, "metadata"),
                                               replace, &meta);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "metadata", meta);
        return 0;
}

static int metadata_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return metadata_write(c, call, body, reply, false);
}

static int metadata_update_all(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return metadata_write(c, call, body, reply, true);
}

static int metadata_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *meta = NULL;
        const char *key = api_param(call, "key");
        int r = compute_server_metadata_get(c, api_param(call, "server_id"), &meta);
        if (r < 0)
                return r;
        json_t *v = json_object_get(meta, key);
        if (!v)
                return ctx_error(c, -ENOENT, RES_SERVER, "Metadata item was not found");
        reply->body = json_pack("{s:{s:O}}", "meta", key, v);
        return 0;
}

/* PUT .../metadata/{key} {"meta": {key: value}}: the one key must be the URL's. */
static int metadata_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "server_id"), *key = api_param(call, "key");
        json_t *meta = json_object_get(body, "meta");
        _cleanup_json_ json_t *rec = NULL;
        /* Nova finds the server before it reads the body. */
        int r = compute_server_get(c, id, &rec);
        if (r < 0)
                return r;
        if (!json_object_get(meta, key))
                return ctx_error(c, -EINVAL, RES_SERVER, "Request body and URI mismatch");
        r = compute_server_metadata_update(c, id, meta, false, NULL);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:O}", "meta", meta);
        return 0;
}

static int metadata_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_server_metadata_delete(c, api_param(call, "server_id"), api_param(call, "key"));
}

/* ---- tags (2.26) ---- */

static int tags_index(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *tags = NULL;
        int r = compute_server_tags_list(c, api_param(call, "server_id"), &tags);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "tags", tags);
        return 0;
}

static int tags_update_all(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *tags = NULL;
        int r = compute_server_tags_replace(c, api_param(call, "server_id"), json_object_get(body, "tags"), &tags);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "tags", tags);
        return 0;
}

static int tags_delete_all(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_server_tags_clear(c, api_param(call, "server_id"));
}

static int tag_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_server_tag_check(c, api_param(call, "server_id"), api_param(call, "tag"));
}

/*
 * 201 when the tag is new, 204 when the server had it.  Both carry the
 * tag's Location: Nova's 204 does not, but tempest's schema asks for it
 * in either case.
 */
static int tag_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "server_id"), *tag = api_param(call, "tag");
        bool created = false;
        int r = compute_server_tag_add(c, id, tag, &created);
        if (r < 0)
                return r;
        reply->status = created ? 201 : 204;
        Buf location = {};
        buf_printf(&location, "%s/compute/v2.1/servers/%s/tags/", api_base_url(), id);
        buf_put_urlencoded(&location, tag);
        api_reply_header(reply, "Location", location.data);
        buf_done(&location);
        return 0;
}

static int tag_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_server_tag_remove(c, api_param(call, "server_id"), api_param(call, "tag"));
}

#define TAGS API_VERSION(2, 26)

const ApiRoute compute_meta_routes[] = {
        { "GET", "/v2.1/servers/{server_id}/metadata", metadata_index, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/servers/{server_id}/metadata", metadata_create, POLICY_AUTHENTICATED,
          "compute-server-metadata.json" },
        { "PUT", "/v2.1/servers/{server_id}/metadata", metadata_update_all, POLICY_AUTHENTICATED,
          "compute-server-metadata.json" },
        { "GET", "/v2.1/servers/{server_id}/metadata/{key}", metadata_show, POLICY_AUTHENTICATED },
        { "PUT", "/v2.1/servers/{server_id}/metadata/{key}", metadata_update, POLICY_AUTHENTICATED,
          "compute-server-metadata-item.json" },
        { "DELETE", "/v2.1/servers/{server_id}/metadata/{key}", metadata_delete, POLICY_AUTHENTICATED, NULL, 204 },
        { "GET", "/v2.1/servers/{server_id}/tags", tags_index, POLICY_AUTHENTICATED, .min_version = TAGS },
        { "PUT", "/v2.1/servers/{server_id}/tags", tags_update_all, POLICY_AUTHENTICATED, "compute-server-tags.json",
          .min_version = TAGS },
        { "DELETE", "/v2.1/servers/{server_id}/tags", tags_delete_all, POLICY_AUTHENTICATED, NULL, 204,
          .min_version = TAGS },
        { "GET", "/v2.1/servers/{server_id}/tags/{tag}", tag_show, POLICY_AUTHENTICATED, NULL, 204,
          .min_version = TAGS },
        { "PUT", "/v2.1/servers/{server_id}/tags/{tag}", tag_update, POLICY_AUTHENTICATED, .min_version = TAGS },
        { "DELETE", "/v2.1/servers/{server_id}/tags/{tag}", tag_delete, POLICY_AUTHENTICATED, NULL, 204,
          .min_version = TAGS },
        {},
};
