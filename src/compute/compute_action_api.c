/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/servers/{id}/os-instance-actions: Nova's instance
 * actions, per microversion: deleted servers' actions from 2.21, events
 * for non-admins (without traceback) from 2.51, updated_at, paging and
 * changes-since from 2.58 (changes-before from 2.66), each event's
 * hostId (and host, for admins) from 2.62.  compute_action_read.c reads.
 */
#include "compute/compute_api.h"
#include "util/buf.h"

/* Nova's [api] max_limit: no page is longer, whatever limit asks. */
#define MAX_LIMIT 1000

/* Times as Nova's JSON serialiser writes them: microseconds, no zone; null for none. */
static json_t *action_time(const json_t *usec) {
        char buf[32];
        if (!json_is_integer(usec) || json_integer_value(usec) <= 0)
                return json_null();
        format_iso8601_usec(json_integer_value(usec), buf);
        buf[strlen(buf) - 1] = '\0';
        return json_string(buf);
}

static json_t *render_action(const ApiCall *call, const json_t *a) {
        json_t *o = json_object();
        static const char *const keys[] = { "action", "instance_uuid", "request_id", "user_id", "project_id", "message" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                json_object_set(o, keys[i], json_object_get(a, keys[i]));
        json_object_set_new(o, "start_time", action_time(json_object_get(a, "start_time")));
        if (api_version(call) >= API_VERSION(2, 58))
                json_object_set_new(o, "updated_at", action_time(json_object_get(a, "updated_at")));
        return o;
}

/* ---- list ---- */

typedef struct ListParams {
        Ctx *c;
        int version;
        ActionQuery q;
        int64_t page;            /* what a full page holds: the limit asked, at most MAX_LIMIT */
        int r;
} ListParams;

static int bad_param(Ctx *c, const char *name, const char *value, const char *why) {
        return ctx_error(c, -EINVAL, RES_INSTANCE_ACTION, "Invalid input for query parameters %s. Value: %s. %s", name,
                         value, why);
}

/* 2.58's query schema: limit, marker, changes-since (and changes-before from 2.66), each once, nothing else. */
static void list_param(const char *name, const char *value, void *userdata) {
        ListParams *p = userdata;
        Ctx *c = p->c;
        int64_t t = 0;

        if (p->r < 0)
                return;
        if (streq(name, "limit")) {
                if (p->q.limit >= 0)
                        p->r = bad_param(c, name, value, "It must be given once.");
                else if (parse_int64(value, 0, INT64_MAX, &p->q.limit) < 0)
                        p->r = bad_param(c, name, value, "It must be a non-negative integer.");
                else if (p->q.limit > MAX_LIMIT)
                        p->q.limit = MAX_LIMIT;
        } else if (streq(name, "marker")) {
                if (p->q.marker)
                        p->r = bad_param(c, name, value, "It must be given once.");
                p->q.marker = value;
        } else if (streq(name, "changes-since") || (streq(name, "changes-before") && p->version >= API_VERSION(2, 66))) {
                int64_t *slot = streq(name, "changes-since") ? &p->q.changes_since : &p->q.changes_before;
                if (*slot)
                        p->r = bad_param(c, name, value, "It must be given once.");
                else if (parse_iso8601(value, &t) < 0)
                        p->r = bad_param(c, name, value, "It must be an ISO 8601 date-time.");
                else
                        *slot = t > 0 ? t : 1;
        } else
                p->r = ctx_error(c, -EINVAL, RES_INSTANCE_ACTION,
                                 "Invalid input for query parameters: Additional properties are not allowed ('%s' was "
                                 "unexpected).",
                                 name);
}

/* The next page's link: the same query with the last request id as marker. */
static json_t *next_link(const ApiCall *call, const char *server_id, const char *last) {
        Buf url = {};
        char sep = '?';
        static const char *const kept[] = { "limit", "changes-since", "changes-before" };
        buf_printf(&url, "%s/compute/v2.1/servers/%s/os-instance-actions", api_base_url(), server_id);
        for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
                const char *v = api_query(call, kept[i]);
                if (!v)
                        continue;
                buf_printf(&url, "%c%s=", sep, kept[i]);
                buf_put_urlencoded(&url, v);
                sep = '&';
        }
        buf_printf(&url, "%cmarker=", sep);
        buf_put_urlencoded(&url, last);
        json_t *links = json_pack("[{s:s, s:s}]", "rel", "next", "href", url.data);
        buf_done(&url);
        return links;
}

static int actions_index(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "server_id");
        int v = api_version(call);
        ListParams p = { .c = c, .version = v, .q = { .limit = -1 } };
        _cleanup_json_ json_t *rec = NULL, *actions = NULL;
        int r;

        /* Nova validates the query before it looks for the server. */
        if (v >= API_VERSION(2, 58)) {
                api_query_foreach(call, list_param, &p);
                if (p.r < 0)
                        return p.r;
                if (p.q.changes_since && p.q.changes_before && p.q.changes_before < p.q.changes_since)
                        return ctx_error(c, -EINVAL, RES_INSTANCE_ACTION,
                                         "The value of changes-since must be less than or equal to changes-before.");
                p.page = p.q.limit >= 0 ? p.q.limit : MAX_LIMIT;
                p.q.limit = p.page;
        }
        r = compute_action_server(c, id, v >= API_VERSION(2, 21), &rec);
        if (r >= 0)
                r = compute_action_list(c, id, &p.q, &actions);
        if (r < 0)
                return r;
        json_t *out = json_array(), *a;
        size_t i;
        json_array_foreach(actions, i, a)
                json_array_append_new(out, render_action(call, a));
        reply->body = json_pack("{s:o}", "instanceActions", out);
        if (v >= API_VERSION(2, 58) && p.page > 0 && (int64_t) json_array_size(actions) == p.page)
                json_object_set_new(reply->body, "links",
                                    next_link(call, id, jx_string(json_array_get(actions, p.page - 1), "request_id")));
        return 0;
}

/* ---- show ---- */

static int actions_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "server_id");
        int v = api_version(call);
        /* Events are admins' (with tracebacks) until 2.51 lets the owner see them, tracebacks aside. */
        bool admin = c->auth.is_admin, events = admin || v >= API_VERSION(2, 51);
        _cleanup_json_ json_t *rec = NULL, *a = NULL;
        int r = compute_action_server(c, id, v >= API_VERSION(2, 21), &rec);
        if (r >= 0)
                r = compute_action_get(c, id, api_param(call, "request_id"), events, &a);
        if (r < 0)
                return r;
        json_t *o = render_action(call, a);
        if (events) {
                const char *project = jx_string(a, "project_id") ? jx_string(a, "project_id")
                                                                 : jx_string(rec, "project_id");
                json_t *list = json_array(), *e;
                size_t i;
                json_array_foreach(json_object_get(a, "events"), i, e) {
                        json_t *out = json_pack("{s:O, s:o, s:o, s:O}", "event", json_object_get(e, "event"),
                                                "start_time", action_time(json_object_get(e, "start_time")),
                                                "finish_time", action_time(json_object_get(e, "finish_time")),
                                                "result", json_object_get(e, "result"));
                        if (admin)
                                json_object_set(out, "traceback", json_object_get(e, "traceback"));
                        if (admin && v >= API_VERSION(2, 62))
                                json_object_set(out, "host", json_object_get(e, "host"));
                        if (v >= API_VERSION(2, 62)) {
                                _cleanup_free_ char *hid = compute_host_id(project, jx_string(e, "host"));
                                json_object_set_new(out, "hostId", json_string(hid));
                        }
                        json_array_append_new(list, out);
                }
                json_object_set_new(o, "events", list);
        }
        reply->body = json_pack("{s:o}", "instanceAction", o);
        return 0;
}

const ApiRoute compute_action_routes[] = {
        { "GET", "/v2.1/servers/{server_id}/os-instance-actions", actions_index, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/servers/{server_id}/os-instance-actions/{request_id}", actions_show, POLICY_AUTHENTICATED },
        {},
};
