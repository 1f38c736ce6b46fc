/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API half of the resource engine: rendering records with links, and
 * the generic CRUD handlers that route tables point at with a ResDef as
 * route data.  Built into the api layer; identity_resource.c is the
 * service half.
 */
#include "identity/identity_resource.h"
#include "util/log.h"

json_t *res_links(const char *plural, const char *id) {
        _cleanup_free_ char *url = xasprintf("%s/identity/v3/%s/%s", api_base_url(), plural, id);
        return json_pack("{s:s}", "self", url);
}

json_t *res_collection_links(const char *path) {
        _cleanup_free_ char *url = xasprintf("%s%s", api_base_url(), path);
        return json_pack("{s:s, s:n, s:n}", "self", url, "previous", "next");
}

json_t *res_render(const ResDef *d, const json_t *rec) {
        json_t *o = json_deep_copy(rec);
        for (const ResField *f = d->fields; f->name; f++)
                if (f->flags & FIELD_SECRET)
                        json_object_del(o, f->name);
        json_object_set_new(o, "links", res_links(d->plural, jx_string(rec, "id")));
        if (d->decorate)
                d->decorate(o);
        return o;
}

static const char *id_param(const ApiCall *call, const ResDef *d) {
        char name[48];
        const char *id = api_param(call, "id");
        if (id)
                return id;
        snprintf(name, sizeof(name), "%s_id", d->singular);
        return api_param(call, name);
}

int res_api_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        _cleanup_json_ json_t *rec = NULL, *obj = json_deep_copy(json_object_get(body, d->singular));
        const char *url_id = id_param(call, d);
        /* PUT /v3/regions/{region_id}: the id is the URL's, as in Keystone. */
        if (url_id) {
                const char *body_id = jx_string(obj, "id");
                if (body_id && !streq(body_id, url_id))
                        return ctx_error(c, -EINVAL, d->kind, "Conflicting %s IDs specified: \"%s\" != \"%s\".",
                                         d->singular, url_id, body_id);
                json_object_set_new(obj, "id", json_string(url_id));
        }
        int r = res_create(c, d, obj, &rec);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "identity", c->request_id, "created %s %s", d->singular, jx_string(rec, "id"));
        reply->body = json_pack("{s:o}", d->singular, res_render(d, rec));
        return 0;
}

int res_api_get(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        _cleanup_json_ json_t *rec = NULL;
        int r = res_get(c, d, id_param(call, d), &rec);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !(d->can_read && d->can_read(c, rec)))
                return ctx_error(c, -EACCES, d->kind, "You are not authorized to perform the requested action.");
        reply->body = json_pack("{s:o}", d->singular, res_render(d, rec));
        return 0;
}

/* Query parameters that name a filterable field become filters. */
static json_t *list_filters(const ApiCall *call, const ResDef *d) {
        json_t *filters = json_object();
        for (const ResField *f = d->fields; f->name; f++) {
                const char *v = (f->flags & FIELD_FILTER) ? api_query(call, f->name) : NULL;
                bool b;
                if (!v)
                        continue;
                if (f->type == 'b')
                        json_object_set_new(filters, f->name, json_boolean(parse_bool(v, &b) >= 0 ? b : true));
                else
                        json_object_set_new(filters, f->name, json_string(v));
        }
        return filters;
}

int res_api_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        _cleanup_json_ json_t *filters = list_filters(call, d), *rows = NULL;
        json_t *out = json_array(), *rec;
        size_t i;
        int r;

        if (!c->auth.is_admin && !d->can_read) {
                json_decref(out);
                return ctx_error(c, -EACCES, d->kind, "You are not authorized to perform the requested action.");
        }
        r = res_list(c, d, filters, &rows);
        if (r < 0) {
                json_decref(out);
                return r;
        }
        /* Non-admins see only what they could read one by one. */
        json_array_foreach(rows, i, rec)
                if (c->auth.is_admin || d->can_read(c, rec))
                        json_array_append_new(out, res_render(d, rec));
        _cleanup_free_ char *path = xasprintf("/identity/v3/%s", d->plural);
        reply->body = json_pack("{s:o, s:o}", d->plural, out, "links", res_collection_links(path));
        return 0;
}

int res_api_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        _cleanup_json_ json_t *rec = NULL;
        const char *id = id_param(call, d);
        int r = res_update(c, d, id, json_object_get(body, d->singular), &rec);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "identity", c->request_id, "updated %s %s", d->singular, id);
        reply->body = json_pack("{s:o}", d->singular, res_render(d, rec));
        return 0;
}

int res_api_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        const char *id = id_param(call, d);
        int r = res_delete(c, d, id);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "identity", c->request_id, "deleted %s %s", d->singular, id);
        return 0;
}
