/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flavors: the sizes servers come in.  Declared for the resource engine
 * with Nova's names for the columns (the OS-FLV-* extension keys), and
 * the rest of Nova's flavor API below the HTTP layer: who sees a private
 * flavor (admins and the projects it is offered to), listing with Nova's
 * filters, creating with Nova's two conflicts, extra specs and access
 * lists.  The defaults a new cloud has come with the schema (migration
 * 0004).  Servers keep a copy of their flavor, so deleting one in use is
 * allowed, as in Nova.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

/* Whether the caller's project was offered flavor id. */
static bool has_access(Ctx *c, const char *id) {
        int64_t n = 0;
        if (!c->auth.project_id)
                return false;
        return db_query_int(c->db, &n, "SELECT COUNT(*) FROM flavor_projects WHERE flavor_id = ? AND project_id = ?",
                            "ss", id, c->auth.project_id) >= 0 &&
               n > 0;
}

/* A private flavor is seen by admins and the projects it is offered to. */
static bool flavor_can_read(Ctx *c, const json_t *rec) {
        return json_is_true(json_object_get(rec, "os-flavor-access:is_public")) || has_access(c, jx_string(rec, "id"));
}

static const ResField flavor_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_SORT },
        { "vcpus", RES_INT, RES_REQUIRED | RES_SORT },
        { "ram", RES_INT, RES_REQUIRED | RES_SORT },
        { "disk", RES_INT, RES_REQUIRED | RES_SORT },
        { "OS-FLV-EXT-DATA:ephemeral", RES_INT, RES_SORT, "ephemeral" },
        { "swap", RES_INT, RES_SORT },
        { "rxtx_factor", RES_REAL, RES_SORT },
        { "os-flavor-access:is_public", RES_BOOL, RES_SORT, "is_public" },
        { "OS-FLV-DISABLED:disabled", RES_BOOL, RES_SORT, "disabled" },
        { "description", RES_STRING, RES_SORT, .min_version = API_VERSION(2, 55) },
        { "created_at", RES_TIME, RES_HIDDEN | RES_SORT },
        { "updated_at", RES_TIME, RES_HIDDEN | RES_SORT },
        {},
};

const ResDef res_flavor = {
        .kind = RES_FLAVOR, .table = "flavors", .singular = "flavor", .plural = "flavors",
        .fields = flavor_fields, .id_kind = RES_ID_UUID, .client_id = true, .order_by = "id",
        .not_found = "Flavor %s could not be found.",
        .conflict = "Flavor with name %s already exists.",
        .can_read = flavor_can_read, /* rendered per microversion by compute_flavor_api.c */
};

static int not_found(Ctx *c, const char *id) {
        return ctx_error(c, -ENOENT, RES_FLAVOR, "Flavor %s could not be found.", id);
}

int compute_flavor_get(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = res_lookup(c, &res_flavor, id, &rec);
        if (r == -ENOENT || (r >= 0 && !c->auth.is_admin && !flavor_can_read(c, rec)))
                return not_found(c, id);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rec);
        return 0;
}

/* ---- listing ---- */

/* Nova's sort keys (its VALID_SORT_KEYS) and our columns for them. */
static const struct {
        const char *key, *column;
} sort_keys[] = {
        { "flavorid", "id" }, { "id", "created_at" }, { "name", "name" }, { "memory_mb", "ram" },
        { "root_gb", "disk" }, { "ephemeral_gb", "ephemeral" }, { "swap", "swap" }, { "vcpus", "vcpus" },
        { "rxtx_factor", "rxtx_factor" }, { "is_public", "is_public" }, { "disabled", "disabled" },
        { "description", "description" }, { "created_at", "created_at" }, { "updated_at", "updated_at" },
        { "vcpu_weight", "id" }, /* Nova's vcpu_weight is not kept: every flavor has none */
};

const char *compute_flavor_sort_column(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(sort_keys); i++)
                if (streq(sort_keys[i].key, key))
                        return sort_keys[i].column;
        return NULL;
}

int compute_flavor_list(Ctx *c, const FlavorFilter *f, json_t **ret, bool *ret_more) {
        const char *column = compute_flavor_sort_column(f->sort_key ? f->sort_key : "flavorid");
        const char *dir = f->sort_dir ? f->sort_dir : "asc";
        _cleanup_json_ json_t *rows = NULL;
        ResQuery q;
        int r;

        if (!column || (!streq(dir, "asc") && !streq(dir, "desc")))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Invalid sort key or direction: %s %s.",
                                 f->sort_key ? f->sort_key : "flavorid", dir);
        res_query_init(&q);
        /* Non-admins see the public flavors and those offered to their project, never disabled ones. */
        int is_public = c->auth.is_admin ? f->is_public : 1;
        if (!c->auth.is_admin)
                buf_puts(&q.where, " AND disabled = 0");
        if (is_public == 0)
                buf_puts(&q.where, " AND is_public = 0");
        else if (is_public == 1) {
                buf_puts(&q.where, " AND (is_public = 1 OR id IN (SELECT flavor_id FROM flavor_projects"
                                   " WHERE project_id = ?))");
                db_args_str(&q.args, c->auth.project_id ? c->auth.project_id : "");
        }
        if (f->has_min_ram) {
                buf_puts(&q.where, " AND ram >= ?");
                db_args_int(&q.args, f->min_ram);
        }
        if (f->has_min_disk) {
                buf_puts(&q.where, " AND disk >= ?");
                db_args_int(&q.args, f->min_disk);
        }
        q.order_by = streq(column, "id") ? xasprintf("id %s", dir) : xasprintf("%s %s, id %s", column, dir, dir);
        q.marker = f->marker ? xstrdup(f->marker) : NULL;
        q.limit = f->limit;
        r = res_list(c, &res_flavor, &q, &rows, ret_more);
        res_query_done(&q);
        if (r == -EINVAL && f->marker) {
                ctx_clear_error(c);
                return ctx_error(c, -EINVAL, RES_FLAVOR, "marker [%s] not found", f->marker);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rows);
        return 0;
}

/* ---- create, update, delete ---- */

static int create_locked(Ctx *c, void *userdata) {
        const json_t *obj = userdata;
        const char *id = jx_string(obj, "id"), *name = jx_string(obj, "name");
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM flavors WHERE id = ?", "s", id);
        if (r >= 0 && n > 0)
                return ctx_error(c, -EEXIST, RES_FLAVOR, "Flavor with ID %s already exists.", id);
        if (r >= 0)
                r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM flavors WHERE name = ?", "s", name);
        if (r >= 0 && n > 0)
                return ctx_error(c, -EEXIST, RES_FLAVOR, "Flavor with name %s already exists.", name);
        if (r < 0)
                return res_db_error(c, r, RES_FLAVOR, "reading flavors");
        return res_insert(c, &res_flavor, obj);
}

int compute_flavor_create(Ctx *c, const json_t *obj, json_t **ret) {
        _cleanup_json_ json_t *o = json_deep_copy(obj);
        if (!jx_string(o, "id")) {
                _cleanup_free_ char *id = uuid_dashed_new();
                json_object_set_new(o, "id", json_string(id));
        }
        int r = res_transaction(c, "creating a flavor", create_locked, o);
        if (r >= 0)
                r = res_get(c, &res_flavor, jx_string(o, "id"), ret);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "created flavor %s (%s)", jx_string(o, "id"),
                         jx_string(o, "name"));
        return r;
}

int compute_flavor_delete(Ctx *c, const char *id) {
        int r = db_run(c->db, "DELETE FROM flavors WHERE id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_FLAVOR, "deleting a flavor");
        if (r == 0)
                return not_found(c, id);
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "deleted flavor %s", id);
        return 0;
}

/* ---- extra specs ---- */

int compute_flavor_extra_specs(Ctx *c, const char *id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *specs = json_object();
        int r = db_query(c->db, &s, "SELECT key, value FROM flavor_extra_specs WHERE flavor_id = ? ORDER BY key", "s",
                         id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_object_set_new(specs, db_col_text(s, 0), json_string(db_col_text(s, 1)));
        if (r < 0) {
                json_decref(specs);
                return res_db_error(c, r, RES_FLAVOR, "reading extra specs");
        }
        *ret = specs;
        return 0;
}

typedef struct SpecsChange {
        const char *id;
        const json_t *specs;     /* key -> string value to set */
        const char *remove;      /* or the key to remove */
} SpecsChange;

static int specs_locked(Ctx *c, void *userdata) {
        const SpecsChange *ch = userdata;
        _cleanup_json_ json_t *rec = NULL;
        const char *key;
        json_t *v;
        int r = res_lookup(c, &res_flavor, ch->id, &rec);
        if (r == -ENOENT)
                return not_found(c, ch->id);
        if (r < 0)
                return r;
        if (ch->remove) {
                r = db_run(c->db, "DELETE FROM flavor_extra_specs WHERE flavor_id = ? AND key = ?", "ss", ch->id,
                           ch->remove);
                if (r == 0)
                        return ctx_error(c, -ENOENT, RES_FLAVOR, "Flavor %s has no extra specs with key %s.", ch->id,
                                         ch->remove);
        }
        json_object_foreach((json_t *) ch->specs, key, v) {
                r = db_run(c->db,
                           "INSERT INTO flavor_extra_specs (flavor_id, key, value) VALUES (?, ?, ?)"
                           " ON CONFLICT (flavor_id, key) DO UPDATE SET value = excluded.value",
                           "sss", ch->id, key, json_string_value(v));
                if (r < 0)
                        break;
        }
        if (r < 0)
                return res_db_error(c, r, RES_FLAVOR, "storing extra specs");
        return db_run(c->db, "UPDATE flavors SET updated_at = ? WHERE id = ?", "is", now_usec(), ch->id) < 0
                       ? res_db_error(c, -EIO, RES_FLAVOR, "updating a flavor")
                       : 0;
}

int compute_flavor_specs_set(Ctx *c, const char *id, const json_t *specs) {
        SpecsChange ch = { .id = id, .specs = specs };
        return res_transaction(c, "storing extra specs", specs_locked, &ch);
}

int compute_flavor_specs_remove(Ctx *c, const char *id, const char *key) {
        SpecsChange ch = { .id = id, .remove = key };
        return res_transaction(c, "removing an extra spec", specs_locked, &ch);
}

/* ---- access lists ---- */

int compute_flavor_access_list(Ctx *c, const char *id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *out = json_array();
        int r = db_query(c->db, &s, "SELECT project_id FROM flavor_projects WHERE flavor_id = ? ORDER BY project_id",
                         "s", id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(out, json_pack("{s:s, s:s}", "flavor_id", id, "tenant_id", db_col_text(s, 0)));
        if (r < 0) {
                json_decref(out);
                return res_db_error(c, r, RES_FLAVOR, "reading a flavor's access list");
        }
        *ret = out;
        return 0;
}

typedef struct AccessChange {
        const char *id, *project_id;
        bool add, refuse_public;
} AccessChange;

static int access_locked(Ctx *c, void *userdata) {
        const AccessChange *ch = userdata;
        _cleanup_json_ json_t *rec = NULL;
        int r = res_lookup(c, &res_flavor, ch->id, &rec);
        if (r == -ENOENT)
                return not_found(c, ch->id);
        if (r < 0)
                return r;
        if (ch->add && ch->refuse_public && json_is_true(json_object_get(rec, "os-flavor-access:is_public")))
                return ctx_error(c, -EBUSY, RES_FLAVOR, "Can not add access to a public flavor.");
        if (ch->add) {
                r = db_run(c->db, "INSERT INTO flavor_projects (flavor_id, project_id) VALUES (?, ?)", "ss", ch->id,
                           ch->project_id);
                if (r == -EEXIST)
                        return ctx_error(c, -EEXIST, RES_FLAVOR, "Flavor access already exists for flavor %s and "
                                         "project %s combination.", ch->id, ch->project_id);
        } else {
                r = db_run(c->db, "DELETE FROM flavor_projects WHERE flavor_id = ? AND project_id = ?", "ss", ch->id,
                           ch->project_id);
                if (r == 0)
                        return ctx_error(c, -ENOENT, RES_FLAVOR, "Flavor access not found for %s / %s combination.",
                                         ch->id, ch->project_id);
        }
        return r < 0 ? res_db_error(c, r, RES_FLAVOR, "changing a flavor's access list") : 0;
}

int compute_flavor_access_change(Ctx *c, const char *id, const char *project_id, bool add, bool refuse_public) {
        AccessChange ch = { id, project_id, add, refuse_public };
        int r = res_transaction(c, "changing a flavor's access list", access_locked, &ch);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "flavor %s %s project %s", id,
                         add ? "offered to" : "withdrawn from", project_id);
        return r;
}
