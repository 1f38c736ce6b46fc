/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server actions beyond power, as POST /servers/{id}/action takes
 * them: rebuild, resize, confirmResize, revertResize, createImage,
 * changePassword, rescue, unrescue, shelve, shelveOffload, unshelve and
 * os-resetState.  Handlers parse the body and shape the answer for the
 * microversion; compute_lifecycle.h decides.
 */
#include "compute/compute_api.h"
#include "compute/compute_lifecycle.h"

#include <arpa/inet.h>

/* An IPv6 address as Nova stores it: canonical (inet_ntop of inet_pton). */
static char *ipv6_canonical(const char *s) {
        struct in6_addr a;
        char out[INET6_ADDRSTRLEN];
        if (!s || inet_pton(AF_INET6, s, &a) != 1 || !inet_ntop(AF_INET6, &a, out, sizeof(out)))
                return s ? xstrdup(s) : NULL;
        return xstrdup(out);
}

static void add_location(ApiReply *reply, const char *id) {
        _cleanup_free_ char *location = xasprintf("%s/compute/v2.1/servers/%s", api_base_url(), id);
        api_reply_header(reply, "Location", location);
}

/*
 * 202 with the server in its rebuilding state: the shape of PUT's answer
 * (the full one from 2.75) with adminPass, key_name from 2.54,
 * user_data from 2.57 and trusted_image_certificates from 2.63, as Nova
 * answers.
 */
static int rebuild(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        int v = api_version(call);
        _cleanup_free_ char *ipv6 = ipv6_canonical(jx_string(value, "accessIPv6")), *pass = NULL;
        _cleanup_json_ json_t *rec = NULL;
        json_t *o;
        ServerRebuild rq = {
                .image_ref = jx_string(value, "imageRef"), .name = jx_string(value, "name"),
                .admin_pass = jx_string(value, "adminPass"), .metadata = json_object_get(value, "metadata"),
                .access_ipv4 = jx_string(value, "accessIPv4"), .access_ipv6 = ipv6,
                .has_description = json_object_get(value, "description") != NULL,
                .description = jx_string(value, "description"),
                .has_key_name = v >= API_VERSION(2, 54) && json_object_get(value, "key_name"),
                .key_name = jx_string(value, "key_name"),
                .has_user_data = v >= API_VERSION(2, 57) && json_object_get(value, "user_data"),
                .user_data = jx_string(value, "user_data"),
        };
        int r = compute_server_rebuild(c, id, &rq, &pass);
        if (r >= 0)
                r = compute_server_get(c, id, &rec);
        if (r >= 0)
                r = compute_server_render_one(c, call, rec, SERVER_VIEW_UPDATE, &o);
        if (r < 0)
                return r;
        /* The full view of 2.75 shows user_data as its own key, not the admin's OS-EXT-SRV-ATTR one. */
        json_object_del(o, "OS-EXT-SRV-ATTR:user_data");
        if (v >= API_VERSION(2, 54))
                json_object_set(o, "key_name", json_object_get(rec, "key_name"));
        if (v >= API_VERSION(2, 57))
                json_object_set(o, "user_data", json_object_get(rec, "user_data"));
        /* gureum checks no image signatures: a server trusts no certificates. */
        if (v >= API_VERSION(2, 63) && !json_object_get(o, "trusted_image_certificates"))
                json_object_set_new(o, "trusted_image_certificates", json_null());
        json_object_set_new(o, "adminPass", json_string(pass));
        add_location(reply, id);
        reply->body = json_pack("{s:o}", "server", o);
        return 0;
}

static int resize(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        const json_t *ref = json_object_get(value, "flavorRef");
        _cleanup_free_ char *flavor = json_is_integer(ref)
                                              ? xasprintf("%lld", (long long) json_integer_value(ref))
                                              : xstrdup(json_string_value(ref));
        return compute_server_resize(c, id, flavor);
}

static int confirm_resize(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_confirm_resize(c, id);
}

static int revert_resize(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_revert_resize(c, id);
}

/* 202 with the image's URL in Location (tempest takes the id from it); from 2.45 {"image_id"} instead. */
static int create_image(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        int v = api_version(call);
        _cleanup_free_ char *image_id = NULL;
        int r = compute_server_snapshot(c, id, jx_string(value, "name"), json_object_get(value, "metadata"),
                                        v < API_VERSION(2, 39), &image_id);
        if (r < 0)
                return r;
        if (v >= API_VERSION(2, 45)) {
                reply->body = json_pack("{s:s}", "image_id", image_id);
                return 0;
        }
        _cleanup_free_ char *location = xasprintf("%s/image/v2/images/%s", api_base_url(), image_id);
        api_reply_header(reply, "Location", location);
        return 0;
}

static int change_password(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_change_password(c, id);
}

/* 200 (not 202, for compatibility, as in Nova) with the password the rescue guest gets. */
static int rescue(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        _cleanup_free_ char *pass = NULL;
        int r = compute_server_rescue(c, id, jx_string(value, "adminPass"), jx_string(value, "rescue_image_ref"), &pass);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:s}", "adminPass", pass);
        return 0;
}

static int unrescue(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_unrescue(c, id);
}

static int shelve(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_shelve(c, id);
}

static int shelve_offload(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_shelve_offload(c, id);
}

/* From 2.77 the body may name the zone of a SHELVED_OFFLOADED server. */
static int unshelve(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        const char *zone = api_version(call) >= API_VERSION(2, 77) ? jx_string(value, "availability_zone") : NULL;
        return compute_server_unshelve(c, id, zone);
}

static int reset_state(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_reset_state(c, id, jx_string(value, "state"));
}

const ServerActionRoute compute_lifecycle_actions[] = {
        { "rebuild", "compute-action-rebuild.json", rebuild },
        { "resize", "compute-action-resize.json", resize },
        /* 204, not 202: Nova kept the status of its first release. */
        { "confirmResize", "compute-action-confirm-resize.json", confirm_resize, 204 },
        { "revertResize", "compute-action-revert-resize.json", revert_resize },
        { "createImage", "compute-action-create-image.json", create_image },
        { "changePassword", "compute-action-change-password.json", change_password },
        { "rescue", "compute-action-rescue.json", rescue, 200 },
        { "unrescue", "compute-action-unrescue.json", unrescue },
        { "shelve", "compute-action-shelve.json", shelve },
        { "shelveOffload", "compute-action-shelve-offload.json", shelve_offload },
        /* The first entry whose min_version the call reaches is taken: 2.77's schema first. */
        { "unshelve", "compute-action-unshelve-v277.json", unshelve, 0, API_VERSION(2, 77) },
        { "unshelve", "compute-action-unshelve.json", unshelve },
        { "os-resetState", "compute-action-reset-state.json", reset_state },
        {},
};
