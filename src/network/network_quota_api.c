/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v2.0/quotas: Neutron's quotas and quota_details extensions.  A project
 * reads its own limits, defaults and usage; admins read and change
 * anyone's.  A limit below what the project already uses is refused
 * unless "force" is given, as in Neutron.
 */
#include "network/network_api.h"

/* Others' quotas are for admins (Neutron's get_quota rule). */
static int may_read(Ctx *c, const char *project_id) {
        if (c->auth.is_admin || streq_ptr(project_id, c->auth.project_id))
                return 0;
        return ctx_error(c, -EACCES, RES_QUOTA, "(rule:get_quota) is disallowed by policy.");
}

/* {"network": 100, ...}: the limits of project_id. */
static int limits(Ctx *c, const char *project_id, json_t **ret) {
        json_t *o = json_object();
        const char *name;
        for (size_t i = 0; (name = network_quota_resource(i)); i++) {
                int64_t limit;
                int r = network_quota_limit(c, project_id, name, &limit);
                if (r < 0) {
                        json_decref(o);
                        return r;
                }
                json_object_set_new(o, name, json_integer(limit));
        }
        *ret = o;
        return 0;
}

static int quota_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *projects = NULL;
        size_t i;
        json_t *p;
        int r = network_quota_projects(c, &projects);
        if (r < 0)
                return r;
        json_t *out = json_array();
        json_array_foreach(projects, i, p) {
                json_t *o = NULL;
                if ((r = limits(c, json_string_value(p), &o)) < 0) {
                        json_decref(out);
                        return r;
                }
                json_object_set(o, "project_id", p);
                json_object_set(o, "tenant_id", p);
                json_array_append_new(out, o);
        }
        reply->body = json_pack("{s:o}", "quotas", out);
        return 0;
}

static int quota_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *project;
        json_t *o = NULL;
        int r = network_api_project_param(c, call, RES_QUOTA, &project);
        if (r < 0 || (r = may_read(c, project)) < 0 || (r = limits(c, project, &o)) < 0)
                return r;
        reply->body = json_pack("{s:o}", "quota", o);
        return 0;
}

static int quota_defaults(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *project, *name;
        int r = network_api_project_param(c, call, RES_QUOTA, &project);
        if (r < 0 || (r = may_read(c, project)) < 0)
                return r;
        json_t *o = json_object();
        for (size_t i = 0; (name = network_quota_resource(i)); i++)
                json_object_set_new(o, name, json_integer(network_quota_default(name)));
        reply->body = json_pack("{s:o}", "quota", o);
        return 0;
}

static int quota_details(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *project, *name;
        int r = network_api_project_param(c, call, RES_QUOTA, &project);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !streq_ptr(project, c->auth.project_id))
                return ctx_error(c, -EACCES, RES_QUOTA,
                                 "User does not have admin privileges: Only admin is authorized to access quotas for another project.");
        json_t *o = json_object();
        for (size_t i = 0; (name = network_quota_resource(i)); i++) {
                int64_t limit, used;
                if ((r = network_quota_limit(c, project, name, &limit)) < 0 ||
                    (r = network_quota_used(c, project, name, &used)) < 0) {
                        json_decref(o);
                        return r;
                }
                json_object_set_new(o, name, json_pack("{s:I, s:I, s:i}", "limit", (json_int_t) limit, "used",
                                                       (json_int_t) used, "reserved", 0));
        }
        reply->body = json_pack("{s:o}", "quota", o);
        return 0;
}

/* The caller's project, as Neutron's /quotas/project (and /quotas/tenant). */
static int quota_whoami(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        bool tenant = strstr(api_path(call), "/tenant") != NULL;
        if (!c->auth.project_id)
                return ctx_error(c, -EINVAL, RES_QUOTA, "Project-id was missing from quota request.");
        reply->body = json_pack("{s:{s:s}}", tenant ? "tenant" : "project", tenant ? "tenant_id" : "project_id",
                                c->auth.project_id);
        return 0;
}

/* A limit as Neutron's convert_to_int reads one: an integer, or a string of one; -1 through 2^31 - 1. */
static int limit_value(Ctx *c, const char *name, const json_t *v, int64_t *ret) {
        int64_t n;
        if (json_is_integer(v))
                n = json_integer_value(v);
        else if (!json_is_string(v) || parse_int64(json_string_value(v), INT64_MIN, INT64_MAX, &n) < 0)
                return ctx_error(c, -EINVAL, RES_QUOTA, "Invalid input for %s. Reason: '%s' is not an integer.", name,
                                 json_is_string(v) ? json_string_value(v) : "(not a string)");
        if (n < -1 || n > INT32_MAX)
                return ctx_error(c, -EINVAL, RES_QUOTA, "Invalid input for %s. Reason: '%" PRId64 "' is not in range -1 through %d.",
                                 name, n, INT32_MAX);
        *ret = n;
        return 0;
}

typedef struct QuotaChange {
        const char *project;
        const json_t *quota;     /* {"network": 10, ...}, or NULL: back to the defaults */
} QuotaChange;

static int change_locked(Ctx *c, void *userdata) {
        QuotaChange *q = userdata;
        bool force = json_is_true(json_object_get(q->quota, "force"));
        const char *name;
        json_t *v;
        int r;

        if (!q->quota)
                return network_quota_reset(c, q->project);
        json_object_foreach((json_t *) q->quota, name, v) {
                int64_t limit = 0, used = 0;
                if (streq(name, "force") || streq(name, "check_limit"))
                        continue;
                if (!network_quota_known(name))
                        return ctx_error(c, -EINVAL, RES_QUOTA, "Unrecognized attribute(s) '%s'", name);
                if ((r = limit_value(c, name, v, &limit)) < 0)
                        return r;
                if (!force && limit >= 0) {
                        if ((r = network_quota_used(c, q->project, name, &used)) < 0)
                                return r;
                        if (used > limit)
                                return ctx_error(c, -EINVAL, RES_QUOTA,
                                                 "Quota limit %" PRId64 " for %s must be greater than or equal to already used %" PRId64,
                                                 limit, name, used);
                }
                if ((r = network_quota_set(c, q->project, name, limit)) < 0)
                        return r;
        }
        return 0;
}

static int quota_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        QuotaChange q = { .quota = json_object_get(body, "quota") };
        json_t *o = NULL;
        int r = network_api_project_param(c, call, RES_QUOTA, &q.project);
        if (r < 0 || (r = res_transaction(c, "storing quotas", change_locked, &q)) < 0 ||
            (r = limits(c, q.project, &o)) < 0)
                return r;
        reply->body = json_pack("{s:o}", "quota", o);
        return 0;
}

static int quota_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        QuotaChange q = {};
        int r = network_api_project_param(c, call, RES_QUOTA, &q.project);
        return r < 0 ? r : res_transaction(c, "deleting quotas", change_locked, &q);
}

static int quota_post(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return ctx_error(c, -EOPNOTSUPP, RES_QUOTA, "POST requests are not supported on this resource.");
}

const NetExtension network_quota_extensions[] = {
        { "quotas", "Quota management support", "Expose functions for quotas management per project" },
        { "quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project" },
        {},
};

const ApiRoute network_quota_routes[] = {
        { "GET", "/v2.0/quotas", quota_list, POLICY_ADMIN },
        { "POST", "/v2.0/quotas", quota_post, POLICY_ADMIN },
        { "GET", "/v2.0/quotas/project", quota_whoami, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/quotas/tenant", quota_whoami, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/quotas/{project_id}", quota_show, POLICY_AUTHENTICATED },
        { "PUT", "/v2.0/quotas/{project_id}", quota_update, POLICY_ADMIN, "network-quota-update.json" },
        { "DELETE", "/v2.0/quotas/{project_id}", quota_delete, POLICY_ADMIN, NULL, 204 },
        { "GET", "/v2.0/quotas/{project_id}/default", quota_defaults, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/quotas/{project_id}/details", quota_details, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/quotas/{project_id}/details.json", quota_details, POLICY_AUTHENTICATED },
        {},
};
