/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Schema migrations: src/db/migrations/NNNN_name.sql, embedded at build
 * time and applied in order at daemon start and by `gureum db upgrade`.
 * Each migration and its bookkeeping row commit together, so a crash
 * leaves the schema at a whole version.  Migrations are never edited once
 * released: a change is a new file.
 */
#include "db/db.h"
#include "util/embed.h"
#include "util/log.h"

extern const EmbeddedFile db_migrations[];

static int64_t migration_version(const EmbeddedFile *f) {
        int64_t v = 0;
        for (const char *p = f->name; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (*p - '0');
        return v;
}

int64_t db_schema_latest(void) {
        int64_t latest = 0;
        for (const EmbeddedFile *f = db_migrations; f->name; f++)
                if (migration_version(f) > latest)
                        latest = migration_version(f);
        return latest;
}

int db_schema_version(Db *db, int64_t *ret) {
        int r;

        r = db_exec_script(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                               " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        if (r < 0)
                return r;
        return db_query_int(db, ret, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "");
}

int db_migrate(Db *db) {
        int64_t current;
        int r;

        r = db_schema_version(db, &current);
        if (r < 0)
                return r;
        if (current > db_schema_latest()) {
                log_debug("db", "database schema version %lld is newer than this gureum (%lld)",
                          (long long) current, (long long) db_schema_latest());
                return -EPROTO;
        }
        /* db_migrations is sorted by name, so by version. */
        for (const EmbeddedFile *f = db_migrations; f->name; f++) {
                int64_t v = migration_version(f);
                if (v <= current)
                        continue;
                r = db_begin(db);
                if (r < 0)
                        return r;
                r = db_exec_script(db, f->data);
                if (r >= 0)
                        r = db_run(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                   "isi", v, f->name, now_usec());
                if (r < 0) {
                        log_debug("db", "migration %s failed: %s", f->name, db_errmsg(db));
                        db_rollback(db);
                        return r;
                }
                r = db_commit(db);
                if (r < 0)
                        return r;
                log_debug("db", "applied migration %s", f->name);
        }
        return 0;
}
