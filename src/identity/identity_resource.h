/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Most Keystone resources (domains, projects, users, groups, roles,
 * regions, services, endpoints) are rows with a few typed fields and the
 * same five operations.  Each is declared once as a ResDef; one engine
 * builds the SQL, renders JSON with links, and serves the generic
 * handlers.  What differs (defaults, references, cascades, hashing) goes
 * in the ResDef's hooks.
 */
#pragma once

#include "api/api.h"
#include "db/db.h"

enum {
        FIELD_REQUIRED = 1 << 0,   /* must be given on create */
        FIELD_FILTER = 1 << 1,     /* list accepts ?name=value */
        FIELD_IMMUTABLE = 1 << 2,  /* update may not change it (400) */
        FIELD_SECRET = 1 << 3,     /* stored, never rendered (password hash) */
};

typedef struct ResField {
        const char *name;          /* JSON key and column */
        char type;                 /* 's' string (or null), 'b' boolean, 'i' integer */
        unsigned flags;
} ResField;

typedef struct ResDef {
        ResourceKind kind;
        const char *table;
        const char *singular;      /* JSON wrapper and message noun: "project" */
        const char *plural;        /* collection key and URL segment: "projects" */
        const ResField *fields;    /* without id; ends with { NULL } */
        bool client_id;            /* create may choose the id (regions) */
        bool created_at;           /* the table has a created_at column to stamp */
        const char *order_by;      /* list order, a column */
        /*
         * Replaces secrets in obj by their hashes (argon2id, slow).  Runs
         * before create or update takes the database's write lock: a hash
         * computed inside the transaction held every other writer up for
         * its duration (issue 7, F3).
         */
        int (*hash_secrets)(Ctx *c, json_t *obj);
        /* Fills defaults, checks references; may edit obj.  Runs in the update's transaction. */
        int (*prepare)(Ctx *c, json_t *obj, const json_t *old);
        /* Refuses or cascades a delete; runs inside the delete's transaction. */
        int (*before_delete)(Ctx *c, const json_t *old);
        /* Adds computed fields to a rendered object. */
        void (*decorate)(json_t *obj);
        /* Extra read permission beyond admin for GET {id}; NULL: admin only. */
        bool (*can_read)(const Ctx *c, const json_t *rec);
} ResDef;

extern const ResDef res_domain, res_project, res_user, res_group, res_role, res_region, res_service,
        res_endpoint;

/* The stored record (secrets included), as a new reference.  -ENOENT with a message. */
int res_get(Ctx *c, const ResDef *d, const char *id, json_t **ret);
/* Like res_get but -ENOENT without recording a message. */
int res_lookup(Ctx *c, const ResDef *d, const char *id, json_t **ret);
/* Finds by name (within domain_id if the resource has domains). */
int res_lookup_by_name(Ctx *c, const ResDef *d, const char *name, const char *domain_id, json_t **ret);
/* Records matching filters (field -> string value), as a new array. */
int res_list(Ctx *c, const ResDef *d, const json_t *filters, json_t **ret);
/* Creates from obj (borrowed); returns the stored record. */
int res_create(Ctx *c, const ResDef *d, const json_t *obj, json_t **ret);
int res_update(Ctx *c, const ResDef *d, const char *id, const json_t *patch, json_t **ret);
int res_delete(Ctx *c, const ResDef *d, const char *id);

/* The API rendering of a record: secrets removed, links and decorations added. */
json_t *res_render(const ResDef *d, const json_t *rec);
/* {"self": BASE/identity/v3/PLURAL/ID} */
json_t *res_links(const char *plural, const char *id);
/* The collection links object for a list response of path. */
json_t *res_collection_links(const char *path);

/* Generic handlers; the route's .data is the ResDef. */
int res_api_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int res_api_get(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int res_api_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int res_api_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int res_api_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
