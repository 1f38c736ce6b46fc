/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bootstrap of a new cloud and reconciliation of the catalog with the
 * services this daemon serves.  Both are idempotent and transactional, so
 * they run at every `gureum init` and daemon start without harm.
 */
#include "identity/identity.h"
#include "identity/identity_cache.h"
#include "identity/identity_password.h"
#include "db/db.h"
#include "util/log.h"

#define REGION "RegionOne"

/* Returns the id of the row of table with name, creating it if missing. */
static int ensure_named(Ctx *c, const char *table, const char *name, const char *domain_id, char **ret_id) {
        _cleanup_free_ char *select = domain_id ? xasprintf("SELECT id FROM %s WHERE name = ? AND domain_id = ?", table)
                                                : xasprintf("SELECT id FROM %s WHERE name = ?", table);
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = domain_id ? db_query(c->db, &s, select, "ss", name, domain_id) : db_query(c->db, &s, select, "s", name);
        if (r >= 0)
                r = db_step(s);
        if (r < 0)
                return r;
        if (r > 0) {
                *ret_id = db_col_strdup(s, 0);
                return 0;
        }
        _cleanup_free_ char *id = uuid_hex_new();
        _cleanup_free_ char *insert =
                domain_id ? xasprintf("INSERT INTO %s (id, name, domain_id, created_at) VALUES (?, ?, ?, ?)", table)
                          : xasprintf("INSERT INTO %s (id, name, created_at) VALUES (?, ?, ?)", table);
        r = domain_id ? db_run(c->db, insert, "sssi", id, name, domain_id, now_usec())
                      : db_run(c->db, insert, "ssi", id, name, now_usec());
        if (r < 0)
                return r;
        log_info("identity", "bootstrap: created %s '%s'", table, name);
        *ret_id = TAKE_PTR(id);
        return 0;
}

static int bootstrap_locked(Ctx *c, void *userdata) {
        const char *hash = userdata;
        _cleanup_free_ char *admin = NULL, *member = NULL, *reader = NULL, *project = NULL, *user = NULL;
        int r;

        r = db_run(c->db,
                   "INSERT INTO domains (id, name, description, enabled, created_at) VALUES (?, 'Default', ?, 1, ?)"
                   " ON CONFLICT DO NOTHING",
                   "ssi", IDENTITY_DEFAULT_DOMAIN, "The default domain", now_usec());
        if (r < 0)
                return r;
        if ((r = ensure_named(c, "roles", "admin", NULL, &admin)) < 0 ||
            (r = ensure_named(c, "roles", "member", NULL, &member)) < 0 ||
            (r = ensure_named(c, "roles", "reader", NULL, &reader)) < 0)
                return r;
        r = db_run(c->db, "INSERT INTO role_implications (prior_role_id, implied_role_id) VALUES (?, ?), (?, ?)"
                          " ON CONFLICT DO NOTHING",
                   "ssss", admin, member, member, reader);
        if (r < 0)
                return r;
        r = ensure_named(c, "projects", "admin", IDENTITY_DEFAULT_DOMAIN, &project);
        if (r < 0)
                return r;
        r = db_run(c->db, "UPDATE projects SET parent_id = domain_id WHERE id = ? AND parent_id IS NULL", "s", project);
        if (r < 0)
                return r;
        r = ensure_named(c, "users", "admin", IDENTITY_DEFAULT_DOMAIN, &user);
        if (r < 0)
                return r;
        if (hash) {
                r = db_run(c->db, "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?", "sis",
                           hash, now_usec(), user);
                if (r < 0)
                        return r;
        }
        r = identity_grant(c, &(IdentityGrant) { "user", user, "project", project, admin });
        if (r < 0)
                return r;
        r = identity_grant(c, &(IdentityGrant) { "user", user, "domain", IDENTITY_DEFAULT_DOMAIN, admin });
        if (r < 0)
                return r;
        return db_run(c->db, "INSERT INTO regions (id, description) VALUES (?, '') ON CONFLICT DO NOTHING", "s", REGION);
}

int identity_bootstrap(Ctx *c, const char *admin_password) {
        _cleanup_free_ char *hash = NULL;
        int r;

        /* Hash first: inside the transaction the hash would hold the write lock. */
        if (admin_password) {
                r = password_hash(admin_password, &hash);
                if (r < 0)
                        return r;
        }
        r = db_transaction(c, bootstrap_locked, hash);
        identity_changed();
        return r;
}

static int ensure_service(Ctx *c, const CatalogEntry *e, const char *base_url) {
        static const char *const interfaces[] = { "public", "internal", "admin" };
        _cleanup_free_ char *service = NULL, *url = xasprintf("%s%s", base_url, e->path);
        _cleanup_stmt_ DbStmt *s = NULL;
        int r;

        r = db_query(c->db, &s, "SELECT id FROM services WHERE type = ? AND name = ?", "ss", e->type, e->name);
        if (r >= 0)
                r = db_step(s);
        if (r < 0)
                return r;
        if (r > 0)
                service = db_col_strdup(s, 0);
        else {
                service = uuid_hex_new();
                r = db_run(c->db, "INSERT INTO services (id, type, name, description, enabled) VALUES (?, ?, ?, ?, 1)",
                           "ssss", service, e->type, e->name, "gureum");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
                r = db_run(c->db, "UPDATE endpoints SET url = ? WHERE service_id = ? AND interface = ? AND region_id = ?",
                           "ssss", url, service, interfaces[i], REGION);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                _cleanup_free_ char *id = uuid_hex_new();
                r = db_run(c->db,
                           "INSERT INTO endpoints (id, service_id, interface, region_id, url, enabled) VALUES (?, ?, ?, ?, ?, 1)",
                           "sssss", id, service, interfaces[i], REGION, url);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct CatalogArgs {
        const CatalogEntry *entries;
        const char *base_url;
} CatalogArgs;

static int catalog_locked(Ctx *c, void *userdata) {
        const CatalogArgs *a = userdata;
        int r = db_run(c->db, "INSERT INTO regions (id, description) VALUES (?, '') ON CONFLICT DO NOTHING", "s", REGION);
        for (const CatalogEntry *e = a->entries; r >= 0 && e->type; e++)
                r = ensure_service(c, e, a->base_url);
        return r;
}

int identity_catalog_ensure(Ctx *c, const CatalogEntry *entries, const char *base_url) {
        CatalogArgs a = { entries, base_url };
        int r = db_transaction(c, catalog_locked, &a);
        identity_changed();
        return r;
}
