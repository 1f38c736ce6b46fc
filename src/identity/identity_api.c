/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /identity: Keystone v3's routes, declared once, and the handlers that
 * are not plain CRUD (version discovery, auth, memberships, assignments,
 * password change).  Plain CRUD goes to the resource engine's generic
 * handlers (api/api_resource.h) with the ResDef as route data.  Handlers
 * parse and render; every query is in the service's files.
 */
#include "api/api_resource.h"
#include "identity/identity.h"
#include "identity/identity_password.h"
#include "identity/identity_resources.h"
#include "util/embed.h"
#include "util/log.h"

/* ---- version discovery ---- */

static json_t *version_v3(void) {
        _cleanup_free_ char *url = xasprintf("%s/identity/v3/", api_base_url());
        return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:[{s:s, s:s}]}",
                         "id", "v3.14", "status", "stable", "updated", "2020-04-07T00:00:00Z",
                         "links", "rel", "self", "href", url,
                         "media-types", "base", "application/json", "type",
                         "application/vnd.openstack.identity-v3+json");
}

static int versions(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        reply->body = json_pack("{s:{s:[o]}}", "versions", "values", version_v3());
        /* Keystone answers the unversioned root with 300 Multiple Choices. */
        reply->status = 300;
        return 0;
}

static int version(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        reply->body = json_pack("{s:o}", "version", version_v3());
        return 0;
}

/* ---- tokens ---- */

static int tokens_issue(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_free_ char *token = NULL;
        TokenInfo t = {};
        int r = identity_authenticate(c, body, &token, &t);
        if (r < 0)
                return r;
        api_reply_header(reply, "X-Subject-Token", token);
        reply->body = json_pack("{s:o}", "token", identity_token_render(c, &t, !api_query_has(call, "nocatalog")));
        log_full(LOG_LEVEL_DEBUG, "identity", c->request_id, "issued token for user %s", t.payload.user_id);
        token_info_done(&t);
        return 0;
}

/*
 * Validates the X-Subject-Token for GET/HEAD/DELETE.  Keystone lets a user
 * handle its own tokens, and admins any token.  An invalid subject token is
 * 404, unlike an invalid X-Auth-Token (401).
 */
static int subject_token(Ctx *c, const ApiCall *call, TokenInfo *ret) {
        const char *subject = api_header(call, "X-Subject-Token");
        int r;

        if (isempty(subject))
                return ctx_error(c, -EINVAL, RES_TOKEN, "The X-Subject-Token header is required.");
        r = identity_token_validate(c, subject, ret);
        if (r == -EPERM) {
                ctx_clear_error(c);
                return ctx_error(c, -ENOENT, RES_TOKEN, "Could not find token: %.24s...", subject);
        }
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !streq(ret->payload.user_id, c->auth.user_id)) {
                token_info_done(ret);
                return ctx_error(c, -EACCES, RES_TOKEN, "You are not authorized to perform the requested action.");
        }
        return 0;
}

static int tokens_validate(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        TokenInfo t = {};
        int r = subject_token(c, call, &t);
        if (r < 0)
                return r;
        api_reply_header(reply, "X-Subject-Token", api_header(call, "X-Subject-Token"));
        reply->body = json_pack("{s:o}", "token", identity_token_render(c, &t, !api_query_has(call, "nocatalog")));
        token_info_done(&t);
        return 0;
}

static int tokens_revoke(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        TokenInfo t = {};
        int r = subject_token(c, call, &t);
        if (r < 0)
                return r;
        r = identity_revoke_token(c, &t.payload);
        token_info_done(&t);
        return r;
}

/* A Keystone list of records of d (rows, stolen): rendered, with the collection's links. */
static int reply_records(Ctx *c, const ApiCall *call, ApiReply *reply, const ResDef *d, json_t *rows) {
        json_t *items = json_array(), *rec;
        size_t i;
        json_array_foreach(rows, i, rec)
                json_array_append_new(items, api_res_render(c, call, d, rec));
        json_decref(rows);
        reply->body = api_res_collection(call, d, items, false, NULL);
        return 0;
}

/* {"key": items (stolen), "links": ...}: Keystone's envelope for lists that are not of records. */
static int reply_list(ApiReply *reply, const char *key, json_t *items, const ApiCall *call) {
        _cleanup_free_ char *self = xasprintf("%s%s", api_base_url(), api_path(call));
        reply->body = json_pack("{s:o, s:{s:s, s:n, s:n}}", key, items, "links", "self", self, "previous", "next");
        return 0;
}

static int auth_projects(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *rows;
        int r = identity_user_targets(c, c->auth.user_id, &res_project, &rows);
        return r < 0 ? r : reply_records(c, call, reply, &res_project, rows);
}

static int auth_domains(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *rows;
        int r = identity_user_targets(c, c->auth.user_id, &res_domain, &rows);
        return r < 0 ? r : reply_records(c, call, reply, &res_domain, rows);
}

static int auth_catalog(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *catalog;
        int r = identity_catalog(c, &catalog);
        return r < 0 ? r : reply_list(reply, "catalog", catalog, call);
}

static int auth_system(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return reply_list(reply, "system", json_array(), call);
}

/* ---- users ---- */

static int user_projects(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *user = NULL;
        json_t *rows;
        int r = res_get(c, &res_user, api_param(call, "user_id"), &user);
        if (r >= 0)
                r = identity_user_targets(c, api_param(call, "user_id"), &res_project, &rows);
        return r < 0 ? r : reply_records(c, call, reply, &res_project, rows);
}

static int user_password(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *u = json_object_get(body, "user");
        const char *id = api_param(call, "user_id");
        _cleanup_json_ json_t *user = NULL, *patch = NULL, *updated = NULL;
        int r;

        /*
         * Knowing the original password is the authorization, as in Keystone,
         * and only for an enabled user in an enabled domain (issue 7).  An
         * unknown user costs the same check (user NULL): timing must not tell
         * which user ids exist.
         */
        r = res_lookup(c, &res_user, id, &user);
        if ((r == -ENOENT || r >= 0) &&
            (password_verify(jx_string(user, "password_hash"), jx_string(u, "original_password")) < 0 ||
             !identity_user_usable(c, user)))
                return ctx_error(c, -EPERM, RES_USER, "The request you have made requires authentication.");
        if (r < 0)
                return ctx_error(c, r, RES_USER, "Database error while reading user %s.", id);
        patch = json_pack("{s:O}", "password", json_object_get(u, "password"));
        r = res_update(c, &res_user, id, patch, &updated);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "identity", c->request_id, "user %s changed its password", id);
        return 0;
}

static int user_groups(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *user = NULL;
        json_t *rows;
        int r = res_get(c, &res_user, api_param(call, "user_id"), &user);
        if (r >= 0)
                r = identity_user_groups(c, api_param(call, "user_id"), &rows);
        return r < 0 ? r : reply_records(c, call, reply, &res_group, rows);
}

/* ---- group membership ---- */

/* The group, and the user when the route names one, must exist (404 otherwise). */
static int group_and_user(Ctx *c, const ApiCall *call) {
        _cleanup_json_ json_t *g = NULL, *u = NULL;
        int r = res_get(c, &res_group, api_param(call, "group_id"), &g);
        if (r >= 0 && api_param(call, "user_id"))
                r = res_get(c, &res_user, api_param(call, "user_id"), &u);
        return r;
}

static int group_users(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *rows;
        int r = group_and_user(c, call);
        if (r >= 0)
                r = identity_group_users(c, api_param(call, "group_id"), &rows);
        return r < 0 ? r : reply_records(c, call, reply, &res_user, rows);
}

static int member_op(Ctx *c, const ApiCall *call, IdentityMemberOp op) {
        int r = group_and_user(c, call);
        return r < 0 ? r : identity_group_member(c, api_param(call, "group_id"), api_param(call, "user_id"), op);
}

static int group_member_add(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return member_op(c, call, IDENTITY_MEMBER_ADD);
}

static int group_member_check(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return member_op(c, call, IDENTITY_MEMBER_CHECK);
}

static int group_member_remove(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return member_op(c, call, IDENTITY_MEMBER_REMOVE);
}

/* ---- role assignments ---- */

/* Which kind of target and actor an assignment route is about. */
typedef struct AssignKind {
        const char *target;      /* "project" or "domain" */
        const char *actor;       /* "user" or "group" */
} AssignKind;

static const AssignKind project_user = { "project", "user" }, project_group = { "project", "group" },
                        domain_user = { "domain", "user" }, domain_group = { "domain", "group" };

/* The grant a route names: checks that the target, actor and (if named) role exist; 404 otherwise. */
static int grant_of(Ctx *c, const ApiCall *call, IdentityGrant *ret) {
        const AssignKind *k = api_route_data(call);
        _cleanup_json_ json_t *t = NULL, *a = NULL, *role = NULL;
        int r = res_get(c, streq(k->target, "project") ? &res_project : &res_domain, api_param(call, "target_id"), &t);
        if (r >= 0)
                r = res_get(c, streq(k->actor, "user") ? &res_user : &res_group, api_param(call, "actor_id"), &a);
        if (r >= 0 && api_param(call, "role_id"))
                r = res_get(c, &res_role, api_param(call, "role_id"), &role);
        if (r < 0)
                return r;
        *ret = (IdentityGrant) { k->actor, api_param(call, "actor_id"), k->target, api_param(call, "target_id"),
                                 api_param(call, "role_id") };
        return 0;
}

static int assignment_grant(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        IdentityGrant g;
        int r = grant_of(c, call, &g);
        if (r >= 0)
                r = identity_grant(c, &g);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "identity", c->request_id, "granted role %s to %s %s on %s %s", g.role_id,
                         g.actor_type, g.actor_id, g.target_type, g.target_id);
        return r;
}

static int assignment_check(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        IdentityGrant g;
        int r = grant_of(c, call, &g);
        return r < 0 ? r : identity_grant_check(c, &g);
}

static int assignment_revoke(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        IdentityGrant g;
        int r = grant_of(c, call, &g);
        if (r >= 0)
                r = identity_grant_revoke(c, &g);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "identity", c->request_id, "revoked role %s from %s %s on %s %s", g.role_id,
                         g.actor_type, g.actor_id, g.target_type, g.target_id);
        return r;
}

static int assignment_list_roles(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        IdentityGrant g;
        json_t *rows;
        int r = grant_of(c, call, &g);
        if (r >= 0)
                r = identity_grant_roles(c, &g, &rows);
        return r < 0 ? r : reply_records(c, call, reply, &res_role, rows);
}

/* Adds {"id", "name", "domain"} names to an assignment part when include_names is set. */
static json_t *named_ref(Ctx *c, const ResDef *d, const char *id, bool names) {
        json_t *ref = json_pack("{s:s}", "id", id);
        _cleanup_json_ json_t *rec = NULL, *dom = NULL;
        if (!names || res_lookup(c, d, id, &rec) < 0)
                return ref;
        json_object_set(ref, "name", json_object_get(rec, "name"));
        const char *domain_id = jx_string(rec, "domain_id");
        if (domain_id && res_lookup(c, &res_domain, domain_id, &dom) >= 0)
                json_object_set_new(ref, "domain", json_pack("{s:s, s:O}", "id", domain_id, "name",
                                                             json_object_get(dom, "name")));
        return ref;
}

static json_t *assignment_json(Ctx *c, const char *actor_type, const char *actor_id, const char *target_type,
                               const char *target_id, const char *role_id, bool names, const char *group_id) {
        const ResDef *actor = streq(actor_type, "user") ? &res_user : &res_group;
        const ResDef *target = streq(target_type, "project") ? &res_project : &res_domain;
        _cleanup_free_ char *link = xasprintf("%s/identity/v3/%ss/%s/%ss/%s/roles/%s", api_base_url(), target_type,
                                              target_id, group_id ? "group" : actor_type, group_id ? group_id : actor_id,
                                              role_id);
        json_t *a = json_pack("{s:o, s:o, s:{s:o}, s:{s:s}}",
                              "role", named_ref(c, &res_role, role_id, names),
                              actor_type, named_ref(c, actor, actor_id, names),
                              "scope", target_type, named_ref(c, target, target_id, names),
                              "links", "assignment", link);
        if (group_id) {
                _cleanup_free_ char *m = xasprintf("%s/identity/v3/groups/%s/users/%s", api_base_url(), group_id, actor_id);
                json_object_set_new(json_object_get(a, "links"), "membership", json_string(m));
        }
        return a;
}

/*
 * GET /v3/role_assignments with Keystone's filters.  ?effective expands
 * group assignments into one per member and adds implied roles, which is
 * what a token would carry.
 */
static int role_assignments(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        IdentityAssignmentQuery q = {
                .user_id = api_query(call, "user.id"), .group_id = api_query(call, "group.id"),
                .role_id = api_query(call, "role.id"), .project_id = api_query(call, "scope.project.id"),
                .domain_id = api_query(call, "scope.domain.id"), .effective = api_query_has(call, "effective"),
        };
        bool names = api_query_has(call, "include_names");
        _cleanup_json_ json_t *rows = NULL;
        json_t *a;
        size_t i;

        if (q.effective && q.group_id)
                return ctx_error(c, -EINVAL, RES_ASSIGNMENT, "Combining effective and group filter will always result in an empty list.");
        int r = identity_role_assignments(c, &q, &rows);
        if (r < 0)
                return r;
        json_t *items = json_array();
        json_array_foreach(rows, i, a)
                json_array_append_new(items, assignment_json(c, jx_string(a, "actor_type"), jx_string(a, "actor_id"),
                                                             jx_string(a, "target_type"), jx_string(a, "target_id"),
                                                             jx_string(a, "role_id"), names, jx_string(a, "via_group")));
        return reply_list(reply, "role_assignments", items, call);
}

/* ---- the route table ---- */

/* The request schemas (src/identity/schemas/), embedded by the build. */
extern const EmbeddedFile identity_api_schemas[];

/* hashes: create and update may set a password (users), so they run on the hash pool. */
#define CRUD(plural, param, def, create_schema, update_schema, hashes_)                                        \
        { "POST", "/v3/" plural, api_res_create, POLICY_ADMIN, create_schema, 201, def, .hashes = hashes_ }, \
        { "GET", "/v3/" plural, api_res_list, POLICY_AUTHENTICATED, NULL, 0, def },                                \
        { "GET", "/v3/" plural "/{" param "}", api_res_get, POLICY_AUTHENTICATED, NULL, 0, def },                 \
        { "PATCH", "/v3/" plural "/{" param "}", api_res_update, POLICY_ADMIN, update_schema, 0, def,       \
          .hashes = hashes_ },                                                                                \
        { "DELETE", "/v3/" plural "/{" param "}", api_res_delete, POLICY_ADMIN, NULL, 204, def }

#define ASSIGN(prefix, kind)                                                                                  \
        { "GET", prefix "/roles", assignment_list_roles, POLICY_ADMIN, NULL, 0, &kind },                     \
        { "PUT", prefix "/roles/{role_id}", assignment_grant, POLICY_ADMIN, NULL, 204, &kind },              \
        { "GET", prefix "/roles/{role_id}", assignment_check, POLICY_ADMIN, NULL, 204, &kind },              \
        { "DELETE", prefix "/roles/{role_id}", assignment_revoke, POLICY_ADMIN, NULL, 204, &kind }

static const ApiRoute identity_routes[] = {
        { "GET", "", versions, POLICY_PUBLIC },
        { "GET", "/", versions, POLICY_PUBLIC },
        { "GET", "/v3", version, POLICY_PUBLIC },
        { "GET", "/v3/", version, POLICY_PUBLIC },

        { "POST", "/v3/auth/tokens", tokens_issue, POLICY_PUBLIC, "identity-auth-tokens.json", 201, .hashes = true },
        { "GET", "/v3/auth/tokens", tokens_validate, POLICY_AUTHENTICATED },
        { "DELETE", "/v3/auth/tokens", tokens_revoke, POLICY_AUTHENTICATED, NULL, 204 },
        { "GET", "/v3/auth/projects", auth_projects, POLICY_AUTHENTICATED },
        { "GET", "/v3/auth/domains", auth_domains, POLICY_AUTHENTICATED },
        { "GET", "/v3/auth/catalog", auth_catalog, POLICY_AUTHENTICATED },
        { "GET", "/v3/auth/system", auth_system, POLICY_AUTHENTICATED },

        CRUD("domains", "domain_id", &res_domain, "identity-domain-create.json", "identity-domain-update.json", false),
        CRUD("projects", "project_id", &res_project, "identity-project-create.json", "identity-project-update.json", false),
        CRUD("users", "user_id", &res_user, "identity-user-create.json", "identity-user-update.json", true),
        CRUD("groups", "group_id", &res_group, "identity-group-create.json", "identity-group-update.json", false),
        CRUD("roles", "role_id", &res_role, "identity-role-create.json", "identity-role-update.json", false),
        CRUD("regions", "region_id", &res_region, "identity-region-create.json", "identity-region-update.json", false),
        CRUD("services", "service_id", &res_service, "identity-service-create.json", "identity-service-update.json", false),
        CRUD("endpoints", "endpoint_id", &res_endpoint, "identity-endpoint-create.json", "identity-endpoint-update.json", false),
        /* Keystone lets a client choose a region's id with PUT. */
        { "PUT", "/v3/regions/{region_id}", api_res_create, POLICY_ADMIN, "identity-region-create.json", 201, &res_region },

        { "GET", "/v3/users/{user_id}/projects", user_projects, POLICY_ADMIN_OR_SELF },
        { "GET", "/v3/users/{user_id}/groups", user_groups, POLICY_ADMIN_OR_SELF },
        { "POST", "/v3/users/{user_id}/password", user_password, POLICY_PUBLIC, "identity-user-password.json", 204,
          .hashes = true },

        { "GET", "/v3/groups/{group_id}/users", group_users, POLICY_ADMIN },
        { "PUT", "/v3/groups/{group_id}/users/{user_id}", group_member_add, POLICY_ADMIN, NULL, 204 },
        { "GET", "/v3/groups/{group_id}/users/{user_id}", group_member_check, POLICY_ADMIN, NULL, 204 },
        { "DELETE", "/v3/groups/{group_id}/users/{user_id}", group_member_remove, POLICY_ADMIN, NULL, 204 },

        ASSIGN("/v3/projects/{target_id}/users/{actor_id}", project_user),
        ASSIGN("/v3/projects/{target_id}/groups/{actor_id}", project_group),
        ASSIGN("/v3/domains/{target_id}/users/{actor_id}", domain_user),
        ASSIGN("/v3/domains/{target_id}/groups/{actor_id}", domain_group),
        { "GET", "/v3/role_assignments", role_assignments, POLICY_ADMIN },
        {},
};

const ApiService identity_api_service = {
        .name = "identity",
        .prefix = "/identity",
        .style = API_STYLE_KEYSTONE,
        .version_path = "/v3",
        .schemas = identity_api_schemas,
        .routes = (const ApiRoute *const[]) { identity_routes, NULL },
        .catalog_type = "identity",
        .catalog_name = "keystone",
        .media_error = -EINVAL,
};
