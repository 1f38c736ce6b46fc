/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/os-quota-sets and /limits: a project's quotas (its own
 * limits over the defaults), the defaults, the detail with what is in
 * use, admins' changes and resets; and the absolute limits with their use
 * as Nova's limits API names them.  The resources shown follow Nova's
 * microversions: the network ones go at 2.36, the injected files at 2.57,
 * maxImageMeta at 2.39.
 */
#include "compute/compute_api.h"

/* Whether resource still exists at the call's microversion. */
static bool shown(const ApiCall *call, const char *resource) {
        static const char *const network[] = { "fixed_ips", "floating_ips", "security_groups", "security_group_rules" };
        int v = api_version(call);
        for (size_t i = 0; i < ELEMENTSOF(network); i++)
                if (streq(resource, network[i]))
                        return v < API_VERSION(2, 36);
        if (startswith(resource, "injected_file"))
                return v < API_VERSION(2, 57);
        return true;
}

/* {"quota_set": {...}} of values (resource -> JSON), with the id unless it is NULL. */
static json_t *quota_set(const ApiCall *call, const char *id, const json_t *values) {
        json_t *o = json_object();
        const char *name;
        if (id)
                json_object_set_new(o, "id", json_string(id));
        for (size_t i = 0; (name = compute_quota_resource(i)); i++)
                if (shown(call, name))
                        json_object_set(o, name, json_object_get(values, name));
        return json_pack("{s:o}", "quota_set", o);
}

static const char *const user_params[] = { "user_id", NULL };

/*
 * The project a request is about: it must exist (Nova's 400), and a
 * non-admin may only look at its own.
 */
static int target(Ctx *c, const ApiCall *call, const char *what) {
        const char *project_id = api_param(call, "project_id");
        int r = compute_api_query_strict(c, call, RES_QUOTA, user_params);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !streq_ptr(project_id, c->auth.project_id))
                return ctx_error(c, -EACCES, RES_QUOTA, "Policy doesn't allow os_compute_api:os-quota-sets:%s to be "
                                 "performed.", what);
        return compute_project_check(c, project_id);
}

/*
 * ?user_id= on a read shows the project's limits: per-user limits cannot
 * be set here, so a user's are always its project's.  A change asking
 * for them is refused rather than applied to the whole project.
 */
static int no_user_quotas(Ctx *c, const ApiCall *call) {
        if (api_query(call, "user_id"))
                return ctx_error(c, -EINVAL, RES_QUOTA, "Per-user quotas are not supported: set the project's "
                                 "quotas (without user_id).");
        return 0;
}

static int quotas_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *limits = NULL;
        int r = target(c, call, "show");
        if (r >= 0)
                r = compute_quota_get(c, api_param(call, "project_id"), &limits);
        if (r < 0)
                return r;
        reply->body = quota_set(call, api_param(call, "project_id"), limits);
        return 0;
}

static int quotas_detail(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *project_id = api_param(call, "project_id"), *name;
        _cleanup_json_ json_t *limits = NULL, *used = NULL, *values = json_object();
        int r = target(c, call, "detail");
        if (r >= 0)
                r = compute_quota_get(c, project_id, &limits);
        if (r >= 0)
                r = compute_quota_usage(c, project_id, &used);
        if (r < 0)
                return r;
        /* Nova reserves nothing any more, and says so with a 0. */
        for (size_t i = 0; (name = compute_quota_resource(i)); i++)
                json_object_set_new(values, name, json_pack("{s:O, s:O, s:i}", "in_use", json_object_get(used, name),
                                                            "limit", json_object_get(limits, name), "reserved", 0));
        reply->body = quota_set(call, project_id, values);
        return 0;
}

static int quotas_defaults(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *limits = NULL;
        int r = compute_project_check(c, api_param(call, "project_id"));
        if (r >= 0)
                r = compute_quota_defaults(c, &limits);
        if (r < 0)
                return r;
        reply->body = quota_set(call, api_param(call, "project_id"), limits);
        return 0;
}

/* A limit as Nova takes it: an integer or a string of one, -1 (unlimited) to 2^31 - 1. */
static int limit_value(Ctx *c, const char *key, const json_t *v, int64_t *ret) {
        const char *s = json_string_value(v);
        if (json_is_integer(v))
                *ret = json_integer_value(v);
        else if (!s || parse_int64(s, INT64_MIN, INT64_MAX, ret) < 0 || strspn(s + (s[0] == '-'), "0123456789") !=
                                                                               strlen(s + (s[0] == '-')))
                return ctx_error(c, -EINVAL, RES_QUOTA, "Invalid input for field/attribute %s. Value: %s. It must be "
                                 "an integer.", key, s ? s : "");
        if (*ret < -1 || *ret > INT32_MAX)
                return ctx_error(c, -EINVAL, RES_QUOTA, "Invalid input for field/attribute %s. Value: %lld. It must be "
                                 "between -1 and %d.", key, (long long) *ret, INT32_MAX);
        return 0;
}

static int quotas_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *project_id = api_param(call, "project_id"), *key;
        const json_t *in = json_object_get(body, "quota_set"), *v;
        _cleanup_json_ json_t *limits = json_object(), *now = NULL;
        bool force = false;
        int r = target(c, call, "update");
        if (r >= 0)
                r = no_user_quotas(c, call);
        if (r < 0)
                return r;
        json_object_foreach((json_t *) in, key, v) {
                int64_t n = 0;
                if (streq(key, "force")) {
                        if (compute_api_bool(v, &force) < 0)
                                return ctx_error(c, -EINVAL, RES_QUOTA, "Invalid input for field/attribute force.");
                        continue;
                }
                /* Nova skips an empty value. */
                if (json_is_string(v) && isempty(json_string_value(v)))
                        continue;
                r = limit_value(c, key, v, &n);
                if (r < 0)
                        return r;
                json_object_set_new(limits, key, json_integer(n));
        }
        r = compute_quota_set(c, project_id, limits, force);
        if (r >= 0)
                r = compute_quota_get(c, project_id, &now);
        if (r < 0)
                return r;
        /* Nova's answer to an update has no id. */
        reply->body = quota_set(call, NULL, now);
        return 0;
}

static int quotas_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        int r = target(c, call, "delete");
        if (r >= 0)
                r = no_user_quotas(c, call);
        return r < 0 ? r : compute_quota_set(c, api_param(call, "project_id"), NULL, false);
}

/* ---- limits ---- */

static const struct {
        const char *name;        /* in the limits API */
        const char *resource;
        bool used;               /* a use ("total...Used"), not a limit */
        int max_version;         /* the last microversion that shows it, 0: all */
} limit_names[] = {
        { "maxTotalInstances", "instances" },
        { "maxTotalCores", "cores" },
        { "maxTotalRAMSize", "ram" },
        { "maxTotalKeypairs", "key_pairs" },
        { "maxServerMeta", "metadata_items" },
        { "maxImageMeta", "metadata_items", .max_version = API_VERSION(2, 38) },
        { "maxPersonality", "injected_files" },
        { "maxPersonalitySize", "injected_file_content_bytes" },
        { "maxTotalFloatingIps", "floating_ips" },
        { "maxSecurityGroups", "security_groups" },
        { "maxSecurityGroupRules", "security_group_rules" },
        { "maxServerGroups", "server_groups" },
        { "maxServerGroupMembers", "server_group_members" },
        { "totalInstancesUsed", "instances", true },
        { "totalCoresUsed", "cores", true },
        { "totalRAMUsed", "ram", true },
        { "totalFloatingIpsUsed", "floating_ips", true },
        { "totalSecurityGroupsUsed", "security_groups", true },
        { "totalServerGroupsUsed", "server_groups", true },
};

static const char *const limits_params[] = { "tenant_id", NULL };

static int limits_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *project_id = c->auth.project_id ? c->auth.project_id : "";
        _cleanup_json_ json_t *limits = NULL, *used = NULL;
        int r = compute_api_query_strict(c, call, RES_QUOTA, limits_params);
        if (r < 0)
                return r;
        if (api_query_has(call, "tenant_id")) {
                if (!c->auth.is_admin)
                        return ctx_error(c, -EACCES, RES_QUOTA, "Policy doesn't allow "
                                         "os_compute_api:limits:other_project to be performed.");
                project_id = api_query(call, "tenant_id");
        }
        r = compute_quota_get(c, project_id, &limits);
        if (r >= 0)
                r = compute_quota_usage(c, project_id, &used);
        if (r < 0)
                return r;
        json_t *absolute = json_object();
        for (size_t i = 0; i < ELEMENTSOF(limit_names); i++) {
                if (!shown(call, limit_names[i].resource) ||
                    (limit_names[i].max_version && api_version(call) > limit_names[i].max_version))
                        continue;
                json_object_set(absolute, limit_names[i].name,
                                json_object_get(limit_names[i].used ? used : limits, limit_names[i].resource));
        }
        reply->body = json_pack("{s:{s:[], s:o}}", "limits", "rate", "absolute", absolute);
        return 0;
}

const ApiRoute compute_quota_routes[] = {
        { "GET", "/v2.1/os-quota-sets/{project_id}", quotas_show, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/os-quota-sets/{project_id}/detail", quotas_detail, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/os-quota-sets/{project_id}/defaults", quotas_defaults, POLICY_AUTHENTICATED },
        { "PUT", "/v2.1/os-quota-sets/{project_id}", quotas_update, POLICY_ADMIN, "compute-quota-set-update.json" },
        { "DELETE", "/v2.1/os-quota-sets/{project_id}", quotas_delete, POLICY_ADMIN, NULL, 202 },
        { "GET", "/v2.1/limits", limits_show, POLICY_AUTHENTICATED },
        {},
};
