/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instance actions (os-instance-actions): a record of each request that
 * changed a server (create, reboot, resize, ...) with who asked, the
 * request id, and the events the work went through with their results.
 */
#include "compute/compute_internal.h"

int compute_action_start(Ctx *c, const char *server_id, const char *action) {
        _cleanup_free_ char *id = uuid_dashed_new();
        int64_t now = now_usec();
        int r = db_run(c->db,
                       "INSERT INTO server_actions (id, server_id, request_id, action, project_id, user_id, start_time,"
                       " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       "ssssssii", id, server_id, c->request_id, action, c->auth.project_id ? c->auth.project_id : "",
                       c->auth.user_id ? c->auth.user_id : "", now, now);
        return r < 0 ? res_db_error(c, r, RES_INSTANCE_ACTION, "recording an instance action") : 0;
}

/* The newest action of server_id, or -ENOENT (an action recorded before instance actions existed). */
static int newest_action(Ctx *c, const char *server_id, char **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT id FROM server_actions WHERE server_id = ? ORDER BY start_time DESC, id DESC LIMIT 1", "s",
                         server_id);
        if (r >= 0)
                r = db_step(s);
        if (r < 0)
                return res_db_error(c, r, RES_INSTANCE_ACTION, "reading instance actions");
        if (r == 0)
                return -ENOENT;
        *ret = db_col_strdup(s, 0);
        return 0;
}

int compute_action_event(Ctx *c, const char *server_id, const char *event, const char *result, const char *message) {
        _cleanup_free_ char *action = NULL;
        int64_t now = now_usec();
        int r = newest_action(c, server_id, &action);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!result) {
                _cleanup_free_ char *id = uuid_dashed_new();
                r = db_run(c->db,
                           "INSERT INTO server_action_events (id, action_id, event, host, start_time)"
                           " SELECT ?, ?, ?, host, ? FROM servers WHERE id = ?",
                           "sssis", id, action, event, now, server_id);
                return r < 0 ? res_db_error(c, r, RES_INSTANCE_ACTION, "recording an instance action event") : 0;
        }
        /* An event that ends without having started (a task run again after a crash) starts now. */
        r = db_run(c->db,
                   "UPDATE server_action_events SET finish_time = ?, result = ?, traceback = ? WHERE action_id = ?"
                   " AND event = ? AND finish_time IS NULL",
                   "issss", now, result, message, action, event);
        if (r == 0) {
                _cleanup_free_ char *id = uuid_dashed_new();
                r = db_run(c->db,
                           "INSERT INTO server_action_events (id, action_id, event, host, result, traceback, start_time,"
                           " finish_time) SELECT ?, ?, ?, host, ?, ?, ?, ? FROM servers WHERE id = ?",
                           "sssssiis", id, action, event, result, message, now, now, server_id);
        }
        if (r >= 0)
                r = db_run(c->db,
                           "UPDATE server_actions SET finish_time = ?, updated_at = ?,"
                           " message = CASE WHEN ? = 'Error' THEN 'Error' ELSE message END WHERE id = ?",
                           "iiss", now, now, result, action);
        return r < 0 ? res_db_error(c, r, RES_INSTANCE_ACTION, "recording an instance action event") : 0;
}
