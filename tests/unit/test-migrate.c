/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the database layer (src/db/db.h) on SQLite in a scratch
 * directory: migrations, nested transactions, constraint errors, row to
 * JSON conversion and the per-connection statement cache.
 */
#include "test-helpers.h"

#include "db/db.h"
#include "util/buf.h"

typedef struct Fixture {
        char *dir;
        Db *db;
} Fixture;

static int setup_db(void **state) {
        Fixture *f = xcalloc(1, sizeof(*f));
        *state = f;
        f->dir = test_tmpdir_new();
        if (!f->dir)
                return -1;
        if (db_open("sqlite:test.db", f->dir, &f->db) < 0)
                return -1;
        return 0;
}

static int setup_migrated(void **state) {
        if (setup_db(state) < 0)
                return -1;
        Fixture *f = *state;
        return db_migrate(f->db) < 0 ? -1 : 0;
}

static int teardown_db(void **state) {
        Fixture *f = *state;
        if (!f)
                return 0;
        db_close(f->db);
        int r = test_tmpdir_remove(f->dir);
        free(f);
        return r;
}

static int64_t count(Db *db, const char *sql) {
        _cleanup_stmt_ DbStmt *s = NULL;
        assert_int_equal(db_query(db, &s, sql, ""), 0);
        assert_int_equal(db_step(s), 1);
        return db_col_int(s, 0);
}

static int insert_domain(Db *db, const char *id, const char *name) {
        return db_run(db, "INSERT INTO domains (id, name, created_at) VALUES (?, ?, ?)", "ssi", id, name,
                      (int64_t) 1);
}

static void test_open_errors(void **state) {
        Db *db = NULL;

        assert_int_equal(db_open("postgres://x", "/tmp", &db), -EOPNOTSUPP);
        assert_null(db);
        assert_int_equal(db_open("sqlite:/nonexistent-dir-gureum/x/y.db", "/tmp", &db), -EIO);
        assert_null(db);
        assert_null(db_close(NULL));
}

static void test_migrate_fresh(void **state) {
        Fixture *f = *state;
        int64_t v = -1;

        assert_true(db_schema_latest() >= 1);
        assert_int_equal(db_schema_version(f->db, &v), 0);
        assert_int_equal(v, 0);

        assert_int_equal(db_migrate(f->db), 0);
        assert_int_equal(db_schema_version(f->db, &v), 0);
        assert_int_equal(v, db_schema_latest());
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM schema_migrations"), db_schema_latest());

        /* Again: nothing to do, nothing recorded twice. */
        assert_int_equal(db_migrate(f->db), 0);
        assert_int_equal(db_schema_version(f->db, &v), 0);
        assert_int_equal(v, db_schema_latest());
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM schema_migrations"), db_schema_latest());
        assert_int_equal(count(f->db, "SELECT COUNT(DISTINCT version) FROM schema_migrations"),
                         db_schema_latest());

        /* The identity tables exist and are empty. */
        static const char *const tables[] = {
                "domains", "projects", "users", "groups", "group_members", "roles", "role_implications",
                "role_assignments", "regions", "services", "endpoints", "revocation_events",
        };
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                _cleanup_free_ char *sql = xasprintf("SELECT COUNT(*) FROM %s", tables[i]);
                assert_int_equal(count(f->db, sql), 0);
        }
        /* A table that does not exist fails to prepare. */
        DbStmt *s = NULL;
        assert_int_equal(db_query(f->db, &s, "SELECT COUNT(*) FROM no_such_table", ""), -EIO);
        assert_null(s);
}

static void test_migrate_reopen(void **state) {
        Fixture *f = *state;
        Db *db2 = NULL;
        int64_t v = -1;

        /* The version persists across connections, and a newer one is refused. */
        assert_int_equal(db_open("sqlite:test.db", f->dir, &db2), 0);
        assert_int_equal(db_schema_version(db2, &v), 0);
        assert_int_equal(v, db_schema_latest());
        assert_int_equal(db_migrate(db2), 0);
        assert_int_equal(db_run(db2, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                "isi", db_schema_latest() + 1, "9999_future.sql", (int64_t) 0),
                         1);
        assert_int_equal(db_migrate(db2), -EPROTO);
        db2 = db_close(db2);
        assert_null(db2);
        assert_int_equal(db_migrate(f->db), -EPROTO);
}

static void test_rollback(void **state) {
        Fixture *f = *state;

        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d1", "one"), 1);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 1);
        db_rollback(f->db);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 0);

        /* Rollback or commit with no transaction. */
        db_rollback(f->db);
        assert_int_equal(db_commit(f->db), -EINVAL);

        /* Outside a transaction every statement commits by itself. */
        assert_int_equal(insert_domain(f->db, "d2", "two"), 1);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 1);
}

static void test_nested_commit(void **state) {
        Fixture *f = *state;
        Db *other = NULL;

        assert_int_equal(db_open("sqlite:test.db", f->dir, &other), 0);

        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d1", "one"), 1);
        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d2", "two"), 1);
        assert_int_equal(db_commit(f->db), 0);
        /* Only the outermost commit reaches the database. */
        assert_int_equal(count(other, "SELECT COUNT(*) FROM domains"), 0);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 2);
        assert_int_equal(db_commit(f->db), 0);
        assert_int_equal(count(other, "SELECT COUNT(*) FROM domains"), 2);
        assert_int_equal(db_commit(f->db), -EINVAL);

        db_close(other);
}

static void test_nested_rollback(void **state) {
        Fixture *f = *state;

        /* An inner rollback dooms the whole transaction. */
        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d1", "one"), 1);
        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d2", "two"), 1);
        db_rollback(f->db);
        assert_int_equal(db_commit(f->db), -EIO);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 0);

        /* The next transaction starts clean. */
        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d3", "three"), 1);
        assert_int_equal(db_commit(f->db), 0);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 1);
}

static void test_unique_violation(void **state) {
        Fixture *f = *state;

        assert_int_equal(insert_domain(f->db, "d1", "one"), 1);
        /* Same primary key, then same unique name. */
        assert_int_equal(insert_domain(f->db, "d1", "other"), -EEXIST);
        assert_int_equal(insert_domain(f->db, "d2", "one"), -EEXIST);
        /* A foreign key violation is a conflict too. */
        assert_int_equal(db_run(f->db,
                                "INSERT INTO users (id, domain_id, name, created_at) VALUES (?, ?, ?, ?)",
                                "sssi", "u1", "no-such-domain", "alice", (int64_t) 1),
                         -EEXIST);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 1);

        /* db_run counts changed rows. */
        assert_int_equal(insert_domain(f->db, "d2", "two"), 1);
        assert_int_equal(db_run(f->db, "UPDATE domains SET enabled = ? WHERE id <> ?", "bs", false, "zzz"), 2);
        assert_int_equal(db_run(f->db, "UPDATE domains SET enabled = ? WHERE id = ?", "bs", true, "nope"), 0);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains WHERE enabled = 0"), 2);

        /* Inside a transaction a violation leaves the transaction usable. */
        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(insert_domain(f->db, "d9", "nine"), 1);
        assert_int_equal(insert_domain(f->db, "d9", "nine"), -EEXIST);
        assert_int_equal(db_commit(f->db), 0);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM domains"), 3);
}

static void test_row_json(void **state) {
        Fixture *f = *state;
        _cleanup_stmt_ DbStmt *s = NULL;

        assert_int_equal(db_exec_script(f->db, "CREATE TABLE t (k INTEGER, s TEXT, b INTEGER, i BIGINT, n TEXT);"
                                               "CREATE TABLE t2 (x TEXT);"),
                         0);
        assert_int_equal(db_run(f->db, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", "isbis", (int64_t) 1, "hello", true,
                                INT64_C(-1234567890123), NULL),
                         1);
        assert_int_equal(db_run(f->db, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", "isbis", (int64_t) 2, "",
                                false, INT64_MAX, "x"),
                         1);
        assert_int_equal(db_run(f->db, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", "isbis", (int64_t) 3, NULL, true,
                                (int64_t) 0, NULL),
                         1);

        assert_int_equal(db_query(f->db, &s, "SELECT s, b, i, n, b FROM t ORDER BY k", ""), 0);
        static const char *const expect[] = {
                "{\"s\": \"hello\", \"enabled\": true, \"size\": -1234567890123, \"note\": null, \"raw\": \"1\"}",
                "{\"s\": \"\", \"enabled\": false, \"size\": 9223372036854775807, \"note\": \"x\", \"raw\": \"0\"}",
                "{\"s\": null, \"enabled\": true, \"size\": 0, \"note\": null, \"raw\": \"1\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
                assert_int_equal(db_step(s), 1);
                /* Extra spaces in spec are allowed. */
                _cleanup_json_ json_t *row = db_row_json(s, " s  b:enabled i:size note raw ");
                _cleanup_json_ json_t *want = json_loads(expect[i], 0, NULL);
                assert_non_null(want);
                if (!json_equal(row, want)) {
                        _cleanup_free_ char *got = jx_dump(row);
                        fail_msg("row %zu: got %s, want %s", i, got, expect[i]);
                }
                assert_true(json_is_boolean(json_object_get(row, "enabled")));
                assert_true(json_is_integer(json_object_get(row, "size")));
        }
        assert_int_equal(db_step(s), 0);

        /* Column accessors agree. */
        db_stmt_release(TAKE_PTR(s));
        assert_int_equal(db_query(f->db, &s, "SELECT s, i, n FROM t WHERE k = ?", "i", (int64_t) 1), 0);
        assert_int_equal(db_step(s), 1);
        assert_string_equal(db_col_text(s, 0), "hello");
        assert_true(db_col_int(s, 1) == INT64_C(-1234567890123));
        assert_true(db_col_null(s, 2));
        assert_false(db_col_null(s, 0));
        assert_null(db_col_text(s, 2));
        assert_null(db_col_strdup(s, 2));
        _cleanup_free_ char *dup = db_col_strdup(s, 0);
        assert_string_equal(dup, "hello");
}

static void test_query_args(void **state) {
        Fixture *f = *state;
        _cleanup_stmt_ DbStmt *s = NULL;

        assert_int_equal(insert_domain(f->db, "d1", "one"), 1);
        assert_int_equal(insert_domain(f->db, "d2", "two"), 1);
        assert_int_equal(db_run(f->db, "UPDATE domains SET enabled = 0 WHERE id = ?", "s", "d2"), 1);

        const DbArg args[] = { { .type = 'b', .i = 5 }, { .type = 's', .s = "d%" } };
        assert_int_equal(db_query_args(f->db, &s, "SELECT id FROM domains WHERE enabled = ? AND id LIKE ?", args,
                                       ELEMENTSOF(args)),
                         0);
        assert_int_equal(db_step(s), 1);
        assert_string_equal(db_col_text(s, 0), "d1");
        assert_int_equal(db_step(s), 0);
}

static void test_query_int(void **state) {
        Fixture *f = *state;
        int64_t n = -1;

        assert_int_equal(insert_domain(f->db, "a", "A"), 1);
        assert_int_equal(insert_domain(f->db, "b", "B"), 1);
        assert_int_equal(db_query_int(f->db, &n, "SELECT COUNT(*) FROM domains WHERE id >= ?", "s", "a"), 0);
        assert_int_equal(n, 2);
        n = -1;
        assert_int_equal(db_query_int(f->db, &n, "SELECT 7 FROM domains WHERE id = ?", "s", "zz"), -ENOENT);
        assert_int_equal(n, -1);
        assert_int_equal(db_query_int(f->db, &n, "SELECT COUNT(*) FROM no_such_table", ""), -EIO);
}

/* SQL built per request (any number of distinct texts) can not grow the cache without bound. */
static void test_statement_cache_bounded(void **state) {
        Fixture *f = *state;
        DbStmt *busy = NULL;
        unsigned most = 0;

        assert_int_equal(insert_domain(f->db, "a", "A"), 1);
        assert_int_equal(db_query(f->db, &busy, "SELECT id FROM domains", ""), 0);
        for (int i = 0; i < 2000; i++) {
                _cleanup_free_ char *sql = xasprintf("SELECT %d + COUNT(*) FROM domains", i);
                DbStmt *s = NULL;
                assert_int_equal(db_query(f->db, &s, sql, ""), 0);
                assert_int_equal(db_step(s), 1);
                assert_int_equal(db_col_int(s, 0), i + 1);
                db_stmt_release(s);
                if (db_stmt_cache_size(f->db) > most)
                        most = db_stmt_cache_size(f->db);
        }
        assert_true(most > 100 && most <= 256);
        /* A statement in use when the cache was trimmed is still there and still works. */
        assert_int_equal(db_step(busy), 1);
        assert_string_equal(db_col_text(busy, 0), "a");
        db_stmt_release(busy);
}

static void test_statement_reuse(void **state) {
        Fixture *f = *state;
        const char *sql = "SELECT id FROM domains ORDER BY id";
        DbStmt *outer = NULL, *inner = NULL, *again = NULL;
        Buf seen = {};

        assert_int_equal(insert_domain(f->db, "a", "A"), 1);
        assert_int_equal(insert_domain(f->db, "b", "B"), 1);
        assert_int_equal(insert_domain(f->db, "c", "C"), 1);

        /* The same SQL, prepared again while the first is mid-iteration. */
        assert_int_equal(db_query(f->db, &outer, sql, ""), 0);
        int r;
        while ((r = db_step(outer)) > 0) {
                buf_printf(&seen, "%s:", db_col_text(outer, 0));
                assert_int_equal(db_query(f->db, &inner, sql, ""), 0);
                assert_ptr_not_equal(inner, outer);
                while ((r = db_step(inner)) > 0)
                        buf_puts(&seen, db_col_text(inner, 0));
                assert_int_equal(r, 0);
                db_stmt_release(inner);
                buf_puts(&seen, ";");
        }
        assert_int_equal(r, 0);
        assert_string_equal(seen.data, "a:abc;b:abc;c:abc;");
        db_stmt_release(outer);
        buf_done(&seen);

        /* Released, the cached statement is handed out again, reset. */
        assert_int_equal(db_query(f->db, &again, sql, ""), 0);
        assert_ptr_equal(again, outer);
        assert_int_equal(db_step(again), 1);
        assert_string_equal(db_col_text(again, 0), "a");

        /* Two nested uses at once while the cached one is busy. */
        DbStmt *n1 = NULL, *n2 = NULL;
        assert_int_equal(db_query(f->db, &n1, sql, ""), 0);
        assert_int_equal(db_query(f->db, &n2, sql, ""), 0);
        assert_ptr_not_equal(n1, n2);
        assert_int_equal(db_step(n1), 1);
        assert_int_equal(db_step(n2), 1);
        assert_int_equal(db_step(n2), 1);
        assert_string_equal(db_col_text(n1, 0), "a");
        assert_string_equal(db_col_text(n2, 0), "b");
        db_stmt_release(n2);
        db_stmt_release(n1);
        assert_int_equal(db_step(again), 1);
        assert_string_equal(db_col_text(again, 0), "b");
        db_stmt_release(again);

        /* Bindings do not leak from one use to the next. */
        DbStmt *p = NULL;
        assert_int_equal(db_query(f->db, &p, "SELECT COUNT(*) FROM domains WHERE id = ?", "s", "a"), 0);
        assert_int_equal(db_step(p), 1);
        assert_int_equal(db_col_int(p, 0), 1);
        db_stmt_release(p);
        assert_int_equal(db_query(f->db, &p, "SELECT COUNT(*) FROM domains WHERE id = ?", ""), 0);
        assert_int_equal(db_step(p), 1);
        assert_int_equal(db_col_int(p, 0), 0); /* NULL parameter */
        db_stmt_release(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_errors),
                cmocka_unit_test_setup_teardown(test_migrate_fresh, setup_db, teardown_db),
                cmocka_unit_test_setup_teardown(test_migrate_reopen, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_rollback, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_nested_commit, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_nested_rollback, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_unique_violation, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_row_json, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_query_args, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_statement_reuse, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_statement_cache_bounded, setup_migrated, teardown_db),
                cmocka_unit_test_setup_teardown(test_query_int, setup_migrated, teardown_db),
        };
        return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
