/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading instance actions (os-instance-actions): whose server's actions
 * the caller may read, a server's actions newest first with 2.58's
 * paging and changes-since/changes-before filters, and one action found
 * by its request id with its events.  compute_action.c records them.
 */
#include "compute/compute_internal.h"

int compute_action_server(Ctx *c, const char *id, bool include_deleted, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_load(c, id, &rec);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == -ENOENT || (!c->auth.is_admin && !streq_ptr(jx_string(rec, "project_id"), c->auth.project_id)) ||
            (!include_deleted && streq_ptr(jx_string(rec, "vm_state"), "deleted")))
                return ctx_error(c, -ENOENT, RES_SERVER, "Instance %s could not be found.", id);
        *ret = TAKE_PTR(rec);
        return 0;
}

#define ACTION_COLUMNS "request_id, action, project_id, user_id, message, start_time, updated_at, id"

/* The action at the current row (ACTION_COLUMNS), as the API half reads it. */
static json_t *action_row(DbStmt *s, const char *server_id) {
        json_t *a = json_object();
        json_object_set_new(a, "instance_uuid", json_string(server_id));
        json_object_set_new(a, "request_id", json_string(db_col_text(s, 0)));
        json_object_set_new(a, "action", json_string(db_col_text(s, 1)));
        /* Recorded as "" when nobody asked (a reconciler's action): Nova's null. */
        for (int i = 2; i <= 4; i++) {
                static const char *const keys[] = { "project_id", "user_id", "message" };
                const char *v = db_col_text(s, i);
                json_object_set_new(a, keys[i - 2], isempty(v) ? json_null() : json_string(v));
        }
        json_object_set_new(a, "start_time", json_integer(db_col_int(s, 5)));
        json_object_set_new(a, "updated_at", json_integer(db_col_int(s, 6)));
        json_object_set_new(a, "id", json_string(db_col_text(s, 7)));
        return a;
}

int compute_action_list(Ctx *c, const char *server_id, const ActionQuery *q, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_free_ char *marker_id = NULL; /* bound below: lives until the query ran */
        Buf sql = {};
        DbArgs args = {};
        int r = 0;

        buf_puts(&sql, "SELECT " ACTION_COLUMNS " FROM server_actions WHERE server_id = ?");
        db_args_str(&args, server_id);
        if (q->changes_since) {
                buf_puts(&sql, " AND updated_at >= ?");
                db_args_int(&args, q->changes_since);
        }
        if (q->changes_before) {
                buf_puts(&sql, " AND updated_at <= ?");
                db_args_int(&args, q->changes_before);
        }
        if (q->marker) {
                /* The page starts after the marker in the list's order (start_time desc, id desc). */
                int64_t start = 0;
                _cleanup_stmt_ DbStmt *m = NULL;
                r = db_query(c->db, &m,
                             "SELECT start_time, id FROM server_actions WHERE server_id = ? AND request_id = ?"
                             " ORDER BY start_time DESC, id DESC LIMIT 1",
                             "ss", server_id, q->marker);
                if (r >= 0)
                        r = db_step(m);
                if (r == 0)
                        r = ctx_error(c, -EINVAL, RES_INSTANCE_ACTION, "Marker %s could not be found.", q->marker);
                if (r > 0) {
                        start = db_col_int(m, 0);
                        marker_id = db_col_strdup(m, 1);
                        buf_puts(&sql, " AND (start_time < ? OR (start_time = ? AND id < ?))");
                        db_args_int(&args, start);
                        db_args_int(&args, start);
                        db_args_str(&args, marker_id);
                }
        }
        buf_puts(&sql, " ORDER BY start_time DESC, id DESC");
        if (q->limit >= 0) {
                buf_puts(&sql, " LIMIT ?");
                db_args_int(&args, q->limit);
        }
        json_t *list = json_array();
        if (r >= 0)
                r = db_query_args(c->db, &s, sql.data, args.v, args.n);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(list, action_row(s, server_id));
        buf_done(&sql);
        db_args_done(&args);
        if (r < 0) {
                json_decref(list);
                return c->error ? r : res_db_error(c, r, RES_INSTANCE_ACTION, "reading instance actions");
        }
        *ret = list;
        return 0;
}

static int events_read(Ctx *c, const char *action_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *events = json_array();
        int r = db_query(c->db, &s,
                         "SELECT event, host, result, traceback, start_time, finish_time FROM server_action_events"
                         " WHERE action_id = ? ORDER BY start_time DESC, id DESC",
                         "s", action_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                json_t *e = db_row_json(s, "event host result traceback i:start_time i:finish_time");
                json_array_append_new(events, e);
        }
        if (r < 0) {
                json_decref(events);
                return res_db_error(c, r, RES_INSTANCE_ACTION, "reading instance action events");
        }
        *ret = events;
        return 0;
}

int compute_action_get(Ctx *c, const char *server_id, const char *request_id, bool with_events, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *a = NULL;
        int r = db_query(c->db, &s,
                         "SELECT " ACTION_COLUMNS " FROM server_actions WHERE server_id = ? AND request_id = ?"
                         " ORDER BY start_time DESC, id DESC LIMIT 1",
                         "ss", server_id, request_id);
        if (r >= 0)
                r = db_step(s);
        if (r < 0)
                return res_db_error(c, r, RES_INSTANCE_ACTION, "reading instance actions");
        if (r == 0)
                return ctx_error(c, -ENOENT, RES_INSTANCE_ACTION, "Action %s not found", request_id);
        a = action_row(s, server_id);
        if (with_events) {
                json_t *events = NULL;
                r = events_read(c, jx_string(a, "id"), &events);
                if (r < 0)
                        return r;
                json_object_set_new(a, "events", events);
        }
        *ret = TAKE_PTR(a);
        return 0;
}
