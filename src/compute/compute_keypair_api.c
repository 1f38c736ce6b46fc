/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/os-keypairs: import or generate, list, show and delete a
 * user's key pairs, in Nova's shapes per microversion: "type" from 2.2
 * (and 201/204 instead of 200/202), another user's pairs for admins with
 * ?user_id= (and "user_id" in the body) from 2.10, paging from 2.35,
 * strict query strings from 2.75.
 */
#include "compute/compute_api.h"

/*
 * The owner a request is about: the caller, or from 2.10 the user an
 * admin names (a non-admin may name only itself, as Nova's policy).
 */
static int owner(Ctx *c, const ApiCall *call, const char *wanted, const char *what, const char **ret) {
        const char *self = c->auth.user_id ? c->auth.user_id : "";
        if (!wanted || api_version(call) < API_VERSION(2, 10) || streq(wanted, self)) {
                *ret = self;
                return 0;
        }
        if (!c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_KEYPAIR, "Policy doesn't allow os_compute_api:os-keypairs:%s to be "
                                 "performed.", what);
        *ret = wanted;
        return 0;
}

static const char *const id_params[] = { "user_id", NULL };
static const char *const list_params[] = { "user_id", "limit", "marker", NULL };

/* The fields of a list item, and of the other views on top of them. */
static json_t *render_brief(const ApiCall *call, const json_t *rec) {
        json_t *o = json_pack("{s:O, s:O, s:O}", "name", json_object_get(rec, "name"), "public_key",
                              json_object_get(rec, "public_key"), "fingerprint", json_object_get(rec, "fingerprint"));
        if (api_version(call) >= API_VERSION(2, 2))
                json_object_set(o, "type", json_object_get(rec, "type"));
        return o;
}

static int keypairs_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *k = json_object_get(body, "keypair");
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *private_key = NULL;
        const char *user_id = NULL;
        int r = owner(c, call, jx_string(k, "user_id"), "create", &user_id);
        if (r < 0)
                return r;
        KeypairCreate rq = {
                .user_id = user_id, .name = jx_string(k, "name"),
                .type = jx_string(k, "type") ? jx_string(k, "type") : "ssh", .public_key = jx_string(k, "public_key"),
        };
        r = compute_keypair_create(c, &rq, &rec, &private_key);
        if (r < 0)
                return r;
        json_t *o = render_brief(call, rec);
        json_object_set(o, "user_id", json_object_get(rec, "user_id"));
        if (private_key)
                json_object_set_new(o, "private_key", json_string(private_key));
        reply->body = json_pack("{s:o}", "keypair", o);
        return 0;
}

static int keypairs_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *rows = NULL;
        const char *user_id = NULL, *marker = NULL;
        int64_t limit = 0;
        bool more = false;
        size_t i;
        json_t *rec;
        int r = compute_api_query_strict(c, call, RES_KEYPAIR, list_params);
        if (r >= 0)
                r = owner(c, call, api_query(call, "user_id"), "index", &user_id);
        /* Paging came with 2.35; before, every pair is listed and the parameters are ignored. */
        if (r >= 0 && api_version(call) >= API_VERSION(2, 35))
                r = compute_api_paging(c, call, RES_KEYPAIR, &limit, &marker);
        if (r >= 0)
                r = compute_keypair_list(c, user_id, marker, limit, &rows, &more);
        if (r < 0)
                return r;
        json_t *out = json_array();
        json_array_foreach(rows, i, rec)
                json_array_append_new(out, json_pack("{s:o}", "keypair", render_brief(call, rec)));
        size_t n = json_array_size(rows);
        reply->body = api_res_collection(call, &res_keypair, out, more,
                                         n ? jx_string(json_array_get(rows, n - 1), "name") : NULL);
        return 0;
}

static int keypairs_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        const char *user_id = NULL;
        int r = compute_api_query_strict(c, call, RES_KEYPAIR, id_params);
        if (r >= 0)
                r = owner(c, call, api_query(call, "user_id"), "show", &user_id);
        if (r >= 0)
                r = compute_keypair_find(c, user_id, api_param(call, "keypair_name"), &rec);
        if (r < 0)
                return r;
        json_t *o = render_brief(call, rec);
        json_object_set(o, "user_id", json_object_get(rec, "user_id"));
        json_object_set_new(o, "deleted", json_false());
        json_object_set_new(o, "created_at", compute_api_time_json(json_object_get(rec, "created_at")));
        /* A key pair is never updated, and deleted ones are gone: Nova shows these as null. */
        json_object_set_new(o, "updated_at", json_null());
        json_object_set_new(o, "deleted_at", json_null());
        json_object_set(o, "id", json_object_get(rec, "seq"));
        reply->body = json_pack("{s:o}", "keypair", o);
        return 0;
}

static int keypairs_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *user_id = NULL;
        int r = compute_api_query_strict(c, call, RES_KEYPAIR, id_params);
        if (r >= 0)
                r = owner(c, call, api_query(call, "user_id"), "delete", &user_id);
        return r < 0 ? r : compute_keypair_delete(c, user_id, api_param(call, "keypair_name"));
}

/*
 * Creating runs on the hash pool (.hashes): generating an RSA key or a
 * certificate costs a child process up to a second of CPU, which must not
 * hold an HTTP thread, and a full queue answers 503 rather than piling up.
 */
const ApiRoute compute_keypair_routes[] = {
        { "GET", "/v2.1/os-keypairs", keypairs_list, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/os-keypairs", keypairs_create, POLICY_AUTHENTICATED, "compute-keypair-create.json", 200,
          .hashes = true, .max_version = API_VERSION(2, 1) },
        { "POST", "/v2.1/os-keypairs", keypairs_create, POLICY_AUTHENTICATED, "compute-keypair-create.json", 201,
          .hashes = true, .min_version = API_VERSION(2, 2) },
        { "GET", "/v2.1/os-keypairs/{keypair_name}", keypairs_show, POLICY_AUTHENTICATED },
        { "DELETE", "/v2.1/os-keypairs/{keypair_name}", keypairs_delete, POLICY_AUTHENTICATED, NULL, 202,
          .max_version = API_VERSION(2, 1) },
        { "DELETE", "/v2.1/os-keypairs/{keypair_name}", keypairs_delete, POLICY_AUTHENTICATED, NULL, 204,
          .min_version = API_VERSION(2, 2) },
        {},
};
