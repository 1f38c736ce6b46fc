/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Effective roles: what a user holds on a project or domain, directly and
 * through its groups, with the roles those imply.  Token validation and
 * the read rules of projects both ask.
 */
#include "identity/identity.h"
#include "db/db.h"

int identity_roles_effective(Ctx *c, const char *user_id, const char *target_type, const char *target_id,
                             json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *roles = json_array();
        int r;

        r = db_query(c->db, &s,
                     "WITH RECURSIVE granted(role_id) AS ("
                     " SELECT role_id FROM role_assignments WHERE target_type = ? AND target_id = ? AND inherited = 0"
                     "  AND ((actor_type = 'user' AND actor_id = ?) OR (actor_type = 'group' AND actor_id IN"
                     "       (SELECT group_id FROM group_members WHERE user_id = ?)))"
                     " UNION"
                     " SELECT i.implied_role_id FROM role_implications i JOIN granted g ON i.prior_role_id = g.role_id)"
                     " SELECT id, name FROM roles WHERE id IN (SELECT role_id FROM granted) ORDER BY name",
                     "ssss", target_type, target_id, user_id, user_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(roles, db_row_json(s, "id name"));
        if (r < 0) {
                json_decref(roles);
                return ctx_error(c, r, RES_ROLE, "Database error while reading role assignments.");
        }
        *ret = roles;
        return 0;
}
