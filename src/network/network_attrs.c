/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Neutron's standard attributes, the same on every resource: the
 * revision number each change bumps (clients send it back in If-Match),
 * tenant_id beside project_id for older clients, and tags.
 */
#include "network/network_internal.h"

void network_revision_bump(json_t *obj, const json_t *old) {
        int64_t rev = old ? json_integer_value(json_object_get(old, "revision_number")) + 1 : 0;
        json_object_set_new(obj, "revision_number", json_integer(rev));
}

void network_decorate_standard(Ctx *c, json_t *obj) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *tags = json_array();
        json_t *project = json_object_get(obj, "project_id");

        if (project)
                json_object_set(obj, "tenant_id", project);
        if (db_query(c->db, &s, "SELECT tag FROM network_tags WHERE resource_id = ? ORDER BY tag", "s",
                     jx_string(obj, "id")) >= 0)
                while (db_step(s) > 0)
                        json_array_append_new(tags, json_string(db_col_text(s, 0)));
        json_object_set_new(obj, "tags", tags);
}

int network_tags_delete(Ctx *c, const char *resource_id) {
        int r = db_run(c->db, "DELETE FROM network_tags WHERE resource_id = ?", "s", resource_id);
        return r < 0 ? res_db_error(c, r, RES_NONE, "deleting tags") : 0;
}

int network_revision_touch(Ctx *c, const ResDef *d, const char *id) {
        _cleanup_free_ char *sql = xasprintf(
                "UPDATE %s SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?", d->table);
        int r = db_run(c->db, sql, "is", now_usec(), id);
        return r < 0 ? res_db_error(c, r, d->kind, "bumping a revision number") : 0;
}

int network_int_attr(Ctx *c, ResourceKind kind, json_t *obj, const char *name, int64_t min, int64_t max) {
        json_t *v = json_object_get(obj, name);
        int64_t n;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v))
                n = json_integer_value(v);
        else if (!json_is_string(v) || parse_int64(json_string_value(v), INT64_MIN, INT64_MAX, &n) < 0)
                return ctx_error(c, -EINVAL, kind, "Invalid input for %s. Reason: '%s' is not an integer.", name,
                                 json_is_string(v) ? json_string_value(v) : "(not a string)");
        if (n < min || n > max)
                return ctx_error(c, -EINVAL, kind, "Invalid input for %s. Reason: '%" PRId64 "' is not in range %" PRId64
                                 " through %" PRId64 ".", name, n, min, max);
        json_object_set_new(obj, name, json_integer(n));
        return 0;
}
