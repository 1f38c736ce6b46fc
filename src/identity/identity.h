/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity service (Keystone v3 subset) as other modules see it:
 * setup, bootstrap, authentication, token validation and revocation,
 * effective roles and the catalog.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
#include "identity/identity_token.h"
#include "util/jx.h"

#define IDENTITY_DEFAULT_DOMAIN "default"

/* Loads token keys and the password cost from cfg. */
int identity_setup(const Config *cfg);

/* A validated token: its payload and the records it names.  Owned. */
typedef struct TokenInfo {
        TokenPayload payload;
        json_t *user;          /* users row */
        json_t *user_domain;   /* domains row */
        json_t *project;       /* projects row, if project-scoped */
        json_t *domain;        /* domains row: the scope domain, or the project's */
        json_t *roles;         /* [{"id", "name"}], effective in scope */
} TokenInfo;

void token_info_done(TokenInfo *t);

/*
 * Authenticates a POST /v3/auth/tokens body ({"auth": ...}, validated).
 * On success returns the new token and its info.  Failures are -EPERM
 * (401) with Keystone's messages, or -EINVAL for unusable requests.
 */
int identity_authenticate(Ctx *c, const json_t *auth, char **ret_token, TokenInfo *ret_info);
/*
 * Validates token: decrypts it, checks expiry and revocation, and that the
 * user, its domain and the scope still exist, are enabled and (for a
 * scope) that the user still has a role there.  -EPERM if not.
 */
int identity_token_validate(Ctx *c, const char *token, TokenInfo *ret);
/* True if user (a users row) is enabled and so is its domain: it may authenticate. */
bool identity_user_usable(Ctx *c, const json_t *user);
/* Fills c->auth from a validated token. */
void identity_auth_fill(Auth *a, const char *token, const TokenInfo *t);
/*
 * Validates token and fills c->auth: the pipeline's authenticator
 * (ApiAuthenticator), which the daemon hands to the API layer.
 */
int identity_authenticate_token(Ctx *c, const char *token);
/* Keystone's token body ({"methods", "user", ...} without the "token" wrapper). */
json_t *identity_token_render(Ctx *c, const TokenInfo *t, bool with_catalog);
/* The revocation events' horizon: the longest a token lives (identity_setup sets it). */
void identity_revoke_setup(int64_t token_ttl_usec);
/* 1 if a revocation event matches the token of p, 0 if none does, or -errno. */
int identity_token_revoked(Ctx *c, const TokenPayload *p);
/* Revokes one token (and tokens rescoped from it). */
int identity_revoke_token(Ctx *c, const TokenPayload *p);
/* Revokes every token of a user, or scoped to a project, issued until now. */
int identity_revoke_user(Ctx *c, const char *user_id);
int identity_revoke_project(Ctx *c, const char *project_id);

/*
 * The user's effective roles on a target ("project" or "domain"): direct
 * and through groups, with implied roles.  Returns [{"id", "name"}].
 */
int identity_roles_effective(Ctx *c, const char *user_id, const char *target_type, const char *target_id,
                             json_t **ret);
/* The catalog in token format: [{"id", "type", "name", "endpoints": [...]}]. */
int identity_catalog(Ctx *c, json_t **ret);

/* ---- memberships and role grants (identity_assignment.c) ---- */

struct ResDef;

/* The enabled projects (d = &res_project) or domains the user has a role on, directly or through groups. */
int identity_user_targets(Ctx *c, const char *user_id, const struct ResDef *d, json_t **ret);
/* The groups a user is in, and the users of a group, as records. */
int identity_user_groups(Ctx *c, const char *user_id, json_t **ret);
int identity_group_users(Ctx *c, const char *group_id, json_t **ret);

typedef enum IdentityMemberOp {
        IDENTITY_MEMBER_ADD,     /* idempotent */
        IDENTITY_MEMBER_CHECK,   /* -ENOENT with Keystone's message if not a member */
        IDENTITY_MEMBER_REMOVE,  /* -ENOENT likewise */
} IdentityMemberOp;

/* Adds, checks or removes user_id in group_id (both must exist: the caller checked). */
int identity_group_member(Ctx *c, const char *group_id, const char *user_id, IdentityMemberOp op);

/* A role grant: role_id to an actor ("user" or "group") on a target ("project" or "domain"). */
typedef struct IdentityGrant {
        const char *actor_type, *actor_id;
        const char *target_type, *target_id;
        const char *role_id;     /* ignored by identity_grant_roles */
} IdentityGrant;

/* Grants (idempotent), checks (-ENOENT with Keystone's message) or revokes a role. */
int identity_grant(Ctx *c, const IdentityGrant *g);
int identity_grant_check(Ctx *c, const IdentityGrant *g);
int identity_grant_revoke(Ctx *c, const IdentityGrant *g);
/* The roles granted directly to the actor on the target, as role records. */
int identity_grant_roles(Ctx *c, const IdentityGrant *g, json_t **ret);

/* GET /v3/role_assignments: each filter NULL for any. */
typedef struct IdentityAssignmentQuery {
        const char *user_id, *group_id, *role_id, *project_id, *domain_id;
        bool effective;          /* expand groups into their members and add implied roles */
} IdentityAssignmentQuery;

/*
 * The assignments matching q: [{"actor_type", "actor_id", "target_type",
 * "target_id", "role_id", "via_group"}], via_group set when effective
 * expanded a group's grant.
 */
int identity_role_assignments(Ctx *c, const IdentityAssignmentQuery *q, json_t **ret);

/* A service this daemon serves, to be published in the catalog. */
typedef struct CatalogEntry {
        const char *type;        /* service-types-authority type: "identity" */
        const char *name;        /* the OpenStack project's name: "keystone" */
        const char *path;        /* URL path under the base URL: "/identity" */
} CatalogEntry;

/*
 * Creates what a new cloud needs (idempotent): the Default domain, the
 * admin, member and reader roles (admin implies member implies reader), the
 * admin project and user with the admin role, and RegionOne.
 */
int identity_bootstrap(Ctx *c, const char *admin_password);
/*
 * Makes the catalog publish each entry (ends with { NULL }) at base_url in
 * RegionOne with public, internal and admin endpoints, fixing URLs that
 * changed.  Services added by hand are left alone.
 */
int identity_catalog_ensure(Ctx *c, const CatalogEntry *entries, const char *base_url);
