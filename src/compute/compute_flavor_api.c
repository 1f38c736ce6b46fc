/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/flavors: list (brief and detail, with Nova's filters,
 * sorting and paging), show, create, update (2.55, the description),
 * delete; extra specs (os-extra_specs) and access lists
 * (os-flavor-access, addTenantAccess and removeTenantAccess).  A flavor
 * is rendered in Nova's shape for the microversion: "description" from
 * 2.55, "extra_specs" from 2.61, a swap of 0 as "" before 2.75.
 */
#include "compute/compute_api.h"

#include <math.h>
#include <strings.h>

/* ---- rendering ---- */

/* Whether flavors show their extra specs: from 2.61, to whoever may read them (project members, admins). */
static bool shows_specs(Ctx *c, const ApiCall *call) {
        return api_version(call) >= API_VERSION(2, 61) && (c->auth.is_admin || c->auth.project_id);
}

static int render(Ctx *c, const ApiCall *call, const json_t *rec, bool detail, json_t **ret) {
        const char *id = jx_string(rec, "id");
        int v = api_version(call);
        json_t *o = json_pack("{s:s, s:O, s:o}", "id", id, "name", json_object_get(rec, "name"), "links",
                              api_res_links(call, &res_flavor, id));
        if (v >= API_VERSION(2, 55))
                json_object_set(o, "description", json_object_get(rec, "description"));
        if (!detail) {
                *ret = o;
                return 0;
        }
        static const char *const copied[] = { "ram", "disk", "vcpus", "OS-FLV-EXT-DATA:ephemeral",
                                              "OS-FLV-DISABLED:disabled", "os-flavor-access:is_public" };
        for (size_t i = 0; i < ELEMENTSOF(copied); i++)
                json_object_set(o, copied[i], json_object_get(rec, copied[i]));
        int64_t swap = json_integer_value(json_object_get(rec, "swap"));
        /* Nova wrote no swap as "" until 2.75 made it 0. */
        json_object_set_new(o, "swap", swap == 0 && v < API_VERSION(2, 75) ? json_string("") : json_integer(swap));
        json_object_set_new(o, "rxtx_factor", json_real(json_number_value(json_object_get(rec, "rxtx_factor"))));
        if (shows_specs(c, call)) {
                json_t *specs = NULL;
                int r = compute_flavor_extra_specs(c, id, &specs);
                if (r < 0) {
                        json_decref(o);
                        return r;
                }
                json_object_set_new(o, "extra_specs", specs);
        }
        *ret = o;
        return 0;
}

static int reply_flavor(Ctx *c, const ApiCall *call, const json_t *rec, ApiReply *reply) {
        json_t *o = NULL;
        int r = render(c, call, rec, true, &o);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "flavor", o);
        return 0;
}

/* ---- list ---- */

static const char *const list_params[] = { "limit", "marker", "is_public", "minRam", "minDisk", "sort_key",
                                           "sort_dir", NULL };

static int int_filter(Ctx *c, const ApiCall *call, const char *name, bool *ret_has, int64_t *ret) {
        const char *v = api_query(call, name);
        if (!v)
                return 0;
        if (parse_int64(v, INT64_MIN, INT64_MAX, ret) < 0)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid %s filter [%s]", name, v);
        *ret_has = true;
        return 0;
}

static int parse_filter(Ctx *c, const ApiCall *call, FlavorFilter *f) {
        const char *v;
        bool b;
        int r = compute_api_query_strict(c, call, RES_FLAVOR, list_params);
        if (r >= 0)
                r = compute_api_paging(c, call, RES_FLAVOR, &f->limit, &f->marker);
        if (r >= 0)
                r = int_filter(c, call, "minRam", &f->has_min_ram, &f->min_ram);
        if (r >= 0)
                r = int_filter(c, call, "minDisk", &f->has_min_disk, &f->min_disk);
        if (r < 0)
                return r;
        f->is_public = 1;
        /* is_public is for admins: "none" lists every flavor, a boolean one kind; others always see the public ones. */
        if (c->auth.is_admin && (v = api_query(call, "is_public"))) {
                if (strcasecmp(v, "none") == 0)
                        f->is_public = -1;
                else if (compute_api_bool_string(v, &b) < 0)
                        return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid is_public filter [%s]", v);
                else
                        f->is_public = b;
        }
        f->sort_key = api_query(call, "sort_key");
        f->sort_dir = api_query(call, "sort_dir");
        if (f->sort_key && !compute_flavor_sort_column(f->sort_key))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid input for query parameters sort_key. Value: %s. "
                                 "It is not one of Nova's flavor sort keys.", f->sort_key);
        if (f->sort_dir && !streq(f->sort_dir, "asc") && !streq(f->sort_dir, "desc"))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid input for query parameters sort_dir. Value: %s. "
                                 "It must be asc or desc.", f->sort_dir);
        return 0;
}

static int list_view(Ctx *c, const ApiCall *call, ApiReply *reply, bool detail) {
        _cleanup_json_ json_t *rows = NULL;
        FlavorFilter f = {};
        bool more = false;
        size_t i;
        json_t *rec;
        int r = parse_filter(c, call, &f);
        if (r >= 0)
                r = compute_flavor_list(c, &f, &rows, &more);
        if (r < 0)
                return r;
        json_t *out = json_array();
        json_array_foreach(rows, i, rec) {
                json_t *o = NULL;
                r = render(c, call, rec, detail, &o);
                if (r < 0) {
                        json_decref(out);
                        return r;
                }
                json_array_append_new(out, o);
        }
        size_t n = json_array_size(rows);
        reply->body = api_res_collection(call, &res_flavor, out, more,
                                         n ? jx_string(json_array_get(rows, n - 1), "id") : NULL);
        return 0;
}

static int flavors_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return list_view(c, call, reply, false);
}

static int flavors_detail(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return list_view(c, call, reply, true);
}

/* ---- show, create, update, delete ---- */

static int flavors_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_flavor_get(c, api_param(call, "flavor_id"), &rec);
        return r < 0 ? r : reply_flavor(c, call, rec, reply);
}

/* Nova's flavor integers: a JSON integer or a string of digits, in [min, 2^31 - 1]. */
static int int_field(Ctx *c, const json_t *in, const char *name, int64_t min, int64_t dflt, json_t *out) {
        const json_t *v = json_object_get(in, name);
        int64_t n = dflt;
        if (v && json_is_integer(v))
                n = json_integer_value(v);
        else if (v && (!json_is_string(v) || isempty(json_string_value(v)) ||
                       strspn(json_string_value(v), "0123456789") != strlen(json_string_value(v)) ||
                       parse_int64(json_string_value(v), 0, INT64_MAX, &n) < 0))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid input for field/attribute %s. It must be an "
                                 "integer.", name);
        if (n < min || n > INT32_MAX)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid input for field/attribute %s. Value: %lld. It must "
                                 "be an integer between %lld and %d.", name, (long long) n, (long long) min, INT32_MAX);
        json_object_set_new(out, name, json_integer(n));
        return 0;
}

/* Nova's flavor ids: 1 to 255 of [a-zA-Z0-9. _-], no space first or last; numbers as Python writes them. */
static int id_field(Ctx *c, const json_t *in, json_t *out) {
        const json_t *v = json_object_get(in, "id");
        _cleanup_free_ char *id = NULL;
        if (!v || json_is_null(v))
                return 0; /* a new UUID */
        id = json_is_string(v) ? xstrdup(json_string_value(v)) : jx_dump(v);
        size_t n = strlen(id);
        if (n == 0 || n > 255 || id[0] == ' ' || id[n - 1] == ' ' || streq(id, ".") || streq(id, "..") ||
            strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789. _-") != n)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid input for field/attribute id. Value: %s. A flavor "
                                 "id is 1 to 255 letters, digits, '.', '_', '-' and inner spaces.", id);
        json_object_set_new(out, "id", json_string(id));
        return 0;
}

static int rxtx_field(Ctx *c, const json_t *in, json_t *out) {
        const json_t *v = json_object_get(in, "rxtx_factor");
        double d = 1.0;
        if (json_is_number(v))
                d = json_number_value(v);
        else if (json_is_string(v)) {
                const char *s = json_string_value(v), *dot = strchr(s, '.');
                char *end = NULL;
                size_t ni = dot ? (size_t) (dot - s) : strlen(s);
                /* ^[0-9]+(\.[0-9]+)?$ */
                bool ok = ni > 0 && strspn(s, "0123456789") == ni &&
                          (!dot || (dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1)));
                d = ok ? strtod(s, &end) : NAN;
        }
        if (!(d > 0) || d > 3.40282e+38)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "'rxtx_factor' argument must be a float between 0 and "
                                 "3.40282e+38");
        json_object_set_new(out, "rxtx_factor", json_real(d));
        return 0;
}

static int flavors_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *f = json_object_get(body, "flavor");
        _cleanup_json_ json_t *obj = json_object(), *rec = NULL;
        const json_t *pub = json_object_get(f, "os-flavor-access:is_public");
        bool is_public = true;
        int r = id_field(c, f, obj);
        if (r >= 0)
                r = int_field(c, f, "ram", 1, 0, obj);
        if (r >= 0)
                r = int_field(c, f, "vcpus", 1, 0, obj);
        if (r >= 0)
                r = int_field(c, f, "disk", 0, 0, obj);
        if (r >= 0)
                r = int_field(c, f, "OS-FLV-EXT-DATA:ephemeral", 0, 0, obj);
        if (r >= 0)
                r = int_field(c, f, "swap", 0, 0, obj);
        if (r >= 0)
                r = rxtx_field(c, f, obj);
        if (r >= 0 && pub && compute_api_bool(pub, &is_public) < 0)
                r = ctx_error(c, -EINVAL, RES_FLAVOR, "is_public must be a boolean");
        if (r < 0)
                return r;
        json_object_set(obj, "name", json_object_get(f, "name"));
        json_object_set_new(obj, "os-flavor-access:is_public", json_boolean(is_public));
        if (api_version(call) >= API_VERSION(2, 55) && json_is_string(json_object_get(f, "description")))
                json_object_set(obj, "description", json_object_get(f, "description"));
        r = compute_flavor_create(c, obj, &rec);
        return r < 0 ? r : reply_flavor(c, call, rec, reply);
}

static int flavors_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "flavor_id");
        _cleanup_json_ json_t *patch = json_pack("{s:O}", "description",
                                                 json_object_get(json_object_get(body, "flavor"), "description"));
        _cleanup_json_ json_t *rec = NULL;
        int r = res_update(c, &res_flavor, id, patch, &rec);
        return r < 0 ? r : reply_flavor(c, call, rec, reply);
}

static int flavors_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_flavor_delete(c, api_param(call, "flavor_id"));
}

/* ---- extra specs ---- */

static int specs_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "flavor_id");
        _cleanup_json_ json_t *rec = NULL;
        json_t *specs = NULL;
        int r = compute_flavor_get(c, id, &rec);
        if (r >= 0)
                r = compute_flavor_extra_specs(c, id, &specs);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "extra_specs", specs);
        return 0;
}

static int specs_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "flavor_id"), *key = api_param(call, "key");
        _cleanup_json_ json_t *rec = NULL, *specs = NULL;
        int r = compute_flavor_get(c, id, &rec);
        if (r >= 0)
                r = compute_flavor_extra_specs(c, id, &specs);
        if (r < 0)
                return r;
        json_t *v = json_object_get(specs, key);
        if (!v)
                return ctx_error(c, -ENOENT, RES_FLAVOR, "Flavor %s has no extra specs with key %s.", id, key);
        reply->body = json_pack("{s:O}", key, v);
        return 0;
}

/* The specs as strings, the way Nova stores numbers (str(value)), at most 255 characters each. */
static int specs_strings(Ctx *c, const json_t *in, json_t **ret) {
        _cleanup_json_ json_t *out = json_object();
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) in, key, v) {
                _cleanup_free_ char *s = json_is_string(v) ? xstrdup(json_string_value(v)) : jx_dump(v);
                if (strlen(s) > 255)
                        return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid input for field/attribute extra_specs value. "
                                         "It must be at most 255 characters.");
                json_object_set_new(out, key, json_string(s));
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int specs_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *specs = NULL;
        int r = specs_strings(c, json_object_get(body, "extra_specs"), &specs);
        if (r >= 0)
                r = compute_flavor_specs_set(c, api_param(call, "flavor_id"), specs);
        if (r < 0)
                return r;
        /* Nova answers with the request as it came, numbers and all. */
        reply->body = json_incref(body);
        return 0;
}

static int specs_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *specs = NULL;
        if (!json_object_get(body, api_param(call, "key")))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Request body and URI mismatch");
        int r = specs_strings(c, body, &specs);
        if (r >= 0)
                r = compute_flavor_specs_set(c, api_param(call, "flavor_id"), specs);
        if (r < 0)
                return r;
        reply->body = json_incref(body);
        return 0;
}

static int specs_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_flavor_specs_remove(c, api_param(call, "flavor_id"), api_param(call, "key"));
}

/* ---- access lists ---- */

static int access_reply(Ctx *c, const char *id, ApiReply *reply) {
        json_t *list = NULL;
        int r = compute_flavor_access_list(c, id, &list);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "flavor_access", list);
        return 0;
}

static int access_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "flavor_id");
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_flavor_get(c, id, &rec);
        if (r < 0)
                return r;
        if (json_is_true(json_object_get(rec, "os-flavor-access:is_public")))
                return ctx_error(c, -ENOENT, RES_FLAVOR, "Access list not available for public flavors.");
        return access_reply(c, id, reply);
}

static int flavor_action(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "flavor_id");
        const json_t *add = json_object_get(body, "addTenantAccess");
        const char *tenant = jx_string(add ? add : json_object_get(body, "removeTenantAccess"), "tenant");
        int r = 0;
        /* Withdrawing access from a project that no longer exists is fine; offering it to one is not. */
        if (add)
                r = compute_project_check(c, tenant);
        if (r >= 0)
                r = compute_flavor_access_change(c, id, tenant, add != NULL, api_version(call) >= API_VERSION(2, 7));
        return r < 0 ? r : access_reply(c, id, reply);
}

const ApiRoute compute_flavor_routes[] = {
        { "GET", "/v2.1/flavors", flavors_list, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/flavors/detail", flavors_detail, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/flavors/{flavor_id}", flavors_show, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/flavors", flavors_create, POLICY_ADMIN, "compute-flavor-create.json" },
        { "PUT", "/v2.1/flavors/{flavor_id}", flavors_update, POLICY_ADMIN, "compute-flavor-update.json",
          .min_version = API_VERSION(2, 55) },
        { "DELETE", "/v2.1/flavors/{flavor_id}", flavors_delete, POLICY_ADMIN, NULL, 202 },
        { "GET", "/v2.1/flavors/{flavor_id}/os-extra_specs", specs_list, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/flavors/{flavor_id}/os-extra_specs", specs_create, POLICY_ADMIN,
          "compute-flavor-extra-specs-create.json" },
        { "GET", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", specs_show, POLICY_AUTHENTICATED },
        { "PUT", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", specs_update, POLICY_ADMIN,
          "compute-flavor-extra-specs-update.json" },
        { "DELETE", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", specs_delete, POLICY_ADMIN },
        { "GET", "/v2.1/flavors/{flavor_id}/os-flavor-access", access_list, POLICY_ADMIN },
        { "POST", "/v2.1/flavors/{flavor_id}/action", flavor_action, POLICY_ADMIN, "compute-flavor-action.json" },
        {},
};
