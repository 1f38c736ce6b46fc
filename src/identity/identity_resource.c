/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service half of the resource engine (see identity_resource.h): SQL
 * built from ResDef field lists, and create/read/update/delete with the
 * ResDef hooks, each change in one transaction.  Rendering and handlers
 * are in identity_resource_api.c.
 */
#include "identity/identity_resource.h"
#include "identity/identity_cache.h"
#include "util/log.h"

/* "id, name, enabled" and the matching db_row_json spec "id name b:enabled". */
static void columns(const ResDef *d, Buf *cols, Buf *spec) {
        buf_puts(cols, "id");
        buf_puts(spec, "id");
        for (const ResField *f = d->fields; f->name; f++) {
                buf_printf(cols, ", %s", f->name);
                buf_printf(spec, f->type == 's' ? " %s" : f->type == 'b' ? " b:%s" : " i:%s", f->name);
        }
}

static const ResField *field_find(const ResDef *d, const char *name) {
        for (const ResField *f = d->fields; f->name; f++)
                if (streq(f->name, name))
                        return f;
        return NULL;
}

static DbArg field_arg(const ResField *f, const json_t *v) {
        if (f->type == 'b')
                return (DbArg) { .type = 'b', .i = json_is_true(v) };
        if (f->type == 'i')
                return (DbArg) { .type = json_is_integer(v) ? 'i' : 's', .i = json_integer_value(v) };
        return (DbArg) { .type = 's', .s = json_is_string(v) ? json_string_value(v) : NULL };
}

/* Runs "SELECT cols FROM table WHERE <where>" and collects rows into an array. */
static int select_rows(Ctx *c, const ResDef *d, const char *where, const DbArg *args, size_t n, json_t **ret) {
        Buf cols = {}, spec = {};
        _cleanup_free_ char *sql = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *arr = json_array();
        int r;

        columns(d, &cols, &spec);
        sql = xasprintf("SELECT %s FROM %s%s%s ORDER BY %s", cols.data, d->table, *where ? " WHERE " : "", where,
                        d->order_by ? d->order_by : "id");
        r = db_query_args(c->db, &s, sql, args, n);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(arr, db_row_json(s, spec.data));
        buf_done(&cols);
        buf_done(&spec);
        if (r < 0) {
                json_decref(arr);
                return ctx_error(c, r, RES_NONE, "Database error while reading %s.", d->plural);
        }
        *ret = arr;
        return 0;
}

int res_lookup(Ctx *c, const ResDef *d, const char *id, json_t **ret) {
        _cleanup_json_ json_t *rows = NULL;
        DbArg a = { .type = 's', .s = id };
        int r = select_rows(c, d, "id = ?", &a, 1, &rows);
        if (r < 0)
                return r;
        if (json_array_size(rows) == 0)
                return -ENOENT;
        *ret = json_incref(json_array_get(rows, 0));
        return 0;
}

int res_get(Ctx *c, const ResDef *d, const char *id, json_t **ret) {
        int r = res_lookup(c, d, id, ret);
        if (r == -ENOENT)
                return ctx_error(c, r, d->kind, "Could not find %s: %s.", d->singular, id);
        return r;
}

int res_lookup_by_name(Ctx *c, const ResDef *d, const char *name, const char *domain_id, json_t **ret) {
        _cleanup_json_ json_t *rows = NULL;
        DbArg a[2] = { { .type = 's', .s = name }, { .type = 's', .s = domain_id } };
        bool scoped = domain_id && field_find(d, "domain_id");
        int r = select_rows(c, d, scoped ? "name = ? AND domain_id = ?" : "name = ?", a, scoped ? 2 : 1, &rows);
        if (r < 0)
                return r;
        if (json_array_size(rows) == 0)
                return -ENOENT;
        *ret = json_incref(json_array_get(rows, 0));
        return 0;
}

int res_list(Ctx *c, const ResDef *d, const json_t *filters, json_t **ret) {
        Buf where = {};
        DbArg args[16];
        size_t n = 0;
        const char *key;
        json_t *v;
        int r;

        json_object_foreach((json_t *) filters, key, v) {
                const ResField *f = field_find(d, key);
                if (!f || n >= ELEMENTSOF(args))
                        continue;
                buf_printf(&where, "%s%s = ?", n ? " AND " : "", f->name);
                args[n++] = field_arg(f, v);
        }
        r = select_rows(c, d, where.data ? where.data : "", args, n, ret);
        buf_done(&where);
        return r;
}

static int hash_secrets(Ctx *c, const ResDef *d, json_t *obj) {
        return d->hash_secrets ? d->hash_secrets(c, obj) : 0;
}

/* Checks that obj only sets fields the resource has, and runs the prepare hook. */
static int prepare(Ctx *c, const ResDef *d, json_t *obj, const json_t *old) {
        if (d->prepare)
                return d->prepare(c, obj, old);
        return 0;
}

static int conflict(Ctx *c, const ResDef *d, const json_t *obj) {
        const char *name = jx_string(obj, "name");
        if (name)
                return ctx_error(c, -EEXIST, d->kind,
                                 "Conflict occurred attempting to store %s - Duplicate entry found with name %s.",
                                 d->singular, name);
        return ctx_error(c, -EEXIST, d->kind, "Conflict occurred attempting to store %s - Duplicate entry.",
                         d->singular);
}

/*
 * Ids a client may choose (regions) end up in URLs, links and logs: they
 * are kept to URL-unreserved characters (RFC 3986), so each is one path
 * segment as it stands, needs no escaping and holds nothing to decode.
 */
static bool client_id_is_safe(const char *id) {
        size_t n = strlen(id);
        if (n == 0 || n > 255 || streq(id, ".") || streq(id, ".."))
                return false;
        return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == n;
}

int res_create(Ctx *c, const ResDef *d, const json_t *in, json_t **ret) {
        _cleanup_json_ json_t *obj = json_deep_copy(in);
        _cleanup_free_ char *id = NULL, *sql = NULL;
        Buf cols = {}, marks = {};
        DbArg args[32];
        size_t n = 0;
        int r;

        if (d->client_id && jx_string(obj, "id")) {
                id = xstrdup(jx_string(obj, "id"));
                if (!client_id_is_safe(id))
                        return ctx_error(c, -EINVAL, d->kind,
                                         "Invalid %s id: 1 to 255 characters from A-Z, a-z, 0-9, '-', '.', '_' and '~'.",
                                         d->singular);
        } else
                id = uuid_hex_new();
        json_object_set_new(obj, "id", json_string(id));
        r = hash_secrets(c, d, obj);
        if (r < 0)
                return r;
        r = prepare(c, d, obj, NULL);
        if (r < 0)
                return r;
        args[n++] = (DbArg) { .type = 's', .s = id };
        buf_puts(&cols, "id");
        buf_puts(&marks, "?");
        for (const ResField *f = d->fields; f->name; f++) {
                json_t *v = json_object_get(obj, f->name);
                if (!v || json_is_null(v)) {
                        if (f->flags & FIELD_REQUIRED) {
                                buf_done(&cols);
                                buf_done(&marks);
                                return ctx_error(c, -EINVAL, d->kind, "Invalid input for field '%s': '%s' is a required property.",
                                                 d->singular, f->name);
                        }
                        if (!v)
                                continue;
                }
                buf_printf(&cols, ", %s", f->name);
                buf_puts(&marks, ", ?");
                args[n++] = field_arg(f, v);
        }
        sql = xasprintf("INSERT INTO %s (%s%s) VALUES (%s%s)", d->table, cols.data, d->created_at ? ", created_at" : "",
                        marks.data, d->created_at ? ", ?" : "");
        if (d->created_at)
                args[n++] = (DbArg) { .type = 'i', .i = now_usec() };
        buf_done(&cols);
        buf_done(&marks);

        _cleanup_stmt_ DbStmt *s = NULL;
        r = db_query_args(c->db, &s, sql, args, n);
        if (r >= 0)
                r = db_step(s);
        if (r == -EEXIST)
                return conflict(c, d, obj);
        if (r < 0)
                return ctx_error(c, r, d->kind, "Database error while storing %s.", d->singular);
        identity_changed();
        return res_get(c, d, id, ret);
}

/* What update_locked and delete_locked work on. */
typedef struct Change {
        const ResDef *d;
        const char *id;
        json_t *obj;             /* the patch (update only) */
        const json_t *old;       /* the stored record (update only) */
} Change;

static int update_locked(Ctx *c, void *userdata);

int res_update(Ctx *c, const ResDef *d, const char *id, const json_t *patch, json_t **ret) {
        _cleanup_json_ json_t *old = NULL, *obj = json_deep_copy(patch);
        int r;

        r = res_get(c, d, id, &old);
        if (r < 0)
                return r;
        const char *new_id = jx_string(obj, "id");
        if (new_id && !streq(new_id, id))
                return ctx_error(c, -EINVAL, d->kind, "The 'id' of a %s cannot be changed.", d->singular);
        json_object_del(obj, "id");
        r = hash_secrets(c, d, obj);
        if (r < 0)
                return r;
        /* prepare may write too (revocations), so it shares the transaction. */
        Change ch = { .d = d, .id = id, .obj = obj, .old = old };
        r = db_transaction(c, update_locked, &ch);
        identity_changed();
        if (r < 0)
                return c->error ? r : ctx_error(c, r, d->kind, "Database error while updating %s.", d->singular);
        return res_get(c, d, id, ret);
}

static int update_locked(Ctx *c, void *userdata) {
        const Change *ch = userdata;
        const ResDef *d = ch->d;
        const char *id = ch->id;
        json_t *obj = ch->obj;
        const json_t *old = ch->old;
        _cleanup_free_ char *sql = NULL;
        Buf set = {};
        DbArg args[32];
        size_t n = 0;
        int r;

        r = prepare(c, d, obj, old);
        if (r < 0)
                return r;
        for (const ResField *f = d->fields; f->name; f++) {
                json_t *v = json_object_get(obj, f->name);
                if (!v)
                        continue;
                if ((f->flags & FIELD_IMMUTABLE) && !json_equal(v, json_object_get(old, f->name))) {
                        buf_done(&set);
                        return ctx_error(c, -EINVAL, d->kind, "The '%s' of a %s cannot be changed.", f->name,
                                         d->singular);
                }
                buf_printf(&set, "%s%s = ?", n ? ", " : "", f->name);
                args[n++] = field_arg(f, v);
        }
        if (n == 0)
                return 0;
        args[n++] = (DbArg) { .type = 's', .s = id };
        sql = xasprintf("UPDATE %s SET %s WHERE id = ?", d->table, set.data);
        buf_done(&set);
        _cleanup_stmt_ DbStmt *s = NULL;
        r = db_query_args(c->db, &s, sql, args, n);
        if (r >= 0)
                r = db_step(s);
        if (r == -EEXIST)
                return conflict(c, d, obj);
        if (r < 0)
                return ctx_error(c, r, d->kind, "Database error while updating %s.", d->singular);
        return 0;
}

static int delete_locked(Ctx *c, void *userdata) {
        const Change *ch = userdata;
        const ResDef *d = ch->d;
        _cleanup_json_ json_t *old = NULL;
        _cleanup_free_ char *sql = xasprintf("DELETE FROM %s WHERE id = ?", d->table);
        int r;

        r = res_get(c, d, ch->id, &old);
        if (r >= 0 && d->before_delete)
                r = d->before_delete(c, old);
        if (r < 0)
                return r;
        r = db_run(c->db, sql, "s", ch->id);
        if (r == -EEXIST)
                return ctx_error(c, -EEXIST, d->kind, "The %s %s is still in use and cannot be deleted.", d->singular,
                                 ch->id);
        return r < 0 ? ctx_error(c, r, d->kind, "Database error while deleting %s.", d->singular) : 0;
}

int res_delete(Ctx *c, const ResDef *d, const char *id) {
        Change ch = { .d = d, .id = id };
        int r = db_transaction(c, delete_locked, &ch);
        identity_changed();
        if (r < 0)
                return c->error ? r : ctx_error(c, r, d->kind, "Database error while deleting %s.", d->singular);
        return 0;
}

