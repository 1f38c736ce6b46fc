/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource engine's database half (see resource.h): SQL built from a
 * ResDef's field list, rows read as typed records, lists with every filter
 * applied, validated sorting and marker paging, and the create / update /
 * delete operations, each one transaction running the ResDef's hooks.
 */
#include "engine/resource.h"
#include "engine/task_internal.h"
#include "util/log.h"

#include <math.h>

const ResField *res_field(const ResDef *d, const char *name) {
        for (const ResField *f = d->fields; f->name; f++)
                if (streq(f->name, name))
                        return f;
        return NULL;
}

void res_columns(const ResDef *d, const char *prefix, Buf *sql) {
        const char *p = prefix ? prefix : "";
        buf_printf(sql, "%sid", p);
        for (const ResField *f = d->fields; f->name; f++)
                buf_printf(sql, ", %s%s", p, res_column(f));
}

json_t *res_row(const ResDef *d, DbStmt *s) {
        json_t *o = json_object();
        int col = 0;

        json_object_set_new(o, "id", json_string(db_col_text(s, col++)));
        for (const ResField *f = d->fields; f->name; f++, col++) {
                json_t *v;
                if (db_col_null(s, col))
                        v = json_null();
                else
                        switch (f->type) {
                        case RES_BOOL:
                                v = json_boolean(db_col_int(s, col) != 0);
                                break;
                        case RES_INT:
                        case RES_TIME:
                                v = json_integer(db_col_int(s, col));
                                break;
                        case RES_REAL:
                                v = json_real(db_col_real(s, col));
                                break;
                        case RES_JSON: {
                                const char *text = db_col_text(s, col);
                                json_error_t err;
                                v = jx_parse(text, strlen(text), &err);
                                if (!v)
                                        v = json_null(); /* only the service writes these: never happens */
                                break;
                        }
                        default:
                                v = json_string(db_col_text(s, col));
                        }
                json_object_set_new(o, f->name, v);
        }
        return o;
}

/*
 * A ResDef's message with its one "%s" replaced by arg.  Messages are
 * templates, not printf formats: nothing from a table ever reaches printf.
 */
static int error_from_template(Ctx *c, int code, const ResDef *d, const char *tmpl, const char *fallback,
                               const char *arg) {
        const char *t = tmpl ? tmpl : fallback, *hole = strstr(t, "%s");
        if (!hole)
                return ctx_error(c, code, d->kind, "%s", t);
        return ctx_error(c, code, d->kind, "%.*s%s%s", (int) (hole - t), t, arg, hole + 2);
}

int res_not_found(Ctx *c, const ResDef *d, const char *id) {
        return error_from_template(c, -ENOENT, d, d->not_found, "Could not find %s.", id);
}

int res_db_error(Ctx *c, int r, ResourceKind kind, const char *what) {
        if (c->error)
                return r;
        /* A key conflict is the client's (409); anything else the server's (500), whatever errno said. */
        if (r == -EEXIST)
                return ctx_error(c, r, kind, "Conflict while %s.", what);
        return ctx_error(c, -EIO, kind, "Database error while %s.", what);
}

int res_transaction(Ctx *c, const char *what, int (*fn)(Ctx *c, void *userdata), void *userdata) {
        task_kicks_defer();
        int r = db_transaction(c, fn, userdata);
        task_kicks_release(r >= 0);
        if (r >= 0 || c->error)
                return r;
        /* Beginning or committing failed: no client error, whatever the code says. */
        return res_db_error(c, r == -EBUSY ? r : -EIO, RES_NONE, what);
}

/* Runs "SELECT columns FROM table WHERE where ORDER BY order" and calls each row into rows. */
static int select_rows(Ctx *c, const ResDef *d, const char *where, const DbArgs *args, const char *order,
                       json_t **ret) {
        Buf sql = {};
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *rows = json_array();
        int r;

        buf_puts(&sql, "SELECT ");
        res_columns(d, NULL, &sql);
        buf_printf(&sql, " FROM %s%s%s", d->table, isempty(where) ? "" : " WHERE ", where ? where : "");
        if (order)
                buf_printf(&sql, " ORDER BY %s", order);
        r = db_query_args(c->db, &s, sql.data, args ? args->v : NULL, args ? args->n : 0);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(rows, res_row(d, s));
        buf_done(&sql);
        if (r < 0) {
                json_decref(rows);
                return res_db_error(c, r, d->kind, "reading records");
        }
        *ret = rows;
        return 0;
}

int res_find(Ctx *c, const ResDef *d, const char *where, const DbArgs *args, json_t **ret) {
        _cleanup_json_ json_t *rows = NULL;
        int r = select_rows(c, d, where, args, NULL, &rows);
        if (r < 0)
                return r;
        if (json_array_size(rows) == 0)
                return -ENOENT;
        *ret = json_incref(json_array_get(rows, 0));
        return 0;
}

int res_lookup(Ctx *c, const ResDef *d, const char *id, json_t **ret) {
        DbArg a = { .type = 's', .s = id };
        DbArgs args = { .v = &a, .n = 1 };
        return res_find(c, d, "id = ?", &args, ret);
}

int res_get(Ctx *c, const ResDef *d, const char *id, json_t **ret) {
        int r = res_lookup(c, d, id, ret);
        return r == -ENOENT ? res_not_found(c, d, id) : r;
}

void res_query_init(ResQuery *q) {
        *q = (ResQuery) { .filters = json_object() };
}

void res_query_done(ResQuery *q) {
        json_decref(q->filters);
        buf_done(&q->where);
        db_args_done(&q->args);
        free(q->order_by);
        free(q->marker);
        *q = (ResQuery) {};
}

/* A query value as the field's type; NULL if it does not parse. */
static json_t *typed_value(const ResField *f, const char *value) {
        int64_t i;
        bool b;
        switch (f->type) {
        case RES_BOOL:
                return parse_bool(value, &b) < 0 ? NULL : json_boolean(b);
        case RES_INT:
        case RES_TIME:
                return parse_int64(value, INT64_MIN, INT64_MAX, &i) < 0 ? NULL : json_integer(i);
        case RES_REAL: {
                char *end;
                errno = 0;
                double v = strtod(value, &end);
                return errno || *end || end == value || !isfinite(v) ? NULL : json_real(v);
        }
        default:
                return json_string(value);
        }
}

int res_query_filter(Ctx *c, const ResDef *d, ResQuery *q, const char *name, const char *value, bool strict) {
        const ResField *f = res_field(d, name);
        if ((!f && !streq(name, "id")) || (f && !(f->flags & RES_FILTER)) || (f && f->type == RES_JSON)) {
                if (!strict)
                        return 0;
                return ctx_error(c, -EINVAL, d->kind, "Invalid filter '%s' for %s.", name, d->plural);
        }
        json_t *v = f ? typed_value(f, value) : json_string(value);
        /* Keystone reads any boolean but false and 0 as true. */
        if (!v && !strict && f->type == RES_BOOL)
                v = json_true();
        if (!v)
                return ctx_error(c, -EINVAL, d->kind, "Invalid value '%s' for filter '%s'.", value, name);
        json_t *had = json_object_get(q->filters, name);
        if (had && q->repeat_is_any) {
                /* Neutron's ?id=a&id=b: any of the values. */
                if (!json_is_array(had)) {
                        json_t *list = json_pack("[O]", had);
                        json_object_set_new(q->filters, name, list);
                        had = list;
                }
                json_array_append_new(had, v);
                return 0;
        }
        json_object_set_new(q->filters, name, v);
        return 0;
}

int res_query_sort(Ctx *c, const ResDef *d, ResQuery *q, char *const *keys, char *const *dirs,
                   const char *default_dir) {
        size_t nk = 0, nd = 0;
        Buf b = {};

        while (keys && keys[nk])
                nk++;
        while (dirs && dirs[nd])
                nd++;
        if (nd > 1 && nd != nk)
                return ctx_error(c, -EINVAL, d->kind, "The number of sort_dir and sort_key values must match.");
        for (size_t i = 0; i < nk; i++) {
                const ResField *f = res_field(d, keys[i]);
                const char *dir = nd == 0 ? default_dir : nd == 1 ? dirs[0] : dirs[i];
                if (!(streq(keys[i], "id") || (f && (f->flags & RES_SORT)))) {
                        buf_done(&b);
                        return ctx_error(c, -EINVAL, d->kind, "Invalid sort key: %s.", keys[i]);
                }
                if (!streq(dir, "asc") && !streq(dir, "desc")) {
                        buf_done(&b);
                        return ctx_error(c, -EINVAL, d->kind, "Invalid sort direction: %s.", dir);
                }
                const char *col = f ? res_column(f) : "id";
                /* A key already there cannot change the order; repeated, it could overflow SQLite's limit. */
                _cleanup_free_ char *term = xasprintf("%s %s", col, dir);
                if (b.data && (strstr(b.data, term) || streq(col, "id")))
                        continue;
                buf_printf(&b, "%s%s", b.len ? ", " : "", term);
        }
        if (!b.len) {
                buf_done(&b);
                return 0;
        }
        buf_printf(&b, ", id %s", nd ? (nd == 1 ? dirs[0] : dirs[nd - 1]) : default_dir);
        free(q->order_by);
        q->order_by = buf_steal(&b);
        return 0;
}

/* Appends " AND column = ?" for each filter, binding values from filters (which must outlive args). */
static void add_arg(DbArgs *args, const json_t *v) {
        if (json_is_boolean(v))
                db_args_bool(args, json_is_true(v));
        else if (json_is_integer(v))
                db_args_int(args, json_integer_value(v));
        else if (json_is_real(v))
                db_args_add(args, (DbArg) { .type = 'r', .real = json_real_value(v) });
        else
                db_args_str(args, json_string_value(v));
}

static void add_filters(const ResDef *d, const json_t *filters, Buf *where, DbArgs *args) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) filters, key, v) {
                const ResField *f = res_field(d, key);
                const char *col = f ? res_column(f) : "id";
                if (json_is_null(v)) {
                        buf_printf(where, " AND %s IS NULL", col);
                        continue;
                }
                if (!json_is_array(v)) {
                        buf_printf(where, " AND %s = ?", col);
                        add_arg(args, v);
                        continue;
                }
                size_t i;
                json_t *one;
                buf_printf(where, " AND %s IN (", col);
                json_array_foreach(v, i, one) {
                        buf_puts(where, i ? ", ?" : "?");
                        add_arg(args, one);
                }
                buf_puts(where, ")");
        }
}

int res_list(Ctx *c, const ResDef *d, const ResQuery *q, json_t **ret, bool *ret_more) {
        Buf where = {}, sql = {};
        DbArgs args = {};
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *out = json_array();
        bool seen_marker = !q->marker, more = false;
        int r;

        buf_puts(&where, "1 = 1");
        add_filters(d, q->filters, &where, &args);
        if (q->where.data) {
                buf_puts(&where, q->where.data);
                for (size_t i = 0; i < q->args.n; i++)
                        db_args_add(&args, q->args.v[i]);
        }
        buf_puts(&sql, "SELECT ");
        res_columns(d, NULL, &sql);
        buf_printf(&sql, " FROM %s WHERE %s ORDER BY %s", d->table, where.data,
                   q->order_by ? q->order_by : d->order_by ? d->order_by : "id");
        r = db_query_args(c->db, &s, sql.data, args.v, args.n);
        /* Marker paging over the sorted rows: a small cloud's lists are thousands of rows, not millions. */
        while (r >= 0 && (r = db_step(s)) > 0) {
                if (!seen_marker) {
                        seen_marker = streq(db_col_text(s, 0), q->marker);
                        continue;
                }
                if (q->limit > 0 && (int64_t) json_array_size(out) >= q->limit) {
                        more = true;
                        break;
                }
                json_array_append_new(out, res_row(d, s));
        }
        buf_done(&where);
        buf_done(&sql);
        db_args_done(&args);
        if (r < 0) {
                json_decref(out);
                return res_db_error(c, r, d->kind, "listing records");
        }
        if (!seen_marker) {
                json_decref(out);
                return ctx_error(c, -EINVAL, d->kind, "Marker %s could not be found.", q->marker);
        }
        *ret = out;
        if (ret_more)
                *ret_more = more;
        return 0;
}

int res_count(Ctx *c, const ResDef *d, const char *where, const DbArgs *args, int64_t *ret) {
        _cleanup_free_ char *sql = xasprintf("SELECT COUNT(*) FROM %s%s%s", d->table, isempty(where) ? "" : " WHERE ",
                                             where ? where : "");
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query_args(c->db, &s, sql, args ? args->v : NULL, args ? args->n : 0);
        if (r >= 0)
                r = db_step(s);
        if (r <= 0)
                return res_db_error(c, r == 0 ? -EIO : r, d->kind, "counting records");
        *ret = db_col_int(s, 0);
        return 0;
}

/* Strings made for parameters (JSON fields dumped to text), freed together after the query. */
typedef struct Texts {
        char **v;
        size_t n;
} Texts;

static const char *texts_keep(Texts *t, char *s) {
        t->v = xrealloc(t->v, (t->n + 1) * sizeof(char *));
        t->v[t->n++] = s;
        return s;
}

static void texts_done(Texts *t) {
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i]);
        free(t->v);
}

/* The parameter for value v of field f (v borrowed: it must outlive the query). */
static DbArg field_arg(const ResField *f, const json_t *v, Texts *texts) {
        if (json_is_null(v))
                return (DbArg) { .type = 's', .s = NULL };
        switch (f->type) {
        case RES_BOOL:
                return (DbArg) { .type = 'b', .i = json_is_true(v) };
        case RES_INT:
        case RES_TIME:
                return (DbArg) { .type = 'i', .i = json_integer_value(v) };
        case RES_REAL:
                return (DbArg) { .type = 'r', .real = json_number_value(v) };
        case RES_JSON:
                return (DbArg) { .type = 's', .s = texts_keep(texts, jx_dump(v)) };
        default:
                return (DbArg) { .type = 's', .s = json_string_value(v) };
        }
}

static int conflict(Ctx *c, const ResDef *d, const json_t *obj) {
        const char *name = jx_string(obj, "name");
        if (!name)
                name = jx_string(obj, "id");
        if (d->conflict)
                return error_from_template(c, -EEXIST, d, d->conflict, NULL, name ? name : "");
        return ctx_error(c, -EEXIST, d->kind, "A %s with this name already exists.", d->singular);
}

int res_insert(Ctx *c, const ResDef *d, const json_t *obj) {
        Buf sql = {}, marks = {};
        Texts texts = {};
        DbArgs args = {};
        int64_t now = now_usec();
        int r = 0;

        buf_printf(&sql, "INSERT INTO %s (id", d->table);
        buf_puts(&marks, "?");
        db_args_str(&args, jx_string(obj, "id"));
        for (const ResField *f = d->fields; f->name; f++) {
                json_t *v = json_object_get(obj, f->name);
                if (!v || (json_is_null(v) && (f->flags & RES_REQUIRED))) {
                        if (f->flags & RES_REQUIRED) {
                                r = ctx_error(c, -EINVAL, d->kind, "Invalid input for field '%s': '%s' is a required property.",
                                              d->singular, f->name);
                                break;
                        }
                        if (f->type == RES_TIME && (streq(f->name, "created_at") || streq(f->name, "updated_at"))) {
                                buf_printf(&sql, ", %s", res_column(f));
                                buf_puts(&marks, ", ?");
                                db_args_int(&args, now);
                        }
                        continue;
                }
                buf_printf(&sql, ", %s", res_column(f));
                buf_puts(&marks, ", ?");
                db_args_add(&args, field_arg(f, v, &texts));
        }
        if (r >= 0) {
                buf_printf(&sql, ") VALUES (%s)", marks.data);
                r = db_run_args(c->db, sql.data, args.v, args.n);
                if (r == -EEXIST)
                        r = conflict(c, d, obj);
                else if (r < 0)
                        r = res_db_error(c, r, d->kind, "storing a record");
        }
        buf_done(&sql);
        buf_done(&marks);
        texts_done(&texts);
        db_args_done(&args);
        return r < 0 ? r : 0;
}

int res_patch(Ctx *c, const ResDef *d, const char *id, const json_t *patch) {
        Buf sql = {};
        Texts texts = {};
        DbArgs args = {};
        size_t n = 0;
        int r;

        buf_printf(&sql, "UPDATE %s SET ", d->table);
        for (const ResField *f = d->fields; f->name; f++) {
                json_t *v = json_object_get(patch, f->name);
                if (!v)
                        continue;
                buf_printf(&sql, "%s%s = ?", n++ ? ", " : "", res_column(f));
                db_args_add(&args, field_arg(f, v, &texts));
        }
        if (!json_object_get(patch, "updated_at") && res_field(d, "updated_at") &&
            res_field(d, "updated_at")->type == RES_TIME) {
                buf_printf(&sql, "%s%s = ?", n++ ? ", " : "", res_column(res_field(d, "updated_at")));
                db_args_int(&args, now_usec());
        }
        if (n == 0) {
                buf_done(&sql);
                return 0;
        }
        buf_puts(&sql, " WHERE id = ?");
        db_args_str(&args, id);
        r = db_run_args(c->db, sql.data, args.v, args.n);
        if (r == -EEXIST)
                r = conflict(c, d, patch);
        else if (r < 0)
                r = res_db_error(c, r, d->kind, "updating a record");
        else if (r == 0)
                r = error_from_template(c, -ENOENT, d, d->not_found, "Could not find %s.", id);
        buf_done(&sql);
        texts_done(&texts);
        db_args_done(&args);
        return r < 0 ? r : 0;
}

/* What the transactions of create, update and delete work on. */
typedef struct Change {
        const ResDef *d;
        const char *id;
        json_t *obj;             /* the new object or the patch */
        json_t *old;             /* the stored record (update, delete) */
} Change;

static int create_locked(Ctx *c, void *userdata) {
        Change *ch = userdata;
        int r = ch->d->prepare ? ch->d->prepare(c, ch->obj, NULL) : 0;
        if (r >= 0)
                r = res_insert(c, ch->d, ch->obj);
        return r >= 0 && ch->d->after ? ch->d->after(c, ch->obj, NULL) : r;
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

static char *new_id(const ResDef *d) {
        return d->id_kind == RES_ID_UUID ? uuid_dashed_new() : uuid_hex_new();
}

/* Gives obj its id (d->id_kind, or the client's) and runs precompute: what comes before the transaction. */
static int create_begin(Ctx *c, const ResDef *d, json_t *obj) {
        if (d->client_id && jx_string(obj, "id")) {
                if (!client_id_is_safe(jx_string(obj, "id")))
                        return ctx_error(c, -EINVAL, d->kind,
                                         "Invalid %s id: 1 to 255 characters from A-Z, a-z, 0-9, '-', '.', '_' and '~'.",
                                         d->singular);
        } else if (d->id_kind != RES_ID_GIVEN) {
                _cleanup_free_ char *id = new_id(d);
                json_object_set_new(obj, "id", json_string(id));
        }
        return d->precompute ? d->precompute(c, obj) : 0;
}

int res_create(Ctx *c, const ResDef *d, const json_t *in, json_t **ret) {
        _cleanup_json_ json_t *obj = in ? json_deep_copy(in) : json_object();
        Change ch = { .d = d, .obj = obj };
        int r = create_begin(c, d, obj);
        if (r < 0)
                return r;
        r = res_transaction(c, "storing a record", create_locked, &ch);
        if (r >= 0 && d->changed)
                d->changed();
        if (r < 0)
                return r;
        return ret ? res_get(c, d, jx_string(obj, "id"), ret) : 0;
}

int res_create_locked(Ctx *c, const ResDef *d, json_t *obj) {
        Change ch = { .d = d, .obj = obj };
        int r = create_begin(c, d, obj);
        return r < 0 ? r : create_locked(c, &ch);
}

typedef struct Bulk {
        const ResDef *d;
        json_t *objs;
} Bulk;

static int create_many_locked(Ctx *c, void *userdata) {
        Bulk *b = userdata;
        size_t i;
        json_t *obj;
        json_array_foreach(b->objs, i, obj) {
                Change ch = { .d = b->d, .obj = obj };
                int r = create_locked(c, &ch);
                if (r < 0)
                        return r;
        }
        return 0;
}

int res_create_many(Ctx *c, const ResDef *d, const json_t *in, json_t **ret) {
        _cleanup_json_ json_t *objs = json_deep_copy(in), *out = json_array();
        Bulk b = { d, objs };
        size_t i;
        json_t *obj;
        int r = 0;

        json_array_foreach(objs, i, obj)
                if ((r = create_begin(c, d, obj)) < 0)
                        return r;
        r = res_transaction(c, "storing records", create_many_locked, &b);
        if (r >= 0 && d->changed)
                d->changed();
        if (r < 0)
                return r;
        json_array_foreach(objs, i, obj) {
                json_t *rec = NULL;
                r = res_get(c, d, jx_string(obj, "id"), &rec);
                if (r < 0)
                        return r;
                json_array_append_new(out, rec);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int update_locked(Ctx *c, void *userdata) {
        Change *ch = userdata;
        const ResDef *d = ch->d;
        int r = res_get(c, d, ch->id, &ch->old);
        if (r < 0)
                return r;
        const char *new_id_s = jx_string(ch->obj, "id");
        if (new_id_s && !streq(new_id_s, ch->id))
                return ctx_error(c, -EINVAL, d->kind, "The 'id' of a %s cannot be changed.", d->singular);
        json_object_del(ch->obj, "id");
        for (const ResField *f = d->fields; f->name; f++) {
                json_t *v = json_object_get(ch->obj, f->name);
                if (v && (f->flags & RES_IMMUTABLE) && !json_equal(v, json_object_get(ch->old, f->name)))
                        return ctx_error(c, -EINVAL, d->kind, "The '%s' of a %s cannot be changed.", f->name,
                                         d->singular);
        }
        r = d->prepare ? d->prepare(c, ch->obj, ch->old) : 0;
        if (r >= 0)
                r = res_patch(c, d, ch->id, ch->obj);
        if (r >= 0 && d->after) {
                json_object_set_new(ch->obj, "id", json_string(ch->id));
                r = d->after(c, ch->obj, ch->old);
        }
        return r;
}

int res_update(Ctx *c, const ResDef *d, const char *id, const json_t *patch, json_t **ret) {
        _cleanup_json_ json_t *obj = patch ? json_deep_copy(patch) : json_object();
        Change ch = { .d = d, .id = id, .obj = obj };
        int r = d->precompute ? d->precompute(c, obj) : 0;
        if (r < 0)
                return r;
        r = res_transaction(c, "updating a record", update_locked, &ch);
        json_decref(ch.old);
        if (r >= 0 && d->changed)
                d->changed();
        if (r < 0)
                return r;
        return ret ? res_get(c, d, id, ret) : 0;
}

static int delete_locked(Ctx *c, void *userdata) {
        Change *ch = userdata;
        const ResDef *d = ch->d;
        _cleanup_free_ char *sql = xasprintf("DELETE FROM %s WHERE id = ?", d->table);
        int r = res_get(c, d, ch->id, &ch->old);
        if (r >= 0 && d->before_delete)
                r = d->before_delete(c, ch->old);
        if (r < 0)
                return r;
        r = db_run(c->db, sql, "s", ch->id);
        if (r == -EEXIST)
                return ctx_error(c, -EEXIST, d->kind, "The %s %s is still in use and cannot be deleted.", d->singular,
                                 ch->id);
        return r < 0 ? res_db_error(c, r, d->kind, "deleting a record") : 0;
}

int res_delete_locked(Ctx *c, const ResDef *d, const char *id) {
        Change ch = { .d = d, .id = id };
        int r = delete_locked(c, &ch);
        json_decref(ch.old);
        return r;
}

int res_delete(Ctx *c, const ResDef *d, const char *id) {
        Change ch = { .d = d, .id = id };
        int r = res_transaction(c, "deleting a record", delete_locked, &ch);
        json_decref(ch.old);
        if (r >= 0 && d->changed)
                d->changed();
        return r < 0 ? r : 0;
}
