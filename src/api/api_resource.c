/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource engine's API half (see api_resource.h): rendering records
 * in each service's style, list queries and envelopes, and the generic
 * handlers.
 */
#include "api/api_resource.h"
#include "util/log.h"

char *api_res_time(const ApiCall *call, int64_t usec) {
        char buf[32];
        if (usec == 0)
                return NULL;
        /* Cinder writes microseconds and no zone; the others whole seconds in UTC, with a Z. */
        if (api_service(call)->style == API_STYLE_CINDER) {
                format_iso8601_usec(usec, buf);
                buf[strlen(buf) - 1] = '\0';
                return xstrdup(buf);
        }
        return xstrdup(format_iso8601(usec, buf));
}

static char *item_url(const ApiCall *call, const ResDef *d, const char *id, bool versioned) {
        const ApiService *svc = api_service(call);
        return xasprintf("%s%s%s/%s/%s", api_base_url(), svc->prefix, versioned && svc->version_path ? svc->version_path : "",
                         d->path ? d->path : d->plural, id);
}

json_t *api_res_links(const ApiCall *call, const ResDef *d, const char *id) {
        _cleanup_free_ char *self = item_url(call, d, id, true);
        switch (api_service(call)->style) {
        case API_STYLE_KEYSTONE:
                return json_pack("{s:s}", "self", self);
        case API_STYLE_NOVA:
        case API_STYLE_CINDER: {
                _cleanup_free_ char *bookmark = item_url(call, d, id, false);
                return json_pack("[{s:s, s:s}, {s:s, s:s}]", "rel", "self", "href", self, "rel", "bookmark", "href",
                                 bookmark);
        }
        default:
                return NULL;
        }
}

static bool in_version(const ResField *f, int version) {
        if (version == 0)
                return true;
        return (!f->min_version || version >= f->min_version) && (!f->max_version || version <= f->max_version);
}

json_t *api_res_render(Ctx *c, const ApiCall *call, const ResDef *d, const json_t *rec) {
        json_t *o = json_object();
        int version = api_version(call);

        json_object_set(o, "id", json_object_get(rec, "id"));
        for (const ResField *f = d->fields; f->name; f++) {
                json_t *v = json_object_get(rec, f->name);
                if (!v || (f->flags & (RES_SECRET | RES_HIDDEN)) || !in_version(f, version))
                        continue;
                if (f->type == RES_TIME && json_is_integer(v)) {
                        _cleanup_free_ char *t = api_res_time(call, json_integer_value(v));
                        json_object_set_new(o, f->name, t ? json_string(t) : json_null());
                } else
                        json_object_set(o, f->name, v);
        }
        json_t *links = api_res_links(call, d, jx_string(rec, "id"));
        if (links)
                json_object_set_new(o, "links", links);
        if (d->decorate)
                d->decorate(c, o);
        return o;
}

typedef struct NextQuery {
        Buf b;
} NextQuery;

static void add_param(const char *name, const char *value, void *userdata) {
        NextQuery *n = userdata;
        if (streq(name, "marker"))
                return;
        buf_puts(&n->b, n->b.len ? "&" : "?");
        buf_put_urlencoded(&n->b, name);
        buf_puts(&n->b, "=");
        buf_put_urlencoded(&n->b, value);
}

json_t *api_res_collection(const ApiCall *call, const ResDef *d, json_t *items, bool more, const char *last_id) {
        json_t *body = json_pack("{s:o}", d->plural, items);
        _cleanup_free_ char *self = xasprintf("%s%s", api_base_url(), api_path(call));

        if (api_service(call)->style == API_STYLE_KEYSTONE) {
                json_object_set_new(body, "links", json_pack("{s:s, s:n, s:n}", "self", self, "previous", "next"));
                return body;
        }
        if (!more || !last_id)
                return body;
        NextQuery n = {};
        api_query_foreach(call, add_param, &n);
        buf_puts(&n.b, n.b.len ? "&marker=" : "?marker=");
        buf_put_urlencoded(&n.b, last_id);
        _cleanup_free_ char *key = xasprintf("%s_links", d->plural), *next = xasprintf("%s%s", self, n.b.data);
        json_object_set_new(body, key, json_pack("[{s:s, s:s}]", "rel", "next", "href", next));
        buf_done(&n.b);
        return body;
}

/* The paging and sorting parameters every list takes, besides filters. */
static const char *const paging[] = { "limit", "marker", "sort_key", "sort_dir", NULL };

static bool listed(const char *const *list, const char *name) {
        for (size_t i = 0; list && list[i]; i++)
                if (streq(list[i], name))
                        return true;
        return false;
}

typedef struct FilterWalk {
        Ctx *c;
        const ResDef *d;
        ResQuery *q;
        bool strict;
        const char *const *extra;
        int r;
} FilterWalk;

static void add_filter(const char *name, const char *value, void *userdata) {
        FilterWalk *w = userdata;
        if (w->r < 0 || listed(paging, name) || listed(w->extra, name))
                return;
        w->r = res_query_filter(w->c, w->d, w->q, name, value, w->strict);
}

/* The most a page may hold, as Nova's and Neutron's default max_limit. */
#define MAX_LIMIT 1000

int api_res_query(Ctx *c, const ApiCall *call, const ResDef *d, bool strict, const char *const *extra, ResQuery *q) {
        FilterWalk w = { c, d, q, strict, extra, 0 };
        _cleanup_strv_free_ char **keys = api_query_all(call, "sort_key"), **dirs = api_query_all(call, "sort_dir");
        const char *v;

        api_query_foreach(call, add_filter, &w);
        if (w.r < 0)
                return w.r;
        if ((v = api_query(call, "limit"))) {
                if (parse_int64(v, 0, INT64_MAX, &q->limit) < 0)
                        return ctx_error(c, -EINVAL, d->kind, "limit param must be an integer and must be positive.");
                if (q->limit > MAX_LIMIT)
                        q->limit = MAX_LIMIT;
        }
        if ((v = api_query(call, "marker")))
                q->marker = xstrdup(v);
        return res_query_sort(c, d, q, keys, dirs, "asc");
}

/* The id of the route: {id}, or {<singular>_id}. */
static const char *id_param(const ApiCall *call, const ResDef *d) {
        char name[64];
        const char *id = api_param(call, "id");
        if (id)
                return id;
        snprintf(name, sizeof(name), "%s_id", d->singular);
        return api_param(call, name);
}

int api_res_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        json_t *in = json_object_get(body, d->singular);
        _cleanup_json_ json_t *rec = NULL, *obj = in ? json_deep_copy(in) : json_object();
        const char *url_id = id_param(call, d);
        int r;

        /* PUT /v3/regions/{region_id}: the id is the URL's, as in Keystone. */
        if (url_id) {
                const char *body_id = jx_string(obj, "id");
                if (body_id && !streq(body_id, url_id))
                        return ctx_error(c, -EINVAL, d->kind, "Conflicting %s IDs specified: \"%s\" != \"%s\".",
                                         d->singular, url_id, body_id);
                json_object_set_new(obj, "id", json_string(url_id));
        }
        r = res_create(c, d, obj, &rec);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, api_service(call)->name, c->request_id, "created %s %s", d->singular,
                 jx_string(rec, "id"));
        reply->body = json_pack("{s:o}", d->singular, api_res_render(c, call, d, rec));
        return 0;
}

static bool may_read(Ctx *c, const ResDef *d, const json_t *rec) {
        return c->auth.is_admin || (d->can_read && d->can_read(c, rec));
}

int api_res_get(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        _cleanup_json_ json_t *rec = NULL;
        int r = res_get(c, d, id_param(call, d), &rec);
        if (r < 0)
                return r;
        if (!may_read(c, d, rec))
                return ctx_error(c, -EACCES, d->kind, "You are not authorized to perform the requested action.");
        reply->body = json_pack("{s:o}", d->singular, api_res_render(c, call, d, rec));
        return 0;
}

int api_res_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        bool strict = api_service(call)->style != API_STYLE_KEYSTONE; /* Keystone ignores what it does not know */
        _cleanup_json_ json_t *rows = NULL;
        ResQuery q;
        bool more = false;
        size_t i;
        json_t *rec;
        int r;

        if (!c->auth.is_admin && !d->can_read)
                return ctx_error(c, -EACCES, d->kind, "You are not authorized to perform the requested action.");
        res_query_init(&q);
        r = api_res_query(c, call, d, strict, NULL, &q);
        if (r >= 0)
                r = res_list(c, d, &q, &rows, &more);
        res_query_done(&q);
        if (r < 0)
                return r;
        json_t *out = json_array();
        /* Non-admins see only what they could read one by one. */
        json_array_foreach(rows, i, rec)
                if (may_read(c, d, rec))
                        json_array_append_new(out, api_res_render(c, call, d, rec));
        size_t n = json_array_size(rows);
        reply->body = api_res_collection(call, d, out, more, n ? jx_string(json_array_get(rows, n - 1), "id") : NULL);
        return 0;
}

int api_res_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        _cleanup_json_ json_t *rec = NULL;
        const char *id = id_param(call, d);
        int r = res_update(c, d, id, json_object_get(body, d->singular), &rec);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, api_service(call)->name, c->request_id, "updated %s %s", d->singular, id);
        reply->body = json_pack("{s:o}", d->singular, api_res_render(c, call, d, rec));
        return 0;
}

int api_res_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = api_route_data(call);
        const char *id = id_param(call, d);
        int r = res_delete(c, d, id);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, api_service(call)->name, c->request_id, "deleted %s %s", d->singular, id);
        return 0;
}
