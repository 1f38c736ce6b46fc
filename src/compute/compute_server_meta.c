/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's metadata (the key/value pairs of /servers/{id}/metadata):
 * reading, merging, replacing and deleting items, each write one
 * transaction that checks what Nova checks (the lock, the vm and task
 * states, the metadata_items quota) and stamps the server's updated_at.
 * Also the state check that metadata and tags share.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

/* The vm states in which Nova lets metadata and tags change. */
#define EDITABLE_STATES (VM_BIT(VM_ACTIVE) | VM_BIT(VM_PAUSED) | VM_BIT(VM_SUSPENDED) | VM_BIT(VM_STOPPED))

int compute_server_check_editable(Ctx *c, const json_t *rec, const char *action, bool check_lock, bool check_task) {
        const char *id = jx_string(rec, "id"), *vm = jx_string(rec, "vm_state"), *task = jx_string(rec, "task_state");
        VmState s = vm_state_from_string(vm);

        if (check_lock && json_is_true(json_object_get(rec, "locked")) && !c->auth.is_admin)
                return ctx_error(c, -EBUSY, RES_SERVER, "Instance %s is locked", id);
        if (s < 0 || !(EDITABLE_STATES & VM_BIT(s)))
                return ctx_error(c, -EBUSY, RES_SERVER, "Cannot '%s' instance %s while it is in vm_state %s", action, id,
                                 vm ? vm : "unknown");
        if (check_task && task)
                return ctx_error(c, -EBUSY, RES_SERVER, "Cannot '%s' instance %s while it is in task_state %s", action,
                                 id, task);
        return 0;
}

int compute_server_metadata_quota(Ctx *c, const char *project_id, int64_t n) {
        int64_t limit = -1;
        int r = compute_quota_limit(c, project_id, "metadata_items", &limit);
        if (r < 0)
                return r;
        if (limit >= 0 && n > limit)
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Maximum number of metadata items exceeds %lld",
                                 (long long) limit);
        return 0;
}

/* The stored items of server id, whoever may see it. */
static int metadata_read(Ctx *c, const char *id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *meta = json_object();
        int r = db_query(c->db, &s, "SELECT key, value FROM server_metadata WHERE server_id = ? ORDER BY key", "s", id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_object_set_new(meta, db_col_text(s, 0), json_string(db_col_text(s, 1)));
        if (r < 0) {
                json_decref(meta);
                return res_db_error(c, r, RES_SERVER, "reading server metadata");
        }
        *ret = meta;
        return 0;
}

int compute_server_metadata_get(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_get(c, id, &rec);
        return r < 0 ? r : metadata_read(c, id, ret);
}

typedef struct MetaWrite {
        const char *id;
        const json_t *items;     /* update: the items to merge or to replace with */
        bool replace;
        const char *key;         /* delete: the key */
        json_t *result;          /* update: the metadata after the change */
} MetaWrite;

static int write_items(Ctx *c, const char *id, const json_t *items) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) items, key, v) {
                int r = db_run(c->db,
                               "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)"
                               " ON CONFLICT (server_id, key) DO UPDATE SET value = excluded.value",
                               "sss", id, key, json_string_value(v));
                if (r < 0)
                        return res_db_error(c, r, RES_SERVER, "storing server metadata");
        }
        return 0;
}

/* Metadata is part of the server: a change shows in its updated_at (and in changes-since lists). */
static int touch(Ctx *c, const char *id) {
        _cleanup_json_ json_t *none = json_object();
        return res_patch(c, &res_server, id, none);
}

static int update_locked(Ctx *c, void *userdata) {
        MetaWrite *w = userdata;
        _cleanup_json_ json_t *rec = NULL, *meta = NULL;
        int r = compute_server_get(c, w->id, &rec);
        if (r >= 0)
                r = compute_server_check_editable(c, rec, "update metadata", true, true);
        if (r >= 0 && !w->replace)
                r = metadata_read(c, w->id, &meta);
        if (r < 0)
                return r;
        if (w->replace)
                meta = json_deep_copy(w->items);
        else
                json_object_update(meta, (json_t *) w->items);
        r = compute_server_metadata_quota(c, jx_string(rec, "project_id"), (int64_t) json_object_size(meta));
        if (r >= 0 && w->replace && (r = db_run(c->db, "DELETE FROM server_metadata WHERE server_id = ?", "s", w->id)) < 0)
                r = res_db_error(c, r, RES_SERVER, "replacing server metadata");
        if (r >= 0)
                r = write_items(c, w->id, w->items);
        if (r >= 0)
                r = touch(c, w->id);
        if (r < 0)
                return r;
        w->result = TAKE_PTR(meta);
        return 0;
}

int compute_server_metadata_update(Ctx *c, const char *id, const json_t *items, bool replace, json_t **ret) {
        MetaWrite w = { .id = id, .items = items, .replace = replace };
        int r = res_transaction(c, "updating server metadata", update_locked, &w);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "%s metadata of server %s (%zu items given)",
                 replace ? "replaced" : "updated", id, json_object_size(items));
        if (ret)
                *ret = w.result;
        else
                json_decref(w.result);
        return 0;
}

static int delete_locked(Ctx *c, void *userdata) {
        MetaWrite *w = userdata;
        _cleanup_json_ json_t *rec = NULL, *meta = NULL;
        int r = compute_server_get(c, w->id, &rec);
        if (r >= 0)
                r = metadata_read(c, w->id, &meta);
        if (r < 0)
                return r;
        /* Nova looks for the item before it checks the lock and the state. */
        if (!json_object_get(meta, w->key))
                return ctx_error(c, -ENOENT, RES_SERVER, "Metadata item was not found");
        r = compute_server_check_editable(c, rec, "delete metadata", true, true);
        if (r < 0)
                return r;
        r = db_run(c->db, "DELETE FROM server_metadata WHERE server_id = ? AND key = ?", "ss", w->id, w->key);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "deleting server metadata");
        return touch(c, w->id);
}

int compute_server_metadata_delete(Ctx *c, const char *id, const char *key) {
        MetaWrite w = { .id = id, .key = key };
        int r = res_transaction(c, "deleting server metadata", delete_locked, &w);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "deleted a metadata item of server %s", id);
        return r;
}
