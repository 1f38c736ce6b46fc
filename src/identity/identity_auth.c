/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authentication and tokens: the password and token methods, scoping,
 * validation (expiry, revocation, and that everything the token names
 * still exists and allows it), revocation events, effective roles and the
 * catalog that goes into a token.
 */
#include "identity/identity.h"
#include "identity/identity_cache.h"
#include "identity/identity_password.h"
#include "identity/identity_resources.h"
#include "db/db.h"
#include "util/log.h"

/* [identity] token_expiration, set by identity_setup. */
static int64_t token_ttl_usec;

int identity_setup(const Config *cfg) {
        int r;

        token_ttl_usec = cfg->token_expiration * 1000000LL;
        identity_revoke_setup(token_ttl_usec);
        r = password_set_cost(cfg->password_hash_opslimit, cfg->password_hash_memlimit);
        if (r < 0)
                return r;
        token_keys_on_change(identity_changed);
        return token_keys_load(cfg->state_dir);
}

static int unauthorized(Ctx *c) {
        return ctx_error(c, -EPERM, RES_TOKEN, "The request you have made requires authentication.");
}

int identity_catalog(Ctx *c, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *catalog, *svc = NULL;
        uint64_t gen = identity_generation();
        int r;

        if ((catalog = identity_cache_catalog_get())) {
                *ret = catalog;
                return 0;
        }
        catalog = json_array();

        r = db_query(c->db, &s,
                     "SELECT s.id, s.type, s.name, e.id, e.interface, e.region_id, e.url FROM services s"
                     " LEFT JOIN endpoints e ON e.service_id = s.id AND e.enabled = 1"
                     " WHERE s.enabled = 1 ORDER BY s.type, s.id, e.interface",
                     "");
        while (r >= 0 && (r = db_step(s)) > 0) {
                const char *sid = db_col_text(s, 0);
                if (!svc || !streq(jx_string(svc, "id"), sid)) {
                        svc = json_pack("{s:s, s:s, s:s, s:[]}", "id", sid, "type", db_col_text(s, 1), "name",
                                        db_col_text(s, 2), "endpoints");
                        json_array_append_new(catalog, svc);
                }
                if (db_col_null(s, 3))
                        continue;
                json_t *ep = json_pack("{s:s, s:s, s:s}", "id", db_col_text(s, 3), "interface", db_col_text(s, 4),
                                       "url", db_col_text(s, 6));
                jx_set_string_or_null(ep, "region_id", db_col_text(s, 5));
                jx_set_string_or_null(ep, "region", db_col_text(s, 5));
                json_array_append_new(json_object_get(svc, "endpoints"), ep);
        }
        if (r < 0) {
                json_decref(catalog);
                return ctx_error(c, r, RES_SERVICE, "Database error while reading the catalog.");
        }
        identity_cache_catalog_put(catalog, gen);
        *ret = catalog;
        return 0;
}

static bool enabled(const json_t *rec) {
        return json_is_true(json_object_get(rec, "enabled"));
}

/*
 * Loads what payload names into t (taking the payload) and checks that it
 * still holds: user and domains enabled, scope exists, roles in scope.
 * Returns -EPERM with a reason when it does not.
 */
static int info_load(Ctx *c, TokenPayload *payload, TokenInfo *ret) {
        TokenInfo t = { .payload = *payload };
        int r;

        *payload = (TokenPayload) {};
        r = res_lookup(c, &res_user, t.payload.user_id, &t.user);
        if (r == -ENOENT || (r >= 0 && !enabled(t.user)))
                r = ctx_error(c, -EPERM, RES_TOKEN, "The user of this token is unknown or disabled.");
        if (r >= 0) {
                r = res_lookup(c, &res_domain, jx_string(t.user, "domain_id"), &t.user_domain);
                if (r == -ENOENT || (r >= 0 && !enabled(t.user_domain)))
                        r = ctx_error(c, -EPERM, RES_TOKEN, "The domain of this user is unknown or disabled.");
        }
        if (r >= 0 && t.payload.project_id) {
                r = res_lookup(c, &res_project, t.payload.project_id, &t.project);
                if (r == -ENOENT || (r >= 0 && !enabled(t.project)))
                        r = ctx_error(c, -EPERM, RES_TOKEN, "Project %s is unknown or disabled.",
                                      t.payload.project_id);
                if (r >= 0) {
                        r = res_lookup(c, &res_domain, jx_string(t.project, "domain_id"), &t.domain);
                        if (r == -ENOENT || (r >= 0 && !enabled(t.domain)))
                                r = ctx_error(c, -EPERM, RES_TOKEN, "The domain of project %s is disabled.",
                                              t.payload.project_id);
                }
                if (r >= 0)
                        r = identity_roles_effective(c, t.payload.user_id, "project", t.payload.project_id, &t.roles);
        } else if (r >= 0 && t.payload.domain_id) {
                r = res_lookup(c, &res_domain, t.payload.domain_id, &t.domain);
                if (r == -ENOENT || (r >= 0 && !enabled(t.domain)))
                        r = ctx_error(c, -EPERM, RES_TOKEN, "Domain %s is unknown or disabled.", t.payload.domain_id);
                if (r >= 0)
                        r = identity_roles_effective(c, t.payload.user_id, "domain", t.payload.domain_id, &t.roles);
        }
        if (r >= 0 && t.roles && json_array_size(t.roles) == 0)
                r = ctx_error(c, -EPERM, RES_TOKEN, "User %s has no access to %s %s.", t.payload.user_id,
                              t.payload.project_id ? "project" : "domain",
                              t.payload.project_id ? t.payload.project_id : t.payload.domain_id);
        if (r < 0) {
                token_info_done(&t);
                return r == -ENOENT ? unauthorized(c) : r;
        }
        *ret = t;
        return 0;
}

int identity_token_validate(Ctx *c, const char *token, TokenInfo *ret) {
        uint64_t gen = identity_generation();
        TokenPayload p;
        int r;

        if (identity_cache_get(token, ret))
                return 0;

        if (token_decode(token, &p) < 0)
                return unauthorized(c);
        if (p.expires_at <= now_usec()) {
                token_payload_done(&p);
                return ctx_error(c, -EPERM, RES_TOKEN, "The token has expired.");
        }
        r = identity_token_revoked(c, &p);
        if (r != 0) {
                token_payload_done(&p);
                return r < 0 ? r : ctx_error(c, -EPERM, RES_TOKEN, "The token has been revoked.");
        }
        r = info_load(c, &p, ret);
        token_payload_done(&p);
        if (r >= 0)
                identity_cache_put(token, ret, gen);
        return r;
}

void identity_auth_fill(Auth *a, const char *token, const TokenInfo *t) {
        size_t i, n = json_array_size(t->roles);
        json_t *role;

        auth_done(a);
        a->authenticated = true;
        a->token = xstrdup(token);
        a->user_id = xstrdup(t->payload.user_id);
        a->user_name = xstrdup(jx_string(t->user, "name"));
        a->user_domain_id = xstrdup(jx_string(t->user, "domain_id"));
        if (t->payload.project_id) {
                a->project_id = xstrdup(t->payload.project_id);
                a->project_domain_id = xstrdup(jx_string(t->project, "domain_id"));
        } else if (t->payload.domain_id)
                a->domain_id = xstrdup(t->payload.domain_id);
        a->roles = xcalloc(n + 1, sizeof(char *));
        json_array_foreach(t->roles, i, role) {
                const char *name = jx_string(role, "name");
                a->roles[i] = xstrdup(name);
                if (streq(name, "admin"))
                        a->is_admin = true;
                if (streq(name, "admin") || streq(name, "member"))
                        a->is_member = true;
                a->is_reader = true;
        }
}

int identity_authenticate_token(Ctx *c, const char *token) {
        TokenInfo t = {};
        int r = identity_token_validate(c, token, &t);
        if (r < 0)
                return r;
        identity_auth_fill(&c->auth, token, &t);
        token_info_done(&t);
        return 0;
}

static json_t *domain_ref(const json_t *dom) {
        return json_pack("{s:s, s:s}", "id", jx_string(dom, "id"), "name", jx_string(dom, "name"));
}

json_t *identity_token_render(Ctx *c, const TokenInfo *t, bool with_catalog) {
        const TokenPayload *p = &t->payload;
        char issued[32], expires[32];
        json_t *methods = json_array(), *audit = json_array();

        if (p->methods & TOKEN_METHOD_PASSWORD)
                json_array_append_new(methods, json_string("password"));
        if (p->methods & TOKEN_METHOD_TOKEN)
                json_array_append_new(methods, json_string("token"));
        json_array_append_new(audit, json_string(p->audit_id));
        if (p->parent_audit_id[0])
                json_array_append_new(audit, json_string(p->parent_audit_id));

        json_t *body = json_pack("{s:o, s:{s:s, s:s, s:o, s:n}, s:o, s:s, s:s}",
                                 "methods", methods,
                                 "user", "id", p->user_id, "name", jx_string(t->user, "name"),
                                 "domain", domain_ref(t->user_domain), "password_expires_at",
                                 "audit_ids", audit,
                                 "issued_at", format_iso8601_usec(p->issued_at, issued),
                                 "expires_at", format_iso8601_usec(p->expires_at, expires));
        if (t->project) {
                json_object_set_new(body, "project",
                                    json_pack("{s:s, s:s, s:o}", "id", jx_string(t->project, "id"), "name",
                                              jx_string(t->project, "name"), "domain", domain_ref(t->domain)));
                json_object_set_new(body, "is_domain", json_false());
        } else if (t->domain)
                json_object_set_new(body, "domain", domain_ref(t->domain));
        if (t->roles) {
                json_object_set(body, "roles", t->roles);
                json_t *catalog = NULL;
                if (with_catalog && identity_catalog(c, &catalog) >= 0)
                        json_object_set_new(body, "catalog", catalog);
        }
        return body;
}

/* ---- authentication ---- */

static int find_domain_ref(Ctx *c, const json_t *ref, json_t **ret) {
        const char *id = jx_string(ref, "id"), *name = jx_string(ref, "name");
        int r = id ? res_lookup(c, &res_domain, id, ret)
                : name ? identity_find_by_name(c, &res_domain, name, NULL, ret)
                       : -ENOENT;
        return r == -ENOENT ? unauthorized(c) : r;
}

/* Finds a {"id"} or {"name", "domain": {...}} reference to a user or project. */
static int find_ref(Ctx *c, const ResDef *d, const json_t *ref, json_t **ret) {
        const char *id = jx_string(ref, "id"), *name = jx_string(ref, "name");
        _cleanup_json_ json_t *dom = NULL;
        int r;

        if (id)
                r = res_lookup(c, d, id, ret);
        else if (name) {
                r = find_domain_ref(c, json_object_get(ref, "domain"), &dom);
                if (r < 0)
                        return r;
                r = identity_find_by_name(c, d, name, jx_string(dom, "id"), ret);
        } else
                return ctx_error(c, -EINVAL, d->kind, "Invalid input: a %s needs an 'id' or a 'name' and 'domain'.",
                                 d->singular);
        return r == -ENOENT ? unauthorized(c) : r;
}

static bool has_method(const json_t *methods, const char *m) {
        size_t i;
        json_t *v;
        json_array_foreach(methods, i, v)
                if (json_is_string(v) && streq(json_string_value(v), m))
                        return true;
        return false;
}

bool identity_user_usable(Ctx *c, const json_t *user) {
        _cleanup_json_ json_t *dom = NULL;
        return enabled(user) && res_lookup(c, &res_domain, jx_string(user, "domain_id"), &dom) >= 0 && enabled(dom);
}

static int auth_password(Ctx *c, const json_t *pw, TokenPayload *p) {
        _cleanup_json_ json_t *user = NULL;
        const json_t *uref = json_object_get(pw, "user");
        int r;

        r = find_ref(c, &res_user, uref, &user);
        if (r == -EPERM)
                /* No such user or domain: as slow a refusal as a wrong password's (user is NULL). */
                (void) password_verify(NULL, jx_string(uref, "password"));
        if (r < 0)
                return r;
        if (password_verify(jx_string(user, "password_hash"), jx_string(uref, "password")) < 0) {
                log_full(LOG_LEVEL_WARNING, "identity", c->request_id, "wrong password for user %s",
                         jx_string(user, "id"));
                return unauthorized(c);
        }
        if (!identity_user_usable(c, user))
                return unauthorized(c);
        p->user_id = xstrdup(jx_string(user, "id"));
        p->methods |= TOKEN_METHOD_PASSWORD;
        p->issued_at = now_usec();
        p->expires_at = p->issued_at + token_ttl_usec;
        return 0;
}

static int auth_token(Ctx *c, const json_t *tok, TokenPayload *p) {
        TokenInfo old = {};
        int r = identity_token_validate(c, jx_string(tok, "id"), &old);
        if (r < 0)
                return r;
        /* A rescoped token lives no longer than the one it came from. */
        p->user_id = xstrdup(old.payload.user_id);
        p->methods = old.payload.methods | TOKEN_METHOD_TOKEN;
        p->issued_at = now_usec();
        p->expires_at = old.payload.expires_at;
        memcpy(p->parent_audit_id, old.payload.parent_audit_id[0] ? old.payload.parent_audit_id : old.payload.audit_id,
               sizeof(p->parent_audit_id));
        token_info_done(&old);
        return 0;
}

static int auth_scope(Ctx *c, const json_t *scope, TokenPayload *p) {
        _cleanup_json_ json_t *rec = NULL;
        const json_t *v;
        int r;

        if ((v = json_object_get(scope, "project"))) {
                r = find_ref(c, &res_project, v, &rec);
                if (r < 0)
                        return r;
                p->project_id = xstrdup(jx_string(rec, "id"));
        } else if ((v = json_object_get(scope, "domain"))) {
                r = find_domain_ref(c, v, &rec);
                if (r < 0)
                        return r;
                p->domain_id = xstrdup(jx_string(rec, "id"));
        } else if (json_object_get(scope, "system"))
                return ctx_error(c, -EPERM, RES_TOKEN, "System-scoped tokens are not supported; scope to a project.");
        else if (json_object_get(scope, "OS-TRUST:trust"))
                return ctx_error(c, -EPERM, RES_TOKEN, "Trusts are not supported.");
        return 0;
}

/* No scope asked: use the user's default project if it still has a role there. */
static void default_scope(Ctx *c, TokenPayload *p) {
        _cleanup_json_ json_t *user = NULL, *roles = NULL;
        if (res_lookup(c, &res_user, p->user_id, &user) < 0)
                return;
        const char *project = jx_string(user, "default_project_id");
        if (!project || identity_roles_effective(c, p->user_id, "project", project, &roles) < 0)
                return;
        if (json_array_size(roles) > 0)
                p->project_id = xstrdup(project);
}

int identity_authenticate(Ctx *c, const json_t *body, char **ret_token, TokenInfo *ret_info) {
        const json_t *auth = json_object_get(body, "auth");
        const json_t *ident = json_object_get(auth, "identity");
        const json_t *methods = json_object_get(ident, "methods");
        const json_t *scope = json_object_get(auth, "scope");
        TokenPayload p = {};
        char *token = NULL;
        int r;

        if (has_method(methods, "password") && json_object_get(ident, "password"))
                r = auth_password(c, json_object_get(ident, "password"), &p);
        else if (has_method(methods, "token") && json_object_get(ident, "token"))
                r = auth_token(c, json_object_get(ident, "token"), &p);
        else
                r = ctx_error(c, -EPERM, RES_TOKEN, "Attempted to authenticate with an unsupported method.");
        if (r >= 0) {
                token_audit_id_new(p.audit_id);
                if (json_is_object(scope))
                        r = auth_scope(c, scope, &p);
                else if (!json_is_string(scope) || !streq(json_string_value(scope), "unscoped"))
                        default_scope(c, &p);
        }
        if (r >= 0)
                r = token_encode(&p, &token);
        if (r >= 0)
                r = info_load(c, &p, ret_info);
        token_payload_done(&p);
        if (r < 0) {
                free(token);
                return r == -EPERM || c->error ? r : ctx_error(c, r, RES_TOKEN, "Could not issue a token.");
        }
        *ret_token = token;
        return 0;
}
