/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Keystone resources as ResDefs: fields, defaults, reference checks,
 * cascades and who besides admin may read them.
 */
#include "identity/identity.h"
#include "identity/identity_password.h"
#include "identity/identity_cache.h"
#include "identity/identity_resources.h"

/* The domain new projects, users and groups go to when none is named. */
static const char *default_domain(const Ctx *c) {
        return c->auth.project_domain_id ? c->auth.project_domain_id
               : c->auth.domain_id       ? c->auth.domain_id
                                         : IDENTITY_DEFAULT_DOMAIN;
}

static int check_domain(Ctx *c, json_t *obj, const json_t *old) {
        _cleanup_json_ json_t *dom = NULL;
        if (old)
                return 0;
        if (!jx_string(obj, "domain_id"))
                json_object_set_new(obj, "domain_id", json_string(default_domain(c)));
        int r = res_lookup(c, &res_domain, jx_string(obj, "domain_id"), &dom);
        if (r == -ENOENT)
                return ctx_error(c, -EINVAL, RES_DOMAIN, "Could not find domain: %s.", jx_string(obj, "domain_id"));
        return r;
}

static void default_true(json_t *obj, const char *key, const json_t *old) {
        if (!old && !json_object_get(obj, key))
                json_object_set_new(obj, key, json_true());
}

/* Deletes the role assignments of an actor or on a target. */
static int delete_assignments(Ctx *c, const char *column_type, const char *type, const char *column_id,
                              const char *id) {
        _cleanup_free_ char *sql =
                xasprintf("DELETE FROM role_assignments WHERE %s = ? AND %s = ?", column_type, column_id);
        int r = db_run(c->db, sql, "ss", type, id);
        return r < 0 ? ctx_error(c, r, RES_ASSIGNMENT, "Database error while deleting role assignments.") : 0;
}

/* ---- domains ---- */

static int domain_prepare(Ctx *c, json_t *obj, const json_t *old) {
        default_true(obj, "enabled", old);
        if (!old && !json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        return 0;
}

static int domain_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        int r;
        if (json_is_true(json_object_get(old, "enabled")))
                return ctx_error(c, -EACCES, RES_DOMAIN,
                                 "Cannot delete a domain that is enabled, please disable it first.");
        /* Keystone deletes a domain with everything in it. */
        static const char *const cascade[] = {
                "DELETE FROM role_assignments WHERE target_type = 'project' AND target_id IN (SELECT id FROM projects WHERE domain_id = ?)",
                "DELETE FROM role_assignments WHERE actor_type = 'user' AND actor_id IN (SELECT id FROM users WHERE domain_id = ?)",
                "DELETE FROM role_assignments WHERE actor_type = 'group' AND actor_id IN (SELECT id FROM groups WHERE domain_id = ?)",
                "DELETE FROM role_assignments WHERE target_type = 'domain' AND target_id = ?",
                "DELETE FROM users WHERE domain_id = ?",
                "DELETE FROM groups WHERE domain_id = ?",
                "DELETE FROM projects WHERE domain_id = ?",
        };
        for (size_t i = 0; i < ELEMENTSOF(cascade); i++) {
                r = db_run(c->db, cascade[i], "s", id);
                if (r < 0)
                        return ctx_error(c, r, RES_DOMAIN, "Database error while deleting domain %s.", id);
        }
        return 0;
}

static void tags_options(Ctx *c, json_t *obj) {
        json_object_set_new(obj, "tags", json_array());
        json_object_set_new(obj, "options", json_object());
}

static bool domain_can_read(Ctx *c, const json_t *rec) {
        const char *id = jx_string(rec, "id");
        return streq_ptr(id, c->auth.domain_id) || streq_ptr(id, c->auth.project_domain_id);
}

static const ResField domain_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "description", RES_STRING, 0 },
        { "enabled", RES_BOOL, RES_FILTER },
        { "created_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_domain = {
        .kind = RES_DOMAIN, .table = "domains", .singular = "domain", .plural = "domains",
        .fields = domain_fields, .order_by = "name",
        .prepare = domain_prepare, .before_delete = domain_before_delete,
        .decorate = tags_options, .can_read = domain_can_read,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find domain: %s.",
        .conflict = "Conflict occurred attempting to store domain - Duplicate entry found with name %s.",
};

/* ---- projects ---- */

static int project_prepare(Ctx *c, json_t *obj, const json_t *old) {
        int r = check_domain(c, obj, old);
        if (r < 0)
                return r;
        default_true(obj, "enabled", old);
        if (!old && !json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        if (json_is_true(json_object_get(obj, "is_domain")))
                return ctx_error(c, -EOPNOTSUPP, RES_PROJECT, "Projects acting as domains are not supported.");
        json_object_del(obj, "is_domain");
        json_object_del(obj, "tags");
        json_object_del(obj, "options");
        if (old) {
                if (json_object_get(obj, "parent_id") &&
                    !json_equal(json_object_get(obj, "parent_id"), json_object_get(old, "parent_id")))
                        return ctx_error(c, -EINVAL, RES_PROJECT, "Update of 'parent_id' is not allowed.");
                return 0;
        }
        /* A top-level project's parent is its domain, as Keystone reports it. */
        const char *parent = jx_string(obj, "parent_id");
        if (!parent) {
                json_object_set_new(obj, "parent_id", json_string(jx_string(obj, "domain_id")));
                return 0;
        }
        _cleanup_json_ json_t *p = NULL;
        r = res_lookup(c, &res_project, parent, &p);
        if (r == -ENOENT)
                return ctx_error(c, -EINVAL, RES_PROJECT, "Could not find parent project: %s.", parent);
        if (r < 0)
                return r;
        if (!streq_ptr(jx_string(p, "domain_id"), jx_string(obj, "domain_id")))
                return ctx_error(c, -EINVAL, RES_PROJECT, "A project's parent must be in the same domain.");
        return 0;
}

static int project_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT 1 FROM projects WHERE parent_id = ? LIMIT 1", "s", id);
        if (r >= 0)
                r = db_step(s);
        if (r > 0)
                return ctx_error(c, -EACCES, RES_PROJECT,
                                 "Cannot delete project %s: it has child projects; delete them first.", id);
        if (r < 0)
                return ctx_error(c, r, RES_PROJECT, "Database error while deleting project %s.", id);
        r = delete_assignments(c, "target_type", "project", "target_id", id);
        if (r < 0)
                return r;
        return identity_revoke_project(c, id);
}

static void project_decorate(Ctx *c, json_t *obj) {
        json_object_set_new(obj, "is_domain", json_false());
        tags_options(c, obj);
}

/* A user may read a project it has a role on. */
static bool project_can_read(Ctx *c, const json_t *rec) {
        _cleanup_json_ json_t *roles = NULL;
        if (streq_ptr(jx_string(rec, "id"), c->auth.project_id))
                return true;
        if (identity_roles_effective(c, c->auth.user_id, "project", jx_string(rec, "id"), &roles) < 0)
                return false;
        return json_array_size(roles) > 0;
}

static const ResField project_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "domain_id", RES_STRING, RES_FILTER | RES_IMMUTABLE },
        { "parent_id", RES_STRING, RES_FILTER },
        { "description", RES_STRING, 0 },
        { "enabled", RES_BOOL, RES_FILTER },
        { "created_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_project = {
        .kind = RES_PROJECT, .table = "projects", .singular = "project", .plural = "projects",
        .fields = project_fields, .order_by = "name",
        .prepare = project_prepare, .before_delete = project_before_delete,
        .decorate = project_decorate, .can_read = project_can_read,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find project: %s.",
        .conflict = "Conflict occurred attempting to store project - Duplicate entry found with name %s.",
};

/* ---- users ---- */

static int user_prepare(Ctx *c, json_t *obj, const json_t *old) {
        int r = check_domain(c, obj, old);
        if (r < 0)
                return r;
        default_true(obj, "enabled", old);
        json_object_del(obj, "options");
        const char *project = jx_string(obj, "default_project_id");
        if (project) {
                _cleanup_json_ json_t *p = NULL;
                r = res_lookup(c, &res_project, project, &p);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_USER, "Could not find default project: %s.", project);
                if (r < 0)
                        return r;
        }
        /* Disabling a user or changing its password (user_hash_secrets) ends its sessions. */
        bool password_changed = json_object_get(obj, "password_changed_at");
        if (old && (password_changed || json_is_false(json_object_get(obj, "enabled"))))
                return identity_revoke_user(c, jx_string(old, "id"));
        return 0;
}

/* The password (a string, or null for none) becomes password_hash, before any transaction. */
static int user_hash_secrets(Ctx *c, json_t *obj) {
        _cleanup_free_ char *hash = NULL;
        json_t *pw = json_object_get(obj, "password");
        int r;

        if (!pw)
                return 0;
        if (json_is_string(pw)) {
                r = password_hash(json_string_value(pw), &hash);
                if (r < 0)
                        return ctx_error(c, r, RES_USER, "Could not hash the password.");
        }
        jx_set_string_or_null(obj, "password_hash", hash);
        json_object_set_new(obj, "password_changed_at", json_integer(now_usec()));
        json_object_del(obj, "password");
        return 0;
}

static int user_before_delete(Ctx *c, const json_t *old) {
        int r = delete_assignments(c, "actor_type", "user", "actor_id", jx_string(old, "id"));
        if (r < 0)
                return r;
        return identity_revoke_user(c, jx_string(old, "id"));
}

static void user_decorate(Ctx *c, json_t *obj) {
        json_object_set_new(obj, "password_expires_at", json_null());
        json_object_set_new(obj, "options", json_object());
        json_object_del(obj, "password_changed_at");
        /* Keystone shows optional attributes only when they are set. */
        if (json_is_null(json_object_get(obj, "description")))
                json_object_del(obj, "description");
        if (json_is_null(json_object_get(obj, "email")))
                json_object_del(obj, "email");
        if (json_is_null(json_object_get(obj, "default_project_id")))
                json_object_del(obj, "default_project_id");
}

static bool user_can_read(Ctx *c, const json_t *rec) {
        return streq_ptr(jx_string(rec, "id"), c->auth.user_id);
}

static const ResField user_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "domain_id", RES_STRING, RES_FILTER | RES_IMMUTABLE },
        { "enabled", RES_BOOL, RES_FILTER },
        { "default_project_id", RES_STRING, 0 },
        { "description", RES_STRING, 0 },
        { "email", RES_STRING, 0 },
        { "password_hash", RES_STRING, RES_SECRET },
        { "password_changed_at", RES_INT, RES_SECRET },
        { "created_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_user = {
        .kind = RES_USER, .table = "users", .singular = "user", .plural = "users",
        .fields = user_fields, .order_by = "name",
        .precompute = user_hash_secrets, .prepare = user_prepare, .before_delete = user_before_delete,
        .decorate = user_decorate, .can_read = user_can_read,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find user: %s.",
        .conflict = "Conflict occurred attempting to store user - Duplicate entry found with name %s.",
};

/* ---- groups ---- */

static int group_prepare(Ctx *c, json_t *obj, const json_t *old) {
        if (!old && !json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        return check_domain(c, obj, old);
}

static int group_before_delete(Ctx *c, const json_t *old) {
        return delete_assignments(c, "actor_type", "group", "actor_id", jx_string(old, "id"));
}

static const ResField group_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "domain_id", RES_STRING, RES_FILTER | RES_IMMUTABLE },
        { "description", RES_STRING, 0 },
        { "created_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_group = {
        .kind = RES_GROUP, .table = "groups", .singular = "group", .plural = "groups",
        .fields = group_fields, .order_by = "name",
        .prepare = group_prepare, .before_delete = group_before_delete,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find group: %s.",
        .conflict = "Conflict occurred attempting to store group - Duplicate entry found with name %s.",
};

/* ---- roles ---- */

static int role_prepare(Ctx *c, json_t *obj, const json_t *old) {
        json_object_del(obj, "options");
        if (json_is_string(json_object_get(obj, "domain_id")))
                return ctx_error(c, -EOPNOTSUPP, RES_ROLE, "Domain-specific roles are not supported.");
        json_object_del(obj, "domain_id");
        return 0;
}

static void role_decorate(Ctx *c, json_t *obj) {
        json_object_set_new(obj, "domain_id", json_null());
        json_object_set_new(obj, "options", json_object());
}

static const ResField role_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "description", RES_STRING, 0 },
        { "created_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_role = {
        .kind = RES_ROLE, .table = "roles", .singular = "role", .plural = "roles",
        .fields = role_fields, .order_by = "name",
        .prepare = role_prepare, .decorate = role_decorate,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find role: %s.",
        .conflict = "Conflict occurred attempting to store role - Duplicate entry found with name %s.",
};

/* ---- regions ---- */

static int region_prepare(Ctx *c, json_t *obj, const json_t *old) {
        const char *parent = jx_string(obj, "parent_region_id");
        if (!old && !json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        if (parent) {
                _cleanup_json_ json_t *p = NULL;
                if (old && streq(parent, jx_string(old, "id")))
                        return ctx_error(c, -EINVAL, RES_REGION, "A region cannot be its own parent.");
                int r = res_lookup(c, &res_region, parent, &p);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_REGION, "Could not find parent region: %s.", parent);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int region_before_delete(Ctx *c, const json_t *old) {
        _cleanup_stmt_ DbStmt *s = NULL;
        const char *id = jx_string(old, "id");
        int r = db_query(c->db, &s,
                         "SELECT 1 FROM regions WHERE parent_region_id = ? UNION SELECT 1 FROM endpoints WHERE region_id = ?",
                         "ss", id, id);
        if (r >= 0)
                r = db_step(s);
        if (r > 0)
                return ctx_error(c, -EEXIST, RES_REGION,
                                 "Region %s has child regions or endpoints; delete them first.", id);
        return r < 0 ? ctx_error(c, r, RES_REGION, "Database error while deleting region %s.", id) : 0;
}

static bool anyone_can_read(Ctx *c, const json_t *rec) {
        return true;
}

static const ResField region_fields[] = {
        { "description", RES_STRING, 0 },
        { "parent_region_id", RES_STRING, RES_FILTER },
        {},
};

const ResDef res_region = {
        .kind = RES_REGION, .table = "regions", .singular = "region", .plural = "regions",
        .fields = region_fields, .client_id = true,
        .prepare = region_prepare, .before_delete = region_before_delete, .can_read = anyone_can_read,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find region: %s.",
        .conflict = "Conflict occurred attempting to store region - Duplicate entry found with name %s.",
};

/* ---- services ---- */

static int service_prepare(Ctx *c, json_t *obj, const json_t *old) {
        default_true(obj, "enabled", old);
        return 0;
}

static const ResField service_fields[] = {
        { "type", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "name", RES_STRING, RES_FILTER },
        { "description", RES_STRING, 0 },
        { "enabled", RES_BOOL, 0 },
        {},
};

const ResDef res_service = {
        .kind = RES_SERVICE, .table = "services", .singular = "service", .plural = "services",
        .fields = service_fields, .order_by = "type",
        .prepare = service_prepare,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find service: %s.",
        .conflict = "Conflict occurred attempting to store service - Duplicate entry found with name %s.",
};

/* ---- endpoints ---- */

static int endpoint_prepare(Ctx *c, json_t *obj, const json_t *old) {
        const char *service = jx_string(obj, "service_id");
        int r;
        default_true(obj, "enabled", old);
        /* "region" is the pre-Kilo name of region_id; clients still send it. */
        json_t *legacy = json_object_get(obj, "region");
        if (legacy && !json_object_get(obj, "region_id"))
                json_object_set(obj, "region_id", legacy);
        json_object_del(obj, "region");
        if (service) {
                _cleanup_json_ json_t *s = NULL;
                r = res_lookup(c, &res_service, service, &s);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_ENDPOINT, "Could not find service: %s.", service);
                if (r < 0)
                        return r;
        }
        const char *region = jx_string(obj, "region_id");
        if (region) {
                _cleanup_json_ json_t *reg = NULL;
                r = res_lookup(c, &res_region, region, &reg);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_ENDPOINT, "Could not find region: %s.", region);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void endpoint_decorate(Ctx *c, json_t *obj) {
        json_object_set(obj, "region", json_object_get(obj, "region_id"));
}

static const ResField endpoint_fields[] = {
        { "service_id", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "interface", RES_STRING, RES_REQUIRED | RES_FILTER },
        { "region_id", RES_STRING, RES_FILTER },
        { "url", RES_STRING, RES_REQUIRED },
        { "enabled", RES_BOOL, RES_FILTER },
        {},
};

const ResDef res_endpoint = {
        .kind = RES_ENDPOINT, .table = "endpoints", .singular = "endpoint", .plural = "endpoints",
        .fields = endpoint_fields, .order_by = "service_id",
        .prepare = endpoint_prepare, .decorate = endpoint_decorate,
        .id_kind = RES_ID_HEX, .changed = identity_changed,
        .not_found = "Could not find endpoint: %s.",
        .conflict = "Conflict occurred attempting to store endpoint - Duplicate entry found with name %s.",
};

int identity_find_by_name(Ctx *c, const ResDef *d, const char *name, const char *domain_id, json_t **ret) {
        DbArg a[2] = { { .type = 's', .s = name }, { .type = 's', .s = domain_id } };
        bool scoped = domain_id && res_field(d, "domain_id");
        DbArgs args = { .v = a, .n = scoped ? 2 : 1 };
        return res_find(c, d, scoped ? "name = ? AND domain_id = ?" : "name = ?", &args, ret);
}
