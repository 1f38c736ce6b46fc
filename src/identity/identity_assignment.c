/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who belongs where and holds which role: group memberships, role grants
 * on projects and domains, and the listings built from them.  Every query
 * about memberships and grants is here; the API handlers and bootstrap
 * only call these functions.
 */
#include "identity/identity.h"
#include "identity/identity_cache.h"
#include "identity/identity_resources.h"
#include "util/log.h"

/* Records of d for each id the statement yields in column 0; enabled ones only if only_enabled. */
static int collect(Ctx *c, const ResDef *d, DbStmt *s, int r, bool only_enabled, json_t **ret) {
        json_t *out = json_array();
        while (r >= 0 && (r = db_step(s)) > 0) {
                _cleanup_json_ json_t *rec = NULL;
                if (res_lookup(c, d, db_col_text(s, 0), &rec) == 0 &&
                    (!only_enabled || json_is_true(json_object_get(rec, "enabled"))))
                        json_array_append(out, rec);
        }
        if (r < 0) {
                json_decref(out);
                return res_db_error(c, r, RES_ASSIGNMENT, "reading role assignments");
        }
        *ret = out;
        return 0;
}

int identity_user_targets(Ctx *c, const char *user_id, const ResDef *d, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT DISTINCT target_id FROM role_assignments WHERE target_type = ? AND inherited = 0 AND"
                         " ((actor_type = 'user' AND actor_id = ?) OR (actor_type = 'group' AND actor_id IN"
                         " (SELECT group_id FROM group_members WHERE user_id = ?))) ORDER BY target_id",
                         "sss", d->singular, user_id, user_id);
        return collect(c, d, s, r, true, ret);
}

int identity_user_groups(Ctx *c, const char *user_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id", "s",
                         user_id);
        return collect(c, &res_group, s, r, false, ret);
}

int identity_group_users(Ctx *c, const char *group_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id", "s",
                         group_id);
        return collect(c, &res_user, s, r, false, ret);
}

static int not_member(Ctx *c, const char *group_id, const char *user_id) {
        return ctx_error(c, -ENOENT, RES_GROUP, "User %s is not a member of group %s.", user_id, group_id);
}

int identity_group_member(Ctx *c, const char *group_id, const char *user_id, IdentityMemberOp op) {
        int64_t n = 0;
        int r;

        switch (op) {
        case IDENTITY_MEMBER_ADD:
                r = db_run(c->db, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           "ss", group_id, user_id);
                identity_changed();
                return r < 0 ? res_db_error(c, r, RES_GROUP, "adding a group member") : 0;
        case IDENTITY_MEMBER_CHECK:
                r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM group_members WHERE group_id = ? AND user_id = ?",
                                 "ss", group_id, user_id);
                if (r < 0)
                        return res_db_error(c, r, RES_GROUP, "reading group members");
                return n > 0 ? 0 : not_member(c, group_id, user_id);
        case IDENTITY_MEMBER_REMOVE:
                r = db_run(c->db, "DELETE FROM group_members WHERE group_id = ? AND user_id = ?", "ss", group_id,
                           user_id);
                /* Roles through the group are gone: so are tokens relying on them, at their next validation. */
                identity_changed();
                if (r < 0)
                        return res_db_error(c, r, RES_GROUP, "removing a group member");
                return r > 0 ? 0 : not_member(c, group_id, user_id);
        }
        return -EINVAL;
}

int identity_grant(Ctx *c, const IdentityGrant *g) {
        int r = db_run(c->db,
                       "INSERT INTO role_assignments (actor_type, actor_id, target_type, target_id, role_id, inherited)"
                       " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING",
                       "sssss", g->actor_type, g->actor_id, g->target_type, g->target_id, g->role_id);
        identity_changed();
        return r < 0 ? res_db_error(c, r, RES_ASSIGNMENT, "granting a role") : 0;
}

int identity_grant_check(Ctx *c, const IdentityGrant *g) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n,
                             "SELECT COUNT(*) FROM role_assignments WHERE actor_type = ? AND actor_id = ? AND"
                             " target_type = ? AND target_id = ? AND role_id = ? AND inherited = 0",
                             "sssss", g->actor_type, g->actor_id, g->target_type, g->target_id, g->role_id);
        if (r < 0)
                return res_db_error(c, r, RES_ASSIGNMENT, "reading role assignments");
        if (n == 0)
                return ctx_error(c, -ENOENT, RES_ASSIGNMENT,
                                 "Could not find role assignment with role: %s, %s: %s, %s: %s.", g->role_id,
                                 g->actor_type, g->actor_id, g->target_type, g->target_id);
        return 0;
}

int identity_grant_revoke(Ctx *c, const IdentityGrant *g) {
        int r = identity_grant_check(c, g);
        if (r < 0)
                return r;
        r = db_run(c->db,
                   "DELETE FROM role_assignments WHERE actor_type = ? AND actor_id = ? AND target_type = ?"
                   " AND target_id = ? AND role_id = ? AND inherited = 0",
                   "sssss", g->actor_type, g->actor_id, g->target_type, g->target_id, g->role_id);
        identity_changed();
        /* Tokens need no revocation: validation recomputes roles every time. */
        return r < 0 ? res_db_error(c, r, RES_ASSIGNMENT, "revoking a role") : 0;
}

int identity_grant_roles(Ctx *c, const IdentityGrant *g, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT a.role_id FROM role_assignments a JOIN roles r ON r.id = a.role_id WHERE"
                         " a.actor_type = ? AND a.actor_id = ? AND a.target_type = ? AND a.target_id = ? AND"
                         " a.inherited = 0 ORDER BY r.name",
                         "ssss", g->actor_type, g->actor_id, g->target_type, g->target_id);
        return collect(c, &res_role, s, r, false, ret);
}

int identity_role_assignments(Ctx *c, const IdentityAssignmentQuery *q, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *items = json_array();
        int r;

        /*
         * effective expands group assignments into one per member and adds
         * implied roles, which is what a token would carry.
         */
        r = db_query(c->db, &s,
                     "WITH RECURSIVE expanded(actor_type, actor_id, target_type, target_id, role_id, via_group) AS ("
                     " SELECT actor_type, actor_id, target_type, target_id, role_id, NULL FROM role_assignments"
                     "  WHERE inherited = 0 AND (? = 0 OR actor_type = 'user')"
                     " UNION"
                     " SELECT 'user', m.user_id, a.target_type, a.target_id, a.role_id, a.actor_id"
                     "  FROM role_assignments a JOIN group_members m ON a.actor_type = 'group' AND m.group_id = a.actor_id"
                     "  WHERE ? = 1 AND a.inherited = 0"
                     " UNION"
                     " SELECT e.actor_type, e.actor_id, e.target_type, e.target_id, i.implied_role_id, e.via_group"
                     "  FROM expanded e JOIN role_implications i ON i.prior_role_id = e.role_id WHERE ? = 1)"
                     " SELECT DISTINCT actor_type, actor_id, target_type, target_id, role_id, via_group FROM expanded"
                     " WHERE (? IS NULL OR (actor_type = 'user' AND actor_id = ?))"
                     " AND (? IS NULL OR (actor_type = 'group' AND actor_id = ?))"
                     " AND (? IS NULL OR role_id = ?)"
                     " AND (? IS NULL OR (target_type = 'project' AND target_id = ?))"
                     " AND (? IS NULL OR (target_type = 'domain' AND target_id = ?))"
                     " ORDER BY actor_type, actor_id, target_type, target_id, role_id",
                     "bbbssssssssss", q->effective, q->effective, q->effective, q->user_id, q->user_id, q->group_id,
                     q->group_id, q->role_id, q->role_id, q->project_id, q->project_id, q->domain_id, q->domain_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(items, db_row_json(s, "actor_type actor_id target_type target_id role_id via_group"));
        if (r < 0) {
                json_decref(items);
                return res_db_error(c, r, RES_ASSIGNMENT, "reading role assignments");
        }
        *ret = items;
        return 0;
}
