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
/* Keystone's token body ({"methods", "user", ...} without the "token" wrapper). */
json_t *identity_token_render(Ctx *c, const TokenInfo *t, bool with_catalog);
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
