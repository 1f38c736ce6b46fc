/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flavors: the sizes servers come in.  Declared for the resource engine
 * with Nova's names for the columns (the OS-FLV-* extension keys) and the
 * rules on who sees a private flavor.  The defaults a new cloud has come
 * with the schema (migration 0004).
 */
#include "compute/compute_internal.h"

/* A private flavor is seen by admins and the projects it is offered to. */
static bool flavor_can_read(Ctx *c, const json_t *rec) {
        int64_t n = 0;
        if (json_is_true(json_object_get(rec, "os-flavor-access:is_public")))
                return true;
        if (!c->auth.project_id)
                return false;
        return db_query_int(c->db, &n, "SELECT COUNT(*) FROM flavor_projects WHERE flavor_id = ? AND project_id = ?",
                            "ss", jx_string(rec, "id"), c->auth.project_id) >= 0 &&
               n > 0;
}

/* Nova shows no swap as "", not 0. */
static void flavor_decorate(Ctx *c, json_t *obj) {
        json_t *swap = json_object_get(obj, "swap");
        if (json_is_integer(swap) && json_integer_value(swap) == 0)
                json_object_set_new(obj, "swap", json_string(""));
}

static int flavor_before_delete(Ctx *c, const json_t *old) {
        /* Servers keep a copy of their flavor: deleting one in use is allowed, as in Nova. */
        return 0;
}

static const ResField flavor_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_SORT },
        { "vcpus", RES_INT, RES_REQUIRED | RES_SORT },
        { "ram", RES_INT, RES_REQUIRED | RES_SORT },
        { "disk", RES_INT, RES_REQUIRED | RES_SORT },
        { "OS-FLV-EXT-DATA:ephemeral", RES_INT, 0, "ephemeral" },
        { "swap", RES_INT, 0 },
        { "rxtx_factor", RES_REAL, 0 },
        { "os-flavor-access:is_public", RES_BOOL, RES_SORT, "is_public" },
        { "OS-FLV-DISABLED:disabled", RES_BOOL, 0, "disabled" },
        { "description", RES_STRING, 0, .min_version = API_VERSION(2, 55) },
        { "created_at", RES_TIME, RES_HIDDEN },
        { "updated_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_flavor = {
        .kind = RES_FLAVOR, .table = "flavors", .singular = "flavor", .plural = "flavors",
        .fields = flavor_fields, .id_kind = RES_ID_UUID, .client_id = true, .order_by = "id",
        .not_found = "Flavor %s could not be found.",
        .conflict = "Flavor with name %s already exists.",
        .before_delete = flavor_before_delete, .decorate = flavor_decorate, .can_read = flavor_can_read,
};
