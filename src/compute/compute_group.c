/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server groups: a policy (affinity, anti-affinity, or their soft
 * variants) that the scheduler honours for the servers placed in them.
 * Groups belong to a project; the server_groups quota limits how many it
 * has and server_group_members how many servers one group holds (checked
 * when a server is created into it, compute_server_create.c).
 */
#include "compute/compute_internal.h"
#include "util/log.h"

/* Servers that count as members: not deleted. */
#define LIVE_MEMBERS \
        "SELECT m.server_id FROM server_group_members m JOIN servers s ON s.id = m.server_id" \
        " WHERE m.group_id = ? AND s.vm_state <> 'deleted'"

/* A new group must fit its project's server_groups quota; in the create's transaction. */
static int group_prepare(Ctx *c, json_t *obj, const json_t *old) {
        const char *project = jx_string(obj, "project_id");
        int64_t limit = -1, used = 0;
        int r;

        if (old)
                return 0;
        if (!json_object_get(obj, "rules"))
                json_object_set_new(obj, "rules", json_object());
        r = compute_quota_limit(c, project, "server_groups", &limit);
        if (r < 0 || limit < 0)
                return r;
        r = db_query_int(c->db, &used, "SELECT COUNT(*) FROM server_groups WHERE project_id = ?", "s", project);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER_GROUP, "counting a project's server groups");
        if (used + 1 > limit)
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Quota exceeded, too many server groups.");
        return 0;
}

static const ResField group_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_SORT },
        { "project_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE },
        { "user_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE },
        { "policy", RES_STRING, RES_REQUIRED },
        { "rules", RES_JSON, 0 },
        { "created_at", RES_TIME, RES_HIDDEN },
        { "updated_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_server_group = {
        .kind = RES_SERVER_GROUP, .table = "server_groups", .singular = "server_group", .plural = "server_groups",
        .path = "os-server-groups", .fields = group_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Instance group %s could not be found.",
        .prepare = group_prepare,
};

int compute_group_create(Ctx *c, const json_t *obj, json_t **ret) {
        _cleanup_json_ json_t *rec = json_deep_copy(obj);
        if (!c->auth.project_id)
                return ctx_error(c, -EACCES, RES_SERVER_GROUP, "Creating a server group needs a project-scoped token.");
        json_object_set_new(rec, "project_id", json_string(c->auth.project_id));
        json_object_set_new(rec, "user_id", json_string(c->auth.user_id ? c->auth.user_id : ""));
        int r = res_create(c, &res_server_group, rec, ret);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "created server group %s (%s)",
                         jx_string(*ret, "id"), jx_string(*ret, "policy"));
        return r;
}

int compute_group_get(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = res_get(c, &res_server_group, id, &rec);
        if (r < 0)
                return r;
        /* Nova finds any project's group, then its policy refuses another project's. */
        if (!c->auth.is_admin && !streq_ptr(jx_string(rec, "project_id"), c->auth.project_id))
                return ctx_error(c, -EACCES, RES_SERVER_GROUP,
                                 "Policy doesn't allow os_compute_api:os-server-groups:show to be performed.");
        *ret = TAKE_PTR(rec);
        return 0;
}

int compute_group_list(Ctx *c, bool all_projects, int64_t offset, int64_t limit, json_t **ret) {
        ResQuery q;
        json_t *rows = NULL;
        int r;

        res_query_init(&q);
        if (!all_projects) {
                buf_puts(&q.where, " AND project_id = ?");
                db_args_str(&q.args, c->auth.project_id ? c->auth.project_id : "");
        }
        r = res_list(c, &res_server_group, &q, &rows, NULL);
        res_query_done(&q);
        if (r < 0)
                return r;
        /* Nova's common.limited: a slice of the whole list. */
        json_t *page = json_array();
        for (size_t i = (size_t) offset; i < json_array_size(rows) && (limit < 0 || (int64_t) json_array_size(page) < limit);
             i++)
                json_array_append(page, json_array_get(rows, i));
        json_decref(rows);
        *ret = page;
        return 0;
}

int compute_group_members(Ctx *c, const char *id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *ids = json_array();
        int r = db_query(c->db, &s, LIVE_MEMBERS " ORDER BY m.server_id", "s", id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ids, json_string(db_col_text(s, 0)));
        if (r < 0) {
                json_decref(ids);
                return res_db_error(c, r, RES_SERVER_GROUP, "reading a server group's members");
        }
        *ret = ids;
        return 0;
}

int compute_group_delete(Ctx *c, const char *id) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_group_get(c, id, &rec);
        if (r >= 0)
                r = res_delete(c, &res_server_group, id);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "deleted server group %s", id);
        return r;
}

int compute_group_members_quota(Ctx *c, const char *group_id, int64_t count) {
        int64_t limit = -1, used = 0;
        /* Nova counts per group and user: the caller's live servers in the group, under its project's limit. */
        int r = compute_quota_limit(c, c->auth.project_id ? c->auth.project_id : "", "server_group_members", &limit);
        if (r < 0 || limit < 0)
                return r;
        r = db_query_int(c->db, &used,
                         "SELECT COUNT(*) FROM server_group_members m JOIN servers s ON s.id = m.server_id"
                         " WHERE m.group_id = ? AND s.vm_state <> 'deleted' AND s.user_id = ?",
                         "ss", group_id, c->auth.user_id ? c->auth.user_id : "");
        if (r < 0)
                return res_db_error(c, r, RES_SERVER_GROUP, "counting a server group's members");
        if (used + count > limit)
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Quota exceeded, too many servers in group");
        return 0;
}
