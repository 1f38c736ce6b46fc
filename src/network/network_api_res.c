/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Neutron's generic handlers: create one or many ({"network": {...}} or
 * {"networks": [...]}, the latter all or nothing), show and list with
 * ?fields=, filters (a repeated one matches any of its values; tags,
 * tags-any, not-tags, not-tags-any), sorting and marker paging both ways
 * (page_reverse) with Neutron's next and previous links, limited to what
 * the caller may see, and update and delete with Neutron's 404 for what
 * is not yours, 403 for what you may see but not change, and 412 when
 * If-Match names another revision_number.
 */
#include "network/network_api.h"
#include "util/log.h"

#include <strings.h>

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

/* ---- lists ---- */

/* The parameters lists read themselves; every other one is a filter. */
static const char *const not_filters[] = { "fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse", NULL };

typedef struct ListWalk {
        Ctx *c;
        const NetApiResource *res;
        ResQuery *q;
        json_t *keep;            /* strings bound into q by the tag filters */
        bool tenant, project;    /* tenant_id and project_id were both given */
        int r;
} ListWalk;

static void add_filter(const char *name, const char *value, void *userdata) {
        ListWalk *w = userdata;
        const ResDef *d = w->res->def;
        if (w->r < 0)
                return;
        for (size_t i = 0; not_filters[i]; i++)
                if (streq(name, not_filters[i]))
                        return;
        /* Neutron drops empty values (without the empty-string-filtering extension). */
        if (isempty(value))
                return;
        if (streq(name, "tenant_id")) {
                w->tenant = true;
                name = "project_id";
        } else if (streq(name, "project_id"))
                w->project = true;
        if (w->tenant && w->project) {
                w->r = ctx_error(w->c, -EINVAL, d->kind, "Both tenant_id and project_id passed as filters.");
                return;
        }
        if ((w->r = network_tags_filter(w->c, d, name, value, w->q, w->keep)) != 0)
                return;
        if (w->res->filter) {
                w->r = w->res->filter(w->c, name, value, w->q);
                if (w->r != 0)
                        return;
        }
        const ResField *f = res_field(d, name);
        if (!streq(name, "id") && (!f || !(f->flags & RES_FILTER))) {
                w->r = ctx_error(w->c, -EINVAL, d->kind, "['%s'] is invalid attribute for filtering", name);
                return;
        }
        w->r = res_query_filter(w->c, d, w->q, name, value, true);
}

/* sort_key and sort_dir as Neutron takes them: as many of one as of the other, each key a sortable field. */
static int sort_check(Ctx *c, const ResDef *d, char **keys, char **dirs) {
        size_t nk = 0, nd = 0;
        while (keys && keys[nk])
                nk++;
        while (dirs && dirs[nd])
                nd++;
        if (nk != nd)
                return ctx_error(c, -EINVAL, d->kind, "The number of sort_keys and sort_dirs must be same");
        for (size_t i = 0; i < nk; i++) {
                const ResField *f = res_field(d, keys[i]);
                if (!streq(keys[i], "id") && !(f && (f->flags & RES_SORT)))
                        return ctx_error(c, -EINVAL, d->kind, "['%s'] is invalid attribute for sort_keys", keys[i]);
                if (!streq(dirs[i], "asc") && !streq(dirs[i], "desc"))
                        return ctx_error(c, -EINVAL, d->kind,
                                         "['%s'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'",
                                         dirs[i]);
        }
        return 0;
}

/* order with every direction turned round: "created_at, id" -> "created_at DESC, id DESC". */
static char *order_reversed(const char *order) {
        Buf b = {};
        _cleanup_free_ char *copy = xstrdup(order);
        char *save = NULL;
        for (char *term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
                while (*term == ' ')
                        term++;
                char *space = strchr(term, ' ');
                bool desc = space && strcasecmp(space + 1, "desc") == 0;
                if (space)
                        *space = '\0';
                buf_printf(&b, "%s%s %s", b.len ? ", " : "", term, desc ? "asc" : "desc");
        }
        return buf_steal(&b);
}

typedef struct LinkQuery {
        Buf b;
        bool reverse;            /* the link's page_reverse */
} LinkQuery;

static void link_param(const char *name, const char *value, void *userdata) {
        LinkQuery *l = userdata;
        if (streq(name, "marker") || streq(name, "page_reverse"))
                return;
        buf_puts(&l->b, l->b.len ? "&" : "?");
        buf_put_urlencoded(&l->b, name);
        buf_puts(&l->b, "=");
        buf_put_urlencoded(&l->b, value);
}

/* The request's URL with the marker (may be NULL) and page_reverse of a link to the next or previous page. */
static json_t *page_link(const ApiCall *call, const char *rel, const char *marker, bool reverse) {
        LinkQuery l = { .reverse = reverse };
        api_query_foreach(call, link_param, &l);
        if (marker) {
                buf_puts(&l.b, l.b.len ? "&marker=" : "?marker=");
                buf_put_urlencoded(&l.b, marker);
        }
        if (reverse)
                buf_puts(&l.b, l.b.len ? "&page_reverse=True" : "?page_reverse=True");
        _cleanup_free_ char *href = xasprintf("%s%s%s", api_base_url(), api_path(call), l.b.data ? l.b.data : "");
        buf_done(&l.b);
        return json_pack("{s:s, s:s}", "rel", rel, "href", href);
}

/*
 * Neutron's <plural>_links: with a limit, "next" unless a forward page
 * came out short, "previous" unless a reverse page did (so a first page
 * has a previous link too, as in Neutron).
 */
static void add_links(const ApiCall *call, const ResDef *d, json_t *body, const json_t *rows, int64_t limit,
                      bool reverse) {
        size_t n = json_array_size(rows);
        if (limit <= 0)
                return;
        json_t *links = json_array();
        const char *first = n ? jx_string(json_array_get(rows, 0), "id") : NULL;
        const char *last = n ? jx_string(json_array_get(rows, n - 1), "id") : NULL;
        if (!((int64_t) n < limit && !reverse))
                json_array_append_new(links, page_link(call, "next", last, false));
        if (!((int64_t) n < limit && reverse))
                json_array_append_new(links, page_link(call, "previous", first, true));
        _cleanup_free_ char *key = xasprintf("%s_links", d->plural);
        json_object_set_new(body, key, links);
}

int network_api_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const NetApiResource *res = resource(call);
        const ResDef *d = res->def;
        _cleanup_strv_free_ char **keys = api_query_all(call, "sort_key"), **dirs = api_query_all(call, "sort_dir");
        _cleanup_json_ json_t *rows = NULL, *keep = json_array();
        ResQuery q;
        ListWalk w = { c, res, &q, keep };
        const char *v;
        bool reverse = false;
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
        if (r >= 0 && (v = api_query(call, "page_reverse")))
                reverse = strcasecmp(v, "true") == 0;
        if (r >= 0 && (v = api_query(call, "marker")) && *v)
                q.marker = xstrdup(v);
        if (r >= 0 && (r = sort_check(c, d, keys, dirs)) >= 0)
                r = res_query_sort(c, d, &q, keys, dirs, "asc");
        if (r >= 0 && reverse) {
                /* The page before the marker: walk the other way, then put the page back in order. */
                char *turned = order_reversed(q.order_by ? q.order_by : d->order_by ? d->order_by : "id");
                free(q.order_by);
                q.order_by = turned;
        }
        if (r >= 0) {
                network_visible_sql(c, d, &q.where, &q.args);
                r = res_list(c, d, &q, &rows, NULL);
        }
        int64_t limit = q.limit;
        res_query_done(&q);
        if (r < 0)
                return r;
        if (reverse) {
                json_t *in_order = json_array();
                for (size_t i = json_array_size(rows); i > 0; i--)
                        json_array_append(in_order, json_array_get(rows, i - 1));
                json_decref(rows);
                rows = in_order;
        }
        json_t *out = json_array();
        size_t i;
        json_t *rec;
        json_array_foreach(rows, i, rec)
                json_array_append_new(out, network_api_render(c, call, d, rec));
        reply->body = json_pack("{s:o}", d->plural, out);
        add_links(call, d, reply->body, rows, limit, reverse);
        return 0;
}

/* ---- changes ---- */

/*
 * The revision_number an If-Match header constrains the change to, as
 * Neutron reads it (-1 for none): one "revision_number=N" among its etags.
 */
static int if_match(Ctx *c, const ApiCall *call, const ResDef *d, int64_t *ret) {
        const char *h = api_header(call, "If-Match");
        *ret = -1;
        if (!h)
                return 0;
        _cleanup_free_ char *copy = xstrdup(h);
        char *save = NULL;
        for (char *tag = strtok_r(copy, ",", &save); tag; tag = strtok_r(NULL, ",", &save)) {
                while (*tag == ' ' || *tag == '\t')
                        tag++;
                if (startswith(tag, "W/"))
                        tag += 2;
                size_t n = strlen(tag);
                while (n > 0 && (tag[n - 1] == ' ' || tag[n - 1] == '\t'))
                        tag[--n] = '\0';
                if (n >= 2 && tag[0] == '"' && tag[n - 1] == '"') {
                        tag[n - 1] = '\0';
                        tag++;
                }
                if (!startswith(tag, "revision_number="))
                        continue;
                if (*ret >= 0)
                        return ctx_error(c, -EINVAL, d->kind, "Bad if-match request: Multiple revision_number etags are not supported.");
                if (parse_int64(tag + strlen("revision_number="), 0, INT64_MAX, ret) < 0)
                        return ctx_error(c, -EINVAL, d->kind,
                                         "Bad if-match request: Revision number etag must be in the format of revision_number=<int>.");
        }
        return 0;
}

/* What the transaction of an update or delete works on. */
typedef struct Change {
        const ResDef *d;
        const char *id;
        json_t *patch;           /* NULL: a delete */
        int64_t revision;        /* If-Match's, or -1 */
        json_t *rec;             /* the updated record */
} Change;

/*
 * Checks who may change the record and its revision, then changes it:
 * one transaction, so no other change slips between the check and the
 * write (the engine's own transaction nests in this one).
 */
static int change_locked(Ctx *c, void *userdata) {
        Change *ch = userdata;
        _cleanup_json_ json_t *old = NULL;
        int r = network_get_for(c, ch->d, ch->id, true, &old);
        if (r < 0)
                return r;
        if (ch->revision >= 0) {
                int64_t current = json_integer_value(json_object_get(old, "revision_number"));
                if (current != ch->revision)
                        return ctx_error(c, -ESTALE, ch->d->kind, "Constrained to %" PRId64 ", but current revision is %" PRId64,
                                         ch->revision, current);
        }
        return ch->patch ? res_update(c, ch->d, ch->id, ch->patch, &ch->rec) : res_delete(c, ch->d, ch->id);
}

static int change(Ctx *c, const ApiCall *call, Change *ch) {
        int r = if_match(c, call, ch->d, &ch->revision);
        if (r < 0)
                return r;
        r = res_transaction(c, ch->patch ? "updating a record" : "deleting a record", change_locked, ch);
        /* The engine's hook ran inside this transaction; say it again now that the change is committed. */
        if (r >= 0 && ch->d->changed)
                ch->d->changed();
        return r;
}

int network_api_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = resource(call)->def;
        Change ch = { d, route_id(call), json_object_get(body, d->singular) };
        int r = change(c, call, &ch);
        if (r < 0) {
                json_decref(ch.rec);
                return r;
        }
        log_full(LOG_LEVEL_INFO, "network", c->request_id, "updated %s %s", d->singular, ch.id);
        reply->body = json_pack("{s:o}", d->singular, network_api_render(c, call, d, ch.rec));
        json_decref(ch.rec);
        return 0;
}

int network_api_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const ResDef *d = resource(call)->def;
        Change ch = { d, route_id(call), NULL };
        int r = change(c, call, &ch);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "network", c->request_id, "deleted %s %s", d->singular, ch.id);
        return 0;
}

int network_api_project_param(Ctx *c, const ApiCall *call, ResourceKind kind, const char **ret) {
        const char *id = api_param(call, "project_id");
        size_t n = strlen(id);
        if (n == 0 || n > 64 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
                return ctx_error(c, -EINVAL, kind, "Invalid input for operation: '%s' is not a valid project id.", id);
        *ret = id;
        return 0;
}
