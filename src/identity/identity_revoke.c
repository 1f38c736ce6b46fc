/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token revocation: events that make tokens invalid before they expire
 * (one token and those rescoped from it; every token of a user, on a
 * password change or when disabled; every token scoped to a deleted
 * project), kept until every token they could match has expired.
 */
#include "identity/identity.h"
#include "identity/identity_cache.h"
#include "db/db.h"

/* The longest a token lives ([identity] token_expiration), set by identity_setup. */
static int64_t token_ttl_usec;

void identity_revoke_setup(int64_t ttl_usec) {
        token_ttl_usec = ttl_usec;
}

int identity_token_revoked(Ctx *c, const TokenPayload *p) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s,
                         "SELECT 1 FROM revocation_events WHERE audit_id = ? OR audit_id = ?"
                         " OR (user_id = ? AND issued_before >= ?) OR (project_id = ? AND issued_before >= ?) LIMIT 1",
                         "sssisi", p->audit_id, p->parent_audit_id[0] ? p->parent_audit_id : NULL, p->user_id,
                         p->issued_at, p->project_id, p->issued_at);
        if (r < 0)
                return ctx_error(c, r, RES_TOKEN, "Database error while checking token revocation.");
        r = db_step(s);
        if (r < 0)
                return ctx_error(c, r, RES_TOKEN, "Database error while checking token revocation.");
        return r; /* 1 revoked, 0 not */
}

/* One revocation event; NULL fields match nothing. */
typedef struct Revocation {
        const char *audit_id, *user_id, *project_id;
        int64_t expires;
} Revocation;

/* Drops the events that can no longer match a live token, and records ev. */
static int revoke_locked(Ctx *c, void *userdata) {
        const Revocation *ev = userdata;
        _cleanup_free_ char *id = uuid_hex_new();
        int64_t now = now_usec();
        int r = db_run(c->db, "DELETE FROM revocation_events WHERE expires_at < ?", "i", now);
        if (r < 0)
                return r;
        return db_run(c->db,
                      "INSERT INTO revocation_events (id, audit_id, user_id, project_id, issued_before, expires_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      "ssssii", id, ev->audit_id, ev->user_id, ev->project_id, now, ev->expires);
}

static int revoke_matching(Ctx *c, const char *audit_id, const char *user_id, const char *project_id, int64_t expires) {
        Revocation ev = { audit_id, user_id, project_id, expires };
        int r = db_transaction(c, revoke_locked, &ev);
        identity_changed();
        return r < 0 ? ctx_error(c, r, RES_TOKEN, "Database error while revoking tokens.") : 0;
}

int identity_revoke_token(Ctx *c, const TokenPayload *p) {
        return revoke_matching(c, p->audit_id, NULL, NULL, p->expires_at);
}

/* An event must outlive every token it could match: the longest lifetime from now. */
static int64_t horizon(void) {
        return now_usec() + token_ttl_usec;
}

int identity_revoke_user(Ctx *c, const char *user_id) {
        return revoke_matching(c, NULL, user_id, NULL, horizon());
}

int identity_revoke_project(Ctx *c, const char *project_id) {
        return revoke_matching(c, NULL, NULL, project_id, horizon());
}
