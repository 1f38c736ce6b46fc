/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database interface every service uses.  SQL written against it must
 * run on SQLite and PostgreSQL alike: '?' placeholders (a backend may
 * rewrite them), no INSERT OR REPLACE / OR IGNORE (use ON CONFLICT), integers
 * for booleans and timestamps (microseconds since the epoch).
 *
 * A Db is one connection and belongs to one thread; db_thread() hands each
 * thread its own.  Statements are cached per connection, keyed by the SQL
 * text, so handlers may prepare the same literal on every request cheaply.
 */
#pragma once

#include "core/ctx.h"
#include "util/jx.h"
#include "util/util.h"

typedef struct Db Db;
typedef struct DbStmt DbStmt;

/* Opens a connection.  connection is "sqlite:PATH"; PATH is relative to state_dir. */
int db_open(const char *connection, const char *state_dir, Db **ret);
Db *db_close(Db *db);

/* Remembers how to connect, for db_thread(). */
void db_thread_setup(const char *connection, const char *state_dir);
/* This thread's connection, opened on first use; NULL if it cannot be opened. */
Db *db_thread(void);
/* Closes this thread's connection now (it is closed at thread exit anyway). */
void db_thread_close(void);

/*
 * Transactions nest by counting: only the outermost begin/commit reach the
 * database.  A rollback at any depth makes the outermost commit fail with
 * -EIO after rolling back.  db_begin takes the write lock at once, so a
 * transaction never fails half-way because another writer got there first.
 */
int db_begin(Db *db);
int db_commit(Db *db);
void db_rollback(Db *db);

/*
 * Runs fn(c, userdata) in a transaction on c->db: commits if it returns
 * >= 0, rolls back otherwise.  Returns fn's result, or the error of
 * starting or committing (which records no message: the caller knows what
 * it was doing).
 */
int db_transaction(Ctx *c, int (*fn)(Ctx *c, void *userdata), void *userdata);
/*
 * Runs fn(c, userdata) on one consistent snapshot of the database without
 * taking the write lock (a deferred transaction under WAL): for readers of
 * many tables that must not see half of a change.  fn must not write.
 */
int db_read_snapshot(Ctx *c, int (*fn)(Ctx *c, void *userdata), void *userdata);

/* Runs SQL without parameters (may hold several statements: migrations). */
int db_exec_script(Db *db, const char *sql);

/*
 * Prepares sql (from the cache) and binds parameters described by types,
 * one character per '?': 's' const char * (NULL binds SQL NULL), 'i'
 * int64_t, 'b' bool.  Returns a statement to step; release it with
 * db_stmt_release (or _cleanup_stmt_).
 */
int db_query(Db *db, DbStmt **ret, const char *sql, const char *types, ...);
/*
 * Like db_query for a statement that returns no rows: runs it to the end.
 * Returns the number of rows changed, -EEXIST on a uniqueness or key
 * violation, -EIO on any other failure.
 */
int db_run(Db *db, const char *sql, const char *types, ...);
/*
 * Like db_query for a query whose answer is one integer (a COUNT, SUM or
 * MAX): stores the first column of the first row in *ret.  Returns 0,
 * -ENOENT if there is no row, or db_query's and db_step's errors.
 */
int db_query_int(Db *db, int64_t *ret, const char *sql, const char *types, ...);

/* A parameter for queries built at run time: type 's' (s, borrowed), 'i' (i), 'b' (i != 0), 'r' (real). */
typedef struct DbArg {
        char type;
        const char *s;
        int64_t i;
        double real;
} DbArg;

/* The parameters of SQL assembled at run time, as many as it needs.  Strings are borrowed. */
typedef struct DbArgs {
        DbArg *v;
        size_t n, alloc;
} DbArgs;

void db_args_add(DbArgs *a, DbArg arg);
static inline void db_args_str(DbArgs *a, const char *s) {
        db_args_add(a, (DbArg) { .type = 's', .s = s });
}
static inline void db_args_int(DbArgs *a, int64_t i) {
        db_args_add(a, (DbArg) { .type = 'i', .i = i });
}
static inline void db_args_bool(DbArgs *a, bool b) {
        db_args_add(a, (DbArg) { .type = 'b', .i = b });
}
void db_args_done(DbArgs *a);

/* Like db_query with parameters in an array (for SQL assembled from filters). */
int db_query_args(Db *db, DbStmt **ret, const char *sql, const DbArg *args, size_t n);
/* Like db_run with parameters in an array: rows changed, -EEXIST, -EIO. */
int db_run_args(Db *db, const char *sql, const DbArg *args, size_t n);

/*
 * Builds a JSON object from the current row.  spec names the columns in
 * order, separated by spaces: "name" is text, "b:name" a boolean, "i:name"
 * an integer; SQL NULL becomes JSON null.  Returns a new reference.
 */
json_t *db_row_json(DbStmt *s, const char *spec);

/* 1 for a row, 0 when done, <0 on error (-EEXIST for constraint violations). */
int db_step(DbStmt *s);
const char *db_col_text(DbStmt *s, int i);   /* NULL for SQL NULL; valid until next step */
int64_t db_col_int(DbStmt *s, int i);
double db_col_real(DbStmt *s, int i);
bool db_col_null(DbStmt *s, int i);
/* Returns a copy of the column, or NULL. */
char *db_col_strdup(DbStmt *s, int i);
/* Resets the statement and gives it back to the cache. */
void db_stmt_release(DbStmt *s);
static inline void db_stmt_releasep(DbStmt **s) {
        if (*s)
                db_stmt_release(*s);
}
#define _cleanup_stmt_ _cleanup_(db_stmt_releasep)
/* How many prepared statements db keeps for reuse (bounded; for tests). */
unsigned db_stmt_cache_size(const Db *db);

/* The last error message from the backend (for debug logs). */
const char *db_errmsg(Db *db);

/* Schema migrations (db_migrate.c). */
/* Applies every embedded migration not yet applied, each in a transaction. */
int db_migrate(Db *db);
/* The highest applied migration version, 0 for an empty database. */
int db_schema_version(Db *db, int64_t *ret);
/* The highest version this binary knows. */
int64_t db_schema_latest(void);
