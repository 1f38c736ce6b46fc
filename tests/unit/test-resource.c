/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the resource engine's database half (src/engine/resource.h)
 * on SQLite, with a test table declared as a ResDef: typed records, every
 * filter applied (issue 8: none silently dropped), strict and lenient
 * filters, sorting and marker paging, create/update/delete with hooks in
 * the same transaction, and message templates that never reach printf.
 */
#include "test-helpers.h"

#include "engine/resource.h"

static char *dir;
static Db *db;
static int changes;

static int setup(void **state) {
        dir = test_tmpdir_new();
        if (!dir || db_open("sqlite:test.db", dir, &db) < 0)
                return -1;
        changes = 0;
        return db_exec_script(db, "CREATE TABLE widgets (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                                  " size INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1, ratio REAL,"
                                  " meta TEXT, secret TEXT, owner TEXT, created_at BIGINT NOT NULL,"
                                  " updated_at BIGINT NOT NULL);"
                                  "CREATE TABLE audit (what TEXT NOT NULL)") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        db = db_close(db);
        return test_tmpdir_remove(TAKE_PTR(dir));
}

static int widget_prepare(Ctx *c, json_t *obj, const json_t *old) {
        if (jx_string(obj, "name") && streq(jx_string(obj, "name"), "forbidden"))
                return ctx_error(c, -EINVAL, RES_NONE, "No widget may be called forbidden.");
        /* A write in the same transaction: rolled back with the change when that fails. */
        return db_run(c->db, "INSERT INTO audit (what) VALUES (?)", "s", old ? "update" : "create") < 0 ? -EIO : 0;
}

static int widget_before_delete(Ctx *c, const json_t *old) {
        if (json_integer_value(json_object_get(old, "size")) == 42)
                return ctx_error(c, -EBUSY, RES_NONE, "Widget %s is in use.", jx_string(old, "id"));
        return 0;
}

static void widget_changed(void) {
        changes++;
}

static const ResField widget_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_FILTER | RES_SORT },
        { "size", RES_INT, RES_FILTER | RES_SORT },
        { "enabled", RES_BOOL, RES_FILTER },
        { "ratio", RES_REAL, RES_FILTER },
        { "meta", RES_JSON, 0 },
        { "secret", RES_STRING, RES_SECRET },
        { "owner", RES_STRING, RES_FILTER | RES_IMMUTABLE, "owner" },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, 0 },
        {},
};

static const ResDef res_widget = {
        .kind = RES_NONE, .table = "widgets", .singular = "widget", .plural = "widgets",
        .fields = widget_fields, .id_kind = RES_ID_UUID, .order_by = "name",
        .not_found = "Widget %s could not be found.", .conflict = "Widget %s exists already.",
        .changed = widget_changed, .prepare = widget_prepare, .before_delete = widget_before_delete,
};

static json_t *make(Ctx *c, const char *name, int size) {
        json_t *rec = NULL;
        _cleanup_json_ json_t *obj = json_pack("{s:s, s:i, s:f, s:{s:s}, s:s, s:s}", "name", name, "size", size,
                                               "ratio", 1.5, "meta", "k", "v", "secret", "hash", "owner", "p1");
        assert_int_equal(res_create(c, &res_widget, obj, &rec), 0);
        return rec;
}

static int64_t audit_rows(void) {
        int64_t n = -1;
        assert_int_equal(db_query_int(db, &n, "SELECT COUNT(*) FROM audit", ""), 0);
        return n;
}

static void test_create_get_types(void **state) {
        Ctx c;
        ctx_init(&c, db);
        _cleanup_json_ json_t *w = make(&c, "alpha", 3), *again = NULL;
        assert_true(uuid_is_dashed(jx_string(w, "id")));
        assert_int_equal(json_integer_value(json_object_get(w, "size")), 3);
        assert_true(json_is_true(json_object_get(w, "enabled"))); /* the column's default */
        assert_true(json_real_value(json_object_get(w, "ratio")) == 1.5);
        assert_string_equal(jx_string(json_object_get(w, "meta"), "k"), "v");
        assert_true(json_integer_value(json_object_get(w, "created_at")) > 0);
        assert_int_equal(json_integer_value(json_object_get(w, "created_at")),
                         json_integer_value(json_object_get(w, "updated_at")));
        assert_int_equal(changes, 1);
        assert_int_equal(audit_rows(), 1);

        /* Duplicates and misses get the ResDef's messages. */
        _cleanup_json_ json_t *dup = json_pack("{s:s}", "name", "alpha");
        assert_int_equal(res_create(&c, &res_widget, dup, NULL), -EEXIST);
        assert_string_equal(c.error_message, "Widget alpha exists already.");
        ctx_clear_error(&c);
        assert_int_equal(res_get(&c, &res_widget, "%s%n%s", &again), -ENOENT);
        assert_string_equal(c.error_message, "Widget %s%n%s could not be found.");
        ctx_clear_error(&c);
        /* A required field, and a prepare hook that refuses: nothing stored, the audit row rolled back. */
        _cleanup_json_ json_t *noname = json_pack("{s:i}", "size", 1), *bad = json_pack("{s:s}", "name", "forbidden");
        assert_int_equal(res_create(&c, &res_widget, noname, NULL), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(res_create(&c, &res_widget, bad, NULL), -EINVAL);
        assert_string_equal(c.error_message, "No widget may be called forbidden.");
        assert_int_equal(audit_rows(), 1);
        assert_int_equal(changes, 1);
        ctx_done(&c);
}

static void test_every_filter_applies(void **state) {
        Ctx c;
        ResQuery q;
        json_t *rows = NULL;
        ctx_init(&c, db);
        for (int i = 0; i < 5; i++) {
                char name[16];
                snprintf(name, sizeof(name), "w%d", i);
                json_decref(make(&c, name, i));
        }
        /* 40 filters, the last of which excludes everything: none may be dropped. */
        res_query_init(&q);
        for (int i = 0; i < 39; i++)
                assert_int_equal(res_query_filter(&c, &res_widget, &q, "enabled", "true", true), 0);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "owner", "p1", true), 0);
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, NULL), 0);
        assert_int_equal(json_array_size(rows), 5);
        json_decref(rows);
        Buf b = {};
        for (int i = 0; i < 200; i++)
                buf_printf(&b, " AND size <> ?");
        q.where = b;
        for (int i = 0; i < 200; i++)
                db_args_int(&q.args, i % 5);
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, NULL), 0);
        assert_int_equal(json_array_size(rows), 0);
        json_decref(rows);
        res_query_done(&q);

        /* Strict refuses what it cannot apply; lenient ignores unknown names only. */
        res_query_init(&q);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "secretive", "x", true), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "meta", "x", true), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "secretive", "x", false), 0);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "size", "many", false), -EINVAL);
        assert_string_equal(c.error_message, "Invalid value 'many' for filter 'size'.");
        ctx_clear_error(&c);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "size", "3", true), 0);
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, NULL), 0);
        assert_int_equal(json_array_size(rows), 1);
        assert_string_equal(jx_string(json_array_get(rows, 0), "name"), "w3");
        json_decref(rows);
        res_query_done(&q);
        ctx_done(&c);
}

static void test_sort_and_paging(void **state) {
        Ctx c;
        ResQuery q;
        json_t *rows = NULL;
        bool more = false;
        ctx_init(&c, db);
        for (int i = 0; i < 7; i++) {
                char name[16];
                snprintf(name, sizeof(name), "p%d", i);
                json_decref(make(&c, name, 10 - i));
        }
        res_query_init(&q);
        char *keys[] = { "size", "size", "name", NULL }, *dirs[] = { "asc", NULL };
        assert_int_equal(res_query_sort(&c, &res_widget, &q, keys, dirs, "desc"), 0);
        assert_string_equal(q.order_by, "size asc, name asc, id asc");
        q.limit = 3;
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, &more), 0);
        assert_true(more);
        assert_int_equal(json_array_size(rows), 3);
        assert_string_equal(jx_string(json_array_get(rows, 0), "name"), "p6");
        q.marker = xstrdup(jx_string(json_array_get(rows, 2), "id"));
        json_decref(rows);
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, &more), 0);
        assert_true(more);
        assert_string_equal(jx_string(json_array_get(rows, 0), "name"), "p3");
        json_decref(rows);
        free(q.marker);
        q.marker = xstrdup("no-such-marker");
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, &more), -EINVAL);
        ctx_clear_error(&c);
        res_query_done(&q);

        res_query_init(&q);
        char *bad[] = { "secret", NULL }, *baddir[] = { "sideways", NULL }, *two[] = { "asc", "desc", NULL };
        assert_int_equal(res_query_sort(&c, &res_widget, &q, bad, NULL, "asc"), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(res_query_sort(&c, &res_widget, &q, keys, baddir, "asc"), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(res_query_sort(&c, &res_widget, &q, keys, two, "asc"), -EINVAL);
        ctx_clear_error(&c);
        res_query_done(&q);
        ctx_done(&c);
}

static void test_update_delete(void **state) {
        Ctx c;
        ctx_init(&c, db);
        _cleanup_json_ json_t *w = make(&c, "u", 42), *updated = NULL;
        const char *id = jx_string(w, "id");
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:{s:i}}", "name", "u2", "meta", "n", 1);
        usleep(1000);
        assert_int_equal(res_update(&c, &res_widget, id, patch, &updated), 0);
        assert_string_equal(jx_string(updated, "name"), "u2");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(updated, "meta"), "n")), 1);
        assert_true(json_integer_value(json_object_get(updated, "updated_at")) >
                    json_integer_value(json_object_get(updated, "created_at")));
        _cleanup_json_ json_t *owner = json_pack("{s:s}", "owner", "p2");
        assert_int_equal(res_update(&c, &res_widget, id, owner, NULL), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(res_update(&c, &res_widget, "nope", patch, NULL), -ENOENT);
        ctx_clear_error(&c);
        /* before_delete refuses inside the transaction; then the row goes. */
        assert_int_equal(res_delete(&c, &res_widget, id), -EBUSY);
        ctx_clear_error(&c);
        _cleanup_json_ json_t *small = json_pack("{s:i}", "size", 1);
        assert_int_equal(res_update(&c, &res_widget, id, small, NULL), 0);
        assert_int_equal(res_delete(&c, &res_widget, id), 0);
        assert_int_equal(res_delete(&c, &res_widget, id), -ENOENT);
        _cleanup_free_ char *want = xasprintf("Widget %s could not be found.", id);
        assert_string_equal(c.error_message, want);
        ctx_done(&c);
}

static void test_bulk_and_any_of(void **state) {
        Ctx c;
        ResQuery q;
        json_t *rows = NULL;
        ctx_init(&c, db);
        /* All or nothing: the third refuses, so neither of the first two is kept. */
        _cleanup_json_ json_t *bad = json_pack("[{s:s}, {s:s}, {s:s}]", "name", "b1", "name", "b2", "name", "forbidden");
        assert_int_equal(res_create_many(&c, &res_widget, bad, &rows), -EINVAL);
        ctx_clear_error(&c);
        assert_int_equal(audit_rows(), 0);
        _cleanup_json_ json_t *good = json_pack("[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}]", "name", "b1", "size", 1,
                                                "name", "b2", "size", 2, "name", "b3", "size", 3);
        assert_int_equal(res_create_many(&c, &res_widget, good, &rows), 0);
        assert_int_equal(json_array_size(rows), 3);
        assert_string_equal(jx_string(json_array_get(rows, 2), "name"), "b3");
        assert_true(uuid_is_dashed(jx_string(json_array_get(rows, 0), "id")));
        assert_int_equal(changes, 1);
        json_decref(rows);

        /* A repeated filter: any of its values with repeat_is_any, the last one otherwise. */
        res_query_init(&q);
        q.repeat_is_any = true;
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "size", "1", true), 0);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "size", "3", true), 0);
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, NULL), 0);
        assert_int_equal(json_array_size(rows), 2);
        json_decref(rows);
        res_query_done(&q);
        res_query_init(&q);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "size", "1", true), 0);
        assert_int_equal(res_query_filter(&c, &res_widget, &q, "size", "3", true), 0);
        assert_int_equal(res_list(&c, &res_widget, &q, &rows, NULL), 0);
        assert_int_equal(json_array_size(rows), 1);
        assert_string_equal(jx_string(json_array_get(rows, 0), "name"), "b3");
        json_decref(rows);
        res_query_done(&q);
        ctx_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_create_get_types, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_filter_applies, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sort_and_paging, setup, teardown),
                cmocka_unit_test_setup_teardown(test_update_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bulk_and_any_of, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
