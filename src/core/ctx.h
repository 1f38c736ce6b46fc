/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ctx: what one API request (or one task) carries through the layers: its
 * id for logs, who is calling (Auth), this thread's database connection,
 * and the first error recorded.  ctx_error() is the one way to report a
 * user-visible failure: the function that knows why records a sentence
 * and returns the -errno code; layers above only propagate the code.
 */
#pragma once

#include "util/util.h"

struct Db;

/*
 * An API microversion as a number: API_VERSION(2, 19) is 2019; 0 means
 * "not versioned".  Routes, schemas and resource fields say which
 * versions they exist in with it.
 */
#define API_VERSION(major, minor) ((major) * 1000 + (minor))

/* The resource kind an error is about; picks the fault and EC2 code. */
typedef enum ResourceKind {
        RES_NONE,
        RES_TOKEN,
        RES_DOMAIN,
        RES_PROJECT,
        RES_USER,
        RES_GROUP,
        RES_ROLE,
        RES_ASSIGNMENT,
        RES_REGION,
        RES_SERVICE,
        RES_ENDPOINT,
        RES_IMAGE,
        RES_MEMBER,
        RES_FLAVOR,
        RES_KEYPAIR,
        RES_SERVER,
        RES_SERVER_GROUP,
        RES_QUOTA,
        RES_HOST,
        RES_INSTANCE_ACTION,
        RES_NETWORK,
        RES_SUBNET,
        RES_SUBNETPOOL,
        RES_PORT,
        RES_ROUTER,
        RES_FLOATINGIP,
        RES_SECURITY_GROUP,
        RES_SECURITY_GROUP_RULE,
        RES_AUTO_TOPOLOGY,       /* a project's auto-allocated network, router and subnets */
        _RES_MAX,
} ResourceKind;

/* The caller, as established from a validated token.  Owned by Ctx. */
typedef struct Auth {
        bool authenticated;
        char *user_id;
        char *user_name;
        char *user_domain_id;
        char *project_id;        /* project scope, or NULL */
        char *project_domain_id; /* the scoped project's domain, or NULL */
        char *domain_id;         /* domain scope, or NULL */
        bool system_scope;
        char **roles;            /* effective role names, NULL-terminated */
        bool is_admin;           /* has the admin role in its scope */
        bool is_member;          /* has member (or admin) */
        bool is_reader;          /* has any role in its scope */
        char *token;             /* the token string as presented */
} Auth;

typedef struct Ctx {
        char request_id[48];     /* "req-" + dashed uuid */
        struct Db *db;           /* borrowed: this thread's connection */
        Auth auth;
        int error;               /* first error recorded, or 0 */
        ResourceKind error_resource;
        char *error_message;     /* whole sentence for the client */
} Ctx;

void ctx_init(Ctx *c, struct Db *db);
void ctx_done(Ctx *c);
void auth_done(Auth *a);

/*
 * Records a user-visible failure and returns code (negative errno), so
 * the call can be the return statement.  Only the first error is kept:
 * the innermost layer knows best.
 */
int ctx_error(Ctx *c, int code, ResourceKind res, const char *fmt, ...) _printf_(4, 5);
/* Forgets a recorded error (when a caller handles it, e.g. -ENOENT). */
void ctx_clear_error(Ctx *c);

bool auth_has_role(const Auth *a, const char *role);
