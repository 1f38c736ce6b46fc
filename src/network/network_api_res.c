/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Neutron's generic handlers: create one or many ({"network": {...}} or
 * {"networks": [...]}, the latter all or nothing), show and list with
 * ?fields=, filters (a repeated one matches any of its values), sorting
 * and marker paging limited to what the caller may see, update and
 * delete with Neutron's 404 for what is not yours and 403 for what you
 * may see but not change.
 */
#include "network/network_api.h"
#include "util/log.h"

static const NetApiResource *resource(const ApiCall *call) {
        return api_route_data(call);
}

/* The record id of the route: its {id}. */
static const char *route_id(const ApiCall *call) {
        return api_param(call, "id");
}

json_t *network_api_render(Ctx *c, const ApiCall *call, const ResDef *d, const json_t *rec) {
        json_t *o = api_res_render(c, call, d, rec);
        _cleanup_strv_free_ char **fields = api_query_all(call, "fields");
        if (!fields || !fields[0])
                return o;
        /* Only the fields asked for, as Neutron: names it does not know are ignored. */
        json_t *cut = json_object();
        for (size_t i = 0; fields[i]; i++) {
                json_t *v = json_object_get(o, fields[i]);
                if (v)
                        json_object_set(cut, fields[i], v);
        }
        json_decref(o);
        return cut;
}

int network_api_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const NetApiResource *res = resource(call);
        const ResDef *d = res->def;
        json_t *one = json_object_get(body, d->singular), *many = json_object_get(body, d->plural);
        _cleanup_json_ json_t *rec = NULL;
        int r;

        if (one) {
                r = res_create(c, d, one, &rec);
                if (r < 0)
                        return r;
                log_full(LOG_LEVEL_INFO, "network", c->request_id, "created %s %s", d->singular, jx_string(rec, "id"));
                reply->body = json_pack("{s:o}", d->singular, network_api_render(c, call, d, rec));
                return 0;
        }
        if (!json_is_array(many) || json_array_size(many) == 0)
                return ctx_error(c, -EINVAL, d->kind, "Resource body required.");
        r = res_create_many(c, d, many, &rec);
        if (r < 0)
                return r;
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(rec, i, item)
                json_array_append_new(out, network_api_render(c, call, d, item));
        log_full(LOG_LEVEL_INFO, "network", c->request_id, "created %zu %s", json_array_size(out), d->plural);
        reply->body = json_pack("{s:o}", d->plural, out);
        return 0;
}

int network_api_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = resource(call)->def;
        _cleanup_json_ json_t *rec = NULL;
        int r = network_get_for(c, d, route_id(call), false, &rec);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", d->singular, network_api_render(c, call, d, rec));
        return 0;
}

/* The parameters lists read themselves; every other one is a filter. */
static const char *const not_filters[] = { "fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse", NULL };

typedef struct ListWalk {
        Ctx *c;
        const NetApiResource *res;
        ResQuery *q;
        int r;
} ListWalk;

static void add_filter(const char *name, const char *value, void *userdata) {
        ListWalk *w = userdata;
        if (w->r < 0)
                return;
        for (size_t i = 0; not_filters[i]; i++)
                if (streq(name, not_filters[i]))
                        return;
        if (streq(name, "tenant_id"))
                name = "project_id";
        if (w->res->filter) {
                w->r = w->res->filter(w->c, name, value, w->q);
                if (w->r != 0)
                        return;
        }
        const ResField *f = res_field(w->res->def, name);
        if (!streq(name, "id") && (!f || !(f->flags & RES_FILTER))) {
                w->r = ctx_error(w->c, -EINVAL, w->res->def->kind, "[%s] is invalid attribute for filtering", name);
                return;
        }
        w->r = res_query_filter(w->c, w->res->def, w->q, name, value, true);
}

int network_api_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const NetApiResource *res = resource(call);
        const ResDef *d = res->def;
        _cleanup_strv_free_ char **keys = api_query_all(call, "sort_key"), **dirs = api_query_all(call, "sort_dir");
        _cleanup_json_ json_t *rows = NULL;
        ResQuery q;
        ListWalk w = { c, res, &q, 0 };
        const char *v;
        bool more = false;
        int r;

        res_query_init(&q);
        q.repeat_is_any = true;
        api_query_foreach(call, add_filter, &w);
        r = w.r;
        if (r >= 0 && (v = api_query(call, "limit"))) {
                if (parse_int64(v, 0, INT64_MAX, &q.limit) < 0)
                        r = ctx_error(c, -EINVAL, d->kind, "Bad limit request: Limit must be an integer 0 or greater and not '%s'.", v);
                else if (q.limit > 1000)
                        q.limit = 1000;
        }
        if (r >= 0 && (v = api_query(call, "marker")))
                q.marker = xstrdup(v);
        if (r >= 0)
                r = res_query_sort(c, d, &q, keys, dirs, "asc");
        if (r >= 0) {
                network_visible_sql(c, d, &q.where, &q.args);
                r = res_list(c, d, &q, &rows, &more);
        }
        res_query_done(&q);
        if (r < 0)
                return r;
        json_t *out = json_array();
        size_t i;
        json_t *rec;
        json_array_foreach(rows, i, rec)
                json_array_append_new(out, network_api_render(c, call, d, rec));
        size_t n = json_array_size(rows);
        reply->body = api_res_collection(call, d, out, more, n ? jx_string(json_array_get(rows, n - 1), "id") : NULL);
        return 0;
}

int network_api_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = resource(call)->def;
        _cleanup_json_ json_t *old = NULL, *rec = NULL;
        const char *id = route_id(call);
        int r = network_get_for(c, d, id, true, &old);
        if (r < 0)
                return r;
        r = res_update(c, d, id, json_object_get(body, d->singular), &rec);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "network", c->request_id, "updated %s %s", d->singular, id);
        reply->body = json_pack("{s:o}", d->singular, network_api_render(c, call, d, rec));
        return 0;
}

int network_api_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = resource(call)->def;
        _cleanup_json_ json_t *old = NULL;
        const char *id = route_id(call);
        int r = network_get_for(c, d, id, true, &old);
        if (r < 0)
                return r;
        r = res_delete(c, d, id);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "network", c->request_id, "deleted %s %s", d->singular, id);
        return 0;
}
