/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's tags (/servers/{id}/tags, 2.26): list, replace, clear, and
 * one tag added, checked or removed, with Nova's rules: at most
 * SERVER_MAX_TAGS tags of 1 to 60 characters without ',' or '/', changes
 * only in the states metadata may change in (the lock does not matter),
 * each write one transaction.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

#define TAG_MAX_CHARS 60

/*
 * The server of a tags request.  Nova checks the policy against the
 * server's project before it looks at the server itself: another
 * project's server is 403, then a deleted one is 404.
 */
static int tag_server(Ctx *c, const char *id, const char *policy, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_load(c, id, &rec);
        if (r == -ENOENT)
                return ctx_error(c, -ENOENT, RES_SERVER, "Instance %s could not be found.", id);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !streq_ptr(jx_string(rec, "project_id"), c->auth.project_id))
                return ctx_error(c, -EACCES, RES_SERVER, "Policy doesn't allow os_compute_api:os-server-tags:%s to be "
                                                         "performed.", policy);
        if (streq_ptr(jx_string(rec, "vm_state"), "deleted"))
                return ctx_error(c, -ENOENT, RES_SERVER, "Instance %s could not be found.", id);
        *ret = TAKE_PTR(rec);
        return 0;
}

static int tags_read(Ctx *c, const char *id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *tags = json_array();
        int r = db_query(c->db, &s, "SELECT tag FROM server_tags WHERE server_id = ? ORDER BY tag", "s", id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(tags, json_string(db_col_text(s, 0)));
        if (r < 0) {
                json_decref(tags);
                return res_db_error(c, r, RES_SERVER, "reading server tags");
        }
        *ret = tags;
        return 0;
}

static int tag_insert(Ctx *c, const char *id, const char *tag) {
        int r = db_run(c->db, "INSERT INTO server_tags (server_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", "ss", id,
                       tag);
        return r < 0 ? res_db_error(c, r, RES_SERVER, "storing a server tag") : 0;
}

int compute_server_tags_list(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = tag_server(c, id, "index", &rec);
        return r < 0 ? r : tags_read(c, id, ret);
}

typedef struct TagWrite {
        const char *id;
        const json_t *tags;      /* replace: the new list; NULL: clear */
        const char *tag;         /* add, remove: the tag */
        bool created;            /* add: it was not there */
        json_t *result;          /* replace: the list after */
} TagWrite;

static int replace_locked(Ctx *c, void *userdata) {
        TagWrite *w = userdata;
        _cleanup_json_ json_t *rec = NULL;
        size_t i;
        json_t *v;
        int r = tag_server(c, w->id, w->tags ? "update_all" : "delete_all", &rec);
        if (r >= 0)
                r = compute_server_check_editable(c, rec, w->tags ? "update tags" : "delete tags", false, false);
        if (r < 0)
                return r;
        r = db_run(c->db, "DELETE FROM server_tags WHERE server_id = ?", "s", w->id);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "replacing server tags");
        json_array_foreach(w->tags, i, v)
                if ((r = tag_insert(c, w->id, json_string_value(v))) < 0)
                        return r;
        return w->tags ? tags_read(c, w->id, &w->result) : 0;
}

int compute_server_tags_replace(Ctx *c, const char *id, const json_t *tags, json_t **ret) {
        TagWrite w = { .id = id, .tags = tags };
        int r = res_transaction(c, "replacing server tags", replace_locked, &w);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "set %zu tags on server %s", json_array_size(w.result), id);
        *ret = w.result;
        return 0;
}

int compute_server_tags_clear(Ctx *c, const char *id) {
        TagWrite w = { .id = id };
        int r = res_transaction(c, "deleting server tags", replace_locked, &w);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "removed the tags of server %s", id);
        return r;
}

/* Nova validates a tag from the URL with the schema of a tag in a body, and says why it failed. */
static int tag_validate(Ctx *c, const char *tag) {
        size_t chars = 0;
        for (const unsigned char *p = (const unsigned char *) tag; *p; p++)
                chars += (*p & 0xc0) != 0x80;
        const char *why = chars == 0 ? "is too short"
                          : chars > TAG_MAX_CHARS ? "is too long"
                          : strpbrk(tag, ",/") ? "does not match '^[^,/]*$'"
                          : NULL;
        if (!why)
                return 0;
        return ctx_error(c, -EINVAL, RES_SERVER,
                         "Tag '%s' is invalid. It must be a non empty string without characters '/' and ','. "
                         "Validation error message: '%s' %s",
                         tag, tag, why);
}

static int add_locked(Ctx *c, void *userdata) {
        TagWrite *w = userdata;
        _cleanup_json_ json_t *rec = NULL, *tags = NULL;
        size_t i;
        json_t *v;
        int r = tag_server(c, w->id, "update", &rec);
        if (r >= 0)
                r = compute_server_check_editable(c, rec, "update tag", false, false);
        if (r >= 0)
                r = tag_validate(c, w->tag);
        if (r >= 0)
                r = tags_read(c, w->id, &tags);
        if (r < 0)
                return r;
        /* Nova counts before it looks: a server with the most tags refuses even one it has. */
        if (json_array_size(tags) >= SERVER_MAX_TAGS)
                return ctx_error(c, -EINVAL, RES_SERVER, "The number of tags exceeded the per-server limit %d",
                                 SERVER_MAX_TAGS);
        json_array_foreach(tags, i, v)
                if (streq(json_string_value(v), w->tag))
                        return 0;
        w->created = true;
        return tag_insert(c, w->id, w->tag);
}

int compute_server_tag_add(Ctx *c, const char *id, const char *tag, bool *ret_created) {
        TagWrite w = { .id = id, .tag = tag };
        int r = res_transaction(c, "adding a server tag", add_locked, &w);
        if (r < 0)
                return r;
        if (w.created)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "tagged server %s", id);
        *ret_created = w.created;
        return 0;
}

static int has_tag(Ctx *c, const char *id, const char *tag, bool *ret) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM server_tags WHERE server_id = ? AND tag = ?", "ss", id, tag);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading server tags");
        *ret = n > 0;
        return 0;
}

int compute_server_tag_check(Ctx *c, const char *id, const char *tag) {
        _cleanup_json_ json_t *rec = NULL;
        bool found = false;
        int r = tag_server(c, id, "show", &rec);
        if (r >= 0)
                r = has_tag(c, id, tag, &found);
        if (r < 0)
                return r;
        return found ? 0 : ctx_error(c, -ENOENT, RES_SERVER, "Server %s has no tag '%s'", id, tag);
}

static int remove_locked(Ctx *c, void *userdata) {
        TagWrite *w = userdata;
        _cleanup_json_ json_t *rec = NULL;
        int r = tag_server(c, w->id, "delete", &rec);
        if (r >= 0)
                r = compute_server_check_editable(c, rec, "delete tag", false, false);
        if (r < 0)
                return r;
        r = db_run(c->db, "DELETE FROM server_tags WHERE server_id = ? AND tag = ?", "ss", w->id, w->tag);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "deleting a server tag");
        if (r == 0)
                return ctx_error(c, -ENOENT, RES_SERVER, "Instance %s has no tag '%s'", w->id, w->tag);
        return 0;
}

int compute_server_tag_remove(Ctx *c, const char *id, const char *tag) {
        TagWrite w = { .id = id, .tag = tag };
        int r = res_transaction(c, "deleting a server tag", remove_locked, &w);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "untagged server %s", id);
        return r;
}
