/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite backend of db.h: one connection per thread in WAL mode, a
 * statement cache per connection, and errno-style error codes.
 */
#include "db/db.h"
#include "util/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>

#define STMT_BUCKETS 128
/*
 * Most SQL is fixed text, but some is built per request (image list
 * filters and sort orders), and a user can make as many distinct texts as
 * they like.  So the cache is bounded: when it is full, every idle
 * statement is dropped and the cache refills with what is used next.
 */
#define STMT_CACHE_MAX 256

struct DbStmt {
        Db *db;
        sqlite3_stmt *stmt;
        char *sql;
        uint64_t hash;
        bool in_use;
        bool cached;        /* false: finalize on release */
        DbStmt *next;       /* hash chain */
};

struct Db {
        sqlite3 *conn;
        int tx_depth;
        bool tx_failed;     /* an inner rollback happened */
        DbStmt *buckets[STMT_BUCKETS];
        unsigned n_cached;  /* statements in buckets */
};

static int map_sqlite_error(Db *db, int rc) {
        /* Only key conflicts are "exists"; NOT NULL and CHECK failures are bad input. */
        if (rc == SQLITE_CONSTRAINT_NOTNULL || rc == SQLITE_CONSTRAINT_CHECK)
                return -EINVAL;
        switch (rc & 0xff) {
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                abort();
        default:
                log_debug("db", "sqlite error %d: %s", rc, sqlite3_errmsg(db->conn));
                return -EIO;
        }
}

int db_open(const char *connection, const char *state_dir, Db **ret) {
        _cleanup_free_ char *path = NULL;
        Db *db;
        int rc;

        if (!startswith(connection, "sqlite:"))
                return -EOPNOTSUPP;
        const char *file = connection + strlen("sqlite:");
        path = file[0] == '/' ? xstrdup(file) : xasprintf("%s/%s", state_dir, file);

        db = xcalloc(1, sizeof(*db));
        rc = sqlite3_open_v2(path, &db->conn,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                log_debug("db", "cannot open %s: %s", path, sqlite3_errstr(rc));
                db_close(db);
                return -EIO;
        }
        /*
         * The database holds password hashes and every secret of the cloud:
         * 0600 whatever the umask, because the state directory may be
         * searchable by others (QEMU must reach the instance disks below
         * it).  SQLite creates its -wal and -shm files with the mode of the
         * database file; older ones are fixed here too.
         */
        static const char *const suffixes[] = { "", "-wal", "-shm" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *f = xasprintf("%s%s", path, suffixes[i]);
                if (chmod(f, 0600) < 0 && errno != ENOENT)
                        log_debug("db", "cannot make %s private: %s", f, strerror(errno));
        }
        sqlite3_busy_timeout(db->conn, 10000);
        sqlite3_extended_result_codes(db->conn, 1);
        /*
         * WAL lets readers run beside one writer; NORMAL sync in WAL mode
         * is durable across process crashes, and loses at most the last
         * transactions on power loss, never consistency.
         */
        rc = sqlite3_exec(db->conn,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                int r = map_sqlite_error(db, rc);
                db_close(db);
                return r;
        }
        *ret = db;
        return 0;
}

static void stmt_free(DbStmt *s) {
        sqlite3_finalize(s->stmt);
        free(s->sql);
        free(s);
}

Db *db_close(Db *db) {
        if (!db)
                return NULL;
        for (size_t i = 0; i < STMT_BUCKETS; i++)
                for (DbStmt *s = db->buckets[i], *n; s; s = n) {
                        n = s->next;
                        stmt_free(s);
                }
        sqlite3_close(db->conn);
        free(db);
        return NULL;
}

static char *thread_connection, *thread_state_dir;
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_db_free(void *p) {
        db_close(p);
}

static void thread_key_create(void) {
        pthread_key_create(&thread_key, thread_db_free);
}

void db_thread_setup(const char *connection, const char *state_dir) {
        pthread_once(&thread_once, thread_key_create);
        free(thread_connection);
        free(thread_state_dir);
        thread_connection = xstrdup(connection);
        thread_state_dir = xstrdup(state_dir);
}

Db *db_thread(void) {
        Db *db = pthread_getspecific(thread_key);
        if (db)
                return db;
        if (db_open(thread_connection, thread_state_dir, &db) < 0)
                return NULL;
        pthread_setspecific(thread_key, db);
        return db;
}

void db_thread_close(void) {
        Db *db = pthread_getspecific(thread_key);
        if (!db)
                return;
        pthread_setspecific(thread_key, NULL);
        db_close(db);
}

static int exec_simple(Db *db, const char *sql) {
        int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : map_sqlite_error(db, rc);
}

int db_begin(Db *db) {
        if (db->tx_depth++ > 0)
                return 0;
        db->tx_failed = false;
        int r = exec_simple(db, "BEGIN IMMEDIATE");
        if (r < 0)
                db->tx_depth = 0;
        return r;
}

int db_commit(Db *db) {
        if (db->tx_depth <= 0)
                return -EINVAL;
        if (--db->tx_depth > 0)
                return 0;
        if (db->tx_failed) {
                (void) exec_simple(db, "ROLLBACK");
                return -EIO;
        }
        int r = exec_simple(db, "COMMIT");
        if (r < 0)
                (void) exec_simple(db, "ROLLBACK");
        return r;
}

void db_rollback(Db *db) {
        if (db->tx_depth <= 0)
                return;
        if (--db->tx_depth > 0) {
                db->tx_failed = true;
                return;
        }
        (void) exec_simple(db, "ROLLBACK");
}

int db_transaction(Ctx *c, int (*fn)(Ctx *c, void *userdata), void *userdata) {
        int r = db_begin(c->db);
        if (r < 0)
                return r;
        r = fn(c, userdata);
        if (r < 0) {
                db_rollback(c->db);
                return r;
        }
        return db_commit(c->db);
}

int db_read_snapshot(Ctx *c, int (*fn)(Ctx *c, void *userdata), void *userdata) {
        Db *db = c->db;
        /* Inside a write transaction the snapshot is that transaction's. */
        if (db->tx_depth > 0)
                return fn(c, userdata);
        int r = exec_simple(db, "BEGIN DEFERRED");
        if (r < 0)
                return r;
        db->tx_depth = 1;
        r = fn(c, userdata);
        db->tx_depth = 0;
        int end = exec_simple(db, r < 0 ? "ROLLBACK" : "COMMIT");
        return r < 0 ? r : end;
}

int db_exec_script(Db *db, const char *sql) {
        return exec_simple(db, sql);
}

/* Drops every cached statement not in use now. */
static void stmt_cache_trim(Db *db) {
        for (size_t i = 0; i < STMT_BUCKETS; i++)
                for (DbStmt **p = &db->buckets[i]; *p;) {
                        DbStmt *s = *p;
                        if (s->in_use) {
                                p = &s->next;
                                continue;
                        }
                        *p = s->next;
                        stmt_free(s);
                        db->n_cached--;
                }
}

static int stmt_get(Db *db, const char *sql, DbStmt **ret) {
        uint64_t h = hash_fnv1a(sql);
        DbStmt **bucket = &db->buckets[h % STMT_BUCKETS], *s;
        sqlite3_stmt *st;
        bool cache = true;

        for (s = *bucket; s; s = s->next)
                if (s->hash == h && streq(s->sql, sql)) {
                        if (!s->in_use) {
                                s->in_use = true;
                                *ret = s;
                                return 0;
                        }
                        cache = false; /* nested use of the same query */
                        break;
                }
        int rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL);
        if (rc != SQLITE_OK) {
                log_debug("db", "cannot prepare '%s': %s", sql, sqlite3_errmsg(db->conn));
                return -EIO;
        }
        s = xcalloc(1, sizeof(*s));
        *s = (DbStmt) { .db = db, .stmt = st, .sql = xstrdup(sql), .hash = h, .in_use = true,
                        .cached = cache };
        if (cache) {
                if (db->n_cached >= STMT_CACHE_MAX)
                        stmt_cache_trim(db);
                s->next = *bucket;
                *bucket = s;
                db->n_cached++;
        }
        *ret = s;
        return 0;
}

static int bind_one(DbStmt *s, int n, const DbArg *a) {
        int rc;
        switch (a->type) {
        case 's':
                rc = a->s ? sqlite3_bind_text(s->stmt, n, a->s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s->stmt, n);
                break;
        case 'i':
                rc = sqlite3_bind_int64(s->stmt, n, a->i);
                break;
        case 'b':
                rc = sqlite3_bind_int(s->stmt, n, a->i ? 1 : 0);
                break;
        case 'r':
                rc = sqlite3_bind_double(s->stmt, n, a->real);
                break;
        default:
                abort(); /* a bad type is a programming error */
        }
        return rc == SQLITE_OK ? 0 : map_sqlite_error(s->db, rc);
}

static int bind_args(DbStmt *s, const char *types, va_list ap) {
        int n = 0;
        for (const char *t = types; *t; t++) {
                DbArg a = { .type = *t };
                if (*t == 's')
                        a.s = va_arg(ap, const char *);
                else if (*t == 'i')
                        a.i = va_arg(ap, int64_t);
                else if (*t == 'b')
                        a.i = va_arg(ap, int);
                else if (*t == 'r')
                        a.real = va_arg(ap, double);
                int r = bind_one(s, ++n, &a);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Steps a statement to its end; returns the rows it changed. */
static int run_to_end(Db *db, DbStmt *s) {
        int r;
        while ((r = db_step(s)) > 0)
                ;
        return r < 0 ? r : sqlite3_changes(db->conn);
}

static int query_va(Db *db, DbStmt **ret, const char *sql, const char *types, va_list ap) {
        DbStmt *s;
        int r = stmt_get(db, sql, &s);
        if (r < 0)
                return r;
        r = bind_args(s, types, ap);
        if (r < 0) {
                db_stmt_release(s);
                return r;
        }
        *ret = s;
        return 0;
}

int db_query(Db *db, DbStmt **ret, const char *sql, const char *types, ...) {
        va_list ap;
        va_start(ap, types);
        int r = query_va(db, ret, sql, types, ap);
        va_end(ap);
        return r;
}

int db_run(Db *db, const char *sql, const char *types, ...) {
        _cleanup_stmt_ DbStmt *s = NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = query_va(db, &s, sql, types, ap);
        va_end(ap);
        return r < 0 ? r : run_to_end(db, s);
}

int db_query_int(Db *db, int64_t *ret, const char *sql, const char *types, ...) {
        _cleanup_stmt_ DbStmt *s = NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = query_va(db, &s, sql, types, ap);
        va_end(ap);
        if (r >= 0)
                r = db_step(s);
        if (r == 0)
                return -ENOENT;
        if (r < 0)
                return r;
        *ret = db_col_int(s, 0);
        return 0;
}

int db_query_args(Db *db, DbStmt **ret, const char *sql, const DbArg *args, size_t n) {
        DbStmt *s;
        int r = stmt_get(db, sql, &s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = bind_one(s, (int) i + 1, &args[i]);
                if (r < 0) {
                        db_stmt_release(s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

int db_run_args(Db *db, const char *sql, const DbArg *args, size_t n) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query_args(db, &s, sql, args, n);
        return r < 0 ? r : run_to_end(db, s);
}

void db_args_add(DbArgs *a, DbArg arg) {
        if (a->n == a->alloc) {
                a->alloc = a->alloc ? 2 * a->alloc : 16;
                a->v = xrealloc(a->v, a->alloc * sizeof(DbArg));
        }
        a->v[a->n++] = arg;
}

void db_args_done(DbArgs *a) {
        free(a->v);
        *a = (DbArgs) {};
}

json_t *db_row_json(DbStmt *s, const char *spec) {
        json_t *o = json_object();
        int col = 0;

        for (const char *p = spec; *p; col++) {
                char name[64];
                size_t n;
                while (*p == ' ')
                        p++;
                n = strcspn(p, " ");
                if (n == 0)
                        break;
                snprintf(name, sizeof(name), "%.*s", (int) n, p);
                p += n;
                char type = 's';
                const char *key = name;
                if (name[1] == ':') {
                        type = name[0];
                        key = name + 2;
                }
                if (db_col_null(s, col))
                        json_object_set_new(o, key, json_null());
                else if (type == 'b')
                        json_object_set_new(o, key, json_boolean(db_col_int(s, col) != 0));
                else if (type == 'i')
                        json_object_set_new(o, key, json_integer(db_col_int(s, col)));
                else
                        json_object_set_new(o, key, json_string(db_col_text(s, col)));
        }
        return o;
}

int db_step(DbStmt *s) {
        int rc = sqlite3_step(s->stmt);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return map_sqlite_error(s->db, rc);
}

const char *db_col_text(DbStmt *s, int i) {
        return (const char *) sqlite3_column_text(s->stmt, i);
}

int64_t db_col_int(DbStmt *s, int i) {
        return sqlite3_column_int64(s->stmt, i);
}

double db_col_real(DbStmt *s, int i) {
        return sqlite3_column_double(s->stmt, i);
}

bool db_col_null(DbStmt *s, int i) {
        return sqlite3_column_type(s->stmt, i) == SQLITE_NULL;
}

char *db_col_strdup(DbStmt *s, int i) {
        const char *t = db_col_text(s, i);
        return t ? xstrdup(t) : NULL;
}

void db_stmt_release(DbStmt *s) {
        sqlite3_reset(s->stmt);
        sqlite3_clear_bindings(s->stmt);
        if (!s->cached) {
                stmt_free(s);
                return;
        }
        s->in_use = false;
}

unsigned db_stmt_cache_size(const Db *db) {
        return db->n_cached;
}

const char *db_errmsg(Db *db) {
        return sqlite3_errmsg(db->conn);
}
