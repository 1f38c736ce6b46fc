/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/os-server-groups: Nova's server groups, per microversion:
 * a list of policies and an empty metadata until 2.63, one policy and its
 * rules from 2.64; the soft policies from 2.15; project_id and user_id
 * from 2.13; unknown list parameters refused from 2.75.  compute_group.c
 * decides.
 */
#include "compute/compute_api.h"

/* Nova's [api] max_limit: the longest list one request gets. */
#define MAX_LIMIT 1000

static json_t *render_group(const ApiCall *call, const json_t *g, json_t *members) {
        int v = api_version(call);
        json_t *o = json_pack("{s:O, s:O}", "id", json_object_get(g, "id"), "name", json_object_get(g, "name"));
        if (v >= API_VERSION(2, 64)) {
                const json_t *rules = json_object_get(g, "rules");
                json_object_set(o, "policy", json_object_get(g, "policy"));
                json_object_set_new(o, "rules", json_is_object(rules) ? json_deep_copy(rules) : json_object());
        } else {
                json_object_set_new(o, "policies", json_pack("[O]", json_object_get(g, "policy")));
                json_object_set_new(o, "metadata", json_object());
        }
        json_object_set_new(o, "members", members);
        if (v >= API_VERSION(2, 13)) {
                json_object_set(o, "project_id", json_object_get(g, "project_id"));
                json_object_set(o, "user_id", json_object_get(g, "user_id"));
        }
        return o;
}

static int render_with_members(Ctx *c, const ApiCall *call, const json_t *g, json_t **ret) {
        json_t *members = NULL;
        int r = compute_group_members(c, jx_string(g, "id"), &members);
        if (r < 0)
                return r;
        *ret = render_group(call, g, members);
        return 0;
}

static int groups_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *in = json_object_get(body, "server_group");
        _cleanup_json_ json_t *obj = json_pack("{s:O}", "name", json_object_get(in, "name")), *g = NULL;
        json_t *o = NULL;
        int r;

        if (api_version(call) >= API_VERSION(2, 64)) {
                const char *policy = jx_string(in, "policy");
                const json_t *rules = json_object_get(in, "rules"), *max = json_object_get(rules, "max_server_per_host");
                if (json_object_size(rules) > 0 && !streq(policy, "anti-affinity"))
                        return ctx_error(c, -EINVAL, RES_SERVER_GROUP, "Only anti-affinity policy supports rules.");
                json_object_set_new(obj, "policy", json_string(policy));
                /* Stored as an integer however it came ("2" from the openstack CLI). */
                int64_t n = json_integer_value(max);
                if (json_is_string(max) && parse_int64(json_string_value(max), 1, INT64_MAX, &n) < 0)
                        return ctx_error(c, -EINVAL, RES_SERVER_GROUP,
                                         "Invalid input for field 'server_group/rules/max_server_per_host'.");
                json_object_set_new(obj, "rules", max ? json_pack("{s:I}", "max_server_per_host", (json_int_t) n)
                                                      : json_object());
        } else
                json_object_set(obj, "policy", json_array_get(json_object_get(in, "policies"), 0));
        r = compute_group_create(c, obj, &g);
        if (r >= 0)
                r = render_with_members(c, call, g, &o);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "server_group", o);
        return 0;
}

typedef struct GroupListParams {
        Ctx *c;
        int version;
        int64_t offset, limit;
        int r;
} GroupListParams;

/* all_projects, limit and offset (non-negative integers); anything else only before 2.75. */
static void list_param(const char *name, const char *value, void *userdata) {
        GroupListParams *p = userdata;
        int64_t n = 0;
        if (p->r < 0 || streq(name, "all_projects"))
                return;
        if (streq(name, "limit") || streq(name, "offset")) {
                if (parse_int64(value, 0, INT64_MAX, &n) < 0)
                        p->r = ctx_error(p->c, -EINVAL, RES_SERVER_GROUP,
                                         "Invalid input for query parameters %s. Value: %s. It must be a non-negative "
                                         "integer.",
                                         name, value);
                else
                        *(streq(name, "limit") ? &p->limit : &p->offset) = n;
        } else if (p->version >= API_VERSION(2, 75))
                p->r = ctx_error(p->c, -EINVAL, RES_SERVER_GROUP,
                                 "Invalid input for query parameters: Additional properties are not allowed ('%s' was "
                                 "unexpected).",
                                 name);
}

static int groups_index(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        GroupListParams p = { .c = c, .version = api_version(call) };
        _cleanup_json_ json_t *groups = NULL;
        api_query_foreach(call, list_param, &p);
        if (p.r < 0)
                return p.r;
        /* Nova's common.limited: no limit (or 0) is the most it gives. */
        int64_t limit = p.limit > 0 && p.limit < MAX_LIMIT ? p.limit : MAX_LIMIT;
        /* A non-admin asking for all projects gets its own, as in Nova. */
        bool all = c->auth.is_admin && api_query_has(call, "all_projects");
        int r = compute_group_list(c, all, p.offset, limit, &groups);
        if (r < 0)
                return r;
        json_t *out = json_array(), *g;
        size_t i;
        json_array_foreach(groups, i, g) {
                json_t *o = NULL;
                r = render_with_members(c, call, g, &o);
                if (r < 0) {
                        json_decref(out);
                        return r;
                }
                json_array_append_new(out, o);
        }
        reply->body = json_pack("{s:o}", "server_groups", out);
        return 0;
}

static int groups_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *g = NULL;
        json_t *o = NULL;
        int r = compute_group_get(c, api_param(call, "server_group_id"), &g);
        if (r >= 0)
                r = render_with_members(c, call, g, &o);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "server_group", o);
        return 0;
}

static int groups_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_group_delete(c, api_param(call, "server_group_id"));
}

const ApiRoute compute_group_routes[] = {
        { "GET", "/v2.1/os-server-groups", groups_index, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/os-server-groups", groups_create, POLICY_AUTHENTICATED, "compute-server-group-create.json",
          .max_version = API_VERSION(2, 14) },
        { "POST", "/v2.1/os-server-groups", groups_create, POLICY_AUTHENTICATED, "compute-server-group-create-v215.json",
          .min_version = API_VERSION(2, 15), .max_version = API_VERSION(2, 63) },
        { "POST", "/v2.1/os-server-groups", groups_create, POLICY_AUTHENTICATED, "compute-server-group-create-v264.json",
          .min_version = API_VERSION(2, 64) },
        { "GET", "/v2.1/os-server-groups/{server_group_id}", groups_show, POLICY_AUTHENTICATED },
        { "DELETE", "/v2.1/os-server-groups/{server_group_id}", groups_delete, POLICY_AUTHENTICATED, NULL, 204 },
        {},
};
